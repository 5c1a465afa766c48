//! Copying images and indexes between registries and OCI image layouts.

mod endpoint;
mod execute;
mod locations;
mod plan;
mod platforms;

pub use endpoint::Endpoint;
pub use execute::{Copier, CopyOptions, CopyReport};
pub use locations::BlobLocations;
pub use platforms::{PlatformSelection, PlatformSpec};
