//! When a replication policy runs: manually, on a schedule, or on push and delete events.

use crate::Error;
use crate::generated::models::{ReplicationTrigger, ReplicationTriggerSettings};
use crate::tasks::Cron;

/// The trigger of a replication policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Runs only when started by hand or by [`start_replication`](super::start_replication).
    Manual,
    /// Runs on a cron schedule.
    Scheduled(Cron),
    /// Runs when an artifact is pushed or, with deletion replication on, deleted. Push mode only.
    EventBased,
}

impl Trigger {
    /// Builds a trigger from configuration strings: `manual`, `scheduled` or `event_based`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an unknown type, a cron on a manual or event-based trigger, or a
    /// scheduled trigger with a missing or invalid cron.
    pub fn parse(kind: &str, cron: Option<&str>) -> Result<Self, Error> {
        let cron = cron.filter(|cron| !cron.trim().is_empty());
        match (kind, cron) {
            ("manual" | "event_based", Some(cron)) => Err(Error::invalid(
                "trigger cron",
                cron,
                format!("a {kind} trigger takes no cron; use the scheduled trigger for a cron"),
            )),
            ("manual", None) => Ok(Self::Manual),
            ("event_based", None) => Ok(Self::EventBased),
            ("scheduled", Some(cron)) => Ok(Self::Scheduled(Cron::parse(cron)?)),
            ("scheduled", None) => Err(Error::invalid(
                "trigger cron",
                "",
                "a scheduled trigger needs a 6-field cron such as \"0 0 2 * * *\"",
            )),
            _ => Err(Error::invalid(
                "trigger type",
                kind,
                "the trigger type is manual, scheduled or event_based",
            )),
        }
    }

    /// Converts to Harbor's model; only a scheduled trigger carries `trigger_settings`.
    pub fn to_model(&self) -> ReplicationTrigger {
        match self {
            Self::Manual => ReplicationTrigger {
                r#type: Some("manual".to_owned()),
                trigger_settings: None,
            },
            Self::EventBased => ReplicationTrigger {
                r#type: Some("event_based".to_owned()),
                trigger_settings: None,
            },
            Self::Scheduled(cron) => ReplicationTrigger {
                r#type: Some("scheduled".to_owned()),
                trigger_settings: Some(ReplicationTriggerSettings {
                    cron: Some(cron.as_str().to_owned()),
                }),
            },
        }
    }
}

/// Compares triggers by type, and by cron for scheduled triggers.
pub(crate) fn same_trigger(
    actual: Option<&ReplicationTrigger>,
    desired: &ReplicationTrigger,
) -> bool {
    let kind = |trigger: Option<&ReplicationTrigger>| {
        trigger
            .and_then(|trigger| trigger.r#type.clone())
            .filter(|kind| !kind.is_empty())
            .unwrap_or_else(|| "manual".to_owned())
    };
    let cron = |trigger: Option<&ReplicationTrigger>| {
        trigger
            .and_then(|trigger| trigger.trigger_settings.as_ref())
            .and_then(|settings| settings.cron.clone())
            .map(|cron| cron.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    let desired = Some(desired);
    kind(actual) == kind(desired) && (kind(desired) != "scheduled" || cron(actual) == cron(desired))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_based_serializes_without_cron() {
        let json = serde_json::to_string(&Trigger::EventBased.to_model()).unwrap();
        assert_eq!(json, r#"{"type":"event_based"}"#);
    }

    #[test]
    fn scheduled_serializes_its_cron() {
        let trigger = Trigger::parse("scheduled", Some("0 0 2 * * *")).unwrap();
        let json = serde_json::to_string(&trigger.to_model()).unwrap();
        assert_eq!(
            json,
            r#"{"type":"scheduled","trigger_settings":{"cron":"0 0 2 * * *"}}"#
        );
    }

    #[test]
    fn cron_only_on_scheduled_triggers() {
        assert!(Trigger::parse("event_based", Some("0 0 2 * * *")).is_err());
        assert!(Trigger::parse("manual", Some("0 0 2 * * *")).is_err());
        assert!(Trigger::parse("scheduled", None).is_err());
        assert!(Trigger::parse("scheduled", Some("")).is_err());
        assert!(Trigger::parse("scheduled", Some("0 2 * * *")).is_err());
        assert!(Trigger::parse("hourly", None).is_err());
        assert_eq!(Trigger::parse("manual", None).unwrap(), Trigger::Manual);
    }

    #[test]
    fn triggers_compare_by_type_and_cron() {
        let scheduled = Trigger::parse("scheduled", Some("0 0 2 * * *"))
            .unwrap()
            .to_model();
        let other = Trigger::parse("scheduled", Some("0 0 3 * * *"))
            .unwrap()
            .to_model();
        assert!(same_trigger(Some(&scheduled), &scheduled));
        assert!(!same_trigger(Some(&other), &scheduled));
        assert!(same_trigger(None, &Trigger::Manual.to_model()));
        assert!(!same_trigger(
            Some(&scheduled),
            &Trigger::EventBased.to_model()
        ));
    }
}
