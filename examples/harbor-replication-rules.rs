//! Create Harbor replication rules: pull from Docker Hub, from another Harbor and from ACR, and
//! push to ACR.
//!
//! ```sh
//! cargo run --example harbor-replication-rules -- --dry-run
//! HARBOR_PASSWORD=... cargo run --example harbor-replication-rules -- \
//!     --url https://harbor.example.com --start push-to-acr
//! cargo run --example harbor-replication-rules -- --replicate-to-acr --dry-run
//! az login
//! HARBOR_PASSWORD=... cargo run --example harbor-replication-rules -- \
//!     --url https://harbor.example.com --replicate-to-acr --config my-harbor.toml
//! ```
//!
//! The rules name their remote registries by endpoint name (`docker-hub`, `harbor-peer`, `acr`,
//! as the `harbor-registry-endpoints` example creates them) and look up the endpoint ids first.
//!
//! With `--replicate-to-acr` the example runs the `replicate_to_acr` workflow instead, from the
//! `[acr]` section of a deployment configuration (default: the bundled `examples/harbor.toml`).
//! The workflow ensures the ACR scope map and token, a token password when Harbor needs one,
//! the ACR endpoint checked by ping, the push rule, and one run.

#[path = "common/azure_cli.rs"]
mod azure_cli;
#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use harbor_azure::config::Config;
use harbor_azure::plan::{Plan, Preset, SecretMode, load_chart_keys, load_chart_keys_from};
use harbor_azure::workflows::replicate_to_acr::{self, ReplicateToAcrInput};
use harbor_client::generated::operations::registry::ListRegistries;
use harbor_client::generated::operations::replication::{
    CreateReplicationPolicy, ListReplicationPolicies,
};
use harbor_client::paging::DEFAULT_PAGE_SIZE;
use harbor_client::tasks::replication::{
    Destination, Direction, Filter, Trigger, start_replication, wait_for_replication,
};
use harbor_client::tasks::{
    ReplicationPolicySpec, WaitOptions, ensure_replication_policy, find_registry,
};
use harbor_client::{Body, Request};
use serde_json::Value;

use dry_run::{error_chain, print_request};
use harbor_args::HarborArgs;

/// The bundled deployment configuration.
const DEFAULT_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml");

#[derive(Debug, Parser)]
#[command(about = "Ensure replication rules between Harbor, Docker Hub, a peer Harbor and ACR")]
struct Cli {
    #[command(flatten)]
    harbor: HarborArgs,
    /// Cron schedule (Harbor's six fields, seconds first) of the Docker Hub pull rule.
    #[arg(long, default_value = "0 0 2 * * *")]
    dockerhub_cron: String,
    /// Name of a rule to run once after ensuring it and to wait for. Repeat the flag for several.
    #[arg(long, value_name = "RULE")]
    start: Vec<String>,
    /// Maximum time to wait for each started run, in seconds.
    #[arg(long, default_value_t = 1800)]
    wait_seconds: u64,
    /// Run the replicate_to_acr workflow from the `[acr]` section of `--config` instead of
    /// ensuring the four rules. Needs an Azure CLI login unless `--dry-run` is given.
    #[arg(long)]
    replicate_to_acr: bool,
    /// Deployment configuration (TOML) that `--replicate-to-acr` reads. Default:
    /// examples/harbor.toml of this repository.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// values.yaml of Harbor chart 1.19.2 that `--replicate-to-acr` checks the plan against.
    /// Default: harbor-helm/chart/values.yaml in HARBOR_AZURE_SPECS, or in ../shared/specs next
    /// to the repository.
    #[arg(long, value_name = "PATH")]
    chart_values: Option<PathBuf>,
    /// Print the requests instead of sending them, or the workflow's plan with
    /// `--replicate-to-acr`. Needs no environment variable.
    #[arg(long)]
    dry_run: bool,
}

/// A replication rule and the name of the registry endpoint it pulls from or pushes to.
#[derive(Debug)]
struct Rule {
    name: &'static str,
    endpoint: &'static str,
    push: bool,
    description: &'static str,
    filters: Vec<Filter>,
    destination: Destination,
    trigger: Trigger,
    /// Repository the rule matches, used to show where it lands.
    sample_repository: &'static str,
}

