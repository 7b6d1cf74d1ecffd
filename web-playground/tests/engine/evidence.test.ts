// Edge evidence on the WASM engine, as the playground reads it: each edge's evidence in the grid
// (`matrixBetween` weighing edges), the grid and the map under an edge scope, and `diff` weighing
// edges as `check` and `matrix` do. Inputs: the intent scenarios of the shared corpus
// (tests/scenarios/intent/), whose `expect.evidence` the engine must give back. Needs the build:
// scripts/build-wasm.sh.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Edge, Matrix } from 'meshlock-wasm'
import { describe, expect, test } from 'vitest'
import YAML from 'yaml'
import type * as Adapter from '../../../bindings-node/wasm.cjs'
import { EVIDENCE } from '../../src/evidence'
import { compactMatrix, expandMatrix, filterMatrix } from '../../src/matrix'

const meshlock = createRequire(import.meta.url)('../../../bindings-node/wasm.cjs') as typeof Adapter

interface Scenario {
  settings: { istio_version: string }
  metrics?: string
  sources: Array<{ builtin?: string; name?: string; namespace?: string; yaml?: string; csv?: string }>
  expect: { evidence: Array<{ from: string; to: string; evidence: string[] }> }
}

const corpus = (path: string): URL => new URL(`../../../tests/${path}`, import.meta.url)
const scenario = (name: string): Scenario => YAML.parse(readFileSync(corpus(`scenarios/intent/${name}.yaml`), 'utf8'))
const sourcesOf = (s: Scenario) =>
  s.sources.map((x) => (x.builtin ? { builtin: 'seed' as const } : { name: x.name ?? 'input.yaml', text: x.yaml ?? x.csv ?? '', namespace: x.namespace ?? null }))
const metricsOf = (s: Scenario) => (s.metrics ? { name: s.metrics, text: readFileSync(corpus(`telemetry/${s.metrics}`), 'utf8') } : null)
const loadScenario = (s: Scenario) => meshlock.load(sourcesOf(s), { istioVersion: s.settings.istio_version })
const evidenceIn = (m: Matrix, from: string, to: string) => m.edges.find((e) => e.from === from && e.to === to)?.evidence

const STRICT_HTTPBIN_FOO = `apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata: {name: example-httpbin-strict, namespace: foo}
spec:
  targets:
  - name: httpbin
  peers:
  - mtls: {mode: STRICT}
`

describe('the grid’s evidence: matrixBetween weighing edges', () => {
  for (const name of ['declared-lock-down', 'declared-edge-cannot-work', 'observed-blocker']) {
    test(`${name}: every edge carries its evidence, the scenario’s expected ones among them`, () => {
      const s = scenario(name)
      const mesh = loadScenario(s)
      const grid = mesh.matrixBetween(null, null, { edges: 'all', metrics: metricsOf(s) })
      // Scope `all`: every edge is listed, as without weighing, and each has its evidence.
      expect(grid.edges.map(({ evidence, ...edge }) => edge)).toEqual(mesh.matrixBetween().edges)
      expect(grid.edges.every((e) => (e.evidence?.length ?? 0) > 0)).toBe(true)
      // The scenario names the kinds in any order; the engine gives them strongest first.
      for (const want of s.expect.evidence) {
        const got = evidenceIn(grid, want.from, want.to)
        expect([want.from, want.to, [...(got ?? [])].sort()]).toEqual([want.from, want.to, [...want.evidence].sort()])
        expect(got).toEqual(EVIDENCE.filter((k) => got?.includes(k)))
      }
      // The page's grid keeps it through the worker's packing.
      const packed = compactMatrix(grid)
      expect(packed && expandMatrix(packed)).toEqual(grid)
    })
  }

  test('the grid and the map under a scope are the engine’s matrix under that scope', () => {
    const s = scenario('observed-blocker')
    const mesh = loadScenario(s)
    const metrics = metricsOf(s)
    for (const edges of ['declared', 'observed', 'declared,observed', 'possible', 'forbidden']) {
      const scoped = mesh.matrixBetween(null, null, { edges, metrics })
      expect(scoped.edges).toEqual(mesh.matrix({ edges, metrics }).edges)
      expect(scoped.clients).toEqual(mesh.matrixBetween().clients)
      const map = mesh.namespaceMap({ edges, metrics })
      expect(map.edges).toBe(scoped.edges.length)
      for (const pair of map.pairs) {
        const inPair = scoped.edges.filter((e) => e.from.startsWith(`${pair.from}/`) && scoped.services.find((p) => p.id === e.to)?.namespace === pair.to)
        expect([pair.from, pair.to, pair.edges]).toEqual([pair.from, pair.to, inPair.length])
      }
    }
  })

  test('declared edges only: the TrafficIntent’s two callers of httpbin.foo; the page shows their rows and column', () => {
    const mesh = loadScenario(scenario('declared-lock-down'))
    const grid = mesh.matrixBetween(null, null, { edges: 'declared' })
    expect(grid.edges.map((e) => [e.from, e.to, e.evidence])).toEqual([
      ['bar/sleep', 'httpbin.foo.svc.cluster.local:8000', ['declared', 'possible']],
      ['foo/sleep', 'httpbin.foo.svc.cluster.local:8000', ['declared', 'possible']],
    ])
    const packed = compactMatrix(grid)
    expect(packed).not.toBeNull()
    if (!packed) return
    const window = filterMatrix(packed, { clientNs: '', serviceNs: '', verdict: 'all' })
    expect(window.rows.map((r) => packed.clients[r]?.id)).toEqual(['bar/sleep', 'foo/sleep'])
    expect(window.cols.map((c) => packed.services[c]?.id)).toEqual(['httpbin.foo.svc.cluster.local:8000'])
  })

  test('a drilled pair weighs as the whole grid does', () => {
    const s = scenario('observed-blocker')
    const mesh = loadScenario(s)
    const options = { edges: 'declared,observed', metrics: metricsOf(s) }
    const whole = mesh.matrixBetween(null, null, options)
    const pair = mesh.matrixBetween('legacy', 'foo', options)
    const fooPorts = new Set(pair.services.map((p) => p.id))
    expect(pair.edges).toEqual(whole.edges.filter((e: Edge) => e.from.startsWith('legacy/') && fooPorts.has(e.to)))
    expect(evidenceIn(pair, 'legacy/sleep', 'httpbin.foo.svc.cluster.local:8000')).toEqual(['observed', 'possible'])
  })

  test('a bad scope is a bad request', () => {
    expect(() => meshlock.Mesh.seed().matrixBetween(null, null, { edges: 'rumoured' })).toThrow(expect.objectContaining({ code: 'bad-request' }))
  })
})

