//! A bearer token service for distribution's `auth.token` mode: signs ES256 JWTs with a
//! self-signed certificate that the registry trusts through `rootcertbundle`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rcgen::{CertificateParams, KeyPair, SigningKey};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const SERVICE: &str = "oci-transfer-test-registry";
pub const ISSUER: &str = "oci-transfer-test-issuer";

/// Token lifetimes the server grants.
#[derive(Clone, Copy)]
pub struct Lifetimes {
    /// Seconds until `exp` of the first token; later tokens get 300 s.
    pub first_token_valid_for: i64,
    /// `expires_in` the server returns, whatever the token's `exp` claim is.
    pub reported_expires_in: u64,
}

struct Issuer {
    key: KeyPair,
    certificate_der: Vec<u8>,
    issued: Arc<AtomicUsize>,
    lifetimes: Lifetimes,
    user: Option<(String, String)>,
}

pub struct TokenServer {
    pub server: MockServer,
    pub certificate_pem: String,
    pub issued: Arc<AtomicUsize>,
}

impl TokenServer {
    pub fn realm(&self) -> String {
        format!("{}/token", self.server.uri())
    }

    /// Writes the certificate into `dir` and returns the registry's `auth:` section pointing at
    /// this server.
    pub fn registry_auth_yaml(&self, dir: &std::path::Path) -> String {
        let bundle = dir.join("token-root.pem");
        std::fs::write(&bundle, &self.certificate_pem).unwrap();
        format!(
            "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.realm(),
            bundle.display()
        )
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
    let key = KeyPair::generate().unwrap();
    let certificate = CertificateParams::new(vec!["token-issuer.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let issued = Arc::new(AtomicUsize::new(0));
    let issuer = Issuer {
        key,
        certificate_der: certificate.der().to_vec(),
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
        certificate_pem: certificate.pem(),
        issued,
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Converts an ASN.1 DER ECDSA signature into the fixed 64-byte `r || s` form JWS uses.
fn der_to_fixed(der: &[u8]) -> Vec<u8> {
    fn integer(input: &[u8]) -> (&[u8], &[u8]) {
        assert_eq!(input[0], 0x02, "DER INTEGER");
        let length = input[1] as usize;
        (&input[2..2 + length], &input[2 + length..])
    }
    assert_eq!(der[0], 0x30, "DER SEQUENCE");
    let (r, rest) = integer(&der[2..]);
    let (s, _) = integer(rest);
    let mut out = vec![0u8; 64];
    for (value, offset) in [(r, 0), (s, 32)] {
        let trimmed = &value[value.len().saturating_sub(32)..];
        out[offset + 32 - trimmed.len()..offset + 32].copy_from_slice(trimmed);
    }
    out
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
        let access: Vec<_> = request
            .url
            .query_pairs()
            .filter(|(key, _)| key == "scope")
            .filter_map(|(_, scope)| {
                let (kind, rest) = scope.split_once(':')?;
                let (name, actions) = rest.rsplit_once(':')?;
                let actions: Vec<&str> = actions.split(',').collect();
                Some(json!({"type": kind, "name": name, "actions": actions}))
            })
            .collect();
        let issued_at = now();
        let header = json!({"typ": "JWT", "alg": "ES256", "x5c": [base64::engine::general_purpose::STANDARD.encode(&self.certificate_der)]});
        let claims = json!({
            "iss": ISSUER,
            "sub": "oci-transfer-test",
            "aud": SERVICE,
            "exp": issued_at + valid_for,
            "nbf": issued_at - 120,
            "iat": issued_at - 120,
            "jti": format!("token-{number}"),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = der_to_fixed(&self.key.sign(signing_input.as_bytes()).unwrap());
        let token = format!("{signing_input}.{}", b64(&signature));
        ResponseTemplate::new(200).set_body_json(json!({
            "token": token,
            "expires_in": self.lifetimes.reported_expires_in,
            "issued_at": "2026-01-01T00:00:00Z",
        }))
    }
}
