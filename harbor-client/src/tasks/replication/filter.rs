//! Replication filters: name, tag, label and resource type.

use serde_json::Value;

use crate::Error;
use crate::generated::models::ReplicationFilter;

/// Whether a tag or label filter selects or excludes what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decoration {
    /// Replicate what matches (Harbor's default).
    Matches,
    /// Replicate everything except what matches.
    Excludes,
}

impl Decoration {
    /// Returns Harbor's value: `matches` or `excludes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matches => "matches",
            Self::Excludes => "excludes",
        }
    }

    /// Parses `matches` or `excludes`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for any other value.
    pub fn parse(value: &str) -> Result<Self, Error> {
        match value {
            "matches" => Ok(Self::Matches),
            "excludes" => Ok(Self::Excludes),
            _ => Err(Error::invalid(
                "filter decoration",
                value,
                "the decoration is \"matches\" or \"excludes\"",
            )),
        }
    }
}

/// The kind of artifact a resource filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// Container images only (`image`).
    Image,
    /// Every OCI artifact (`artifact`).
    Artifact,
}

/// One replication filter.
///
/// Harbor accepts a decoration only on tag and label filters and returns 400 otherwise, so
/// [`Filter::name`] and [`Filter::resource`] return a filter without `matches`/`excludes`
/// methods, while [`Filter::tag`] and [`Filter::labels`] return a [`DecoratedFilter`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter(Kind);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    Name(String),
    Resource(ResourceKind),
    Tag(String, Decoration),
    Labels(Vec<String>, Decoration),
}

/// A tag or label filter, which may match or exclude. It matches until
/// [`DecoratedFilter::excludes`] is called.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecoratedFilter(Kind);

impl DecoratedFilter {
    /// Replicates the artifacts that match.
    pub fn matches(self) -> Self {
        self.with(Decoration::Matches)
    }

    /// Replicates the artifacts that do not match.
    pub fn excludes(self) -> Self {
        self.with(Decoration::Excludes)
    }

    /// Sets the decoration.
    pub fn with(self, decoration: Decoration) -> Self {
        Self(match self.0 {
            Kind::Tag(pattern, _) => Kind::Tag(pattern, decoration),
            Kind::Labels(labels, _) => Kind::Labels(labels, decoration),
            other => other,
        })
    }
}

impl From<DecoratedFilter> for Filter {
    fn from(filter: DecoratedFilter) -> Self {
        Self(filter.0)
    }
}

impl Filter {
    /// Selects repositories by a doublestar pattern, for example `library/**`.
    pub fn name(pattern: impl Into<String>) -> Self {
        Self(Kind::Name(pattern.into()))
    }

    /// Selects tags by a doublestar pattern, for example `v1.*`.
    pub fn tag(pattern: impl Into<String>) -> DecoratedFilter {
        DecoratedFilter(Kind::Tag(pattern.into(), Decoration::Matches))
    }

    /// Selects artifacts that carry every one of `labels`.
    pub fn labels<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> DecoratedFilter {
        DecoratedFilter(Kind::Labels(
            labels.into_iter().map(Into::into).collect(),
            Decoration::Matches,
        ))
    }

    /// Selects a kind of artifact.
    pub fn resource(kind: ResourceKind) -> Self {
        Self(Kind::Resource(kind))
    }

    /// Parses a resource filter value: `image` or `artifact`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for any other value, for example `chart`.
    pub fn resource_named(value: &str) -> Result<Self, Error> {
        match value {
            "image" => Ok(Self::resource(ResourceKind::Image)),
            "artifact" => Ok(Self::resource(ResourceKind::Artifact)),
            _ => Err(Error::invalid(
                "resource filter",
                value,
                "the resource filter is \"image\" or \"artifact\"",
            )),
        }
    }

    /// Builds a filter from configuration strings, where a decoration may be present.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an unknown type, a decoration on a name or resource filter
    /// ("only tag and label filters support decoration"), or an invalid decoration.
    pub fn parse(kind: &str, value: &str, decoration: Option<&str>) -> Result<Self, Error> {
        let decoration = decoration.map(Decoration::parse).transpose()?;
        match (kind, decoration) {
            ("name" | "resource", Some(_)) => Err(Error::invalid(
                "filter decoration",
                kind,
                "only tag and label filters support decoration",
            )),
            ("name", None) => Ok(Self::name(value)),
            ("resource", None) => Self::resource_named(value),
            ("tag", decoration) => Ok(Self::tag(value)
                .with(decoration.unwrap_or(Decoration::Matches))
                .into()),
            ("label", decoration) => Ok(Self::labels(value.split(',').map(str::trim))
                .with(decoration.unwrap_or(Decoration::Matches))
                .into()),
            _ => Err(Error::invalid(
                "filter type",
                kind,
                "the filter type is name, tag, label or resource",
            )),
        }
    }

