// Pure helpers over the engine's plan: the matrix after each step (the base matrix with the
// engine's per-step deltas applied), the cells a step changes, the goals on offer, and the plan as
// one YAML file. The engine decides every step and every outcome; these only arrange them.
// Unit-tested (vitest), and checked against the engine's own `simulate` (tests/engine).
import type { EdgeChange, Plan, PlanStep } from 'meshlock-wasm'
import { type MatrixData, NO_EDGE, kindKey } from './matrix'

/** A cell's identity in the sets below. */
export function cellKey(from: string, to: string): string {
  return `${from} ${to}`
}

/** The cells a step changes, each with its change (`plaintext → mtls`). */
export function changedCells(step: PlanStep | undefined): Map<string, string> {
  return new Map((step?.delta ?? []).map((c) => [cellKey(c.from, c.to), c.change]))
}

/**
 * `base` with `changes` applied: each changed edge takes its state after the change. `null` when a
 * change adds or removes an edge (a workload or service appears or goes): the grid is then not the
 * same, and the page asks the engine to simulate the steps instead.
 */
export function applyDelta(base: MatrixData, changes: EdgeChange[]): MatrixData | null {
  const rows = new Map(base.clients.map((c, i) => [c.id, i]))
  const cols = new Map(base.services.map((s, i) => [s.id, i]))
  const kinds = base.kinds.slice()
  const index = new Map(kinds.map((k, i) => [kindKey(k), i]))
  const cells = base.cells.slice()
  for (const change of changes) {
    const row = rows.get(change.from)
    const col = cols.get(change.to)
    if (row === undefined || col === undefined || !change.before || !change.after) return null
    const key = kindKey(change.after)
    let k = index.get(key)
    if (k === undefined) {
      k = kinds.length
      if (k >= NO_EDGE) return null
      const { status, curlExit, transport, verdict, reason } = change.after
      kinds.push({ status, curlExit, transport, verdict, reason })
      index.set(key, k)
    }
    cells[row * base.services.length + col] = k
  }
  return { ...base, kinds, cells }
}

/** The matrix after each step (`[i]`: after steps 1 … i + 1); `null` from the first step whose delta cannot be applied. */
export function stepMatrices(base: MatrixData, plan: Plan): Array<MatrixData | null> {
  const out: Array<MatrixData | null> = []
  let current: MatrixData | null = base
  for (const step of plan.steps) {
    current = current ? applyDelta(current, step.delta) : null
    out.push(current)
  }
  return out
}

/** The goals the planner takes, for these namespaces. */
export function goalChoices(namespaces: string[]): Array<{ value: string; label: string }> {
  return [
    { value: 'strict', label: 'strict: lock every namespace that can be locked' },
    { value: 'mesh-strict', label: 'mesh-strict: every namespace, then the whole mesh' },
    ...namespaces.map((ns) => ({ value: `namespace=${ns}`, label: `namespace=${ns}: lock ${ns} only` })),
  ]
}

/** The clients offered as allow-break choices: those the plan is held back by, and those already allowed. */
export function allowBreakChoices(plan: Plan | null, allowed: string[]): string[] {
  return [...new Set([...(plan?.blockers.map((b) => b.client) ?? []), ...allowed])].sort()
}

/** Counts of a step's changes by group, `plaintext → mtls: 4`. */
export function changeSummary(changes: EdgeChange[]): string {
  const groups = new Map<string, number>()
  for (const c of changes) groups.set(c.change, (groups.get(c.change) ?? 0) + 1)
  return [...groups].map(([g, n]) => `${g}: ${n}`).join(', ')
}

const comment = (text: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? `#   ${l}` : '#'))
    .join('\n')

const doc = (yaml: string): string => (yaml.endsWith('\n') ? yaml : `${yaml}\n`)

/**
 * Every step's manifests in one multi-document YAML file, in order, each step headed by its name,
 * description, prechecks and rollback (as comments). Applying it whole gives the plan's final state;
 * the comments say how to go one step at a time.
 */
export function planYaml(plan: Plan, allowBreak: string[]): string {
  const goal = plan.goal.type === 'namespaces' ? `namespace=${plan.goal.namespaces.join(',')}` : plan.goal.type
  const head = [
    `# meshlock plan: goal ${goal}${allowBreak.length ? `, allowed to break: ${allowBreak.join(', ')}` : ''}`,
    `# ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}; apply them one at a time, in order, and check the cluster between steps.`,
    ...plan.notes.map((n) => `# note: ${n}`),
    ...plan.blockers.map((b) => `# held back: ${b.client} → ${b.service} would get ${b.wouldGet} (${b.reason}) at ${b.step}`),
  ]
  const parts = [`${head.join('\n')}\n`]
  for (const step of plan.steps) {
    const lines = [`# ---- step ${step.name}: ${step.description}`]
    for (const p of step.prechecks) lines.push(`# before: ${p}`)
    for (const d of step.delete) lines.push('# delete (kubectl delete -f):', comment(d))
    if (step.rollback.length) lines.push('# rollback: apply', ...step.rollback.map(comment))
    if (step.rollbackDelete.length) lines.push('# rollback: delete', ...step.rollbackDelete.map(comment))
    step.apply.forEach((yaml, i) => parts.push(`---\n${i === 0 ? `${lines.join('\n')}\n` : ''}${doc(yaml)}`))
    if (step.apply.length === 0) parts.push(`---\n${lines.join('\n')}\n`)
  }
  return parts.join('')
}
