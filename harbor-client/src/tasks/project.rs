//! Projects: public or private, storage quota, proxy cache.

use crate::Error;
use crate::generated::models::{Project, ProjectMetadata, ProjectReq, QuotaUpdateReq};
use crate::tasks::{Outcome, validate};
use crate::{Client, ProjectRef};

/// Desired state of a project.
///
/// Only the fields set here are compared and changed; other project settings are left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSpec {
    name: String,
    public: Option<bool>,
    storage_limit: Option<i64>,
    proxy_cache_registry_id: Option<i64>,
    auto_scan: Option<bool>,
}

impl ProjectSpec {
    /// Starts a private project named `name`, without quota or proxy cache.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `name` breaks Harbor's project name rules.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        validate::project_name(&name)?;
        Ok(Self {
            name,
            public: None,
            storage_limit: None,
            proxy_cache_registry_id: None,
            auto_scan: None,
        })
    }

    /// Makes the project public (anyone may pull) or private. Unset, a new project is private
    /// and an existing one keeps its visibility.
    pub fn public(mut self, public: bool) -> Self {
        self.public = Some(public);
        self
    }

    /// Sets the storage quota in bytes; `-1` means unlimited.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for 0 or a value below -1.
    pub fn storage_limit(mut self, bytes: i64) -> Result<Self, Error> {
        if bytes == 0 || bytes < -1 {
            return Err(Error::invalid(
                "storage limit",
                bytes.to_string(),
                "the storage limit is a positive number of bytes, or -1 for unlimited",
            ));
        }
        self.storage_limit = Some(bytes);
        Ok(self)
    }

    /// Makes the project a proxy cache of the registry endpoint with id `registry_id`, for
    /// example the id returned by [`ensure_registry`](crate::tasks::ensure_registry).
    ///
    /// Harbor fixes this at creation: an existing project with another upstream is an error.
    pub fn proxy_cache(mut self, registry_id: i64) -> Self {
        self.proxy_cache_registry_id = Some(registry_id);
        self
    }

    /// Turns scanning on push on or off.
    pub fn auto_scan(mut self, enabled: bool) -> Self {
        self.auto_scan = Some(enabled);
        self
    }

    /// Returns the project name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn metadata(&self) -> ProjectMetadata {
        ProjectMetadata {
            public: Some(self.public.unwrap_or(false).to_string()),
            auto_scan: self.auto_scan.map(|enabled| enabled.to_string()),
            ..ProjectMetadata::default()
        }
    }
}

/// Creates the project, or brings its visibility, auto-scan setting and storage quota to `spec`.
///
/// # Errors
///
/// [`Error::CannotUpdate`] when the project exists with another proxy-cache registry, and
/// the request's [`Error`] when a request fails.
pub async fn ensure_project(
    client: &Client,
    spec: &ProjectSpec,
) -> Result<Outcome<Project>, Error> {
    let actual = match client
        .get_project(ProjectRef::name(&spec.name))
        .send()
        .await
    {
        Ok(project) => project,
        Err(error) if error.is_not_found() => {
            return create(client, spec).await.map(Outcome::Created);
        }
        Err(error) => return Err(error),
    };
    let id = project_id(&actual, &spec.name)?;

    let actual_registry = actual.registry_id.filter(|id| *id > 0);
    if actual_registry != spec.proxy_cache_registry_id {
        return Err(Error::CannotUpdate {
            kind: "project",
            name: spec.name.clone(),
            field: "proxy cache registry",
            reason: format!(
                "actual registry id {actual_registry:?}, desired {:?}",
                spec.proxy_cache_registry_id
            ),
        });
    }

    let mut changed = false;
    let metadata = actual.metadata.clone().unwrap_or_default();
    let public_differs = spec
        .public
        .is_some_and(|public| !flag_equals(metadata.public.as_deref(), public));
    let auto_scan_differs = spec
        .auto_scan
        .is_some_and(|enabled| !flag_equals(metadata.auto_scan.as_deref(), enabled));
    if public_differs || auto_scan_differs {
        let request = ProjectReq {
            metadata: Some(ProjectMetadata {
                public: spec.public.map(|public| public.to_string()),
                auto_scan: spec.auto_scan.map(|enabled| enabled.to_string()),
                ..ProjectMetadata::default()
            }),
            ..ProjectReq::default()
        };
        client
            .update_project(ProjectRef::id(id), request)
            .send()
            .await?;
        changed = true;
    }

    if let Some(limit) = spec.storage_limit {
        changed |= ensure_storage_limit(client, id, limit).await?;
    }

    if !changed {
        return Ok(Outcome::Unchanged(actual));
    }
    let project = client.get_project(ProjectRef::id(id)).send().await?;
    Ok(Outcome::Updated(project))
}

async fn create(client: &Client, spec: &ProjectSpec) -> Result<Project, Error> {
    let request = ProjectReq {
        project_name: Some(spec.name.clone()),
        public: Some(spec.public.unwrap_or(false)),
        metadata: Some(spec.metadata()),
        storage_limit: spec.storage_limit,
        registry_id: spec.proxy_cache_registry_id,
        ..ProjectReq::default()
    };
    let created = client.create_project(request).send().await?;
    // Some Harbor versions return 201 without `Location`. The project is then read by name,
    // which sends `X-Is-Resource-Name: true` so a name made of digits is not taken for an id.
    let reference = match created.id() {
        Some(id) => ProjectRef::id(id),
        None => ProjectRef::name(&spec.name),
    };
    client.get_project(reference).send().await
}

/// Sets the project's storage quota to `limit` bytes. Returns whether it changed.
async fn ensure_storage_limit(client: &Client, project_id: i64, limit: i64) -> Result<bool, Error> {
    let page = client
        .list_quotas()
        .reference("project")
        .reference_id(project_id.to_string())
        .send()
        .await?;
    let quota = page
        .items
        .into_iter()
        .next()
        .ok_or_else(|| Error::NotFound {
            kind: "storage quota of project id",
            name: project_id.to_string(),
        })?;
    let current = quota
        .hard
        .as_ref()
        .and_then(|hard| hard.get("storage").copied());
    if current == Some(limit) {
        return Ok(false);
    }
    let quota_id = quota.id.ok_or_else(|| Error::NotFound {
        kind: "id of the storage quota of project id",
        name: project_id.to_string(),
    })?;
    let hard = QuotaUpdateReq {
        hard: Some([("storage".to_owned(), limit)].into_iter().collect()),
    };
    client.update_quota(quota_id, hard).send().await?;
    Ok(true)
}

/// Returns the id of a project read from Harbor.
pub(crate) fn project_id(project: &Project, name: &str) -> Result<i64, Error> {
    project.project_id.ok_or_else(|| Error::NotFound {
        kind: "project id of project",
        name: name.to_owned(),
    })
}

/// Compares a Harbor metadata flag (`"true"`/`"false"`, missing means false) with `desired`.
pub(crate) fn flag_equals(actual: Option<&str>, desired: bool) -> bool {
    actual.is_some_and(|value| value.eq_ignore_ascii_case("true")) == desired
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_validates_before_any_request() {
        assert!(ProjectSpec::new("Team").is_err());
        let spec = ProjectSpec::new("team").unwrap();
        assert!(spec.clone().storage_limit(0).is_err());
        assert!(spec.clone().storage_limit(-2).is_err());
        assert!(spec.storage_limit(-1).is_ok());
    }

    #[test]
    fn metadata_flags() {
        assert!(flag_equals(Some("true"), true));
        assert!(flag_equals(Some("False"), false));
        assert!(flag_equals(None, false));
        assert!(!flag_equals(None, true));
    }
}
