//! Whether a kept credential can be reused, decided from what ARM and the Secret contain.

use std::fmt;

use acr_client::{PasswordName, RegistryName, Token, TokenName};
use time::OffsetDateTime;

use super::StoredCredential;
use crate::workflows::replicate_to_acr::{PasswordRenewal, password_renewal};

/// Reason that a credential is generated in place of the kept one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replacement {
    /// The caller requested new credentials (`--rotate-credentials`).
    Rotation,
    /// No Secret keeps the credential yet, for example on the first run.
    NotStored,
    /// The Secret keeps the credential of this other token or robot.
    OtherUser(String),
    /// The Secret keeps a password of another registry or password slot, named here.
    OtherSlot(String),
    /// ARM lists no password in the slot, so the kept one no longer exists.
    SlotEmpty,
    /// ARM lists a password created at another time than the kept one, so someone generated
    /// a new password in the slot since.
    Regenerated {
        /// Creation time stored with the kept password.
        kept: OffsetDateTime,
        /// Creation time ARM lists for the slot.
        listed: OffsetDateTime,
    },
    /// The slot's password expired or expires within the renewal margin.
    Renewal(PasswordRenewal),
    /// Harbor rejected a login with the kept robot secret.
    LoginRejected,
}

impl fmt::Display for Replacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rotation => f.write_str("--rotate-credentials was given"),
            Self::NotStored => f.write_str("no kept credential was found"),
            Self::OtherUser(user) => write!(f, "the kept credential belongs to {user}"),
            Self::OtherSlot(slot) => write!(f, "the kept password belongs to {slot}"),
            Self::SlotEmpty => f.write_str("ARM lists no password in the slot"),
            Self::Regenerated { kept, listed } => write!(
                f,
                "the slot's password was generated again at {} after the kept one of {}",
                rfc3339(*listed),
                rfc3339(*kept)
            ),
            Self::Renewal(renewal) => renewal.fmt(f),
            Self::LoginRejected => f.write_str("Harbor rejected a login with the kept secret"),
        }
    }
}

fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| time.to_string())
}

/// Identifies the slot a password belongs to, as stored with it: `<registry>/<token>/<slot>`.
pub(super) fn slot_label(registry: &RegistryName, token: &TokenName, slot: PasswordName) -> String {
    format!("{registry}/{token}/{}", slot.as_str())
}

/// Decides whether the kept password of `token_name` can be reused, given `token` as ARM
/// returns it. `None` means reuse it.
///
/// The kept password is reused only when all of these hold:
/// - it belongs to this registry, token and slot;
/// - ARM still lists a password in the slot;
/// - that password was created when the kept one was, where both times are known;
/// - its expiry lies beyond the renewal margin of [`password_renewal`].
pub fn acr_password_replacement(
    stored: Option<&StoredCredential>,
    registry: &RegistryName,
    token_name: &TokenName,
    token: &Token,
    slot: PasswordName,
    rotate: bool,
    now: OffsetDateTime,
) -> Option<Replacement> {
    if rotate {
        return Some(Replacement::Rotation);
    }
    let Some(stored) = stored else {
        return Some(Replacement::NotStored);
    };
    if stored.username != token_name.as_str() {
        return Some(Replacement::OtherUser(stored.username.clone()));
    }
    let expected = slot_label(registry, token_name, slot);
    match &stored.slot {
        Some(kept) if *kept == expected => {}
        Some(kept) => return Some(Replacement::OtherSlot(kept.clone())),
        None => return Some(Replacement::OtherSlot("an unnamed slot".to_owned())),
    }

    let Some(listed) = token.password(slot) else {
        return Some(Replacement::SlotEmpty);
    };
    if let (Some(kept), Some(listed)) = (stored.created, listed.creation_date)
        && kept != listed
    {
        return Some(Replacement::Regenerated { kept, listed });
    }
    password_renewal(token, slot, now).map(Replacement::Renewal)
}

