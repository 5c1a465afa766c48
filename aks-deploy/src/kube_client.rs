//! A kube client from kubeconfig text, for example the user kubeconfig of an AKS cluster.

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// Builds a client from kubeconfig text, using its current context.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] when the text is not a usable kubeconfig; the message never
/// contains the kubeconfig.
pub async fn client_from_kubeconfig(kubeconfig: &SecretString) -> Result<Client> {
    let parsed =
        Kubeconfig::from_yaml(kubeconfig.expose_secret()).map_err(|_| Error::InvalidInput {
            field: "kubeconfig",
            value: "(redacted)".into(),
            rule: "the text is not a kubeconfig document".into(),
        })?;
    let config = kube::Config::from_custom_kubeconfig(parsed, &KubeConfigOptions::default())
        .await
        .map_err(|error| Error::InvalidInput {
            field: "kubeconfig",
            value: "(redacted)".into(),
            rule: format!("the kubeconfig cannot be used: {error}"),
        })?;
    Client::try_from(config).map_err(|error| Error::kube("create client", error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_kubeconfig_error_hides_content() {
        let text = SecretString::from("token: s3cr3t-EXAMPLE: [");
        let Err(error) = client_from_kubeconfig(&text).await else {
            panic!("invalid kubeconfig was accepted");
        };
        let error = error.to_string();
        assert!(!error.contains("s3cr3t"), "{error}");
        assert!(error.contains("kubeconfig"), "{error}");
    }

    #[tokio::test]
    async fn kubeconfig_with_server_builds_client() {
        let text = SecretString::from(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: http://127.0.0.1:6443\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n    token: s3cr3t-EXAMPLE\n",
        );
        assert!(client_from_kubeconfig(&text).await.is_ok());
    }
}
