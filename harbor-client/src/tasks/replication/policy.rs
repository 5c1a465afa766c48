//! Replication policies: push and pull, with filters, destination, trigger and transfer settings.

use crate::Client;
use crate::Error;
use crate::generated::models::{Registry, ReplicationPolicy};
use crate::tasks::replication::{Destination, Filter, Trigger, filter, trigger};
use crate::tasks::{Outcome, validate};

/// Direction of a replication policy, with the remote registry endpoint's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Copies from this Harbor to the endpoint.
    Push {
        /// Id of the destination registry endpoint.
        destination_registry_id: i64,
    },
    /// Copies from the endpoint into this Harbor.
    Pull {
        /// Id of the source registry endpoint.
        source_registry_id: i64,
    },
}

/// Desired state of a replication policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationPolicySpec {
    name: String,
    description: Option<String>,
    direction: Direction,
    filters: Vec<Filter>,
    destination: Destination,
    trigger: Trigger,
    replicate_deletion: bool,
    override_existing: bool,
    enabled: bool,
    speed_kb: Option<i64>,
    copy_by_chunk: bool,
}

impl ReplicationPolicySpec {
    /// Starts an enabled, manual policy that overwrites existing artifacts and replicates no
    /// deletions.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty or padded name.
    pub fn new(name: impl Into<String>, direction: Direction) -> Result<Self, Error> {
        let name = name.into();
        validate::plain_name("replication policy name", &name, 256)?;
        let registry_id = match direction {
            Direction::Push {
                destination_registry_id,
            } => destination_registry_id,
            Direction::Pull { source_registry_id } => source_registry_id,
        };
        if registry_id < 1 {
            return Err(Error::invalid(
                "replication registry id",
                registry_id.to_string(),
                "Harbor uses id 0 for itself, so the remote endpoint needs the positive id that \
                 ensure_registry returns",
            ));
        }
        Ok(Self {
            name,
            description: None,
            direction,
            filters: Vec::new(),
            destination: Destination::default(),
            trigger: Trigger::Manual,
            replicate_deletion: false,
            override_existing: true,
            enabled: true,
            speed_kb: None,
            copy_by_chunk: false,
        })
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a filter.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty pattern or label list.
    pub fn filter(mut self, filter: impl Into<Filter>) -> Result<Self, Error> {
        let filter = filter.into();
        filter.validate()?;
        self.filters.push(filter);
        Ok(self)
    }

    /// Sets the destination namespace and flattening.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a replace count below -1.
    pub fn destination(mut self, destination: Destination) -> Result<Self, Error> {
        destination.validate()?;
        self.destination = destination;
        Ok(self)
    }

    /// Sets the trigger.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an event-based trigger on a pull policy. Harbor 2.x accepts
    /// one, but events come only from Harbor's own pushes and deletes, so it would never run.
    pub fn trigger(mut self, trigger: Trigger) -> Result<Self, Error> {
        if trigger == Trigger::EventBased && matches!(self.direction, Direction::Pull { .. }) {
            return Err(Error::invalid(
                "trigger type",
                "event_based",
                "a pull policy cannot be event based; use manual or scheduled",
            ));
        }
        self.trigger = trigger;
        Ok(self)
    }

    /// Replicates artifact and tag deletions to the destination. Deleting a whole repository
    /// is not replicated.
    pub fn replicate_deletion(mut self, replicate: bool) -> Self {
        self.replicate_deletion = replicate;
        self
    }

    /// Overwrites artifacts that exist at the destination (default on).
    pub fn override_existing(mut self, override_existing: bool) -> Self {
        self.override_existing = override_existing;
        self
    }

    /// Enables or disables the policy (default enabled).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Limits the bandwidth of each task in KB/s; `-1` means unlimited.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for 0 or a value below -1.
    pub fn bandwidth_kb_per_second(mut self, speed: i64) -> Result<Self, Error> {
        if speed == 0 || speed < -1 {
            return Err(Error::invalid(
                "bandwidth",
                speed.to_string(),
                "the bandwidth is a positive number of KB/s, or -1 for unlimited",
            ));
        }
        self.speed_kb = Some(speed);
        Ok(self)
    }

    /// Copies blobs in chunks, for destinations that limit the request size.
    pub fn copy_by_chunk(mut self, copy_by_chunk: bool) -> Self {
        self.copy_by_chunk = copy_by_chunk;
        self
    }

    /// Returns the policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the destination path that repository `source` gets under this policy.
    ///
    /// # Errors
    ///
    /// The errors of [`Destination::preview`].
    pub fn preview_destination(&self, source: &str) -> Result<String, Error> {
        self.destination.preview(source)
    }

    /// Converts to Harbor's model.
    ///
    /// Both `deletion` and `replicate_deletion` carry the flag: Harbor's swagger marks
    /// `deletion` deprecated, but the create and update handlers of Harbor 2.9 to 2.15 read only
    /// `deletion`.
    pub fn to_model(&self) -> ReplicationPolicy {
        let registry = |id: i64| Registry {
            id: Some(id),
            ..Registry::default()
        };
        let (src_registry, dest_registry) = match self.direction {
            Direction::Push {
                destination_registry_id,
            } => (None, Some(registry(destination_registry_id))),
            Direction::Pull { source_registry_id } => (Some(registry(source_registry_id)), None),
        };
        ReplicationPolicy {
            name: Some(self.name.clone()),
            description: self.description.clone(),
            src_registry,
            dest_registry,
            dest_namespace: self.destination.namespace.clone(),
            dest_namespace_replace_count: self.destination.replace_count,
            trigger: Some(self.trigger.to_model()),
            filters: Some(self.filters.iter().map(Filter::to_model).collect()),
            replicate_deletion: Some(self.replicate_deletion),
            deletion: Some(self.replicate_deletion),
            r#override: Some(self.override_existing),
            enabled: Some(self.enabled),
            speed: self.speed_kb,
            copy_by_chunk: Some(self.copy_by_chunk),
            ..ReplicationPolicy::default()
        }
    }
}

/// Reads whether a stored policy replicates deletions: `replicate_deletion`, else `deletion`.
pub fn replicates_deletion(policy: &ReplicationPolicy) -> bool {
    policy
        .replicate_deletion
        .or(policy.deletion)
        .unwrap_or(false)
}

/// Creates the policy, or updates it where it differs from `spec`.
///
/// Fields that `spec` leaves unset (replace count, bandwidth, description) keep their stored
/// values, and the update sends those values back so Harbor does not reset them.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_replication_policy(
    client: &Client,
    spec: &ReplicationPolicySpec,
) -> Result<Outcome<ReplicationPolicy>, Error> {
    let desired = spec.to_model();
    let Some(actual) = find_policy(client, &spec.name).await? else {
        let created = client.create_replication_policy(desired).send().await?;
        let policy = match created.id() {
            Some(id) => client.get_replication_policy(id).send().await?,
            None => find_policy(client, &spec.name)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "replication policy",
                    name: spec.name.clone(),
                })?,
        };
        return Ok(Outcome::Created(policy));
    };
    let id = actual.id.ok_or_else(|| Error::NotFound {
        kind: "id of replication policy",
        name: spec.name.clone(),
    })?;

    let update = ReplicationPolicy {
        id: Some(id),
        description: desired.description.clone().or(actual.description.clone()),
        dest_namespace_replace_count: desired
            .dest_namespace_replace_count
            .or(actual.dest_namespace_replace_count),
        speed: desired.speed.or(actual.speed),
        ..desired
    };
    if differences(&actual, &update, spec.direction).is_empty() {
        return Ok(Outcome::Unchanged(actual));
    }
    client.update_replication_policy(id, update).send().await?;
    Ok(Outcome::Updated(
        client.get_replication_policy(id).send().await?,
    ))
}

