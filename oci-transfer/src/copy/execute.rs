//! Running a copy: blobs with bounded concurrency and retries, then manifests, root last.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::try_join_all;
use oci_spec::image::{Descriptor, Digest};
use tokio::sync::Semaphore;

use super::Endpoint;
use super::locations::BlobLocations;
use super::plan;
use super::platforms::PlatformSelection;
use crate::blob::{MountOutcome, UploadSession};
use crate::progress::{ProgressEvent, ProgressSink, blob_counter};
use crate::retry::RetryPolicy;
use crate::{Error, ManifestReference};

/// Settings of a [`Copier`].
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Which entries of an index to copy. Default: all.
    pub platforms: PlatformSelection,
    /// Fail before any upload when the platform selection would write a new index. Default:
    /// false.
    pub preserve_digests: bool,
    /// Blob transfers running at once, across all images of this copier. Default 4.
    pub max_concurrent_blobs: usize,
    /// Retries of a blob transfer after a dropped connection or a retryable status; each retry
    /// restarts the blob. The time budget counts the waits between attempts only, so a long
    /// transfer can still be restarted. Default: [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// Receives progress events. Default: none.
    pub progress: ProgressSink,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            platforms: PlatformSelection::All,
            preserve_digests: false,
            max_concurrent_blobs: 4,
            retry: RetryPolicy::default(),
            progress: ProgressSink::none(),
        }
    }
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyReport {
    /// Digest of the root manifest at the destination; it differs from the source when a
    /// platform selection wrote a new index.
    pub digest: Digest,
    /// Media type of the root manifest.
    pub media_type: String,
    /// Manifests pushed, the root included.
    pub manifests_pushed: usize,
    /// Blobs streamed from the source.
    pub blobs_copied: usize,
    /// Blobs the destination already had.
    pub blobs_skipped: usize,
    /// Blobs mounted from another repository of the destination registry.
    pub blobs_mounted: usize,
    /// Bytes streamed, over all attempts that completed.
    pub bytes_copied: u64,
}

/// Copies images and indexes. Cheap to clone; clones share the blob concurrency limit and the
/// [`BlobLocations`] memory.
#[derive(Debug, Clone)]
pub struct Copier {
    options: CopyOptions,
    permits: Arc<Semaphore>,
    locations: BlobLocations,
}

#[derive(Default)]
struct Counters {
    copied: AtomicUsize,
    skipped: AtomicUsize,
    mounted: AtomicUsize,
    bytes: AtomicU64,
}

impl Copier {
    /// Creates a copier.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `max_concurrent_blobs` is 0 or `retry.max_attempts` is 0.
    pub fn new(options: CopyOptions) -> Result<Self, Error> {
        if options.max_concurrent_blobs == 0 {
            return Err(Error::InvalidInput {
                what: "max_concurrent_blobs",
                value: "0".to_owned(),
                rule: "must be at least 1".to_owned(),
            });
        }
        if let Err(error) = options.retry.validate() {
            return Err(Error::InvalidInput {
                what: "retry",
                value: format!("{:?}", options.retry),
                rule: error.to_string(),
            });
        }
        Ok(Copier {
            permits: Arc::new(Semaphore::new(options.max_concurrent_blobs)),
            options,
            locations: BlobLocations::new(),
        })
    }

    /// Uses `locations` as the memory of where blobs were seen, to share it between copiers.
    pub fn with_locations(mut self, locations: BlobLocations) -> Self {
        self.locations = locations;
        self
    }

    /// The memory of where blobs were seen.
    pub fn locations(&self) -> &BlobLocations {
        &self.locations
    }

