//! Workloads from Pods and controllers: identity (the controller's name) and sidecar presence.
//!
//! A workload has a sidecar when its pod has an `istio-proxy` container (also as a native sidecar
//! in `initContainers`) or the `sidecar.istio.io/status` annotation; for manifests not yet
//! injected, injection is predicted from the namespace labels (`istio-injection` before
//! `istio.io/rev`) and the pod's `sidecar.istio.io/inject` label or annotation, as the injection
//! webhook of the selected Istio release reads them.

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::ingest::WorkloadDoc;
use crate::ingest::wire::IntOrString;
use crate::model::{Labels, NamedPort, Namespace, Port, Sidecar, TargetPort, Workload, WorkloadId};
use crate::settings::IstioVersion;

const PROXY_CONTAINER: &str = "istio-proxy";
const STATUS_ANNOTATION: &str = "sidecar.istio.io/status";
const INJECT_KEY: &str = "sidecar.istio.io/inject";
const TEMPLATE_HASH: &str = "pod-template-hash";
/// Istio's injection placeholder: `image: auto` on an `istio-proxy` container (gateway templates).
const PLACEHOLDER_IMAGE: &str = "auto";
/// How a predicted injection's reason starts (after any note on why it was predicted).
const PREDICTED: &str = "injection predicted";
/// Ambient mode's enrolment label, on a namespace or a pod (`none` opts a pod out).
const DATAPLANE_MODE: &str = "istio.io/dataplane-mode";
/// Namespaces the injector never touches (1.1 `initializer.go`; still skipped by the webhook).
const NEVER_INJECTED: [&str; 2] = ["kube-system", "kube-public"];

