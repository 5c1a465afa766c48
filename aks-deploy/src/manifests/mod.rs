//! Kubernetes objects the SDK applies beside the chart.

mod cluster_issuer;
mod deployment;
mod harbor_secrets;
mod namespace;
mod pull_secret;
mod storage_class;

pub use cluster_issuer::{
    AcmeIssuer, AzureDnsZone, LETS_ENCRYPT, cluster_issuer, cluster_issuer_resource,
};
pub use deployment::{WorkloadSpec, spread_deployment};
pub use harbor_secrets::{HARBOR_KEY_LENGTH, HarborSecrets, RegistryCredentialSecret, names};
pub use namespace::namespace;
pub use pull_secret::{
    DOCKER_HUB_KEY, RegistryCredentials, docker_config_json, pull_secret,
    pull_secret_from_docker_config, registry_key,
};
pub use storage_class::{
    DISK_PROVISIONER, FILE_PROVISIONER, is_zone_redundant, zrs_disk_storage_class,
    zrs_file_storage_class,
};
