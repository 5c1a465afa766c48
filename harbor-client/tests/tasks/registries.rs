//! Registry endpoints: ping before saving, idempotency and updates.

use harbor_client::Error;
use harbor_client::tasks::{Outcome, Provider, RegistrySpec, ensure_registry};
use secrecy::SecretString;

use crate::fake_harbor::FakeHarbor;

fn acr() -> RegistrySpec {
    RegistrySpec::new("acr-prod", Provider::AzureAcr, "https://prod.azurecr.io")
        .unwrap()
        .credential("prod-token", SecretString::from("AcrPassw0rd".to_owned()))
        .unwrap()
}

#[tokio::test]
async fn registry_pinged_then_created() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();

    let created = ensure_registry(&client, &acr()).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(created.resource().r#type.as_deref(), Some("azure-acr"));
    let requests = harbor.take_requests();
    let writes: Vec<String> = requests
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.line())
        .collect();
    assert_eq!(writes, ["POST /registries/ping", "POST /registries"]);
    let create = requests
        .iter()
        .find(|r| r.line() == "POST /registries")
        .unwrap();
    assert_eq!(create.body["credential"]["access_secret"], "AcrPassw0rd");
    assert_eq!(create.body["insecure"], false);

    let unchanged = ensure_registry(&client, &acr()).await.unwrap();
    assert!(matches!(unchanged, Outcome::Unchanged(_)), "{unchanged:?}");
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn failed_ping_saves_nothing() {
    let harbor = FakeHarbor::start().await;
    harbor.state().ping_fails = true;
    let client = harbor.client();

    let error = ensure_registry(&client, &acr()).await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(http::StatusCode::BAD_REQUEST),
        "{error}"
    );
    assert_eq!(harbor.take_writes(), ["POST /registries/ping"]);
    assert!(harbor.state().registries.is_empty());
}

#[tokio::test]
async fn registry_url_and_tls_updated() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let id = ensure_registry(&client, &acr())
        .await
        .unwrap()
        .resource()
        .id
        .unwrap();
    harbor.take_requests();

    let changed = RegistrySpec::new("acr-prod", Provider::AzureAcr, "https://prod2.azurecr.io")
        .unwrap()
        .credential("prod-token", SecretString::from("AcrPassw0rd".to_owned()))
        .unwrap()
        .verify_remote_cert(false);
    let outcome = ensure_registry(&client, &changed).await.unwrap();
    assert!(matches!(outcome, Outcome::Updated(_)), "{outcome:?}");
    assert_eq!(
        outcome.resource().url.as_deref(),
        Some("https://prod2.azurecr.io")
    );
    assert_eq!(outcome.resource().insecure, Some(true));
    assert_eq!(
        harbor.take_writes(),
        [
            "POST /registries/ping".to_owned(),
            format!("PUT /registries/{id}")
        ]
    );
}

#[tokio::test]
async fn secret_rotation_forces_an_update() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    ensure_registry(&client, &acr()).await.unwrap();
    harbor.take_requests();

    let rotated = acr().rotate_secret(true);
    let outcome = ensure_registry(&client, &rotated).await.unwrap();
    assert!(matches!(outcome, Outcome::Updated(_)), "{outcome:?}");
    let update = harbor
        .take_requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(update.body["access_secret"], "AcrPassw0rd");
}

#[tokio::test]
async fn registry_provider_cannot_change() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    ensure_registry(&client, &acr()).await.unwrap();
    harbor.take_requests();

    let other = RegistrySpec::new("acr-prod", Provider::Harbor, "https://prod.azurecr.io").unwrap();
    let error = ensure_registry(&client, &other).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::CannotUpdate {
                field: "provider",
                ..
            }
        ),
        "{error}"
    );
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn every_provider_has_harbor_type_name() {
    let names: Vec<&str> = [
        Provider::Harbor,
        Provider::DockerHub,
        Provider::DockerRegistry,
        Provider::AzureAcr,
        Provider::AwsEcr,
        Provider::GoogleGcr,
        Provider::GithubGhcr,
        Provider::Quay,
        Provider::JfrogArtifactory,
        Provider::Gitlab,
    ]
    .into_iter()
    .map(Provider::as_str)
    .collect();
    assert_eq!(
        names,
        [
            "harbor",
            "docker-hub",
            "docker-registry",
            "azure-acr",
            "aws-ecr",
            "google-gcr",
            "github-ghcr",
            "quay",
            "jfrog-artifactory",
            "gitlab"
        ]
    );
}

#[tokio::test]
async fn tls_setting_kept_when_unset() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let insecure = acr().verify_remote_cert(false);
    ensure_registry(&client, &insecure).await.unwrap();
    harbor.take_requests();

    let outcome = ensure_registry(&client, &acr()).await.unwrap();
    assert!(matches!(outcome, Outcome::Unchanged(_)), "{outcome:?}");
    assert_eq!(outcome.resource().insecure, Some(true));
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn failed_ping_blocks_the_update() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    ensure_registry(&client, &acr()).await.unwrap();
    harbor.take_requests();
    harbor.state().ping_fails = true;

    let moved =
        RegistrySpec::new("acr-prod", Provider::AzureAcr, "https://moved.azurecr.io").unwrap();
    let error = ensure_registry(&client, &moved).await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(http::StatusCode::BAD_REQUEST),
        "{error}"
    );
    assert_eq!(harbor.take_writes(), ["POST /registries/ping"]);
    let url = harbor.state().registries[0].url.clone();
    assert_eq!(url.as_deref(), Some("https://prod.azurecr.io"));
}
