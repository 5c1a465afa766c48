//! Validation against the chart's real values.yaml: misspelled and outdated keys, volumes that
//! cannot attach twice, spread constraints and external services.

mod support;

use aks_deploy::presets::{
    ExternalServices, PresetBase, ZRS_DISK_CLASS, ZoneLayout, across_zones, external_services,
    managed_disks,
};
use aks_deploy::render::render_values;
use aks_deploy::validate::{ValidationError, ValidationWarning, validate};
use aks_deploy::values::{
    AccessMode, Claim, Component, Database, HarborValues, ImageStorage, JobLogger,
    JobserviceClaims, Redis, UpdateStrategy,
};
use aks_deploy::{Error, values};
use k8s_openapi::api::core::v1::TopologySpreadConstraint;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::json;

fn base() -> PresetBase {
    PresetBase::new("harbor.example.test", "nginx")
}

fn errors(values: &HarborValues) -> Vec<ValidationError> {
    match validate(values, &support::context()) {
        Ok(_) => Vec::new(),
        Err(Error::Invalid(errors)) => errors,
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// Values with registry and jobservice at 2 replicas on ReadWriteOnce managed disks and file
/// job logs.
fn scaled_on_disks() -> HarborValues {
    let mut values = managed_disks(&base());
    values.registry.workload.replicas = Some(2);
    values.jobservice.workload.replicas = Some(2);
    values.jobservice.job_loggers = Some(vec![JobLogger::File]);
    values
}

#[test]
fn replicas_on_rwo_volumes_are_rejected() {
    let found = errors(&scaled_on_disks());
    assert_eq!(
        found,
        [ValidationError::RwoWithReplicas {
            components: vec![Component::Registry, Component::Jobservice]
        }]
    );
    let message = found[0].to_string();
    assert!(message.contains("registry and jobservice"), "{message}");
    assert!(message.contains("ReadWriteMany"), "{message}");
    assert!(message.contains("Recreate"), "{message}");
}

#[test]
fn blob_storage_and_database_logger_allow_replicas() {
    let mut values = scaled_on_disks();
    values.persistence.image_chart_storage = ImageStorage::AzureBlob {
        account_name: "examplestorage".into(),
        container: "harbor".into(),
        existing_secret: "harbor-blob".into(),
    };
    values.jobservice.job_loggers = Some(vec![JobLogger::Database]);
    values.persistence.persistent_volume_claim.registry = None;
    values.persistence.persistent_volume_claim.jobservice = None;
    assert_eq!(errors(&values), []);
}

#[test]
fn rwx_files_allow_replicas() {
    let mut values = scaled_on_disks();
    let claims = &mut values.persistence.persistent_volume_claim;
    claims.registry = Some(Claim::new(
        "azurefile-csi-premium",
        AccessMode::ReadWriteMany,
        "100Gi",
    ));
    claims.jobservice = Some(JobserviceClaims {
        job_log: Some(Claim::new(
            "azurefile-csi-premium",
            AccessMode::ReadWriteMany,
            "100Gi",
        )),
    });
    assert_eq!(errors(&values), []);
}

#[test]
fn single_replica_with_recreate_is_accepted() {
    let mut values = scaled_on_disks();
    values.registry.workload.replicas = Some(1);
    values.jobservice.workload.replicas = Some(1);
    values.update_strategy = Some(UpdateStrategy::Recreate);
    let warnings = validate(&values, &support::context()).unwrap();
    assert_eq!(warnings, []);
}

#[test]
fn rolling_update_on_rwo_warns() {
    let mut values = managed_disks(&base());
    values.update_strategy = None;
    let warnings = validate(&values, &support::context()).unwrap();
    assert!(warnings.contains(&ValidationWarning::RollingUpdateOnRwo {
        component: Component::Registry
    }));
}

#[test]
fn job_log_keys_render_under_job_log() {
    let mut values = managed_disks(&base());
    values.persistence.persistent_volume_claim.jobservice = Some(JobserviceClaims {
        job_log: Some(Claim::new(
            "azurefile-csi",
            AccessMode::ReadWriteMany,
            "2Gi",
        )),
    });
    let rendered = render_values(&values, &support::context()).unwrap();
    let parsed: serde_json::Value = serde_saphyr::from_str(&rendered.yaml).unwrap();
    let jobservice = &parsed["persistence"]["persistentVolumeClaim"]["jobservice"];
    assert_eq!(
        jobservice,
        &json!({"jobLog": {"accessMode": "ReadWriteMany", "storageClass": "azurefile-csi", "size": "2Gi"}})
    );
}

#[test]
fn job_log_keys_follow_chart_version() {
    let mut values = managed_disks(&base());
    values.persistence.persistent_volume_claim.jobservice = Some(JobserviceClaims {
        job_log: Some(Claim::new(
            "azurefile-csi",
            AccessMode::ReadWriteMany,
            "2Gi",
        )),
    });
    let claim =
        json!({"accessMode": "ReadWriteMany", "storageClass": "azurefile-csi", "size": "2Gi"});

    for (version, expected) in [
        ("1.9.6", claim.clone()),
        ("v1.9.0", claim.clone()),
        ("1.10.0", json!({"jobLog": claim.clone()})),
        ("1.14.2", json!({"jobLog": claim.clone()})),
        ("1.19.2", json!({"jobLog": claim.clone()})),
    ] {
        let value = values.to_value_for_chart(version).unwrap();
        assert_eq!(
            value["persistence"]["persistentVolumeClaim"]["jobservice"], expected,
            "{version}"
        );
    }

    for version in ["1.9", "latest", "1.x.0", ""] {
        let error = values.to_value_for_chart(version).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { value, .. } if value == version),
            "{version}: {error}"
        );
        assert!(error.to_string().contains("MAJOR.MINOR.PATCH"), "{error}");
    }
}

