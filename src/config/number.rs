//! Deserializers for ports and replica counts whose errors state the valid range.
//!
//! serde's own message for `-1` in a `u32` field is "expected u32", which names a Rust type and
//! not the rule. These read any TOML integer and report a value out of range with the rule the
//! validation uses for that key. The parse error adds the key and its line.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Rule text of a port, shared with the validation of port 0.
pub(crate) const PORT_RULE: &str = "a port is 1-65535";

/// Rule text of a replica count, shared with the validation of 0 replicas.
pub(crate) const REPLICAS_RULE: &str = "replicas are at least 1";

/// Reads a TCP port. 0 passes here, so that validation reports it with the other problems.
pub(crate) fn port<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    let value = deserializer.deserialize_i64(Bounded {
        max: u16::MAX.into(),
        rule: PORT_RULE,
    })?;
    u16::try_from(value).map_err(|_| de::Error::custom(PORT_RULE))
}

/// Reads a replica count. 0 passes here, so that validation reports it with the other problems.
pub(crate) fn replicas<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = deserializer.deserialize_i64(Bounded {
        max: u32::MAX.into(),
        rule: REPLICAS_RULE,
    })?;
    u32::try_from(value).map_err(|_| de::Error::custom(REPLICAS_RULE))
}

/// Accepts integers from 0 to `max`.
struct Bounded {
    max: i64,
    rule: &'static str,
}

impl Bounded {
    fn below_zero<E: de::Error>(&self, value: i64) -> E {
        E::custom(format!("invalid value {value}: {}", self.rule))
    }

    fn above_max<E: de::Error>(&self, value: impl fmt::Display) -> E {
        E::custom(format!(
            "invalid value {value}: the maximum is {}",
            self.max
        ))
    }
}

impl Visitor<'_> for Bounded {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number without quotes ({})", self.rule)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
        if value < 0 {
            Err(self.below_zero(value))
        } else if value > self.max {
            Err(self.above_max(value))
        } else {
            Ok(value)
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
        match i64::try_from(value) {
            Ok(value) => self.visit_i64(value),
            Err(_) => Err(self.above_max(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "port")]
        port: u16,
        #[serde(deserialize_with = "replicas")]
        replicas: u32,
    }

    fn parse(text: &str) -> Result<Holder, String> {
        toml::from_str::<Holder>(text).map_err(|error| error.message().to_owned())
    }

    #[test]
    fn values_in_range_parse() {
        let holder = parse("port = 65535\nreplicas = 0").unwrap();
        assert_eq!(holder.port, 65535);
        assert_eq!(holder.replicas, 0);
    }

    #[test]
    fn out_of_range_names_rule() {
        assert_eq!(
            parse("port = 70000\nreplicas = 1").unwrap_err(),
            "invalid value 70000: the maximum is 65535"
        );
        assert_eq!(
            parse("port = -1\nreplicas = 1").unwrap_err(),
            "invalid value -1: a port is 1-65535"
        );
        assert_eq!(
            parse("port = 80\nreplicas = -1").unwrap_err(),
            "invalid value -1: replicas are at least 1"
        );
        assert_eq!(
            parse("port = 80\nreplicas = 4294967296").unwrap_err(),
            "invalid value 4294967296: the maximum is 4294967295"
        );
    }

    #[test]
    fn quoted_number_asks_for_number() {
        let message = parse("port = \"80\"\nreplicas = 1").unwrap_err();
        assert!(
            message.contains("a whole number without quotes"),
            "{message}"
        );
    }
}
