//! `importImage`: server-side copy of an image into a registry.
//!
//! The source is either any registry by URI (optionally with credentials) or another ACR
//! by resource id, which ACR reads with the caller's Azure AD identity. Never both: ARM
//! ignores the credentials when a resource id is present.
//!
//! With digest pinning the client resolves the source tag to a digest, imports by digest
//! and then checks that every target tag points at that digest. A tag moved at the
//! source during the import therefore cannot leave the target on another manifest.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::Error;
use crate::arm::{ArmError, FinalStateVia, LroOptions, ResourceId};
use crate::dataplane::{
    DataPlaneAuth, DataPlaneClient, RegistryCredentials, resolve_manifest_digest,
};
use crate::management::{API_VERSION, AcrManagementClient};
use crate::names::{RegistryName, RepositoryName};
use crate::registry::Registry;

/// Handling of target tags that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ImportMode {
    /// Fail before copying when any target tag exists (the ARM default).
    #[default]
    NoForce,
    /// Overwrite existing target tags.
    Force,
}

/// Reference part of an image: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageReference {
    /// No tag or digest; ACR uses `latest`.
    Default,
    /// A tag.
    Tag(String),
    /// A digest such as `sha256:...`.
    Digest(String),
}

/// An image name split into repository and reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    /// Repository.
    pub repository: RepositoryName,
    /// Tag or digest.
    pub reference: ImageReference,
}

impl ImageName {
    /// Parses `repository`, `repository:tag` or `repository@sha256:<hex>`.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::InvalidInput`] naming the value and the rule.
    pub fn parse(value: &str) -> Result<Self, Error> {
        if let Some((repository, digest)) = value.split_once('@') {
            validate_digest(digest)?;
            return Ok(Self {
                repository: RepositoryName::new_ignoring_case(repository)?,
                reference: ImageReference::Digest(digest.to_owned()),
            });
        }
        let (repository, reference) = match value.rsplit_once(':') {
            Some((repository, tag)) if !tag.contains('/') => {
                validate_tag(tag)?;
                (repository, ImageReference::Tag(tag.to_owned()))
            }
            _ => (value, ImageReference::Default),
        };
        Ok(Self {
            repository: RepositoryName::new_ignoring_case(repository)?,
            reference,
        })
    }
}

impl std::fmt::Display for ImageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reference {
            ImageReference::Default => write!(f, "{}", self.repository),
            ImageReference::Tag(tag) => write!(f, "{}:{tag}", self.repository),
            ImageReference::Digest(digest) => write!(f, "{}@{digest}", self.repository),
        }
    }
}

fn validate_tag(tag: &str) -> Result<(), Error> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !first_ok || !rest_ok || tag.len() > 128 {
        return Err(Error::InvalidInput {
            field: "tag",
            reason: format!(
                "{tag:?} must be 1 to 128 characters of a-z, A-Z, 0-9, '_', '.', '-', not starting with '.' or '-'"
            ),
        });
    }
    Ok(())
}

