//! OCI image layout directories: `oci-layout`, `index.json` and `blobs/<algorithm>/<hex>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use oci_spec::image::Digest;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::blob::BlobStream;
use crate::digest::{Verifier, VerifyingStream};
use crate::manifest::Manifest;
use crate::{Error, ManifestReference};

/// Annotation that names a tag in `index.json`.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// Read size for blob files.
const READ_CHUNK: usize = 64 * 1024;

/// An OCI image layout directory. Cheap to clone; writes to `index.json` are serialized within
/// one process.
#[derive(Debug, Clone)]
pub struct OciLayout {
    root: PathBuf,
    index_lock: Arc<tokio::sync::Mutex<()>>,
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

impl OciLayout {
    /// Opens the layout at `root`, creating the directory, `oci-layout` and an empty
    /// `index.json` when they are missing.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the files cannot be created or read.
    pub async fn create(root: impl Into<PathBuf>) -> Result<Self, Error> {
        let root = root.into();
        let blobs = root.join("blobs");
        tokio::fs::create_dir_all(&blobs)
            .await
            .map_err(|error| io_error(&blobs, error))?;
        let marker = root.join("oci-layout");
        if tokio::fs::metadata(&marker).await.is_err() {
            write_atomic(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#).await?;
        }
        let index = root.join("index.json");
        if tokio::fs::metadata(&index).await.is_err() {
            let empty = json!({"schemaVersion": 2, "mediaType": crate::manifest::OCI_INDEX, "manifests": []});
            write_atomic(&index, empty.to_string().as_bytes()).await?;
        }
        Ok(OciLayout {
            root,
            index_lock: Arc::default(),
        })
    }

    /// Opens an existing layout.
    ///
    /// # Errors
    ///
    /// [`Error::NotInLayout`] when `root` has no `oci-layout` file.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, Error> {
        let root = root.into();
        if tokio::fs::metadata(root.join("oci-layout")).await.is_err() {
            return Err(Error::NotInLayout {
                what: "oci-layout file".to_owned(),
                path: root.display().to_string(),
            });
        }
        Ok(OciLayout {
            root,
            index_lock: Arc::default(),
        })
    }

    /// Returns the layout directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of a blob: `blobs/<algorithm>/<hex>`.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm().as_ref())
            .join(digest.digest())
    }

    /// Returns the size of a blob when it exists.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] on errors other than "not found".
    pub async fn blob_exists(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        let path = self.blob_path(digest);
        match tokio::fs::metadata(&path).await {
            Ok(metadata) => Ok(Some(metadata.len())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error(&path, error)),
        }
    }

    /// Streams a blob, verifying its digest and, when given, its size.
    ///
    /// # Errors
    ///
    /// [`Error::NotInLayout`] when missing; the stream ends with a mismatch error on corrupt
    /// files.
    pub async fn get_blob(&self, digest: &Digest, size: Option<u64>) -> Result<BlobStream, Error> {
        let verifier = Verifier::new(digest, size)?;
        let raw = self.get_blob_unverified(digest).await?;
        Ok(Box::pin(VerifyingStream::new(
            raw,
            verifier,
            Box::new(|_| {}),
        )))
    }

