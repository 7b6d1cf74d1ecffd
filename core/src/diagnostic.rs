//! Diagnostics: every finding meshlock reports about its input, with a stable code and a location.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalogue of diagnostic codes. The code (`ML105`) and slug (`misplaced-peers`) are stable;
/// messages may be reworded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    YamlSyntax,
    InvalidValue,
    IgnoredKind,
    UnknownField,
    MisplacedPeers,
    InputLimit,
    MissingField,
    RemovedApi,
    VersionInferred,
    InvalidResource,
    PolicyConflict,
    UnqualifiedHost,
    RootSelectorIgnored,
    PortNotExposed,
    DestinationRulesMerged,
    NamespaceNotInInput,
    MixedInjection,
    DuplicateResource,
    AuthzCustomSkipped,
    AuthzUnsupported,
}

impl Code {
    pub const ALL: [Code; 20] = [
        Code::YamlSyntax,
        Code::InvalidValue,
        Code::IgnoredKind,
        Code::UnknownField,
        Code::MisplacedPeers,
        Code::InputLimit,
        Code::MissingField,
        Code::RemovedApi,
        Code::VersionInferred,
        Code::InvalidResource,
        Code::PolicyConflict,
        Code::UnqualifiedHost,
        Code::RootSelectorIgnored,
        Code::PortNotExposed,
        Code::DestinationRulesMerged,
        Code::NamespaceNotInInput,
        Code::MixedInjection,
        Code::DuplicateResource,
        Code::AuthzCustomSkipped,
        Code::AuthzUnsupported,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Code::YamlSyntax => "ML101",
            Code::InvalidValue => "ML102",
            Code::IgnoredKind => "ML103",
            Code::UnknownField => "ML104",
            Code::MisplacedPeers => "ML105",
            Code::InputLimit => "ML106",
            Code::MissingField => "ML107",
            Code::RemovedApi => "ML108",
            Code::VersionInferred => "ML109",
            Code::InvalidResource => "ML110",
            Code::DuplicateResource => "ML111",
            Code::PolicyConflict => "ML201",
            Code::UnqualifiedHost => "ML202",
            Code::RootSelectorIgnored => "ML203",
            Code::PortNotExposed => "ML204",
            Code::DestinationRulesMerged => "ML205",
            Code::NamespaceNotInInput => "ML206",
            Code::MixedInjection => "ML301",
            Code::AuthzCustomSkipped => "ML501",
            Code::AuthzUnsupported => "ML502",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Code::YamlSyntax => "yaml-syntax",
            Code::InvalidValue => "invalid-value",
            Code::IgnoredKind => "ignored-kind",
            Code::UnknownField => "unknown-field",
            Code::MisplacedPeers => "misplaced-peers",
            Code::InputLimit => "input-limit",
            Code::MissingField => "missing-field",
            Code::RemovedApi => "removed-api",
            Code::VersionInferred => "version-inferred",
            Code::InvalidResource => "invalid-resource",
            Code::DuplicateResource => "duplicate-resource",
            Code::PolicyConflict => "policy-conflict",
            Code::UnqualifiedHost => "unqualified-host",
            Code::RootSelectorIgnored => "root-selector-ignored",
            Code::PortNotExposed => "port-not-exposed",
            Code::DestinationRulesMerged => "destination-rules-merged",
            Code::NamespaceNotInInput => "namespace-not-in-input",
            Code::MixedInjection => "mixed-injection",
            Code::AuthzCustomSkipped => "authz-custom-skipped",
            Code::AuthzUnsupported => "authz-unsupported",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// Where a diagnostic points: the source (file name), the document in it (0-based), the YAML path
/// inside the document, and the 1-based line and column in the source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    pub source: String,
    pub document: Option<usize>,
    pub path: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    #[serde(flatten)]
    pub location: Location,
}

impl Diagnostic {
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            name: code.slug(),
            severity,
            message: message.into(),
            help: None,
            location: Location::default(),
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    pub fn info(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = location;
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `source:line:column: severity[ML105 misplaced-peers]: message (document 0, at spec.x)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = &self.location;
        if !loc.source.is_empty() {
            write!(f, "{}", loc.source)?;
            if let Some(line) = loc.line {
                write!(f, ":{line}")?;
                if let Some(col) = loc.column {
                    write!(f, ":{col}")?;
                }
            }
            write!(f, ": ")?;
        }
        write!(
            f,
            "{}[{} {}]: {}",
            self.severity,
            self.code.id(),
            self.name,
            self.message
        )?;
        match (loc.document, &loc.path) {
            (Some(doc), Some(path)) => write!(f, " (document {doc}, at `{path}`)")?,
            (Some(doc), None) => write!(f, " (document {doc})")?,
            (None, Some(path)) => write!(f, " (at `{path}`)")?,
            (None, None) => {}
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_slugs_are_unique() {
        let ids: HashSet<_> = Code::ALL.iter().map(|c| c.id()).collect();
        let slugs: HashSet<_> = Code::ALL.iter().map(|c| c.slug()).collect();
        assert_eq!(ids.len(), Code::ALL.len());
        assert_eq!(slugs.len(), Code::ALL.len());
    }
}
