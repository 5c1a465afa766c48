//! `import_images` against stateful fakes of a Harbor source registry and of ARM with the
//! ACR data plane.

mod support;

use acr_client::{Error, RegistryName};
use harbor_azure::workflows::WorkflowError;
use harbor_azure::workflows::import_images::{
    self, ImageError, ImageMapping, ImageStatus, ImportImagesInput,
};
use harbor_azure::workflows::transfer_route::{Reachability, Route, RouteReason, SourceExposure};
use secrecy::SecretString;
use support::fake_acr::FakeAcr;
use support::fake_source::FakeSource;

const REGISTRY: &str = "exampleacr";

fn digest(fill: char) -> String {
    format!("sha256:{}", fill.to_string().repeat(64))
}

const REPOSITORIES: [&str; 4] = ["nginx", "redis", "postgres", "busybox"];

async fn start_fakes() -> (
    FakeSource,
    wiremock::MockServer,
    FakeAcr,
    wiremock::MockServer,
) {
    let fills = ['a', 'b', 'c', 'd'];
    let tags: Vec<(String, String)> = REPOSITORIES
        .iter()
        .zip(fills)
        .map(|(repository, fill)| (format!("library/{repository}:1.0"), digest(fill)))
        .collect();
    let tags: Vec<(&str, &str)> = tags
        .iter()
        .map(|(image, digest)| (image.as_str(), digest.as_str()))
        .collect();
    let (source, source_server) = FakeSource::start(&tags).await;
    let (acr, acr_server) = FakeAcr::start(REGISTRY).await;
    (source, source_server, acr, acr_server)
}

fn four_images(source: &wiremock::MockServer) -> ImportImagesInput {
    let images = REPOSITORIES
        .iter()
        .map(|repository| {
            ImageMapping::new(
                &format!("library/{repository}:1.0"),
                &format!("mirror/{repository}:1.0"),
            )
            .unwrap()
        })
        .collect();
    ImportImagesInput::new(RegistryName::new(REGISTRY).unwrap(), &source.uri(), images)
        .unwrap()
        .with_credentials(
            "robot$library+acr-import",
            SecretString::from("s3cr3t-EXAMPLE"),
        )
        // The fake source listens on 127.0.0.1, which the planner routes to a client-side
        // copy; the fake ARM plays an ACR that reaches it.
        .with_source_reachability(Reachability::Reachable)
}

#[tokio::test]
async fn failed_import_does_not_stop_others() {
    let (_source, source_server, acr, acr_server) = start_fakes().await;
    acr.fail_next_import("library/postgres");
    let client = support::acr_client(&acr_server.uri());

    let report = import_images::apply(&client, &four_images(&source_server))
        .await
        .unwrap();

    assert_eq!(report.counts(), (3, 0, 1));
    assert!(!report.is_success());
    for image in &report.images {
        assert_eq!(
            image.route.route,
            Route::ServerSideImport,
            "{}",
            image.source
        );
    }
    let failed = &report.images[2];
    assert_eq!(failed.source, "library/postgres:1.0");
    match &failed.status {
        ImageStatus::Failed {
            cause: ImageError::Acr(Error::ImportFailed { code, .. }),
        } => assert_eq!(code, "InvalidParameters"),
        other => panic!("expected an ImportFailed cause, got {other:?}"),
    }
    match &report.images[0].status {
        ImageStatus::Imported { digest: imported } => assert_eq!(imported, &digest('a')),
        other => panic!("expected Imported, got {other:?}"),
    }
    assert_eq!(acr.tag("mirror/nginx:1.0"), Some(digest('a')));
    assert_eq!(acr.tag("mirror/busybox:1.0"), Some(digest('d')));
    assert_eq!(acr.tag("mirror/postgres:1.0"), None);
    assert_eq!(acr.imports().len(), 4);
}

