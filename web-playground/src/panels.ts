// The plan and check panels: DOM only, from the engine's results (`Plan`, `CheckReport`). Every step,
// blocker, remedy and finding is the engine's; these arrange them.
import type { CheckReport, Diagnostic, EdgeGroup, Plan, PlanStep } from 'meshlock-wasm'
import { shortTarget } from './matrix'
import { allowBreakChoices, changeSummary, goalChoices } from './plan'

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props)
  e.append(...children)
  return e
}

/** The diagnostics as a list; the location of each is a button that reveals it in the editor. */
export function diagnosticList(diagnostics: Diagnostic[], reveal: (d: Diagnostic) => void): HTMLUListElement {
  const list = el('ul')
  for (const d of diagnostics) {
    const item = el('li', { className: `diag diag-${d.severity}` })
    item.dataset['code'] = d.code
    item.dataset['severity'] = d.severity
    const where = d.source ? `${d.source}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ''}` : ''}` : 'mesh'
    const button = el('button', { type: 'button', className: 'diag-where', textContent: where })
    if (d.source) button.addEventListener('click', () => reveal(d))
    else button.disabled = true
    const text = el('span', { className: 'diag-text', textContent: ` ${d.severity} ${d.code} ${d.name}: ${d.message}${d.path ? ` (at ${d.path})` : ''}` })
    item.append(button, text)
    if (d.help) item.appendChild(el('div', { className: 'diag-help', textContent: `help: ${d.help}` }))
    list.appendChild(item)
  }
  return list
}

// ---- plan -------------------------------------------------------------------------------------

export interface PlanPanel {
  plan: Plan | null
  /** The engine's error, when planning failed. */
  error: string | null
  busy: boolean
  goal: string
  allowBreak: string[]
  /** Namespaces with services (for the `namespace=` goals). */
  namespaces: string[]
  /** The selected step's name; `null`: the mesh as it is. */
  selected: string | null
  /** Why the matrix below is not the one after the selected step, if it is not. */
  matrixNote: string | null
}

export interface PlanActions {
  goal(goal: string): void
  allowBreak(client: string, allowed: boolean): void
  select(step: string | null): void
  download(): void
}

function yamlBlock(kind: string, title: string, docs: string[]): HTMLElement[] {
  if (docs.length === 0) return []
  const pre = el('pre', { className: 'yaml' }, docs.map((d) => (d.endsWith('\n') ? d : `${d}\n`)).join('---\n'))
  pre.dataset['kind'] = kind
  return [el('h4', { textContent: title }), pre]
}

/** Cells listed one by one under a step; the groups count every one. */
const MAX_DELTA = 200

const EFFECT_WORDS: Record<EdgeGroup['effect'], string> = {
  'mtls-broken': 'broken by mTLS configuration',
  denied: 'denied by authorization (expected)',
  'other-failure': 'failing for another reason',
  breaks: 'breaks',
  'still-denied': 'still denied (by authorization before and after)',
  'still-failing': 'still failing',
  repaired: 'repaired',
  changed: 'changes transport',
  'added-or-removed': 'added or removed',
}

/** Edge groups (the engine's grouping by effect, change, reason and deciding resource). */
export function edgeGroups(groups: EdgeGroup[]): HTMLElement {
  const list = el('ul', { className: 'edge-groups' })
  for (const g of groups) {
    const li = el(
      'li',
      { className: `edge-group effect-${g.effect}` },
      el('strong', { textContent: `${g.edges} × ${g.change}` }),
      ` ${EFFECT_WORDS[g.effect]} [${g.reason}]${g.resource ? ` by ${g.resource}` : ''}: ${g.clientsText} → ${g.servicesText}`,
    )
    li.dataset['effect'] = g.effect
    li.dataset['edges'] = String(g.edges)
    list.appendChild(li)
  }
  return list
}

/** The plan's remedy set: the fewest remedies found that release the held-back lock-downs. */
function remedySet(plan: Plan): HTMLElement | null {
  if (plan.remedySet.length === 0) return null
  const section = el('section', { className: 'remedy-set' })
  const released = plan.remedySet.at(-1)?.released ?? 0
  section.append(
    el('h3', { textContent: `To unblock: ${plan.remedySet.length} ${plan.remedySet.length === 1 ? 'remedy' : 'remedies'} → ${released} of ${plan.heldBack.length} held-back lock-downs` }),
    el('p', { className: 'muted', textContent: 'Chosen greedily (each covers the most blocked edges left), in order; each line says what it and those before it release.' }),
  )
  const list = el('ol', { className: 'remedies' })
  for (const r of plan.remedySet) {
    const li = el('li', {}, el('span', { className: 'remedy-kind', textContent: r.kind }), ` ${r.description} `, el('span', { className: 'muted', textContent: `(${r.edges} blocked edges; ${r.released} lock-downs released so far)` }))
    li.dataset['kind'] = r.kind
    li.dataset['target'] = r.target
    if (r.alternatives.length) li.appendChild(el('div', { className: 'muted', textContent: `or: ${r.alternatives.join('; ')}` }))
    if (r.action) li.appendChild(el('details', {}, el('summary', { textContent: 'how' }), el('pre', { className: 'yaml', textContent: r.action })))
    list.appendChild(li)
  }
  section.appendChild(list)
  if (plan.blockingClients.length) {
    section.append(
      el('h4', { textContent: 'Blocking clients, each once' }),
      el('ul', { className: 'blocking-clients' }, ...plan.blockingClients.map((g) => el('li', { textContent: `${g.clientsText} → holds back ${g.holdsText}` }))),
    )
  }
  return section
}

function stepDetail(step: PlanStep): HTMLElement {
  const section = el('section', { className: 'step-detail' })
  section.dataset['step'] = step.name
  section.append(el('h3', { textContent: step.name }), el('p', { textContent: step.description }))
  if (step.prechecks.length) {
    section.append(el('h4', { textContent: 'Before applying, check on the live cluster' }), el('ul', { className: 'prechecks' }, ...step.prechecks.map((p) => el('li', {}, el('code', { textContent: p })))))
  }
  section.append(
    ...yamlBlock('apply', `Apply (kubectl apply -f ${step.name}.yaml)`, step.apply),
    ...yamlBlock('delete', `Delete (kubectl delete -f ${step.name}.delete.yaml)`, step.delete),
    ...yamlBlock('rollback', `Rollback: apply (${step.name}.rollback.yaml)`, step.rollback),
    ...yamlBlock('rollback-delete', `Rollback: delete (${step.name}.rollback-delete.yaml)`, step.rollbackDelete),
  )
  if (step.rollback.length === 0 && step.rollbackDelete.length === 0) section.append(el('p', { className: 'muted', textContent: 'Rollback: nothing to undo.' }))
  const stages = Object.entries(step.stages)
  if (stages.length) {
    section.append(
      el('h4', { textContent: 'Stages' }),
      el('ul', { className: 'stage-changes' }, ...stages.map(([what, s]) => el('li', { textContent: `${shortTarget(what)}: ${s.before} → ${s.after}` }))),
    )
  }
  if (step.groups.length) {
    section.append(el('h4', { textContent: `What changes, grouped by cause (${step.groups.length} group${step.groups.length === 1 ? '' : 's'} of ${step.delta.length} edges)` }), edgeGroups(step.groups))
  }
  section.append(el('h4', { textContent: `Changed cells (${step.delta.length}): highlighted in the matrix` }))
  const delta = el('ul', { className: 'delta' })
  for (const c of step.delta.slice(0, MAX_DELTA)) {
    const li = el('li', { textContent: `${c.from} → ${shortTarget(c.to)}: ${c.change}${c.after ? ` (${c.after.status})` : ''}` })
    li.dataset['from'] = c.from
    li.dataset['to'] = c.to
    delta.appendChild(li)
  }
  if (step.delta.length > MAX_DELTA) delta.appendChild(el('li', { className: 'muted', textContent: `… and ${step.delta.length - MAX_DELTA} more (the groups above count them all)` }))
  section.appendChild(delta)
  return section
}

function blockers(plan: Plan): HTMLElement | null {
  if (plan.blockers.length === 0) return null
  const byClient = new Map<string, Plan['blockers']>()
  for (const b of plan.blockers) byClient.set(b.client, [...(byClient.get(b.client) ?? []), b])
  const section = el('section', { className: 'blockers' }, el('h3', { textContent: `Held back (${plan.blockers.length})` }))
  const list = el('ul')
  for (const [client, held] of byClient) {
    const group = el('li', { className: 'blocker-client' }, el('strong', { textContent: client }), ` would break at ${held.length} service port${held.length === 1 ? '' : 's'}`)
    group.dataset['client'] = client
    const items = el('ul')
    for (const b of held) {
      const item = el('li', { className: 'blocker' })
      item.dataset['client'] = b.client
      item.dataset['service'] = b.service
      item.dataset['step'] = b.step
      const details = el('details')
      details.appendChild(el('summary', {}, `${shortTarget(b.service)}: would get `, el('strong', { textContent: b.wouldGet }), ` (${b.reason}) at step ${b.step}`))
      const remedies = el('ul', { className: 'remedies' })
      for (const r of b.remedies) {
        const li = el('li', {}, el('span', { className: 'remedy-kind', textContent: r.kind }), ` ${r.description}`)
        li.dataset['kind'] = r.kind
        if (r.action) li.appendChild(el('pre', { className: 'yaml', textContent: r.action }))
        remedies.appendChild(li)
      }
      details.appendChild(remedies)
      item.appendChild(details)
      items.appendChild(item)
    }
    group.appendChild(items)
    list.appendChild(group)
  }
  section.appendChild(list)
  return section
}

export function renderPlan(host: HTMLElement, panel: PlanPanel, on: PlanActions): void {
  host.dataset['busy'] = panel.busy ? '1' : ''
  const controls = el('div', { className: 'plan-controls' })
  const goal = el('select', { id: 'plan-goal' })
  const choices = goalChoices(panel.namespaces)
  if (!choices.some((c) => c.value === panel.goal)) choices.push({ value: panel.goal, label: panel.goal })
  goal.append(...choices.map((c) => new Option(c.label, c.value)))
  goal.value = panel.goal
  goal.addEventListener('change', () => on.goal(goal.value))
  controls.appendChild(el('label', { className: 'field' }, 'goal ', goal))
  const allow = el('fieldset', { className: 'allow-break' }, el('legend', { textContent: 'allow to break' }))
  const clients = allowBreakChoices(panel.plan, panel.allowBreak)
  if (clients.length === 0) allow.append(el('span', { className: 'muted', textContent: 'no client holds the plan back' }))
  for (const client of clients) {
    const box = el('input', { type: 'checkbox', checked: panel.allowBreak.includes(client) })
    box.dataset['client'] = client
    box.addEventListener('change', () => on.allowBreak(client, box.checked))
    allow.appendChild(el('label', {}, box, ` ${client}`))
  }
  controls.appendChild(allow)
  const download = el('button', { type: 'button', id: 'plan-download', textContent: 'Download plan YAML', disabled: !panel.plan || panel.plan.steps.length === 0 })
  download.addEventListener('click', () => on.download())
  controls.appendChild(download)
  const parts: HTMLElement[] = [controls]
  if (panel.error) parts.push(el('p', { className: 'plan-error', textContent: panel.error }))
  const plan = panel.plan
  if (!plan) {
    if (!panel.error) parts.push(el('p', { className: 'muted', textContent: 'planning…' }))
    host.replaceChildren(...parts)
    return
  }
  const f = plan.final
  parts.push(
    el('p', {
      className: 'plan-final',
      textContent: `${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, ${plan.blockers.length} held back. After the plan: mesh ${f.mesh}, ${f.failing} failing of ${f.edges}, ${f.mtls} over mTLS, ${f.plaintext} plaintext (${Object.entries(f.namespaces).map(([ns, s]) => `${ns} ${s}`).join(', ')}).`,
    }),
  )
  if (plan.notes.length) parts.push(el('ul', { className: 'plan-notes' }, ...plan.notes.map((n) => el('li', { textContent: n }))))
  const timeline = el('ol', { className: 'timeline' })
  timeline.setAttribute('aria-label', 'plan steps')
  const entries: Array<[string | null, string, string]> = [[null, 'now', 'the mesh as it is'], ...plan.steps.map((s): [string, string, string] => [s.name, s.name, changeSummary(s.delta) || 'no edge changes'])]
  for (const [name, label, sub] of entries) {
    const b = el('button', { type: 'button', className: 'plan-step' }, el('span', { className: 'step-name', textContent: label }), el('span', { className: 'step-sub', textContent: sub }))
    b.dataset['step'] = name ?? ''
    if (name === panel.selected) b.setAttribute('aria-current', 'step')
    b.addEventListener('click', () => on.select(name))
    timeline.appendChild(el('li', {}, b))
  }
  parts.push(timeline)
  const step = plan.steps.find((s) => s.name === panel.selected)
  if (step) parts.push(stepDetail(step))
  if (panel.matrixNote) parts.push(el('p', { className: 'muted', textContent: panel.matrixNote }))
  const remedies = remedySet(plan)
  if (remedies) parts.push(remedies)
  const held = blockers(plan)
  if (held) parts.push(held)
  if (plan.steps.length === 0) parts.push(el('p', { className: 'muted', textContent: 'No step is needed or possible without breaking a working edge.' }))
  host.replaceChildren(...parts)
}

// ---- check ------------------------------------------------------------------------------------

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`

/** A list for a table cell: the first few, then how many more (a large mesh has hundreds). */
function few(items: string[], shown = 6): string {
  if (items.length === 0) return 'none'
  const head = items.slice(0, shown).join(', ')
  return items.length > shown ? `${head} and ${items.length - shown} more` : head
}

export interface CheckPanel {
  report: CheckReport | null
  /** The input does not load: its diagnostics (what `check` reports for it). */
  failure: Diagnostic[] | null
  busy: boolean
  /** Why there is no report (the engine stopped on this input). */
  error?: string | null
}

export function renderCheck(host: HTMLElement, panel: CheckPanel, reveal: (d: Diagnostic) => void, sarif: () => void): void {
  const diagnostics = panel.failure ?? panel.report?.diagnostics ?? []
  const head = el('div', { className: 'check-head' })
  const counts = { error: 0, warning: 0, info: 0 }
  for (const d of diagnostics) counts[d.severity]++
  const s = panel.report?.summary
  head.appendChild(
    el('p', {
      className: 'check-summary',
      textContent: panel.failure
        ? `The input does not load: ${count(counts.error, 'error')}.`
        : s
          ? `${count(counts.error, 'error')}, ${count(counts.warning, 'warning')}, ${count(counts.info, 'note')} · ${count(s.edges, 'edge')}: ${s.ok} ok, ${s.failing} failing, ${s.mtls} over mTLS, ${s.plaintext} plaintext`
          : (panel.error ?? 'checking…'),
    }),
  )
  const download = el('button', { type: 'button', id: 'download-sarif', textContent: 'Download SARIF', disabled: !panel.report && !panel.failure })
  download.addEventListener('click', sarif)
  head.appendChild(download)
  const parts: HTMLElement[] = [head]
  if (diagnostics.length) parts.push(diagnosticList(diagnostics, reveal))
  else if (panel.report) parts.push(el('p', { className: 'muted', textContent: 'No findings.' }))
  const exposure = panel.failure ? [] : (panel.report?.exposure ?? [])
  if (exposure.length) {
    const table = el('table', { className: 'exposure' })
    table.appendChild(el('caption', { textContent: 'Who may call each service port in plaintext, and the authorization that depends on mTLS' }))
    const headRow = el('tr')
    for (const h of ['service port', 'mode', 'plaintext callers', 'authorization', 'findings']) headRow.appendChild(el('th', { scope: 'col', textContent: h }))
    table.appendChild(el('thead', {}, headRow))
    const body = el('tbody')
    for (const e of exposure) {
      const row = el('tr')
      row.dataset['service'] = e.service
      for (const text of [shortTarget(e.service), e.mode ?? 'no sidecar', few(e.plaintextCallers), few(e.authorization), e.findings.join('; ')]) row.appendChild(el('td', { textContent: text }))
      body.appendChild(row)
    }
    table.appendChild(body)
    parts.push(table)
  }
  host.dataset['busy'] = panel.busy ? '1' : ''
  host.replaceChildren(...parts)
}
