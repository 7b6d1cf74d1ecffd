//! Evidence for edges, and the edge scope the planner, `check` and `diff` weigh.
//!
//! Every edge (client × service port) carries its evidence: `possible` (nothing forbids it),
//! `forbidden` (a NetworkPolicy drops it or authorization denies it), `declared` (a
//! `TrafficIntent` names it) and `observed` (telemetry saw it). `possible` and `forbidden` follow
//! from the edge's response, so they are read per class of the class table; `declared` and
//! `observed` are sparse sets of (client, service port), enumerated, never materialised for every
//! edge. An [`EdgeScope`] (`all`, `possible`, or a set of kinds such as `declared,observed`) is
//! a cheap per-cell predicate over both: [`EdgeScope::column`] prepares one column's sparse
//! clients, then each cell costs a match on its reason and, for kinds that read them, a binary
//! search among that column's few declared or observed clients.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use crate::classes::{ClassTable, Column};
use crate::diagnostic::{Code, Diagnostic};
use crate::mesh::{Mesh, origin_location};
use crate::model::WorkloadId;
use crate::outcome::{Reason, Response, Transport, Verdict};
use crate::telemetry::{Observations, Security};

/// One kind of evidence, strongest first (the order in which blockers are weighed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// Telemetry saw the client call the service.
    Observed,
    /// A `TrafficIntent` (or an intents CSV line) names the edge.
    Declared,
    /// Nothing forbids it: the model lets the client try.
    Possible,
    /// A NetworkPolicy drops it or authorization denies it.
    Forbidden,
}

impl Evidence {
    pub const ALL: [Evidence; 4] = [
        Evidence::Observed,
        Evidence::Declared,
        Evidence::Possible,
        Evidence::Forbidden,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Observed => "observed",
            Evidence::Declared => "declared",
            Evidence::Possible => "possible",
            Evidence::Forbidden => "forbidden",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Evidence {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Evidence::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
            .ok_or_else(|| ScopeError(s.to_owned()))
    }
}

/// A set of evidence kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EvidenceSet(u8);

impl EvidenceSet {
    pub const EMPTY: EvidenceSet = EvidenceSet(0);

    pub fn of(kinds: &[Evidence]) -> Self {
        kinds.iter().fold(Self::EMPTY, |s, &k| s.with(k))
    }

    pub fn with(self, kind: Evidence) -> Self {
        EvidenceSet(self.0 | kind.bit())
    }

    pub fn union(self, other: EvidenceSet) -> Self {
        EvidenceSet(self.0 | other.0)
    }

    pub fn contains(self, kind: Evidence) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn intersects(self, other: EvidenceSet) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds, strongest first.
    pub fn iter(self) -> impl Iterator<Item = Evidence> {
        Evidence::ALL.into_iter().filter(move |k| self.contains(*k))
    }

    pub fn strongest(self) -> Option<Evidence> {
        self.iter().next()
    }
}

impl fmt::Display for EvidenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<&str> = self.iter().map(Evidence::as_str).collect();
        f.write_str(&kinds.join(","))
    }
}

impl Serialize for EvidenceSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// As serialised: the kinds, strongest first, each once.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for EvidenceSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EvidenceSet".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Kinds of evidence, strongest first, each once.",
            "type": "array",
            "items": generator.subschema_for::<Evidence>(),
            "uniqueItems": true,
        })
    }
}

/// Which edges count: every edge, those not forbidden, or those with one of some evidence kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeScope {
    /// Every edge, whatever its evidence (the default).
    #[default]
    All,
    /// Every edge that nothing forbids.
    Possible,
    /// The edges with at least one of these kinds (`declared,observed`).
    Kinds(EvidenceSet),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown edge scope `{0}`: use `all`, `possible`, or kinds from `observed`, `declared`, `possible`, `forbidden` separated by commas (`declared,observed`)"
)]
pub struct ScopeError(pub String);

impl FromStr for EdgeScope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" | "" => Ok(EdgeScope::All),
            "possible" => Ok(EdgeScope::Possible),
            list => {
                let mut set = EvidenceSet::EMPTY;
                for kind in list.split(',') {
                    set = set.with(kind.parse().map_err(|_| ScopeError(s.to_owned()))?);
                }
                Ok(EdgeScope::Kinds(set))
            }
        }
    }
}

