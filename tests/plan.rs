//! The deployment plan built from the bundled sample configuration, for each preset.

use std::path::Path;

use acr_client::{ImportMode, SkuName, ZoneRedundancy};
use aks_deploy::chart_keys::ChartKeys;
use harbor_azure::config::Config;
use harbor_azure::plan::{
    Plan, PlanError, Preset, SecretMode, StepKind, Target, default_chart_values_path,
    load_chart_keys, load_chart_keys_from,
};
use harbor_azure::workflows::transfer_route::{Route, RouteReason, SourceExposure};
use secrecy::SecretString;
use serde_json::Value;

const SAMPLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml");

/// The value that plan mode puts in place of secrets; it must never reach any output.
const PLACEHOLDER: &str = "plan-placeholder";

fn chart_keys() -> ChartKeys {
    load_chart_keys(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the Harbor chart is readable from the specs folder (set HARBOR_AZURE_SPECS)")
}

fn sample() -> Config {
    Config::load(SAMPLE_PATH).unwrap()
}

fn plan_for(config: &Config, preset: Preset) -> Plan {
    Plan::build(config, preset, &chart_keys(), SecretMode::Placeholder).unwrap()
}

fn values_of(plan: &Plan) -> Value {
    serde_saphyr::from_str(&plan.values_yaml).unwrap()
}

#[test]
fn every_preset_plans_without_secrets() {
    for preset in Preset::ALL {
        let plan = plan_for(&sample(), preset);
        let text = plan.render_text();
        assert!(text.contains(&format!("preset {preset}")), "{text}");
        assert!(
            text.contains("HARBOR_ADMIN_PASSWORD = <from env HARBOR_ADMIN_PASSWORD>"),
            "{text}"
        );
        assert!(
            !text.contains(PLACEHOLDER),
            "{preset}: placeholder in the text"
        );
        assert!(
            !plan.values_yaml.contains(PLACEHOLDER),
            "{preset}: placeholder in values"
        );
        assert!(
            text.contains("helm upgrade --install harbor harbor/harbor --namespace harbor"),
            "{text}"
        );
    }
}

#[test]
fn across_zones_creates_zrs_classes() {
    let plan = plan_for(&sample(), Preset::AcrossZones);
    let names: Vec<String> = plan
        .storage_classes
        .iter()
        .map(|class| class.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["harbor-disk-zrs", "harbor-file-zrs"]);
    for class in &plan.storage_classes {
        assert_eq!(class.parameters.as_ref().unwrap()["skuName"], "Premium_ZRS");
    }
    assert_eq!(plan.existing_storage_class, None);

    let values = values_of(&plan);
    let claims = &values["persistence"]["persistentVolumeClaim"];
    assert_eq!(claims["registry"]["storageClass"], "harbor-file-zrs");
    assert_eq!(claims["registry"]["accessMode"], "ReadWriteMany");
    assert_eq!(claims["registry"]["size"], "100Gi");
    assert_eq!(claims["database"]["storageClass"], "harbor-disk-zrs");
    assert_eq!(claims["database"]["size"], "10Gi");
    assert_eq!(claims["trivy"]["storageClass"], "harbor-disk-zrs");
    assert_eq!(claims["trivy"]["accessMode"], "ReadWriteOnce");
    assert_eq!(claims["trivy"]["size"], "5Gi");
    for component in ["core", "portal", "registry", "jobservice", "trivy"] {
        assert_eq!(values[component]["replicas"], 3, "{component}");
        let spread = values[component]["topologySpreadConstraints"]
            .as_array()
            .unwrap();
        assert_eq!(
            spread[0]["topologyKey"], "topology.kubernetes.io/zone",
            "{component}"
        );
    }
    assert_eq!(
        plan.warnings,
        [
            "harbor.sizes.job_log = 1Gi is below 100Gi, the smallest Premium Azure Files share: \
             the claim still requests 1Gi, but Azure provisions and bills a 100Gi share for \
             job_log",
            "the across-zones preset keeps the internal PostgreSQL and Redis: each runs as one \
             pod on a zone-redundant disk, so a zone outage stops it until Kubernetes \
             reschedules the pod into another zone, where the disk can attach",
        ]
    );
    assert_eq!(values["database"]["type"], "internal");
    assert_eq!(values["redis"]["type"], "internal");
}

#[test]
fn single_pod_warning_only_for_across_zones() {
    for preset in [Preset::ManagedDisks, Preset::ManagedServices] {
        let plan = plan_for(&sample(), preset);
        assert!(
            plan.warnings
                .iter()
                .all(|warning| !warning.contains("internal PostgreSQL")),
            "{preset}: {:?}",
            plan.warnings
        );
    }
}

#[test]
fn managed_disks_keeps_rwo_components_single() {
    let plan = plan_for(&sample(), Preset::ManagedDisks);
    assert!(plan.storage_classes.is_empty());
    assert_eq!(
        plan.existing_storage_class.as_deref(),
        Some("managed-csi-premium")
    );

    let values = values_of(&plan);
    assert_eq!(values["registry"]["replicas"], 1);
    assert_eq!(values["jobservice"]["replicas"], 1);
    assert_eq!(values["core"]["replicas"], 3);
    assert_eq!(values["portal"]["replicas"], 3);
    let claims = &values["persistence"]["persistentVolumeClaim"];
    assert_eq!(claims["registry"]["storageClass"], "managed-csi-premium");
    assert_eq!(claims["registry"]["size"], "100Gi");

    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert!(plan.warnings[0].starts_with("harbor.replicas.registry = 3 lowered to 1"));
    assert!(plan.warnings[1].starts_with("harbor.replicas.jobservice = 3 lowered to 1"));
}

#[test]
fn managed_services_uses_external_database_and_redis() {
    let plan = plan_for(&sample(), Preset::ManagedServices);
    let values = values_of(&plan);
    let database = &values["database"]["external"];
    assert_eq!(database["host"], "psql-harbor.postgres.database.azure.com");
    assert_eq!(database["sslmode"], "require");
    assert_eq!(database["existingSecret"], "harbor-database");
    let redis = &values["redis"]["external"];
    assert_eq!(redis["addr"], "redis-harbor.redis.cache.windows.net:6380");
    assert_eq!(redis["existingSecret"], "harbor-redis");

    let secret_names: Vec<String> = plan
        .secrets
        .iter()
        .map(|secret| secret.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(
        secret_names,
        [
            "harbor-admin-password",
            "harbor-secret-key",
            "harbor-core-secret",
            "harbor-registry-credentials",
            "harbor-database",
            "harbor-redis"
        ]
    );
    let text = plan.render_text();
    assert!(text.contains("password = <from env HARBOR_DATABASE_PASSWORD> (postgres.password)"));
    assert!(text.contains("REDIS_PASSWORD = <from env HARBOR_REDIS_PASSWORD> (redis.password)"));
    // jobservice logs to the database here, so it may scale.
    assert_eq!(values["jobservice"]["replicas"], 3);
}

#[test]
fn prerequisites_listed_from_config() {
    let plan = plan_for(&sample(), Preset::ManagedServices);
    assert_eq!(
        plan.prerequisites,
        [
            "NGINX ingress controller: release ingress-nginx in namespace ingress-nginx, serving ingress class nginx",
            "cert-manager with its CRDs in namespace cert-manager, for ClusterIssuer letsencrypt",
            "DNS: a record for harbor.example.test in zone example.test (resource group rg-dns) pointing at the ingress controller's external IP",
            "virtual network vnet-harbor 10.240.0.0/16 with subnets aks 10.240.0.0/20, postgres 10.240.16.0/24, redis 10.240.17.0/24",
        ]
    );
    assert!(
        plan.render_text()
            .contains("Prerequisites (not created by this plan)")
    );
}

#[test]
fn plan_without_acr_has_no_registry_steps() {
    let mut config = sample();
    config.acr = None;
    let plan = plan_for(&config, Preset::ManagedDisks);
    assert!(plan.acr.is_none());
    assert!(plan.imports.is_empty());
    let targets: Vec<_> = plan.steps().iter().map(|step| step.target).collect();
    assert!(!targets.contains(&Target::Acr));
    assert!(!targets.contains(&Target::Harbor));
    let kinds: Vec<StepKind> = plan.steps().iter().map(|step| step.kind).collect();
    assert!(!kinds.contains(&StepKind::AppPullSecret));
    assert_eq!(plan.steps().len(), 9);
    assert_eq!(
        plan.warnings.last().unwrap(),
        "app.image = harbor.example.test/library/hello:1.0.0 is not in the Harbor project of \
         [acr.import]: the Deployment gets no pull Secret"
    );
}

#[test]
fn app_deployment_pulls_with_import_robot() {
    let plan = plan_for(&sample(), Preset::AcrossZones);
    let app = plan.app.as_ref().unwrap();
    let (registry, robot) = app.pull.as_ref().unwrap();
    assert_eq!(registry, "harbor.example.test");
    assert_eq!(robot.full_name(), "robot$library+acr-import");

    let deployment = serde_json::to_value(&app.deployment).unwrap();
    assert_eq!(deployment["metadata"]["namespace"], "hello");
    assert_eq!(deployment["spec"]["replicas"], 3);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(
        pod["containers"][0]["image"],
        "harbor.example.test/library/hello:1.0.0"
    );
    assert_eq!(pod["imagePullSecrets"][0]["name"], "harbor-pull");
    let spread = pod["topologySpreadConstraints"].as_array().unwrap();
    assert_eq!(spread[0]["topologyKey"], "topology.kubernetes.io/zone");

    let text = plan.render_text();
    assert!(text.contains(
        "apply Secret hello/harbor-pull (kubernetes.io/dockerconfigjson for harbor.example.test as robot$library+acr-import)"
    ));
}

#[test]
fn across_zones_needs_replica_per_zone() {
    let mut config = sample();
    config.harbor.replicas.portal = 2;
    let error = Plan::build(
        &config,
        Preset::AcrossZones,
        &chart_keys(),
        SecretMode::Placeholder,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{SAMPLE_PATH}: invalid configuration for the across-zones preset:\n  \
             - harbor.replicas.portal = 2: the preset runs at least one replica per zone: \
             set 3 or more, or use another preset"
        )
    );
    assert!(
        Plan::build(
            &config,
            Preset::ManagedDisks,
            &chart_keys(),
            SecretMode::Placeholder
        )
        .is_ok()
    );
}

#[test]
fn across_zones_needs_two_or_three_zones() {
    for zones in [vec!["1"], vec!["1", "2", "3", "4"]] {
        let mut config = sample();
        config.azure.zones = zones.iter().map(|zone| (*zone).to_owned()).collect();

        let error = Plan::build(
            &config,
            Preset::AcrossZones,
            &chart_keys(),
            SecretMode::Placeholder,
        )
        .unwrap_err();

        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "{SAMPLE_PATH}: invalid configuration for the across-zones preset:\n"
            )),
            "{message}"
        );
        assert!(
            message.contains(&format!("\n  - azure.zones = {zones:?}: ")),
            "{message}"
        );
        assert!(message.contains("2 or 3 availability zones"), "{message}");
    }
}

