//! The helm runner against a fake helm script that records its arguments and fails, and the
//! plan of a deployment with secrets: no secret value may reach argv, errors or the plan.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aks_deploy::Error;
use aks_deploy::chart_keys::ChartKeys;
use aks_deploy::helm::{Helm, Release};
use aks_deploy::manifests::{HarborSecrets, RegistryCredentialSecret};
use aks_deploy::presets::{PresetBase, ZoneLayout};
use aks_deploy::rollout::WaitPolicy;
use aks_deploy::spread::ZonePreflight;
use aks_deploy::workflow::{ZoneDeployment, plan, prepare_across_zones};
use secrecy::SecretString;

const ADMIN_PASSWORD: &str = "s3cr3t-EXAMPLE";
const REGISTRY_PASSWORD: &str = "registry-EXAMPLE-pw";
const SECRET_KEY: &str = "0123456789abcdef";

fn secrets() -> HarborSecrets {
    let mut secrets = HarborSecrets::new(SecretString::from(ADMIN_PASSWORD));
    secrets.secret_key = Some(SecretString::from(SECRET_KEY));
    secrets.registry = Some(RegistryCredentialSecret {
        password: SecretString::from(REGISTRY_PASSWORD),
        htpasswd: SecretString::from("harbor_registry_user:$2y$10$EXAMPLEHASH"),
    });
    secrets
}

/// Writes a fake helm that records argv, the values file's mode and content, then prints the
/// values file to stderr and exits 1, the way a failing wrapper would echo its input.
fn fake_helm(dir: &Path) -> PathBuf {
    let script = dir.join("helm");
    let record = dir.join("record");
    let body = format!(
        r#"#!/bin/sh
printf '%s\n' "$@" > "{record}/argv"
values=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--values" ]; then values="$2"; fi
  shift
done
stat -c %a "$values" > "{record}/mode"
echo "$values" > "{record}/path"
cat "$values" >&2
echo "Error: UPGRADE FAILED: password {ADMIN_PASSWORD} rejected" >&2
exit 1
"#,
        record = record.display()
    );
    std::fs::create_dir_all(&record).unwrap();
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn deployment() -> ZoneDeployment {
    ZoneDeployment {
        release: Release::new("harbor", "harbor", "goharbor/harbor"),
        base: PresetBase::new("harbor.example.test", "nginx"),
        layout: ZoneLayout::default(),
        secrets: secrets(),
        issuer: None,
        image_pull: None,
        customize: None,
        chart_keys: ChartKeys::load(&support::chart_dir()).unwrap(),
        preflight: ZonePreflight::Fail,
        wait: WaitPolicy::default(),
    }
}

#[tokio::test]
async fn failed_helm_run_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let helm = Helm::with_program(fake_helm(dir.path())).with_redactor(secrets().redactor());
    let release = Release::new("harbor", "harbor", "goharbor/harbor");
    let values = format!("harborAdminPassword: {ADMIN_PASSWORD}\n");

    let error = helm.upgrade_install(&release, &values).await.unwrap_err();

    let Error::Helm {
        stderr, command, ..
    } = &error
    else {
        panic!("expected a helm error, got {error}");
    };
    let message = error.to_string();
    assert!(!message.contains(ADMIN_PASSWORD), "{message}");
    assert!(stderr.contains("harborAdminPassword: ***"), "{stderr}");
    assert!(stderr.contains("password *** rejected"), "{stderr}");
    assert!(command.starts_with("upgrade --install harbor"), "{command}");
}

#[tokio::test]
async fn argv_clean_and_values_file_private() {
    let dir = tempfile::tempdir().unwrap();
    let helm = Helm::with_program(fake_helm(dir.path()));
    let release = Release::new("harbor", "harbor", "goharbor/harbor");
    let values = format!("harborAdminPassword: {ADMIN_PASSWORD}\n");

    let _ = helm.upgrade_install(&release, &values).await;

    let record = dir.path().join("record");
    let argv = std::fs::read_to_string(record.join("argv")).unwrap();
    for secret in [ADMIN_PASSWORD, REGISTRY_PASSWORD, SECRET_KEY] {
        assert!(!argv.contains(secret), "{argv}");
    }
    assert!(argv.contains("--values"), "{argv}");
    assert!(!argv.contains("--set"), "{argv}");
    assert_eq!(
        std::fs::read_to_string(record.join("mode")).unwrap().trim(),
        "600"
    );
    let path = std::fs::read_to_string(record.join("path")).unwrap();
    assert!(
        !Path::new(path.trim()).exists(),
        "values file {path} was not deleted"
    );
}

