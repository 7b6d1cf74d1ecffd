// Edge evidence on the page: the evidence filter's choices as the engine's edge scope (`edges`,
// as the CLI's `--edges declared,observed`), and the badges a cell shows. The engine decides each
// edge's evidence and which edges a scope keeps; these only name and draw them. Unit-tested.
import type { Evidence } from 'meshlock-wasm'
import { SCOPE } from './state'

/** Every kind, strongest first (the engine's order). */
export const EVIDENCE: readonly Evidence[] = ['observed', 'declared', 'possible', 'forbidden']

/** What each kind means, for the filter's tooltips and the legend. */
export const EVIDENCE_MEANING: Record<Evidence, string> = {
  observed: 'telemetry saw the client call the service (metrics)',
  declared: 'a TrafficIntent or an intents CSV line names the edge',
  possible: 'nothing forbids it: the model lets the client try',
  forbidden: 'a NetworkPolicy drops it or authorization denies it',
}

/** One letter per kind: a cell is 78 px wide. */
const LETTER: Record<Evidence, string> = { observed: 'O', declared: 'D', possible: 'P', forbidden: 'F' }

/** The scope of the checked kinds: `all` when every kind is checked (the engine's default). */
export function scopeOf(checked: readonly Evidence[]): string {
  const kinds = EVIDENCE.filter((k) => checked.includes(k))
  return kinds.length === EVIDENCE.length || kinds.length === 0 ? 'all' : kinds.join(',')
}

/** The kinds a scope names, for the checkboxes (`all`: every kind). */
export function kindsOf(scope: string): Evidence[] {
  if (scope === 'all' || !SCOPE.test(scope)) return [...EVIDENCE]
  const named = new Set(scope.split(','))
  return EVIDENCE.filter((k) => named.has(k))
}

/** The badges of an edge's evidence (empty when the engine gave none). */
export function evidenceBadges(evidence: readonly Evidence[] | undefined): HTMLSpanElement | null {
  if (!evidence?.length) return null
  const host = document.createElement('span')
  host.className = 'evidence'
  host.setAttribute('aria-label', `evidence: ${evidence.join(', ')}`)
  for (const kind of evidence) {
    const badge = document.createElement('span')
    badge.className = `ev ev-${kind}`
    badge.textContent = LETTER[kind]
    badge.title = `${kind}: ${EVIDENCE_MEANING[kind]}`
    host.appendChild(badge)
  }
  return host
}
