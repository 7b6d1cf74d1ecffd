//! Render: text for people (tables, prose, the tour), CSV and Markdown for tools.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::diagnostic::{Diagnostic, Severity};
use crate::matrix::{Edge, Matrix};
use crate::outcome::{CURL_RESET, Outcome, Response, Verdict};
use crate::seed::Tour;

/// ANSI colour, used only when the caller says the output is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn verdict(self, verdict: Verdict, text: &str) -> String {
        match verdict {
            Verdict::Ok => self.paint("32", text),
            Verdict::Fail => self.paint("1;31", text),
        }
    }

    fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

fn transport_text<V>(response: &Response<V>) -> String {
    match (response.transport, response.curl_exit) {
        (Some(t), 0) => t.as_str().to_owned(),
        (Some(t), exit) => format!("{}, curl exit {exit}", t.as_str()),
        (None, 0) => "-".to_owned(),
        (None, exit) => format!("curl exit {exit}"),
    }
}

/// `sleep.foo to httpbin.foo: 200`, the guide's loop line, then the transport.
pub fn guide_line(outcome: &Outcome, host_label: &str, style: Style) -> String {
    let client = format!("{}.{}", outcome.from.name, outcome.from.namespace);
    let response = &outcome.response;
    let detail = match response.verdict() {
        Verdict::Ok => transport_text(response),
        Verdict::Fail if response.curl_exit == CURL_RESET => {
            "plaintext, connection reset by the server's sidecar, curl exit 56".to_owned()
        }
        Verdict::Fail => format!("{}: {}", transport_text(response), response.reason),
    };
    format!(
        "{client} to {host_label}: {}   {}",
        style.verdict(response.verdict(), &response.status.to_string()),
        style.dim(&format!("({detail})"))
    )
}

pub fn tour(tour: &Tour, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold(&format!("meshlock tour: {}", tour.title)));
    let _ = writeln!(
        out,
        "{}",
        style.dim("built-in cluster: httpbin and sleep with sidecars in foo and bar, sleep without one in legacy")
    );
    for step in &tour.steps {
        let _ = writeln!(out, "\n{}", style.bold(&format!("Step {}: {}", step.id, step.title)));
        for source in &step.applied {
            let ns = source
                .namespace
                .as_deref()
                .map(|n| format!(" -n {n}"))
                .unwrap_or_default();
            let _ = writeln!(out, "$ cat <<EOF | istioctl create{ns} -f -");
            let _ = write!(out, "{}", indent(&source.text, ""));
            let _ = writeln!(out, "EOF");
        }
        if !step.published_diagnostics.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                style.paint(
                    "33",
                    "note: the guide publishes this manifest with `peers:` indented under the target; meshlock says:"
                )
            );
            for d in &step.published_diagnostics {
                let _ = write!(out, "{}", indent(&d.to_string(), "  "));
            }
            let _ = writeln!(
                out,
                "{}",
                style.paint("33", "the tour applies the intended manifest shown above.")
            );
        }
        if let Some(note) = step.note {
            let _ = writeln!(out, "{}", style.dim(&format!("# {note}")));
        }
        for row in &step.rows {
            let mut line = guide_line(&row.outcome, "httpbin.foo", style);
            if let Some(printed) = row.guide_prints {
                let _ = write!(
                    line,
                    "  {}",
                    style.paint(
                        "33",
                        &format!(
                            "note: the guide prints {printed}; a client without a sidecar sees the reset, not a 503"
                        )
                    )
                );
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

/// The decision chain in prose, resource by resource.
pub fn explain(outcome: &Outcome, style: Style) -> String {
    let mut out = String::new();
    let response = &outcome.response;
    let verdict = response.verdict();
    let _ = writeln!(
        out,
        "{} → {}: {} ({}) {} [{}]",
        outcome.from,
        outcome.to,
        style.verdict(verdict, &response.status.to_string()),
        transport_text(response),
        style.verdict(verdict, verdict.as_str()),
        response.reason
    );
    for step in &outcome.explain {
        let who = step.resource.as_deref().map(|r| format!("{r}: ")).unwrap_or_default();
        let _ = writeln!(out, "  {:<8} {who}{}", step.side.as_str(), step.text);
    }
    for alt in &outcome.alternatives {
        let ids: Vec<String> = alt.endpoints.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "  endpoints {}: {} [{}]",
            ids.join(", "),
            alt.response.status,
            alt.response.reason
        );
    }
    out
}

fn rows(matrix: &Matrix) -> impl Iterator<Item = [String; 6]> + '_ {
    matrix.edges.iter().map(|e| {
        let r = &e.response;
        // Evidence, when the matrix weighs it, follows the reason: `plaintext (declared,possible)`.
        let reason = match e.evidence {
            Some(evidence) => format!("{} ({evidence})", r.reason.as_str()),
            None => r.reason.as_str().to_owned(),
        };
        [
            e.from.to_string(),
            e.to.clone(),
            r.status.to_string(),
            r.transport.map_or("-", |t| t.as_str()).to_owned(),
            r.verdict().as_str().to_owned(),
            reason,
        ]
    })
}