#[test]
fn plan_lists_secret_keys_without_values() {
    let deployment = deployment();
    let prepared = prepare_across_zones(&deployment, None).unwrap();
    let text = plan(&deployment, &prepared).to_string();

    for secret in [ADMIN_PASSWORD, REGISTRY_PASSWORD, SECRET_KEY] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(text.contains("apply Secret harbor/harbor-admin-password (Opaque) with keys HARBOR_ADMIN_PASSWORD = ***"), "{text}");
    assert!(
        text.contains(
            "apply StorageClass harbor-disk-zrs (disk.csi.azure.com, skuName Premium_ZRS)"
        ),
        "{text}"
    );
    assert!(
        text.contains("helm upgrade --install harbor goharbor/harbor"),
        "{text}"
    );
}

#[test]
fn values_reference_the_sdk_secrets() {
    let deployment = deployment();
    let prepared = prepare_across_zones(&deployment, None).unwrap();
    let yaml = &prepared.values_yaml;
    assert!(
        yaml.contains("existingSecretAdminPassword: harbor-admin-password"),
        "{yaml}"
    );
    assert!(
        yaml.contains("existingSecretSecretKey: harbor-secret-key"),
        "{yaml}"
    );
    assert!(
        yaml.contains("existingSecret: harbor-registry-credentials"),
        "{yaml}"
    );
    for secret in [ADMIN_PASSWORD, REGISTRY_PASSWORD, SECRET_KEY] {
        assert!(!yaml.contains(secret), "{yaml}");
    }
}

#[test]
fn short_secret_key_is_rejected() {
    let mut deployment = deployment();
    deployment.secrets.secret_key = Some(SecretString::from("short"));
    let error = prepare_across_zones(&deployment, None)
        .unwrap_err()
        .to_string();
    assert!(error.contains("16 ASCII characters"), "{error}");
    assert!(!error.contains("short\""), "{error}");
}

#[test]
fn secrets_debug_hides_values() {
    let debug = format!("{:?}", secrets());
    for secret in [ADMIN_PASSWORD, REGISTRY_PASSWORD, SECRET_KEY] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[tokio::test]
async fn real_helm_template_renders_workflow_values() {
    let Some(helm) = support::helm_or_skip() else {
        return;
    };
    let deployment = deployment();
    let prepared = prepare_across_zones(&deployment, None).unwrap();
    let release = Release::new(
        "harbor",
        "harbor",
        &support::chart_dir().display().to_string(),
    );
    let stream = helm
        .template(&release, &prepared.values_yaml)
        .await
        .unwrap();
    for secret in [ADMIN_PASSWORD, REGISTRY_PASSWORD, SECRET_KEY] {
        assert!(
            !stream.contains(secret),
            "a secret value is in the helm output"
        );
    }
    let objects = aks_deploy::rendered::RenderedObjects::parse(&stream).unwrap();
    let registry = objects.deployment("harbor-registry").unwrap();
    let volumes = registry
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.volumes.as_ref())
        .unwrap();
    let htpasswd = volumes
        .iter()
        .find(|v| v.name == "registry-htpasswd")
        .unwrap();
    assert_eq!(
        htpasswd
            .secret
            .as_ref()
            .and_then(|s| s.secret_name.as_deref()),
        Some("harbor-registry-credentials")
    );
}

/// Writes a fake helm that prints `output` and exits 0.
fn printing_helm(dir: &Path, output: &str) -> PathBuf {
    let script = dir.join("helm");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ncat <<'JSON'\n{output}\nJSON\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[tokio::test]
async fn status_reads_info_status_and_revision() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        r#"{"name":"harbor","info":{"status":"deployed"},"version":4,"namespace":"harbor"}"#;
    let helm = Helm::with_program(printing_helm(dir.path(), output));
    let release = Release::new("harbor", "harbor", "goharbor/harbor");

    let status = helm.status(&release).await.unwrap();
    assert_eq!(status.status, "deployed");
    assert_eq!(status.revision, 4);
}

#[tokio::test]
async fn get_values_parses_json() {
    let dir = tempfile::tempdir().unwrap();
    let output = r#"{"existingSecretAdminPassword":"harbor-admin-password","core":{"replicas":3}}"#;
    let helm = Helm::with_program(printing_helm(dir.path(), output));
    let release = Release::new("harbor", "harbor", "goharbor/harbor");

    let values = helm.get_values(&release).await.unwrap();
    assert_eq!(values["core"]["replicas"], 3);
}

#[tokio::test]
async fn status_without_info_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let helm = Helm::with_program(printing_helm(dir.path(), "{}"));
    let release = Release::new("harbor", "harbor", "goharbor/harbor");

    let error = helm.status(&release).await.unwrap_err();
    assert!(error.to_string().contains("info.status"), "{error}");
}

#[test]
fn missing_helm_binary_is_reported() {
    // `Helm::locate` reads the process environment, so only the explicit-path case is checked
    // here: a non-existent program fails when run, not silently.
    let helm = Helm::with_program("/nonexistent/helm");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let release = Release::new("harbor", "harbor", "goharbor/harbor");
    let error = runtime.block_on(helm.status(&release)).unwrap_err();
    assert!(error.to_string().contains("/nonexistent/helm"), "{error}");
}
