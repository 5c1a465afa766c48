//! Every example of the `Microsoft.ContainerRegistry` 2025-04-01 REST spec that this
//! crate covers: the client's request for the same call matches the example's request,
//! and the example's responses decode.

mod common;

use std::collections::BTreeMap;

use acr_client::{
    ImportImage, PasswordName, RegistryCreate, RegistryName, RepositoryAction, RepositoryName,
    ScopeMapAction, ScopeMapName, SkuName, TokenCertificateInput, TokenName, TokenStatus,
    TokenWrite,
};
use futures_util::TryStreamExt;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{REGISTRY_PATH, acr_client, acr_client_at, mgmt_example, on_server};

fn registry() -> RegistryName {
    RegistryName::new("myRegistry").unwrap()
}

fn example_body(example: &Value, status: &str) -> Value {
    example["responses"][status]["body"].clone()
}

/// Responds with the example's response for `status`, with URLs in its headers moved to
/// the mock server.
fn example_response(server: &MockServer, example: &Value, status: &str) -> ResponseTemplate {
    let response = &example["responses"][status];
    let mut template = ResponseTemplate::new(status.parse::<u16>().unwrap());
    if let Some(headers) = response["headers"].as_object() {
        for (name, value) in headers {
            template =
                template.insert_header(name.as_str(), on_server(server, value.as_str().unwrap()));
        }
    }
    if let Some(body) = response.get("body") {
        template = template.set_body_json(body);
    }
    template
}

fn header_path(example: &Value, status: &str, header: &str) -> String {
    let url = example["responses"][status]["headers"][header]
        .as_str()
        .unwrap();
    url::Url::parse(url).unwrap().path().to_owned()
}

#[tokio::test]
async fn registry_create_matches_example() {
    let example = mgmt_example("RegistryCreate.json");
    for status in ["200", "201"] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(REGISTRY_PATH))
            .and(query_param("api-version", "2025-04-01"))
            .and(body_json(&example["parameters"]["registry"]))
            .respond_with(example_response(&server, &example, status))
            .expect(1)
            .mount(&server)
            .await;
        // A 201 without a polling header is followed through provisioningState.
        Mock::given(method("GET"))
            .and(path(REGISTRY_PATH))
            .respond_with(example_response(&server, &example, "200"))
            .mount(&server)
            .await;
        let (client, _) = acr_client(&server);
        let mut parameters = RegistryCreate::new("westus", SkuName::Standard);
        parameters.tags = BTreeMap::from([("key".to_owned(), "value".to_owned())]);
        parameters.admin_user_enabled = true;

        let created = client
            .create_registry(&registry(), &parameters)
            .await
            .unwrap();

        assert_eq!(created.name, "myRegistry", "status {status}");
        assert_eq!(created.sku.name, SkuName::Standard);
        assert_eq!(
            created.properties.provisioning_state.as_deref(),
            Some("Succeeded")
        );
        assert!(created.properties.admin_user_enabled);
    }
}

#[tokio::test]
async fn registry_create_201_body_decodes() {
    let example = mgmt_example("RegistryCreate.json");

    let registry: acr_client::Registry =
        serde_json::from_value(example_body(&example, "201")).unwrap();

    assert_eq!(
        registry.properties.provisioning_state.as_deref(),
        Some("Creating")
    );
    assert_eq!(
        registry.properties.zone_redundancy,
        Some(acr_client::ZoneRedundancy::Disabled)
    );
}

