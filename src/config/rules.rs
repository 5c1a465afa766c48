//! Naming and format rules for configuration values.
//!
//! Each rule returns `Err(rule text)` describing what a valid value looks like.
//!
//! ACR names, Kubernetes names and storage quantities use the rules of `acr-client` and
//! `aks-deploy`, so the configuration accepts exactly what those crates accept.
//!
//! TODO: switch the Harbor project name rule to `harbor-client` once it exports one (it keeps
//! the rule crate-private today).

use aks_deploy::names::is_dns_label;

/// Azure resource group: 1-90 letters, digits, `-`, `_`, `.`, `(`, `)`, not ending in `.`.
pub(crate) fn resource_group(value: &str) -> Result<(), String> {
    let rule = "a resource group name has 1-90 letters, digits, `-`, `_`, `.`, `(` or `)` \
                and does not end in `.`";
    let valid_chars = value
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'));
    let length = value.chars().count();
    if (1..=90).contains(&length) && valid_chars && !value.ends_with('.') {
        Ok(())
    } else {
        Err(rule.to_owned())
    }
}

/// Azure location name as ARM writes it, such as `westeurope`.
pub(crate) fn location(value: &str) -> Result<(), String> {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        Ok(())
    } else {
        Err("an Azure location has only lowercase letters and digits, such as `westeurope`".into())
    }
}

/// Azure subscription id: a GUID.
pub(crate) fn subscription_id(value: &str) -> Result<(), String> {
    let groups: Vec<&str> = value.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    let valid = groups.len() == lengths.len()
        && groups.iter().zip(lengths).all(|(group, length)| {
            group.len() == length && group.chars().all(|c| c.is_ascii_hexdigit())
        });
    if valid {
        Ok(())
    } else {
        Err("a subscription id is a GUID such as `00000000-0000-0000-0000-000000000000`".into())
    }
}

/// Availability zone of an Azure region: `1`, `2` or `3`.
pub(crate) fn zone(value: &str) -> Result<(), String> {
    match value {
        "1" | "2" | "3" => Ok(()),
        _ => Err("an availability zone is `1`, `2` or `3`".into()),
    }
}

/// ACR registry name, by `acr-client`'s rule (5-50 letters and digits). A public-cloud login
/// server such as `exampleacr.azurecr.io` is accepted too, and the plan warns that it uses the
/// name. A login server of another cloud is rejected, because the plan targets the public cloud.
pub(crate) fn acr_registry_name(value: &str) -> Result<(), String> {
    let name = acr_client::RegistryName::new(value).map_err(acr_rule)?;
    let lower = value.trim_end_matches('/').to_ascii_lowercase();
    if [".azurecr.cn", ".azurecr.us"]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
    {
        return Err(format!(
            "a login server outside the Azure public cloud is not supported, because the \
             deployment plan targets the public cloud; give the name `{}` of a registry there",
            name.as_str()
        ));
    }
    Ok(())
}

/// ACR scope map name, by `acr-client`'s rule.
pub(crate) fn acr_scope_map_name(value: &str) -> Result<(), String> {
    acr_client::ScopeMapName::new(value)
        .map(drop)
        .map_err(acr_rule)
}

/// ACR token name, by `acr-client`'s rule.
pub(crate) fn acr_token_name(value: &str) -> Result<(), String> {
    acr_client::TokenName::new(value)
        .map(drop)
        .map_err(acr_rule)
}

/// Repository path such as `mirror/nginx`, by `acr-client`'s OCI rule.
pub(crate) fn repository(value: &str) -> Result<(), String> {
    acr_client::RepositoryName::new(value)
        .map(drop)
        .map_err(acr_rule)
}

/// Takes the rule text out of an `acr-client` name error, because the problem already shows the
/// key and the value.
fn acr_rule(error: acr_client::Error) -> String {
    match error {
        acr_client::Error::InvalidName { kind, rule, .. } => format!("a {kind} has {rule}"),
        other => other.to_string(),
    }
}

/// ACR SKU.
pub(crate) fn acr_sku(value: &str) -> Result<(), String> {
    match value {
        "Basic" | "Standard" | "Premium" => Ok(()),
        _ => Err("the ACR SKU is one of Basic, Standard, Premium".into()),
    }
}

/// ACR scope map action on a repository, parsed by `acr-client` (case-insensitive).
pub(crate) fn acr_action(value: &str) -> Result<(), String> {
    match value.parse::<acr_client::RepositoryAction>() {
        Ok(_) => Ok(()),
        Err(_) => {
            let actions: Vec<&str> = acr_client::RepositoryAction::ALL
                .iter()
                .map(|action| action.as_str())
                .collect();
            Err(format!("an ACR action is one of {}", actions.join(", ")))
        }
    }
}

