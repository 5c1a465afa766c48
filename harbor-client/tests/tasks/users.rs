//! Users: creation, profile and admin flag updates, password policy and reset.

use harbor_client::Error;
use harbor_client::tasks::{Outcome, UserSpec, ensure_user, reset_user_password};
use secrecy::SecretString;

use crate::fake_harbor::FakeHarbor;

fn password(value: &str) -> SecretString {
    SecretString::from(value.to_owned())
}

#[tokio::test]
async fn user_created_then_unchanged() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = UserSpec::new(
        "alice",
        "alice@example.test",
        "Alice",
        password("Harbor12345"),
    )
    .unwrap()
    .sysadmin(true);

    let first = ensure_user(&client, &spec).await.unwrap();
    assert!(matches!(first, Outcome::Created(_)), "{first:?}");
    assert_eq!(first.resource().sysadmin_flag, Some(true));
    let id = first.resource().user_id.unwrap();
    assert_eq!(
        harbor.take_writes(),
        [
            "POST /users".to_owned(),
            format!("PUT /users/{id}/sysadmin")
        ]
    );
    assert_eq!(harbor.state().passwords[&id], "Harbor12345");

    let second = ensure_user(&client, &spec).await.unwrap();
    assert!(matches!(second, Outcome::Unchanged(_)), "{second:?}");
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn user_profile_and_admin_flag_updated() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = UserSpec::new("bob", "bob@example.test", "Bob", password("Harbor12345"))
        .unwrap()
        .sysadmin(true);
    ensure_user(&client, &spec).await.unwrap();
    harbor.take_requests();

    let changed = UserSpec::new(
        "bob",
        "bob@new.example.test",
        "Bob",
        password("Harbor12345"),
    )
    .unwrap()
    .sysadmin(false);
    let outcome = ensure_user(&client, &changed).await.unwrap();
    assert!(matches!(outcome, Outcome::Updated(_)), "{outcome:?}");
    assert_eq!(
        outcome.resource().email.as_deref(),
        Some("bob@new.example.test")
    );
    assert_eq!(outcome.resource().sysadmin_flag, Some(false));
    let id = outcome.resource().user_id.unwrap();
    assert_eq!(
        harbor.take_writes(),
        [
            format!("PUT /users/{id}"),
            format!("PUT /users/{id}/sysadmin")
        ]
    );
}

#[tokio::test]
async fn weak_password_rejected_before_sending() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();

    let error = reset_user_password(&client, 1, &password("harbor12345"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidArgument {
                name: "password",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("upper-case"), "{error}");
    assert!(!error.to_string().contains("harbor12345"), "{error}");
    assert!(harbor.take_requests().is_empty());
}

#[tokio::test]
async fn password_reset_sends_new_password() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = UserSpec::new(
        "carol",
        "carol@example.test",
        "Carol",
        password("Harbor12345"),
    )
    .unwrap();
    let id = ensure_user(&client, &spec)
        .await
        .unwrap()
        .resource()
        .user_id
        .unwrap();

    reset_user_password(&client, id, &password("NewPassw0rd"))
        .await
        .unwrap();
    assert_eq!(harbor.state().passwords[&id], "NewPassw0rd");
    let requests = harbor.take_requests();
    let reset = requests.last().unwrap();
    assert_eq!(reset.line(), format!("PUT /users/{id}/password"));
    assert!(reset.body.get("old_password").is_none());
}

#[tokio::test]
async fn admin_flag_kept_when_unset() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let admin = UserSpec::new("erin", "erin@example.test", "Erin", password("Harbor12345"))
        .unwrap()
        .sysadmin(true);
    ensure_user(&client, &admin).await.unwrap();
    harbor.take_requests();

    let unset =
        UserSpec::new("erin", "erin@example.test", "Erin", password("Harbor12345")).unwrap();
    let outcome = ensure_user(&client, &unset).await.unwrap();
    assert!(matches!(outcome, Outcome::Unchanged(_)), "{outcome:?}");
    assert_eq!(outcome.resource().sysadmin_flag, Some(true));
    assert!(harbor.take_writes().is_empty());
}
