//! Each preset rendered by `helm template` of the real goharbor/harbor chart 1.19.2, with the
//! output parsed into k8s-openapi types.

mod support;

use std::collections::BTreeMap;

use aks_deploy::presets::{
    ExternalServices, MANAGED_CSI_PREMIUM, PresetBase, ZRS_DISK_CLASS, ZRS_FILE_CLASS, ZoneLayout,
    across_zones, external_services, managed_disks,
};
use aks_deploy::rendered::RenderedObjects;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PodSpec};

fn base() -> PresetBase {
    let mut base = PresetBase::new("harbor.example.test", "webapprouting.kubernetes.azure.com");
    base.cluster_issuer = Some("letsencrypt".to_string());
    base
}

fn claim_class_and_mode(claim: &PersistentVolumeClaim) -> (String, Vec<String>) {
    let spec = claim.spec.as_ref().expect("claim spec");
    (
        spec.storage_class_name.clone().unwrap_or_default(),
        spec.access_modes.clone().unwrap_or_default(),
    )
}

fn pod_spec<'a>(objects: &'a RenderedObjects, name: &str) -> &'a PodSpec {
    if let Some(deployment) = objects.deployment(name) {
        return deployment
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .expect("pod spec");
    }
    objects
        .stateful_set(name)
        .and_then(|s| s.spec.as_ref())
        .and_then(|s| s.template.spec.as_ref())
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn replicas(objects: &RenderedObjects, name: &str) -> i32 {
    if let Some(deployment) = objects.deployment(name) {
        return deployment
            .spec
            .as_ref()
            .and_then(|s| s.replicas)
            .unwrap_or(1);
    }
    objects
        .stateful_set(name)
        .and_then(|s| s.spec.as_ref())
        .and_then(|s| s.replicas)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn template_claim(objects: &RenderedObjects, stateful_set: &str) -> (String, Vec<String>) {
    let set = objects.stateful_set(stateful_set).expect("stateful set");
    let templates = set
        .spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.as_ref())
        .expect("volume claim templates");
    claim_class_and_mode(&templates[0])
}

fn config(objects: &RenderedObjects, name: &str, key: &str) -> String {
    objects
        .config_map(name)
        .and_then(|c| c.data.as_ref())
        .and_then(|d| d.get(key))
        .cloned()
        .unwrap_or_else(|| panic!("no {key} in ConfigMap {name}"))
}

#[tokio::test]
async fn managed_disks_preset_renders_premium_disks() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &managed_disks(&base())).await;

    for name in ["harbor-registry", "harbor-jobservice"] {
        let claim = objects
            .claim(name)
            .unwrap_or_else(|| panic!("claim {name}"));
        let (class, modes) = claim_class_and_mode(claim);
        assert_eq!(class, MANAGED_CSI_PREMIUM, "{name}");
        assert_eq!(modes, ["ReadWriteOnce"], "{name}");
    }
    for set in ["harbor-database", "harbor-redis", "harbor-trivy"] {
        let (class, modes) = template_claim(&objects, set);
        assert_eq!(class, MANAGED_CSI_PREMIUM, "{set}");
        assert_eq!(modes, ["ReadWriteOnce"], "{set}");
    }
    let registry = objects.deployment("harbor-registry").expect("registry");
    let strategy = registry.spec.as_ref().and_then(|s| s.strategy.as_ref());
    assert_eq!(strategy.and_then(|s| s.type_.as_deref()), Some("Recreate"));
    for name in [
        "harbor-core",
        "harbor-portal",
        "harbor-registry",
        "harbor-jobservice",
    ] {
        assert_eq!(replicas(&objects, name), 1, "{name}");
    }
}

#[tokio::test]
async fn managed_disks_preset_reads_admin_password_from_secret() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &managed_disks(&base())).await;

    let core = pod_spec(&objects, "harbor-core");
    let env = core.containers[0].env.as_ref().expect("core env");
    let admin = env
        .iter()
        .find(|e| e.name == "HARBOR_ADMIN_PASSWORD")
        .expect("HARBOR_ADMIN_PASSWORD env");
    let secret_ref = admin
        .value_from
        .as_ref()
        .and_then(|v| v.secret_key_ref.as_ref())
        .expect("secretKeyRef");
    assert_eq!(secret_ref.name, "harbor-admin-password");
    assert_eq!(secret_ref.key, "HARBOR_ADMIN_PASSWORD");

    let core_secret = objects
        .secrets
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some("harbor-core"))
        .expect("core secret");
    let data = core_secret.data.as_ref().expect("core secret data");
    assert!(!data.contains_key("HARBOR_ADMIN_PASSWORD"));
}

