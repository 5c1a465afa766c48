//! Runs the main job example as a user would and checks its output and files.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Builds the example once with cargo (a no-op when `cargo test` already built it) and returns
/// its path: `<target>/debug/examples/harbor-on-aks`, next to this test's `deps` folder.
fn example() -> Command {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    let binary = BINARY.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "--example", "harbor-on-aks"])
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "cargo build --example harbor-on-aks failed"
        );
        let test_binary = std::env::current_exe().unwrap();
        let profile_dir = test_binary.parent().unwrap().parent().unwrap();
        profile_dir
            .join("examples")
            .join(format!("harbor-on-aks{}", std::env::consts::EXE_SUFFIX))
    });
    let mut command = Command::new(binary);
    command
        .env_remove("HARBOR_ADMIN_PASSWORD")
        .env_remove("HARBOR_SECRET_KEY")
        .env_remove("HARBOR_CORE_SECRET")
        .env_remove("HARBOR_REGISTRY_PASSWORD");
    command
}

#[test]
fn harbor_on_aks_plan_writes_files() {
    let out = tempfile::tempdir().unwrap();
    let output = example()
        .args(["plan", "--preset", "across-zones", "--out"])
        .arg(out.path())
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );

    assert!(
        stdout.starts_with("Plan: Harbor https://harbor.example.test on AKS, preset across-zones"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "apply StorageClass harbor-file-zrs (file.csi.azure.com, skuName Premium_ZRS)"
        )
    );
    assert!(stdout.contains("HARBOR_ADMIN_PASSWORD = <from env HARBOR_ADMIN_PASSWORD>"));
    assert!(stdout.contains(
        "ensure scope map harbor-push-scope-map on registry exampleacr with exactly these actions, removing any others:"
    ));
    assert!(stdout.contains("ensure replication rule library-to-exampleacr"));
    assert!(
        stdout.contains(
            "reuse password1 of token harbor-push kept in Secret harbor/harbor-azure-acr-token, \
             or generate a new one (no expiry) when none is kept, ARM lists none or one \
             generated since, it expires within 7 days, or apply runs with \
             --rotate-credentials; never printed"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "reuse its secret kept in Secret harbor/harbor-azure-import-robot, or refresh it \
             when none is kept, Harbor rejects the kept one, or apply runs with \
             --rotate-credentials"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("import harbor.example.test/library/nginx:1.25.3 to exampleacr.azurecr.io/mirror/nginx:1.25.3"));
    assert!(
        stdout.contains(
            "route: server-side import: Harbor's ingress has a public load balancer, so ACR's import service can pull from harbor.example.test"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Wrote 10 files to"), "{stdout}");

    let plan_txt = std::fs::read_to_string(out.path().join("plan.txt")).unwrap();
    assert!(stdout.starts_with(&plan_txt), "stdout begins with plan.txt");
    assert!(out.path().join("helm-command.sh").is_file());
    assert!(out.path().join("values.yaml").is_file());
}

#[test]
fn harbor_on_aks_apply_fails_without_secrets() {
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--quiet",
            "--example",
            "harbor-on-aks",
            "--",
            "apply",
        ])
        .env_remove("HARBOR_ADMIN_PASSWORD")
        .env_remove("HARBOR_SECRET_KEY")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(
        stderr.trim_end(),
        "error: failed to read the secret of `harbor.admin_password`: environment variable \
         HARBOR_ADMIN_PASSWORD is not set: export it before running apply"
    );
}

#[test]
fn harbor_on_aks_rejects_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("harbor.toml");
    let sample =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml"))
            .unwrap();
    std::fs::write(
        &config,
        sample.replace("location = \"westeurope\"", "location = \"West Europe\""),
    )
    .unwrap();
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--quiet",
            "--example",
            "harbor-on-aks",
            "--",
            "plan",
            "--config",
        ])
        .arg(&config)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("invalid configuration"), "{stderr}");
    assert!(stderr.contains("azure.location = \"West Europe\": an Azure location has only lowercase letters and digits"), "{stderr}");
}

