//! Scanner registrations and the default scanner.

use secrecy::{ExposeSecret, SecretString};

use crate::Client;
use crate::Error;
use crate::generated::Secret;
use crate::generated::models::{
    IsDefault, ScannerRegistration, ScannerRegistrationReq, ScannerRegistrationSettings,
};
use crate::tasks::{Outcome, validate};

/// Authentication that Harbor uses toward a scanner adapter. `Debug` redacts the secrets.
#[derive(Clone)]
pub enum ScannerAuth {
    /// No authentication.
    None,
    /// HTTP Basic authentication.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: SecretString,
    },
    /// A bearer token.
    Bearer(SecretString),
    /// An API key in `X-ScannerAdapter-API-Key`.
    ApiKey(SecretString),
}

impl std::fmt::Debug for ScannerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "None",
            Self::Basic { .. } => "Basic([REDACTED])",
            Self::Bearer(_) => "Bearer([REDACTED])",
            Self::ApiKey(_) => "ApiKey([REDACTED])",
        })
    }
}

impl ScannerAuth {
    /// Returns Harbor's `auth` value.
    fn kind(&self) -> &'static str {
        match self {
            Self::None => "",
            Self::Basic { .. } => "Basic",
            Self::Bearer(_) => "Bearer",
            Self::ApiKey(_) => "X-ScannerAdapter-API-Key",
        }
    }

    fn credential(&self) -> Option<Secret> {
        match self {
            Self::None => None,
            Self::Basic { username, password } => Some(Secret::new(format!(
                "{username}:{}",
                password.expose_secret()
            ))),
            Self::Bearer(token) | Self::ApiKey(token) => Some(Secret::new(token.expose_secret())),
        }
    }
}

/// Desired state of a scanner registration.
///
/// Credentials cannot be compared because Harbor does not return them; they are sent on create,
/// on any other change, and on every call after [`ScannerSpec::rotate_credential`].
#[derive(Debug, Clone)]
pub struct ScannerSpec {
    name: String,
    url: String,
    description: Option<String>,
    auth: ScannerAuth,
    skip_cert_verify: bool,
    use_internal_addr: bool,
    disabled: bool,
    default: bool,
    rotate_credential: bool,
}

