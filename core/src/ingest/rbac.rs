//! Legacy RBAC (`rbac.istio.io/v1alpha1`, Istio 1.0–1.5): `ClusterRbacConfig`/`RbacConfig`,
//! `ServiceRole`, `ServiceRoleBinding`.

use super::locate::YamlPath;
use super::{ObjectReader, Read, Resource, wire};
use crate::diagnostic::Code;
use crate::model::{Port, RbacConfig, RbacMode, RbacRule, RbacSubject, ServiceRole, ServiceRoleBinding};

impl ObjectReader<'_> {
    pub(super) fn rbac_config(&self, kind: &'static str) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((config, unknown)) = self.decode_spec::<wire::RbacConfig>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&config.metadata, &mut out) else {
            return out;
        };
        // An RbacConfig without a mode leaves RBAC off.
        let mode = config.spec.mode.unwrap_or(RbacMode::Off);
        let inclusion = config.spec.inclusion.unwrap_or_default();
        let exclusion = config.spec.exclusion.unwrap_or_default();
        let mut meta = self.meta(kind, &config.metadata, name);
        if kind == "ClusterRbacConfig" {
            meta.namespace.clear();
        }
        out.push(Read::Modelled(Resource::RbacConfig(RbacConfig {
            meta,
            mode,
            inclusion_services: inclusion.services,
            inclusion_namespaces: inclusion.namespaces,
            exclusion_services: exclusion.services,
            exclusion_namespaces: exclusion.namespaces,
        })));
        out
    }

    pub(super) fn service_role(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((role, unknown)) = self.decode_spec::<wire::ServiceRole>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&role.metadata, &mut out) else {
            return out;
        };
        let rules = role
            .spec
            .rules
            .iter()
            .map(|r| RbacRule {
                services: r.services.clone(),
                methods: r.methods.clone(),
                paths: r.paths.clone(),
                ports: r.ports.iter().filter_map(|p| Port::parse(*p)).collect(),
            })
            .collect();
        let meta = self.meta("ServiceRole", &role.metadata, name);
        out.push(Read::Modelled(Resource::ServiceRole(ServiceRole { meta, rules })));
        out
    }

    pub(super) fn service_role_binding(&self) -> Vec<Read> {
        let mut out = Vec::new();
        let Some((binding, unknown)) = self.decode_spec::<wire::ServiceRoleBinding>(&mut out) else {
            return out;
        };
        self.report_unknown(unknown, &mut out);
        let Some(name) = self.name(&binding.metadata, &mut out) else {
            return out;
        };
        let Some(role) = binding
            .spec
            .role_ref
            .map(|r| r.name)
            .or(binding.spec.role)
            .filter(|r| !r.is_empty())
        else {
            out.push(self.error(
                Code::MissingField,
                YamlPath::default().key("spec"),
                format!("ServiceRoleBinding `{name}` has no `roleRef`"),
                "set `roleRef: {kind: ServiceRole, name: ...}`",
            ));
            return out;
        };
        let subjects = binding
            .spec
            .subjects
            .iter()
            .map(|s| {
                let mut namespaces = s.namespaces.clone();
                namespaces.extend(s.properties.get("source.namespace").cloned());
                RbacSubject {
                    user: s.user.clone(),
                    namespaces,
                }
            })
            .collect();
        let meta = self.meta("ServiceRoleBinding", &binding.metadata, name);
        out.push(Read::Modelled(Resource::ServiceRoleBinding(ServiceRoleBinding {
            meta,
            role,
            subjects,
        })));
        out
    }
}
