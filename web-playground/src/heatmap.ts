// The map of the mesh: client namespaces (rows) × service namespaces (columns), each cell the
// engine's counts of one pair by outcome class, coloured by the worst (`Mesh.namespaceMap`, the
// same numbers as `meshlock matrix --by namespace`). Virtualised like the grid: a 10,000-pod mesh
// has ~170 namespaces, ~28,000 pairs; only the visible cells are in the DOM. Clicking a cell drills
// into that pair's workload grid.
import type { ClassCounts, NamespaceMap, NamespacePair, OutcomeClass } from 'meshlock-wasm'

export const HEAT_W = 58
export const HEAT_H = 30
const OVERSCAN = 2

/** Every class, best to worst, with the counts' field and the legend's words. */
export const CLASSES: Array<{ cls: OutcomeClass; key: keyof ClassCounts; label: string }> = [
  { cls: 'ok-mtls', key: 'okMtls', label: 'works, mutual TLS' },
  { cls: 'ok-plaintext', key: 'okPlaintext', label: 'works, plaintext' },
  { cls: 'denied', key: 'denied', label: 'denied by authorization (intended)' },
  { cls: 'other-failure', key: 'otherFailure', label: 'fails: no endpoints, unknown port…' },
  { cls: 'mtls-broken', key: 'mtlsBroken', label: 'broken by mTLS configuration' },
]

/** The rows (client namespaces) and columns (service namespaces) of the map, filtered. */
export function mapAxes(map: NamespaceMap, clientNs = '', serviceNs = ''): { rows: string[]; cols: string[] } {
  return {
    rows: map.namespaces.filter((n) => n.clients > 0 && (!clientNs || n.name === clientNs)).map((n) => n.name),
    cols: map.namespaces.filter((n) => n.servicePorts > 0 && (!serviceNs || n.name === serviceNs)).map((n) => n.name),
  }
}

export const pairKey = (from: string, to: string): string => `${from}\u0000${to}`

export function pairIndex(map: NamespaceMap): Map<string, NamespacePair> {
  return new Map(map.pairs.map((p) => [pairKey(p.from, p.to), p]))
}

/** 950 → `950`, 12,345 → `12k`, 2,300,000 → `2.3M`. */
export function abbreviate(n: number): string {
  if (n < 1000) return String(n)
  if (n < 10_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`
  if (n < 999_500) return `${Math.round(n / 1000)}k`
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`
}

/** What the tooltip and a screen reader say about a pair. */
export function describePair(p: NamespacePair): string {
  const parts = CLASSES.filter((c) => p.counts[c.key] > 0).map((c) => `${p.counts[c.key]} ${c.cls}`)
  return `clients in ${p.from} → services in ${p.to}: ${p.edges} edges (${parts.join(', ')}); worst: ${p.worst}`
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent?: HTMLElement): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  e.className = cls
  parent?.appendChild(e)
  return e
}

export class HeatMap {
  private readonly colInner: HTMLElement
  private readonly colheads: HTMLElement
  private readonly rowInner: HTMLElement
  private readonly rowheads: HTMLElement
  private readonly body: HTMLElement
  private readonly canvas: HTMLElement
  private map: NamespaceMap | null = null
  private pairs = new Map<string, NamespacePair>()
  private rows: string[] = []
  private cols: string[] = []
  private counts = new Map<string, { clients: number; servicePorts: number }>()
  private frame = 0

  constructor(
    readonly root: HTMLElement,
    private readonly onSelect: (pair: NamespacePair) => void,
  ) {
    root.classList.add('heatmap')
    root.setAttribute('role', 'grid')
    root.setAttribute('aria-label', 'map of the mesh: client namespaces (rows) × service namespaces (columns), coloured by the worst outcome')
    el('div', 'grid-corner', root).textContent = 'clients in ↓ · services in →'
    this.colheads = el('div', 'grid-colheads', root)
    this.colInner = el('div', 'grid-inner', this.colheads)
    this.rowheads = el('div', 'grid-rowheads', root)
    this.rowInner = el('div', 'grid-inner', this.rowheads)
    this.body = el('div', 'grid-body', root)
    this.canvas = el('div', 'grid-canvas', this.body)
    this.body.addEventListener('scroll', () => this.schedule(), { passive: true })
    new ResizeObserver(() => this.schedule()).observe(this.body)
    this.canvas.addEventListener('click', (event) => {
      const cell = (event.target as HTMLElement).closest<HTMLElement>('.heat')
      const pair = cell ? this.pairs.get(pairKey(cell.dataset['from'] ?? '', cell.dataset['to'] ?? '')) : undefined
      if (pair) this.onSelect(pair)
    })
  }

