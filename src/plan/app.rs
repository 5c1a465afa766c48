//! The sample application: its Namespace, pull Secret and zone-spread Deployment.

use aks_deploy::manifests::{WorkloadSpec, namespace, spread_deployment};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;

use super::PlanError;
use super::registries::RobotPlan;
use crate::config::{AppConfig, Config};

/// Name of the pull Secret in the application's namespace.
pub const PULL_SECRET: &str = "harbor-pull";

/// The sample application's objects.
#[derive(Debug, Clone)]
pub struct AppPlan {
    /// The application's Namespace.
    pub namespace: Namespace,
    /// The Deployment, spread across zones and hosts.
    pub deployment: Deployment,
    /// Registry host and robot whose credentials fill the pull Secret at apply, when the image
    /// is in the import robot's project.
    pub pull: Option<(String, RobotPlan)>,
}

/// Builds the application's objects. Returns a warning when the image is not in the import
/// robot's project, because the Deployment then gets no pull Secret.
pub(crate) fn app_plan(
    config: &Config,
    app: &AppConfig,
    robot: Option<&RobotPlan>,
) -> Result<(AppPlan, Option<String>), PlanError> {
    let harbor_host = &config.harbor.hostname;
    let image_project = app
        .image
        .strip_prefix(&format!("{harbor_host}/"))
        .and_then(|path| path.split('/').next());
    let pull = match (image_project, robot) {
        (Some(project), Some(robot)) if project == robot.project => {
            Some((harbor_host.clone(), robot.clone()))
        }
        _ => None,
    };
    let warning = pull.is_none().then(|| {
        format!(
            "app.image = {} is not in the Harbor project of [acr.import]: the Deployment gets no pull Secret",
            app.image
        )
    });

    let spec = WorkloadSpec {
        name: app.name.clone(),
        namespace: app.namespace.clone(),
        image: app.image.clone(),
        port: i32::from(app.port),
        probe_path: app.probe_path.clone(),
        replicas: i32::try_from(app.replicas).unwrap_or(i32::MAX),
        cpu: ("100m".to_owned(), "500m".to_owned()),
        memory: ("64Mi".to_owned(), "256Mi".to_owned()),
        image_pull_secret: pull.as_ref().map(|_| PULL_SECRET.to_owned()),
    };
    let plan = AppPlan {
        namespace: namespace(&app.namespace).map_err(PlanError::Values)?,
        deployment: spread_deployment(&spec).map_err(PlanError::Values)?,
        pull,
    };
    Ok((plan, warning))
}
