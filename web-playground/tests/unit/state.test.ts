import { describe, expect, test } from 'vitest'
import { DEFAULT_VIEW, SEED_NAME, type PlaygroundState, decodeState, encodeState, engineSettings, engineSources, sanitize, seedState } from '../../src/state'

const sample = (): PlaygroundState => ({
  v: 1,
  sources: [
    { name: SEED_NAME, builtin: 'seed' },
    { name: 'step-3-policy.yaml', namespace: 'foo', text: 'apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\n# ünïcödé ✓ and "quotes"\n' },
  ],
  settings: { istioVersion: '1.1', autoMtls: false, rootNamespace: 'mesh-root' },
  view: { ...DEFAULT_VIEW, tab: 1, view: 'graph', verdict: 'fail', clientNs: 'legacy', selected: { from: 'legacy/sleep', to: 'httpbin.foo.svc.cluster.local:8000' }, tourStep: "3'" },
})

const planned = (): PlaygroundState => ({
  ...sample(),
  view: { ...sample().view, view: 'plan', goal: 'namespace=foo,bar', allowBreak: ['legacy/sleep'], planStep: '02-lock-httpbin-bar' },
})

describe('URL fragment encoding', () => {
  test('round-trips the whole state', () => {
    const state = sample()
    const fragment = encodeState(state)
    expect(fragment).toMatch(/^s=[A-Za-z0-9_-]+$/)
    expect(decodeState(fragment)).toEqual(state)
    expect(decodeState(`#${fragment}`)).toEqual(state)
  })

  test('round-trips the plan view: goal, clients allowed to break, the step shown', () => {
    expect(decodeState(encodeState(planned()))).toEqual(planned())
  })

  test('is deterministic, and compact for the built-in seed', () => {
    expect(encodeState(sample())).toBe(encodeState(sample()))
    const seed = encodeState(seedState())
    expect(seed.length).toBeLessThan(200)
    expect(decodeState(seed)).toEqual(seedState())
  })

  test('compresses large inputs', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: s${i}, namespace: ns${i % 7}}\n`).join('')
    const state: PlaygroundState = { ...seedState(), sources: [{ name: 'big.yaml', text }] }
    const fragment = encodeState(state)
    expect(fragment.length).toBeLessThan(text.length / 4)
    expect(decodeState(fragment)?.sources[0]?.text).toBe(text)
  })

  test('rejects what it did not write', () => {
    for (const bad of ['', '#', '#x=1', '#s=', '#s=!!!', '#s=AAAA', `#s=${btoa('{"v":1}')}`]) expect(decodeState(bad)).toBeNull()
  })
})

describe('sanitize: a shared link is untrusted input', () => {
  test('drops unknown and ill-typed fields, clamps the tab', () => {
    const state = sanitize({
      v: 1,
      sources: [{ name: 'a.yaml', text: 'x: 1', namespace: 7, extra: true }],
      settings: { istioVersion: 3, autoMtls: 'yes', rootNamespace: 'root', evil: '<script>' },
      view: { tab: 9, view: 'pie', verdict: 'maybe', selected: { from: 1 }, tourStep: '3', clientNs: 'foo' },
    })
    expect(state).toEqual({
      v: 1,
      sources: [{ name: 'a.yaml', text: 'x: 1' }],
      settings: { rootNamespace: 'root' },
      view: { ...DEFAULT_VIEW, tab: 0, tourStep: '3', clientNs: 'foo' },
    })
  })

  test('the plan fields: a goal the planner takes, clients written namespace/name', () => {
    const view = (v: Record<string, unknown>) => sanitize({ v: 1, sources: [], view: v })?.view
    expect(view({ view: 'check', goal: 'mesh-strict', allowBreak: ['b/x', 'a/y', 'a/y', 'nope', 3, 'a/b/c'], planStep: '01-x' })).toEqual({
      ...DEFAULT_VIEW,
      view: 'check',
      goal: 'mesh-strict',
      allowBreak: ['a/y', 'b/x'],
      planStep: '01-x',
    })
    for (const goal of ['lockdown', 'namespace=', 'namespace=Foo', 'namespace=a,,b', 'strict ', 7]) expect(view({ goal })?.goal).toBe('strict')
    expect(view({ goal: 'namespace=foo,bar-2' })?.goal).toBe('namespace=foo,bar-2')
  })

  test('the evidence filter and the metrics: a scope the engine takes, metrics as text', () => {
    const weighed: PlaygroundState = { ...sample(), view: { ...sample().view, edges: 'declared,observed' }, metrics: 'istio_requests_total{} 1\n' }
    expect(decodeState(encodeState(weighed))).toEqual(weighed)
    expect(decodeState(encodeState(sample()))?.metrics).toBeUndefined()
    const view = (v: Record<string, unknown>) => sanitize({ v: 1, sources: [], view: v })?.view
    for (const edges of ['declared,', 'rumoured', 'all,declared', ' declared', 7]) expect(view({ edges })?.edges).toBe('all')
    for (const edges of ['possible', 'forbidden', 'observed,declared,possible']) expect(view({ edges })?.edges).toBe(edges)
    expect(sanitize({ v: 1, sources: [], metrics: 42 })?.metrics).toBeUndefined()
  })

  test('a source without text or name makes the link invalid', () => {
    expect(sanitize({ v: 1, sources: [{ name: 'a.yaml' }] })).toBeNull()
    expect(sanitize({ v: 1, sources: [{ text: 'a' }] })).toBeNull()
    expect(sanitize({ v: 2, sources: [] })).toBeNull()
    expect(sanitize([1, 2])).toBeNull()
  })
})

describe('engine arguments', () => {
  test('sources: the seed by reference, inline text with its namespace', () => {
    expect(engineSources(sample().sources)).toEqual([
      { builtin: 'seed' },
      { name: 'step-3-policy.yaml', text: sample().sources[1]?.text, namespace: 'foo' },
    ])
  })

  test('settings: absent keys left out, so the core applies its defaults', () => {
    expect(engineSettings({})).toEqual({})
    expect(engineSettings({ istioVersion: '', rootNamespace: '' })).toEqual({})
    expect(engineSettings({ istioVersion: 'current', autoMtls: false })).toEqual({ istioVersion: 'current', autoMtls: false })
  })
})
