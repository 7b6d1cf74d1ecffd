//! Mesh settings: the Istio release whose rules apply, and the mesh config values that change them.
//!
//! Behaviour that changed across Istio releases is a setting, not a guess.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An Istio minor release `1.x`. Only the minor number changes behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IstioVersion {
    minor: u16,
}

impl IstioVersion {
    /// The newest release whose rules meshlock models ("current").
    pub const CURRENT: IstioVersion = IstioVersion { minor: 28 };
    /// The release of the seed guide.
    pub const SEED: IstioVersion = IstioVersion { minor: 1 };

    pub const fn new(minor: u16) -> Self {
        Self { minor }
    }

    pub const fn minor(self) -> u16 {
        self.minor
    }

    /// 1.0: DestinationRules are global, the newest one wins.
    pub fn global_destination_rules(self) -> bool {
        self.minor == 0
    }

    /// `authentication.istio.io/v1alpha1` Policy/MeshPolicy exist up to 1.5.
    pub fn has_v1alpha1_authn(self) -> bool {
        self.minor <= 5
    }

    /// `security.istio.io` PeerAuthentication exists from 1.5.
    pub fn has_peer_authentication(self) -> bool {
        self.minor >= 5
    }

    /// 1.0–1.3 look up v1alpha1 Policies only in the service's namespace; 1.4–1.5 match a targeted
    /// FQDN from any namespace.
    pub fn v1alpha1_service_namespace_only(self) -> bool {
        self.minor <= 3
    }

    /// Auto mTLS default: opt-in (off) in 1.4, on from 1.5; absent before 1.4.
    pub fn auto_mtls_default(self) -> bool {
        self.minor >= 5
    }

    /// Auto mTLS honours workload/port DISABLE from 1.10 (before, it still sends mTLS there).
    pub fn auto_mtls_honours_workload_disable(self) -> bool {
        self.minor >= 10
    }

    /// DestinationRule `exportTo` namespace names are honoured from 1.7; before, only the
    /// first entry counts, `.` private and anything else public.
    pub fn export_to_namespaces(self) -> bool {
        self.minor >= 7
    }

    /// A DestinationRule `portLevelSettings` entry may select a port by name up to 1.3.
    pub fn port_level_by_name(self) -> bool {
        self.minor <= 3
    }
}

impl fmt::Display for IstioVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown Istio version `{0}`: use `1.0` … `1.{max}` or `current`", max = IstioVersion::CURRENT.minor)]
pub struct VersionError(pub String);

impl FromStr for IstioVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.eq_ignore_ascii_case("current") || trimmed.eq_ignore_ascii_case("latest") {
            return Ok(Self::CURRENT);
        }
        let rest = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let mut parts = rest.split('.');
        let (Some("1"), Some(minor)) = (parts.next(), parts.next()) else {
            return Err(VersionError(s.to_owned()));
        };
        // A patch number (`1.10.3`) is accepted and ignored: behaviour changes only by minor.
        if parts.next().is_some_and(|p| p.parse::<u32>().is_err()) || parts.next().is_some() {
            return Err(VersionError(s.to_owned()));
        }
        match minor.parse::<u16>() {
            Ok(m) if m <= IstioVersion::CURRENT.minor => Ok(Self::new(m)),
            _ => Err(VersionError(s.to_owned())),
        }
    }
}

impl Serialize for IstioVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IstioVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// As serialised, `1.x`; as read, also `current` / `latest`, a `v` prefix and a patch number
/// (`FromStr`). Inlined: the two contracts differ.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for IstioVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IstioVersion".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        if generator.contract().is_serialize() {
            schemars::json_schema!({
                "description": "An Istio minor release: `1.0` … `1.28`.",
                "type": "string",
                "pattern": "^1\\.(0|[1-9][0-9]*)$",
            })
        } else {
            schemars::json_schema!({
                "description": "An Istio release: `1.0` … `1.28` (a `v` prefix and a patch number are accepted and ignored), or `current`.",
                "type": "string",
                "pattern": "^\\s*([Cc][Uu][Rr][Rr][Ee][Nn][Tt]|[Ll][Aa][Tt][Ee][Ss][Tt]|v?1\\.[0-9]+(\\.[0-9]+)?)\\s*$",
            })
        }
    }
}

