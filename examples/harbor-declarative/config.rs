//! The declarative file: its TOML shape, and its conversion to the harbor-client desired states.

use std::collections::BTreeSet;
use std::error::Error;

use harbor_client::ProjectRef;
use harbor_client::tasks::replication::{Destination, Direction, Filter, Trigger};
use harbor_client::tasks::{
    Member, MemberSpec, ProjectSpec, Provider, RegistrySpec, ReplicationPolicySpec, RobotLevel,
    RobotPermissionSpec, RobotSpec, Role,
};
use secrecy::SecretString;
use serde::Deserialize;

/// The whole file. Every list may be empty.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    #[serde(default, rename = "registry")]
    pub(crate) registries: Vec<RegistryEntry>,
    #[serde(default, rename = "project")]
    pub(crate) projects: Vec<ProjectEntry>,
    #[serde(default, rename = "robot")]
    pub(crate) robots: Vec<RobotEntry>,
    #[serde(default, rename = "replication")]
    pub(crate) replications: Vec<ReplicationEntry>,
}

/// A registry endpoint. The secret comes from the environment variable `secret_env`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistryEntry {
    pub(crate) name: String,
    pub(crate) provider: String,
    pub(crate) url: String,
    pub(crate) access_key: Option<String>,
    pub(crate) secret_env: Option<String>,
}

/// A project with its members.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectEntry {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) public: bool,
    pub(crate) storage_limit_gib: Option<i64>,
    pub(crate) auto_scan: Option<bool>,
    #[serde(default)]
    pub(crate) members: Vec<MemberEntry>,
}

/// A user's role in a project.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberEntry {
    pub(crate) user: String,
    pub(crate) role: String,
}

/// A project robot account with `(resource, action)` pairs in its project.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RobotEntry {
    pub(crate) name: String,
    pub(crate) project: String,
    pub(crate) description: Option<String>,
    pub(crate) duration_days: Option<i64>,
    pub(crate) access: Vec<(String, String)>,
}

/// A replication rule that names its endpoint by registry name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplicationEntry {
    pub(crate) name: String,
    pub(crate) registry: String,
    pub(crate) direction: String,
    #[serde(default)]
    pub(crate) filters: Vec<FilterEntry>,
    pub(crate) destination: Option<String>,
    pub(crate) replace_count: Option<i64>,
    pub(crate) trigger: String,
    pub(crate) cron: Option<String>,
}

/// A replication filter: `kind` is `name`, `tag`, `label` or `resource`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilterEntry {
    pub(crate) kind: String,
    pub(crate) value: String,
    pub(crate) decoration: Option<String>,
}

impl File {
    /// Parses the TOML text and checks that names are unique and that every replication rule
    /// names a registry of the file.
    pub(crate) fn parse(text: &str) -> Result<Self, Box<dyn Error>> {
        let file: File = toml::from_str(text)?;
        unique(
            "registry",
            file.registries.iter().map(|entry| entry.name.as_str()),
        )?;
        unique(
            "project",
            file.projects.iter().map(|entry| entry.name.as_str()),
        )?;
        unique(
            "replication",
            file.replications.iter().map(|entry| entry.name.as_str()),
        )?;
        for rule in &file.replications {
            if !file
                .registries
                .iter()
                .any(|registry| registry.name == rule.registry)
            {
                return Err(format!(
                    "replication {} names registry {:?}, which is not a [[registry]] of the file",
                    rule.name, rule.registry
                )
                .into());
            }
        }
        Ok(file)
    }
}

fn unique<'a>(kind: &str, names: impl Iterator<Item = &'a str>) -> Result<(), Box<dyn Error>> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(format!("{kind} {name:?} appears twice; each name may appear once").into());
        }
    }
    Ok(())
}

/// Maps Harbor's adapter type name, such as `docker-hub`, to a provider.
pub(crate) fn provider(name: &str) -> Result<Provider, Box<dyn Error>> {
    let all = [
        Provider::Harbor,
        Provider::DockerHub,
        Provider::DockerRegistry,
        Provider::AzureAcr,
        Provider::AwsEcr,
        Provider::GoogleGcr,
        Provider::GithubGhcr,
        Provider::Quay,
        Provider::JfrogArtifactory,
        Provider::Gitlab,
    ];
    all.into_iter()
        .find(|provider| provider.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|provider| provider.as_str()).collect();
            format!(
                "provider {name:?} is invalid; use one of {}",
                names.join(", ")
            )
            .into()
        })
}