    pub(crate) async fn get_blob_unverified(&self, digest: &Digest) -> Result<BlobStream, Error> {
        let path = self.blob_path(digest);
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotInLayout {
                    what: format!("blob {digest}"),
                    path: self.root.display().to_string(),
                });
            }
            Err(error) => return Err(io_error(&path, error)),
        };
        let stream =
            futures_util::stream::try_unfold((file, path), |(mut file, path)| async move {
                let mut buffer = vec![0u8; READ_CHUNK];
                let read = file
                    .read(&mut buffer)
                    .await
                    .map_err(|error| io_error(&path, error))?;
                if read == 0 {
                    return Ok(None);
                }
                buffer.truncate(read);
                Ok(Some((Bytes::from(buffer), (file, path))))
            });
        Ok(Box::pin(stream))
    }

    /// Writes a blob from a stream into a temporary file and moves it into place only after its
    /// digest and size are verified. An existing blob is left as it is.
    ///
    /// # Errors
    ///
    /// [`Error::Io`], errors of the stream, [`Error::DigestMismatch`] and
    /// [`Error::SizeMismatch`].
    pub async fn put_blob<S>(
        &self,
        digest: &Digest,
        size: u64,
        stream: S,
        on_bytes: Box<dyn FnMut(u64) + Send>,
    ) -> Result<(), Error>
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + Unpin,
    {
        let path = self.blob_path(digest);
        let parent = path
            .parent()
            .expect("blob paths have a parent")
            .to_path_buf();
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|error| io_error(&parent, error))?;
        let temporary = parent.join(format!(
            ".{}.{}.partial",
            digest.digest(),
            uuid::Uuid::new_v4()
        ));
        let result = write_verified(&temporary, digest, size, stream, on_bytes).await;
        if let Err(error) = result {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(error);
        }
        tokio::fs::rename(&temporary, &path)
            .await
            .map_err(|error| io_error(&path, error))
    }

    /// Reads a manifest by tag (the `org.opencontainers.image.ref.name` annotation in
    /// `index.json`) or by digest.
    ///
    /// # Errors
    ///
    /// [`Error::NotInLayout`] when the tag or blob is missing, and the errors of
    /// [`Manifest::from_bytes`].
    pub async fn get_manifest(&self, reference: &ManifestReference) -> Result<Manifest, Error> {
        let index = self.read_index().await?;
        let entries = index["manifests"].as_array().cloned().unwrap_or_default();
        let entry = entries.iter().find(|entry| match reference {
            ManifestReference::Tag(tag) => {
                entry["annotations"][REF_NAME_ANNOTATION].as_str() == Some(tag)
            }
            ManifestReference::Digest(digest) => entry["digest"].as_str() == Some(digest.as_ref()),
        });
        let (digest, media_type) = match (entry, reference) {
            (Some(entry), _) => {
                let digest: Digest = entry["digest"]
                    .as_str()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|error| Error::InvalidResponse {
                        what: "index.json entry",
                        origin: self.root.display().to_string(),
                        reason: format!("invalid digest: {error}"),
                    })?;
                (digest, entry["mediaType"].as_str().map(str::to_owned))
            }
            (None, ManifestReference::Digest(digest)) => (digest.clone(), None),
            (None, ManifestReference::Tag(tag)) => {
                return Err(Error::NotInLayout {
                    what: format!("tag {tag}"),
                    path: self.root.display().to_string(),
                });
            }
        };
        let mut stream = self.get_blob(&digest, None).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        let origin = format!("{}@{digest}", self.root.display());
        Manifest::from_bytes(Bytes::from(bytes), media_type.as_deref(), &origin)
    }

    /// Writes a manifest blob and, with a tag, points the tag at it in `index.json` (replacing
    /// the tag's previous entry). Without a tag the manifest is only listed in `index.json` when
    /// `list_untagged` is set, as a copy does for its root manifest.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub async fn put_manifest(
        &self,
        manifest: &Manifest,
        tag: Option<&str>,
        list_untagged: bool,
    ) -> Result<(), Error> {
        if self.blob_exists(&manifest.digest).await?.is_none() {
            let bytes = manifest.bytes.clone();
            let stream = futures_util::stream::iter([Ok(bytes)]);
            self.put_blob(
                &manifest.digest,
                manifest.bytes.len() as u64,
                stream,
                Box::new(|_| {}),
            )
            .await?;
        }
        if tag.is_none() && !list_untagged {
            return Ok(());
        }
        let _guard = self.index_lock.lock().await;
        let mut index = self.read_index().await?;
        let mut descriptor = json!({
            "mediaType": manifest.media_type,
            "digest": manifest.digest.to_string(),
            "size": manifest.bytes.len(),
        });
        if let Some(tag) = tag {
            descriptor["annotations"] = json!({ REF_NAME_ANNOTATION: tag });
        }
        let manifests =
            index["manifests"]
                .as_array_mut()
                .ok_or_else(|| Error::InvalidResponse {
                    what: "index.json",
                    origin: self.root.display().to_string(),
                    reason: "missing the manifests array".to_owned(),
                })?;
        manifests.retain(|entry| match tag {
            Some(tag) => entry["annotations"][REF_NAME_ANNOTATION].as_str() != Some(tag),
            None => {
                !(entry["digest"].as_str() == Some(manifest.digest.as_ref())
                    && entry["annotations"][REF_NAME_ANNOTATION].is_null())
            }
        });
        manifests.push(descriptor);
        write_atomic(&self.root.join("index.json"), index.to_string().as_bytes()).await
    }

    async fn read_index(&self) -> Result<Value, Error> {
        let path = self.root.join("index.json");
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|error| io_error(&path, error))?;
        serde_json::from_slice(&bytes).map_err(|error| Error::InvalidResponse {
            what: "index.json",
            origin: path.display().to_string(),
            reason: error.to_string(),
        })
    }
}