    /// Copies the image or index named by `source` to `destination`.
    ///
    /// Blobs the destination has are skipped; blobs in another repository of the destination
    /// registry are mounted; the others are streamed and verified. Manifests are pushed after
    /// all blobs, children by digest and the root last under the destination's tag, so an
    /// interrupted copy leaves no tag pointing at missing content.
    ///
    /// # Errors
    ///
    /// The first error of any step; content pushed before it stays, untagged, and a repeated
    /// copy skips it.
    pub async fn copy(
        &self,
        source: &Endpoint,
        destination: &Endpoint,
    ) -> Result<CopyReport, Error> {
        let root = source.get_manifest(source.reference()).await?;
        let plan = plan::build(
            source,
            root,
            &self.options.platforms,
            self.options.preserve_digests,
        )
        .await?;
        if let ManifestReference::Digest(expected) = destination.reference()
            && *expected != plan.root().digest
        {
            return Err(Error::InvalidInput {
                what: "destination digest",
                value: expected.to_string(),
                rule: format!(
                    "the copied root manifest has digest {}; push it by tag or by that digest",
                    plan.root().digest
                ),
            });
        }
        self.options.progress.emit(ProgressEvent::Planned {
            manifests: plan.manifests.len(),
            blobs: plan.blobs.len(),
            bytes: plan.blobs.iter().map(Descriptor::size).sum(),
        });

        let counters = Counters::default();
        try_join_all(
            plan.blobs
                .iter()
                .map(|blob| self.transfer_blob(source, destination, blob, &counters)),
        )
        .await?;

        let root_digest = plan.root().digest.clone();
        for manifest in &plan.manifests {
            let is_root = manifest.digest == root_digest;
            let reference = if is_root {
                destination.reference().clone()
            } else {
                ManifestReference::Digest(manifest.digest.clone())
            };
            destination
                .put_manifest(manifest, &reference, is_root)
                .await?;
            self.options.progress.emit(ProgressEvent::ManifestPushed {
                digest: manifest.digest.clone(),
                reference: reference.to_string(),
            });
        }
        Ok(CopyReport {
            digest: root_digest,
            media_type: plan.root().media_type.clone(),
            manifests_pushed: plan.manifests.len(),
            blobs_copied: counters.copied.load(Ordering::Relaxed),
            blobs_skipped: counters.skipped.load(Ordering::Relaxed),
            blobs_mounted: counters.mounted.load(Ordering::Relaxed),
            bytes_copied: counters.bytes.load(Ordering::Relaxed),
        })
    }

    /// Copies several images, at most `max_concurrent_images` at once, sharing the blob limit.
    /// Returns one result per pair, in order.
    pub async fn copy_all(
        &self,
        pairs: &[(Endpoint, Endpoint)],
        max_concurrent_images: usize,
    ) -> Vec<Result<CopyReport, Error>> {
        futures_util::stream::iter(
            pairs
                .iter()
                .map(|(source, destination)| self.copy(source, destination)),
        )
        .buffered(max_concurrent_images.max(1))
        .collect()
        .await
    }

    async fn transfer_blob(
        &self,
        source: &Endpoint,
        destination: &Endpoint,
        blob: &Descriptor,
        counters: &Counters,
    ) -> Result<(), Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let digest = blob.digest();
        let progress = &self.options.progress;
        self.remember(source, digest);

        if destination.blob_exists(digest).await?.is_some() {
            counters.skipped.fetch_add(1, Ordering::Relaxed);
            self.remember(destination, digest);
            progress.emit(ProgressEvent::BlobSkipped {
                digest: digest.clone(),
            });
            return Ok(());
        }

        let mut session: Option<UploadSession> = None;
        if let Endpoint::Registry {
            client, repository, ..
        } = destination
            && let Some(from) = self.mount_source(source, destination, digest)
        {
            let from = crate::RepositoryName::new(from)?;
            match client.mount_blob(repository, digest, &from).await? {
                MountOutcome::Mounted => {
                    counters.mounted.fetch_add(1, Ordering::Relaxed);
                    self.remember(destination, digest);
                    progress.emit(ProgressEvent::BlobMounted {
                        digest: digest.clone(),
                        from: from.to_string(),
                    });
                    return Ok(());
                }
                MountOutcome::Upload(opened) => session = Some(opened),
            }
        }

