import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
// @ts-expect-error: a plain ESM module without types (the Vite plugin)
import { loadExamples } from '../../scripts/examples-plugin.mjs'
import { EXAMPLES, grouped } from '../../src/examples'
import { stepSources, chainOf } from '../../src/tour'
import type { Tour } from 'meshlock-wasm'

const ROOT = fileURLToPath(new URL('../../../tests/scenarios', import.meta.url))

describe('examples from the shared scenarios', () => {
  test('every scenario is an example; the seed comes first, its baseline first of all', () => {
    const fresh = loadExamples(ROOT) as typeof EXAMPLES
    expect(EXAMPLES).toEqual(fresh)
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(20)
    expect(EXAMPLES[0]?.id).toBe('seed/step-0-baseline')
    expect(grouped(EXAMPLES)[0]?.[0]).toBe('seed')
    const seedSteps = EXAMPLES.filter((e) => e.id.startsWith('seed/step-')).map((e) => e.id)
    expect(seedSteps).toEqual([...seedSteps].sort())
    expect(new Set(EXAMPLES.map((e) => e.name)).size).toBe(EXAMPLES.length)
  })

  test('sources and settings map to the playground state', () => {
    const strict = EXAMPLES.find((e) => e.id === 'seed/step-3-strict')
    expect(strict?.settings).toEqual({ istioVersion: '1.1' })
    expect(strict?.sources[0]).toEqual({ builtin: 'seed', name: 'meshlock:seed/cluster.yaml' })
    expect(strict?.sources[1]).toMatchObject({ name: 'step2-destinationrule.yaml', namespace: 'foo' })
    expect(strict?.probes).toContainEqual({ from: 'legacy/sleep', to: 'httpbin.foo:8000/ip', status: '000', reason: 'plaintext-to-strict' })
    expect(EXAMPLES.find((e) => e.id === 'seed/published-policy')?.load).toBe('error')
  })
})

describe('tour steps', () => {
  const step = (id: string, base: string | null, applied: string[]) => ({
    id,
    title: id,
    base,
    command: applied.length ? 'istioctl create -n foo -f -' : null,
    applied: applied.map((name) => ({ name, text: `# ${name}\n`, namespace: 'foo' })),
    publishedDiagnostics: [],
    note: null,
    rows: [],
  })
  const tour: Tour = {
    title: 'Mutual TLS Migration (Istio 1.1)',
    istioVersion: '1.1',
    steps: [step('0', null, []), step('1', '0', ['policy.yaml']), step('2', '1', ['destinationrule.yaml']), step('3', '2', ['policy.yaml']), step("3'", '1', ['policy.yaml'])],
  }

  test('each step builds on its base: the previous one, 3′ on step 1', () => {
    expect(chainOf(tour, '3').map((s) => s.id)).toEqual(['0', '1', '2', '3'])
    expect(chainOf(tour, "3'").map((s) => s.id)).toEqual(['0', '1', "3'"])
    expect(chainOf(tour, 'nope')).toEqual([])
  })

  test('a step’s sources: the seed, then what each step applied, named by step', () => {
    expect(stepSources(tour, '3').map((s) => s.name)).toEqual([
      'meshlock:seed/cluster.yaml',
      'step-1-policy.yaml',
      'step-2-destinationrule.yaml',
      'step-3-policy.yaml',
    ])
    expect(stepSources(tour, '3')[3]).toEqual({ name: 'step-3-policy.yaml', text: '# policy.yaml\n', namespace: 'foo' })
  })
})
