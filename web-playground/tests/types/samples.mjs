// Writes samples.generated.ts: real results of the WASM build (through the Node package's adapter,
// bindings-node/wasm.cjs), each as a TypeScript literal with `satisfies <Type>`. `tsc -p tests/types`
// then fails when a result has a key the hand-written types (wasm/src/types.d.ts) lack, lacks one they require, or holds
// a value outside a string-literal union: the type stubs cannot drift from what the engine returns.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import YAML from 'yaml'

const { Mesh, MeshlockError, load, tour, diff, check, checkSarif } = createRequire(import.meta.url)('../../../bindings-node/wasm.cjs')

const scenario = (path) => YAML.parse(readFileSync(new URL(`../../../tests/scenarios/${path}`, import.meta.url), 'utf8'))
const sourcesOf = (s) => s.sources.map((x) => (x.builtin ? { builtin: x.builtin } : { name: x.name ?? 'input.yaml', text: x.yaml, namespace: x.namespace ?? null }))

const step3 = `apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata:
  name: example-httpbin-permissive
spec:
  targets:
  - name: httpbin
  peers:
  - mtls:
      mode: STRICT
`
const seed = Mesh.seed()
const strict = seed.apply(step3, { namespace: 'foo' })
const headless = scenario('outcomes/row-f-headless-mixed-endpoints-current.yaml')
const mixed = load(sourcesOf(headless), { istioVersion: headless.settings.istio_version })
const inferred = load([{ builtin: 'seed' }, { name: 'step3.yaml', text: step3, namespace: 'foo' }])
const published = scenario('seed/published-policy.yaml')

function errorOf(fn) {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof MeshlockError)) throw err
    return { name: err.name, message: err.message, code: err.code, diagnostics: err.diagnostics }
  }
  throw new Error('expected a MeshlockError')
}

const METRICS = `# TYPE istio_requests_total counter
istio_requests_total{reporter="destination",source_workload="sleep",source_workload_namespace="foo",destination_service="httpbin.foo.svc.cluster.local",connection_security_policy="mutual_tls"} 12
istio_requests_total{reporter="destination",source_workload="sleep",source_workload_namespace="legacy",destination_service="httpbin.foo.svc.cluster.local",connection_security_policy="none"} 3
istio_requests_total{reporter="destination",source_workload="unknown",source_workload_namespace="unknown",destination_service="httpbin.bar.svc.cluster.local",connection_security_policy="none"} 1
`
const plan = seed.plan()
const planAllowed = seed.plan({ goal: 'mesh-strict', allowBreak: ['legacy/sleep'] })
const planNamespace = seed.plan({ goal: 'namespace=foo', metrics: { name: 'metrics.prom', text: METRICS } })
const bad = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: httpbin
  namespace: foo
spec:
  host: httpbin.foo.svc.cluster.local
  trafficPolicy:
    tls:
      mode: DISABLE
