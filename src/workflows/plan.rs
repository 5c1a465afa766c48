//! The plan of a workflow: the steps `apply` would take, as data.

use std::fmt;

/// The steps a workflow would take for an input, built without any request.
///
/// A plan never contains a secret: credentials appear as the username only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowPlan {
    /// Name of the workflow, such as `import_images`.
    pub workflow: &'static str,
    /// Steps in the order `apply` takes them. Steps of one image or target may run
    /// concurrently with those of another.
    pub steps: Vec<PlanStep>,
}

/// One step of a [`WorkflowPlan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    /// The operation, such as `import_image` or `ensure_token`.
    pub action: &'static str,
    /// The resource the operation acts on, such as `exampleacr/mirror/nginx:1.25.3`.
    pub target: String,
    /// Further facts about the step, such as the source of an import.
    pub detail: String,
}

impl PlanStep {
    pub(crate) fn new(
        action: &'static str,
        target: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            action,
            target: target.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for WorkflowPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", self.workflow)?;
        for (index, step) in self.steps.iter().enumerate() {
            write!(f, "{:>3}. {} {}", index + 1, step.action, step.target)?;
            if !step.detail.is_empty() {
                write!(f, " ({})", step.detail)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
