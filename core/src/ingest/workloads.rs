//! Namespaces (whose labels predict injection), Pods and the controllers that carry pod
//! templates: the documents workloads are derived from.

use super::locate::YamlPath;
use super::{ObjectReader, Read, Resource, Rule, WorkloadDoc, wire};
use crate::model::Namespace;

impl ObjectReader<'_> {
    pub(super) fn namespace(&self) -> Vec<Read> {
        let mut out = Vec::new();
        if let Some(ns) = self.decode::<wire::Namespace>(&mut out)
            && let Some(name) = self.name(&ns.metadata, &mut out)
            && self.valid_name(&name, Rule::Label, YamlPath::parse("metadata.name"), &mut out)
        {
            out.push(Read::Modelled(Resource::Namespace(Namespace {
                name,
                labels: ns.metadata.labels,
            })));
        }
        out
    }

    pub(super) fn workload(
        &self,
        kind: &'static str,
        meta: wire::ObjectMeta,
        template: wire::PodTemplate,
        has_status: bool,
        out: &mut Vec<Read>,
    ) {
        let Some(name) = self.name(&meta, out) else { return };
        out.push(Read::Modelled(Resource::Workload(WorkloadDoc {
            kind,
            namespace: self.namespace_of(&meta),
            name,
            ran: kind == "Pod" && (has_status || !meta.owner_references.is_empty()),
            owners: meta
                .owner_references
                .iter()
                .map(|o| (o.kind.clone(), o.name.clone()))
                .collect(),
            template_labels: template.metadata.labels,
            template_annotations: template.metadata.annotations,
            spec: template.spec,
            origin: self.ctx.origin(),
        })));
    }

    pub(super) fn pod(&self) -> Vec<Read> {
        let mut out = Vec::new();
        if let Some(pod) = self.decode::<wire::Pod>(&mut out) {
            let template = wire::PodTemplate {
                metadata: pod.metadata.clone(),
                spec: pod.spec,
            };
            self.workload("Pod", pod.metadata, template, pod.status.is_some(), &mut out);
        }
        out
    }

    pub(super) fn controller(&self, kind: &str) -> Vec<Read> {
        let kind: &'static str = match kind {
            "Deployment" => "Deployment",
            "StatefulSet" => "StatefulSet",
            "DaemonSet" => "DaemonSet",
            "ReplicaSet" => "ReplicaSet",
            "ReplicationController" => "ReplicationController",
            "DeploymentConfig" => "DeploymentConfig",
            _ => "Job",
        };
        let mut out = Vec::new();
        if let Some(c) = self.decode::<wire::Controller>(&mut out) {
            self.workload(kind, c.metadata, c.spec.template, false, &mut out);
        }
        out
    }

    pub(super) fn cron_job(&self) -> Vec<Read> {
        let mut out = Vec::new();
        if let Some(c) = self.decode::<wire::CronJob>(&mut out) {
            self.workload(
                "CronJob",
                c.metadata,
                c.spec.job_template.spec.template,
                false,
                &mut out,
            );
        }
        out
    }
}