#[test]
fn harbor_on_aks_apply_reports_failed_step() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1 of the loopback address, so the first Kubernetes call fails.
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: https://127.0.0.1:1\n\
         contexts:\n- name: local\n  context:\n    cluster: local\n    user: local\n\
         current-context: local\nusers:\n- name: local\n  user:\n    token: test-token\n",
    )
    .unwrap();
    // apply only checks that helm exists before the first step; the failing step comes earlier.
    let helm = dir.path().join("helm");
    std::fs::write(&helm, "#!/bin/sh\nexit 1\n").unwrap();
    // Without [acr] the run needs no Azure login.
    let sample =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml"))
            .unwrap();
    let without_acr = format!(
        "{}{}",
        &sample[..sample.find("[acr]").unwrap()],
        &sample[sample.find("[app]").unwrap()..]
    );
    let config = dir.path().join("harbor.toml");
    std::fs::write(&config, without_acr).unwrap();

    let output = example()
        .args(["apply", "--config"])
        .arg(&config)
        .env("KUBECONFIG", &kubeconfig)
        .env("HELM", &helm)
        .env("HARBOR_ADMIN_PASSWORD", "s3cr3t-EXAMPLE")
        .env("HARBOR_SECRET_KEY", "0123456789abcdef")
        .env("HARBOR_CORE_SECRET", "core-secret-0123")
        .env("HARBOR_REGISTRY_PASSWORD", "r3gistry-EXAMPLE")
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{stdout}");
    assert!(
        lines[0].starts_with("  1. apply Namespace harbor: failed: "),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        "  2. apply Secret harbor/harbor-admin-password: not run"
    );
    assert!(
        lines[6].starts_with("  7. helm upgrade --install harbor"),
        "{stdout}"
    );
    assert!(lines[6].ends_with(": not run"), "{stdout}");
    assert_eq!(lines[7], "  8. apply Namespace hello: not run");
    assert_eq!(
        stderr.trim_end(),
        "error: apply stopped at step 1; fix it and run apply again"
    );
    for secret in ["s3cr3t-EXAMPLE", "core-secret-0123", "r3gistry-EXAMPLE"] {
        assert!(!stdout.contains(secret), "{stdout}");
        assert!(!stderr.contains(secret), "{stderr}");
    }
}

