//! Workflows that span Harbor and ACR. Each has an input type that validates itself, a
//! `plan` that lists the steps without sending a request, and an `apply` that runs them and
//! returns a report with one result per image or step.
//!
//! - [`import_images`]: copy images from Harbor into ACR with `importImage` or a client-side
//!   copy, picked per image by [`transfer_route`].
//! - [`replicate_to_acr`]: push from Harbor to ACR through an endpoint that logs in with an ACR
//!   token, checked by ping, then run the policy and wait for it.
//! - [`multi_cloud_fanout`]: push from a primary Harbor to replica Harbors, ACR, ECR and GCR.
//!
//! [`stored_credentials`] keeps the ACR token password and the robot secret that the main job
//! generates in Kubernetes Secrets, so a later run reuses them.

mod error;
pub mod import_images;
pub mod multi_cloud_fanout;
mod plan;
pub mod replicate_to_acr;
pub mod stored_credentials;
pub mod transfer_route;

pub use error::WorkflowError;
pub use plan::{PlanStep, WorkflowPlan};
