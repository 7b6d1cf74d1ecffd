//! Diff: every edge whose status or transport changes between two configurations, grouped, with
//! the resource that caused it.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use crate::classes::ClassTable;
use crate::evidence::{EdgeEvidence, EdgeScope, Evidence, EvidenceSet};
use crate::mesh::Mesh;
use crate::migrate::group::{EdgeGroup, change_groups, namespace_sizes};
use crate::migrate::stage::{Stage, Stages};
use crate::model::WorkloadId;
use crate::outcome::{Reason, Response, Transport, Verdict, WithVerdict};

/// One side of a changed edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EdgeState {
    /// Serialized in its place: `status`, `curl_exit`, `transport`, `verdict`, `reason`.
    #[serde(flatten)]
    pub response: Response<WithVerdict>,
}

impl From<&Response> for EdgeState {
    fn from(r: &Response) -> Self {
        Self {
            response: r.with_verdict(),
        }
    }
}

impl EdgeState {
    /// `mtls`, `plaintext` or `fail`: the words of a change group.
    pub fn label(&self) -> &'static str {
        match (self.response.verdict(), self.response.transport) {
            (Verdict::Fail, _) => "fail",
            (Verdict::Ok, Some(Transport::Mtls)) => "mtls",
            (Verdict::Ok, _) => "plaintext",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EdgeChange {
    pub from: WorkloadId,
    pub to: String,
    /// `None` when the edge exists on one side only (a workload or service added or removed).
    pub before: Option<EdgeState>,
    pub after: Option<EdgeState>,
    /// `mtls → fail`, `plaintext → mtls`, …
    pub change: String,
    /// The changed resources that took part in deciding this edge.
    pub cause: Vec<String>,
    /// Its evidence before the change, when the diff weighs evidence (`Mesh::diff_in_scope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceSet>,
}

impl EdgeChange {
    /// A working edge that stops working.
    pub fn breaks(&self) -> bool {
        matches!((self.before, self.after), (Some(b), Some(a)) if b.response.verdict() == Verdict::Ok && a.response.verdict() == Verdict::Fail)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Diff {
    pub changes: Vec<EdgeChange>,
    /// Number of changes per group (`mtls → fail`: 1).
    pub groups: BTreeMap<String, usize>,
    /// The changes grouped by effect, change, reason after and cause; the counts add up to the
    /// number of changes.
    pub by_cause: Vec<EdgeGroup>,
    /// Edges that worked before and fail after.
    pub broken: usize,
    /// Transitions the migration state machine refuses (ML402: DISABLE straight to STRICT).
    pub diagnostics: Vec<crate::diagnostic::Diagnostic>,
    /// The breaks that count under an edge scope (`Mesh::diff_in_scope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<DiffScope>,
}

/// A diff under an edge scope: which of its breaks count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DiffScope {
    pub edges: EdgeScope,
    /// Edges that break and are in the scope (what exits 1).
    pub broken: usize,
    /// Edges that break outside the scope.
    pub broken_outside: usize,
    /// The breaks in the scope per strongest evidence (`observed`, `declared`, `possible`).
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::evidence::per_evidence_schema"))]
    pub by_evidence: BTreeMap<Evidence, usize>,
}

/// The edges that change between two meshes, without causes (cheap: used by the planner).
pub fn delta(before: &Mesh, after: &Mesh) -> Vec<EdgeChange> {
    delta_of(before, &ClassTable::new(before), after, &ClassTable::new(after), |_| {
        true
    })
}

/// As `delta`, from the meshes' class tables; when both have the same clients and columns, only
/// the columns of services `touched` says yes to are compared (the others are known unchanged).
pub(crate) fn delta_of(
    before: &Mesh,
    before_table: &ClassTable,
    after: &Mesh,
    after_table: &ClassTable,
    touched: impl Fn(usize) -> bool,
) -> Vec<EdgeChange> {
    let same_shape = before
        .workloads()
        .iter()
        .map(|w| &w.id)
        .eq(after.workloads().iter().map(|w| &w.id))
        && before_table
            .columns
            .iter()
            .map(|c| &c.to)
            .eq(after_table.columns.iter().map(|c| &c.to));
    let mut changes = Vec::new();
    if same_shape {
        for (old, new) in before_table.columns.iter().zip(&after_table.columns) {
            if !touched(new.service) {
                continue;
            }
            for (a, b) in before_table
                .column_cells(before, old)
                .zip(after_table.column_cells(after, new))
            {
                let (was, now) = (EdgeState::from(a.response), EdgeState::from(b.response));
                if was != now {
                    changes.push(change(b.client.id.clone(), new.to.clone(), Some(was), Some(now)));
                }
            }
        }
    } else {
        let old: HashMap<(WorkloadId, String), EdgeState> = before_table
            .cells(before)
            .map(|c| ((c.client.id.clone(), c.column.to.clone()), EdgeState::from(c.response)))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for cell in after_table.cells(after) {
            let key = (cell.client.id.clone(), cell.column.to.clone());
            let now = EdgeState::from(cell.response);
            let was = old.get(&key).copied();
            if was != Some(now) {
                changes.push(change(key.0.clone(), key.1.clone(), was, Some(now)));
            }
            seen.insert(key);
        }
        for ((from, to), was) in old {
            if !seen.contains(&(from.clone(), to.clone())) {
                changes.push(change(from, to, Some(was), None));
            }
        }
    }
    changes.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    changes
}

/// The edges of one service port that one planner step changes alike: the clients (workload
/// indices, in order) whose response there goes from `before` to `after`.
#[derive(Debug, Clone)]
pub(crate) struct ChangeSet {
    pub column: usize,
    pub before: EdgeState,
    pub after: EdgeState,
    pub clients: Vec<u32>,
}

impl ChangeSet {
    pub fn breaks(&self) -> bool {
        self.before.response.verdict() == Verdict::Ok && self.after.response.verdict() == Verdict::Fail
    }

    /// `mtls → fail`.
    pub fn label(&self) -> String {
        change_label(Some(self.before), Some(self.after))
    }

    /// Its edges, one by one.
    pub fn edges<'a>(&'a self, mesh: &'a Mesh, to: &'a str) -> impl Iterator<Item = EdgeChange> + 'a {
        self.clients
            .iter()
            .filter_map(|&w| mesh.workloads().get(w as usize))
            .map(move |client| change(client.id.clone(), to.to_owned(), Some(self.before), Some(self.after)))
    }
}

/// What a planner step (a policy-only change: same clients and columns, `after_table` rebuilt
/// from `before_table`) changes, as sets: per touched column, a tight pass over the clients'
/// responses, no per-edge record. `None` when the columns differ (the planner reports it as a bug).
pub(crate) fn change_sets(
    mesh: &Mesh,
    before_table: &ClassTable,
    after_table: &ClassTable,
    touched: impl Fn(usize) -> bool,
) -> Option<Vec<ChangeSet>> {
    if before_table.columns.len() != after_table.columns.len() {
        return None;
    }
    let mut sets = Vec::new();
    for (c, (old, new)) in before_table.columns.iter().zip(&after_table.columns).enumerate() {
        if old.to != new.to {
            return None;
        }
        if !touched(new.service) || std::sync::Arc::ptr_eq(old, new) {
            continue;
        }
        // The (before, after) pairs seen in this column, and their clients.
        let mut pairs: Vec<((EdgeState, EdgeState), Vec<u32>)> = Vec::new();
        before_table.differing(after_table, mesh, old, new, |clients, a, b| {
            let key = (EdgeState::from(a), EdgeState::from(b));
            if key.0 == key.1 {
                return;
            }
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some((_, all)) => all.extend_from_slice(clients),
                None => pairs.push((key, clients.to_vec())),
            }
        });
        // In edge order: clients by workload, pairs by their first client.
        for (_, clients) in &mut pairs {
            clients.sort_unstable();
        }
        pairs.sort_by_key(|(_, clients)| clients.first().copied());
        sets.extend(pairs.into_iter().map(|((before, after), clients)| ChangeSet {
            column: c,
            before,
            after,
            clients,
        }));
    }
    Some(sets)
}

