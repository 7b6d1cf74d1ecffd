//! A deterministic generator of clusters (YAML), for property tests and benchmarks: the same spec
//! and seed always give the same text.

use std::fmt::Write as _;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSpec {
    pub seed: u64,
    pub namespaces: usize,
    pub workloads_per_namespace: usize,
    /// 0: Deployments as written (injection predicted); N: N Pods per workload, as a dump shows them.
    pub pods_per_workload: usize,
    /// Random PeerAuthentications (or v1alpha1 Policies) and DestinationRules.
    pub policies: bool,
    /// Write v1alpha1 Policy/MeshPolicy instead of PeerAuthentication.
    pub v1alpha1: bool,
}

impl Default for GenSpec {
    fn default() -> Self {
        Self {
            seed: 1,
            namespaces: 3,
            workloads_per_namespace: 3,
            pods_per_workload: 0,
            policies: true,
            v1alpha1: false,
        }
    }
}

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items.get(rng.usize(..items.len().max(1))).copied().unwrap_or_default()
}

/// A multi-document YAML cluster: namespaces `ns0…`, workloads `w0…` each behind a Service of the
/// same name, some with sidecars, and (optionally) policies and rules.
pub fn cluster(spec: &GenSpec) -> String {
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let mut out = String::new();
    for n in 0..spec.namespaces {
        let ns = format!("ns{n}");
        let injection = if rng.bool() {
            "\n  labels: {istio-injection: enabled}"
        } else {
            ""
        };
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}{injection}\n"
        );
        for w in 0..spec.workloads_per_namespace {
            let name = format!("w{w}");
            let container_port = if rng.bool() { 8080 } else { 80 };
            let service_port = if rng.bool() { 8000 } else { 80 };
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector: {{app: {name}}}\n  ports:\n  - {{name: http, port: {service_port}, targetPort: {container_port}}}\n"
            );
            // Sidecar: explicit proxy container, explicit opt-out, or left to namespace injection.
            let (annotations, proxy) = match rng.u8(..6) {
                0..=2 => ("", "\n      - {name: istio-proxy, image: proxyv2}"),
                3 => ("\n      annotations: {sidecar.istio.io/inject: \"false\"}", ""),
                _ => ("", ""),
            };
            if spec.pods_per_workload == 0 {
                let _ = write!(
                    out,
                    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}{annotations}\n    spec:\n      serviceAccountName: {name}\n      containers:\n      - {{name: app, image: app, ports: [{{containerPort: {container_port}}}]}}{proxy}\n"
                );
            } else {
                let hash = format!("{:x}", rng.u32(..));
                for p in 0..spec.pods_per_workload {
                    let _ = write!(
                        out,
                        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}-{hash}-p{p}\n  namespace: {ns}\n  labels: {{app: {name}, pod-template-hash: \"{hash}\"}}\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: {name}-{hash}, controller: true}}\nspec:\n  serviceAccountName: {name}\n  containers:\n  - {{name: app, image: app, ports: [{{containerPort: {container_port}}}]}}{}\n",
                        proxy.replace("\n      ", "\n  ")
                    );
                }
            }
        }
        if spec.policies {
            policies(&mut rng, spec, &ns, &mut out);
        }
    }
    if spec.policies {
        mesh_policies(&mut rng, spec, &mut out);
    }
    out
}

const MODES: [&str; 4] = ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"];
const TLS: [&str; 4] = ["DISABLE", "ISTIO_MUTUAL", "ISTIO_MUTUAL", "none"];

fn policies(rng: &mut fastrand::Rng, spec: &GenSpec, ns: &str, out: &mut String) {
    let workload = format!("w{}", rng.usize(..spec.workloads_per_namespace.max(1)));
    if spec.v1alpha1 {
        if rng.u8(..3) == 0 {
            let mode = pick(rng, &["PERMISSIVE", "STRICT"]);
            let _ = write!(
                out,
                "---\napiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata:\n  name: {workload}-mtls\n  namespace: {ns}\nspec:\n  targets:\n  - name: {workload}\n  peers:\n  - mtls:\n      mode: {mode}\n"
            );
        }
    } else {
        if rng.u8(..3) == 0 {
            let mode = pick(rng, &MODES);
            let _ = write!(
                out,
                "---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: {ns}\nspec:\n  mtls: {{mode: {mode}}}\n"
            );
        }
        if rng.u8(..4) == 0 {
            let (mode, port_mode) = (pick(rng, &MODES), pick(rng, &MODES));
            let port = pick(rng, &["80", "8080"]);
            let _ = write!(
                out,
                "---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: {workload}\n  namespace: {ns}\nspec:\n  selector: {{matchLabels: {{app: {workload}}}}}\n  mtls: {{mode: {mode}}}\n  portLevelMtls:\n    {port}: {{mode: {port_mode}}}\n"
            );
        }
    }
    if rng.u8(..4) == 0 {
        let host = pick(rng, &[workload.as_str(), "*.local", "*.svc.cluster.local"]);
        let tls = pick(rng, &TLS);
        let policy = if tls == "none" {
            "  trafficPolicy:\n    connectionPool: {tcp: {maxConnections: 10}}\n".to_owned()
        } else {
            format!("  trafficPolicy:\n    tls: {{mode: {tls}}}\n")
        };
        let _ = write!(
            out,
            "---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: rule-{}\n  namespace: {ns}\nspec:\n  host: \"{host}\"\n{policy}",
            rng.u16(..)
        );
    }
}

fn mesh_policies(rng: &mut fastrand::Rng, spec: &GenSpec, out: &mut String) {
    if rng.u8(..3) != 0 {
        return;
    }
    if spec.v1alpha1 {
        let mode = pick(rng, &["PERMISSIVE", "STRICT"]);
        let _ = write!(
            out,
            "---\napiVersion: authentication.istio.io/v1alpha1\nkind: MeshPolicy\nmetadata:\n  name: default\nspec:\n  peers:\n  - mtls: {{mode: {mode}}}\n"
        );
    } else {
        let mode = pick(rng, &MODES);
        let _ = write!(
            out,
            "---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls: {{mode: {mode}}}\n"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_text() {
        let spec = GenSpec::default();
        assert_eq!(cluster(&spec), cluster(&spec));
        assert_ne!(cluster(&spec), cluster(&GenSpec { seed: 2, ..spec }));
    }
}