    /// Checks that patterns and labels are not empty.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        match &self.0 {
            Kind::Name(pattern) if pattern.trim().is_empty() => Err(Error::invalid(
                "name filter",
                pattern,
                "the pattern must not be empty",
            )),
            Kind::Tag(pattern, _) if pattern.trim().is_empty() => Err(Error::invalid(
                "tag filter",
                pattern,
                "the pattern must not be empty",
            )),
            Kind::Labels(labels, _)
                if labels.is_empty() || labels.iter().any(|label| label.trim().is_empty()) =>
            {
                Err(Error::invalid(
                    "label filter",
                    format!("{labels:?}"),
                    "a label filter needs at least one label, and no label may be empty",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Converts to Harbor's model. Name and resource filters carry no `decoration` key.
    pub fn to_model(&self) -> ReplicationFilter {
        let (kind, value, decoration) = match &self.0 {
            Kind::Name(pattern) => ("name", Value::from(pattern.as_str()), None),
            Kind::Resource(ResourceKind::Image) => ("resource", Value::from("image"), None),
            Kind::Resource(ResourceKind::Artifact) => ("resource", Value::from("artifact"), None),
            Kind::Tag(pattern, decoration) => {
                ("tag", Value::from(pattern.as_str()), Some(*decoration))
            }
            Kind::Labels(labels, decoration) => (
                "label",
                Value::Array(
                    labels
                        .iter()
                        .map(|label| Value::from(label.as_str()))
                        .collect(),
                ),
                Some(*decoration),
            ),
        };
        ReplicationFilter {
            r#type: Some(kind.to_owned()),
            value: Some(value),
            decoration: decoration.map(|decoration| decoration.as_str().to_owned()),
        }
    }
}

/// Normalizes filters for comparison: order does not matter, and a missing or empty
/// decoration on a tag or label filter means `matches`.
pub(crate) fn normalized(filters: &[ReplicationFilter]) -> Vec<(String, String, String)> {
    let mut normalized: Vec<(String, String, String)> = filters
        .iter()
        .map(|filter| {
            let kind = filter.r#type.clone().unwrap_or_default();
            let value = filter
                .value
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default();
            let decoration = match (kind.as_str(), filter.decoration.as_deref()) {
                ("tag" | "label", None | Some("")) => "matches".to_owned(),
                (_, decoration) => decoration.unwrap_or_default().to_owned(),
            };
            (kind, value, decoration)
        })
        .collect();
    normalized.sort();
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(filter: impl Into<Filter>) -> String {
        serde_json::to_string(&filter.into().to_model()).unwrap()
    }

    #[test]
    fn filters_serialize_like_harbor_expects() {
        assert_eq!(
            json(Filter::tag("v1.*").excludes()),
            r#"{"type":"tag","value":"v1.*","decoration":"excludes"}"#
        );
        assert_eq!(
            json(Filter::labels(["qa", "canary"]).matches()),
            r#"{"type":"label","value":["qa","canary"],"decoration":"matches"}"#
        );
        assert_eq!(
            json(Filter::name("library/**")),
            r#"{"type":"name","value":"library/**"}"#
        );
        assert_eq!(
            json(Filter::resource(ResourceKind::Image)),
            r#"{"type":"resource","value":"image"}"#
        );
    }

    #[test]
    fn decoration_only_on_tag_and_label() {
        let error = Filter::parse("name", "jar/**", Some("excludes"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("only tag and label filters support decoration"),
            "{error}"
        );
        assert!(Filter::parse("resource", "image", Some("matches")).is_err());
        assert!(Filter::parse("tag", "v1.*", Some("include")).is_err());
        assert!(Filter::resource_named("chart").is_err());
        assert_eq!(
            Filter::parse("tag", "v1.*", Some("excludes")).unwrap(),
            Filter::tag("v1.*").excludes().into()
        );
    }

    #[test]
    fn empty_patterns_are_invalid() {
        assert!(Filter::name("").validate().is_err());
        assert!(
            Filter::from(Filter::labels(Vec::<String>::new()))
                .validate()
                .is_err()
        );
        assert!(Filter::from(Filter::tag(" ")).validate().is_err());
    }
}
