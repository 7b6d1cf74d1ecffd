// The page's side of the engine worker: promise-based calls, and a fresh worker after a crash.
import type { Answers, EngineError, Reply, Request } from './protocol'

export class EngineFailure extends Error implements EngineError {
  readonly code: string
  readonly diagnostics: EngineError['diagnostics']
  constructor(error: EngineError) {
    super(error.message)
    this.name = 'MeshlockError'
    this.code = error.code
    this.diagnostics = error.diagnostics
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class Engine {
  private worker: Worker
  private next = 1
  private pending = new Map<number, Pending>()
  /** Called after the worker was replaced (the page should re-run its last analysis). */
  onRestart: () => void = () => {}

  constructor(private readonly spawn: () => Worker) {
    this.worker = this.start()
  }

  private start(): Worker {
    const worker = this.spawn()
    worker.onmessage = (event: MessageEvent<Reply>) => this.receive(event.data)
    worker.onerror = (event) => {
      event.preventDefault()
      this.fail({ code: 'internal', message: `the engine stopped: ${event.message}`, diagnostics: [] })
    }
    return worker
  }

  private receive(reply: Reply): void {
    const waiting = this.pending.get(reply.id)
    this.pending.delete(reply.id)
    if (reply.ok) waiting?.resolve(reply.value)
    else {
      waiting?.reject(new EngineFailure(reply.error))
      if (reply.fatal) this.restart()
    }
  }

  private fail(error: EngineError): void {
    for (const waiting of this.pending.values()) waiting.reject(new EngineFailure(error))
    this.pending.clear()
    this.restart()
  }

  private restart(): void {
    this.worker.terminate()
    this.worker = this.start()
    this.onRestart()
  }

  call<K extends Request['op']>(request: Extract<Request, { op: K }>): Promise<Answers[K]> {
    const id = this.next++
    return new Promise<Answers[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ id, request })
    })
  }
}