impl fmt::Display for EdgeScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EdgeScope::All => f.write_str("all"),
            EdgeScope::Possible => f.write_str("possible"),
            EdgeScope::Kinds(set) => {
                // Said in the order they are usually written: declared before observed.
                let mut kinds: Vec<&str> = set.iter().map(Evidence::as_str).collect();
                kinds.sort_by_key(|k| match *k {
                    "declared" => 0,
                    "observed" => 1,
                    "possible" => 2,
                    _ => 3,
                });
                f.write_str(&kinds.join(","))
            }
        }
    }
}

impl Serialize for EdgeScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A count per kind of evidence (`{"observed": 3}`): a map keyed by [`Evidence`].
#[cfg(feature = "schema")]
pub(crate) fn per_evidence_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "propertyNames": generator.subschema_for::<Evidence>(),
        "additionalProperties": generator.subschema_for::<usize>(),
    })
}

/// As serialised: `all`, `possible`, or kinds separated by commas (`declared,observed`).
#[cfg(feature = "schema")]
impl schemars::JsonSchema for EdgeScope {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EdgeScope".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Which edges count: `all`, `possible` (not forbidden), or evidence kinds separated by commas (`declared,observed`).",
            "type": "string",
            "pattern": "^(all|possible|(observed|declared|possible|forbidden)(,(observed|declared|possible|forbidden))*)$",
        })
    }
}

impl EdgeScope {
    pub fn is_all(&self) -> bool {
        *self == EdgeScope::All
    }

    /// Whether an edge with this evidence is in the scope.
    pub fn admits(&self, evidence: EvidenceSet) -> bool {
        match self {
            EdgeScope::All => true,
            EdgeScope::Possible => !evidence.contains(Evidence::Forbidden),
            EdgeScope::Kinds(kinds) => kinds.intersects(evidence),
        }
    }

    /// Whether the scope reads the sparse kinds (`declared`, `observed`).
    fn reads_sparse(&self) -> bool {
        matches!(self, EdgeScope::Kinds(k) if k.contains(Evidence::Declared) || k.contains(Evidence::Observed))
    }

    /// Whether observed plaintext senders that the model does not know (telemetry's `unknown`
    /// caller) count: they are observed edges.
    pub fn admits_observed(&self) -> bool {
        match self {
            EdgeScope::All | EdgeScope::Possible => true,
            EdgeScope::Kinds(k) => k.contains(Evidence::Observed),
        }
    }

    /// The scope as a predicate on the cells of one column (index `at` in `resolved`'s table).
    pub fn column<'a>(&'a self, resolved: &'a Resolved, at: usize) -> ColumnScope<'a> {
        ColumnScope {
            scope: self,
            sparse: if self.reads_sparse() { resolved.column(at) } else { &[] },
        }
    }
}

/// What the response says of an edge: `forbidden` when a NetworkPolicy or authorization refuses
/// it, else `possible`. Read once per class.
pub fn of_response(reason: Reason) -> EvidenceSet {
    if matches!(reason, Reason::NetworkPolicy | Reason::RbacDenied) {
        EvidenceSet::EMPTY.with(Evidence::Forbidden)
    } else {
        EvidenceSet::EMPTY.with(Evidence::Possible)
    }
}

/// An edge scope prepared for one column.
#[derive(Debug, Clone, Copy)]
pub struct ColumnScope<'a> {
    scope: &'a EdgeScope,
    sparse: &'a [(u32, EvidenceSet)],
}

impl ColumnScope<'_> {
    /// The evidence of the cell of `client` (a workload index) with this response.
    pub fn evidence(&self, client: usize, response: &Response) -> EvidenceSet {
        of_response(response.reason).union(sparse_of(self.sparse, client))
    }

    pub fn admits(&self, client: usize, response: &Response) -> bool {
        match self.scope {
            EdgeScope::All => true,
            _ => self.scope.admits(self.evidence(client, response)),
        }
    }
}

