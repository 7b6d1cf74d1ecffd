//! `check`: the static checker to run in CI before a mesh change. Input and policy diagnostics
//! (from loading and `lint`), plus what needs the evaluated matrix: traffic that breaks, ports
//! ready to lock, authorization that depends on mTLS, and who may call what in plaintext.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::classes::{Cell, Census, ClassTable, ClientSet, Column};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::evidence::{EdgeEvidence, EdgeScope};
use crate::matrix::Edge;
use crate::mesh::{Mesh, origin_location};
use crate::migrate::group::{Deciders, EdgeGroup, Effect, Grouper};
use crate::migrate::stage::ClientLists;
use crate::model::{AuthzAction, MtlsMode, OriginAuthn, WorkloadId, selector_matches};
use crate::outcome::{Reason, Response, Status, Transport, Verdict};
use crate::resolve::{authz, client, server};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MatrixSummary {
    pub edges: usize,
    pub ok: usize,
    pub failing: usize,
    pub mtls: usize,
    pub plaintext: usize,
    /// Edges per status as curl prints it (`200`, `503`, `000`, `403`).
    pub by_status: BTreeMap<String, usize>,
    /// Failing edges that the cluster's own authorization denies (intended, not a problem).
    pub denied: usize,
    /// Failing edges that mTLS settings break.
    pub mtls_broken: usize,
}

/// Per service port: who may call it in plaintext, and the authorization that depends on mTLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Exposure {
    pub service: String,
    pub mode: Option<MtlsMode>,
    /// How many clients call it in plaintext and get through.
    pub plaintext_clients: usize,
    /// Those clients, when the report lists edges (`Mesh::check`, JSON, `--all`); else empty.
    pub plaintext_callers: Vec<WorkloadId>,
    /// The first ten of them, `and N more`.
    pub plaintext_callers_text: String,
    /// `Kind ns/name` of the AuthorizationPolicies that apply to the endpoints; empty: none.
    pub authorization: Vec<String>,
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckReport {
    pub diagnostics: Vec<Diagnostic>,
    pub summary: MatrixSummary,
    pub failing: Vec<Edge>,
    /// `failing` grouped by effect, status, reason and deciding resource; the counts add up to
    /// `summary.failing`.
    pub groups: Vec<EdgeGroup>,
    pub exposure: Vec<Exposure>,
    /// Evidence and edge scope (`evidence`): present when intents, observations or a scope other
    /// than `all` were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<crate::evidence::ScopeReport>,
}

impl CheckReport {
    /// The report of an input that does not load: its diagnostics and nothing else.
    pub fn from_diagnostics(diagnostics: Vec<Diagnostic>) -> Self {
        let summary = MatrixSummary {
            edges: 0,
            ok: 0,
            failing: 0,
            mtls: 0,
            plaintext: 0,
            by_status: BTreeMap::new(),
            denied: 0,
            mtls_broken: 0,
        };
        Self {
            diagnostics,
            summary,
            failing: Vec::new(),
            groups: Vec::new(),
            exposure: Vec::new(),
            scope: None,
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }
}

impl Mesh {
    pub fn check(&self) -> CheckReport {
        self.check_with(true)
    }

    /// `check`; `list_edges`: also list every failing edge (`failing`) and every plaintext caller
    /// (`Exposure::plaintext_callers`), which JSON and `--all` show. Without it the report holds
    /// groups and counts only: its memory does not grow with the number of edges.
    pub fn check_with(&self, list_edges: bool) -> CheckReport {
        self.check_in_scope(list_edges, &EdgeEvidence::of_mesh(self), &EdgeScope::All)
    }

    /// `check_with` weighing evidence: the declared edges of the mesh's intents (and any others
    /// in `evidence`), observed traffic, and the edges `scope` keeps (`CheckReport::scope`).
    /// Lists are built only when they fit `limits.max_listed_edges`; past it an `ML106` error says
    /// so and the report keeps its counts and groups.
    pub fn check_in_scope(&self, list_edges: bool, evidence: &EdgeEvidence, scope: &EdgeScope) -> CheckReport {
        let table = ClassTable::new(self);
        let mut over_limit = Vec::new();
        let list_edges = list_edges && listing_fits(self, &table, &mut over_limit);
        let mut report = self.check_table(&table, list_edges);
        report.diagnostics.extend(over_limit);
        if !evidence.is_empty() || !scope.is_all() || !self.intents().is_empty() {
            let scoped =
                crate::evidence::scope_report(self, &table, evidence, scope, list_edges, &mut report.diagnostics);
            report.scope = Some(scoped);
        }
        report
    }