#[test]
fn managed_services_needs_postgres_section() {
    let mut config = sample();
    config.postgres = None;
    let error = Plan::build(
        &config,
        Preset::ManagedServices,
        &chart_keys(),
        SecretMode::Placeholder,
    )
    .unwrap_err();
    assert!(matches!(
        error,
        PlanError::MissingSection {
            section: "postgres",
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "the managed-services preset needs the [postgres] section in the configuration"
    );
}

#[test]
fn acr_scope_map_and_token_planned() {
    let plan = plan_for(&sample(), Preset::ManagedDisks);
    let acr = plan.acr.as_ref().unwrap();
    assert_eq!(acr.registry.as_str(), "exampleacr");
    assert_eq!(acr.resource_group, "rg-harbor");
    assert_eq!(acr.token.as_str(), "harbor-push");
    assert_eq!(acr.registry_create.location, "westeurope");
    assert_eq!(acr.registry_create.sku, SkuName::Premium);
    assert!(!acr.registry_create.admin_user_enabled);
    assert_eq!(acr.registry_create.zone_redundancy, None);
    assert!(plan.render_text().contains(
        "ensure registry exampleacr (Premium, westeurope, admin user disabled) in resource group rg-harbor"
    ));

    let zonal = plan_for(&sample(), Preset::AcrossZones);
    let create = &zonal.acr.as_ref().unwrap().registry_create;
    assert_eq!(create.zone_redundancy, Some(ZoneRedundancy::Enabled));
    let actions: Vec<String> = acr.actions.iter().map(ToString::to_string).collect();
    assert_eq!(
        actions,
        [
            "repositories/mirror/nginx/content/read",
            "repositories/mirror/nginx/content/write",
            "repositories/mirror/nginx/metadata/read",
            "repositories/mirror/hello/content/read",
            "repositories/mirror/hello/content/write",
            "repositories/mirror/hello/metadata/read",
        ]
    );
}

#[test]
fn acr_login_server_planned_as_name() {
    let mut config = sample();
    config.acr.as_mut().unwrap().name = "exampleacr.azurecr.io".to_owned();

    let plan = plan_for(&config, Preset::ManagedDisks);

    assert_eq!(plan.acr.as_ref().unwrap().registry.as_str(), "exampleacr");
    let endpoint = plan.harbor.acr_endpoint.as_ref().unwrap();
    assert_eq!(endpoint.name, "exampleacr");
    assert_eq!(endpoint.url, "https://exampleacr.azurecr.io");
    assert!(
        plan.warnings.contains(&"acr.name = \"exampleacr.azurecr.io\" is a login server; the plan uses the registry name exampleacr".to_owned()),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn harbor_endpoint_and_replication_planned() {
    let plan = plan_for(&sample(), Preset::ManagedDisks);
    let endpoint = plan.harbor.acr_endpoint.as_ref().unwrap();
    assert_eq!(endpoint.name, "exampleacr");
    assert_eq!(endpoint.url, "https://exampleacr.azurecr.io");
    assert_eq!(endpoint.access_key, "harbor-push");

    let rule = plan.harbor.replication.as_ref().unwrap();
    assert_eq!(rule.endpoint, "exampleacr");
    let policy = serde_json::to_value(rule.spec(7).unwrap().to_model()).unwrap();
    assert_eq!(policy["name"], "library-to-exampleacr");
    assert_eq!(policy["dest_registry"]["id"], 7);
    assert_eq!(policy["dest_namespace"], "mirror");
    assert_eq!(policy["dest_namespace_replace_count"], 1);
    assert_eq!(policy["trigger"]["type"], "event_based");
    assert_eq!(policy["filters"][0]["type"], "name");
    assert_eq!(policy["filters"][0]["value"], "library/{hello,nginx}");
    assert_eq!(policy["deletion"], false);
    assert_eq!(policy["replicate_deletion"], false);
    assert_eq!(policy["override"], true);

    let text = plan.render_text();
    assert!(
        text.contains("\"id\": \"<id of endpoint exampleacr>\""),
        "{text}"
    );

    let robot = plan.harbor.import_robot.as_ref().unwrap();
    assert_eq!(robot.full_name(), "robot$library+acr-import");
    assert!(robot.spec().is_ok());
}

#[test]
fn imports_map_project_to_namespace() {
    let plan = plan_for(&sample(), Preset::ManagedDisks);
    let imports: Vec<(String, String)> = plan
        .imports
        .iter()
        .map(|import| (import.source_image.clone(), import.target_tag.clone()))
        .collect();
    assert_eq!(
        imports,
        [
            (
                "library/nginx:1.25.3".to_owned(),
                "mirror/nginx:1.25.3".to_owned()
            ),
            (
                "library/hello:1.0.0".to_owned(),
                "mirror/hello:1.0.0".to_owned()
            ),
        ]
    );
    assert!(
        plan.imports
            .iter()
            .all(|import| import.source_registry == "harbor.example.test")
    );
    let request = plan.imports[0]
        .request(
            "robot$library+acr-import",
            SecretString::from("s3cr3t-EXAMPLE"),
        )
        .unwrap();
    assert_eq!(request.mode(), ImportMode::Force);
}

#[test]
fn steps_run_in_dependency_order() {
    let plan = plan_for(&sample(), Preset::AcrossZones);
    let kinds: Vec<StepKind> = plan.steps().iter().map(|step| step.kind).collect();
    let position = |kind: StepKind| kinds.iter().position(|k| *k == kind).unwrap();
    assert_eq!(kinds[0], StepKind::Namespace);
    assert!(position(StepKind::Secret(0)) < position(StepKind::HelmRelease));
    assert!(position(StepKind::HelmRelease) < position(StepKind::HarborRobot));
    assert!(position(StepKind::AcrTokenPassword) < position(StepKind::HarborEndpoint));
    assert!(position(StepKind::HarborEndpoint) < position(StepKind::HarborReplication));
    assert!(position(StepKind::HarborRobot) < position(StepKind::AcrImport(0)));
    assert!(position(StepKind::HarborRobot) < position(StepKind::AppPullSecret));
    assert!(position(StepKind::AppPullSecret) < position(StepKind::AppDeployment));
    assert!(position(StepKind::AcrRegistry) < position(StepKind::AcrScopeMap));
    assert_eq!(kinds.len(), 21);
}

#[test]
fn plan_files_written_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_for(&sample(), Preset::AcrossZones);
    let files = plan.write_files(dir.path()).unwrap();
    let written = files.written;
    assert!(files.removed.is_empty(), "{:?}", files.removed);
    let relative: Vec<String> = written
        .iter()
        .map(|path| path.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        relative,
        [
            "values.yaml",
            "manifests/namespace.yaml",
            "manifests/storageclass-harbor-disk-zrs.yaml",
            "manifests/storageclass-harbor-file-zrs.yaml",
            "manifests/clusterissuer-letsencrypt.yaml",
            "manifests/app-namespace.yaml",
            "manifests/app-deployment.yaml",
            "helm-command.sh",
            "plan.txt",
            "manifests/.harbor-azure-manifests",
        ]
    );
    for path in &written {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(!text.contains(PLACEHOLDER), "{}", path.display());
        assert!(!text.contains("kind: Secret"), "{}", path.display());
    }

    let script = std::fs::read_to_string(dir.path().join("helm-command.sh")).unwrap();
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(
        script.contains("helm repo add --force-update harbor https://helm.goharbor.io\n"),
        "{script}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("helm-command.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755, "{mode:o}");
    }
    assert!(script.contains(
        "helm upgrade --install harbor harbor/harbor --namespace harbor --create-namespace \
         --wait --timeout 900s --values values.yaml --version 1.19.2\n"
    ));

    let issuer =
        std::fs::read_to_string(dir.path().join("manifests/clusterissuer-letsencrypt.yaml"))
            .unwrap();
    assert!(issuer.contains("kind: ClusterIssuer"), "{issuer}");
    assert!(issuer.contains("platform@example.test"), "{issuer}");
    let values = std::fs::read_to_string(dir.path().join("values.yaml")).unwrap();
    assert_eq!(values, plan.values_yaml);
}

#[test]
fn plan_files_drop_stale_manifests() {
    let dir = tempfile::tempdir().unwrap();
    plan_for(&sample(), Preset::AcrossZones)
        .write_files(dir.path())
        .unwrap();
    let notes = dir.path().join("manifests/README.txt");
    std::fs::write(&notes, "kept: not a manifest").unwrap();
    let own = dir.path().join("manifests/mine.yaml");
    std::fs::write(&own, "kind: ConfigMap\n").unwrap();

    let files = plan_for(&sample(), Preset::ManagedDisks)
        .write_files(dir.path())
        .unwrap();
    let removed: Vec<String> = files
        .removed
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        removed,
        [
            "storageclass-harbor-disk-zrs.yaml",
            "storageclass-harbor-file-zrs.yaml"
        ]
    );
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("manifests"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".harbor-azure-manifests",
            "README.txt",
            "app-deployment.yaml",
            "app-namespace.yaml",
            "clusterissuer-letsencrypt.yaml",
            "mine.yaml",
            "namespace.yaml",
        ]
    );
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "kind: ConfigMap\n");
}