#[test]
fn harbor_on_aks_plan_prints_removed_manifests() {
    let out = tempfile::tempdir().unwrap();
    let plan = |preset: &str| {
        let output = example()
            .args(["plan", "--preset", preset, "--out"])
            .arg(out.path())
            .output()
            .expect("the example runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    plan("across-zones");
    let manifests = out.path().join("manifests");
    let mine = manifests.join("mine.yaml");
    std::fs::write(&mine, "kind: ConfigMap\n").unwrap();

    let stdout = plan("managed-disks");

    let removed = stdout
        .split_once(
            "Removed 2 manifests that an earlier plan wrote and this one does not contain:\n",
        )
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(
        removed,
        format!(
            "  {}\n  {}\n",
            manifests
                .join("storageclass-harbor-disk-zrs.yaml")
                .display(),
            manifests
                .join("storageclass-harbor-file-zrs.yaml")
                .display()
        )
    );
    assert!(mine.is_file(), "a file the plan did not write is kept");
}

#[test]
fn harbor_on_aks_plan_explains_missing_chart() {
    let output = example()
        .args(["plan"])
        .env("HARBOR_AZURE_SPECS", "/nonexistent")
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(
        stderr.trim_end(),
        "error: Harbor chart 1.19.2 values file not found at \
         /nonexistent/harbor-helm/chart/values.yaml: pass --chart-values PATH with the chart's \
         values.yaml (`helm pull harbor/harbor --version 1.19.2 --untar` unpacks it to \
         harbor/values.yaml), or set HARBOR_AZURE_SPECS to a folder that contains \
         harbor-helm/chart/values.yaml"
    );
}

#[test]
fn harbor_on_aks_plan_reads_chart_values_option() {
    let values = aks_deploy::chart_keys::ChartKeys::default_chart_dir(std::path::Path::new(env!(
        "CARGO_MANIFEST_DIR"
    )))
    .join("values.yaml");
    let output = example()
        .args(["plan", "--chart-values"])
        .arg(&values)
        .env("HARBOR_AZURE_SPECS", "/nonexistent")
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.starts_with("Plan: Harbor "), "{stdout}");
}

#[test]
fn harbor_on_aks_help_hides_build_path() {
    let output = example()
        .args(["plan", "--help"])
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(!stdout.contains(env!("CARGO_MANIFEST_DIR")), "{stdout}");
    assert!(
        stdout.contains("Default: examples/harbor.toml of this repository"),
        "{stdout}"
    );
    assert!(stdout.contains("--chart-values <PATH>"), "{stdout}");
    assert!(
        stdout.contains("internal PostgreSQL and Redis one pod each"),
        "{stdout}"
    );
    assert!(!stdout.contains("every component spread"), "{stdout}");
}

#[test]
fn harbor_on_aks_apply_names_secret_key_variable() {
    let output = example()
        .args(["apply"])
        .env("HARBOR_ADMIN_PASSWORD", "s3cr3t-EXAMPLE")
        .env("HARBOR_SECRET_KEY", "short")
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(
        stderr.trim_end(),
        "error: invalid secret `harbor.secret_key` (<from env HARBOR_SECRET_KEY>): the value has \
         5 characters (5 bytes), but Harbor requires exactly 16 ASCII characters: set \
         HARBOR_SECRET_KEY to a key of 16 ASCII characters"
    );
}

#[test]
fn harbor_on_aks_apply_names_missing_helm() {
    let dir = tempfile::tempdir().unwrap();
    let helm = dir.path().join("no-helm-here");

    let output = example()
        .args(["apply", "--config"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml"))
        .env("HELM", &helm)
        .env("HARBOR_ADMIN_PASSWORD", "s3cr3t-EXAMPLE")
        .env("HARBOR_SECRET_KEY", "0123456789abcdef")
        .env("HARBOR_CORE_SECRET", "core-secret-0123")
        .env("HARBOR_REGISTRY_PASSWORD", "r3gistry-EXAMPLE")
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!(
            "helm not found at HELM={}: set the HELM environment variable",
            helm.display()
        )),
        "{stderr}"
    );
}

/// Writes a kubeconfig for `server`, a helm stand-in and the sample configuration without its
/// `[acr]` section (so apply needs no Azure login) into `dir`, and returns an apply command.
fn apply_without_acr(dir: &std::path::Path, server: &str) -> Command {
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: {server}\n\
             contexts:\n- name: local\n  context:\n    cluster: local\n    user: local\n\
             current-context: local\nusers:\n- name: local\n  user:\n    token: test-token\n"
        ),
    )
    .unwrap();
    let helm = dir.join("helm");
    std::fs::write(&helm, "#!/bin/sh\nexit 1\n").unwrap();
    let sample =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml"))
            .unwrap();
    let without_acr = format!(
        "{}{}",
        &sample[..sample.find("[acr]").unwrap()],
        &sample[sample.find("[app]").unwrap()..]
    );
    let config = dir.join("harbor.toml");
    std::fs::write(&config, without_acr).unwrap();

    let mut command = example();
    command
        .args(["apply", "--preset", "across-zones", "--config"])
        .arg(&config)
        .env("KUBECONFIG", &kubeconfig)
        .env("HELM", &helm)
        .env("HARBOR_ADMIN_PASSWORD", "s3cr3t-EXAMPLE")
        .env("HARBOR_SECRET_KEY", "0123456789abcdef")
        .env("HARBOR_CORE_SECRET", "core-secret-0123")
        .env("HARBOR_REGISTRY_PASSWORD", "r3gistry-EXAMPLE");
    command
}

