// Types of web-playground/node/index.cjs: the native package's API (bindings-node/index.d.ts), served
// by the WASM build. The data shapes are the engine's (wasm/src/types.d.ts); checked against real
// results by tests/types (samples.mjs + tsc).
import type {
  CheckReport,
  Diagnostic,
  ErrorCode as EngineErrorCode,
  Matrix,
  Outcome,
  ResolvedSettings,
  SourceInput,
  Tour,
} from '../wasm/src/types'

export type {
  Alternative,
  CheckReport,
  Exposure,
  MatrixSummary,
  MtlsMode,
  ClientInfo,
  Diagnostic,
  Edge,
  Matrix,
  Outcome,
  Reason,
  ResolvedSettings,
  ServicePortInfo,
  SettingOrigin,
  Severity,
  Source,
  SourceInput,
  Step,
  Tour,
  TourRow,
  TourStep,
  Transport,
  Verdict,
} from '../wasm/src/types'

/** `io`: a file could not be read; `unsupported`: not in this build (see `callJson`). */
export type ErrorCode = EngineErrorCode | 'io' | 'unsupported'

/** Where text without a name or namespace goes. */
export interface SourceOptions {
  /** The source name in diagnostics (default `input.yaml`). */
  name?: string | null
  /** The namespace of namespaced documents without one (`kubectl apply -n`). */
  namespace?: string | null
}

/** Mesh settings; absent keys: from the input (the `istio` ConfigMap) and the release defaults. */
export interface MeshOptions {
  /** `"1.0"` … `"1.28"` or `"current"`. */
  istioVersion?: string | null
  autoMtls?: boolean | null
  rootNamespace?: string | null
  trustDomain?: string | null
  /** The namespace of file sources' documents without one. */
  namespace?: string | null
}

export type YamlOptions = MeshOptions & SourceOptions

/** Every error meshlock throws: a stable `code` and the input's `diagnostics`. */
export declare class MeshlockError extends Error {
  constructor(message: string, options?: { code?: ErrorCode; diagnostics?: Diagnostic[] })
  name: 'MeshlockError'
  code: ErrorCode
  diagnostics: Diagnostic[]
}

/** A loaded mesh: one cluster under one set of settings. Immutable: `apply` returns a new mesh. */
export declare class Mesh {
  private constructor()
  /** Loads YAML text; `options.name` names it in diagnostics, `options.namespace` is the default namespace. */
  static fromYaml(text: string, options?: YamlOptions): Mesh
  /** The guide's built-in cluster (`foo`, `bar`, `legacy`) under Istio 1.1 rules. */
  static seed(): Mesh
  /** Loads files (paths) and inline sources, in order, like several `-f` flags. */
  static load(sources: Array<string | SourceInput>, options?: MeshOptions): Mesh
  /** What-if: a new mesh with these resources added (same kind/namespace/name replaces). A string is YAML text. */
  apply(sources: string | SourceInput | Array<string | SourceInput>, options?: SourceOptions): Mesh
  /** `curl http://TO` from a pod of workload `from` (`namespace/name`). */
  probe(from: string, to: string): Outcome
  /** The probe's decision chain as plain text. */
  explain(from: string, to: string): string
  /** Every client workload × every service port. */
  matrix(): Matrix
  /** `matrix()` as a promise (computed on the calling thread: WASM has no thread pool here). */
  matrixAsync(): Promise<Matrix>
  /** The static checker: the input's diagnostics plus the matrix-level findings, a summary, the failing edges and who may call what in plaintext. */
  check(): CheckReport
  /** `check()` as a promise (computed on the calling thread). */
  checkAsync(): Promise<CheckReport>
  /** The matrix as a fixed-width text table. */
  matrixTable(): string
  /** The matrix as CSV. */
  matrixCsv(): string
  /** The diagnostics found while loading this mesh (warnings and notes). */
  get diagnostics(): Diagnostic[]
  /** The settings in force, and where each came from. */
  get settings(): ResolvedSettings
}

/** Loads files (paths) and inline sources, in order, like several `-f` flags. */
export declare function load(sources: Array<string | SourceInput>, options?: MeshOptions): Mesh
/** `load()` as a promise (computed on the calling thread). */
export declare function loadAsync(sources: Array<string | SourceInput>, options?: MeshOptions): Promise<Mesh>
/** The seed guide replayed step by step on the built-in cluster. */
export declare function tour(): Tour
/** The guide's tour as plain text. */
export declare function tourText(): string
/** The JSON twin (throws `unsupported` unless the engine was built with `--features json-twin`). */
export declare function callJson(request: string): string
/** The meshlock version of the engine. */
export declare function version(): string
/** Which build answers: always `wasm` here (`native` for bindings-node). */
export declare const __bindingTarget: 'wasm'
/** Test hook: makes the engine panic, to test that a crash becomes `MeshlockError` code `internal`. */
export declare function __panicForTests(): void
