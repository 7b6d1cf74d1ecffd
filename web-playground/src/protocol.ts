// Messages between the page (engine.ts) and the engine's Web Worker (worker.ts).
import type { CheckReport, Diagnostic, FileSourceInput, NamespaceMap, Outcome, Plan, ResolvedSettings, SarifLog, Source, Tour } from 'meshlock-wasm'
import type { MatrixData } from './matrix'
import type { PlaygroundState } from './state'
import type { engineSettings, engineSources } from './state'

export interface EngineError {
  code: string
  message: string
  diagnostics: Diagnostic[]
}

/** Files opened from disk, read by the worker (a 130 MB dump never passes through the editor). */
export type FileSources = Array<{ name: string; namespace: string | null; file: Blob }>

/** The sources the engine loads: the editor's, then (in the worker) the files' bytes. */
export type EngineSources = Array<ReturnType<typeof engineSources>[number] | FileSourceInput>

/** How the engine weighs edges: the evidence scope the Matrix view shows (`edges`, as the CLI's
 * `--edges`) and observed traffic (`metrics`). Intents are sources: TrafficIntent documents and
 * intents CSV in the editor's tabs. */
export interface Weigh {
  edges: string
  metrics: string | null
}

/** The edges in an evidence scope other than `all`, as the engine weighs them. */
export interface Scoped {
  edges: string
  /** The map counting only the edges in the scope. */
  map: NamespaceMap
  /** The grid with only the edges in the scope (the others are holes); `null` with no full matrix. */
  matrix: MatrixData | null
}

export interface Analysis {
  /** Every client × every service port, each edge with its evidence; `null` above
   * `FULL_MATRIX_UP_TO` edges (the map and the grids of its pairs are what the page shows then). */
  matrix: MatrixData | null
  /** Namespace × namespace: edges per outcome class, the worst (the engine's `namespaceMap`). */
  map: NamespaceMap
  /** The edges in the scope of `Weigh.edges`; `null` for `all`. */
  scoped: Scoped | null
  diagnostics: Diagnostic[]
  settings: ResolvedSettings
  /** Milliseconds spent in the engine (load + matrix), measured in the worker. */
  engineMs: number
}

export interface Explanation {
  outcome: Outcome
  text: string
}

export type Request =
  | { op: 'analyze'; sources: EngineSources; settings: ReturnType<typeof engineSettings>; files?: FileSources; weigh: Weigh }
  /** The loaded mesh weighed under another evidence scope (`null` answer: the scope is `all`);
   * `whole`: the page holds the full matrix (the answer then has the scoped grid too). */
  | { op: 'scope'; weigh: Weigh; whole: boolean }
  /** The grid of the clients in `clientNs` × the service ports in `serviceNs` (`null`: all), with
   * the edges in the scope, each with its evidence. */
  | { op: 'pair'; clientNs: string | null; serviceNs: string | null; weigh: Weigh }
  /** `step`: explain in the mesh after that many steps of the last plan (0 or absent: as it is). */
  | { op: 'explain'; from: string; to: string; step?: number }
  | { op: 'check' }
  /** SARIF of `check` on these sources (an input that does not load is reported, not thrown). */
  | { op: 'sarif'; sources: EngineSources; settings: ReturnType<typeof engineSettings>; files?: FileSources }
  | { op: 'plan'; goal: string; allowBreak: string[] }
  /** The matrix after the first `steps` steps of the last plan, simulated by the engine. */
  | { op: 'simulate'; steps: number }
  | { op: 'csv' }
  | { op: 'tour' }
  | { op: 'seed' }
  | { op: 'encode'; state: PlaygroundState }

export interface Answers {
  analyze: Analysis
  scope: Scoped | null
  pair: MatrixData
  explain: Explanation
  check: CheckReport
  sarif: SarifLog
  plan: Plan
  simulate: MatrixData
  csv: string
  tour: Tour
  seed: Source
  encode: string
}

export type Reply =
  | { id: number; ok: true; value: Answers[keyof Answers] }
  | { id: number; ok: false; error: EngineError; fatal: boolean }
