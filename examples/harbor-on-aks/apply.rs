//! `apply`: carries the plan out and reports each step as created, updated, unchanged or failed.
//!
//! NOTE: this path has run only up to the credential checks, because no cluster, ACR or Harbor
//! was reachable where it was written. The calls it makes are the crates' tested operations.

use std::error::Error;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use acr_client::arm::ArmClient;
use acr_client::{AcrManagementClient, Ensured, PasswordName};
use aks_deploy::chart_keys::ChartKeys;
use aks_deploy::helm::Helm;
use aks_deploy::kube_apply::Applier;
use aks_deploy::manifests::{RegistryCredentials, cluster_issuer_resource, pull_secret};
use aks_deploy::rollout::{WaitPolicy, wait_for_deployment, wait_for_release};
use aks_deploy::spread::{ZonePreflight, preflight_zone_labels};
use harbor_azure::config::Config;
use harbor_azure::plan::{PULL_SECRET, Plan, PlannedImport, Preset, SecretMode, StepKind};
use harbor_azure::workflows::import_images::{self, ImageMapping, ImageStatus, ImportImagesInput};
use harbor_azure::workflows::stored_credentials::{
    CredentialChange, CredentialStore, Replacement, endpoint_credential_works,
};
use harbor_azure::workflows::transfer_route::{Reachability, Route};
use harbor_client::tasks::{ensure_registry, ensure_replication_policy, ensure_robot};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Node, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DynamicObject, ListParams};
use kube::{Resource, ResourceExt};
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::progress::spinner;

type BoxError = Box<dyn Error + Send + Sync>;

/// Result of one step.
enum Outcome {
    Created,
    Updated,
    Unchanged,
    /// A kept credential was replaced, for this reason.
    Replaced(Replacement),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Created => f.write_str("created"),
            Outcome::Updated => f.write_str("updated"),
            Outcome::Unchanged => f.write_str("unchanged"),
            Outcome::Replaced(reason) => write!(f, "new credential, because {reason}"),
        }
    }
}

impl Outcome {
    fn from_harbor<T>(outcome: &harbor_client::tasks::Outcome<T>) -> Self {
        match outcome {
            harbor_client::tasks::Outcome::Created(_) => Outcome::Created,
            harbor_client::tasks::Outcome::Updated(_) => Outcome::Updated,
            harbor_client::tasks::Outcome::Unchanged(_) => Outcome::Unchanged,
        }
    }
}

impl From<CredentialChange> for Outcome {
    fn from(change: CredentialChange) -> Self {
        match change {
            CredentialChange::Kept => Outcome::Unchanged,
            CredentialChange::Created => Outcome::Created,
            CredentialChange::Replaced(reason) => Outcome::Replaced(reason),
        }
    }
}

impl<T> From<Ensured<T>> for Outcome {
    fn from(ensured: Ensured<T>) -> Self {
        match ensured {
            Ensured::Created(_) => Outcome::Created,
            Ensured::Updated(_) => Outcome::Updated,
            Ensured::Unchanged(_) => Outcome::Unchanged,
        }
    }
}

/// Connections to the systems the plan acts on, opened and checked before the first step.
struct Connections {
    kube: kube::Client,
    helm: Helm,
    acr: Option<AcrManagementClient>,
    harbor: harbor_client::Client,
    /// Secrets in Harbor's namespace that keep the generated credentials between runs.
    credentials: CredentialStore,
    /// Replace the kept credentials even when they still work.
    rotate_credentials: bool,
}

/// Values produced by one step and used by a later one. They are never printed.
#[derive(Default)]
struct Carried {
    acr_password: Option<SecretString>,
    /// Whether the ACR password step generated a new password, which the endpoint must get.
    acr_password_changed: bool,
    /// The robot's name as Harbor returned it, with the server's robot name prefix.
    robot_name: Option<String>,
    robot_secret: Option<SecretString>,
    endpoint_id: Option<i64>,
}

