//! Create Harbor registry endpoints for another Harbor, Docker Hub and Azure Container Registry.
//!
//! ```sh
//! cargo run --example harbor-registry-endpoints -- --dry-run
//! HARBOR_PASSWORD=... PEER_HARBOR_SECRET=... DOCKERHUB_TOKEN=... ACR_TOKEN_PASSWORD=... \
//!     cargo run --example harbor-registry-endpoints -- --url https://harbor.example.com \
//!     --peer-url https://harbor-dr.example.com --peer-user 'robot$replicator' \
//!     --dockerhub-user example --acr-login-server exampleacr.azurecr.io --acr-user harbor-pull
//! ```
//!
//! Harbor tests the connection before it saves an endpoint, so a wrong secret fails the step and
//! saves nothing. Pass `--skip NAME` to leave one of the three out.

#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;

use std::error::Error;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use harbor_client::generated::Secret;
use harbor_client::generated::models::{Registry, RegistryCredential, RegistryPing};
use harbor_client::generated::operations::registry::{
    CreateRegistry, ListRegistries, PingRegistry,
};
use harbor_client::paging::DEFAULT_PAGE_SIZE;
use harbor_client::tasks::{Provider, RegistrySpec, ensure_registry};
use secrecy::SecretString;

use dry_run::{REDACTED, error_chain, print_request};
use harbor_args::{HarborArgs, secret_from_env};

#[derive(Debug, Parser)]
#[command(about = "Ensure registry endpoints in Harbor for a peer Harbor, Docker Hub and ACR")]
struct Cli {
    #[command(flatten)]
    harbor: HarborArgs,
    /// URL of the other Harbor instance.
    #[arg(long, default_value = "https://harbor-peer.example.test")]
    peer_url: String,
    /// User or robot account on the other Harbor. Its secret is read from PEER_HARBOR_SECRET.
    #[arg(long, default_value = "robot$replicator")]
    peer_user: String,
    /// Docker Hub user. Its access token is read from DOCKERHUB_TOKEN.
    #[arg(long, default_value = "example")]
    dockerhub_user: String,
    /// ACR login server, for example `exampleacr.azurecr.io`.
    #[arg(long, default_value = "exampleacr.azurecr.io")]
    acr_login_server: String,
    /// ACR token or service principal name. Its password is read from ACR_TOKEN_PASSWORD.
    #[arg(long, default_value = "harbor-pull")]
    acr_user: String,
    /// Endpoint to leave out. Repeat the flag for several.
    #[arg(long, value_enum)]
    skip: Vec<EndpointKind>,
    /// Print the requests instead of sending them. Needs no environment variable.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EndpointKind {
    /// The other Harbor, as endpoint `harbor-peer`.
    Harbor,
    /// Docker Hub, as endpoint `docker-hub`.
    DockerHub,
    /// Azure Container Registry, as endpoint `acr`.
    Acr,
}

/// One endpoint to ensure: its name, provider, URL, access key and the variable with the secret.
#[derive(Debug)]
struct Endpoint {
    name: &'static str,
    provider: Provider,
    url: String,
    access_key: String,
    secret_variable: &'static str,
}

fn endpoints(cli: &Cli) -> Vec<Endpoint> {
    let all = [
        (
            EndpointKind::Harbor,
            Endpoint {
                name: "harbor-peer",
                provider: Provider::Harbor,
                url: cli.peer_url.clone(),
                access_key: cli.peer_user.clone(),
                secret_variable: "PEER_HARBOR_SECRET",
            },
        ),
        (
            EndpointKind::DockerHub,
            Endpoint {
                name: "docker-hub",
                provider: Provider::DockerHub,
                url: "https://hub.docker.com".to_owned(),
                access_key: cli.dockerhub_user.clone(),
                secret_variable: "DOCKERHUB_TOKEN",
            },
        ),
        (
            EndpointKind::Acr,
            Endpoint {
                name: "acr",
                provider: Provider::AzureAcr,
                url: format!("https://{}", cli.acr_login_server),
                access_key: cli.acr_user.clone(),
                secret_variable: "ACR_TOKEN_PASSWORD",
            },
        ),
    ];
    all.into_iter()
        .filter(|(kind, _)| !cli.skip.contains(kind))
        .map(|(_, endpoint)| endpoint)
        .collect()
}

fn spec(endpoint: &Endpoint, secret: SecretString) -> Result<RegistrySpec, Box<dyn Error>> {
    Ok(
        RegistrySpec::new(endpoint.name, endpoint.provider, &endpoint.url)?
            .credential(&endpoint.access_key, secret)?,
    )
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

/// Prints the requests for a Harbor without these endpoints: look up by name, test the
/// connection, create. An existing endpoint is tested and updated only when a field differs.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let base = &cli.harbor.url;
    println!(
        "Dry run: requests to {base} as {} for a Harbor without these endpoints",
        cli.harbor.username
    );
    for endpoint in endpoints(cli) {
        spec(&endpoint, SecretString::from(REDACTED.to_owned()))?;
        let url = endpoint.url.trim_end_matches('/').to_owned();
        println!(
            "\n# endpoint {} ({}, secret from {})",
            endpoint.name,
            endpoint.provider.as_str(),
            endpoint.secret_variable
        );
        print_request(
            base,
            &ListRegistries::new()
                .name(endpoint.name)
                .page(1)
                .page_size(DEFAULT_PAGE_SIZE)
                .build()?,
        );
        let ping = RegistryPing {
            id: None,
            r#type: Some(endpoint.provider.as_str().to_owned()),
            url: Some(url.clone()),
            credential_type: Some("basic".to_owned()),
            access_key: Some(endpoint.access_key.clone()),
            access_secret: Some(Secret::new(REDACTED)),
            insecure: Some(false),
            ca_certificate: None,
        };
        print_request(base, &PingRegistry::new(ping).build()?);
        let registry = Registry {
            url: Some(url),
            name: Some(endpoint.name.to_owned()),
            credential: Some(RegistryCredential {
                r#type: Some("basic".to_owned()),
                access_key: Some(endpoint.access_key.clone()),
                access_secret: Some(Secret::new(REDACTED)),
            }),
            r#type: Some(endpoint.provider.as_str().to_owned()),
            insecure: Some(false),
            ..Registry::default()
        };
        print_request(base, &CreateRegistry::new(registry).build()?);
    }
    Ok(())
}

fn apply(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let mut specs = Vec::new();
    for endpoint in endpoints(cli) {
        let secret = secret_from_env(endpoint.secret_variable)?;
        specs.push(spec(&endpoint, secret)?);
    }
    let client = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut failed = 0;
        for (endpoint, spec) in endpoints(cli).iter().zip(&specs) {
            match ensure_registry(&client, spec).await {
                Ok(outcome) => println!("endpoint {} {}", endpoint.name, outcome.verb()),
                Err(error) => {
                    failed += 1;
                    println!("endpoint {} failed: {}", endpoint.name, error_chain(&error));
                }
            }
        }
        if failed > 0 {
            return Err(format!("{failed} of {} endpoints failed", specs.len()).into());
        }
        Ok(())
    })
}
