// Inline SVG icons (no icon font, no emoji: they render the same everywhere, offline).
import type { Lock, Tone } from './matrix'

const svg = (body: string, label: string) =>
  `<svg class="icon" viewBox="0 0 16 16" width="14" height="14" role="img" aria-label="${label}" focusable="false">${body}</svg>`

export const ICONS = {
  closed: svg('<rect x="3" y="7" width="10" height="8" rx="1.5"/><path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.8"/>', 'mutual TLS'),
  open: svg('<rect x="3" y="7" width="10" height="8" rx="1.5"/><path d="M5 7V5a3 3 0 0 1 5.8-1" fill="none" stroke="currentColor" stroke-width="1.8"/>', 'plaintext'),
  fail: svg('<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>', 'fails'),
  denied: svg('<circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M4.2 11.8l7.6-7.6" stroke="currentColor" stroke-width="2"/>', 'denied'),
  ok: svg('<path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>', 'works'),
} as const

/** The icons of a cell: the verdict mark (for failures), then the lock. */
export function cellIcons(tone: Tone, lock: Lock): string {
  const verdict = tone === 'fail' ? ICONS.fail : tone === 'denied' ? ICONS.denied : ''
  const padlock = lock === 'closed' ? ICONS.closed : lock === 'open' ? ICONS.open : ''
  return verdict + padlock
}
