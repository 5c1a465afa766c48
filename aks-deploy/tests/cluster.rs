//! Tests against a real kind or AKS cluster named by `HARBOR_AZURE_TEST_KUBECONFIG` (a path to a
//! kubeconfig file). Run them with `cargo test -p aks-deploy --test cluster -- --ignored`.

mod support;

use aks_deploy::kube_apply::Applier;
use aks_deploy::kube_client::client_from_kubeconfig;
use aks_deploy::manifests::{
    RegistryCredentials, namespace, pull_secret, zrs_disk_storage_class, zrs_file_storage_class,
};
use aks_deploy::rollout::{WaitPolicy, wait_for_release};
use aks_deploy::spread::read_spread;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Api;
use secrecy::SecretString;

const KUBECONFIG_ENV: &str = "HARBOR_AZURE_TEST_KUBECONFIG";
const NAMESPACE: &str = "harbor-azure-test";

async fn cluster() -> kube::Client {
    let path = std::env::var(KUBECONFIG_ENV).unwrap_or_else(|_| {
        panic!("set {KUBECONFIG_ENV} to a kubeconfig file to run cluster tests")
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    client_from_kubeconfig(&SecretString::from(text))
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs a cluster: set HARBOR_AZURE_TEST_KUBECONFIG and pass --ignored"]
async fn cluster_apply_is_idempotent() {
    let client = cluster().await;
    let applier = Applier::new(client.clone());
    applier
        .apply_cluster(&namespace(NAMESPACE).unwrap())
        .await
        .unwrap();
    for _ in 0..2 {
        applier
            .apply_cluster(&zrs_disk_storage_class("harbor-azure-test-disk-zrs").unwrap())
            .await
            .unwrap();
        applier
            .apply_cluster(&zrs_file_storage_class("harbor-azure-test-file-zrs").unwrap())
            .await
            .unwrap();
    }
    let classes: Api<StorageClass> = Api::all(client.clone());
    let disk = classes.get("harbor-azure-test-disk-zrs").await.unwrap();
    assert_eq!(
        disk.volume_binding_mode.as_deref(),
        Some("WaitForFirstConsumer")
    );

    let credentials = RegistryCredentials {
        registry: "harbor.example.test".into(),
        username: "robot$proj1+pull".into(),
        password: SecretString::from("s3cr3t-EXAMPLE"),
    };
    let secret = pull_secret("harbor-pull", NAMESPACE, &[credentials]).unwrap();
    applier.apply_namespaced(&secret).await.unwrap();
    let secrets: Api<Secret> = Api::namespaced(client, NAMESPACE);
    let stored = secrets.get("harbor-pull").await.unwrap();
    assert_eq!(
        stored.type_.as_deref(),
        Some("kubernetes.io/dockerconfigjson")
    );
}

#[tokio::test]
#[ignore = "needs a cluster: set HARBOR_AZURE_TEST_KUBECONFIG and pass --ignored"]
async fn cluster_coredns_rollout_and_spread() {
    let client = cluster().await;
    let waited = wait_for_release(
        &client,
        "kube-system",
        "k8s-app=kube-dns",
        WaitPolicy::default(),
    )
    .await
    .unwrap();
    assert!(!waited.is_empty());
    let report = read_spread(&client, "kube-system", "k8s-app=kube-dns")
        .await
        .unwrap();
    assert!(!report.zones.is_empty());
}
