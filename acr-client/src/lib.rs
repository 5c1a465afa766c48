//! Azure Container Registry management and data-plane authentication.

pub mod arm;
