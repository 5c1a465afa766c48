//! Run the Harbor container registry on Azure and across clouds.
//!
//! This crate re-exports the client crates of the workspace and contains what spans them:
//!
//! - [`harbor`]: the Harbor v2.0 REST API;
//! - [`acr`]: Azure Container Registry management and data-plane authentication;
//! - [`aks`]: Harbor chart values, Kubernetes manifests, helm and AKS;
//! - [`config`]: the typed deployment configuration (TOML);
//! - [`plan`]: the main job's plan, from a configuration and a preset;
//! - [`workflows`]: `import_images`, `replicate_to_acr` and `multi_cloud_fanout`.
//!
//! Push a Harbor project to ACR through a token-scoped registry endpoint, printing the plan
//! first:
//!
//! ```no_run
//! use harbor_azure::acr::arm::ArmClient;
//! use harbor_azure::acr::{
//!     AcrManagementClient, RegistryName, RepositoryName, ScopeMapAction, ScopeMapName, TokenName,
//! };
//! use harbor_azure::harbor::{Client, Credentials};
//! use harbor_azure::workflows::replicate_to_acr::{self, ReplicateToAcrInput};
//! use secrecy::SecretString;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let credential = azure_identity::AzureCliCredential::new(None)?;
//! let arm = ArmClient::builder(credential).build()?;
//! let acr = AcrManagementClient::new(arm, "00000000-0000-0000-0000-000000000000", "rg-harbor")?;
//! let password = SecretString::from(std::env::var("HARBOR_ADMIN_PASSWORD")?);
//! let harbor = Client::builder("https://harbor.example.test")
//!     .credentials(Credentials::basic("admin", password))
//!     .build()?;
//!
//! let input = ReplicateToAcrInput::new(
//!     RegistryName::new("exampleacr")?,
//!     ScopeMapName::new("harbor-push-scope-map")?,
//!     TokenName::new("harbor-push")?,
//!     ScopeMapAction::for_mirror_target(&RepositoryName::new("library/nginx")?),
//!     "library/nginx",
//! )?;
//! print!("{}", replicate_to_acr::plan(&input));
//! let report = replicate_to_acr::apply(&acr, &harbor, &input).await?;
//! print!("{report}");
//! if !report.is_success() {
//!     return Err("replicate_to_acr stopped; the report above shows the failed step".into());
//! }
//! # Ok(())
//! # }
//! ```

pub use acr_client as acr;
pub use aks_deploy as aks;
pub use harbor_client as harbor;

pub mod config;
pub mod plan;
pub mod workflows;
