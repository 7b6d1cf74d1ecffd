// The playground's whole state, and its encoding in the URL fragment (`#s=…`): JSON, deflated
// (fflate), base64url. Fragments never reach a server, so sharing a link uploads nothing.
// Pure functions only: unit-tested in tests/unit/state.test.ts.
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate'

export const SEED_NAME = 'meshlock:seed/cluster.yaml'

/** One editor tab: inline YAML, or the built-in seed cluster (kept as a reference, not its text). */
export interface SourceState {
  name: string
  text?: string
  namespace?: string
  builtin?: 'seed'
  /** A file opened from disk too large for the editor (its size in bytes): the page keeps the
   * `File` and the engine reads it; a share link cannot hold it. */
  file?: number
}

export interface SettingsState {
  /** `"1.0"` … `"1.28"` or `"current"`; absent: meshlock's default rule. */
  istioVersion?: string
  autoMtls?: boolean
  rootNamespace?: string
}

export type VerdictFilter = 'all' | 'ok' | 'fail'
export type ViewName = 'matrix' | 'graph' | 'plan' | 'check'

export interface ViewState {
  tab: number
  view: ViewName
  clientNs: string
  serviceNs: string
  verdict: VerdictFilter
  /** The cell whose explanation is open. */
  selected: { from: string; to: string } | null
  /** The tour step shown, if the tour is open. */
  tourStep: string | null
  /** The example these sources came from, if any (unchanged since). */
  example: string | null
  /** The planner's goal: `strict`, `mesh-strict` or `namespace=NS[,NS]`. */
  goal: string
  /** Clients (`namespace/name`) the plan may break. */
  allowBreak: string[]
  /** The plan step shown (its name), in the plan view; `null`: the mesh as it is. */
  planStep: string | null
  /** The edges shown by evidence, as the engine's edge scope (`all`, `declared,observed`, …). */
  edges: string
}

export interface PlaygroundState {
  v: 1
  sources: SourceState[]
  settings: SettingsState
  view: ViewState
  /** Observed traffic (Prometheus text exposition or its HTTP API's JSON): the edges it saw are
   * `observed` evidence. */
  metrics?: string
}

export const DEFAULT_VIEW: ViewState = {
  tab: 0,
  view: 'matrix',
  clientNs: '',
  serviceNs: '',
  verdict: 'all',
  selected: null,
  tourStep: null,
  example: null,
  goal: 'strict',
  allowBreak: [],
  planStep: null,
  edges: 'all',
}

/** A goal the planner takes (`namespace=` names are Kubernetes names). */
export const GOAL = /^(strict|mesh-strict|namespace=[a-z0-9]([-a-z0-9.]*[a-z0-9])?(,[a-z0-9]([-a-z0-9.]*[a-z0-9])?)*)$/
/** A client the planner takes: `namespace/name`. */
export const CLIENT = /^[^/\s]+\/[^/\s]+$/
/** An edge scope the engine takes: `all`, `possible`, or evidence kinds separated by commas. */
export const SCOPE = /^(all|possible|(observed|declared|possible|forbidden)(,(observed|declared|possible|forbidden))*)$/

export function seedState(): PlaygroundState {
  return { v: 1, sources: [{ name: SEED_NAME, builtin: 'seed' }], settings: { istioVersion: '1.1' }, view: { ...DEFAULT_VIEW } }
}

/** Whether a source is a file opened from disk that the editor does not hold. */
export const isFileSource = (s: SourceState): boolean => s.file !== undefined

/** The sources as the engine takes them (files opened from disk go separately: see `isFileSource`). */
export function engineSources(
  sources: SourceState[],
): Array<{ builtin: 'seed' } | { name: string; text: string; namespace: string | null }> {
  return sources.filter((s) => !isFileSource(s)).map((s) => (s.builtin === 'seed' ? { builtin: 'seed' } : { name: s.name, text: s.text ?? '', namespace: s.namespace ?? null }))
}

/** The settings as the engine takes them (absent keys left out). */
export function engineSettings(settings: SettingsState): { istioVersion?: string; autoMtls?: boolean; rootNamespace?: string } {
  const out: { istioVersion?: string; autoMtls?: boolean; rootNamespace?: string } = {}
  if (settings.istioVersion) out.istioVersion = settings.istioVersion
  if (typeof settings.autoMtls === 'boolean') out.autoMtls = settings.autoMtls
  if (settings.rootNamespace) out.rootNamespace = settings.rootNamespace
  return out
}