async fn write_verified<S>(
    path: &Path,
    digest: &Digest,
    size: u64,
    stream: S,
    on_bytes: Box<dyn FnMut(u64) + Send>,
) -> Result<(), Error>
where
    S: Stream<Item = Result<Bytes, Error>> + Send + Unpin,
{
    let verifier = Verifier::new(digest, Some(size))?;
    let mut verified = VerifyingStream::new(stream, verifier, on_bytes);
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|error| io_error(path, error))?;
    while let Some(chunk) = verified.next().await {
        file.write_all(&chunk?)
            .await
            .map_err(|error| io_error(path, error))?;
    }
    file.sync_all()
        .await
        .map_err(|error| io_error(path, error))?;
    Ok(())
}

/// Writes a small file through a temporary file and a rename, so readers never see half of it.
async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let temporary = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4()));
    tokio::fs::write(&temporary, bytes)
        .await
        .map_err(|error| io_error(&temporary, error))?;
    tokio::fs::rename(&temporary, path)
        .await
        .map_err(|error| io_error(path, error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_digest;

    #[tokio::test]
    async fn corrupt_blob_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).await.unwrap();
        let digest = sha256_digest(b"layer bytes");
        let stream = futures_util::stream::iter([Ok(Bytes::from_static(b"layer bytes"))]);
        layout
            .put_blob(&digest, 11, stream, Box::new(|_| {}))
            .await
            .unwrap();
        assert_eq!(layout.blob_exists(&digest).await.unwrap(), Some(11));

        let wrong = sha256_digest(b"other bytes");
        let stream = futures_util::stream::iter([Ok(Bytes::from_static(b"layer bytes"))]);
        let error = layout
            .put_blob(&wrong, 11, stream, Box::new(|_| {}))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::DigestMismatch { .. }), "{error}");
        assert_eq!(layout.blob_exists(&wrong).await.unwrap(), None);
        let leftovers = std::fs::read_dir(layout.blob_path(&digest).parent().unwrap())
            .unwrap()
            .count();
        assert_eq!(
            leftovers, 1,
            "the partial file of the rejected blob is removed"
        );
    }

    #[tokio::test]
    async fn tag_replaces_previous_entry() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).await.unwrap();
        for body in [
            &br#"{"schemaVersion":2,"layers":[]}"#[..],
            br#"{"schemaVersion":2,"layers":[ ]}"#,
        ] {
            let manifest = Manifest::from_bytes(
                Bytes::copy_from_slice(body),
                Some(crate::manifest::OCI_MANIFEST),
                "test",
            )
            .unwrap();
            layout
                .put_manifest(&manifest, Some("v1"), false)
                .await
                .unwrap();
            let read = layout
                .get_manifest(&ManifestReference::tag("v1").unwrap())
                .await
                .unwrap();
            assert_eq!(read.digest, manifest.digest);
        }
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn missing_tag_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).await.unwrap();
        let error = layout
            .get_manifest(&ManifestReference::tag("nope").unwrap())
            .await
            .unwrap_err();
        assert!(error.is_not_found(), "{error}");
    }
}
