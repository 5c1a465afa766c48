//! Tag retention policies of a project.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Error;
use crate::generated::models::{
    RetentionPolicy, RetentionPolicyScope, RetentionRule, RetentionRuleTrigger, RetentionSelector,
};
use crate::tasks::selector::{SelectorKey, selectors_key};
use crate::tasks::{Cron, Outcome, Selector, project, validate};
use crate::{Client, ProjectRef};

/// The selection of a retention rule: the artifacts it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetentionTemplate {
    /// The `n` most recently pushed artifacts (`latestPushedK`).
    LatestPushed(u32),
    /// The `n` most recently pulled artifacts (`latestPulledN`).
    LatestPulled(u32),
    /// Artifacts pushed within the last `n` days (`nDaysSinceLastPush`).
    PushedWithinDays(u32),
    /// Artifacts pulled within the last `n` days (`nDaysSinceLastPull`).
    PulledWithinDays(u32),
    /// Every matching artifact (`always`).
    Always,
}

impl RetentionTemplate {
    fn name(self) -> &'static str {
        match self {
            Self::LatestPushed(_) => "latestPushedK",
            Self::LatestPulled(_) => "latestPulledN",
            Self::PushedWithinDays(_) => "nDaysSinceLastPush",
            Self::PulledWithinDays(_) => "nDaysSinceLastPull",
            Self::Always => "always",
        }
    }

    fn params(self) -> BTreeMap<String, Value> {
        match self {
            Self::LatestPushed(n)
            | Self::LatestPulled(n)
            | Self::PushedWithinDays(n)
            | Self::PulledWithinDays(n) => BTreeMap::from([(self.name().to_owned(), json!(n))]),
            Self::Always => BTreeMap::new(),
        }
    }
}

/// One retention rule: keep the artifacts chosen by `template` among the tags and repositories
/// that the selectors choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRuleSpec {
    template: RetentionTemplate,
    repositories: Selector,
    tags: Selector,
    untagged: bool,
    disabled: bool,
}

impl RetentionRuleSpec {
    /// Starts an enabled rule that does not match untagged artifacts.
    pub fn new(template: RetentionTemplate, repositories: Selector, tags: Selector) -> Self {
        Self {
            template,
            repositories,
            tags,
            untagged: false,
            disabled: false,
        }
    }

    /// Makes the tag selector also match untagged artifacts.
    pub fn untagged(mut self, untagged: bool) -> Self {
        self.untagged = untagged;
        self
    }

    /// Disables or enables the rule.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    fn to_model(&self, priority: i64) -> RetentionRule {
        RetentionRule {
            priority: Some(priority),
            disabled: Some(self.disabled),
            action: Some("retain".to_owned()),
            template: Some(self.template.name().to_owned()),
            params: Some(self.template.params()),
            tag_selectors: Some(vec![RetentionSelector {
                kind: Some("doublestar".to_owned()),
                decoration: Some(self.tags.tag_decoration().to_owned()),
                pattern: Some(self.tags.pattern().to_owned()),
                extras: Some(json!({ "untagged": self.untagged }).to_string()),
            }]),
            scope_selectors: Some(BTreeMap::from([(
                "repository".to_owned(),
                vec![RetentionSelector {
                    kind: Some("doublestar".to_owned()),
                    decoration: Some(self.repositories.repository_decoration().to_owned()),
                    pattern: Some(self.repositories.pattern().to_owned()),
                    extras: None,
                }],
            )])),
            ..RetentionRule::default()
        }
    }
}

/// Desired tag retention policy of a project. Harbor allows 15 rules per policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSpec {
    project: String,
    rules: Vec<RetentionRuleSpec>,
    schedule: Option<Cron>,
}

impl RetentionSpec {
    /// Starts a policy of project `project` without rules or schedule.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an invalid project name.
    pub fn new(project: impl Into<String>) -> Result<Self, Error> {
        let project = project.into();
        validate::project_name(&project)?;
        Ok(Self {
            project,
            rules: Vec::new(),
            schedule: None,
        })
    }

    /// Adds a rule.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the policy already has 15 rules.
    pub fn rule(mut self, rule: RetentionRuleSpec) -> Result<Self, Error> {
        if self.rules.len() >= 15 {
            return Err(Error::invalid(
                "retention rules",
                (self.rules.len() + 1).to_string(),
                "a retention policy has at most 15 rules",
            ));
        }
        self.rules.push(rule);
        Ok(self)
    }

    /// Runs the policy on a schedule; without one it runs only by hand.
    pub fn schedule(mut self, cron: Cron) -> Self {
        self.schedule = Some(cron);
        self
    }

    fn to_model(&self, project_id: i64) -> RetentionPolicy {
        RetentionPolicy {
            algorithm: Some("or".to_owned()),
            rules: Some(
                self.rules
                    .iter()
                    .zip(0_i64..)
                    .map(|(rule, priority)| rule.to_model(priority))
                    .collect(),
            ),
            trigger: Some(RetentionRuleTrigger {
                kind: Some("Schedule".to_owned()),
                settings: Some(
                    json!({ "cron": self.schedule.as_ref().map(Cron::as_str).unwrap_or("") }),
                ),
                references: None,
            }),
            scope: Some(RetentionPolicyScope {
                level: Some("project".to_owned()),
                r#ref: Some(project_id),
            }),
            ..RetentionPolicy::default()
        }
    }
}

