//! Registry endpoints: the remote registries that replication and proxy caches use.

use secrecy::{ExposeSecret, SecretString};

use crate::Client;
use crate::Error;
use crate::generated::Secret;
use crate::generated::models::{Registry, RegistryCredential, RegistryPing, RegistryUpdate};
use crate::tasks::{Outcome, validate};

/// A registry provider, with Harbor's adapter type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// Another Harbor (`harbor`).
    Harbor,
    /// Docker Hub (`docker-hub`).
    DockerHub,
    /// Any registry implementing the distribution API (`docker-registry`).
    DockerRegistry,
    /// Azure Container Registry (`azure-acr`).
    AzureAcr,
    /// Amazon ECR (`aws-ecr`).
    AwsEcr,
    /// Google GCR or Artifact Registry (`google-gcr`).
    GoogleGcr,
    /// GitHub Container Registry (`github-ghcr`).
    GithubGhcr,
    /// Quay (`quay`).
    Quay,
    /// JFrog Artifactory (`jfrog-artifactory`).
    JfrogArtifactory,
    /// GitLab (`gitlab`).
    Gitlab,
}

impl Provider {
    /// Returns Harbor's adapter type name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Harbor => "harbor",
            Self::DockerHub => "docker-hub",
            Self::DockerRegistry => "docker-registry",
            Self::AzureAcr => "azure-acr",
            Self::AwsEcr => "aws-ecr",
            Self::GoogleGcr => "google-gcr",
            Self::GithubGhcr => "github-ghcr",
            Self::Quay => "quay",
            Self::JfrogArtifactory => "jfrog-artifactory",
            Self::Gitlab => "gitlab",
        }
    }
}

/// Desired state of a registry endpoint.
///
/// The access secret cannot be compared, because Harbor never returns it. It is sent when the
/// endpoint is created, when another field changes, and on every call after
/// [`RegistrySpec::rotate_secret`]. `Debug` redacts it.
#[derive(Debug, Clone)]
pub struct RegistrySpec {
    name: String,
    provider: Provider,
    url: url::Url,
    description: Option<String>,
    credential: Option<(String, SecretString)>,
    verify_remote_cert: Option<bool>,
    rotate_secret: bool,
}