#[test]
fn flat_jobservice_keys_name_job_log_key() {
    let mut values = managed_disks(&base());
    values.extra = json!({"persistence": {"persistentVolumeClaim": {"jobservice": {
        "accessMode": "ReadWriteMany", "storageClass": "azurefile-csi", "size": "2Gi"
    }}}});
    let found = errors(&values);
    let prefix = "persistence.persistentVolumeClaim.jobservice";
    for field in ["accessMode", "storageClass", "size"] {
        let expected = ValidationError::UnknownKey {
            key: format!("{prefix}.{field}"),
            replacement: Some(format!("{prefix}.jobLog.{field}")),
        };
        assert!(found.contains(&expected), "{field}: {found:?}");
    }
    let message = found[0].to_string();
    assert!(message.contains(".jobLog."), "{message}");
}

#[test]
fn job_log_without_file_logger_warns() {
    let mut values = managed_disks(&base());
    values.jobservice.job_loggers = Some(vec![JobLogger::Database]);
    let warnings = validate(&values, &support::context()).unwrap();
    assert!(warnings.contains(&ValidationWarning::JobLogClaimUnused));
}

#[test]
fn misspelled_extra_key_is_rejected() {
    let mut values = managed_disks(&base());
    values.extra = json!({"core": {"replica": 2}});
    let found = errors(&values);
    assert_eq!(
        found,
        [ValidationError::UnknownKey {
            key: "core.replica".into(),
            replacement: None
        }]
    );
    assert!(found[0].to_string().contains("core.replica"));
}

#[test]
fn extra_values_merge_over_typed_values() {
    let mut values = managed_disks(&base());
    values.extra = json!({"core": {"replicas": 2}, "logLevel": "debug"});
    let rendered = render_values(&values, &support::context()).unwrap();
    let parsed: serde_json::Value = serde_saphyr::from_str(&rendered.yaml).unwrap();
    assert_eq!(parsed["core"]["replicas"], 2);
    assert_eq!(parsed["logLevel"], "debug");
}

#[test]
fn internal_database_scaling_is_rejected() {
    let mut values = managed_disks(&base());
    values.extra = json!({"database": {"internal": {"replicas": 2}}});
    let found = errors(&values);
    assert_eq!(
        found,
        [ValidationError::InternalScaled {
            component: Component::Database,
            key: "database.internal.replicas".into()
        }]
    );
}

#[test]
fn internal_redis_scaling_is_rejected() {
    let mut values = managed_disks(&base());
    values.extra = json!({"redis": {"replicas": 3}});
    let found = errors(&values);
    assert!(found.contains(&ValidationError::InternalScaled {
        component: Component::Redis,
        key: "redis.replicas".into()
    }));
}

