// A consumer of the Node package on the WASM engine (bindings-node/wasm.cjs, typed as the package),
// of the browser engine's generated types (pkg/meshlock_wasm.d.ts: the operations the playground
// calls) and of the full engine's (pkg-node/meshlock_wasm.d.ts): compiles only if each says what the
// code relies on.
import { Mesh, MeshlockError, check, checkSarif, diff, load, tour } from '../../../bindings-node/wasm.cjs'
import type { Diagnostic, Diff, Edge, Matrix, NamespaceMap, Outcome, Plan, Reconciliation, SarifLog, SimulatedStep, Stage } from '../../pkg-node/meshlock_wasm.js'
import init, { Mesh as EngineMesh, checkInputSize, checkSarif as engineCheckSarif, seedSource, tour as engineTour } from '../../pkg/meshlock_wasm.js'
import type { Evidence, MeshlockErrorShape, Plan as EnginePlan, Tour as EngineTour } from '../../pkg/meshlock_wasm.js'
import * as full from '../../pkg-node/meshlock_wasm.js'

const mesh: Mesh = Mesh.seed()
const outcome: Outcome = mesh.probe('legacy/sleep', 'httpbin.foo:8000')
const exit: number = outcome.curlExit
const transport: 'mtls' | 'plaintext' | null = outcome.transport
const matrix: Matrix = mesh.matrix()
const edge: Edge | undefined = matrix.edges[0]
const diagnostics: Diagnostic[] = load([{ builtin: 'seed' }, { name: 'a.yaml', text: 'x: 1', namespace: 'foo' }], { istioVersion: '1.1' }).diagnostics
const line: number | null | undefined = diagnostics[0]?.line
const next: Mesh = mesh.apply('kind: List', { namespace: 'foo' })
const steps: string[] = tour().steps.map((s) => s.id)
const pending: Promise<Matrix> = next.matrixAsync()

try {
  Mesh.fromYaml('x', { name: 'x.yaml', istioVersion: 'current', autoMtls: false, rootNamespace: 'istio-system' })
} catch (err) {
  if (err instanceof MeshlockError) {
    const code: string = err.code
    const first: Diagnostic | undefined = err.diagnostics[0]
    void code
    void first
  }
}

// The migration API.
const plan: Plan = mesh.plan({ goal: 'namespace=foo,bar', allowBreak: ['legacy/sleep'], metrics: 'metrics.prom' })
const planned: Promise<Plan> = mesh.planAsync()
const stage: Stage = mesh.stages().mesh
const simulated: SimulatedStep[] = mesh.simulate(['kind: List', [{ builtin: 'seed' }], { name: 'undo', delete: plan.steps[0]?.rollbackDelete ?? [] }])
const changed: Diff = diff(mesh, next)
const changedDeclared: number | undefined = diff(mesh, next, { edges: 'declared,observed', metrics: 'metrics.prom' }).scope?.broken
const readiness: Reconciliation = mesh.ready({ name: 'm.prom', text: '' })
const sarif: SarifLog = mesh.checkSarif()
const level: 'error' | 'warning' | 'note' | undefined = checkSarif(['a.yaml'], { istioVersion: '1.1' }).runs[0]?.results[0]?.level
const failing: number = check([{ builtin: 'seed' }]).summary.failing
// @ts-expect-error: not a goal
mesh.plan({ goal: 'lockdown' })
// @ts-expect-error: unknown plan option
mesh.plan({ allow_break: [] })
void [planned, stage, simulated, changed, changedDeclared, readiness, sarif, level, failing]

// @ts-expect-error: unknown option
Mesh.fromYaml('x', { istioVersio: '1.1' })
// @ts-expect-error: curlExit is a number
const wrong: string = outcome.curlExit

async function browser(): Promise<void> {
  await init()
  const session: EngineMesh = EngineMesh.load([{ builtin: 'seed' }], { istioVersion: '1.1' })
  const o: Outcome = session.probe('legacy/sleep', 'httpbin.foo:8000')
  const m: Matrix = session.matrixBetween(null, null, null)
  const map: NamespaceMap = session.namespaceMap(null)
  const pair: Matrix = session.matrixBetween(map.pairs[0]?.from, undefined, null)
  // Weighing edges, as the playground's evidence filter does: each edge's evidence, the map in the scope.
  const declared: Evidence[] | undefined = session.matrixBetween(null, null, { edges: 'declared', metrics: { name: 'metrics', text: 'istio_requests_total 1' } }).edges[0]?.evidence
  const inScope: number = session.namespaceMap({ edges: 'declared,observed' }).edges
  // @ts-expect-error: the scope is a string (`declared,observed`), not a list
  session.namespaceMap({ edges: ['declared'] })
  void [declared, inScope]
  const d: Diagnostic[] = session.diagnostics
  const text: string = session.explain('legacy/sleep', 'httpbin.foo:8000') + session.matrixCsv()
  const t: EngineTour = engineTour()
  const name: string = seedSource().name
  const next: EngineMesh = session.apply([{ name: 'p.yaml', text: 'x: 1', namespace: 'foo' }])
  const p: EnginePlan = session.plan({ goal: 'mesh-strict', allowBreak: ['legacy/sleep'] })
  const after: Matrix | undefined = session.simulate([{ name: 'a', apply: p.steps[0]?.apply.map((text) => ({ name: 'a.yaml', text })) ?? [] }])[0]?.matrix
  const report: number = engineCheckSarif([{ name: 'x.yaml', text: 'x: 1' }], null).runs.length + session.check(null).diagnostics.length
  // A file's bytes, decoded by the engine; its size checked before it is read.
  checkInputSize('a.yaml', 120, { istioVersion: '1.1' })
  const opened: EngineMesh = EngineMesh.load([{ builtin: 'seed' }, { name: 'a.yaml', bytes: new Uint8Array([120, 58, 32, 49]), namespace: null }], null)
  // @ts-expect-error: a step applies YAML text, not bytes
  session.simulate([{ name: 'a', apply: [{ name: 'a.yaml', bytes: new Uint8Array() }] }])
  void opened
  // @ts-expect-error: the browser build leaves out what the playground does not call
  session.ready({ name: 'metrics', text: 'istio_requests_total 1' })
  void [after, report, pair]
  // @ts-expect-error: the browser build reads matrixBetween (the full build keeps matrix())
  session.matrix()
  const s: full.Mesh = full.Mesh.seed()
  const n: full.Mesh = s.apply([{ name: 'p.yaml', text: 'x: 1', namespace: 'foo' }])
  const sarif: string = full.diff(s, n, null).changes[0]?.change ?? s.checkSarif().version
  const weighed: number | undefined = full.diff(s, n, { edges: 'declared', intents: { name: 'intents.csv', text: 'from,to\nfoo/sleep,httpbin.foo:8000\n' } }).scope?.brokenOutside
  const all = full.check([{ name: 'a.yaml', text: 'x: 1' }], null).diagnostics.length + s.matrixTable().length + full.tourText().length
  const ready: number = s.ready({ name: 'metrics', text: 'istio_requests_total 1' }).unobservedModelEdges + s.stages().services.length
  const observed: full.Plan = s.plan({ metrics: { name: 'm.prom', text: 'istio_requests_total 1' } })
  void [sarif, all, ready, observed, weighed]
  let error: MeshlockErrorShape | null = null
  try {
    EngineMesh.load([{ name: 'bad.yaml', text: 'bad' }], null)
  } catch (err) {
    error = err as MeshlockErrorShape
  }
  void [o, m, d, text, t, name, next, error]
}

void [exit, transport, edge, line, steps, pending, wrong, browser]