impl RegistrySpec {
    /// Starts an endpoint without credentials that verifies the remote certificate.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty name or a URL that is not `http` or `https`.
    pub fn new(name: impl Into<String>, provider: Provider, url: &str) -> Result<Self, Error> {
        let name = name.into();
        validate::plain_name("registry name", &name, 255)?;
        let parsed = url::Url::parse(url).map_err(|error| {
            Error::invalid(
                "registry URL",
                url,
                format!("not a valid URL ({error}); use https://host"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::invalid(
                "registry URL",
                url,
                "the URL needs an http or https scheme and a host",
            ));
        }
        Ok(Self {
            name,
            provider,
            url: parsed,
            description: None,
            credential: None,
            verify_remote_cert: None,
            rotate_secret: false,
        })
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the access key (user name, or access key id) and secret.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty access key or secret.
    pub fn credential(
        mut self,
        access_key: impl Into<String>,
        access_secret: SecretString,
    ) -> Result<Self, Error> {
        let access_key = access_key.into();
        validate::plain_name("registry access key", &access_key, 1024)?;
        if access_secret.expose_secret().is_empty() {
            return Err(Error::invalid(
                "registry access secret",
                "[REDACTED]",
                "the secret must not be empty",
            ));
        }
        self.credential = Some((access_key, access_secret));
        Ok(self)
    }

    /// Turns verification of the remote TLS certificate on or off. Unset, a new endpoint verifies
    /// it and an existing one keeps its setting.
    pub fn verify_remote_cert(mut self, verify: bool) -> Self {
        self.verify_remote_cert = Some(verify);
        self
    }

    /// Sends the access secret on every call, so a changed secret reaches Harbor.
    pub fn rotate_secret(mut self, rotate: bool) -> Self {
        self.rotate_secret = rotate;
        self
    }

    fn verifies_remote_cert(&self) -> bool {
        self.verify_remote_cert.unwrap_or(true)
    }

    fn access_key(&self) -> Option<String> {
        self.credential.as_ref().map(|(key, _)| key.clone())
    }

    fn access_secret(&self) -> Option<Secret> {
        self.credential
            .as_ref()
            .map(|(_, secret)| Secret::new(secret.expose_secret()))
    }

    fn url(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_owned()
    }

    fn ping(&self, id: Option<i64>, insecure: bool) -> RegistryPing {
        RegistryPing {
            id,
            r#type: Some(self.provider.as_str().to_owned()),
            url: Some(self.url()),
            credential_type: self.credential.as_ref().map(|_| "basic".to_owned()),
            access_key: self.access_key(),
            access_secret: self.access_secret(),
            insecure: Some(insecure),
            ca_certificate: None,
        }
    }
}

/// Tests the connection ("Test Connection" in the portal) and then creates the endpoint, or
/// updates its URL, description, credential and certificate verification.
///
/// # Errors
///
/// [`Error::CannotUpdate`] when an endpoint of that name has another provider, and
/// the request's [`Error`] when the ping or another request fails. Nothing is saved when the ping
/// fails.
pub async fn ensure_registry(
    client: &Client,
    spec: &RegistrySpec,
) -> Result<Outcome<Registry>, Error> {
    let Some(actual) = find_registry(client, &spec.name).await? else {
        client
            .ping_registry(spec.ping(None, !spec.verifies_remote_cert()))
            .send()
            .await?;
        let request = Registry {
            url: Some(spec.url()),
            name: Some(spec.name.clone()),
            credential: spec.credential.as_ref().map(|_| RegistryCredential {
                r#type: Some("basic".to_owned()),
                access_key: spec.access_key(),
                access_secret: spec.access_secret(),
            }),
            r#type: Some(spec.provider.as_str().to_owned()),
            insecure: Some(!spec.verifies_remote_cert()),
            description: spec.description.clone(),
            ..Registry::default()
        };
        let created = client.create_registry(request).send().await?;
        let registry = match created.id() {
            Some(id) => client.get_registry(id).send().await?,
            None => find_registry(client, &spec.name)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "registry",
                    name: spec.name.clone(),
                })?,
        };
        return Ok(Outcome::Created(registry));
    };

    let id = actual.id.ok_or_else(|| Error::NotFound {
        kind: "id of registry",
        name: spec.name.clone(),
    })?;
    if actual.r#type.as_deref() != Some(spec.provider.as_str()) {
        return Err(Error::CannotUpdate {
            kind: "registry",
            name: spec.name.clone(),
            field: "provider",
            reason: format!(
                "actual {:?}, desired {:?}",
                actual.r#type,
                spec.provider.as_str()
            ),
        });
    }
    let actual_key = actual
        .credential
        .as_ref()
        .and_then(|credential| credential.access_key.clone());
    let differs = actual.url.as_deref().map(|url| url.trim_end_matches('/'))
        != Some(spec.url().as_str())
        || spec
            .verify_remote_cert
            .is_some_and(|verify| actual.insecure.unwrap_or(false) == verify)
        || (spec.description.is_some() && actual.description != spec.description)
        || actual_key.filter(|key| !key.is_empty()) != spec.access_key()
        || (spec.rotate_secret && spec.credential.is_some());
    if !differs {
        return Ok(Outcome::Unchanged(actual));
    }

    let insecure = spec
        .verify_remote_cert
        .map_or(actual.insecure.unwrap_or(false), |verify| !verify);
    client
        .ping_registry(spec.ping(Some(id), insecure))
        .send()
        .await?;
    let update = RegistryUpdate {
        name: Some(spec.name.clone()),
        description: spec.description.clone(),
        url: Some(spec.url()),
        credential_type: spec.credential.as_ref().map(|_| "basic".to_owned()),
        access_key: Some(spec.access_key().unwrap_or_default()),
        access_secret: Some(spec.access_secret().unwrap_or_default()),
        insecure: Some(insecure),
        ca_certificate: None,
    };
    client.update_registry(id, update).send().await?;
    Ok(Outcome::Updated(client.get_registry(id).send().await?))
}

/// Returns the endpoint named exactly `name`, if any.
pub async fn find_registry(client: &Client, name: &str) -> Result<Option<Registry>, Error> {
    use futures_util::TryStreamExt;

    let mut registries = std::pin::pin!(client.list_registries().name(name).stream());
    while let Some(registry) = registries.try_next().await? {
        if registry.name.as_deref() == Some(name) {
            return Ok(Some(registry));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_validates_url_and_credential() {
        assert!(RegistrySpec::new("acr", Provider::AzureAcr, "ftp://x.test").is_err());
        assert!(RegistrySpec::new("acr", Provider::AzureAcr, "not a url").is_err());
        assert!(RegistrySpec::new("", Provider::AzureAcr, "https://x.test").is_err());
        let spec = RegistrySpec::new("acr", Provider::AzureAcr, "https://x.azurecr.io/").unwrap();
        assert_eq!(spec.url(), "https://x.azurecr.io");
        assert!(
            spec.clone()
                .credential("user", SecretString::from(String::new()))
                .is_err()
        );
        let with_secret = spec
            .credential("user", SecretString::from("pa55word".to_owned()))
            .unwrap();
        assert!(!format!("{with_secret:?}").contains("pa55word"));
    }
}
