// The guided tour of the seed guide: core's `tour()` gives each step's title, command, applied YAML,
// note and the guide's table; the playground loads the state of each step into the editor.
import type { Tour, TourStep } from 'meshlock-wasm'
import { SEED_NAME, type PlaygroundState, type SourceState } from './state'

/**
 * The step each step starts from, when it is not the previous one. Core's `TourStep` does not say
 * (its `StepSpec.base` is private); this mirrors core/src/seed.rs until it serialises `base`, and
 * tests/node/tour.test.cjs checks that every step rebuilt this way gives core's own rows.
 */
export const TOUR_BASES: Record<string, string> = { "3'": '1' }

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
    const base = (step as TourStep & { base?: string | null }).base ?? TOUR_BASES[step.id] ?? (index > 0 ? tour.steps[index - 1]?.id : undefined)
    index = base === undefined ? undefined : byId.get(base)
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