/// Kubernetes name that must be an RFC 1123 DNS label (namespaces, releases, services), by
/// `aks-deploy`'s rule.
pub(crate) fn dns_label(value: &str) -> Result<(), String> {
    if is_dns_label(value) {
        Ok(())
    } else {
        Err(aks_deploy::names::DNS_LABEL_RULE.to_owned())
    }
}

/// Kubernetes object name that must be an RFC 1123 DNS subdomain (Secrets, StorageClasses), by
/// `aks-deploy`'s rule.
pub(crate) fn dns_subdomain(value: &str) -> Result<(), String> {
    if aks_deploy::names::is_dns_subdomain(value) {
        Ok(())
    } else {
        Err(aks_deploy::names::DNS_SUBDOMAIN_RULE.to_owned())
    }
}

/// Fully qualified DNS hostname, such as `harbor.example.test`.
pub(crate) fn hostname(value: &str) -> Result<(), String> {
    let labels_valid = value.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    if value.len() <= 253 && value.contains('.') && labels_valid {
        Ok(())
    } else {
        Err(
            "a hostname has at least two dot-separated labels of letters, digits or `-`, \
             without scheme, port or path"
                .into(),
        )
    }
}

/// Kubernetes storage quantity such as `10Gi`, by `aks-deploy`'s rule.
pub(crate) fn storage_quantity(value: &str) -> Result<(), String> {
    if aks_deploy::validate::is_storage_quantity(value) {
        Ok(())
    } else {
        Err(
            "a storage size is a positive whole number with an optional suffix \
             (Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E), such as `10Gi`"
                .into(),
        )
    }
}

/// Harbor project name: 1-255 lowercase letters, digits and `._-`, starting with a letter or digit.
pub(crate) fn harbor_project(value: &str) -> Result<(), String> {
    let starts_alphanumeric = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let valid_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if value.len() <= 255 && starts_alphanumeric && valid_chars {
        Ok(())
    } else {
        Err(
            "a Harbor project name has 1-255 lowercase letters, digits, `.`, `_` or `-`, \
             starting with a letter or digit"
                .into(),
        )
    }
}

/// Image reference inside a project: `repository:tag`, such as `nginx:1.25.3`.
pub(crate) fn image_in_project(value: &str) -> Result<(), String> {
    let rule = "an image is `repository:tag`, such as `nginx:1.25.3`";
    let (name, tag) = value.rsplit_once(':').ok_or(rule)?;
    repository(name).map_err(|_| rule.to_owned())?;
    tag_rule(tag).map_err(|_| rule.to_owned())
}

fn tag_rule(tag: &str) -> Result<(), String> {
    let starts_well = tag
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let valid_chars = tag
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if tag.len() <= 128 && starts_well && valid_chars {
        Ok(())
    } else {
        Err("a tag has 1-128 letters, digits, `.`, `_` or `-`".into())
    }
}

/// Full image reference with a registry host, such as `harbor.example.test/library/hello:1.0.0`.
pub(crate) fn image_reference(value: &str) -> Result<(), String> {
    let rule = "an image reference is `host/repository:tag` or `host/repository@sha256:<hex>`";
    let (host, rest) = value.split_once('/').ok_or(rule)?;
    let host_name = host.split_once(':').map_or(host, |(name, _port)| name);
    hostname(host_name).map_err(|_| rule.to_owned())?;
    if let Some((name, digest)) = rest.split_once('@') {
        let hex = digest.strip_prefix("sha256:").ok_or(rule)?;
        let hex_valid = hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit());
        return if hex_valid && repository(name).is_ok() {
            Ok(())
        } else {
            Err(rule.into())
        };
    }
    image_in_project(rest).map_err(|_| rule.to_owned())
}

/// Email address, checked loosely: one `@` with a hostname after it.
pub(crate) fn email(value: &str) -> Result<(), String> {
    match value.split_once('@') {
        Some((local, domain)) if !local.is_empty() && hostname(domain).is_ok() => Ok(()),
        _ => Err("an email address is `name@domain`, such as `platform@example.test`".into()),
    }
}

/// Azure virtual network or subnet name: 1-80 letters, digits, `-`, `_`, `.`, starting with a
/// letter or digit and ending with a letter, digit or `_`.
pub(crate) fn network_name(value: &str) -> Result<(), String> {
    let valid_chars = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let starts_well = value.starts_with(|c: char| c.is_ascii_alphanumeric());
    let ends_well = value.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    if (1..=80).contains(&value.len()) && valid_chars && starts_well && ends_well {
        Ok(())
    } else {
        Err(
            "a network name has 1-80 letters, digits, `-`, `_` or `.`, starts with a letter \
             or digit and ends with a letter, digit or `_`"
                .into(),
        )
    }
}

/// Azure resource name for a PostgreSQL flexible server or a Redis cache: 3-63 lowercase
/// letters, digits and `-`, not starting or ending with `-`.
pub(crate) fn service_name(value: &str) -> Result<(), String> {
    if value.len() >= 3 && is_dns_label(value) {
        Ok(())
    } else {
        Err("a server name has 3-63 lowercase letters, digits or `-`, \
             not starting or ending with `-`"
            .into())
    }
}

