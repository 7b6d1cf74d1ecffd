// The migration operations through the WASM Node adapter (stages, plan, simulate, diff, ready,
// check with SARIF), and what the playground builds on them: the matrix after each plan step (the
// engine's deltas laid on the grid) must be the engine's own simulation, and the downloaded plan
// YAML must take the mesh where the plan says. Needs the build: scripts/build-wasm.sh.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import YAML from 'yaml'
import type * as Adapter from '../../../bindings-node/wasm.cjs'
import { type MatrixData, compactMatrix, expandMatrix } from '../../src/matrix'
import { planYaml, stepMatrices } from '../../src/plan'

const meshlock = createRequire(import.meta.url)('../../../bindings-node/wasm.cjs') as typeof Adapter
const { Mesh, MeshlockError, load, diff, check, checkSarif } = meshlock

const ROOT = new URL('../../../tests/scenarios/', import.meta.url)
interface Scenario {
  name: string
  settings?: { istio_version?: string | number; auto_mtls?: boolean; root_namespace?: string }
  sources: Array<{ builtin?: 'seed'; name?: string; yaml?: string; namespace?: string }>
  expect: { load?: string; plans?: Array<{ goal: string; allow_break?: string[] }> }
}

function scenarios(dir: URL): Array<[string, Scenario]> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e): Array<[string, Scenario]> => {
    if (e.isDirectory()) return scenarios(new URL(`${e.name}/`, dir))
    return e.name.endsWith('.yaml') ? [[e.name, YAML.parse(readFileSync(new URL(e.name, dir), 'utf8')) as Scenario]] : []
  })
}

function loadScenario(s: Scenario): Adapter.Mesh {
  const sources = s.sources.map((x): Adapter.SourceInput => (x.builtin ? { builtin: 'seed' } : { name: x.name ?? 'input.yaml', text: x.yaml ?? '', namespace: x.namespace ?? null }))
  const options: Adapter.MeshOptions = {}
  if (s.settings?.istio_version != null) options.istioVersion = String(s.settings.istio_version)
  if (s.settings?.auto_mtls != null) options.autoMtls = s.settings.auto_mtls
  if (s.settings?.root_namespace != null) options.rootNamespace = s.settings.root_namespace
  return load(sources, options)
}

const grid = (m: Adapter.Matrix): MatrixData => {
  const data = compactMatrix(m)
  if (!data) throw new Error('not a grid')
  return data
}

const planned = scenarios(ROOT).flatMap(([file, s]) => (s.expect.plans ?? []).map((p, i) => [`${file} plan ${i + 1} (${p.goal})`, s, p] as const))

describe('the plan view: the matrix after each step', () => {
  test('the corpus has plans to check', () => {
    expect(planned.length).toBeGreaterThanOrEqual(6)
  })

  test.each(planned)('%s: deltas laid on the grid = the engine’s simulation; the plan YAML reaches the final state', (_, scenario, want) => {
    const mesh = loadScenario(scenario)
    const plan = mesh.plan({ goal: want.goal as Adapter.PlanOptions['goal'], allowBreak: want.allow_break ?? [] })
    const derived = stepMatrices(grid(mesh.matrix()), plan)
    const simulated = mesh.simulate(plan.steps.map((s) => ({ name: s.name, apply: s.apply.map((text, i) => ({ name: `${s.name}-${i}.yaml`, text })), delete: s.delete.map((text) => ({ name: `${s.name}.delete.yaml`, text })) })))
    expect(simulated.map((s) => s.name)).toEqual(plan.steps.map((s) => s.name))
    simulated.forEach((sim, i) => {
      const mine = derived[i]
      expect(mine, `step ${sim.name}`).not.toBeNull()
      expect(expandMatrix(mine as MatrixData).edges).toEqual(sim.matrix.edges)
      expect(sim.delta).toEqual(plan.steps[i]?.delta)
    })
    // The download: every step's manifests, applied over the input, give the plan's final summary.
    if (plan.steps.every((s) => s.delete.length === 0)) {
      const after = mesh.apply({ name: 'plan.yaml', text: planYaml(plan, want.allow_break ?? []) })
      const summary = after.check().summary
      expect({ edges: summary.edges, ok: summary.ok, failing: summary.failing, mtls: summary.mtls, plaintext: summary.plaintext }).toEqual({
        edges: plan.final.edges,
        ok: plan.final.ok,
        failing: plan.final.failing,
        mtls: plan.final.mtls,
        plaintext: plan.final.plaintext,
      })
      expect(after.stages().mesh).toBe(plan.final.mesh)
    }
  })
})

