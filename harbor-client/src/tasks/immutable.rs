//! Immutable tag rules: tags that cannot be overwritten or deleted.

use std::collections::BTreeMap;

use crate::Error;
use crate::generated::models::{ImmutableRule, ImmutableSelector};
use crate::tasks::selector::{SelectorKey, selectors_key};
use crate::tasks::{Outcome, Selector};
use crate::{Client, ProjectRef};

/// Desired immutable tag rule of a project: the tags selected by `tags` in the repositories
/// selected by `repositories` become immutable.
///
/// A rule is identified by its selectors, so changing a pattern makes a new rule; the old one
/// stays, because `ensure_immutable_rule` never deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImmutableRuleSpec {
    project: ProjectRef,
    repositories: Selector,
    tags: Selector,
    disabled: bool,
}

impl ImmutableRuleSpec {
    /// Makes the matching tags of the matching repositories of `project` immutable.
    pub fn new(project: impl Into<ProjectRef>, repositories: Selector, tags: Selector) -> Self {
        Self {
            project: project.into(),
            repositories,
            tags,
            disabled: false,
        }
    }

    /// Disables or enables the rule.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    fn to_model(&self) -> ImmutableRule {
        let selector = |selector: &Selector, decoration: &str| ImmutableSelector {
            kind: Some("doublestar".to_owned()),
            decoration: Some(decoration.to_owned()),
            pattern: Some(selector.pattern().to_owned()),
            extras: None,
        };
        ImmutableRule {
            disabled: Some(self.disabled),
            action: Some("immutable".to_owned()),
            template: Some("immutable_template".to_owned()),
            tag_selectors: Some(vec![selector(&self.tags, self.tags.tag_decoration())]),
            scope_selectors: Some(BTreeMap::from([(
                "repository".to_owned(),
                vec![selector(
                    &self.repositories,
                    self.repositories.repository_decoration(),
                )],
            )])),
            priority: Some(0),
            ..ImmutableRule::default()
        }
    }
}

/// Creates the rule, or enables or disables the existing rule with the same selectors.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_immutable_rule(
    client: &Client,
    spec: &ImmutableRuleSpec,
) -> Result<Outcome<ImmutableRule>, Error> {
    let desired = spec.to_model();
    let Some(actual) = find_rule(client, spec, &desired).await? else {
        client
            .create_immu_rule(spec.project.clone(), desired.clone())
            .send()
            .await?;
        let rule = find_rule(client, spec, &desired)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "immutable rule for tags",
                name: spec.tags.pattern().to_owned(),
            })?;
        return Ok(Outcome::Created(rule));
    };
    if actual.disabled.unwrap_or(false) == spec.disabled {
        return Ok(Outcome::Unchanged(actual));
    }
    let id = actual.id.ok_or_else(|| Error::NotFound {
        kind: "id of immutable rule for tags",
        name: spec.tags.pattern().to_owned(),
    })?;
    let update = ImmutableRule {
        disabled: Some(spec.disabled),
        ..actual
    };
    client
        .update_immu_rule(spec.project.clone(), id, update)
        .send()
        .await?;
    let rule = find_rule(client, spec, &desired)
        .await?
        .ok_or_else(|| Error::NotFound {
            kind: "immutable rule for tags",
            name: spec.tags.pattern().to_owned(),
        })?;
    Ok(Outcome::Updated(rule))
}

async fn find_rule(
    client: &Client,
    spec: &ImmutableRuleSpec,
    desired: &ImmutableRule,
) -> Result<Option<ImmutableRule>, Error> {
    use futures_util::TryStreamExt;

    let wanted = rule_key(desired);
    let mut rules = std::pin::pin!(client.list_immu_rules(spec.project.clone()).stream());
    while let Some(rule) = rules.try_next().await? {
        if rule_key(&rule) == wanted {
            return Ok(Some(rule));
        }
    }
    Ok(None)
}

type RuleKey = (Vec<SelectorKey>, BTreeMap<String, Vec<SelectorKey>>);

fn rule_key(rule: &ImmutableRule) -> RuleKey {
    let key = |selector: &ImmutableSelector| -> SelectorKey {
        (
            selector.kind.clone().unwrap_or_default(),
            selector.decoration.clone().unwrap_or_default(),
            selector.pattern.clone().unwrap_or_default(),
            selector.extras.clone().unwrap_or_default(),
        )
    };
    let tags = rule
        .tag_selectors
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|selector| {
            (
                selector.kind.as_deref(),
                selector.decoration.as_deref(),
                selector.pattern.as_deref(),
                selector.extras.as_deref(),
            )
        });
    let scopes = rule.scope_selectors.as_ref().map(|scopes| {
        scopes
            .iter()
            .map(|(name, selectors)| (name.clone(), selectors.iter().map(key).collect()))
            .collect()
    });
    selectors_key(tags, scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_model_uses_doublestar_selectors() {
        let spec = ImmutableRuleSpec::new(
            "library",
            Selector::matching("**").unwrap(),
            Selector::excluding("dev-*").unwrap(),
        );
        let json = serde_json::to_value(spec.to_model()).unwrap();
        assert_eq!(json["tag_selectors"][0]["decoration"], "excludes");
        assert_eq!(
            json["scope_selectors"]["repository"][0]["decoration"],
            "repoMatches"
        );
        assert_eq!(json["template"], "immutable_template");
    }
}