`
const samples = {
  probe: ['Outcome', seed.probe('legacy/sleep', 'httpbin.foo:8000')],
  probeStrict: ['Outcome', strict.probe('legacy/sleep', 'httpbin.foo:8000')],
  probeUnknownHost: ['Outcome', seed.probe('legacy/sleep', 'nothing.foo:80')],
  probeAlternatives: ['Outcome', mixed.probe('foo/sleep', 'httpbin.foo:80')],
  matrix: ['Matrix', strict.matrix()],
  matrixMixed: ['Matrix', mixed.matrix()],
  namespaceMap: ['NamespaceMap', strict.namespaceMap()],
  namespaceMapMixed: ['NamespaceMap', mixed.namespaceMap()],
  matrixBetween: ['Matrix', strict.matrixBetween('legacy', null)],
  settings: ['ResolvedSettings', inferred.settings],
  diagnostics: ['Diagnostic[]', inferred.diagnostics],
  tour: ['Tour', tour()],
  check: ['CheckReport', strict.check()],
  checkMixed: ['CheckReport', mixed.check()],
  checkSarif: ['SarifLog', strict.checkSarif()],
  checkSources: ['CheckReport', check(sourcesOf(published), { istioVersion: '1.1' })],
  checkSourcesSarif: ['SarifLog', checkSarif(sourcesOf(published), { istioVersion: '1.1' })],
  checkSourcesSarifMesh: ['SarifLog', checkSarif([{ builtin: 'seed' }, { name: 'dr.yaml', text: bad }], { istioVersion: '1.1' })],
  stages: ['Stages', seed.stages()],
  stagesStrict: ['Stages', strict.stages()],
  plan: ['Plan', plan],
  planAllowed: ['Plan', planAllowed],
  planNamespace: ['Plan', planNamespace],
  simulate: ['SimulatedStep[]', seed.simulate([plan.steps[0].apply, { name: 'undo', apply: [], delete: plan.steps[0].rollbackDelete }])],
  diff: ['Diff', diff(seed, strict)],
  diffWeighed: ['Diff', diff(seed, strict, { edges: 'possible', metrics: { name: 'metrics.prom', text: METRICS } })],
  matrixBetweenWeighed: ['Matrix', strict.matrixBetween(null, 'foo', { edges: 'observed', metrics: { name: 'metrics.prom', text: METRICS } })],
  namespaceMapWeighed: ['NamespaceMap', strict.namespaceMap({ edges: 'declared,observed', metrics: { name: 'metrics.prom', text: METRICS } })],
  ready: ['Reconciliation', seed.ready({ name: 'metrics.prom', text: METRICS })],
  invalidMetrics: ['ErrorShape', errorOf(() => seed.ready({ name: 'bad.prom', text: 'istio_requests_total{ 1\n' }))],
  unknownNamespace: ['ErrorShape', errorOf(() => seed.plan({ goal: 'namespace=nowhere' }))],
  invalidInput: ['ErrorShape', errorOf(() => load(sourcesOf(published), { istioVersion: '1.1' }))],
  unknownClient: ['ErrorShape', errorOf(() => seed.probe('legacy/nobody', 'httpbin.foo:8000'))],
  badRequest: ['ErrorShape', errorOf(() => Mesh.fromYaml('a: b', { istioVersion: '2.0' }))],
}
if (!samples.probeAlternatives[1].alternatives) throw new Error('the headless sample must carry alternatives')
// Each optional or nullable branch of the migration types is exercised by some sample.
if (!samples.plan[1].blockers.length || !planAllowed.steps.some((s) => s.rollbackDelete.length)) throw new Error('the plan samples must carry blockers and rollbacks')
if (!samples.checkSourcesSarif[1].runs[0].results.some((r) => r.locations)) throw new Error('the SARIF sample must carry a located result')
if (!samples.ready[1].disagreements.length || !samples.ready[1].services.some((s) => s.plaintextSenders.length)) throw new Error('the readiness sample must carry disagreements and senders')
if (!samples.diffWeighed[1].scope || !samples.diffWeighed[1].changes.every((c) => c.evidence)) throw new Error('the weighed diff sample must carry its scope and evidence')
if (!samples.matrixBetweenWeighed[1].edges.length || !samples.matrixBetweenWeighed[1].edges.every((e) => e.evidence)) throw new Error('the weighed pair sample must carry evidence')
if (!samples.simulate[1][1].delta.length) throw new Error('the simulate sample must undo its first step')
// The grouped results too (#15): the types of the groups are only checked where a sample has one.
if (!samples.check[1].groups.length || !samples.diff[1].byCause.length || !samples.plan[1].steps.every((s) => s.groups.length)) {
  throw new Error('the check, diff and plan samples must carry edge groups')
}
if (!samples.stages[1].blockerGroups.length || !samples.stagesStrict[1].failingGroups.length || !samples.plan[1].remedySet.length || !samples.plan[1].blockingClients.length) {
  throw new Error('the stage and plan samples must carry client groups and a remedy set')
}

const lines = [
  '// Generated by samples.mjs from real results of the WASM build: do not edit, do not commit.',
  "import type { CheckReport, Diagnostic, Diff, ErrorCode, Matrix, NamespaceMap, Outcome, Plan, Reconciliation, ResolvedSettings, SarifLog, SimulatedStep, Stages, Tour } from '../../pkg-node/meshlock_wasm.js'",
  "type ErrorShape = { name: 'MeshlockError'; message: string; code: ErrorCode; diagnostics: Diagnostic[] }",
  '',
  ...Object.entries(samples).map(([name, [type, value]]) => `export const ${name} = ${JSON.stringify(value, null, 2)} satisfies ${type}\n`),
]
writeFileSync(new URL('./samples.generated.ts', import.meta.url), lines.join('\n'))
console.log(`samples.generated.ts: ${Object.keys(samples).length} samples`)
