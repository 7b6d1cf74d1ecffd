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

/** A file's content, decoded by the engine as the CLI decodes a file (a UTF-8 byte order mark
 * dropped, UTF-16 with a byte order mark decoded; bytes that are not text are refused with ML101,
 * not replaced as `Blob.text()` would). */
export type FileSourceInput = { name: string; bytes: Uint8Array; namespace?: string | null };

/** What the caller asks for; the rest comes from the input and the release defaults. */
export interface MeshSettingsInput {
  /** `"1.0"` … `"1.28"` or `"current"`. */
  istioVersion?: string | null;
  autoMtls?: boolean | null;
  rootNamespace?: string | null;
  trustDomain?: string | null;
  /** Raises the safe defaults for trusted input. */
  limits?: Limits | null;
}

/** Limits on the input and on what one answer lists; each past its limit is refused with ML106,
 * naming it. Unset keys keep their defaults. */
export interface Limits {
  /** Bytes of all sources together (default 256 MiB). */
  maxInputBytes?: number;
  /** Documents, `kind: List` items included (default 1,000,000). */
  maxDocuments?: number;
  /** Nesting of maps and lists in one document (default 128). */
  maxDepth?: number;
  /** Nodes YAML aliases may expand to in one document (default 100,000). */
  maxAliasNodes?: number;
  /** Bytes of one string (default 4 MiB). */
  maxStringBytes?: number;
  /** Edges one answer lists one by one: `check`'s failing edges and plaintext callers, `matrix`,
   * `plan`'s blockers (default 1,000,000). */
  maxListedEdges?: number;
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
  | "network-policy"
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
  /** Its evidence, when the matrix weighs evidence (`edges`, `intents`, `metrics`). */
  evidence?: Array<Evidence>;
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

/** What an edge means at a glance, best to worst: works over mTLS, works in plaintext, denied by the
 * cluster's own authorization (403, or closed on TCP: intended), fails for another reason (no
 * endpoints, unknown port), broken by the mTLS configuration. */
export type OutcomeClass = "ok-mtls" | "ok-plaintext" | "denied" | "other-failure" | "mtls-broken";

/** Edges per outcome class. */
export interface ClassCounts {
  okMtls: number;
  okPlaintext: number;
  denied: number;
  otherFailure: number;
  mtlsBroken: number;
}

/** A namespace of the map: its client workloads and service ports. */
export interface MapNamespace {
  name: string;
  clients: number;
  servicePorts: number;
}

/** The edges from the clients of namespace `from` to the service ports of namespace `to`. */
export interface NamespacePair {
  from: string;
  to: string;
  edges: number;
  counts: ClassCounts;
  worst: OutcomeClass;
}

/** Namespace × namespace (`meshlock matrix --by namespace`): the pairs that have edges, client
 * namespace by client namespace; their counts add up to `totals`. */
export interface NamespaceMap {
  clients: number;
  servicePorts: number;
  edges: number;
  totals: ClassCounts;
  /** `null`: no edges. */
  worst: OutcomeClass | null;
  /** Every namespace with a client or a service port, in name order. */
  namespaces: MapNamespace[];
  pairs: NamespacePair[];
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
  /** Failing edges that the cluster's own authorization denies (intended, not a problem). */
  denied: number;
  /** Failing edges that mTLS settings break. */
  mtlsBroken: number;
}

/** Per service port: who may call it in plaintext, and the authorization that depends on mTLS. */
export interface Exposure {
  /** `fqdn:port`. */
  service: string;
  mode: MtlsMode | null;
  /** How many clients call it in plaintext and get through. */
  plaintextClients: number;
  /** Those workloads, `namespace/name`. */
  plaintextCallers: string[];
  /** The first ten of them, `and N more`. */
  plaintextCallersText: string;
  /** `Kind ns/name` of the AuthorizationPolicies that apply to the endpoints; empty: none. */
  authorization: string[];
  findings: string[];
}

/** What `check` finds: the input's diagnostics plus the matrix-level findings. */
export interface CheckReport {
  diagnostics: Diagnostic[];
  summary: MatrixSummary;
  failing: Edge[];
  /** `failing` grouped by effect, status, reason and deciding resource; the counts add up to
   * `summary.failing`. */
  groups: EdgeGroup[];
  exposure: Exposure[];
  /** Evidence and edge scope, when intents, metrics or `edges` were given. */
  scope?: ScopeReport;
}

/** What a group of edges means for the migration. Failing edges (`check`): `mtls-broken` (a
 * problem to fix), `denied` (the cluster's own authorization: intended), `other-failure`. Changes
 * (plan steps, diff): `breaks`, `still-denied` (refused by authorization before and after: not a
 * break), `still-failing`, `repaired`, `changed` (another transport), `added-or-removed`. */
export type Effect =
  | "mtls-broken"
  | "denied"
  | "other-failure"
  | "breaks"
  | "still-denied"
  | "still-failing"
  | "repaired"
  | "changed"
  | "added-or-removed";

/** One edge named by a group as an example. */
export interface EdgeRef {
  /** `namespace/name`. */
  from: string;
  /** `fqdn:port`. */
  to: string;
}

/** Edges alike in effect, change, reason and deciding resource, counted, with the clients and
 * service ports in compact form and a few examples. */
export interface EdgeGroup {
  effect: Effect;
  /** `mtls → fail` for a change; for a failing edge, the status as curl prints it (`403`). */
  change: string;
  /** The reason of the failure, or of the state after the change. */
  reason: Reason;
  /** The resource that decided (`Kind namespace/name`), when one did. */
  resource: string | null;
  edges: number;
  clients: number;
  /** The clients in compact form: `charlie-rating-2/* (20 clients)`. */
  clientsText: string;
  /** Service ports. */
  services: number;
  /** The service ports in compact form: `5 ports of 3 services in foo`. */
  servicesText: string;
  /** The first edges of the group (at most 10). */
  examples: EdgeRef[];
}

/** Clients that hold back (or break on) the same things; every client is in one group only. */
export interface ClientGroup {
  /** `namespace/name`. */
  clients: string[];
  clientsText: string;
  /** What they hold back: service ports (`Stages`) or lock-down steps (`Plan`). */
  holds: string[];
  holdsText: string;
}

/** SARIF 2.1.0 as `meshlock check --format sarif` writes it (`checkSarif()`): one run, a rule per
 * diagnostic code, a result per diagnostic. Keys are SARIF's own. */
export interface SarifLog {
  $schema: string;
  version: "2.1.0";
  runs: SarifRun[];
}

export interface SarifRun {
  tool: { driver: { name: "meshlock"; version: string; rules: SarifRule[] } };
  results: SarifResult[];
}

export interface SarifRule {
  /** The diagnostic code, e.g. `ML105`. */
  id: string;
  /** The slug, e.g. `misplaced-peers`. */
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  defaultConfiguration: { level: SarifLevel };
}

export type SarifLevel = "error" | "warning" | "note";

export interface SarifResult {
  ruleId: string;
  level: SarifLevel;
  /** The message, with the help in parentheses. */
  message: { text: string };
  /** Absent when the finding is about the mesh as a whole. */
  locations?: Array<{
    physicalLocation: {
      artifactLocation: { uri: string };
      /** Absent when the finding has no line. */
      region?: { startLine: number; startColumn: number };
    };
  }>;
}

// ---- migration: stages, plan, simulate, diff, readiness ----

/** Where a service port (or a namespace, or the mesh) is on the way from plaintext to STRICT. */
export type Stage = "broken" | "no-sidecar" | "plaintext" | "permissive" | "upgrading" | "ready" | "locked";

export interface ServiceStage {
  /** `fqdn:port`, as in `Edge.to`. */
  service: string;
  namespace: string;
  stage: Stage;
  /** The strongest mode among the endpoints with a sidecar; `null`: no sidecar. */
  mode: MtlsMode | null;
  mtlsClients: number;
  plaintextClients: number;
  /** Clients (`namespace/name`) that fail because of mTLS settings. */
  failing: string[];
  /** Clients without a sidecar that still send plaintext: they break when the port is locked. */
  blockers: string[];
}

/** Stages per service port, per namespace (keyed by namespace) and for the mesh. */
export interface Stages {
  services: ServiceStage[];
  namespaces: Record<string, Stage>;
  mesh: Stage;
  /** The blockers, each client once, with the ports whose lock-down it holds back. */
  blockerGroups: ClientGroup[];
  /** The clients that fail because of mTLS settings, each once, with the ports they fail on. */
  failingGroups: ClientGroup[];
}

/** One side of a changed edge. */
export interface EdgeState {
  status: string;
  curlExit: number;
  transport: Transport | null;
  verdict: Verdict;
  reason: Reason;
}

/** An edge whose outcome changes. */
export interface EdgeChange {
  from: string;
  to: string;
  /** `null` when the edge exists on one side only. */
  before: EdgeState | null;
  after: EdgeState | null;
  /** `mtls → fail`, `plaintext → mtls`, … */
  change: string;
  /** `Kind namespace/name` of the changed resources that took part in deciding this edge. */
  cause: string[];
  /** Its evidence before the change, when the diff weighs evidence. */
  evidence?: Array<Evidence>;
}

/** What changes between two configurations. */
export interface Diff {
  changes: EdgeChange[];
  /** Number of changes per group (`mtls → fail`: 1). */
  groups: Record<string, number>;
  /** The changes grouped by effect, change, reason after and cause; the counts add up to the
   * number of changes. */
  byCause: EdgeGroup[];
  /** Edges that worked before and fail after. */
  broken: number;
  /** Transitions the migration refuses (ML402: DISABLE straight to STRICT). */
  diagnostics: Diagnostic[];
  /** The breaks that count under an edge scope. */
  scope?: DiffScope;
}

/** The planner's goal. */
export type Goal = { type: "strict" } | { type: "mesh-strict" } | { type: "namespaces"; namespaces: string[] };

export interface StageChange {
  before: Stage;
  after: Stage;
}

/** One step of a plan: what to apply (and delete), how to undo it, and what it changes. */
export interface PlanStep {
  /** `01-client-mtls-httpbin-bar`: deterministic and file-name safe. */
  name: string;
  description: string;
  /** YAML documents to `kubectl apply -f`. */
  apply: string[];
  /** YAML documents to `kubectl delete -f`. */
  delete: string[];
  /** Applying `rollback` and deleting `rollbackDelete` restores the state before this step. */
  rollback: string[];
  rollbackDelete: string[];
  delta: EdgeChange[];
  /** `delta` grouped by effect, change, reason after and deciding resource. */
  groups: EdgeGroup[];
  /** Service ports (`fqdn:port`) and namespaces (`namespace/NS`) whose stage changes. */
  stages: Record<string, StageChange>;
  /** What to verify on the live cluster before applying. */
  prechecks: string[];
}

export type RemedyKind = "inject-client" | "keep-permissive" | "allow-break" | "fix-destination-rule";

export interface Remedy {
  kind: RemedyKind;
  /** What it acts on: the namespace to inject, the rule to fix, the port (or, before Istio 1.5, the
   * service) to keep PERMISSIVE, the client to let break. */
  target: string;
  description: string;
  /** The YAML or command that implements it, when there is one. */
  action: string | null;
}

/** A client that a lock-down step would break, and the narrowest ways out. */
export interface Blocker {
  /** `namespace/name`. */
  client: string;
  /** `fqdn:port`. */
  service: string;
  /** What the client would see after the step (`000`, `503`), or `observed plaintext`. */
  wouldGet: string;
  reason: Reason;
  /** The step that was held back (without its number). */
  step: string;
  remedies: Remedy[];
  /** What says the edge is used, strongest first. */
  evidence: Array<Evidence>;
  /** The strongest evidence in words (`observed 35 requests in plaintext`). */
  evidenceText: string;
}

/** One remedy of the plan's remedy set, and what it releases. */
export interface RemedyChoice {
  kind: RemedyKind;
  target: string;
  description: string;
  action: string | null;
  /** Blocked edges it deals with (not dealt with by the remedies before it). */
  edges: number;
  /** Lock-downs released once it and the remedies before it are applied. */
  released: number;
  /** The other ways out for the same edges. */
  alternatives: string[];
}

/** The mesh after the plan. */
export interface PlanSummary {
  edges: number;
  ok: number;
  failing: number;
  mtls: number;
  plaintext: number;
  namespaces: Record<string, Stage>;
  mesh: Stage;
}

export interface Plan {
  goal: Goal;
  /** What needs no step, and why. */
  notes: string[];
  steps: PlanStep[];
  /** How many edges the held-back lock-downs would break (`blockers` lists them). */
  blockedEdges: number;
  blockers: Blocker[];
  /** The lock-downs held back (step names, without the number). */
  heldBack: string[];
  /** The blocking clients, each once, with the lock-downs it holds back. */
  blockingClients: ClientGroup[];
  /** The smallest set of remedies found that releases the held-back lock-downs, in order. */
  remedySet: RemedyChoice[];
  final: PlanSummary;
  /** The edges the plan protects; absent: all. */
  edges?: string;
  /** Edges outside that scope that the steps break. */
  breaksOutsideScope?: number;
  /** Blocked edges per strongest evidence, when the plan weighs evidence. */
  blockedByEvidence?: Partial<Record<Evidence, number>>;
  /** A few blockers with the strongest evidence. */
  strongestBlockers?: Array<Blocker>;
}

/** One simulated step: the edges it changed, and the stages and matrix after it. */
export interface SimulatedStep {
  name: string;
  delta: EdgeChange[];
  stages: Stages;
  matrix: Matrix;
}

/** A step to simulate: sources to delete (as `kubectl delete -f`), then sources to apply. */
export interface StepInput {
  /** Default `step N`. */
  name?: string | null;
  /** YAML text (named `input.yaml`) or a list of sources. */
  apply?: string | SourceInput[] | null;
  delete?: string | SourceInput[] | null;
}

/** Observed traffic (Prometheus text exposition or the JSON of its HTTP API): the text and the name
 * its diagnostics give. (On every surface a string is a file path, which a browser cannot read.) */
export type MetricsText = { name: string; text: string };

/** `plan()` options; unknown keys are rejected (`bad-request`). */
export interface PlanInput {
  /** `strict` (default), `mesh-strict`, or `namespace=NS[,NS]`. */
  goal?: "strict" | "mesh-strict" | `namespace=${string}` | null;
  /** Clients (`namespace/name`) that may break. */
  allowBreak?: string[] | null;
  /** Observed traffic: observed plaintext senders hold a lock-down back too. */
  metrics?: MetricsText | null;
  /** The edges the plan protects: `all` (default), `possible`, or kinds such as `declared,observed`. */
  edges?: string | null;
  /** Declared traffic: TrafficIntent YAML or intents CSV, as sources. */
  intents?: SourceInput | SourceInput[] | null;
  /** Leave `blockers` empty (counts, groups and remedies stay complete). Past
   * `limits.maxListedEdges` edges they are left out anyway, and `notes` says so. */
  countsOnly?: boolean;
}

/** The options of every operation that weighs edges (`check()`, `matrix()`, `namespaceMap()`,
 * `matrixBetween()`, `Mesh.diff()`): which edges count, and their evidence. */
export interface WeighInput {
  /** The scope: `all` (default), `possible`, or kinds such as `declared,observed`. */
  edges?: string | null;
  intents?: SourceInput | SourceInput[] | null;
  metrics?: MetricsText | null;
  /** `check()`: no per-edge lists (`failing`, `plaintextCallers`), what a large cluster needs.
   * Past `limits.maxListedEdges` listed edges they are left out with an ML106 error. */
  countsOnly?: boolean;
}

export type Readiness = "ready" | "blocked" | "no-traffic";

export interface Sender {
  /** `namespace/workload`, or `unknown` (a caller outside the mesh). */
  client: string;
  requests: number;
  inModel: boolean;
}

export interface ServiceReadiness {
  service: string;
  readiness: Readiness;
  stage: Stage | null;
  mtlsRequests: number;
  plaintextRequests: number;
  plaintextSenders: Sender[];
}

export interface ObservedEdge {
  from: string;
  to: string;
  mtls: number;
  plaintext: number;
}

export type DisagreementKind =
  | "plaintext-where-model-says-mtls"
  | "mtls-where-model-says-plaintext"
  | "unknown-caller"
  | "unknown-service";

export interface Disagreement {
  kind: DisagreementKind;
  from: string;
  to: string;
  detail: string;
}

/** Observed traffic reconciled with the model: readiness per service, and the disagreements. */
export interface Reconciliation {
  services: ServiceReadiness[];
  observed: ObservedEdge[];
  disagreements: Disagreement[];
  /** Model edges with no observed traffic. */
  unobservedModelEdges: number;
}

export interface TourRow {
  outcome: Outcome;
  /** What the guide prints for this row, when it differs from what Istio does. */
  guidePrints: string | null;
}

export interface TourStep {
  id: string;
  title: string;
  /** The step whose state this one starts from; `null`: the cluster as it is (3′ starts from 1). */
  base: string | null;
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

export type ErrorCode =
  | "invalid-input"
  | "bad-request"
  | "unknown-client"
  | "bad-client"
  | "bad-target"
  | "unknown-namespace"
  | "invalid-metrics"
  | "internal";

/** What every throwing function throws: an `Error` named `MeshlockError`. */
export interface MeshlockErrorShape extends Error {
  name: "MeshlockError";
  code: ErrorCode;
  diagnostics: Diagnostic[];
}

/** Evidence for an edge: telemetry saw it, an intent declares it, nothing forbids it, or a
 * NetworkPolicy or authorization refuses it. */
export type Evidence = 'observed' | 'declared' | 'possible' | 'forbidden';

/** A declared edge the model says cannot work (ML309). */
export interface DeclaredFailure {
  from: string;
  to: string;
  /** `000`, `503`, `403`, or `none` when the caller does not call the port. */
  status: string;
  reason: Reason | null;
  intent: string;
}

/** Undeclared working plaintext callers of a port with declared callers (ML310). */
export interface UndeclaredExposure {
  service: string;
  clients: number;
  callers: Array<string>;
  callersText: string;
}

/** `check` under an edge scope. */
export interface ScopeReport {
  /** `all`, `possible`, or kinds such as `declared,observed`. */
  edges: string;
  declared: number;
  observed: number;
  inScope: number;
  failing: number;
  broken: number;
  declaredFailing: Array<DeclaredFailure>;
  undeclaredPlaintext: Array<UndeclaredExposure>;
}

/** A diff under an edge scope. */
export interface DiffScope {
  edges: string;
  broken: number;
  brokenOutside: number;
  byEvidence: Partial<Record<Evidence, number>>;
}
