// Pure helpers over the engine's matrix: filtering, cell classification, labels, the legend.
// The engine decides every outcome; these only arrange and label them. Unit-tested (vitest).
import type { ClientInfo, Edge, Matrix, ServicePortInfo } from 'meshlock-wasm'
import type { VerdictFilter } from './state'

export type Tone = 'ok-mtls' | 'ok-plaintext' | 'denied' | 'fail'
export type Lock = 'closed' | 'open' | 'none'

export interface Filters {
  clientNs: string
  serviceNs: string
  verdict: VerdictFilter
}

/** The rows (client indices) and columns (service-port indices) to show. */
export interface Window {
  rows: number[]
  cols: number[]
}

/** An edge without its endpoints: the few distinct outcomes a matrix holds. */
export type EdgeKind = Omit<Edge, 'from' | 'to'>

/**
 * The matrix as the worker sends it to the page: each cell an index into `kinds` (a typed array,
 * transferred without copying) instead of 160,000 edge objects to clone on the page's main thread.
 * A cell without an edge (outside the edge scope, or never called) holds `NO_EDGE`. Lossless:
 * `expandMatrix` gives back the engine's matrix.
 */
export interface MatrixData extends Omit<Matrix, 'edges'> {
  kinds: EdgeKind[]
  /** Client-major: cell `r * services.length + c` is the edge of client `r` and service port `c`. */
  cells: Uint16Array
}

/** A cell of the grid with no edge: the engine listed none for that client and service port. */
export const NO_EDGE = 0xffff

/** Packs the engine's matrix; `null` if its edges are not in the client-major order of its grid. */
export function compactMatrix(matrix: Matrix): MatrixData | null {
  const { clients, services, edges } = matrix
  const width = services.length
  const rowOf = new Map(clients.map((c, i) => [c.id, i]))
  const colOf = new Map(services.map((s, i) => [s.id, i]))
  const kinds: EdgeKind[] = []
  const index = new Map<string, number>()
  const cells = new Uint16Array(clients.length * width).fill(NO_EDGE)
  let last = -1
  for (const e of edges) {
    const row = rowOf.get(e.from)
    const col = colOf.get(e.to)
    if (row === undefined || col === undefined) return null
    const at = row * width + col
    if (at <= last) return null
    last = at
    const key = kindKey(e)
    let k = index.get(key)
    if (k === undefined) {
      k = kinds.length
      if (k >= NO_EDGE) return null
      kinds.push(kindOf(e))
      index.set(key, k)
    }
    cells[at] = k
  }
  return { settings: matrix.settings, clients, services, kinds, cells }
}

/** An edge's outcome and evidence, the engine's fields in its order (`evidence` only when given). */
function kindOf(e: EdgeKind): EdgeKind {
  const { status, curlExit, transport, verdict, reason, evidence } = e
  return evidence ? { status, curlExit, transport, verdict, reason, evidence } : { status, curlExit, transport, verdict, reason }
}

/** Equal for edges with the same outcome and evidence. */
export function kindKey(e: EdgeKind): string {
  return `${e.status}|${e.curlExit}|${e.transport}|${e.verdict}|${e.reason}|${e.evidence?.join(',') ?? ''}`
}

/** Whether some cells of the grid have no edge (an edge scope left them out). */
export function hasHoles(matrix: MatrixData): boolean {
  return matrix.cells.indexOf(NO_EDGE) >= 0
}

/** The edge of client `row` and service port `col`. */
export function edgeAt(matrix: MatrixData, row: number, col: number): Edge | undefined {
  const kind = matrix.kinds[matrix.cells[row * matrix.services.length + col] ?? -1]
  const client = matrix.clients[row]
  const service = matrix.services[col]
  if (!kind || !client || !service || col >= matrix.services.length) return undefined
  return { from: client.id, to: service.id, ...kind }
}

/** The engine's matrix again (for the JSON download). */
export function expandMatrix(matrix: MatrixData): Matrix {
  const edges: Edge[] = []
  for (let r = 0; r < matrix.clients.length; r++) {
    for (let c = 0; c < matrix.services.length; c++) {
      const e = edgeAt(matrix, r, c)
      if (e) edges.push(e)
    }
  }
  return { settings: matrix.settings, clients: matrix.clients, services: matrix.services, edges }
}

export function namespaceOf(id: string): string {
  const slash = id.indexOf('/')
  return slash < 0 ? '' : id.slice(0, slash)
}

export function clientNamespaces(matrix: MatrixData): string[] {
  return [...new Set(matrix.clients.map((c) => namespaceOf(c.id)))].sort()
}