fn rules(cli: &Cli) -> Result<Vec<Rule>, Box<dyn Error>> {
    Ok(vec![
        Rule {
            name: "pull-dockerhub-nginx",
            endpoint: "docker-hub",
            push: false,
            description: "Mirror the official nginx 1.x images from Docker Hub",
            filters: vec![Filter::name("library/nginx"), Filter::tag("1.*").into()],
            destination: Destination::new("dockerhub", Some(1)),
            trigger: Trigger::parse("scheduled", Some(&cli.dockerhub_cron))?,
            sample_repository: "library/nginx",
        },
        Rule {
            name: "pull-peer-harbor",
            endpoint: "harbor-peer",
            push: false,
            description: "Copy the library project of the peer Harbor",
            filters: vec![Filter::name("library/**")],
            destination: Destination::new("peer", Some(1)),
            trigger: Trigger::parse("manual", None)?,
            sample_repository: "library/app",
        },
        Rule {
            name: "pull-acr-base",
            endpoint: "acr",
            push: false,
            description: "Copy the base images from ACR",
            filters: vec![Filter::name("base/**")],
            destination: Destination::new("acr-base", Some(1)),
            trigger: Trigger::parse("manual", None)?,
            sample_repository: "base/dotnet",
        },
        Rule {
            name: "push-to-acr",
            endpoint: "acr",
            push: true,
            description: "Push every library artifact to ACR when it is pushed to Harbor",
            filters: vec![Filter::name("library/**")],
            destination: Destination::new("harbor", Some(1)),
            trigger: Trigger::parse("event_based", None)?,
            sample_repository: "library/app",
        },
    ])
}

/// Builds the policy of `rule` for the endpoint with id `registry_id`.
fn spec(rule: &Rule, registry_id: i64) -> Result<ReplicationPolicySpec, Box<dyn Error>> {
    let direction = if rule.push {
        Direction::Push {
            destination_registry_id: registry_id,
        }
    } else {
        Direction::Pull {
            source_registry_id: registry_id,
        }
    };
    let mut spec = ReplicationPolicySpec::new(rule.name, direction)?
        .description(rule.description)
        .destination(rule.destination.clone())?
        .trigger(rule.trigger.clone())?;
    for filter in &rule.filters {
        spec = spec.filter(filter.clone())?;
    }
    Ok(spec)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match (cli.replicate_to_acr, cli.dry_run) {
        (true, true) => plan_replicate_to_acr(&cli),
        (true, false) => apply_replicate_to_acr(&cli),
        (false, true) => dry_run(&cli),
        (false, false) => apply(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Prints the requests for a Harbor that has the endpoints but none of the rules. Each endpoint
/// id is shown as `<id of endpoint NAME>`, because only the lookup returns it.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let base = &cli.harbor.url;
    println!(
        "Dry run: requests to {base} as {} for a Harbor without these rules",
        cli.harbor.username
    );
    for rule in rules(cli)? {
        let direction = if rule.push { "push to" } else { "pull from" };
        println!("\n# rule {} ({direction} {})", rule.name, rule.endpoint);
        print_request(
            base,
            &ListRegistries::new()
                .name(rule.endpoint)
                .page(1)
                .page_size(DEFAULT_PAGE_SIZE)
                .build()?,
        );
        print_request(
            base,
            &ListReplicationPolicies::new()
                .name(rule.name)
                .page(1)
                .page_size(DEFAULT_PAGE_SIZE)
                .build()?,
        );
        let create = CreateReplicationPolicy::new(spec(&rule, 1)?.to_model()).build()?;
        print_request(base, &with_endpoint_placeholder(create, rule.endpoint)?);
        let destination = spec(&rule, 1)?.preview_destination(rule.sample_repository)?;
        println!("  ({} lands in {destination})", rule.sample_repository);
    }
    Ok(())
}

/// Replaces the registry id in `src_registry` or `dest_registry` with a placeholder naming the
/// endpoint.
fn with_endpoint_placeholder(
    mut request: Request,
    endpoint: &str,
) -> Result<Request, Box<dyn Error>> {
    let Body::Json(bytes) = &request.body else {
        return Ok(request);
    };
    let mut body: Value = serde_json::from_slice(bytes)?;
    for key in ["src_registry", "dest_registry"] {
        if let Some(registry) = body.get_mut(key).and_then(Value::as_object_mut) {
            registry.insert(
                "id".to_owned(),
                Value::String(format!("<id of endpoint {endpoint}>")),
            );
        }
    }
    request.body = Body::Json(serde_json::to_vec(&body)?);
    Ok(request)
}

fn apply(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let rules = rules(cli)?;
    let client = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut failed = 0;
        let mut ids = Vec::new();
        for rule in &rules {
            match ensure_rule(&client, rule).await {
                Ok((verb, id)) => {
                    println!("rule {} {verb}", rule.name);
                    ids.push((rule.name, id));
                }
                Err(error) => {
                    failed += 1;
                    println!("rule {} failed: {}", rule.name, error_chain(error.as_ref()));
                }
            }
        }
        for name in &cli.start {
            let Some((_, id)) = ids.iter().find(|(rule, _)| rule == name) else {
                return Err(format!(
                    "rule {name} was not ensured; --start takes one of the rule names above"
                )
                .into());
            };
            let execution = start_replication(&client, *id).await?;
            println!("rule {name} started as execution {execution}");
            let options = WaitOptions::with_timeout(Duration::from_secs(cli.wait_seconds));
            let finished = wait_for_replication(&client, execution, options).await?;
            println!("rule {name} execution {execution} finished: {finished:?}");
        }
        if failed > 0 {
            return Err(format!("{failed} of {} rules failed", rules.len()).into());
        }
        Ok(())
    })
}

