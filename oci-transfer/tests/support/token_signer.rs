//! Access tokens for distribution's `auth.token` mode: ES256 JWTs signed with a self-signed
//! certificate that the registry trusts through `rootcertbundle`.
//!
//! The oci-transfer tests and the fake ACR login server of the harbor-azure tests both sign
//! with it, the latter through `#[path]`.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rcgen::{CertificateParams, KeyPair, SigningKey};
use serde_json::{Value, json};

/// `iss` claim of every token, and the `issuer` the registry expects.
pub const ISSUER: &str = "oci-transfer-test-issuer";

/// A signing key and its self-signed certificate.
pub struct TokenSigner {
    key: KeyPair,
    certificate_der: Vec<u8>,
    certificate_pem: String,
}

impl TokenSigner {
    /// Generates a P-256 key and a certificate for it.
    pub fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let certificate = CertificateParams::new(vec!["token-issuer.test".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Self {
            key,
            certificate_der: certificate.der().to_vec(),
            certificate_pem: certificate.pem(),
        }
    }

    /// Writes the certificate into `dir` and returns a registry's `auth:` section that sends
    /// clients to `realm` for tokens of `service` signed by this key.
    pub fn registry_auth_yaml(&self, dir: &std::path::Path, realm: &str, service: &str) -> String {
        let bundle = dir.join("token-root.pem");
        std::fs::write(&bundle, &self.certificate_pem).unwrap();
        format!(
            "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            bundle.display()
        )
    }

    /// Signs a token for `service` (the `aud` claim) that grants `access`, entries such as
    /// `{"type": "repository", "name": "mirror/nginx", "actions": ["pull", "push"]}`, and
    /// expires `valid_for` seconds from now. `id` becomes the `jti` claim.
    pub fn sign(&self, service: &str, access: &[Value], valid_for: i64, id: &str) -> String {
        let issued_at = now();
        let header = json!({"typ": "JWT", "alg": "ES256", "x5c": [base64::engine::general_purpose::STANDARD.encode(&self.certificate_der)]});
        let claims = json!({
            "iss": ISSUER,
            "sub": "oci-transfer-test",
            "aud": service,
            "exp": issued_at + valid_for,
            "nbf": issued_at - 120,
            "iat": issued_at - 120,
            "jti": id,
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = der_to_fixed(&self.key.sign(signing_input.as_bytes()).unwrap());
        format!("{signing_input}.{}", b64(&signature))
    }
}

/// Converts scopes such as `repository:mirror/nginx:pull,push` into the `access` entries of
/// a token. Scopes without two colons are left out.
pub fn access_entries<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Vec<Value> {
    scopes
        .into_iter()
        .filter_map(|scope| {
            let (kind, rest) = scope.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            let actions: Vec<&str> = actions.split(',').collect();
            Some(json!({"type": kind, "name": name, "actions": actions}))
        })
        .collect()
}

/// Returns the seconds since the Unix epoch.
pub fn now() -> i64 {
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
