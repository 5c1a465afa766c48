//! Local Harbor users: profile, system-admin flag and password.

use secrecy::{ExposeSecret, SecretString};

use crate::Client;
use crate::Error;
use crate::generated::Secret;
use crate::generated::models::{
    PasswordReq, UserCreationReq, UserProfile, UserResp, UserSysAdminFlag,
};
use crate::query::Query;
use crate::tasks::{Outcome, validate};

/// Desired state of a local (database) user.
///
/// The password is sent only when the user is created; [`reset_user_password`] changes it later,
/// because Harbor never returns a password to compare with. `Debug` redacts the password.
#[derive(Debug, Clone)]
pub struct UserSpec {
    username: String,
    email: String,
    realname: String,
    comment: Option<String>,
    password: SecretString,
    sysadmin: Option<bool>,
}

impl UserSpec {
    /// Starts a user with its login name, e-mail address, full name and initial password.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty or padded name, an e-mail address without `@`, or a
    /// password that breaks [`check_password`].
    pub fn new(
        username: impl Into<String>,
        email: impl Into<String>,
        realname: impl Into<String>,
        password: SecretString,
    ) -> Result<Self, Error> {
        let username = username.into();
        let email = email.into();
        let realname = realname.into();
        validate::plain_name("username", &username, 255)?;
        if username.contains([',', '~', '#', '$', '%', '"']) {
            return Err(Error::invalid(
                "username",
                username,
                "a username must not contain , ~ # $ % or \"",
            ));
        }
        let at = email.find('@');
        if !at.is_some_and(|at| at > 0 && at + 1 < email.len()) {
            return Err(Error::invalid(
                "email",
                email,
                "an e-mail address has the form name@domain",
            ));
        }
        validate::plain_name("realname", &realname, 255)?;
        check_password(&password)?;
        Ok(Self {
            username,
            email,
            realname,
            comment: None,
            password,
            sysadmin: None,
        })
    }

    /// Sets the comment shown in the user list.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Grants or revokes the system administrator role. Unset, a new user is not an
    /// administrator and an existing user keeps the role.
    pub fn sysadmin(mut self, sysadmin: bool) -> Self {
        self.sysadmin = Some(sysadmin);
        self
    }

    /// Returns the login name.
    pub fn username(&self) -> &str {
        &self.username
    }
}

/// Checks Harbor's password policy: at least 8 characters with an upper-case letter (`A-Z`), a
/// lower-case letter (`a-z`) and a digit.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming the missing class. The password itself is never shown.
pub fn check_password(password: &SecretString) -> Result<(), Error> {
    let value = password.expose_secret();
    let rule = if value.chars().count() < 8 {
        Some("a password has at least 8 characters")
    } else if !value.chars().any(|c| c.is_ascii_uppercase()) {
        Some("a password contains an upper-case letter")
    } else if !value.chars().any(|c| c.is_ascii_lowercase()) {
        Some("a password contains a lower-case letter")
    } else if !value.chars().any(|c| c.is_ascii_digit()) {
        Some("a password contains a digit")
    } else {
        None
    };
    match rule {
        Some(rule) => Err(Error::invalid("password", "[REDACTED]", rule)),
        None => Ok(()),
    }
}

/// Creates the user, or brings its e-mail, full name, comment and system-admin flag to `spec`.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_user(client: &Client, spec: &UserSpec) -> Result<Outcome<UserResp>, Error> {
    let Some(actual) = find_user(client, &spec.username).await? else {
        return create(client, spec).await.map(Outcome::Created);
    };
    let id = user_id(&actual, &spec.username)?;

    let mut changed = false;
    let profile_differs = actual.email.as_deref() != Some(spec.email.as_str())
        || actual.realname.as_deref() != Some(spec.realname.as_str())
        || (spec.comment.is_some() && actual.comment != spec.comment);
    if profile_differs {
        let profile = UserProfile {
            email: Some(spec.email.clone()),
            realname: Some(spec.realname.clone()),
            comment: spec.comment.clone().or(actual.comment.clone()),
        };
        client.update_user_profile(id, profile).send().await?;
        changed = true;
    }
    if let Some(sysadmin) = spec
        .sysadmin
        .filter(|sysadmin| actual.sysadmin_flag.unwrap_or(false) != *sysadmin)
    {
        set_sysadmin(client, id, sysadmin).await?;
        changed = true;
    }

    if !changed {
        return Ok(Outcome::Unchanged(actual));
    }
    Ok(Outcome::Updated(client.get_user(id).send().await?))
}

