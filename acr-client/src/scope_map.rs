//! Scope maps: repository actions a token may perform.
//!
//! ARM replaces the whole action list on every update, so adding or removing actions is a
//! read-modify-write of the full list. Actions compare case-insensitively, and existing
//! entries keep the casing they were stored with.

use std::fmt;
use std::str::FromStr;

use futures_util::Stream;
use serde::Deserialize;

use crate::Error;
use crate::arm::FinalStateVia;
use crate::error::Ensured;
use crate::management::{API_VERSION, AcrManagementClient};
use crate::names::{RegistryName, RepositoryName, ScopeMapName};

/// An action on a repository, the last part of `repositories/<repo>/<action>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RepositoryAction {
    /// `content/read`: pull manifests and blobs.
    ContentRead,
    /// `content/write`: push manifests and blobs.
    ContentWrite,
    /// `content/delete`: delete manifests and repositories.
    ContentDelete,
    /// `metadata/read`: list tags and manifests, read their attributes.
    MetadataRead,
    /// `metadata/write`: change tag and manifest attributes (lock, unlock).
    MetadataWrite,
}

impl RepositoryAction {
    /// All five actions ACR accepts.
    pub const ALL: [RepositoryAction; 5] = [
        Self::ContentRead,
        Self::ContentWrite,
        Self::ContentDelete,
        Self::MetadataRead,
        Self::MetadataWrite,
    ];

    /// Returns the action as ARM spells it, such as `content/read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ContentRead => "content/read",
            Self::ContentWrite => "content/write",
            Self::ContentDelete => "content/delete",
            Self::MetadataRead => "metadata/read",
            Self::MetadataWrite => "metadata/write",
        }
    }
}

impl FromStr for RepositoryAction {
    type Err = Error;

    /// Parses an action case-insensitively.
    fn from_str(value: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| Error::InvalidInput {
                field: "repository action",
                reason: format!(
                    "{value:?} is not an ACR repository action; expected one of content/read, content/write, content/delete, metadata/read, metadata/write"
                ),
            })
    }
}

impl fmt::Display for RepositoryAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Repository permission a client needs, mapped to the actions it requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepositoryPermission {
    /// Pull images: `content/read`.
    Pull,
    /// Push images: `content/write` plus `content/read`, because `docker push` reads too.
    Push,
    /// List tags and manifests: `metadata/read`. Helm dependency updates and mirroring
    /// tools need it, and the system map `_repositories_pull` lacks it.
    ListTags,
    /// Delete images: `content/delete`.
    Delete,
    /// Change tag and manifest attributes: `metadata/write`.
    WriteMetadata,
}

impl RepositoryPermission {
    /// Actions this permission requires.
    pub fn actions(self) -> &'static [RepositoryAction] {
        match self {
            Self::Pull => &[RepositoryAction::ContentRead],
            Self::Push => &[
                RepositoryAction::ContentRead,
                RepositoryAction::ContentWrite,
            ],
            Self::ListTags => &[RepositoryAction::MetadataRead],
            Self::Delete => &[RepositoryAction::ContentDelete],
            Self::WriteMetadata => &[RepositoryAction::MetadataWrite],
        }
    }
}

/// One scope map entry: `repositories/<repository>/<action>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopeMapAction {
    /// Repository the action applies to.
    pub repository: RepositoryName,
    /// The action.
    pub action: RepositoryAction,
}

impl ScopeMapAction {
    /// Creates an entry.
    pub fn new(repository: RepositoryName, action: RepositoryAction) -> Self {
        Self { repository, action }
    }

    /// Entries for `repository` covering `permissions`, without duplicates, in the order
    /// of [`RepositoryAction::ALL`].
    pub fn for_permissions(
        repository: &RepositoryName,
        permissions: &[RepositoryPermission],
    ) -> Vec<Self> {
        let mut actions: Vec<RepositoryAction> = permissions
            .iter()
            .flat_map(|permission| permission.actions().iter().copied())
            .collect();
        actions.sort();
        actions.dedup();
        actions
            .into_iter()
            .map(|action| Self::new(repository.clone(), action))
            .collect()
    }

    /// Entries a mirror target needs: push, and list tags so that mirroring tools can
    /// compare tags. Never the system map `_repositories_pull`, which cannot list tags.
    pub fn for_mirror_target(repository: &RepositoryName) -> Vec<Self> {
        Self::for_permissions(
            repository,
            &[RepositoryPermission::Push, RepositoryPermission::ListTags],
        )
    }
}

