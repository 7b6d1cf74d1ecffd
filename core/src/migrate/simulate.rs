//! Simulate: apply a sequence of steps to a base and report the matrix after each.

use serde::Serialize;

use crate::ingest::{self, Source};
use crate::matrix::Matrix;
use crate::mesh::{LoadError, Mesh};
use crate::migrate::diff::{EdgeChange, delta};
use crate::migrate::stage::Stages;
use crate::model::ResourceRef;

/// One step: resources to delete (as `kubectl delete -f`), then resources to apply.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub name: String,
    pub apply: Vec<Source>,
    pub delete: Vec<Source>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SimulatedStep {
    pub name: String,
    pub delta: Vec<EdgeChange>,
    pub stages: Stages,
    pub matrix: Matrix,
}

impl Mesh {
    pub fn simulate(&self, steps: &[StepInput]) -> Result<Vec<SimulatedStep>, LoadError> {
        let mut current = self.clone();
        let mut out = Vec::with_capacity(steps.len());
        for step in steps {
            let delete = references(&step.delete)?;
            let next = current.change(&step.apply, &delete)?.mesh;
            out.push(SimulatedStep {
                name: step.name.clone(),
                delta: delta(&current, &next),
                stages: next.stages(),
                matrix: next.matrix(),
            });
            current = next;
        }
        Ok(out)
    }
}

/// The resources named by manifests, for deletion.
pub fn references(sources: &[Source]) -> Result<Vec<ResourceRef>, LoadError> {
    ingest::references(sources).map_err(|diagnostics| LoadError { diagnostics })
}
