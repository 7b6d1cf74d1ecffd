// The playground page: wires the editor, the engine worker, the matrix, the tour and sharing.
// Every outcome comes from the engine (meshlock's core, compiled to WebAssembly).
import type { CheckReport, Diagnostic, Edge, Evidence, Matrix, NamespaceMap, Plan, Tour } from 'meshlock-wasm'
import { SourceEditor } from './editor'
import { Engine, EngineFailure } from './engine'
import type { Example } from './examples'
import { EXAMPLES as examples, grouped } from './examples'
import { EVIDENCE, EVIDENCE_MEANING, evidenceBadges, kindsOf, scopeOf } from './evidence'
import { drawGraph } from './graph'
import { MatrixGrid } from './grid'
import { CLASSES, HeatMap, describePair, pairIndex, pairKey } from './heatmap'
import { cellIcons } from './icons'
import { LEGEND, type MatrixData, expandMatrix, filterMatrix, findEdge, shortTarget, tone, lock } from './matrix'
import { diagnosticList, renderCheck, renderPlan } from './panels'
import { changedCells, planYaml, stepMatrices } from './plan'
import type { Analysis, Explanation, FileSources, Weigh } from './protocol'
import {
  DEFAULT_VIEW,
  type PlaygroundState,
  type SettingsState,
  type VerdictFilter,
  type ViewName,
  decodeState,
  engineSettings,
  engineSources,
  isFileSource,
  seedState,
} from './state'
import { stepState } from './tour'

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id)
  if (!e) throw new Error(`#${id} missing from index.html`)
  return e as T
}

const MAX_FRAGMENT = 1_500_000
const ISTIO_MINORS = 28

const engine = new Engine(() => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'meshlock-engine' }))

let state: PlaygroundState = seedState()
let analysis: Analysis | null = null
let stale = false
let revision = 0
let applied = 0
let tour: Tour | null = null
let analyzeTimer = 0
let hashTimer = 0
/** The diagnostics of the last input, when it did not load (`check` reports them). */
let failure: Diagnostic[] | null = null

/** The plan of the current analysis, for `key` (revision, goal, allowed clients). */
interface PlanState {
  key: string
  plan: Plan | null
  error: string | null
  busy: boolean
  /** The matrix after each step: the analysis with the engine's deltas applied (`null`: ask the engine). */
  matrices: Array<MatrixData | null>
  /** Matrices the engine simulated, by number of steps. */
  simulated: Map<number, MatrixData>
}
let planned: PlanState | null = null

/** The `check` report of the current analysis. */
let checked: { revision: number; report: CheckReport | null; busy: boolean } | null = null
/** Above this many edges, `check` runs only when its view is open. */
const CHECK_EAGERLY_UP_TO = 50_000

const editor = new SourceEditor($('editor'), $('tabs'), (sources, tab) => {
  state = { ...state, sources, view: { ...state.view, tab, example: null } }
  updateTabOptions()
  scheduleAnalyze(250)
})
const grid = new MatrixGrid($('matrix').appendChild(document.createElement('div')), (edge) => select(edge))
const heatmap = new HeatMap($('heatmap').appendChild(document.createElement('div')), (pair) => setView({ clientNs: pair.from, serviceNs: pair.to, selected: null }))

/** Above this many clients the matrix view opens on the map of namespaces (click a cell to drill in). */
const MAP_ABOVE_CLIENTS = 50
/** Grids of namespace pairs from the engine, when the analysis has no full matrix (by `pairKey`). */
let pairGrids = new Map<string, MatrixData | 'busy' | 'error'>()
/** Files opened from disk too large for the editor, by source name (see `SourceState.file`). */
const openedFiles = new Map<string, File>()
/** Files larger than this go to the engine directly instead of into the editor. */
const EDITOR_FILE_LIMIT = 2_000_000

function fileSources(): FileSources {
  return state.sources.filter(isFileSource).flatMap((s) => {
    const file = openedFiles.get(s.name)
    return file ? [{ name: s.name, namespace: s.namespace ?? null, file }] : []
  })
}

// ---- settings bar ---------------------------------------------------------------------------

function fillSettings(): void {
  const version = $<HTMLSelectElement>('istio-version')
  const options = [['', 'meshlock default'], ['current', 'current'], ...Array.from({ length: ISTIO_MINORS + 1 }, (_, i) => [`1.${i}`, `1.${i}`])]
  version.replaceChildren(...options.map(([value, label]) => new Option(label, value)))
}

function showSettings(settings: SettingsState): void {
  $<HTMLSelectElement>('istio-version').value = settings.istioVersion ?? ''
  $<HTMLSelectElement>('auto-mtls').value = settings.autoMtls === undefined ? '' : settings.autoMtls ? 'on' : 'off'
  $<HTMLInputElement>('root-namespace').value = settings.rootNamespace ?? ''
}

function readSettings(): SettingsState {
  const out: SettingsState = {}
  const version = $<HTMLSelectElement>('istio-version').value
  const auto = $<HTMLSelectElement>('auto-mtls').value
  const root = $<HTMLInputElement>('root-namespace').value.trim()
  if (version) out.istioVersion = version
  if (auto) out.autoMtls = auto === 'on'
  if (root) out.rootNamespace = root
  return out
}

for (const id of ['istio-version', 'auto-mtls', 'root-namespace']) {
  $(id).addEventListener(id === 'root-namespace' ? 'input' : 'change', () => {
    state = { ...state, settings: readSettings(), view: { ...state.view, example: null } }
    scheduleAnalyze(id === 'root-namespace' ? 400 : 0)
  })
}