/// Decides, before any login, whether the kept robot secret can be tried. `None` means try
/// it: a login with it then decides.
pub fn robot_secret_replacement(
    stored: Option<&StoredCredential>,
    login_name: &str,
    rotate: bool,
) -> Option<Replacement> {
    if rotate {
        return Some(Replacement::Rotation);
    }
    let Some(stored) = stored else {
        return Some(Replacement::NotStored);
    };
    if stored.username != login_name {
        return Some(Replacement::OtherUser(stored.username.clone()));
    }
    None
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    fn registry() -> RegistryName {
        RegistryName::new("exampleacr").unwrap()
    }

    fn kept(username: &str, slot: &str, created: Option<OffsetDateTime>) -> StoredCredential {
        StoredCredential {
            username: username.to_owned(),
            secret: SecretString::from("kept-EXAMPLE"),
            slot: Some(slot.to_owned()),
            created,
        }
    }

    /// Builds token `harbor-push` whose password1 has these RFC 3339 times, when given.
    fn token(password1: Option<(&str, Option<&str>)>) -> Token {
        let passwords: Vec<serde_json::Value> = password1
            .map(|(created, expiry)| {
                serde_json::json!({"name": "password1", "creationTime": created, "expiry": expiry})
            })
            .into_iter()
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": "/t", "name": "harbor-push",
            "properties": {"credentials": {"passwords": passwords}}
        }))
        .unwrap()
    }

    fn decide(
        stored: Option<&StoredCredential>,
        token: &Token,
        rotate: bool,
    ) -> Option<Replacement> {
        let name = TokenName::new("harbor-push").unwrap();
        acr_password_replacement(
            stored,
            &registry(),
            &name,
            token,
            PasswordName::Password1,
            rotate,
            NOW,
        )
    }

    #[test]
    fn acr_password_kept_while_valid() {
        let created = datetime!(2025-12-01 00:00 UTC);
        let stored = kept(
            "harbor-push",
            "exampleacr/harbor-push/password1",
            Some(created),
        );
        let never_expires = token(Some(("2025-12-01T00:00:00Z", None)));
        let far_expiry = token(Some(("2025-12-01T00:00:00Z", Some("2026-06-01T00:00:00Z"))));

        assert_eq!(decide(Some(&stored), &never_expires, false), None);
        assert_eq!(decide(Some(&stored), &far_expiry, false), None);
    }

    #[test]
    fn acr_password_replaced_with_reason() {
        let created = datetime!(2025-12-01 00:00 UTC);
        let stored = kept(
            "harbor-push",
            "exampleacr/harbor-push/password1",
            Some(created),
        );
        let valid = token(Some(("2025-12-01T00:00:00Z", None)));

        assert_eq!(
            decide(Some(&stored), &valid, true),
            Some(Replacement::Rotation)
        );
        assert_eq!(decide(None, &valid, false), Some(Replacement::NotStored));
        let other_token = kept("old-token", "exampleacr/old-token/password1", Some(created));
        assert_eq!(
            decide(Some(&other_token), &valid, false),
            Some(Replacement::OtherUser("old-token".to_owned()))
        );
        let other_slot = kept(
            "harbor-push",
            "exampleacr/harbor-push/password2",
            Some(created),
        );
        assert_eq!(
            decide(Some(&other_slot), &valid, false),
            Some(Replacement::OtherSlot(
                "exampleacr/harbor-push/password2".to_owned()
            ))
        );
        assert_eq!(
            decide(Some(&stored), &token(None), false),
            Some(Replacement::SlotEmpty)
        );
        let regenerated = token(Some(("2025-12-20T00:00:00Z", None)));
        assert_eq!(
            decide(Some(&stored), &regenerated, false),
            Some(Replacement::Regenerated {
                kept: created,
                listed: datetime!(2025-12-20 00:00 UTC)
            })
        );
        let expiring = token(Some(("2025-12-01T00:00:00Z", Some("2026-01-05T00:00:00Z"))));
        assert_eq!(
            decide(Some(&stored), &expiring, false),
            Some(Replacement::Renewal(PasswordRenewal::ExpiresSoon(
                datetime!(2026-01-05 00:00 UTC)
            )))
        );
    }

    #[test]
    fn acr_password_without_creation_times_kept() {
        let stored = kept("harbor-push", "exampleacr/harbor-push/password1", None);
        let listed = token(Some(("2025-12-20T00:00:00Z", None)));

        assert_eq!(decide(Some(&stored), &listed, false), None);
    }

    #[test]
    fn robot_secret_tried_only_for_same_robot() {
        let stored = kept("robot$library+acr-import", "", None);

        assert_eq!(
            robot_secret_replacement(Some(&stored), "robot$library+acr-import", false),
            None
        );
        assert_eq!(
            robot_secret_replacement(Some(&stored), "robot$library+acr-import", true),
            Some(Replacement::Rotation)
        );
        assert_eq!(
            robot_secret_replacement(None, "robot$library+acr-import", false),
            Some(Replacement::NotStored)
        );
        assert_eq!(
            robot_secret_replacement(Some(&stored), "bot-library+acr-import", false),
            Some(Replacement::OtherUser(
                "robot$library+acr-import".to_owned()
            ))
        );
    }

    #[test]
    fn replacement_reasons_read_as_sentences() {
        assert_eq!(
            Replacement::Renewal(PasswordRenewal::Expired(datetime!(2025-12-31 00:00 UTC)))
                .to_string(),
            "the password expired at 2025-12-31T00:00:00Z"
        );
        assert_eq!(
            Replacement::Regenerated {
                kept: datetime!(2025-12-01 00:00 UTC),
                listed: datetime!(2025-12-20 00:00 UTC)
            }
            .to_string(),
            "the slot's password was generated again at 2025-12-20T00:00:00Z after the kept one of 2025-12-01T00:00:00Z"
        );
    }
}
