//! The class table computes each outcome once per class of clients; this checks that every edge
//! read from it equals the edge evaluated alone (`probe`), on random meshes built to exercise what
//! tells clients apart: DestinationRules in the client's namespace, wildcards, `exportTo`,
//! `workloadSelector`, authorization by principal or namespace (exact and glob), legacy RBAC,
//! NetworkPolicies (pod, namespace and combined selectors with expressions, ipBlocks, named ports,
//! `endPort`, ingress and egress) with namespace labels and external callers with addresses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::fmt::Write as _;

use meshlock::{IstioVersion, Mesh, MeshSettings, Source};
use proptest::prelude::*;

const NAMESPACES: [&str; 4] = ["istio-system", "foo", "bar", "baz"];

/// A random mesh as YAML, from a vector of choices (proptest shrinks the vector).
fn mesh_yaml(choices: &[u8]) -> String {
    let mut pick = choices.iter().copied().cycle();
    let mut next = |n: usize| pick.next().unwrap_or(0) as usize % n;
    let mut out = String::new();
    for ns in NAMESPACES {
        let team = ["x", "y"][next(2)];
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{team: {team}}}\n"
        );
    }
    for ns in &NAMESPACES[1..] {
        for w in 0..2 + next(2) {
            let name = format!("w{w}");
            let tier = ["a", "b"][next(2)];
            let sa = ["one", "two"][next(2)];
            let proxy = if next(3) > 0 {
                "\n      - {name: istio-proxy, image: proxyv2}"
            } else {
                ""
            };
            let target = ["8080", "http-web"][next(2)];
            let probe = if next(3) == 0 {
                ", readinessProbe: {httpGet: {port: 8080}}"
            } else {
                ""
            };
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector: {{app: {name}}}\n  ports:\n  - {{name: http, port: 80, targetPort: {target}}}\n  - {{name: tcp-db, port: 5432, targetPort: 5432}}\n"
            );
            let _ = write!(
                out,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata:\n      labels: {{app: {name}, tier: {tier}}}\n    spec:\n      serviceAccountName: {sa}\n      containers:\n      - {{name: app, image: app, ports: [{{containerPort: 8080, name: http-web}}, {{containerPort: 5432}}]{probe}}}{proxy}\n"
            );
        }
    }
    for i in 0..next(5) {
        let ns = NAMESPACES[next(4)];
        let target_ns = NAMESPACES[1 + next(3)];
        let host = [
            "w0".to_owned(),
            format!("w1.{target_ns}.svc.cluster.local"),
            format!("*.{target_ns}.svc.cluster.local"),
            "*".to_owned(),
        ][next(4)]
        .clone();
        let export = [
            "",
            "\n  exportTo: [\".\"]",
            "\n  exportTo: [\"*\"]",
            "\n  exportTo: [bar]",
        ][next(4)];
        let selector = if next(3) == 0 {
            "\n  workloadSelector: {matchLabels: {tier: a}}"
        } else {
            ""
        };
        let tls = ["ISTIO_MUTUAL", "DISABLE", "SIMPLE"][next(3)];
        let policy = match next(3) {
            0 => String::new(),
            1 => format!("\n  trafficPolicy:\n    tls: {{mode: {tls}}}"),
            _ => format!(
                "\n  trafficPolicy:\n    portLevelSettings:\n    - port: {{number: 5432}}\n      tls: {{mode: {tls}}}"
            ),
        };
        let _ = write!(
            out,
            "---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: dr{i}\n  namespace: {ns}\nspec:\n  host: \"{host}\"{export}{selector}{policy}\n"
        );
    }
    for i in 0..next(4) {
        let ns = NAMESPACES[next(4)];
        let mode = ["STRICT", "PERMISSIVE", "DISABLE"][next(3)];
        let selector = if next(2) == 0 && ns != "istio-system" {
            format!("\n  selector: {{matchLabels: {{app: w{}}}}}", next(2))
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: pa{i}\n  namespace: {ns}\nspec:{selector}\n  mtls: {{mode: {mode}}}\n"
        );
    }
    for i in 0..next(4) {
        let ns = NAMESPACES[next(4)];
        let action = ["ALLOW", "DENY"][next(2)];
        let source_ns = NAMESPACES[1 + next(3)];
        let from = [
            format!("principals: [\"cluster.local/ns/{source_ns}/sa/one\"]"),
            format!("principals: [\"cluster.local/ns/{source_ns}/*\"]"),
            format!("namespaces: [\"{source_ns}\"]"),
            "notPrincipals: [\"*/sa/two\"]".to_owned(),
            "namespaces: [\"ba*\"]".to_owned(),
        ][next(5)]
        .clone();
        let when = if next(3) == 0 {
            format!("\n    when:\n    - key: source.namespace\n      values: [\"{source_ns}\"]")
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "---\napiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata:\n  name: az{i}\n  namespace: {ns}\nspec:\n  action: {action}\n  rules:\n  - from:\n    - source:\n        {from}{when}\n"
        );
    }
    for i in 0..next(4) {
        let ns = NAMESPACES[1 + next(3)];
        let selector = [
            "{}",
            "{matchLabels: {app: w0}}",
            "{matchLabels: {tier: a}}",
            "{matchExpressions: [{key: tier, operator: NotIn, values: [b]}]}",
        ][next(4)];
        let types = [
            "",
            "\n  policyTypes: [Ingress]",
            "\n  policyTypes: [Egress]",
            "\n  policyTypes: [Ingress, Egress]",
        ][next(4)];
        let peer = |k: usize| {
            [
                "podSelector: {matchLabels: {tier: a}}",
                "namespaceSelector: {matchLabels: {team: x}}",
                "namespaceSelector: {matchLabels: {team: y}}\n      podSelector: {matchExpressions: [{key: tier, operator: In, values: [b]}]}",
                "namespaceSelector: {}",
                "podSelector: {}",
                "namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: bar}}",
                "ipBlock: {cidr: 0.0.0.0/0}",
                "ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}",
                "namespaceSelector: {matchExpressions: [{key: team, operator: DoesNotExist}]}",
            ][k]
        };
        let ports = [
            "",
            "\n    ports: [{port: 8080}]",
            "\n    ports: [{port: http-web}]",
            "\n    ports: [{port: 5000, endPort: 6000}]",
            "\n    ports: [{protocol: UDP, port: 8080}]",
        ];
        let mut rules = |field: &str, key: &str| -> String {
            match next(4) {
                0 => String::new(),
                1 => format!("\n  {key}: []"),
                2 => format!("\n  {key}:\n  - {{}}"),
                _ => {
                    let mut text = format!("\n  {key}:");
                    for _ in 0..1 + next(2) {
                        let p = ports[next(5)];
                        let _ = write!(text, "\n  - {field}:\n    - {}{p}", peer(next(9)));
                        if next(2) == 0 {
                            let _ = write!(text, "\n    - {}", peer(next(9)));
                        }
                    }
                    text
                }
            }
        };
        let ingress = rules("from", "ingress");
        let egress = rules("to", "egress");
        let _ = write!(
            out,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np{i}\n  namespace: {ns}\nspec:\n  podSelector: {selector}{types}{ingress}{egress}\n"
        );
    }
    for i in 0..next(3) {
        let ns = NAMESPACES[1 + next(3)];
        let address = [
            "",
            "\n  address: 203.0.113.7",
            "\n  address: 203.0.113.200",
            "\n  address: 192.0.2.1",
        ][next(4)];
        let _ = write!(
            out,
            "---\napiVersion: meshlock.dev/v1alpha1\nkind: ExternalCaller\nmetadata:\n  name: ext{i}\n  namespace: {ns}\nspec:\n  targets: [\"w0.{ns}:80\", \"w1.{ns}:5432\"]{address}\n"
        );
    }
    out
}

fn assert_classes_match_probes(yaml: &str, version: &str) {
    let settings = MeshSettings {
        istio_version: Some(version.parse::<IstioVersion>().unwrap()),
        ..MeshSettings::default()
    };
    let Ok(loaded) = Mesh::load(&[Source::new("random.yaml", yaml)], &settings) else {
        return;
    };
    let mesh = loaded.mesh;
    let mut edges = 0;
    for edge in mesh.edges() {
        let alone = mesh.probe(&edge.from.to_string(), &edge.to).unwrap();
        assert_eq!(
            edge.response, alone.response,
            "{} → {} (Istio {version}) differs from the edge evaluated alone in\n{yaml}",
            edge.from, edge.to
        );
        edges += 1;
    }
    assert!(edges > 0, "a random mesh has edges");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_edge_from_the_class_table_equals_the_edge_evaluated_alone(
        choices in proptest::collection::vec(any::<u8>(), 8..80),
        version in prop_oneof![Just("1.4"), Just("1.6"), Just("1.10"), Just("current")],
    ) {
        assert_classes_match_probes(&mesh_yaml(&choices), version);
    }
}