function updateTabOptions(): void {
  const source = editor.activeSource()
  const input = $<HTMLInputElement>('tab-namespace')
  input.value = source?.namespace ?? ''
  input.disabled = !source || source.builtin === 'seed'
}
$('tab-namespace').addEventListener('change', (event) => editor.setNamespace((event.target as HTMLInputElement).value.trim()))

// ---- examples -------------------------------------------------------------------------------

function fillExamples(): void {
  const select = $<HTMLSelectElement>('examples')
  const blank = new Option('your own YAML…', '')
  const groups = grouped(examples).map(([group, list]) => {
    const g = document.createElement('optgroup')
    g.label = group === 'seed' ? 'seed guide (Istio 1.1)' : group
    for (const e of list) {
      const o = new Option(e.name, e.id)
      o.title = e.description
      g.appendChild(o)
    }
    return g
  })
  select.replaceChildren(blank, ...groups)
}

function exampleState(example: Example): PlaygroundState {
  const state: PlaygroundState = { v: 1, sources: example.sources.map((s) => ({ ...s })), settings: { ...example.settings }, view: { ...DEFAULT_VIEW, example: example.id } }
  return example.metrics ? { ...state, metrics: example.metrics } : state
}

$('examples').addEventListener('change', (event) => {
  const id = (event.target as HTMLSelectElement).value
  const example = examples.find((e) => e.id === id)
  if (example) load(exampleState(example))
})

// ---- state ----------------------------------------------------------------------------------

/** Replaces the whole state (an example, a tour step, a shared link) and analyses it. */
function load(next: PlaygroundState): void {
  state = next
  editor.setSources(state.sources, state.view.tab)
  showSettings(state.settings)
  $<HTMLSelectElement>('examples').value = state.view.example ?? ''
  $<HTMLSelectElement>('filter-verdict').value = state.view.verdict
  showEvidenceFilter()
  // An explanation of the previous input would outlive it (its outcome, its evidence).
  if (!state.view.selected) $('explain').hidden = true
  $<HTMLTextAreaElement>('metrics').value = state.metrics ?? ''
  $<HTMLDetailsElement>('metrics-box').open = !!state.metrics
  updateTabOptions()
  renderTour()
  scheduleAnalyze(0)
}

function scheduleHash(): void {
  clearTimeout(hashTimer)
  hashTimer = window.setTimeout(async () => {
    if (state.sources.some(isFileSource)) {
      $('share').title = 'a link cannot hold a file opened from disk'
      $('share').setAttribute('aria-disabled', 'true')
      return
    }
    const snapshot = { ...state, sources: editor.sources(), view: { ...state.view, tab: editor.activeTab } }
    try {
      const fragment = await engine.call({ op: 'encode', state: snapshot })
      if (fragment.length > MAX_FRAGMENT) {
        $('share').title = `this input is too large for a link (${Math.round(fragment.length / 1024)} KB compressed)`
        $('share').setAttribute('aria-disabled', 'true')
        return
      }
      $('share').removeAttribute('aria-disabled')
      history.replaceState(null, '', `#${fragment}`)
      document.body.dataset['hash'] = String(revision)
    } catch {
      // Encoding is best effort: the page keeps working without a link.
    }
  }, 300)
}

// ---- analysis -------------------------------------------------------------------------------

/** Changes with the input (sources, settings), not when the engine restarts and analyses it again. */
let inputId = 0
/** Operations that stopped the engine on an input (`op inputId …`): not requested again on their own,
 * or a large mesh would crash, restart, analyse and crash again. */
const crashed = new Set<string>()

function scheduleAnalyze(delay: number, sameInput = false): void {
  if (!sameInput) inputId++
  clearTimeout(analyzeTimer)
  document.body.dataset['busy'] = '1'
  analyzeTimer = window.setTimeout(analyze, delay)
}

async function analyze(): Promise<void> {
  const mine = ++revision
  const started = performance.now()
  setStatus('analysing…', 'busy')
  try {
    const result = await engine.call({ op: 'analyze', sources: engineSources(state.sources), settings: engineSettings(state.settings), files: fileSources(), weigh: weighOf() })
    if (mine !== revision) return
    analysis = result
    document.body.dataset['scoped'] = result.scoped?.edges ?? 'all'
    pairGrids = new Map()
    stale = false
    failure = null
    planned = null
    checked = null
    editor.setDiagnostics(result.diagnostics)
    renderDiagnostics(result.diagnostics)
    renderResults()
    const total = performance.now() - started
    document.body.dataset['lastMs'] = total.toFixed(1)
    document.body.dataset['engineMs'] = result.engineMs.toFixed(1)
    const m = result.map
    const t = m.totals
    setStatus(
      `${m.clients} clients × ${m.servicePorts} service ports: ${failingOf(m)} failing (${t.mtlsBroken} broken by mTLS, ${t.denied} denied by authorization), ${t.okMtls} over mTLS, ${t.okPlaintext} plaintext · ${Math.round(total)} ms`,
      'ok',
    )
    if (state.view.selected) void explain(state.view.selected.from, state.view.selected.to, false)
  } catch (err) {
    if (mine !== revision) return
    const error = err instanceof EngineFailure ? err : new EngineFailure({ code: 'internal', message: String(err), diagnostics: [] })
    stale = analysis !== null
    failure = error.code === 'invalid-input' ? error.diagnostics : null
    editor.setDiagnostics(error.diagnostics)
    renderDiagnostics(error.diagnostics)
    renderResults()
    const errors = error.diagnostics.filter((d) => d.severity === 'error').length
    setStatus(
      error.code === 'invalid-input'
        ? `the input has ${errors} error${errors === 1 ? '' : 's'}${stale ? ': the matrix below is from the last input that loaded' : ''}`
        : `${error.code}: ${error.message}`,
      'error',
    )
  } finally {
    if (mine === revision) {
      applied = mine
      document.body.dataset['revision'] = String(applied)
      delete document.body.dataset['busy']
      document.body.dataset['ready'] = '1'
      scheduleHash()
      refreshPanels()
      if (state.view.view === 'check') renderCheckPanel()
      updateCheckTab()
    }
  }
}