const HEADER: [&str; 6] = ["FROM", "TO", "STATUS", "TRANSPORT", "VERDICT", "REASON"];

/// A fixed-width table, one row per edge.
pub fn matrix_table(matrix: &Matrix, style: Style) -> String {
    let all: Vec<[String; 6]> = rows(matrix).collect();
    let mut widths = HEADER.map(str::len);
    for row in &all {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String, fail: bool| {
        let text: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let text = text.join("  ").trim_end().to_owned();
        let _ = writeln!(out, "{}", if fail { style.paint("31", &text) } else { text });
    };
    line(&HEADER.map(str::to_owned), &mut out, false);
    for row in &all {
        line(row, &mut out, row[4] == "fail");
    }
    let failing = matrix
        .edges
        .iter()
        .filter(|e| e.response.verdict() == Verdict::Fail)
        .count();
    let _ = writeln!(out, "{} edges, {failing} failing", matrix.edges.len());
    out
}

pub const CSV_HEADER: &str = "from,to,status,curl_exit,transport,verdict,reason\n";

/// The CSV header when edges carry their evidence (`--edges`, `--intents`, `--metrics`).
pub const CSV_HEADER_EVIDENCE: &str = "from,to,status,curl_exit,transport,verdict,reason,evidence\n";

/// One CSV line; edges can be streamed through it without building the whole matrix.
pub fn csv_row(e: &Edge) -> String {
    // Evidence is one field, its kinds separated by `;`.
    let evidence = e.evidence.map_or(String::new(), |set| {
        let kinds: Vec<&str> = set.iter().map(crate::evidence::Evidence::as_str).collect();
        format!(",{}", kinds.join(";"))
    });
    let r = &e.response;
    format!(
        "{},{},{},{},{},{},{}{evidence}\n",
        e.from,
        e.to,
        r.status,
        r.curl_exit,
        r.transport.map_or("", |t| t.as_str()),
        r.verdict().as_str(),
        r.reason
    )
}

pub fn matrix_csv(matrix: &Matrix) -> String {
    let mut out = String::from(CSV_HEADER);
    out.extend(matrix.edges.iter().map(csv_row));
    out
}

pub fn matrix_markdown(matrix: &Matrix) -> String {
    let mut out = format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(HEADER.len()));
    for row in rows(matrix) {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

pub fn diagnostics(diags: &[Diagnostic], min: Severity) -> String {
    diags
        .iter()
        .filter(|d| d.severity >= min)
        .map(|d| format!("{d}\n"))
        .collect()
}

/// How much of a grouped answer text shows: `limit` examples (and groups) each, or `all` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    pub limit: usize,
    pub all: bool,
}

impl Detail {
    pub const DEFAULT: Detail = Detail { limit: 3, all: false };

    /// Groups shown per section before "… N more": enough for the causes that matter most.
    fn groups(self) -> usize {
        if self.all { usize::MAX } else { (self.limit * 3).max(8) }
    }
}

/// Service ports listed one per line up to this many; above, per namespace.
const TABLE_MAX: usize = 40;

/// `a, b` for at most two clients, else their count.
fn few(ids: &[crate::model::WorkloadId]) -> String {
    match ids {
        [] | [_] | [_, _] => ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        _ => format!("{} clients", ids.len()),
    }
}

/// The stage of every service port (per namespace on a large mesh), then of every namespace and
/// the mesh, then the blockers and failing clients, each client once.
pub fn stages(stages: &crate::migrate::Stages) -> String {
    stages_with(stages, Detail::DEFAULT)
}

pub fn stages_with(stages: &crate::migrate::Stages, detail: Detail) -> String {
    let mut out = String::new();
    let mut per_stage: BTreeMap<crate::migrate::Stage, usize> = BTreeMap::new();
    for s in &stages.services {
        *per_stage.entry(s.stage).or_default() += 1;
    }
    let counts: Vec<String> = per_stage.iter().map(|(st, n)| format!("{n} {st}")).collect();
    let _ = writeln!(
        out,
        "{} service ports ({}) in {} namespaces; mesh: {}\n",
        stages.services.len(),
        counts.join(", "),
        stages.namespaces.len(),
        stages.mesh
    );
    let table = detail.all || stages.services.len() <= TABLE_MAX;
    if table {
        let width = stages
            .services
            .iter()
            .map(|s| s.service.len())
            .max()
            .unwrap_or(0)
            .max("SERVICE PORT".len());
        let _ = writeln!(
            out,
            "{:<width$}  {:<10}  {:<10}  BLOCKERS / FAILING",
            "SERVICE PORT", "STAGE", "MODE"
        );
        for s in &stages.services {
            let mode = s.mode.map_or("-".to_owned(), |m| m.to_string());
            let who = if detail.all {
                let all: Vec<String> = s.failing.iter().chain(&s.blockers).map(ToString::to_string).collect();
                all.join(", ")
            } else {
                [few(&s.failing), few(&s.blockers)]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let line = format!("{:<width$}  {:<10}  {:<10}  {who}", s.service, s.stage.as_str(), mode);
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(out);
    }
    for (ns, stage) in &stages.namespaces {
        if table {
            let _ = writeln!(out, "namespace {ns}: {stage}");
            continue;
        }
        let mut here: BTreeMap<crate::migrate::Stage, usize> = BTreeMap::new();
        for s in stages.services.iter().filter(|s| &s.namespace == ns) {
            *here.entry(s.stage).or_default() += 1;
        }
        let ports: usize = here.values().sum();
        let parts: Vec<String> = here.iter().map(|(st, n)| format!("{n} {st}")).collect();
        let _ = writeln!(out, "namespace {ns}: {stage} ({ports} ports: {})", parts.join(", "));
    }
    let _ = writeln!(out, "mesh: {}", stages.mesh);
    let sections = [
        (
            &stages.blocker_groups,
            "blockers: clients without a sidecar that still send plaintext, each once, with the ports whose lock-down it holds back",
        ),
        (
            &stages.failing_groups,
            "failing because of mTLS settings: each client once, with the ports it fails on",
        ),
    ];
    for (groups, title) in sections {
        if groups.is_empty() {
            continue;
        }
        let clients: usize = groups.iter().map(|g| g.clients.len()).sum();
        let _ = writeln!(out, "\n{title} ({clients} clients):");
        client_groups(&mut out, groups, detail);
    }
    out
}

/// `- clients → what they hold`, largest first, at most `detail.groups()`.
fn client_groups(out: &mut String, groups: &[crate::migrate::ClientGroup], detail: Detail) {
    for g in groups.iter().take(detail.groups()) {
        let _ = writeln!(out, "- {} → {}", g.clients_text, g.holds_text);
        if detail.all && g.clients.len() > 2 {
            let ids: Vec<String> = g.clients.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "  {}", ids.join(", "));
        }
    }
    let hidden = groups.get(groups.len().min(detail.groups())..).unwrap_or_default();
    if !hidden.is_empty() {
        let clients: usize = hidden.iter().map(|g| g.clients.len()).sum();
        let _ = writeln!(
            out,
            "- … {} more groups of {clients} clients (--all shows them)",
            hidden.len()
        );
    }
}

/// A group of edges on one line: count, change, reason, deciding resource, clients → ports.
fn group_line(g: &crate::migrate::EdgeGroup) -> String {
    let by = g.resource.as_deref().map(|r| format!(" by {r}")).unwrap_or_default();
    format!(
        "{} × {} [{}]{by}: {} → {}",
        g.edges, g.change, g.reason, g.clients_text, g.services_text
    )
}

/// The groups of one effect (or all), each with up to `detail.limit` examples on one line.
fn edge_groups(out: &mut String, groups: &[&crate::migrate::EdgeGroup], detail: Detail, indent: &str) {
    for g in groups.iter().take(detail.groups()) {
        let _ = writeln!(out, "{indent}- {}", group_line(g));
        let shown: Vec<String> = g
            .examples
            .iter()
            .take(if detail.all { 0 } else { detail.limit })
            .map(|e| format!("{} → {}", e.from, e.to))
            .collect();
        if !shown.is_empty() && g.edges > 1 {
            let _ = writeln!(out, "{indent}    e.g. {}", shown.join("; "));
        }
    }
    let hidden = groups.get(groups.len().min(detail.groups())..).unwrap_or_default();
    if !hidden.is_empty() {
        let edges: usize = hidden.iter().map(|g| g.edges).sum();
        let _ = writeln!(
            out,
            "{indent}- … {} more groups of {edges} edges (--all shows them)",
            hidden.len()
        );
    }
}

/// Groups by effect, each effect with its total.
fn effects(out: &mut String, groups: &[crate::migrate::EdgeGroup], detail: Detail, indent: &str) {
    let mut by: BTreeMap<crate::migrate::Effect, Vec<&crate::migrate::EdgeGroup>> = BTreeMap::new();
    for g in groups {
        by.entry(g.effect).or_default().push(g);
    }
    for (effect, list) in by {
        let edges: usize = list.iter().map(|g| g.edges).sum();
        let _ = writeln!(out, "{indent}{} ({edges} edges):", effect.as_str());
        edge_groups(out, &list, detail, indent);
    }
}

/// One side of a changed edge: `503 fail`, or `-` where the edge does not exist.
fn state_text(s: Option<crate::migrate::EdgeState>) -> String {
    s.map_or("-".to_owned(), |s| format!("{} {}", s.response.status, s.label()))
}

fn change_line(c: &crate::migrate::EdgeChange) -> String {
    let cause = if c.cause.is_empty() {
        String::new()
    } else {
        format!("  (by {})", c.cause.join(", "))
    };
    format!(
        "{} → {}: {} ⇒ {}{cause}",
        c.from,
        c.to,
        state_text(c.before),
        state_text(c.after)
    )
}

/// The plan as a Markdown runbook: readable in a terminal, and written as PLAN.md.
pub fn plan(plan: &crate::migrate::Plan) -> String {
    plan_with(plan, Detail::DEFAULT)
}

pub fn plan_with(plan: &crate::migrate::Plan, detail: Detail) -> String {
    let mut out = format!("# meshlock plan: goal `{}`\n\n", plan.goal);
    let blocked_edges = plan.blocked_edges;
    let clients: usize = plan.blocking_clients.iter().map(|g| g.clients.len()).sum();
    let _ = writeln!(
        out,
        "{} step(s); {} lock-down(s) held back by {clients} client(s) ({blocked_edges} edges would break).\n",
        plan.steps.len(),
        plan.held_back.len()
    );
    if !plan.edges.is_all() {
        let _ = writeln!(
            out,
            "Edges protected: `{}` ({} edge(s) outside the scope break; the notes name them).\n",
            plan.edges, plan.breaks_outside_scope
        );
    }
    let notes = if detail.all {
        plan.notes.len()
    } else {
        plan.notes.len().min(TABLE_MAX / 4)
    };
    for note in plan.notes.iter().take(notes) {
        let _ = writeln!(out, "- {note}");
    }
    if plan.notes.len() > notes {
        let _ = writeln!(out, "- … {} more notes (--all shows them)", plan.notes.len() - notes);
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out);
    }
    if plan.steps.is_empty() {
        let _ = writeln!(out, "No step is needed or possible without breaking a working edge.\n");
    }
    for step in &plan.steps {
        let _ = writeln!(out, "## {}\n\n{}\n", step.name, step.description);
        if !step.prechecks.is_empty() {
            let _ = writeln!(out, "Before applying, check on the live cluster:\n");
            for check in &step.prechecks {
                let _ = writeln!(out, "    {check}");
            }
            let _ = writeln!(out);
        }
        for yaml in &step.apply {
            let _ = writeln!(
                out,
                "Apply (`kubectl apply -f {}.yaml`):\n\n```yaml\n{}```\n",
                step.name, yaml
            );
        }
        for yaml in &step.delete {
            let _ = writeln!(out, "Delete:\n\n```yaml\n{yaml}```\n");
        }
        // Counted from the groups, which every plan holds (`delta` only when edges are listed).
        let mut changes: BTreeMap<&str, usize> = BTreeMap::new();
        for g in &step.groups {
            *changes.entry(g.change.as_str()).or_default() += g.edges;
        }
        let summary: Vec<String> = changes.iter().map(|(g, n)| format!("{g}: {n}")).collect();
        let _ = writeln!(
            out,
            "Predicted changes ({}): {}\n",
            changes.values().sum::<usize>(),
            summary.join(", ")
        );
        if detail.all {
            for c in &step.delta {
                let _ = writeln!(out, "- {}", change_line(c));
            }
        } else {
            effects(&mut out, &step.groups, detail, "");
        }
        stage_lines(&mut out, &step.stages, detail);
        let mut undo = Vec::new();
        if !step.rollback.is_empty() {
            undo.push(format!("`kubectl apply -f {}.rollback.yaml`", step.name));
        }
        if !step.rollback_delete.is_empty() {
            undo.push(format!("`kubectl delete -f {}.rollback-delete.yaml`", step.name));
        }
        let _ = writeln!(out, "\nRollback: {}.\n", undo.join(", then "));
    }
    if plan.blocked_edges > 0 {
        blocked(&mut out, plan, detail);
    }
    let f = &plan.final_state;
    let _ = writeln!(
        out,
        "## After the plan\n\n{} edges: {} ok ({} mtls, {} plaintext), {} failing.",
        f.edges, f.ok, f.mtls, f.plaintext, f.failing
    );
    for (ns, stage) in &f.namespaces {
        let _ = writeln!(out, "- namespace {ns}: {stage}");
    }
    let _ = writeln!(out, "- mesh: {}", f.mesh);
    out
}

/// A step's stage changes: namespaces and the mesh one by one, service ports grouped by change.
fn stage_lines(out: &mut String, stages: &BTreeMap<String, crate::migrate::plan::StageChange>, detail: Detail) {
    let mut ports: BTreeMap<(crate::migrate::Stage, crate::migrate::Stage), std::collections::BTreeSet<String>> =
        BTreeMap::new();
    for (what, s) in stages {
        let aggregate = what == "mesh" || what.starts_with("namespace/");
        if aggregate || detail.all {
            let _ = writeln!(out, "- stage of {what}: {} → {}", s.before, s.after);
        } else {
            ports.entry((s.before, s.after)).or_default().insert(what.clone());
        }
    }
    for ((before, after), set) in ports {
        let what = if set.len() == 1 {
            set.iter().next().cloned().unwrap_or_default()
        } else {
            crate::migrate::group::services_text(&set)
        };
        let _ = writeln!(out, "- stage of {what}: {before} → {after}");
    }
}

/// The held-back lock-downs: blocking clients each once, then the remedy set.
fn blocked(out: &mut String, plan: &crate::migrate::Plan, detail: Detail) {
    let _ = writeln!(out, "## Blocked\n");
    let held: std::collections::BTreeSet<String> = plan.held_back.iter().cloned().collect();
    let _ = writeln!(
        out,
        "{} lock-down(s) held back: {}.\n",
        held.len(),
        crate::migrate::group::names_text(&held)
    );
    if !plan.blocked_by_evidence.is_empty() {
        let by: Vec<String> = plan
            .blocked_by_evidence
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        let _ = writeln!(out, "Blocked edges by their strongest evidence: {}.\n", by.join(", "));
        let shown = if detail.all {
            plan.strongest_blockers.len()
        } else {
            detail.limit.max(1)
        };
        for b in plan.strongest_blockers.iter().take(shown) {
            let _ = writeln!(
                out,
                "- `{}` → `{}` at step `{}`: {}",
                b.client, b.service, b.step, b.evidence_text
            );
        }
        if !plan.strongest_blockers.is_empty() {
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(out, "Blocking clients, each once, with the lock-downs it holds back:\n");
    client_groups(out, &plan.blocking_clients, detail);
    if !plan.remedy_set.is_empty() {
        let _ = writeln!(
            out,
            "\nRemedy set (a greedy set cover: each pick deals with the most blocked edges left; a lock-down is released once all its blocked edges are):\n"
        );
        let shown = detail.groups();
        for (i, r) in plan.remedy_set.iter().enumerate().take(shown) {
            let _ = writeln!(
                out,
                "{}. {} → {} of {} lock-downs ({} blocked edges)",
                i + 1,
                r.description,
                r.released,
                held.len(),
                r.edges
            );
            if let Some(action) = &r.action {
                if action.contains('\n') {
                    let _ = writeln!(out, "\n    ```yaml\n{}    ```\n", indent(action, "    "));
                } else {
                    let _ = writeln!(out, "    `{action}`");
                }
            }
            let _ = writeln!(out, "    alternatives: {}", r.alternatives.join("; or "));
        }
        if plan.remedy_set.len() > shown {
            let rest = plan.remedy_set.get(shown..).unwrap_or_default();
            let _ = writeln!(
                out,
                "{}. … {} more remedies for {} blocked edges (--all shows them)",
                shown + 1,
                rest.len(),
                rest.iter().map(|r| r.edges).sum::<usize>()
            );
        }
        let last = plan.remedy_set.last().map_or(0, |r| r.released);
        let together = if last == held.len() {
            "every lock-down".to_owned()
        } else {
            format!("{last} of {} lock-downs; the rest need `--allow-break`", held.len())
        };
        let _ = writeln!(out, "\nTogether they release {together}.");
    }
    if detail.all {
        let _ = writeln!(out, "\nEvery blocked edge:\n");
        for b in &plan.blockers {
            let _ = writeln!(
                out,
                "- `{}` → `{}` would get {} ({}) at step `{}`{}. Remedies:",
                b.client,
                b.service,
                b.would_get,
                b.reason,
                b.step,
                if plan.blocked_by_evidence.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", b.evidence_text)
                }
            );
            for r in &b.remedies {
                let kind = serde_json::to_value(&r.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let _ = writeln!(out, "  - {kind}: {}", r.description);
                if let Some(action) = &r.action {
                    if action.contains('\n') {
                        let _ = writeln!(out, "\n    ```yaml\n{}    ```\n", indent(action, "    "));
                    } else {
                        let _ = writeln!(out, "    `{action}`");
                    }
                }
            }
        }
    } else {
        let _ = writeln!(out, "\n(`--all` lists every blocked edge with its remedies.)");
    }
    let _ = writeln!(out);
}

/// Changed edges: the totals, then the groups by cause (`--all`: every edge).
pub fn diff(diff: &crate::migrate::Diff) -> String {
    diff_with(diff, Detail::DEFAULT)
}

pub fn diff_with(diff: &crate::migrate::Diff, detail: Detail) -> String {
    let mut out = String::new();
    if diff.changes.is_empty() {
        return "no edge changes\n".to_owned();
    }
    let counts: Vec<String> = diff.groups.iter().map(|(g, n)| format!("{g}: {n}")).collect();
    let _ = writeln!(
        out,
        "{} changed edge(s), {} broken [{}]",
        diff.changes.len(),
        diff.broken,
        counts.join(", ")
    );
    if detail.all {
        for (group, n) in &diff.groups {
            let _ = writeln!(out, "{group}: {n}");
            for c in diff.changes.iter().filter(|c| &c.change == group) {
                let _ = writeln!(out, "  {}", change_line(c));
            }
        }
    } else {
        effects(&mut out, &diff.by_cause, detail, "");
    }
    if let Some(scope) = &diff.scope {
        let by: Vec<String> = scope.by_evidence.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let by = if by.is_empty() {
            String::new()
        } else {
            format!(" [{}]", by.join(", "))
        };
        let _ = writeln!(
            out,
            "in scope `{}`: {} broken{by}; {} broken outside it",
            scope.edges, scope.broken, scope.broken_outside
        );
    }
    out.push_str(&diagnostics(&diff.diagnostics, Severity::Info));
    out
}

pub fn diff_markdown(diff: &crate::migrate::Diff) -> String {
    let mut out = String::from("| change | from | to | before | after | cause |\n|---|---|---|---|---|---|\n");
    for c in &diff.changes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            c.change,
            c.from,
            c.to,
            state_text(c.before),
            state_text(c.after),
            c.cause.join(", ")
        );
    }
    out
}

/// `meshlock check` for people: the totals, failing edges grouped by cause (denials by the
/// cluster's own authorization apart from mTLS breakage), diagnostics, exposure.
pub fn check(report: &crate::check::CheckReport, style: Style) -> String {
    check_with(report, style, Detail::DEFAULT)
}

pub fn check_with(report: &crate::check::CheckReport, style: Style, detail: Detail) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let statuses: Vec<String> = s.by_status.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{} edges: {} ok ({} mtls, {} plaintext), {} failing [{}]",
            s.edges,
            s.ok,
            s.mtls,
            s.plaintext,
            s.failing,
            statuses.join(", ")
        ))
    );
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} note(s)",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info)
    );
    if s.failing > 0 {
        let _ = writeln!(
            out,
            "failing: {} broken by mTLS configuration, {} denied by your authorization policy (expected), {} other",
            s.mtls_broken,
            s.denied,
            s.failing - s.mtls_broken - s.denied
        );
        let _ = writeln!(out);
        effects(&mut out, &report.groups, detail, "");
    }
    if detail.all {
        let _ = writeln!(out, "\nevery failing edge:");
        for e in &report.failing {
            let _ = writeln!(
                out,
                "  {}",
                style.paint(
                    "31",
                    &format!("{} → {}: {} [{}]", e.from, e.to, e.response.status, e.response.reason)
                )
            );
        }
    }
    let _ = writeln!(out);
    // Diagnostics by code, `limit` each: one code can fire for hundreds of ports.
    let mut by_code: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &report.diagnostics {
        by_code.entry(d.code.id()).or_default().push(d);
    }
    for list in by_code.values() {
        let shown = if detail.all { list.len() } else { detail.limit.max(1) };
        for d in list.iter().take(shown) {
            let _ = writeln!(out, "{d}");
        }
        if list.len() > shown
            && let Some(first) = list.first()
        {
            let _ = writeln!(
                out,
                "… {} more {} (--all shows them)",
                list.len() - shown,
                first.code.entry().slug
            );
        }
    }
    let exposed: Vec<&crate::check::Exposure> = report
        .exposure
        .iter()
        .filter(|x| x.plaintext_clients > 0 || !x.findings.is_empty())
        .collect();
    if !exposed.is_empty() {
        let unauthorised = exposed.iter().filter(|x| x.authorization.is_empty()).count();
        let _ = writeln!(
            out,
            "\n{}",
            style.bold(&format!(
                "exposure: {} of {} service ports accept plaintext or depend on mTLS for authorization ({unauthorised} with no authorization)",
                exposed.len(),
                report.exposure.len()
            ))
        );
        let shown = if detail.all { exposed.len() } else { detail.groups() };
        for x in exposed.iter().take(shown) {
            let callers = if detail.all && x.plaintext_callers.len() == x.plaintext_clients {
                let all: Vec<String> = x.plaintext_callers.iter().map(ToString::to_string).collect();
                all.join(", ")
            } else if x.plaintext_clients <= 2 {
                x.plaintext_callers_text.clone()
            } else {
                format!("{} clients", x.plaintext_clients)
            };
            let authz = if x.authorization.is_empty() {
                "no authorization".to_owned()
            } else {
                x.authorization.join(", ")
            };
            let _ = writeln!(out, "  {}: plaintext from [{callers}]; {authz}", x.service);
            if detail.all {
                for f in &x.findings {
                    let _ = writeln!(out, "    - {f}");
                }
            }
        }
        if exposed.len() > shown {
            let _ = writeln!(out, "  … {} more ports (--all shows them)", exposed.len() - shown);
        }
    }
    if let Some(scope) = &report.scope {
        scope_section(&mut out, scope, style, detail);
    }
    out
}