fn change_label(before: Option<EdgeState>, after: Option<EdgeState>) -> String {
    let side = |s: Option<EdgeState>| s.map_or("none", |s| s.label());
    format!("{} → {}", side(before), side(after))
}

fn change(from: WorkloadId, to: String, before: Option<EdgeState>, after: Option<EdgeState>) -> EdgeChange {
    let label = change_label(before, after);
    EdgeChange {
        from,
        to,
        before,
        after,
        change: label,
        cause: Vec::new(),
        evidence: None,
    }
}

impl Diff {
    /// Groups and counts a list of changes (causes as given), without knowing the namespaces.
    pub fn from_changes(changes: Vec<EdgeChange>) -> Self {
        Self::grouped(changes, BTreeMap::new())
    }

    /// As `from_changes`; `sizes` (clients per namespace) lets a group say "the whole namespace".
    fn grouped(changes: Vec<EdgeChange>, sizes: BTreeMap<String, usize>) -> Self {
        let mut groups = BTreeMap::new();
        for c in &changes {
            *groups.entry(c.change.clone()).or_insert(0) += 1;
        }
        let broken = changes.iter().filter(|c| c.breaks()).count();
        let by_cause = change_groups(sizes, &changes, |c| (!c.cause.is_empty()).then(|| c.cause.join(", ")));
        Diff {
            changes,
            groups,
            by_cause,
            broken,
            diagnostics: Vec::new(),
            scope: None,
        }
    }
}