#[tokio::test]
async fn managed_disks_preset_ingress_has_cert_manager_issuer() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &managed_disks(&base())).await;

    let ingress = &objects.ingresses[0];
    let annotations = ingress.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations
            .get("cert-manager.io/cluster-issuer")
            .map(String::as_str),
        Some("letsencrypt")
    );
    assert_eq!(
        annotations
            .get("acme.cert-manager.io/http01-ingress-class")
            .map(String::as_str),
        Some("webapprouting.kubernetes.azure.com")
    );
    let spec = ingress.spec.as_ref().expect("ingress spec");
    assert_eq!(
        spec.ingress_class_name.as_deref(),
        Some("webapprouting.kubernetes.azure.com")
    );
    let tls = &spec.tls.as_ref().expect("ingress tls")[0];
    assert_eq!(tls.secret_name.as_deref(), Some("harbor-example-test-tls"));
    assert_eq!(
        tls.hosts.as_deref(),
        Some(&["harbor.example.test".to_string()][..])
    );
}

fn services() -> ExternalServices {
    ExternalServices {
        database_host: "example.postgres.database.azure.com".into(),
        database_user: "harbor".into(),
        database_secret: "harbor-database".into(),
        database_name: "registry".into(),
        redis_host: "example.redis.cache.windows.net".into(),
        redis_secret: "harbor-redis".into(),
        blob: Some((
            "examplestorage".into(),
            "harbor".into(),
            "harbor-blob".into(),
        )),
    }
}

#[tokio::test]
async fn external_preset_uses_postgres_with_tls() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &external_services(&base(), &services())).await;

    assert!(objects.stateful_set("harbor-database").is_none());
    assert_eq!(
        config(&objects, "harbor-core", "POSTGRESQL_HOST"),
        "example.postgres.database.azure.com"
    );
    assert_eq!(config(&objects, "harbor-core", "POSTGRESQL_PORT"), "5432");
    assert_eq!(
        config(&objects, "harbor-core", "POSTGRESQL_SSLMODE"),
        "require"
    );
    assert_eq!(
        config(&objects, "harbor-core", "POSTGRESQL_USERNAME"),
        "harbor"
    );

    let core = pod_spec(&objects, "harbor-core");
    let env = core.containers[0].env.as_ref().expect("core env");
    let password = env
        .iter()
        .find(|e| e.name == "POSTGRESQL_PASSWORD")
        .and_then(|e| e.value_from.as_ref())
        .and_then(|v| v.secret_key_ref.as_ref())
        .expect("POSTGRESQL_PASSWORD from secret");
    assert_eq!(password.name, "harbor-database");
    assert_eq!(password.key, "password");
}

#[tokio::test]
async fn external_preset_uses_redis_over_tls_on_6380() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &external_services(&base(), &services())).await;

    assert!(objects.stateful_set("harbor-redis").is_none());
    let core_url = config(&objects, "harbor-core", "_REDIS_URL_CORE");
    // `helm template` has no cluster, so the password that the chart reads from the Secret
    // with `lookup` is empty here and the URL carries `:@`.
    assert!(core_url.starts_with("rediss://"), "{core_url}");
    assert!(
        core_url.contains("@example.redis.cache.windows.net:6380/0?"),
        "{core_url}"
    );
    let registry_config = config(&objects, "harbor-registry", "config.yml");
    assert!(registry_config.contains("addr: example.redis.cache.windows.net:6380"));
    assert!(registry_config.contains("enableTLS: true"));
}

