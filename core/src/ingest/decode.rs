//! Typed decoding of one object, keeping the unknown fields; an error keeps the position and the
//! path yaml_serde reports for it.

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
}

/// Decodes one document's text (a whole document or a `kind: List` item) into `T`.
pub fn decode_object<T: DeserializeOwned>(text: &str) -> Result<Decoded<T>, DecodeError> {
    let mut unknown = Vec::new();
    let de = yaml_serde::Deserializer::from_str(text);
    match serde_ignored::deserialize(de, |p| unknown.push(YamlPath::from_ignored(&p))) {
        Ok(value) => Ok(Decoded { value, unknown }),
        Err(error) => Err(DecodeError { error }),
    }
}

/// Decodes a Kubernetes kind, of which meshlock reads a few fields and skips the rest quietly:
/// no unknown-field tracking, so one generic layer less per type.
pub fn decode_plain<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    yaml_serde::from_str(text).map_err(|error| DecodeError { error })
}

impl DecodeError {
    pub(super) fn into_diagnostic(self, ctx: &DocContext<'_>) -> Diagnostic {
        let position = self.error.location().map(|l| (l.line(), l.column()));
        let raw = self.error.to_string();
        // yaml_serde writes `PATH: MESSAGE at line L column C`; meshlock shows path and position
        // in their own fields.
        let message = raw.split(" at line ").next().unwrap_or(&raw);
        let (full, message) = match message.split_once(": ") {
            Some((path, rest)) if !path.contains(' ') && path != "." => (YamlPath::parse(path), rest.to_owned()),
            _ => (YamlPath::default(), message.to_owned()),
        };
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