engine.onRestart = () => scheduleAnalyze(0, true)

function setStatus(text: string, kind: 'ok' | 'busy' | 'error'): void {
  const status = $('status')
  status.textContent = text
  status.dataset['kind'] = kind
  document.body.dataset['state'] = kind
}

function renderDiagnostics(diagnostics: Diagnostic[]): void {
  const host = $('diagnostics')
  if (diagnostics.length === 0) {
    host.replaceChildren()
    host.hidden = true
    return
  }
  host.hidden = false
  host.replaceChildren(diagnosticList(diagnostics, (d) => editor.reveal(d)))
}

// ---- results --------------------------------------------------------------------------------

function fillFilter(id: string, values: string[], current: string, all: string): void {
  const select = $<HTMLSelectElement>(id)
  select.replaceChildren(new Option(all, ''), ...values.map((v) => new Option(v, v)))
  select.value = values.includes(current) ? current : ''
}

const VIEWS: ViewName[] = ['matrix', 'graph', 'plan', 'check']

const failingOf = (m: NamespaceMap): number => m.totals.denied + m.totals.otherFailure + m.totals.mtlsBroken

/** Whether the matrix view opens on the map: a large mesh, or one whose edges the page does not hold. */
function mapMode(): boolean {
  return !!analysis && (analysis.map.clients > MAP_ABOVE_CLIENTS || !analysis.matrix)
}

/** Both namespaces chosen: one cell of the map, drilled into. */
function drilled(): boolean {
  return !!state.view.clientNs && !!state.view.serviceNs
}

/** The grid to show: the full matrix (the edges in the evidence scope), or (without one) the
 * engine's grid of the drilled pair. */
function shownGrid(): MatrixData | null {
  if (!analysis) return null
  if (analysis.matrix) return analysis.scoped?.matrix ?? analysis.matrix
  if (!drilled()) return null
  const key = pairKey(state.view.clientNs, state.view.serviceNs)
  const got = pairGrids.get(key)
  if (got === undefined) void requestPair(state.view.clientNs, state.view.serviceNs)
  return typeof got === 'object' ? got : null
}

async function requestPair(clientNs: string, serviceNs: string): Promise<void> {
  const key = pairKey(clientNs, serviceNs)
  const grids = pairGrids
  grids.set(key, 'busy')
  document.body.dataset['pair'] = 'busy'
  try {
    grids.set(key, await engine.call({ op: 'pair', clientNs, serviceNs, weigh: weighOf() }))
  } catch {
    grids.set(key, 'error')
  }
  if (grids !== pairGrids) return
  document.body.dataset['pair'] = key.replace('\u0000', '→')
  renderResults()
}

function renderResults(): void {
  const view = state.view.view
  for (const v of VIEWS) $(`view-${v}`).setAttribute('aria-selected', String(v === view))
  $('plan').hidden = view !== 'plan'
  $('check').hidden = view !== 'check'
  if (view === 'check') renderCheckPanel()
  $('matrix').classList.toggle('stale', stale)
  $('heatmap').classList.toggle('stale', stale)
  $('graph').classList.toggle('stale', stale)
  $('plan').classList.toggle('stale', stale)
  if (!analysis) {
    $('matrix').hidden = view === 'check'
    $('heatmap').hidden = true
    return
  }
  const { map, settings: s } = analysis
  // The map and the drilled pair's counts under the evidence scope (the engine's numbers).
  const inScope = analysis.scoped?.map ?? map
  const scopeNote = analysis.scoped ? ` · ${inScope.edges} of ${map.edges} edges with evidence ${analysis.scoped.edges}` : ''
  $('resolved').textContent = `in force: Istio ${s.istioVersion} (${s.istioVersionOrigin}), auto mTLS ${s.autoMtls ? 'on' : 'off'} (${s.autoMtlsOrigin}), root ${s.rootNamespace}`
  fillFilter('filter-client', map.namespaces.filter((n) => n.clients > 0).map((n) => n.name), state.view.clientNs, 'all namespaces')
  fillFilter('filter-service', map.namespaces.filter((n) => n.servicePorts > 0).map((n) => n.name), state.view.serviceNs, 'all namespaces')
  $<HTMLSelectElement>('filter-verdict').value = state.view.verdict
  const onMap = mapMode() && !drilled() && view !== 'plan'
  const full = shownGrid()
  const shown = view === 'plan' ? (planMatrix() ?? analysis.matrix) : full
  document.body.dataset['mapMode'] = mapMode() ? '1' : ''
  // The drill bar: which pair the grid shows, and the way back to the map.
  const drill = $('drill')
  drill.hidden = !(mapMode() && drilled() && (view === 'matrix' || view === 'graph'))
  if (!drill.hidden) {
    const pair = pairIndex(inScope).get(pairKey(state.view.clientNs, state.view.serviceNs))
    $('drill-title').textContent = `clients in ${state.view.clientNs} → services in ${state.view.serviceNs}`
    const loading = !shown && pairGrids.get(pairKey(state.view.clientNs, state.view.serviceNs)) === 'busy'
    $('drill-counts').textContent = loading ? 'loading the pair’s grid…' : pair ? describePair(pair).replace(/^.*?: /, '') : 'no edges between these namespaces'
  }
  $('legend-grid').hidden = onMap && view === 'matrix'
  $('legend-map').hidden = !(onMap && view === 'matrix')
  $('heatmap').hidden = !(onMap && view === 'matrix')
  $('matrix').hidden = view === 'graph' || view === 'check' || (onMap && view === 'matrix') || !shown
  $('graph').hidden = view !== 'graph'
  $('legend-changed').hidden = view !== 'plan'
  if (onMap) {
    $('summary').textContent = `${map.namespaces.length} namespaces · ${map.clients} clients · ${map.servicePorts} ports · ${map.edges} edges, ${failingOf(map)} failing${scopeNote}`
  } else if (shown) {
    const w = filterMatrix(shown, state.view)
    $('summary').textContent = `${w.rows.length}/${map.clients} clients · ${w.cols.length}/${map.servicePorts} ports · ${failingOf(map)} failing in the mesh${view === 'plan' ? '' : scopeNote}`
  }
  if (view === 'plan') renderPlanPanel()
  if (view === 'matrix' && onMap) heatmap.set(inScope, state.view.clientNs, state.view.serviceNs)
  else if (view === 'graph') {
    if (shown) drawGraph($('graph'), shown, filterMatrix(shown, state.view), state.view.verdict, state.view.selected, select)
    else {
      const note = document.createElement('p')
      note.className = 'graph-too-large'
      note.textContent = `${map.edges} edges are too many to draw: open a cell of the map (Matrix view) or choose a namespace on each side.`
      $('graph').replaceChildren(note)
    }
  } else if (shown && view === 'plan') grid.set(shown, filterMatrix(shown, state.view), state.view.verdict, state.view.selected, changedCells(selectedStep()), false)
  else if (shown) grid.set(shown, filterMatrix(shown, state.view), state.view.verdict, state.view.selected)
  markExample()
}