#[tokio::test]
async fn external_preset_stores_images_in_blob_without_claims() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &external_services(&base(), &services())).await;

    assert!(objects.claims.is_empty(), "claims: {:?}", objects.claims);
    let registry_config = config(&objects, "harbor-registry", "config.yml");
    assert!(registry_config.contains("accountname: examplestorage"));
    assert!(registry_config.contains("container: harbor"));
    let registry = pod_spec(&objects, "harbor-registry");
    let key = registry.containers[0]
        .env
        .as_ref()
        .and_then(|env| {
            env.iter()
                .find(|e| e.name == "REGISTRY_STORAGE_AZURE_ACCOUNTKEY")
        })
        .and_then(|e| e.value_from.as_ref())
        .and_then(|v| v.secret_key_ref.as_ref())
        .expect("account key from secret");
    assert_eq!(key.name, "harbor-blob");
    assert_eq!(key.key, "AZURE_STORAGE_ACCESS_KEY");
}

#[tokio::test]
async fn zone_preset_uses_zone_redundant_storage() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let values = across_zones(&base(), &ZoneLayout::default()).unwrap();
    let objects = support::helm_template(&helm, &values).await;

    for name in ["harbor-registry", "harbor-jobservice"] {
        let (class, modes) = claim_class_and_mode(objects.claim(name).expect("claim"));
        assert_eq!(class, ZRS_FILE_CLASS, "{name}");
        assert_eq!(modes, ["ReadWriteMany"], "{name}");
    }
    // Trivy is a StatefulSet, so each replica gets its own claim and its own ZRS disk.
    for set in ["harbor-database", "harbor-redis", "harbor-trivy"] {
        let (class, modes) = template_claim(&objects, set);
        assert_eq!(class, ZRS_DISK_CLASS, "{set}");
        assert_eq!(modes, ["ReadWriteOnce"], "{set}");
    }
}

#[tokio::test]
async fn zone_preset_spreads_every_component() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let values = across_zones(&base(), &ZoneLayout::default()).unwrap();
    let objects = support::helm_template(&helm, &values).await;

    let workloads = [
        ("harbor-core", "core"),
        ("harbor-portal", "portal"),
        ("harbor-registry", "registry"),
        ("harbor-jobservice", "jobservice"),
        ("harbor-trivy", "trivy"),
    ];
    for (name, component) in workloads {
        assert_eq!(replicas(&objects, name), 3, "{name}");
        let constraints = pod_spec(&objects, name)
            .topology_spread_constraints
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no spread constraints"));
        let keys: Vec<&str> = constraints
            .iter()
            .map(|c| c.topology_key.as_str())
            .collect();
        assert_eq!(
            keys,
            ["topology.kubernetes.io/zone", "kubernetes.io/hostname"],
            "{name}"
        );
        let expected = BTreeMap::from([
            ("app".to_string(), "harbor".to_string()),
            ("release".to_string(), "harbor".to_string()),
            ("component".to_string(), component.to_string()),
        ]);
        for constraint in constraints {
            let selector = constraint
                .label_selector
                .as_ref()
                .and_then(|s| s.match_labels.as_ref());
            assert_eq!(selector, Some(&expected), "{name}");
        }
    }
    let budgets: Vec<&str> = objects
        .others
        .iter()
        .filter(|(kind, _)| kind == "PodDisruptionBudget")
        .map(|(_, name)| name.as_str())
        .collect();
    assert_eq!(budgets.len(), 5, "{budgets:?}");
}

/// Why validation rejects a user `labelSelector`: the chart appends its own, so the rendered
/// constraint carries the key twice and the API server would keep only one of them.
#[tokio::test]
async fn user_label_selector_renders_twice() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let values = "core:\n  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: topology.kubernetes.io/zone\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector:\n      matchLabels:\n        app: other\n";
    let release = aks_deploy::helm::Release::new(
        "harbor",
        "harbor",
        &support::chart_dir().display().to_string(),
    );
    let stream = helm.template(&release, values).await.unwrap();

    let core = stream
        .split("\n---")
        .find(|doc| doc.contains("kind: Deployment") && doc.contains("component: core"))
        .expect("core Deployment");
    let constraints = core
        .split("topologySpreadConstraints:")
        .nth(1)
        .and_then(|rest| rest.split("containers:").next())
        .expect("constraints block");
    assert_eq!(
        constraints.matches("labelSelector:").count(),
        2,
        "{constraints}"
    );
    assert!(
        RenderedObjects::parse(&stream).is_err(),
        "duplicate keys were accepted"
    );
}