#[test]
fn user_label_selector_is_rejected() {
    let mut values = managed_disks(&base());
    values.core.workload.replicas = Some(3);
    values.core.workload.topology_spread_constraints = vec![TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "kubernetes.io/hostname".into(),
        when_unsatisfiable: "DoNotSchedule".into(),
        label_selector: Some(LabelSelector::default()),
        ..TopologySpreadConstraint::default()
    }];
    assert_eq!(
        errors(&values),
        [ValidationError::UserLabelSelector {
            component: Component::Core
        }]
    );
}

#[test]
fn label_selector_in_extra_values_is_rejected() {
    let mut values = managed_disks(&base());
    values.extra = json!({"portal": {"topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"app": "harbor"}}}
    ]}});
    assert!(
        errors(&values).contains(&ValidationError::UserLabelSelector {
            component: Component::Portal
        })
    );
}

#[test]
fn zero_max_skew_is_rejected() {
    let mut values = managed_disks(&base());
    values.portal.topology_spread_constraints = vec![TopologySpreadConstraint {
        max_skew: 0,
        topology_key: "kubernetes.io/hostname".into(),
        when_unsatisfiable: "DoNotSchedule".into(),
        ..TopologySpreadConstraint::default()
    }];
    assert!(matches!(
        errors(&values).as_slice(),
        [ValidationError::InvalidSpreadConstraint {
            component: Component::Portal,
            ..
        }]
    ));
}

fn services() -> ExternalServices {
    ExternalServices {
        database_host: "example.postgres.database.azure.com".into(),
        database_user: "harbor".into(),
        database_secret: "harbor-database".into(),
        database_name: "registry".into(),
        redis_host: "example.redis.cache.windows.net".into(),
        redis_secret: "harbor-redis".into(),
        blob: None,
    }
}

#[test]
fn external_database_without_sslmode_is_rejected() {
    let mut values = external_services(&base(), &services());
    if let Database::External(external) = &mut values.database {
        external.sslmode = None;
    }
    assert_eq!(
        errors(&values),
        [ValidationError::SslmodeMissing {
            host: "example.postgres.database.azure.com".into()
        }]
    );
}

#[test]
fn azure_postgres_with_ssl_disabled_is_rejected() {
    let mut values = external_services(&base(), &services());
    if let Database::External(external) = &mut values.database {
        external.sslmode = Some(values::SslMode::Disable);
    }
    assert!(matches!(
        errors(&values).as_slice(),
        [ValidationError::SslDisabledOnAzure { .. }]
    ));
}

#[test]
fn azure_redis_non_tls_port_is_rejected() {
    let mut values = external_services(&base(), &services());
    if let Redis::External(external) = &mut values.redis {
        external.addr = "example.redis.cache.windows.net:6379".into();
        external.tls = false;
    }
    assert_eq!(
        errors(&values),
        [ValidationError::RedisPortMismatch {
            addr: "example.redis.cache.windows.net:6379".into(),
            tls: false
        }]
    );
}

#[test]
fn external_preset_validates() {
    let values = external_services(&base(), &services());
    assert_eq!(errors(&values), []);
}

#[test]
fn zone_spread_on_lrs_disks_is_rejected() {
    let mut values = across_zones(&base(), &ZoneLayout::default()).unwrap();
    values.persistence.persistent_volume_claim.database = Some(Claim::new(
        "managed-csi-premium",
        AccessMode::ReadWriteOnce,
        "8Gi",
    ));
    values.persistence.persistent_volume_claim.redis = None;
    let found = errors(&values);
    assert_eq!(
        found,
        [
            ValidationError::ZoneSpreadWithoutZoneStorage {
                component: Component::Database,
                storage_class: Some("managed-csi-premium".into())
            },
            ValidationError::ZoneSpreadWithoutZoneStorage {
                component: Component::Redis,
                storage_class: None
            },
        ]
    );
    assert!(found[1].to_string().contains("cluster default"));
}

