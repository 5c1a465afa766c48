//! Robot accounts, system and project level, with their permissions and secret.

use std::collections::BTreeSet;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::Error;
use crate::generated::Secret;
use crate::generated::models::{
    Access, Robot, RobotCreate, RobotCreated, RobotPermission, RobotSec,
};
use crate::generated::operations::robot::CreateRobot;
use crate::query::Query;
use crate::tasks::{Outcome, project};
use crate::{Client, ProjectRef};

/// Level of a robot account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RobotLevel {
    /// A system robot, which may hold permissions in several projects and system-wide.
    System,
    /// A robot of one project, by project name.
    Project(String),
}

/// One permission entry: the `access` list granted on `namespace` (a project name, `*` for all
/// projects, or `/` for system resources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotPermissionSpec {
    kind: &'static str,
    namespace: String,
    access: Vec<(String, String)>,
}

impl RobotPermissionSpec {
    /// Grants `(resource, action)` pairs, for example `("repository", "pull")`, in `project`
    /// (`*` for every project).
    pub fn project<R, A>(
        project: impl Into<String>,
        access: impl IntoIterator<Item = (R, A)>,
    ) -> Self
    where
        R: Into<String>,
        A: Into<String>,
    {
        Self::with_kind("project", project.into(), access)
    }

    /// Grants system-wide `(resource, action)` pairs, for example `("registry", "list")`.
    pub fn system<R, A>(access: impl IntoIterator<Item = (R, A)>) -> Self
    where
        R: Into<String>,
        A: Into<String>,
    {
        Self::with_kind("system", "/".to_owned(), access)
    }

    fn with_kind<R, A>(
        kind: &'static str,
        namespace: String,
        access: impl IntoIterator<Item = (R, A)>,
    ) -> Self
    where
        R: Into<String>,
        A: Into<String>,
    {
        Self {
            kind,
            namespace,
            access: access
                .into_iter()
                .map(|(resource, action)| (resource.into(), action.into()))
                .collect(),
        }
    }

    fn to_model(&self) -> RobotPermission {
        RobotPermission {
            kind: Some(self.kind.to_owned()),
            namespace: Some(self.namespace.clone()),
            access: Some(
                self.access
                    .iter()
                    .map(|(resource, action)| Access {
                        resource: Some(resource.clone()),
                        action: Some(action.clone()),
                        effect: None,
                    })
                    .collect(),
            ),
        }
    }
}

/// Desired state of a robot account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotSpec {
    name: String,
    level: RobotLevel,
    description: Option<String>,
    duration_days: i64,
    disabled: bool,
    permissions: Vec<RobotPermissionSpec>,
}