    fn check_table(&self, table: &ClassTable, list_edges: bool) -> CheckReport {
        let mut diagnostics = self.diagnostics().to_vec();
        selectors(self, &mut diagnostics);
        rules(self, &mut diagnostics);
        traffic(self, table, &mut diagnostics);
        authentication(self, &mut diagnostics);
        // Check reads the stages' counts only (it reports no stage lists).
        let stages = self.stages_with(table, ClientLists::CountOnly);
        migration(self, &stages, &mut diagnostics);
        let exposure = exposure(self, &stages, table, list_edges, &mut diagnostics);
        let mut by_status: BTreeMap<Status, usize> = BTreeMap::new();
        let (mut edges, mut ok, mut mtls, mut plaintext) = (0, 0, 0, 0);
        let mut groups = Grouper::of_table(self, table);
        let mut deciders = Deciders::new(self);
        // Column by column, response by response: the clients of one column with one response
        // share their group, so the group's key and deciding resource are found once per
        // (column, response), and counts come from the census's groups, not from every edge.
        for column in &table.columns {
            let census = table.census(self, column);
            for (at, (r, &n)) in column.responses.iter().zip(&census.counts).enumerate() {
                if n == 0 {
                    continue;
                }
                edges += n;
                *by_status.entry(r.status).or_insert(0) += n;
                if r.reason.verdict() == Verdict::Ok {
                    ok += n;
                    match r.transport {
                        Some(Transport::Mtls) => mtls += n,
                        Some(Transport::Plaintext) => plaintext += n,
                        None => {}
                    }
                    continue;
                }
                let Some(cell) = first_cell(self, table, &census, column, at) else {
                    continue;
                };
                let key = (
                    Effect::of_failure(r.reason),
                    r.status.to_string(),
                    r.reason,
                    deciders.of(&cell),
                );
                groups.add_census(key, &census, at, &column.to);
            }
        }
        let failing = if list_edges {
            table
                .cells(self)
                .filter(|c| c.response.reason.verdict() == Verdict::Fail)
                .map(Edge::from)
                .collect()
        } else {
            Vec::new()
        };
        let groups = groups.finish();
        let count = |effect: Effect| groups.iter().filter(|g| g.effect == effect).map(|g| g.edges).sum();
        let summary = MatrixSummary {
            edges,
            ok,
            failing: edges - ok,
            mtls,
            plaintext,
            by_status: by_status.into_iter().map(|(s, n)| (s.to_string(), n)).collect(),
            denied: count(Effect::Denied),
            mtls_broken: count(Effect::MtlsBroken),
        };
        CheckReport {
            diagnostics,
            summary,
            failing,
            groups,
            exposure,
            scope: None,
        }
    }
}

/// Whether the edges `check` lists (failing edges, plaintext callers) fit the mesh's
/// `max_listed_edges`; if not, the `ML106` error that names the limit and how to do without it.
/// Counted from the censuses, before anything is listed.
fn listing_fits(mesh: &Mesh, table: &ClassTable, out: &mut Vec<Diagnostic>) -> bool {
    let limit = mesh.limits().max_listed_edges;
    let listed: u64 = table
        .columns
        .iter()
        .map(|column| {
            let census = table.census(mesh, column);
            column
                .responses
                .iter()
                .zip(&census.counts)
                .filter(|(r, _)| r.reason.verdict() == Verdict::Fail || r.transport == Some(Transport::Plaintext))
                .map(|(_, &n)| n as u64)
                .sum::<u64>()
        })
        .sum();
    if listed <= limit {
        return true;
    }
    out.push(crate::ingest::listed_edges_exceeded("check", listed, limit));
    false
}

/// The first cell of `column` that gets response `at` (a representative, for its deciding resource).
fn first_cell<'a>(
    mesh: &'a Mesh,
    table: &'a ClassTable,
    census: &Census,
    column: &'a Column,
    at: usize,
) -> Option<Cell<'a>> {
    let &w = census.first_clients(table, at, 1).first()?;
    table.cell(w as usize, mesh.workloads.get(w as usize)?, column)
}

