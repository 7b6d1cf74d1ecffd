// The Examples menu: the shared scenario corpus (tests/scenarios), built in by scripts/examples-plugin.mjs.
import corpus from 'virtual:meshlock-examples'
import type { SettingsState, SourceState } from './state'

export interface Example {
  /** Path under tests/scenarios without `.yaml`, e.g. `seed/step-3-strict`. */
  id: string
  group: string
  name: string
  description: string
  rule: string
  /** What the scenario expects of loading: `ok` or `error`. */
  load: string
  settings: SettingsState
  sources: SourceState[]
  /** Observed traffic (the scenario's metrics file), for the metrics box. */
  metrics?: string
  /** The probes the scenario pins down (shown as marked cells). */
  probes: Array<{ from: string; to: string; status?: string; reason?: string }>
}

/** Groups in menu order (the seed first), each with its examples in order. */
export function grouped(examples: Example[]): Array<[string, Example[]]> {
  const groups = new Map<string, Example[]>()
  for (const e of examples) {
    const list = groups.get(e.group) ?? []
    list.push(e)
    groups.set(e.group, list)
  }
  return [...groups.entries()]
}

/** Every example, in menu order. */
export const EXAMPLES = corpus as Example[]
