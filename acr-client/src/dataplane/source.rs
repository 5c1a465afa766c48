//! Manifest digest of an image in any OCI registry, following the registry's
//! `WWW-Authenticate` challenge (anonymous, Basic or Bearer token service).

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::catalog::{MANIFEST_ACCEPT, digest_header};
use crate::Error;

/// Username and password for a source registry; `Debug` redacts the password.
#[derive(Debug, Clone)]
pub struct RegistryCredentials {
    /// Username, such as a Harbor robot account `robot$library+acr-import`.
    pub username: Option<String>,
    /// Password or token.
    pub password: SecretString,
}

#[derive(Debug, PartialEq, Eq)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`.
fn parse_challenge(value: &str) -> Option<Challenge> {
    let (scheme, params) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut scope = None;
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after_key) = rest.split_once('=')?;
        let after_key = after_key.trim_start();
        let (value, remainder) = if let Some(quoted) = after_key.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            after_key.split_once(',').unwrap_or((after_key, ""))
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            "scope" => scope = Some(value.to_owned()),
            _ => {}
        }
        rest = remainder.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge::Bearer {
        realm: realm?,
        service,
        scope,
    })
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<SecretString>,
    access_token: Option<SecretString>,
}

/// Reads the digest of `repository:reference` from the registry at `base`
/// (such as `https://harbor.example.test:8443`).
///
/// The first HEAD is anonymous. On 401 the client responds to the challenge: Basic sends
/// `credentials`, Bearer gets a token from the realm with `credentials` (anonymously
/// without them) and repeats the HEAD.
///
/// # Errors
/// [`Error::Registry`] for a non-success status, [`Error::InvalidResponse`] for a
/// missing digest, an unknown challenge or a realm that would downgrade HTTPS to HTTP.
pub async fn resolve_manifest_digest(
    http: &reqwest::Client,
    base: &Url,
    repository: &str,
    reference: &str,
    credentials: Option<&RegistryCredentials>,
) -> Result<String, Error> {
    let registry = base.host_str().unwrap_or_default().to_owned();
    let path = format!("/v2/{repository}/manifests/{reference}");
    let operation = format!("HEAD {path}");
    let mut url = base.clone();
    url.set_path(&path);
    let transport = |source| Error::Transport {
        operation: operation.clone(),
        registry: registry.clone(),
        source,
    };
    let invalid = |reason: String| Error::InvalidResponse {
        operation: operation.clone(),
        registry: registry.clone(),
        reason,
    };

    let head = |authorization: Option<HeaderValue>| {
        let mut request = http
            .request(Method::HEAD, url.clone())
            .header(ACCEPT, MANIFEST_ACCEPT);
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        request.send()
    };

    let mut response = head(None).await.map_err(transport)?;
    if response.status() == StatusCode::UNAUTHORIZED {
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_challenge)
            .ok_or_else(|| invalid("401 without a Basic or Bearer challenge".to_owned()))?;
        let authorization = match challenge {
            Challenge::Basic => {
                let credentials = credentials
                    .ok_or_else(|| invalid("the registry requires credentials".to_owned()))?;
                basic_header(credentials)
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                let realm = Url::parse(&realm)
                    .map_err(|_| invalid(format!("invalid token realm {realm:?}")))?;
                if base.scheme() == "https" && realm.scheme() != "https" {
                    return Err(invalid(format!(
                        "the token realm {realm} is not HTTPS; refusing to send credentials"
                    )));
                }
                let scope = scope.unwrap_or_else(|| format!("repository:{repository}:pull"));
                let token = fetch_token(http, realm, service, &scope, credentials)
                    .await
                    .map_err(|status| match status {
                        Ok(status) => Error::Registry {
                            operation: "GET token realm".to_owned(),
                            registry: registry.clone(),
                            status,
                            code: None,
                            request_id: None,
                        },
                        Err(source) => Error::Transport {
                            operation: "GET token realm".to_owned(),
                            registry: registry.clone(),
                            source,
                        },
                    })?
                    .ok_or_else(|| invalid("the token response has no token".to_owned()))?;
                sensitive(format!("Bearer {}", token.expose_secret()))
            }
        };
        response = head(Some(authorization?)).await.map_err(transport)?;
    }

    if !response.status().is_success() {
        return Err(Error::Registry {
            operation,
            registry,
            status: response.status(),
            code: None,
            request_id: None,
        });
    }
    digest_header(response.headers())
        .ok_or_else(|| invalid("the response has no Docker-Content-Digest header".to_owned()))
}

fn sensitive(value: String) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(&value).map_err(|_| Error::InvalidInput {
        field: "credentials",
        reason: "the credentials contain characters not allowed in an HTTP header".to_owned(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

fn basic_header(credentials: &RegistryCredentials) -> Result<HeaderValue, Error> {
    use base64::Engine;
    let pair = format!(
        "{}:{}",
        credentials.username.as_deref().unwrap_or_default(),
        credentials.password.expose_secret()
    );
    sensitive(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

/// Gets a token from a Bearer realm. `Err(Ok(status))` is a rejected request and
/// `Err(Err(error))` a transport failure.
async fn fetch_token(
    http: &reqwest::Client,
    mut realm: Url,
    service: Option<String>,
    scope: &str,
    credentials: Option<&RegistryCredentials>,
) -> Result<Option<SecretString>, Result<StatusCode, reqwest::Error>> {
    {
        let mut query = realm.query_pairs_mut();
        if let Some(service) = &service {
            query.append_pair("service", service);
        }
        query.append_pair("scope", scope);
    }
    let mut request = http.get(realm);
    if let Some(credentials) = credentials {
        request = request.basic_auth(
            credentials.username.as_deref().unwrap_or_default(),
            Some(credentials.password.expose_secret()),
        );
    }
    let response = request.send().await.map_err(Err)?;
    if !response.status().is_success() {
        return Err(Ok(response.status()));
    }
    let body: TokenResponse = response.json().await.map_err(Err)?;
    Ok(body.token.or(body.access_token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_parses_bearer_and_basic() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://harbor.example.test/service/token",service="harbor-registry",scope="repository:library/nginx:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://harbor.example.test/service/token".into(),
                service: Some("harbor-registry".into()),
                scope: Some("repository:library/nginx:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Bearer realm="https://auth.example/token""#),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: None,
                scope: None,
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }
}