// ---- encoding -------------------------------------------------------------------------------

const PREFIX = 's='

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/** The compact form: default view fields left out. Deterministic for equal states. */
function compact(state: PlaygroundState): unknown {
  const view: Partial<ViewState> = {}
  for (const key of Object.keys(DEFAULT_VIEW) as Array<keyof ViewState>) {
    if (JSON.stringify(state.view[key]) !== JSON.stringify(DEFAULT_VIEW[key])) (view as Record<string, unknown>)[key] = state.view[key]
  }
  return { v: 1, sources: state.sources, settings: state.settings, view, ...(state.metrics ? { metrics: state.metrics } : {}) }
}

/** `s=<base64url(deflate(json))>`, for `location.hash`. */
export function encodeState(state: PlaygroundState): string {
  return PREFIX + toBase64Url(deflateSync(strToU8(JSON.stringify(compact(state))), { level: 9 }))
}

/** Reads a fragment written by `encodeState` (with or without `#`); `null` if it is not one. */
export function decodeState(fragment: string): PlaygroundState | null {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment
  if (!text.startsWith(PREFIX)) return null
  let raw: unknown
  try {
    raw = JSON.parse(strFromU8(inflateSync(fromBase64Url(text.slice(PREFIX.length)))))
  } catch {
    return null
  }
  return sanitize(raw)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Keeps only well-typed fields: a shared link is untrusted input. */
export function sanitize(raw: unknown): PlaygroundState | null {
  if (!isObject(raw) || raw['v'] !== 1 || !Array.isArray(raw['sources'])) return null
  const sources: SourceState[] = []
  for (const s of raw['sources']) {
    if (!isObject(s)) return null
    if (s['builtin'] === 'seed') {
      sources.push({ name: str(s['name']) ?? SEED_NAME, builtin: 'seed' })
      continue
    }
    const name = str(s['name'])
    const text = str(s['text'])
    if (name === undefined || text === undefined) return null
    const source: SourceState = { name, text }
    const namespace = str(s['namespace'])
    if (namespace) source.namespace = namespace
    sources.push(source)
  }
  const settings: SettingsState = {}
  const rs = isObject(raw['settings']) ? raw['settings'] : {}
  if (str(rs['istioVersion'])) settings.istioVersion = str(rs['istioVersion'])
  if (typeof rs['autoMtls'] === 'boolean') settings.autoMtls = rs['autoMtls']
  if (str(rs['rootNamespace'])) settings.rootNamespace = str(rs['rootNamespace'])
  const rv = isObject(raw['view']) ? raw['view'] : {}
  const view: ViewState = { ...DEFAULT_VIEW }
  if (typeof rv['tab'] === 'number' && Number.isInteger(rv['tab']) && rv['tab'] >= 0) view.tab = Math.min(rv['tab'], Math.max(sources.length - 1, 0))
  if (rv['view'] === 'matrix' || rv['view'] === 'graph' || rv['view'] === 'plan' || rv['view'] === 'check') view.view = rv['view']
  if (str(rv['clientNs']) !== undefined) view.clientNs = str(rv['clientNs']) ?? ''
  if (str(rv['serviceNs']) !== undefined) view.serviceNs = str(rv['serviceNs']) ?? ''
  if (rv['verdict'] === 'ok' || rv['verdict'] === 'fail' || rv['verdict'] === 'all') view.verdict = rv['verdict']
  const sel = rv['selected']
  if (isObject(sel) && str(sel['from']) && str(sel['to'])) view.selected = { from: str(sel['from']) ?? '', to: str(sel['to']) ?? '' }
  if (str(rv['tourStep'])) view.tourStep = str(rv['tourStep']) ?? null
  if (str(rv['example'])) view.example = str(rv['example']) ?? null
  const goal = str(rv['goal'])
  if (goal && GOAL.test(goal)) view.goal = goal
  if (Array.isArray(rv['allowBreak'])) {
    view.allowBreak = [...new Set(rv['allowBreak'].filter((c): c is string => typeof c === 'string' && CLIENT.test(c)))].sort()
  }
  if (str(rv['planStep'])) view.planStep = str(rv['planStep']) ?? null
  const edges = str(rv['edges'])
  if (edges && SCOPE.test(edges)) view.edges = edges
  const metrics = str(raw['metrics'])
  return { v: 1, sources, settings, view, ...(metrics ? { metrics } : {}) }
}
