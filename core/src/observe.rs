//! Observed traffic reconciled with the model before locking down: per service, ready or blocked
//! by plaintext senders (series the destination reported with `connection_security_policy` other
//! than `mutual_tls`), and where the model and the traffic disagree.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use crate::mesh::Mesh;
use crate::migrate::Stage;
use crate::outcome::{Transport, Verdict};
use crate::telemetry::{Observations, Security, client_of};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Readiness {
    /// Only mTLS observed from known clients: STRICT breaks nothing that was seen.
    Ready,
    /// Plaintext observed: its senders would break.
    Blocked,
    /// Nothing observed in the window: readiness cannot be proven.
    NoTraffic,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Sender {
    /// `ns/workload`, or `unknown` (a caller outside the mesh: Telemetry v2 cannot name it).
    pub client: String,
    pub requests: f64,
    pub in_model: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceReadiness {
    pub service: String,
    pub readiness: Readiness,
    pub stage: Option<Stage>,
    pub mtls_requests: f64,
    pub plaintext_requests: f64,
    pub plaintext_senders: Vec<Sender>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObservedEdge {
    pub from: String,
    pub to: String,
    pub mtls: f64,
    pub plaintext: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DisagreementKind {
    /// Observed plaintext where the model predicts mTLS (a DestinationRule the input lacks?).
    PlaintextWhereModelSaysMtls,
    /// Observed mTLS where the model predicts plaintext.
    MtlsWhereModelSaysPlaintext,
    /// Traffic from a caller the model does not know: declare it as an external caller.
    UnknownCaller,
    /// Observed traffic to a service the model does not know.
    UnknownService,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Disagreement {
    pub kind: DisagreementKind,
    pub from: String,
    pub to: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reconciliation {
    pub services: Vec<ServiceReadiness>,
    pub observed: Vec<ObservedEdge>,
    pub disagreements: Vec<Disagreement>,
    /// Model edges with no observed traffic (informational: the model assumes every client may call).
    pub unobserved_model_edges: usize,
}

impl Reconciliation {
    pub fn service(&self, fqdn: &str) -> Option<&ServiceReadiness> {
        self.services.iter().find(|s| s.service == fqdn)
    }
}

/// Requests per (client, service) as the destination reported them: (mTLS, plaintext).
type Tally = BTreeMap<(String, String), (f64, f64)>;

impl Mesh {
    /// Compares what the mesh saw (destination-reported series) with the model.
    pub fn ready(&self, observations: &Observations) -> Reconciliation {
        let edges = tally(observations);
        let known: BTreeSet<String> = self.workloads.iter().map(|w| w.id.to_string()).collect();
        let disagreements = self.disagreements(&edges, &known);
        let services = self.readiness(&edges, &known);
        let unobserved_model_edges = self.unobserved_model_edges(&edges);
        let observed = edges
            .into_iter()
            .map(|((from, to), (mtls, plaintext))| ObservedEdge {
                from,
                to,
                mtls,
                plaintext,
            })
            .collect();
        Reconciliation {
            services,
            observed,
            disagreements,
            unobserved_model_edges,
        }
    }

    /// Where the traffic and the model disagree: callers or services the input lacks, and a
    /// transport the model does not predict for a known caller.
    fn disagreements(&self, edges: &Tally, known: &BTreeSet<String>) -> Vec<Disagreement> {
        let mut disagreements = Vec::new();
        for ((from, to), (mtls, plaintext)) in edges {
            if from != "unknown" && !known.contains(from) {
                disagreements.push(Disagreement {
                    kind: DisagreementKind::UnknownCaller,
                    from: from.clone(),
                    to: to.clone(),
                    detail: "this caller is not in the input: add its manifest, or declare it as an external caller"
                        .to_owned(),
                });
            }
            let Some(service) = self.services.iter().find(|s| s.fqdn.0 == *to) else {
                disagreements.push(Disagreement {
                    kind: DisagreementKind::UnknownService,
                    from: from.clone(),
                    to: to.clone(),
                    detail: "this service is not in the input".to_owned(),
                });
                continue;
            };
            if from == "unknown" || !known.contains(from) {
                continue;
            }
            let predicted: BTreeSet<Option<Transport>> = service
                .ports
                .iter()
                .filter_map(|p| self.probe(from, &format!("{}:{}", service.fqdn, p.port)).ok())
                .filter(|o| o.response.verdict() == Verdict::Ok)
                .map(|o| o.response.transport)
                .collect();
            if *plaintext > 0.0
                && !predicted.contains(&Some(Transport::Plaintext))
                && predicted.contains(&Some(Transport::Mtls))
            {
                disagreements.push(Disagreement {
                    kind: DisagreementKind::PlaintextWhereModelSaysMtls,
                    from: from.clone(),
                    to: to.clone(),
                    detail: format!("{plaintext} plaintext request(s) observed; the model predicts mTLS (a DestinationRule or policy missing from the input?)"),
                });
            }
            if *mtls > 0.0
                && !predicted.contains(&Some(Transport::Mtls))
                && predicted.contains(&Some(Transport::Plaintext))
            {
                disagreements.push(Disagreement {
                    kind: DisagreementKind::MtlsWhereModelSaysPlaintext,
                    from: from.clone(),
                    to: to.clone(),
                    detail: format!("{mtls} mTLS request(s) observed; the model predicts plaintext"),
                });
            }
        }
        disagreements
    }

    /// Per service of the model: ready, blocked by its plaintext senders, or without traffic.
    fn readiness(&self, edges: &Tally, known: &BTreeSet<String>) -> Vec<ServiceReadiness> {
        let stages = self.stages();
        let mut services = Vec::new();
        for service in self.services.iter() {
            let fqdn = service.fqdn.to_string();
            let into: Vec<(&String, &(f64, f64))> = edges
                .iter()
                .filter(|((_, to), _)| *to == fqdn)
                .map(|((from, _), v)| (from, v))
                .collect();
            let mtls_requests: f64 = into.iter().map(|(_, (m, _))| m).sum();
            let plaintext_requests: f64 = into.iter().map(|(_, (_, p))| p).sum();
            let plaintext_senders: Vec<Sender> = into
                .iter()
                .filter(|(_, (_, p))| *p > 0.0)
                .map(|(from, (_, p))| Sender {
                    client: (*from).clone(),
                    requests: *p,
                    in_model: known.contains(*from),
                })
                .collect();
            let readiness = if into.is_empty() {
                Readiness::NoTraffic
            } else if plaintext_senders.is_empty() {
                Readiness::Ready
            } else {
                Readiness::Blocked
            };
            let stage = stages
                .services
                .iter()
                .filter(|s| s.service.starts_with(&format!("{fqdn}:")))
                .map(|s| s.stage)
                .min();
            services.push(ServiceReadiness {
                service: fqdn,
                readiness,
                stage,
                mtls_requests,
                plaintext_requests,
                plaintext_senders,
            });
        }
        services
    }

    /// The model's edges of which no traffic was observed.
    fn unobserved_model_edges(&self, edges: &Tally) -> usize {
        self.edges()
            .filter(|e| {
                let host = e.to.rsplit_once(':').map_or(e.to.as_str(), |(h, _)| h);
                !edges.contains_key(&(e.from.to_string(), host.to_owned()))
            })
            .count()
    }
}

/// The destination-reported series (or those without a reporter) with requests, summed per
/// client and service.
fn tally(observations: &Observations) -> Tally {
    let mut edges = Tally::new();
    for s in observations
        .samples
        .iter()
        .filter(|s| s.reporter == "destination" || s.reporter.is_empty())
    {
        if s.value <= 0.0 {
            continue;
        }
        let entry = edges.entry((client_of(s), s.destination_service.clone())).or_default();
        match s.security {
            Security::MutualTls => entry.0 += s.value,
            _ => entry.1 += s.value,
        }
    }
    edges
}