#[test]
fn plan_files_keep_unlisted_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    // Written before the folder had a manifest list, or by hand: not ours to remove.
    std::fs::write(
        manifests.join("storageclass-old.yaml"),
        "kind: StorageClass\n",
    )
    .unwrap();
    // An edited list must not reach outside the folder.
    let outside = dir.path().join("outside.yaml");
    std::fs::write(&outside, "kind: ConfigMap\n").unwrap();
    std::fs::write(
        manifests.join(".harbor-azure-manifests"),
        "../outside.yaml\n/etc/passwd.yaml\nnot-a-manifest.txt\n",
    )
    .unwrap();
    std::fs::write(manifests.join("not-a-manifest.txt"), "notes\n").unwrap();

    let files = plan_for(&sample(), Preset::ManagedDisks)
        .write_files(dir.path())
        .unwrap();

    assert!(files.removed.is_empty(), "{:?}", files.removed);
    assert!(manifests.join("storageclass-old.yaml").is_file());
    assert!(manifests.join("not-a-manifest.txt").is_file());
    assert!(outside.is_file());
    let list = std::fs::read_to_string(manifests.join(".harbor-azure-manifests")).unwrap();
    let names: Vec<&str> = list.lines().filter(|line| !line.starts_with('#')).collect();
    assert_eq!(
        names,
        [
            "namespace.yaml",
            "clusterissuer-letsencrypt.yaml",
            "app-namespace.yaml",
            "app-deployment.yaml",
        ]
    );
}