describe('the migration API of the adapter', () => {
  const seed = Mesh.seed()

  test('stages and plan: the seed is permissive; legacy/sleep holds every lock-down back', () => {
    const stages = seed.stages()
    expect(stages.mesh).toBe('permissive')
    expect(stages.namespaces).toEqual({ bar: 'permissive', foo: 'permissive', legacy: 'no-sidecar' })
    const plan = seed.plan()
    expect(plan.goal).toEqual({ type: 'strict' })
    expect(plan.steps[0]?.name).toBe('01-client-mtls-httpbin-bar')
    expect(new Set(plan.blockers.map((b) => b.client))).toEqual(new Set(['legacy/sleep']))
    expect(plan.blockers[0]?.remedies.map((r) => r.kind)).toEqual(expect.arrayContaining(['inject-client', 'keep-permissive', 'allow-break']))
    const allowed = seed.plan({ goal: 'strict', allowBreak: ['legacy/sleep'] })
    expect(allowed.steps.map((s) => s.name)).toContain('02-lock-httpbin-bar')
    expect(allowed.blockers).toEqual([])
    expect(seed.plan({ goal: 'namespace=foo' }).goal).toEqual({ type: 'namespaces', namespaces: ['foo'] })
  })

  test('simulate: YAML text, a list of sources, or {name, apply, delete}; this mesh is unchanged', () => {
    const step = seed.plan().steps[0]
    if (!step) throw new Error('no step')
    const [text, list, undo] = seed.simulate([step.apply.join('---\n'), [{ name: 'dr.yaml', text: step.apply[0] ?? '' }], { name: 'undo', delete: step.rollbackDelete }])
    expect([text?.name, list?.name, undo?.name]).toEqual(['step 1', 'step 2', 'undo'])
    expect(text?.delta).toEqual(step.delta)
    expect(list?.delta).toEqual([])
    expect(undo?.delta.map((c) => c.change)).toEqual(step.delta.map(() => 'mtls → plaintext'))
    expect(undo?.matrix.edges).toEqual(seed.matrix().edges)
    expect(() => seed.simulate([{ name: 'x', aply: 'x: 1' } as never])).toThrowError(/unknown field `aply`/)
    expect(() => seed.simulate('x: 1' as never)).toThrowError(MeshlockError)
  })

  test('diff: the changed edges between two meshes, with their cause', () => {
    const step = seed.plan().steps[0]
    const after = seed.apply(step?.apply ?? [])
    const d = diff(seed, after)
    expect(d.groups).toEqual({ 'plaintext → mtls': 4 })
    expect(d.broken).toBe(0)
    expect(d.changes[0]?.cause).toEqual(['DestinationRule bar/httpbin-istio-mutual'])
    expect(diff(seed, seed).changes).toEqual([])
    expect(() => diff(seed, {} as Adapter.Mesh)).toThrowError(MeshlockError)
  })

  test('ready and plan with metrics: inline or a file path; malformed metrics are invalid-metrics', () => {
    const text = 'istio_requests_total{reporter="destination",source_workload="sleep",source_workload_namespace="legacy",destination_service="httpbin.foo.svc.cluster.local",connection_security_policy="none"} 3\n'
    const dir = mkdtempSync(join(tmpdir(), 'meshlock-metrics-'))
    try {
      const path = join(dir, 'metrics.prom')
      writeFileSync(path, text)
      const inline = seed.ready({ name: 'm.prom', text })
      expect(seed.ready(path)).toEqual(inline)
      expect(inline.services.find((s) => s.service === 'httpbin.foo.svc.cluster.local')?.readiness).toBe('blocked')
      expect(seed.plan({ allowBreak: ['legacy/sleep'], metrics: path })).toEqual(seed.plan({ allowBreak: ['legacy/sleep'], metrics: { name: path, text } }))
      expect(() => seed.ready(join(dir, 'missing.prom'))).toThrowError(expect.objectContaining({ code: 'io' }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    try {
      seed.ready({ name: 'bad.prom', text: 'istio_requests_total{ 1\n' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(MeshlockError)
      expect((err as InstanceType<typeof MeshlockError>).code).toBe('invalid-metrics')
      expect((err as InstanceType<typeof MeshlockError>).diagnostics[0]?.source).toBe('bad.prom')
    }
  })

  test('plan errors: bad goal, unknown namespace, bad client, unknown option', () => {
    const code = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        return (err as InstanceType<typeof MeshlockError>).code
      }
      return 'none'
    }
    expect(code(() => seed.plan({ goal: 'lockdown' as 'strict' }))).toBe('bad-request')
    expect(code(() => seed.plan({ goal: 'namespace=nowhere' }))).toBe('unknown-namespace')
    expect(code(() => seed.plan({ allowBreak: ['nobody'] }))).toBe('bad-client')
    expect(code(() => seed.plan({ allow_break: [] } as never))).toBe('bad-request')
    expect(code(() => seed.plan('strict' as never))).toBe('bad-request')
  })

  test('check of sources reports an input that does not load; SARIF keeps its own keys', () => {
    const published = YAML.parse(readFileSync(new URL('seed/published-policy.yaml', ROOT), 'utf8')) as Scenario
    const sources = published.sources.map((x): Adapter.SourceInput => (x.builtin ? { builtin: 'seed' } : { name: x.name ?? 'input.yaml', text: x.yaml ?? '', namespace: x.namespace ?? null }))
    const report = check(sources, { istioVersion: '1.1' })
    expect(report.diagnostics.some((d) => d.code === 'ML105' && d.line !== null)).toBe(true)
    expect(report.summary.edges).toBe(0)
    const sarif = checkSarif(sources, { istioVersion: '1.1' })
    expect(sarif.version).toBe('2.1.0')
    const result = sarif.runs[0]?.results.find((r) => r.ruleId === 'ML105')
    expect(result?.locations?.[0]?.physicalLocation.region?.startLine).toBe(report.diagnostics.find((d) => d.code === 'ML105')?.line)
    expect(sarif.runs[0]?.tool.driver.rules.length).toBeGreaterThan(20)
    expect(seed.checkSarif().runs[0]?.results.length).toBe(seed.check().diagnostics.length)
  })
})