/// Names shown in a finding before "and N more".
const NAMED: usize = 10;

/// The document of the Service behind `fqdn:port`.
fn service_origin<'a>(mesh: &'a Mesh, service_port: &str) -> Option<&'a crate::model::Origin> {
    let (fqdn, _) = service_port.rsplit_once(':')?;
    let index = mesh.service_index(&crate::model::Fqdn(fqdn.to_owned()))?;
    mesh.services.get(index).map(|s| &s.origin)
}

fn names(ids: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = ids.iter().take(NAMED).map(String::as_str).collect();
    with_more(shown, ids.len())
}

/// `names` of clients given in id order, ordered as their names are: ids order by namespace, then
/// name; names by `namespace/`, then name, which differs only between namespaces (`a-b/x` comes
/// before `a/x`). So the namespaces' runs are reordered, not the clients.
fn client_names(clients: &[&WorkloadId]) -> String {
    let runs = clients.chunk_by(|a, b| a.namespace == b.namespace);
    let mut runs: Vec<&[&WorkloadId]> = runs.collect();
    fn text<'a>(run: &[&'a WorkloadId]) -> impl Iterator<Item = u8> + 'a {
        let namespace = run.first().map_or("", |id| id.namespace.as_str());
        namespace.bytes().chain(std::iter::once(b'/'))
    }
    runs.sort_by(|a, b| text(a).cmp(text(b)));
    let shown: Vec<String> = runs
        .iter()
        .flat_map(|r| r.iter())
        .take(NAMED)
        .map(ToString::to_string)
        .collect();
    with_more(shown.iter().map(String::as_str).collect(), clients.len())
}

