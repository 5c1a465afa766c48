//! Run the Harbor container registry on Azure and across clouds.
//!
//! This crate re-exports the three client crates of the workspace and will hold the workflows that
//! span them:
//!
//! - [`harbor`]: the Harbor v2.0 REST API;
//! - [`acr`]: Azure Container Registry management and data-plane authentication;
//! - [`aks`]: Harbor chart values, Kubernetes manifests, helm and AKS.

pub use acr_client as acr;
pub use aks_deploy as aks;
pub use harbor_client as harbor;

pub mod config;
pub mod plan;
pub mod workflows;