pub(crate) fn run(
    config_path: &Path,
    preset: Preset,
    chart_keys: &ChartKeys,
    rotate_credentials: bool,
) -> Result<(), Box<dyn Error>> {
    let config = Config::load(config_path)?;
    let plan = Plan::build(&config, preset, chart_keys, SecretMode::Resolve)?;
    let admin_password = config.harbor.admin_password.resolve().map_err(|error| {
        format!(
            "failed to read harbor.admin_password: {}",
            crate::error_chain(&error)
        )
    })?;

    let runtime = tokio::runtime::Runtime::new()?;
    runtime
        .block_on(execute(&config, &plan, admin_password, rotate_credentials))
        .map_err(|error| error as Box<dyn Error>)
}

async fn execute(
    config: &Config,
    plan: &Plan,
    admin_password: SecretString,
    rotate_credentials: bool,
) -> Result<(), BoxError> {
    let mut connections = connect(config, plan, admin_password).await?;
    connections.rotate_credentials = rotate_credentials;
    let mut carried = Carried::default();
    let steps = plan.steps();
    let mut failed_at = None;
    for (index, step) in steps.iter().enumerate() {
        if failed_at.is_some() {
            println!("{:>3}. {}: not run", index + 1, step.summary);
            continue;
        }
        let bar = spinner(step.summary.clone());
        let result = run_step(step.kind, plan, &connections, &mut carried).await;
        bar.finish_and_clear();
        match result {
            Ok(outcome) => println!("{:>3}. {}: {outcome}", index + 1, step.summary),
            Err(error) => {
                // The whole chain, because wrapping errors such as "ACR request failed" name
                // the cause only in their sources.
                let message = crate::error_chain(error.as_ref());
                tracing::error!(step = %step.summary, error = %message, "step failed");
                println!("{:>3}. {}: failed: {message}", index + 1, step.summary);
                // Later steps depend on earlier ones, so none of them runs after a failure.
                failed_at = Some(index + 1);
            }
        }
    }
    match failed_at {
        Some(number) => {
            Err(format!("apply stopped at step {number}; fix it and run apply again").into())
        }
        None => Ok(()),
    }
}

async fn connect(
    config: &Config,
    plan: &Plan,
    admin_password: SecretString,
) -> Result<Connections, BoxError> {
    let helm = Helm::locate()?;
    let kube = kube::Client::try_default().await.map_err(|error| {
        format!("no Kubernetes cluster: {error}; run `az aks get-credentials` or set KUBECONFIG")
    })?;

    if plan.preset == Preset::AcrossZones {
        check_zones(&kube, plan, config.azure.zones.len()).await?;
    }

    let acr = match &plan.acr {
        Some(acr_plan) => {
            let credential = azure_identity::AzureCliCredential::new(None)?;
            // Fails here, before any change, when there is no Azure CLI login.
            azure_core::credentials::TokenCredential::get_token(
                credential.as_ref(),
                &["https://management.azure.com/.default"],
                None,
            )
            .await
            .map_err(|error| format!("no Azure login: {error}; run `az login`"))?;
            let arm =
                ArmClient::builder(credential as Arc<dyn azure_core::credentials::TokenCredential>)
                    .build()?;
            Some(AcrManagementClient::new(
                arm,
                &acr_plan.subscription_id,
                &acr_plan.resource_group,
            )?)
        }
        None => None,
    };

    let harbor = harbor_client::Client::builder(plan.harbor.url.clone())
        .credentials(harbor_client::Credentials::basic(
            &config.harbor.admin_user,
            admin_password,
        ))
        .build()?;
    let credentials = CredentialStore::new(kube.clone(), &plan.release.namespace);
    Ok(Connections {
        kube,
        helm,
        acr,
        harbor,
        credentials,
        rotate_credentials: false,
    })
}

/// Checks, before any change, that the nodes carry zone labels of the zonal form and span at
/// least `zones` zones, so the zone spread of the across-zones preset can be met.
async fn check_zones(kube: &kube::Client, plan: &Plan, zones: usize) -> Result<(), BoxError> {
    let nodes: Api<Node> = Api::all(kube.clone());
    let nodes = nodes.list(&ListParams::default()).await.map_err(|error| {
        format!("failed to list the cluster's nodes for the zone check: {error}")
    })?;
    // The Fail policy never changes the values, so a copy serves the check.
    let mut values = plan.values.clone();
    preflight_zone_labels(&nodes.items, &mut values, ZonePreflight::Fail, zones).map_err(
        |error| {
            format!("the cluster cannot spread Harbor across {zones} zones (azure.zones): {error}")
        },
    )?;
    Ok(())
}

