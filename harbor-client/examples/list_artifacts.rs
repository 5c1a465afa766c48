//! Lists every artifact of a Harbor repository as a stream, page by page, and prints a summary.
//!
//! ```sh
//! HARBOR_USERNAME=admin HARBOR_PASSWORD=... cargo run -p harbor-client --example list_artifacts -- \
//!     --url https://harbor.example.test --project library --repository nginx
//! ```
//!
//! Options: `--url URL` (required), `--project NAME` (default `library`), `--repository NAME`
//! (default `nginx`), `--page-size N` (default 100, the maximum Harbor accepts). Credentials come
//! from `HARBOR_USERNAME` and `HARBOR_PASSWORD` when both are set. The paging benchmark
//! (`cargo xtask bench paging`) runs this example.

use futures_util::StreamExt;
use harbor_client::{Client, Credentials};
use secrecy::SecretString;

#[derive(Debug)]
struct Options {
    url: String,
    project: String,
    repository: String,
    page_size: i64,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        url: String::new(),
        project: "library".to_owned(),
        repository: "nginx".to_owned(),
        page_size: 100,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("missing value after {flag}"))
        };
        match flag.as_str() {
            "--url" => options.url = value()?,
            "--project" => options.project = value()?,
            "--repository" => options.repository = value()?,
            "--page-size" => {
                let text = value()?;
                options.page_size = text
                    .parse()
                    .map_err(|_| format!("invalid --page-size {text:?}: expected an integer"))?;
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.url.is_empty() {
        return Err("missing --url (for example --url https://harbor.example.test)".to_owned());
    }
    Ok(options)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_options()?;
    let mut builder = Client::builder(&options.url);
    if let (Ok(username), Ok(password)) = (
        std::env::var("HARBOR_USERNAME"),
        std::env::var("HARBOR_PASSWORD"),
    ) {
        builder = builder.credentials(Credentials::basic(username, SecretString::from(password)));
    }
    let client = builder.build()?;

    let artifacts = client
        .list_artifacts(&options.project, &options.repository)
        .page_size(options.page_size)
        .with_tag(true)
        .with_scan_overview(true)
        .stream();
    let mut artifacts = std::pin::pin!(artifacts);
    let mut count = 0_u64;
    let mut tags = 0_u64;
    while let Some(artifact) = artifacts.next().await {
        let artifact = artifact?;
        count += 1;
        tags += artifact.tags.as_ref().map_or(0, |list| list.len() as u64);
    }
    println!(
        "listed {count} artifacts with {tags} tags in {}/{}",
        options.project, options.repository
    );
    Ok(())
}
