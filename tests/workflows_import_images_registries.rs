//! `import_images` with both routes at once: client-side copies between two real CNCF
//! distribution registries started by `cargo xtask test`, and a server-side import sent to
//! the fake ARM.
//!
//! The source is the htpasswd registry, read with its user as the Harbor credentials. The
//! copy destination is the anonymous registry behind a proxy that injects a 500 on one
//! manifest `PUT` and records the others.

mod support;

use acr_client::RegistryName;
use harbor_azure::workflows::import_images::{
    self, ImageError, ImageMapping, ImageStatus, ImportImagesInput,
};
use harbor_azure::workflows::transfer_route::{Reachability, Route, RouteReason};
use oci_transfer::{ManifestKind, ManifestReference, PlatformSelection, RepositoryName};
use support::fake_acr::FakeAcr;
use support::fault_proxy::FaultProxy;
use support::registries::*;

const REGISTRY: &str = "exampleacr";

/// Indexes copied client-side with one of their two platforms.
const COPIED: [&str; 3] = ["redis", "postgres", "busybox"];

#[tokio::test]
async fn mixed_routes_rerun_after_failure() {
    let Some((source_url, user, password)) = htpasswd_registry() else {
        return;
    };
    let Some(destination_url) = anonymous_registry() else {
        return;
    };
    let prefix = unique_prefix();
    let source = htpasswd_client(&source_url, &user, &password);

    // nginx is a single image, imported server-side; the others are indexes of amd64 and
    // arm64 images, of which only amd64 is copied.
    let nginx = random_image(20_000, "amd64");
    push_image(&source, &format!("{prefix}/nginx"), &nginx).await;
    push_tag(&source, &format!("{prefix}/nginx"), "1.0", &nginx.manifest).await;
    let mut amd64_digests = Vec::new();
    for repository in COPIED {
        let path = format!("{prefix}/{repository}");
        let amd64 = random_image(50_000, "amd64");
        let arm64 = random_image(40_000, "arm64");
        push_image(&source, &path, &amd64).await;
        push_image(&source, &path, &arm64).await;
        let index = index_of(&[(&amd64, "amd64"), (&arm64, "arm64")]);
        push_tag(&source, &path, "1.0", &index).await;
        amd64_digests.push(amd64.manifest.digest.to_string());
    }

    let (acr, acr_server) = FakeAcr::start(REGISTRY).await;
    let acr_client = support::acr_client(&acr_server.uri());
    let (proxy, proxy_url) = FaultProxy::start(&destination_url).await;
    proxy.fail_manifest_puts(&format!("{prefix}/mirror/postgres/manifests/1.0"), 1);

    let amd64_only = PlatformSelection::only(["linux/amd64"]).unwrap();
    let mut images =
        vec![ImageMapping::new(&format!("{prefix}/nginx:1.0"), "mirror/nginx:1.0").unwrap()];
    for repository in COPIED {
        images.push(
            ImageMapping::new(
                &format!("{prefix}/{repository}:1.0"),
                &format!("{prefix}/mirror/{repository}:1.0"),
            )
            .unwrap()
            .with_platforms(amd64_only.clone()),
        );
    }
    let input = ImportImagesInput::new(RegistryName::new(REGISTRY).unwrap(), &source_url, images)
        .unwrap()
        .with_credentials(user.clone(), password.clone())
        // The fake ARM plays an ACR that reaches the source on 127.0.0.1.
        .with_source_reachability(Reachability::Reachable)
        .with_copy_destination(client_without_pool(&proxy_url))
        .with_concurrency(4)
        .unwrap();

    let first = import_images::apply(&acr_client, &input).await.unwrap();

    assert_eq!(first.counts(), (3, 0, 1), "{first:#?}");
    assert_eq!(first.images[0].route.route, Route::ServerSideImport);
    assert!(matches!(
        first.images[0].route.reason,
        RouteReason::MarkedReachable { .. }
    ));
    for image in &first.images[1..] {
        assert_eq!(image.route.route, Route::ClientSideCopy, "{}", image.source);
        assert!(
            matches!(image.route.reason, RouteReason::PlatformSubset { .. }),
            "{:?}",
            image.route.reason
        );
    }
    match &first.images[2].status {
        ImageStatus::Failed {
            cause: ImageError::Transfer(error),
        } => assert_eq!(
            error.status().map(|status| status.as_u16()),
            Some(500),
            "{error}"
        ),
        other => panic!("expected the injected 500, got {other:?}"),
    }
    assert_eq!(acr.imports().len(), 1);
    assert_eq!(
        acr.imports()[0].source_image,
        format!("{prefix}/nginx@{}", nginx.manifest.digest)
    );
    assert_eq!(
        acr.tag("mirror/nginx:1.0"),
        Some(nginx.manifest.digest.to_string())
    );

    // Copied tags hold a new index with the amd64 image only; the failed one has no tag.
    let destination = client_without_pool(&destination_url);
    for (index, repository) in COPIED.iter().enumerate() {
        let path = RepositoryName::new(format!("{prefix}/mirror/{repository}")).unwrap();
        let tag = ManifestReference::tag("1.0").unwrap();
        let fetched = destination.get_manifest(&path, &tag).await;
        if *repository == "postgres" {
            let error = fetched.unwrap_err();
            assert!(error.is_not_found(), "{error}");
            continue;
        }
        let manifest = fetched.unwrap();
        let ManifestKind::Index(written) = manifest.kind().unwrap() else {
            panic!("{repository}: expected an index");
        };
        let entries: Vec<String> = written
            .manifests()
            .iter()
            .map(|entry| entry.digest().to_string())
            .collect();
        assert_eq!(entries, [amd64_digests[index].clone()], "{repository}");
        match &first.images[index + 1].status {
            ImageStatus::Imported { digest } => assert_eq!(*digest, manifest.digest.to_string()),
            other => panic!("{repository}: expected Imported, got {other:?}"),
        }
    }
    let puts_after_first = proxy.forwarded_manifest_puts().len();

    let second = import_images::apply(&acr_client, &input).await.unwrap();

    assert_eq!(second.counts(), (1, 3, 0), "{second:#?}");
    for index in [0, 1, 3] {
        assert!(
            matches!(second.images[index].status, ImageStatus::Skipped { .. }),
            "image {index}: {:?}",
            second.images[index].status
        );
    }
    assert!(matches!(
        second.images[2].status,
        ImageStatus::Imported { .. }
    ));
    assert_eq!(acr.imports().len(), 1, "the re-run imports nothing again");
    let rerun_puts: Vec<String> = proxy.forwarded_manifest_puts()[puts_after_first..].to_vec();
    assert!(!rerun_puts.is_empty());
    for put in &rerun_puts {
        assert!(
            put.contains(&format!("{prefix}/mirror/postgres/")),
            "the re-run pushed a manifest of another image: {put}"
        );
    }
    let postgres = destination
        .get_manifest(
            &RepositoryName::new(format!("{prefix}/mirror/postgres")).unwrap(),
            &ManifestReference::tag("1.0").unwrap(),
        )
        .await
        .unwrap();
    let ManifestKind::Index(written) = postgres.kind().unwrap() else {
        panic!("postgres: expected an index");
    };
    assert_eq!(written.manifests().len(), 1);
    assert_eq!(
        written.manifests()[0].digest().to_string(),
        amd64_digests[1]
    );
}