/** Records which example is shown (the Examples menu and the tests read it). */
function markExample(): void {
  const example = examples.find((e) => e.id === state.view.example)
  document.body.dataset['example'] = example?.id ?? ''
}

function setView(patch: Partial<PlaygroundState['view']>): void {
  state = { ...state, view: { ...state.view, ...patch } }
  renderResults()
  scheduleHash()
}

$('filter-client').addEventListener('change', (e) => setView({ clientNs: (e.target as HTMLSelectElement).value }))
$('filter-service').addEventListener('change', (e) => setView({ serviceNs: (e.target as HTMLSelectElement).value }))
$('filter-verdict').addEventListener('change', (e) => setView({ verdict: (e.target as HTMLSelectElement).value as VerdictFilter }))

// ---- evidence: the scope filter and observed traffic ----------------------------------------

/** How the engine weighs edges for the page: the evidence filter's scope, the metrics text. */
function weighOf(): Weigh {
  return { edges: state.view.edges, metrics: state.metrics?.trim() ? state.metrics : null }
}

function fillEvidenceFilter(): void {
  const host = $('filter-evidence')
  const legend = Object.assign(document.createElement('legend'), { textContent: 'evidence' })
  host.replaceChildren(
    legend,
    ...EVIDENCE.map((kind) => {
      const label = document.createElement('label')
      label.title = EVIDENCE_MEANING[kind]
      const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: kind, name: 'evidence' })
      label.append(box, ` ${kind}`)
      return label
    }),
  )
  host.addEventListener('change', (event) => {
    const boxes = [...host.querySelectorAll<HTMLInputElement>('input[type=checkbox]')]
    const checked = boxes.filter((b) => b.checked).map((b) => b.value as Evidence)
    // No kind at all would show nothing: keep the one just unchecked.
    if (checked.length === 0) {
      ;(event.target as HTMLInputElement).checked = true
      return
    }
    setEdges(scopeOf(checked))
  })
}

function showEvidenceFilter(): void {
  const kinds = kindsOf(state.view.edges)
  for (const box of $('filter-evidence').querySelectorAll<HTMLInputElement>('input[type=checkbox]')) box.checked = kinds.includes(box.value as Evidence)
  $('filter-evidence').dataset['edges'] = state.view.edges
}

/** A new evidence scope: the engine weighs the loaded mesh again (the input is not read again). */
function setEdges(edges: string): void {
  state = { ...state, view: { ...state.view, edges } }
  showEvidenceFilter()
  scheduleHash()
  if (!analysis || stale || document.body.dataset['busy']) return scheduleAnalyze(0, true)
  void rescope()
}

let scopeRequest = 0
async function rescope(): Promise<void> {
  const mine = ++scopeRequest
  const at = analysis
  document.body.dataset['scoped'] = 'busy'
  try {
    const scoped = await engine.call({ op: 'scope', weigh: weighOf(), whole: !!at?.matrix })
    if (mine !== scopeRequest || !at || at !== analysis) return
    analysis = { ...at, scoped }
    pairGrids = new Map()
    renderResults()
    document.body.dataset['scoped'] = state.view.edges
  } catch (err) {
    if (mine !== scopeRequest) return
    setStatus(err instanceof Error ? `${(err as EngineFailure).code ?? 'error'}: ${err.message}` : String(err), 'error')
  }
}

let metricsTimer = 0
$('metrics').addEventListener('input', (event) => {
  const text = (event.target as HTMLTextAreaElement).value
  state = text.trim() ? { ...state, metrics: text } : { v: state.v, sources: state.sources, settings: state.settings, view: state.view }
  clearTimeout(metricsTimer)
  // Observed traffic changes every edge's evidence: the input is analysed again.
  metricsTimer = window.setTimeout(() => scheduleAnalyze(0), 400)
})
for (const v of VIEWS) {
  $(`view-${v}`).addEventListener('click', () => {
    setView({ view: v })
    refreshPanels()
  })
}

