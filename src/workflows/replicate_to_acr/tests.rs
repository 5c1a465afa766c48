use acr_client::{
    RegistryCreate, RegistryName, RepositoryName, ScopeMapAction, ScopeMapName, SkuName, TokenName,
};

use super::*;
use crate::plan::{AcrPlan, EndpointPlan, HarborPlan, ReplicationPlan};

fn acr_plan() -> AcrPlan {
    AcrPlan {
        subscription_id: "00000000-0000-0000-0000-000000000000".to_owned(),
        resource_group: "rg-harbor".to_owned(),
        registry: RegistryName::new("exampleacr").unwrap(),
        registry_create: RegistryCreate::new("westeurope", SkuName::Premium),
        scope_map: ScopeMapName::new("harbor-push-scope-map").unwrap(),
        actions: ScopeMapAction::for_mirror_target(&RepositoryName::new("mirror/nginx").unwrap()),
        token: TokenName::new("harbor-push").unwrap(),
    }
}

fn harbor_plan() -> HarborPlan {
    HarborPlan {
        url: "https://harbor.example.test".to_owned(),
        import_robot: None,
        acr_endpoint: Some(EndpointPlan {
            name: "exampleacr".to_owned(),
            url: "https://exampleacr.azurecr.io".to_owned(),
            access_key: "harbor-push".to_owned(),
        }),
        replication: Some(ReplicationPlan {
            name: "library-to-exampleacr".to_owned(),
            endpoint: "exampleacr".to_owned(),
            pattern: "library/nginx".to_owned(),
            namespace: "mirror".to_owned(),
        }),
    }
}

#[test]
fn from_plan_keeps_the_main_job_policy() {
    let harbor = harbor_plan();
    let rule = harbor.replication.as_ref().unwrap();

    let input = ReplicateToAcrInput::from_plan(&acr_plan(), &harbor).unwrap();

    assert_eq!(
        input.policy_spec(7).unwrap().to_model(),
        rule.spec(7).unwrap().to_model()
    );
    let endpoint = harbor.acr_endpoint.as_ref().unwrap();
    assert_eq!(input.endpoint(), endpoint.name);
    assert_eq!(input.endpoint_url(), endpoint.url);
}

#[test]
fn from_plan_needs_replication_rule() {
    let harbor = HarborPlan {
        replication: None,
        ..harbor_plan()
    };

    let error = ReplicateToAcrInput::from_plan(&acr_plan(), &harbor).unwrap_err();

    assert!(error.to_string().contains("no replication rule"), "{error}");
}
