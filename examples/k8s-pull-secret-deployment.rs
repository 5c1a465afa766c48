//! Create a namespace, an image pull Secret for Harbor and a Deployment that runs a Harbor image.
//!
//! ```sh
//! cargo run --example k8s-pull-secret-deployment -- --dry-run
//! HARBOR_ROBOT_SECRET=... cargo run --example k8s-pull-secret-deployment -- \
//!     --registry harbor.example.com --robot 'robot$library+pull' \
//!     --image harbor.example.com/library/app/api:1.4.2 --namespace app --name api
//! ```
//!
//! Every object goes to the current kubeconfig context with server-side apply (field manager
//! `harbor-azure`), so a second run changes nothing.

#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;

use std::error::Error;
use std::process::ExitCode;

use aks_deploy::kube_apply::{Applier, FIELD_MANAGER};
use aks_deploy::manifests::{
    RegistryCredentials, WorkloadSpec, namespace, pull_secret, registry_key, spread_deployment,
};
use aks_deploy::names::{DnsLabel, DnsSubdomain};
use clap::Parser;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use secrecy::SecretString;
use serde_json::Value;

use dry_run::{REDACTED, error_chain};
use harbor_args::secret_from_env;

#[derive(Debug, Parser)]
#[command(about = "Apply a namespace, a Harbor pull Secret and a Deployment of a Harbor image")]
struct Cli {
    /// Namespace of the Secret and the Deployment (an RFC 1123 DNS label); created when it is
    /// missing.
    #[arg(long, default_value = "app")]
    namespace: DnsLabel,
    /// Harbor host that serves the image.
    #[arg(long, default_value = "harbor.example.test")]
    registry: String,
    /// Harbor robot account that pulls. Its secret is read from HARBOR_ROBOT_SECRET.
    #[arg(long, default_value = "robot$library+pull")]
    robot: String,
    /// Name of the pull Secret (an RFC 1123 DNS subdomain).
    #[arg(long, default_value = "harbor-pull")]
    secret_name: DnsSubdomain,
    /// Name of the Deployment and its container (an RFC 1123 DNS label).
    #[arg(long, default_value = "api")]
    name: DnsLabel,
    /// Image to run, from the Harbor host.
    #[arg(long, default_value = "harbor.example.test/library/app/api:1.4.2")]
    image: String,
    /// Number of pods, spread over zones.
    #[arg(long, default_value_t = 3)]
    replicas: i32,
    /// Container port that serves HTTP.
    #[arg(long, default_value_t = 8080)]
    port: i32,
    /// HTTP path of the readiness and liveness probes.
    #[arg(long, default_value = "/healthz")]
    probe_path: String,
    /// Print the manifests instead of applying them. Needs no cluster and no environment variable.
    #[arg(long)]
    dry_run: bool,
}

/// The three objects in the order they are applied.
#[derive(Debug)]
struct Objects {
    namespace: Namespace,
    secret: Secret,
    deployment: Deployment,
}

fn objects(cli: &Cli, robot_secret: SecretString) -> Result<Objects, Box<dyn Error>> {
    // The pull Secret has one config.json key, so the image must come from that host.
    let registry_host = registry_key(&cli.registry)?;
    let image_host = cli.image.split('/').next().unwrap_or_default();
    if !image_host.eq_ignore_ascii_case(&registry_host) {
        return Err(format!(
            "image {} is not on registry {registry_host}; use an image from {registry_host} or pass --registry {image_host}",
            cli.image
        )
        .into());
    }
    let credentials = RegistryCredentials {
        registry: cli.registry.clone(),
        username: cli.robot.clone(),
        password: robot_secret,
    };
    let secret = pull_secret(
        cli.secret_name.as_str(),
        cli.namespace.as_str(),
        &[credentials],
    )?;
    let deployment = spread_deployment(&WorkloadSpec {
        name: cli.name.to_string(),
        namespace: cli.namespace.to_string(),
        image: cli.image.clone(),
        port: cli.port,
        probe_path: cli.probe_path.clone(),
        replicas: cli.replicas,
        cpu: ("100m".to_owned(), "500m".to_owned()),
        memory: ("128Mi".to_owned(), "256Mi".to_owned()),
        image_pull_secret: Some(cli.secret_name.to_string()),
    })?;
    Ok(Objects {
        namespace: namespace(cli.namespace.as_str())?,
        secret,
        deployment,
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

/// Prints the three manifests as one YAML stream, with the Secret's data redacted.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let objects = objects(cli, SecretString::from(REDACTED.to_owned()))?;
    println!("# Dry run: server-side apply with field manager {FIELD_MANAGER}, in this order");
    print_yaml(serde_json::to_value(&objects.namespace)?)?;
    let mut secret = serde_json::to_value(&objects.secret)?;
    if let Some(data) = secret.get_mut("data").and_then(Value::as_object_mut) {
        for value in data.values_mut() {
            *value = Value::String(REDACTED.to_owned());
        }
    }
    print_yaml(secret)?;
    print_yaml(serde_json::to_value(&objects.deployment)?)?;
    Ok(())
}

fn print_yaml(object: Value) -> Result<(), Box<dyn Error>> {
    println!("---");
    print!("{}", serde_saphyr::to_string(&object)?);
    Ok(())
}

fn apply(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let robot_secret = secret_from_env("HARBOR_ROBOT_SECRET")?;
    let objects = objects(cli, robot_secret)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let client = kube::Client::try_default().await.map_err(|error| {
            format!("no Kubernetes cluster from the current kubeconfig: {error}")
        })?;
        let applier = Applier::new(client);
        applier.apply_cluster(&objects.namespace).await?;
        println!("namespace {} applied", cli.namespace);
        applier.apply_namespaced(&objects.secret).await?;
        println!("secret {}/{} applied", cli.namespace, cli.secret_name);
        applier.apply_namespaced(&objects.deployment).await?;
        println!("deployment {}/{} applied", cli.namespace, cli.name);
        Ok(())
    })
}
