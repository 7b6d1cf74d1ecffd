//! Istio's own manifests (../shared/data, used in place) and hostile inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test"
)]

use std::path::PathBuf;

use meshlock::{Code, Mesh, MeshSettings, Source};

fn shared(path: &str) -> Option<Source> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path);
    match std::fs::read_to_string(&full) {
        Ok(text) => Some(Source::new(path, text)),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} is absent (the shared data folder is not beside the repository)",
                full.display()
            );
            None
        }
    }
}

fn load(sources: &[Source]) -> Mesh {
    Mesh::load(sources, &MeshSettings::default()).expect("loads").mesh
}

fn sidecar(mesh: &Mesh, id: &str) -> bool {
    mesh.workloads()
        .iter()
        .find(|w| w.id.to_string() == id)
        .unwrap_or_else(|| panic!("{id}"))
        .sidecar
        .present
}

#[test]
fn injected_pods_are_recognised() {
    let (Some(before), Some(after), Some(native)) = (
        shared("istio-samples/injected/hello.yaml"),
        shared("istio-samples/injected/hello.yaml.injected"),
        shared("istio-samples/injected/native-sidecar.yaml.injected"),
    ) else {
        return;
    };
    assert!(!sidecar(&load(std::slice::from_ref(&before)), "default/hello"));
    assert!(sidecar(&load(&[after]), "default/hello"));
    let native = load(&[native]);
    let w = native.workloads().first().unwrap();
    assert!(
        w.sidecar.present && w.sidecar.reason.contains("native"),
        "{:?}",
        w.sidecar
    );
    // The same manifest in a namespace labelled for injection: predicted.
    let ns = Source::new(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {istio-injection: enabled}}\n",
    );
    let predicted = load(&[ns, before]);
    assert!(sidecar(&predicted, "default/hello"));
}

#[test]
fn the_seed_samples_of_istio_1_1_load() {
    let (Some(httpbin), Some(sleep)) = (
        shared("istio-samples/1.1/httpbin.yaml"),
        shared("istio-samples/1.1/sleep.yaml"),
    ) else {
        return;
    };
    let foo = |s: &Source| s.clone().in_namespace("foo");
    let loaded = Mesh::load(&[foo(&httpbin), foo(&sleep)], &MeshSettings::default()).unwrap();
    // extensions/v1beta1 Deployments are modelled; the ServiceAccount is reported as ignored.
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.code == Code::IgnoredKind && d.message.contains("ServiceAccount"))
    );
    let outcome = loaded.mesh.probe("foo/sleep", "httpbin:8000").unwrap();
    assert_eq!(
        (outcome.response.status.to_string(), outcome.response.reason.as_str()),
        ("200".to_owned(), "plaintext")
    );
}

#[test]
fn bookinfo_gives_a_full_matrix() {
    let Some(bookinfo) = shared("istio-samples/current/bookinfo.yaml") else {
        return;
    };
    let mesh = load(&[bookinfo]);
    let matrix = mesh.matrix();
    assert_eq!(matrix.services.len(), 4);
    assert_eq!(matrix.clients.len(), 6);
    assert_eq!(matrix.edges.len(), 24);
}

/// Issue 13 item 5: bookinfo behind Istio's sample `bookinfo-ingress.yaml` (class `istio`, as in
/// Istio's `samples/bookinfo/platform/kube/`), mesh-wide STRICT: the gateway sends mTLS, so `check`
/// finds no plaintext caller of a STRICT port.
#[test]
fn bookinfo_behind_istios_ingress_under_strict() {
    let Some(bookinfo) = shared("istio-samples/current/bookinfo.yaml") else {
        return;
    };
    let ingress = Source::new(
        "bookinfo-ingress.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: gateway\n  annotations:\n    \
         kubernetes.io/ingress.class: \"istio\"\nspec:\n  rules:\n    - http:\n        paths:\n          - path: \
         /productpage\n            pathType: Exact\n            backend:\n              service:\n                \
         name: productpage\n                port:\n                  number: 9080\n",
    );
    // Bookinfo's instructions label the namespace for injection, then STRICT mesh-wide.
    let strict = Source::new(
        "strict.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {istio-injection: enabled}}\n---\n\
         apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: \
         istio-system}\nspec: {mtls: {mode: STRICT}}\n",
    );
    let mesh = load(&[bookinfo, ingress, strict]);
    let report = mesh.check();
    let strict_callers: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::StrictPlaintextCallers)
        .map(|d| d.message.clone())
        .collect();
    assert!(strict_callers.is_empty(), "{strict_callers:?}");
    let outcome = mesh
        .probe("istio-system/istio-ingressgateway", "productpage.default:9080")
        .unwrap();
    assert_eq!(
        (outcome.response.status.to_string(), outcome.response.reason.as_str()),
        ("200".to_owned(), "mtls")
    );
    assert!(
        mesh.probe("external/ingress-default-gateway", "productpage.default:9080")
            .is_err()
    );
}

#[test]
fn hostile_inputs_are_refused_with_a_diagnostic() {
    let deep = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: x, labels: {}a{}}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!(
            "{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char
        ));
    }
    // `kind: List` items are decoded item by item, so expanding them must be bounded.
    bomb.push_str("apiVersion: v1\nkind: List\nitems: *l\n");
    for (name, text) in [
        ("deep.yaml", deep),
        ("bomb.yaml", bomb),
        ("binary.yaml", "\u{0}\u{1}: [".to_owned()),
    ] {
        let err = Mesh::load(&[Source::new(name, text)], &MeshSettings::default()).expect_err(name);
        assert!(!err.diagnostics.is_empty(), "{name}");
        assert!(err.diagnostics.iter().all(|d| d.location.source == name), "{name}");
    }
}

/// Fields of the modelled schemas that meshlock reads past are known, not "unknown".
#[test]
fn known_fields_are_not_reported_as_unknown() {
    let text = "\
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: pool, namespace: foo}
spec:
  host: httpbin.foo.svc.cluster.local
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 10}}
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 3}
    tls: {mode: ISTIO_MUTUAL, sni: httpbin}
---
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata: {name: default, namespace: foo}
spec:
  peers: [{mtls: {}}]
  origins: [{jwt: {issuer: me}}]
  principalBinding: USE_ORIGIN
";
    let loaded = Mesh::load(&[Source::new("known.yaml", text)], &MeshSettings::default()).unwrap();
    let unknown: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnknownField)
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
}
