//! Create an ACR scope map and a token bound to it, and optionally generate a token password.
//!
//! ```sh
//! cargo run --example acr-scope-map-token -- --dry-run
//! az login
//! cargo run --example acr-scope-map-token -- --subscription-id 0000... --resource-group rg \
//!     --registry exampleacr --repository harbor/nginx --repository harbor/app --permission push --permission list-tags \
//!     --password-file harbor-push.password --password-days 30
//! ```
//!
//! Harbor uses such a token as the credential of its ACR registry endpoint. The generated
//! password goes to a file created with mode 0600 and never to the terminal.

#[path = "common/azure_cli.rs"]
mod azure_cli;
#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use acr_client::arm::ResourceId;
use acr_client::{
    API_VERSION, Ensured, PasswordName, RegistryName, RepositoryName, RepositoryPermission,
    ScopeMapAction, ScopeMapName, TokenName, TokenStatus,
};
use clap::{Parser, ValueEnum};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use dry_run::error_chain;

/// Resource Manager endpoint of the Azure public cloud.
const ARM_ENDPOINT: &str = "https://management.azure.com";

#[derive(Debug, Parser)]
#[command(about = "Ensure an ACR scope map and token, and optionally generate a token password")]
struct Cli {
    /// Azure subscription id of the registry.
    #[arg(
        long,
        env = "AZURE_SUBSCRIPTION_ID",
        default_value = "00000000-0000-0000-0000-000000000000"
    )]
    subscription_id: String,
    /// Resource group of the registry.
    #[arg(long, default_value = "harbor-rg")]
    resource_group: String,
    /// Registry name, without `.azurecr.io`.
    #[arg(long, default_value = "exampleacr")]
    registry: String,
    /// Scope map name. System scope maps (names starting with `_`) are read-only, so they are
    /// rejected.
    #[arg(long, default_value = "harbor-push-scope-map")]
    scope_map: String,
    /// Token name.
    #[arg(long, default_value = "harbor-push")]
    token: String,
    /// Repository the scope map covers. Repeat the flag for several.
    #[arg(long = "repository", default_value = "harbor/nginx")]
    repositories: Vec<String>,
    /// Permission on every repository. Repeat the flag for several.
    #[arg(long = "permission", value_enum, default_values_t = [PermissionArg::Push, PermissionArg::ListTags])]
    permissions: Vec<PermissionArg>,
    /// File to write a newly generated `password1` to (mode 0600). Unset, no password is generated.
    #[arg(long, value_name = "PATH")]
    password_file: Option<PathBuf>,
    /// Days until the generated password expires.
    #[arg(long, default_value_t = 30)]
    password_days: i64,
    /// Print the requests instead of sending them. Needs no Azure login.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PermissionArg {
    Pull,
    Push,
    ListTags,
    Delete,
    WriteMetadata,
}

impl From<PermissionArg> for RepositoryPermission {
    fn from(permission: PermissionArg) -> Self {
        match permission {
            PermissionArg::Pull => RepositoryPermission::Pull,
            PermissionArg::Push => RepositoryPermission::Push,
            PermissionArg::ListTags => RepositoryPermission::ListTags,
            PermissionArg::Delete => RepositoryPermission::Delete,
            PermissionArg::WriteMetadata => RepositoryPermission::WriteMetadata,
        }
    }
}

/// Validated names and the scope map actions from the flags.
#[derive(Debug)]
struct Names {
    registry: RegistryName,
    scope_map: ScopeMapName,
    token: TokenName,
    actions: Vec<ScopeMapAction>,
}

