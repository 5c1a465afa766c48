//! The plan's values rendered by `helm template` of the real Harbor chart.
//!
//! Needs helm from `HELM` or `PATH` (`cargo xtask test` downloads it). Without helm the tests
//! print why they skip, except under `CI`, where they fail.

use std::path::{Path, PathBuf};

use aks_deploy::helm::{Helm, Release};
use aks_deploy::rendered::RenderedObjects;
use harbor_azure::config::Config;
use harbor_azure::plan::{Plan, Preset, SecretMode, load_chart_keys};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;

const SAMPLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml");

fn helm_or_skip() -> Option<Helm> {
    match Helm::locate() {
        Ok(helm) => Some(helm),
        Err(error) if std::env::var_os("CI").is_some() => {
            panic!("{error}; `cargo xtask test` downloads helm and sets HELM")
        }
        Err(error) => {
            eprintln!("skipping: {error}; run `cargo xtask test` to download helm");
            None
        }
    }
}

fn chart_dir() -> PathBuf {
    aks_deploy::chart_keys::ChartKeys::default_chart_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Builds the plan for `preset` from the sample and renders its values with the local chart.
async fn render(helm: &Helm, preset: Preset) -> (Plan, RenderedObjects) {
    let config = Config::load(SAMPLE_PATH).unwrap();
    let keys = load_chart_keys(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let plan = Plan::build(&config, preset, &keys, SecretMode::Placeholder).unwrap();
    let release = Release::new(
        &plan.release.name,
        &plan.release.namespace,
        &chart_dir().display().to_string(),
    );
    let stream = helm
        .template(&release, &plan.values_yaml)
        .await
        .expect("helm template succeeds");
    let objects = RenderedObjects::parse(&stream).expect("helm output parses");
    (plan, objects)
}

fn replicas(objects: &RenderedObjects, name: &str) -> i32 {
    if let Some(deployment) = objects.deployment(name) {
        return deployment
            .spec
            .as_ref()
            .and_then(|spec| spec.replicas)
            .unwrap_or(1);
    }
    let set = objects
        .stateful_set(name)
        .unwrap_or_else(|| panic!("no workload {name}"));
    set.spec
        .as_ref()
        .and_then(|spec| spec.replicas)
        .unwrap_or(1)
}

fn class_mode_size(claim: &PersistentVolumeClaim) -> (String, String, String) {
    let spec = claim.spec.as_ref().unwrap();
    let class = spec.storage_class_name.clone().unwrap_or_default();
    let mode = spec.access_modes.clone().unwrap_or_default().join(",");
    let size = spec
        .resources
        .as_ref()
        .and_then(|resources| resources.requests.as_ref())
        .and_then(|requests| requests.get("storage"))
        .map(|quantity| quantity.0.clone())
        .unwrap_or_default();
    (class, mode, size)
}

fn template_claim(objects: &RenderedObjects, set: &str) -> (String, String, String) {
    let set = objects
        .stateful_set(set)
        .unwrap_or_else(|| panic!("no StatefulSet {set}"));
    let templates = set
        .spec
        .as_ref()
        .unwrap()
        .volume_claim_templates
        .as_ref()
        .unwrap();
    class_mode_size(&templates[0])
}

#[tokio::test]
async fn across_zones_plan_renders_with_helm() {
    let Some(helm) = helm_or_skip() else {
        return;
    };
    let (_, objects) = render(&helm, Preset::AcrossZones).await;

    let registry = objects.claim("harbor-registry").expect("registry claim");
    assert_eq!(
        class_mode_size(registry),
        (
            "harbor-file-zrs".into(),
            "ReadWriteMany".into(),
            "100Gi".into()
        )
    );
    assert_eq!(
        template_claim(&objects, "harbor-database"),
        (
            "harbor-disk-zrs".into(),
            "ReadWriteOnce".into(),
            "10Gi".into()
        )
    );
    assert_eq!(
        template_claim(&objects, "harbor-trivy"),
        (
            "harbor-disk-zrs".into(),
            "ReadWriteOnce".into(),
            "5Gi".into()
        )
    );
    for name in [
        "harbor-core",
        "harbor-portal",
        "harbor-registry",
        "harbor-jobservice",
        "harbor-trivy",
    ] {
        assert_eq!(replicas(&objects, name), 3, "{name}");
    }
    let ingress = &objects.ingresses[0];
    let tls = ingress.spec.as_ref().unwrap().tls.as_ref().unwrap();
    assert_eq!(tls[0].secret_name.as_deref(), Some("harbor-tls"));

    // The registry and core read their credentials from the plan's Secrets, not from values.
    for (deployment, secret) in [
        ("harbor-registry", "harbor-registry-credentials"),
        ("harbor-registry", "harbor-core-secret"),
        ("harbor-core", "harbor-core-secret"),
    ] {
        let found = objects
            .deployments
            .iter()
            .find(|candidate| candidate.metadata.name.as_deref() == Some(deployment))
            .unwrap_or_else(|| panic!("no Deployment {deployment}"));
        let json = serde_json::to_string(found).unwrap();
        assert!(
            json.contains(&format!("\"{secret}\"")),
            "{deployment} does not use {secret}"
        );
    }
}

#[tokio::test]
async fn managed_disks_plan_renders_with_helm() {
    let Some(helm) = helm_or_skip() else {
        return;
    };
    let (_, objects) = render(&helm, Preset::ManagedDisks).await;

    let registry = objects.claim("harbor-registry").expect("registry claim");
    assert_eq!(
        class_mode_size(registry),
        (
            "managed-csi-premium".into(),
            "ReadWriteOnce".into(),
            "100Gi".into()
        )
    );
    assert_eq!(replicas(&objects, "harbor-registry"), 1);
    assert_eq!(replicas(&objects, "harbor-jobservice"), 1);
    assert_eq!(replicas(&objects, "harbor-core"), 3);
    assert_eq!(replicas(&objects, "harbor-portal"), 3);
}

#[tokio::test]
async fn managed_services_plan_renders_with_helm() {
    let Some(helm) = helm_or_skip() else {
        return;
    };
    let (_, objects) = render(&helm, Preset::ManagedServices).await;

    assert!(objects.stateful_set("harbor-database").is_none());
    assert!(objects.stateful_set("harbor-redis").is_none());
    let core = objects.config_map("harbor-core").expect("core ConfigMap");
    let data = core.data.as_ref().unwrap();
    assert_eq!(
        data["POSTGRESQL_HOST"],
        "psql-harbor.postgres.database.azure.com"
    );
    assert_eq!(data["POSTGRESQL_SSLMODE"], "require");
    assert_eq!(data["POSTGRESQL_DATABASE"], "registry");
    let redis_url = &data["_REDIS_URL_CORE"];
    assert!(redis_url.starts_with("rediss://"), "{redis_url}");
    assert!(
        redis_url.contains("@redis-harbor.redis.cache.windows.net:6380/"),
        "{redis_url}"
    );
}
