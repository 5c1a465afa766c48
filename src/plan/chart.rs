//! Loading the Harbor chart's values.yaml, whose keys the plan's values are checked against.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use aks_deploy::chart_keys::{CHART_VERSION, ChartKeys};
use serde::Deserialize;

use super::PlanError;

/// Returns the values.yaml path that [`load_chart_keys`] reads:
/// `HARBOR_AZURE_SPECS/harbor-helm/chart/values.yaml` when that variable is set, else
/// `../shared/specs/harbor-helm/chart/values.yaml` next to `workspace_root`.
pub fn default_chart_values_path(workspace_root: &Path) -> PathBuf {
    ChartKeys::default_chart_dir(workspace_root).join("values.yaml")
}

/// Loads the chart's key tree for value validation from [`default_chart_values_path`].
///
/// # Errors
///
/// As [`load_chart_keys_from`].
pub fn load_chart_keys(workspace_root: &Path) -> Result<ChartKeys, PlanError> {
    load_chart_keys_from(&default_chart_values_path(workspace_root))
}

/// Loads the chart's key tree from `values_file`, the values.yaml of Harbor chart 1.19.2, for
/// example `harbor/values.yaml` after `helm pull harbor/harbor --version 1.19.2 --untar`.
///
/// When a `Chart.yaml` lies beside the file, its version must be 1.19.2, because the plan's
/// values are typed for that version.
///
/// # Errors
///
/// [`PlanError::ChartValuesNotFound`] when the file does not exist, [`PlanError::ChartValues`]
/// when it cannot be read or parsed or the chart beside it has another version.
pub fn load_chart_keys_from(values_file: &Path) -> Result<ChartKeys, PlanError> {
    let invalid = |reason: String| PlanError::ChartValues {
        path: values_file.to_path_buf(),
        reason,
    };
    let text = match std::fs::read_to_string(values_file) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            return Err(PlanError::ChartValuesNotFound {
                path: values_file.to_path_buf(),
            });
        }
        Err(error) => return Err(invalid(format!("failed to read it: {error}"))),
    };
    if let Some(version) = chart_version_beside(values_file).map_err(invalid)?
        && version != CHART_VERSION
    {
        return Err(invalid(format!(
            "the Chart.yaml beside it has version {version}, but the plan's values are typed \
             for chart {CHART_VERSION}: unpack that version with \
             `helm pull harbor/harbor --version {CHART_VERSION} --untar`"
        )));
    }
    ChartKeys::from_yaml(&text).map_err(|error| invalid(error.to_string()))
}

/// The part of a chart's `Chart.yaml` that the version check reads.
#[derive(Debug, Deserialize)]
struct ChartMetadata {
    version: String,
}

/// Returns the version from the `Chart.yaml` in the folder of `values_file`, or `None` when
/// there is no such file.
fn chart_version_beside(values_file: &Path) -> Result<Option<String>, String> {
    let path = values_file.with_file_name("Chart.yaml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("failed to read {}: {error}", path.display())),
    };
    let metadata: ChartMetadata = serde_saphyr::from_str(&text)
        .map_err(|error| format!("failed to parse {}: {error}", path.display()))?;
    Ok(Some(metadata.version))
}