/// `check`'s declared traffic and edge scope: what `--fail-on broken` counts, declared edges that
/// fail, undeclared plaintext callers (exposure).
fn scope_section(out: &mut String, scope: &crate::evidence::ScopeReport, style: Style, detail: Detail) {
    let _ = writeln!(
        out,
        "\n{}",
        style.bold(&format!(
            "edges in scope `{}`: {}, {} failing ({} not forbidden); evidence: {} declared, {} observed",
            scope.edges, scope.in_scope, scope.failing, scope.broken, scope.declared, scope.observed
        ))
    );
    if !scope.declared_failing.is_empty() {
        let _ = writeln!(
            out,
            "  declared edges that cannot work ({}):",
            scope.declared_failing.len()
        );
        let shown = if detail.all {
            scope.declared_failing.len()
        } else {
            detail.groups()
        };
        for f in scope.declared_failing.iter().take(shown) {
            let why = f
                .reason
                .map_or("not called".to_owned(), |r| format!("{} [{r}]", f.status));
            let _ = writeln!(out, "    {} → {}: {why} ({})", f.from, f.to, f.intent);
        }
        if scope.declared_failing.len() > shown {
            let _ = writeln!(
                out,
                "    … {} more (--all shows them)",
                scope.declared_failing.len() - shown
            );
        }
    }
    if !scope.undeclared_plaintext.is_empty() {
        let _ = writeln!(
            out,
            "  exposure: undeclared callers in plaintext on {} port(s) with declared callers:",
            scope.undeclared_plaintext.len()
        );
        for x in &scope.undeclared_plaintext {
            let who = if detail.all && x.callers.len() == x.clients {
                let all: Vec<String> = x.callers.iter().map(ToString::to_string).collect();
                all.join(", ")
            } else {
                x.callers_text.clone()
            };
            let _ = writeln!(out, "    {}: plaintext from [{who}], not declared", x.service);
        }
    }
}