#[tokio::test]
async fn registry_get_matches_example() {
    let example = mgmt_example("RegistryGet.json");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(REGISTRY_PATH))
        .and(query_param("api-version", "2025-04-01"))
        .respond_with(example_response(&server, &example, "200"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let registry = client.get_registry(&registry()).await.unwrap();

    assert_eq!(registry.location, "westus");
    assert_eq!(
        registry.properties.login_server.as_deref(),
        Some("myRegistry.azurecr.io")
    );
    assert_eq!(registry.tags.get("key").map(String::as_str), Some("value"));
    assert!(!registry.properties.admin_user_enabled);
}

#[tokio::test]
async fn registry_list_credentials_matches_example() {
    let example = mgmt_example("RegistryListCredentials.json");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{REGISTRY_PATH}/listCredentials")))
        .and(query_param("api-version", "2025-04-01"))
        .respond_with(example_response(&server, &example, "200"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let credentials = client.list_admin_credentials(&registry()).await.unwrap();

    assert_eq!(credentials.username, "myRegistry");
    assert_eq!(credentials.passwords.len(), 2);
    assert_eq!(credentials.passwords[1].name, "password2");
    assert_eq!(
        credentials.passwords[0].value.expose_secret(),
        "00000000000000000000000000000000"
    );
    assert!(!format!("{credentials:?}").contains("00000000000000000000000000000000"));
}

#[tokio::test]
async fn registry_generate_credentials_matches_example() {
    let example = mgmt_example("RegistryGenerateCredentials.json");
    for status in ["200", "202"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("{REGISTRY_PATH}/generateCredentials")))
            .and(body_json(
                &example["parameters"]["generateCredentialsParameters"],
            ))
            .respond_with(example_response(&server, &example, status))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(header_path(&example, "202", "Location")))
            .respond_with(example_response(&server, &example, "200"))
            .mount(&server)
            .await;
        // The example's expiry is in 2020, so the clock starts before it.
        let (client, _) = acr_client_at(&server, time::macros::datetime!(2020-01-01 00:00 UTC));
        let expiry = time::macros::datetime!(2020-12-31 15:59:59.0707808 UTC);

        let generated = client
            .generate_token_password(
                &registry(),
                &TokenName::new("myToken").unwrap(),
                acr_client::PasswordSelection::Both,
                Some(expiry),
            )
            .await
            .unwrap();

        assert_eq!(generated.username, "myToken", "status {status}");
        assert_eq!(generated.passwords.len(), 2);
        assert_eq!(generated.passwords[0].expiry, Some(expiry));
        assert!(generated.password(PasswordName::Password2).is_some());
    }
}

fn import_request(example: &Value) -> ImportImage {
    let parameters = &example["parameters"]["parameters"];
    let source = &parameters["source"];
    let mut builder = ImportImage::builder(source["sourceImage"].as_str().unwrap());
    if let Some(resource_id) = source["resourceId"].as_str() {
        builder = builder.resource_id(resource_id);
    }
    if let Some(uri) = source["registryUri"].as_str() {
        builder = builder.registry_uri(uri);
    }
    for tag in parameters["targetTags"].as_array().unwrap() {
        builder = builder.target_tag(tag.as_str().unwrap());
    }
    for repository in parameters["untaggedTargetRepositories"].as_array().unwrap() {
        builder = builder.untagged_target_repository(repository.as_str().unwrap());
    }
    builder
        .force(parameters["mode"] == "Force")
        .build()
        .unwrap()
}

#[tokio::test]
async fn import_image_examples_match() {
    for name in [
        "ImportImageByTag.json",
        "ImportImageByManifestDigest.json",
        "ImportImageFromPublicRegistry.json",
    ] {
        let example = mgmt_example(name);
        for status in ["200", "202"] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path(format!("{REGISTRY_PATH}/importImage")))
                .and(query_param("api-version", "2025-04-01"))
                .and(body_json(&example["parameters"]["parameters"]))
                .respond_with(example_response(&server, &example, status))
                .expect(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(header_path(&example, "202", "Location")))
                .respond_with(ResponseTemplate::new(200))
                .mount(&server)
                .await;
            let (client, _) = acr_client(&server);

            let result = client
                .import_image(&registry(), &import_request(&example))
                .await
                .unwrap_or_else(|error| panic!("{name} {status}: {error}"));

            assert_eq!(
                result.source_image, example["parameters"]["parameters"]["source"]["sourceImage"],
                "{name} {status}"
            );
            assert!(!result.verified);
        }
    }
}

fn scope_map_path() -> String {
    format!("{REGISTRY_PATH}/scopeMaps/myScopeMap")
}

