//! `import_images`: copy images from Harbor into ACR with `importImage`, pinned by digest.
//!
//! For each image the workflow resolves the source tag to a digest, skips the image when
//! the target tag already points at that digest, and otherwise imports the digest under the
//! target tag. Images run concurrently up to a bound, and a failed image does not stop the
//! others, so running the workflow again imports only what is still missing.

use std::num::NonZeroUsize;

use acr_client::dataplane::{DataPlaneClient, RegistryCredentials, resolve_manifest_digest};
use acr_client::{AcrManagementClient, ImageName, ImageReference, ImportImage, RegistryName};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use url::Url;

use super::{PlanStep, WorkflowError, WorkflowPlan};

/// Default number of images imported at the same time.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Largest accepted concurrency.
// NOTE: a chosen cap that keeps one run from flooding ARM with writes, not a documented ARM limit.
pub const MAX_CONCURRENCY: usize = 32;

/// One image to import: a tagged source in Harbor and a tagged target in ACR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageMapping {
    source: ImageName,
    target: ImageName,
}

impl ImageMapping {
    /// Creates a mapping from `source` (`project/repository:tag` in Harbor) to `target`
    /// (`repository:tag` in ACR).
    ///
    /// # Errors
    /// [`WorkflowError::Acr`] for an invalid repository or tag, and
    /// [`WorkflowError::InvalidInput`] when either side has no tag or is a digest.
    pub fn new(source: &str, target: &str) -> Result<Self, WorkflowError> {
        let source_image = ImageName::parse(source)?;
        let target_image = ImageName::parse(target)?;
        require_tag("source", &source_image)?;
        require_tag("target", &target_image)?;
        Ok(Self {
            source: source_image,
            target: target_image,
        })
    }

    /// Returns the source image in Harbor.
    pub fn source(&self) -> &ImageName {
        &self.source
    }

    /// Returns the target image in ACR.
    pub fn target(&self) -> &ImageName {
        &self.target
    }

    fn source_tag(&self) -> &str {
        tag_of(&self.source)
    }

    fn target_tag(&self) -> &str {
        tag_of(&self.target)
    }
}

fn require_tag(field: &'static str, image: &ImageName) -> Result<(), WorkflowError> {
    match image.reference {
        ImageReference::Tag(_) => Ok(()),
        _ => Err(WorkflowError::InvalidInput {
            field,
            reason: format!(
                "{image} must be repository:tag, because the workflow compares tags by digest"
            ),
        }),
    }
}

fn tag_of(image: &ImageName) -> &str {
    match &image.reference {
        ImageReference::Tag(tag) => tag,
        // `ImageMapping::new` accepts tagged images only.
        _ => unreachable!("image mappings are tagged"),
    }
}

/// Validated input of [`plan`] and [`apply`].
#[derive(Debug, Clone)]
pub struct ImportImagesInput {
    registry: RegistryName,
    source_registry: Url,
    credentials: Option<RegistryCredentials>,
    images: Vec<ImageMapping>,
    concurrency: NonZeroUsize,
}

impl ImportImagesInput {
    /// Creates an input that imports `images` from the Harbor at `source_registry`
    /// (`https://host[:port]`) into the ACR `registry`, [`DEFAULT_CONCURRENCY`] at a time.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when `source_registry` is not an `http` or `https`
    /// URL without a path, `images` is empty, or two images have the same target.
    pub fn new(
        registry: RegistryName,
        source_registry: &str,
        images: Vec<ImageMapping>,
    ) -> Result<Self, WorkflowError> {
        let source = parse_registry_url(source_registry)?;
        if images.is_empty() {
            return Err(WorkflowError::InvalidInput {
                field: "images",
                reason: "the list is empty: give at least one source and target".to_owned(),
            });
        }
        for (index, image) in images.iter().enumerate() {
            if images[..index]
                .iter()
                .any(|earlier| earlier.target == image.target)
            {
                return Err(WorkflowError::InvalidInput {
                    field: "images",
                    reason: format!(
                        "target {} appears more than once, so one import would overwrite the other",
                        image.target
                    ),
                });
            }
        }
        Ok(Self {
            registry,
            source_registry: source,
            credentials: None,
            images,
            concurrency: NonZeroUsize::new(DEFAULT_CONCURRENCY).expect("the default is positive"),
        })
    }

    /// Sets the Harbor credentials, such as a robot account with pull access.
    pub fn with_credentials(mut self, username: impl Into<String>, password: SecretString) -> Self {
        self.credentials = Some(RegistryCredentials {
            username: Some(username.into()),
            password,
        });
        self
    }

    /// Sets how many images are imported at the same time.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when `concurrency` is 0 or above [`MAX_CONCURRENCY`].
    pub fn with_concurrency(mut self, concurrency: usize) -> Result<Self, WorkflowError> {
        self.concurrency = NonZeroUsize::new(concurrency)
            .filter(|value| value.get() <= MAX_CONCURRENCY)
            .ok_or_else(|| WorkflowError::InvalidInput {
                field: "concurrency",
                reason: format!("{concurrency} must be between 1 and {MAX_CONCURRENCY}"),
            })?;
        Ok(self)
    }

    /// Returns the images to import.
    pub fn images(&self) -> &[ImageMapping] {
        &self.images
    }

