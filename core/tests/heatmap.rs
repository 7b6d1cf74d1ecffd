//! The namespace map streams the class table's cells; this checks it against the full matrix
//! (every edge counted in its pair and class), and that the matrix of a pair is the full matrix's
//! rows and columns of that pair.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::collections::BTreeMap;

use meshlock::generate::{GenSpec, cluster};
use meshlock::heatmap::{ClassCounts, OutcomeClass};
use meshlock::{Mesh, MeshSettings, Source};

fn meshes() -> Vec<Mesh> {
    let mut out = vec![
        Mesh::load(&[meshlock::seed::cluster_source()], &MeshSettings::default())
            .unwrap()
            .mesh,
    ];
    for seed in [1, 7, 42] {
        let spec = GenSpec {
            seed,
            namespaces: 5,
            workloads_per_namespace: 4,
            ..GenSpec::default()
        };
        let yaml = cluster(&spec);
        out.push(
            Mesh::load(&[Source::new("gen.yaml", yaml)], &MeshSettings::default())
                .unwrap()
                .mesh,
        );
    }
    out
}

fn class_of(edge: &meshlock::Edge) -> OutcomeClass {
    use meshlock::{Reason, Transport, Verdict};
    match (edge.response.verdict(), edge.response.reason) {
        (Verdict::Ok, _) if edge.response.transport == Some(Transport::Mtls) => OutcomeClass::OkMtls,
        (Verdict::Ok, _) => OutcomeClass::OkPlaintext,
        (_, Reason::RbacDenied) => OutcomeClass::Denied,
        (
            _,
            Reason::PlaintextToStrict
            | Reason::MtlsToNoSidecar
            | Reason::MtlsToDisabled
            | Reason::TlsOriginationRejected,
        ) => OutcomeClass::MtlsBroken,
        _ => OutcomeClass::OtherFailure,
    }
}

#[test]
fn the_map_counts_every_edge_of_the_matrix_once() {
    for mesh in meshes() {
        let matrix = mesh.matrix();
        let namespace_of: BTreeMap<&str, &str> = matrix
            .services
            .iter()
            .map(|s| (s.id.as_str(), s.namespace.as_str()))
            .collect();
        let mut want: BTreeMap<(String, String), BTreeMap<OutcomeClass, u64>> = BTreeMap::new();
        for e in &matrix.edges {
            let key = (e.from.namespace.clone(), namespace_of[e.to.as_str()].to_owned());
            *want.entry(key).or_default().entry(class_of(e)).or_default() += 1;
        }
        let map = mesh.namespace_map();
        assert_eq!(map.edges, matrix.edges.len() as u64);
        assert_eq!(map.clients, matrix.clients.len());
        assert_eq!(map.service_ports, matrix.services.len());
        let got: BTreeMap<(String, String), BTreeMap<OutcomeClass, u64>> = map
            .pairs
            .iter()
            .map(|p| {
                let counts = OutcomeClass::ALL
                    .iter()
                    .filter(|&&c| p.counts.get(c) > 0)
                    .map(|&c| (c, p.counts.get(c)))
                    .collect();
                assert_eq!(p.edges, p.counts.total());
                assert_eq!(Some(p.worst), p.counts.worst());
                ((p.from.clone(), p.to.clone()), counts)
            })
            .collect();
        assert_eq!(got, want);
        let sum = map.pairs.iter().fold(ClassCounts::default(), |mut acc, p| {
            acc.ok_mtls += p.counts.ok_mtls;
            acc.ok_plaintext += p.counts.ok_plaintext;
            acc.denied += p.counts.denied;
            acc.other_failure += p.counts.other_failure;
            acc.mtls_broken += p.counts.mtls_broken;
            acc
        });
        assert_eq!(sum, map.totals);
        let clients: usize = map.namespaces.iter().map(|n| n.clients).sum();
        let ports: usize = map.namespaces.iter().map(|n| n.service_ports).sum();
        assert_eq!((clients, ports), (map.clients, map.service_ports));
    }
}

