//! Migrate: stages derived from the model, the planner, simulation and diff.

mod blocked;
pub mod diff;
pub mod group;
pub mod plan;
mod remedy;
pub mod simulate;
pub mod stage;

pub use diff::{Diff, EdgeChange, EdgeState};
pub use group::{ClientGroup, EdgeGroup, Effect};
pub use plan::{Blocker, Goal, Plan, PlanError, PlanStep, Remedy};
pub use simulate::{SimulatedStep, StepInput};
pub use stage::{ServiceStage, Stage, Stages};