/// Lists the fields in which the stored policy differs from the desired model.
pub(crate) fn differences(
    actual: &ReplicationPolicy,
    desired: &ReplicationPolicy,
    direction: Direction,
) -> Vec<&'static str> {
    let registry_id =
        |registry: &Option<Registry>| registry.as_ref().and_then(|registry| registry.id);
    let namespace = |policy: &ReplicationPolicy| policy.dest_namespace.clone().unwrap_or_default();
    let mut fields = Vec::new();
    let registry_differs = match direction {
        Direction::Push { .. } => {
            registry_id(&actual.dest_registry) != registry_id(&desired.dest_registry)
        }
        Direction::Pull { .. } => {
            registry_id(&actual.src_registry) != registry_id(&desired.src_registry)
        }
    };
    if registry_differs {
        fields.push("registry");
    }
    if actual.description.clone().unwrap_or_default()
        != desired.description.clone().unwrap_or_default()
    {
        fields.push("description");
    }
    if namespace(actual) != namespace(desired) {
        fields.push("dest_namespace");
    }
    if actual.dest_namespace_replace_count.unwrap_or(-1)
        != desired.dest_namespace_replace_count.unwrap_or(-1)
    {
        fields.push("dest_namespace_replace_count");
    }
    if !trigger::same_trigger(
        actual.trigger.as_ref(),
        desired
            .trigger
            .as_ref()
            .unwrap_or(&Trigger::Manual.to_model()),
    ) {
        fields.push("trigger");
    }
    if filter::normalized(actual.filters.as_deref().unwrap_or_default())
        != filter::normalized(desired.filters.as_deref().unwrap_or_default())
    {
        fields.push("filters");
    }
    if replicates_deletion(actual) != replicates_deletion(desired) {
        fields.push("replicate_deletion");
    }
    if actual.r#override.unwrap_or(false) != desired.r#override.unwrap_or(false) {
        fields.push("override");
    }
    if actual.enabled.unwrap_or(false) != desired.enabled.unwrap_or(false) {
        fields.push("enabled");
    }
    // Harbor reads 0 and -1 alike as unlimited.
    let speed = |speed: Option<i64>| speed.filter(|speed| *speed > 0).unwrap_or(-1);
    if speed(actual.speed) != speed(desired.speed) {
        fields.push("speed");
    }
    if actual.copy_by_chunk.unwrap_or(false) != desired.copy_by_chunk.unwrap_or(false) {
        fields.push("copy_by_chunk");
    }
    fields
}

