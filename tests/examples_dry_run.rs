//! Runs every task example with `--dry-run` and checks the requests and manifests it prints.
//! The steps that need no server (the scan gate over a saved report, the digest pin with a given
//! digest) also run for real on temporary files.
//!
//! The dry runs need no network and no environment variable, so the variables the examples read
//! are removed before each run: a dry run that reads one fails here.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Task examples of the root package that have a `--dry-run` flag.
const EXAMPLES: &[&str] = &[
    "harbor-project-access",
    "harbor-registry-endpoints",
    "harbor-replication-rules",
    "acr-scope-map-token",
    "harbor-scan-gate",
    "k8s-pull-secret-deployment",
    "ingress-nginx-cert-manager",
    "gitops-pin-digest",
    "acr-import-from-harbor",
    "harbor-declarative",
];

/// Environment variables the examples read. A dry run must not need any of them.
const EXAMPLE_ENV: &[&str] = &[
    "HARBOR_URL",
    "HARBOR_USERNAME",
    "HARBOR_PASSWORD",
    "HARBOR_USER_PASSWORD",
    "PEER_HARBOR_SECRET",
    "DOCKERHUB_TOKEN",
    "ACR_TOKEN_PASSWORD",
    "AZURE_SUBSCRIPTION_ID",
    "HARBOR_ROBOT_SECRET",
];

/// Builds all task examples with one cargo call and returns the folder of their binaries,
/// `<target>/debug/examples`, next to this test's `deps` folder.
fn examples_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let mut build = Command::new(env!("CARGO"));
        build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet"]);
        for name in EXAMPLES {
            build.args(["--example", name]);
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "cargo build of the task examples failed");
        let test_binary = std::env::current_exe().unwrap();
        test_binary
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("examples")
    })
}