/// The scope map examples use `contentWrite`, `contentRead` and `delete`, which are not
/// among the five actions ACR documents, so the client rejects them and the request
/// tests below use the documented spelling of the same permissions.
#[test]
fn scope_map_example_actions_are_rejected() {
    for name in ["ScopeMapCreate.json", "ScopeMapUpdate.json"] {
        let example = mgmt_example(name);
        let parameters = if name == "ScopeMapCreate.json" {
            &example["parameters"]["scopeMapCreateParameters"]
        } else {
            &example["parameters"]["scopeMapUpdateParameters"]
        };
        for action in parameters["properties"]["actions"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            let error = action.parse::<ScopeMapAction>().unwrap_err();
            assert!(error.to_string().contains(action), "{error}");
        }
    }
}

fn documented_actions() -> Vec<ScopeMapAction> {
    let repository = RepositoryName::new("myrepository").unwrap();
    vec![
        ScopeMapAction::new(repository.clone(), RepositoryAction::ContentWrite),
        ScopeMapAction::new(repository, RepositoryAction::ContentDelete),
    ]
}

#[tokio::test]
async fn scope_map_create_matches_example() {
    let example = mgmt_example("ScopeMapCreate.json");
    let mut expected = example["parameters"]["scopeMapCreateParameters"].clone();
    expected["properties"]["actions"] = json!([
        "repositories/myrepository/content/write",
        "repositories/myrepository/content/delete"
    ]);
    for status in ["200", "201"] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(scope_map_path()))
            .and(body_json(&expected))
            .respond_with(example_response(&server, &example, status))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(header_path(&example, "201", "Azure-AsyncOperation")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Succeeded"})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(scope_map_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(example_body(&example, "200")))
            .mount(&server)
            .await;
        let (client, _) = acr_client(&server);

        let scope_map = client
            .create_scope_map(
                &registry(),
                &ScopeMapName::new("myScopeMap").unwrap(),
                Some("Developer Scopes"),
                &documented_actions(),
            )
            .await
            .unwrap();

        assert_eq!(scope_map.name, "myScopeMap", "status {status}");
        assert_eq!(
            scope_map.properties.scope_map_type.as_deref(),
            Some("IsUserDefined")
        );
        assert_eq!(scope_map.properties.actions.len(), 2);
    }
}

#[tokio::test]
async fn scope_map_update_matches_example() {
    let example = mgmt_example("ScopeMapUpdate.json");
    let mut expected = example["parameters"]["scopeMapUpdateParameters"].clone();
    expected["properties"]["actions"] = json!([
        "repositories/myrepository/content/write",
        "repositories/myrepository/content/delete"
    ]);
    for status in ["200", "201"] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .and(path(scope_map_path()))
            .and(body_json(&expected))
            .respond_with(example_response(&server, &example, status))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(header_path(&example, "201", "Azure-AsyncOperation")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Succeeded"})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(scope_map_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(example_body(&example, "200")))
            .mount(&server)
            .await;
        let (client, _) = acr_client(&server);

        let scope_map = client
            .update_scope_map(
                &registry(),
                &ScopeMapName::new("myScopeMap").unwrap(),
                Some("Developer Scopes"),
                &documented_actions(),
            )
            .await
            .unwrap();

        assert_eq!(scope_map.name, "myScopeMap", "status {status}");
        assert_eq!(scope_map.properties.actions.len(), 2);
    }
}

