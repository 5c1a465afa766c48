//! Robot creation against Harbor responses that differ from the default: a configured name
//! prefix, and a create response whose body has no id.

use harbor_client::tasks::{Outcome, RobotLevel, RobotPermissionSpec, RobotSpec, ensure_robot};
use secrecy::ExposeSecret;

use crate::fake_harbor::FakeHarbor;

fn ci_robot() -> RobotSpec {
    RobotSpec::new("ci", RobotLevel::Project("library".to_owned()))
        .unwrap()
        .permission(RobotPermissionSpec::project(
            "library",
            [("repository", "pull"), ("repository", "push")],
        ))
}

#[tokio::test]
async fn robot_keeps_name_under_custom_prefix() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    harbor.state().robot_name_prefix = Some("bot-".to_owned());
    let client = harbor.client();

    let created = ensure_robot(&client, &ci_robot()).await.unwrap();

    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(
        created.resource().robot.name.as_deref(),
        Some("bot-library+ci")
    );
    let create = harbor
        .take_requests()
        .into_iter()
        .find(|request| request.method == "POST")
        .unwrap();
    assert_eq!(create.body["name"], "ci");

    let again = ensure_robot(&client, &ci_robot()).await.unwrap();

    assert!(matches!(again, Outcome::Unchanged(_)), "{again:?}");
    assert_eq!(
        again.resource().robot.name.as_deref(),
        Some("bot-library+ci")
    );
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn robot_id_read_from_location() {
    let harbor = FakeHarbor::start().await;
    harbor.state().add_project("library", false);
    harbor.state().robot_create_body_without_id = true;
    let client = harbor.client();

    let created = ensure_robot(&client, &ci_robot()).await.unwrap();

    let robot = created.resource();
    let id = robot.robot.id.expect("the robot has the id from Location");
    assert_eq!(robot.robot.name.as_deref(), Some("robot$library+ci"));
    let secret = robot.secret.as_ref().expect("the body carries the secret");
    assert_eq!(
        secret.secret().expose_secret(),
        format!("Generated{id}Secret")
    );
    let lines: Vec<String> = harbor
        .take_requests()
        .iter()
        .map(|request| request.line())
        .collect();
    let post = lines
        .iter()
        .position(|line| line == "POST /robots")
        .unwrap();
    assert_eq!(lines[post + 1..], [format!("GET /robots/{id}")]);
}