        let retry = &self.options.retry;
        let mut attempt = 1;
        let mut waited = Duration::ZERO;
        loop {
            progress.emit(ProgressEvent::BlobStarted {
                digest: digest.clone(),
                size: blob.size(),
                attempt,
            });
            match self
                .stream_blob(source, destination, blob, session.take())
                .await
            {
                Ok(()) => break,
                Err(error) => {
                    let wait = if is_transfer_retryable(&error, [source, destination]) {
                        retry.next_delay(attempt, waited, None)
                    } else {
                        None
                    };
                    let Some(wait) = wait else {
                        return Err(error);
                    };
                    tracing::warn!(digest = %digest, source = %source.describe(), destination = %destination.describe(), attempt, error = %error, wait_ms = wait.as_millis() as u64, "blob transfer failed; restarting it");
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    attempt += 1;
                }
            }
        }
        counters.copied.fetch_add(1, Ordering::Relaxed);
        counters.bytes.fetch_add(blob.size(), Ordering::Relaxed);
        self.remember(destination, digest);
        progress.emit(ProgressEvent::BlobDone {
            digest: digest.clone(),
            size: blob.size(),
        });
        Ok(())
    }

    async fn stream_blob(
        &self,
        source: &Endpoint,
        destination: &Endpoint,
        blob: &Descriptor,
        session: Option<UploadSession>,
    ) -> Result<(), Error> {
        let digest = blob.digest();
        let counter = blob_counter(self.options.progress.clone(), digest.clone(), blob.size());
        match destination {
            Endpoint::Registry {
                client, repository, ..
            } => {
                // The upload session and the download open concurrently to save a round trip.
                let open_session = async {
                    match session {
                        Some(session) => Ok(session),
                        None => client.start_upload(repository).await,
                    }
                };
                let (session, stream) = tokio::try_join!(open_session, source.open_blob(digest))?;
                client
                    .upload_blob(repository, session, digest, blob.size(), stream, counter)
                    .await
            }
            Endpoint::Layout { layout, .. } => {
                let stream = source.open_blob(digest).await?;
                layout.put_blob(digest, blob.size(), stream, counter).await
            }
        }
    }

    /// Picks the repository to mount `digest` from: the source repository when source and
    /// destination are the same registry, else one where an earlier copy saw the blob.
    fn mount_source(
        &self,
        source: &Endpoint,
        destination: &Endpoint,
        digest: &Digest,
    ) -> Option<String> {
        let Endpoint::Registry {
            client: target,
            repository: target_repository,
            ..
        } = destination
        else {
            return None;
        };
        if let Endpoint::Registry {
            client, repository, ..
        } = source
            && client.is_same_registry(target)
            && repository != target_repository
        {
            return Some(repository.to_string());
        }
        let origin = target.base_url().origin().ascii_serialization();
        self.locations
            .find(&origin, digest, target_repository.as_str())
    }

    fn remember(&self, endpoint: &Endpoint, digest: &Digest) {
        if let Endpoint::Registry {
            client, repository, ..
        } = endpoint
        {
            let origin = client.base_url().origin().ascii_serialization();
            self.locations.record(&origin, repository.as_str(), digest);
        }
    }
}

/// Reports whether restarting a blob transfer may succeed: after a retryable error, or after a
/// 401 from one of the two registries, such as an upload whose token expired. The client has
/// then responded to the challenge, so the restart is authorized. A 401 from another host, such
/// as an upload `Location` there, gets no credentials and would fail again.
fn is_transfer_retryable(error: &Error, endpoints: [&Endpoint; 2]) -> bool {
    if error.is_retryable() {
        return true;
    }
    let Error::Status {
        status: 401, url, ..
    } = error
    else {
        return false;
    };
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    endpoints.iter().any(|endpoint| match endpoint {
        Endpoint::Registry { client, .. } => client.base_url().origin() == url.origin(),
        Endpoint::Layout { .. } => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegistryClient;
    use crate::digest::sha256_digest;

    fn registry(base_url: &str, repository: &str) -> Endpoint {
        let client = RegistryClient::builder(base_url).build().unwrap();
        Endpoint::registry(&client, repository, "1.25.3").unwrap()
    }

    #[test]
    fn unauthorized_retried_for_own_registries_only() {
        let source = registry("https://harbor.example.test", "library/nginx");
        let destination = registry("https://exampleacr.azurecr.io", "mirror/nginx");
        let status = |status: u16, url: &str| Error::Status {
            method: "PUT".to_owned(),
            url: url.to_owned(),
            status,
            codes: Vec::new(),
            request_id: None,
        };
        let cases = [
            (
                401,
                "https://exampleacr.azurecr.io/v2/mirror/nginx/blobs/uploads/u1",
                true,
            ),
            (
                401,
                "https://harbor.example.test/v2/library/nginx/blobs/sha256:1",
                true,
            ),
            (401, "https://storage.example.test/upload/u1", false),
            (503, "https://storage.example.test/upload/u1", true),
            (
                500,
                "https://exampleacr.azurecr.io/v2/mirror/nginx/blobs/uploads/u1",
                false,
            ),
        ];
        for (code, url, expected) in cases {
            assert_eq!(
                is_transfer_retryable(&status(code, url), [&source, &destination]),
                expected,
                "{code} {url}"
            );
        }
    }

    #[test]
    fn mount_only_within_one_registry() {
        let copier = Copier::new(CopyOptions::default()).unwrap();
        let digest = sha256_digest(b"layer");
        let harbor = registry("https://harbor.example.test", "library/nginx");
        let acr_base = registry("https://exampleacr.azurecr.io", "base/nginx");
        let acr_mirror = registry("https://exampleacr.azurecr.io", "mirror/nginx");

        // Harbor rejects a mount whose `from` names a repository of another registry, so a
        // copy between registries must not try one.
        assert_eq!(copier.mount_source(&harbor, &acr_mirror, &digest), None);
        copier.remember(&harbor, &digest);
        assert_eq!(copier.mount_source(&harbor, &acr_mirror, &digest), None);

        assert_eq!(
            copier.mount_source(&acr_base, &acr_mirror, &digest),
            Some("base/nginx".to_owned())
        );
    }
}
