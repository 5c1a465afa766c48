//! Project members and robot accounts.

use harbor_client::Error;
use harbor_client::generated::models::UserResp;
use harbor_client::tasks::{
    GroupType, Member, MemberSpec, Outcome, RobotLevel, RobotPermissionSpec, RobotSpec, Role,
    ensure_project_member, ensure_robot, refresh_robot_secret,
};
use secrecy::{ExposeSecret, SecretString};

use crate::fake_harbor::FakeHarbor;

fn seed_user(harbor: &FakeHarbor, name: &str) {
    let mut state = harbor.state();
    let id = state.next_id();
    state.users.push(UserResp {
        user_id: Some(id),
        username: Some(name.to_owned()),
        ..UserResp::default()
    });
}

#[tokio::test]
async fn member_added_then_role_changed() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    seed_user(&harbor, "dave");
    let client = harbor.client();

    let developer =
        MemberSpec::new("library", Member::User("dave".to_owned()), Role::Developer).unwrap();
    let created = ensure_project_member(&client, &developer).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(created.resource().role_id, Some(2));
    assert_eq!(harbor.take_writes(), ["POST /projects/library/members"]);

    let unchanged = ensure_project_member(&client, &developer).await.unwrap();
    assert!(matches!(unchanged, Outcome::Unchanged(_)), "{unchanged:?}");
    assert!(harbor.take_writes().is_empty());

    let maintainer =
        MemberSpec::new("library", Member::User("dave".to_owned()), Role::Maintainer).unwrap();
    let updated = ensure_project_member(&client, &maintainer).await.unwrap();
    assert!(matches!(updated, Outcome::Updated(_)), "{updated:?}");
    assert_eq!(updated.resource().role_id, Some(4));
    let member_id = updated.resource().id.unwrap();
    assert_eq!(
        harbor.take_writes(),
        [format!("PUT /projects/library/members/{member_id}")]
    );
}

#[tokio::test]
async fn group_member_sent_as_group() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    let client = harbor.client();
    let member = Member::Group {
        name: "platform".to_owned(),
        group_type: GroupType::Oidc,
    };
    let spec = MemberSpec::new("library", member, Role::LimitedGuest).unwrap();

    let outcome = ensure_project_member(&client, &spec).await.unwrap();
    assert_eq!(outcome.resource().entity_type.as_deref(), Some("g"));
    let create = harbor
        .take_requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(create.body["member_group"]["group_name"], "platform");
    assert_eq!(create.body["member_group"]["group_type"], 3);
    assert_eq!(create.body["role_id"], 5);

    assert!(
        !ensure_project_member(&client, &spec)
            .await
            .unwrap()
            .is_change()
    );
}

#[tokio::test]
async fn member_of_unknown_user_fails() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    let client = harbor.client();
    let spec = MemberSpec::new("library", Member::User("nobody".to_owned()), Role::Guest).unwrap();

    let error = ensure_project_member(&client, &spec).await.unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND), "{error}");
}

fn ci_robot() -> RobotSpec {
    RobotSpec::new("ci", RobotLevel::Project("library".to_owned()))
        .unwrap()
        .description("CI pushes")
        .permission(RobotPermissionSpec::project(
            "library",
            [("repository", "pull"), ("repository", "push")],
        ))
}

#[tokio::test]
async fn robot_created_with_secret_once() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    let client = harbor.client();

    let created = ensure_robot(&client, &ci_robot()).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    let robot = created.resource();
    assert_eq!(robot.robot.name.as_deref(), Some("robot$library+ci"));
    let secret = robot
        .secret
        .as_ref()
        .expect("a created robot carries its secret");
    assert!(secret.secret().expose_secret().starts_with("Generated"));
    assert!(!format!("{created:?}").contains("Generated"));
    assert_eq!(harbor.take_writes(), ["POST /robots"]);

    let unchanged = ensure_robot(&client, &ci_robot()).await.unwrap();
    assert!(matches!(unchanged, Outcome::Unchanged(_)), "{unchanged:?}");
    assert!(unchanged.resource().secret.is_none());
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn robot_permissions_updated() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    let client = harbor.client();
    let created = ensure_robot(&client, &ci_robot()).await.unwrap();
    let id = created.resource().robot.id.unwrap();
    harbor.take_requests();

    let pull_only = RobotSpec::new("ci", RobotLevel::Project("library".to_owned()))
        .unwrap()
        .permission(RobotPermissionSpec::project(
            "library",
            [("repository", "pull")],
        ));
    let updated = ensure_robot(&client, &pull_only).await.unwrap();
    assert!(matches!(updated, Outcome::Updated(_)), "{updated:?}");
    assert_eq!(harbor.take_writes(), [format!("PUT /robots/{id}")]);
    let permissions = updated.resource().robot.permissions.clone().unwrap();
    assert_eq!(permissions[0].access.as_ref().unwrap().len(), 1);
    assert_eq!(
        updated.resource().robot.description.as_deref(),
        Some("CI pushes")
    );
}

#[tokio::test]
async fn robot_found_under_other_prefix() {
    let harbor = FakeHarbor::start().await;
    let project_id = harbor.state().add_project("library", false);
    let client = harbor.client();
    let spec = ci_robot();
    ensure_robot(&client, &spec).await.unwrap();
    {
        let mut state = harbor.state();
        let robot = state
            .robots
            .iter_mut()
            .find(|r| r.creator_ref == Some(project_id))
            .unwrap();
        robot.name = Some("bot_library+ci".to_owned());
    }
    harbor.take_requests();

    let outcome = ensure_robot(&client, &spec).await.unwrap();
    assert!(matches!(outcome, Outcome::Unchanged(_)), "{outcome:?}");
    assert_eq!(
        outcome.resource().robot.name.as_deref(),
        Some("bot_library+ci")
    );
}

#[tokio::test]
async fn robot_of_missing_project_fails() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();

    let error = ensure_robot(&client, &ci_robot()).await.unwrap_err();
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
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn robot_secret_refreshed() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    let client = harbor.client();
    let id = ensure_robot(&client, &ci_robot())
        .await
        .unwrap()
        .resource()
        .robot
        .id
        .unwrap();

    let generated = refresh_robot_secret(&client, id, None).await.unwrap();
    assert_eq!(generated.secret().expose_secret(), "RefreshedSecret1");

    let chosen = SecretString::from("Chosen1Secret".to_owned());
    let returned = refresh_robot_secret(&client, id, Some(chosen))
        .await
        .unwrap();
    assert_eq!(returned.secret().expose_secret(), "Chosen1Secret");

    let weak = refresh_robot_secret(&client, id, Some(SecretString::from("weak".to_owned()))).await;
    assert!(matches!(weak, Err(Error::InvalidArgument { .. })));
}

#[tokio::test]
async fn system_robot_across_projects() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = RobotSpec::new("mirror", RobotLevel::System)
        .unwrap()
        .duration_days(90)
        .unwrap()
        .permission(RobotPermissionSpec::project("*", [("repository", "pull")]))
        .permission(RobotPermissionSpec::system([("registry", "list")]));

    let created = ensure_robot(&client, &spec).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(
        created.resource().robot.name.as_deref(),
        Some("robot$mirror")
    );
    let create = harbor
        .take_requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(create.body["level"], "system");
    assert_eq!(create.body["duration"], 90);
    assert_eq!(create.body["permissions"][1]["kind"], "system");
    assert_eq!(create.body["permissions"][1]["namespace"], "/");

    assert!(!ensure_robot(&client, &spec).await.unwrap().is_change());
    assert!(harbor.take_writes().is_empty());
}
