//! A CI step for GitOps: find the newest artifact of a Harbor repository and pin its digest in a
//! Kubernetes manifest or a Helm values file of a checkout, for Argo CD or Flux to roll out.
//!
//! ```sh
//! cargo run --example gitops-pin-digest -- --dry-run --file deploy/api.yaml
//! HARBOR_PASSWORD=... cargo run --example gitops-pin-digest -- --url https://harbor.example.com \
//!     --project library --repository app/api --file deploy/api.yaml
//! cargo run --example gitops-pin-digest -- --format helm-values --file values.yaml \
//!     --digest sha256:0123...  # a digest from an earlier step; sends no request
//! ```
//!
//! The file is rewritten in place, line by line, and the changed lines are printed. Committing
//! and pushing the checkout is left to the pipeline.

#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;
#[path = "gitops-pin-digest/pin.rs"]
mod pin;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use harbor_client::generated::operations::artifact::ListArtifacts;

use dry_run::{error_chain, print_request};
use harbor_args::HarborArgs;
use pin::{Change, check_digest, has_repository_line, pin_helm_values, pin_manifest};

/// Digest shown in a dry run, where no request reads the real one.
const PLACEHOLDER_DIGEST: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Parser)]
#[command(
    about = "Pin the newest digest of a Harbor repository in a GitOps manifest or values file"
)]
struct Cli {
    #[command(flatten)]
    harbor: HarborArgs,
    /// Project of the repository.
    #[arg(long, default_value = "library")]
    project: String,
    /// Repository below the project, for example `app/api`.
    #[arg(long, default_value = "app/api")]
    repository: String,
    /// Image name as the file writes it. Default: the Harbor host, project and repository.
    #[arg(long)]
    image: Option<String>,
    /// Manifest or values file to rewrite.
    #[arg(long, value_name = "PATH")]
    file: PathBuf,
    /// Layout of the file.
    #[arg(long, value_enum, default_value_t = Format::Manifest)]
    format: Format,
    /// Digest to pin, instead of looking up the newest artifact.
    #[arg(long)]
    digest: Option<String>,
    /// Print the lookup request and the changed lines without writing the file. Needs no
    /// environment variable.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Kubernetes manifests: every `IMAGE:tag` or `IMAGE@digest` becomes `IMAGE@DIGEST`.
    Manifest,
    /// Helm values: `digest:` is set next to `repository: IMAGE`.
    HelmValues,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Returns the image name the file uses: `--image`, or the Harbor host with the repository path.
fn image(cli: &Cli) -> String {
    if let Some(image) = &cli.image {
        return image.clone();
    }
    let host = cli
        .harbor
        .url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    format!("{host}/{}/{}", cli.project, cli.repository)
}

fn lookup(cli: &Cli) -> ListArtifacts<()> {
    ListArtifacts::new(&cli.project, &cli.repository)
        .sort("-push_time")
        .page(1)
        .page_size(1)
}

fn run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(&cli.file)
        .map_err(|error| format!("failed to read {}: {error}", cli.file.display()))?;
    let digest = match (&cli.digest, cli.dry_run) {
        (Some(digest), _) => digest.clone(),
        (None, true) => {
            println!(
                "# Dry run: newest artifact of {}/{}",
                cli.project, cli.repository
            );
            print_request(&cli.harbor.url, &lookup(cli).build()?);
            PLACEHOLDER_DIGEST.to_owned()
        }
        (None, false) => newest_digest(cli)?,
    };
    check_digest(&digest)?;

    let image = image(cli);
    let (new_text, changes) = match cli.format {
        Format::Manifest => pin_manifest(&text, &image, &digest),
        Format::HelmValues => pin_helm_values(&text, &image, &digest),
    };
    if changes.is_empty() && new_text == text {
        if !text.contains(&image) {
            return Err(format!(
                "{} does not mention image {image}; pass --image with the name the file uses",
                cli.file.display()
            )
            .into());
        }
        // The file names the image, but in a form the chosen format does not rewrite.
        let pinned = match cli.format {
            Format::Manifest => text.contains(&format!("{image}@{digest}")),
            Format::HelmValues => has_repository_line(&text, &image),
        };
        if !pinned {
            let hint = match cli.format {
                Format::Manifest => format!(
                    "no `{image}:tag` or `{image}@digest` reference; for a Helm values file with \
                     `repository: {image}` pass --format helm-values"
                ),
                Format::HelmValues => format!(
                    "no `repository: {image}` line; for references such as `{image}:tag` pass \
                     --format manifest"
                ),
            };
            return Err(format!(
                "{} mentions image {image} but has {hint}",
                cli.file.display()
            )
            .into());
        }
        println!(
            "{} unchanged: {image} is already pinned to {digest}",
            cli.file.display()
        );
        return Ok(());
    }
    print_changes(cli, &changes);
    if cli.dry_run {
        println!("# Dry run: {} not written", cli.file.display());
        return Ok(());
    }
    std::fs::write(&cli.file, new_text)
        .map_err(|error| format!("failed to write {}: {error}", cli.file.display()))?;
    println!("{} updated: {image}@{digest}", cli.file.display());
    Ok(())
}

fn print_changes(cli: &Cli, changes: &[Change]) {
    for change in changes {
        println!("{}:{}", cli.file.display(), change.line);
        if !change.old.is_empty() {
            println!("-{}", change.old);
        }
        println!("+{}", change.new);
    }
}

/// Reads the digest of the most recently pushed artifact.
fn newest_digest(cli: &Cli) -> Result<String, Box<dyn Error>> {
    let client = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let page = client
            .list_artifacts(&cli.project, &cli.repository)
            .sort("-push_time")
            .page(1)
            .page_size(1)
            .send()
            .await?;
        let artifact = page.items.into_iter().next().ok_or_else(|| {
            format!(
                "repository {}/{} has no artifacts",
                cli.project, cli.repository
            )
        })?;
        let digest = artifact
            .digest
            .ok_or("Harbor returned an artifact without a digest")?;
        println!(
            "newest artifact of {}/{}: {digest} pushed {}",
            cli.project,
            cli.repository,
            artifact
                .push_time
                .as_deref()
                .unwrap_or("at an unknown time")
        );
        Ok(digest)
    })
}