fn validate_digest(digest: &str) -> Result<(), Error> {
    let valid = digest.split_once(':').is_some_and(|(algorithm, hex)| {
        !algorithm.is_empty()
            && algorithm.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '_' | '-')
            })
            && hex.len() >= 32
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    });
    if !valid {
        return Err(Error::InvalidInput {
            field: "digest",
            reason: format!("{digest:?} must look like sha256:<64 lower-case hex digits>"),
        });
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Source {
    RegistryUri {
        host: String,
        scheme: String,
        credentials: Option<RegistryCredentials>,
    },
    Registry(ResourceId),
}

/// A validated `importImage` request; build it with [`ImportImage::builder`].
#[derive(Debug, Clone)]
pub struct ImportImage {
    source: Source,
    source_image: ImageName,
    target_tags: Vec<ImageName>,
    untagged_target_repositories: Vec<RepositoryName>,
    mode: ImportMode,
    pin_digest: bool,
    deadline: Option<Duration>,
}

/// Builder for [`ImportImage`].
#[derive(Debug, Clone, Default)]
pub struct ImportImageBuilder {
    source_image: String,
    registry_uri: Option<String>,
    resource_id: Option<String>,
    credentials: Option<RegistryCredentials>,
    target_tags: Vec<String>,
    untagged_target_repositories: Vec<String>,
    mode: ImportMode,
    pin_digest: bool,
    deadline: Option<Duration>,
}

impl ImportImageBuilder {
    /// Imports from the registry at `uri`, such as `https://harbor.example.test:8443/`.
    /// The scheme and trailing slash are dropped from the request and the port kept.
    pub fn registry_uri(mut self, uri: impl Into<String>) -> Self {
        self.registry_uri = Some(uri.into());
        self
    }

    /// Imports from another ACR by resource id, with the caller's Azure AD identity.
    pub fn resource_id(mut self, resource_id: impl Into<String>) -> Self {
        self.resource_id = Some(resource_id.into());
        self
    }

    /// Credentials for a registry URI source.
    pub fn credentials(mut self, username: impl Into<String>, password: SecretString) -> Self {
        self.credentials = Some(RegistryCredentials {
            username: Some(username.into()),
            password,
        });
        self
    }

    /// Adds a target `repository[:tag]`; without a tag ACR uses the source tag.
    pub fn target_tag(mut self, target: impl Into<String>) -> Self {
        self.target_tags.push(target.into());
        self
    }

    /// Adds a repository that receives the manifest without a tag.
    pub fn untagged_target_repository(mut self, repository: impl Into<String>) -> Self {
        self.untagged_target_repositories.push(repository.into());
        self
    }

    /// Sets the mode: `true` overwrites existing target tags ([`ImportMode::Force`]).
    /// Default [`ImportMode::NoForce`].
    pub fn force(mut self, force: bool) -> Self {
        self.mode = if force {
            ImportMode::Force
        } else {
            ImportMode::NoForce
        };
        self
    }

    /// Resolves a source tag to its digest, imports by digest and checks the target tags
    /// afterwards. Default off.
    pub fn pin_digest(mut self, pin: bool) -> Self {
        self.pin_digest = pin;
        self
    }

    /// Sets the deadline for the import; default the ARM client's [`LroOptions::deadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Validates the request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when both or neither of `registry_uri` and `resource_id`
    /// are set, when credentials come with a resource id, or for an invalid URI; name
    /// errors for invalid images and tags.
    pub fn build(self) -> Result<ImportImage, Error> {
        let source = match (self.registry_uri, self.resource_id) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidInput {
                    field: "source",
                    reason: "set either registry_uri or resource_id, not both".to_owned(),
                });
            }
            (None, None) => {
                return Err(Error::InvalidInput {
                    field: "source",
                    reason: "set registry_uri or resource_id".to_owned(),
                });
            }
            (None, Some(resource_id)) => {
                if self.credentials.is_some() {
                    return Err(Error::InvalidInput {
                        field: "credentials",
                        reason: format!(
                            "credentials are not used with resource_id {resource_id}; ACR reads an ACR source with the caller's Azure AD identity, so drop the credentials or import by registry_uri"
                        ),
                    });
                }
                Source::Registry(ResourceId::parse(&resource_id)?)
            }
            (Some(uri), None) => {
                let (scheme, host) = normalize_registry_uri(&uri)?;
                Source::RegistryUri {
                    host,
                    scheme,
                    credentials: self.credentials,
                }
            }
        };
        let target_tags = self
            .target_tags
            .iter()
            .map(|target| ImageName::parse(target))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(target) = target_tags
            .iter()
            .find(|target| matches!(target.reference, ImageReference::Digest(_)))
        {
            return Err(Error::InvalidInput {
                field: "target_tags",
                reason: format!("{target} must be repository[:tag], not a digest"),
            });
        }
        let untagged_target_repositories = self
            .untagged_target_repositories
            .iter()
            .map(|repository| RepositoryName::new_ignoring_case(repository))
            .collect::<Result<Vec<_>, _>>()?;

        Ok(ImportImage {
            source,
            source_image: ImageName::parse(&self.source_image)?,
            target_tags,
            untagged_target_repositories,
            mode: self.mode,
            pin_digest: self.pin_digest,
            deadline: self.deadline,
        })
    }
}