#[test]
fn zone_preset_replicas_cover_every_zone() {
    for zones in [2u8, 3] {
        let layout = ZoneLayout {
            zones,
            ..ZoneLayout::default()
        };
        let values = across_zones(&base(), &layout).unwrap();
        for component in values.deployed_scalable_components() {
            let workload = values.workload(component).unwrap();
            assert!(
                workload.effective_replicas() >= i32::from(zones),
                "{component}"
            );
            assert_eq!(workload.topology_spread_constraints.len(), 2, "{component}");
        }
        assert_eq!(errors(&values), []);
    }
}

#[test]
fn zone_preset_gives_trivy_zrs_disks() {
    let values = across_zones(&base(), &ZoneLayout::default()).unwrap();
    let trivy = values
        .persistence
        .persistent_volume_claim
        .trivy
        .expect("trivy claim");

    assert_eq!(trivy.storage_class.as_deref(), Some(ZRS_DISK_CLASS));
    assert_eq!(trivy.effective_access_mode(), AccessMode::ReadWriteOnce);
    assert_eq!(trivy.size.as_deref(), Some("8Gi"));
}

#[test]
fn zone_preset_rejects_one_zone() {
    let layout = ZoneLayout {
        zones: 1,
        ..ZoneLayout::default()
    };
    let error = across_zones(&base(), &layout).unwrap_err();
    assert!(error.to_string().contains("zones"), "{error}");
}

#[test]
fn invalid_claim_size_is_rejected() {
    let mut values = managed_disks(&base());
    values.persistence.persistent_volume_claim.registry = Some(Claim::new(
        "managed-csi-premium",
        AccessMode::ReadWriteOnce,
        "10 GB",
    ));
    let found = errors(&values);
    assert!(matches!(
        found.as_slice(),
        [ValidationError::InvalidValue { key, .. }] if key == "persistence.persistentVolumeClaim.registry.size"
    ));
}

#[test]
fn rendered_values_quote_yaml11_booleans() {
    let mut values = managed_disks(&base());
    values
        .core
        .workload
        .node_selector
        .insert("harbor".into(), "yes".into());
    let rendered = render_values(&values, &support::context()).unwrap();
    assert!(
        rendered.yaml.contains("harbor: \"yes\"") || rendered.yaml.contains("harbor: 'yes'"),
        "{}",
        rendered.yaml
    );
}

#[test]
fn rendered_values_skip_unset_fields() {
    let values = managed_disks(&base());
    let rendered = render_values(&values, &support::context()).unwrap();
    assert!(!rendered.yaml.contains("null"), "{}", rendered.yaml);
    assert!(
        !rendered.yaml.contains("harborAdminPassword"),
        "{}",
        rendered.yaml
    );
    assert!(
        rendered
            .yaml
            .contains("existingSecretAdminPassword: harbor-admin-password")
    );
}

#[test]
fn budget_blocking_every_eviction_is_rejected() {
    let mut values = across_zones(&base(), &ZoneLayout::default()).unwrap();
    if let Some(budget) = values.portal.pod_disruption_budget.as_mut() {
        budget.min_available = 3;
    }
    let found = errors(&values);
    assert!(matches!(
        found.as_slice(),
        [ValidationError::InvalidValue { key, .. }] if key == "portal.podDisruptionBudget.minAvailable"
    ));
    assert!(
        found[0].to_string().contains("use at most 2"),
        "{}",
        found[0]
    );
}

#[test]
fn invalid_secret_name_is_rejected() {
    let mut values = managed_disks(&base());
    values.admin_password_secret = "Harbor_Admin".into();
    let found = errors(&values);
    assert!(matches!(
        found.as_slice(),
        [ValidationError::InvalidValue { key, value, .. }]
            if key == "existingSecretAdminPassword" && value == "Harbor_Admin"
    ));
}

#[test]
fn storage_class_with_bad_label_is_rejected() {
    let mut values = managed_disks(&base());
    for class in ["managed..csi", "managed.-csi"] {
        values.persistence.persistent_volume_claim.redis =
            Some(Claim::new(class, AccessMode::ReadWriteOnce, "4Gi"));
        let found = errors(&values);
        assert!(
            matches!(
                found.as_slice(),
                [ValidationError::InvalidValue { key, value, .. }]
                    if key == "persistence.persistentVolumeClaim.redis.storageClass"
                        && value == class
            ),
            "{class}: {found:?}"
        );
    }
}