$('drill-back').addEventListener('click', () => setView({ clientNs: '', serviceNs: '', selected: null }))

function renderLegend(): void {
  const gridLegend = Object.assign(document.createElement('span'), { className: 'legend-set', id: 'legend-grid' })
  const mapLegend = Object.assign(document.createElement('span'), { className: 'legend-set', id: 'legend-map', hidden: true })
  mapLegend.append(
    Object.assign(document.createElement('span'), { className: 'legend-item', textContent: 'each cell: edges from the row’s clients to the column’s services, coloured by the worst; the bar shows the mix:' }),
    ...CLASSES.map((c) => {
      const span = document.createElement('span')
      span.className = `legend-item seg-${c.cls}`
      span.innerHTML = '<span class="map-swatch"></span>'
      span.append(c.label)
      return span
    }),
  )
  gridLegend.append(
    ...LEGEND.map((item) => {
      const span = document.createElement('span')
      span.className = `legend-item tone-${item.tone}`
      span.innerHTML = `<span class="swatch">${cellIcons(item.tone, item.lock)}</span>`
      span.append(item.label)
      return span
    }),
    Object.assign(document.createElement('span'), { className: 'legend-item', textContent: '◆ sidecar · ◇ no sidecar' }),
    ...EVIDENCE.map((kind) => {
      const span = Object.assign(document.createElement('span'), { className: 'legend-item legend-evidence', title: EVIDENCE_MEANING[kind] })
      span.append(evidenceBadges([kind]) ?? '', ` ${kind}`)
      return span
    }),
    Object.assign(document.createElement('span'), { className: 'legend-item legend-changed', id: 'legend-changed', hidden: true, innerHTML: '<span class="swatch changed-swatch"></span>changed by the selected step' }),
  )
  $('legend').replaceChildren(gridLegend, mapLegend)
}

// ---- plan and check -------------------------------------------------------------------------

const planKey = (): string => JSON.stringify([applied, state.view.goal, state.view.allowBreak])

function selectedStep(): Plan['steps'][number] | undefined {
  return planned?.plan?.steps.find((s) => s.name === state.view.planStep)
}

/** The matrix after the selected step (the analysis when none is selected, or while the engine simulates it). */
function planMatrix(): MatrixData | null {
  const plan = planned?.plan
  const index = plan ? plan.steps.findIndex((s) => s.name === state.view.planStep) : -1
  if (!planned || index < 0) return analysis?.matrix ?? null
  return planned.matrices[index] ?? planned.simulated.get(index + 1) ?? null
}

/** Asks the engine for what the open view needs and does not have yet (the plan, the check report). */
function refreshPanels(): void {
  if (!analysis || stale) return
  if (state.view.view === 'plan' && planned?.key !== planKey()) {
    if (crashed.has(planCrashKey())) {
      planned = { key: planKey(), plan: null, error: 'the engine stopped while planning this input (too large for the browser?): `meshlock plan` on the command line plans it', busy: false, matrices: [], simulated: new Map() }
      renderResults()
    } else void requestPlan()
  }
  const edges = analysis.map.edges
  if (!checked && !crashed.has(`check ${inputId}`) && (state.view.view === 'check' || edges <= CHECK_EAGERLY_UP_TO)) void requestCheck()
}

const planCrashKey = (): string => `plan ${inputId} ${state.view.goal} ${state.view.allowBreak.join(',')}`

async function requestPlan(): Promise<void> {
  const key = planKey()
  const crashKey = planCrashKey()
  const mine: PlanState = { key, plan: null, error: null, busy: true, matrices: [], simulated: new Map() }
  planned = mine
  document.body.dataset['plan'] = 'busy'
  renderResults()
  try {
    const plan = await engine.call({ op: 'plan', goal: state.view.goal, allowBreak: state.view.allowBreak })
    if (planned !== mine || !analysis) return
    mine.plan = plan
    mine.matrices = analysis.matrix ? stepMatrices(analysis.matrix, plan) : []
    if (state.view.planStep && !plan.steps.some((s) => s.name === state.view.planStep)) state = { ...state, view: { ...state.view, planStep: null } }
  } catch (err) {
    if (err instanceof EngineFailure && err.code === 'internal') crashed.add(crashKey)
    if (planned !== mine) return
    mine.error = err instanceof Error ? `${(err as EngineFailure).code ?? 'error'}: ${err.message}` : String(err)
  }
  mine.busy = false
  document.body.dataset['plan'] = mine.error ? 'error' : 'ready'
  renderResults()
  void simulateIfNeeded()
}

/** A step whose delta cannot be laid on the grid (workloads come or go): the engine simulates the steps. */
async function simulateIfNeeded(): Promise<void> {
  const mine = planned
  const plan = mine?.plan
  const index = plan ? plan.steps.findIndex((s) => s.name === state.view.planStep) : -1
  if (!mine || index < 0 || mine.matrices[index] || mine.simulated.has(index + 1)) return
  try {
    const matrix = await engine.call({ op: 'simulate', steps: index + 1 })
    if (planned !== mine) return
    mine.simulated.set(index + 1, matrix)
    renderResults()
  } catch {
    // The analysis' matrix stays shown, with the step's changes listed.
  }
}

