//! ARM resource ids and the request paths built from them.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::ArmError;

/// Characters escaped inside one path segment. Letters, digits and `-._~()` stay as
/// they are, so ids built here read the same as the ids ARM returns.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// An ARM resource id such as
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{name}`.
///
/// Built segment by segment, so names are escaped once and never split into extra segments.
///
/// ```
/// use acr_client::arm::ResourceId;
///
/// let registry = ResourceId::resource_group("00000000-0000-0000-0000-000000000000", "rg")
///     .unwrap()
///     .provider("Microsoft.ContainerRegistry")
///     .unwrap()
///     .child("registries", "exampleacr")
///     .unwrap();
/// assert_eq!(
///     registry.as_str(),
///     "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/exampleacr"
/// );
/// assert_eq!(registry.action("importImage").unwrap(), format!("{registry}/importImage"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceId {
    path: String,
}

impl ResourceId {
    /// Id of a subscription: `/subscriptions/{subscription_id}`.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] when the id is empty or contains `/`.
    pub fn subscription(subscription_id: &str) -> Result<Self, ArmError> {
        Ok(Self {
            path: format!(
                "/subscriptions/{}",
                segment("subscription id", subscription_id)?
            ),
        })
    }

    /// Id of a resource group: `/subscriptions/{sub}/resourceGroups/{name}`.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] when a value is empty or contains `/`.
    pub fn resource_group(subscription_id: &str, resource_group: &str) -> Result<Self, ArmError> {
        Self::subscription(subscription_id)?.child("resourceGroups", resource_group)
    }

    /// Appends `/providers/{namespace}`.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] when the namespace is empty or contains `/`.
    pub fn provider(&self, namespace: &str) -> Result<Self, ArmError> {
        self.child("providers", namespace)
    }

    /// Appends `/{resource_type}/{name}`, for example `("registries", "exampleacr")`.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] when a value is empty or contains `/`.
    pub fn child(&self, resource_type: &str, name: &str) -> Result<Self, ArmError> {
        let resource_type = segment("resource type", resource_type)?;
        let name = segment("resource name", name)?;
        Ok(Self {
            path: format!("{}/{resource_type}/{name}", self.path),
        })
    }

    /// Path of an action or collection below this resource, such as `{id}/importImage`.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] when the action is empty or contains `/`.
    pub fn action(&self, action: &str) -> Result<String, ArmError> {
        Ok(format!("{}/{}", self.path, segment("action", action)?))
    }

    /// Parses an id returned by ARM.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] unless the id starts with `/subscriptions/`, has an even
    /// number of non-empty segments and contains no `?` or `#`.
    pub fn parse(id: &str) -> Result<Self, ArmError> {
        let invalid = |rule: &str| ArmError::InvalidRequest {
            reason: format!("invalid ARM resource id {id:?}: {rule}"),
        };

        if !id.starts_with("/subscriptions/") {
            return Err(invalid("it must start with /subscriptions/"));
        }
        if id.contains(['?', '#']) {
            return Err(invalid("it must not contain ? or #"));
        }
        let trimmed = id.trim_end_matches('/');
        let segments: Vec<&str> = trimmed[1..].split('/').collect();
        if segments.iter().any(|segment| segment.is_empty()) {
            return Err(invalid("it must not contain empty segments"));
        }
        if !segments.len().is_multiple_of(2) {
            return Err(invalid("segments must come in type/name pairs"));
        }
        Ok(Self {
            path: trimmed.to_owned(),
        })
    }

    /// Returns the id as a path, starting with `/subscriptions/`.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Last segment, which is the resource name.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }

    /// Checks whether two ids name the same resource. ARM treats ids as case-insensitive.
    pub fn same_resource(&self, other: &ResourceId) -> bool {
        self.path.eq_ignore_ascii_case(&other.path)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

impl AsRef<str> for ResourceId {
    fn as_ref(&self) -> &str {
        &self.path
    }
}

fn segment(what: &str, value: &str) -> Result<String, ArmError> {
    if value.is_empty() {
        return Err(ArmError::InvalidRequest {
            reason: format!("{what} must not be empty"),
        });
    }
    if value.contains('/') {
        return Err(ArmError::InvalidRequest {
            reason: format!("{what} {value:?} must not contain '/'"),
        });
    }
    Ok(utf8_percent_encode(value, SEGMENT).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_escapes_segments() {
        let id = ResourceId::resource_group("sub", "my rg (test)")
            .unwrap()
            .provider("Microsoft.ContainerService")
            .unwrap()
            .child("managedClusters", "aks-1")
            .unwrap();

        assert_eq!(
            id.as_str(),
            "/subscriptions/sub/resourceGroups/my%20rg%20(test)/providers/Microsoft.ContainerService/managedClusters/aks-1"
        );
        assert_eq!(id.name(), "aks-1");
    }

    #[test]
    fn builder_rejects_slash_and_empty() {
        let group = ResourceId::resource_group("sub", "rg").unwrap();

        let error = group.child("registries", "a/b").unwrap_err();
        assert!(error.to_string().contains("\"a/b\""), "{error}");
        assert!(group.child("registries", "").is_err());
        assert!(group.action("").is_err());
    }

    #[test]
    fn parse_accepts_arm_ids_and_rejects_others() {
        let id = ResourceId::parse(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r/",
        )
        .unwrap();
        assert_eq!(id.name(), "r");

        assert!(ResourceId::parse("subscriptions/s").is_err());
        assert!(ResourceId::parse("/subscriptions/s/resourceGroups").is_err());
        assert!(ResourceId::parse("/subscriptions/s//x").is_err());
        assert!(ResourceId::parse("/subscriptions/s?x=1").is_err());
    }

    #[test]
    fn same_resource_ignores_case() {
        let a = ResourceId::parse("/subscriptions/S/resourceGroups/RG").unwrap();
        let b = ResourceId::parse("/subscriptions/s/resourcegroups/rg").unwrap();

        assert!(a.same_resource(&b));
    }
}