#[tokio::test]
async fn copy_keeps_source_digest_of_whole_index() {
    let Some((source_url, user, password)) = htpasswd_registry() else {
        return;
    };
    let Some(destination_url) = anonymous_registry() else {
        return;
    };
    let prefix = unique_prefix();
    let source = htpasswd_client(&source_url, &user, &password);
    let path = format!("{prefix}/app");
    let amd64 = random_image(30_000, "amd64");
    let arm64 = random_image(30_000, "arm64");
    push_image(&source, &path, &amd64).await;
    push_image(&source, &path, &arm64).await;
    let index = index_of(&[(&amd64, "amd64"), (&arm64, "arm64")]);
    push_tag(&source, &path, "2.0", &index).await;
    let (_acr, acr_server) = FakeAcr::start(REGISTRY).await;
    let acr_client = support::acr_client(&acr_server.uri());
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &source_url,
        vec![
            ImageMapping::new(&format!("{path}:2.0"), &format!("{prefix}/mirror/app:2.0")).unwrap(),
        ],
    )
    .unwrap()
    .with_credentials(user, password)
    .with_copy_destination(client_without_pool(&destination_url));

    let report = import_images::apply(&acr_client, &input).await.unwrap();

    assert_eq!(report.images[0].route.route, Route::ClientSideCopy);
    assert!(
        matches!(
            report.images[0].route.reason,
            RouteReason::UnreachableAddress { .. }
        ),
        "{:?}",
        report.images[0].route.reason
    );
    match &report.images[0].status {
        ImageStatus::Imported { digest } => assert_eq!(*digest, index.digest.to_string()),
        other => panic!("expected Imported, got {other:?}"),
    }
    let copied = client_without_pool(&destination_url)
        .get_manifest(
            &RepositoryName::new(format!("{prefix}/mirror/app")).unwrap(),
            &ManifestReference::tag("2.0").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(copied.digest, index.digest);
    assert_eq!(copied.bytes, index.bytes);
}
