//! The validated input of `replicate_to_acr`.

use std::time::Duration;

use acr_client::arm::AzureCloud;
use acr_client::{PasswordName, RegistryName, ScopeMapAction, ScopeMapName, TokenName};
use harbor_client::tasks::replication::{Destination, Direction, Filter, Trigger};
use harbor_client::tasks::{Provider, RegistrySpec, ReplicationPolicySpec, WaitOptions};

use crate::plan::{AcrPlan, HarborPlan};
use crate::workflows::WorkflowError;

/// Description of the registry endpoint the workflow keeps in Harbor.
pub(super) const ENDPOINT_DESCRIPTION: &str = "ACR push target; the credential is an ACR token";

/// Description of the push policy the workflow keeps in Harbor.
const POLICY_DESCRIPTION: &str = "Push to ACR, kept by replicate_to_acr";

/// Validated input of [`plan`](super::plan) and [`apply`](super::apply).
///
/// It contains no secret, because `apply` generates the token password when Harbor needs one.
#[derive(Debug, Clone)]
pub struct ReplicateToAcrInput {
    pub(super) registry: RegistryName,
    pub(super) cloud: AzureCloud,
    pub(super) scope_map: ScopeMapName,
    pub(super) actions: Vec<ScopeMapAction>,
    pub(super) token: TokenName,
    pub(super) password: PasswordName,
    pub(super) password_lifetime: Option<Duration>,
    pub(super) force_new_password: bool,
    pub(super) endpoint: String,
    pub(super) policy: String,
    pub(super) policy_description: String,
    pub(super) repository_filter: String,
    pub(super) filters: Vec<Filter>,
    pub(super) destination: Destination,
    pub(super) trigger: Trigger,
    pub(super) run: bool,
    pub(super) wait: WaitOptions,
}

impl ReplicateToAcrInput {
    /// Creates an input that grants `token` the scope map `scope_map` with `actions` in the ACR
    /// `registry`, and pushes the Harbor repositories matching `repository_filter` to it.
    ///
    /// `repository_filter` is a Harbor name filter such as `library/**`, or
    /// `{library,team-a}/**` for several projects. Defaults: the public cloud, `password1`
    /// without expiry, an endpoint named like the registry in lower case, a manual policy named
    /// `push-to-<endpoint>` that keeps the source path, and one run awaited with the default
    /// [`WaitOptions`].
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when `scope_map` is a system scope map, `actions` is
    /// empty, or `repository_filter` is empty.
    pub fn new(
        registry: RegistryName,
        scope_map: ScopeMapName,
        token: TokenName,
        actions: Vec<ScopeMapAction>,
        repository_filter: &str,
    ) -> Result<Self, WorkflowError> {
        if scope_map.is_system() {
            return Err(WorkflowError::InvalidInput {
                field: "scope_map",
                reason: format!(
                    "{scope_map} is a read-only system scope map: use a name without the leading `_`"
                ),
            });
        }
        if actions.is_empty() {
            return Err(WorkflowError::InvalidInput {
                field: "actions",
                reason: format!(
                    "scope map {scope_map} has no action: give at least one, such as \
                     repositories/mirror/nginx/content/write"
                ),
            });
        }
        if repository_filter.trim().is_empty() {
            return Err(WorkflowError::InvalidInput {
                field: "repository_filter",
                reason: "the filter is empty: use a pattern such as library/**".to_owned(),
            });
        }
        let endpoint = registry.as_str().to_ascii_lowercase();
        let input = Self {
            policy: format!("push-to-{endpoint}"),
            policy_description: POLICY_DESCRIPTION.to_owned(),
            endpoint,
            registry,
            cloud: AzureCloud::Public,
            scope_map,
            actions,
            token,
            password: PasswordName::Password1,
            password_lifetime: None,
            force_new_password: false,
            repository_filter: repository_filter.to_owned(),
            filters: Vec::new(),
            destination: Destination::default(),
            trigger: Trigger::Manual,
            run: true,
            wait: WaitOptions::default(),
        };
        input.check_harbor_specs()?;
        Ok(input)
    }

    /// Builds the input of the main job's deployment plan: its scope map, token, endpoint and
    /// push rule, with the rule's event-based trigger and its destination namespace replacing
    /// the project.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when the plan has no ACR endpoint or no replication rule
    /// (the configuration lacks `[acr]` or `[acr.import]`), or as [`ReplicateToAcrInput::new`].
    pub fn from_plan(acr: &AcrPlan, harbor: &HarborPlan) -> Result<Self, WorkflowError> {
        let missing = |what: &str| WorkflowError::InvalidInput {
            field: "plan",
            reason: format!(
                "the plan has no {what}: add the [acr] section with [acr.import] to the configuration"
            ),
        };
        let endpoint = harbor
            .acr_endpoint
            .as_ref()
            .ok_or_else(|| missing("ACR registry endpoint"))?;
        let rule = harbor
            .replication
            .as_ref()
            .ok_or_else(|| missing("replication rule"))?;
        let input = Self::new(
            acr.registry.clone(),
            acr.scope_map.clone(),
            acr.token.clone(),
            acr.actions.clone(),
            &rule.pattern,
        )?
        .endpoint_name(&endpoint.name)?
        .policy_name(&rule.name)?
        .destination(Destination::new(&rule.namespace, Some(1)))?
        .trigger(Trigger::EventBased)?;
        Ok(Self {
            policy_description: "Push the project's mirrored repositories to ACR".to_owned(),
            ..input
        })
    }