#[test]
fn resolve_mode_reads_file_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_with_secret_files(dir.path(), "0123456789abcdef", REGISTRY_PASSWORD);
    let config = Config::from_toml(&text).unwrap();

    let plan = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap();
    let admin_secret = &plan.secrets[0];
    let data = admin_secret.data.as_ref().unwrap();
    assert_eq!(data["HARBOR_ADMIN_PASSWORD"].0, b"s3cr3t-EXAMPLE");
    assert!(!plan.render_text().contains("s3cr3t-EXAMPLE"));
    assert!(!plan.values_yaml.contains("s3cr3t-EXAMPLE"));
    let debug = format!("{plan:?}");
    assert!(!debug.contains("s3cr3t-EXAMPLE"), "{debug}");
    // k8s-openapi's ByteString prints bytes as numbers.
    let bytes = format!("{:?}", b"s3cr3t-EXAMPLE".to_vec());
    assert!(!debug.contains(bytes.trim_matches(['[', ']'])), "{debug}");
    assert!(debug.contains("harbor-admin-password"), "{debug}");
}

#[test]
fn resolve_mode_names_missing_variable() {
    let text = std::fs::read_to_string(SAMPLE_PATH).unwrap().replace(
        "HARBOR_ADMIN_PASSWORD",
        "HARBOR_AZURE_TEST_VARIABLE_NEVER_SET",
    );
    let config = Config::from_toml(&text).unwrap();
    let error = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "failed to read the secret of `harbor.admin_password`"
    );
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert_eq!(
        source,
        "environment variable HARBOR_AZURE_TEST_VARIABLE_NEVER_SET is not set: export it before running apply"
    );
}

