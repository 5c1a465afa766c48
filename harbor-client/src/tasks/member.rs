//! Project members: users and groups with a project role.

use crate::Error;
use crate::generated::models::{
    ProjectMember, ProjectMemberEntity, RoleRequest, UserEntity, UserGroup,
};
use crate::tasks::{Outcome, validate};
use crate::{Client, ProjectRef};

/// A project role, with Harbor's role id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Full control of the project (role id 1).
    ProjectAdmin,
    /// Push, pull and manage most project settings (role id 4).
    Maintainer,
    /// Push and pull (role id 2).
    Developer,
    /// Pull and read (role id 3).
    Guest,
    /// Pull only, without access to most project pages (role id 5).
    LimitedGuest,
}

impl Role {
    /// Returns Harbor's role id.
    pub fn id(self) -> i64 {
        match self {
            Self::ProjectAdmin => 1,
            Self::Developer => 2,
            Self::Guest => 3,
            Self::Maintainer => 4,
            Self::LimitedGuest => 5,
        }
    }
}

/// Kind of a user group, with Harbor's `group_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// An LDAP group, named by its DN (type 1).
    Ldap,
    /// A group from an HTTP authentication proxy (type 2).
    Http,
    /// A group from the OIDC provider's groups claim (type 3).
    Oidc,
}

impl GroupType {
    fn id(self) -> i64 {
        match self {
            Self::Ldap => 1,
            Self::Http => 2,
            Self::Oidc => 3,
        }
    }
}

/// The user or group that is a member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Member {
    /// A user, by login name.
    User(String),
    /// A group, by name (for LDAP groups, by DN).
    Group {
        /// Group name, or the DN of an LDAP group.
        name: String,
        /// Kind of group.
        group_type: GroupType,
    },
}

impl Member {
    fn name(&self) -> &str {
        match self {
            Self::User(name) | Self::Group { name, .. } => name,
        }
    }

    /// Harbor's `entity_type`: `u` for users, `g` for groups.
    fn entity_type(&self) -> &'static str {
        match self {
            Self::User(_) => "u",
            Self::Group { .. } => "g",
        }
    }
}

/// Desired membership: `member` has `role` in `project`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    project: ProjectRef,
    member: Member,
    role: Role,
}

impl MemberSpec {
    /// Makes `member` a member of `project` with `role`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty or padded member name.
    pub fn new(project: impl Into<ProjectRef>, member: Member, role: Role) -> Result<Self, Error> {
        validate::plain_name("member name", member.name(), 255)?;
        Ok(Self {
            project: project.into(),
            member,
            role,
        })
    }
}

/// Adds the member to the project, or changes its role to the desired one.
///
/// A member that Harbor lists under another name is not touched; other members are never removed.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails, for example with 404 when the user does not exist.
pub async fn ensure_project_member(
    client: &Client,
    spec: &MemberSpec,
) -> Result<Outcome<ProjectMemberEntity>, Error> {
    let Some(actual) = find_member(client, spec).await? else {
        let request = ProjectMember {
            role_id: Some(spec.role.id()),
            member_user: match &spec.member {
                Member::User(name) => Some(UserEntity {
                    user_id: None,
                    username: Some(name.clone()),
                }),
                Member::Group { .. } => None,
            },
            member_group: match &spec.member {
                Member::User(_) => None,
                Member::Group { name, group_type } => Some(UserGroup {
                    id: None,
                    group_name: (*group_type != GroupType::Ldap).then(|| name.clone()),
                    group_type: Some(group_type.id()),
                    ldap_group_dn: (*group_type == GroupType::Ldap).then(|| name.clone()),
                }),
            },
        };
        let created = client
            .create_project_member(spec.project.clone())
            .project_member(request)
            .send()
            .await?;
        let member = match created.id() {
            Some(id) => {
                client
                    .get_project_member(spec.project.clone(), id)
                    .send()
                    .await?
            }
            None => find_member(client, spec)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "project member",
                    name: spec.member.name().to_owned(),
                })?,
        };
        return Ok(Outcome::Created(member));
    };

    if actual.role_id == Some(spec.role.id()) {
        return Ok(Outcome::Unchanged(actual));
    }
    let id = actual.id.ok_or_else(|| Error::NotFound {
        kind: "member id of project member",
        name: spec.member.name().to_owned(),
    })?;
    client
        .update_project_member(spec.project.clone(), id)
        .role(RoleRequest {
            role_id: Some(spec.role.id()),
        })
        .send()
        .await?;
    let member = client
        .get_project_member(spec.project.clone(), id)
        .send()
        .await?;
    Ok(Outcome::Updated(member))
}

async fn find_member(
    client: &Client,
    spec: &MemberSpec,
) -> Result<Option<ProjectMemberEntity>, Error> {
    use futures_util::TryStreamExt;

    let name = spec.member.name();
    let mut members = std::pin::pin!(
        client
            .list_project_members(spec.project.clone())
            .entityname(name)
            .stream()
    );
    while let Some(member) = members.try_next().await? {
        if member.entity_name.as_deref() == Some(name)
            && member.entity_type.as_deref() == Some(spec.member.entity_type())
        {
            return Ok(Some(member));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_match_harbor() {
        let ids: Vec<i64> = [
            Role::ProjectAdmin,
            Role::Developer,
            Role::Guest,
            Role::Maintainer,
            Role::LimitedGuest,
        ]
        .into_iter()
        .map(Role::id)
        .collect();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
    }
}
