//! The client-side route of `import_images`: pull from the source and push to the
//! destination with `oci-transfer`, pinned by digest.

use std::collections::BTreeSet;
use std::fmt;

use acr_client::dataplane::DataPlaneClient;
use oci_transfer::manifest::is_index_type;
use oci_transfer::{
    AcrRefreshToken, BasicCredentials, Copier, CopyOptions, Endpoint, HarborRobot, Manifest,
    ManifestKind, ManifestReference, PlatformSelection, RegistryClient, RepositoryName,
};

use super::{ImageError, ImageMapping, ImageStatus, ImportImagesInput};
use crate::workflows::WorkflowError;

/// Registry clients and the copier shared by every client-side copy of one run.
#[derive(Debug)]
pub(super) struct ClientCopy {
    source: RegistryClient,
    destination: RegistryClient,
    /// Copier of images with all platforms. It bounds blob transfers across those images
    /// and remembers where blobs were seen, for mounts.
    copier: Copier,
    blob_concurrency: usize,
}

impl ClientCopy {
    /// Builds the source client and the destination client. The source client logs in with
    /// the input's credentials, or with a refresh token from the Azure AD exchange of
    /// `source_acr` for an ACR source without credentials. The destination is the input's
    /// copy destination, or the ACR login server with a refresh token from the Azure AD
    /// exchange of `target`.
    pub(super) fn new(
        input: &ImportImagesInput,
        target: &DataPlaneClient,
        source_acr: Option<&DataPlaneClient>,
    ) -> Result<Self, WorkflowError> {
        let invalid =
            |field: &'static str, error: oci_transfer::Error| WorkflowError::InvalidInput {
                field,
                reason: error.to_string(),
            };
        // One HTTP client for both registries loads the system roots once. A source with a
        // private CA gets a client of its own, so the destination trusts only the system roots.
        let http_client = |certificates: &[reqwest::Certificate], field: &'static str| {
            reqwest::Client::builder()
                .user_agent(concat!("harbor-azure/", env!("CARGO_PKG_VERSION")))
                .tls_certs_merge(certificates.iter().cloned())
                .build()
                .map_err(|error| WorkflowError::InvalidInput {
                    field,
                    reason: format!("the HTTP client could not be built: {error}"),
                })
        };
        let destination_http = http_client(&[], "registry")?;
        let source_http = if input.source_root_certificates.is_empty() {
            destination_http.clone()
        } else {
            http_client(&input.source_root_certificates, "source_root_certificates")?
        };
        let mut source =
            RegistryClient::builder(input.source_registry.as_str()).http_client(source_http);
        if let Some(data_plane) = source_acr {
            source = source.credentials(acr_refresh_token(data_plane));
        } else if let Some(credentials) = &input.credentials {
            let username = credentials.username.clone().unwrap_or_default();
            let password = credentials.password.clone();
            source = if username.starts_with("robot$") {
                let robot = HarborRobot::new(username, password)
                    .map_err(|error| invalid("credentials", error))?;
                source.credentials(robot)
            } else {
                source.credentials(BasicCredentials::new(username, password))
            };
        }
        let source = source
            .build()
            .map_err(|error| invalid("source_registry", error))?;

        let destination = match &input.copy_destination {
            Some(destination) => destination.clone(),
            None => acr_destination(target, destination_http)
                .map_err(|error| invalid("registry", error))?,
        };

        let blob_concurrency = input.concurrency.get();
        let copier = Copier::new(copy_options(PlatformSelection::All, blob_concurrency))
            .map_err(|error| invalid("concurrency", error))?;
        Ok(Self {
            source,
            destination,
            copier,
            blob_concurrency,
        })
    }

    /// Copies one image unless the target tag already has the pinned source content.
    pub(super) async fn copy_one(&self, image: &ImageMapping) -> Result<ImageStatus, ImageError> {
        let source_repository = RepositoryName::new(image.source.repository.as_str())?;
        let target_repository = RepositoryName::new(image.target.repository.as_str())?;
        let source_tag = ManifestReference::tag(image.source_tag())?;
        let target_tag = ManifestReference::tag(image.target_tag())?;

        let source = self
            .source
            .get_manifest(&source_repository, &source_tag)
            .await?;
        let expected = Expected::of(&source, &image.platforms)?;
        match self
            .destination
            .get_manifest(&target_repository, &target_tag)
            .await
        {
            Ok(current) if expected.matches(&current)? => {
                tracing::info!(target = %image.target, digest = %current.digest, "target tag is up to date");
                return Ok(ImageStatus::Skipped {
                    digest: current.digest.to_string(),
                });
            }
            Ok(_) => {}
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }

        // Copy the resolved digest rather than the tag, so a tag moved in Harbor after the
        // comparison cannot put another manifest under the target tag.
        let from = Endpoint::Registry {
            client: self.source.clone(),
            repository: source_repository,
            reference: ManifestReference::Digest(source.digest.clone()),
        };
        let to = Endpoint::Registry {
            client: self.destination.clone(),
            repository: target_repository.clone(),
            reference: target_tag,
        };
        let report = match &image.platforms {
            PlatformSelection::All => self.copier.copy(&from, &to).await?,
            selection @ PlatformSelection::Only(_) => {
                // The platforms are a copier setting, so a selection gets its own copier. It
                // shares the memory of blob locations, but not the blob bound.
                let options = copy_options(selection.clone(), self.blob_concurrency);
                Copier::new(options)?
                    .with_locations(self.copier.locations().clone())
                    .copy(&from, &to)
                    .await?
            }
        };

        let pushed = report.digest.to_string();
        let pinned = match &expected {
            Expected::Digest(digest) => pushed == *digest,
            Expected::Entries(_) => {
                let written = ManifestReference::Digest(report.digest.clone());
                let manifest = self
                    .destination
                    .get_manifest(&target_repository, &written)
                    .await?;
                expected.matches(&manifest)?
            }
        };
        if !pinned {
            return Err(ImageError::DigestMismatch {
                target: image.target.to_string(),
                expected: expected.to_string(),
                actual: pushed,
            });
        }
        tracing::info!(source = %image.source, target = %image.target, digest = %pushed, blobs_copied = report.blobs_copied, blobs_mounted = report.blobs_mounted, blobs_skipped = report.blobs_skipped, "copied image");
        Ok(ImageStatus::Imported { digest: pushed })
    }
}

