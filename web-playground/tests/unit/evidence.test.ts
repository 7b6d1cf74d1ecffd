import { describe, expect, test } from 'vitest'
import { EVIDENCE, kindsOf, scopeOf } from '../../src/evidence'
import { SCOPE } from '../../src/state'

describe('the evidence filter as the engine’s edge scope', () => {
  test('every kind checked is `all`, the engine’s default; fewer are named in the engine’s order', () => {
    expect(scopeOf([...EVIDENCE])).toBe('all')
    expect(scopeOf(['observed', 'declared'])).toBe('observed,declared')
    expect(scopeOf(['declared', 'observed'])).toBe('observed,declared')
    expect(scopeOf(['forbidden'])).toBe('forbidden')
    // Nothing checked would show nothing: the page never sends it, and it reads as every edge.
    expect(scopeOf([])).toBe('all')
  })

  test('a scope’s kinds, for the checkboxes', () => {
    expect(kindsOf('all')).toEqual(EVIDENCE)
    expect(kindsOf('declared,observed')).toEqual(['observed', 'declared'])
    expect(kindsOf('possible')).toEqual(['possible'])
    expect(kindsOf('nonsense')).toEqual(EVIDENCE)
  })

  test('round trip, and every scope written is one the state accepts', () => {
    for (let mask = 1; mask < 1 << EVIDENCE.length; mask++) {
      const kinds = EVIDENCE.filter((_, i) => mask & (1 << i))
      const scope = scopeOf(kinds)
      expect(SCOPE.test(scope)).toBe(true)
      expect(kindsOf(scope)).toEqual(kinds)
    }
  })
})
