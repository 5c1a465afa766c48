//! Configure Harbor from a declarative file the way a Terraform configuration would: registry
//! endpoints, projects with members, robot accounts and replication rules, each ensured in
//! dependency order and reported as created, updated, unchanged or failed.
//!
//! ```sh
//! cargo run --example harbor-declarative -- --dry-run
//! HARBOR_PASSWORD=... DOCKERHUB_TOKEN=... ACR_TOKEN_PASSWORD=... \
//!     cargo run --example harbor-declarative -- --url https://harbor.example.com \
//!     --file harbor.toml --robot-secret-dir secrets/
//! ```
//!
//! Like `terraform apply`, a run changes only what differs. Unlike Terraform it deletes nothing:
//! a resource removed from the file stays in Harbor. Members must be existing users.

#[path = "harbor-declarative/config.rs"]
mod config;
#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;

use std::collections::BTreeMap;
use std::error::Error;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use harbor_client::generated::operations::replication::CreateReplicationPolicy;
use harbor_client::tasks::{
    ensure_project, ensure_project_member, ensure_registry, ensure_replication_policy, ensure_robot,
};
use harbor_client::{Body, Request};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use config::File;
use dry_run::{REDACTED, error_chain, print_request};
use harbor_args::{HarborArgs, secret_from_env};

const DEFAULT_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/harbor-declarative.toml"
);

