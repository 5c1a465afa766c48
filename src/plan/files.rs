//! The plan as files for a GitOps repository.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Plan;

/// Name of the values file that `helm-command.sh` passes to helm.
const VALUES_FILE: &str = "values.yaml";

/// Name of the file in `manifests/` that lists the manifests the last run wrote. Argo CD and
/// Flux read only `.yaml`, `.yml` and `.json` files, so they skip it.
pub const MANIFEST_LIST: &str = ".harbor-azure-manifests";

/// Changes that [`Plan::write_files`] made in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WrittenFiles {
    /// Files written, in the order they were written; the manifest list comes last.
    pub written: Vec<PathBuf>,
    /// Manifests an earlier run wrote that this plan does not contain, now removed.
    pub removed: Vec<PathBuf>,
}

impl Plan {
    /// Writes the plan into `dir` (created when missing):
    ///
    /// - `values.yaml`: the chart values;
    /// - `manifests/*.yaml`: Namespace, StorageClasses, ClusterIssuer and the sample
    ///   application's Namespace and Deployment. Secrets are not
    ///   written, because a repository is no place for them: `plan.txt` lists each Secret key
    ///   and the source of its value;
    /// - `helm-command.sh`: the helm invocation, which contains no secret, executable on Unix;
    /// - `plan.txt`: the text plan;
    /// - `manifests/.harbor-azure-manifests`: the names of the manifests written.
    ///
    /// Manifests that the previous run listed in `manifests/.harbor-azure-manifests` and this
    /// plan does not contain (another preset creates other StorageClasses) are removed, so that
    /// Argo CD or Flux does not apply them. Other files in `manifests/` are never touched.
    ///
    /// # Errors
    ///
    /// [`std::io::Error`] when a file cannot be written or a stale manifest cannot be removed.
    pub fn write_files(&self, dir: &Path) -> std::io::Result<WrittenFiles> {
        let manifests = dir.join("manifests");
        std::fs::create_dir_all(&manifests)?;
        let list_path = manifests.join(MANIFEST_LIST);
        let previous = read_manifest_list(&list_path)?;
        let mut written = Vec::new();
        let mut manifest_names = Vec::new();
        let mut write = |path: PathBuf, contents: &str| -> std::io::Result<()> {
            std::fs::write(&path, contents)?;
            written.push(path);
            Ok(())
        };
        write(dir.join(VALUES_FILE), &self.values_yaml)?;
        let mut write_manifest = |name: String, contents: &str| -> std::io::Result<()> {
            write(manifests.join(&name), contents)?;
            manifest_names.push(name);
            Ok(())
        };

        write_manifest("namespace.yaml".to_owned(), &to_yaml(&self.namespace)?)?;
        for class in &self.storage_classes {
            let name = class.metadata.name.clone().unwrap_or_default();
            write_manifest(format!("storageclass-{name}.yaml"), &to_yaml(class)?)?;
        }
        if let Some(issuer) = &self.cluster_issuer {
            let name = issuer.metadata.name.clone().unwrap_or_default();
            write_manifest(format!("clusterissuer-{name}.yaml"), &to_yaml(issuer)?)?;
        }
        if let Some(app) = &self.app {
            write_manifest("app-namespace.yaml".to_owned(), &to_yaml(&app.namespace)?)?;
            write_manifest("app-deployment.yaml".to_owned(), &to_yaml(&app.deployment)?)?;
        }
        let script = dir.join("helm-command.sh");
        write(script.clone(), &self.helm_script())?;
        make_executable(&script)?;
        write(dir.join("plan.txt"), &self.render_text())?;

        let mut removed = Vec::new();
        for name in previous {
            let path = manifests.join(&name);
            if !manifest_names.contains(&name) && path.is_file() {
                tracing::info!(path = %path.display(), "removing a manifest that is not in the plan");
                std::fs::remove_file(&path)?;
                removed.push(path);
            }
        }
        write(list_path, &manifest_list(&manifest_names))?;
        Ok(WrittenFiles { written, removed })
    }

    /// Returns a shell script that runs the helm invocation from the folder of `values.yaml`.
    pub fn helm_script(&self) -> String {
        let mut script = String::from(
            "#!/bin/sh\n# Installs or upgrades Harbor with values.yaml from this folder.\n",
        );
        script.push_str("# The values reference Kubernetes Secrets; create them first (see plan.txt).\nset -eu\ncd \"$(dirname \"$0\")\"\n");
        if self.release.chart.starts_with("harbor/") {
            script.push_str(
                "helm repo add --force-update harbor https://helm.goharbor.io\n\
                 helm repo update harbor\n",
            );
        }
        let args: Vec<String> = self
            .helm_args(VALUES_FILE.as_ref())
            .iter()
            .map(|arg| shell_quote(arg))
            .collect();
        script.push_str(&format!("helm {}\n", args.join(" ")));
        script
    }
}

/// Reads the manifest names of the previous run. Lines that are not a plain `.yaml` file name
/// are ignored, so an edited list cannot remove files outside `manifests/`.
fn read_manifest_list(path: &Path) -> std::io::Result<Vec<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let names = text
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.starts_with('#')
                && line.ends_with(".yaml")
                && !line.starts_with('.')
                && !line.contains(['/', '\\'])
        })
        .map(str::to_owned)
        .collect();
    Ok(names)
}

fn manifest_list(names: &[String]) -> String {
    let mut text = String::from(
        "# Manifests that harbor-azure wrote here. The next plan written to this folder removes\n\
         # those it no longer contains and leaves every other file alone.\n",
    );
    for name in names {
        text.push_str(name);
        text.push('\n');
    }
    text
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

fn to_yaml(object: &impl Serialize) -> std::io::Result<String> {
    serde_saphyr::to_string(object).map_err(std::io::Error::other)
}

/// Quotes `arg` for a POSIX shell when it has characters other than `[A-Za-z0-9_./:=@%+-]`.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+-".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
