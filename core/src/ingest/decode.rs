//! Typed decoding of one object, keeping the unknown fields; an error keeps the position and the
//! path yaml_serde reports for it.

use serde::de::DeserializeOwned;

use super::DocContext;
use super::locate::YamlPath;
use super::wire::Head;
use crate::diagnostic::{Code, Diagnostic};

pub struct Decoded<T> {
    pub value: T,
    pub unknown: Vec<YamlPath>,
}

pub struct DecodeError {
    error: yaml_serde::Error,
    /// Whether the error's position is in the document as written (not in its merged rewrite).
    positioned: bool,
}

impl DecodeError {
    fn written(error: yaml_serde::Error) -> Self {
        Self {
            error,
            positioned: true,
        }
    }
}

/// Decodes one document's text (a whole document or a `kind: List` item) into `T`.
pub fn decode_object<T: DeserializeOwned>(text: &str) -> Result<Decoded<T>, DecodeError> {
    // Not in the browser's module: a second deserializer per type costs it 100+ KB gzipped.
    #[cfg(not(target_arch = "wasm32"))]
    if is_json(text) {
        let mut unknown = Vec::new();
        let mut de = serde_json::Deserializer::from_str(text);
        if let Ok(value) = serde_ignored::deserialize(&mut de, |p| unknown.push(YamlPath::from_ignored(&p)))
            && de.end().is_ok()
        {
            return Ok(Decoded { value, unknown });
        }
    }
    let merged = merged(text);
    let mut unknown = Vec::new();
    let de = yaml_serde::Deserializer::from_str(merged.as_deref().unwrap_or(text));
    match serde_ignored::deserialize(de, |p| unknown.push(YamlPath::from_ignored(&p))) {
        Ok(value) => Ok(Decoded { value, unknown }),
        Err(error) => Err(DecodeError {
            error,
            positioned: merged.is_none(),
        }),
    }
}

/// The document with its merge keys (`<<: *base`) applied, as Kubernetes' YAML reader applies
/// them, written back as YAML; `None` when it has none (or does not parse: the plain decode
/// reports that). Decoding that text, not the merged value, keeps one deserializer per type (a
/// second costs the browser's module 100+ KB gzipped); positions are lost, so an error in a merged
/// document is located by its path.
fn merged(text: &str) -> Option<String> {
    if !text.contains("<<") {
        return None;
    }
    let mut value: yaml_serde::Value = yaml_serde::from_str(text).ok()?;
    value.apply_merge().ok()?;
    yaml_serde::to_string(&value).ok()
}

/// The document without the fields at `unknown` (the unknown fields meshlock reported, ML104), as
/// the API server stores an object after pruning the fields its structural schema does not declare
/// (and as `kubectl apply`'s strict field validation wants it): what a rollback restores. `None`
/// when there is nothing to prune or the text cannot be rewritten.
pub fn pruned(text: &str, unknown: &[YamlPath]) -> Option<String> {
    use super::locate::Segment;
    use yaml_serde::Value;
    if unknown.is_empty() {
        return None;
    }
    let mut value: Value = yaml_serde::from_str(merged(text).as_deref().unwrap_or(text)).ok()?;
    for path in unknown {
        let (last, parents) = path.segments().split_last()?;
        let mut node = &mut value;
        for segment in parents {
            node = match (segment, node) {
                (Segment::Key(k), Value::Mapping(map)) => map.iter_mut().find(|(key, _)| key_is(key, k))?.1,
                (Segment::Index(i), Value::Sequence(items)) => items.get_mut(*i)?,
                _ => return None,
            };
        }
        let (Segment::Key(k), Value::Mapping(map)) = (last, node) else {
            return None;
        };
        let key = map.keys().find(|key| key_is(key, k))?.clone();
        map.remove(&key);
    }
    yaml_serde::to_string(&value).ok()
}

/// Whether a YAML map key reads as `name` (`8080:` is the key `8080`).
fn key_is(key: &yaml_serde::Value, name: &str) -> bool {
    match key {
        yaml_serde::Value::String(s) => s == name,
        yaml_serde::Value::Number(n) => n.to_string() == name,
        yaml_serde::Value::Bool(b) => b.to_string() == name,
        _ => false,
    }
}