/// SARIF 2.1.0 for code scanning: one rule per catalogue entry, one result per diagnostic.
pub fn sarif(report: &crate::check::CheckReport) -> serde_json::Value {
    use serde_json::json;
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rules: Vec<serde_json::Value> = crate::diagnostic::Code::ALL
        .iter()
        .map(|c| {
            let e = c.entry();
            json!({"id": e.id, "name": e.slug, "shortDescription": {"text": e.slug},
                   "fullDescription": {"text": e.why}, "help": {"text": e.fix, "markdown": e.fix},
                   "defaultConfiguration": {"level": level(e.severity)}})
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut result = json!({"ruleId": d.code.id(), "level": level(d.severity),
                                    "message": {"text": match &d.help { Some(h) => format!("{} ({h})", d.message), None => d.message.clone() }}});
            if !d.location.source.is_empty()
                && let Some(map) = result.as_object_mut()
            {
                let mut physical = json!({"artifactLocation": {"uri": d.location.source}});
                if let (Some(line), Some(obj)) = (d.location.line, physical.as_object_mut()) {
                    obj.insert("region".to_owned(), json!({"startLine": line, "startColumn": d.location.column.unwrap_or(1)}));
                }
                map.insert("locations".to_owned(), json!([{"physicalLocation": physical}]));
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "meshlock", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results
        }]
    })
}

