//! Declared traffic: `meshlock.dev/v1alpha1` TrafficIntent documents, and the same as CSV.
//!
//! ```yaml
//! apiVersion: meshlock.dev/v1alpha1
//! kind: TrafficIntent
//! metadata: {name: httpbin-callers, namespace: foo}
//! spec:
//!   from:
//!   - workload: sleep              # one workload (namespace: the intent's, or `namespace:`)
//!   - namespace: bar               # every workload of a namespace…
//!     matchLabels: {app: sleep}    # …that these labels select
//!   - caller: external/lb          # a caller outside the mesh (ExternalCaller, ingress, …)
//!   to:
//!   - service: httpbin             # a host, resolved from the intent's namespace
//!     ports: [8000]                # none: every port of the service
//! ```
//!
//! CSV (a source whose first line that is neither blank nor a `#` comment is the header `from,to`):
//! one edge per line, `NS/WORKLOAD` or `NS/*` then `HOST:PORT`, `HOST:*` or `HOST` (every port),
//! the host resolved from the client's namespace as a probe's is. Every line is read or reported
//! with its position; none is dropped.

use serde::Deserialize;

use super::locate::YamlPath;
use super::wire::{Labels, ObjectMeta, nullable};
use super::{ObjectReader, Read, Resource};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::ingest::Source;
use crate::model::{IntentPeer, IntentTarget, Origin, Port, TrafficIntent};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Wire {
    #[serde(deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    pub spec: Spec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Spec {
    #[serde(deserialize_with = "nullable")]
    pub from: Vec<From>,
    #[serde(deserialize_with = "nullable")]
    pub to: Vec<To>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct From {
    pub namespace: Option<String>,
    pub workload: Option<String>,
    pub match_labels: Option<Labels>,
    pub caller: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct To {
    pub service: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub ports: Vec<i64>,
}

impl ObjectReader<'_> {
    pub(super) fn traffic_intent(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((intent, unknown)) = self.decode_spec::<Wire>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&intent.metadata, &mut out) else {
            return out;
        };
        let namespace = self.namespace_of(&intent.metadata);
        let spec = YamlPath::default().key("spec");
        let mut errors = Vec::new();
        let mut from = Vec::new();
        for (i, f) in intent.spec.from.iter().enumerate() {
            let path = spec.clone().key("from").index(i);
            let location = self.ctx.location(&path, None);
            if let Some(caller) = &f.caller {
                if f.workload.is_some() || f.namespace.is_some() || f.match_labels.is_some() {
                    errors.push(self.error(
                        Code::InvalidValue,
                        path.clone().key("caller"),
                        "`caller` names one caller: it takes no `namespace`, `workload` or `matchLabels`".to_owned(),
                        "write `caller: NS/NAME` alone, or describe workloads with `namespace`/`workload`/`matchLabels`",
                    ));
                    continue;
                }
                match crate::model::parse_client(caller) {
                    Ok(id) => from.push(IntentPeer {
                        namespace: id.namespace,
                        workload: Some(id.name),
                        labels: None,
                        external: true,
                        location,
                    }),
                    Err(_) => errors.push(self.error(
                        Code::InvalidValue,
                        path.key("caller"),
                        format!("`{caller}` is not NS/NAME"),
                        "name the caller as its ExternalCaller is named, e.g. `external/lb`",
                    )),
                }
                continue;
            }
            if f.workload.is_none() && f.namespace.is_none() && f.match_labels.is_none() {
                errors.push(self.error(
                    Code::MissingField,
                    path,
                    "a `from` entry names no caller".to_owned(),
                    "give `workload`, `namespace` (with `matchLabels`, optionally) or `caller`",
                ));
                continue;
            }
            let (ns, workload) = match f.workload.as_deref().map(|w| w.split_once('/')) {
                Some(Some((ns, w))) => (ns.to_owned(), Some(w.to_owned())),
                Some(None) => (
                    f.namespace.clone().unwrap_or_else(|| namespace.clone()),
                    f.workload.clone(),
                ),
                None => (f.namespace.clone().unwrap_or_else(|| namespace.clone()), None),
            };
            if ns.is_empty() || workload.as_deref().is_some_and(|w| w.is_empty() || w.contains('/')) {
                errors.push(self.error(
                    Code::InvalidValue,
                    path.key("workload"),
                    format!("`{}` is not a workload name", f.workload.as_deref().unwrap_or_default()),
                    "write `workload: NAME` (in the intent's namespace or `namespace:`) or `workload: NS/NAME`",
                ));
                continue;
            }
            from.push(IntentPeer {
                namespace: ns,
                workload: workload.filter(|w| w != "*"),
                labels: f.match_labels.clone(),
                external: false,
                location,
            });
        }
        let mut to = Vec::new();
        for (i, t) in intent.spec.to.iter().enumerate() {
            let path = spec.clone().key("to").index(i);
            let Some(service) = t.service.as_deref().filter(|s| !s.trim().is_empty()) else {
                errors.push(self.error(
                    Code::MissingField,
                    path,
                    "a `to` entry names no service".to_owned(),
                    "give `service: HOST` (e.g. `httpbin` or `httpbin.foo`) and, optionally, `ports`",
                ));
                continue;
            };
            let mut ports = Vec::new();
            for (j, p) in t.ports.iter().enumerate() {
                match Port::parse(*p) {
                    Some(port) => ports.push(port),
                    None => errors.push(self.error(
                        Code::InvalidValue,
                        path.clone().key("ports").index(j),
                        format!("`{p}` is not a port number"),
                        "ports are the Service's port numbers, 1–65535",
                    )),
                }
            }
            to.push(IntentTarget {
                host: service.trim().to_owned(),
                ports,
                location: self.ctx.location(&path, None),
            });
        }
        if intent.spec.from.is_empty() || intent.spec.to.is_empty() {
            let missing = if intent.spec.from.is_empty() { "from" } else { "to" };
            errors.push(self.error(
                Code::MissingField,
                spec,
                format!("TrafficIntent `{name}` has no `{missing}`"),
                "a TrafficIntent lists who calls (`from`) and what (`to`)",
            ));
        }
        if !errors.is_empty() {
            out.extend(errors);
            return out;
        }
        out.push(Read::Modelled(Resource::Intent(TrafficIntent {
            display: format!("TrafficIntent {namespace}/{name}"),
            namespace,
            from,
            to,
            origin: self.ctx.origin(),
        })));
        out
    }
}