#[tokio::test]
async fn report_prints_one_line_per_image() {
    let (_source, source_server, acr, acr_server) = start_fakes().await;
    acr.fail_next_import("library/postgres");
    acr.set_tag("mirror/redis:1.0", &digest('b'));
    let client = support::acr_client(&acr_server.uri());

    let report = import_images::apply(&client, &four_images(&source_server))
        .await
        .unwrap();

    let printed = report.to_string();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 5, "{printed}");
    let route = format!("route {}", report.images[0].route);
    assert!(route.starts_with("route server-side import: "), "{route}");
    assert_eq!(
        lines[0],
        format!(
            "  1. imported library/nginx:1.0 -> mirror/nginx:1.0 at {}; {route}",
            digest('a')
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "  2. skipped library/redis:1.0 -> mirror/redis:1.0 at {}; {route}",
            digest('b')
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "  3. failed library/postgres:1.0 -> mirror/postgres:1.0; {route}; cause: importImage \
             into registry exampleacr failed: InvalidParameters: fake failure importing \
             library/postgres"
        )
    );
    assert_eq!(lines[4], "2 imported, 1 skipped, 1 failed");
    assert!(!printed.contains("s3cr3t"), "{printed}");
}

#[tokio::test]
async fn rerun_imports_only_what_is_missing() {
    let (_source, source_server, acr, acr_server) = start_fakes().await;
    acr.fail_next_import("library/postgres");
    let client = support::acr_client(&acr_server.uri());
    let input = four_images(&source_server);
    import_images::apply(&client, &input).await.unwrap();
    let first_run_imports = acr.imports().len();

    let report = import_images::apply(&client, &input).await.unwrap();

    assert_eq!(report.counts(), (1, 3, 0));
    assert!(report.is_success());
    for (index, fill) in [(0, 'a'), (1, 'b'), (3, 'd')] {
        match &report.images[index].status {
            ImageStatus::Skipped { digest: skipped } => assert_eq!(skipped, &digest(fill)),
            other => panic!("expected Skipped for image {index}, got {other:?}"),
        }
    }
    let imports = acr.imports();
    assert_eq!(
        imports.len(),
        first_run_imports + 1,
        "the re-run sends one import"
    );
    let retried = imports.last().unwrap();
    assert_eq!(
        retried.source_image,
        format!("library/postgres@{}", digest('c'))
    );
    assert_eq!(retried.target_tags, ["mirror/postgres:1.0"]);
    assert_eq!(acr.tag("mirror/postgres:1.0"), Some(digest('c')));
}

#[tokio::test]
async fn import_pins_digest_and_forces_tag() {
    let (_source, source_server, acr, acr_server) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());

    import_images::apply(&client, &four_images(&source_server))
        .await
        .unwrap();

    let imports = acr.imports();
    assert_eq!(imports.len(), 4);
    let source_host = source_server.address().to_string();
    for import in imports {
        assert!(import.source_image.contains("@sha256:"), "{import:?}");
        assert_eq!(import.mode, "Force");
        assert_eq!(import.registry_uri.as_deref(), Some(source_host.as_str()));
        assert_eq!(import.resource_id, None);
    }
}

#[tokio::test]
async fn moved_source_tag_is_imported_again() {
    let (source, source_server, acr, acr_server) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());
    let input = four_images(&source_server);
    import_images::apply(&client, &input).await.unwrap();
    source.set_tag("library/redis:1.0", &digest('e'));

    let report = import_images::apply(&client, &input).await.unwrap();

    assert_eq!(report.counts(), (1, 3, 0));
    match &report.images[1].status {
        ImageStatus::Imported { digest: imported } => assert_eq!(imported, &digest('e')),
        other => panic!("expected Imported, got {other:?}"),
    }
    assert_eq!(acr.tag("mirror/redis:1.0"), Some(digest('e')));
}