    /// Returns the bound on concurrent imports.
    pub fn concurrency(&self) -> NonZeroUsize {
        self.concurrency
    }
}

fn parse_registry_url(value: &str) -> Result<Url, WorkflowError> {
    let invalid = || WorkflowError::InvalidInput {
        field: "source_registry",
        reason: format!(
            "{value:?} must be an http or https URL without a path, such as https://harbor.example.test:8443"
        ),
    };
    let url = Url::parse(value).map_err(|_| invalid())?;
    let valid = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.path().trim_end_matches('/').is_empty()
        && url.query().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !valid {
        return Err(invalid());
    }
    Ok(url)
}

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
    /// Resolving, checking or importing the image failed.
    Failed {
        /// The failure.
        cause: acr_client::Error,
    },
}

/// Result of one image with its source and target.
#[derive(Debug)]
pub struct ImageReport {
    /// Source image in Harbor.
    pub source: String,
    /// Target image in ACR.
    pub target: String,
    /// What happened.
    pub status: ImageStatus,
}

/// Results of [`apply`], one per image in input order.
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

/// Lists the steps of an import: one digest check and one conditional import per image.
pub fn plan(input: &ImportImagesInput) -> WorkflowPlan {
    let source_host = input.source_registry.as_str().trim_end_matches('/');
    let credentials = match input.credentials.as_ref().and_then(|c| c.username.as_ref()) {
        Some(username) => format!(" as {username}"),
        None => " anonymously".to_owned(),
    };
    let mut steps = Vec::with_capacity(input.images.len() * 2);
    for image in &input.images {
        let target = format!("{}/{}", input.registry, image.target);
        steps.push(PlanStep::new(
            "compare_digests",
            target.clone(),
            format!("{source_host}/{}{credentials}", image.source),
        ));
        steps.push(PlanStep::new(
            "import_image",
            target,
            format!(
                "pinned digest of {source_host}/{}, only when the digests differ, {} at a time",
                image.source, input.concurrency
            ),
        ));
    }
    WorkflowPlan {
        workflow: "import_images",
        steps,
    }
}

/// Imports every image that is missing or outdated in the target registry.
///
/// # Errors
/// [`WorkflowError::Acr`] when the target registry cannot be read, because no image can
/// be checked without it. Failures of single images are in the report instead.
pub async fn apply(
    acr: &AcrManagementClient,
    input: &ImportImagesInput,
) -> Result<ImportImagesReport, WorkflowError> {
    let registry = acr.get_registry(&input.registry).await?;
    let target = acr.data_plane_for(&registry)?;

    let results: Vec<(usize, ImageStatus)> = stream::iter(input.images.iter().enumerate())
        .map(|(index, image)| {
            let target = &target;
            async move { (index, import_one(acr, target, input, image).await) }
        })
        .buffer_unordered(input.concurrency.get())
        .collect()
        .await;

    let mut statuses: Vec<Option<ImageStatus>> = (0..input.images.len()).map(|_| None).collect();
    for (index, status) in results {
        statuses[index] = Some(status);
    }
    let images = input
        .images
        .iter()
        .zip(statuses)
        .map(|(image, status)| ImageReport {
            source: image.source.to_string(),
            target: image.target.to_string(),
            status: status.expect("every image has a result"),
        })
        .collect();
    Ok(ImportImagesReport { images })
}

async fn import_one(
    acr: &AcrManagementClient,
    target: &DataPlaneClient,
    input: &ImportImagesInput,
    image: &ImageMapping,
) -> ImageStatus {
    match try_import_one(acr, target, input, image).await {
        Ok(status) => status,
        Err(cause) => {
            tracing::warn!(source = %image.source, target = %image.target, error = %cause, "image import failed");
            ImageStatus::Failed { cause }
        }
    }
}

async fn try_import_one(
    acr: &AcrManagementClient,
    target: &DataPlaneClient,
    input: &ImportImagesInput,
    image: &ImageMapping,
) -> Result<ImageStatus, acr_client::Error> {
    let digest = resolve_manifest_digest(
        acr.arm().http_client(),
        &input.source_registry,
        image.source.repository.as_str(),
        image.source_tag(),
        input.credentials.as_ref(),
    )
    .await?;

    match target
        .manifest_digest(&image.target.repository, image.target_tag())
        .await
    {
        Ok(current) if current == digest => {
            tracing::info!(target = %image.target, %digest, "target tag is up to date");
            return Ok(ImageStatus::Skipped { digest });
        }
        Ok(_) => {}
        Err(error) if error.is_not_found() => {}
        Err(error) => return Err(error),
    }

    // Import the resolved digest rather than the tag, so a tag moved in Harbor after the
    // comparison cannot put another manifest under the target tag. `force` overwrites a
    // target tag that points at an older digest.
    let mut request = ImportImage::builder(format!("{}@{digest}", image.source.repository))
        .registry_uri(input.source_registry.as_str())
        .target_tag(image.target.to_string())
        .force(true)
        .pin_digest(true);
    if let Some(credentials) = &input.credentials {
        request = request.credentials(
            credentials.username.clone().unwrap_or_default(),
            credentials.password.clone(),
        );
    }
    let result = acr.import_image(&input.registry, &request.build()?).await?;
    tracing::info!(source = %result.source_image, target = %image.target, "imported image");
    Ok(ImageStatus::Imported {
        digest: result.digest.unwrap_or(digest),
    })
}