#[test]
fn resolve_mode_rejects_short_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_with_secret_files(dir.path(), "short-key", REGISTRY_PASSWORD);
    let key = dir.path().join("secret_key");
    let config = Config::from_toml(&text).unwrap();
    let error = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap_err();
    let message = error.to_string();
    assert_eq!(
        message,
        format!(
            "invalid secret `harbor.secret_key` (<from file {}>): the value has 9 characters \
             (9 bytes), but Harbor requires exactly 16 ASCII characters: write a key of 16 ASCII \
             characters to {}",
            key.display(),
            key.display()
        )
    );
    assert!(message.contains("secret_key"), "{message}");
    assert!(message.contains("exactly 16"), "{message}");
    assert!(!message.contains("short-key"), "{message}");
}

#[test]
fn resolve_mode_rejects_short_core_secret() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_with_secret_files(dir.path(), "0123456789abcdef", REGISTRY_PASSWORD);
    let core_secret = dir.path().join("core_secret");
    std::fs::write(&core_secret, "short").unwrap();
    let config = Config::from_toml(&text).unwrap();

    let error = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap_err();

    assert_eq!(
        error.to_string(),
        format!(
            "invalid secret `harbor.core_secret` (<from file {}>): the value has 5 characters \
             (5 bytes), but Harbor requires exactly 16 ASCII characters: write a key of 16 ASCII \
             characters to {}",
            core_secret.display(),
            core_secret.display()
        )
    );
}

