//! `import_images` client-side copies that authenticate to ACR with the Azure AD token
//! exchange: to the ACR destination without `with_copy_destination`, and from an ACR source
//! without credentials.
//!
//! A fake ACR login server serves `/oauth2/exchange` and `/oauth2/token` and passes `/v2/` to
//! a CNCF distribution registry in `auth.token` mode that trusts only the fake's tokens. The
//! fake ARM plays the management API, and the Azure AD credential returns `aad.jwt`.

mod support;

use acr_client::RegistryName;
use harbor_azure::workflows::import_images::{
    self, ImageError, ImageMapping, ImageStatus, ImportImagesInput,
};
use harbor_azure::workflows::transfer_route::{Reachability, Route, RouteReason};
use oci_transfer::{ManifestReference, RepositoryName};
use support::acr_login_server::AcrLoginServer;
use support::fake_acr::FakeAcr;
use support::registries::*;

const REGISTRY: &str = "exampleacr";

/// Login server of `REGISTRY` in the fake ARM.
const LOGIN_SERVER: &str = "exampleacr.azurecr.io";

/// The Azure AD access token of `support::StaticCredential`.
const AAD_TOKEN: &str = "aad.jwt";

/// Pushes a random image to the htpasswd registry as `{prefix}/app:1.0` and returns its
/// mapping to `{prefix}/mirror/app:1.0` and its manifest digest.
async fn source_image(
    source_url: &str,
    user: &str,
    password: &secrecy::SecretString,
) -> (ImageMapping, String) {
    let prefix = unique_prefix();
    let source = htpasswd_client(source_url, user, password);
    let image = random_image(30_000, "amd64");
    push_image(&source, &format!("{prefix}/app"), &image).await;
    push_tag(&source, &format!("{prefix}/app"), "1.0", &image.manifest).await;
    let mapping = ImageMapping::new(
        &format!("{prefix}/app:1.0"),
        &format!("{prefix}/mirror/app:1.0"),
    )
    .unwrap();
    (mapping, image.manifest.digest.to_string())
}

/// Builds an ACR management client whose ARM requests go to the fake ARM and whose data-plane
/// requests, the copies included, go to the fake login server.
fn acr_client(
    arm: &wiremock::MockServer,
    login: &AcrLoginServer,
) -> acr_client::AcrManagementClient {
    support::acr_client(&arm.uri()).with_data_plane_endpoint(url::Url::parse(&login.url).unwrap())
}

/// Returns the requests in `requests` that write to the registry.
fn writes(requests: &[String]) -> Vec<&String> {
    requests
        .iter()
        .filter(|request| {
            request.contains(" /v2/")
                && ["POST ", "PUT ", "PATCH ", "DELETE "]
                    .iter()
                    .any(|method| request.starts_with(method))
        })
        .collect()
}

fn count(requests: &[String], expected: &str) -> usize {
    requests
        .iter()
        .filter(|request| *request == expected)
        .count()
}