async fn run_step(
    kind: StepKind,
    plan: &Plan,
    connections: &Connections,
    carried: &mut Carried,
) -> Result<Outcome, BoxError> {
    let applier = Applier::new(connections.kube.clone());
    match kind {
        StepKind::Namespace => {
            let api: Api<Namespace> = Api::all(connections.kube.clone());
            let before = resource_version(&api, &plan.namespace.name_any()).await?;
            let after = applier.apply_cluster(&plan.namespace).await?;
            Ok(compare(before, &after))
        }
        StepKind::StorageClass(index) => {
            let class = &plan.storage_classes[index];
            let api: Api<StorageClass> = Api::all(connections.kube.clone());
            let before = resource_version(&api, &class.name_any()).await?;
            let after = applier.apply_cluster(class).await?;
            Ok(compare(before, &after))
        }
        StepKind::Secret(index) => {
            let secret = &plan.secrets[index];
            let api: Api<Secret> =
                Api::namespaced(connections.kube.clone(), &plan.release.namespace);
            let before = resource_version(&api, &secret.name_any()).await?;
            let after = applier.apply_namespaced(secret).await?;
            Ok(compare(before, &after))
        }
        StepKind::ClusterIssuer => {
            let issuer = plan
                .cluster_issuer
                .as_ref()
                .ok_or("the plan has no ClusterIssuer")?;
            let resource = cluster_issuer_resource();
            let api: Api<DynamicObject> = Api::all_with(connections.kube.clone(), &resource);
            let before = api
                .get_opt(&issuer.name_any())
                .await?
                .and_then(|object| object.resource_version());
            let after = applier.apply_dynamic_cluster(issuer, &resource).await?;
            Ok(compare(before, &after))
        }
        StepKind::HelmRelease => helm_release(plan, connections).await,
        StepKind::AcrRegistry => {
            let (acr, acr_plan) = acr(plan, connections)?;
            let ensured = acr
                .ensure_registry(&acr_plan.registry, &acr_plan.registry_create)
                .await?;
            Ok(ensured.into())
        }
        StepKind::AcrScopeMap => {
            let (acr, acr_plan) = acr(plan, connections)?;
            let ensured = acr
                .sync_scope_map(
                    &acr_plan.registry,
                    &acr_plan.scope_map,
                    Some("Harbor push replication"),
                    &acr_plan.actions,
                )
                .await?;
            Ok(ensured.into())
        }
        StepKind::AcrToken => {
            let (acr, acr_plan) = acr(plan, connections)?;
            Ok(acr
                .ensure_token(&acr_plan.registry, &acr_plan.token, &acr_plan.scope_map)
                .await?
                .into())
        }
        StepKind::AcrTokenPassword => {
            let (acr, acr_plan) = acr(plan, connections)?;
            let kept = connections
                .credentials
                .keep_acr_password(
                    acr,
                    &acr_plan.registry,
                    &acr_plan.token,
                    PasswordName::Password1,
                    connections.rotate_credentials,
                )
                .await?;
            carried.acr_password = Some(kept.secret);
            carried.acr_password_changed = kept.change != CredentialChange::Kept;
            Ok(kept.change.into())
        }
        StepKind::HarborRobot => harbor_robot(plan, connections, carried).await,
        StepKind::HarborEndpoint => harbor_endpoint(plan, connections, carried).await,
        StepKind::HarborReplication => harbor_replication(plan, connections, carried).await,
        StepKind::AcrImport(index) => {
            let (acr, acr_plan) = acr(plan, connections)?;
            let robot = plan
                .harbor
                .import_robot
                .as_ref()
                .ok_or("the plan has no import robot")?;
            let username = carried
                .robot_name
                .clone()
                .unwrap_or_else(|| robot.full_name());
            let password = carried
                .robot_secret
                .clone()
                .ok_or("the robot step left no secret")?;
            let import = &plan.imports[index];
            match import.route.route {
                Route::ServerSideImport => {
                    let request = import.request(&username, password)?;
                    acr.import_image(&acr_plan.registry, &request).await?;
                    Ok(Outcome::Created)
                }
                Route::ClientSideCopy => {
                    copy_image(acr, &acr_plan.registry, import, username, password).await
                }
            }
        }
        StepKind::AppNamespace => {
            let app = plan.app.as_ref().ok_or("the plan has no application")?;
            let api: Api<Namespace> = Api::all(connections.kube.clone());
            let before = resource_version(&api, &app.namespace.name_any()).await?;
            let after = applier.apply_cluster(&app.namespace).await?;
            Ok(compare(before, &after))
        }
        StepKind::AppPullSecret => {
            let app = plan.app.as_ref().ok_or("the plan has no application")?;
            let (registry, robot) = app.pull.as_ref().ok_or("the plan has no pull Secret")?;
            let username = carried
                .robot_name
                .clone()
                .unwrap_or_else(|| robot.full_name());
            let password = carried
                .robot_secret
                .clone()
                .ok_or("the robot step left no secret")?;
            let namespace = app.namespace.name_any();
            let credentials = [RegistryCredentials {
                registry: registry.clone(),
                username,
                password,
            }];
            let secret = pull_secret(PULL_SECRET, &namespace, &credentials)?;
            let api: Api<Secret> = Api::namespaced(connections.kube.clone(), &namespace);
            let before = resource_version(&api, PULL_SECRET).await?;
            let after = applier.apply_namespaced(&secret).await?;
            Ok(compare(before, &after))
        }
        StepKind::AppDeployment => {
            let app = plan.app.as_ref().ok_or("the plan has no application")?;
            let namespace = app.namespace.name_any();
            let name = app.deployment.name_any();
            let api: Api<Deployment> = Api::namespaced(connections.kube.clone(), &namespace);
            let before = resource_version(&api, &name).await?;
            let after = applier.apply_namespaced(&app.deployment).await?;
            let bar = spinner(format!(
                "waiting for the rollout of Deployment {namespace}/{name}"
            ));
            let rolled_out =
                wait_for_deployment(&connections.kube, &namespace, &name, WaitPolicy::default())
                    .await;
            bar.finish_and_clear();
            rolled_out?;
            Ok(compare(before, &after))
        }
        _ => Err(format!("step {kind:?} is not known to this example").into()),
    }
}

