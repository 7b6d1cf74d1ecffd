// The reachability matrix as a virtualised grid: clients × service ports, only the visible cells in
// the DOM (a 10,000-pod mesh has hundreds of thousands of cells). Positions are set through the
// CSSOM (never `style="…"` markup), which the strict Content-Security-Policy allows.
import type { Edge } from 'meshlock-wasm'
import { evidenceBadges } from './evidence'
import { cellIcons } from './icons'
import { type MatrixData, cellMatches, clientLabel, describeEdge, edgeAt, lock, serviceLabel, tone, type Window } from './matrix'
import { cellKey } from './plan'
import type { VerdictFilter } from './state'

export const CELL_W = 78
export const CELL_H = 30
const OVERSCAN = 3

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent?: HTMLElement): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  e.className = cls
  parent?.appendChild(e)
  return e
}

export class MatrixGrid {
  private readonly colheads: HTMLElement
  private readonly colInner: HTMLElement
  private readonly rowheads: HTMLElement
  private readonly rowInner: HTMLElement
  private readonly body: HTMLElement
  private readonly canvas: HTMLElement
  private matrix: MatrixData | null = null
  private window: Window = { rows: [], cols: [] }
  private verdict: VerdictFilter = 'all'
  private selected: { from: string; to: string } | null = null
  /** Cells to highlight (`cellKey` → what changed), e.g. those a plan step changes. */
  private changed: ReadonlyMap<string, string> = new Map()
  /** Whether cells show their evidence (not after a plan step: the step's deltas carry none). */
  private evidence = true
  private frame = 0

  constructor(
    readonly root: HTMLElement,
    private readonly onSelect: (edge: Edge) => void,
  ) {
    root.classList.add('grid')
    root.setAttribute('role', 'grid')
    root.setAttribute('aria-label', 'reachability matrix: clients (rows) × service ports (columns)')
    el('div', 'grid-corner', root).textContent = 'client ↓ · service port →'
    this.colheads = el('div', 'grid-colheads', root)
    this.colInner = el('div', 'grid-inner', this.colheads)
    this.rowheads = el('div', 'grid-rowheads', root)
    this.rowInner = el('div', 'grid-inner', this.rowheads)
    this.body = el('div', 'grid-body', root)
    this.canvas = el('div', 'grid-canvas', this.body)
    this.body.addEventListener('scroll', () => this.schedule(), { passive: true })
    new ResizeObserver(() => this.schedule()).observe(this.body)
    this.canvas.addEventListener('click', (event) => {
      const cell = (event.target as HTMLElement).closest<HTMLElement>('.cell')
      const edge = cell ? this.edgeOf(cell) : undefined
      if (edge) this.onSelect(edge)
    })
  }

  private edgeOf(cell: HTMLElement): Edge | undefined {
    if (!this.matrix) return undefined
    return edgeAt(this.matrix, Number(cell.dataset['row']), Number(cell.dataset['col']))
  }

  set(
    matrix: MatrixData,
    window: Window,
    verdict: VerdictFilter,
    selected: { from: string; to: string } | null,
    changed: ReadonlyMap<string, string> = new Map(),
    evidence = true,
  ): void {
    this.matrix = matrix
    this.window = window
    this.verdict = verdict
    this.selected = selected
    this.changed = changed
    this.evidence = evidence
    this.root.dataset['changed'] = String(changed.size)
    const width = window.cols.length * CELL_W
    const height = window.rows.length * CELL_H
    this.canvas.style.width = `${width}px`
    this.canvas.style.height = `${height}px`
    this.colInner.style.width = `${width + 40}px`
    this.rowInner.style.height = `${height + 40}px`
    this.root.dataset['rows'] = String(window.rows.length)
    this.root.dataset['cols'] = String(window.cols.length)
    this.render()
  }

  select(selected: { from: string; to: string } | null): void {
    this.selected = selected
    this.render()
  }