/// `meshlock ready`: readiness per service from observed traffic, then the disagreements.
pub fn ready(r: &crate::observe::Reconciliation) -> String {
    ready_with(r, Detail::DEFAULT)
}

/// `readiness`, totals first: service ports by readiness (blocked first, the actionable ones),
/// each kind listed up to `detail`'s limit, then the disagreements grouped by kind.
pub fn ready_with(r: &crate::observe::Reconciliation, detail: Detail) -> String {
    use crate::observe::Readiness;
    let mut out = String::new();
    let count = |kind: Readiness| r.services.iter().filter(|s| s.readiness == kind).count();
    let _ = writeln!(
        out,
        "{} service(s): {} blocked, {} ready, {} no-traffic; {} disagreement(s) with the model\n",
        r.services.len(),
        count(Readiness::Blocked),
        count(Readiness::Ready),
        count(Readiness::NoTraffic),
        r.disagreements.len()
    );
    let shown = detail.groups();
    for kind in [Readiness::Blocked, Readiness::Ready, Readiness::NoTraffic] {
        let services: Vec<_> = r.services.iter().filter(|s| s.readiness == kind).collect();
        for s in services.iter().take(shown) {
            let _ = writeln!(out, "{}", readiness_line(s));
        }
        if services.len() > shown {
            let _ = writeln!(
                out,
                "… {} more {} services (--all shows them)",
                services.len() - shown,
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            );
        }
    }
    if !r.disagreements.is_empty() {
        let _ = writeln!(out, "\ndisagreements between the model and the observed traffic:");
        let mut by_kind: BTreeMap<String, Vec<&crate::observe::Disagreement>> = BTreeMap::new();
        for d in &r.disagreements {
            let kind = serde_json::to_value(&d.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            by_kind.entry(kind).or_default().push(d);
        }
        for (kind, list) in &by_kind {
            if list.len() <= 2 || detail.all {
                for d in list {
                    let _ = writeln!(out, "  {kind}: {} → {}: {}", d.from, d.to, d.detail);
                }
                continue;
            }
            let from: BTreeSet<String> = list.iter().map(|d| d.from.clone()).collect();
            let to: BTreeSet<String> = list.iter().map(|d| d.to.clone()).collect();
            let _ = writeln!(
                out,
                "  {} × {kind}: from {} ({}) to {} ({})",
                list.len(),
                crate::migrate::group::names_text(&from),
                from.len(),
                crate::migrate::group::names_text(&to),
                to.len()
            );
            for d in list.iter().take(detail.limit) {
                let _ = writeln!(out, "    e.g. {} → {}: {}", d.from, d.to, d.detail);
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} model edge(s) were not observed (the model assumes every client may call every service)",
        r.unobserved_model_edges
    );
    out
}

/// One service port's readiness, as `meshlock ready` prints it.
fn readiness_line(s: &crate::observe::ServiceReadiness) -> String {
    use crate::observe::Readiness;
    let stage = s.stage.map(|st| format!(" (model: {st})")).unwrap_or_default();
    match s.readiness {
        Readiness::Ready => format!(
            "{}: ready: only mTLS observed ({} requests){stage}",
            s.service, s.mtls_requests
        ),
        Readiness::NoTraffic => format!(
            "{}: no-traffic: nothing observed, readiness cannot be proven{stage}",
            s.service
        ),
        Readiness::Blocked => {
            let who: Vec<String> = s
                .plaintext_senders
                .iter()
                .map(|x| {
                    let note = if x.client == "unknown" {
                        " (a caller outside the mesh: no sidecar to name it)"
                    } else if !x.in_model {
                        " (not in the input)"
                    } else {
                        ""
                    };
                    format!("{} ({} requests){note}", x.client, x.requests)
                })
                .collect();
            format!("{}: blocked: plaintext from {}{stage}", s.service, who.join(", "))
        }
    }
}

/// `matrix --by namespace`: the totals first, then one fixed-width line per namespace pair.
pub fn namespace_map(map: &crate::heatmap::NamespaceMap) -> String {
    let t = &map.totals;
    let mut out = format!(
        "{} clients × {} service ports in {} namespaces: {} edges: {} ok-mtls, {} ok-plaintext, {} denied, {} other-failure, {} mtls-broken\n",
        map.clients,
        map.service_ports,
        map.namespaces.len(),
        map.edges,
        t.ok_mtls,
        t.ok_plaintext,
        t.denied,
        t.other_failure,
        t.mtls_broken
    );
    let width = |f: fn(&crate::heatmap::NamespacePair) -> usize, head: &str| {
        map.pairs.iter().map(f).chain([head.chars().count()]).max().unwrap_or(0)
    };
    let from_w = width(|p| p.from.chars().count(), "clients in");
    let to_w = width(|p| p.to.chars().count(), "services in");
    let head: [&dyn std::fmt::Display; 9] = [
        &"clients in",
        &"services in",
        &"edges",
        &"ok-mtls",
        &"ok-plaintext",
        &"denied",
        &"other-failure",
        &"mtls-broken",
        &"worst",
    ];
    let mut line = |cells: [&dyn std::fmt::Display; 9]| {
        let [from, to, edges, mtls, plaintext, denied, other, broken, worst] = cells;
        let _ = writeln!(
            out,
            "{from:<from_w$}  {to:<to_w$}  {edges:>9}  {mtls:>9}  {plaintext:>12}  {denied:>9}  {other:>13}  {broken:>11}  {worst}"
        );
    };
    line(head);
    for p in &map.pairs {
        line(pair_cells(p));
    }
    out
}

/// `matrix --by namespace --format csv`: one row per namespace pair.
pub fn namespace_map_csv(map: &crate::heatmap::NamespaceMap) -> String {
    let mut out = String::from("from,to,edges,ok_mtls,ok_plaintext,denied,other_failure,mtls_broken,worst\n");
    for p in &map.pairs {
        let cells: Vec<String> = pair_cells(p).iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

/// A namespace pair's cells, in the column order of the table and the CSV.
fn pair_cells(p: &crate::heatmap::NamespacePair) -> [&dyn std::fmt::Display; 9] {
    let c = &p.counts;
    [
        &p.from,
        &p.to,
        &p.edges,
        &c.ok_mtls,
        &c.ok_plaintext,
        &c.denied,
        &c.other_failure,
        &c.mtls_broken,
        &p.worst,
    ]
}