#[tokio::test]
async fn rwx_files_render_two_replicas() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let mut values = managed_disks(&base());
    values.registry.workload.replicas = Some(2);
    values.jobservice.workload.replicas = Some(2);
    let claims = &mut values.persistence.persistent_volume_claim;
    let file = || {
        aks_deploy::values::Claim::new(
            "azurefile-csi-premium",
            aks_deploy::values::AccessMode::ReadWriteMany,
            "100Gi",
        )
    };
    claims.registry = Some(file());
    claims.jobservice = Some(aks_deploy::values::JobserviceClaims {
        job_log: Some(file()),
    });
    let objects = support::helm_template(&helm, &values).await;

    for name in ["harbor-registry", "harbor-jobservice"] {
        assert_eq!(replicas(&objects, name), 2, "{name}");
        let (class, modes) = claim_class_and_mode(objects.claim(name).expect("claim"));
        assert_eq!(class, "azurefile-csi-premium", "{name}");
        assert_eq!(modes, ["ReadWriteMany"], "{name}");
    }
}

#[tokio::test]
async fn database_logger_renders_no_job_log_claim() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let mut values = managed_disks(&base());
    values.jobservice.job_loggers = Some(vec![aks_deploy::values::JobLogger::Database]);
    let objects = support::helm_template(&helm, &values).await;

    assert!(objects.claim("harbor-jobservice").is_none());
    assert!(objects.claim("harbor-registry").is_some());
}

/// Returns the managed-disks preset exposed by a `LoadBalancer` or `NodePort` service.
fn service_exposure(kind: &str) -> aks_deploy::values::HarborValues {
    use aks_deploy::values::{Expose, ExposeKind, ServiceExposure, Tls};

    let mut service = ServiceExposure::default();
    service.annotations.insert(
        "service.beta.kubernetes.io/azure-load-balancer-internal".into(),
        "true".into(),
    );
    let expose_kind = match kind {
        "LoadBalancer" => {
            service.source_ranges = vec!["10.0.0.0/8".into()];
            ExposeKind::LoadBalancer(service)
        }
        _ => {
            service.node_ports = Some((30080, 30443));
            ExposeKind::NodePort(service)
        }
    };
    let expose = Expose {
        kind: expose_kind,
        tls: Tls::Auto {
            common_name: Some("harbor.example.test".into()),
        },
    };
    let mut values = managed_disks(&base());
    values.expose = expose;
    values
}

#[tokio::test]
async fn load_balancer_exposure_renders_service() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &service_exposure("LoadBalancer")).await;

    assert!(objects.ingresses.is_empty());
    let service = objects
        .services
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some("harbor"))
        .expect("harbor service");
    let spec = service.spec.as_ref().expect("service spec");
    assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
    assert_eq!(
        spec.load_balancer_source_ranges.as_deref(),
        Some(&["10.0.0.0/8".to_string()][..])
    );
    let annotations = service.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations
            .get("service.beta.kubernetes.io/azure-load-balancer-internal")
            .map(String::as_str),
        Some("true")
    );
    assert!(objects.deployment("harbor-nginx").is_some());
}

#[tokio::test]
async fn node_port_exposure_renders_ports() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let objects = support::helm_template(&helm, &service_exposure("NodePort")).await;

    let service = objects
        .services
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some("harbor"))
        .expect("harbor service");
    let spec = service.spec.as_ref().expect("service spec");
    assert_eq!(spec.type_.as_deref(), Some("NodePort"));
    let mut node_ports: Vec<i32> = spec
        .ports
        .iter()
        .flatten()
        .filter_map(|p| p.node_port)
        .collect();
    node_ports.sort();
    assert_eq!(node_ports, [30080, 30443]);
}

#[tokio::test]
async fn zone_preset_with_metrics_spreads_exporter() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let mut base = base();
    base.cluster_issuer = None;
    let mut values = across_zones(&base, &ZoneLayout::default()).unwrap();
    values.metrics = Some(aks_deploy::values::Metrics {
        enabled: true,
        service_monitor: aks_deploy::values::ServiceMonitor::default(),
    });
    let objects = support::helm_template(&helm, &values).await;

    assert_eq!(replicas(&objects, "harbor-exporter"), 3);
    let constraints = pod_spec(&objects, "harbor-exporter")
        .topology_spread_constraints
        .as_ref()
        .expect("exporter constraints");
    assert_eq!(constraints.len(), 2);
    let config = config(&objects, "harbor-core", "METRIC_ENABLE");
    assert_eq!(config, "true");
}
