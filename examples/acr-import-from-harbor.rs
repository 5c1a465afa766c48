//! Import images from Harbor into Azure Container Registry with ACR's `importImage`, so ACR copies
//! them server-side and no image passes through the machine that runs this.
//!
//! ```sh
//! cargo run --example acr-import-from-harbor -- --dry-run
//! az login
//! HARBOR_ROBOT_SECRET=... cargo run --example acr-import-from-harbor -- \
//!     --subscription-id 0000... --resource-group rg --registry exampleacr \
//!     --harbor-host harbor.example.com --harbor-user 'robot$library+acr-import' \
//!     --image library/nginx:1.25.3 --image library/redis:7.2 --target-prefix harbor/
//! ```
//!
//! With `--pin-digest` (the default) the tag is first resolved to its digest in Harbor, so ACR
//! imports exactly the artifact that was there at that moment, under the same tag.

#[path = "common/azure_cli.rs"]
mod azure_cli;
#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;

use std::error::Error;
use std::process::ExitCode;

use acr_client::arm::ResourceId;
use acr_client::{API_VERSION, ImageName, ImageReference, ImportImage, RegistryName};
use clap::Parser;
use secrecy::SecretString;
use serde_json::json;

use dry_run::{REDACTED, error_chain};
use harbor_args::secret_from_env;