fn acr<'a>(
    plan: &'a Plan,
    connections: &'a Connections,
) -> Result<(&'a AcrManagementClient, &'a harbor_azure::plan::AcrPlan), BoxError> {
    match (&connections.acr, &plan.acr) {
        (Some(client), Some(acr_plan)) => Ok((client, acr_plan)),
        _ => Err("the configuration has no [acr] section".into()),
    }
}

async fn resource_version<K>(api: &Api<K>, name: &str) -> Result<Option<String>, BoxError>
where
    K: Resource + Clone + fmt::Debug + DeserializeOwned + Serialize,
{
    Ok(api
        .get_opt(name)
        .await?
        .and_then(|object| object.resource_version()))
}

/// Classifies a server-side apply by resourceVersion, which an apply that changes nothing keeps.
fn compare<K: Resource>(before: Option<String>, after: &K) -> Outcome {
    match before {
        None => Outcome::Created,
        Some(version) if Some(version.as_str()) == after.meta().resource_version.as_deref() => {
            Outcome::Unchanged
        }
        Some(_) => Outcome::Updated,
    }
}

/// Copies one image from Harbor into ACR from this machine, because ACR's import service
/// cannot reach Harbor. The copy skips a target tag that already has the source digest.
async fn copy_image(
    acr: &AcrManagementClient,
    registry: &acr_client::RegistryName,
    import: &PlannedImport,
    username: String,
    password: SecretString,
) -> Result<Outcome, BoxError> {
    let image = ImageMapping::new(&import.source_image, &import.target_tag)?;
    let source = format!("https://{}", import.source_registry);
    // The plan chose the copy, so the source is marked unreachable for the workflow's
    // planner too.
    let input = ImportImagesInput::new(registry.clone(), &source, vec![image])?
        .with_credentials(username, password)
        .with_source_reachability(Reachability::Unreachable);
    let report = import_images::apply(acr, &input).await?;
    let result = report
        .images
        .into_iter()
        .next()
        .ok_or("the copy returned no result")?;
    match result.status {
        ImageStatus::Imported { .. } => Ok(Outcome::Created),
        ImageStatus::Skipped { .. } => Ok(Outcome::Unchanged),
        ImageStatus::Failed { cause } => Err(cause.into()),
    }
}

