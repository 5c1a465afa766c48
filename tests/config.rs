//! The deployment configuration: the bundled sample, parse errors and validation rules.

use harbor_azure::config::{Config, ConfigError, SecretRef};
use harbor_azure::workflows::transfer_route::SourceExposure;

const SAMPLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml");

fn sample_text() -> String {
    std::fs::read_to_string(SAMPLE_PATH).expect("the bundled sample is readable")
}

/// Replaces the first line of the sample that starts with `line_start` by `replacement`.
fn sample_with(line_start: &str, replacement: &str) -> String {
    let text = sample_text();
    let mut replaced = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if !replaced && line.starts_with(line_start) {
                replaced = true;
                replacement.to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(
        replaced,
        "the sample has no line starting with {line_start:?}"
    );
    lines.join("\n")
}

/// Parses `text`, expects validation problems and returns them as `key = "value": rule` lines.
fn problems_of(text: &str) -> Vec<String> {
    match Config::from_toml(text) {
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.iter().map(ToString::to_string).collect()
        }
        Err(other) => panic!("expected validation problems, got: {other}"),
        Ok(_) => panic!("expected validation problems, the configuration was accepted"),
    }
}

fn assert_single_problem(text: &str, key: &str, value: &str, rule_part: &str) {
    assert_single_literal_problem(text, key, &format!("{value:?}"), rule_part);
}

