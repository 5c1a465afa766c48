//! A workload Deployment spread across zones and hosts, for services that run beside Harbor.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, HTTPGetAction, LocalObjectReference, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::error::Result;
use crate::names::{check_dns_label, check_dns_subdomain};
use crate::validate::{HOSTNAME_TOPOLOGY_KEY, ZONE_TOPOLOGY_KEY};

/// Settings of a spread workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// Deployment name, also used as the container name and the `app.kubernetes.io/name`
    /// label, so it must be an RFC 1123 DNS label.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Image reference.
    pub image: String,
    /// Container port serving HTTP.
    pub port: i32,
    /// HTTP path of the readiness and liveness probes.
    pub probe_path: String,
    /// Replicas; use at least the number of zones.
    pub replicas: i32,
    /// CPU request and limit, for example `("100m", "500m")`.
    pub cpu: (String, String),
    /// Memory request and limit, for example `("128Mi", "256Mi")`.
    pub memory: (String, String),
    /// Image pull Secret, for example one built by [`super::pull_secret`].
    pub image_pull_secret: Option<String>,
}

/// Builds the Deployment.
///
/// Pods spread evenly over zones (a hard rule) and hosts (a soft rule). Unlike the Harbor chart,
/// a raw manifest gets no label selector added by anyone, so the constraints carry the pod's
/// own labels: a constraint without a selector counts no pods and spreads nothing.
///
/// # Errors
///
/// Returns [`crate::Error::InvalidInput`] when the name or the namespace is not an RFC 1123 DNS
/// label, or the image pull Secret is not an RFC 1123 DNS subdomain.
pub fn spread_deployment(spec: &WorkloadSpec) -> Result<Deployment> {
    check_dns_label("Deployment name", &spec.name)?;
    check_dns_label("namespace", &spec.namespace)?;
    if let Some(secret) = &spec.image_pull_secret {
        check_dns_subdomain("image pull Secret name", secret)?;
    }
    let labels = BTreeMap::from([("app.kubernetes.io/name".to_string(), spec.name.clone())]);
    let selector = LabelSelector {
        match_labels: Some(labels.clone()),
        ..LabelSelector::default()
    };
    let constraint = |key: &str, policy: &str| TopologySpreadConstraint {
        max_skew: 1,
        topology_key: key.to_string(),
        when_unsatisfiable: policy.to_string(),
        label_selector: Some(selector.clone()),
        ..TopologySpreadConstraint::default()
    };
    let probe = |initial_delay: i32| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(spec.probe_path.clone()),
            port: IntOrString::Int(spec.port),
            ..HTTPGetAction::default()
        }),
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(10),
        ..Probe::default()
    };
    let resources = ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(spec.cpu.0.clone())),
            ("memory".to_string(), Quantity(spec.memory.0.clone())),
        ])),
        limits: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(spec.cpu.1.clone())),
            ("memory".to_string(), Quantity(spec.memory.1.clone())),
        ])),
        ..ResourceRequirements::default()
    };
    let constraints = vec![
        constraint(ZONE_TOPOLOGY_KEY, "DoNotSchedule"),
        constraint(HOSTNAME_TOPOLOGY_KEY, "ScheduleAnyway"),
    ];
    let container = Container {
        name: spec.name.clone(),
        image: Some(spec.image.clone()),
        ports: Some(vec![ContainerPort {
            container_port: spec.port,
            name: Some("http".to_string()),
            ..ContainerPort::default()
        }]),
        readiness_probe: Some(probe(5)),
        liveness_probe: Some(probe(30)),
        resources: Some(resources),
        ..Container::default()
    };
    Ok(Deployment {
        metadata: ObjectMeta {
            name: Some(spec.name.clone()),
            namespace: Some(spec.namespace.clone()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(spec.replicas),
            selector,
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    image_pull_secrets: spec
                        .image_pull_secret
                        .as_ref()
                        .map(|name| vec![LocalObjectReference { name: name.clone() }]),
                    topology_spread_constraints: Some(constraints),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> WorkloadSpec {
        WorkloadSpec {
            name: "mirror".into(),
            namespace: "harbor".into(),
            image: "harbor.example.test/proj1/mirror:1.0".into(),
            port: 8080,
            probe_path: "/healthz".into(),
            replicas: 3,
            cpu: ("100m".into(), "500m".into()),
            memory: ("128Mi".into(), "256Mi".into()),
            image_pull_secret: Some("harbor-pull".into()),
        }
    }

    #[test]
    fn constraints_carry_the_pod_selector() {
        let deployment = spread_deployment(&spec()).unwrap();
        let pod = deployment.spec.unwrap().template.spec.unwrap();
        let constraints = pod.topology_spread_constraints.unwrap();
        assert_eq!(constraints.len(), 2);
        for constraint in &constraints {
            let labels = constraint
                .label_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone())
                .unwrap();
            assert_eq!(labels["app.kubernetes.io/name"], "mirror");
        }
        assert_eq!(constraints[0].topology_key, ZONE_TOPOLOGY_KEY);
        assert_eq!(constraints[0].when_unsatisfiable, "DoNotSchedule");
    }

    #[test]
    fn container_has_probes_resources_and_pull_secret() {
        let deployment = spread_deployment(&spec()).unwrap();
        let pod = deployment.spec.unwrap().template.spec.unwrap();
        let container = &pod.containers[0];
        assert!(container.readiness_probe.is_some());
        assert!(container.liveness_probe.is_some());
        let limits = container
            .resources
            .as_ref()
            .unwrap()
            .limits
            .clone()
            .unwrap();
        assert_eq!(limits["memory"].0, "256Mi");
        assert_eq!(pod.image_pull_secrets.unwrap()[0].name, "harbor-pull");
    }

    #[test]
    fn deployment_rejects_invalid_names() {
        let cases = [
            ("name", "api.v1", "Deployment name \"api.v1\""),
            ("namespace", "App_NS", "namespace \"App_NS\""),
            (
                "secret",
                "harbor_pull",
                "image pull Secret name \"harbor_pull\"",
            ),
        ];
        for (field, value, expected) in cases {
            let mut spec = spec();
            match field {
                "name" => spec.name = value.into(),
                "namespace" => spec.namespace = value.into(),
                _ => spec.image_pull_secret = Some(value.into()),
            }
            let error = spread_deployment(&spec).unwrap_err().to_string();
            assert!(error.contains(expected), "{field}: {error}");
        }
    }
}
