//! Declared traffic resolved on the model: each `TrafficIntent` entry to the workloads and
//! service ports it names. An entry that names nothing is reported (ML311), never dropped.

use crate::diagnostic::{Code, Diagnostic};
use crate::mesh::Mesh;
use crate::model::{IntentPeer, IntentTarget, selector_matches};

/// One declared edge, as indices into the mesh: a client workload, a service and one of its
/// ports, and the intent (in `Mesh::intents`) that declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeclaredEdge {
    pub client: usize,
    pub service: usize,
    pub port: usize,
    pub intent: usize,
}

/// `foo/sleep`, `bar/*`, `foo/{app=sleep}`: a `from` entry as the messages name it.
pub fn peer_text(peer: &IntentPeer) -> String {
    let who = match (&peer.workload, &peer.labels) {
        (Some(w), _) => w.clone(),
        (None, Some(labels)) => {
            let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{{{}}}", l.join(","))
        }
        (None, None) => "*".to_owned(),
    };
    format!("{}/{who}", peer.namespace)
}

impl Mesh {
    /// Every declared edge, sorted and each once (the first intent that declares it), and the
    /// entries that name no workload, service or port (ML311).
    pub fn declared_edges(&self) -> (Vec<DeclaredEdge>, Vec<Diagnostic>) {
        let mut edges = Vec::new();
        let mut problems = Vec::new();
        for (i, intent) in self.intents.iter().enumerate() {
            let clients: Vec<Vec<usize>> = intent.from.iter().map(|p| self.intent_clients(p)).collect();
            for (peer, found) in intent.from.iter().zip(&clients) {
                if found.is_empty() {
                    let what = if peer.external {
                        "no caller outside the mesh"
                    } else {
                        "no workload"
                    };
                    problems.push(
                        Diagnostic::warning(
                            Code::IntentMatchesNothing,
                            format!("`{}` in `{}` matches {what}", peer_text(peer), intent.display),
                        )
                        .with_help(if peer.external {
                            "declare the caller with an `ExternalCaller` (or `--caller NS/NAME=HOST:PORT`)".to_owned()
                        } else {
                            self.similar_workloads(&peer.namespace)
                        })
                        .at(peer.location.clone()),
                    );
                }
            }
            let mut ports = Vec::new();
            for target in &intent.to {
                match self.intent_ports(target, &intent.namespace) {
                    Ok(found) => ports.extend(found),
                    Err(why) => problems.push(
                        Diagnostic::warning(
                            Code::IntentMatchesNothing,
                            format!("`{}` in `{}` {why}", target.host, intent.display),
                        )
                        .with_help("the host is resolved from the intent's namespace as a probe's is: `httpbin`, `httpbin.foo`, `httpbin.foo.svc.cluster.local`")
                        .at(target.location.clone()),
                    ),
                }
            }
            for &client in clients.iter().flatten() {
                for &(service, port) in &ports {
                    edges.push(DeclaredEdge {
                        client,
                        service,
                        port,
                        intent: i,
                    });
                }
            }
        }
        edges.sort_by_key(|e| (e.client, e.service, e.port, e.intent));
        edges.dedup_by_key(|e| (e.client, e.service, e.port));
        (edges, problems)
    }

    /// The workloads a `from` entry names.
    fn intent_clients(&self, peer: &IntentPeer) -> Vec<usize> {
        self.workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| {
                w.id.namespace == peer.namespace
                    && peer.workload.as_ref().is_none_or(|name| *name == w.id.name)
                    && peer.labels.as_ref().is_none_or(|l| selector_matches(l, &w.labels))
                    && (!peer.external || w.calls.is_some())
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The (service, port) indices a `to` entry names, or why it names none.
    fn intent_ports(&self, target: &IntentTarget, namespace: &str) -> Result<Vec<(usize, usize)>, String> {
        let service = crate::hosts::resolve_probe_host(&target.host, namespace)
            .and_then(|fqdn| self.service_index(&fqdn))
            .and_then(|si| Some((si, self.services.get(si)?)));
        let Some((si, service)) = service else {
            return Err("is no Service of the input".to_owned());
        };
        if target.ports.is_empty() {
            return Ok((0..service.ports.len()).map(|pi| (si, pi)).collect());
        }
        let mut out = Vec::new();
        for port in &target.ports {
            match service.ports.iter().position(|p| p.port == *port) {
                Some(pi) => out.push((si, pi)),
                None => {
                    let known: Vec<String> = service.ports.iter().map(|p| p.port.to_string()).collect();
                    return Err(format!(
                        "has no port {port} (`{}` exposes {})",
                        service.fqdn,
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(out)
    }

    fn similar_workloads(&self, namespace: &str) -> String {
        let names: Vec<String> = self
            .workloads
            .iter()
            .filter(|w| w.id.namespace == namespace)
            .take(8)
            .map(|w| w.id.to_string())
            .collect();
        if names.is_empty() {
            format!("no workload of the input is in namespace `{namespace}`")
        } else {
            format!("workloads in `{namespace}`: {}", names.join(", "))
        }
    }
}