/// Derives one workload per identity; pods, when present, are the ground truth for their workload.
pub fn derive(
    docs: &[&WorkloadDoc],
    namespaces: &BTreeMap<String, Namespace>,
    version: IstioVersion,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Workload> {
    let owners = OwnerIndex::new(docs);
    let mut groups: BTreeMap<WorkloadId, Vec<&WorkloadDoc>> = BTreeMap::new();
    for doc in docs {
        groups.entry(owners.identity(doc)).or_default().push(doc);
    }
    let mut missing_namespaces: BTreeMap<String, Location> = BTreeMap::new();
    // Namespace → (where, how many workloads) enrolled in ambient mode without a sidecar.
    let mut ambient: BTreeMap<String, (Location, usize)> = BTreeMap::new();
    let mut workloads = Vec::with_capacity(groups.len());
    for (id, members) in groups {
        let pods: Vec<&WorkloadDoc> = members.iter().copied().filter(|d| d.kind == "Pod").collect();
        // The first pod, else the controller that best describes the workload.
        let representative = pods
            .first()
            .copied()
            .or_else(|| members.iter().copied().min_by_key(|d| controller_rank(d.kind)));
        // A Pod that ran is a fact; a Pod written as a manifest and a controller's template are
        // predicted: a Pod is a fact only when it ran (it has `ownerReferences` or a `status`).
        let mut sidecar_of = |doc: &WorkloadDoc| {
            detect(doc).unwrap_or_else(|| {
                let namespace = namespaces.get(&doc.namespace);
                if namespace.is_none() {
                    missing_namespaces
                        .entry(doc.namespace.clone())
                        .or_insert_with(|| location_of(doc));
                }
                predict(doc, namespace, version)
            })
        };
        let mut workload = if let Some(first_pod) = pods.first() {
            let states: Vec<Sidecar> = pods.iter().map(|p| sidecar_of(p)).collect();
            let injected = states.iter().filter(|s| s.present).count();
            let sidecar = if injected == 0 || injected == states.len() {
                states.first().cloned().unwrap_or_else(not_injected_pod)
            } else {
                diagnostics.push(
                    Diagnostic::warning(
                        Code::MixedInjection,
                        format!("workload `{id}`: {injected} of {} pods have a sidecar", states.len()),
                    )
                    .with_help(
                        "restart the pods without a sidecar (`kubectl rollout restart`) so every replica is injected",
                    )
                    .at(location_of(first_pod)),
                );
                Sidecar {
                    present: false,
                    reason: format!("only {injected} of {} pods have an istio-proxy container", states.len()),
                }
            };
            build(
                &id,
                first_pod,
                sidecar,
                members.iter().find(|d| d.kind != "Pod").copied(),
                version,
            )
        } else {
            let Some(controller) = representative else {
                continue;
            };
            let sidecar = sidecar_of(controller);
            build(&id, controller, sidecar, None, version)
        };
        if let Some(doc) = representative
            && !workload.sidecar.present
            && in_ambient_mode(doc, namespaces.get(&doc.namespace))
        {
            workload
                .sidecar
                .reason
                .push_str("; it is enrolled in ambient mode, which meshlock does not model");
            ambient
                .entry(doc.namespace.clone())
                .or_insert_with(|| (location_of(doc), 0))
                .1 += 1;
        }
        workloads.push(workload);
    }
    for (namespace, (location, count)) in ambient {
        diagnostics.push(
            Diagnostic::warning(
                Code::AmbientNotModelled,
                format!(
                    "namespace `{namespace}`: {count} workload(s) enrolled in ambient mode ({DATAPLANE_MODE}=ambient) \
                     are shown as without a sidecar; ztunnel's mTLS is not modelled"
                ),
            )
            .with_help("their outcomes are not Istio's: check ambient workloads on the cluster itself")
            .at(location),
        );
    }
    for (namespace, location) in missing_namespaces {
        diagnostics.push(
            Diagnostic::info(
                Code::NamespaceNotInInput,
                format!("namespace `{namespace}` is not in the input: its injection labels are taken as absent"),
            )
            .with_help(format!(
                "add `kubectl get namespace {namespace} -o yaml` to the input to predict injection exactly"
            ))
            .at(location),
        );
    }
    workloads
}

fn build(
    id: &WorkloadId,
    doc: &WorkloadDoc,
    sidecar: Sidecar,
    controller: Option<&WorkloadDoc>,
    version: IstioVersion,
) -> Workload {
    let spec = &doc.spec;
    let container_ports = spec
        .containers
        .iter()
        .filter(|c| c.name != PROXY_CONTAINER)
        .flat_map(|c| c.ports.iter())
        .filter_map(|p| {
            Port::parse(p.container_port).map(|port| NamedPort {
                name: p.name.clone(),
                port,
            })
        })
        .collect();
    Workload {
        id: id.clone(),
        kind: controller.map_or(doc.kind, |c| c.kind),
        labels: doc.template_labels.clone(),
        service_account: spec
            .service_account_name
            .clone()
            .or_else(|| spec.service_account.clone())
            .unwrap_or_else(|| "default".to_owned()),
        container_ports,
        unrewritten_probes: unrewritten_probes(doc, &sidecar, version),
        address: None,
        sidecar,
        origin: controller.unwrap_or(doc).origin.clone(),
        calls: None,
    }
}

/// Container ports the kubelet probes with `httpGet` straight through the sidecar. Istio rewrites
/// HTTP probes to its agent port (15020) when `rewriteAppHTTPProbers` is on: the default from 1.10
/// (`sidecar.istio.io/rewriteAppHTTPProbers: "false"` turns it off), opt-in before. An injected pod
/// shows its probes as rewritten, so a probe still on an app port was not. TCP probes only open a
/// connection, which the sidecar accepts in any mode, so they are not counted.
fn unrewritten_probes(doc: &WorkloadDoc, sidecar: &Sidecar, version: IstioVersion) -> Vec<TargetPort> {
    if !sidecar.present {
        return Vec::new();
    }
    let annotation = doc
        .template_annotations
        .get("sidecar.istio.io/rewriteAppHTTPProbers")
        .map(String::as_str);
    let predicted = sidecar.reason.contains(PREDICTED);
    let rewritten = predicted && (annotation == Some("true") || (version.minor() >= 10 && annotation != Some("false")));
    if rewritten {
        return Vec::new();
    }
    doc.spec
        .containers
        .iter()
        .filter(|c| c.name != PROXY_CONTAINER)
        .flat_map(|c| [&c.readiness_probe, &c.liveness_probe, &c.startup_probe])
        .flatten()
        .filter_map(|p| p.http_get.as_ref()?.port.clone())
        .filter_map(|port| match port {
            IntOrString::Int(n) => Port::parse(n).map(TargetPort::Number),
            IntOrString::String(name) => Some(TargetPort::Name(name)),
        })
        .collect()
}

fn location_of(doc: &WorkloadDoc) -> Location {
    doc.origin.location()
}

/// The controller that best describes a workload when there are no pods.
fn controller_rank(kind: &str) -> u8 {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob" | "DeploymentConfig" => 0,
        "ReplicaSet" | "Job" | "ReplicationController" => 1,
        _ => 2,
    }
}