/// Decodes a Kubernetes kind, of which meshlock reads a few fields and skips the rest quietly:
/// no unknown-field tracking, so one generic layer less per type.
pub fn decode_plain<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    #[cfg(not(target_arch = "wasm32"))]
    if is_json(text)
        && let Ok(value) = serde_json::from_str(text)
    {
        return Ok(value);
    }
    match merged(text) {
        Some(merged) => yaml_serde::from_str(&merged).map_err(|error| DecodeError {
            error,
            positioned: false,
        }),
        None => yaml_serde::from_str(text).map_err(DecodeError::written),
    }
}

/// `apiVersion` and `kind` when they are a YAML document's first two lines, as `kubectl get -o yaml`
/// writes them, and no other line could be a top-level `apiVersion` or `kind`. A line scan where a
/// decode would parse the whole document once more; the whole document is decoded next anyway, so
/// its errors are still reported. Anything unusual gives `None`, for the full decode.
pub fn quick_head(text: &str) -> Option<Head> {
    let mut lines = text.lines().filter(|l| {
        let t = l.trim_start_matches(' ');
        !t.is_empty() && !t.starts_with('#')
    });
    let first = lines.next()?;
    let indent = first.len() - first.trim_start_matches(' ').len();
    let mut head = Head {
        api_version: None,
        kind: None,
    };
    for line in [first, lines.next()?] {
        let (key, value) = line.get(indent..)?.split_once(": ")?;
        let value = value.trim_end_matches(' ');
        let plain = value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'-'));
        // `null` would decode as no value; `List` is read by its own path.
        if value.is_empty() || !plain || matches!(value, "null" | "Null" | "NULL" | "List") {
            return None;
        }
        let slot = match key {
            "apiVersion" => &mut head.api_version,
            "kind" => &mut head.kind,
            _ => return None,
        };
        if slot.replace(value.to_owned()).is_some() {
            return None;
        }
    }
    for (n, line) in lines.enumerate() {
        let (pad, rest) = line.split_at_checked(indent)?;
        if !pad.bytes().all(|b| b == b' ') {
            return None;
        }
        if rest.starts_with(' ') {
            // A more indented line right after the head would continue the `kind` scalar.
            if n == 0 {
                return None;
            }
            continue;
        }
        // A top-level key: plain, and neither of the two (a duplicate is an error to report).
        let plain = rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-');
        if !plain || rest.starts_with("kind") || rest.starts_with("apiVersion") {
            return None;
        }
    }
    Some(head)
}

/// JSON (a `kubectl get -o json` object) is decoded by serde_json, several times faster than a
/// YAML parser. JSON is YAML, and what serde_json accepts the YAML decoder reads the same way; what
/// it rejects (or YAML that only looks like JSON) goes to the YAML decoder, whose errors carry the
/// path and position shown to users.
#[cfg(not(target_arch = "wasm32"))]
fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

impl DecodeError {
    pub(super) fn into_diagnostic(self, ctx: &DocContext<'_>) -> Diagnostic {
        let position = self
            .error
            .location()
            .filter(|_| self.positioned)
            .map(|l| (l.line(), l.column()));
        let raw = self.error.to_string();
        // yaml_serde writes `PATH: MESSAGE at line L column C`; meshlock shows path and position
        // in their own fields.
        let message = raw.split(" at line ").next().unwrap_or(&raw);
        let (full, message) = match message.split_once(": ") {
            Some((path, rest)) if !path.contains(' ') && path != "." => (YamlPath::parse(path), rest.to_owned()),
            _ => (YamlPath::default(), message.to_owned()),
        };
        let (code, help) = classify(&message);
        let message = if message.contains("more than one document") {
            "content after the end of the document (a stray `]` or `}`, or a second document without `---`)".to_owned()
        } else {
            message
        };
        let mut location = ctx.location(&full, position);
        if position.is_none() && location.line.is_none() {
            location = ctx.location(&YamlPath::default(), None);
        }
        if message.contains("control characters") {
            // libyaml's reader reports a character offset in the message, not a line.
            let text = ctx.doc.text.as_ref();
            if let Some(at) = text.find(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
                let before = text.get(..at).unwrap_or_default();
                let line = before.matches('\n').count();
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                location.line = Some(line + ctx.doc.first_line);
                location.column = Some(column);
            }
        }
        if location.line.is_none() {
            // Not found by path (the text does not parse): the document's first line.
            let (line, column) = ctx.doc.start();
            location.line = Some(line);
            location.column = Some(column);
        }
        Diagnostic::error(code, message).with_help(help).at(location)
    }
}