/// Runs `name --dry-run ARGS...` and returns its standard output after checking that it exited 0.
fn dry_run(name: &str, args: &[&str]) -> String {
    let binary = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut command = Command::new(&binary);
    for variable in EXAMPLE_ENV {
        command.env_remove(variable);
    }
    let output = command
        .arg("--dry-run")
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("{} does not run: {error}", binary.display()));
    let stdout = String::from_utf8(output.stdout).expect("the output is UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} --dry-run failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

/// Runs `name --dry-run ARGS...`, checks that it failed and returns its standard error.
fn dry_run_error(name: &str, args: &[&str]) -> String {
    let binary = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut command = Command::new(&binary);
    for variable in EXAMPLE_ENV {
        command.env_remove(variable);
    }
    let output = command
        .arg("--dry-run")
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("{} does not run: {error}", binary.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "{name} --dry-run {args:?} succeeded\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stderr
}

/// Asserts that `output` contains `expected`, showing the whole output when it does not.
fn assert_contains(output: &str, expected: &str) {
    assert!(
        output.contains(expected),
        "expected {expected:?} in the output:\n{output}"
    );
}

#[test]
fn project_access_prints_requests() {
    let output = dry_run("harbor-project-access", &[]);

    assert_contains(
        &output,
        "GET https://harbor.example.test/api/v2.0/projects/team-a\n  X-Is-Resource-Name: true\n",
    );
    assert_contains(
        &output,
        "POST https://harbor.example.test/api/v2.0/projects\n",
    );
    assert_contains(&output, "\"project_name\": \"team-a\"");
    assert_contains(
        &output,
        "GET https://harbor.example.test/api/v2.0/users?q=username%3Dalice&page_size=100\n",
    );
    assert_contains(&output, "POST https://harbor.example.test/api/v2.0/users\n");
    assert_contains(&output, "\"password\": \"<redacted>\"");
    assert_contains(
        &output,
        "GET https://harbor.example.test/api/v2.0/projects/team-a/members?page=1&page_size=100&entityname=alice\n",
    );
    assert_contains(
        &output,
        "POST https://harbor.example.test/api/v2.0/projects/team-a/members\n",
    );
    assert_contains(&output, "\"role_id\": 2");
}

#[test]
fn project_access_takes_flags() {
    let output = dry_run(
        "harbor-project-access",
        &[
            "--url",
            "https://registry.example.test/",
            "--project",
            "payments",
            "--public",
            "--storage-limit-gib",
            "10",
            "--user",
            "bob",
            "--role",
            "maintainer",
        ],
    );

    assert_contains(
        &output,
        "GET https://registry.example.test/api/v2.0/projects/payments\n",
    );
    assert_contains(&output, "\"public\": true");
    assert_contains(&output, "\"storage_limit\": 10737418240");
    assert_contains(&output, "\"role_id\": 4");
    assert_contains(&output, "q=username%3Dbob");
}

#[test]
fn project_access_rejects_invalid_project() {
    let binary = examples_dir().join(format!(
        "harbor-project-access{}",
        std::env::consts::EXE_SUFFIX
    ));
    let output = Command::new(binary)
        .args(["--dry-run", "--project", "Team A"])
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("Team A"), "{stderr}");
}

/// Task examples that take the Harbor URL as `--url`.
const HARBOR_URL_EXAMPLES: &[&str] = &[
    "harbor-project-access",
    "harbor-registry-endpoints",
    "harbor-replication-rules",
    "harbor-scan-gate",
    "gitops-pin-digest",
    "harbor-declarative",
];

#[test]
fn dry_runs_reject_url_with_api_prefix() {
    for name in HARBOR_URL_EXAMPLES {
        let stderr = dry_run_error(name, &["--url", "https://h.example/api/v2.0"]);

        assert!(
            stderr.contains("\"https://h.example/api/v2.0\" ends in /api/v2.0"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn dry_runs_reject_url_without_scheme() {
    for name in HARBOR_URL_EXAMPLES {
        let stderr = dry_run_error(name, &["--url", "harbor.example.test"]);

        assert!(
            stderr.contains("\"harbor.example.test\" is not a valid absolute URL"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn registry_endpoints_prints_three_endpoints() {
    let output = dry_run("harbor-registry-endpoints", &[]);

    assert_contains(
        &output,
        "GET https://harbor.example.test/api/v2.0/registries?page=1&page_size=100&name=harbor-peer\n",
    );
    assert_contains(
        &output,
        "POST https://harbor.example.test/api/v2.0/registries/ping\n",
    );
    assert_contains(
        &output,
        "POST https://harbor.example.test/api/v2.0/registries\n",
    );
    assert_contains(&output, "\"type\": \"harbor\"");
    assert_contains(&output, "\"url\": \"https://harbor-peer.example.test\"");
    assert_contains(&output, "\"type\": \"docker-hub\"");
    assert_contains(&output, "\"url\": \"https://hub.docker.com\"");
    assert_contains(&output, "\"type\": \"azure-acr\"");
    assert_contains(&output, "\"url\": \"https://exampleacr.azurecr.io\"");
    assert_contains(&output, "\"access_key\": \"robot$replicator\"");
    assert_contains(&output, "\"access_secret\": \"<redacted>\"");
}

#[test]
fn registry_endpoints_skips_endpoint() {
    let output = dry_run(
        "harbor-registry-endpoints",
        &[
            "--skip",
            "docker-hub",
            "--acr-login-server",
            "teamacr.azurecr.io",
        ],
    );

    assert!(!output.contains("docker-hub"), "{output}");
    assert_contains(&output, "\"url\": \"https://teamacr.azurecr.io\"");
}

#[test]
fn dry_runs_print_no_secret() {
    let secret = "s3cr3t-from-env";
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("deploy.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    for name in EXAMPLES {
        let binary = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        let mut command = Command::new(binary);
        let secret_variables = EXAMPLE_ENV.iter().filter(|variable| {
            ["PASSWORD", "SECRET", "TOKEN"]
                .iter()
                .any(|kind| variable.contains(kind))
        });
        for variable in secret_variables {
            command.env(variable, secret);
        }
        if *name == "gitops-pin-digest" {
            command.arg("--file").arg(&manifest);
        }
        let output = command.arg("--dry-run").output().expect("the example runs");
        let stdout = String::from_utf8_lossy(&output.stdout);

        assert!(output.status.success(), "{name}: {stdout}");
        assert!(
            !stdout.contains(secret),
            "{name} printed a secret:\n{stdout}"
        );
    }
}

#[test]
fn replication_rules_prints_four_rules() {
    let output = dry_run("harbor-replication-rules", &[]);

    assert_contains(
        &output,
        "# rule pull-dockerhub-nginx (pull from docker-hub)\n",
    );
    assert_contains(&output, "# rule pull-peer-harbor (pull from harbor-peer)\n");
    assert_contains(&output, "# rule pull-acr-base (pull from acr)\n");
    assert_contains(&output, "# rule push-to-acr (push to acr)\n");
    assert_contains(
        &output,
        "GET https://harbor.example.test/api/v2.0/replication/policies?page=1&page_size=100&name=push-to-acr\n",
    );
    assert_contains(
        &output,
        "POST https://harbor.example.test/api/v2.0/replication/policies\n",
    );
    assert_contains(
        &output,
        "\"src_registry\": {\n      \"id\": \"<id of endpoint docker-hub>\"",
    );
    assert_contains(
        &output,
        "\"dest_registry\": {\n      \"id\": \"<id of endpoint acr>\"",
    );
    assert_contains(&output, "\"cron\": \"0 0 2 * * *\"");
    assert_contains(&output, "\"type\": \"event_based\"");
    assert_contains(&output, "(library/nginx lands in dockerhub/nginx)");
    assert_contains(&output, "(library/app lands in harbor/app)");
}

#[test]
fn replication_rules_plans_replicate_to_acr() {
    let output = dry_run("harbor-replication-rules", &["--replicate-to-acr"]);
    let repositories = ["nginx", "hello"]
        .iter()
        .flat_map(|repository| {
            ["content/read", "content/write", "metadata/read"]
                .map(|action| format!("repositories/mirror/{repository}/{action}"))
        })
        .collect::<Vec<_>>()
        .join(", ");

    assert_contains(
        &output,
        "examples/harbor.toml for registry exampleacr in resource group rg-harbor, Harbor at https://harbor.example.test as admin\n",
    );
    assert_contains(
        &output,
        &format!(
            "replicate_to_acr:\n  1. ensure_scope_map exampleacr/harbor-push-scope-map ({repositories}; actions already in the map stay)\n"
        ),
    );
    assert_contains(
        &output,
        "  2. ensure_token exampleacr/harbor-push (enabled, bound to scope map harbor-push-scope-map)\n",
    );
    assert_contains(
        &output,
        "  3. generate_token_password exampleacr/harbor-push/password1 (only when the token is new, the endpoint is missing or logs in as another user, or the password expires within 7 days; no expiry)\n",
    );
    assert_contains(
        &output,
        "  4. ensure_registry exampleacr (azure-acr at https://exampleacr.azurecr.io as harbor-push, checked by ping)\n",
    );
    assert_contains(
        &output,
        "  5. ensure_replication_policy library-to-exampleacr (push library/{hello,nginx} to exampleacr under namespace mirror in place of the first path component, trigger event_based)\n",
    );
    assert_contains(
        &output,
        "  6. run_replication library-to-exampleacr (start a run and wait for it, timeout 1800 s)\n",
    );
    assert!(!output.contains("# rule "), "{output}");
}

#[test]
fn replicate_to_acr_rejects_missing_config() {
    let binary = examples_dir().join(format!(
        "harbor-replication-rules{}",
        std::env::consts::EXE_SUFFIX
    ));
    let output = Command::new(binary)
        .args([
            "--dry-run",
            "--replicate-to-acr",
            "--config",
            "no-such-harbor.toml",
        ])
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("no-such-harbor.toml"), "{stderr}");
}

#[test]
fn replication_rules_rejects_invalid_cron() {
    let binary = examples_dir().join(format!(
        "harbor-replication-rules{}",
        std::env::consts::EXE_SUFFIX
    ));
    let output = Command::new(binary)
        .args(["--dry-run", "--dockerhub-cron", "every night"])
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("every night"), "{stderr}");
}

#[test]
fn acr_scope_map_token_prints_arm_requests() {
    let output = dry_run(
        "acr-scope-map-token",
        &[
            "--repository",
            "harbor/nginx",
            "--repository",
            "harbor/app",
            "--password-file",
            "harbor-push.password",
        ],
    );
    let registry = "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/harbor-rg/providers/Microsoft.ContainerRegistry/registries/exampleacr";

    assert_contains(
        &output,
        &format!("PUT {registry}/scopeMaps/harbor-push-scope-map?api-version=2025-04-01\n"),
    );
    assert_contains(&output, "\"repositories/harbor/nginx/content/write\"");
    assert_contains(&output, "\"repositories/harbor/app/metadata/read\"");
    assert_contains(
        &output,
        &format!("PUT {registry}/tokens/harbor-push?api-version=2025-04-01\n"),
    );
    assert_contains(&output, "\"status\": \"enabled\"");
    assert_contains(
        &output,
        &format!("POST {registry}/generateCredentials?api-version=2025-04-01\n"),
    );
    assert_contains(&output, "\"name\": \"password1\"");
    assert!(!std::path::Path::new("harbor-push.password").exists());
}

#[test]
fn acr_scope_map_token_rejects_system_scope_map() {
    let stderr = dry_run_error(
        "acr-scope-map-token",
        &["--scope-map", "_repositories_pull"],
    );

    assert!(
        stderr.contains("scope map _repositories_pull is a system scope map and read-only"),
        "{stderr}"
    );
}

#[test]
fn acr_scope_map_token_skips_password() {
    let output = dry_run("acr-scope-map-token", &[]);

    assert!(!output.contains("generateCredentials"), "{output}");
}

#[test]
fn acr_scope_map_token_rejects_wildcard() {
    let binary = examples_dir().join(format!(
        "acr-scope-map-token{}",
        std::env::consts::EXE_SUFFIX
    ));
    let output = Command::new(binary)
        .args(["--dry-run", "--repository", "harbor/*"])
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("harbor/*"), "{stderr}");
}

#[test]
fn scan_gate_prints_requests() {
    let output = dry_run(
        "harbor-scan-gate",
        &["--severity", "critical", "--fixable-only"],
    );
    let artifact = "https://harbor.example.test/api/v2.0/projects/library/repositories/app%252Fapi/artifacts/1.4.2";

    assert_contains(&output, &format!("POST {artifact}/scan\n"));
    assert_contains(
        &output,
        &format!("GET {artifact}?with_scan_overview=true\n"),
    );
    assert_contains(
        &output,
        &format!("GET {artifact}/additions/vulnerabilities\n"),
    );
    assert_contains(
        &output,
        "# gate: fail when more than 0 fixable findings are at or above Critical\n",
    );
}

/// Writes a saved report with one fixable High and one unfixed Critical finding.
fn write_report(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("report.json");
    let report = r#"{
        "generated_at": "2026-12-01T10:00:00Z",
        "severity": "Critical",
        "vulnerabilities": [
            {"id": "CVE-2026-0001", "package": "openssl", "version": "3.0.1", "fix_version": "3.0.2", "severity": "High"},
            {"id": "CVE-2026-0002", "package": "zlib", "version": "1.2.11", "fix_version": "", "severity": "Critical"}
        ]
    }"#;
    std::fs::write(&path, report).unwrap();
    path
}

/// Runs the gate over a saved report and returns its exit success and standard output.
fn gate_saved_report(args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = write_report(dir.path());
    let binary = examples_dir().join(format!("harbor-scan-gate{}", std::env::consts::EXE_SUFFIX));
    let output = Command::new(binary)
        .arg("--report-file")
        .arg(&report)
        .args(args)
        .output()
        .expect("the example runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn scan_gate_fails_saved_report() {
    let (passed, output) = gate_saved_report(&["--severity", "high"]);

    assert!(!passed, "{output}");
    assert_contains(&output, "failed: 2 findings at or above High, limit 0");
}

#[test]
fn scan_gate_passes_within_limit() {
    let (passed, output) = gate_saved_report(&["--severity", "high", "--max-findings", "2"]);

    assert!(passed, "{output}");
    assert_contains(&output, "passed: 2 findings at or above High, limit 2");
}

#[test]
fn scan_gate_counts_fixable_only() {
    let (passed, output) = gate_saved_report(&["--severity", "critical", "--fixable-only"]);

    assert!(passed, "{output}");
    assert_contains(
        &output,
        "passed: 0 fixable findings at or above Critical, limit 0",
    );
}

#[test]
fn pull_secret_deployment_prints_manifests() {
    let output = dry_run("k8s-pull-secret-deployment", &[]);

    assert_contains(&output, "kind: Namespace\n");
    assert_contains(&output, "  .dockerconfigjson: <redacted>\n");
    assert_contains(&output, "type: kubernetes.io/dockerconfigjson\n");
    assert_contains(&output, "kind: Deployment\n");
    assert_contains(
        &output,
        "      - image: harbor.example.test/library/app/api:1.4.2\n",
    );
    assert_contains(
        &output,
        "      imagePullSecrets:\n      - name: harbor-pull\n",
    );
    assert_contains(&output, "topologyKey: topology.kubernetes.io/zone");
}

#[test]
fn pull_secret_deployment_rejects_other_registry() {
    let binary = examples_dir().join(format!(
        "k8s-pull-secret-deployment{}",
        std::env::consts::EXE_SUFFIX
    ));
    let output = Command::new(binary)
        .args(["--dry-run", "--image", "docker.io/library/nginx:1.27"])
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("docker.io/library/nginx:1.27"), "{stderr}");
}

#[test]
fn pull_secret_deployment_rejects_invalid_names() {
    let cases = [
        ("--namespace", "App_NS", "RFC 1123 DNS label"),
        ("--name", "api.v1", "RFC 1123 DNS label"),
        ("--secret-name", "harbor_pull", "RFC 1123 DNS subdomain"),
    ];
    for (flag, value, rule) in cases {
        let stderr = dry_run_error("k8s-pull-secret-deployment", &[flag, value]);

        assert!(stderr.contains(&format!("\"{value}\"")), "{stderr}");
        assert!(stderr.contains(rule), "{stderr}");
    }
}

const INTERNAL_ANNOTATION: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";

#[test]
fn ingress_public_uses_http01() {
    let output = dry_run("ingress-nginx-cert-manager", &["--topology", "public"]);

    assert_contains(&output, "# Dry run: topology public\n");
    assert_contains(
        &output,
        "helm repo add --force-update ingress-nginx https://kubernetes.github.io/ingress-nginx\n",
    );
    assert_contains(
        &output,
        "helm upgrade --install ingress-nginx ingress-nginx/ingress-nginx --namespace ingress-nginx --create-namespace --wait --timeout 600s --values ingress-nginx-values.yaml\n",
    );
    assert_contains(
        &output,
        "helm upgrade --install cert-manager jetstack/cert-manager --namespace cert-manager",
    );
    assert_contains(&output, "    type: LoadBalancer\n");
    assert!(!output.contains(INTERNAL_ANNOTATION), "{output}");
    assert!(!output.contains("azure-pls-"), "{output}");
    assert_contains(&output, "kind: ClusterIssuer\n");
    assert_contains(&output, "          ingressClassName: nginx\n");
}

#[test]
fn ingress_internal_uses_internal_lb() {
    let output = dry_run(
        "ingress-nginx-cert-manager",
        &[
            "--topology",
            "internal",
            "--internal-subnet",
            "ingress-subnet",
        ],
    );

    assert_contains(&output, &format!("{INTERNAL_ANNOTATION}: \"true\"\n"));
    assert_contains(
        &output,
        &format!("{INTERNAL_ANNOTATION}-subnet: ingress-subnet\n"),
    );
    assert!(!output.contains("azure-pls-"), "{output}");
    assert_contains(&output, "hostedZoneName: example.test\n");
}

#[test]
fn ingress_private_link_adds_pls() {
    let output = dry_run(
        "ingress-nginx-cert-manager",
        &[
            "--topology",
            "private-link",
            "--pls-visibility",
            "sub-a",
            "--pls-visibility",
            "sub-b",
            "--pls-auto-approval",
            "sub-a",
        ],
    );

    assert_contains(&output, &format!("{INTERNAL_ANNOTATION}: \"true\"\n"));
    assert_contains(
        &output,
        "service.beta.kubernetes.io/azure-pls-create: \"true\"\n",
    );
    assert_contains(
        &output,
        "service.beta.kubernetes.io/azure-pls-name: harbor-pls\n",
    );
    assert_contains(
        &output,
        "service.beta.kubernetes.io/azure-pls-ip-configuration-subnet: pls-subnet\n",
    );
    assert_contains(
        &output,
        "service.beta.kubernetes.io/azure-pls-visibility: sub-a sub-b\n",
    );
    assert_contains(
        &output,
        "service.beta.kubernetes.io/azure-pls-auto-approval: sub-a\n",
    );
    assert_contains(&output, "- dns01:\n");
}

#[test]
fn ingress_rejects_unlisted_auto_approval() {
    let binary = examples_dir().join(format!(
        "ingress-nginx-cert-manager{}",
        std::env::consts::EXE_SUFFIX
    ));
    let output = Command::new(binary)
        .args([
            "--dry-run",
            "--topology",
            "private-link",
            "--pls-auto-approval",
            "sub-c",
        ])
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("sub-c"), "{stderr}");
}

#[test]
fn ingress_rejects_invalid_issuer_name() {
    let stderr = dry_run_error("ingress-nginx-cert-manager", &["--issuer", "LetsEncrypt"]);

    assert!(stderr.contains("\"LetsEncrypt\""), "{stderr}");
    assert!(stderr.contains("RFC 1123 DNS subdomain"), "{stderr}");
}

const MANIFEST: &str = "\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: api
        image: harbor.example.test/library/app/api:1.4.2 # pinned by CI
      - name: sidecar
        image: \"harbor.example.test/library/app/api-sidecar:2.0\"
";

const VALUES: &str = "\
image:
  repository: harbor.example.test/library/app/api
  tag: \"1.4.2\"
";

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// Runs gitops-pin-digest on a copy of `contents` and returns success, output and the new file.
fn pin_digest(contents: &str, args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deploy.yaml");
    std::fs::write(&file, contents).unwrap();
    let binary = examples_dir().join(format!("gitops-pin-digest{}", std::env::consts::EXE_SUFFIX));
    let mut command = Command::new(binary);
    for variable in EXAMPLE_ENV {
        command.env_remove(variable);
    }
    let output = command
        .arg("--file")
        .arg(&file)
        .args(args)
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let written = std::fs::read_to_string(&file).unwrap();
    (
        output.status.success(),
        format!("{stdout}{stderr}"),
        written,
    )
}

#[test]
fn pin_digest_dry_run_leaves_file() {
    let (success, output, written) = pin_digest(MANIFEST, &["--dry-run"]);

    assert!(success, "{output}");
    assert_contains(
        &output,
        "GET https://harbor.example.test/api/v2.0/projects/library/repositories/app%252Fapi/artifacts/1.4.2\n",
    );
    assert_contains(
        &output,
        "-        image: harbor.example.test/library/app/api:1.4.2 # pinned by CI\n",
    );
    assert_contains(
        &output,
        "+        image: harbor.example.test/library/app/api:1.4.2@<digest of harbor.example.test/library/app/api:1.4.2> # pinned by CI\n",
    );
    assert_eq!(written, MANIFEST);
}

#[test]
fn pin_digest_newest_is_opt_in() {
    let (success, output, written) = pin_digest(MANIFEST, &["--dry-run", "--newest"]);

    assert!(success, "{output}");
    assert_contains(
        &output,
        "GET https://harbor.example.test/api/v2.0/projects/library/repositories/app%252Fapi/artifacts?sort=-push_time&page=1&page_size=1\n",
    );
    assert_contains(
        &output,
        "+        image: harbor.example.test/library/app/api@<digest of the newest harbor.example.test/library/app/api> # pinned by CI\n",
    );
    assert_eq!(written, MANIFEST);
}

#[test]
fn pin_digest_keeps_tag_when_repinned() {
    let pinned = MANIFEST.replace("api:1.4.2", &format!("api:1.4.2@{DIGEST}"));

    let (success, output, _) = pin_digest(&pinned, &["--dry-run"]);

    assert!(success, "{output}");
    assert_contains(&output, "/artifacts/1.4.2\n");
    assert_contains(
        &output,
        "+        image: harbor.example.test/library/app/api:1.4.2@<digest of harbor.example.test/library/app/api:1.4.2> # pinned by CI\n",
    );
}

#[test]
fn pin_digest_needs_one_tag() {
    let two_tags = format!(
        "{MANIFEST}      - name: worker\n        image: harbor.example.test/library/app/api:1.5.0\n"
    );
    let (success, output, written) = pin_digest(&two_tags, &["--dry-run"]);

    assert!(!success, "{output}");
    assert_contains(
        &output,
        "several tags for image harbor.example.test/library/app/api (1.4.2, 1.5.0); pass --tag",
    );
    assert_eq!(written, two_tags);

    let untagged = MANIFEST.replace("api:1.4.2", &format!("api@{DIGEST}"));
    let (success, output, _) = pin_digest(&untagged, &["--dry-run"]);

    assert!(!success, "{output}");
    assert_contains(
        &output,
        "has no tag for image harbor.example.test/library/app/api to pin; pass --tag, --newest or --digest",
    );

    let (success, output, _) = pin_digest(&untagged, &["--dry-run", "--tag", "1.5.0"]);

    assert!(success, "{output}");
    assert_contains(&output, "/artifacts/1.5.0\n");
}

#[test]
fn pin_digest_writes_requested_tag() {
    let (success, output, _) = pin_digest(MANIFEST, &["--dry-run", "--tag", "1.5.0"]);

    assert!(success, "{output}");
    assert_contains(&output, "/artifacts/1.5.0\n");
    assert_contains(
        &output,
        "+        image: harbor.example.test/library/app/api:1.5.0@<digest of harbor.example.test/library/app/api:1.5.0> # pinned by CI\n",
    );
    assert!(!output.contains("api:1.4.2@"), "{output}");
}

#[test]
fn pin_digest_rejects_invalid_tags() {
    let (success, output, written) = pin_digest(MANIFEST, &["--dry-run", "--tag", "bad tag"]);

    assert!(!success, "{output}");
    assert_contains(&output, "--tag: tag \"bad tag\" is invalid");
    assert!(!output.contains("GET "), "{output}");
    assert_eq!(written, MANIFEST);

    let values = VALUES.replace("tag: \"1.4.2\"", "tag: \"-1.4.2\"");
    let (success, output, _) = pin_digest(&values, &["--format", "helm-values", "--dry-run"]);

    assert!(!success, "{output}");
    assert_contains(&output, "tag \"-1.4.2\" is invalid");
}

#[test]
fn pin_digest_reads_helm_tag_scalars() {
    let commented = VALUES.replace("tag: \"1.4.2\"", "tag: 1.4.2 # app version");
    let (success, output, _) = pin_digest(
        &commented,
        &["--format", "helm-values", "--dry-run", "--tag", "1.5.0"],
    );

    assert!(success, "{output}");
    assert_contains(&output, "/artifacts/1.5.0\n");
    assert_contains(&output, "+  tag: \"1.5.0\" # app version\n");
    assert_contains(&output, "deploy.yaml:3\n+  digest:");
    assert_contains(&output, "deploy.yaml:4\n-  tag: 1.4.2 # app version\n");

    let (success, output, _) = pin_digest(&commented, &["--format", "helm-values", "--dry-run"]);
    assert!(success, "{output}");
    assert_contains(&output, "/artifacts/1.4.2\n");

    let empty = VALUES.replace("tag: \"1.4.2\"", "tag: \"\"");
    let (success, output, _) = pin_digest(&empty, &["--format", "helm-values", "--dry-run"]);
    assert!(!success, "{output}");
    assert_contains(
        &output,
        "has no tag for image harbor.example.test/library/app/api to pin",
    );
}

#[test]
fn pin_digest_tag_conflicts_with_digest() {
    let (success, output, written) = pin_digest(MANIFEST, &["--tag", "1.4.2", "--digest", DIGEST]);

    assert!(!success, "{output}");
    assert_contains(&output, "--digest");
    assert_eq!(written, MANIFEST);
}

#[test]
fn pin_digest_sets_helm_tag_and_digest() {
    let (success, output, written) = pin_digest(
        VALUES,
        &["--format", "helm-values", "--dry-run", "--tag", "1.5.0"],
    );

    assert!(success, "{output}");
    assert_contains(&output, "/artifacts/1.5.0\n");
    assert_contains(&output, "-  tag: \"1.4.2\"\n+  tag: \"1.5.0\"\n");
    assert_contains(
        &output,
        "+  digest: \"<digest of harbor.example.test/library/app/api:1.5.0>\"\n",
    );
    assert_eq!(written, VALUES);

    let (success, output, _) = pin_digest(VALUES, &["--format", "helm-values", "--dry-run"]);

    assert!(success, "{output}");
    assert_contains(&output, "/artifacts/1.4.2\n");
    assert!(!output.contains("-  tag:"), "{output}");
}

#[test]
fn pin_digest_rewrites_manifest() {
    let (success, output, written) = pin_digest(MANIFEST, &["--digest", DIGEST]);

    assert!(success, "{output}");
    assert!(
        written.contains(&format!(
            "image: harbor.example.test/library/app/api@{DIGEST} # pinned by CI\n"
        )),
        "{written}"
    );
    assert!(
        written.contains("image: \"harbor.example.test/library/app/api-sidecar:2.0\"\n"),
        "{written}"
    );
    assert!(!output.contains("GET "), "{output}");
}

#[test]
fn pin_digest_sets_helm_digest() {
    let (success, output, written) =
        pin_digest(VALUES, &["--format", "helm-values", "--digest", DIGEST]);

    assert!(success, "{output}");
    assert_eq!(
        written,
        format!(
            "image:\n  repository: harbor.example.test/library/app/api\n  digest: \"{DIGEST}\"\n  tag: \"1.4.2\"\n"
        )
    );

    let pinned = written;
    let (success, output, written) =
        pin_digest(&pinned, &["--format", "helm-values", "--digest", DIGEST]);
    assert!(success, "{output}");
    assert_contains(&output, "unchanged");
    assert_eq!(written, pinned);
}

#[test]
fn pin_digest_names_the_other_format() {
    let (success, output, written) = pin_digest(VALUES, &["--digest", DIGEST]);

    assert!(!success, "{output}");
    assert!(!output.contains("already pinned"), "{output}");
    assert_contains(&output, "--format helm-values");
    assert_eq!(written, VALUES);

    let (success, output, written) =
        pin_digest(MANIFEST, &["--format", "helm-values", "--digest", DIGEST]);

    assert!(!success, "{output}");
    assert_contains(&output, "--format manifest");
    assert_eq!(written, MANIFEST);
}

#[test]
fn pin_digest_rejects_invalid_digest() {
    let (success, output, written) = pin_digest(MANIFEST, &["--digest", "sha256:abc"]);

    assert!(!success, "{output}");
    assert_contains(&output, "sha256:abc");
    assert_eq!(written, MANIFEST);
}

#[test]
fn pin_digest_rejects_unknown_image() {
    let (success, output, _) = pin_digest(MANIFEST, &["--digest", DIGEST, "--repository", "other"]);

    assert!(!success, "{output}");
    assert_contains(&output, "harbor.example.test/library/other");
}

#[test]
fn acr_import_prints_import_requests() {
    let digest_image = format!("library/app@{DIGEST}");
    let output = dry_run(
        "acr-import-from-harbor",
        &[
            "--image",
            "library/nginx:1.25.3",
            "--image",
            &digest_image,
            "--target-prefix",
            "harbor/",
        ],
    );

    assert_contains(
        &output,
        "POST https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/harbor-rg/providers/Microsoft.ContainerRegistry/registries/exampleacr/importImage?api-version=2025-04-01\n",
    );
    assert_contains(
        &output,
        "HEAD https://harbor.example.test/v2/library/nginx/manifests/1.25.3 (Harbor, to read the digest)\n",
    );
    assert_contains(
        &output,
        "\"sourceImage\": \"library/nginx@<digest of library/nginx:1.25.3>\"",
    );
    assert_contains(&output, "\"harbor/library/nginx:1.25.3\"");
    assert_contains(&output, &format!("\"sourceImage\": \"{digest_image}\""));
    assert_contains(
        &output,
        "\"untaggedTargetRepositories\": [\n      \"harbor/library/app\"",
    );
    assert_contains(&output, "\"password\": \"<redacted>\"");
    assert_contains(&output, "\"registryUri\": \"harbor.example.test\"");
}

#[test]
fn acr_import_requires_tag_or_digest() {
    let stderr = dry_run_error("acr-import-from-harbor", &["--image", "library/nginx"]);

    assert!(stderr.contains("\"library/nginx\""), "{stderr}");
    assert!(stderr.contains("has no tag or digest"), "{stderr}");
}

#[test]
fn acr_import_accepts_harbor_url() {
    let output = dry_run(
        "acr-import-from-harbor",
        &["--harbor-host", "https://harbor.example.test:8443/"],
    );

    assert_contains(&output, "\"registryUri\": \"harbor.example.test:8443\"");
    assert_contains(
        &output,
        "HEAD https://harbor.example.test:8443/v2/library/nginx/manifests/1.25.3",
    );
    assert!(!output.contains("https://https://"), "{output}");
}

#[test]
fn acr_import_rejects_bad_harbor_host() {
    for value in [
        "http://harbor.example.test",
        "https://harbor.example.test/v2",
        "",
    ] {
        let binary = examples_dir().join(format!(
            "acr-import-from-harbor{}",
            std::env::consts::EXE_SUFFIX
        ));
        let output = Command::new(binary)
            .args(["--dry-run", "--harbor-host", value])
            .output()
            .expect("the example runs");
        let stderr = String::from_utf8_lossy(&output.stderr);

        assert!(!output.status.success(), "{value}: {stderr}");
        assert!(stderr.contains("--harbor-host"), "{value}: {stderr}");
        assert!(output.stdout.is_empty(), "{value}: printed a plan");
    }
}

#[test]
fn declarative_prints_ordered_plan() {
    let output = dry_run("harbor-declarative", &[]);

    assert_contains(
        &output,
        "1. ensure registry endpoint docker-hub (docker-hub https://hub.docker.com, access key example, secret from DOCKERHUB_TOKEN)\n",
    );
    assert_contains(
        &output,
        "3. ensure project team-a (private, quota 50 GiB)\n",
    );
    assert_contains(
        &output,
        "4. ensure member alice of team-a with role maintainer\n",
    );
    assert_contains(
        &output,
        "7. ensure robot ci in team-a (repository:push, repository:pull, artifact:read)\n",
    );
    assert_contains(
        &output,
        "9. ensure replication rule push-team-a-to-acr (push with acr), created with:\n",
    );
    assert_contains(&output, "\"id\": \"<id of endpoint acr>\"");
    assert_contains(&output, "\"type\": \"event_based\"");
}

/// Runs the declarative dry run on `contents` and returns its exit success and standard error.
fn declarative_error(contents: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("harbor.toml");
    std::fs::write(&file, contents).unwrap();
    let binary = examples_dir().join(format!(
        "harbor-declarative{}",
        std::env::consts::EXE_SUFFIX
    ));
    let output = Command::new(binary)
        .args(["--dry-run", "--file"])
        .arg(&file)
        .output()
        .expect("the example runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn declarative_rejects_unknown_registry() {
    let (success, stderr) = declarative_error(
        "[[replication]]\nname = \"r\"\nregistry = \"missing\"\ndirection = \"pull\"\ntrigger = \"manual\"\n",
    );

    assert!(!success);
    assert!(stderr.contains("\"missing\""), "{stderr}");
}

#[test]
fn declarative_rejects_duplicate_project() {
    let (success, stderr) =
        declarative_error("[[project]]\nname = \"team-a\"\n\n[[project]]\nname = \"team-a\"\n");

    assert!(!success);
    assert!(
        stderr.contains("project \"team-a\" appears twice"),
        "{stderr}"
    );
}

#[test]
fn declarative_rejects_unknown_role() {
    let (success, stderr) = declarative_error(
        "[[project]]\nname = \"team-a\"\nmembers = [{ user = \"alice\", role = \"owner\" }]\n",
    );

    assert!(!success);
    assert!(stderr.contains("role \"owner\" is invalid"), "{stderr}");
}

#[test]
fn declarative_rejects_unknown_key() {
    let (success, stderr) = declarative_error("[[project]]\nname = \"team-a\"\npublik = true\n");

    assert!(!success);
    assert!(stderr.contains("publik"), "{stderr}");
}
