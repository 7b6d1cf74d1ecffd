// A consumer of the WASM Node adapter's types (node/index.d.cts) and of the browser engine's
// generated types (pkg/meshlock_wasm.d.ts): compiles only if both say what the code relies on.
import * as adapter from '../../node/index.cjs'
import { Mesh, MeshlockError, load, tour } from '../../node/index.cjs'
import type { Diagnostic, Edge, Matrix, Outcome } from '../../node/index.cjs'
import init, { Session, seedSettings, seedSource, tour as engineTour, version } from '../../pkg/meshlock_wasm.js'
import type { MeshlockErrorShape, Tour as EngineTour } from '../../pkg/meshlock_wasm.js'

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
const target: 'wasm' = adapter.__bindingTarget

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

// @ts-expect-error: Mesh is made by its factories only
new Mesh()
// @ts-expect-error: unknown option
Mesh.fromYaml('x', { istioVersio: '1.1' })
// @ts-expect-error: curlExit is a number
const wrong: string = outcome.curlExit

async function browser(): Promise<void> {
  await init()
  const session: Session = Session.load([{ builtin: 'seed' }], seedSettings())
  const o: Outcome = session.probe('legacy/sleep', 'httpbin.foo:8000')
  const m: Matrix = session.matrix()
  const d: Diagnostic[] = session.diagnostics
  const text: string = session.explain('legacy/sleep', 'httpbin.foo:8000') + session.matrixCsv() + version()
  const t: EngineTour = engineTour()
  const name: string = seedSource().name
  const next: Session = session.apply([{ name: 'p.yaml', text: 'x: 1', namespace: 'foo' }])
  let error: MeshlockErrorShape | null = null
  try {
    Session.load('bad', null)
  } catch (err) {
    error = err as MeshlockErrorShape
  }
  void [o, m, d, text, t, name, next, error]
}

void [exit, transport, edge, line, steps, pending, target, wrong, browser]
