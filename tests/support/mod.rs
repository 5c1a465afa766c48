//! Stateful fakes of ARM, the ACR data plane and Harbor for the workflow tests, served by
//! wiremock on 127.0.0.1, and a fake ACR login server in front of a real registry.

#![allow(dead_code, unreachable_pub)]

pub mod acr_login_server;
pub mod fake_acr;
pub mod fake_harbor;
pub mod fake_source;
pub mod fault_proxy;
pub mod registries;
#[path = "../../oci-transfer/tests/support/registry_process.rs"]
pub mod registry_process;
pub mod tls_proxy;

#[path = "../../harbor-client/tests/transport_support/test_ca.rs"]
pub mod test_ca;
#[path = "../../oci-transfer/tests/support/token_signer.rs"]
pub mod token_signer;

pub use registries::env_or_skip;

use std::sync::Arc;
use std::time::Duration;

use acr_client::AcrManagementClient;
use acr_client::arm::{ArmClient, LroOptions, VirtualClock, default_retry_policy};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;

/// Subscription of every fake ARM resource.
pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// Resource group of every fake ARM resource.
pub const RESOURCE_GROUP: &str = "harbor-rg";

/// Azure AD stand-in that returns a fixed token.
#[derive(Debug, Default)]
pub struct StaticCredential;

#[async_trait::async_trait]
impl TokenCredential for StaticCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "aad.jwt".to_owned(),
            OffsetDateTime::now_utc() + Duration::from_secs(3600),
        ))
    }
}

/// Builds an ACR management client that sends ARM and data-plane requests to `base`
/// (the fake's URI), with a virtual clock so long-running operations poll without waiting.
pub fn acr_client(base: &str) -> AcrManagementClient {
    let clock = VirtualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC));
    let arm = ArmClient::builder(Arc::new(StaticCredential))
        .endpoint(base)
        .clock(Arc::new(clock))
        .retry_policy(default_retry_policy())
        .lro_options(LroOptions {
            deadline: Duration::from_secs(600),
            default_poll_interval: Duration::from_secs(5),
        })
        .build()
        .expect("the ARM client builds");
    AcrManagementClient::new(arm, SUBSCRIPTION, RESOURCE_GROUP)
        .expect("the subscription and resource group are valid")
        .with_data_plane_endpoint(url::Url::parse(base).expect("the fake URI is a URL"))
}