/// What the caller asks for. Every field is optional: the rest comes from the input
/// (the `istio` ConfigMap) and from the version defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct MeshSettings {
    pub istio_version: Option<IstioVersion>,
    pub auto_mtls: Option<bool>,
    pub root_namespace: Option<String>,
    pub trust_domain: Option<String>,
    /// How much input meshlock reads before refusing it (safe defaults).
    pub limits: Limits,
}

/// Limits on the input, enforced before it is parsed: a hostile or mistaken input is refused with
/// `ML106 input-limit`, naming the limit and how to raise it, instead of exhausting time or memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Bytes of all sources read together (CLI `--max-input-bytes`).
    pub max_input_bytes: u64,
    /// Documents of all sources, the items of `kind: List` documents included (`--max-documents`).
    pub max_documents: u64,
    /// Nesting of collections (maps and lists) in one document, its own map included
    /// (`--max-depth`). YAML decoding stops at 128 levels whatever this says.
    pub max_depth: u32,
    /// Nodes that aliases (`*name`) expand to in one document, the YAML "billion laughs"
    /// (`--max-alias-nodes`).
    pub max_alias_nodes: u64,
    /// Bytes of one scalar (a string, a key) (`--max-string-bytes`).
    pub max_string_bytes: u64,
    /// Edges (workload × service port pairs) that one answer may list one by one: the failing
    /// edges and plaintext callers of `check`, the edges of `matrix`, the blockers of `plan`
    /// (`--max-listed-edges`). Counts and groups are never limited; the lists are what grows
    /// with the cluster (22.9M edges at 10,000 pods), past what a host string or a tab can hold.
    pub max_listed_edges: u64,
}

impl Limits {
    /// The CLI's input size: it reads files from disk, where a cluster dump can be large.
    pub const CLI_MAX_INPUT_BYTES: u64 = 1 << 30;
    /// The CLI's listed edges: it writes them to a file or a pipe, not into one host string.
    pub const CLI_MAX_LISTED_EDGES: u64 = 10_000_000;

    /// Every limit at its default but the input size.
    pub fn with_max_input_bytes(self, max_input_bytes: u64) -> Self {
        Self {
            max_input_bytes,
            ..self
        }
    }
}

impl Default for Limits {
    /// Defaults far above a 50,000-pod cluster dump and any real manifest, far below what would
    /// exhaust a browser tab: 256 MiB of input (bindings and WASM; the CLI reads 1 GiB), a million
    /// documents, 128 levels of nesting (the YAML decoder's own bound), 100,000 nodes expanded from aliases, 4 MiB strings (an
    /// object in etcd is at most 1.5 MiB), a million listed edges (about 200 MB of JSON; the CLI
    /// lists ten million).
    fn default() -> Self {
        Self {
            max_input_bytes: 256 << 20,
            max_documents: 1_000_000,
            max_depth: 128,
            max_alias_nodes: 100_000,
            max_string_bytes: 4 << 20,
            max_listed_edges: 1_000_000,
        }
    }
}

/// Where a resolved setting came from, so the user can tell a default from an explicit choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum SettingOrigin {
    /// Given by the caller (`--istio-version`, `--auto-mtls`, …).
    Explicit,
    /// Read from the mesh config (`ConfigMap istio`, key `mesh`).
    MeshConfig,
    /// Inferred from the input (v1alpha1 resources mean Istio 1.1).
    Inferred,
    /// The version default.
    Default,
}

/// The settings in force for one analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResolvedSettings {
    pub istio_version: IstioVersion,
    pub istio_version_origin: SettingOrigin,
    pub auto_mtls: bool,
    pub auto_mtls_origin: SettingOrigin,
    pub root_namespace: String,
    pub trust_domain: String,
}

/// Kubernetes' cluster DNS domain; Istio resolves short names with it.
pub const CLUSTER_DOMAIN: &str = "cluster.local";
pub const DEFAULT_ROOT_NAMESPACE: &str = "istio-system";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_and_reject_nonsense() {
        for minor in 0..=IstioVersion::CURRENT.minor() {
            let v = IstioVersion::new(minor);
            assert_eq!(v.to_string().parse::<IstioVersion>(), Ok(v));
        }
        assert_eq!("current".parse::<IstioVersion>(), Ok(IstioVersion::CURRENT));
        assert_eq!("1.10.3".parse::<IstioVersion>(), Ok(IstioVersion::new(10)));
        for bad in ["2.0", "1", "1.x", "1.99", "", "1.1.1.1"] {
            assert!(bad.parse::<IstioVersion>().is_err(), "{bad}");
        }
    }
}