function renderPlanPanel(): void {
  const step = selectedStep()
  renderPlan(
    $('plan'),
    {
      plan: planned?.plan ?? null,
      error: planned?.error ?? null,
      busy: planned?.busy ?? true,
      goal: state.view.goal,
      allowBreak: state.view.allowBreak,
      namespaces: analysis ? analysis.map.namespaces.filter((n) => n.servicePorts > 0).map((n) => n.name) : [],
      selected: state.view.planStep,
      matrixNote: !analysis?.matrix && analysis ? `The mesh has ${analysis.map.edges} edges: the plan’s changes are listed, not drawn.` : step && !planMatrix() ? 'The engine is simulating the steps up to this one; the matrix below is the mesh as it is.' : null,
    },
    {
      goal: (goal) => {
        state = { ...state, view: { ...state.view, goal, planStep: null } }
        scheduleHash()
        refreshPanels()
      },
      allowBreak: (client, allowed) => {
        const set = new Set(state.view.allowBreak)
        if (allowed) set.add(client)
        else set.delete(client)
        state = { ...state, view: { ...state.view, allowBreak: [...set].sort(), planStep: null } }
        scheduleHash()
        refreshPanels()
      },
      select: (name) => {
        setView({ planStep: name })
        void simulateIfNeeded()
        if (state.view.selected) void explain(state.view.selected.from, state.view.selected.to, false)
      },
      download: () => {
        const plan = planned?.plan
        if (plan) download(`meshlock-plan-${state.view.goal.replace(/[^a-z0-9-]+/g, '-')}.yaml`, 'application/yaml', planYaml(plan, state.view.allowBreak))
      },
    },
  )
}

async function requestCheck(): Promise<void> {
  const mine = { revision: applied, report: null as CheckReport | null, busy: true }
  const crashKey = `check ${inputId}`
  checked = mine
  try {
    mine.report = await engine.call({ op: 'check' })
  } catch (err) {
    // Shown as "checking…" until the next analysis.
    if (err instanceof EngineFailure && err.code === 'internal') {
      crashed.add(crashKey)
      setStatus(`the engine stopped while checking this input (too large for the browser?): \`meshlock check\` on the command line checks it`, 'error')
    }
  }
  mine.busy = false
  if (checked !== mine) return
  document.body.dataset['check'] = String(mine.revision)
  updateCheckTab()
  if (state.view.view === 'check') renderCheckPanel()
}

function updateCheckTab(): void {
  const diagnostics = failure ?? checked?.report?.diagnostics
  const tab = $('view-check')
  tab.textContent = diagnostics ? `Check (${diagnostics.length})` : 'Check'
}

function renderCheckPanel(): void {
  updateCheckTab()
  renderCheck(
    $('check'),
    {
      report: stale ? null : (checked?.report ?? null),
      failure,
      busy: checked?.busy ?? false,
      error: crashed.has(`check ${inputId}`) ? 'The engine stopped while checking this input (too large for the browser?): `meshlock check` on the command line checks it.' : null,
    },
    (d) => editor.reveal(d),
    async () => {
      const sarif = await engine.call({ op: 'sarif', sources: engineSources(editor.sources()), settings: engineSettings(state.settings), files: fileSources() })
      download('meshlock.sarif', 'application/sarif+json', `${JSON.stringify(sarif, null, 2)}\n`)
    },
  )
}

// ---- explanation ----------------------------------------------------------------------------

function select(edge: Edge): void {
  state = { ...state, view: { ...state.view, selected: { from: edge.from, to: edge.to } } }
  grid.select(state.view.selected)
  if (state.view.view === 'graph') renderResults()
  void explain(edge.from, edge.to, true)
  scheduleHash()
}

async function explain(from: string, to: string, focus: boolean): Promise<void> {
  const panel = $('explain')
  try {
    const index = state.view.view === 'plan' && planned?.plan ? planned.plan.steps.findIndex((s) => s.name === state.view.planStep) : -1
    const result = await engine.call({ op: 'explain', from, to, step: index + 1 })
    renderExplanation(result, index >= 0 ? (planned?.plan?.steps[index]?.name ?? null) : null)
    if (focus) panel.focus()
  } catch (err) {
    panel.hidden = false
    panel.textContent = err instanceof Error ? err.message : String(err)
  }
}

function renderExplanation({ outcome, text }: Explanation, afterStep: string | null): void {
  const panel = $('explain')
  panel.hidden = false
  panel.tabIndex = -1
  panel.dataset['step'] = afterStep ?? ''
  panel.dataset['from'] = outcome.from
  panel.dataset['to'] = outcome.to
  panel.dataset['status'] = outcome.status
  panel.dataset['reason'] = outcome.reason
  const t = tone(outcome)
  const head = document.createElement('header')
  head.className = `explain-head tone-${t}`
  const title = document.createElement('h2')
  title.innerHTML = cellIcons(t, lock(outcome))
  title.append(` ${outcome.from} → ${shortTarget(outcome.to)}: `)
  const status = document.createElement('strong')
  status.className = 'explain-status'
  status.textContent = outcome.status
  title.appendChild(status)
  const facts = document.createElement('p')
  facts.className = 'explain-facts'
  facts.textContent = `${afterStep ? `after step ${afterStep} · ` : ''}curl exit ${outcome.curlExit} · transport ${outcome.transport ?? 'none'} · ${outcome.verdict} · reason ${outcome.reason}`
  // The edge's evidence, as the engine weighed it for the grid (the mesh as it is, not after a step).
  const weighed = afterStep ? null : (analysis?.matrix ?? shownGrid())
  const evidence = weighed ? findEdge(weighed, outcome.from, outcome.to)?.evidence : undefined
  panel.dataset['evidence'] = evidence?.join(',') ?? ''
  const badges = evidenceBadges(evidence)
  if (badges) facts.append(' · evidence ', badges, ` ${evidence?.join(', ')}`)
  const close = document.createElement('button')
  close.type = 'button'
  close.className = 'explain-close'
  close.setAttribute('aria-label', 'close the explanation')
  close.textContent = '×'
  close.addEventListener('click', closeExplanation)
  head.append(title, facts, close)
  const chain = document.createElement('ol')
  chain.className = 'chain'
  for (const step of outcome.explain) {
    const li = document.createElement('li')
    li.className = `step side-${step.side}`
    const side = document.createElement('span')
    side.className = 'side'
    side.textContent = step.side
    li.appendChild(side)
    if (step.resource) {
      const res = document.createElement('code')
      res.className = 'resource'
      res.textContent = step.resource
      li.appendChild(res)
    }
    li.append(` ${step.text}`)
    chain.appendChild(li)
  }
  const parts: HTMLElement[] = [head, chain]
  if (outcome.alternatives?.length) {
    const alt = document.createElement('ul')
    alt.className = 'alternatives'
    for (const a of outcome.alternatives) {
      const li = document.createElement('li')
      li.textContent = `endpoints ${a.endpoints.join(', ')}: ${a.status} (${a.transport ?? 'none'}) ${a.reason}`
      alt.appendChild(li)
    }
    parts.push(alt)
  }
  const plain = document.createElement('details')
  plain.className = 'plain'
  const summary = document.createElement('summary')
  summary.textContent = 'as `meshlock explain` prints it'
  const pre = document.createElement('pre')
  pre.textContent = text
  plain.append(summary, pre)
  parts.push(plain)
  panel.replaceChildren(...parts)
}

