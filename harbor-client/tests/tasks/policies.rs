//! Labels, tag retention policies and immutable tag rules.

use harbor_client::Error;
use harbor_client::tasks::{
    Cron, ImmutableRuleSpec, LabelScope, LabelSpec, Outcome, RetentionRuleSpec, RetentionSpec,
    RetentionTemplate, Selector, ensure_immutable_rule, ensure_label, ensure_retention_policy,
};

use crate::fake_harbor::FakeHarbor;

#[tokio::test]
async fn label_created_updated_unchanged() {
    let harbor = FakeHarbor::start().await;
    let project_id = harbor.state().add_project("library", false);
    let client = harbor.client();
    let spec = LabelSpec::new("qa", LabelScope::Project(project_id))
        .unwrap()
        .color("#00ff00")
        .unwrap();

    let created = ensure_label(&client, &spec).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(created.resource().scope.as_deref(), Some("p"));
    assert_eq!(harbor.take_writes(), ["POST /labels"]);

    assert!(!ensure_label(&client, &spec).await.unwrap().is_change());
    assert!(harbor.take_writes().is_empty());

    let recolored = spec.color("#FF0000").unwrap().description("ready for QA");
    let updated = ensure_label(&client, &recolored).await.unwrap();
    assert!(matches!(updated, Outcome::Updated(_)), "{updated:?}");
    assert_eq!(updated.resource().color.as_deref(), Some("#FF0000"));
    let id = updated.resource().id.unwrap();
    assert_eq!(harbor.take_writes(), [format!("PUT /labels/{id}")]);
}

fn keep_ten() -> RetentionRuleSpec {
    RetentionRuleSpec::new(
        RetentionTemplate::LatestPushed(10),
        Selector::matching("**").unwrap(),
        Selector::excluding("dev-*").unwrap(),
    )
}

#[tokio::test]
async fn retention_created_then_unchanged() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    let client = harbor.client();
    let spec = RetentionSpec::new("library")
        .unwrap()
        .rule(keep_ten())
        .unwrap()
        .schedule(Cron::parse("0 0 1 * * *").unwrap());

    let created = ensure_retention_policy(&client, &spec).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(harbor.take_writes(), ["POST /retentions"]);

    let unchanged = ensure_retention_policy(&client, &spec).await.unwrap();
    assert!(matches!(unchanged, Outcome::Unchanged(_)), "{unchanged:?}");
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn retention_rules_replaced_when_changed() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    let client = harbor.client();
    let first = RetentionSpec::new("library")
        .unwrap()
        .rule(keep_ten())
        .unwrap();
    let id = ensure_retention_policy(&client, &first)
        .await
        .unwrap()
        .resource()
        .id
        .unwrap();
    harbor.take_requests();

    let second = RetentionSpec::new("library")
        .unwrap()
        .rule(keep_ten())
        .unwrap()
        .rule(RetentionRuleSpec::new(
            RetentionTemplate::PulledWithinDays(30),
            Selector::matching("app/**").unwrap(),
            Selector::matching("**").unwrap(),
        ))
        .unwrap();
    let updated = ensure_retention_policy(&client, &second).await.unwrap();
    assert!(matches!(updated, Outcome::Updated(_)), "{updated:?}");
    assert_eq!(updated.resource().rules.as_ref().unwrap().len(), 2);
    assert_eq!(harbor.take_writes(), [format!("PUT /retentions/{id}")]);
}

#[tokio::test]
async fn retention_of_missing_project_fails() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = RetentionSpec::new("ghost")
        .unwrap()
        .rule(keep_ten())
        .unwrap();

    let error = ensure_retention_policy(&client, &spec).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotFound {
                kind: "project",
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn immutable_rule_created_then_toggled() {
    let harbor = FakeHarbor::start().await;
    let project_id = harbor.state().add_project("library", false);
    let client = harbor.client();
    let spec = ImmutableRuleSpec::new(
        "library",
        Selector::matching("**").unwrap(),
        Selector::matching("v*").unwrap(),
    );

    let created = ensure_immutable_rule(&client, &spec).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(
        harbor.take_writes(),
        ["POST /projects/library/immutabletagrules"]
    );

    assert!(
        !ensure_immutable_rule(&client, &spec)
            .await
            .unwrap()
            .is_change()
    );
    assert!(harbor.take_writes().is_empty());

    let disabled = ensure_immutable_rule(&client, &spec.clone().disabled(true))
        .await
        .unwrap();
    assert!(matches!(disabled, Outcome::Updated(_)), "{disabled:?}");
    assert_eq!(disabled.resource().disabled, Some(true));
    let id = disabled.resource().id.unwrap();
    assert_eq!(
        harbor.take_writes(),
        [format!("PUT /projects/library/immutabletagrules/{id}")]
    );

    let other = ImmutableRuleSpec::new(
        "library",
        Selector::matching("**").unwrap(),
        Selector::matching("release-*").unwrap(),
    );
    assert!(matches!(
        ensure_immutable_rule(&client, &other).await.unwrap(),
        Outcome::Created(_)
    ));
    let rules = harbor
        .state()
        .immutable_rules
        .iter()
        .filter(|(owner, _)| *owner == project_id)
        .count();
    assert_eq!(rules, 2);
}

#[tokio::test]
async fn global_label_idempotent() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = LabelSpec::new("release", LabelScope::Global)
        .unwrap()
        .description("shipped builds");

    let created = ensure_label(&client, &spec).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(created.resource().scope.as_deref(), Some("g"));
    assert_eq!(created.resource().project_id, None);
    harbor.take_requests();

    assert!(!ensure_label(&client, &spec).await.unwrap().is_change());
    assert!(harbor.take_writes().is_empty());
}
