//! The report of `import_images`: one result per image, with its route and outcome.

use std::fmt;

use crate::workflows::transfer_route::RouteDecision;

/// Result of one image.
#[derive(Debug)]
pub enum ImageStatus {
    /// The target tag now points at the source digest.
    Imported {
        /// Digest of the imported manifest.
        digest: String,
    },
    /// The target tag already pointed at the source digest, so nothing was sent.
    Skipped {
        /// Digest that source and target share.
        digest: String,
    },
    /// Resolving, checking, importing or copying the image failed.
    Failed {
        /// The failure.
        cause: ImageError,
    },
}

impl ImageStatus {
    /// Returns `imported`, `skipped` or `failed`.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Imported { .. } => "imported",
            Self::Skipped { .. } => "skipped",
            Self::Failed { .. } => "failed",
        }
    }
}

/// Failure of one image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// An ACR or source registry request of the server-side route failed.
    #[error(transparent)]
    Acr(#[from] acr_client::Error),
    /// A registry request of the client-side copy failed.
    #[error(transparent)]
    Transfer(#[from] oci_transfer::Error),
    /// The client-side copy pushed a manifest other than the pinned source manifest.
    #[error(
        "copied manifest of {target} is {actual}, but the pinned source is {expected}: the target tag points at other content, so push it again or delete the tag"
    )]
    DigestMismatch {
        /// Target image, `repository:tag`.
        target: String,
        /// Digest of the source manifest, or the entries a platform selection keeps.
        expected: String,
        /// Digest or platform entries found at the destination.
        actual: String,
    },
}

impl ImageError {
    /// Reports whether a registry responded with 404, such as for a missing source tag.
    pub fn is_not_found(&self) -> bool {
        match self {
            ImageError::Acr(error) => error.is_not_found(),
            ImageError::Transfer(error) => error.is_not_found(),
            ImageError::DigestMismatch { .. } => false,
        }
    }
}

/// Result of one image with its source, target and route.
#[derive(Debug)]
pub struct ImageReport {
    /// Source image in Harbor.
    pub source: String,
    /// Target image in ACR.
    pub target: String,
    /// The route the image took and why.
    pub route: RouteDecision,
    /// The outcome.
    pub status: ImageStatus,
}

/// Results of [`apply`](super::apply), one per image in input order.
#[derive(Debug)]
pub struct ImportImagesReport {
    /// Per-image results.
    pub images: Vec<ImageReport>,
}

impl ImportImagesReport {
    /// Counts the images that were imported, skipped and failed, in that order.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for image in &self.images {
            match image.status {
                ImageStatus::Imported { .. } => counts.0 += 1,
                ImageStatus::Skipped { .. } => counts.1 += 1,
                ImageStatus::Failed { .. } => counts.2 += 1,
            }
        }
        counts
    }

    /// Reports whether every image was imported or skipped.
    pub fn is_success(&self) -> bool {
        self.counts().2 == 0
    }
}

impl fmt::Display for ImportImagesReport {
    /// Writes one line per image with its status, source and target, digest, route and, for a
    /// failed image, the error and its causes. A last line counts the statuses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, image) in self.images.iter().enumerate() {
            write!(
                f,
                "{:>3}. {} {} -> {}",
                index + 1,
                image.status.verb(),
                image.source,
                image.target
            )?;
            match &image.status {
                ImageStatus::Imported { digest } | ImageStatus::Skipped { digest } => {
                    write!(f, " at {digest}")?;
                }
                ImageStatus::Failed { .. } => {}
            }
            write!(f, "; route {}", image.route)?;
            if let ImageStatus::Failed { cause } = &image.status {
                write!(f, "; cause: {cause}")?;
                let mut source = std::error::Error::source(cause);
                while let Some(inner) = source {
                    write!(f, ": {inner}")?;
                    source = inner.source();
                }
            }
            writeln!(f)?;
        }
        let (imported, skipped, failed) = self.counts();
        writeln!(f, "{imported} imported, {skipped} skipped, {failed} failed")
    }
}