fn copy_options(platforms: PlatformSelection, blob_concurrency: usize) -> CopyOptions {
    CopyOptions {
        platforms,
        max_concurrent_blobs: blob_concurrency,
        ..CopyOptions::default()
    }
}

/// Builds a client of `target`'s endpoint (the ACR login server unless the data-plane client
/// sets another) that authenticates with the refresh token of `target`'s Azure AD exchange.
fn acr_destination(
    target: &DataPlaneClient,
    http: reqwest::Client,
) -> Result<RegistryClient, oci_transfer::Error> {
    RegistryClient::builder(target.endpoint().as_str())
        .http_client(http)
        .credentials(acr_refresh_token(target))
        .build()
}

/// Returns a credential provider that gets the ACR refresh token from the Azure AD exchange
/// of `data_plane`, which caches it.
fn acr_refresh_token(data_plane: &DataPlaneClient) -> AcrRefreshToken {
    let data_plane = data_plane.clone();
    AcrRefreshToken::new(move |registry| {
        let data_plane = data_plane.clone();
        Box::pin(async move {
            data_plane
                .refresh_token()
                .await
                .map_err(|error| oci_transfer::Error::Auth {
                    registry,
                    reason: format!("the ACR refresh token exchange failed: {error}"),
                })
        })
    })
}

/// The content the target tag must have for the image to count as copied.
enum Expected {
    /// The source manifest itself, by digest.
    Digest(String),
    /// An index with exactly these image manifest digests: the source entries a platform
    /// selection keeps.
    Entries(BTreeSet<String>),
}

impl Expected {
    fn of(source: &Manifest, platforms: &PlatformSelection) -> Result<Self, oci_transfer::Error> {
        let digest = source.digest.to_string();
        if *platforms == PlatformSelection::All {
            return Ok(Expected::Digest(digest));
        }
        match source.kind()? {
            // A selection applies to indexes only, so an image manifest is copied as it is.
            ManifestKind::Image(_) => Ok(Expected::Digest(digest)),
            // NOTE: the comparison leaves out entries that are nested indexes, because the copy
            // may rewrite them. An image with nested indexes is compared on its other entries.
            ManifestKind::Index(index) => Ok(Expected::Entries(
                index
                    .manifests()
                    .iter()
                    .filter(|entry| !is_index_type(entry.media_type().as_ref()))
                    .filter(|entry| platforms.selects(entry.platform().as_ref()))
                    .map(|entry| entry.digest().to_string())
                    .collect(),
            )),
        }
    }

    fn matches(&self, manifest: &Manifest) -> Result<bool, oci_transfer::Error> {
        match self {
            Expected::Digest(digest) => Ok(manifest.digest.to_string() == *digest),
            Expected::Entries(entries) => Ok(entry_digests(manifest)?.as_ref() == Some(entries)),
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Digest(digest) => f.write_str(digest),
            Expected::Entries(entries) => {
                let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
                write!(f, "an index of [{}]", entries.join(", "))
            }
        }
    }
}

/// Returns the digests of an index's image manifests, or `None` for an image manifest.
fn entry_digests(manifest: &Manifest) -> Result<Option<BTreeSet<String>>, oci_transfer::Error> {
    match manifest.kind()? {
        ManifestKind::Image(_) => Ok(None),
        ManifestKind::Index(index) => Ok(Some(
            index
                .manifests()
                .iter()
                .filter(|entry| !is_index_type(entry.media_type().as_ref()))
                .map(|entry| entry.digest().to_string())
                .collect(),
        )),
    }
}
