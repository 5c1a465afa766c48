//! Helpers shared by the integration tests: chart folder, helm binary and the zone context.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use aks_deploy::chart_keys::ChartKeys;
use aks_deploy::helm::{Helm, Release};
use aks_deploy::presets::{ZRS_DISK_CLASS, ZRS_FILE_CLASS};
use aks_deploy::rendered::RenderedObjects;
use aks_deploy::validate::ValidationContext;
use aks_deploy::values::HarborValues;

/// Returns the goharbor/harbor chart folder of the shared specs.
pub fn chart_dir() -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    ChartKeys::default_chart_dir(&workspace)
}

/// Returns the folder of the shared specs: `HARBOR_AZURE_SPECS` or `../shared/specs` relative to
/// the workspace root.
pub fn specs_dir() -> PathBuf {
    match std::env::var_os("HARBOR_AZURE_SPECS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs"),
    }
}

/// Returns a validation context with the chart keys and the SDK's zone-redundant classes.
pub fn context() -> ValidationContext {
    let keys = ChartKeys::load(&chart_dir()).expect("chart values.yaml loads");
    ValidationContext::new(keys)
        .with_zone_redundant_class(ZRS_DISK_CLASS)
        .with_zone_redundant_class(ZRS_FILE_CLASS)
}

/// Returns helm from `HELM` or PATH. Under CI a missing helm fails the test; elsewhere the test
/// is skipped with a printed reason.
pub fn helm_or_skip() -> Option<Helm> {
    match Helm::locate() {
        Ok(helm) => Some(helm),
        Err(error) if std::env::var_os("CI").is_some() => {
            panic!("{error}; `cargo xtask test` downloads helm and sets HELM")
        }
        Err(error) => {
            eprintln!("skipping: {error}; run `cargo xtask test` to download helm");
            None
        }
    }
}

/// Renders `values` with validation and `helm template` of the real chart, release `harbor`.
pub async fn helm_template(helm: &Helm, values: &HarborValues) -> RenderedObjects {
    let rendered = aks_deploy::render::render_values(values, &context()).expect("values validate");
    let release = Release::new("harbor", "harbor", &chart_dir().display().to_string());
    let stream = helm
        .template(&release, &rendered.yaml)
        .await
        .expect("helm template succeeds");
    RenderedObjects::parse(&stream).expect("helm output parses")
}
