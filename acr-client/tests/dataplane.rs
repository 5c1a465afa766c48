//! ACR data plane against wiremock: the token exchange (with the 2021-07-01 data-plane
//! spec examples), the token cache, basic credentials and paged listings.

mod common;

use std::sync::Arc;
use std::time::Duration;

use acr_client::arm::VirtualClock;
use acr_client::dataplane::{DataPlaneAuth, DataPlaneClient, repository_scope};
use acr_client::{Error, RepositoryName};
use futures_util::TryStreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use common::{AAD_TOKEN, StaticCredential, dataplane_example, jwt_with_exp, start_time};

const LOGIN_SERVER: &str = "exampleacr.azurecr.io";

fn azure_ad_client(
    server: &MockServer,
    clock: &VirtualClock,
    tenant: Option<&str>,
) -> DataPlaneClient {
    let auth = DataPlaneAuth::AzureAd {
        credential: Arc::new(StaticCredential::default()),
        scope: "https://management.azure.com/.default".to_owned(),
        tenant: tenant.map(str::to_owned),
    };
    DataPlaneClient::builder(LOGIN_SERVER, auth)
        .endpoint(url::Url::parse(&server.uri()).unwrap())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

fn form(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

#[tokio::test]
async fn exchange_sends_form_bodies_in_order() {
    let server = MockServer::start().await;
    let expiry = start_time().unix_timestamp() + 3600;
    let refresh_token = jwt_with_exp(expiry);
    let access_token = jwt_with_exp(expiry);
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(format!(
            "grant_type=access_token&service={LOGIN_SERVER}&access_token={AAD_TOKEN}"
        )))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"refresh_token": refresh_token})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(format!(
            "grant_type=refresh_token&service={LOGIN_SERVER}&scope=repository%3Amirror%2Fnginx%3Apull%2Cpush&refresh_token={refresh_token}"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": access_token})))
        .expect(1)
        .mount(&server)
        .await;
    let clock = VirtualClock::new(start_time());
    let client = azure_ad_client(&server, &clock, None);
    let scope = repository_scope(
        &RepositoryName::new("mirror/nginx").unwrap(),
        &["pull", "push"],
    );

    let token = client.access_token(&scope).await.unwrap();

    assert_eq!(token.expose_secret(), access_token);
}

#[tokio::test]
async fn exchange_matches_refresh_token_example() {
    let example = dataplane_example("PostRefreshToken.json");
    let parameters = &example["parameters"];
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .and(query_param(
            "api-version",
            parameters["api-version"].as_str().unwrap(),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(&example["responses"]["200"]["body"]),
        )
        .expect(1)
        .mount(&server)
        .await;
    let clock = VirtualClock::new(start_time());
    let auth = DataPlaneAuth::AzureAd {
        credential: Arc::new(ExampleCredential(
            parameters["access_token"].as_str().unwrap().to_owned(),
        )),
        scope: "https://management.azure.com/.default".to_owned(),
        tenant: parameters["tenant"].as_str().map(str::to_owned),
    };
    let client = DataPlaneClient::builder(parameters["service"].as_str().unwrap(), auth)
        .endpoint(url::Url::parse(&server.uri()).unwrap())
        .clock(Arc::new(clock))
        .build()
        .unwrap();

    let refresh_token = client.refresh_token().await.unwrap();

    assert_eq!(
        refresh_token.expose_secret(),
        example["responses"]["200"]["body"]["refresh_token"]
    );
    let requests = server.received_requests().await.unwrap();
    let sent = form(&requests[0]);
    for (key, value) in &sent {
        assert_eq!(
            parameters[key.as_str()].as_str(),
            Some(value.as_str()),
            "form field {key}"
        );
    }
    let keys: Vec<&str> = sent.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["grant_type", "service", "tenant", "access_token"]);
}

/// Returns the access token from the data-plane example.
#[derive(Debug)]
struct ExampleCredential(String);

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for ExampleCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        Ok(azure_core::credentials::AccessToken::new(
            self.0.clone(),
            time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
        ))
    }
}