function closeExplanation(): void {
  $('explain').hidden = true
  setView({ selected: null })
  grid.select(null)
}
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !$('explain').hidden) closeExplanation()
})

// ---- tour -----------------------------------------------------------------------------------

async function openTour(stepId: string): Promise<void> {
  tour ??= await engine.call({ op: 'tour' })
  load(stepState(tour, stepId, state))
}

function renderTour(): void {
  const panel = $('tour')
  const stepId = state.view.tourStep
  const step = tour?.steps.find((s) => s.id === stepId)
  if (!tour || !step) {
    panel.hidden = true
    panel.replaceChildren()
    return
  }
  panel.hidden = false
  panel.dataset['step'] = step.id
  const index = tour.steps.indexOf(step)
  const head = document.createElement('header')
  head.className = 'tour-head'
  const title = document.createElement('h2')
  title.textContent = `${tour.title} · step ${step.id}: ${step.title}`
  const nav = document.createElement('nav')
  nav.className = 'tour-nav'
  nav.setAttribute('aria-label', 'tour steps')
  for (const s of tour.steps) {
    const b = document.createElement('button')
    b.type = 'button'
    b.textContent = s.id
    b.title = s.title
    b.dataset['step'] = s.id
    if (s.id === step.id) b.setAttribute('aria-current', 'step')
    b.addEventListener('click', () => void openTour(s.id))
    nav.appendChild(b)
  }
  const prev = Object.assign(document.createElement('button'), { type: 'button', textContent: '← previous', id: 'tour-prev' })
  prev.disabled = index <= 0
  prev.addEventListener('click', () => void openTour(tour?.steps[index - 1]?.id ?? step.id))
  const next = Object.assign(document.createElement('button'), { type: 'button', textContent: 'next →', id: 'tour-next' })
  next.disabled = index >= tour.steps.length - 1
  next.addEventListener('click', () => void openTour(tour?.steps[index + 1]?.id ?? step.id))
  const close = Object.assign(document.createElement('button'), { type: 'button', textContent: 'close tour', id: 'tour-close' })
  close.addEventListener('click', () => {
    state = { ...state, view: { ...state.view, tourStep: null } }
    renderTour()
    scheduleHash()
  })
  nav.prepend(prev)
  nav.append(next, close)
  head.append(title, nav)
  const body = document.createElement('div')
  body.className = 'tour-body'
  if (step.command) {
    const cmd = document.createElement('p')
    cmd.innerHTML = '<span class="label">applies</span> '
    const code = document.createElement('code')
    code.textContent = `${step.applied.map((a) => a.name).join(', ')} with \`${step.command}\``
    cmd.appendChild(code)
    body.appendChild(cmd)
  }
  if (step.note) {
    const note = document.createElement('p')
    note.className = 'tour-note'
    note.textContent = step.note
    body.appendChild(note)
  }
  if (step.publishedDiagnostics.length) {
    const p = document.createElement('p')
    p.className = 'tour-note'
    p.textContent = `As the guide publishes it, this manifest does not load: ${step.publishedDiagnostics.map((d) => `${d.code} ${d.name} at line ${d.line}`).join('; ')}. The tour applies the intended manifest.`
    body.appendChild(p)
  }
  const table = document.createElement('table')
  table.className = 'guide-table'
  table.innerHTML = '<caption>The guide’s loop: <code>curl http://httpbin.foo:8000/ip</code> from each client</caption><thead><tr><th scope="col">client</th><th scope="col">status</th><th scope="col">transport</th><th scope="col">why</th></tr></thead>'
  const tbody = document.createElement('tbody')
  for (const row of step.rows) {
    const o = row.outcome
    const tr = document.createElement('tr')
    tr.className = `tone-${tone(o)}`
    tr.dataset['from'] = o.from
    tr.dataset['status'] = o.status
    const cells = [
      `${o.from.split('/')[1]}.${o.from.split('/')[0]}`,
      o.status,
      `${o.transport ?? 'none'}${o.curlExit ? `, curl exit ${o.curlExit}` : ''}`,
      `${o.reason}${row.guidePrints ? ` (the guide prints ${row.guidePrints}: a client without a sidecar sees the reset, not a 503)` : ''}`,
    ]
    for (const text of cells) {
      const td = document.createElement('td')
      td.textContent = text
      tr.appendChild(td)
    }
    tbody.appendChild(tr)
  }
  table.appendChild(tbody)
  body.appendChild(table)
  panel.replaceChildren(head, body)
}