/// Splits `https://harbor.example.test:8443/` into `("https", "harbor.example.test:8443")`.
fn normalize_registry_uri(uri: &str) -> Result<(String, String), Error> {
    let trimmed = uri.trim();
    let (scheme, rest) = match trimmed.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_owned(), trimmed),
    };
    let host = rest.trim_end_matches('/');
    let valid = matches!(scheme.as_str(), "https" | "http")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !valid {
        return Err(Error::InvalidInput {
            field: "registry_uri",
            reason: format!(
                "{uri:?} must be a registry host with an optional port and scheme, such as harbor.example.test:8443"
            ),
        });
    }
    Ok((scheme, host.to_owned()))
}

impl ImportImage {
    /// Starts a request for `source_image` (`repository[:tag]` or `repository@digest`).
    pub fn builder(source_image: impl Into<String>) -> ImportImageBuilder {
        ImportImageBuilder {
            source_image: source_image.into(),
            ..ImportImageBuilder::default()
        }
    }

    /// Returns the import mode.
    pub fn mode(&self) -> ImportMode {
        self.mode
    }

    /// Builds the ARM body for `source_image` and `target_tags`.
    fn body(&self, source_image: &ImageName, target_tags: &[ImageName]) -> serde_json::Value {
        let mut source = serde_json::json!({ "sourceImage": source_image.to_string() });
        match &self.source {
            Source::RegistryUri {
                host, credentials, ..
            } => {
                source["registryUri"] = serde_json::json!(host);
                if let Some(credentials) = credentials {
                    let mut value =
                        serde_json::json!({ "password": credentials.password.expose_secret() });
                    if let Some(username) = &credentials.username {
                        value["username"] = serde_json::json!(username);
                    }
                    source["credentials"] = value;
                }
            }
            Source::Registry(resource_id) => {
                source["resourceId"] = serde_json::json!(resource_id.as_str());
            }
        }
        let mut body = serde_json::json!({ "source": source, "mode": self.mode });
        if !target_tags.is_empty() {
            let tags: Vec<String> = target_tags.iter().map(ToString::to_string).collect();
            body["targetTags"] = serde_json::json!(tags);
        }
        if !self.untagged_target_repositories.is_empty() {
            let repositories: Vec<&str> = self
                .untagged_target_repositories
                .iter()
                .map(RepositoryName::as_str)
                .collect();
            body["untaggedTargetRepositories"] = serde_json::json!(repositories);
        }
        body
    }
}

/// Outcome of a finished import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportResult {
    /// `sourceImage` as sent, by digest when pinned.
    pub source_image: String,
    /// Digest that was imported, when the source was pinned or given by digest.
    pub digest: Option<String>,
    /// Target tags as sent.
    pub target_tags: Vec<String>,
    /// Whether every target tag and untagged repository was checked to contain
    /// [`ImportResult::digest`].
    pub verified: bool,
}

