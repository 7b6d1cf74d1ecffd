// ---- meshlock's types (lib.rs includes this file in the pkg's .d.ts). Results and options are
// generated from the core's Rust types (schema/meshlock.d.ts, re-exported by
// schema/meshlock-bindings.d.ts with what Node and the browser share); this section names them as
// the methods take them, and adds what only the browser has. The path is from the pkg folder
// (web-playground/pkg, pkg-node). tests/types checks real results against them. ----

export * from "../../schema/meshlock-bindings.js";
import type {
  CheckReport,
  Diagnostic,
  Diff,
  Matrix,
  MeshOptions,
  MetricsInput,
  NamespaceMap,
  Outcome,
  Plan,
  PlanOptions,
  Reconciliation,
  ResolvedSettings,
  SarifLog,
  SimulatedStep,
  Source,
  SourceInput,
  SourceOptions,
  Stages,
  StepInput,
  Tour,
  WeighOptions,
} from "../../schema/meshlock-bindings.js";

/** A file's content, decoded by the engine as the CLI decodes a file (a UTF-8 byte order mark
 * dropped, UTF-16 with a byte order mark decoded; bytes that are not text are refused with ML101,
 * not replaced as `Blob.text()` would). */
export type FileSourceInput = { name: string; bytes: Uint8Array; namespace?: string | null };