impl FromStr for ScopeMapAction {
    type Err = Error;

    /// Parses `repositories/<repository>/<area>/<operation>`; `repositories` and the
    /// action compare case-insensitively.
    fn from_str(value: &str) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidInput {
            field: "scope map action",
            reason,
        };
        let mut parts = value.rsplitn(3, '/');
        let (Some(operation), Some(area), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid(format!(
                "{value:?} must have the form repositories/<repository>/<action>"
            )));
        };
        let Some(repository) = rest
            .get(..13)
            .filter(|prefix| prefix.eq_ignore_ascii_case("repositories/"))
            .map(|_| &rest[13..])
        else {
            return Err(invalid(format!("{value:?} must start with repositories/")));
        };
        let action: RepositoryAction = format!("{area}/{operation}").parse()?;
        Ok(Self::new(RepositoryName::new(repository)?, action))
    }
}

impl fmt::Display for ScopeMapAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "repositories/{}/{}", self.repository, self.action)
    }
}

/// Returns `existing` plus every entry of `add` not yet present (compared
/// case-insensitively); existing entries keep their casing and order.
pub fn merge_actions(existing: &[String], add: &[ScopeMapAction]) -> Vec<String> {
    let mut merged = existing.to_vec();
    for action in add {
        let action = action.to_string();
        if !merged
            .iter()
            .any(|entry| entry.eq_ignore_ascii_case(&action))
        {
            merged.push(action);
        }
    }
    merged
}

/// Returns `existing` without the entries of `remove` (compared case-insensitively).
pub fn remove_actions(existing: &[String], remove: &[ScopeMapAction]) -> Vec<String> {
    let remove: Vec<String> = remove.iter().map(ToString::to_string).collect();
    existing
        .iter()
        .filter(|entry| {
            !remove
                .iter()
                .any(|action| action.eq_ignore_ascii_case(entry))
        })
        .cloned()
        .collect()
}

/// Returns whether `existing` and `expected` contain the same actions, ignoring case, order and
/// duplicates.
fn same_actions(existing: &[String], expected: &[ScopeMapAction]) -> bool {
    let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
    let contains = |list: &[String], action: &String| {
        list.iter().any(|entry| entry.eq_ignore_ascii_case(action))
    };
    existing.iter().all(|action| contains(&expected, action))
        && expected.iter().all(|action| contains(existing, action))
}

/// System scope maps and the actions they grant on every repository.
pub const SYSTEM_SCOPE_MAPS: [(&str, &[RepositoryAction]); 3] = [
    ("_repositories_pull", &[RepositoryAction::ContentRead]),
    (
        "_repositories_push",
        &[
            RepositoryAction::ContentRead,
            RepositoryAction::ContentWrite,
        ],
    ),
    ("_repositories_admin", &RepositoryAction::ALL),
];

/// Returns the narrowest system scope map that grants every action in `actions`.
///
/// NOTE: lists only the three system maps above; ACR may define more.
pub fn system_scope_map_covering(actions: &[RepositoryAction]) -> Option<&'static str> {
    SYSTEM_SCOPE_MAPS
        .iter()
        .find(|(_, granted)| actions.iter().all(|action| granted.contains(action)))
        .map(|(name, _)| *name)
}

/// A scope map as ARM returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScopeMap {
    /// Resource id.
    pub id: String,
    /// Scope map name.
    pub name: String,
    /// Scope map properties.
    #[serde(default)]
    pub properties: ScopeMapProperties,
}

/// Properties of a scope map.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeMapProperties {
    /// Free-text description.
    #[serde(default)]
    pub description: Option<String>,
    /// `IsUserDefined` or `SystemDefined`.
    #[serde(default, rename = "type")]
    pub scope_map_type: Option<String>,
    /// Creation time as ARM formats it.
    #[serde(default)]
    pub creation_date: Option<String>,
    /// Provisioning state.
    #[serde(default)]
    pub provisioning_state: Option<String>,
    /// Action strings exactly as stored.
    #[serde(default)]
    pub actions: Vec<String>,
}

fn writable(scope_map: &ScopeMapName) -> Result<(), Error> {
    if scope_map.is_system() {
        return Err(Error::ReadOnlyScopeMap {
            name: scope_map.to_string(),
        });
    }
    Ok(())
}