/// Maps a role name such as `developer` to Harbor's role.
pub(crate) fn role(name: &str) -> Result<Role, Box<dyn Error>> {
    match name {
        "project-admin" => Ok(Role::ProjectAdmin),
        "maintainer" => Ok(Role::Maintainer),
        "developer" => Ok(Role::Developer),
        "guest" => Ok(Role::Guest),
        "limited-guest" => Ok(Role::LimitedGuest),
        _ => Err(format!(
            "role {name:?} is invalid; use project-admin, maintainer, developer, guest or limited-guest"
        )
        .into()),
    }
}

impl RegistryEntry {
    /// Builds the endpoint with `secret` as the access secret when the entry has an access key.
    pub(crate) fn spec(
        &self,
        secret: Option<SecretString>,
    ) -> Result<RegistrySpec, Box<dyn Error>> {
        let spec = RegistrySpec::new(&self.name, provider(&self.provider)?, &self.url)?;
        match (&self.access_key, secret) {
            (Some(key), Some(secret)) => Ok(spec.credential(key, secret)?),
            (None, _) => Ok(spec),
            (Some(_), None) => Err(format!(
                "registry {} has an access_key but no secret_env naming the variable with its secret",
                self.name
            )
            .into()),
        }
    }
}

impl ProjectEntry {
    pub(crate) fn spec(&self) -> Result<ProjectSpec, Box<dyn Error>> {
        let mut spec = ProjectSpec::new(&self.name)?.public(self.public);
        if let Some(gib) = self.storage_limit_gib {
            spec = spec.storage_limit(gib.saturating_mul(1 << 30))?;
        }
        if let Some(auto_scan) = self.auto_scan {
            spec = spec.auto_scan(auto_scan);
        }
        Ok(spec)
    }

    pub(crate) fn member_specs(&self) -> Result<Vec<MemberSpec>, Box<dyn Error>> {
        let mut specs = Vec::new();
        for member in &self.members {
            specs.push(MemberSpec::new(
                ProjectRef::name(&self.name),
                Member::User(member.user.clone()),
                role(&member.role)?,
            )?);
        }
        Ok(specs)
    }
}

impl RobotEntry {
    pub(crate) fn spec(&self) -> Result<RobotSpec, Box<dyn Error>> {
        let mut spec =
            RobotSpec::new(&self.name, RobotLevel::Project(self.project.clone()))?.permission(
                RobotPermissionSpec::project(&self.project, self.access.clone()),
            );
        if let Some(description) = &self.description {
            spec = spec.description(description);
        }
        if let Some(days) = self.duration_days {
            spec = spec.duration_days(days)?;
        }
        Ok(spec)
    }
}

impl ReplicationEntry {
    /// Builds the policy for the endpoint with id `registry_id`.
    pub(crate) fn spec(&self, registry_id: i64) -> Result<ReplicationPolicySpec, Box<dyn Error>> {
        let direction = match self.direction.as_str() {
            "pull" => Direction::Pull {
                source_registry_id: registry_id,
            },
            "push" => Direction::Push {
                destination_registry_id: registry_id,
            },
            other => {
                return Err(format!(
                    "replication {} has direction {other:?}; use pull or push",
                    self.name
                )
                .into());
            }
        };
        let mut spec = ReplicationPolicySpec::new(&self.name, direction)?
            .trigger(Trigger::parse(&self.trigger, self.cron.as_deref())?)?;
        if let Some(namespace) = &self.destination {
            spec = spec.destination(Destination::new(namespace, self.replace_count))?;
        }
        for filter in &self.filters {
            spec = spec.filter(Filter::parse(
                &filter.kind,
                &filter.value,
                filter.decoration.as_deref(),
            )?)?;
        }
        Ok(spec)
    }
}