#[tokio::test]
async fn missing_source_tag_fails_that_image() {
    let (_source, source_server, acr, acr_server) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());
    let images = vec![
        ImageMapping::new("library/nginx:1.0", "mirror/nginx:1.0").unwrap(),
        ImageMapping::new("library/absent:1.0", "mirror/absent:1.0").unwrap(),
    ];
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &source_server.uri(),
        images,
    )
    .unwrap()
    .with_source_reachability(Reachability::Reachable);

    let report = import_images::apply(&client, &input).await.unwrap();

    assert_eq!(report.counts(), (1, 0, 1));
    match &report.images[1].status {
        ImageStatus::Failed { cause } => assert!(cause.is_not_found(), "{cause:?}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(acr.imports().len(), 1);
}

#[tokio::test]
async fn concurrency_bound_is_respected() {
    let (_source, source_server, acr, acr_server) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());
    let input = four_images(&source_server).with_concurrency(2).unwrap();

    let report = import_images::apply(&client, &input).await.unwrap();

    assert_eq!(report.counts(), (4, 0, 0));
    assert!(
        acr.max_in_flight() <= 2,
        "max in flight {}",
        acr.max_in_flight()
    );
}

#[test]
fn plan_lists_two_steps_per_image_without_secret() {
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        "https://harbor.example.test:8443",
        vec![
            ImageMapping::new("library/nginx:1.25.3", "mirror/nginx:1.25.3").unwrap(),
            ImageMapping::new("library/redis:7.2", "mirror/redis:7.2").unwrap(),
        ],
    )
    .unwrap()
    .with_credentials(
        "robot$library+acr-import",
        SecretString::from("s3cr3t-EXAMPLE"),
    );

    let plan = import_images::plan(&input);

    assert_eq!(plan.workflow, "import_images");
    let actions: Vec<&str> = plan.steps.iter().map(|step| step.action).collect();
    assert_eq!(
        actions,
        [
            "compare_digests",
            "import_image",
            "compare_digests",
            "import_image"
        ]
    );
    assert_eq!(plan.steps[1].target, "exampleacr/mirror/nginx:1.25.3");
    assert!(plan.steps[0].detail.contains("robot$library+acr-import"));
    let shown = format!("{plan}{plan:?}{input:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
}

#[test]
fn input_rejects_invalid_values() {
    let registry = || RegistryName::new(REGISTRY).unwrap();
    let nginx = || vec![ImageMapping::new("library/nginx:1.0", "mirror/nginx:1.0").unwrap()];

    let empty = ImportImagesInput::new(registry(), "https://harbor.example.test", vec![]);
    let duplicate = ImportImagesInput::new(
        registry(),
        "https://harbor.example.test",
        vec![
            ImageMapping::new("library/nginx:1.0", "mirror/nginx:1.0").unwrap(),
            ImageMapping::new("library/nginx:1.1", "mirror/nginx:1.0").unwrap(),
        ],
    );
    let with_path = ImportImagesInput::new(registry(), "https://harbor.example.test/v2/", nginx());
    let ftp = ImportImagesInput::new(registry(), "ftp://harbor.example.test", nginx());
    let zero = ImportImagesInput::new(registry(), "https://harbor.example.test", nginx())
        .unwrap()
        .with_concurrency(0);
    let too_many = ImportImagesInput::new(registry(), "https://harbor.example.test", nginx())
        .unwrap()
        .with_concurrency(import_images::MAX_CONCURRENCY + 1);
    let untagged = ImageMapping::new("library/nginx", "mirror/nginx:1.0");
    let by_digest = ImageMapping::new(
        &format!("library/nginx@{}", digest('a')),
        "mirror/nginx:1.0",
    );

    for (case, result) in [
        ("empty", empty.map(drop)),
        ("duplicate target", duplicate.map(drop)),
        ("URL with path", with_path.map(drop)),
        ("ftp URL", ftp.map(drop)),
        ("concurrency 0", zero.map(drop)),
        ("concurrency above max", too_many.map(drop)),
        ("untagged source", untagged.map(drop)),
        ("source by digest", by_digest.map(drop)),
    ] {
        match result {
            Err(WorkflowError::InvalidInput { .. }) => {}
            other => panic!("{case}: expected InvalidInput, got {other:?}"),
        }
    }
}

#[test]
fn invalid_message_names_value() {
    let error = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        "https://harbor.example.test",
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid images: the list is empty: give at least one source and target"
    );
    let error = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        "ftp://harbor.example.test",
        vec![ImageMapping::new("library/nginx:1.0", "mirror/nginx:1.0").unwrap()],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("\"ftp://harbor.example.test\""),
        "{error}"
    );
}

