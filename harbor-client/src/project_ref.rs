//! A project named by id or by name.

use std::fmt;

/// A Harbor project, by numeric id or by name.
///
/// Harbor reads `{project_name_or_id}` as an id whenever it parses as an integer, so a project
/// named `123` needs the `X-Is-Resource-Name: true` header. Requests built from a
/// [`ProjectRef::Name`] always carry it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProjectRef {
    /// The project's numeric id.
    Id(i64),
    /// The project's name.
    Name(String),
}

impl ProjectRef {
    /// Refers to a project by name.
    pub fn name(name: impl Into<String>) -> Self {
        Self::Name(name.into())
    }

    /// Refers to a project by id.
    pub fn id(id: i64) -> Self {
        Self::Id(id)
    }

    /// Returns the value of the `X-Is-Resource-Name` header for this reference.
    pub fn is_resource_name(&self) -> bool {
        matches!(self, Self::Name(_))
    }

    /// Returns the encoded path segment for this reference.
    pub fn path_segment(&self) -> String {
        match self {
            Self::Id(id) => id.to_string(),
            Self::Name(name) => crate::path::segment(name),
        }
    }
}

impl fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Name(name) => f.write_str(name),
        }
    }
}

impl From<i64> for ProjectRef {
    fn from(id: i64) -> Self {
        Self::Id(id)
    }
}

impl From<&str> for ProjectRef {
    fn from(name: &str) -> Self {
        Self::Name(name.to_owned())
    }
}

impl From<String> for ProjectRef {
    fn from(name: String) -> Self {
        Self::Name(name)
    }
}
