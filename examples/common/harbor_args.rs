//! Harbor connection flags shared by the task examples, and the client they build.

use clap::Args;
use secrecy::SecretString;

/// Harbor URL and login user. The password is read from the environment, never from a flag,
/// so it does not appear on the command line.
#[derive(Debug, Args)]
pub(crate) struct HarborArgs {
    /// Harbor base URL, without `/api/v2.0`.
    #[arg(
        long,
        env = "HARBOR_URL",
        default_value = "https://harbor.example.test",
        value_parser = harbor_url
    )]
    pub(crate) url: String,
    /// Harbor user that sends the requests, usually `admin`.
    #[arg(long, env = "HARBOR_USERNAME", default_value = "admin")]
    pub(crate) username: String,
}

impl HarborArgs {
    /// Builds a client that logs in with `username` and the password in `HARBOR_PASSWORD`.
    ///
    /// # Errors
    ///
    /// Returns an error when `HARBOR_PASSWORD` is not set or the client cannot be built.
    pub(crate) fn client(&self) -> Result<harbor_client::Client, Box<dyn std::error::Error>> {
        let password = secret_from_env("HARBOR_PASSWORD")?;
        let client = harbor_client::Client::builder(self.url.clone())
            .credentials(harbor_client::Credentials::basic(&self.username, password))
            .build()?;
        Ok(client)
    }
}

/// Parses `--url` by building a harbor-client client from it, which sends nothing, so a dry run
/// rejects every URL that the real client rejects, such as one ending in `/api/v2.0`.
fn harbor_url(value: &str) -> Result<String, harbor_client::Error> {
    harbor_client::Client::builder(value).build()?;
    Ok(value.trim_end_matches('/').to_owned())
}

/// Reads a secret from the environment variable `name`.
///
/// # Errors
///
/// Returns an error naming `name` when it is unset or empty.
pub(crate) fn secret_from_env(name: &str) -> Result<SecretString, Box<dyn std::error::Error>> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(SecretString::from(value)),
        _ => Err(format!(
            "the environment variable {name} is missing or empty; set it, or pass --dry-run"
        )
        .into()),
    }
}