#[test]
fn resolve_mode_counts_secret_key_bytes() {
    // 15 characters that take 16 bytes in UTF-8: Harbor's AES needs 16 ASCII bytes.
    let dir = tempfile::tempdir().unwrap();
    let text = sample_with_secret_files(dir.path(), "0123456789abcdé", REGISTRY_PASSWORD);
    let config = Config::from_toml(&text).unwrap();
    let error = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("the value has 15 characters (16 bytes)"),
        "{message}"
    );
    assert!(!message.contains("0123456789"), "{message}");
}

const REGISTRY_PASSWORD: &str = "r3gistry-EXAMPLE";

/// Returns the sample configuration with its four secrets read from files in `dir`: the admin
/// password `s3cr3t-EXAMPLE`, `secret_key`, the core secret `core-secret-0123` and
/// `registry_password`.
fn sample_with_secret_files(
    dir: &std::path::Path,
    secret_key: &str,
    registry_password: &str,
) -> String {
    let mut text = std::fs::read_to_string(SAMPLE_PATH).unwrap();
    for (name, variable, value) in [
        (
            "admin_password",
            "HARBOR_ADMIN_PASSWORD",
            "s3cr3t-EXAMPLE\n",
        ),
        ("secret_key", "HARBOR_SECRET_KEY", secret_key),
        ("core_secret", "HARBOR_CORE_SECRET", "core-secret-0123"),
        (
            "registry_password",
            "HARBOR_REGISTRY_PASSWORD",
            registry_password,
        ),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, value).unwrap();
        let reference = format!("{name} = {{ env = \"{variable}\" }}");
        assert!(text.contains(&reference), "the sample has {reference}");
        text = text.replace(
            &reference,
            &format!("{name} = {{ file = {:?} }}", file.display().to_string()),
        );
    }
    text
}

