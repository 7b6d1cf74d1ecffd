//! JavaScript's names: results written with camelCase keys, requests read from camelCase keys.
//! Node and the browser share these, so both engines speak the same JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiError;

/// A request from JavaScript: keys turned `camelCase` → `snake_case`, then the core's serde type,
/// whose `deny_unknown_fields` rejects a misspelt option. A key with `_` is refused (JavaScript
/// options are camelCase), and serde's messages name the keys as JavaScript spells them. `null`
/// (an argument left out) is an empty object: every option absent.
pub fn from_js<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, ApiError> {
    let value = if value.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        value
    };
    let value = keys_to_snake(value).map_err(|key| {
        ApiError::bad_request(
            what,
            format!("`{key}`: options are camelCase in JavaScript (`{}`)", camel(&key)),
        )
    })?;
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(what, camel_names(&e.to_string())))
}

/// A JavaScript method's request: its options object (`null`: none) with the operation's `op` and
/// its positional arguments (`keys`) added; options that are not an object are a `bad-request`.
pub fn js_request(
    op: &str,
    options: Value,
    keys: impl IntoIterator<Item = (&'static str, Value)>,
) -> Result<Value, ApiError> {
    let mut map = match options {
        Value::Null => serde_json::Map::new(),
        Value::Object(map) => map,
        other => {
            return Err(ApiError::bad_request(
                "options",
                format!("expected an object, got {other}"),
            ));
        }
    };
    map.insert("op".to_owned(), Value::String(op.to_owned()));
    map.extend(keys.into_iter().map(|(k, v)| (k.to_owned(), v)));
    Ok(Value::Object(map))
}

/// Results for JavaScript (Node and WASM): compact JSON with object keys turned `snake_case` →
/// `camelCase` as they are written, in the core's field order. Besides field names, the only keys
/// are data that Kubernetes and curl never spell with `_` (namespaces, `fqdn:port`, statuses,
/// change groups such as `mtls → fail`), so they pass unchanged.
pub fn to_camel_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    let mut out = Vec::with_capacity(256);
    value
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut out,
            CamelKeys::default(),
        ))
        .map_err(ApiError::unserialisable)?;
    String::from_utf8(out).map_err(ApiError::unserialisable)
}

/// JavaScript options (`istioVersion`) back to the core's names (`istio_version`), recursively;
/// a key that has a `_` already is the error.
pub fn keys_to_snake(value: Value) -> Result<Value, String> {
    Ok(match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match k.contains('_') {
                    true => Err(k),
                    false => Ok((snake(&k), keys_to_snake(v)?)),
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(keys_to_snake).collect::<Result<_, _>>()?),
        other => other,
    })
}

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// serde_json's compact formatter, writing object keys in camelCase.
#[derive(Default)]
struct CamelKeys {
    in_key: bool,
    key_started: bool,
    upper_next: bool,
}

impl serde_json::ser::Formatter for CamelKeys {
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        *self = CamelKeys {
            in_key: true,
            key_started: false,
            upper_next: false,
        };
        serde_json::ser::CompactFormatter.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.in_key = false;
        serde_json::ser::CompactFormatter.end_object_key(writer)
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if !self.in_key {
            return writer.write_all(fragment.as_bytes());
        }
        let mut buf = [0u8; 4];
        for c in fragment.chars() {
            let out = match c {
                '_' if self.key_started => {
                    self.upper_next = true;
                    continue;
                }
                c if self.upper_next => c.to_ascii_uppercase(),
                c => c,
            };
            self.key_started = true;
            self.upper_next = false;
            writer.write_all(out.encode_utf8(&mut buf).as_bytes())?;
        }
        Ok(())
    }
}
/// `snake_case` → `camelCase`, as [`to_camel_json`] writes keys.
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match c {
            '_' if !out.is_empty() => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// serde's message with each quoted name (`` `allow_break` ``) as JavaScript spells it.
fn camel_names(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { camel(part) } else { part.to_owned() })
        .collect::<Vec<_>>()
        .join("`")
}