fn sparse_of(sparse: &[(u32, EvidenceSet)], client: usize) -> EvidenceSet {
    match sparse.binary_search_by_key(&(client as u32), |(w, _)| *w) {
        Ok(i) => sparse.get(i).map_or(EvidenceSet::EMPTY, |(_, e)| *e),
        Err(_) => EvidenceSet::EMPTY,
    }
}

/// Observed traffic of one client into one service (telemetry does not name the port): amounts
/// as the metrics input gives them (counts, or rates when the query took `rate()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Traffic {
    pub mtls: f64,
    pub plaintext: f64,
}

/// The declared and observed edges (sparse), by names: they hold across meshes (a plan's steps,
/// the two sides of a diff).
#[derive(Debug, Clone, Default)]
pub struct EdgeEvidence {
    /// `fqdn:port` → client → the intent that declares it.
    declared: HashMap<String, HashMap<WorkloadId, String>>,
    /// `fqdn` → client → what was observed.
    observed: HashMap<String, HashMap<WorkloadId, Traffic>>,
    declared_edges: usize,
    observed_edges: usize,
}

impl EdgeEvidence {
    /// The declared edges of a mesh's intents.
    pub fn of_mesh(mesh: &Mesh) -> Self {
        let mut out = Self::default();
        out.declare(mesh);
        out
    }

    /// Adds the declared edges of `mesh`'s intents.
    pub fn declare(&mut self, mesh: &Mesh) {
        let (edges, _) = mesh.declared_edges();
        for e in edges {
            let (Some(client), Some(service), Some(intent)) = (
                mesh.workloads().get(e.client),
                mesh.services().get(e.service),
                mesh.intents().get(e.intent),
            ) else {
                continue;
            };
            let Some(port) = service.ports.get(e.port) else {
                continue;
            };
            let to = format!("{}:{}", service.fqdn, port.port);
            let by = self.declared.entry(to).or_default();
            if !by.contains_key(&client.id) {
                by.insert(client.id.clone(), intent.display.clone());
                self.declared_edges += 1;
            }
        }
    }

    /// Adds what telemetry observed (series reported by the destination, or without a reporter),
    /// per client and service; callers telemetry cannot name (`unknown`) are left to the
    /// planner's observed-sender guard.
    pub fn observe(&mut self, observations: &Observations) {
        for s in observations
            .samples
            .iter()
            .filter(|s| s.reporter == "destination" || s.reporter.is_empty())
            .filter(|s| s.value > 0.0)
        {
            let client = crate::telemetry::client_of(s);
            let Ok(id) = crate::model::parse_client(&client) else {
                continue;
            };
            let by = self.observed.entry(s.destination_service.clone()).or_default();
            if !by.contains_key(&id) {
                self.observed_edges += 1;
            }
            let traffic = by.entry(id).or_default();
            match s.security {
                Security::MutualTls => traffic.mtls += s.value,
                _ => traffic.plaintext += s.value,
            }
        }
    }