fn classify(message: &str) -> (Code, &'static str) {
    if message.contains("unknown variant") {
        (
            Code::InvalidValue,
            "use one of the values listed; Istio enum values are upper case",
        )
    } else if message.contains("invalid type") || message.contains("invalid value") {
        (
            Code::InvalidValue,
            "fix the value's type (a list, a map, a string or a number as the schema says)",
        )
    } else if message.contains("recursion limit") || message.contains("repetition limit") {
        (
            Code::InputLimit,
            "the document nests too deeply or expands too many aliases; meshlock refuses it",
        )
    } else {
        (
            Code::YamlSyntax,
            "fix the YAML syntax at this position (indentation, quotes, a missing `:`)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_head_reads_kubectl_heads_only() {
        let head = quick_head("# c\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: a\n  spec: {}\n")
            .unwrap();
        assert_eq!(head.api_version.as_deref(), Some("apps/v1"));
        assert_eq!(head.kind.as_deref(), Some("Deployment"));
        for unusual in [
            "kind: Pod\napiVersion: v1\nkind: Service\n",
            "apiVersion: v1\nkind: Pod\n  continued\n",
            "apiVersion: v1\nkind: Pod # comment\n",
            "apiVersion: null\nkind: Pod\n",
            "apiVersion: v1\nkind: List\n",
            "apiVersion: v1\nkind: Pod\n\"kind\": Service\n",
            "apiVersion: v1\nkind: Pod\n !x: 1\n",
            "metadata: {}\napiVersion: v1\nkind: Pod\n",
            "{apiVersion: v1, kind: Pod}\n",
        ] {
            assert!(quick_head(unusual).is_none(), "{unusual}");
        }
    }

    #[test]
    fn json_decodes_as_yaml_would() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Named {
            name: Option<String>,
        }
        // serde_json rejects a number for a string; YAML reads it as the string `5`.
        assert_eq!(
            decode_plain::<Named>("{\"name\": 5}").ok(),
            Some(Named {
                name: Some("5".to_owned())
            })
        );
        let decoded = decode_object::<Named>("  {\"name\": \"a\", \"spec\": {\"x\": 1}}")
            .ok()
            .unwrap();
        assert_eq!(decoded.value.name.as_deref(), Some("a"));
        assert_eq!(decoded.unknown.len(), 1);
    }

    #[test]
    fn pruned_drops_exactly_the_unknown_fields() {
        let text = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {name: a}\nspec:\n  mtl: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: DISABLE, mdoe: x}\n  list: [{keep: 1, drop: 2}]\n";
        let unknown = [
            YamlPath::parse("spec.mtl"),
            YamlPath::parse("spec.portLevelMtls.8080.mdoe"),
            YamlPath::parse("spec.list[0].drop"),
        ];
        let out = pruned(text, &unknown).unwrap();
        let value: yaml_serde::Value = yaml_serde::from_str(&out).unwrap();
        let want: yaml_serde::Value = yaml_serde::from_str(
            "{apiVersion: security.istio.io/v1beta1, kind: PeerAuthentication, metadata: {name: a}, spec: {portLevelMtls: {8080: {mode: DISABLE}}, list: [{keep: 1}]}}",
        )
        .unwrap();
        assert_eq!(value, want);
        assert_eq!(pruned(text, &[]), None);
        assert_eq!(pruned(text, &[YamlPath::parse("spec.nothere")]), None);
        assert_eq!(
            pruned("{spec: {a: 1}, x: 1}", &[YamlPath::parse("spec.a")]).as_deref(),
            Some("spec: {}\nx: 1\n")
        );
    }
}
