//! `import_images` from a source whose TLS certificate comes from a private CA: the htpasswd
//! registry started by `cargo xtask test`, behind a TLS proxy with a CA made for the test.
//! Copies go to the anonymous registry; the fake ARM plays the ACR.

mod support;

use acr_client::RegistryName;
use harbor_azure::workflows::WorkflowError;
use harbor_azure::workflows::import_images::{
    self, ImageError, ImageMapping, ImageStatus, ImportImagesInput,
};
use harbor_azure::workflows::transfer_route::{Route, RouteReason};
use oci_transfer::{ManifestReference, RepositoryName};
use support::fake_acr::FakeAcr;
use support::registries::*;

const REGISTRY: &str = "exampleacr";

/// Pushes one image to the htpasswd registry, starts a TLS proxy in front of it and returns
/// the proxy, the image's source and target names, and its manifest digest.
async fn image_behind_tls_proxy(
    source_url: &str,
    user: &str,
    password: &secrecy::SecretString,
) -> (support::tls_proxy::TlsProxy, ImageMapping, String) {
    let prefix = unique_prefix();
    let source = htpasswd_client(source_url, user, password);
    let image = random_image(20_000, "amd64");
    push_image(&source, &format!("{prefix}/app"), &image).await;
    push_tag(&source, &format!("{prefix}/app"), "1.0", &image.manifest).await;
    let proxy = support::tls_proxy::start(source_url).await;
    let mapping = ImageMapping::new(
        &format!("{prefix}/app:1.0"),
        &format!("{prefix}/mirror/app:1.0"),
    )
    .unwrap();
    (proxy, mapping, image.manifest.digest.to_string())
}

#[tokio::test]
async fn copy_trusts_source_private_ca() {
    let Some((source_url, user, password)) = htpasswd_registry() else {
        return;
    };
    let Some(destination_url) = anonymous_registry() else {
        return;
    };
    let (proxy, mapping, digest) = image_behind_tls_proxy(&source_url, &user, &password).await;
    let target = mapping.target().clone();
    let (_acr, acr_server) = FakeAcr::start(REGISTRY).await;
    let acr_client = support::acr_client(&acr_server.uri());
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &proxy.url,
        vec![mapping],
    )
    .unwrap()
    .with_credentials(user, password)
    .with_source_root_certificates(&proxy.ca_pem)
    .unwrap()
    .with_copy_destination(client_without_pool(&destination_url));

    let report = import_images::apply(&acr_client, &input).await.unwrap();

    let image = &report.images[0];
    assert_eq!(image.route.route, Route::ClientSideCopy);
    assert!(
        matches!(image.route.reason, RouteReason::PrivateCa { .. }),
        "{:?}",
        image.route.reason
    );
    match &image.status {
        ImageStatus::Imported { digest: copied } => assert_eq!(*copied, digest),
        other => panic!("expected Imported, got {other:?}"),
    }
    let written = client_without_pool(&destination_url)
        .get_manifest(
            &RepositoryName::new(target.repository.as_str()).unwrap(),
            &ManifestReference::tag("1.0").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(written.digest.to_string(), digest);
}

#[tokio::test]
async fn copy_without_source_ca_fails() {
    let Some((source_url, user, password)) = htpasswd_registry() else {
        return;
    };
    let Some(destination_url) = anonymous_registry() else {
        return;
    };
    let (proxy, mapping, _digest) = image_behind_tls_proxy(&source_url, &user, &password).await;
    let target = mapping.target().clone();
    let (_acr, acr_server) = FakeAcr::start(REGISTRY).await;
    let acr_client = support::acr_client(&acr_server.uri());
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &proxy.url,
        vec![mapping],
    )
    .unwrap()
    .with_credentials(user, password)
    .with_copy_destination(client_without_pool(&destination_url));

    let report = import_images::apply(&acr_client, &input).await.unwrap();

    let image = &report.images[0];
    assert!(
        matches!(image.route.reason, RouteReason::UnreachableAddress { .. }),
        "{:?}",
        image.route.reason
    );
    let ImageStatus::Failed { cause } = &image.status else {
        panic!("expected Failed, got {:?}", image.status);
    };
    assert!(matches!(cause, ImageError::Transfer(_)), "{cause:?}");
    let text = error_chain(cause);
    assert!(text.contains("certificate"), "{text}");
    let fetched = client_without_pool(&destination_url)
        .get_manifest(
            &RepositoryName::new(target.repository.as_str()).unwrap(),
            &ManifestReference::tag("1.0").unwrap(),
        )
        .await;
    assert!(fetched.unwrap_err().is_not_found(), "nothing was pushed");
}

#[test]
fn source_root_certificates_reject_bad_pem() {
    let input = || {
        ImportImagesInput::new(
            RegistryName::new(REGISTRY).unwrap(),
            "https://harbor.example.test",
            vec![ImageMapping::new("library/app:1.0", "mirror/app:1.0").unwrap()],
        )
        .unwrap()
    };
    for (pem, expected) in [
        ("", "contains no \"BEGIN CERTIFICATE\" block"),
        ("just text", "contains no \"BEGIN CERTIFICATE\" block"),
        (
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            "is not valid PEM",
        ),
    ] {
        let error = input().with_source_root_certificates(pem).unwrap_err();
        let WorkflowError::InvalidInput { field, reason } = &error else {
            panic!("{pem:?}: expected InvalidInput, got {error:?}");
        };
        assert_eq!(*field, "source_root_certificates", "{pem:?}");
        assert!(reason.contains(expected), "{pem:?}: {reason}");
    }
}

/// Joins an error and its sources, because the TLS failure is a few levels down.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}
