//! Typed values for the goharbor/harbor Helm chart 1.19.2, Kubernetes manifests, a helm runner,
//! server-side apply and AKS cluster specs.
//!
//! ```no_run
//! use aks_deploy::chart_keys::ChartKeys;
//! use aks_deploy::presets::{PresetBase, ZoneLayout, across_zones, ZRS_DISK_CLASS, ZRS_FILE_CLASS};
//! use aks_deploy::render::render_values;
//! use aks_deploy::validate::ValidationContext;
//!
//! # fn main() -> Result<(), aks_deploy::Error> {
//! let base = PresetBase::new("harbor.example.test", "webapprouting.kubernetes.azure.com");
//! let values = across_zones(&base, &ZoneLayout::default())?;
//! let keys = ChartKeys::load("../shared/specs/harbor-helm/chart".as_ref())?;
//! let context = ValidationContext::new(keys)
//!     .with_zone_redundant_class(ZRS_DISK_CLASS)
//!     .with_zone_redundant_class(ZRS_FILE_CLASS);
//! let rendered = render_values(&values, &context)?;
//! println!("{}", rendered.yaml);
//! # Ok(())
//! # }
//! ```

pub mod aks;
pub mod chart_keys;
pub mod error;
pub mod helm;
pub mod kube_apply;
pub mod kube_client;
pub mod manifests;
pub mod names;
pub mod plan;
pub mod presets;
pub mod redact;
pub mod render;
pub mod rendered;
pub mod rollout;
pub mod spread;
pub mod validate;
pub mod values;
pub mod workflow;

pub use error::{Error, Result};