impl ScannerSpec {
    /// Starts an enabled scanner at `url` without authentication, verifying its certificate.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty name or a URL without an http or https scheme.
    pub fn new(name: impl Into<String>, url: &str) -> Result<Self, Error> {
        let name = name.into();
        validate::plain_name("scanner name", &name, 255)?;
        let parsed = url::Url::parse(url).map_err(|error| {
            Error::invalid("scanner URL", url, format!("not a valid URL ({error})"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::invalid(
                "scanner URL",
                url,
                "the URL needs an http or https scheme and a host",
            ));
        }
        Ok(Self {
            name,
            url: url.trim_end_matches('/').to_owned(),
            description: None,
            auth: ScannerAuth::None,
            skip_cert_verify: false,
            use_internal_addr: false,
            disabled: false,
            default: false,
            rotate_credential: false,
        })
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the authentication.
    pub fn auth(mut self, auth: ScannerAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Skips verification of the adapter's TLS certificate.
    pub fn skip_cert_verify(mut self, skip: bool) -> Self {
        self.skip_cert_verify = skip;
        self
    }

    /// Makes Harbor's components reach the registry through internal addresses.
    pub fn use_internal_addr(mut self, internal: bool) -> Self {
        self.use_internal_addr = internal;
        self
    }

    /// Disables or enables the scanner.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// Makes this the default scanner. `false` leaves the default as it is, because Harbor
    /// always has one and moves it only when another scanner becomes the default.
    pub fn default_scanner(mut self, default: bool) -> Self {
        self.default = default;
        self
    }

    /// Sends the credential on every call, so a changed secret reaches Harbor.
    pub fn rotate_credential(mut self, rotate: bool) -> Self {
        self.rotate_credential = rotate;
        self
    }

    fn to_model(&self) -> ScannerRegistrationReq {
        ScannerRegistrationReq {
            name: Some(self.name.clone()),
            description: self.description.clone(),
            url: Some(self.url.clone()),
            auth: Some(self.auth.kind().to_owned()),
            access_credential: self.auth.credential(),
            skip_cert_verify: Some(self.skip_cert_verify),
            use_internal_addr: Some(self.use_internal_addr),
            disabled: Some(self.disabled),
        }
    }

    fn ping(&self) -> ScannerRegistrationSettings {
        ScannerRegistrationSettings {
            name: Some(self.name.clone()),
            url: Some(self.url.clone()),
            auth: Some(self.auth.kind().to_owned()),
            access_credential: self.auth.credential(),
        }
    }
}

/// Pings the adapter, then registers the scanner or updates it, and makes it the default when
/// asked.
///
/// # Errors
///
/// Returns the request's [`Error`] when the ping or another request fails; nothing is saved when the ping
/// fails.
pub async fn ensure_scanner(
    client: &Client,
    spec: &ScannerSpec,
) -> Result<Outcome<ScannerRegistration>, Error> {
    let Some(actual) = find_scanner(client, &spec.name).await? else {
        client.ping_scanner(spec.ping()).send().await?;
        client.create_scanner(spec.to_model()).send().await?;
        let created = find_scanner(client, &spec.name)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "scanner",
                name: spec.name.clone(),
            })?;
        let uuid = scanner_uuid(&created, &spec.name)?;
        if spec.default && !created.is_default.unwrap_or(false) {
            set_default(client, &uuid).await?;
            return Ok(Outcome::Created(client.get_scanner(uuid).send().await?));
        }
        return Ok(Outcome::Created(created));
    };
    let uuid = scanner_uuid(&actual, &spec.name)?;

    let differs = actual.url.as_deref().map(|url| url.trim_end_matches('/'))
        != Some(spec.url.as_str())
        || actual.auth.clone().unwrap_or_default() != spec.auth.kind()
        || actual.skip_cert_verify.unwrap_or(false) != spec.skip_cert_verify
        || actual.use_internal_addr.unwrap_or(false) != spec.use_internal_addr
        || actual.disabled.unwrap_or(false) != spec.disabled
        || (spec.description.is_some() && actual.description != spec.description)
        || (spec.rotate_credential && !matches!(spec.auth, ScannerAuth::None));
    let make_default = spec.default && !actual.is_default.unwrap_or(false);
    if !differs && !make_default {
        return Ok(Outcome::Unchanged(actual));
    }
    if differs {
        client.ping_scanner(spec.ping()).send().await?;
        client
            .update_scanner(uuid.clone(), spec.to_model())
            .send()
            .await?;
    }
    if make_default {
        set_default(client, &uuid).await?;
    }
    Ok(Outcome::Updated(client.get_scanner(uuid).send().await?))
}

async fn set_default(client: &Client, uuid: &str) -> Result<(), Error> {
    let payload = IsDefault {
        is_default: Some(true),
    };
    client.set_scanner_as_default(uuid, payload).send().await?;
    Ok(())
}

fn scanner_uuid(scanner: &ScannerRegistration, name: &str) -> Result<String, Error> {
    scanner
        .uuid
        .clone()
        .filter(|uuid| !uuid.is_empty())
        .ok_or_else(|| Error::NotFound {
            kind: "uuid of scanner",
            name: name.to_owned(),
        })
}

async fn find_scanner(client: &Client, name: &str) -> Result<Option<ScannerRegistration>, Error> {
    use futures_util::TryStreamExt;

    let mut scanners = std::pin::pin!(client.list_scanners().stream());
    while let Some(scanner) = scanners.try_next().await? {
        if scanner.name.as_deref() == Some(name) {
            return Ok(Some(scanner));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_debug_is_redacted() {
        let auth = ScannerAuth::Basic {
            username: "trivy".to_owned(),
            password: SecretString::from("hunter2-pass".to_owned()),
        };
        let spec = ScannerSpec::new("trivy", "http://trivy:8080")
            .unwrap()
            .auth(auth);
        assert!(!format!("{spec:?}").contains("hunter2"));
        assert_eq!(
            spec.to_model().access_credential.unwrap().expose_secret(),
            "trivy:hunter2-pass"
        );
    }

    #[test]
    fn url_is_validated() {
        assert!(ScannerSpec::new("trivy", "trivy:8080").is_err());
        assert!(ScannerSpec::new("trivy", "grpc://trivy").is_err());
    }
}