async fn helm_release(plan: &Plan, connections: &Connections) -> Result<Outcome, BoxError> {
    let existed = connections.helm.status(&plan.release).await.is_ok();
    connections
        .helm
        .upgrade_install(&plan.release, &plan.values_yaml)
        .await?;

    let bar = spinner(format!(
        "waiting for the workloads of release {}",
        plan.release.name
    ));
    let selector = format!("release={}", plan.release.name);
    let policy = WaitPolicy {
        timeout: plan.release.timeout,
        ..WaitPolicy::default()
    };
    let rolled_out = wait_for_release(
        &connections.kube,
        &plan.release.namespace,
        &selector,
        policy,
    )
    .await;
    bar.finish_and_clear();
    tracing::info!(workloads = ?rolled_out.as_ref().ok(), "rollout finished");
    rolled_out?;
    Ok(if existed {
        Outcome::Updated
    } else {
        Outcome::Created
    })
}

/// Ensures the import robot and its secret. Harbor returns a robot's secret only when it is
/// created or refreshed, so the secret is kept in a Secret and reused while Harbor accepts it.
/// The step reports the robot's outcome unless its secret was replaced.
async fn harbor_robot(
    plan: &Plan,
    connections: &Connections,
    carried: &mut Carried,
) -> Result<Outcome, BoxError> {
    let robot = plan
        .harbor
        .import_robot
        .as_ref()
        .ok_or("the plan has no import robot")?;
    let outcome = ensure_robot(&connections.harbor, &robot.spec()?).await?;
    let verb = Outcome::from_harbor(&outcome);
    let ensured = outcome.into_resource();
    let login_name = robot.login_name(&ensured.robot);
    let kept = connections
        .credentials
        .keep_robot_secret(
            &connections.harbor,
            plan.harbor.url.as_str(),
            &ensured,
            &login_name,
            connections.rotate_credentials,
        )
        .await?;
    carried.robot_name = Some(login_name);
    carried.robot_secret = Some(kept.secret);
    Ok(match kept.change {
        CredentialChange::Replaced(reason) => Outcome::Replaced(reason),
        CredentialChange::Kept | CredentialChange::Created => verb,
    })
}

async fn harbor_endpoint(
    plan: &Plan,
    connections: &Connections,
    carried: &mut Carried,
) -> Result<Outcome, BoxError> {
    let endpoint = plan
        .harbor
        .acr_endpoint
        .as_ref()
        .ok_or("the plan has no registry endpoint")?;
    let password = carried
        .acr_password
        .clone()
        .ok_or("the ACR password step left no password")?;
    // A kept password is written only when Harbor's stored one fails the ping, for example
    // after a run that stopped between the password step and this one.
    let send_password = carried.acr_password_changed
        || !endpoint_credential_works(&connections.harbor, &endpoint.name).await?;
    let spec = endpoint.spec(password)?.rotate_secret(send_password);
    let outcome = ensure_registry(&connections.harbor, &spec).await?;
    let verb = Outcome::from_harbor(&outcome);
    let id = outcome
        .resource()
        .id
        .ok_or("Harbor returned the registry endpoint without an id")?;
    carried.endpoint_id = Some(id);
    Ok(verb)
}

async fn harbor_replication(
    plan: &Plan,
    connections: &Connections,
    carried: &mut Carried,
) -> Result<Outcome, BoxError> {
    let rule = plan
        .harbor
        .replication
        .as_ref()
        .ok_or("the plan has no replication rule")?;
    let endpoint_id = carried
        .endpoint_id
        .ok_or("the endpoint step left no registry id")?;
    let outcome = ensure_replication_policy(&connections.harbor, &rule.spec(endpoint_id)?).await?;
    Ok(Outcome::from_harbor(&outcome))
}
