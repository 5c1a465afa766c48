//! The AKS client against wiremock, answering with the Azure REST spec examples.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use acr_client::arm::{ArmClient, LroOptions, VirtualClock};
use aks_deploy::aks::{AksClient, ClusterSpec, NodePool, PoolMode, ZonePools};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use secrecy::ExposeSecret;
use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug)]
struct StaticCredential;

#[async_trait::async_trait]
impl TokenCredential for StaticCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "aad.jwt".to_owned(),
            time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
        ))
    }
}

const CLUSTER_PATH: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1";

fn client(server: &MockServer) -> AksClient {
    let arm = ArmClient::builder(Arc::new(StaticCredential))
        .endpoint(server.uri())
        .clock(Arc::new(VirtualClock::new(
            time::macros::datetime!(2026-01-01 00:00 UTC),
        )))
        .lro_options(LroOptions {
            deadline: Duration::from_secs(60),
            default_poll_interval: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    AksClient::new(arm, "00000000-0000-0000-0000-000000000000", "rg1").unwrap()
}

fn example(version: &str, name: &str) -> Value {
    let file = support::specs_dir()
        .join("azure/containerservice")
        .join(version)
        .join("examples")
        .join(name);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap()
}

fn spec() -> ClusterSpec {
    ClusterSpec {
        location: "location1".into(),
        dns_prefix: "dnsprefix1".into(),
        kubernetes_version: None,
        pools: vec![NodePool {
            name: "nodepool".into(),
            vm_size: "Standard_DS1_v2".into(),
            mode: PoolMode::System,
            min_count: 1,
            max_count: 3,
            node_labels: BTreeMap::new(),
            node_taints: Vec::new(),
        }],
        zone_pools: ZonePools::PerZone,
        tags: BTreeMap::new(),
    }
}

#[tokio::test]
async fn create_or_update_sends_zonal_pools() {
    let server = MockServer::start().await;
    let response =
        example("2026-07-01", "ManagedClustersCreate_Update.json")["responses"]["200"]["body"]
            .clone();
    Mock::given(method("PUT"))
        .and(path(CLUSTER_PATH))
        .and(query_param("api-version", "2026-08-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(response))
        .expect(1)
        .mount(&server)
        .await;

    let cluster = client(&server)
        .create_or_update("clustername1", &spec())
        .await
        .unwrap();

    assert_eq!(cluster.name, "clustername1");
    assert_eq!(
        cluster.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let pools = body["properties"]["agentPoolProfiles"].as_array().unwrap();
    let zones: Vec<&Value> = pools.iter().map(|p| &p["availabilityZones"]).collect();
    assert_eq!(
        zones,
        [
            &serde_json::json!(["1"]),
            &serde_json::json!(["2"]),
            &serde_json::json!(["3"])
        ]
    );
    assert_eq!(
        body["properties"]["autoScalerProfile"]["balance-similar-node-groups"],
        "true"
    );
}

#[tokio::test]
async fn user_kubeconfig_is_decoded() {
    let server = MockServer::start().await;
    let response = example(
        "2026-04-01",
        "ManagedClustersListClusterUserCredentials.json",
    )["responses"]["200"]["body"]
        .clone();
    Mock::given(method("POST"))
        .and(path(format!("{CLUSTER_PATH}/listClusterUserCredential")))
        .respond_with(ResponseTemplate::new(200).set_body_json(response))
        .expect(1)
        .mount(&server)
        .await;

    let kubeconfig = client(&server)
        .user_kubeconfig("clustername1")
        .await
        .unwrap();
    assert_eq!(kubeconfig.expose_secret(), "credentialValue1");
}

#[tokio::test]
async fn missing_cluster_reads_as_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CLUSTER_PATH))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": {"code": "ResourceNotFound", "message": "not found"}
        })))
        .mount(&server)
        .await;

    assert_eq!(client(&server).get("clustername1").await.unwrap(), None);
}

#[tokio::test]
async fn rejected_create_keeps_arm_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(CLUSTER_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {"code": "InvalidParameter", "message": "vmSize is not available in zone 3"}
        })))
        .mount(&server)
        .await;

    let error = client(&server)
        .create_or_update("clustername1", &spec())
        .await
        .unwrap_err();

    assert!(error.to_string().contains("clustername1"), "{error}");
    let aks_deploy::Error::Arm { source, .. } = &error else {
        panic!("expected an ARM error, got {error}");
    };
    assert_eq!(source.code(), Some("InvalidParameter"));
    assert!(!error.is_not_found());
}

#[tokio::test]
async fn invalid_spec_sends_nothing() {
    let server = MockServer::start().await;
    let mut spec = spec();
    spec.dns_prefix = "-bad".into();

    let error = client(&server)
        .create_or_update("clustername1", &spec)
        .await
        .unwrap_err();

    assert!(error.to_string().contains("-bad"), "{error}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