    /// Sets the cloud, whose login server suffix makes the endpoint URL. It must be the cloud of
    /// the ACR client that `apply` gets.
    pub fn cloud(mut self, cloud: AzureCloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// Sets the token password that the workflow generates and Harbor logs in with. The other
    /// password stays untouched, for other clients of the token.
    pub fn password(mut self, password: PasswordName) -> Self {
        self.password = password;
        self
    }

    /// Makes a generated password expire `lifetime` after it is generated. Unset, it does not
    /// expire. With a lifetime of at most
    /// [`PASSWORD_RENEWAL_MARGIN`](super::PASSWORD_RENEWAL_MARGIN), every run generates a new
    /// password, because the stored one always expires within the margin.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] for a lifetime under one minute.
    pub fn password_lifetime(mut self, lifetime: Duration) -> Result<Self, WorkflowError> {
        if lifetime < Duration::from_secs(60) {
            return Err(WorkflowError::InvalidInput {
                field: "password_lifetime",
                reason: format!(
                    "{lifetime:?} is too short: a password must live at least one minute"
                ),
            });
        }
        self.password_lifetime = Some(lifetime);
        Ok(self)
    }

    /// Generates a new token password even when the endpoint logs in as the token with a
    /// password that stays valid, for a password that was revoked or regenerated outside the
    /// workflow. Default off.
    pub fn force_new_password(mut self, force: bool) -> Self {
        self.force_new_password = force;
        self
    }

    /// Sets the name of the registry endpoint in Harbor.
    ///
    /// # Errors
    /// [`WorkflowError::Harbor`] for an empty or padded name.
    pub fn endpoint_name(mut self, name: &str) -> Result<Self, WorkflowError> {
        self.endpoint = name.to_owned();
        self.check_harbor_specs()?;
        Ok(self)
    }

    /// Sets the name of the push policy in Harbor.
    ///
    /// # Errors
    /// [`WorkflowError::Harbor`] for an empty or padded name.
    pub fn policy_name(mut self, name: &str) -> Result<Self, WorkflowError> {
        self.policy = name.to_owned();
        self.check_harbor_specs()?;
        Ok(self)
    }

    /// Adds a tag, label or resource filter to the policy.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] for a name filter, because the repository filter of
    /// [`ReplicateToAcrInput::new`] is the policy's name filter, and [`WorkflowError::Harbor`]
    /// for an empty pattern or label list.
    pub fn filter(mut self, filter: impl Into<Filter>) -> Result<Self, WorkflowError> {
        let filter = filter.into();
        if filter.to_model().r#type.as_deref() == Some("name") {
            return Err(WorkflowError::InvalidInput {
                field: "filter",
                reason: format!(
                    "a second name filter {:?} would conflict with the repository filter {:?}: \
                     put both patterns into the repository filter, such as {{a,b}}/**",
                    filter.to_model().value.unwrap_or_default(),
                    self.repository_filter
                ),
            });
        }
        self.filters.push(filter);
        self.check_harbor_specs()?;
        Ok(self)
    }

    /// Sets the destination namespace in ACR and how many leading path components it replaces.
    ///
    /// # Errors
    /// [`WorkflowError::Harbor`] for a replace count outside -1 to 127.
    pub fn destination(mut self, destination: Destination) -> Result<Self, WorkflowError> {
        self.destination = destination;
        self.check_harbor_specs()?;
        Ok(self)
    }

    /// Sets when the policy runs by itself: manually (the default), on a schedule, or on each
    /// push to Harbor.
    ///
    /// # Errors
    /// Never for a push policy; the `Result` keeps the check of
    /// [`ReplicationPolicySpec::trigger`].
    pub fn trigger(mut self, trigger: Trigger) -> Result<Self, WorkflowError> {
        self.trigger = trigger;
        self.check_harbor_specs()?;
        Ok(self)
    }

    /// Starts a run after ensuring the policy and waits for it (default on).
    pub fn run(mut self, run: bool) -> Self {
        self.run = run;
        self
    }

    /// Sets how long the run is awaited, and how often it is polled.
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Returns the endpoint URL: `https://` and the registry's login server in the cloud.
    pub fn endpoint_url(&self) -> String {
        format!("https://{}", self.registry.login_server_in(self.cloud))
    }

    /// Returns the name of the registry endpoint in Harbor.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Returns the name of the push policy in Harbor.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// Builds the endpoint without a credential, for checks and comparisons.
    pub(super) fn registry_spec(&self) -> Result<RegistrySpec, harbor_client::Error> {
        Ok(
            RegistrySpec::new(&self.endpoint, Provider::AzureAcr, &self.endpoint_url())?
                .description(ENDPOINT_DESCRIPTION),
        )
    }

    /// Builds the push policy to the endpoint with id `registry_id`.
    pub(super) fn policy_spec(
        &self,
        registry_id: i64,
    ) -> Result<ReplicationPolicySpec, harbor_client::Error> {
        let mut spec = ReplicationPolicySpec::new(
            &self.policy,
            Direction::Push {
                destination_registry_id: registry_id,
            },
        )?
        .description(self.policy_description.clone())
        .filter(Filter::name(&self.repository_filter))?
        .destination(self.destination.clone())?
        .trigger(self.trigger.clone())?;
        for filter in &self.filters {
            spec = spec.filter(filter.clone())?;
        }
        Ok(spec.override_existing(true).replicate_deletion(false))
    }

    /// Builds the endpoint and the policy once with a stand-in registry id, so harbor-client
    /// checks their fields before any request.
    fn check_harbor_specs(&self) -> Result<(), WorkflowError> {
        self.registry_spec()?;
        self.policy_spec(1)?;
        Ok(())
    }
}