fn not_injected_pod() -> Sidecar {
    Sidecar {
        present: false,
        reason:
            "the pod ran (it has ownerReferences or a status) with no istio-proxy container and no injection status"
                .to_owned(),
    }
}

/// Ambient mode (Istio 1.22+): the namespace or the pod carries `istio.io/dataplane-mode=ambient`, and
/// the pod does not opt out with `none`.
fn in_ambient_mode(doc: &WorkloadDoc, namespace: Option<&Namespace>) -> bool {
    match doc.template_labels.get(DATAPLANE_MODE).map(String::as_str) {
        Some(mode) => mode == "ambient",
        None => namespace.and_then(|n| n.labels.get(DATAPLANE_MODE)).map(String::as_str) == Some("ambient"),
    }
}

/// An injected pod or template: the proxy container, or the injector's status annotation. `None`
/// when the injection is to be predicted: a controller's template, a Pod written as a manifest,
/// or a template whose `istio-proxy` is Istio's `image: auto` placeholder.
fn detect(doc: &WorkloadDoc) -> Option<Sidecar> {
    let spec = &doc.spec;
    let proxy = |containers: &[crate::ingest::wire::Container]| {
        containers
            .iter()
            .find(|c| c.name == PROXY_CONTAINER)
            .map(|c| c.image.as_deref() == Some(PLACEHOLDER_IMAGE))
    };
    let in_containers = proxy(&spec.containers);
    let in_init = proxy(&spec.init_containers);
    if in_containers == Some(false) {
        return Some(Sidecar {
            present: true,
            reason: "the pod has an istio-proxy container".to_owned(),
        });
    }
    if in_init == Some(false) {
        return Some(Sidecar {
            present: true,
            reason: "the pod has istio-proxy as a native sidecar (in initContainers)".to_owned(),
        });
    }
    if doc.template_annotations.contains_key(STATUS_ANNOTATION) {
        return Some(Sidecar {
            present: true,
            reason: format!("the pod carries the `{STATUS_ANNOTATION}` annotation"),
        });
    }
    // The placeholder is filled in by the injection webhook when it injects, so whether a proxy
    // runs depends on the same rules as any template; it is not yet a sidecar.
    if in_containers.is_some() || in_init.is_some() {
        return None;
    }
    if doc.kind == "Pod" && doc.ran {
        return Some(not_injected_pod());
    }
    None
}

/// Why a template's injection is predicted rather than read, prefixed to the prediction.
fn prediction_basis(doc: &WorkloadDoc) -> Option<&'static str> {
    let placeholder = doc
        .spec
        .containers
        .iter()
        .chain(&doc.spec.init_containers)
        .any(|c| c.name == PROXY_CONTAINER && c.image.as_deref() == Some(PLACEHOLDER_IMAGE));
    if placeholder {
        Some("its istio-proxy container has `image: auto`, Istio's injection placeholder")
    } else if doc.kind == "Pod" {
        Some("the Pod has neither ownerReferences nor a status: a manifest, not a running pod")
    } else {
        None
    }
}

/// Predicts what the injection webhook does with this template when its pods are created; for a
/// Pod manifest or an `image: auto` placeholder, the reason says so first.
fn predict(doc: &WorkloadDoc, namespace: Option<&Namespace>, version: IstioVersion) -> Sidecar {
    let mut sidecar = predict_injection(doc, namespace, version);
    if let Some(basis) = prediction_basis(doc) {
        sidecar.reason = format!("{basis}; {}", sidecar.reason);
    }
    sidecar
}

