// Type test: a typed consumer of the package (imported by its own name, through package.json
// `exports` → index.d.ts). `tsc -p test/types` must pass; every `@ts-expect-error` line must fail.
import {
  Mesh,
  MeshlockError,
  callJson,
  check,
  checkSarif,
  diff,
  load,
  loadAsync,
  tour,
  tourText,
  type Blocker,
  type CheckReport,
  type ClientGroup,
  type Diagnostic,
  type Diff,
  type EdgeChange,
  type EdgeGroup,
  type Effect,
  type ErrorCode,
  type Goal,
  type Matrix,
  type MetricsInput,
  type Outcome,
  type Plan,
  type PlanOptions,
  type Readiness,
  type Reason,
  type Reconciliation,
  type RemedyChoice,
  type RemedyKind,
  type ResolvedSettings,
  type SarifLog,
  type Severity,
  type SimulatedStep,
  type SourceInput,
  type Stage,
  type Stages,
  type StepInput,
  type Tour,
  type Transport,
  type Verdict,
} from 'meshlock'

const mesh: Mesh = Mesh.seed()
const outcome: Outcome = mesh.probe('legacy/sleep', 'httpbin.foo:8000')
const exit: number = outcome.curlExit
const status: string = outcome.status
const transport: Transport | null = outcome.transport
const verdict: Verdict = outcome.verdict
const steps: string[] = outcome.explain.map((s) => `${s.side}: ${s.resource ?? ''} ${s.text}`)
const endpoints: string[] | undefined = outcome.alternatives?.flatMap((a) => a.endpoints)

// String-literal unions allow exhaustive switches.
function describe(reason: Reason): string {
  switch (reason) {
    case 'mtls':
    case 'plaintext':
      return 'ok'
    case 'plaintext-to-strict':
    case 'mtls-to-no-sidecar':
    case 'mtls-to-disabled':
    case 'tls-origination-rejected':
    case 'rbac-denied':
    case 'tls-handshake-failed':
    case 'network-policy':
    case 'no-endpoints':
    case 'unknown-port':
    case 'unknown-host':
      return 'fail'
    default: {
      const unreachable: never = reason
      return unreachable
    }
  }
}
describe(outcome.reason)

// @ts-expect-error status is a string as curl prints it ('000'), not a number
const wrongStatus: number = outcome.status
// @ts-expect-error not a reason code
const bogusReason: Reason = 'timeout'
// @ts-expect-error snake_case keys do not exist in JS
outcome.curl_exit
// @ts-expect-error probe takes a client and a target
mesh.probe('legacy/sleep')

const fromText: Mesh = Mesh.fromYaml('kind: Namespace', { name: 'ns.yaml', namespace: 'foo', istioVersion: 'current' })
// @ts-expect-error misspelt option
Mesh.fromYaml('kind: Namespace', { istioVersio: '1.1' })
// @ts-expect-error autoMtls is a boolean
Mesh.fromYaml('kind: Namespace', { autoMtls: 'yes' })

const sources: SourceInput[] = [{ name: 'x.yaml', text: 'kind: Namespace', namespace: 'foo' }, { builtin: 'seed' }]
const loaded: Mesh = load(['cluster.yaml', ...sources], { istioVersion: '1.1', autoMtls: false, rootNamespace: 'istio-system' })
Mesh.load(['cluster.yaml'])
// @ts-expect-error the seed is the only built-in cluster
load([{ builtin: 'other' }])
// @ts-expect-error an inline source needs a name
load([{ text: 'kind: Namespace' }])

const applied: Mesh = loaded.apply('kind: Namespace', { namespace: 'foo' }).apply(sources)
const diagnostics: Diagnostic[] = applied.diagnostics
const severity: Severity | undefined = diagnostics[0]?.severity
const line: number | null | undefined = diagnostics[0]?.line
// @ts-expect-error diagnostics is a property, not a method
applied.diagnostics()
const settings: ResolvedSettings = applied.settings
const version: string = settings.istioVersion

