//! Credentials for the `Authorization` header.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

use crate::Error;

/// Credentials sent with every request.
///
/// `Debug` shows the username and the kind of credential, never the password or token.
#[derive(Clone)]
pub struct Credentials {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Basic {
        username: String,
        password: SecretString,
    },
    Bearer(SecretString),
}

impl Credentials {
    /// Creates HTTP Basic credentials for a Harbor user or robot account.
    ///
    /// Robot account names such as `robot$library+ci` are sent byte for byte. Use the name that
    /// Harbor returned when it created the robot, because the `robot$` prefix is configurable.
    pub fn basic(username: impl Into<String>, password: SecretString) -> Self {
        Self {
            kind: Kind::Basic {
                username: username.into(),
                password,
            },
        }
    }

    /// Creates bearer-token credentials, sent as `Authorization: Bearer <token>`.
    pub fn bearer(token: SecretString) -> Self {
        Self {
            kind: Kind::Bearer(token),
        }
    }

    /// Builds the `Authorization` header value, marked sensitive so `http` never prints it.
    pub(crate) fn header_value(&self) -> Result<HeaderValue, Error> {
        let plain = match &self.kind {
            Kind::Basic { username, password } => {
                if username.is_empty() {
                    return Err(invalid("the username is empty"));
                }
                if username.contains(':') {
                    return Err(invalid(
                        "the username contains ':', which HTTP Basic auth cannot represent",
                    ));
                }
                let pair = Zeroizing::new(format!("{username}:{}", password.expose_secret()));
                Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes())))
            }
            Kind::Bearer(token) => {
                if token.expose_secret().is_empty() {
                    return Err(invalid("the bearer token is empty"));
                }
                Zeroizing::new(format!("Bearer {}", token.expose_secret()))
            }
        };
        let mut value = HeaderValue::from_str(&plain).map_err(|_| {
            invalid("the token contains characters that are not allowed in an HTTP header")
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidConfig {
        setting: "credentials",
        reason: reason.to_owned(),
        source: None,
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Basic { username, .. } => f
                .debug_struct("Credentials::Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Kind::Bearer(_) => f
                .debug_struct("Credentials::Bearer")
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(value: &str) -> SecretString {
        SecretString::from(value.to_owned())
    }

    #[test]
    fn robot_basic_header_is_byte_exact() {
        let credentials = Credentials::basic("robot$library+ci", secret("s3cr3t-EXAMPLE"));
        let header = credentials.header_value().unwrap();
        assert_eq!(
            header.to_str().unwrap(),
            "Basic cm9ib3QkbGlicmFyeStjaTpzM2NyM3QtRVhBTVBMRQ=="
        );
        assert!(header.is_sensitive());
    }

    #[test]
    fn bearer_header() {
        let header = Credentials::bearer(secret("tok-EXAMPLE"))
            .header_value()
            .unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer tok-EXAMPLE");
    }

    #[test]
    fn debug_hides_password_and_token() {
        let basic = format!(
            "{:?}",
            Credentials::basic("user1", secret("s3cr3t-EXAMPLE"))
        );
        assert!(basic.contains("user1"));
        assert!(!basic.contains("s3cr3t"));
        let bearer = format!("{:?}", Credentials::bearer(secret("tok-EXAMPLE")));
        assert!(!bearer.contains("tok-EXAMPLE"));
    }

    #[test]
    fn invalid_credentials_are_rejected() {
        let cases = [
            Credentials::basic("", secret("x")),
            Credentials::basic("user:1", secret("x")),
            Credentials::bearer(secret("")),
            Credentials::bearer(secret("line\nbreak")),
        ];
        for credentials in cases {
            let error = credentials.header_value().unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::InvalidConfig {
                        setting: "credentials",
                        ..
                    }
                ),
                "{error}"
            );
        }
    }
}