/// Sets a new password for the user with id `user_id`, as a system administrator does.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the password breaks [`check_password`] (checked before the
/// request), and the request's [`Error`] when the request fails.
pub async fn reset_user_password(
    client: &Client,
    user_id: i64,
    password: &SecretString,
) -> Result<(), Error> {
    check_password(password)?;
    let request = PasswordReq {
        old_password: None,
        new_password: Some(Secret::new(password.expose_secret())),
    };
    client.update_user_password(user_id, request).send().await?;
    Ok(())
}

/// Returns the user whose login name is exactly `username`, if any.
pub(crate) async fn find_user(client: &Client, username: &str) -> Result<Option<UserResp>, Error> {
    let query = Query::builder().exact("username", username).build()?;
    let page = client.list_users().q(query).page_size(100).send().await?;
    Ok(page
        .items
        .into_iter()
        .find(|user| user.username.as_deref() == Some(username)))
}

async fn create(client: &Client, spec: &UserSpec) -> Result<UserResp, Error> {
    let request = UserCreationReq {
        email: Some(spec.email.clone()),
        realname: Some(spec.realname.clone()),
        comment: spec.comment.clone(),
        password: Some(Secret::new(spec.password.expose_secret())),
        username: Some(spec.username.clone()),
    };
    let created = client.create_user(request).send().await?;
    let id = match created.id() {
        Some(id) => id,
        None => {
            let user = find_user(client, &spec.username)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "user",
                    name: spec.username.clone(),
                })?;
            user_id(&user, &spec.username)?
        }
    };
    if spec.sysadmin == Some(true) {
        set_sysadmin(client, id, true).await?;
    }
    client.get_user(id).send().await
}

async fn set_sysadmin(client: &Client, id: i64, sysadmin: bool) -> Result<(), Error> {
    let flag = UserSysAdminFlag {
        sysadmin_flag: Some(sysadmin),
    };
    client.set_user_sys_admin(id, flag).send().await?;
    Ok(())
}

fn user_id(user: &UserResp, username: &str) -> Result<i64, Error> {
    user.user_id.ok_or_else(|| Error::NotFound {
        kind: "user id of user",
        name: username.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(value: &str) -> SecretString {
        SecretString::from(value.to_owned())
    }

    #[test]
    fn password_policy() {
        assert!(check_password(&password("Harbor12345")).is_ok());
        for weak in ["Short1A", "alllower123", "ALLUPPER123", "NoDigitsHere"] {
            let error = check_password(&password(weak)).unwrap_err().to_string();
            assert!(
                !error.contains(weak),
                "the message shows the password: {error}"
            );
        }
    }

    #[test]
    fn spec_debug_redacts_the_password() {
        let spec = UserSpec::new(
            "alice",
            "alice@example.test",
            "Alice",
            password("Secret123abc"),
        )
        .unwrap();
        assert!(!format!("{spec:?}").contains("Secret123abc"));
    }

    #[test]
    fn spec_rejects_bad_fields() {
        assert!(UserSpec::new("", "a@b.test", "A", password("Harbor12345")).is_err());
        assert!(UserSpec::new("a$b", "a@b.test", "A", password("Harbor12345")).is_err());
        assert!(UserSpec::new("alice", "alice", "A", password("Harbor12345")).is_err());
        assert!(UserSpec::new("alice", "a@b.test", "A", password("weak")).is_err());
    }
}
