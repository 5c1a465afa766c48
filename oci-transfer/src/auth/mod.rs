//! Authentication: challenges, credential providers, token requests and the token cache.

mod challenge;
mod provider;
mod token;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;

pub use challenge::{Action, Challenge, Scope, merge_scopes};
pub use provider::{
    AcrRefreshToken, Anonymous, BasicCredentials, Credential, CredentialProvider, HarborRobot,
    RefreshTokenFuture,
};

use crate::Error;

/// A cached token is renewed when less than this share of its lifetime remains.
const RENEW_BEFORE_FRACTION: f64 = 0.1;

/// Authentication state of one registry client: the last challenge and the token cache, keyed
/// by the merged scope list.
#[derive(Debug)]
pub(crate) struct Authenticator {
    registry: String,
    provider: Arc<dyn CredentialProvider>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    challenge: Option<Challenge>,
    basic: Option<HeaderValue>,
    tokens: HashMap<String, CachedToken>,
}

#[derive(Debug)]
struct CachedToken {
    header: HeaderValue,
    renew_at: Instant,
}

fn cache_key(scopes: &[Scope]) -> String {
    merge_scopes(scopes)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Authenticator {
    pub(crate) fn new(registry: String, provider: Arc<dyn CredentialProvider>) -> Self {
        Authenticator {
            registry,
            provider,
            state: Mutex::new(State::default()),
        }
    }

    /// Returns the `Authorization` header to send with a request needing `scopes`, when a
    /// previous challenge showed which scheme the registry wants and a valid token is cached.
    pub(crate) fn cached_header(&self, scopes: &[Scope]) -> Option<HeaderValue> {
        let state = self.state.lock().expect("auth state lock");
        match state.challenge.as_ref()? {
            Challenge::Basic => state.basic.clone(),
            Challenge::Bearer { .. } => {
                let cached = state.tokens.get(&cache_key(scopes))?;
                (Instant::now() < cached.renew_at).then(|| cached.header.clone())
            }
        }
    }

    /// Drops the cached token for `scopes`, after the registry rejected it.
    pub(crate) fn invalidate(&self, scopes: &[Scope]) {
        let mut state = self.state.lock().expect("auth state lock");
        state.tokens.remove(&cache_key(scopes));
    }

    /// Answers a 401 challenge: stores the scheme, obtains credentials and, for Bearer, a token
    /// covering `scopes` plus the scopes the challenge names.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when the challenge is missing or unknown, the provider fails, or the token
    /// service rejects the request.
    pub(crate) async fn answer_challenge(
        &self,
        http: &reqwest::Client,
        header: Option<&str>,
        scopes: &[Scope],
    ) -> Result<HeaderValue, Error> {
        let challenge = header
            .and_then(Challenge::parse)
            .ok_or_else(|| Error::Auth {
                registry: self.registry.clone(),
                reason: "the registry answered 401 without a Basic or Bearer challenge".to_owned(),
            })?;
        let credential = self.provider.credential(&self.registry).await?;
        match &challenge {
            Challenge::Basic => {
                let Credential::Basic { username, password } = &credential else {
                    return Err(Error::Auth {
                        registry: self.registry.clone(),
                        reason: "the registry requires HTTP Basic authentication; configure a \
                                 username and password"
                            .to_owned(),
                    });
                };
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.expose_secret()));
                let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
                    .expect("base64 is a valid header value");
                value.set_sensitive(true);
                let mut state = self.state.lock().expect("auth state lock");
                state.challenge = Some(challenge.clone());
                state.basic = Some(value.clone());
                Ok(value)
            }
            Challenge::Bearer {
                realm,
                service,
                scopes: challenged,
            } => {
                let mut requested = scopes.to_vec();
                requested.extend(challenged.iter().filter_map(|scope| parse_scope(scope)));
                let merged = merge_scopes(&requested);
                let token = token::fetch_token(
                    http,
                    &self.registry,
                    realm,
                    service.as_deref(),
                    &merged,
                    &credential,
                )
                .await?;
                tracing::debug!(registry = %self.registry, scopes = %cache_key(&merged), expires_in_s = token.expires_in.as_secs(), "fetched registry token");
                let lifetime = token.expires_in.mul_f64(1.0 - RENEW_BEFORE_FRACTION);
                let renew_at = Instant::now() + lifetime.max(Duration::from_secs(1));
                let mut state = self.state.lock().expect("auth state lock");
                state.challenge = Some(challenge.clone());
                let cached = CachedToken {
                    header: token.header.clone(),
                    renew_at,
                };
                state.tokens.insert(cache_key(scopes), cached);
                Ok(token.header)
            }
        }
    }
}

/// Parses `repository:<name>:<actions>` from a challenge; other resource types are ignored.
fn parse_scope(scope: &str) -> Option<Scope> {
    let rest = scope.strip_prefix("repository:")?;
    let (name, actions) = rest.rsplit_once(':')?;
    let actions = actions
        .split(',')
        .filter_map(|action| match action {
            "pull" => Some(Action::Pull),
            "push" => Some(Action::Push),
            _ => None,
        })
        .collect();
    Some(Scope::Repository {
        name: name.to_owned(),
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_scope_parses_repository_actions() {
        assert_eq!(
            parse_scope("repository:a/b:pull,push"),
            Some(Scope::push("a/b"))
        );
        assert_eq!(parse_scope("registry:catalog:*"), None);
    }

    #[test]
    fn cache_key_ignores_scope_order() {
        let first = cache_key(&[Scope::pull("src"), Scope::push("dst")]);
        let second = cache_key(&[Scope::push("dst"), Scope::pull("src")]);
        assert_eq!(first, second);
    }
}