#[derive(Debug, Parser)]
#[command(
    about = "Apply a declarative file of Harbor endpoints, projects, members, robots and rules"
)]
struct Cli {
    #[command(flatten)]
    harbor: HarborArgs,
    /// Declarative file (TOML).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_FILE)]
    file: PathBuf,
    /// Folder to write the secret of each newly created robot to, as `NAME.secret` (mode 0600).
    /// Harbor returns a robot secret only once, at creation.
    #[arg(long, value_name = "DIR")]
    robot_secret_dir: Option<PathBuf>,
    /// Print the plan and the request bodies instead of sending them. Needs no environment
    /// variable.
    #[arg(long)]
    dry_run: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = load(&cli.file).and_then(|file| {
        if cli.dry_run {
            dry_run(&cli, &file)
        } else {
            apply(&cli, &file)
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn load(path: &Path) -> Result<File, Box<dyn Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("failed to read {}: {error}", path.display()))?;
    File::parse(&text).map_err(|error| format!("{} is invalid: {error}", path.display()).into())
}

/// Validates every entry as apply would, then prints the steps in order. Replication rules show
/// their full request body, with the endpoint id as a placeholder.
fn dry_run(cli: &Cli, file: &File) -> Result<(), Box<dyn Error>> {
    println!(
        "Dry run: {} against {} as {}",
        cli.file.display(),
        cli.harbor.url,
        cli.harbor.username
    );
    println!("Each step reads the resource and creates it, updates what differs, or leaves it.");
    let mut step = 0;
    let mut next = || {
        step += 1;
        step
    };
    for registry in &file.registries {
        let secret = registry
            .secret_env
            .as_ref()
            .map(|_| SecretString::from(REDACTED.to_owned()));
        registry.spec(secret)?;
        let credential = match (&registry.access_key, &registry.secret_env) {
            (Some(key), Some(variable)) => format!(", access key {key}, secret from {variable}"),
            _ => String::new(),
        };
        println!(
            "{}. ensure registry endpoint {} ({} {}{credential})",
            next(),
            registry.name,
            registry.provider,
            registry.url
        );
    }
    for project in &file.projects {
        project.spec()?;
        let limit = project
            .storage_limit_gib
            .map_or("no quota change".to_owned(), |gib| {
                format!("quota {gib} GiB")
            });
        let visibility = if project.public { "public" } else { "private" };
        println!(
            "{}. ensure project {} ({visibility}, {limit})",
            next(),
            project.name
        );
        project.member_specs()?;
        for member in &project.members {
            println!(
                "{}. ensure member {} of {} with role {}",
                next(),
                member.user,
                project.name,
                member.role
            );
        }
    }
    for robot in &file.robots {
        robot.spec()?;
        let access: Vec<String> = robot
            .access
            .iter()
            .map(|(resource, action)| format!("{resource}:{action}"))
            .collect();
        println!(
            "{}. ensure robot {} in {} ({})",
            next(),
            robot.name,
            robot.project,
            access.join(", ")
        );
    }
    for rule in &file.replications {
        let request = CreateReplicationPolicy::new(rule.spec(1)?.to_model()).build()?;
        println!(
            "{}. ensure replication rule {} ({} with {}), created with:",
            next(),
            rule.name,
            rule.direction,
            rule.registry
        );
        print_request(
            &cli.harbor.url,
            &with_registry_placeholder(request, &rule.registry)?,
        );
    }
    Ok(())
}

/// Replaces the registry id in a replication body with `<id of endpoint NAME>`.
fn with_registry_placeholder(
    mut request: Request,
    registry: &str,
) -> Result<Request, Box<dyn Error>> {
    if let Body::Json(bytes) = &request.body {
        let mut body: Value = serde_json::from_slice(bytes)?;
        for key in ["src_registry", "dest_registry"] {
            if let Some(object) = body.get_mut(key).and_then(Value::as_object_mut) {
                object.insert(
                    "id".to_owned(),
                    Value::String(format!("<id of endpoint {registry}>")),
                );
            }
        }
        request.body = Body::Json(serde_json::to_vec(&body)?);
    }
    Ok(request)
}

/// Ensures every entry in order and prints one line per step. Stops at the first failure,
/// because later steps depend on earlier ones (rules on endpoints, members on projects).
fn apply(cli: &Cli, file: &File) -> Result<(), Box<dyn Error>> {
    let mut registry_specs = Vec::new();
    for registry in &file.registries {
        let secret = match &registry.secret_env {
            Some(variable) => Some(secret_from_env(variable)?),
            None => None,
        };
        registry_specs.push(registry.spec(secret)?);
    }
    let client = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut registry_ids = BTreeMap::new();
        for (entry, spec) in file.registries.iter().zip(&registry_specs) {
            let outcome = step(
                "registry endpoint",
                &entry.name,
                ensure_registry(&client, spec).await,
            )?;
            let id = outcome
                .id
                .ok_or_else(|| format!("registry endpoint {} has no id", entry.name))?;
            registry_ids.insert(entry.name.as_str(), id);
        }
        for project in &file.projects {
            step(
                "project",
                &project.name,
                ensure_project(&client, &project.spec()?).await,
            )?;
            for (member, spec) in project.members.iter().zip(project.member_specs()?) {
                let name = format!("{} of {}", member.user, project.name);
                step("member", &name, ensure_project_member(&client, &spec).await)?;
            }
        }
        for robot in &file.robots {
            let ensured = ensure_robot(&client, &robot.spec()?).await;
            let ensured = step("robot", &robot.name, ensured)?;
            if let Some(secret) = ensured.secret {
                save_robot_secret(cli, &robot.name, secret.secret())?;
            }
        }
        for rule in &file.replications {
            let id = registry_ids[rule.registry.as_str()];
            let result = ensure_replication_policy(&client, &rule.spec(id)?).await;
            step("replication rule", &rule.name, result)?;
        }
        Ok(())
    })
}

/// Prints `kind name VERB` for an outcome, or `kind name failed` and returns the error.
fn step<T>(
    kind: &str,
    name: &str,
    result: Result<harbor_client::tasks::Outcome<T>, harbor_client::Error>,
) -> Result<T, Box<dyn Error>> {
    match result {
        Ok(outcome) => {
            println!("{kind} {name} {}", outcome.verb());
            Ok(outcome.into_resource())
        }
        Err(error) => {
            println!("{kind} {name} failed");
            Err(error.into())
        }
    }
}

fn save_robot_secret(cli: &Cli, name: &str, secret: &SecretString) -> Result<(), Box<dyn Error>> {
    let Some(dir) = &cli.robot_secret_dir else {
        println!(
            "robot {name}: Harbor returned its secret once and it was not saved; pass --robot-secret-dir, or refresh the secret later"
        );
        return Ok(());
    };
    let path = dir.join(format!("{name}.secret"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .map_err(|error| format!("failed to create {}: {error}", path.display()))?;
    file.write_all(secret.expose_secret().as_bytes())?;
    println!("robot {name}: secret written to {}", path.display());
    Ok(())
}