$('tour-open').addEventListener('click', () => void openTour(state.view.tourStep ?? tour?.steps[0]?.id ?? '0'))

// ---- share and downloads --------------------------------------------------------------------

$('share').addEventListener('click', async () => {
  clearTimeout(hashTimer)
  const fragment = await engine.call({ op: 'encode', state: { ...state, sources: editor.sources(), view: { ...state.view, tab: editor.activeTab } } })
  if (fragment.length > MAX_FRAGMENT) {
    setStatus('this input is too large to share as a link: download the YAML instead', 'error')
    return
  }
  history.replaceState(null, '', `#${fragment}`)
  const input = $<HTMLInputElement>('share-url')
  input.value = location.href
  $('share-box').hidden = false
  input.focus()
  input.select()
  try {
    await navigator.clipboard.writeText(location.href)
    $('share').textContent = 'Link copied'
    setTimeout(() => ($('share').textContent = 'Share link'), 2000)
  } catch {
    // No clipboard permission: the link is selected in the box.
  }
})
$('share-close').addEventListener('click', () => ($('share-box').hidden = true))

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = Object.assign(document.createElement('a'), { href: url, download: name })
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

$('download-csv').addEventListener('click', async () => {
  if (analysis && !analysis.matrix) return setStatus(`${analysis.map.edges} edges are too many for a download here: \`meshlock matrix --format csv\` streams them`, 'error')
  if (analysis) download('meshlock-matrix.csv', 'text/csv', await engine.call({ op: 'csv' }))
})
$('download-json').addEventListener('click', () => {
  if (analysis && !analysis.matrix) return setStatus(`${analysis.map.edges} edges are too many for a download here: \`meshlock matrix --format json\` streams them`, 'error')
  if (analysis?.matrix) download('meshlock-matrix.json', 'application/json', JSON.stringify(expandMatrix(analysis.matrix), null, 2))
})

// ---- opening files ---------------------------------------------------------------------------

/** Opens files as the input (replacing the sources): small UTF-8 ones into the editor; large ones
 * (a kubectl dump of thousands of pods) and any other bytes (UTF-16, or not text at all) straight to
 * the engine, which reads them in its worker and decodes them as the CLI decodes a file. */
async function openFiles(files: File[]): Promise<void> {
  if (files.length === 0) return
  openedFiles.clear()
  const sources: PlaygroundState['sources'] = []
  for (const file of files) {
    const text = file.size > EDITOR_FILE_LIMIT ? null : utf8(await file.arrayBuffer())
    if (text === null) {
      openedFiles.set(file.name, file)
      sources.push({ name: file.name, file: file.size })
    } else sources.push({ name: file.name, text })
  }
  // A cluster dump is new input: an example's settings (the seed's Istio 1.1) do not carry over.
  load({ v: 1, sources, settings: state.view.example ? {} : state.settings, view: { ...DEFAULT_VIEW } })
}

/** The text of UTF-8 bytes (a byte order mark dropped, as the engine drops it); `null` for any
 * other bytes, which `Blob.text()` would silently replace with U+FFFD. */
function utf8(bytes: ArrayBuffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return null
  }
}

$('open-file-button').addEventListener('click', () => $('open-file').click())
$('open-file').addEventListener('change', (event) => {
  const input = event.target as HTMLInputElement
  void openFiles([...(input.files ?? [])])
  input.value = ''
})
const dropZone = $('editor')
dropZone.addEventListener('dragover', (event) => {
  if (!event.dataTransfer?.types.includes('Files')) return
  event.preventDefault()
  dropZone.classList.add('drop-target')
})
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('drop-target'))
dropZone.addEventListener('drop', (event) => {
  dropZone.classList.remove('drop-target')
  if (!event.dataTransfer?.files.length) return
  event.preventDefault()
  void openFiles([...event.dataTransfer.files])
})

// ---- start ----------------------------------------------------------------------------------

/** A small hook for tests and for pasting from the console: replaces the sources and settings. */
declare global {
  interface Window {
    meshlockPlayground: {
      load(sources: PlaygroundState['sources'], settings?: SettingsState): void
      state(): PlaygroundState
      matrix(): Matrix | null
      map(): NamespaceMap | null
      /** Opens files as the file picker does. */
      open(files: File[]): Promise<void>
    }
  }
}
window.meshlockPlayground = {
  load: (sources, settings = {}) => load({ v: 1, sources, settings, view: { ...DEFAULT_VIEW } }),
  state: () => ({ ...state, sources: editor.sources() }),
  matrix: () => (analysis?.matrix ? expandMatrix(analysis.matrix) : null),
  map: () => analysis?.map ?? null,
  open: (files) => openFiles(files),
}

async function start(): Promise<void> {
  fillSettings()
  fillExamples()
  fillEvidenceFilter()
  renderLegend()
  editor.setSeedText((await engine.call({ op: 'seed' })).text)
  const shared = decodeState(location.hash)
  if (shared?.view.tourStep) tour = await engine.call({ op: 'tour' })
  const first = examples[0]
  load(shared ?? (first ? exampleState(first) : seedState()))
  if (import.meta.env.PROD && 'serviceWorker' in navigator && location.protocol !== 'file:') {
    navigator.serviceWorker.register('./sw.js').catch(() => {
      // Offline use is a bonus: the page works without it.
    })
  }
}

void start()