    /// The union of two evidence sets (a diff's sides, each with its intents).
    pub fn merge(&mut self, other: &EdgeEvidence) {
        for (to, by) in &other.declared {
            for (id, intent) in by {
                let mine = self.declared.entry(to.clone()).or_default();
                if !mine.contains_key(id) {
                    mine.insert(id.clone(), intent.clone());
                    self.declared_edges += 1;
                }
            }
        }
        for (to, by) in &other.observed {
            for (id, traffic) in by {
                let mine = self.observed.entry(to.clone()).or_default();
                if !mine.contains_key(id) {
                    self.observed_edges += 1;
                }
                let t = mine.entry(id.clone()).or_default();
                t.mtls += traffic.mtls;
                t.plaintext += traffic.plaintext;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.declared_edges == 0 && self.observed_edges == 0
    }

    /// Declared edges, each once.
    pub fn declared_count(&self) -> usize {
        self.declared_edges
    }

    /// Observed (client, service) pairs of known clients.
    pub fn observed_count(&self) -> usize {
        self.observed_edges
    }

    /// The intent that declares the edge.
    pub fn declared_by(&self, from: &WorkloadId, to: &str) -> Option<&str> {
        self.declared.get(to)?.get(from).map(String::as_str)
    }

    /// Whether some intent declares a caller of this service port (`fqdn:port`).
    pub fn covers(&self, to: &str) -> bool {
        self.declared.get(to).is_some_and(|by| !by.is_empty())
    }

    /// What was observed from `from` into the service of `to` (`fqdn:port` or `fqdn`).
    pub fn observed(&self, from: &WorkloadId, to: &str) -> Option<Traffic> {
        let host = to.rsplit_once(':').map_or(to, |(h, _)| h);
        self.observed.get(host)?.get(from).copied()
    }

    /// The sparse evidence of an edge, by names.
    pub fn sparse(&self, from: &WorkloadId, to: &str) -> EvidenceSet {
        let mut set = EvidenceSet::EMPTY;
        if self.declared_by(from, to).is_some() {
            set = set.with(Evidence::Declared);
        }
        if self.observed(from, to).is_some() {
            set = set.with(Evidence::Observed);
        }
        set
    }

    /// The evidence of an edge whose current response has this reason.
    pub fn of_edge(&self, from: &WorkloadId, to: &str, reason: Reason) -> EvidenceSet {
        of_response(reason).union(self.sparse(from, to))
    }

    /// Its strongest evidence in words: `observed 40 requests in plaintext`, `declared by
    /// TrafficIntent foo/callers`, `possible`, `forbidden`.
    pub fn text(&self, from: &WorkloadId, to: &str, set: EvidenceSet) -> String {
        match set.strongest() {
            Some(Evidence::Observed) => match self.observed(from, to) {
                Some(t) if t.plaintext > 0.0 => format!("observed {} requests in plaintext", amount(t.plaintext)),
                Some(t) => format!("observed {} requests over mTLS", amount(t.mtls)),
                None => "observed".to_owned(),
            },
            Some(Evidence::Declared) => match self.declared_by(from, to) {
                Some(intent) => format!("declared by {intent}"),
                None => "declared".to_owned(),
            },
            Some(kind) => kind.as_str().to_owned(),
            None => String::new(),
        }
    }

    /// The sparse evidence on one mesh's class table.
    pub fn resolve(&self, mesh: &Mesh, table: &ClassTable) -> Resolved {
        let index = |id: &WorkloadId| mesh.workloads().binary_search_by(|w| w.id.cmp(id)).ok();
        let columns = table
            .columns
            .iter()
            .map(|column| {
                let mut clients: BTreeMap<u32, EvidenceSet> = BTreeMap::new();
                let mut add = |id: &WorkloadId, kind: Evidence| {
                    if let Some(w) = index(id) {
                        let e = clients.entry(w as u32).or_default();
                        *e = e.with(kind);
                    }
                };
                if let Some(by) = self.declared.get(&column.to) {
                    by.keys().for_each(|id| add(id, Evidence::Declared));
                }
                let host = column.to.rsplit_once(':').map_or(column.to.as_str(), |(h, _)| h);
                if let Some(by) = self.observed.get(host) {
                    by.keys().for_each(|id| add(id, Evidence::Observed));
                }
                clients.into_iter().collect()
            })
            .collect();
        Resolved { columns }
    }
}

/// A count or rate as read: whole numbers without decimals.
pub fn amount(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.2}")
    }
}

/// The sparse evidence on one class table: per column (same index), the clients (workload
/// indices, sorted) that are declared or observed.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    columns: Vec<Vec<(u32, EvidenceSet)>>,
}

impl Resolved {
    pub fn column(&self, at: usize) -> &[(u32, EvidenceSet)] {
        self.columns.get(at).map_or(&[], Vec::as_slice)
    }

    /// The evidence of the cell of `client` (a workload index) in column `at`, with this response.
    pub fn evidence(&self, at: usize, client: usize, response: &Response) -> EvidenceSet {
        of_response(response.reason).union(sparse_of(self.column(at), client))
    }
}

/// A declared edge the model says cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeclaredFailure {
    pub from: WorkloadId,
    pub to: String,
    /// What curl would print (`000`, `503`, `403`), or `none` when the caller does not call it.
    pub status: String,
    pub reason: Option<Reason>,
    pub intent: String,
}

