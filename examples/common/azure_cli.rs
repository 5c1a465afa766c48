//! The ACR management client of the task examples, signed in with the Azure CLI login.

use std::error::Error;
use std::sync::Arc;

use acr_client::AcrManagementClient;
use acr_client::arm::ArmClient;

/// Builds an ACR management client for `resource_group` of `subscription_id` that takes its
/// Azure AD tokens from the Azure CLI (`az login`).
pub(crate) fn acr_client(
    subscription_id: &str,
    resource_group: &str,
) -> Result<AcrManagementClient, Box<dyn Error>> {
    let credential = azure_identity::AzureCliCredential::new(None)?;
    let arm = ArmClient::builder(credential as Arc<dyn azure_core::credentials::TokenCredential>)
        .build()?;
    Ok(AcrManagementClient::new(
        arm,
        subscription_id,
        resource_group,
    )?)
}