#[tokio::test]
async fn copy_to_acr_through_token_exchange() {
    let Some((source_url, user, password)) = htpasswd_registry() else {
        return;
    };
    let Some(login) = AcrLoginServer::start_as(LOGIN_SERVER, AAD_TOKEN).await else {
        return;
    };
    let (mapping, digest) = source_image(&source_url, &user, &password).await;
    let target = mapping.target().clone();
    let (arm, arm_server) = FakeAcr::start(REGISTRY).await;
    let acr = acr_client(&arm_server, &login);
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &source_url,
        vec![mapping],
    )
    .unwrap()
    .with_credentials(user, password);

    let first = import_images::apply(&acr, &input).await.unwrap();

    let image = &first.images[0];
    assert_eq!(image.route.route, Route::ClientSideCopy);
    assert!(
        matches!(image.route.reason, RouteReason::UnreachableAddress { .. }),
        "{:?}",
        image.route.reason
    );
    match &image.status {
        ImageStatus::Imported { digest: copied } => assert_eq!(*copied, digest),
        other => panic!("expected Imported, got {other:?}"),
    }
    assert!(arm.imports().is_empty(), "{:?}", arm.imports());
    let requests = login.requests();
    assert_eq!(
        count(&requests, "POST /oauth2/exchange"),
        1,
        "{requests:#?}"
    );
    assert!(count(&requests, "POST /oauth2/token") >= 1, "{requests:#?}");
    // Each blob upload ends with a PUT to the `Location` the registry returned, which must
    // name the fake, as ACR's names the login server.
    let upload_ends = format!("PUT /v2/{}/blobs/uploads/", target.repository);
    let finished = requests
        .iter()
        .filter(|request| request.starts_with(&upload_ends))
        .count();
    assert_eq!(finished, 2, "config and layer: {requests:#?}");
    let manifest_put = format!("PUT /v2/{}/manifests/1.0", target.repository);
    assert_eq!(count(&requests, &manifest_put), 1, "{requests:#?}");

    let written = login
        .client()
        .get_manifest(
            &RepositoryName::new(target.repository.as_str()).unwrap(),
            &ManifestReference::tag("1.0").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(written.digest.to_string(), digest);

    let before_rerun = login.requests().len();
    let second = import_images::apply(&acr, &input).await.unwrap();

    match &second.images[0].status {
        ImageStatus::Skipped { digest: current } => assert_eq!(*current, digest),
        other => panic!("expected Skipped, got {other:?}"),
    }
    let rerun = login.requests()[before_rerun..].to_vec();
    assert!(writes(&rerun).is_empty(), "the re-run wrote: {rerun:#?}");
}

#[tokio::test]
async fn source_acr_is_read_through_token_exchange() {
    let Some(destination_url) = anonymous_registry() else {
        return;
    };
    let Some(source) = AcrLoginServer::start(AAD_TOKEN).await else {
        return;
    };
    let prefix = unique_prefix();
    let image = random_image(30_000, "amd64");
    let pusher = source.client();
    push_image(&pusher, &format!("{prefix}/app"), &image).await;
    push_tag(&pusher, &format!("{prefix}/app"), "1.0", &image.manifest).await;
    let before_import = source.requests().len();

    let (arm, arm_server) = FakeAcr::start(REGISTRY).await;
    let acr = support::acr_client(&arm_server.uri());
    let source_id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/registries/sourceacr",
        support::SUBSCRIPTION,
        support::RESOURCE_GROUP
    );
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &source.url,
        vec![
            ImageMapping::new(
                &format!("{prefix}/app:1.0"),
                &format!("{prefix}/mirror/app:1.0"),
            )
            .unwrap(),
        ],
    )
    .unwrap()
    .with_source_acr(&source_id)
    .unwrap()
    // Without the override an ACR source takes importImage, which never reads the source.
    .with_source_reachability(Reachability::Unreachable)
    .with_copy_destination(client_without_pool(&destination_url));

    let report = import_images::apply(&acr, &input).await.unwrap();

    let copied = &report.images[0];
    assert_eq!(copied.route.route, Route::ClientSideCopy);
    match &copied.status {
        ImageStatus::Imported { digest } => {
            assert_eq!(*digest, image.manifest.digest.to_string())
        }
        other => panic!("expected Imported, got {other:?}"),
    }
    assert!(arm.imports().is_empty(), "{:?}", arm.imports());
    let requests = source.requests()[before_import..].to_vec();
    assert_eq!(
        count(&requests, "POST /oauth2/exchange"),
        1,
        "{requests:#?}"
    );
    assert!(count(&requests, "POST /oauth2/token") >= 1, "{requests:#?}");
    for (digest, _) in image
        .blobs
        .iter()
        .map(|blob| (oci_transfer::sha256_digest(blob), blob))
    {
        let pull = format!("GET /v2/{prefix}/app/blobs/{digest}");
        assert_eq!(count(&requests, &pull), 1, "{requests:#?}");
    }
    assert!(writes(&requests).is_empty(), "{requests:#?}");

    let written = client_without_pool(&destination_url)
        .get_manifest(
            &RepositoryName::new(format!("{prefix}/mirror/app")).unwrap(),
            &ManifestReference::tag("1.0").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(written.digest, image.manifest.digest);
    assert_eq!(written.bytes, image.manifest.bytes);
}

