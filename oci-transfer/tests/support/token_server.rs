//! A bearer token service for distribution's `auth.token` mode that responds to
//! `GET /token` with tokens from a [`TokenSigner`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::token_signer::{TokenSigner, access_entries};

pub const SERVICE: &str = "oci-transfer-test-registry";

/// Token lifetimes the server grants.
#[derive(Clone, Copy)]
pub struct Lifetimes {
    /// Seconds until `exp` of the first token; later tokens get 300 s.
    pub first_token_valid_for: i64,
    /// `expires_in` the server returns, whatever the token's `exp` claim is.
    pub reported_expires_in: u64,
}

struct Issuer {
    signer: Arc<TokenSigner>,
    issued: Arc<AtomicUsize>,
    lifetimes: Lifetimes,
    user: Option<(String, String)>,
}

pub struct TokenServer {
    pub server: MockServer,
    pub issued: Arc<AtomicUsize>,
    signer: Arc<TokenSigner>,
}

impl TokenServer {
    pub fn realm(&self) -> String {
        format!("{}/token", self.server.uri())
    }

    /// Writes the certificate into `dir` and returns the registry's `auth:` section pointing at
    /// this server.
    pub fn registry_auth_yaml(&self, dir: &std::path::Path) -> String {
        self.signer.registry_auth_yaml(dir, &self.realm(), SERVICE)
    }

    /// Scopes of every token request received, one list per request.
    pub async fn requested_scopes(&self) -> Vec<Vec<String>> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|request| request.url.path() == "/token")
            .map(|request| {
                request
                    .url
                    .query_pairs()
                    .filter(|(key, _)| key == "scope")
                    .map(|(_, value)| value.into_owned())
                    .collect()
            })
            .collect()
    }
}

/// Starts the token server. With `user`, requests must carry that Basic username and password.
pub async fn start(lifetimes: Lifetimes, user: Option<(String, String)>) -> TokenServer {
    let signer = Arc::new(TokenSigner::new());
    let issued = Arc::new(AtomicUsize::new(0));
    let issuer = Issuer {
        signer: signer.clone(),
        issued: issued.clone(),
        lifetimes,
        user,
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(issuer)
        .mount(&server)
        .await;
    TokenServer {
        server,
        issued,
        signer,
    }
}

impl Respond for Issuer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if let Some((user, password)) = &self.user {
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            );
            let sent = request
                .headers
                .get("authorization")
                .and_then(|value| value.to_str().ok());
            if sent != Some(expected.as_str()) {
                return ResponseTemplate::new(401);
            }
        }
        let number = self.issued.fetch_add(1, Ordering::SeqCst);
        let valid_for = if number == 0 {
            self.lifetimes.first_token_valid_for
        } else {
            300
        };
        let scopes: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(key, _)| key == "scope")
            .map(|(_, scope)| scope.into_owned())
            .collect();
        let access = access_entries(scopes.iter().map(String::as_str));
        let token = self
            .signer
            .sign(SERVICE, &access, valid_for, &format!("token-{number}"));
        ResponseTemplate::new(200).set_body_json(json!({
            "token": token,
            "expires_in": self.lifetimes.reported_expires_in,
            "issued_at": "2026-01-01T00:00:00Z",
        }))
    }
}
