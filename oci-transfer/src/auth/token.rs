//! Token requests to a bearer token service (the Docker token protocol and its OAuth2 form).

use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::Scope;
use super::provider::Credential;
use crate::Error;

/// Lifetime assumed when the token service omits `expires_in`, as the token protocol specifies.
const DEFAULT_EXPIRES_IN: u64 = 60;

/// An access token and how long it is valid.
pub(crate) struct Token {
    pub(crate) header: HeaderValue,
    pub(crate) expires_in: Duration,
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<SecretString>,
    access_token: Option<SecretString>,
    expires_in: Option<u64>,
}

/// Builds the `GET` token request URL: `realm?service=…&scope=…&scope=…`, one `scope`
/// parameter per scope.
pub(crate) fn token_url(realm: &Url, service: Option<&str>, scopes: &[Scope]) -> Url {
    let mut url = realm.clone();
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        for scope in scopes {
            query.append_pair("scope", &scope.to_string());
        }
    }
    url
}

/// Requests a token for `scopes` from the token service at `realm`.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    registry: &str,
    realm: &str,
    service: Option<&str>,
    scopes: &[Scope],
    credential: &Credential,
) -> Result<Token, Error> {
    let auth_error = |reason: String| Error::Auth {
        registry: registry.to_owned(),
        reason,
    };
    let realm_url = Url::parse(realm).map_err(|error| {
        auth_error(format!(
            "token service realm {realm:?} is not a URL: {error}"
        ))
    })?;
    let shown_realm = crate::error::url_for_message(&realm_url);
    let request = match credential {
        Credential::RefreshToken(refresh_token) => {
            let scope = scopes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", refresh_token.expose_secret().to_owned()),
                ("scope", scope),
            ];
            if let Some(service) = service {
                form.push(("service", service.to_owned()));
            }
            http.post(realm_url.clone()).form(&form)
        }
        Credential::Basic { username, password } => http
            .get(token_url(&realm_url, service, scopes))
            .basic_auth(username, Some(password.expose_secret())),
        Credential::Anonymous => http.get(token_url(&realm_url, service, scopes)),
    };
    let response = request
        .send()
        .await
        .map_err(|error| auth_error(format!("token request to {shown_realm} failed: {error}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(auth_error(format!(
            "token service {shown_realm} returned HTTP {} for scopes {}; check the credentials and \
             that they grant these scopes",
            status.as_u16(),
            scopes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    let body = response.bytes().await.map_err(|error| {
        auth_error(format!(
            "reading the token from {shown_realm} failed: {error}"
        ))
    })?;
    let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|error| {
        auth_error(format!(
            "token service {shown_realm} sent invalid JSON (at line {}, column {})",
            error.line(),
            error.column()
        ))
    })?;
    let token = parsed.token.or(parsed.access_token).ok_or_else(|| {
        auth_error(format!(
            "token service {shown_realm} sent neither `token` nor `access_token`"
        ))
    })?;
    let mut header =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            auth_error(format!(
                "token from {shown_realm} contains characters invalid in a header"
            ))
        })?;
    header.set_sensitive(true);
    Ok(Token {
        header,
        expires_in: Duration::from_secs(parsed.expires_in.unwrap_or(DEFAULT_EXPIRES_IN)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_url_has_one_scope_parameter_per_scope() {
        let realm = Url::parse("https://exampleacr.azurecr.io/oauth2/token").unwrap();
        let url = token_url(
            &realm,
            Some("exampleacr.azurecr.io"),
            &[Scope::push("mirror/nginx"), Scope::pull("base/nginx")],
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            [
                ("service".to_owned(), "exampleacr.azurecr.io".to_owned()),
                (
                    "scope".to_owned(),
                    "repository:mirror/nginx:pull,push".to_owned()
                ),
                ("scope".to_owned(), "repository:base/nginx:pull".to_owned()),
            ]
        );
    }
}
