// The graph view (SVG): namespaces as groups, client workloads and service ports as nodes, each
// matrix edge a curve coloured (and dashed) by its outcome. For small meshes or filtered views.
import type { Edge } from 'meshlock-wasm'
import { type MatrixData, cellMatches, describeEdge, edgeAt, namespaceOf, serviceLabel, tone, type Window } from './matrix'
import type { VerdictFilter } from './state'

const NS = 'http://www.w3.org/2000/svg'
export const GRAPH_LIMIT = { nodes: 400, edges: 4000 }

const NODE_H = 26
const GROUP_W = 360
const GROUP_GAP = 40
const PAD = 34

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  parent?.appendChild(e)
  return e
}

export interface GraphLayout {
  width: number
  height: number
  groups: Array<{ namespace: string; x: number; y: number; w: number; h: number }>
  clients: Map<number, { x: number; y: number }>
  services: Map<number, { x: number; y: number }>
}

/** The widest the graph gets before namespaces wrap to a new row (px). */
export const GRAPH_MAX_WIDTH = 1600

/**
 * Namespaces in rows, left to right, wrapping at `maxWidth` so that none is cut off however many
 * there are (the host scrolls down, never sideways past its width); in each, clients on the left,
 * service ports on the right.
 */
export function layout(matrix: MatrixData, window: Window, maxWidth = GRAPH_MAX_WIDTH): GraphLayout {
  const namespaces = [
    ...new Set([...window.rows.map((r) => namespaceOf(matrix.clients[r]?.id ?? '')), ...window.cols.map((c) => matrix.services[c]?.namespace ?? '')]),
  ].sort()
  const out: GraphLayout = { width: 0, height: 0, groups: [], clients: new Map(), services: new Map() }
  const perRow = Math.max(1, Math.min(namespaces.length, Math.floor((maxWidth - PAD * 2 + GROUP_GAP) / (GROUP_W + GROUP_GAP))))
  let y = PAD
  for (let first = 0; first < namespaces.length; first += perRow) {
    let rowHeight = 0
    namespaces.slice(first, first + perRow).forEach((namespace, i) => {
      const x = PAD + i * (GROUP_W + GROUP_GAP)
      const rows = window.rows.filter((r) => namespaceOf(matrix.clients[r]?.id ?? '') === namespace)
      const cols = window.cols.filter((c) => matrix.services[c]?.namespace === namespace)
      rows.forEach((r, k) => out.clients.set(r, { x: x + 16, y: y + 34 + k * (NODE_H + 10) }))
      cols.forEach((c, k) => out.services.set(c, { x: x + GROUP_W - 16, y: y + 34 + k * (NODE_H + 10) }))
      const h = 44 + Math.max(rows.length, cols.length, 1) * (NODE_H + 10)
      out.groups.push({ namespace, x, y, w: GROUP_W, h })
      rowHeight = Math.max(rowHeight, h)
    })
    y += rowHeight + GROUP_GAP
  }
  out.width = PAD * 2 + Math.min(perRow, namespaces.length) * (GROUP_W + GROUP_GAP) - (namespaces.length ? GROUP_GAP : 0)
  out.height = Math.max(y - GROUP_GAP + PAD, PAD * 2)
  return out
}

