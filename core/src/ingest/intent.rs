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

use yaml_serde::Value;

use super::decode::decode_plain;
use super::locate::YamlPath;
use super::{ObjectReader, Read, Resource};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::ingest::Source;
use crate::model::{IntentPeer, IntentTarget, Labels, Origin, Port, TrafficIntent};

// The document is read as a YAML value and walked here, not decoded into wire structs: typed
// decoders cost the browser's module several KB each (decode.rs), and this kind has few fields.
// Every field is still read or reported: unknown keys are ML104, wrong types ML102.

const FROM_KEYS: [&str; 4] = ["namespace", "workload", "matchLabels", "caller"];
const TO_KEYS: [&str; 2] = ["service", "ports"];

fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_mapping().and_then(|m| m.get(key)).filter(|v| !v.is_null())
}

impl ObjectReader<'_> {
    /// A string field, or an error at its path.
    fn text_at(&self, value: &Value, key: &str, path: &YamlPath, errors: &mut Vec<Read>) -> Option<String> {
        let field = get(value, key)?;
        match field.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                errors.push(self.error(
                    Code::InvalidValue,
                    path.clone().key(key),
                    format!("`{key}` must be a string"),
                    "see the TrafficIntent format in the README",
                ));
                None
            }
        }
    }

    /// Keys of a mapping that are not `known`, as ML104 warnings; a value that is not a mapping
    /// is an error.
    fn keys_at(
        &self,
        value: &Value,
        known: &[&str],
        path: &YamlPath,
        out: &mut Vec<Read>,
        errors: &mut Vec<Read>,
    ) -> bool {
        let Some(map) = value.as_mapping() else {
            errors.push(self.error(
                Code::InvalidValue,
                path.clone(),
                "expected a mapping".to_owned(),
                "see the TrafficIntent format in the README",
            ));
            return false;
        };
        let unknown = map
            .keys()
            .filter_map(Value::as_str)
            .filter(|k| !known.contains(k))
            .map(|k| path.clone().key(k))
            .collect();
        self.report_unknown(unknown, out);
        true
    }

    /// A list field (absent: empty), or an error at its path.
    fn list_at<'v>(&self, value: &'v Value, key: &str, path: &YamlPath, errors: &mut Vec<Read>) -> &'v [Value] {
        match get(value, key) {
            None => &[],
            Some(Value::Sequence(items)) => items,
            Some(_) => {
                errors.push(self.error(
                    Code::InvalidValue,
                    path.clone().key(key),
                    format!("`{key}` must be a list"),
                    "see the TrafficIntent format in the README",
                ));
                &[]
            }
        }
    }

    pub(super) fn traffic_intent(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let doc = match decode_plain::<Value>(&self.ctx.doc.text) {
            Ok(doc) => doc,
            Err(err) => {
                out.push(self.decode_error(err));
                return out;
            }
        };
        let root = YamlPath::default();
        let mut errors = Vec::new();
        let metadata = get(&doc, "metadata").cloned().unwrap_or(Value::Null);
        let meta_path = root.clone().key("metadata");
        let name = self
            .text_at(&metadata, "name", &meta_path, &mut errors)
            .filter(|n| !n.is_empty());
        let Some(name) = name else {
            if errors.is_empty() {
                errors.push(self.error(
                    Code::MissingField,
                    meta_path,
                    "resource has no `metadata.name`".to_owned(),
                    "add `metadata.name`",
                ));
            }
            out.extend(errors);
            return out;
        };
        let namespace = self
            .text_at(&metadata, "namespace", &meta_path, &mut errors)
            .or_else(|| self.ctx.source.namespace.clone())
            .unwrap_or_else(|| "default".to_owned());
        let spec_path = root.key("spec");
        let spec = get(&doc, "spec").cloned().unwrap_or(Value::Null);
        if !spec.is_null() {
            self.keys_at(&spec, &["from", "to"], &spec_path, &mut out, &mut errors);
        }
        let mut from = Vec::new();
        let from_items = self.list_at(&spec, "from", &spec_path, &mut errors);
        for (i, f) in from_items.iter().enumerate() {
            let path = spec_path.clone().key("from").index(i);
            if !self.keys_at(f, &FROM_KEYS, &path, &mut out, &mut errors) {
                continue;
            }
            let location = self.ctx.location(&path, None);
            let field_namespace = self.text_at(f, "namespace", &path, &mut errors);
            let field_workload = self.text_at(f, "workload", &path, &mut errors);
            let caller = self.text_at(f, "caller", &path, &mut errors);
            let labels = match get(f, "matchLabels") {
                None => None,
                Some(v) => match v.as_mapping().and_then(|m| {
                    m.iter()
                        .map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
                        .collect::<Option<Labels>>()
                }) {
                    Some(labels) => Some(labels),
                    None => {
                        errors.push(self.error(
                            Code::InvalidValue,
                            path.clone().key("matchLabels"),
                            "`matchLabels` must map label names to strings".to_owned(),
                            "write `matchLabels: {app: sleep}`",
                        ));
                        continue;
                    }
                },
            };
            if let Some(caller) = caller {
                if field_workload.is_some() || field_namespace.is_some() || labels.is_some() {
                    errors.push(self.error(
                        Code::InvalidValue,
                        path.clone().key("caller"),
                        "`caller` names one caller: it takes no `namespace`, `workload` or `matchLabels`".to_owned(),
                        "write `caller: NS/NAME` alone, or describe workloads with `namespace`/`workload`/`matchLabels`",
                    ));
                    continue;
                }
                match crate::model::parse_client(&caller) {
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
            if field_workload.is_none() && field_namespace.is_none() && labels.is_none() {
                errors.push(self.error(
                    Code::MissingField,
                    path,
                    "a `from` entry names no caller".to_owned(),
                    "give `workload`, `namespace` (with `matchLabels`, optionally) or `caller`",
                ));
                continue;
            }
            let (ns, workload) = match field_workload.as_deref().map(|w| w.split_once('/')) {
                Some(Some((ns, w))) => (ns.to_owned(), Some(w.to_owned())),
                Some(None) => (
                    field_namespace.clone().unwrap_or_else(|| namespace.clone()),
                    field_workload.clone(),
                ),
                None => (field_namespace.clone().unwrap_or_else(|| namespace.clone()), None),
            };
            if ns.is_empty() || workload.as_deref().is_some_and(|w| w.is_empty() || w.contains('/')) {
                errors.push(self.error(
                    Code::InvalidValue,
                    path.key("workload"),
                    format!(
                        "`{}` is not a workload name",
                        field_workload.as_deref().unwrap_or_default()
                    ),
                    "write `workload: NAME` (in the intent's namespace or `namespace:`) or `workload: NS/NAME`",
                ));
                continue;
            }
            from.push(IntentPeer {
                namespace: ns,
                workload: workload.filter(|w| w != "*"),
                labels,
                external: false,
                location,
            });
        }
        let mut to = Vec::new();
        let to_items = self.list_at(&spec, "to", &spec_path, &mut errors);
        for (i, t) in to_items.iter().enumerate() {
            let path = spec_path.clone().key("to").index(i);
            if !self.keys_at(t, &TO_KEYS, &path, &mut out, &mut errors) {
                continue;
            }
            let service = self.text_at(t, "service", &path, &mut errors);
            let Some(service) = service.filter(|s| !s.trim().is_empty()) else {
                errors.push(self.error(
                    Code::MissingField,
                    path,
                    "a `to` entry names no service".to_owned(),
                    "give `service: HOST` (e.g. `httpbin` or `httpbin.foo`) and, optionally, `ports`",
                ));
                continue;
            };
            let mut ports = Vec::new();
            for (j, p) in self.list_at(t, "ports", &path, &mut errors).iter().enumerate() {
                match p.as_i64().and_then(Port::parse) {
                    Some(port) => ports.push(port),
                    None => errors.push(self.error(
                        Code::InvalidValue,
                        path.clone().key("ports").index(j),
                        "not a port number".to_owned(),
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
        if errors.is_empty() && (from_items.is_empty() || to_items.is_empty()) {
            let missing = if from_items.is_empty() { "from" } else { "to" };
            errors.push(self.error(
                Code::MissingField,
                spec_path,
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