impl AcrManagementClient {
    /// Creates a scope map, or replaces it when it exists, and waits for provisioning.
    ///
    /// # Errors
    /// [`Error::ReadOnlyScopeMap`] for a system scope map, [`Error::InvalidInput`] when
    /// `actions` is empty, [`Error::Arm`] or [`Error::Timeout`].
    pub async fn create_scope_map(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        description: Option<&str>,
        actions: &[ScopeMapAction],
    ) -> Result<ScopeMap, Error> {
        writable(scope_map)?;
        if actions.is_empty() {
            return Err(Error::InvalidInput {
                field: "actions",
                reason: format!("scope map {scope_map} needs at least one action"),
            });
        }
        let actions: Vec<String> = actions.iter().map(ToString::to_string).collect();
        let mut properties = serde_json::json!({ "actions": actions });
        if let Some(description) = description {
            properties["description"] = serde_json::json!(description);
        }
        let id = self.scope_map_id(registry, scope_map)?;
        let poller = self
            .arm()
            .begin_put(
                id.as_str(),
                API_VERSION,
                &serde_json::json!({ "properties": properties }),
                FinalStateVia::AzureAsyncOperation,
            )
            .await?;
        Ok(poller.wait_json().await?)
    }

    /// Reads a scope map.
    ///
    /// # Errors
    /// [`Error::Arm`]; [`Error::is_not_found`] is true when it does not exist.
    pub async fn get_scope_map(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
    ) -> Result<ScopeMap, Error> {
        let id = self.scope_map_id(registry, scope_map)?;
        Ok(self.arm().get_json(id.as_str(), API_VERSION).await?)
    }