/// Looks up the rule's endpoint and ensures the rule. Returns the outcome verb and the policy id.
async fn ensure_rule(
    client: &harbor_client::Client,
    rule: &Rule,
) -> Result<(&'static str, i64), Box<dyn Error>> {
    let registry = find_registry(client, rule.endpoint).await?.ok_or_else(|| {
        format!(
            "registry endpoint {} not found; create it first, for example with the harbor-registry-endpoints example",
            rule.endpoint
        )
    })?;
    let registry_id = registry
        .id
        .ok_or_else(|| format!("registry endpoint {} has no id", rule.endpoint))?;
    let outcome = ensure_replication_policy(client, &spec(rule, registry_id)?).await?;
    let id = outcome
        .resource()
        .id
        .ok_or_else(|| format!("replication rule {} has no id", rule.name))?;
    Ok((outcome.verb(), id))
}

/// Builds the workflow input from the configuration's deployment plan, so the workflow uses the
/// names of the main job. The plan needs the Harbor chart's values.yaml from the specs folder, and
/// reads no secret.
fn replicate_to_acr_input(
    cli: &Cli,
) -> Result<(ReplicateToAcrInput, harbor_azure::plan::AcrPlan), Box<dyn Error>> {
    let config_path = config_path(cli);
    let config = Config::load(&config_path)?;
    let chart_keys = match &cli.chart_values {
        Some(path) => load_chart_keys_from(path)?,
        None => load_chart_keys(Path::new(env!("CARGO_MANIFEST_DIR")))?,
    };
    let plan = Plan::build(
        &config,
        Preset::ManagedDisks,
        &chart_keys,
        SecretMode::Placeholder,
    )?;
    let acr = plan.acr.ok_or_else(|| {
        format!(
            "{} has no [acr] section; add one to replicate to ACR",
            config_path.display()
        )
    })?;
    let input = ReplicateToAcrInput::from_plan(&acr, &plan.harbor)?.wait(
        WaitOptions::with_timeout(Duration::from_secs(cli.wait_seconds)),
    );
    Ok((input, acr))
}

/// Returns `--config`, or the sample configuration of this repository.
fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
}

/// Prints the workflow's steps without sending a request.
fn plan_replicate_to_acr(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let (input, acr) = replicate_to_acr_input(cli)?;
    let config_path = config_path(cli);
    println!(
        "Dry run: replicate_to_acr from {} for registry {} in resource group {}, Harbor at {} as {}",
        config_path.display(),
        acr.registry,
        acr.resource_group,
        cli.harbor.url,
        cli.harbor.username
    );
    print!("{}", replicate_to_acr::plan(&input));
    Ok(())
}

/// Runs the workflow and prints one line per step, then the run's task counts.
///
/// NOTE: this path has run only against the fakes of the workflow tests, not against a real
/// ACR or Harbor.
fn apply_replicate_to_acr(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let (input, acr_plan) = replicate_to_acr_input(cli)?;
    let harbor = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let acr = azure_cli::acr_client(&acr_plan.subscription_id, &acr_plan.resource_group)?;
        let report = replicate_to_acr::apply(&acr, &harbor, &input).await?;
        print!("{report}");
        match (report.failure(), report.error()) {
            (Some(step), Some(error)) => Err(format!(
                "replicate_to_acr stopped at {} {}: {}",
                step.action,
                step.target,
                error_chain(error)
            )
            .into()),
            _ => Ok(()),
        }
    })
}