#[tokio::test]
async fn wrong_aad_token_fails_at_exchange() {
    let Some((source_url, user, password)) = htpasswd_registry() else {
        return;
    };
    // The fake accepts another identity's token, so the credential's `aad.jwt` is wrong.
    let Some(login) = AcrLoginServer::start_as(LOGIN_SERVER, "another-identity.jwt").await else {
        return;
    };
    let (mapping, _) = source_image(&source_url, &user, &password).await;
    let target = mapping.target().clone();
    let (_arm, arm_server) = FakeAcr::start(REGISTRY).await;
    let acr = acr_client(&arm_server, &login);
    let input = ImportImagesInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        &source_url,
        vec![mapping],
    )
    .unwrap()
    .with_credentials(user, password);

    let report = import_images::apply(&acr, &input).await.unwrap();

    let error = match &report.images[0].status {
        ImageStatus::Failed {
            cause: ImageError::Transfer(error),
        } => error.to_string(),
        other => panic!("expected a failed transfer, got {other:?}"),
    };
    assert!(error.contains("ACR token exchange"), "{error}");
    assert!(error.contains(LOGIN_SERVER), "{error}");
    assert!(error.contains("401"), "{error}");
    assert!(
        !error.contains(AAD_TOKEN),
        "the message shows the token: {error}"
    );
    let requests = login.requests();
    assert!(
        count(&requests, "POST /oauth2/exchange") >= 1,
        "{requests:#?}"
    );
    assert_eq!(count(&requests, "POST /oauth2/token"), 0, "{requests:#?}");
    assert!(writes(&requests).is_empty(), "{requests:#?}");

    let missing = login
        .client()
        .get_manifest(
            &RepositoryName::new(target.repository.as_str()).unwrap(),
            &ManifestReference::tag("1.0").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

/// Posts `fields` as a form to `path` of the fake and returns the status.
async fn post_form(login: &AcrLoginServer, path: &str, fields: &[(&str, &str)]) -> u16 {
    reqwest::Client::new()
        .post(format!("{}{path}", login.url))
        .form(fields)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn login_server_rejects_wrong_fields() {
    let Some(login) = AcrLoginServer::start_as(LOGIN_SERVER, AAD_TOKEN).await else {
        return;
    };
    let exchange = |grant_type, service, token| {
        vec![
            ("grant_type", grant_type),
            ("service", service),
            ("access_token", token),
        ]
    };
    let cases = [
        (
            "right fields",
            exchange("access_token", LOGIN_SERVER, AAD_TOKEN),
            200,
        ),
        (
            "grant type",
            exchange("refresh_token", LOGIN_SERVER, AAD_TOKEN),
            401,
        ),
        (
            "service",
            exchange("access_token", "other.azurecr.io", AAD_TOKEN),
            401,
        ),
        (
            "AAD token",
            exchange("access_token", LOGIN_SERVER, "other.jwt"),
            401,
        ),
    ];
    for (case, fields, expected) in cases {
        let status = post_form(&login, "/oauth2/exchange", &fields).await;
        assert_eq!(status, expected, "exchange with wrong {case}");
    }

    let response: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth2/exchange", login.url))
        .form(&exchange("access_token", LOGIN_SERVER, AAD_TOKEN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh_token = response["refresh_token"].as_str().unwrap().to_owned();
    let scope = "repository:mirror/app:pull,push";
    let token = |grant_type, service, refresh_token| {
        vec![
            ("grant_type", grant_type),
            ("service", service),
            ("scope", scope),
            ("refresh_token", refresh_token),
        ]
    };
    let cases = [
        (
            "right fields",
            token("refresh_token", LOGIN_SERVER, refresh_token.as_str()),
            200,
        ),
        (
            "grant type",
            token("access_token", LOGIN_SERVER, refresh_token.as_str()),
            401,
        ),
        (
            "service",
            token("refresh_token", "other.azurecr.io", refresh_token.as_str()),
            401,
        ),
        (
            "refresh token",
            token("refresh_token", LOGIN_SERVER, "not-issued"),
            401,
        ),
    ];
    for (case, fields, expected) in cases {
        let status = post_form(&login, "/oauth2/token", &fields).await;
        assert_eq!(status, expected, "token request with wrong {case}");
    }
}
