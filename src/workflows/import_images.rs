//! `import_images`: copy images from Harbor into ACR, pinned by digest.
//!
//! Each image takes one of two routes, picked by [`transfer_route::plan_route`]: ACR's
//! server-side `importImage`, or a client-side copy with `oci-transfer` from the machine that
//! runs the workflow (for a Harbor that ACR cannot reach, or a subset of platforms).
//!
//! For each image the workflow resolves the source tag to a digest, skips the image when
//! the target tag already points at that digest, and otherwise imports or copies the digest
//! under the target tag. Images of both routes run concurrently up to one bound, and a failed
//! image does not stop the others, so running the workflow again finishes only what is
//! still missing.

mod client_copy;
mod report;

use std::num::NonZeroUsize;

use acr_client::arm::ResourceId;
use acr_client::dataplane::{
    DataPlaneAuth, DataPlaneClient, RegistryCredentials, resolve_manifest_digest,
};
use acr_client::{AcrManagementClient, ImageName, ImageReference, ImportImage, RegistryName};
use futures_util::stream::{self, StreamExt};
use oci_transfer::{PlatformSelection, RegistryClient};
use secrecy::SecretString;
use url::Url;

use super::transfer_route::{
    self, DestinationKind, Reachability, Route, RouteDecision, RouteInput, SourceExposure,
};
use super::{PlanStep, WorkflowError, WorkflowPlan};
use client_copy::ClientCopy;
pub use report::{ImageError, ImageReport, ImageStatus, ImportImagesReport};

/// Default number of images imported at the same time.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Largest accepted concurrency.
// NOTE: a chosen cap that keeps one run from flooding ARM with writes, not a documented ARM limit.
pub const MAX_CONCURRENCY: usize = 32;

