//! Projects: creation, idempotency, updates, proxy cache and the missing-`Location` fallback.

use harbor_client::Error;
use harbor_client::tasks::{Outcome, ProjectSpec, ensure_project};

use crate::fake_harbor::FakeHarbor;

#[tokio::test]
async fn project_created_then_unchanged() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = ProjectSpec::new("team-a")
        .unwrap()
        .public(true)
        .storage_limit(10 << 30)
        .unwrap();

    let first = ensure_project(&client, &spec).await.unwrap();
    assert!(matches!(first, Outcome::Created(_)), "{first:?}");
    assert_eq!(first.resource().name.as_deref(), Some("team-a"));
    let writes = harbor.take_writes();
    assert_eq!(writes, ["POST /projects"]);
    let quota = harbor.state().quotas.last().unwrap().hard.clone().unwrap();
    assert_eq!(quota["storage"], 10 << 30);

    let second = ensure_project(&client, &spec).await.unwrap();
    assert!(matches!(second, Outcome::Unchanged(_)), "{second:?}");
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn project_visibility_and_quota_updated() {
    let harbor = FakeHarbor::start().await;
    let id = harbor.state().add_project("team-b", false);
    let client = harbor.client();
    let spec = ProjectSpec::new("team-b")
        .unwrap()
        .public(true)
        .storage_limit(1024)
        .unwrap();

    let outcome = ensure_project(&client, &spec).await.unwrap();
    assert!(matches!(outcome, Outcome::Updated(_)), "{outcome:?}");
    let metadata = outcome.resource().metadata.clone().unwrap();
    assert_eq!(metadata.public.as_deref(), Some("true"));
    let quota_id = harbor.state().quotas[0].id.unwrap();
    assert_eq!(
        harbor.take_writes(),
        [
            format!("PUT /projects/{id}"),
            format!("PUT /quotas/{quota_id}")
        ]
    );

    let again = ensure_project(&client, &spec).await.unwrap();
    assert!(!again.is_change());
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn project_fields_not_requested_are_untouched() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("team-c", true);
    let client = harbor.client();

    let outcome = ensure_project(&client, &ProjectSpec::new("team-c").unwrap())
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Unchanged(_)), "{outcome:?}");
    let metadata = outcome.resource().metadata.clone().unwrap();
    assert_eq!(metadata.public.as_deref(), Some("true"));
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn proxy_cache_registry_cannot_change() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("hub-cache", false);
    let client = harbor.client();
    let spec = ProjectSpec::new("hub-cache").unwrap().proxy_cache(7);

    let error = ensure_project(&client, &spec).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::CannotUpdate {
                field: "proxy cache registry",
                ..
            }
        ),
        "{error}"
    );
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn proxy_cache_project_sends_registry_id() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = ProjectSpec::new("hub-cache")
        .unwrap()
        .public(true)
        .proxy_cache(7);

    let outcome = ensure_project(&client, &spec).await.unwrap();
    assert_eq!(outcome.resource().registry_id, Some(7));
    let create = harbor
        .take_requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(create.body["registry_id"], 7);

    assert!(!ensure_project(&client, &spec).await.unwrap().is_change());
}

#[tokio::test]
async fn created_without_location_reads_by_name() {
    let harbor = FakeHarbor::start().await;
    harbor.state().omit_location = true;
    let client = harbor.client();

    let outcome = ensure_project(&client, &ProjectSpec::new("123").unwrap())
        .await
        .unwrap();
    let id = outcome.resource().project_id.unwrap();
    assert_eq!(Some(id), harbor.state().project_id("123"));

    let requests = harbor.take_requests();
    let lookup = requests.last().unwrap();
    assert_eq!(lookup.line(), "GET /projects/123");
    assert_eq!(lookup.is_resource_name.as_deref(), Some("true"));
}

#[tokio::test]
async fn invalid_project_name_sends_nothing() {
    let error = ProjectSpec::new("Team_A").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("\"Team_A\""), "{message}");
    assert!(message.contains("lower-case"), "{message}");
}