/// Starts a Kubernetes API server stand-in that lists nodes with these zone labels.
async fn api_server_with_nodes(nodes: &[(&str, &str)]) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};

    let items: Vec<serde_json::Value> = nodes
        .iter()
        .map(|(name, zone)| {
            serde_json::json!({"metadata": {
                "name": name,
                "labels": {"topology.kubernetes.io/zone": zone}
            }})
        })
        .collect();
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("GET"))
        .and(path("/api/v1/nodes"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "apiVersion": "v1", "kind": "NodeList", "metadata": {}, "items": items
            })),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn across_zones_apply_rejects_fault_domains() {
    let server = api_server_with_nodes(&[("aks-pool-0", "0"), ("aks-pool-1", "1")]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = apply_without_acr(dir.path(), &server.uri());

    let output = tokio::task::spawn_blocking(move || command.output().expect("the example runs"))
        .await
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stdout, "", "no step runs before the zone check passes");
    assert_eq!(
        stderr.trim_end(),
        "error: the cluster cannot spread Harbor across 3 zones (azure.zones): invalid nodes \
         \"aks-pool-0=0, aks-pool-1=1\": these topology.kubernetes.io/zone values are not \
         availability zones of the form <region>-<number>, such as westeurope-1; AKS sets fault \
         domain numbers such as 0 or 1 on node pools without availability zones: create node \
         pools with zones (az aks nodepool add --zones 1 2 3)"
    );
    let requests = server.received_requests().await.unwrap();
    let lines: Vec<String> = requests
        .iter()
        .map(|request| format!("{} {}", request.method, request.url.path()))
        .collect();
    assert_eq!(lines, ["GET /api/v1/nodes"]);
}

#[tokio::test]
async fn across_zones_apply_rejects_too_few_zones() {
    let server = api_server_with_nodes(&[
        ("aks-pool-0", "westeurope-1"),
        ("aks-pool-1", "westeurope-2"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = apply_without_acr(dir.path(), &server.uri());

    let output = tokio::task::spawn_blocking(move || command.output().expect("the example runs"))
        .await
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(
        stderr.trim_end(),
        "error: the cluster cannot spread Harbor across 3 zones (azure.zones): invalid nodes \
         \"aks-pool-0=westeurope-1, aks-pool-1=westeurope-2\": the nodes span 2 availability \
         zones (westeurope-1, westeurope-2), fewer than the 3 the deployment spreads across: add \
         nodes in the missing zones or configure fewer zones"
    );
}

#[tokio::test]
async fn across_zones_apply_runs_steps_after_zone_check() {
    let server = api_server_with_nodes(&[
        ("aks-pool-0", "westeurope-1"),
        ("aks-pool-1", "westeurope-2"),
        ("aks-pool-2", "westeurope-3"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = apply_without_acr(dir.path(), &server.uri());

    let output = tokio::task::spawn_blocking(move || command.output().expect("the example runs"))
        .await
        .unwrap();

    // The stand-in returns 404 for everything but the node list, so the first step fails.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(
        stdout.starts_with("  1. apply Namespace harbor: failed: "),
        "{stdout}"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/api/v1/nodes");
}

#[test]
fn apply_help_offers_credential_rotation() {
    let output = example()
        .args(["apply", "--help"])
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(stdout.contains("--rotate-credentials"), "{stdout}");
    assert!(
        stdout.contains("Replace the ACR token password and the import robot's secret"),
        "{stdout}"
    );
}

#[test]
fn harbor_on_aks_apply_reads_chart_values_option() {
    let values = aks_deploy::chart_keys::ChartKeys::default_chart_dir(std::path::Path::new(env!(
        "CARGO_MANIFEST_DIR"
    )))
    .join("values.yaml");
    let dir = tempfile::tempdir().unwrap();
    let helm = dir.path().join("no-helm-here");

    let output = example()
        .args(["apply", "--chart-values"])
        .arg(&values)
        .env("HARBOR_AZURE_SPECS", "/nonexistent")
        .env("HELM", &helm)
        .env("HARBOR_ADMIN_PASSWORD", "s3cr3t-EXAMPLE")
        .env("HARBOR_SECRET_KEY", "0123456789abcdef")
        .env("HARBOR_CORE_SECRET", "core-secret-0123")
        .env("HARBOR_REGISTRY_PASSWORD", "r3gistry-EXAMPLE")
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    // The chart values were found, so apply got as far as looking for helm.
    assert!(!output.status.success());
    assert!(!stderr.contains("values file not found"), "{stderr}");
    assert!(stderr.contains("helm not found at HELM="), "{stderr}");
}