/** Draws the graph into `root`; returns false (and says why) when it is too large to draw. */
export function drawGraph(
  root: HTMLElement,
  matrix: MatrixData,
  window: Window,
  verdict: VerdictFilter,
  selected: { from: string; to: string } | null,
  onSelect: (edge: Edge) => void,
): boolean {
  const edges: Array<{ edge: Edge; r: number; c: number }> = []
  for (const r of window.rows) {
    for (const c of window.cols) {
      const edge = edgeAt(matrix, r, c)
      if (edge && cellMatches(edge, verdict)) edges.push({ edge, r, c })
    }
  }
  if (window.rows.length + window.cols.length > GRAPH_LIMIT.nodes || edges.length > GRAPH_LIMIT.edges) {
    const note = document.createElement('p')
    note.className = 'graph-too-large'
    note.textContent = `${window.rows.length} clients, ${window.cols.length} service ports and ${edges.length} edges are too many to draw: filter by namespace or verdict (at most ${GRAPH_LIMIT.nodes} nodes and ${GRAPH_LIMIT.edges} edges).`
    root.replaceChildren(note)
    return false
  }
  const geo = layout(matrix, window, root.clientWidth || GRAPH_MAX_WIDTH)
  const top = svg('svg', { class: 'graph', width: geo.width, height: geo.height, viewBox: `0 0 ${geo.width} ${geo.height}`, role: 'img' })
  svg('title', {}, top).textContent = 'reachability graph: namespaces, client workloads (circles) and service ports (boxes)'
  const defs = svg('defs', {}, top)
  for (const t of ['ok-mtls', 'ok-plaintext', 'fail', 'denied']) {
    const marker = svg('marker', { id: `arrow-${t}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs)
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrow tone-${t}` }, marker)
  }
  for (const g of geo.groups) {
    const group = svg('g', { class: 'ns-group' }, top)
    svg('rect', { x: g.x, y: g.y, width: g.w, height: g.h, rx: 10, class: 'ns-box' }, group)
    svg('text', { x: g.x + 12, y: g.y + 20, class: 'ns-label' }, group).textContent = `namespace ${g.namespace}`
  }
  const edgeLayer = svg('g', { class: 'edges' }, top)
  for (const { edge, r, c } of edges) {
    const a = geo.clients.get(r)
    const b = geo.services.get(c)
    if (!a || !b) continue
    const x1 = a.x + 8
    const x2 = b.x - 8
    const bend = Math.max(60, Math.abs(x2 - x1) / 3)
    const t = tone(edge)
    const isSelected = selected?.from === edge.from && selected.to === edge.to
    const path = svg(
      'path',
      {
        d: `M${x1},${a.y} C${x1 + bend},${a.y} ${x2 - bend},${b.y} ${x2},${b.y}`,
        class: `edge tone-${t} transport-${edge.transport ?? 'none'}${isSelected ? ' selected' : ''}`,
        'marker-end': `url(#arrow-${t})`,
        'data-from': edge.from,
        'data-to': edge.to,
        'data-status': edge.status,
        tabindex: 0,
        role: 'button',
        'aria-label': describeEdge(edge),
      },
      edgeLayer,
    )
    svg('title', {}, path).textContent = describeEdge(edge)
    path.addEventListener('click', () => onSelect(edge))
    path.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') onSelect(edge)
    })
  }
  const nodes = svg('g', { class: 'nodes' }, top)
  for (const [r, p] of geo.clients) {
    const client = matrix.clients[r]
    if (!client) continue
    const g = svg('g', { class: `node client ${client.sidecar ? 'has-sidecar' : 'no-sidecar'}` }, nodes)
    svg('circle', { cx: p.x, cy: p.y, r: 8 }, g)
    svg('text', { x: p.x + 14, y: p.y + 4 }, g).textContent = `${client.id.slice(client.id.indexOf('/') + 1)}${client.sidecar ? '' : ' (no sidecar)'}`
    svg('title', {}, g).textContent = `${client.kind} ${client.id}: ${client.sidecarReason}`
  }
  for (const [c, p] of geo.services) {
    const service = matrix.services[c]
    if (!service) continue
    const g = svg('g', { class: 'node service' }, nodes)
    svg('rect', { x: p.x - 8, y: p.y - 9, width: 16, height: 18, rx: 3 }, g)
    svg('text', { x: p.x - 14, y: p.y + 4, 'text-anchor': 'end' }, g).textContent = serviceLabel(service).replace(`.${service.namespace}`, '')
    svg('title', {}, g).textContent = `${service.id}: endpoints ${service.endpoints.join(', ') || 'none'}`
  }
  root.replaceChildren(top)
  return true
}
