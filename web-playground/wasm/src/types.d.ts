// ---- meshlock data types (hand-written; checked against runtime values by
// web-playground/tests/dts.test.cjs and type-checked with tsc) ----

/** `info` < `warning` < `error`; errors make loading fail. */
export type Severity = "info" | "warning" | "error";

/** A finding about the input, with a stable code (`ML105`) and slug (`misplaced-peers`). */
export interface Diagnostic {
  code: string;
  name: string;
  severity: Severity;
  message: string;
  help: string | null;
  /** The source (file) name; empty when the finding is about the mesh as a whole. */
  source: string;
  /** 0-based document index in the source. */
  document: number | null;
  /** YAML path inside the document, e.g. `spec.targets[0].peers`. */
  path: string | null;
  /** 1-based line in the source. */
  line: number | null;
  /** 1-based column in the source. */
  column: number | null;
}

/** A YAML source as the core reads it. */
export interface Source {
  name: string;
  text: string;
  /** Namespace for namespaced documents without one (`kubectl apply -n`). */
  namespace: string | null;
}

/** An input source: inline YAML, or the built-in seed cluster. */
export type SourceInput = { name: string; text: string; namespace?: string | null } | { builtin: "seed" };

/** What the caller asks for; the rest comes from the input and the release defaults. */
export interface MeshSettingsInput {
  /** `"1.0"` … `"1.28"` or `"current"`. */
  istioVersion?: string | null;
  autoMtls?: boolean | null;
  rootNamespace?: string | null;
  trustDomain?: string | null;
}

export type SettingOrigin = "explicit" | "mesh-config" | "inferred" | "default";

/** The settings in force for one analysis. */
export interface ResolvedSettings {
  istioVersion: string;
  istioVersionOrigin: SettingOrigin;
  autoMtls: boolean;
  autoMtlsOrigin: SettingOrigin;
  rootNamespace: string;
  trustDomain: string;
}

export type Transport = "mtls" | "plaintext";
export type Verdict = "ok" | "fail";
/** Stable reason codes (tests/scenarios/README.md). */
export type Reason =
  | "mtls"
  | "plaintext"
  | "plaintext-to-strict"
  | "mtls-to-no-sidecar"
  | "mtls-to-disabled"
  | "tls-origination-rejected"
  | "rbac-denied"
  | "tls-handshake-failed"
  | "no-endpoints"
  | "unknown-port"
  | "unknown-host";

/** One link of the explanation chain. */
export interface Step {
  side: "client" | "network" | "server" | "result";
  /** The resource that decided, as `Kind namespace/name`. */
  resource: string | null;
  text: string;
}

/** Endpoints of one service that behave differently. */
export interface Alternative {
  status: string;
  curlExit: number;
  transport: Transport | null;
  reason: Reason;
  endpoints: string[];
}

/** What `curl` in a pod of `from` sees for `to`. */
export interface Outcome {
  /** `namespace/workload`. */
  from: string;
  /** The resolved `fqdn:port`. */
  to: string;
  /** As curl prints `%{http_code}`: `"200"`, `"503"`, `"000"`. */
  status: string;
  curlExit: number;
  transport: Transport | null;
  verdict: Verdict;
  reason: Reason;
  explain: Step[];
  /** Present only when endpoints disagree. */
  alternatives?: Alternative[];
}

/** One matrix cell. */
export interface Edge {
  from: string;
  to: string;
  status: string;
  curlExit: number;
  transport: Transport | null;
  verdict: Verdict;
  reason: Reason;
}

export interface ClientInfo {
  id: string;
  kind: string;
  sidecar: boolean;
  sidecarReason: string;
}

export interface ServicePortInfo {
  /** `fqdn:port`, as in `Edge.to`. */
  id: string;
  namespace: string;
  name: string;
  port: number;
  portName: string | null;
  endpoints: string[];
}

/** Every client workload × every service port; `edges` is client-major, service-port-minor. */
export interface Matrix {
  settings: ResolvedSettings;
  clients: ClientInfo[];
  services: ServicePortInfo[];
  edges: Edge[];
}

export type MtlsMode = "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT";

/** Counts over every edge of the matrix. */
export interface MatrixSummary {
  edges: number;
  ok: number;
  failing: number;
  mtls: number;
  plaintext: number;
  /** Edges per status as curl prints it (`200`, `503`, `000`, `403`). */
  byStatus: Record<string, number>;
}

/** Per service port: who may call it in plaintext, and the authorization that depends on mTLS. */
export interface Exposure {
  /** `fqdn:port`. */
  service: string;
  mode: MtlsMode | null;
  /** Workloads `namespace/name`. */
  plaintextCallers: string[];
  /** `Kind ns/name` of the AuthorizationPolicies that apply to the endpoints; empty: none. */
  authorization: string[];
  findings: string[];
}

/** What `check` finds: the input's diagnostics plus the matrix-level findings. */
export interface CheckReport {
  diagnostics: Diagnostic[];
  summary: MatrixSummary;
  failing: Edge[];
  exposure: Exposure[];
}

export interface TourRow {
  outcome: Outcome;
  /** What the guide prints for this row, when it differs from what Istio does. */
  guidePrints: string | null;
}

export interface TourStep {
  id: string;
  title: string;
  command: string | null;
  applied: Source[];
  publishedDiagnostics: Diagnostic[];
  note: string | null;
  rows: TourRow[];
}

export interface Tour {
  title: string;
  istioVersion: string;
  steps: TourStep[];
}

export type ErrorCode = "invalid-input" | "bad-request" | "unknown-client" | "bad-client" | "bad-target" | "internal";

/** What every throwing function throws: an `Error` named `MeshlockError`. */
export interface MeshlockErrorShape extends Error {
  name: "MeshlockError";
  code: ErrorCode;
  diagnostics: Diagnostic[];
}