impl Mesh {
    /// Every changed edge between `before` and `after`, grouped, each with its cause: the changed
    /// resources that appear in the edge's decision chain on either side.
    pub fn diff(before: &Mesh, after: &Mesh) -> Diff {
        let changed = changed_resources(before, after);
        let mut changes = delta(before, after);
        for c in &mut changes {
            let from = c.from.to_string();
            let mut chain = Vec::new();
            for mesh in [before, after] {
                if let Ok(outcome) = mesh.probe(&from, &c.to) {
                    chain.extend(outcome.explain.into_iter().filter_map(|s| s.resource));
                }
            }
            c.cause = changed
                .iter()
                .filter(|r| chain.iter().any(|link| link.contains(r.as_str())))
                .cloned()
                .collect();
            if c.cause.is_empty() {
                c.cause.clone_from(&changed);
            }
        }
        let mut diff = Diff::grouped(changes, namespace_sizes(after));
        diff.diagnostics = refused_transitions(&before.stages(), &after.stages());
        diff
    }

    /// `diff`, each changed edge with its evidence before the change; the breaks that count are
    /// those `scope` keeps (`Diff::scope`). `evidence` adds to the declared edges of both sides'
    /// intents (observed traffic, say).
    pub fn diff_in_scope(before: &Mesh, after: &Mesh, evidence: &EdgeEvidence, scope: EdgeScope) -> Diff {
        let mut all = EdgeEvidence::of_mesh(before);
        all.merge(&EdgeEvidence::of_mesh(after));
        all.merge(evidence);
        let mut diff = Mesh::diff(before, after);
        let (mut broken, mut broken_outside) = (0, 0);
        let mut by_evidence = BTreeMap::new();
        for c in &mut diff.changes {
            let reason = c.before.or(c.after).map_or(Reason::Plaintext, |s| s.response.reason);
            let set = all.of_edge(&c.from, &c.to, reason);
            c.evidence = Some(set);
            if c.breaks() {
                if scope.admits(set) {
                    broken += 1;
                    if let Some(kind) = set.strongest() {
                        *by_evidence.entry(kind).or_default() += 1;
                    }
                } else {
                    broken_outside += 1;
                }
            }
        }
        diff.scope = Some(DiffScope {
            edges: scope,
            broken,
            broken_outside,
            by_evidence,
        });
        diff
    }
}

/// The state machine's guard: a port must go through PERMISSIVE between DISABLE and STRICT.
pub fn refused_transitions(before: &Stages, after: &Stages) -> Vec<crate::diagnostic::Diagnostic> {
    after
        .services
        .iter()
        .filter(|s| matches!(s.stage, Stage::Locked | Stage::Broken) && s.mode == Some(crate::model::MtlsMode::Strict))
        .filter(|s| before.service(&s.service).is_some_and(|b| b.stage == Stage::Plaintext))
        .map(|s| {
            crate::diagnostic::Diagnostic::error(
                crate::diagnostic::Code::DisableToStrict,
                format!(
                    "`{}` goes from DISABLE straight to STRICT: every client that still sends plaintext breaks at once",
                    s.service
                ),
            )
            .with_help("apply PERMISSIVE first, move the clients to mTLS (check `meshlock stages`), then lock")
        })
        .collect()
}

/// `Kind namespace/name` of every resource added, removed or changed.
fn changed_resources(before: &Mesh, after: &Mesh) -> Vec<String> {
    let index = |m: &Mesh| -> BTreeMap<String, String> {
        m.policy_metas()
            .map(|meta| (meta.display_ref(), meta.yaml.clone()))
            .collect()
    };
    let (a, b) = (index(before), index(after));
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    out.extend(b.keys().filter(|k| !a.contains_key(*k)).cloned());
    out.sort();
    out
}