#[tokio::test]
async fn exchange_matches_access_token_example() {
    let example = dataplane_example("PostAccessToken.json");
    let parameters = &example["parameters"];
    let refresh_token = parameters["refresh_token"].as_str().unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"refresh_token": refresh_token})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .and(query_param(
            "api-version",
            parameters["api-version"].as_str().unwrap(),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(&example["responses"]["200"]["body"]),
        )
        .expect(1)
        .mount(&server)
        .await;
    let clock = VirtualClock::new(start_time());
    let auth = DataPlaneAuth::azure_ad(Arc::new(StaticCredential::default()));
    let client = DataPlaneClient::builder(parameters["service"].as_str().unwrap(), auth)
        .endpoint(url::Url::parse(&server.uri()).unwrap())
        .clock(Arc::new(clock))
        .build()
        .unwrap();

    let token = client
        .access_token(parameters["scope"].as_str().unwrap())
        .await
        .unwrap();

    assert_eq!(
        token.expose_secret(),
        example["responses"]["200"]["body"]["access_token"]
    );
    let requests = server.received_requests().await.unwrap();
    let token_request = requests
        .iter()
        .find(|request| request.url.path() == "/oauth2/token")
        .unwrap();
    let sent = form(token_request);
    for (key, value) in &sent {
        assert_eq!(
            parameters[key.as_str()].as_str(),
            Some(value.as_str()),
            "form field {key}"
        );
    }
    assert_eq!(sent.len(), 4);
}

#[tokio::test]
async fn tokens_are_cached_until_exp_minus_margin() {
    let server = MockServer::start().await;
    let expiry = start_time().unix_timestamp() + 3600;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"refresh_token": jwt_with_exp(expiry + 7200)})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": jwt_with_exp(expiry)})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let clock = VirtualClock::new(start_time());
    let client = azure_ad_client(&server, &clock, None);

    client.access_token("registry:catalog:*").await.unwrap();
    clock.advance(Duration::from_secs(3600 - 301));
    client.access_token("registry:catalog:*").await.unwrap();
    clock.advance(Duration::from_secs(1));
    client.access_token("registry:catalog:*").await.unwrap();
    // The mocks' `expect` counts are checked when the server drops: one exchange, and
    // a second access token only after `exp - 5 min`.
}

#[tokio::test]
async fn exchange_401_names_the_audience() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"errors": [{"code": "UNAUTHORIZED", "message": "bad token"}]}),
            ),
        )
        .mount(&server)
        .await;
    let clock = VirtualClock::new(start_time());
    let client = azure_ad_client(&server, &clock, None);

    let error = client.access_token("registry:catalog:*").await.unwrap_err();

    match &error {
        Error::AcrExchange {
            audience,
            status,
            code,
            registry,
        } => {
            assert_eq!(audience, "https://management.azure.com/.default");
            assert_eq!(status.map(|s| s.as_u16()), Some(401));
            assert_eq!(code.as_deref(), Some("UNAUTHORIZED"));
            assert_eq!(registry, LOGIN_SERVER);
        }
        other => panic!("expected AcrExchange, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("https://management.azure.com/.default"),
        "{message}"
    );
    assert!(!message.contains(AAD_TOKEN), "{message}");
}

#[tokio::test]
async fn basic_credentials_get_token_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth2/token"))
        .and(query_param("service", LOGIN_SERVER))
        .and(query_param("scope", "repository:mirror/nginx:pull"))
        // base64("harbor-push:s3cr3t-EXAMPLE")
        .and(header(
            "authorization",
            "Basic aGFyYm9yLXB1c2g6czNjcjN0LUVYQU1QTEU=",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "opaque-access"})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let auth = DataPlaneAuth::Basic {
        username: "harbor-push".to_owned(),
        password: SecretString::from("s3cr3t-EXAMPLE"),
    };
    let client = DataPlaneClient::builder(LOGIN_SERVER, auth)
        .endpoint(url::Url::parse(&server.uri()).unwrap())
        .clock(Arc::new(VirtualClock::new(start_time())))
        .build()
        .unwrap();

    let first = client
        .access_token("repository:mirror/nginx:pull")
        .await
        .unwrap();
    // A token without an `exp` claim is not cached, so this fetches again.
    client
        .access_token("repository:mirror/nginx:pull")
        .await
        .unwrap();

    assert_eq!(first.expose_secret(), "opaque-access");
    assert!(!format!("{client:?}").contains("s3cr3t"));
}