  set(map: NamespaceMap, clientNs: string, serviceNs: string): void {
    if (map !== this.map) {
      this.map = map
      this.pairs = pairIndex(map)
      this.counts = new Map(map.namespaces.map((n) => [n.name, n]))
    }
    const { rows, cols } = mapAxes(map, clientNs, serviceNs)
    this.rows = rows
    this.cols = cols
    const width = cols.length * HEAT_W
    const height = rows.length * HEAT_H
    this.canvas.style.width = `${width}px`
    this.canvas.style.height = `${height}px`
    this.colInner.style.width = `${width + 40}px`
    this.rowInner.style.height = `${height + 40}px`
    this.root.dataset['rows'] = String(rows.length)
    this.root.dataset['cols'] = String(cols.length)
    this.root.dataset['pairs'] = String(map.pairs.length)
    this.render()
  }

  private schedule(): void {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.render()
    })
  }

  private render(): void {
    if (!this.map) return
    const top = this.body.scrollTop
    const left = this.body.scrollLeft
    const r0 = Math.max(0, Math.floor(top / HEAT_H) - OVERSCAN)
    const r1 = Math.min(this.rows.length, Math.ceil((top + (this.body.clientHeight || 600)) / HEAT_H) + OVERSCAN)
    const c0 = Math.max(0, Math.floor(left / HEAT_W) - OVERSCAN)
    const c1 = Math.min(this.cols.length, Math.ceil((left + (this.body.clientWidth || 800)) / HEAT_W) + OVERSCAN)
    this.colheads.scrollLeft = left
    this.rowheads.scrollTop = top

    const colFrag = document.createDocumentFragment()
    for (let c = c0; c < c1; c++) {
      const ns = this.cols[c]
      if (ns === undefined) continue
      const head = el('div', 'colhead heat-colhead')
      head.setAttribute('role', 'columnheader')
      head.style.left = `${c * HEAT_W}px`
      head.title = `services in ${ns}: ${this.counts.get(ns)?.servicePorts ?? 0} service ports`
      head.textContent = ns
      colFrag.appendChild(head)
    }
    this.colInner.replaceChildren(colFrag)

    const rowFrag = document.createDocumentFragment()
    for (let r = r0; r < r1; r++) {
      const ns = this.rows[r]
      if (ns === undefined) continue
      const head = el('div', 'rowhead')
      head.setAttribute('role', 'rowheader')
      head.style.top = `${r * HEAT_H}px`
      const clients = this.counts.get(ns)?.clients ?? 0
      head.title = `clients in ${ns}: ${clients} workloads`
      el('span', 'rowhead-label', head).textContent = ns
      el('span', 'rowhead-count', head).textContent = String(clients)
      rowFrag.appendChild(head)
    }
    this.rowInner.replaceChildren(rowFrag)

    const cells = document.createDocumentFragment()
    for (let r = r0; r < r1; r++) {
      const from = this.rows[r]
      if (from === undefined) continue
      for (let c = c0; c < c1; c++) {
        const to = this.cols[c]
        if (to === undefined) continue
        const pair = this.pairs.get(pairKey(from, to))
        if (!pair) continue
        const cell = el('button', `heat worst-${pair.worst}`)
        cell.type = 'button'
        cell.setAttribute('role', 'gridcell')
        cell.style.left = `${c * HEAT_W}px`
        cell.style.top = `${r * HEAT_H}px`
        cell.dataset['from'] = from
        cell.dataset['to'] = to
        cell.dataset['worst'] = pair.worst
        cell.dataset['edges'] = String(pair.edges)
        const description = describePair(pair)
        cell.title = description
        cell.setAttribute('aria-label', description)
        el('span', 'heat-count', cell).textContent = abbreviate(pair.edges)
        // The composition: one segment per class, as wide as its share.
        const bar = el('span', 'heat-bar', cell)
        for (const { cls, key } of CLASSES) {
          const n = pair.counts[key]
          if (n > 0) el('span', `seg seg-${cls}`, bar).style.flexGrow = String(n)
        }
        cells.appendChild(cell)
      }
    }
    this.canvas.replaceChildren(cells)
  }
}