/// `a, b, c` or `a, …, j and 5 more`.
fn with_more(shown: Vec<&str>, total: usize) -> String {
    let more = if total > NAMED {
        format!(" and {} more", total - NAMED)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

/// The first `NAMED` clients of a response set and how many there are: what a finding names.
struct Named {
    first: Vec<String>,
    total: usize,
}

impl Named {
    /// The clients of `column` that get a response `wanted` says yes to.
    fn of(
        mesh: &Mesh,
        table: &ClassTable,
        census: &Census,
        column: &Column,
        wanted: impl Fn(&Response) -> bool,
    ) -> Self {
        let mut first: Vec<u32> = Vec::new();
        for (at, _) in column.responses.iter().enumerate().filter(|(_, r)| wanted(r)) {
            first.extend(census.first_clients(table, at, NAMED));
        }
        first.sort_unstable();
        first.truncate(NAMED);
        Self {
            first: first
                .iter()
                .filter_map(|&w| mesh.workloads.get(w as usize))
                .map(|w| w.id.to_string())
                .collect(),
            total: census.count(column, wanted),
        }
    }

    fn text(&self) -> String {
        with_more(self.first.iter().map(String::as_str).collect(), self.total)
    }
}

/// ML207: selectors that pick no workload.
fn selectors(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let matches_any = |ns: &str, selector: &crate::model::Labels, any_namespace: bool| {
        mesh.workloads
            .iter()
            .any(|w| (any_namespace || w.id.namespace == ns) && selector_matches(selector, &w.labels))
    };
    let root = mesh.settings.root_namespace.as_str();
    let metas = mesh
        .peer_authentications
        .iter()
        .filter(|p| p.meta.namespace != root)
        .filter_map(|p| p.selector.as_ref().map(|s| (&p.meta, s, false)))
        .chain(
            mesh.authorization_policies
                .iter()
                .filter_map(|a| a.selector.as_ref().map(|s| (&a.meta, s, a.meta.namespace == root))),
        )
        .chain(
            mesh.destination_rules
                .iter()
                .filter_map(|d| d.workload_selector.as_ref().map(|s| (&d.meta, s, false))),
        );
    for (meta, selector, any_namespace) in metas {
        if !matches_any(&meta.namespace, selector, any_namespace) {
            let labels: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push(
                Diagnostic::warning(
                    Code::SelectorMatchesNothing,
                    format!(
                        "`{}` selects {} but no workload in `{}` has those labels",
                        meta.display_ref(),
                        labels.join(","),
                        meta.namespace
                    ),
                )
                .with_help("compare with `kubectl get pods --show-labels`")
                .at(origin_location(Some(&meta.origin))),
            );
        }
    }
}

/// Who shadows a rule (winners), for which client namespaces, and where the rule is.
type Shadowing = (BTreeSet<String>, BTreeSet<String>, Option<crate::model::Origin>);

/// ML208 shadowed rules, ML209 rules without tls, ML210 rules hidden by exportTo.
fn rules(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let mut shadowed: BTreeMap<String, Shadowing> = BTreeMap::new();
    let mut decided_without_tls: BTreeMap<String, (BTreeSet<String>, Option<crate::model::Origin>)> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let with_selectors: BTreeSet<&str> = mesh
        .destination_rules
        .iter()
        .filter(|d| d.workload_selector.is_some())
        .map(|d| d.meta.namespace.as_str())
        .collect();
    // Clients alike in namespace and labels see the same rules: one representative each.
    let representatives: Vec<&crate::model::Workload> = mesh
        .workloads
        .iter()
        .filter(|w| w.sidecar.present)
        .filter(|client| {
            let labels = if with_selectors.contains(client.id.namespace.as_str()) {
                client.labels.clone()
            } else {
                Default::default()
            };
            seen.insert((client.id.namespace.clone(), labels))
        })
        .collect();
    let mut by_namespace: BTreeMap<&str, Vec<&crate::model::Workload>> = BTreeMap::new();
    for client in representatives {
        by_namespace
            .entry(client.id.namespace.as_str())
            .or_default()
            .push(client);
    }
    let root = mesh.settings.root_namespace.as_str();
    for service in mesh.services.iter() {
        let matching: Vec<_> = mesh
            .destination_rules_for(&service.fqdn)
            .filter(|d| client::rule_match(d, service).is_some())
            .collect();
        if matching.is_empty() {
            continue;
        }
        // Only these namespaces can see other rules than the rest (as in `classes`): the rest
        // share one lookup.
        let mut special: Vec<&str> = vec![service.namespace.as_str(), root];
        for dr in &matching {
            special.push(dr.meta.namespace.as_str());
            special.extend(dr.export_to.iter().map(String::as_str));
        }
        let mut record = |choice: &client::RuleChoice, namespace: &str| {
            let Some(winner) = choice.rules.first() else { return };
            for loser in &choice.shadowed {
                let entry = shadowed
                    .entry(loser.meta.display_ref())
                    .or_insert_with(|| (BTreeSet::new(), BTreeSet::new(), Some(loser.meta.origin.clone())));
                entry.0.insert(winner.meta.display_ref());
                entry.1.insert(namespace.to_owned());
            }
            if let Some(rule) = choice.rules.iter().find(|r| r.has_traffic_policy)
                && rule.tls.is_none()
                && rule.port_level.iter().all(|p| p.tls.is_none())
            {
                let entry = decided_without_tls
                    .entry(rule.meta.display_ref())
                    .or_insert_with(|| (BTreeSet::new(), Some(rule.meta.origin.clone())));
                entry.0.insert(service.fqdn.to_string());
            }
        };
        special.sort_unstable();
        special.dedup();
        for client in special.iter().filter_map(|ns| by_namespace.get(ns)).flatten() {
            if let Some(choice) = client::destination_rules(mesh, client, service) {
                record(&choice, &client.id.namespace);
            }
        }
        // The other namespaces share one lookup; only a shadowed rule names each of them.
        let mut others = by_namespace.iter().filter(|(ns, _)| !special.contains(ns));
        let folded = others
            .next()
            .and_then(|(ns, clients)| Some((ns, client::destination_rules(mesh, clients.first()?, service)?)));
        if let Some((first, choice)) = folded {
            record(&choice, first);
            if !choice.shadowed.is_empty() {
                for (namespace, _) in others {
                    record(&choice, namespace);
                }
            }
        }
    }
    for (loser, (winners, namespaces, origin)) in shadowed {
        out.push(
            Diagnostic::warning(
                Code::DestinationRuleShadowed,
                format!("`{loser}` is shadowed for clients in {} by {}", names(&namespaces), names(&winners)),
            )
            .with_help("the lookup stops at the first namespace with any matching host: client namespace, service namespace, root namespace")
            .at(origin_location(origin.as_ref())),
        );
    }
    let effect = if mesh.settings.auto_mtls {
        "auto mTLS decides instead"
    } else {
        "clients send plaintext"
    };
    for (rule, (hosts, origin)) in decided_without_tls {
        out.push(
            Diagnostic::warning(
                Code::RuleWithoutTls,
                format!(
                    "`{rule}` has a trafficPolicy without tls for {}: {effect}",
                    names(&hosts)
                ),
            )
            .with_help("add `tls: {mode: ISTIO_MUTUAL}` to its trafficPolicy")
            .at(origin_location(origin.as_ref())),
        );
    }
    let client_namespaces: BTreeSet<&str> = mesh
        .workloads
        .iter()
        .filter(|w| w.sidecar.present)
        .map(|w| w.id.namespace.as_str())
        .collect();
    for dr in mesh
        .destination_rules
        .iter()
        .filter(|d| !d.export_to.is_empty() && !d.export_to.iter().any(|e| e == "*"))
    {
        let hidden: BTreeSet<String> = client_namespaces
            .iter()
            .filter(|ns| {
                let own = dr.meta.namespace == **ns;
                let exported = if mesh.settings.istio_version.export_to_namespaces() {
                    dr.export_to.iter().any(|e| e == *ns || (e == "." && own))
                } else {
                    own || dr.export_to.first().is_none_or(|e| e != ".")
                };
                !exported
            })
            .map(|ns| (*ns).to_owned())
            .collect();
        if !hidden.is_empty() {
            out.push(
                Diagnostic::warning(Code::RuleNotExported, format!("`{}` is not exported to clients in {}", dr.meta.display_ref(), names(&hidden)))
                    .with_help("those clients fall back to another rule or to auto mTLS; export it with `exportTo: [\"*\"]` if that is not intended")
                    .at(origin_location(Some(&dr.meta.origin))),
            );
        }
    }
}

/// ML302–ML306 from the evaluated edges and the configuration. A finding about failing edges names
/// the resource that decides them (the server's policy for a refusal, the client's DestinationRule
/// for what it sends) and points at that resource's document, so SARIF marks the line to change.
fn traffic(mesh: &Mesh, table: &ClassTable, out: &mut Vec<Diagnostic>) {
    let mut by: BTreeMap<(Reason, String, Option<String>), ClientSet> = BTreeMap::new();
    let mut deciders = Deciders::new(mesh);
    for column in &table.columns {
        let reported = |r: &Response| {
            matches!(
                r.reason,
                Reason::PlaintextToStrict | Reason::MtlsToNoSidecar | Reason::TlsOriginationRejected
            )
        };
        if !column.responses.iter().any(reported) {
            continue;
        }
        let census = table.census(mesh, column);
        for (at, r) in column.responses.iter().enumerate().filter(|(_, r)| reported(r)) {
            let Some(cell) = first_cell(mesh, table, &census, column, at) else {
                continue;
            };
            by.entry((r.reason, column.to.clone(), deciders.of(&cell)))
                .or_default()
                .add(&census, at);
        }
    }
    for ((reason, to, decider), set) in by {
        let clients: Vec<&WorkloadId> = set
            .clients(table)
            .iter()
            .filter_map(|&w| mesh.workloads.get(w as usize))
            .map(|w| &w.id)
            .collect();
        let by_whom = decider
            .as_ref()
            .map(|d| format!(" (decided by `{d}`)"))
            .unwrap_or_default();
        let (code, what) = match reason {
            Reason::PlaintextToStrict => (
                Code::StrictPlaintextCallers,
                format!(
                    "`{to}` is STRICT and refuses plaintext from {}{by_whom}",
                    client_names(&clients)
                ),
            ),
            Reason::MtlsToNoSidecar => (
                Code::MtlsToNoSidecar,
                format!(
                    "{} send ISTIO_MUTUAL to `{to}`, which has no sidecar: 503{by_whom}",
                    client_names(&clients)
                ),
            ),
            Reason::TlsOriginationRejected => (
                Code::UserTlsToSidecar,
                format!(
                    "{} originate SIMPLE/MUTUAL TLS to `{to}`, which does not terminate it: 503{by_whom}",
                    client_names(&clients)
                ),
            ),
            _ => continue,
        };
        let origin = decider.as_deref().and_then(|d| mesh.origin_of_resource(d));
        out.push(
            Diagnostic::error(code, what)
                .with_help("`meshlock explain --from CLIENT --to HOST:PORT` shows the decision chain")
                .at(origin_location(origin)),
        );
    }
    if mesh.settings.auto_mtls && mesh.settings.istio_version.has_peer_authentication() {
        for pa in mesh
            .peer_authentications
            .iter()
            .filter(|p| !p.is_namespace_wide() && p.mode == MtlsMode::Strict)
        {
            if let Some((MtlsMode::Disable, by)) = server::namespace_mode(mesh, &pa.meta.namespace) {
                out.push(
                    Diagnostic::error(
                        Code::NamespaceDisableWorkloadStrict,
                        format!("`{}` is STRICT but `{}` makes the namespace DISABLE: auto mTLS clients send plaintext and get 503", pa.meta.display_ref(), by.meta.display_ref()),
                    )
                    .with_help("make the namespace PERMISSIVE, or add an ISTIO_MUTUAL DestinationRule for the workload's host")
                    .at(origin_location(Some(&pa.meta.origin))),
                );
            }
        }
    }
    for service in mesh.services.iter().filter(|s| s.headless) {
        let endpoints = mesh.endpoints_of(service);
        let with = endpoints.iter().filter(|w| w.sidecar.present).count();
        if with > 0 && with < endpoints.len() {
            out.push(
                Diagnostic::warning(
                    Code::HeadlessMixedEndpoints,
                    format!("headless `{}`: {with} of {} endpoints have a sidecar; auto mTLS sends plaintext to all of them", service.fqdn, endpoints.len()),
                )
                .with_help("inject every endpoint, or keep them PERMISSIVE")
                .at(origin_location(Some(&service.origin))),
            );
        }
    }
}

/// ML506: authentication by end-user JWT, which meshlock does not evaluate, is reported, never
/// dropped: the diagnostic names the service ports whose outcomes assume a valid token.
fn authentication(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    if mesh.settings.istio_version.has_v1alpha1_authn() {
        // Istio 1.0–1.4 apply one Policy per service port, `peers` and `origins` together: the
        // Policy that decides the port's mTLS decides its origin authentication too. The check runs
        // in the server's sidecar, so ports without one are not affected.
        let mut by_policy: BTreeMap<String, (OriginAuthn, BTreeSet<String>, crate::model::Origin)> = BTreeMap::new();
        for service in mesh.services.iter() {
            if !mesh.endpoints_of(service).iter().any(|w| w.sidecar.present) {
                continue;
            }
            for port in &service.ports {
                let (Some(policy), _) = server::v1alpha1_policy(mesh, service, port) else {
                    continue;
                };
                if policy.origin == OriginAuthn::None {
                    continue;
                }
                by_policy
                    .entry(policy.meta.display_ref())
                    .or_insert_with(|| (policy.origin, BTreeSet::new(), policy.meta.origin.clone()))
                    .1
                    .insert(format!("{}:{}", service.fqdn, port.port));
            }
        }
        for (policy, (origin, ports, at)) in by_policy {
            let text = match origin {
                OriginAuthn::BoundToMissingOrigin => format!(
                    "`{policy}` binds the principal to the origin (`principalBinding: USE_ORIGIN`) but lists no `origins`: Istio answers 401 to every request on {}; meshlock's outcomes there assume authentication passes",
                    names(&ports)
                ),
                _ => format!(
                    "`{policy}` requires an end-user JWT (`origins`) on {}: a request without a valid token gets 401; meshlock's outcomes there assume a valid token",
                    names(&ports)
                ),
            };
            out.push(
                Diagnostic::warning(Code::JwtNotEvaluated, text)
                    .with_help("meshlock does not evaluate JWTs; check those ports with a real token, or set `originIsOptional: true`")
                    .at(at.location()),
            );
        }
    }
    // `requestPrincipals` come only from tokens a RequestAuthentication validated: without one
    // they never match, as meshlock assumes; with one, the answer depends on the token.
    for policy in &mesh.authorization_policies {
        let on_token = policy.rules.iter().any(|r| {
            r.unsupported
                .iter()
                .any(|u| u.contains("requestPrincipals") || u.contains("request.auth."))
        });
        if !on_token {
            continue;
        }
        let mut ports = BTreeSet::new();
        let mut validators = BTreeSet::new();
        for (service, endpoints) in mesh.services.iter().zip(mesh.endpoints.iter()) {
            for workload in endpoints
                .iter()
                .filter_map(|i| mesh.workloads.get(*i))
                .filter(|w| w.sidecar.present && authz::applies(mesh, policy, w))
            {
                let validating: Vec<String> = mesh
                    .request_authentications
                    .iter()
                    .filter(|ra| request_authentication_applies(mesh, ra, workload))
                    .map(|ra| ra.meta.display_ref())
                    .collect();
                if validating.is_empty() {
                    continue;
                }
                validators.extend(validating);
                ports.extend(service.ports.iter().map(|p| format!("{}:{}", service.fqdn, p.port)));
            }
        }
        if ports.is_empty() {
            continue;
        }
        out.push(
            Diagnostic::warning(
                Code::JwtNotEvaluated,
                format!(
                    "`{}` matches request principals, which {} sets from a valid JWT: meshlock treats the rule as never matching, so its outcomes on {} assume the request's token does not satisfy it",
                    policy.meta.display_ref(),
                    names(&validators),
                    names(&ports)
                ),
            )
            .with_help("meshlock does not evaluate JWTs; check those ports with and without a real token")
            .at(origin_location(Some(&policy.meta.origin))),
        );
    }
}

/// Which workloads a RequestAuthentication reaches: like an AuthorizationPolicy, its own namespace
/// or, from the root namespace, every namespace; a selector narrows it to matching labels.
fn request_authentication_applies(
    mesh: &Mesh,
    ra: &crate::model::RequestAuthentication,
    workload: &crate::model::Workload,
) -> bool {
    let scope = ra.meta.namespace == mesh.settings.root_namespace || ra.meta.namespace == workload.id.namespace;
    scope
        && ra
            .selector
            .as_ref()
            .is_none_or(|s| selector_matches(s, &workload.labels))
}

/// ML401: ports that can be locked now; each points at its Service.
fn migration(mesh: &Mesh, stages: &crate::migrate::Stages, out: &mut Vec<Diagnostic>) {
    for s in stages.services.iter().filter(|s| s.ready_to_lock()) {
        out.push(
            Diagnostic::info(
                Code::ReadyToLock,
                format!(
                    "`{}` is ready: every caller sends mTLS, it can be locked to STRICT",
                    s.service
                ),
            )
            .with_help("`meshlock plan` emits the lock-down step and its rollback")
            .at(origin_location(service_origin(mesh, &s.service))),
        );
    }
}

/// The exposure report, and ML503–ML505.
fn exposure(
    mesh: &Mesh,
    stages: &crate::migrate::Stages,
    table: &ClassTable,
    list_callers: bool,
    out: &mut Vec<Diagnostic>,
) -> Vec<Exposure> {
    let modes: HashMap<&str, Option<MtlsMode>> = stages.services.iter().map(|s| (s.service.as_str(), s.mode)).collect();
    let mut columns = table.columns.iter().peekable();
    let mut report = Vec::new();
    for (si, (service, endpoints)) in mesh.services.iter().zip(mesh.endpoints.iter()).enumerate() {
        let sidecar_endpoints: Vec<_> = endpoints
            .iter()
            .filter_map(|&i| mesh.workloads.get(i))
            .filter(|w| w.sidecar.present)
            .collect();
        if sidecar_endpoints.is_empty() {
            continue;
        }
        // A Service's endpoints are in its namespace.
        let applying: Vec<_> = mesh
            .authorization_in(&service.namespace)
            .filter(|p| sidecar_endpoints.iter().any(|w| authz::applies(mesh, p, w)))
            .collect();
        let mut policies: BTreeSet<String> = applying.iter().map(|p| p.meta.display_ref()).collect();
        if let Some(config) = mesh.rbac.enforced(&service.namespace, &service.fqdn.0) {
            policies.insert(config.meta.display_ref());
        }
        // The columns of this service, in port order (columns follow services and their ports).
        while columns.peek().is_some_and(|c| c.service < si) {
            columns.next();
        }
        while let Some(column) = columns.next_if(|c| c.service == si) {
            let id = &column.to;
            let census = table.census(mesh, column);
            let plaintext_ok =
                |r: &Response| r.transport == Some(Transport::Plaintext) && r.reason.verdict() == Verdict::Ok;
            let denied = |r: &Response| r.reason == Reason::RbacDenied && r.transport == Some(Transport::Plaintext);
            let plaintext = Named::of(mesh, table, &census, column, plaintext_ok);
            let denied_plaintext = Named::of(mesh, table, &census, column, denied);
            let mut callers: Vec<u32> = Vec::new();
            if list_callers {
                for (at, _) in column.responses.iter().enumerate().filter(|(_, r)| plaintext_ok(r)) {
                    callers.extend(census.all_clients(table, at));
                }
                callers.sort_unstable();
            }
            let callers: Vec<WorkloadId> = callers
                .iter()
                .filter_map(|&w| mesh.workloads.get(w as usize))
                .map(|w| w.id.clone())
                .collect();
            let mut findings = Vec::new();
            if denied_plaintext.total > 0 {
                for p in applying
                    .iter()
                    .filter(|p| p.action == AuthzAction::Allow && authz::uses_peer_identity(p))
                {
                    let text = format!(
                        "`{}` allows by principal or namespace: plaintext from {} gets 403",
                        p.meta.display_ref(),
                        denied_plaintext.text()
                    );
                    out.push(
                        Diagnostic::warning(Code::AllowNeedsMtls, text.clone())
                            .at(origin_location(Some(&p.meta.origin))),
                    );
                    findings.push(text);
                }
            }
            if plaintext.total > 0 {
                let who = &plaintext;
                for p in applying
                    .iter()
                    .filter(|p| p.action == AuthzAction::Deny && authz::uses_peer_identity(p))
                {
                    let text = format!(
                        "`{}` denies by principal or namespace, which plaintext never matches: {} reach `{id}` in plaintext past it",
                        p.meta.display_ref(),
                        who.text()
                    );
                    out.push(
                        Diagnostic::error(Code::DenyBypassedByPlaintext, text.clone())
                            .with_help(
                                "ISTIO-SECURITY-2021-004: lock the port to STRICT, or DENY `notPrincipals: [\"*\"]`",
                            )
                            .at(origin_location(Some(&p.meta.origin))),
                    );
                    findings.push(text);
                }
                if policies.is_empty() {
                    let text = format!("`{id}` accepts plaintext from {} with no authorization", who.text());
                    out.push(
                        Diagnostic::info(Code::PlaintextWithoutAuthorization, text.clone())
                            .with_help(
                                "in PERMISSIVE mode plaintext carries no identity; lock down once callers use mTLS, or restrict it with an AuthorizationPolicy",
                            )
                            .at(origin_location(Some(&service.origin))),
                    );
                    findings.push(text);
                }
            }
            report.push(Exposure {
                service: id.clone(),
                mode: modes.get(id.as_str()).copied().flatten(),
                plaintext_clients: plaintext.total,
                plaintext_callers: callers,
                plaintext_callers_text: plaintext.text(),
                authorization: policies.iter().cloned().collect(),
                findings,
            });
        }
    }
    report
}
