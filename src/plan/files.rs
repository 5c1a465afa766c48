//! The plan as files for a GitOps repository.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Plan;

/// Name of the values file that `helm-command.sh` passes to helm.
const VALUES_FILE: &str = "values.yaml";

impl Plan {
    /// Writes the plan into `dir` (created when missing) and returns the written paths:
    ///
    /// - `values.yaml`: the chart values;
    /// - `manifests/*.yaml`: Namespace, StorageClasses, ClusterIssuer and the sample
    ///   application's Namespace and Deployment. Secrets are not
    ///   written, because a repository is no place for them: `plan.txt` lists each Secret key
    ///   and the source of its value;
    /// - `helm-command.sh`: the helm invocation, which contains no secret;
    /// - `plan.txt`: the text plan.
    ///
    /// Other `.yaml` files in `manifests/`, left by an earlier plan (another preset creates other
    /// StorageClasses), are removed, so that Argo CD or Flux does not apply them.
    ///
    /// # Errors
    ///
    /// [`std::io::Error`] when a file cannot be written or a stale manifest cannot be removed.
    pub fn write_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let manifests = dir.join("manifests");
        std::fs::create_dir_all(&manifests)?;
        let stale = yaml_files(&manifests)?;
        let mut written = Vec::new();
        let mut write = |path: PathBuf, contents: &str| -> std::io::Result<()> {
            std::fs::write(&path, contents)?;
            written.push(path);
            Ok(())
        };

        write(dir.join(VALUES_FILE), &self.values_yaml)?;
        write(manifests.join("namespace.yaml"), &to_yaml(&self.namespace)?)?;
        for class in &self.storage_classes {
            let name = class.metadata.name.clone().unwrap_or_default();
            write(
                manifests.join(format!("storageclass-{name}.yaml")),
                &to_yaml(class)?,
            )?;
        }
        if let Some(issuer) = &self.cluster_issuer {
            let name = issuer.metadata.name.clone().unwrap_or_default();
            write(
                manifests.join(format!("clusterissuer-{name}.yaml")),
                &to_yaml(issuer)?,
            )?;
        }
        if let Some(app) = &self.app {
            write(
                manifests.join("app-namespace.yaml"),
                &to_yaml(&app.namespace)?,
            )?;
            write(
                manifests.join("app-deployment.yaml"),
                &to_yaml(&app.deployment)?,
            )?;
        }
        write(dir.join("helm-command.sh"), &self.helm_script())?;
        write(dir.join("plan.txt"), &self.render_text())?;

        for path in stale {
            if !written.contains(&path) {
                tracing::info!(path = %path.display(), "removing a manifest that is not in the plan");
                std::fs::remove_file(&path)?;
            }
        }
        Ok(written)
    }

    /// Returns a shell script that runs the helm invocation from the folder of `values.yaml`.
    pub fn helm_script(&self) -> String {
        let mut script = String::from(
            "#!/bin/sh\n# Installs or upgrades Harbor with values.yaml from this folder.\n",
        );
        script.push_str("# The values reference Kubernetes Secrets; create them first (see plan.txt).\nset -eu\ncd \"$(dirname \"$0\")\"\n");
        if self.release.chart.starts_with("harbor/") {
            script.push_str(
                "helm repo add harbor https://helm.goharbor.io\nhelm repo update harbor\n",
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

fn yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file()
            && path
                .extension()
                .is_some_and(|extension| extension == "yaml")
        {
            files.push(path);
        }
    }
    Ok(files)
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