/// A service port with declared callers, and the working plaintext callers no intent declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UndeclaredExposure {
    pub service: String,
    pub clients: usize,
    /// Those clients, when the report lists edges; else empty.
    pub callers: Vec<WorkloadId>,
    /// The first ten of them, `and N more`.
    pub callers_text: String,
}

/// `check` under an edge scope, with the evidence it read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScopeReport {
    pub edges: EdgeScope,
    /// Declared edges (each once) and observed (client, service) pairs of known clients.
    pub declared: usize,
    pub observed: usize,
    /// Edges in the scope, and those of them that fail: what `--fail-on broken` reads.
    pub in_scope: usize,
    pub failing: usize,
    /// Failing edges in the scope that nothing forbids (a NetworkPolicy or a deny is intended).
    pub broken: usize,
    /// Declared edges that cannot work (ML309).
    pub declared_failing: Vec<DeclaredFailure>,
    /// Working plaintext edges into service ports with declared callers that no intent declares
    /// (ML310): exposure.
    pub undeclared_plaintext: Vec<UndeclaredExposure>,
}

/// Names shown before "and N more".
const NAMED: usize = 10;

/// `check`'s scope report: counts in the scope, ML309 for declared edges that fail, ML310 for
/// undeclared working plaintext edges into covered ports.
pub fn scope_report(
    mesh: &Mesh,
    table: &ClassTable,
    evidence: &EdgeEvidence,
    scope: &EdgeScope,
    list_edges: bool,
    out: &mut Vec<Diagnostic>,
) -> ScopeReport {
    let resolved = evidence.resolve(mesh, table);
    let (mut in_scope, mut failing, mut broken) = (0, 0, 0);
    let mut undeclared_plaintext = Vec::new();
    for (at, column) in table.columns.iter().enumerate() {
        let cells = scope.column(&resolved, at);
        let covered = evidence.covers(&column.to);
        // Counting reads every cell only when the scope needs the class kinds; a scope of
        // sparse kinds alone is counted from its sparse clients.
        match scope {
            EdgeScope::Kinds(k) if !k.contains(Evidence::Possible) && !k.contains(Evidence::Forbidden) => {
                for &(w, _) in resolved.column(at) {
                    let client = mesh.workloads().get(w as usize);
                    let Some(cell) = client.and_then(|c| table.cell(w as usize, c, column)) else {
                        continue;
                    };
                    if cells.admits(w as usize, cell.response) {
                        count(cell.response, &mut in_scope, &mut failing, &mut broken);
                    }
                }
            }
            _ => {
                for (w, client) in mesh.workloads().iter().enumerate() {
                    if let Some(cell) = table.cell(w, client, column)
                        && cells.admits(w, cell.response)
                    {
                        count(cell.response, &mut in_scope, &mut failing, &mut broken);
                    }
                }
            }
        }
        if covered {
            undeclared_plaintext.extend(undeclared(mesh, table, evidence, column, list_edges, out));
        }
    }
    let declared_failing = declared_failures(mesh, table, out);
    ScopeReport {
        edges: *scope,
        declared: evidence.declared_count(),
        observed: evidence.observed_count(),
        in_scope,
        failing,
        broken,
        declared_failing,
        undeclared_plaintext,
    }
}

fn count(r: &Response, in_scope: &mut usize, failing: &mut usize, broken: &mut usize) {
    *in_scope += 1;
    if r.reason.verdict() == Verdict::Fail {
        *failing += 1;
        if !of_response(r.reason).contains(Evidence::Forbidden) {
            *broken += 1;
        }
    }
}

