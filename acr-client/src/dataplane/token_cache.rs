//! Cache of ACR refresh and access tokens, refreshed from each JWT's `exp` claim.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;

/// Reads the `exp` claim (seconds since the Unix epoch) of a JWT without checking its
/// signature. Returns `None` when the token is not a JWT or has no `exp`.
pub(crate) fn jwt_expiry(token: &SecretString) -> Option<OffsetDateTime> {
    #[derive(Deserialize)]
    struct Claims {
        exp: Option<i64>,
    }

    let payload = token.expose_secret().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    OffsetDateTime::from_unix_timestamp(claims.exp?).ok()
}

#[derive(Debug, Clone)]
struct Cached {
    token: SecretString,
    refresh_at: OffsetDateTime,
}

/// Tokens by key (the refresh token under one key, access tokens under their scope).
///
/// A token is reused until `exp - margin`. A token without a readable `exp` is never
/// cached, so no lifetime is ever assumed.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    entries: HashMap<String, Cached>,
}

impl TokenCache {
    /// Returns the cached token for `key` if it is still fresh at `now`.
    pub(crate) fn get(&self, key: &str, now: OffsetDateTime) -> Option<SecretString> {
        self.entries
            .get(key)
            .filter(|cached| now < cached.refresh_at)
            .map(|cached| cached.token.clone())
    }

    /// Stores `token` under `key` when it carries an `exp` claim.
    pub(crate) fn insert(&mut self, key: &str, token: &SecretString, margin: Duration) {
        match jwt_expiry(token) {
            Some(expiry) => {
                self.entries.insert(
                    key.to_owned(),
                    Cached {
                        token: token.clone(),
                        refresh_at: expiry - margin,
                    },
                );
            }
            None => {
                self.entries.remove(key);
            }
        }
    }

    /// Drops the token for `key`, for example after the registry rejected it.
    pub(crate) fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

#[cfg(test)]
pub(crate) fn test_jwt(exp: i64) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.signature",
        engine.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        engine.encode(format!(
            r#"{{"exp":{exp},"iss":"Azure Container Registry"}}"#
        ))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_read_from_exp_claim() {
        let token = SecretString::from(test_jwt(1_767_229_200));

        assert_eq!(
            jwt_expiry(&token),
            Some(time::macros::datetime!(2026-01-01 01:00 UTC))
        );
        assert_eq!(jwt_expiry(&SecretString::from("not-a-jwt")), None);
        assert_eq!(jwt_expiry(&SecretString::from("a.b.c")), None);
    }

    #[test]
    fn cache_refreshes_margin_before_exp() {
        let expiry = time::macros::datetime!(2026-01-01 01:00 UTC);
        let token = SecretString::from(test_jwt(expiry.unix_timestamp()));
        let mut cache = TokenCache::default();

        cache.insert("scope", &token, Duration::from_secs(300));

        assert!(
            cache
                .get("scope", expiry - Duration::from_secs(301))
                .is_some()
        );
        assert!(
            cache
                .get("scope", expiry - Duration::from_secs(300))
                .is_none()
        );
        assert!(
            cache
                .get("other", expiry - Duration::from_secs(3000))
                .is_none()
        );
    }

    #[test]
    fn cache_skips_tokens_without_exp() {
        let mut cache = TokenCache::default();

        cache.insert("scope", &SecretString::from("opaque"), Duration::ZERO);

        assert!(
            cache
                .get("scope", time::macros::datetime!(2000-01-01 0:00 UTC))
                .is_none()
        );
    }
}
