// The guided tour of the seed guide: core's `tour()` gives each step's title, command, applied YAML,
// note and the guide's table; the playground loads the state of each step into the editor.
import type { Tour, TourStep } from 'meshlock-wasm'
import { SEED_NAME, type PlaygroundState, type SourceState } from './state'

/** The chain of steps whose applied resources make up `stepId`'s state, in order. */
export function chainOf(tour: Tour, stepId: string): TourStep[] {
  const byId = new Map(tour.steps.map((s, i) => [s.id, i]))
  const chain: TourStep[] = []
  let index = byId.get(stepId)
  const seen = new Set<number>()
  while (index !== undefined && !seen.has(index)) {
    seen.add(index)
    const step = tour.steps[index]
    if (!step) break
    chain.unshift(step)
    index = step.base === null ? undefined : byId.get(step.base)
  }
  return chain
}

/** The editor sources of a step: the seed cluster, then each applied resource, named by its step. */
export function stepSources(tour: Tour, stepId: string): SourceState[] {
  const sources: SourceState[] = [{ name: SEED_NAME, builtin: 'seed' }]
  for (const step of chainOf(tour, stepId)) {
    for (const applied of step.applied) {
      const source: SourceState = { name: `step-${step.id}-${applied.name}`, text: applied.text }
      if (applied.namespace) source.namespace = applied.namespace
      sources.push(source)
    }
  }
  return sources
}

export function stepState(tour: Tour, stepId: string, base: PlaygroundState): PlaygroundState {
  return {
    v: 1,
    sources: stepSources(tour, stepId),
    settings: { istioVersion: tour.istioVersion },
    view: { ...base.view, tab: 0, tourStep: stepId, example: null, selected: null },
  }
}