fn predict_injection(doc: &WorkloadDoc, namespace: Option<&Namespace>, version: IstioVersion) -> Sidecar {
    let no = |reason: String| Sidecar { present: false, reason };
    if doc.spec.host_network {
        return no("hostNetwork pods are never injected".to_owned());
    }
    if NEVER_INJECTED.contains(&doc.namespace.as_str()) {
        return no(format!("the injector skips namespace `{}`", doc.namespace));
    }
    let empty = Labels::new();
    let ns_labels = namespace.map_or(&empty, |n| &n.labels);
    let ns_injection = ns_labels.get("istio-injection").map(String::as_str);
    // `istio.io/rev` on the namespace is honoured from 1.6, and only without `istio-injection`.
    let ns_revision = ns_labels
        .get("istio.io/rev")
        .filter(|_| version.minor() >= 6 && ns_injection.is_none());
    let pod_label = doc.template_labels.get(INJECT_KEY).map(String::as_str);
    let pod_annotation = doc.template_annotations.get(INJECT_KEY).map(String::as_str);
    // From 1.9 the webhook's objectSelector skips pods labelled `sidecar.istio.io/inject=false`.
    let label_opts_out = version.minor() >= 9 && pod_label == Some("false");

    let selected_by = if ns_injection == Some("enabled") {
        format!("namespace `{}` has istio-injection=enabled", doc.namespace)
    } else if let Some(rev) = ns_revision {
        format!("namespace `{}` has istio.io/rev={rev}", doc.namespace)
    } else if ns_injection.is_none()
        && version.minor() >= 10
        && (pod_label == Some("true") || doc.template_labels.contains_key("istio.io/rev"))
    {
        "the pod is labelled for injection".to_owned()
    } else {
        let why = match ns_injection {
            Some(value) => format!("namespace `{}` has istio-injection={value}", doc.namespace),
            None => format!("namespace `{}` has no istio-injection=enabled label", doc.namespace),
        };
        return no(format!("not injected: {why}"));
    };
    if label_opts_out {
        return no(format!(
            "not injected: the pod label {INJECT_KEY}=false opts out ({selected_by})"
        ));
    }
    // `injectRequired` reads the label (preferred to the annotation) from 1.12, else the annotation.
    let value = if version.minor() >= 12 {
        pod_label.or(pod_annotation)
    } else {
        pod_annotation
    };
    if let Some(value) = value
        && !injection_value_says_yes(value, version)
    {
        return no(format!("not injected: {INJECT_KEY}={value} opts out ({selected_by})"));
    }
    Sidecar {
        present: true,
        reason: format!("{PREDICTED}: {selected_by}"),
    }
}

/// Until 1.26 `y|yes|true|on` mean yes and any other non-empty value means no; from 1.27 only
/// `true`/`false` count and anything else falls back to the namespace default (yes here).
fn injection_value_says_yes(value: &str, version: IstioVersion) -> bool {
    if version.minor() >= 27 {
        value != "false"
    } else {
        value.is_empty() || matches!(value.to_ascii_lowercase().as_str(), "y" | "yes" | "true" | "on")
    }
}

/// Resolves owner chains: Pod → ReplicaSet → Deployment, Pod → Job → CronJob, and OpenShift's
/// Pod → ReplicationController → DeploymentConfig.
struct OwnerIndex {
    /// (kind, namespace, name) → owner's (kind, name)
    owner_of: HashMap<(&'static str, String, String), (String, String)>,
}

impl OwnerIndex {
    fn new(docs: &[&WorkloadDoc]) -> Self {
        let mut owner_of = HashMap::new();
        for doc in docs
            .iter()
            .filter(|d| matches!(d.kind, "ReplicaSet" | "Job" | "ReplicationController"))
        {
            if let Some(owner) = doc.owners.first() {
                owner_of.insert((doc.kind, doc.namespace.clone(), doc.name.clone()), owner.clone());
            }
        }
        Self { owner_of }
    }

    fn identity(&self, doc: &WorkloadDoc) -> WorkloadId {
        let name = match (doc.kind, doc.owners.first()) {
            ("Pod" | "ReplicaSet" | "Job" | "ReplicationController", Some((kind, owner))) => {
                self.resolve(doc, kind, owner)
            }
            ("Pod", None) => strip_template_hash(&doc.name, doc.template_labels.get(TEMPLATE_HASH), true),
            ("ReplicaSet", None) => strip_template_hash(&doc.name, doc.template_labels.get(TEMPLATE_HASH), false),
            _ => doc.name.clone(),
        };
        WorkloadId::new(doc.namespace.clone(), name)
    }

