//! The mesh config (`ConfigMap istio`, key `mesh`): auto mTLS, root namespace, trust domain,
//! ingress settings.

use super::locate::YamlPath;
use super::{MeshConfigDoc, ObjectReader, Read, Resource, Rule, wire};
use crate::diagnostic::Code;

impl ObjectReader<'_> {
    pub(super) fn config_map(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some(cm) = self.decode::<wire::ConfigMap>(&mut out) else {
            return out;
        };
        if cm.metadata.name.as_deref() != Some("istio") {
            out.push(Read::Ignored {
                kind: "ConfigMap".to_owned(),
                reason: "only the mesh config (`ConfigMap istio`, key `mesh`) takes part in mTLS".to_owned(),
            });
            return out;
        }
        // Its namespace is the root namespace unless the config names one: a name like any other.
        if self.name(&cm.metadata, &mut out).is_none() {
            return out;
        }
        let namespace = self.namespace_of(&cm.metadata);
        let mesh = cm.data.get("mesh").map(String::as_str).unwrap_or_default();
        match yaml_serde::from_str::<Option<wire::MeshConfig>>(mesh) {
            Ok(config) => {
                let config = config.unwrap_or_default();
                // The planner writes its mesh-wide step into the root namespace.
                let path = YamlPath::default().key("data").key("mesh");
                if let Some(root) = &config.root_namespace
                    && !self.valid_name(root, Rule::Label, path, &mut out)
                {
                    return out;
                }
                out.push(Read::Modelled(Resource::MeshConfig(MeshConfigDoc {
                    namespace,
                    config,
                })));
            }
            Err(e) => out.push(self.error(
                Code::InvalidValue,
                YamlPath::default().key("data").key("mesh"),
                format!("the mesh config in `data.mesh` does not parse: {e}"),
                "`data.mesh` must hold MeshConfig YAML, e.g. `enableAutoMtls: true`",
            )),
        }
        out
    }
}