fn names(cli: &Cli) -> Result<Names, Box<dyn Error>> {
    let permissions: Vec<RepositoryPermission> = cli
        .permissions
        .iter()
        .map(|permission| (*permission).into())
        .collect();
    let mut actions = Vec::new();
    for repository in &cli.repositories {
        let repository = RepositoryName::new(repository)?;
        actions.extend(ScopeMapAction::for_permissions(&repository, &permissions));
    }
    if cli.password_days < 1 {
        return Err(format!(
            "--password-days {} is invalid; a password must expire at least 1 day from now",
            cli.password_days
        )
        .into());
    }
    let scope_map = ScopeMapName::new(&cli.scope_map)?;
    // acr-client rejects any change to a system scope map before it sends a request. The check
    // sits here so that the dry run fails with the same error and prints no PUT.
    if scope_map.is_system() {
        return Err(acr_client::Error::ReadOnlyScopeMap {
            name: scope_map.to_string(),
        }
        .into());
    }
    Ok(Names {
        registry: RegistryName::new(&cli.registry)?,
        scope_map,
        token: TokenName::new(&cli.token)?,
        actions,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = if cli.dry_run {
        dry_run(&cli)
    } else {
        apply(&cli)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Prints the Resource Manager requests for a registry without the scope map and the token.
/// An existing scope map gets a PATCH adding the missing actions, and an existing token a PATCH
/// only when its scope map or status differs.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let names = names(cli)?;
    let registry_id = ResourceId::resource_group(&cli.subscription_id, &cli.resource_group)?
        .provider("Microsoft.ContainerRegistry")?
        .child("registries", names.registry.as_str())?;
    let scope_map_id = registry_id.child("scopeMaps", names.scope_map.as_str())?;
    let token_id = registry_id.child("tokens", names.token.as_str())?;
    println!(
        "Dry run: Azure Resource Manager requests for a registry without this scope map and token"
    );
    println!("Each PUT and POST is a long-running operation that the client polls until it ends.");

    println!("\n# scope map {}", names.scope_map);
    print_arm("GET", scope_map_id.as_str(), None);
    let actions: Vec<String> = names.actions.iter().map(ToString::to_string).collect();
    print_arm(
        "PUT",
        scope_map_id.as_str(),
        Some(&json!({ "properties": { "actions": actions } })),
    );

    println!("\n# token {}", names.token);
    print_arm("GET", token_id.as_str(), None);
    let body = json!({ "properties": {
        "scopeMapId": scope_map_id.as_str(),
        "status": serde_json::to_value(TokenStatus::Enabled)?,
    }});
    print_arm("PUT", token_id.as_str(), Some(&body));

    if let Some(path) = &cli.password_file {
        println!(
            "\n# password1 of token {}, written to {}",
            names.token,
            path.display()
        );
        let body = json!({
            "tokenId": token_id.as_str(),
            "name": serde_json::to_value(PasswordName::Password1)?,
            "expiry": format!("<now + {} days, RFC 3339>", cli.password_days),
        });
        print_arm(
            "POST",
            &registry_id.action("generateCredentials")?,
            Some(&body),
        );
    }
    Ok(())
}

fn print_arm(method: &str, path: &str, body: Option<&Value>) {
    println!("{method} {ARM_ENDPOINT}{path}?api-version={API_VERSION}");
    if let Some(body) = body {
        let text = serde_json::to_string_pretty(body).expect("a JSON value serializes");
        for line in text.lines() {
            println!("  {line}");
        }
    }
}

fn apply(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let names = names(cli)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let acr = azure_cli::acr_client(&cli.subscription_id, &cli.resource_group)?;

        let scope_map = acr
            .ensure_scope_map(&names.registry, &names.scope_map, None, &names.actions)
            .await;
        println!("scope map {} {}", names.scope_map, verb(&scope_map));
        scope_map?;

        let token = acr
            .ensure_token(&names.registry, &names.token, &names.scope_map)
            .await;
        println!("token {} {}", names.token, verb(&token));
        token?;

        if let Some(path) = &cli.password_file {
            let expiry = azure_core::time::OffsetDateTime::now_utc()
                + azure_core::time::Duration::days(cli.password_days);
            let credentials = acr
                .generate_token_password(
                    &names.registry,
                    &names.token,
                    PasswordName::Password1,
                    Some(expiry),
                )
                .await?;
            let password = credentials
                .password(PasswordName::Password1)
                .ok_or("Azure returned no password1 for the token")?;
            write_private(path, password.expose_secret())?;
            println!(
                "token {} password1 generated, expires {expiry}, written to {}",
                names.token,
                path.display()
            );
        }
        Ok(())
    })
}

fn verb<T>(result: &Result<Ensured<T>, acr_client::Error>) -> &'static str {
    match result {
        Ok(Ensured::Created(_)) => "created",
        Ok(Ensured::Updated(_)) => "updated",
        Ok(Ensured::Unchanged(_)) => "unchanged",
        Err(_) => "failed",
    }
}

/// Writes `contents` to a new file at `path` that only the owner can read (mode 0600 on Unix).
fn write_private(path: &std::path::Path, contents: &str) -> Result<(), Box<dyn Error>> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|error| {
        format!(
            "failed to create {}: {error}; remove it or choose another --password-file",
            path.display()
        )
    })?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
