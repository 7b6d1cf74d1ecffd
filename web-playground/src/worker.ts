// The engine's Web Worker: the WASM build of meshlock, off the page's main thread, so that a
// 10,000-pod paste never freezes the page. It keeps the last loaded mesh for `explain`, `csv`,
// `check` and `plan`, and the last plan with the meshes after its steps (built on demand, for
// explaining a cell after a step).
import init, { type Plan, type PlanOptions, Mesh, type WeighOptions, checkInputSize, checkSarif, seedSource, tour } from 'meshlock-wasm'
import { type MatrixData, compactMatrix } from './matrix'
import type { Answers, EngineError, FileSources, Reply, Request, Scoped, Weigh } from './protocol'
import { encodeState } from './state'

let session: Mesh | null = null
let plan: Plan | null = null
/** `after[k]`: the mesh after the first k + 1 steps of `plan`. */
let after: Mesh[] = []
const ready = init()

/** Above this many edges the page gets the map and the grids of its pairs, not every edge: a
 * 10,000-pod dump has ~23 million edges, whose JSON would not fit in a JavaScript string. */
const FULL_MATRIX_UP_TO = 500_000

class Failure {
  readonly name = 'MeshlockError'
  readonly diagnostics = []
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

function loaded(): Mesh {
  if (!session) throw new Failure('bad-request', 'nothing is loaded')
  return session
}

function forgetPlan(): void {
  for (const s of after) s.free()
  after = []
  plan = null
}

/** A plan step's manifests as sources, named after the step. */
function stepSources(yaml: string[], name: string): Array<{ name: string; text: string; namespace: null }> {
  return yaml.map((text, i) => ({ name: yaml.length > 1 ? `${name}-${i + 1}.yaml` : `${name}.yaml`, text, namespace: null }))
}

/** The mesh after the first `steps` steps of the last plan (steps that delete are simulated only). */
function meshAfter(steps: number): Mesh {
  const base = loaded()
  if (steps <= 0) return base
  if (!plan || steps > plan.steps.length) throw new Failure('bad-request', 'no such plan step: plan again')
  while (after.length < steps) {
    const step = plan.steps[after.length]
    if (!step) break
    if (step.delete.length > 0) throw new Failure('unsupported', `step ${step.name} deletes resources: its cells can be shown, not explained`)
    after.push((after.at(-1) ?? base).apply(stepSources(step.apply, step.name), null))
  }
  return after[steps - 1] ?? base
}

function grid(matrix: Parameters<typeof compactMatrix>[0]): MatrixData {
  const data = compactMatrix(matrix)
  if (!data) throw new Failure('internal', 'the matrix is not a clients × service ports grid')
  return data
}

/** The engine's weighing options: the scope, and the metrics box's text when there is one. */
function weighInput(weigh: Weigh): WeighOptions {
  return weigh.metrics ? { edges: weigh.edges, metrics: { name: 'metrics', text: weigh.metrics } } : { edges: weigh.edges }
}

/** The map and (for a mesh the page holds whole) the grid under the scope; `null` for `all`. */
function scoped(mesh: Mesh, weigh: Weigh, whole: boolean): Scoped | null {
  if (weigh.edges === 'all') return null
  const options = weighInput(weigh)
  return { edges: weigh.edges, map: mesh.namespaceMap(options), matrix: whole ? grid(mesh.matrixBetween(null, null, options)) : null }
}

function errorOf(err: unknown): { error: EngineError; fatal: boolean } {
  if (err instanceof WebAssembly.RuntimeError) {
    // A panic aborted the instance (wasm32 has no unwinding): the page replaces this worker.
    return { error: { code: 'internal', message: `internal error in meshlock (please report it): ${err.message}`, diagnostics: [] }, fatal: true }
  }
  const e = err as Partial<EngineError> & { name?: string }
  if (e && e.name === 'MeshlockError') {
    return { error: { code: e.code ?? 'internal', message: e.message ?? '', diagnostics: e.diagnostics ?? [] }, fatal: false }
  }
  return { error: { code: 'internal', message: String((err as Error)?.message ?? err), diagnostics: [] }, fatal: false }
}

function handle(request: Request): Answers[keyof Answers] {
  switch (request.op) {
    case 'analyze': {
      const started = performance.now()
      const next = Mesh.load(request.sources, request.settings)
      forgetPlan()
      session?.free()
      session = next
      // The map first: it builds the class table that the matrix (or a pair's grid) then reads.
      const map = next.namespaceMap(null)
      const whole = map.edges <= FULL_MATRIX_UP_TO
      // Every edge with its evidence (scope `all`): the plan view and the downloads read it whole.
      const matrix = whole ? grid(next.matrixBetween(null, null, weighInput({ ...request.weigh, edges: 'all' }))) : null
      const inScope = scoped(next, request.weigh, whole)
      return { matrix, map, scoped: inScope, diagnostics: next.diagnostics, settings: next.settings, engineMs: performance.now() - started }
    }
    case 'scope':
      return scoped(loaded(), request.weigh, request.whole)
    case 'pair':
      return grid(loaded().matrixBetween(request.clientNs, request.serviceNs, weighInput(request.weigh)))
    case 'explain': {
      const mesh = meshAfter(request.step ?? 0)
      return { outcome: mesh.probe(request.from, request.to), text: mesh.explain(request.from, request.to) }
    }
    case 'csv':
      return loaded().matrixCsv()
    case 'check':
      return loaded().check(null)
    case 'sarif':
      return checkSarif(request.sources, request.settings)
    case 'plan': {
      const next = loaded().plan({ goal: request.goal as PlanOptions['goal'], allowBreak: request.allowBreak })
      forgetPlan()
      plan = next
      return next
    }
    case 'simulate': {
      if (!plan || request.steps < 1 || request.steps > plan.steps.length) throw new Failure('bad-request', 'no such plan step: plan again')
      const steps = plan.steps.slice(0, request.steps).map((s) => ({ name: s.name, apply: stepSources(s.apply, s.name), delete: stepSources(s.delete, s.name) }))
      const last = loaded().simulate(steps).at(-1)
      if (!last) throw new Failure('internal', 'the engine simulated no step')
      return grid(last.matrix)
    }
    case 'tour':
      return tour()
    case 'seed':
      return seedSource()
    case 'encode':
      return encodeState(request.state)
  }
}

/** Files opened from disk, read here (off the page's main thread) and added to the sources: each
 * refused unread when the input would pass the size limit, its bytes given to the engine, which
 * decodes them as the CLI decodes a file (`Blob.text()` would replace bytes that are not text, and
 * misread UTF-16). */
async function withFiles(request: Request): Promise<Request> {
  if ((request.op !== 'analyze' && request.op !== 'sarif') || !request.files?.length) return request
  const files: FileSources = request.files
  let total = 0
  for (const f of files) {
    total += f.file.size
    checkInputSize(f.name, total, request.settings)
  }
  const read = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.file.arrayBuffer()), namespace: f.namespace })))
  return { ...request, sources: [...request.sources, ...read], files: [] }
}

self.onmessage = async (event: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = event.data
  let reply: Reply
  try {
    await ready
    reply = { id, ok: true, value: handle(await withFiles(request)) }
  } catch (err) {
    reply = { id, ok: false, ...errorOf(err) }
  }
  const value = reply.ok ? (reply.value as { matrix?: { cells?: Uint16Array } | null; scoped?: { matrix?: { cells?: Uint16Array } | null } | null; cells?: unknown } | null) : null
  const grids = [value?.matrix?.cells, value?.scoped?.matrix?.cells, value?.cells instanceof Uint16Array ? value.cells : undefined]
  const transfer = grids.flatMap((cells) => (cells ? [cells.buffer] : []))
  ;(self as unknown as Worker).postMessage(reply, transfer)
}