#[tokio::test]
async fn scope_map_get_and_list_match_examples() {
    let get = mgmt_example("ScopeMapGet.json");
    let list = mgmt_example("ScopeMapList.json");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(scope_map_path()))
        .respond_with(example_response(&server, &get, "200"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REGISTRY_PATH}/scopeMaps")))
        .respond_with(example_response(&server, &list, "200"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let scope_map = client
        .get_scope_map(&registry(), &ScopeMapName::new("myScopeMap").unwrap())
        .await
        .unwrap();
    let listed: Vec<_> = client
        .list_scope_maps(&registry())
        .try_collect()
        .await
        .unwrap();

    assert_eq!(
        scope_map.properties.actions,
        [
            "repositories/myrepository/contentWrite",
            "repositories/myrepository/delete"
        ]
    );
    let expected_count = list["responses"]["200"]["body"]["value"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(listed.len(), expected_count);
    assert_eq!(listed[0].name, "myScopeMap");
}

fn token_path() -> String {
    format!("{REGISTRY_PATH}/tokens/myToken")
}

fn example_certificates(parameters: &Value) -> Vec<TokenCertificateInput> {
    parameters["properties"]["credentials"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|certificate| TokenCertificateInput {
            name: certificate["name"].as_str().unwrap().to_owned(),
            encoded_pem_certificate: certificate["encodedPemCertificate"]
                .as_str()
                .unwrap()
                .to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn token_create_matches_example() {
    let example = mgmt_example("TokenCreate.json");
    let parameters = &example["parameters"]["tokenCreateParameters"];
    for status in ["200", "201"] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path(token_path()))
            .and(body_json(parameters))
            .respond_with(example_response(&server, &example, status))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(header_path(&example, "201", "Azure-AsyncOperation")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Succeeded"})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(token_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(example_body(&example, "200")))
            .mount(&server)
            .await;
        let (client, _) = acr_client(&server);
        let write = TokenWrite {
            scope_map_id: Some(
                parameters["properties"]["scopeMapId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            status: Some(TokenStatus::Disabled),
            certificates: example_certificates(parameters),
        };

        let token = client
            .put_token(&registry(), &TokenName::new("myToken").unwrap(), &write)
            .await
            .unwrap();

        assert_eq!(
            token.properties.status,
            Some(TokenStatus::Disabled),
            "status {status}"
        );
        let certificates = &token.properties.credentials.unwrap().certificates;
        assert_eq!(
            certificates[0].thumbprint.as_deref(),
            Some("feeb79a888bf1415f8e17c4965a2a5bb5c8a2ff7")
        );
    }
}

#[tokio::test]
async fn token_update_matches_example() {
    let example = mgmt_example("TokenUpdate.json");
    let parameters = &example["parameters"]["tokenUpdateParameters"];
    for status in ["200", "201"] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .and(path(token_path()))
            .and(body_json(parameters))
            .respond_with(example_response(&server, &example, status))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(header_path(&example, "201", "Azure-AsyncOperation")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Succeeded"})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(token_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(example_body(&example, "200")))
            .mount(&server)
            .await;
        let (client, _) = acr_client(&server);
        let write = TokenWrite {
            scope_map_id: Some(
                parameters["properties"]["scopeMapId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            status: None,
            certificates: example_certificates(parameters),
        };

        let token = client
            .update_token(&registry(), &TokenName::new("myToken").unwrap(), &write)
            .await
            .unwrap();

        assert!(
            token
                .properties
                .scope_map_id
                .unwrap()
                .ends_with("/scopeMaps/myNewScopeMap"),
            "status {status}"
        );
    }
}

#[tokio::test]
async fn token_get_and_list_match_examples() {
    let get = mgmt_example("TokenGet.json");
    let list = mgmt_example("TokenList.json");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(token_path()))
        .respond_with(example_response(&server, &get, "200"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REGISTRY_PATH}/tokens")))
        .respond_with(example_response(&server, &list, "200"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let token = client
        .get_token(&registry(), &TokenName::new("myToken").unwrap())
        .await
        .unwrap();
    let listed: Vec<_> = client.list_tokens(&registry()).try_collect().await.unwrap();

    assert_eq!(token.properties.status, Some(TokenStatus::Enabled));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "myToken");
}

/// Fails when the spec gains an example that no test above uses.
#[test]
fn every_management_example_is_covered() {
    let covered = [
        "ImportImageByManifestDigest.json",
        "ImportImageByTag.json",
        "ImportImageFromPublicRegistry.json",
        "RegistryCreate.json",
        "RegistryGenerateCredentials.json",
        "RegistryGet.json",
        "RegistryListCredentials.json",
        "ScopeMapCreate.json",
        "ScopeMapGet.json",
        "ScopeMapList.json",
        "ScopeMapUpdate.json",
        "TokenCreate.json",
        "TokenGet.json",
        "TokenList.json",
        "TokenUpdate.json",
    ];
    let folder = common::specs_dir().join("containerregistry/2025-04-01/examples");
    let mut present: Vec<String> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", folder.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();

    assert_eq!(present, covered);
}