/// Whether a source is an intents CSV: its first line that is neither blank nor a comment is the
/// header `from,to`.
pub fn is_csv(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|header| {
            let cells: Vec<String> = header.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
            cells == ["from", "to"]
        })
}

/// The intents of a CSV source, one per line, or the problems of its lines (all or nothing).
pub fn read_csv(source: &Source) -> (Vec<TrafficIntent>, Vec<Diagnostic>) {
    let mut intents = Vec::new();
    let mut problems = Vec::new();
    let mut header_seen = false;
    for (i, raw) in source.text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let at = |column: usize| Location {
            source: source.name.clone(),
            document: None,
            path: None,
            line: Some(line),
            column: Some(column),
        };
        let cells: Vec<&str> = raw.split(',').collect();
        let [from, to] = cells.as_slice() else {
            problems.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("line has {} field(s), the header `from,to` two", cells.len()),
                )
                .with_help("one edge per line: `NS/WORKLOAD,HOST:PORT` (`NS/*` for a namespace, `HOST` for every port)")
                .at(at(1)),
            );
            continue;
        };
        let to_column = from.len() + 2;
        let client = match from.trim().split_once('/') {
            Some((ns, w)) if !ns.is_empty() && !w.is_empty() && !w.contains('/') => (ns.to_owned(), w.to_owned()),
            _ => {
                problems.push(
                    Diagnostic::error(Code::InvalidValue, format!("`{}` is not NS/WORKLOAD or NS/*", from.trim()))
                        .with_help("name the client as `meshlock matrix` does, e.g. `foo/sleep`, or `foo/*` for every workload of foo")
                        .at(at(1)),
                );
                continue;
            }
        };
        let to = to.trim();
        let (host, ports) = match to.rsplit_once(':') {
            Some((host, "*")) => (host, Vec::new()),
            Some((host, port)) => match port.parse::<i64>().ok().and_then(Port::parse) {
                Some(p) => (host, vec![p]),
                None => {
                    problems.push(
                        Diagnostic::error(Code::InvalidValue, format!("`{port}` is not a port number"))
                            .with_help("write the target as HOST:PORT, HOST:* or HOST")
                            .at(at(to_column)),
                    );
                    continue;
                }
            },
            None => (to, Vec::new()),
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            problems.push(
                Diagnostic::error(Code::InvalidValue, format!("`{to}` is not a service host"))
                    .with_help("write the target as HOST:PORT, e.g. `httpbin.foo:8000`")
                    .at(at(to_column)),
            );
            continue;
        }
        let (namespace, workload) = client;
        intents.push(TrafficIntent {
            display: format!("{}:{line}", source.name),
            namespace: namespace.clone(),
            from: vec![IntentPeer {
                namespace,
                workload: (workload != "*").then_some(workload),
                labels: None,
                external: false,
                location: at(1),
            }],
            to: vec![IntentTarget {
                host: host.to_owned(),
                ports,
                location: at(to_column),
            }],
            origin: Origin {
                source: source.name.clone(),
                document: 0,
                path: String::new(),
                line: Some(line),
                column: Some(1),
            },
        });
    }
    if problems.is_empty() {
        (intents, problems)
    } else {
        (Vec::new(), problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_are_read_or_reported() {
        let source = Source::new(
            "i.csv",
            "# expected callers\nfrom,to\nfoo/sleep,httpbin.foo:8000\nbar/*,httpbin.foo\n",
        );
        assert!(is_csv(&source.text));
        let (intents, problems) = read_csv(&source);
        assert!(problems.is_empty());
        assert_eq!(intents.len(), 2);
        assert_eq!(intents[1].from[0].workload, None);
        assert_eq!(intents[0].to[0].ports, vec![Port(8000)]);
        let bad = Source::new("b.csv", "from,to\nfoo/sleep,httpbin.foo:x\nsleep\n");
        let (intents, problems) = read_csv(&bad);
        assert!(intents.is_empty());
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].location.line, Some(2));
        assert_eq!(problems[0].location.column, Some(11));
        assert!(!is_csv("apiVersion: v1\nkind: List\n"));
    }
}
