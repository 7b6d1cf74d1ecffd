// The engine's Web Worker: the WASM build of meshlock, off the page's main thread, so that a
// 10,000-pod paste never freezes the page. It keeps the last loaded mesh for `explain` and `csv`.
import init, { Session, seedSource, tour } from 'meshlock-wasm'
import { compactMatrix } from './matrix'
import type { Answers, EngineError, Reply, Request } from './protocol'
import { encodeState } from './state'

let session: Session | null = null
const ready = init()

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
      const next = Session.load(request.sources, request.settings)
      session?.free()
      session = next
      const full = next.matrix()
      const matrix = compactMatrix(full)
      if (!matrix) throw { name: 'MeshlockError', code: 'internal', message: 'the matrix is not a clients × service ports grid', diagnostics: [] }
      return { matrix, diagnostics: next.diagnostics, settings: next.settings, engineMs: performance.now() - started }
    }
    case 'explain': {
      if (!session) throw { name: 'MeshlockError', code: 'bad-request', message: 'nothing is loaded', diagnostics: [] }
      return { outcome: session.probe(request.from, request.to), text: session.explain(request.from, request.to) }
    }
    case 'csv': {
      if (!session) throw { name: 'MeshlockError', code: 'bad-request', message: 'nothing is loaded', diagnostics: [] }
      return session.matrixCsv()
    }
    case 'tour':
      return tour()
    case 'seed':
      return seedSource()
    case 'encode':
      return encodeState(request.state)
  }
}

self.onmessage = async (event: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = event.data
  let reply: Reply
  try {
    await ready
    reply = { id, ok: true, value: handle(request) }
  } catch (err) {
    reply = { id, ok: false, ...errorOf(err) }
  }
  const value = reply.ok ? (reply.value as { matrix?: { cells?: Uint16Array } }) : null
  const transfer = value?.matrix?.cells ? [value.matrix.cells.buffer] : []
  ;(self as unknown as Worker).postMessage(reply, transfer)
}
