// Types of web-playground/node/index.cjs: the native package's API (bindings-node/index.d.ts), served
// by the WASM build. The data shapes are the engine's (generated: schema/meshlock-bindings.d.ts); checked against real
// results by tests/types (samples.mjs + tsc).
import type {
  CheckReport,
  Diagnostic,
  Diff,
  ErrorCode as EngineErrorCode,
  Limits,
  Matrix,
  NamespaceMap,
  Outcome,
  Plan,
  Reconciliation,
  ResolvedSettings,
  SarifLog,
  SimulatedStep,
  SourceInput,
  Stages,
  Tour,
} from '../../schema/meshlock-bindings.js'

export type {
  Alternative,
  Blocker,
  CheckReport,
  Diff,
  Disagreement,
  DisagreementKind,
  EdgeChange,
  EdgeState,
  Goal,
  ObservedEdge,
  Plan,
  PlanStep,
  PlanSummary,
  Readiness,
  Reconciliation,
  Remedy,
  RemedyKind,
  SarifLevel,
  SarifLog,
  SarifResult,
  SarifRule,
  SarifRun,
  Sender,
  ServiceReadiness,
  SimulatedStep,
  Stage,
  StageChange,
  Stages,
  ServiceStage,
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
  ClassCounts,
  MapNamespace,
  NamespaceMap,
  NamespacePair,
  OutcomeClass,
} from '../../schema/meshlock-bindings.js'

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
  /** Raises the safe defaults for trusted input. */
  limits?: Limits | null
  /** The namespace of file sources' documents without one. */
  namespace?: string | null
}

export type YamlOptions = MeshOptions & SourceOptions

/** Observed traffic (`istio_requests_total`, `istio_tcp_connections_opened_total`): a file path, or
 * inline text named for diagnostics. Prometheus text exposition or the JSON of its HTTP API.
 * Malformed metrics throw `invalid-metrics`. */
export type MetricsInput = string | { name: string; text: string }

/** `plan()` options; unknown keys are rejected (`bad-request`). */
export interface PlanOptions {
  /** `'strict'` (default), `'mesh-strict'`, or `'namespace=NS[,NS]'`. */
  goal?: 'strict' | 'mesh-strict' | `namespace=${string}` | null
  /** Clients (`namespace/name`) that may break. */
  allowBreak?: Array<string> | null
  /** Observed traffic: observed plaintext senders hold a lock-down back too. */
  metrics?: MetricsInput | null
  /** The edges the plan protects: `all` (default), `possible`, or kinds such as `declared,observed`. */
  edges?: string | null
  /** Declared traffic: TrafficIntent YAML or intents CSV (a string is the text). */
  intents?: string | Array<{ name: string; text: string; namespace?: string | null } | { builtin: 'seed' }> | null
  /** Leave `blockers` empty (counts, groups and remedies stay complete). */
  countsOnly?: boolean
}

/** `check()`, `matrix()`, `namespaceMap()`, `matrixBetween()` and `diff()` options: which edges count, and their evidence. */
export interface WeighOptions {
  edges?: string | null
  intents?: string | Array<{ name: string; text: string; namespace?: string | null } | { builtin: 'seed' }> | null
  metrics?: MetricsInput | null
  /** `check()`: no per-edge lists (`failing`, `plaintextCallers`). */
  countsOnly?: boolean
}

/** A `simulate()` step: sources to apply (a string is YAML text; named `step N`), or a named step
 * that deletes (as `kubectl delete -f`), then applies. */
export type StepInput =
  | string
  | Array<string | SourceInput>
  | {
      name?: string | null
      apply?: string | SourceInput | Array<string | SourceInput> | null
      delete?: string | SourceInput | Array<string | SourceInput> | null
    }

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
  matrix(options?: WeighOptions | null): Matrix
  /** Namespace × namespace: per (client namespace, service namespace) pair, the edges per outcome class and the worst (`meshlock matrix --by namespace`). */
  namespaceMap(options?: WeighOptions | null): NamespaceMap
  /** The matrix of the clients in `clientNs` × the service ports in `serviceNs` (`null`: every namespace on that side). */
  matrixBetween(clientNs?: string | null, serviceNs?: string | null, options?: WeighOptions | null): Matrix
  /** `matrix()` as a promise (computed on the calling thread: WASM has no thread pool here). */
  matrixAsync(): Promise<Matrix>
  /** The static checker: the input's diagnostics plus the matrix-level findings, a summary, the failing edges and who may call what in plaintext. */
  check(options?: WeighOptions | null): CheckReport
  /** `check()` as a promise (computed on the calling thread). */
  checkAsync(): Promise<CheckReport>
  /** `check()` as SARIF 2.1.0, for code-scanning uploads. */
  checkSarif(): SarifLog
  /** The migration stage of every service port, of each namespace and of the mesh. */
  stages(): Stages
  /** Ordered steps towards STRICT that never break a working edge, unless its client is in `allowBreak`; what would break is reported as blockers with remedies. */
  plan(options?: PlanOptions): Plan
  /** `plan()` as a promise (computed on the calling thread). */
  planAsync(options?: PlanOptions): Promise<Plan>
  /** Applies the steps in order (each deletes, then applies) and reports, after each, the changed edges, the stages and the matrix. This mesh is unchanged. */
  simulate(steps: Array<StepInput>): Array<SimulatedStep>
  /** Readiness per service from observed traffic, reconciled with the model. */
  ready(metrics: MetricsInput): Reconciliation
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
/** Every edge whose status or transport changes from `before` to `after`, grouped, with its causes; `diagnostics` holds the transitions the migration refuses (ML402). */
export declare function diff(before: Mesh, after: Mesh, options?: WeighOptions | null): Diff
/** The static checker on files and inline sources, as `meshlock check`: an input that does not load is reported, not thrown. */
export declare function check(
  sources: Array<string | SourceInput>,
  options?: MeshOptions & { countsOnly?: boolean },
): CheckReport
/** `check(sources, options)` as SARIF 2.1.0. */
export declare function checkSarif(sources: Array<string | SourceInput>, options?: MeshOptions): SarifLog
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