    fn resolve(&self, doc: &WorkloadDoc, kind: &str, owner: &str) -> String {
        match kind {
            "ReplicaSet" => match self
                .owner_of
                .get(&("ReplicaSet", doc.namespace.clone(), owner.to_owned()))
            {
                Some((_, deployment)) => deployment.clone(),
                None => strip_template_hash(owner, doc.template_labels.get(TEMPLATE_HASH), false),
            },
            "Job" | "ReplicationController" => {
                let kind = if kind == "Job" { "Job" } else { "ReplicationController" };
                match self.owner_of.get(&(kind, doc.namespace.clone(), owner.to_owned())) {
                    Some((_, top)) => top.clone(),
                    None => owner.to_owned(),
                }
            }
            _ => owner.to_owned(),
        }
    }
}

/// `httpbin-5b8c9d-x7k2p` with pod-template-hash `5b8c9d` → `httpbin`; a ReplicaSet
/// `httpbin-5b8c9d` → `httpbin`.
fn strip_template_hash(name: &str, hash: Option<&String>, is_pod: bool) -> String {
    let Some(hash) = hash.filter(|h| !h.is_empty()) else {
        return name.to_owned();
    };
    let marker = format!("-{hash}");
    let found = if is_pod {
        name.rfind(&format!("{marker}-"))
    } else {
        name.strip_suffix(&marker).map(str::len)
    };
    match found {
        Some(end) if end > 0 => name.get(..end).unwrap_or(name).to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_hash_is_stripped_from_pods_and_replicasets() {
        let h = "5b8c9d".to_owned();
        assert_eq!(strip_template_hash("httpbin-5b8c9d-x7k2p", Some(&h), true), "httpbin");
        assert_eq!(strip_template_hash("httpbin-5b8c9d", Some(&h), false), "httpbin");
        assert_eq!(strip_template_hash("httpbin", Some(&h), true), "httpbin");
        assert_eq!(strip_template_hash("web-x", None, true), "web-x");
    }

    fn pod(ran: bool, proxy_image: Option<&str>) -> WorkloadDoc {
        let mut containers = vec![crate::ingest::wire::Container {
            name: "app".to_owned(),
            ..Default::default()
        }];
        if let Some(image) = proxy_image {
            containers.push(crate::ingest::wire::Container {
                name: PROXY_CONTAINER.to_owned(),
                image: Some(image.to_owned()),
                ..Default::default()
            });
        }
        WorkloadDoc {
            kind: "Pod",
            namespace: "foo".to_owned(),
            name: "web".to_owned(),
            owners: Vec::new(),
            ran,
            template_labels: Labels::new(),
            template_annotations: Labels::new(),
            spec: crate::ingest::wire::PodSpec {
                containers,
                ..Default::default()
            },
            origin: Default::default(),
        }
    }

    #[test]
    fn a_pod_is_a_fact_only_when_it_ran() {
        let enabled = Namespace {
            name: "foo".to_owned(),
            labels: [("istio-injection".to_owned(), "enabled".to_owned())].into(),
        };
        let current = IstioVersion::CURRENT;
        // Ran without istio-proxy: no sidecar, whatever the namespace says.
        let ran = detect(&pod(true, None)).unwrap();
        assert!(!ran.present);
        // A manifest: predicted, and the reason says why it was predicted.
        let manifest = pod(false, None);
        assert!(detect(&manifest).is_none());
        let predicted = predict(&manifest, Some(&enabled), current);
        assert!(predicted.present, "{predicted:?}");
        assert!(
            predicted
                .reason
                .starts_with("the Pod has neither ownerReferences nor a status")
        );
        assert!(predicted.reason.contains("istio-injection=enabled"));
        assert!(!predict(&manifest, None, current).present);
        // `image: auto` is a placeholder even on a pod that ran; a real image is a sidecar.
        let placeholder = pod(true, Some("auto"));
        assert!(detect(&placeholder).is_none());
        let predicted = predict(&placeholder, None, current);
        assert!(
            !predicted.present && predicted.reason.contains("image: auto"),
            "{predicted:?}"
        );
        assert!(
            detect(&pod(false, Some("docker.io/istio/proxyv2:1.28.0")))
                .unwrap()
                .present
        );
    }

    #[test]
    fn injection_values_by_version() {
        let old = IstioVersion::new(1);
        let new = IstioVersion::new(27);
        assert!(injection_value_says_yes("yes", old));
        assert!(!injection_value_says_yes("nope", old));
        assert!(injection_value_says_yes("nope", new));
        assert!(!injection_value_says_yes("false", new));
    }
}