const report: CheckReport = mesh.check()
const failing: number = report.summary.failing + (report.summary.byStatus['503'] ?? 0)
const mode: 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT' | null | undefined = report.exposure[0]?.mode
const intended: number = report.summary.denied - report.summary.mtlsBroken
const groups: EdgeGroup[] = report.groups
const effect: Effect | undefined = groups[0]?.effect
const decidedBy: string | null | undefined = groups[0]?.resource
const examples: Array<[string, string]> = groups.flatMap((g) => g.examples.map((e) => [e.from, e.to] as [string, string]))
// @ts-expect-error not an effect
const bogusEffect: Effect = 'broken'
const matrix: Matrix = mesh.matrix()
const cells: Array<[string, string, string]> = matrix.edges.map((e) => [e.from, e.to, e.status])
const sidecars: boolean[] = matrix.clients.map((c) => c.sidecar)
const ports: Array<string | null> = matrix.services.map((s) => s.portName)
const text: string = mesh.explain('legacy/sleep', 'httpbin.foo:8000') + mesh.matrixTable() + mesh.matrixCsv() + tourText()
const guide: Tour = tour()
const answer: string = callJson('{"op": "tour"}')

async function later(): Promise<void> {
  const m: Matrix = await mesh.matrixAsync()
  const checked: CheckReport = await mesh.checkAsync()
  const fromFiles: Mesh = await loadAsync(['cluster.yaml'], { istioVersion: '1.1' })
  // @ts-expect-error matrixAsync returns a promise
  const notAwaited: Matrix = mesh.matrixAsync()
  void [m, checked, fromFiles, notAwaited]
}

// Migration: stages, plan, simulate, diff, observed traffic; SARIF.
const stages: Stages = mesh.stages()
const meshStage: Stage = stages.mesh
const fooStage: Stage | undefined = stages.namespaces['foo']
const blockersOf: string[] = stages.services.flatMap((s) => s.blockers)
const blockerGroups: ClientGroup[] = [...stages.blockerGroups, ...stages.failingGroups]
const heldPorts: string[] = blockerGroups.flatMap((g) => [g.clientsText, g.holdsText, ...g.clients, ...g.holds])
// @ts-expect-error not a stage
const bogusStage: Stage = 'half-locked'

const options: PlanOptions = { goal: 'namespace=foo,bar', allowBreak: ['legacy/sleep'], metrics: 'metrics.prom' }
const plan: Plan = mesh.plan(options)
mesh.plan()
mesh.plan({ goal: 'mesh-strict', metrics: { name: 'm.json', text: '{}' } })
const stepNames: string[] = plan.steps.map((s) => s.name)
const manifests: string[] = plan.steps.flatMap((s) => [...s.apply, ...s.rollback, ...s.delete, ...s.rollbackDelete])
const lockedAfter: Stage | undefined = plan.steps[0]?.stages['httpbin.foo.svc.cluster.local:8000']?.after
const blocker: Blocker | undefined = plan.blockers[0]
const remedies: RemedyKind[] = plan.blockers.flatMap((b) => b.remedies.map((r) => r.kind))
const action: string | null | undefined = blocker?.remedies[0]?.action
const failingAfter: number = plan.final.failing
const remedyTargets: string[] = plan.blockers.flatMap((b) => b.remedies.map((r) => r.target))
const remedySet: RemedyChoice[] = plan.remedySet
const released: Array<[RemedyKind, string, number, number]> = remedySet.map((r) => [r.kind, r.target, r.edges, r.released])
const heldBack: string[] = [...plan.heldBack, ...plan.blockingClients.flatMap((g) => g.holds)]
const stepGroups: EdgeGroup[] = plan.steps.flatMap((s) => s.groups)
function goalText(goal: Goal): string {
  switch (goal.type) {
    case 'strict':
    case 'mesh-strict':
      return goal.type
    case 'namespaces':
      return goal.namespaces.join(',')
  }
}
goalText(plan.goal)
// @ts-expect-error not a goal
mesh.plan({ goal: 'lockdown' })
// @ts-expect-error allowBreak, not allow_break
mesh.plan({ allow_break: ['legacy/sleep'] })
// @ts-expect-error blockers belong to the plan, not to a step
plan.steps[0]?.blockers

