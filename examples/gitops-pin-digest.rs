//! A CI step for GitOps: read the digest of an image's tag in Harbor and pin it in a Kubernetes
//! manifest or a Helm values file of a checkout, for Argo CD or Flux to roll out.
//!
//! By default the tag is the one the file already uses (`IMAGE:1.4.2` becomes
//! `IMAGE:1.4.2@sha256:…`), so a pinned file never moves to another version. `--tag` pins
//! another tag, `--newest` the most recently pushed artifact, and `--digest` a digest from an
//! earlier step without any request.
//!
//! ```sh
//! cargo run --example gitops-pin-digest -- --dry-run --file deploy/api.yaml
//! HARBOR_PASSWORD=... cargo run --example gitops-pin-digest -- --url https://harbor.example.com \
//!     --project library --repository app/api --file deploy/api.yaml --tag 1.5.0
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
use harbor_client::generated::operations::artifact::{GetArtifact, ListArtifacts};

use dry_run::{error_chain, print_request};
use harbor_args::HarborArgs;
use pin::{
    Change, check_digest, check_tag, has_repository_line, helm_tags, manifest_tags,
    pin_helm_values, pin_manifest,
};

#[derive(Debug, Parser)]
#[command(about = "Pin the digest of an image tag in Harbor in a GitOps manifest or values file")]
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
    /// Tag whose digest is pinned. Default: the tag the file uses for the image.
    #[arg(long, conflicts_with_all = ["digest", "newest"])]
    tag: Option<String>,
    /// Pin the most recently pushed artifact instead of a tag. Manifest references lose their
    /// tag, because the newest artifact may have another version. A Helm values file keeps its
    /// `tag:` key, and the chart decides whether `digest:` wins over it.
    #[arg(long, conflicts_with = "digest")]
    newest: bool,
    /// Digest to pin, instead of looking one up. Tags are handled as with --newest.
    #[arg(long)]
    digest: Option<String>,
    /// Print the lookup request and the changed lines without writing the file. Needs no
    /// environment variable.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Kubernetes manifests: every `IMAGE:tag` or `IMAGE@digest` becomes `IMAGE:TAG@DIGEST`, or
    /// `IMAGE@DIGEST` with --newest or --digest.
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

/// Source of the pinned digest: a digest given on the command line, the digest of a tag, or the
/// newest artifact's digest.
#[derive(Debug)]
enum Target {
    Digest(String),
    Tag(String),
    Newest,
}

/// Picks the target from the options, or from the one tag the file uses for `image`.
fn target(cli: &Cli, text: &str, image: &str) -> Result<Target, Box<dyn Error>> {
    if let Some(digest) = &cli.digest {
        return Ok(Target::Digest(digest.clone()));
    }
    if cli.newest {
        return Ok(Target::Newest);
    }
    if let Some(tag) = &cli.tag {
        check_tag(tag).map_err(|error| format!("--tag: {error}"))?;
        return Ok(Target::Tag(tag.clone()));
    }
    let tags = match cli.format {
        Format::Manifest => manifest_tags(text, image),
        Format::HelmValues => helm_tags(text, image),
    };
    for tag in &tags {
        check_tag(tag).map_err(|error| format!("{}: {error}", cli.file.display()))?;
    }
    let mut tags = tags.into_iter();
    match (tags.next(), tags.next()) {
        (Some(tag), None) => Ok(Target::Tag(tag)),
        (None, _) => Err(format!(
            "{} has no tag for image {image} to pin; pass --tag, --newest or --digest",
            cli.file.display()
        )
        .into()),
        (Some(first), Some(second)) => {
            let all: Vec<String> = [first, second].into_iter().chain(tags).collect();
            Err(format!(
                "{} uses several tags for image {image} ({}); pass --tag to pin one of them",
                cli.file.display(),
                all.join(", ")
            )
            .into())
        }
    }
}

fn tag_lookup(cli: &Cli, tag: &str) -> GetArtifact<()> {
    GetArtifact::new(&cli.project, &cli.repository, tag)
}

fn newest_lookup(cli: &Cli) -> ListArtifacts<()> {
    ListArtifacts::new(&cli.project, &cli.repository)
        .sort("-push_time")
        .page(1)
        .page_size(1)
}

fn run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(&cli.file)
        .map_err(|error| format!("failed to read {}: {error}", cli.file.display()))?;
    let image = image(cli);
    let target = target(cli, &text, &image)?;
    let digest = match (&target, cli.dry_run) {
        (Target::Digest(digest), _) => {
            check_digest(digest)?;
            digest.clone()
        }
        (Target::Tag(tag), true) => {
            println!(
                "# Dry run: digest of {}/{}:{tag}",
                cli.project, cli.repository
            );
            print_request(&cli.harbor.url, &tag_lookup(cli, tag).build()?);
            format!("<digest of {image}:{tag}>")
        }
        (Target::Newest, true) => {
            println!(
                "# Dry run: newest artifact of {}/{}",
                cli.project, cli.repository
            );
            print_request(&cli.harbor.url, &newest_lookup(cli).build()?);
            format!("<digest of the newest {image}>")
        }
        (Target::Tag(tag), false) => {
            let digest = tag_digest(cli, tag)?;
            check_digest(&digest)?;
            digest
        }
        (Target::Newest, false) => {
            let digest = newest_digest(cli)?;
            check_digest(&digest)?;
            digest
        }
    };

    let tag = match &target {
        Target::Tag(tag) => Some(tag.as_str()),
        Target::Digest(_) | Target::Newest => None,
    };
    let (new_text, changes) = match cli.format {
        Format::Manifest => pin_manifest(&text, &image, &digest, tag),
        Format::HelmValues => pin_helm_values(&text, &image, &digest, tag),
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
            Format::Manifest => text.contains(&format!("@{digest}")),
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
    let reference = match tag {
        Some(tag) => format!("{image}:{tag}@{digest}"),
        None => format!("{image}@{digest}"),
    };
    println!("{} updated: {reference}", cli.file.display());
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

/// Reads the digest of the artifact that `tag` points to.
fn tag_digest(cli: &Cli, tag: &str) -> Result<String, Box<dyn Error>> {
    let client = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let artifact = client
            .get_artifact(&cli.project, &cli.repository, tag)
            .send()
            .await
            .map_err(|error| {
                format!(
                    "failed to read tag {tag} of {}/{}: {error}",
                    cli.project, cli.repository
                )
            })?;
        let digest = artifact
            .digest
            .ok_or("Harbor returned an artifact without a digest")?;
        println!("{}/{}:{tag} is {digest}", cli.project, cli.repository);
        Ok(digest)
    })
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