/// Creates the project's retention policy, or replaces its rules and schedule when they differ.
///
/// # Errors
///
/// [`Error::NotFound`] when the project does not exist, and the request's [`Error`] when a
/// request fails.
pub async fn ensure_retention_policy(
    client: &Client,
    spec: &RetentionSpec,
) -> Result<Outcome<RetentionPolicy>, Error> {
    let project = match client
        .get_project(ProjectRef::name(&spec.project))
        .send()
        .await
    {
        Ok(project) => project,
        Err(error) if error.is_not_found() => {
            return Err(Error::NotFound {
                kind: "project",
                name: spec.project.clone(),
            });
        }
        Err(error) => return Err(error),
    };
    let project_id = project::project_id(&project, &spec.project)?;
    let desired = spec.to_model(project_id);
    let retention_id = project
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.retention_id.as_deref())
        .and_then(|id| id.trim().parse::<i64>().ok());

    let Some(retention_id) = retention_id else {
        let created = client.create_retention(desired).send().await?;
        let id = match created.id() {
            Some(id) => id,
            None => {
                let project = client
                    .get_project(ProjectRef::id(project_id))
                    .send()
                    .await?;
                project
                    .metadata
                    .and_then(|metadata| metadata.retention_id)
                    .and_then(|id| id.trim().parse::<i64>().ok())
                    .ok_or_else(|| Error::NotFound {
                        kind: "retention policy id of project",
                        name: spec.project.clone(),
                    })?
            }
        };
        return Ok(Outcome::Created(client.get_retention(id).send().await?));
    };

    let actual = client.get_retention(retention_id).send().await?;
    if policy_key(&actual) == policy_key(&desired) {
        return Ok(Outcome::Unchanged(actual));
    }
    let update = RetentionPolicy {
        id: Some(retention_id),
        ..desired
    };
    client.update_retention(retention_id, update).send().await?;
    Ok(Outcome::Updated(
        client.get_retention(retention_id).send().await?,
    ))
}

type RuleKey = (
    String,
    String,
    bool,
    (Vec<SelectorKey>, BTreeMap<String, Vec<SelectorKey>>),
);

/// Builds a comparable form of a policy: its rules (order-independent) and its cron.
fn policy_key(policy: &RetentionPolicy) -> (Vec<RuleKey>, String) {
    let mut rules: Vec<RuleKey> = policy
        .rules
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|rule| {
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
                    .map(|(name, selectors)| {
                        let keys = selectors
                            .iter()
                            .map(|selector| {
                                (
                                    selector.kind.clone().unwrap_or_default(),
                                    selector.decoration.clone().unwrap_or_default(),
                                    selector.pattern.clone().unwrap_or_default(),
                                    selector.extras.clone().unwrap_or_default(),
                                )
                            })
                            .collect();
                        (name.clone(), keys)
                    })
                    .collect()
            });
            let params =
                serde_json::to_string(&rule.params.clone().unwrap_or_default()).unwrap_or_default();
            (
                rule.template.clone().unwrap_or_default(),
                params,
                rule.disabled.unwrap_or(false),
                selectors_key(tags, scopes),
            )
        })
        .collect();
    rules.sort();
    let cron = policy
        .trigger
        .as_ref()
        .and_then(|trigger| trigger.settings.as_ref())
        .and_then(|settings| settings.get("cron"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    (rules, cron)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> RetentionRuleSpec {
        RetentionRuleSpec::new(
            RetentionTemplate::LatestPushed(10),
            Selector::matching("**").unwrap(),
            Selector::matching("**").unwrap(),
        )
    }

    #[test]
    fn rule_model_matches_harbor_templates() {
        let json = serde_json::to_value(rule().to_model(0)).unwrap();
        assert_eq!(json["template"], "latestPushedK");
        assert_eq!(json["params"]["latestPushedK"], 10);
        assert_eq!(json["action"], "retain");
        assert_eq!(json["tag_selectors"][0]["extras"], "{\"untagged\":false}");
    }

    #[test]
    fn policies_compare_without_ids() {
        let spec = RetentionSpec::new("library").unwrap().rule(rule()).unwrap();
        let desired = spec.to_model(1);
        let mut stored = desired.clone();
        stored.id = Some(9);
        assert_eq!(policy_key(&stored), policy_key(&desired));
        let scheduled = spec
            .schedule(Cron::parse("0 0 1 * * *").unwrap())
            .to_model(1);
        assert_ne!(policy_key(&scheduled), policy_key(&desired));
    }

    #[test]
    fn at_most_fifteen_rules() {
        let mut spec = RetentionSpec::new("library").unwrap();
        for _ in 0..15 {
            spec = spec.rule(rule()).unwrap();
        }
        assert!(spec.rule(rule()).is_err());
    }
}