describe('diff weighing edges (the options of check and matrix)', () => {
  const intents = scenario('declared-lock-down')
  const before = loadScenario(intents)
  const after = before.apply(STRICT_HTTPBIN_FOO)

  test('STRICT on httpbin.foo without a DestinationRule: the declared breaks in the scope, the rest outside', () => {
    const plain = meshlock.diff(before, after)
    const scoped = meshlock.diff(before, after, { edges: 'declared' })
    expect(plain.scope).toBeUndefined()
    // The same changes, each now with its evidence.
    expect(scoped.changes.map(({ evidence, ...c }) => c)).toEqual(plain.changes)
    expect(scoped.changes.every((c) => (c.evidence?.length ?? 0) > 0)).toBe(true)
    const breaks = plain.changes.filter((c) => c.before?.verdict === 'ok' && c.after?.verdict === 'fail')
    const declared = scoped.changes.filter((c) => c.before?.verdict === 'ok' && c.after?.verdict === 'fail' && c.evidence?.includes('declared'))
    // The intent's callers of httpbin.foo: foo/sleep and bar/sleep.
    expect(declared.map((c) => c.from).sort()).toEqual(['bar/sleep', 'foo/sleep'])
    expect(scoped.scope).toEqual({ edges: 'declared', broken: declared.length, brokenOutside: breaks.length - declared.length, byEvidence: { declared: declared.length } })
  })

  test('intents given as an option join both sides, as intents among the sources do', () => {
    const seed = meshlock.Mesh.seed()
    const intentSource = sourcesOf(intents).filter((x) => 'text' in x)
    const viaOption = meshlock.diff(seed, seed.apply(STRICT_HTTPBIN_FOO), { edges: 'declared', intents: intentSource })
    expect(viaOption.scope).toEqual(meshlock.diff(before, after, { edges: 'declared' }).scope)
  })

  test('observed traffic: legacy/sleep’s plaintext calls are in the `observed` scope', () => {
    const s = scenario('observed-blocker')
    const mesh = loadScenario(s)
    const diff = meshlock.diff(mesh, mesh.apply(STRICT_HTTPBIN_FOO), { edges: 'observed', metrics: metricsOf(s) })
    const legacy = diff.changes.find((c) => c.from === 'legacy/sleep' && c.to === 'httpbin.foo.svc.cluster.local:8000')
    expect(legacy?.evidence).toEqual(['observed', 'possible'])
    expect(diff.scope?.byEvidence.observed).toBeGreaterThan(0)
  })

  test('options are checked as check’s are', () => {
    expect(() => meshlock.diff(before, after, { edges: 'all', nonsense: 1 } as never)).toThrow(expect.objectContaining({ code: 'bad-request' }))
  })
})