fn secret_data<'a>(
    plan: &'a Plan,
    name: &str,
) -> &'a std::collections::BTreeMap<String, k8s_openapi::ByteString> {
    let secret = plan
        .secrets
        .iter()
        .find(|secret| secret.metadata.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("the plan has no Secret {name}"));
    secret.data.as_ref().unwrap()
}

#[test]
fn resolve_mode_writes_registry_and_core_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_with_secret_files(dir.path(), "0123456789abcdef", REGISTRY_PASSWORD);
    let config = Config::from_toml(&text).unwrap();

    let plan = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap();

    assert_eq!(
        secret_data(&plan, "harbor-core-secret")["secret"].0,
        b"core-secret-0123"
    );
    let registry = secret_data(&plan, "harbor-registry-credentials");
    assert_eq!(registry["REGISTRY_PASSWD"].0, REGISTRY_PASSWORD.as_bytes());
    let line = String::from_utf8(registry["REGISTRY_HTPASSWD"].0.clone()).unwrap();
    let hash = line
        .strip_prefix("harbor_registry_user:")
        .unwrap_or_else(|| panic!("{line}"));
    assert!(hash.starts_with("$2y$10$"), "{hash}");
    assert!(bcrypt::verify(REGISTRY_PASSWORD, hash).unwrap());
    assert!(!bcrypt::verify("another-password", hash).unwrap());
    assert!(
        plan.values_yaml
            .contains("existingSecret: harbor-registry-credentials"),
        "{}",
        plan.values_yaml
    );
    assert!(
        plan.values_yaml
            .contains("existingSecret: harbor-core-secret"),
        "{}",
        plan.values_yaml
    );
    assert!(!plan.values_yaml.contains(REGISTRY_PASSWORD));
    assert!(!plan.render_text().contains(REGISTRY_PASSWORD));

    // The same password gives the same line, so a re-run changes no Secret.
    let again = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap();
    assert_eq!(
        secret_data(&again, "harbor-registry-credentials")["REGISTRY_HTPASSWD"].0,
        line.as_bytes()
    );
}

#[test]
fn plan_text_explains_htpasswd_key() {
    let text = plan_for(&sample(), Preset::ManagedDisks).render_text();

    assert!(
        text.contains(
            "REGISTRY_PASSWD = <from env HARBOR_REGISTRY_PASSWORD> (harbor.registry_password)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "REGISTRY_HTPASSWD = the bcrypt htpasswd line of user harbor_registry_user, as \
             `htpasswd -nbB harbor_registry_user PASSWORD` prints it, for <from env \
             HARBOR_REGISTRY_PASSWORD> (harbor.registry_password)"
        ),
        "{text}"
    );
}

#[test]
fn resolve_mode_rejects_long_registry_password() {
    let dir = tempfile::tempdir().unwrap();
    let long = "p".repeat(73);
    let text = sample_with_secret_files(dir.path(), "0123456789abcdef", &long);
    let config = Config::from_toml(&text).unwrap();

    let error = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys(),
        SecretMode::Resolve,
    )
    .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("harbor.registry_password"), "{message}");
    assert!(message.contains("has 73 bytes"), "{message}");
    assert!(message.contains("at most 72"), "{message}");
    assert!(!message.contains(&long), "{message}");
}

#[test]
fn preset_names_round_trip() {
    for preset in Preset::ALL {
        assert_eq!(preset.as_str().parse::<Preset>().unwrap(), preset);
    }
    let error = "zonal".parse::<Preset>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown preset `zonal`: use managed-disks, managed-services or across-zones"
    );
}

