// Type test: a typed consumer of the package (imported by its own name, through package.json
// `exports` → index.d.ts). `tsc -p test/types` must pass; every `@ts-expect-error` line must fail.
import {
  Mesh,
  MeshlockError,
  callJson,
  load,
  loadAsync,
  tour,
  tourText,
  type CheckReport,
  type Diagnostic,
  type ErrorCode,
  type Matrix,
  type Outcome,
  type Reason,
  type ResolvedSettings,
  type Severity,
  type SourceInput,
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

try {
  mesh.probe('nope', 'x')
} catch (err) {
  if (err instanceof MeshlockError) {
    const code: ErrorCode = err.code
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
