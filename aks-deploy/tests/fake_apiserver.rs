//! Server-side apply, rollout waits, the spread report and the whole `deploy_across_zones`
//! against a fake Kubernetes API server (wiremock on 127.0.0.1) and a fake helm script.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use aks_deploy::Error;
use aks_deploy::chart_keys::ChartKeys;
use aks_deploy::helm::{Helm, Release};
use aks_deploy::kube_apply::Applier;
use aks_deploy::manifests::{HarborSecrets, zrs_disk_storage_class};
use aks_deploy::presets::{PresetBase, ZoneLayout};
use aks_deploy::rollout::{WaitPolicy, wait_for_deployment, wait_for_release};
use aks_deploy::spread::{ZonePreflight, read_spread};
use aks_deploy::workflow::{ZoneDeployment, deploy_across_zones};
use kube::{Client, Config};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    let config = Config::new(server.uri().parse().unwrap());
    Client::try_from(config).unwrap()
}

fn fast() -> WaitPolicy {
    WaitPolicy {
        timeout: Duration::from_secs(5),
        interval: Duration::from_millis(10),
    }
}

/// Returns the object of an apply request as the response, as the API server does.
fn echo_body(request: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    ResponseTemplate::new(200).set_body_json(body)
}

fn deployment_json(name: &str, desired: i32, available: i32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "harbor", "generation": 1, "labels": {"release": "harbor"}},
        "spec": {"replicas": desired, "selector": {}, "template": {}},
        "status": {"observedGeneration": 1, "replicas": desired, "updatedReplicas": desired,
                   "availableReplicas": available}
    })
}

fn stateful_set_json(name: &str, ready: i32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "harbor", "generation": 1},
        "spec": {"replicas": 1, "selector": {}, "template": {}, "serviceName": name},
        "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": ready, "updatedReplicas": 1,
                   "currentRevision": "r1", "updateRevision": "r1"}
    })
}

fn list(kind: &str, items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": format!("{kind}List"), "metadata": {}, "items": items})
}

fn node(name: &str, zone: &str) -> Value {
    json!({"metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}}})
}

fn pod(name: &str, component: &str, node: &str) -> Value {
    json!({"metadata": {"name": name, "labels": {"component": component, "release": "harbor"}},
           "spec": {"containers": [], "nodeName": node}})
}

#[tokio::test]
async fn apply_uses_field_manager_and_apply_patch() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(
            "/apis/storage.k8s.io/v1/storageclasses/harbor-disk-zrs",
        ))
        .and(query_param("fieldManager", "harbor-azure"))
        .and(header("content-type", "application/apply-patch+yaml"))
        .respond_with(echo_body)
        .expect(1)
        .mount(&server)
        .await;

    let applied = Applier::new(client(&server))
        .apply_cluster(&zrs_disk_storage_class("harbor-disk-zrs").unwrap())
        .await
        .unwrap();

    assert_eq!(applied.provisioner, "disk.csi.azure.com");
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["parameters"]["skuName"], "Premium_ZRS");
    assert_eq!(body["kind"], "StorageClass");
}

#[tokio::test]
async fn apply_force_sets_force_parameter() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(
            "/apis/storage.k8s.io/v1/storageclasses/harbor-disk-zrs",
        ))
        .and(query_param("force", "true"))
        .respond_with(echo_body)
        .expect(1)
        .mount(&server)
        .await;

    Applier::new(client(&server))
        .force_conflicts()
        .apply_cluster(&zrs_disk_storage_class("harbor-disk-zrs").unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn apply_error_names_the_object() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "Apply failed with 1 conflict", "reason": "Conflict", "code": 409
        })))
        .mount(&server)
        .await;

    let error = Applier::new(client(&server))
        .apply_cluster(&zrs_disk_storage_class("harbor-disk-zrs").unwrap())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("apply StorageClass/harbor-disk-zrs"),
        "{error}"
    );
}

#[tokio::test]
async fn rollout_wait_polls_until_available() {
    let server = MockServer::start().await;
    let route = "/apis/apps/v1/namespaces/harbor/deployments/harbor-core";
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment_json(
            "harbor-core",
            3,
            1,
        )))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment_json(
            "harbor-core",
            3,
            3,
        )))
        .expect(1)
        .mount(&server)
        .await;

    wait_for_deployment(&client(&server), "harbor", "harbor-core", fast())
        .await
        .unwrap();
}

#[tokio::test]
async fn rollout_wait_times_out_with_last_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/apis/apps/v1/namespaces/harbor/deployments/harbor-core",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment_json(
            "harbor-core",
            3,
            1,
        )))
        .mount(&server)
        .await;
    let policy = WaitPolicy {
        timeout: Duration::from_millis(50),
        interval: Duration::from_millis(10),
    };

    let error = wait_for_deployment(&client(&server), "harbor", "harbor-core", policy)
        .await
        .unwrap_err();

    let Error::Timeout {
        resource, state, ..
    } = &error
    else {
        panic!("expected a timeout, got {error}");
    };
    assert_eq!(resource, "Deployment harbor/harbor-core");
    assert!(state.contains("1/3 available"), "{state}");
}

#[tokio::test]
async fn rollout_wait_reports_missing_deployment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
            "message": "deployments.apps \"harbor-core\" not found"
        })))
        .mount(&server)
        .await;

    let error = wait_for_deployment(&client(&server), "harbor", "harbor-core", fast())
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