impl AcrManagementClient {
    /// Imports an image into `registry` and waits for the long-running operation.
    ///
    /// Small imports finish with the first response; larger ones return 202 and are
    /// polled until done or until the deadline.
    ///
    /// # Errors
    /// [`Error::ImportFailed`] with ARM's code and message when the import fails,
    /// [`Error::Timeout`] at the deadline, [`Error::DigestMismatch`] when pinning finds a
    /// target tag on another manifest, [`Error::Arm`] or data-plane errors otherwise.
    pub async fn import_image(
        &self,
        registry: &RegistryName,
        request: &ImportImage,
    ) -> Result<ImportResult, Error> {
        let mut source_image = request.source_image.clone();
        let mut target_tags = request.target_tags.clone();
        let mut digest = match &source_image.reference {
            ImageReference::Digest(digest) => Some(digest.clone()),
            _ => None,
        };

        if request.pin_digest && digest.is_none() {
            let tag = match &source_image.reference {
                ImageReference::Tag(tag) => tag.clone(),
                _ => "latest".to_owned(),
            };
            let resolved = self.resolve_source_digest(request, &tag).await?;
            tracing::info!(source = %source_image, digest = %resolved, "pinned import source to digest");
            if target_tags.is_empty() && request.untagged_target_repositories.is_empty() {
                target_tags.push(ImageName {
                    repository: source_image.repository.clone(),
                    reference: ImageReference::Tag(tag),
                });
            }
            source_image.reference = ImageReference::Digest(resolved.clone());
            digest = Some(resolved);
        }

        let path = self.registry_id(registry)?.action("importImage")?;
        let body = request.body(&source_image, &target_tags);
        let mut poller = self
            .arm()
            .begin_post(&path, API_VERSION, Some(&body), FinalStateVia::Location)
            .await?;
        if let Some(deadline) = request.deadline {
            poller = poller.with_options(LroOptions {
                deadline,
                ..self.arm().lro_options().clone()
            });
        }
        poller.wait().await.map_err(|error| match error {
            ArmError::OperationFailed {
                detail, request_id, ..
            } => {
                let detail = detail.map(|detail| *detail).unwrap_or_default();
                Error::ImportFailed {
                    registry: registry.to_string(),
                    code: detail.code,
                    message: detail.message,
                    request_id,
                }
            }
            other => Error::from(other),
        })?;

        let mut verified = false;
        if request.pin_digest
            && let Some(expected) = &digest
        {
            self.verify_target_digests(
                registry,
                &target_tags,
                &request.untagged_target_repositories,
                expected,
            )
            .await?;
            verified = true;
        }

        Ok(ImportResult {
            source_image: source_image.to_string(),
            digest,
            target_tags: target_tags.iter().map(ToString::to_string).collect(),
            verified,
        })
    }

    async fn resolve_source_digest(
        &self,
        request: &ImportImage,
        tag: &str,
    ) -> Result<String, Error> {
        let repository = &request.source_image.repository;
        match &request.source {
            Source::RegistryUri {
                host,
                scheme,
                credentials,
            } => {
                let base =
                    Url::parse(&format!("{scheme}://{host}")).map_err(|_| Error::InvalidInput {
                        field: "registry_uri",
                        reason: format!("{host:?} is not a valid host"),
                    })?;
                resolve_manifest_digest(
                    self.http(),
                    &base,
                    repository.as_str(),
                    tag,
                    credentials.as_ref(),
                )
                .await
            }
            Source::Registry(resource_id) => {
                let source: Registry = self
                    .arm()
                    .get_json(resource_id.as_str(), API_VERSION)
                    .await?;
                let client = self.data_plane_for(&source)?;
                client.manifest_digest(repository, tag).await
            }
        }
    }

    /// HEADs every target tag, and the digest in every untagged repository, and compares
    /// the digests with `expected`.
    async fn verify_target_digests(
        &self,
        registry: &RegistryName,
        target_tags: &[ImageName],
        untagged_repositories: &[RepositoryName],
        expected: &str,
    ) -> Result<(), Error> {
        let target = self.get_registry(registry).await?;
        let client = self.data_plane_for(&target)?;

        let mut checks: Vec<(RepositoryName, String)> = Vec::new();
        for target_tag in target_tags {
            // A target without a tag gets the source tag; the source was pinned, so the
            // digest itself is the reference to check.
            let reference = match &target_tag.reference {
                ImageReference::Tag(tag) => tag.clone(),
                _ => expected.to_owned(),
            };
            checks.push((target_tag.repository.clone(), reference));
        }
        for repository in untagged_repositories {
            checks.push((repository.clone(), expected.to_owned()));
        }

        for (repository, reference) in checks {
            let actual = client.manifest_digest(&repository, &reference).await?;
            if actual != expected {
                return Err(Error::DigestMismatch {
                    target: format!("{repository}:{reference}"),
                    expected: expected.to_owned(),
                    actual,
                });
            }
        }
        Ok(())
    }