#[derive(Debug, Parser)]
#[command(about = "Import images from Harbor into ACR with importImage")]
struct Cli {
    /// Azure subscription id of the registry.
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
    subscription_id: String,
    /// Resource group of the registry.
    #[arg(long, default_value = "harbor-rg")]
    resource_group: String,
    /// ACR name, without `.azurecr.io`.
    #[arg(long, default_value = "exampleacr")]
    registry: String,
    /// Harbor host, with the port when it is not 443. An `https://` URL without a path is
    /// accepted too.
    #[arg(long, default_value = "harbor.example.test", value_parser = harbor_host)]
    harbor_host: String,
    /// Harbor robot account that ACR pulls with. Its secret is read from HARBOR_ROBOT_SECRET.
    #[arg(long, default_value = "robot$library+acr-import")]
    harbor_user: String,
    /// Image in Harbor as `PROJECT/REPOSITORY:TAG` or `PROJECT/REPOSITORY@DIGEST`. Repeat the
    /// flag for several. An image without a tag or digest is rejected rather than imported as
    /// `latest`.
    #[arg(long = "image", default_value = "library/nginx:1.25.3", value_parser = harbor_image)]
    images: Vec<String>,
    /// Prefix of the target repository in ACR, for example `harbor/`.
    #[arg(long, default_value = "")]
    target_prefix: String,
    /// Overwrite target tags that already exist in ACR.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    force: bool,
    /// Resolve each tag to its digest in Harbor before the import.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pin_digest: bool,
    /// Print the requests instead of sending them. Needs no Azure login and no environment
    /// variable.
    #[arg(long)]
    dry_run: bool,
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

/// Parses `--harbor-host`: a host with an optional port, or that host as an `https://` URL.
/// The `registryUri` of importImage carries no scheme and ACR connects over HTTPS, so an
/// `http://` URL is rejected.
fn harbor_host(value: &str) -> Result<String, String> {
    if value.starts_with("http://") {
        return Err(format!(
            "{value:?} uses http, but ACR connects to the import source over HTTPS: give the HTTPS host"
        ));
    }
    let host = value.strip_prefix("https://").unwrap_or(value);
    let host = host.strip_suffix('/').unwrap_or(host);
    if host.is_empty() || host.contains(['/', '?', '#', '@']) || host.contains(char::is_whitespace)
    {
        return Err(format!(
            "{value:?} is not a registry host: give host[:port], such as harbor.example.test:8443"
        ));
    }
    Ok(host.to_owned())
}

/// Parses `--image` with acr-client's image rules and requires a tag or a digest. ACR would
/// import an image without either as `latest`, which moves, so the operator names the version.
fn harbor_image(value: &str) -> Result<String, String> {
    let image = ImageName::parse(value).map_err(|error| error.to_string())?;
    if image.reference == ImageReference::Default {
        return Err(format!(
            "image {value:?} has no tag or digest, so ACR would import whatever `latest` points \
             at. Give PROJECT/REPOSITORY:TAG or PROJECT/REPOSITORY@sha256:<digest>"
        ));
    }
    Ok(value.to_owned())
}

/// Returns the target in ACR: the prefix plus `image` (a tagged image or a bare repository).
fn target(cli: &Cli, image: &str) -> String {
    format!("{}{image}", cli.target_prefix)
}

fn import(cli: &Cli, image: &str, password: SecretString) -> Result<ImportImage, Box<dyn Error>> {
    let mut builder = ImportImage::builder(image)
        .registry_uri(format!("https://{}", cli.harbor_host))
        .credentials(&cli.harbor_user, password)
        .force(cli.force)
        .pin_digest(cli.pin_digest);
    builder = match image.split_once('@') {
        Some((repository, _)) => builder.untagged_target_repository(target(cli, repository)),
        None => builder.target_tag(target(cli, image)),
    };
    Ok(builder.build()?)
}

/// Prints one `importImage` request per image, with the Harbor password redacted.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let registry = RegistryName::new(&cli.registry)?;
    let path = ResourceId::resource_group(&cli.subscription_id, &cli.resource_group)?
        .provider("Microsoft.ContainerRegistry")?
        .child("registries", registry.as_str())?
        .action("importImage")?;
    println!("Dry run: importImage requests to registry {registry}");
    println!("Each POST is a long-running operation that the client polls until it ends.");
    for image in &cli.images {
        let request = import(cli, image, SecretString::from(REDACTED.to_owned()))?;
        println!("\n# {} from {}", image, cli.harbor_host);
        // `harbor_image` accepted only images with a tag or a digest.
        let (repository, tag) = match image.split_once('@') {
            Some(_) => (image.as_str(), None),
            None => match image.rsplit_once(':') {
                Some((repository, tag)) => (repository, Some(tag)),
                None => (image.as_str(), None),
            },
        };
        let source_image = match (cli.pin_digest, tag) {
            (true, Some(tag)) => {
                println!(
                    "HEAD https://{}/v2/{repository}/manifests/{tag} (Harbor, to read the digest)",
                    cli.harbor_host
                );
                format!("{repository}@<digest of {repository}:{tag}>")
            }
            _ => image.clone(),
        };
        let mut body = json!({
            "source": {
                "sourceImage": source_image,
                "registryUri": cli.harbor_host,
                "credentials": {"username": cli.harbor_user, "password": REDACTED},
            },
            "mode": serde_json::to_value(request.mode())?,
        });
        match image.split_once('@') {
            Some((repository, _)) => {
                body["untaggedTargetRepositories"] = json!([target(cli, repository)]);
            }
            None => body["targetTags"] = json!([target(cli, image)]),
        }
        println!("POST https://management.azure.com{path}?api-version={API_VERSION}");
        for line in serde_json::to_string_pretty(&body)?.lines() {
            println!("  {line}");
        }
    }
    Ok(())
}

fn apply(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let password = secret_from_env("HARBOR_ROBOT_SECRET")?;
    let registry = RegistryName::new(&cli.registry)?;
    let mut requests = Vec::new();
    for image in &cli.images {
        requests.push((image, import(cli, image, password.clone())?));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let acr = azure_cli::acr_client(&cli.subscription_id, &cli.resource_group)?;
        let mut failed = 0;
        for (image, request) in &requests {
            match acr.import_image(&registry, request).await {
                Ok(result) => println!(
                    "image {image} imported as {:?} ({})",
                    result.target_tags,
                    result.digest.as_deref().unwrap_or("digest not pinned")
                ),
                Err(error) => {
                    failed += 1;
                    println!("image {image} failed: {}", error_chain(&error));
                }
            }
        }
        if failed > 0 {
            return Err(format!("{failed} of {} imports failed", requests.len()).into());
        }
        Ok(())
    })
}