/// PostgreSQL `sslmode` values that encrypt the connection, as Azure Database for PostgreSQL requires.
pub(crate) fn postgres_sslmode(value: &str) -> Result<(), String> {
    match value {
        "require" | "verify-ca" | "verify-full" => Ok(()),
        _ => Err("sslmode is one of require, verify-ca, verify-full: \
                  Azure Database for PostgreSQL accepts only encrypted connections"
            .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_group_rules() {
        assert!(resource_group("rg-harbor_(prod).1").is_ok());
        assert!(resource_group("rg.").is_err());
        assert!(resource_group("").is_err());
        assert!(resource_group("rg/harbor").is_err());
        assert!(resource_group(&"r".repeat(90)).is_ok());
        assert!(resource_group(&"r".repeat(91)).is_err());
    }

    #[test]
    fn acr_registry_name_rules() {
        assert!(acr_registry_name("exampleacr").is_ok());
        assert!(acr_registry_name("ExampleACR").is_ok());
        assert!(acr_registry_name("example-acr").is_err());
        assert!(acr_registry_name("acr1").is_err());
        assert!(acr_registry_name(&"a".repeat(51)).is_err());
        assert!(acr_registry_name("exampleacr$").is_err());
        assert!(acr_registry_name("exampleacr.azurecr.io").is_ok());
        let sovereign = acr_registry_name("exampleacr.azurecr.cn").unwrap_err();
        assert!(
            sovereign.contains("outside the Azure public cloud is not supported"),
            "{sovereign}"
        );
        assert!(acr_registry_name("https://exampleacr.azurecr.us/").is_err());
        assert!(acr_registry_name("example-acr.azurecr.io").is_err());
    }

    #[test]
    fn scope_map_and_token_names() {
        assert!(acr_scope_map_name("harbor_push-map").is_ok());
        assert!(acr_scope_map_name("map").is_err());
        let rule = acr_token_name("tok").unwrap_err();
        assert!(rule.starts_with("a token name has 5 to 50"), "{rule}");
        assert!(acr_token_name("harbor-push").is_ok());
        assert!(acr_token_name("harbor_push").is_err());
    }

    #[test]
    fn acr_action_lists_valid_actions() {
        assert!(acr_action("metadata/read").is_ok());
        let rule = acr_action("content/create").unwrap_err();
        assert!(rule.contains(
            "content/read, content/write, content/delete, metadata/read, metadata/write"
        ));
    }

    #[test]
    fn kubernetes_names() {
        assert!(dns_label("harbor").is_ok());
        assert!(dns_label("Harbor").is_err());
        assert!(dns_label("-harbor").is_err());
        assert!(dns_label(&"a".repeat(64)).is_err());
        assert!(dns_subdomain("managed-csi.premium").is_ok());
        assert!(dns_subdomain("managed..csi").is_err());
        assert!(dns_subdomain("managed.-csi").is_err());
        assert!(dns_subdomain(&"a".repeat(254)).is_err());
    }

    #[test]
    fn hostname_rules() {
        assert!(hostname("harbor.example.test").is_ok());
        assert!(hostname("harbor").is_err());
        assert!(hostname("https://harbor.example.test").is_err());
        assert!(hostname("harbor.example.test:443").is_err());
    }

    #[test]
    fn storage_quantity_rules() {
        assert!(storage_quantity("10Gi").is_ok());
        assert!(storage_quantity("512Mi").is_ok());
        assert!(storage_quantity("10GB").is_err());
        assert!(storage_quantity("0Gi").is_err());
        assert!(storage_quantity("Gi").is_err());
        assert!(storage_quantity("-1Gi").is_err());
    }

    #[test]
    fn image_rules() {
        assert!(image_in_project("nginx:1.25.3").is_ok());
        assert!(image_in_project("nginx").is_err());
        assert!(image_in_project("Nginx:1").is_err());
        assert!(image_reference("harbor.example.test/library/hello:1.0.0").is_ok());
        assert!(image_reference("harbor.example.test:8443/library/hello:1.0.0").is_ok());
        let digest = format!(
            "exampleacr.azurecr.io/mirror/nginx@sha256:{}",
            "f".repeat(64)
        );
        assert!(image_reference(&digest).is_ok());
        assert!(image_reference("library/hello:1.0.0").is_err());
    }

    #[test]
    fn subscription_and_location() {
        assert!(subscription_id("00000000-0000-0000-0000-000000000000").is_ok());
        assert!(subscription_id("not-a-guid").is_err());
        assert!(location("westeurope").is_ok());
        assert!(location("West Europe").is_err());
    }

    #[test]
    fn sslmode_requires_encryption() {
        assert!(postgres_sslmode("require").is_ok());
        assert!(postgres_sslmode("disable").is_err());
    }
}