export function serviceNamespaces(matrix: MatrixData): string[] {
  return [...new Set(matrix.services.map((s) => s.namespace))].sort()
}

function matches(edge: Edge | undefined, verdict: VerdictFilter): boolean {
  return verdict === 'all' || (edge !== undefined && edge.verdict === verdict)
}

/** Rows and columns left by the namespace filters; with a verdict filter, or edges left out by an
 * edge scope, only those holding a cell shown. */
export function filterMatrix(matrix: MatrixData, filters: Filters): Window {
  let rows = matrix.clients.flatMap((c, i) => (!filters.clientNs || namespaceOf(c.id) === filters.clientNs ? [i] : []))
  let cols = matrix.services.flatMap((s, i) => (!filters.serviceNs || s.namespace === filters.serviceNs ? [i] : []))
  if (filters.verdict !== 'all' || hasHoles(matrix)) {
    const shown = (r: number, c: number): boolean => {
      const edge = edgeAt(matrix, r, c)
      return edge !== undefined && matches(edge, filters.verdict)
    }
    const keepRows = rows.filter((r) => cols.some((c) => shown(r, c)))
    const keepCols = cols.filter((c) => keepRows.some((r) => shown(r, c)))
    rows = keepRows
    cols = keepCols
  }
  return { rows, cols }
}

/** Whether a cell is shown in full under the verdict filter (others are dimmed). */
export function cellMatches(edge: Edge, verdict: VerdictFilter): boolean {
  return matches(edge, verdict)
}

/** Denied by authorization: 403 on an HTTP port, a closed connection (000) on a TCP one. */
export function tone(edge: Pick<Edge, 'verdict' | 'transport' | 'reason'>): Tone {
  if (edge.verdict === 'ok') return edge.transport === 'mtls' ? 'ok-mtls' : 'ok-plaintext'
  return edge.reason === 'rbac-denied' ? 'denied' : 'fail'
}

export function lock(edge: Pick<Edge, 'transport'>): Lock {
  return edge.transport === 'mtls' ? 'closed' : edge.transport === 'plaintext' ? 'open' : 'none'
}

/** `httpbin.foo.svc.cluster.local:8000` → `httpbin.foo:8000`. */
export function shortTarget(to: string): string {
  return to.replace(/\.svc\.cluster\.local(?=:|$)/, '')
}

export function serviceLabel(service: ServicePortInfo): string {
  return `${service.name}.${service.namespace}:${service.port}`
}

export function clientLabel(client: ClientInfo): string {
  return client.id
}

/** What a screen reader (and the tooltip) says about a cell. */
export function describeEdge(edge: Edge): string {
  const transport = edge.transport ?? 'no connection'
  const exit = edge.curlExit !== 0 ? `, curl exit ${edge.curlExit}` : ''
  const evidence = edge.evidence ? `; evidence: ${edge.evidence.join(', ')}` : ''
  return `${edge.from} → ${shortTarget(edge.to)}: ${edge.status} (${transport}${exit}), ${edge.verdict}: ${edge.reason}${evidence}`
}

/** The edge of `from` → `to` in the grid, if it holds one. */
export function findEdge(matrix: MatrixData, from: string, to: string): Edge | undefined {
  const row = matrix.clients.findIndex((c) => c.id === from)
  const col = matrix.services.findIndex((s) => s.id === to)
  return row < 0 || col < 0 ? undefined : edgeAt(matrix, row, col)
}

export interface Summary {
  edges: number
  ok: number
  fail: number
  mtls: number
  plaintext: number
}

export function summarize(matrix: MatrixData): Summary {
  const out: Summary = { edges: 0, ok: 0, fail: 0, mtls: 0, plaintext: 0 }
  for (const k of matrix.cells) {
    const e = matrix.kinds[k]
    if (!e) continue
    out.edges++
    if (e.verdict === 'ok') out.ok++
    else out.fail++
    if (e.transport === 'mtls') out.mtls++
    else if (e.transport === 'plaintext') out.plaintext++
  }
  return out
}

export const LEGEND: Array<{ tone: Tone; lock: Lock; label: string }> = [
  { tone: 'ok-mtls', lock: 'closed', label: 'works, mutual TLS' },
  { tone: 'ok-plaintext', lock: 'open', label: 'works, plaintext' },
  { tone: 'fail', lock: 'none', label: 'fails (000 / 503)' },
  { tone: 'denied', lock: 'closed', label: 'denied (403, or closed on TCP)' },
]