impl RobotSpec {
    /// Starts an enabled robot that never expires and has no permissions.
    ///
    /// `name` is the short name (`ci`); Harbor stores it with a configurable prefix and, for
    /// project robots, the project name (`robot$library+ci` by default).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `name` is not lower-case letters and digits separated by
    /// single `.`, `_` or `-`, or when the project name is invalid.
    pub fn new(name: impl Into<String>, level: RobotLevel) -> Result<Self, Error> {
        let name = name.into();
        check_robot_name(&name)?;
        if let RobotLevel::Project(project) = &level {
            crate::tasks::validate::project_name(project)?;
        }
        Ok(Self {
            name,
            level,
            description: None,
            duration_days: -1,
            disabled: false,
            permissions: Vec::new(),
        })
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the lifetime in days from creation; `-1` (the default) never expires.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for 0 or a value below -1.
    pub fn duration_days(mut self, days: i64) -> Result<Self, Error> {
        if days == 0 || days < -1 {
            return Err(Error::invalid(
                "robot duration",
                days.to_string(),
                "the duration is a positive number of days, or -1 for no expiry",
            ));
        }
        self.duration_days = days;
        Ok(self)
    }

    /// Disables or enables the robot.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// Adds a permission entry.
    pub fn permission(mut self, permission: RobotPermissionSpec) -> Self {
        self.permissions.push(permission);
        self
    }

    /// Checks Harbor's permission rules: at least one permission, none with an empty access list,
    /// and exactly one `project` permission on its own project for a project robot.
    fn check_permissions(&self) -> Result<(), Error> {
        if self.permissions.is_empty() {
            return Err(Error::invalid(
                "robot permissions",
                &self.name,
                "a robot needs at least one permission; add one with RobotSpec::permission",
            ));
        }
        if let Some(empty) = self
            .permissions
            .iter()
            .find(|permission| permission.access.is_empty())
        {
            return Err(Error::invalid(
                "robot permissions",
                &empty.namespace,
                "each permission needs at least one (resource, action) pair",
            ));
        }
        if let RobotLevel::Project(project) = &self.level {
            let only_own_project = self.permissions.len() == 1
                && self.permissions[0].kind == "project"
                && &self.permissions[0].namespace == project;
            if !only_own_project {
                return Err(Error::invalid(
                    "robot permissions",
                    &self.name,
                    format!(
                        "a project robot has exactly one permission, of kind project on {project:?}"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn level_name(&self) -> &'static str {
        match self.level {
            RobotLevel::System => "system",
            RobotLevel::Project(_) => "project",
        }
    }

    /// Returns the part of the stored name that follows Harbor's configurable prefix.
    fn name_suffix(&self) -> String {
        match &self.level {
            RobotLevel::System => self.name.clone(),
            RobotLevel::Project(project) => format!("{project}+{}", self.name),
        }
    }

    fn permission_models(&self) -> Vec<RobotPermission> {
        self.permissions
            .iter()
            .map(RobotPermissionSpec::to_model)
            .collect()
    }
}

/// A robot secret. `Debug` and `Display` print `[REDACTED]`.
#[derive(Clone)]
pub struct RobotSecret(SecretString);

impl RobotSecret {
    /// Returns the secret.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for RobotSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RobotSecret([REDACTED])")
    }
}

impl From<Secret> for RobotSecret {
    fn from(secret: Secret) -> Self {
        Self(SecretString::from(secret.expose_secret().to_owned()))
    }
}

/// A robot account as Harbor stores it, and its secret when it was just created.
#[derive(Debug, Clone)]
pub struct EnsuredRobot {
    /// The robot account; `name` is the full name Harbor returns, for example `robot$library+ci`.
    pub robot: Robot,
    /// The secret, present only when the robot was created by this call: Harbor returns it once.
    pub secret: Option<RobotSecret>,
}

/// Creates the robot account, or brings its description, duration, disabled flag and
/// permissions to `spec`.
///
/// The existing robot is looked up among the robots of its level and project. Its name is the
/// spec's name, or ends with it after Harbor's configurable prefix, so no prefix is assumed.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_robot(
    client: &Client,
    spec: &RobotSpec,
) -> Result<Outcome<EnsuredRobot>, Error> {
    spec.check_permissions()?;
    let Some(actual) = find_robot(client, spec).await? else {
        return create(client, spec).await.map(Outcome::Created);
    };
    let id = actual.id.ok_or_else(|| Error::NotFound {
        kind: "id of robot",
        name: spec.name.clone(),
    })?;

    let permissions_differ = permission_set(actual.permissions.as_deref().unwrap_or_default())
        != permission_set(&spec.permission_models());
    let differs = permissions_differ
        || actual.duration != Some(spec.duration_days)
        || actual.disable.unwrap_or(false) != spec.disabled
        || (spec.description.is_some() && actual.description != spec.description);
    if !differs {
        return Ok(Outcome::Unchanged(EnsuredRobot {
            robot: actual,
            secret: None,
        }));
    }

    let update = Robot {
        description: spec.description.clone().or(actual.description.clone()),
        duration: Some(spec.duration_days),
        disable: Some(spec.disabled),
        permissions: Some(spec.permission_models()),
        secret: None,
        ..actual
    };
    client.update_robot(id, update).send().await?;
    let robot = client.get_robot_by_id(id).send().await?;
    Ok(Outcome::Updated(EnsuredRobot {
        robot,
        secret: None,
    }))
}

/// Replaces the robot's secret. With `secret` unset Harbor generates one.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when a given secret breaks Harbor's password policy, and
/// the request's [`Error`] when the request fails.
pub async fn refresh_robot_secret(
    client: &Client,
    robot_id: i64,
    secret: Option<SecretString>,
) -> Result<RobotSecret, Error> {
    if let Some(secret) = &secret {
        crate::tasks::user::check_password(secret)?;
    }
    let request = RobotSec {
        secret: secret
            .as_ref()
            .map(|secret| Secret::new(secret.expose_secret())),
    };
    let response = client.refresh_sec(robot_id, request).send().await?;
    match (response.secret, secret) {
        (Some(returned), _) if !returned.expose_secret().is_empty() => Ok(returned.into()),
        (_, Some(sent)) => Ok(RobotSecret(sent)),
        _ => Err(Error::NotFound {
            kind: "secret in the refresh response of robot id",
            name: robot_id.to_string(),
        }),
    }
}

async fn create(client: &Client, spec: &RobotSpec) -> Result<EnsuredRobot, Error> {
    let request = RobotCreate {
        name: Some(spec.name.clone()),
        description: spec.description.clone(),
        secret: None,
        level: Some(spec.level_name().to_owned()),
        disable: Some(spec.disabled),
        duration: Some(spec.duration_days),
        permissions: Some(spec.permission_models()),
    };
    // Harbor 2.2 and later return the id, the full name and the secret in the body. Without an
    // id in the body, the id comes from `Location`, and without both from the list.
    let request = CreateRobot::new(request).build()?;
    let (body, location) = client.execute_json_created::<RobotCreated>(request).await?;
    let body = body.unwrap_or_default();
    let secret = body.secret.map(RobotSecret::from);
    let robot = match body.id.or_else(|| location.id()) {
        Some(id) => client.get_robot_by_id(id).send().await?,
        None => find_robot(client, spec)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "robot",
                name: spec.name.clone(),
            })?,
    };
    Ok(EnsuredRobot { robot, secret })
}

async fn find_robot(client: &Client, spec: &RobotSpec) -> Result<Option<Robot>, Error> {
    use futures_util::TryStreamExt;

    let query = match &spec.level {
        RobotLevel::System => Query::builder().exact("Level", "system").build()?,
        RobotLevel::Project(name) => {
            let project = match client.get_project(ProjectRef::name(name)).send().await {
                Ok(project) => project,
                Err(error) if error.is_not_found() => {
                    return Err(Error::NotFound {
                        kind: "project",
                        name: name.clone(),
                    });
                }
                Err(error) => return Err(error),
            };
            let id = project::project_id(&project, name)?;
            Query::builder()
                .exact("Level", "project")
                .exact("ProjectID", id.to_string())
                .build()?
        }
    };
    let suffix = spec.name_suffix();
    let mut best: Option<(usize, Robot)> = None;
    let mut robots = std::pin::pin!(client.list_robot().q(query).stream());
    while let Some(robot) = robots.try_next().await? {
        let Some(prefix_len) = robot
            .name
            .as_deref()
            .and_then(|name| prefix_len(name, &suffix))
        else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(best_len, _)| prefix_len < *best_len)
        {
            best = Some((prefix_len, robot));
        }
    }
    Ok(best.map(|(_, robot)| robot))
}

/// Returns the length of the prefix before `suffix` when `full` is `suffix` under some prefix.
///
/// The prefix is Harbor's robot name prefix (`robot$` by default, configurable): it may be
/// empty, and otherwise it does not end with a letter or digit and has no `+`. When several
/// robots match, the caller takes the shortest prefix.
// NOTE: with a prefix such as `robot_`, the system robots `robot_ci` and `robot_x_ci` both match
// the name `ci`; the shortest prefix wins, which picks `robot_ci`.
fn prefix_len(full: &str, suffix: &str) -> Option<usize> {
    let prefix = full.strip_suffix(suffix)?;
    let valid = prefix.is_empty()
        || (!prefix.ends_with(|c: char| c.is_ascii_alphanumeric()) && !prefix.contains('+'));
    valid.then_some(prefix.len())
}

/// Normalizes permissions for comparison: order does not matter, and a missing effect is `allow`.
fn permission_set(
    permissions: &[RobotPermission],
) -> BTreeSet<(String, String, String, String, String)> {
    let mut set = BTreeSet::new();
    for permission in permissions {
        let kind = permission.kind.clone().unwrap_or_default();
        let namespace = permission.namespace.clone().unwrap_or_default();
        for access in permission.access.as_deref().unwrap_or_default() {
            set.insert((
                kind.clone(),
                namespace.clone(),
                access.resource.clone().unwrap_or_default(),
                access.action.clone().unwrap_or_default(),
                access
                    .effect
                    .clone()
                    .filter(|effect| !effect.is_empty())
                    .unwrap_or_else(|| "allow".to_owned()),
            ));
        }
    }
    set
}

/// Checks a robot name against Harbor's pattern `^[a-z0-9]+(?:[._-][a-z0-9]+)*$` (the robot
/// handler of Harbor 2.x).
fn check_robot_name(name: &str) -> Result<(), Error> {
    const RULE: &str = "a robot name is lower-case letters and digits, separated by single '.', \
                        '_' or '-'";
    let mut previous_separator = true;
    for byte in name.bytes() {
        let separator = b"._-".contains(&byte);
        let valid = byte.is_ascii_lowercase()
            || byte.is_ascii_digit()
            || (separator && !previous_separator);
        if !valid {
            return Err(Error::invalid("robot name", name, RULE));
        }
        previous_separator = separator;
    }
    if name.is_empty() || previous_separator {
        return Err(Error::invalid("robot name", name, RULE));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robot_names() {
        for valid in ["ci", "ci-bot", "a.b_c", "x1"] {
            assert!(check_robot_name(valid).is_ok(), "{valid}");
        }
        for invalid in ["", "CI", "-ci", "ci-", "a--b", "a b", "robot$ci", "a+b"] {
            assert!(check_robot_name(invalid).is_err(), "{invalid}");
        }
    }

    #[test]
    fn names_match_under_any_prefix() {
        assert_eq!(prefix_len("robot$library+ci", "library+ci"), Some(6));
        assert_eq!(prefix_len("bot_library+ci", "library+ci"), Some(4));
        assert_eq!(prefix_len("library+ci", "library+ci"), Some(0));
        assert_eq!(prefix_len("robot$mylibrary+ci", "library+ci"), None);
        assert_eq!(prefix_len("robot$other+library+ci", "library+ci"), None);
        assert_eq!(prefix_len("robot$ci", "ci"), Some(6));
        assert_eq!(prefix_len("robot$xci", "ci"), None);
    }

    #[test]
    fn permission_order_and_default_effect_do_not_matter() {
        let desired = RobotPermissionSpec::project(
            "library",
            [("repository", "pull"), ("repository", "push")],
        )
        .to_model();
        let mut actual = RobotPermissionSpec::project(
            "library",
            [("repository", "push"), ("repository", "pull")],
        )
        .to_model();
        actual.access.as_mut().unwrap()[0].effect = Some("allow".to_owned());
        assert_eq!(permission_set(&[desired]), permission_set(&[actual]));
    }

    #[test]
    fn permissions_follow_harbor_rules() {
        let project = || RobotSpec::new("ci", RobotLevel::Project("library".to_owned())).unwrap();
        assert!(project().check_permissions().is_err());
        let own = RobotPermissionSpec::project("library", [("repository", "pull")]);
        assert!(
            project()
                .permission(own.clone())
                .check_permissions()
                .is_ok()
        );
        let other = RobotPermissionSpec::project("other", [("repository", "pull")]);
        assert!(
            project()
                .permission(other.clone())
                .check_permissions()
                .is_err()
        );
        assert!(
            project()
                .permission(own)
                .permission(other.clone())
                .check_permissions()
                .is_err()
        );
        let empty = RobotPermissionSpec::project("*", Vec::<(String, String)>::new());
        let system = RobotSpec::new("mirror", RobotLevel::System).unwrap();
        assert!(
            system
                .clone()
                .permission(empty)
                .check_permissions()
                .is_err()
        );
        assert!(system.permission(other).check_permissions().is_ok());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = RobotSecret::from(Secret::new("s3cr3t-value"));
        assert!(!format!("{secret:?}").contains("s3cr3t"));
    }
}
