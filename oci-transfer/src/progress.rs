//! Progress events of a copy.

use std::fmt;
use std::sync::Arc;

use oci_spec::image::Digest;

/// Something that happened during a copy, in the order it happened for each blob or manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// The plan is complete: this many manifests and unique blobs will be considered.
    Planned {
        /// Manifests to push, indexes included.
        manifests: usize,
        /// Unique blobs.
        blobs: usize,
        /// Sum of the blob sizes in bytes.
        bytes: u64,
    },
    /// The destination already has the blob.
    BlobSkipped {
        /// Blob digest.
        digest: Digest,
    },
    /// The destination registry mounted the blob from another repository.
    BlobMounted {
        /// Blob digest.
        digest: Digest,
        /// Repository it was mounted from.
        from: String,
    },
    /// A blob transfer started (attempt 1) or restarted after a retryable failure.
    BlobStarted {
        /// Blob digest.
        digest: Digest,
        /// Blob size in bytes.
        size: u64,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// Bytes of a blob passed through, reported at most once per MiB and at the end.
    BlobProgress {
        /// Blob digest.
        digest: Digest,
        /// Bytes transferred in this attempt so far.
        transferred: u64,
        /// Blob size in bytes.
        size: u64,
    },
    /// A blob was uploaded and verified.
    BlobDone {
        /// Blob digest.
        digest: Digest,
        /// Blob size in bytes.
        size: u64,
    },
    /// A manifest was pushed.
    ManifestPushed {
        /// Manifest digest.
        digest: Digest,
        /// The tag or digest it was pushed under.
        reference: String,
    },
}

/// A callback receiving progress events; it runs on the copy's tasks, so it should return
/// quickly.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(&ProgressEvent) + Send + Sync>);

impl ProgressSink {
    /// Wraps a callback.
    pub fn new(callback: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        ProgressSink(Arc::new(callback))
    }

    /// Creates a sink that drops every event.
    pub fn none() -> Self {
        ProgressSink::new(|_| {})
    }

    pub(crate) fn emit(&self, event: ProgressEvent) {
        (self.0)(&event);
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Bytes between two [`ProgressEvent::BlobProgress`] events.
pub(crate) const PROGRESS_STEP: u64 = 1024 * 1024;

/// Returns a byte counter for a blob that emits [`ProgressEvent::BlobProgress`] every
/// [`PROGRESS_STEP`] bytes and at the end.
pub(crate) fn blob_counter(
    sink: ProgressSink,
    digest: Digest,
    size: u64,
) -> Box<dyn FnMut(u64) + Send> {
    let mut transferred = 0u64;
    let mut reported = 0u64;
    Box::new(move |bytes| {
        transferred += bytes;
        if transferred - reported >= PROGRESS_STEP || (transferred == size && reported != size) {
            reported = transferred;
            sink.emit(ProgressEvent::BlobProgress {
                digest: digest.clone(),
                transferred,
                size,
            });
        }
    })
}