#[test]
fn plan_shows_route_and_reason() {
    let images = vec![
        ImageMapping::new("library/nginx:1.25.3", "mirror/nginx:1.25.3").unwrap(),
        ImageMapping::new("library/redis:7.2", "mirror/redis:7.2")
            .unwrap()
            .with_platforms(oci_transfer::PlatformSelection::only(["linux/arm64"]).unwrap()),
    ];
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        "https://harbor.example.test",
        images,
    )
    .unwrap()
    .with_source_exposure(SourceExposure::Public);

    let plan = import_images::plan(&input);

    let actions: Vec<&str> = plan.steps.iter().map(|step| step.action).collect();
    assert_eq!(
        actions,
        [
            "compare_digests",
            "import_image",
            "compare_digests",
            "copy_image"
        ]
    );
    assert!(
        plan.steps[1]
            .detail
            .contains("server-side import: Harbor's ingress has a public load balancer"),
        "{}",
        plan.steps[1].detail
    );
    assert!(
        plan.steps[3]
            .detail
            .contains("client-side copy: only platforms linux/arm64 are selected"),
        "{}",
        plan.steps[3].detail
    );
    assert!(
        plan.steps[3].detail.contains("platforms linux/arm64,"),
        "{}",
        plan.steps[3].detail
    );
}

#[test]
fn private_link_source_routes_to_copy() {
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        "https://harbor.example.test",
        vec![ImageMapping::new("library/nginx:1.0", "mirror/nginx:1.0").unwrap()],
    )
    .unwrap()
    .with_source_exposure(SourceExposure::PrivateLink);

    let decision = input.route(&input.images()[0]);

    assert_eq!(decision.route, Route::ClientSideCopy);
    assert_eq!(
        decision.reason,
        RouteReason::Exposure {
            exposure: SourceExposure::PrivateLink,
            host: "harbor.example.test".to_owned(),
        }
    );
}

#[tokio::test]
async fn acr_source_imports_by_resource_id() {
    let (source, source_server, acr, acr_server) = start_fakes().await;
    source.require_azure_ad();
    let client = support::acr_client(&acr_server.uri());
    let resource_id = format!(
        "/subscriptions/{}/resourceGroups/source-rg/providers/Microsoft.ContainerRegistry/registries/sourceacr",
        support::SUBSCRIPTION
    );
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &source_server.uri(),
        vec![ImageMapping::new("library/nginx:1.0", "mirror/nginx:1.0").unwrap()],
    )
    .unwrap()
    .with_source_acr(&resource_id)
    .unwrap();

    let report = import_images::apply(&client, &input).await.unwrap();

    assert_eq!(report.counts(), (1, 0, 0));
    assert_eq!(
        report.images[0].route.reason,
        RouteReason::SourceIsAcr {
            resource_id: resource_id.clone()
        }
    );
    let imports = acr.imports();
    assert_eq!(imports.len(), 1);
    assert_eq!(
        imports[0].resource_id.as_deref(),
        Some(resource_id.as_str())
    );
    assert_eq!(imports[0].registry_uri, None);
    assert_eq!(acr.tag("mirror/nginx:1.0"), Some(digest('a')));
    let requests = source.requests();
    let exchanges = requests
        .iter()
        .filter(|request| *request == "POST /oauth2/exchange")
        .count();
    assert_eq!(exchanges, 1, "{requests:?}");
}

#[test]
fn source_acr_must_be_registry_id() {
    let input = || {
        ImportImagesInput::new(
            RegistryName::new(REGISTRY).unwrap(),
            "https://sourceacr.azurecr.io",
            vec![ImageMapping::new("library/nginx:1.0", "mirror/nginx:1.0").unwrap()],
        )
        .unwrap()
    };
    for value in [
        "sourceacr",
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/data",
    ] {
        match input().with_source_acr(value) {
            Err(WorkflowError::InvalidInput { field, reason }) => {
                assert_eq!(field, "source_acr");
                assert!(reason.contains(value), "{reason}");
            }
            other => panic!("{value}: expected InvalidInput, got {other:?}"),
        }
    }
}