    /// Data-plane client for a registry, authenticated with the ARM client's identity.
    ///
    /// The Azure AD token is requested for the Resource Manager audience of the ARM client,
    /// unless the registry's `azureADAuthenticationAsArmPolicy` is disabled. Such a registry
    /// accepts only ACR-audience tokens, so the public cloud's ACR audience
    /// ([`ACR_AUDIENCE_SCOPE`]) is requested instead.
    pub fn data_plane_for(&self, registry: &Registry) -> Result<DataPlaneClient, Error> {
        let login_server =
            registry
                .properties
                .login_server
                .clone()
                .ok_or_else(|| Error::InvalidInput {
                    field: "registry",
                    reason: format!("registry {} has no login server yet", registry.name),
                })?;
        let scope = if rejects_arm_audience(registry) {
            // NOTE: only the public cloud's ACR audience is known here; sovereign clouds
            // get it too, which is untested.
            ACR_AUDIENCE_SCOPE.to_owned()
        } else {
            self.arm().scope().to_owned()
        };
        let auth = DataPlaneAuth::AzureAd {
            credential: self.arm().credential().clone(),
            scope,
            tenant: None,
        };
        let mut builder = DataPlaneClient::builder(&login_server, auth)
            .clock(self.arm().clock().clone())
            .http_client(self.http().clone());
        if let Some(endpoint) = self.data_plane_endpoint() {
            builder = builder.endpoint(endpoint.clone());
        }
        builder.build()
    }
}

/// Azure AD scope of ACR-audience tokens in the public cloud, for registries that reject
/// Resource Manager audience tokens.
pub const ACR_AUDIENCE_SCOPE: &str = "https://containerregistry.azure.net/.default";

/// Reports whether `registry` has `azureADAuthenticationAsArmPolicy.status` set to `disabled`.
fn rejects_arm_audience(registry: &Registry) -> bool {
    registry
        .properties
        .policies
        .as_ref()
        .and_then(|policies| policies.get("azureADAuthenticationAsArmPolicy"))
        .and_then(|policy| policy.get("status"))
        .and_then(serde_json::Value::as_str)
        .is_some_and(|status| status.eq_ignore_ascii_case("disabled"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_name_parses_tags_and_digests() {
        let tagged = ImageName::parse("library/nginx:1.25.3").unwrap();
        assert_eq!(tagged.repository.as_str(), "library/nginx");
        assert_eq!(tagged.reference, ImageReference::Tag("1.25.3".into()));

        let digest = "sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268";
        let pinned = ImageName::parse(&format!("library/nginx@{digest}")).unwrap();
        assert_eq!(pinned.reference, ImageReference::Digest(digest.into()));

        let bare = ImageName::parse("library/hello-world").unwrap();
        assert_eq!(bare.reference, ImageReference::Default);

        assert!(ImageName::parse("library/nginx:-bad").is_err());
        assert!(ImageName::parse("library/nginx@sha256:xyz").is_err());
    }

    #[test]
    fn registry_uri_drops_scheme_and_slash_keeps_port() {
        assert_eq!(
            normalize_registry_uri("https://harbor.example.test:8443/").unwrap(),
            ("https".to_owned(), "harbor.example.test:8443".to_owned())
        );
        assert_eq!(
            normalize_registry_uri("registry.hub.docker.com").unwrap(),
            ("https".to_owned(), "registry.hub.docker.com".to_owned())
        );
        assert!(normalize_registry_uri("ftp://x").is_err());
        assert!(normalize_registry_uri("https://harbor.example.test/v2/").is_err());
    }

    #[test]
    fn resource_id_with_credentials_is_rejected() {
        let error = ImportImage::builder("repo:tag")
            .resource_id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/src")
            .credentials("user", SecretString::from("s3cr3t-EXAMPLE"))
            .build()
            .unwrap_err();

        let message = error.to_string();
        assert!(message.contains("credentials"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
    }

    #[test]
    fn both_or_neither_source_is_rejected() {
        let both = ImportImage::builder("repo:tag")
            .registry_uri("docker.io")
            .resource_id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/src")
            .build();
        let neither = ImportImage::builder("repo:tag").build();

        assert!(both.is_err());
        assert!(neither.is_err());
    }

    #[test]
    fn debug_hides_source_password() {
        let request = ImportImage::builder("library/nginx:1.25.3")
            .registry_uri("harbor.example.test")
            .credentials(
                "robot$library+acr-import",
                SecretString::from("s3cr3t-EXAMPLE"),
            )
            .build()
            .unwrap();

        let debug = format!("{request:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }
}
