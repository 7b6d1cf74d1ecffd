// Writes samples.generated.ts: real results, each as a TypeScript object literal with
// `satisfies <Type>`. `tsc -p test/types` then fails if a result has a key the types lack (excess
// property check), lacks one they require, or holds a value outside a string-literal union: the
// types (generated from the core's Rust types, schema/) cannot drift from what the engine returns.
// One module for both engines of the Node API: the native addon (run as a script, here) and the
// WASM build through its Node adapter (web-playground/tests/types/samples.mjs calls writeSamples).
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import YAML from 'yaml'

const repo = (path) => new URL(`../../../${path}`, import.meta.url)
const scenario = (path) => YAML.parse(readFileSync(repo(`tests/scenarios/${path}`), 'utf8'))
const sourcesOf = (s) =>
  s.sources.map((x) => (x.builtin ? { builtin: x.builtin } : { name: x.name ?? 'input.yaml', text: x.yaml, namespace: x.namespace ?? null }))

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
const METRICS = `# TYPE istio_requests_total counter
istio_requests_total{reporter="destination",source_workload="sleep",source_workload_namespace="foo",destination_service="httpbin.foo.svc.cluster.local",connection_security_policy="mutual_tls"} 12
istio_requests_total{reporter="destination",source_workload="sleep",source_workload_namespace="legacy",destination_service="httpbin.foo.svc.cluster.local",connection_security_policy="none"} 3
istio_requests_total{reporter="destination",source_workload="unknown",source_workload_namespace="unknown",destination_service="httpbin.bar.svc.cluster.local",connection_security_policy="none"} 1
`
const metrics = { name: 'metrics.prom', text: METRICS }
const badRule = `apiVersion: networking.istio.io/v1alpha3
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

/**
 * Writes `out` (a file URL) with the samples of `api` (the Node API: `Mesh`, `load`, …), its types
 * imported from `types`. Both engines read paths (the WASM one through node:fs), so samples read
 * intents and metrics from files too.
 */
export function writeSamples({ api, types, out }) {
  const { Mesh, MeshlockError, check, checkSarif, diff, load, tour } = api
  const errorOf = (fn) => {
    try {
      fn()
    } catch (err) {
      if (!(err instanceof MeshlockError)) throw err
      return { name: err.name, message: err.message, code: err.code, diagnostics: err.diagnostics }
    }
    throw new Error('expected a MeshlockError')
  }
  const seed = Mesh.seed()
  const strict = seed.apply(step3, { namespace: 'foo' })
  const headless = scenario('outcomes/row-f-headless-mixed-endpoints-current.yaml')
  const mixed = load(sourcesOf(headless), { istioVersion: headless.settings.istio_version })
  const inferred = load([{ builtin: 'seed' }, { name: 'step3.yaml', text: step3, namespace: 'foo' }])
  const published = sourcesOf(scenario('seed/published-policy.yaml'))
  const plan = seed.plan()
  const allowLegacy = seed.plan({ allowBreak: ['legacy/sleep'] })
  const planAllowed = seed.plan({ goal: 'mesh-strict', allowBreak: ['legacy/sleep'] })

  const samples = {
    probe: ['Outcome', seed.probe('legacy/sleep', 'httpbin.foo:8000')],
    probeStrict: ['Outcome', strict.probe('legacy/sleep', 'httpbin.foo:8000')],
    probeUnknownHost: ['Outcome', seed.probe('legacy/sleep', 'nothing.foo:80')],
    probeAlternatives: ['Outcome', mixed.probe('foo/sleep', 'httpbin.foo:80')],
    matrix: ['Matrix', strict.matrix()],
    matrixMixed: ['Matrix', mixed.matrix()],
    namespaceMap: ['NamespaceMap', strict.namespaceMap()],
    namespaceMapMixed: ['NamespaceMap', mixed.namespaceMap()],
    namespaceMapWeighed: ['NamespaceMap', strict.namespaceMap({ edges: 'declared,observed', metrics })],
    matrixBetween: ['Matrix', strict.matrixBetween('legacy', null)],
    matrixBetweenWeighed: ['Matrix', strict.matrixBetween(null, 'foo', { edges: 'observed', metrics })],
    settings: ['ResolvedSettings', inferred.settings],
    diagnostics: ['Diagnostic[]', inferred.diagnostics],
    tour: ['Tour', tour()],
    check: ['CheckReport', strict.check()],
    checkMixed: ['CheckReport', mixed.check()],
    checkSources: ['CheckReport', check(published, { istioVersion: '1.1' })],
    sarif: ['SarifLog', strict.checkSarif()],
    sarifSources: ['SarifLog', checkSarif(published, { istioVersion: '1.1' })],
    sarifSourcesMesh: ['SarifLog', checkSarif([{ builtin: 'seed' }, { name: 'dr.yaml', text: badRule }], { istioVersion: '1.1' })],
    stages: ['Stages', seed.stages()],
    stagesBroken: ['Stages', strict.stages()],
    plan: ['Plan', plan],
    planAllowBreak: ['Plan', allowLegacy],
    planAllowed: ['Plan', planAllowed],
    planNamespaces: ['Plan', seed.plan({ goal: 'namespace=foo', metrics })],
    simulate: ['SimulatedStep[]', seed.simulate(allowLegacy.steps.slice(0, 2).map((s) => ({ name: s.name, apply: s.apply })))],
    simulateUndo: ['SimulatedStep[]', seed.simulate([plan.steps[0].apply, { name: 'undo', apply: [], delete: plan.steps[0].rollbackDelete }])],
    diff: ['Diff', diff(seed, strict)],
    diffBack: ['Diff', diff(strict, seed)],
    diffWeighed: ['Diff', diff(seed, strict, { edges: 'possible', metrics })],
    ready: ['Reconciliation', seed.ready(metrics)],
    invalidInput: ['ErrorShape', errorOf(() => load(published, { istioVersion: '1.1' }))],
    unknownClient: ['ErrorShape', errorOf(() => seed.probe('legacy/nobody', 'httpbin.foo:8000'))],
    unknownNamespace: ['ErrorShape', errorOf(() => seed.plan({ goal: 'namespace=nowhere' }))],
    invalidMetrics: ['ErrorShape', errorOf(() => seed.ready({ name: 'bad.prom', text: 'istio_requests_total{ 1\n' }))],
    badRequest: ['ErrorShape', errorOf(() => Mesh.fromYaml('a: b', { istioVersion: '2.0' }))],
  }
  const coreSeed = (name) => ({ name, text: readFileSync(repo(`core/seed/${name}`), 'utf8'), namespace: 'foo' })
  const telemetry = (name) => repo(`tests/telemetry/${name}`).pathname
  const step2 = seed.apply([coreSeed('step1-policy.yaml'), coreSeed('step2-destinationrule.yaml')])
  Object.assign(samples, {
    planObserved: ['Plan', step2.plan({ goal: 'namespace=foo', allowBreak: ['legacy/sleep'], metrics: telemetry('contradiction.prom') })],
    readyFile: ['Reconciliation', step2.ready(telemetry('seed-step2.json'))],
    readyDisagreements: ['Reconciliation', step2.ready(telemetry('contradiction.prom'))],
    invalidMetricsFile: ['ErrorShape', errorOf(() => seed.ready(telemetry('malformed.prom')))],
  })
  if (!samples.planObserved[1].blockers.some((b) => b.wouldGet === 'observed plaintext')) throw new Error('the observed plan must be held back')
  if (!samples.readyDisagreements[1].disagreements.length) throw new Error('the contradiction sample must disagree')
  // Each optional or nullable branch of the types is exercised by some sample.
  if (!samples.probeAlternatives[1].alternatives) throw new Error('the headless sample must carry alternatives')
  if (!samples.check[1].failing.length || !samples.check[1].exposure.length) throw new Error('the check sample must fail edges')
  if (!samples.sarifSources[1].runs[0].results.some((r) => r.locations?.[0]?.physicalLocation.region)) throw new Error('the SARIF sample must locate a result')
  if (!samples.diff[1].changes.length || samples.stagesBroken[1].mesh !== 'broken') throw new Error('the step-3 samples must break')
  if (!samples.plan[1].blockers.length || !planAllowed.steps.some((s) => s.rollbackDelete.length)) throw new Error('the plan samples must carry blockers and rollbacks')
  if (!samples.ready[1].disagreements.length || !samples.ready[1].services.some((s) => s.plaintextSenders.length)) throw new Error('the readiness sample must carry disagreements and senders')
  if (!samples.diffWeighed[1].scope || !samples.diffWeighed[1].changes.every((c) => c.evidence)) throw new Error('the weighed diff sample must carry its scope and evidence')
  if (!samples.matrixBetweenWeighed[1].edges.length || !samples.matrixBetweenWeighed[1].edges.every((e) => e.evidence)) throw new Error('the weighed pair sample must carry evidence')
  if (!samples.simulateUndo[1][1].delta.length) throw new Error('the simulate sample must undo its first step')
  // The grouped results too (#15): the types of the groups are only checked where a sample has one.
  if (!samples.check[1].groups.length || !samples.diff[1].byCause.length || !samples.planAllowBreak[1].steps.every((s) => s.groups.length)) {
    throw new Error('the check, diff and plan samples must carry edge groups')
  }
  if (!samples.stages[1].blockerGroups.length || !samples.stagesBroken[1].failingGroups.length || !samples.plan[1].remedySet.length || !samples.plan[1].blockingClients.length) {
    throw new Error('the stage and plan samples must carry client groups and a remedy set')
  }

  const lines = [
    '// Generated by samples.mjs from real results: do not edit, do not commit.',
    `import type { CheckReport, Diagnostic, Diff, ErrorCode, Matrix, NamespaceMap, Outcome, Plan, Reconciliation, ResolvedSettings, SarifLog, SimulatedStep, Stages, Tour } from '${types}'`,
    "type ErrorShape = { name: 'MeshlockError'; message: string; code: ErrorCode; diagnostics: Diagnostic[] }",
    '',
    ...Object.entries(samples).map(([name, [type, value]]) => `export const ${name} = ${JSON.stringify(value, null, 2)} satisfies ${type}\n`),
  ]
  writeFileSync(out, lines.join('\n'))
  console.log(`${out.pathname}: ${Object.keys(samples).length} samples`)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeSamples({
    api: createRequire(import.meta.url)('meshlock'),
    types: 'meshlock',
    out: new URL('./samples.generated.ts', import.meta.url),
  })
}
