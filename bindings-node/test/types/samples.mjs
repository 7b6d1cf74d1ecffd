// Writes samples.generated.ts: real results of the native addon, each as a TypeScript object
// literal with `satisfies <Interface>`. `tsc -p test/types` then fails if a result has a key the
// hand-written interfaces in types.d.ts lack (excess property check), lacks one they require, or
// holds a value outside a string-literal union: the interfaces cannot drift from the core.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import YAML from 'yaml'

const { Mesh, MeshlockError, check, checkSarif, diff, load, tour } = createRequire(import.meta.url)('meshlock')

const scenario = (path) => YAML.parse(readFileSync(new URL(`../../../tests/scenarios/${path}`, import.meta.url), 'utf8'))
const sourcesOf = (s) => s.sources.map((x) => (x.builtin ? { builtin: x.builtin } : { name: x.name, text: x.yaml, namespace: x.namespace ?? null }))

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

function errorOf(fn) {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof MeshlockError)) throw err
    return { name: err.name, message: err.message, code: err.code, diagnostics: err.diagnostics }
  }
  throw new Error('expected a MeshlockError')
}
const published = scenario('seed/published-policy.yaml')
const coreSeed = (name) => ({ name, text: readFileSync(new URL(`../../../core/seed/${name}`, import.meta.url), 'utf8'), namespace: 'foo' })
const telemetry = (name) => new URL(`../../../tests/telemetry/${name}`, import.meta.url).pathname
const step2 = seed.apply([coreSeed('step1-policy.yaml'), coreSeed('step2-destinationrule.yaml')])
const allowLegacy = seed.plan({ allowBreak: ['legacy/sleep'] })

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
  check: ['CheckReport', strict.check()],
  checkMixed: ['CheckReport', mixed.check()],
  diagnostics: ['Array<Diagnostic>', inferred.diagnostics],
  tour: ['Tour', tour()],
  invalidInput: ['ErrorShape', errorOf(() => load(sourcesOf(published), { istioVersion: '1.1' }))],
  unknownClient: ['ErrorShape', errorOf(() => seed.probe('legacy/nobody', 'httpbin.foo:8000'))],
  checkSources: ['CheckReport', check(sourcesOf(published), { istioVersion: '1.1' })],
  sarif: ['SarifLog', strict.checkSarif()],
  sarifSources: ['SarifLog', checkSarif(sourcesOf(published), { istioVersion: '1.1' })],
  stages: ['Stages', seed.stages()],
  stagesBroken: ['Stages', strict.stages()],
  plan: ['Plan', seed.plan()],
  planAllowBreak: ['Plan', allowLegacy],
  planNamespaces: ['Plan', seed.plan({ goal: 'namespace=foo' })],
  planObserved: ['Plan', step2.plan({ goal: 'namespace=foo', allowBreak: ['legacy/sleep'], metrics: telemetry('contradiction.prom') })],
  simulate: ['Array<SimulatedStep>', seed.simulate(allowLegacy.steps.slice(0, 2).map((s) => ({ name: s.name, apply: s.apply })))],
  diff: ['Diff', diff(seed, strict)],
  diffBack: ['Diff', diff(strict, seed)],
  ready: ['Reconciliation', step2.ready(telemetry('seed-step2.json'))],
  readyDisagreements: ['Reconciliation', step2.ready(telemetry('contradiction.prom'))],
  invalidMetrics: ['ErrorShape', errorOf(() => seed.ready(telemetry('malformed.prom')))],
  unknownNamespace: ['ErrorShape', errorOf(() => seed.plan({ goal: 'namespace=nope' }))],
}
if (!samples.probeAlternatives[1].alternatives) throw new Error('the headless sample must carry alternatives')
if (!samples.check[1].failing.length || !samples.check[1].exposure.length) throw new Error('the check sample must fail edges')
if (!samples.sarifSources[1].runs[0].results.some((r) => r.locations?.[0]?.physicalLocation.region)) throw new Error('the SARIF sample must locate a result')
if (!samples.planObserved[1].blockers.some((b) => b.wouldGet === 'observed plaintext')) throw new Error('the observed plan must be held back')
if (!samples.readyDisagreements[1].disagreements.length) throw new Error('the contradiction sample must disagree')
if (!samples.diff[1].changes.length || samples.stagesBroken[1].mesh !== 'broken') throw new Error('the step-3 samples must break')
// The grouped results too (#15): the interfaces of the groups are only checked where a sample has one.
if (!samples.check[1].groups.length || !samples.diff[1].byCause.length || !samples.planAllowBreak[1].steps.every((s) => s.groups.length)) {
  throw new Error('the check, diff and plan samples must carry edge groups')
}
if (!samples.stages[1].blockerGroups.length || !samples.stagesBroken[1].failingGroups.length || !samples.plan[1].remedySet.length || !samples.plan[1].blockingClients.length) {
  throw new Error('the stage and plan samples must carry client groups and a remedy set')
}

const lines = [
  '// Generated by samples.mjs from real results: do not edit, do not commit.',
  "import type { CheckReport, Diagnostic, Diff, ErrorCode, Matrix, NamespaceMap, Outcome, Plan, Reconciliation, ResolvedSettings, SarifLog, SimulatedStep, Stages, Tour } from 'meshlock'",
  "type ErrorShape = { name: 'MeshlockError'; message: string; code: ErrorCode; diagnostics: Array<Diagnostic> }",
  '',
  ...Object.entries(samples).map(([name, [type, value]]) => `export const ${name} = ${JSON.stringify(value, null, 2)} satisfies ${type}\n`),
]
writeFileSync(new URL('./samples.generated.ts', import.meta.url), lines.join('\n'))
console.log(`samples.generated.ts: ${Object.keys(samples).length} samples`)