#[test]
fn import_route_follows_ingress_exposure() {
    let sample = std::fs::read_to_string(SAMPLE_PATH).unwrap();
    assert!(sample.contains("\nexposure = \"public\"\n"), "{sample}");
    let with_exposure = |line: &str| {
        let text = sample.replace("exposure = \"public\"", line);
        plan_for(&Config::from_toml(&text).unwrap(), Preset::ManagedDisks)
    };
    let cases = [
        (
            "exposure = \"public\"",
            Route::ServerSideImport,
            "import harbor.example.test/library/nginx:1.25.3 to exampleacr.azurecr.io/mirror/nginx:1.25.3",
            "route: server-side import: Harbor's ingress has a public load balancer",
        ),
        (
            "exposure = \"internal\"",
            Route::ClientSideCopy,
            "copy harbor.example.test/library/nginx:1.25.3 to exampleacr.azurecr.io/mirror/nginx:1.25.3",
            "route: client-side copy: Harbor's ingress is an internal load balancer",
        ),
        (
            "exposure = \"private-link\"",
            Route::ClientSideCopy,
            "copy harbor.example.test/library/hello:1.0.0 to exampleacr.azurecr.io/mirror/hello:1.0.0",
            "route: client-side copy: Harbor's ingress is reached through a Private Link Service",
        ),
        (
            "",
            Route::ServerSideImport,
            "import harbor.example.test/library/nginx:1.25.3",
            "route: server-side import: assumed that ACR's import service can reach harbor.example.test",
        ),
    ];
    for (line, route, summary, detail) in cases {
        let plan = with_exposure(line);
        assert_eq!(plan.imports.len(), 2, "{line}");
        for import in &plan.imports {
            assert_eq!(import.route.route, route, "{line}");
        }
        let text = plan.render_text();
        assert!(text.contains(summary), "{line}: {text}");
        assert!(text.contains(detail), "{line}: {text}");
    }

    let private_link = with_exposure("exposure = \"private-link\"");
    assert_eq!(
        private_link.imports[0].route.reason,
        RouteReason::Exposure {
            exposure: SourceExposure::PrivateLink,
            host: "harbor.example.test".to_owned(),
        }
    );
    let import_steps = private_link
        .steps()
        .into_iter()
        .filter(|step| matches!(step.kind, StepKind::AcrImport(_)))
        .count();
    assert_eq!(import_steps, 2);
}

#[test]
fn missing_chart_values_say_how_to_get_them() {
    let error = load_chart_keys_from(Path::new("/nonexistent/values.yaml")).unwrap_err();
    assert!(matches!(error, PlanError::ChartValuesNotFound { .. }));
    assert_eq!(
        error.to_string(),
        "Harbor chart 1.19.2 values file not found at /nonexistent/values.yaml: set \
         HARBOR_AZURE_SPECS to a folder that contains harbor-helm/chart/values.yaml. To make \
         one, run `helm pull harbor/harbor --version 1.19.2 --untar --untardir \
         specs/harbor-helm` and rename specs/harbor-helm/harbor to specs/harbor-helm/chart"
    );
}

#[test]
fn chart_values_of_other_version_rejected() {
    let chart = tempfile::tempdir().unwrap();
    let values = default_chart_values_path(Path::new(env!("CARGO_MANIFEST_DIR")));
    let copy = chart.path().join("values.yaml");
    std::fs::copy(&values, &copy).unwrap();
    assert!(
        load_chart_keys_from(&copy).is_ok(),
        "no Chart.yaml: no check"
    );

    std::fs::write(
        chart.path().join("Chart.yaml"),
        "apiVersion: v2\nname: harbor\nversion: 1.18.0\n",
    )
    .unwrap();
    let error = load_chart_keys_from(&copy).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "invalid Harbor chart values file {}: the Chart.yaml beside it has version 1.18.0, \
             but the plan's values are typed for chart 1.19.2: unpack that version with \
             `helm pull harbor/harbor --version 1.19.2 --untar`",
            copy.display()
        )
    );

    std::fs::write(
        chart.path().join("Chart.yaml"),
        "apiVersion: v2\nname: harbor\nversion: 1.19.2\n",
    )
    .unwrap();
    assert!(load_chart_keys_from(&copy).is_ok());
}
