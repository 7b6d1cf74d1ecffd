/* The types Node (bindings-node) and the browser (the WASM pkg) share beyond the generated ones:
 * what the schema cannot say. Hand-written, the one place for it; everything else is generated
 * into meshlock.d.ts (scripts/gen-types) and re-exported from here. The bindings' own headers
 * (bindings-node/types.d.ts, web-playground/wasm/src/types.d.ts) import from this file. */
export * from "./meshlock.js";
import type {
  ApiError,
  LoadOptions,
  MetricsSpec,
  Placement,
  PlanGoalAndWeighRequest,
  SourceSpec,
  StepSpec,
  WeighRequest,
} from "./meshlock.js";

/** A source given as an object: inline YAML (`{name, text, namespace?}`) or a built-in source
 * (`{builtin: 'seed'}`); a string is a path or YAML text, as the operation says. */
export type SourceInput = Exclude<SourceSpec, string>;

/** `load()`, `check()`, `checkSarif()` options: the mesh settings and the namespace of documents
 * without one. Unknown keys are rejected (`bad-request`). */
export type MeshOptions = LoadOptions;
/** `Mesh.fromYaml()` options: the settings, and the name of the text. */
export type YamlOptions = LoadOptions;
/** `apply()` options: where YAML text given as a string goes. */
export type SourceOptions = Placement;
/** `check()`, `matrix()`, `namespaceMap()`, `matrixBetween()` and `diff()` options. */
export type WeighOptions = WeighRequest;
/** `plan()` options. */
export type PlanOptions = PlanGoalAndWeighRequest;
/** `ready()`'s observed traffic: a file path, or inline text named for diagnostics. */
export type MetricsInput = MetricsSpec;
/** A `simulate()` step. */
export type StepInput = StepSpec;

/** What every error meshlock throws (or rejects with) carries: an `Error` named `MeshlockError`
 * with the core's error shape. */
export interface MeshlockErrorShape extends Error, ApiError {
  name: "MeshlockError";
}

/** SARIF 2.1.0 as `meshlock check --format sarif` writes it (`checkSarif()`): one run, a rule per
 * diagnostic code, a result per diagnostic. Keys are SARIF's own. */
export interface SarifLog {
  $schema: string
  version: '2.1.0'
  runs: Array<SarifRun>
}

export interface SarifRun {
  tool: { driver: { name: 'meshlock'; version: string; rules: SarifRule[] } }
  results: Array<SarifResult>
}

export interface SarifRule {
  /** The diagnostic code, e.g. `ML105`. */
  id: `ML${number}`
  /** The slug, e.g. `misplaced-peers`. */
  name: string
  shortDescription: { text: string }
  fullDescription: { text: string }
  help: { text: string; markdown: string }
  defaultConfiguration: { level: SarifLevel }
}

export type SarifLevel = 'error' | 'warning' | 'note'

export interface SarifResult {
  ruleId: `ML${number}`
  level: SarifLevel
  /** The message, with the help in parentheses. */
  message: { text: string }
  /** Absent when the finding is about the mesh as a whole. */
  locations?: Array<{
    physicalLocation: {
      artifactLocation: { uri: string }
      /** Absent when the finding has no line. */
      region?: { startLine: number; startColumn: number }
    }
  }>
}