const step: StepInput = { name: 'lock foo', apply: [manifests[0] ?? ''], delete: { builtin: 'seed' } }
const simulated: SimulatedStep[] = mesh.simulate([step, ['kind: Namespace'], 'kind: Namespace'])
const afterEach: Array<[string, Stage, number]> = simulated.map((s) => [s.name, s.stages.mesh, s.matrix.edges.length])
// @ts-expect-error a step is sources or {name, apply, delete}
mesh.simulate([{ name: 'x.yaml', text: 'kind: Namespace' }])

const changes: Diff = diff(mesh, mesh.apply('kind: Namespace'))
const broken: number = changes.broken + (changes.groups['mtls → fail'] ?? 0)
const change: EdgeChange | undefined = changes.changes[0]
const wasStatus: string | undefined = change?.before?.status
const refused: Diagnostic[] = changes.diagnostics
const byCause: Array<[Effect, string, number]> = changes.byCause.map((g) => [g.effect, g.change, g.edges])
// @ts-expect-error diff takes two meshes
diff(mesh)

const metrics: MetricsInput = { name: 'seed-step2.json', text: '{}' }
const ready: Reconciliation = mesh.ready(metrics)
mesh.ready('tests/telemetry/seed-step2.prom')
const readiness: Readiness | undefined = ready.services[0]?.readiness
const senders: Array<[string, number, boolean]> = ready.services.flatMap((s) => s.plaintextSenders.map((x) => [x.client, x.requests, x.inModel] as [string, number, boolean]))
// @ts-expect-error metrics inline need a name
mesh.ready({ text: '{}' })

const sarif: SarifLog = mesh.checkSarif()
const ruleIds: string[] = sarif.runs.flatMap((r) => r.results.map((x) => x.ruleId))
const lines: Array<number | undefined> = sarif.runs.flatMap((r) => r.results.map((x) => x.locations?.[0]?.physicalLocation.region?.startLine))
const fromFiles: CheckReport = check(['cluster.yaml', { builtin: 'seed' }], { istioVersion: '1.1' })
const fromFilesSarif: SarifLog = checkSarif(['cluster.yaml'])
// @ts-expect-error SARIF levels are error, warning, note
const level: 'info' = sarif.runs[0]!.results[0]!.level

async function planLater(): Promise<Plan> {
  // @ts-expect-error planAsync returns a promise
  const notAwaited: Plan = mesh.planAsync()
  void notAwaited
  return mesh.planAsync({ allowBreak: ['legacy/sleep'] })
}

void [stages, meshStage, fooStage, blockersOf, bogusStage, stepNames, lockedAfter, remedies, action, failingAfter, afterEach]
void [broken, wasStatus, refused, readiness, senders, ruleIds, lines, fromFiles, fromFilesSarif, level, planLater]
void [intended, effect, decidedBy, examples, bogusEffect, heldPorts, remedyTargets, released, heldBack, stepGroups, byCause]

try {
  mesh.probe('nope', 'x')
} catch (err) {
  if (err instanceof MeshlockError) {
    const code: ErrorCode = err.code
    const migration: boolean = code === 'unknown-namespace' || code === 'invalid-metrics'
    void migration
    const details: Diagnostic[] = err.diagnostics
    const message: string = err.message
    const asError: Error = err
    void [code, details, message, asError]
  }
}
const made = new MeshlockError('boom', { code: 'io' })
// @ts-expect-error not an error code
new MeshlockError('boom', { code: 'oops' })

void [exit, status, transport, verdict, steps, endpoints, wrongStatus, bogusReason, fromText, loaded, severity, line]
void [report, failing, mode, version, cells, sidecars, ports, text, guide, answer, later, made]