async fn mount_release(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/apis/apps/v1/namespaces/harbor/deployments"))
        .and(query_param("labelSelector", "release=harbor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            "Deployment",
            vec![deployment_json("harbor-core", 3, 3)],
        )))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/apis/apps/v1/namespaces/harbor/statefulsets"))
        .and(query_param("labelSelector", "release=harbor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            "StatefulSet",
            vec![stateful_set_json("harbor-database", 1)],
        )))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/apis/apps/v1/namespaces/harbor/deployments/harbor-core",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment_json(
            "harbor-core",
            3,
            3,
        )))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/apis/apps/v1/namespaces/harbor/statefulsets/harbor-database",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(stateful_set_json("harbor-database", 1)),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/nodes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            "Node",
            vec![
                node("n1", "eastus-1"),
                node("n2", "eastus-2"),
                node("n3", "eastus-3"),
            ],
        )))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/namespaces/harbor/pods"))
        .and(query_param("labelSelector", "release=harbor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            "Pod",
            vec![
                pod("c1", "core", "n1"),
                pod("c2", "core", "n2"),
                pod("c3", "core", "n3"),
            ],
        )))
        .mount(server)
        .await;
}

#[tokio::test]
async fn release_wait_covers_deployments_and_stateful_sets() {
    let server = MockServer::start().await;
    mount_release(&server).await;

    let waited = wait_for_release(&client(&server), "harbor", "release=harbor", fast())
        .await
        .unwrap();
    assert_eq!(
        waited,
        ["Deployment/harbor-core", "StatefulSet/harbor-database"]
    );
}

#[tokio::test]
async fn spread_report_reads_nodes_and_pods() {
    let server = MockServer::start().await;
    mount_release(&server).await;

    let report = read_spread(&client(&server), "harbor", "release=harbor")
        .await
        .unwrap();
    assert_eq!(report.zones, ["eastus-1", "eastus-2", "eastus-3"]);
    let core = &report.groups["core"];
    assert_eq!(core.zone_skew(&report.zones), 0);
    assert_eq!(core.per_node.len(), 3);
}

fn succeeding_helm(dir: &std::path::Path) -> std::path::PathBuf {
    let script = dir.join("helm");
    let argv = dir.join("argv");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"{}\"\nexit 0\n",
            argv.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[tokio::test]
async fn deploy_across_zones_applies_then_installs() {
    let server = MockServer::start().await;
    mount_release(&server).await;
    for route in [
        "/api/v1/namespaces/harbor",
        "/apis/storage.k8s.io/v1/storageclasses/harbor-disk-zrs",
        "/apis/storage.k8s.io/v1/storageclasses/harbor-file-zrs",
        "/api/v1/namespaces/harbor/secrets/harbor-admin-password",
    ] {
        Mock::given(method("PATCH"))
            .and(path(route))
            .and(query_param("fieldManager", "harbor-azure"))
            .respond_with(echo_body)
            .expect(1)
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let helm = Helm::with_program(succeeding_helm(dir.path()));
    let deployment = ZoneDeployment {
        release: Release::new("harbor", "harbor", "goharbor/harbor"),
        base: PresetBase::new("harbor.example.test", "nginx"),
        layout: ZoneLayout::default(),
        secrets: HarborSecrets::new(SecretString::from("s3cr3t-EXAMPLE")),
        issuer: None,
        image_pull: None,
        customize: None,
        chart_keys: ChartKeys::load(&support::chart_dir()).unwrap(),
        preflight: ZonePreflight::Fail,
        wait: fast(),
    };

    let report = deploy_across_zones(&client(&server), &helm, &deployment)
        .await
        .unwrap();

    assert_eq!(
        report.rolled_out,
        ["Deployment/harbor-core", "StatefulSet/harbor-database"]
    );
    assert_eq!(report.spread.groups["core"].per_zone.len(), 3);
    let argv = std::fs::read_to_string(dir.path().join("argv")).unwrap();
    assert!(
        argv.starts_with("upgrade\n--install\nharbor\ngoharbor/harbor\n"),
        "{argv}"
    );
    assert!(!argv.contains("s3cr3t-EXAMPLE"), "{argv}");
    let requests = server.received_requests().await.unwrap();
    let secret = requests
        .iter()
        .find(|r| r.url.path().ends_with("/secrets/harbor-admin-password"))
        .unwrap();
    let body: Value = serde_json::from_slice(&secret.body).unwrap();
    assert_eq!(
        body["data"]["HARBOR_ADMIN_PASSWORD"],
        "czNjcjN0LUVYQU1QTEU="
    );
}

#[tokio::test]
async fn deploy_across_zones_stops_on_unlabelled_nodes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/nodes"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(list("Node", vec![json!({"metadata": {"name": "n1"}})])),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let helm = Helm::with_program(succeeding_helm(dir.path()));
    let deployment = ZoneDeployment {
        release: Release::new("harbor", "harbor", "goharbor/harbor"),
        base: PresetBase::new("harbor.example.test", "nginx"),
        layout: ZoneLayout::default(),
        secrets: HarborSecrets::new(SecretString::from("s3cr3t-EXAMPLE")),
        issuer: None,
        image_pull: None,
        customize: None,
        chart_keys: ChartKeys::load(&support::chart_dir()).unwrap(),
        preflight: ZonePreflight::Fail,
        wait: fast(),
    };

    let error = deploy_across_zones(&client(&server), &helm, &deployment)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("n1"), "{error}");
    assert!(
        !dir.path().join("argv").exists(),
        "helm ran despite the failed pre-flight"
    );
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "GET"),
        "something was applied"
    );
}
