//! Typed decoding of one object, keeping the unknown fields and the path of the first error.

use serde::de::DeserializeOwned;

use super::DocContext;
use super::locate::YamlPath;
use crate::diagnostic::{Code, Diagnostic};

pub struct Decoded<T> {
    pub value: T,
    pub unknown: Vec<YamlPath>,
}

pub struct DecodeError {
    error: yaml_serde::Error,
    path: YamlPath,
}

/// Decodes one document's text (a whole document or a `kind: List` item) into `T`.
pub fn decode_object<T: DeserializeOwned>(text: &str) -> Result<Decoded<T>, DecodeError> {
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(yaml_serde::Deserializer::from_str(text), &mut track);
    let result = serde_ignored::deserialize(de, |p| unknown.push(YamlPath::from_ignored(&p)));
    match result {
        Ok(value) => Ok(Decoded { value, unknown }),
        Err(error) => Err(DecodeError {
            error,
            path: YamlPath::from_tracked(&track.path()),
        }),
    }
}

impl DecodeError {
    pub(super) fn into_diagnostic(self, ctx: &DocContext<'_>) -> Diagnostic {
        let full = self.path.clone();
        let position = self.error.location().map(|l| (l.line(), l.column()));
        let raw = self.error.to_string();
        // The library appends its own " at line X column Y"; meshlock prints the location itself.
        let message = raw.split(" at line ").next().unwrap_or(&raw);
        // …and may prefix the path, which the location already carries.
        let inner = self.path.to_string();
        let message = message
            .strip_prefix(&format!("{inner}: "))
            .unwrap_or(message)
            .to_owned();
        let (code, help) = classify(&message);
        let mut location = ctx.location(&full, position);
        if position.is_none() && location.line.is_none() {
            location = ctx.location(&YamlPath::default(), None);
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