/// ML310 for one covered column.
fn undeclared(
    mesh: &Mesh,
    table: &ClassTable,
    evidence: &EdgeEvidence,
    column: &Column,
    list_edges: bool,
    out: &mut Vec<Diagnostic>,
) -> Option<UndeclaredExposure> {
    let plaintext_ok = |r: &Response| r.transport == Some(Transport::Plaintext) && r.reason.verdict() == Verdict::Ok;
    if !column.responses.iter().any(plaintext_ok) {
        return None;
    }
    let mut first: BTreeSet<&WorkloadId> = BTreeSet::new();
    let mut callers = Vec::new();
    let mut clients = 0;
    for cell in table.column_cells(mesh, column) {
        if plaintext_ok(cell.response) && evidence.declared_by(&cell.client.id, &column.to).is_none() {
            clients += 1;
            first.insert(&cell.client.id);
            if first.len() > NAMED {
                first.pop_last();
            }
            if list_edges {
                callers.push(cell.client.id.clone());
            }
        }
    }
    if clients == 0 {
        return None;
    }
    let shown: Vec<String> = first.iter().map(ToString::to_string).collect();
    let more = if clients > NAMED {
        format!(" and {} more", clients - NAMED)
    } else {
        String::new()
    };
    let callers_text = format!("{}{more}", shown.join(", "));
    let origin = mesh.services().get(column.service).map(|s| &s.origin);
    out.push(
        Diagnostic::warning(
            Code::UndeclaredPlaintext,
            format!(
                "`{}` has declared callers, and {callers_text} reach it in plaintext without being declared",
                column.to
            ),
        )
        .with_help(
            "declare them if they are expected; else lock the port (`meshlock plan --edges declared`) or deny them",
        )
        .at(origin_location(origin)),
    );
    Some(UndeclaredExposure {
        service: column.to.clone(),
        clients,
        callers,
        callers_text,
    })
}

/// ML309: every declared edge that fails, or that does not exist (a caller outside the mesh that
/// does not call the port).
fn declared_failures(mesh: &Mesh, table: &ClassTable, out: &mut Vec<Diagnostic>) -> Vec<DeclaredFailure> {
    let (edges, _) = mesh.declared_edges();
    let mut columns: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, c) in table.columns.iter().enumerate() {
        columns.insert((c.service, c.port), i);
    }
    let mut failures = Vec::new();
    for e in edges {
        let (Some(client), Some(column), Some(intent)) = (
            mesh.workloads().get(e.client),
            columns.get(&(e.service, e.port)).and_then(|&i| table.columns.get(i)),
            mesh.intents().get(e.intent),
        ) else {
            continue;
        };
        let (status, reason, why) = match table.cell(e.client, client, column) {
            Some(cell) if cell.response.reason.verdict() == Verdict::Ok => continue,
            Some(cell) => (
                cell.response.status.to_string(),
                Some(cell.response.reason),
                format!("fails: {} [{}]", cell.response.status, cell.response.reason),
            ),
            None => (
                "none".to_owned(),
                None,
                "does not exist: the caller is declared with other targets".to_owned(),
            ),
        };
        out.push(
            Diagnostic::error(
                Code::DeclaredEdgeFails,
                format!(
                    "`{}` declares `{}` → `{}`, which {why}",
                    intent.display, client.id, column.to
                ),
            )
            .with_help(format!(
                "`meshlock explain --from {} --to {}` shows the resource that decides",
                client.id, column.to
            ))
            .at(origin_location(Some(&intent.origin))),
        );
        failures.push(DeclaredFailure {
            from: client.id.clone(),
            to: column.to.clone(),
            status,
            reason,
            intent: intent.display.clone(),
        });
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_and_print_back() {
        for text in ["all", "possible", "declared", "declared,observed", "forbidden"] {
            assert_eq!(text.parse::<EdgeScope>().unwrap().to_string(), text);
        }
        assert_eq!(
            "observed,declared".parse::<EdgeScope>().unwrap().to_string(),
            "declared,observed"
        );
        assert!("declard".parse::<EdgeScope>().is_err());
        let declared = EvidenceSet::of(&[Evidence::Possible, Evidence::Declared]);
        assert!("declared".parse::<EdgeScope>().unwrap().admits(declared));
        assert!(!"observed".parse::<EdgeScope>().unwrap().admits(declared));
        assert!(!EdgeScope::Possible.admits(EvidenceSet::of(&[Evidence::Forbidden])));
        assert_eq!(declared.strongest(), Some(Evidence::Declared));
    }
}