/// Returns the policy named exactly `name`, if any.
pub async fn find_policy(client: &Client, name: &str) -> Result<Option<ReplicationPolicy>, Error> {
    use futures_util::TryStreamExt;

    let mut policies = std::pin::pin!(client.list_replication_policies().name(name).stream());
    while let Some(policy) = policies.try_next().await? {
        if policy.name.as_deref() == Some(name) {
            return Ok(Some(policy));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push() -> ReplicationPolicySpec {
        ReplicationPolicySpec::new(
            "to-acr",
            Direction::Push {
                destination_registry_id: 3,
            },
        )
        .unwrap()
    }

    #[test]
    fn deletion_is_sent_under_both_names() {
        let spec = push()
            .trigger(Trigger::EventBased)
            .unwrap()
            .replicate_deletion(true);
        let json: serde_json::Value = serde_json::to_value(spec.to_model()).unwrap();
        assert_eq!(json["deletion"], true);
        assert_eq!(json["replicate_deletion"], true);
        assert_eq!(json["trigger"], serde_json::json!({"type": "event_based"}));
    }

    #[test]
    fn deletion_is_read_with_fallback() {
        let legacy = ReplicationPolicy {
            deletion: Some(true),
            ..ReplicationPolicy::default()
        };
        assert!(replicates_deletion(&legacy));
        let current = ReplicationPolicy {
            replicate_deletion: Some(false),
            deletion: Some(true),
            ..ReplicationPolicy::default()
        };
        assert!(!replicates_deletion(&current));
    }

    #[test]
    fn pull_policies_cannot_be_event_based() {
        let pull = ReplicationPolicySpec::new(
            "from-hub",
            Direction::Pull {
                source_registry_id: 1,
            },
        )
        .unwrap();
        assert!(pull.trigger(Trigger::EventBased).is_err());
    }

    #[test]
    fn same_model_has_no_differences() {
        let spec = push()
            .filter(Filter::tag("v1.*").excludes())
            .unwrap()
            .destination(Destination::new("mirror", Some(1)))
            .unwrap();
        let model = spec.to_model();
        assert!(differences(&model, &model, spec.direction).is_empty());
        let mut other = model.clone();
        other.dest_namespace_replace_count = None;
        assert_eq!(
            differences(&other, &model, spec.direction),
            ["dest_namespace_replace_count"]
        );
    }

    #[test]
    fn transfer_settings_serialize() {
        let spec = push()
            .bandwidth_kb_per_second(2048)
            .unwrap()
            .copy_by_chunk(true)
            .override_existing(false)
            .enabled(false);
        let json = serde_json::to_value(spec.to_model()).unwrap();
        assert_eq!(json["speed"], 2048);
        assert_eq!(json["copy_by_chunk"], true);
        assert_eq!(json["override"], false);
        assert_eq!(json["enabled"], false);
        assert_eq!(json["dest_registry"]["id"], 3);
        assert!(json.get("src_registry").is_none());
    }

    #[test]
    fn pull_policy_names_the_source() {
        let pull = ReplicationPolicySpec::new(
            "from-hub",
            Direction::Pull {
                source_registry_id: 1,
            },
        )
        .unwrap();
        let json = serde_json::to_value(pull.to_model()).unwrap();
        assert_eq!(json["src_registry"]["id"], 1);
        assert!(json.get("dest_registry").is_none());
    }

    #[test]
    fn local_registry_id_is_rejected() {
        let push = Direction::Push {
            destination_registry_id: 0,
        };
        assert!(ReplicationPolicySpec::new("to-self", push).is_err());
    }

    #[test]
    fn bandwidth_is_validated() {
        assert!(push().bandwidth_kb_per_second(0).is_err());
        assert!(push().bandwidth_kb_per_second(-1).is_ok());
    }
}