/// As `assert_single_problem` for a value shown as TOML writes it: `0`, `[]`, `"text"`.
fn assert_single_literal_problem(text: &str, key: &str, literal: &str, rule_part: &str) {
    let problems = problems_of(text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let expected_start = format!("{key} = {literal}: ");
    assert!(problems[0].starts_with(&expected_start), "{problems:#?}");
    assert!(problems[0].contains(rule_part), "{problems:#?}");
}

/// Parses `text`, expects a parse error and returns its key and message.
fn parse_error_of(text: &str) -> (String, String) {
    match Config::from_toml(text) {
        Err(ConfigError::Parse { key, message, .. }) => (key, message),
        Err(other) => panic!("expected a parse error, got: {other}"),
        Ok(_) => panic!("expected a parse error, the configuration was accepted"),
    }
}

#[test]
fn sample_parses_and_validates() {
    let config = Config::load(SAMPLE_PATH).unwrap();
    assert_eq!(config.azure.location, "westeurope");
    assert_eq!(config.harbor.hostname, "harbor.example.test");
    assert_eq!(config.harbor.replicas.registry, 3);
    assert_eq!(config.harbor.sizes.registry, "100Gi");
    assert_eq!(
        config.harbor.admin_password,
        SecretRef::Env("HARBOR_ADMIN_PASSWORD".into())
    );
    let acr = config.acr.as_ref().unwrap();
    assert_eq!(acr.login_server(), "exampleacr.azurecr.io");
    assert_eq!(acr.repositories.len(), 2);
    assert_eq!(
        acr.import.as_ref().unwrap().images,
        ["nginx:1.25.3", "hello:1.0.0"]
    );
    assert_eq!(config.redis.as_ref().unwrap().port, 6380);
    assert_eq!(config.ingress_nginx.namespace, "ingress-nginx");
}

#[test]
fn defaults_fill_optional_keys() {
    let text = r#"
        [azure]
        subscription_id = "00000000-0000-0000-0000-000000000000"
        resource_group = "rg-harbor"
        location = "westeurope"

        [harbor]
        hostname = "harbor.example.test"
        tls_secret = "harbor-tls"
        admin_password = { env = "HARBOR_ADMIN_PASSWORD" }
        secret_key = { file = "/run/secrets/harbor-secret-key" }
        core_secret = { file = "/run/secrets/harbor-core-secret" }
        registry_password = { file = "/run/secrets/harbor-registry-password" }
    "#;
    let config = Config::from_toml(text).unwrap();
    assert_eq!(config.azure.zones, ["1", "2", "3"]);
    assert_eq!(config.harbor.namespace, "harbor");
    assert_eq!(config.harbor.release, "harbor");
    assert_eq!(config.harbor.admin_user, "admin");
    assert_eq!(config.harbor.ingress_class, "nginx");
    assert_eq!(config.harbor.storage_classes.disk, "managed-csi-premium");
    assert_eq!(config.harbor.sizes.registry, "5Gi");
    assert_eq!(config.harbor.sizes.database, "1Gi");
    assert_eq!(config.harbor.replicas.core, 1);
    assert!(config.acr.is_none());
    assert!(config.postgres.is_none());
}

#[test]
fn unknown_key_names_key_and_line() {
    let text = sample_with("ingress_class", "ingres_class = \"nginx\"");
    let error = Config::from_toml(&text).unwrap_err();
    let ConfigError::Parse { key, line, .. } = &error else {
        panic!("expected a parse error, got: {error}");
    };
    assert_eq!(key, "harbor.ingres_class");
    let expected_line = text
        .lines()
        .position(|l| l.starts_with("ingres_class"))
        .unwrap()
        + 1;
    assert_eq!(*line, Some(expected_line));
    let message = error.to_string();
    assert!(
        message.contains("unknown field `ingres_class`"),
        "{message}"
    );
    assert!(
        message.contains(&format!("line {expected_line}")),
        "{message}"
    );
}

#[test]
fn unknown_key_in_nested_table_named() {
    let text = sample_with("registry = \"100Gi\"", "registy = \"100Gi\"");
    let error = Config::from_toml(&text).unwrap_err();
    let ConfigError::Parse { key, .. } = &error else {
        panic!("expected a parse error, got: {error}");
    };
    assert_eq!(key, "harbor.sizes.registy");
}

#[test]
fn unknown_section_rejected() {
    let text = format!("{}\n[harbour]\nhostname = \"x\"\n", sample_text());
    let error = Config::from_toml(&text).unwrap_err();
    let ConfigError::Parse { key, .. } = &error else {
        panic!("expected a parse error, got: {error}");
    };
    assert_eq!(key, "harbour");
}

#[test]
fn missing_required_key_named() {
    let text = sample_with("hostname", "");
    let message = Config::from_toml(&text).unwrap_err().to_string();
    assert!(message.contains("`harbor`"), "{message}");
    assert!(message.contains("missing field `hostname`"), "{message}");
}

#[test]
fn inline_secret_rejected() {
    let text = sample_with("admin_password", "admin_password = \"s3cr3t-EXAMPLE\"");
    let error = Config::from_toml(&text).unwrap_err();
    let message = error.to_string();
    let ConfigError::Parse { key, .. } = &error else {
        panic!("expected a parse error, got: {message}");
    };
    assert_eq!(key, "harbor.admin_password");
    assert!(
        message.contains("inline secret values are not allowed"),
        "{message}"
    );
    assert!(message.contains("{ env = \"VARIABLE\" }"), "{message}");
    assert!(!message.contains("s3cr3t-EXAMPLE"), "{message}");
}

#[test]
fn file_secret_reference_accepted() {
    let text = sample_with(
        "secret_key",
        "secret_key = { file = \"/run/secrets/harbor-key\" }",
    );
    let config = Config::from_toml(&text).unwrap();
    assert_eq!(
        config.harbor.secret_key,
        SecretRef::File("/run/secrets/harbor-key".into())
    );
}

#[test]
fn wrong_type_names_key() {
    let text = sample_with("core = 3", "core = \"three\"");
    let error = Config::from_toml(&text).unwrap_err();
    let ConfigError::Parse { key, .. } = &error else {
        panic!("expected a parse error, got: {error}");
    };
    assert_eq!(key, "harbor.replicas.core");
}

#[test]
fn resource_group_rule() {
    let text = sample_with(
        "resource_group = \"rg-harbor\"",
        "resource_group = \"rg-harbor.\"",
    );
    assert_single_problem(
        &text,
        "azure.resource_group",
        "rg-harbor.",
        "does not end in `.`",
    );
}

#[test]
fn location_rule() {
    let text = sample_with("location", "location = \"West Europe\"");
    assert_single_problem(
        &text,
        "azure.location",
        "West Europe",
        "lowercase letters and digits",
    );
}

#[test]
fn subscription_id_rule() {
    let text = sample_with("subscription_id", "subscription_id = \"my-subscription\"");
    assert_single_problem(&text, "azure.subscription_id", "my-subscription", "GUID");
}

#[test]
fn zone_rule() {
    let text = sample_with("zones", "zones = [\"1\", \"4\"]");
    assert_single_problem(&text, "azure.zones[1]", "4", "`1`, `2` or `3`");
}

#[test]
fn acr_name_rule() {
    let text = sample_with("name = \"exampleacr\"", "name = \"example-acr\"");
    assert_single_problem(
        &text,
        "acr.name",
        "example-acr",
        "a registry name has 5 to 50 letters and digits",
    );
}

#[test]
fn acr_login_server_as_name_accepted() {
    let text = sample_with("name = \"exampleacr\"", "name = \"ExampleACR.azurecr.io\"");
    let config = Config::from_toml(&text).unwrap();
    let acr = config.acr.unwrap();
    assert_eq!(acr.registry_name(), "exampleacr");
    assert_eq!(acr.login_server(), "exampleacr.azurecr.io");
}

#[test]
fn acr_token_and_scope_map_rules() {
    let text = sample_with("token =", "token = \"tok\"");
    assert_single_problem(
        &text,
        "acr.token",
        "tok",
        "a token name has 5 to 50 characters",
    );
    let text = sample_with("scope_map =", "scope_map = \"_repositories_pull\"");
    assert_single_problem(
        &text,
        "acr.scope_map",
        "_repositories_pull",
        "read-only system maps",
    );
}

#[test]
fn acr_sku_rule() {
    let text = sample_with("sku", "sku = \"Ultra\"");
    assert_single_problem(&text, "acr.sku", "Ultra", "Basic, Standard, Premium");
}

#[test]
fn acr_action_rule_lists_valid_actions() {
    let text = sample_with(
        "actions",
        "actions = [\"content/read\", \"content/create\"]",
    );
    assert_single_problem(
        &text,
        "acr.repositories[0].actions[1]",
        "content/create",
        "content/read, content/write, content/delete, metadata/read, metadata/write",
    );
}

#[test]
fn kubernetes_name_rule() {
    let text = sample_with("namespace = \"harbor\"", "namespace = \"Harbor\"");
    assert_single_problem(&text, "harbor.namespace", "Harbor", "RFC 1123 DNS label");
    let text = sample_with("tls_secret", "tls_secret = \"harbor_tls\"");
    assert_single_problem(
        &text,
        "harbor.tls_secret",
        "harbor_tls",
        "RFC 1123 DNS subdomain",
    );
}

#[test]
fn hostname_rule() {
    let text = sample_with("hostname", "hostname = \"https://harbor.example.test\"");
    let problems = problems_of(&text);
    assert!(
        problems[0].starts_with("harbor.hostname = \"https://harbor.example.test\": a hostname"),
        "{problems:#?}"
    );
    // The DNS zone check would only repeat the problem.
    assert_eq!(problems.len(), 1, "{problems:#?}");
}

#[test]
fn hostname_outside_dns_zone_rejected() {
    let text = sample_with("hostname", "hostname = \"harbor.other.test\"");
    assert_single_problem(
        &text,
        "harbor.hostname",
        "harbor.other.test",
        "must lie inside the DNS zone `example.test`",
    );
}

#[test]
fn storage_size_rule() {
    let text = sample_with("registry = \"100Gi\"", "registry = \"100GB\"");
    assert_single_problem(&text, "harbor.sizes.registry", "100GB", "such as `10Gi`");
}

#[test]
fn replicas_at_least_one() {
    let text = sample_with("jobservice = 3", "jobservice = 0");
    assert_single_literal_problem(&text, "harbor.replicas.jobservice", "0", "at least 1");
}

#[test]
fn negative_replicas_name_key_and_rule() {
    let text = sample_with("core = 3", "core = -1");
    let (key, message) = parse_error_of(&text);
    assert_eq!(key, "harbor.replicas.core");
    assert_eq!(message, "invalid value -1: replicas are at least 1");
}

#[test]
fn port_above_range_names_key_and_maximum() {
    let text = sample_with("port = 8080", "port = 70000");
    let (key, message) = parse_error_of(&text);
    assert_eq!(key, "app.port");
    assert_eq!(message, "invalid value 70000: the maximum is 65535");
}

#[test]
fn quoted_replicas_ask_for_number() {
    let text = sample_with("core = 3", "core = \"3\"");
    let (key, message) = parse_error_of(&text);
    assert_eq!(key, "harbor.replicas.core");
    assert!(
        message.contains("a whole number without quotes (replicas are at least 1)"),
        "{message}"
    );
}

#[test]
fn empty_zone_list_shown_unquoted() {
    let text = sample_with("zones", "zones = []");
    assert_single_literal_problem(&text, "azure.zones", "[]", "at least one availability zone");
}

#[test]
fn cidr_must_parse() {
    let text = sample_with("address_space", "address_space = \"10.240.0.0/33\"");
    let problems = problems_of(&text);
    assert!(
        problems[0].starts_with("network.address_space = \"10.240.0.0/33\": an IPv4 CIDR"),
        "{problems:#?}"
    );
}

#[test]
fn subnet_outside_vnet_rejected() {
    let text = sample_with("redis = \"10.240.17.0/24\"", "redis = \"10.241.0.0/24\"");
    assert_single_problem(
        &text,
        "network.subnets.redis",
        "10.241.0.0/24",
        "must lie inside network.address_space 10.240.0.0/16",
    );
}

#[test]
fn overlapping_subnets_rejected() {
    let text = sample_with("redis = \"10.240.17.0/24\"", "redis = \"10.240.1.0/24\"");
    assert_single_problem(
        &text,
        "network.subnets.redis",
        "10.240.1.0/24",
        "must not overlap network.subnets.aks",
    );
}

#[test]
fn cidr_with_host_bits_rejected() {
    let text = sample_with("postgres = ", "postgres = \"10.240.16.1/24\"");
    assert_single_problem(
        &text,
        "network.subnets.postgres",
        "10.240.16.1/24",
        "network address is 10.240.16.0/24",
    );
}

#[test]
fn postgres_sslmode_rule() {
    let text = sample_with("sslmode", "sslmode = \"disable\"");
    assert_single_problem(
        &text,
        "postgres.sslmode",
        "disable",
        "require, verify-ca, verify-full",
    );
}

#[test]
fn redis_plain_port_rejected() {
    let text = sample_with("port = 6380", "port = 6379");
    assert_single_literal_problem(&text, "redis.port", "6379", "TLS port");
}

#[test]
fn import_image_rule() {
    let text = sample_with("images", "images = [\"nginx\"]");
    assert_single_problem(&text, "acr.import.images[0]", "nginx", "`repository:tag`");
}

#[test]
fn import_robot_rule() {
    let text = sample_with("robot =", "robot = \"acr--import\"");
    assert_single_problem(
        &text,
        "acr.import.robot",
        "acr--import",
        "separated by single",
    );
}

#[test]
fn app_image_rule() {
    let text = sample_with("image = ", "image = \"hello:1.0.0\"");
    assert_single_problem(&text, "app.image", "hello:1.0.0", "host/repository:tag");
}

#[test]
fn validation_collects_every_problem() {
    let text = sample_with("location", "location = \"West Europe\"");
    let text = text
        .replace("core = 3", "core = 0")
        .replace("\"100Gi\"", "\"lots\"");
    let problems = problems_of(&text);
    let keys: Vec<&str> = problems
        .iter()
        .map(|problem| problem.split(" = ").next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "azure.location",
            "harbor.sizes.registry",
            "harbor.replicas.core"
        ]
    );
}