#[test]
fn a_pair_matrix_is_the_full_matrix_restricted_to_the_pair() {
    for mesh in meshes() {
        let matrix = mesh.matrix();
        let map = mesh.namespace_map();
        for pair in &map.pairs {
            let sub = mesh.matrix_between(Some(&pair.from), Some(&pair.to));
            assert!(sub.clients.iter().all(|c| c.id.namespace == pair.from));
            assert!(sub.services.iter().all(|s| s.namespace == pair.to));
            let want: Vec<_> = matrix
                .edges
                .iter()
                .filter(|e| e.from.namespace == pair.from && sub.services.iter().any(|s| s.id == e.to))
                .cloned()
                .collect();
            assert_eq!(sub.edges, want);
            assert_eq!(sub.edges.len() as u64, pair.edges);
        }
        assert_eq!(mesh.matrix_between(None, None), matrix);
    }
}

#[test]
fn the_seed_map() {
    let mesh = &meshes()[0];
    let map = mesh.namespace_map();
    let legacy_to_foo = map.pairs.iter().find(|p| p.from == "legacy" && p.to == "foo").unwrap();
    assert_eq!(legacy_to_foo.worst, OutcomeClass::OkPlaintext);
    let names: Vec<&str> = map.namespaces.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["bar", "foo", "legacy"]);
}

/// The weighings the playground's evidence filter sends: every scope, with the seed's intents and
/// observed traffic (given as options, so the weighed mesh is another mesh with its own table).
fn weighings() -> Vec<meshlock::api::Weighing> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let intents = vec![Source::new(
        "seed-httpbin-foo.yaml",
        read("intents/seed-httpbin-foo.yaml"),
    )];
    let observations =
        meshlock::telemetry::Observations::parse("seed-step2.json", &read("telemetry/seed-step2.json")).unwrap();
    let scopes = [
        "all",
        "possible",
        "forbidden",
        "declared",
        "observed",
        "declared,observed",
    ];
    scopes
        .iter()
        .flat_map(|&edges| {
            [
                meshlock::api::Weighing {
                    edges: Some(edges.parse().unwrap()),
                    ..Default::default()
                },
                meshlock::api::Weighing {
                    edges: Some(edges.parse().unwrap()),
                    intents: intents.clone(),
                    observations: Some(observations.clone()),
                    ..Default::default()
                },
            ]
        })
        .collect()
}

#[test]
fn the_weighed_map_and_grid_are_the_weighed_matrix() {
    use meshlock::api::{matrix_between_weighed, matrix_weighed, namespace_map_weighed};
    use meshlock::classes::ClassTable;
    for mesh in meshes() {
        let table = ClassTable::new(&mesh);
        for weighing in weighings() {
            let scope = weighing.edges;
            let matrix = matrix_weighed(&mesh, weighing.clone()).unwrap();
            let grid = matrix_between_weighed(&mesh, &table, None, None, weighing.clone()).unwrap();
            assert_eq!(grid.edges, matrix.edges, "scope {scope:?}");
            assert!(grid.edges.iter().all(|e| e.evidence.is_some()));
            let namespace_of: BTreeMap<&str, &str> = grid
                .services
                .iter()
                .map(|s| (s.id.as_str(), s.namespace.as_str()))
                .collect();
            let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
            for e in &matrix.edges {
                *want
                    .entry((e.from.namespace.clone(), namespace_of[e.to.as_str()].to_owned()))
                    .or_default() += 1;
            }
            let map = namespace_map_weighed(&mesh, &table, weighing.clone()).unwrap();
            let got: BTreeMap<(String, String), u64> = map
                .pairs
                .iter()
                .map(|p| ((p.from.clone(), p.to.clone()), p.edges))
                .collect();
            assert_eq!(got, want, "scope {scope:?}");
            assert_eq!(map.edges, matrix.edges.len() as u64);
            for pair in map.pairs.iter().take(3) {
                let sub =
                    matrix_between_weighed(&mesh, &table, Some(&pair.from), Some(&pair.to), weighing.clone()).unwrap();
                assert_eq!(sub.edges.len() as u64, pair.edges, "scope {scope:?}");
            }
        }
    }
}

#[test]
fn a_bad_scope_is_a_bad_request() {
    let request = meshlock::api::WeighRequest {
        edges: Some("rumoured".to_owned()),
        ..Default::default()
    };
    let err = request.resolve(meshes()[0].limits()).unwrap_err();
    assert_eq!(err.code, meshlock::api::ErrorCode::BadRequest);
    assert!(err.message.contains("rumoured"), "{}", err.message);
}
