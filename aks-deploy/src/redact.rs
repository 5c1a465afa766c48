//! Replacement of secret values by `***` in text that leaves the process (errors, logs).

use secrecy::{ExposeSecret, SecretString};

/// Replaces every known secret value in a text by `***`.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<SecretString>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// Returns a redactor of `secrets`; empty secrets are ignored.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a SecretString>) -> Self {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// Adds one secret.
    pub fn add(&mut self, secret: &SecretString) {
        if !secret.expose_secret().is_empty() {
            self.secrets.push(secret.clone());
        }
    }

    /// Returns `text` with each secret value replaced by `***`; longer secrets go first so that
    /// a secret containing another is replaced whole.
    pub fn redact(&self, text: &str) -> String {
        let mut values: Vec<&str> = self.secrets.iter().map(|s| s.expose_secret()).collect();
        values.sort_by_key(|value| std::cmp::Reverse(value.len()));
        let mut output = text.to_string();
        for value in values {
            output = output.replace(value, "***");
        }
        output
    }

    /// Returns true when `text` contains a secret value.
    pub fn leaks(&self, text: &str) -> bool {
        self.secrets
            .iter()
            .any(|s| text.contains(s.expose_secret()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_every_secret() {
        let one = SecretString::from("s3cr3t-EXAMPLE");
        let two = SecretString::from("s3cr3t");
        let redactor = Redactor::new([&two, &one]);
        assert_eq!(redactor.redact("a s3cr3t-EXAMPLE b s3cr3t"), "a *** b ***");
    }

    #[test]
    fn debug_hides_secret_values() {
        let secret = SecretString::from("s3cr3t-EXAMPLE");
        let debug = format!("{:?}", Redactor::new([&secret]));
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }
}