async fn mount_token_flow(server: &MockServer) {
    let expiry = start_time().unix_timestamp() + 3600;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"refresh_token": jwt_with_exp(expiry)})),
        )
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": jwt_with_exp(expiry)})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn repositories_are_listed_across_pages() {
    let server = MockServer::start().await;
    mount_token_flow(&server).await;
    Mock::given(method("GET"))
        .and(path("/acr/v1/_catalog"))
        .and(query_param("n", "100"))
        .and(wiremock::matchers::query_param_is_missing("last"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Link",
                    "</acr/v1/_catalog?last=mirror%2Fnginx&n=100>; rel=\"next\"",
                )
                .set_body_json(json!({"repositories": ["base/alpine", "mirror/nginx"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/acr/v1/_catalog"))
        .and(query_param("last", "mirror/nginx"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"repositories": ["mirror/redis"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = azure_ad_client(&server, &VirtualClock::new(start_time()), None);

    let repositories: Vec<String> = client.list_repositories().try_collect().await.unwrap();

    assert_eq!(
        repositories,
        ["base/alpine", "mirror/nginx", "mirror/redis"]
    );
    let requests = server.received_requests().await.unwrap();
    let catalog = requests
        .iter()
        .find(|request| request.url.path() == "/acr/v1/_catalog")
        .unwrap();
    assert!(
        catalog
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
}

#[tokio::test]
async fn tags_are_listed_with_metadata_scope() {
    let server = MockServer::start().await;
    let expiry = start_time().unix_timestamp() + 3600;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"refresh_token": jwt_with_exp(expiry)})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .and(wiremock::matchers::body_string_contains(
            "scope=repository%3Amirror%2Fnginx%3Ametadata_read",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": jwt_with_exp(expiry)})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/acr/v1/mirror/nginx/_tags"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "registry": LOGIN_SERVER,
            "imageName": "mirror/nginx",
            "tags": [{"name": "1.25.3", "digest": "sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268",
                      "createdTime": "2026-01-01T00:00:00Z", "lastUpdateTime": "2026-01-01T00:00:00Z"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = azure_ad_client(&server, &VirtualClock::new(start_time()), None);

    let tags: Vec<_> = client
        .list_tags(&RepositoryName::new("mirror/nginx").unwrap())
        .try_collect()
        .await
        .unwrap();

    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "1.25.3");
}

#[tokio::test]
async fn manifest_digest_reads_header() {
    let server = MockServer::start().await;
    mount_token_flow(&server).await;
    let digest = "sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268";
    Mock::given(method("HEAD"))
        .and(path("/v2/mirror/nginx/manifests/1.25.3"))
        .and(|request: &Request| {
            let accept = request
                .headers
                .get("accept")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            [
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ]
            .iter()
            .all(|media_type| accept.contains(media_type))
                && !accept.contains("*/*")
        })
        .respond_with(ResponseTemplate::new(200).insert_header("Docker-Content-Digest", digest))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/mirror/nginx/manifests/missing"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let client = azure_ad_client(&server, &VirtualClock::new(start_time()), None);
    let repository = RepositoryName::new("mirror/nginx").unwrap();

    assert_eq!(
        client.manifest_digest(&repository, "1.25.3").await.unwrap(),
        digest
    );
    let error = client
        .manifest_digest(&repository, "missing")
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[test]
fn basic_auth_from_generated_credentials() {
    let credentials: acr_client::GeneratedCredentials = serde_json::from_value::<Value>(json!({
        "username": "harbor-push",
        "passwords": [{"name": "password1", "value": "s3cr3t-EXAMPLE"}]
    }))
    .map(|value| serde_json::from_value(value).unwrap())
    .unwrap();

    let auth =
        DataPlaneAuth::from_token_credentials(&credentials, acr_client::PasswordName::Password1)
            .unwrap();
    let missing =
        DataPlaneAuth::from_token_credentials(&credentials, acr_client::PasswordName::Password2);

    match auth {
        DataPlaneAuth::Basic { username, password } => {
            assert_eq!(username, "harbor-push");
            assert_eq!(password.expose_secret(), "s3cr3t-EXAMPLE");
        }
        other => panic!("expected basic auth, got {other:?}"),
    }
    assert!(missing.is_err());
}

#[tokio::test]
async fn data_plane_retries_503_with_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_token_flow(&server).await;
    Mock::given(method("HEAD"))
        .and(path("/v2/mirror/nginx/manifests/1.25.3"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/mirror/nginx/manifests/1.25.3"))
        .respond_with(ResponseTemplate::new(200).insert_header(
            "Docker-Content-Digest",
            "sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268",
        ))
        .mount(&server)
        .await;
    let clock = VirtualClock::new(start_time());
    let client = azure_ad_client(&server, &clock, None);

    let digest = client
        .manifest_digest(&RepositoryName::new("mirror/nginx").unwrap(), "1.25.3")
        .await
        .unwrap();

    assert!(digest.starts_with("sha256:"));
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert_eq!(sleeps[0], Duration::from_secs(3));
}
