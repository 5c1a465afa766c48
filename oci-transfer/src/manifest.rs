//! Manifests: media types, the `Accept` list, fetch, existence check and push.

use bytes::Bytes;
use oci_spec::image::{Digest, ImageIndex, ImageManifest};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::auth::Scope;
use crate::client::{Request, expect_status, status_error};
use crate::digest::{Verifier, sha256_digest};
use crate::{Error, ManifestReference, RegistryClient, RepositoryName};

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list (schema 2).
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest (schema 2).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker schema 1 manifests, which this crate rejects.
const DOCKER_SCHEMA1: [&str; 2] = [
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// The `Accept` header of manifest requests: every type this crate copies, and no `*/*`,
/// because registries respond to a bare or partial list with schema 1, 404 or 406.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Maximum manifest size read, as distribution's limit: 4 MiB.
const MAX_MANIFEST_SIZE: usize = 4 * 1024 * 1024;

/// A manifest as fetched: its exact bytes (so its digest is kept), media type and digest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The bytes as the registry sent them.
    pub bytes: Bytes,
    /// The media type, also the `Content-Type` on push.
    pub media_type: String,
    /// Digest of `bytes`.
    pub digest: Digest,
}

/// A manifest decoded by kind.
#[derive(Debug, Clone)]
pub enum ManifestKind {
    /// An OCI image index or Docker manifest list.
    Index(Box<ImageIndex>),
    /// An OCI image manifest or Docker image manifest.
    Image(Box<ImageManifest>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    schema_version: Option<u32>,
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
    layers: Option<serde_json::Value>,
}

/// Checks whether `media_type` is an index or manifest list.
pub fn is_index_type(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// Checks whether `media_type` is a manifest type this crate copies.
pub fn is_manifest_type(media_type: &str) -> bool {
    is_index_type(media_type) || media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
}

impl Manifest {
    /// Builds a manifest from bytes and the `Content-Type` they came with, deciding the media
    /// type: the header when it names a known type, else the body's `mediaType`, else the
    /// shape of the body (`manifests` or `layers`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for Docker schema 1, [`Error::MediaTypeMismatch`] when header and
    /// body name different known types, [`Error::InvalidResponse`] when the body is not JSON.
    pub fn from_bytes(
        bytes: Bytes,
        content_type: Option<&str>,
        origin: &str,
    ) -> Result<Self, Error> {
        let header = content_type
            .map(|value| value.split(';').next().unwrap_or(value).trim().to_owned())
            .filter(|value| !value.is_empty());
        if let Some(header) = &header
            && DOCKER_SCHEMA1.contains(&header.as_str())
        {
            return Err(schema1(origin));
        }
        let probe: Probe =
            serde_json::from_slice(&bytes).map_err(|error| Error::InvalidResponse {
                what: "manifest",
                origin: origin.to_owned(),
                reason: format!("not JSON: {error}"),
            })?;
        if probe.schema_version == Some(1) {
            return Err(schema1(origin));
        }
        let body_type = probe.media_type.clone();
        let media_type = match (header, body_type) {
            (Some(header), Some(body)) if is_manifest_type(&header) => {
                if is_manifest_type(&body) && body != header {
                    return Err(Error::MediaTypeMismatch { header, body });
                }
                header
            }
            (Some(header), None) if is_manifest_type(&header) => header,
            (_, Some(body)) if DOCKER_SCHEMA1.contains(&body.as_str()) => {
                return Err(schema1(origin));
            }
            (_, Some(body)) => body,
            (_, None) if probe.manifests.is_some() => OCI_INDEX.to_owned(),
            (_, None) if probe.layers.is_some() => OCI_MANIFEST.to_owned(),
            (header, None) => {
                return Err(Error::InvalidResponse {
                    what: "manifest",
                    origin: origin.to_owned(),
                    reason: format!(
                        "Content-Type {} is not a manifest type and the body has no mediaType",
                        header.as_deref().unwrap_or("(none)")
                    ),
                });
            }
        };
        if !is_manifest_type(&media_type) {
            return Err(Error::Unsupported(format!(
                "manifest media type {media_type} from {origin}: expected one of {MANIFEST_ACCEPT}"
            )));
        }
        let digest = sha256_digest(&bytes);
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// Decodes the manifest as an index or an image manifest.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidResponse`] when the body does not match its media type.
    pub fn kind(&self) -> Result<ManifestKind, Error> {
        let invalid = |error: serde_json::Error| Error::InvalidResponse {
            what: "manifest",
            origin: self.digest.to_string(),
            reason: error.to_string(),
        };
        if is_index_type(&self.media_type) {
            serde_json::from_slice(&self.bytes)
                .map(|index| ManifestKind::Index(Box::new(index)))
                .map_err(invalid)
        } else {
            serde_json::from_slice(&self.bytes)
                .map(ManifestKind::Image)
                .map_err(invalid)
        }
    }
}

fn schema1(origin: &str) -> Error {
    Error::Unsupported(format!(
        "docker schema1 manifest from {origin}: registries such as ACR and Harbor do not accept \
         it; rebuild or convert the image to schema 2 or OCI"
    ))
}

impl RegistryClient {
    /// Fetches a manifest with the full `Accept` list and verifies it against the digest when
    /// `reference` is one.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] (404 when missing), the errors of [`Manifest::from_bytes`], and
    /// [`Error::DigestMismatch`].
    pub async fn get_manifest(
        &self,
        repository: &RepositoryName,
        reference: &ManifestReference,
    ) -> Result<Manifest, Error> {
        let url = self.repository_url(repository, &format!("manifests/{reference}"));
        let mut request = Request::new(
            Method::GET,
            url.clone(),
            vec![Scope::pull(repository.as_str())],
        );
        request
            .headers
            .insert(ACCEPT, HeaderValue::from_static(MANIFEST_ACCEPT));
        let response = self.execute(request).await?;
        let response = expect_status(response, Method::GET, &url, &[StatusCode::OK]).await?;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        if response
            .content_length()
            .is_some_and(|length| length > MAX_MANIFEST_SIZE as u64)
        {
            return Err(Error::InvalidResponse {
                what: "manifest",
                origin: crate::error::url_for_message(&url),
                reason: format!("larger than the {MAX_MANIFEST_SIZE} byte limit"),
            });
        }
        let bytes = response.bytes().await.map_err(|source| Error::Transport {
            method: "GET".to_owned(),
            url: crate::error::url_for_message(&url),
            source,
        })?;
        let origin = format!("{}/{repository}:{reference}", self.registry());
        let manifest = Manifest::from_bytes(bytes, content_type.as_deref(), &origin)?;
        if let ManifestReference::Digest(expected) = reference {
            let mut verifier = Verifier::new(expected, None)?;
            verifier.update(&manifest.bytes)?;
            verifier.finish()?;
        }
        Ok(manifest)
    }

    /// Checks with `HEAD` whether a manifest exists.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] on statuses other than 200 and 404.
    pub async fn manifest_exists(
        &self,
        repository: &RepositoryName,
        reference: &ManifestReference,
    ) -> Result<bool, Error> {
        let url = self.repository_url(repository, &format!("manifests/{reference}"));
        let mut request = Request::new(
            Method::HEAD,
            url.clone(),
            vec![Scope::pull(repository.as_str())],
        );
        request
            .headers
            .insert(ACCEPT, HeaderValue::from_static(MANIFEST_ACCEPT));
        let response = self.execute(request).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        expect_status(response, Method::HEAD, &url, &[StatusCode::OK]).await?;
        Ok(true)
    }

    /// Pushes a manifest's exact bytes with its media type as `Content-Type`, under a tag or
    /// its digest.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] when the registry rejects it, such as 400 `MANIFEST_BLOB_UNKNOWN` when
    /// a referenced blob or child manifest is missing.
    pub async fn put_manifest(
        &self,
        repository: &RepositoryName,
        reference: &ManifestReference,
        manifest: &Manifest,
    ) -> Result<(), Error> {
        let url = self.repository_url(repository, &format!("manifests/{reference}"));
        let mut request = Request::new(
            Method::PUT,
            url.clone(),
            vec![Scope::push(repository.as_str())],
        );
        let content_type =
            HeaderValue::from_str(&manifest.media_type).map_err(|_| Error::InvalidInput {
                what: "manifest media type",
                value: manifest.media_type.clone(),
                rule: "must be a valid header value".to_owned(),
            })?;
        request.headers.insert(CONTENT_TYPE, content_type);
        request.body = Some(manifest.bytes.clone());
        let response = self.execute(request).await?;
        if response.status() != StatusCode::CREATED && response.status() != StatusCode::OK {
            return Err(status_error(response, Method::PUT, &url).await);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> &'static str {
        "registry.test/r:t"
    }

    #[test]
    fn accept_lists_all_four_types_without_wildcard() {
        for media_type in [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST] {
            assert!(MANIFEST_ACCEPT.contains(media_type), "{media_type}");
        }
        assert!(!MANIFEST_ACCEPT.contains("*/*"));
    }

    #[test]
    fn content_type_is_kept() {
        let body = Bytes::from_static(br#"{"schemaVersion":2,"manifests":[]}"#);
        let manifest = Manifest::from_bytes(body.clone(), Some(OCI_INDEX), origin()).unwrap();
        assert_eq!(manifest.media_type, OCI_INDEX);
        let docker = Bytes::from_static(br#"{"schemaVersion":2,"layers":[]}"#);
        let manifest = Manifest::from_bytes(docker, Some(DOCKER_MANIFEST), origin()).unwrap();
        assert_eq!(manifest.media_type, DOCKER_MANIFEST);
    }

    #[test]
    fn schema1_is_unsupported() {
        let body = Bytes::from_static(br#"{"schemaVersion":1,"name":"x"}"#);
        let error = Manifest::from_bytes(
            body,
            Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
            origin(),
        )
        .unwrap_err();
        assert!(
            matches!(&error, Error::Unsupported(message) if message.contains("docker schema1")),
            "{error}"
        );
        let body = Bytes::from_static(br#"{"schemaVersion":1,"name":"x"}"#);
        let error = Manifest::from_bytes(body, Some("application/json"), origin()).unwrap_err();
        assert!(matches!(error, Error::Unsupported(_)), "{error}");
    }

    #[test]
    fn json_content_type_uses_body_media_type() {
        let body = Bytes::from_static(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[]}"#,
        );
        let manifest = Manifest::from_bytes(body, Some("application/json"), origin()).unwrap();
        assert_eq!(manifest.media_type, DOCKER_MANIFEST);
    }

    #[test]
    fn conflicting_header_and_body_types_are_rejected() {
        let body = Bytes::from_static(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#,
        );
        let error = Manifest::from_bytes(body, Some(OCI_MANIFEST), origin()).unwrap_err();
        assert!(matches!(error, Error::MediaTypeMismatch { .. }), "{error}");
    }

    #[test]
    fn missing_types_fall_back_to_shape() {
        let body = Bytes::from_static(br#"{"schemaVersion":2,"manifests":[]}"#);
        let manifest = Manifest::from_bytes(body, None, origin()).unwrap();
        assert_eq!(manifest.media_type, OCI_INDEX);
        let body = Bytes::from_static(br#"{"schemaVersion":2}"#);
        assert!(Manifest::from_bytes(body, None, origin()).is_err());
    }

    #[test]
    fn digest_covers_exact_bytes() {
        let body = Bytes::from_static(b"{\"schemaVersion\":2, \"layers\":[]}");
        let manifest = Manifest::from_bytes(body.clone(), Some(OCI_MANIFEST), origin()).unwrap();
        assert_eq!(manifest.digest, sha256_digest(&body));
    }
}