  /** Scrolls so that the cell of `from` → `to` is visible; false if it is filtered out. */
  reveal(from: string, to: string): boolean {
    if (!this.matrix) return false
    const r = this.window.rows.findIndex((i) => this.matrix?.clients[i]?.id === from)
    const c = this.window.cols.findIndex((i) => this.matrix?.services[i]?.id === to)
    if (r < 0 || c < 0) return false
    const top = r * CELL_H
    const left = c * CELL_W
    if (top < this.body.scrollTop || top + CELL_H > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = Math.max(0, top - CELL_H * 2)
    if (left < this.body.scrollLeft || left + CELL_W > this.body.scrollLeft + this.body.clientWidth) this.body.scrollLeft = Math.max(0, left - CELL_W)
    this.render()
    return true
  }

  private schedule(): void {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.render()
    })
  }

  private render(): void {
    const matrix = this.matrix
    if (!matrix) return
    const { rows, cols } = this.window
    const top = this.body.scrollTop
    const left = this.body.scrollLeft
    const height = this.body.clientHeight || 600
    const width = this.body.clientWidth || 800
    const r0 = Math.max(0, Math.floor(top / CELL_H) - OVERSCAN)
    const r1 = Math.min(rows.length, Math.ceil((top + height) / CELL_H) + OVERSCAN)
    const c0 = Math.max(0, Math.floor(left / CELL_W) - OVERSCAN)
    const c1 = Math.min(cols.length, Math.ceil((left + width) / CELL_W) + OVERSCAN)
    this.colheads.scrollLeft = left
    this.rowheads.scrollTop = top

    const colFrag = document.createDocumentFragment()
    for (let c = c0; c < c1; c++) {
      const service = matrix.services[cols[c] ?? -1]
      if (!service) continue
      const head = el('div', 'colhead')
      head.setAttribute('role', 'columnheader')
      head.style.left = `${c * CELL_W}px`
      head.title = `${service.id}${service.portName ? ` (${service.portName})` : ''}\nendpoints: ${service.endpoints.join(', ') || 'none'}`
      head.textContent = serviceLabel(service)
      colFrag.appendChild(head)
    }
    this.colInner.replaceChildren(colFrag)

    const rowFrag = document.createDocumentFragment()
    for (let r = r0; r < r1; r++) {
      const client = matrix.clients[rows[r] ?? -1]
      if (!client) continue
      const head = el('div', `rowhead ${client.sidecar ? 'has-sidecar' : 'no-sidecar'}`)
      head.setAttribute('role', 'rowheader')
      head.style.top = `${r * CELL_H}px`
      head.title = `${client.kind} ${client.id}: ${client.sidecarReason}`
      const mark = el('span', 'sidecar-mark', head)
      mark.textContent = client.sidecar ? '◆' : '◇'
      mark.setAttribute('aria-label', client.sidecar ? 'sidecar' : 'no sidecar')
      el('span', 'rowhead-label', head).textContent = clientLabel(client)
      rowFrag.appendChild(head)
    }
    this.rowInner.replaceChildren(rowFrag)

    const cellFrag = document.createDocumentFragment()
    for (let r = r0; r < r1; r++) {
      const row = rows[r]
      if (row === undefined) continue
      for (let c = c0; c < c1; c++) {
        const col = cols[c]
        if (col === undefined) continue
        const found = edgeAt(matrix, row, col)
        if (!found) continue
        const edge: Edge = this.evidence ? found : { ...found, evidence: undefined }
        const t = tone(edge)
        const cell = el('button', `cell tone-${t}`)
        if (!cellMatches(edge, this.verdict)) cell.classList.add('dim')
        if (this.selected && this.selected.from === edge.from && this.selected.to === edge.to) {
          cell.classList.add('selected')
          cell.setAttribute('aria-selected', 'true')
        }
        cell.type = 'button'
        cell.setAttribute('role', 'gridcell')
        cell.style.left = `${c * CELL_W}px`
        cell.style.top = `${r * CELL_H}px`
        cell.dataset['row'] = String(row)
        cell.dataset['col'] = String(col)
        cell.dataset['from'] = edge.from
        cell.dataset['to'] = edge.to
        cell.dataset['status'] = edge.status
        cell.dataset['transport'] = edge.transport ?? 'none'
        cell.dataset['verdict'] = edge.verdict
        if (edge.evidence) cell.dataset['evidence'] = edge.evidence.join(',')
        const change = this.changed.get(cellKey(edge.from, edge.to))
        const description = change ? `${describeEdge(edge)} (changed by this step: ${change})` : describeEdge(edge)
        if (change) {
          cell.classList.add('changed')
          cell.dataset['changed'] = change
        }
        cell.title = description
        cell.setAttribute('aria-label', description)
        cell.innerHTML = `<span class="status">${edge.status}</span>${cellIcons(t, lock(edge))}`
        const badges = evidenceBadges(edge.evidence)
        if (badges) cell.appendChild(badges)
        cellFrag.appendChild(cell)
      }
    }
    this.canvas.replaceChildren(cellFrag)
  }
}
