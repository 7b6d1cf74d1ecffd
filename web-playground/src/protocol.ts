// Messages between the page (engine.ts) and the engine's Web Worker (worker.ts).
import type { Diagnostic, Outcome, ResolvedSettings, Source, Tour } from 'meshlock-wasm'
import type { MatrixData } from './matrix'
import type { PlaygroundState } from './state'
import type { engineSettings, engineSources } from './state'

export interface EngineError {
  code: string
  message: string
  diagnostics: Diagnostic[]
}

export interface Analysis {
  matrix: MatrixData
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
  | { op: 'analyze'; sources: ReturnType<typeof engineSources>; settings: ReturnType<typeof engineSettings> }
  | { op: 'explain'; from: string; to: string }
  | { op: 'csv' }
  | { op: 'tour' }
  | { op: 'seed' }
  | { op: 'encode'; state: PlaygroundState }

export interface Answers {
  analyze: Analysis
  explain: Explanation
  csv: string
  tour: Tour
  seed: Source
  encode: string
}

export type Reply =
  | { id: number; ok: true; value: Answers[keyof Answers] }
  | { id: number; ok: false; error: EngineError; fatal: boolean }