/// One image to import: a tagged source in Harbor and a tagged target in ACR, with the
/// platforms to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageMapping {
    source: ImageName,
    target: ImageName,
    platforms: PlatformSelection,
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
            platforms: PlatformSelection::All,
        })
    }

    /// Copies only `platforms` of a source index. `importImage` copies whole indexes, so such
    /// an image always takes the client-side copy, which pushes a new index with these
    /// platforms. Default: [`PlatformSelection::All`].
    pub fn with_platforms(mut self, platforms: PlatformSelection) -> Self {
        self.platforms = platforms;
        self
    }

    /// Returns the platforms to copy.
    pub fn platforms(&self) -> &PlatformSelection {
        &self.platforms
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
    exposure: Option<SourceExposure>,
    reachability: Option<Reachability>,
    source_acr: Option<ResourceId>,
    source_root_certificates: Vec<reqwest::Certificate>,
    copy_destination: Option<RegistryClient>,
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
            exposure: None,
            reachability: None,
            source_acr: None,
            source_root_certificates: Vec::new(),
            copy_destination: None,
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

    /// Sets how Harbor's ingress is exposed, which decides whether ACR's import service can
    /// reach it. Default: unknown.
    pub fn with_source_exposure(mut self, exposure: SourceExposure) -> Self {
        self.exposure = Some(exposure);
        self
    }

    /// States whether ACR's import service can reach the source, overriding what the
    /// exposure and the source address suggest. Default: no override.
    pub fn with_source_reachability(mut self, reachability: Reachability) -> Self {
        self.reachability = Some(reachability);
        self
    }

    /// Marks the source as another ACR with this ARM resource id, so server-side imports
    /// read it by resource id with the caller's Azure AD identity.
    ///
    /// Digest checks and the pulls of client-side copies go to `source_registry`, which is
    /// then the source's login server. Without credentials they authenticate with the ACR
    /// token exchange for the Azure AD credential of the [`AcrManagementClient`]. With
    /// credentials, such as an ACR token and its password, they log in with those.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when `resource_id` is not the id of a
    /// `Microsoft.ContainerRegistry/registries` resource.
    pub fn with_source_acr(mut self, resource_id: &str) -> Result<Self, WorkflowError> {
        let invalid = || WorkflowError::InvalidInput {
            field: "source_acr",
            reason: format!(
                "{resource_id:?} must be a registry's ARM resource id, such as /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>"
            ),
        };
        let parsed = ResourceId::parse(resource_id).map_err(|_| invalid())?;
        let segments: Vec<&str> = parsed.as_str().split('/').collect();
        let is_registry = segments.len() == 9
            && segments[5].eq_ignore_ascii_case("providers")
            && segments[6].eq_ignore_ascii_case("Microsoft.ContainerRegistry")
            && segments[7].eq_ignore_ascii_case("registries");
        if !is_registry {
            return Err(invalid());
        }
        self.source_acr = Some(parsed);
        Ok(self)
    }

    /// Trusts the CA certificates of a PEM bundle, in addition to the system roots, for the
    /// source's TLS certificate, such as the private CA of a Harbor behind an internal load
    /// balancer. Images then take the client-side route (unless the source is an ACR named by
    /// resource id), because `importImage` has no setting that makes ACR trust a private CA.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when `pem` is not valid PEM or contains no certificate.
    pub fn with_source_root_certificates(
        mut self,
        pem: impl AsRef<[u8]>,
    ) -> Result<Self, WorkflowError> {
        let invalid = |reason: String| WorkflowError::InvalidInput {
            field: "source_root_certificates",
            reason,
        };
        let certificates = reqwest::Certificate::from_pem_bundle(pem.as_ref())
            .map_err(|error| invalid(format!("the PEM bundle is not valid PEM: {error}")))?;
        if certificates.is_empty() {
            return Err(invalid(
                "the PEM bundle contains no \"BEGIN CERTIFICATE\" block".to_owned(),
            ));
        }
        self.source_root_certificates.extend(certificates);
        Ok(self)
    }

    /// Sends client-side copies to `destination` instead of the ACR login server with the
    /// Azure AD token exchange, for a proxy, a custom CA bundle or a test registry. Digest
    /// checks of copied images also go to `destination`.
    pub fn with_copy_destination(mut self, destination: RegistryClient) -> Self {
        self.copy_destination = Some(destination);
        self
    }

    /// Returns the images to import.
    pub fn images(&self) -> &[ImageMapping] {
        &self.images
    }

    /// Picks the route of `image` from the exposure, the override, the source and the
    /// image's platforms. The destination is ACR.
    pub fn route(&self, image: &ImageMapping) -> RouteDecision {
        let source_acr = self.source_acr.as_ref().map(ResourceId::as_str);
        let input = RouteInput::new(
            DestinationKind::Acr,
            &self.source_registry,
            &image.platforms,
        )
        .exposure(self.exposure)
        .reachability(self.reachability)
        .source_acr(source_acr)
        .private_ca(!self.source_root_certificates.is_empty());
        transfer_route::plan_route(&input)
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

/// Lists the steps of an import: per image, one digest check and one conditional import or
/// copy, whose detail gives the route and its reason.
pub fn plan(input: &ImportImagesInput) -> WorkflowPlan {
    let source_host = input.source_registry.as_str().trim_end_matches('/');
    let credentials = match input.credentials.as_ref().and_then(|c| c.username.as_ref()) {
        Some(username) => format!(" as {username}"),
        None => " anonymously".to_owned(),
    };
    let mut steps = Vec::with_capacity(input.images.len() * 2);
    for image in &input.images {
        let target = format!("{}/{}", input.registry, image.target);
        let decision = input.route(image);
        steps.push(PlanStep::new(
            "compare_digests",
            target.clone(),
            format!("{source_host}/{}{credentials}", image.source),
        ));
        let (action, platforms) = match decision.route {
            Route::ServerSideImport => ("import_image", String::new()),
            Route::ClientSideCopy => ("copy_image", format!(", platforms {}", image.platforms)),
        };
        steps.push(PlanStep::new(
            action,
            target,
            format!(
                "pinned digest of {source_host}/{}{platforms}, only when the digests differ, {} at a time; {decision}",
                image.source, input.concurrency
            ),
        ));
    }
    WorkflowPlan {
        workflow: "import_images",
        steps,
    }
}

/// Imports or copies every image that is missing or outdated in the target registry.
///
/// Server-side imports go through ARM. Client-side copies pull from the source with the
/// Harbor credentials, where a `robot$` name is sent as a Harbor robot account. They push to
/// the ACR login server with a refresh token from the Azure AD exchange, or to the registry
/// set by [`ImportImagesInput::with_copy_destination`]. The login server is reached at the
/// data-plane endpoint of `acr` when [`AcrManagementClient::with_data_plane_endpoint`] set one.
///
/// # Errors
/// [`WorkflowError::Acr`] when the target registry cannot be read, because no image can
/// be checked without it, and [`WorkflowError::InvalidInput`] when a registry client for
/// the copies cannot be built. Failures of single images are in the report instead.
///
/// # Example
///
/// ```no_run
/// use harbor_azure::acr::arm::ArmClient;
/// use harbor_azure::acr::{AcrManagementClient, RegistryName};
/// use harbor_azure::workflows::import_images::{self, ImageMapping, ImportImagesInput};
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let credential = azure_identity::AzureCliCredential::new(None)?;
/// let arm = ArmClient::builder(credential).build()?;
/// let acr = AcrManagementClient::new(arm, "00000000-0000-0000-0000-000000000000", "rg-harbor")?;
/// let images = vec![ImageMapping::new("library/nginx:1.25.3", "mirror/nginx:1.25.3")?];
/// let input = ImportImagesInput::new(
///     RegistryName::new("exampleacr")?,
///     "https://harbor.example.test",
///     images,
/// )?;
///
/// let report = import_images::apply(&acr, &input).await?;
/// print!("{report}");
/// if !report.is_success() {
///     return Err("some images failed; run the import again to retry them".into());
/// }
/// # Ok(())
/// # }
/// ```
pub async fn apply(
    acr: &AcrManagementClient,
    input: &ImportImagesInput,
) -> Result<ImportImagesReport, WorkflowError> {
    let registry = acr.get_registry(&input.registry).await?;
    let data_planes = DataPlanes {
        target: acr.data_plane_for(&registry)?,
        source_acr: source_acr_data_plane(acr, input)?,
    };
    let routes: Vec<RouteDecision> = input
        .images
        .iter()
        .map(|image| input.route(image))
        .collect();
    let copy = if routes
        .iter()
        .any(|decision| decision.route == Route::ClientSideCopy)
    {
        Some(ClientCopy::new(
            input,
            &data_planes.target,
            data_planes.source_acr.as_ref(),
        )?)
    } else {
        None
    };

    let results: Vec<(usize, ImageStatus)> =
        stream::iter(input.images.iter().zip(&routes).enumerate())
            .map(|(index, (image, decision))| {
                let data_planes = &data_planes;
                let copy = copy.as_ref();
                async move {
                    let status = transfer_one(acr, data_planes, copy, input, image, decision).await;
                    (index, status)
                }
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
        .zip(routes)
        .zip(statuses)
        .map(|((image, route), status)| ImageReport {
            source: image.source.to_string(),
            target: image.target.to_string(),
            route,
            status: status.expect("every image has a result"),
        })
        .collect();
    Ok(ImportImagesReport { images })
}

/// Data-plane clients of one run.
struct DataPlanes {
    /// The target ACR's login server.
    target: DataPlaneClient,
    /// The source ACR's login server, for an ACR source without credentials: digest checks
    /// and the refresh token of client-side copies.
    source_acr: Option<DataPlaneClient>,
}

/// Builds a client of the source ACR's login server that authenticates with the ACR token
/// exchange for the Azure AD credential of `acr`'s ARM client. Returns `None` unless the
/// source is an ACR and the input has no credentials.
///
/// An ACR without anonymous pull rejects a manifest request with 401 unless the bearer
/// token comes from credentials, so digest checks and copies without them need the Azure AD
/// identity.
fn source_acr_data_plane(
    acr: &AcrManagementClient,
    input: &ImportImagesInput,
) -> Result<Option<DataPlaneClient>, WorkflowError> {
    if input.source_acr.is_none() || input.credentials.is_some() {
        return Ok(None);
    }
    let source = &input.source_registry;
    let login_server = &source[url::Position::BeforeHost..url::Position::AfterPort];
    // NOTE: a source registry whose azureADAuthenticationAsArmPolicy is disabled rejects this
    // Resource Manager audience token; only the target's policy is read (`data_plane_for`).
    let auth = DataPlaneAuth::AzureAd {
        credential: acr.arm().credential().clone(),
        scope: acr.arm().scope().to_owned(),
        tenant: None,
    };
    let client = DataPlaneClient::builder(login_server, auth)
        .endpoint(source.clone())
        .clock(acr.arm().clock().clone())
        .http_client(acr.arm().http_client().clone())
        .build()?;
    Ok(Some(client))
}

/// Imports or copies one image by its route; a failure becomes the image's status.
async fn transfer_one(
    acr: &AcrManagementClient,
    data_planes: &DataPlanes,
    copy: Option<&ClientCopy>,
    input: &ImportImagesInput,
    image: &ImageMapping,
    decision: &RouteDecision,
) -> ImageStatus {
    let result = match (decision.route, copy) {
        (Route::ClientSideCopy, Some(copy)) => copy.copy_one(image).await,
        (Route::ClientSideCopy, None) => unreachable!("apply builds the copy clients first"),
        (Route::ServerSideImport, _) => import_one(acr, data_planes, input, image)
            .await
            .map_err(ImageError::from),
    };
    match result {
        Ok(status) => status,
        Err(cause) => {
            tracing::warn!(source = %image.source, target = %image.target, route = %decision.route, error = %cause, "image transfer failed");
            ImageStatus::Failed { cause }
        }
    }
}

async fn import_one(
    acr: &AcrManagementClient,
    data_planes: &DataPlanes,
    input: &ImportImagesInput,
    image: &ImageMapping,
) -> Result<ImageStatus, acr_client::Error> {
    let digest = match &data_planes.source_acr {
        Some(source) => {
            source
                .manifest_digest(&image.source.repository, image.source_tag())
                .await?
        }
        None => {
            resolve_manifest_digest(
                acr.arm().http_client(),
                &input.source_registry,
                image.source.repository.as_str(),
                image.source_tag(),
                input.credentials.as_ref(),
            )
            .await?
        }
    };

    match data_planes
        .target
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
        .target_tag(image.target.to_string())
        .force(true)
        .pin_digest(true);
    match &input.source_acr {
        // ACR reads an ACR source with the caller's identity, so no credentials are sent.
        Some(resource_id) => request = request.resource_id(resource_id.as_str()),
        None => {
            request = request.registry_uri(input.source_registry.as_str());
            if let Some(credentials) = &input.credentials {
                request = request.credentials(
                    credentials.username.clone().unwrap_or_default(),
                    credentials.password.clone(),
                );
            }
        }
    }
    let result = acr.import_image(&input.registry, &request.build()?).await?;
    tracing::info!(source = %result.source_image, target = %image.target, "imported image");
    Ok(ImageStatus::Imported {
        digest: result.digest.unwrap_or(digest),
    })
}