    /// Lists the scope maps of a registry lazily, system scope maps included.
    pub fn list_scope_maps(
        &self,
        registry: &RegistryName,
    ) -> impl Stream<Item = Result<ScopeMap, Error>> + Send + 'static {
        let path = self
            .registry_id(registry)
            .and_then(|id| Ok(id.action("scopeMaps")?));
        self.list_path(path)
    }

    /// Deletes a scope map and waits until it is gone.
    ///
    /// # Errors
    /// [`Error::ReadOnlyScopeMap`] for a system scope map, [`Error::Arm`] or
    /// [`Error::Timeout`].
    pub async fn delete_scope_map(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
    ) -> Result<(), Error> {
        writable(scope_map)?;
        let id = self.scope_map_id(registry, scope_map)?;
        self.arm()
            .begin_delete(id.as_str(), API_VERSION, FinalStateVia::Location)
            .await?
            .wait()
            .await?;
        Ok(())
    }

    /// Adds actions to a scope map by reading it and writing back the full list.
    ///
    /// Returns [`Ensured::Unchanged`] without writing when every action is present.
    ///
    /// # Errors
    /// [`Error::ReadOnlyScopeMap`], [`Error::Arm`] (404 when the map does not exist) or
    /// [`Error::Timeout`].
    pub async fn add_scope_map_actions(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        actions: &[ScopeMapAction],
    ) -> Result<Ensured<ScopeMap>, Error> {
        writable(scope_map)?;
        let current = self.get_scope_map(registry, scope_map).await?;
        let merged = merge_actions(&current.properties.actions, actions);
        if merged == current.properties.actions {
            return Ok(Ensured::Unchanged(current));
        }
        let updated = self
            .write_scope_map_actions(registry, scope_map, merged)
            .await?;
        Ok(Ensured::Updated(updated))
    }

    /// Removes actions from a scope map by reading it and writing back the full list.
    ///
    /// # Errors
    /// [`Error::ReadOnlyScopeMap`], [`Error::InvalidInput`] when no action would remain
    /// (delete the scope map instead), [`Error::Arm`] or [`Error::Timeout`].
    pub async fn remove_scope_map_actions(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        actions: &[ScopeMapAction],
    ) -> Result<Ensured<ScopeMap>, Error> {
        writable(scope_map)?;
        let current = self.get_scope_map(registry, scope_map).await?;
        let remaining = remove_actions(&current.properties.actions, actions);
        if remaining == current.properties.actions {
            return Ok(Ensured::Unchanged(current));
        }
        if remaining.is_empty() {
            return Err(Error::InvalidInput {
                field: "actions",
                reason: format!(
                    "removing these actions would leave scope map {scope_map} empty; delete the scope map instead"
                ),
            });
        }
        let updated = self
            .write_scope_map_actions(registry, scope_map, remaining)
            .await?;
        Ok(Ensured::Updated(updated))
    }

    /// Creates a scope map with `actions`, or adds the missing ones to an existing map.
    /// Actions already in the map and not in `actions` stay. To remove them, use
    /// [`AcrManagementClient::sync_scope_map`].
    ///
    /// # Errors
    /// As [`AcrManagementClient::create_scope_map`] and
    /// [`AcrManagementClient::add_scope_map_actions`].
    pub async fn ensure_scope_map(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        description: Option<&str>,
        actions: &[ScopeMapAction],
    ) -> Result<Ensured<ScopeMap>, Error> {
        writable(scope_map)?;
        let id = self.scope_map_id(registry, scope_map)?;
        let current: Option<ScopeMap> = self
            .arm()
            .get_json_optional(id.as_str(), API_VERSION)
            .await?;
        match current {
            None => {
                let created = self
                    .create_scope_map(registry, scope_map, description, actions)
                    .await?;
                Ok(Ensured::Created(created))
            }
            Some(current) => {
                let merged = merge_actions(&current.properties.actions, actions);
                if merged == current.properties.actions {
                    return Ok(Ensured::Unchanged(current));
                }
                let updated = self
                    .write_scope_map_actions(registry, scope_map, merged)
                    .await?;
                Ok(Ensured::Updated(updated))
            }
        }
    }

    /// Creates a scope map with exactly `actions`, or makes an existing map's action list
    /// equal to `actions`: missing actions are added and actions not in `actions` are removed.
    ///
    /// The comparison ignores case and order, so [`Ensured::Unchanged`] means the map already
    /// grants exactly these actions and nothing was written. Use it when `actions` is the whole
    /// grant, for example a token that may push only to the configured repositories. Use
    /// [`AcrManagementClient::ensure_scope_map`] to keep actions that other callers added.
    ///
    /// # Errors
    /// [`Error::ReadOnlyScopeMap`], [`Error::InvalidInput`] when `actions` is empty,
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn sync_scope_map(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        description: Option<&str>,
        actions: &[ScopeMapAction],
    ) -> Result<Ensured<ScopeMap>, Error> {
        writable(scope_map)?;
        if actions.is_empty() {
            return Err(Error::InvalidInput {
                field: "actions",
                reason: format!("scope map {scope_map} needs at least one action"),
            });
        }
        let id = self.scope_map_id(registry, scope_map)?;
        let current: Option<ScopeMap> = self
            .arm()
            .get_json_optional(id.as_str(), API_VERSION)
            .await?;
        let Some(current) = current else {
            let created = self
                .create_scope_map(registry, scope_map, description, actions)
                .await?;
            return Ok(Ensured::Created(created));
        };
        if same_actions(&current.properties.actions, actions) {
            return Ok(Ensured::Unchanged(current));
        }
        let exact = merge_actions(&[], actions);
        let updated = self
            .write_scope_map_actions(registry, scope_map, exact)
            .await?;
        Ok(Ensured::Updated(updated))
    }

    /// Replaces the description and the whole action list with a PATCH and waits for
    /// provisioning. Use [`AcrManagementClient::add_scope_map_actions`] to keep the
    /// existing actions.
    ///
    /// # Errors
    /// [`Error::ReadOnlyScopeMap`], [`Error::InvalidInput`] when `actions` is empty,
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn update_scope_map(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        description: Option<&str>,
        actions: &[ScopeMapAction],
    ) -> Result<ScopeMap, Error> {
        writable(scope_map)?;
        if actions.is_empty() {
            return Err(Error::InvalidInput {
                field: "actions",
                reason: format!("scope map {scope_map} needs at least one action"),
            });
        }
        let actions: Vec<String> = actions.iter().map(ToString::to_string).collect();
        let mut properties = serde_json::json!({ "actions": actions });
        if let Some(description) = description {
            properties["description"] = serde_json::json!(description);
        }
        self.patch_scope_map(
            registry,
            scope_map,
            serde_json::json!({ "properties": properties }),
        )
        .await
    }

    /// Replaces the action list with a PATCH and waits for provisioning.
    async fn write_scope_map_actions(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        actions: Vec<String>,
    ) -> Result<ScopeMap, Error> {
        let body = serde_json::json!({ "properties": { "actions": actions } });
        self.patch_scope_map(registry, scope_map, body).await
    }

    async fn patch_scope_map(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
        body: serde_json::Value,
    ) -> Result<ScopeMap, Error> {
        let id = self.scope_map_id(registry, scope_map)?;
        let poller = self
            .arm()
            .begin_patch(
                id.as_str(),
                API_VERSION,
                &body,
                FinalStateVia::AzureAsyncOperation,
            )
            .await?;
        Ok(poller.wait_json().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str) -> RepositoryName {
        RepositoryName::new(name).unwrap()
    }

    fn strings(actions: &[ScopeMapAction]) -> Vec<String> {
        actions.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn same_actions_ignores_case_order_and_duplicates() {
        let expected =
            ScopeMapAction::for_permissions(&repo("mirror/nginx"), &[RepositoryPermission::Push]);
        let existing = [
            "repositories/mirror/nginx/content/write".to_owned(),
            "REPOSITORIES/mirror/nginx/CONTENT/READ".to_owned(),
            "repositories/mirror/nginx/content/read".to_owned(),
        ];

        assert!(same_actions(&existing, &expected));
        assert!(!same_actions(&existing[..1], &expected));
        let extra = [
            existing[0].clone(),
            existing[1].clone(),
            "repositories/mirror/old/content/write".to_owned(),
        ];
        assert!(!same_actions(&extra, &expected));
    }

    #[test]
    fn pull_and_list_tags_map_to_read_actions() {
        let actions = ScopeMapAction::for_permissions(
            &repo("mirror/nginx"),
            &[RepositoryPermission::Pull, RepositoryPermission::ListTags],
        );

        assert_eq!(
            strings(&actions),
            [
                "repositories/mirror/nginx/content/read",
                "repositories/mirror/nginx/metadata/read"
            ]
        );
    }

    #[test]
    fn push_includes_content_read() {
        let actions =
            ScopeMapAction::for_permissions(&repo("mirror/nginx"), &[RepositoryPermission::Push]);

        assert_eq!(
            strings(&actions),
            [
                "repositories/mirror/nginx/content/read",
                "repositories/mirror/nginx/content/write"
            ]
        );
    }

    #[test]
    fn merge_dedupes_case_insensitively_keeping_casing() {
        let existing = vec!["REPOSITORIES/mirror/nginx/CONTENT/READ".to_owned()];
        let add = ScopeMapAction::for_permissions(
            &repo("mirror/nginx"),
            &[RepositoryPermission::Pull, RepositoryPermission::ListTags],
        );

        let merged = merge_actions(&existing, &add);

        assert_eq!(
            merged,
            [
                "REPOSITORIES/mirror/nginx/CONTENT/READ",
                "repositories/mirror/nginx/metadata/read"
            ]
        );
    }

    #[test]
    fn remove_matches_case_insensitively() {
        let existing = vec![
            "REPOSITORIES/mirror/nginx/CONTENT/READ".to_owned(),
            "repositories/other/content/read".to_owned(),
        ];
        let remove =
            ScopeMapAction::for_permissions(&repo("mirror/nginx"), &[RepositoryPermission::Pull]);

        assert_eq!(
            remove_actions(&existing, &remove),
            ["repositories/other/content/read"]
        );
    }

    #[test]
    fn unknown_action_lists_the_valid_ones() {
        let error = "content/create".parse::<RepositoryAction>().unwrap_err();
        let message = error.to_string();

        assert!(message.contains("\"content/create\""), "{message}");
        for action in RepositoryAction::ALL {
            assert!(message.contains(action.as_str()), "{message}");
        }
    }

    #[test]
    fn scope_map_action_parses_and_validates() {
        let parsed: ScopeMapAction = "REPOSITORIES/mirror/nginx/CONTENT/READ".parse().unwrap();
        assert_eq!(parsed.to_string(), "repositories/mirror/nginx/content/read");

        assert!(
            "repositories/mirror/nginx/content/create"
                .parse::<ScopeMapAction>()
                .is_err()
        );
        assert!(
            "repositories/myrepository/contentWrite"
                .parse::<ScopeMapAction>()
                .is_err()
        );
        assert!("repos/x/content/read".parse::<ScopeMapAction>().is_err());
        assert!("content/read".parse::<ScopeMapAction>().is_err());
    }

    #[test]
    fn mirror_target_never_uses_repositories_pull() {
        let actions = ScopeMapAction::for_mirror_target(&repo("mirror/nginx"));
        let kinds: Vec<RepositoryAction> = actions.iter().map(|entry| entry.action).collect();

        assert!(kinds.contains(&RepositoryAction::MetadataRead));
        assert!(kinds.contains(&RepositoryAction::ContentWrite));
        assert_ne!(
            system_scope_map_covering(&kinds),
            Some("_repositories_pull")
        );
        assert_eq!(
            system_scope_map_covering(&[
                RepositoryAction::ContentRead,
                RepositoryAction::MetadataRead
            ]),
            Some("_repositories_admin")
        );
        assert_eq!(
            system_scope_map_covering(&[RepositoryAction::ContentRead]),
            Some("_repositories_pull")
        );
    }
}