#[test]
fn load_names_missing_file() {
    let error = Config::load("/nonexistent/harbor.toml").unwrap_err();
    let message = error.to_string();
    assert_eq!(
        message,
        "failed to read configuration /nonexistent/harbor.toml"
    );
    let cause = std::error::Error::source(&error).expect("the I/O error is the source");
    assert!(cause.to_string().contains("No such file"), "{cause}");
}

#[test]
fn ingress_exposure_parses_each_topology() {
    assert_eq!(
        Config::load(SAMPLE_PATH).unwrap().ingress_nginx.exposure,
        Some(SourceExposure::Public)
    );
    for (value, expected) in [
        ("internal", SourceExposure::Internal),
        ("private-link", SourceExposure::PrivateLink),
    ] {
        let text = sample_with("exposure =", &format!("exposure = \"{value}\""));
        let config = Config::from_toml(&text).unwrap();
        assert_eq!(config.ingress_nginx.exposure, Some(expected), "{value}");
    }
    let without = sample_with("exposure =", "");
    assert_eq!(
        Config::from_toml(&without).unwrap().ingress_nginx.exposure,
        None
    );
}

#[test]
fn ingress_exposure_rejects_unknown_topology() {
    let text = sample_with("exposure =", "exposure = \"private_link\"");
    let error = Config::from_toml(&text).unwrap_err();
    let ConfigError::Parse { key, line, .. } = &error else {
        panic!("expected a parse error, got: {error}");
    };
    assert_eq!(key, "ingress_nginx.exposure");
    let expected_line = text
        .lines()
        .position(|l| l.starts_with("exposure ="))
        .unwrap()
        + 1;
    assert_eq!(*line, Some(expected_line));
    let message = error.to_string();
    assert!(message.contains("private_link"), "{message}");
    assert!(message.contains("`private-link`"), "{message}");
}

#[test]
fn origin_names_the_file() {
    let config = Config::load(SAMPLE_PATH).unwrap();
    assert_eq!(config.origin(), SAMPLE_PATH);
    let config = Config::from_toml(&sample_text()).unwrap();
    assert_eq!(config.origin(), "<input>");
}

#[test]
fn missing_secret_key_says_how_to_add_it() {
    let sample = std::fs::read_to_string(SAMPLE_PATH).unwrap();
    for (field, variable) in [
        ("core_secret", "HARBOR_CORE_SECRET"),
        ("registry_password", "HARBOR_REGISTRY_PASSWORD"),
    ] {
        let text: String = sample
            .lines()
            .filter(|line| !line.starts_with(&format!("{field} =")))
            .map(|line| format!("{line}\n"))
            .collect();

        let error = Config::from_toml(&text).unwrap_err();

        let message = error.to_string();
        assert!(
            message.contains(&format!(
                "missing field `{field}`; add `{field} = {{ env = \"{variable}\" }}` or `{field} = {{ file = \"PATH\" }}` to [harbor]"
            )),
            "{message}"
        );
    }
}
