//! Copy endpoints: a repository in a registry, or an OCI image layout directory.

use oci_spec::image::Digest;

use crate::blob::BlobStream;
use crate::manifest::Manifest;
use crate::{Error, ManifestReference, OciLayout, RegistryClient, RepositoryName};

/// Where a copy reads from or writes to, with the tag or digest of the image.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A repository in a registry.
    Registry {
        /// Client of the registry.
        client: RegistryClient,
        /// Repository name.
        repository: RepositoryName,
        /// Tag or digest of the image.
        reference: ManifestReference,
    },
    /// An OCI image layout directory; tags are `org.opencontainers.image.ref.name` annotations
    /// in its `index.json`.
    Layout {
        /// The layout.
        layout: OciLayout,
        /// Tag or digest of the image.
        reference: ManifestReference,
    },
}

impl Endpoint {
    /// A registry endpoint, validating `repository` and `reference` (a tag, or a digest when it
    /// contains `:`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the name or reference breaks its grammar.
    pub fn registry(
        client: &RegistryClient,
        repository: &str,
        reference: &str,
    ) -> Result<Self, Error> {
        Ok(Endpoint::Registry {
            client: client.clone(),
            repository: RepositoryName::new(repository)?,
            reference: reference.parse()?,
        })
    }

    /// A layout endpoint.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `reference` is neither a valid tag nor a digest.
    pub fn layout(layout: &OciLayout, reference: &str) -> Result<Self, Error> {
        Ok(Endpoint::Layout {
            layout: layout.clone(),
            reference: reference.parse()?,
        })
    }

    /// The image's tag or digest.
    pub fn reference(&self) -> &ManifestReference {
        match self {
            Endpoint::Registry { reference, .. } | Endpoint::Layout { reference, .. } => reference,
        }
    }

    /// Names the endpoint for messages: `registry/repository` or the layout path.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Registry {
                client, repository, ..
            } => format!("{}/{repository}", client.registry()),
            Endpoint::Layout { layout, .. } => layout.root().display().to_string(),
        }
    }

    pub(crate) async fn get_manifest(
        &self,
        reference: &ManifestReference,
    ) -> Result<Manifest, Error> {
        match self {
            Endpoint::Registry {
                client, repository, ..
            } => client.get_manifest(repository, reference).await,
            Endpoint::Layout { layout, .. } => layout.get_manifest(reference).await,
        }
    }

    pub(crate) async fn blob_exists(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        match self {
            Endpoint::Registry {
                client, repository, ..
            } => client.blob_exists(repository, digest).await,
            Endpoint::Layout { layout, .. } => layout.blob_exists(digest).await,
        }
    }

    /// Opens a blob without verification; the writer verifies, so the bytes are hashed once.
    pub(crate) async fn open_blob(&self, digest: &Digest) -> Result<BlobStream, Error> {
        match self {
            Endpoint::Registry {
                client, repository, ..
            } => client.get_blob_unverified(repository, digest).await,
            Endpoint::Layout { layout, .. } => layout.get_blob_unverified(digest).await,
        }
    }

    /// Pushes a manifest under `reference`; `is_root` lists an untagged root in a layout's
    /// `index.json`.
    pub(crate) async fn put_manifest(
        &self,
        manifest: &Manifest,
        reference: &ManifestReference,
        is_root: bool,
    ) -> Result<(), Error> {
        match self {
            Endpoint::Registry {
                client, repository, ..
            } => client.put_manifest(repository, reference, manifest).await,
            Endpoint::Layout { layout, .. } => {
                let tag = match reference {
                    ManifestReference::Tag(tag) => Some(tag.as_str()),
                    ManifestReference::Digest(_) => None,
                };
                layout.put_manifest(manifest, tag, is_root).await
            }
        }
    }
}
