//! A helm runner: `upgrade --install`, `template`, `get values` and `status`.
//!
//! Values always travel in a temporary file of mode 0600 that is deleted after the run, so no
//! value is on the command line. Error messages have every registered secret replaced by `***`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::redact::Redactor;

/// Environment variable naming the helm binary.
pub const HELM_ENV: &str = "HELM";

/// One helm release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Release name, for example `harbor`.
    pub name: String,
    /// Namespace of the release.
    pub namespace: String,
    /// Chart reference: a folder, an archive or `repo/chart`.
    pub chart: String,
    /// Chart version, for a chart from a repository.
    pub version: Option<String>,
    /// Maximum time `upgrade --install --wait` waits for the resources to become ready.
    pub timeout: Duration,
}

impl Release {
    /// Returns a release of `chart` named `name` in `namespace`, waiting at most 10 minutes.
    pub fn new(name: &str, namespace: &str, chart: &str) -> Self {
        Release {
            name: name.to_string(),
            namespace: namespace.to_string(),
            chart: chart.to_string(),
            version: None,
            timeout: Duration::from_secs(600),
        }
    }
}

/// Status of a deployed release as `helm status` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatus {
    /// The status, for example `deployed`, `failed` or `pending-upgrade`.
    pub status: String,
    /// The revision number.
    pub revision: i64,
}

/// The helm binary and the secrets to hide in its errors.
#[derive(Debug, Clone)]
pub struct Helm {
    program: PathBuf,
    redactor: Redactor,
}

impl Helm {
    /// Finds helm: the `HELM` environment variable, else `helm` on `PATH`.
    ///
    /// The returned runner hides no values yet: register every secret that could reach helm's
    /// output with [`Helm::with_redactor`], so errors show `***` in its place.
    ///
    /// # Errors
    ///
    /// Returns [`Error::HelmNotFound`] when neither names an existing file.
    pub fn locate() -> Result<Self> {
        if let Some(path) = std::env::var_os(HELM_ENV) {
            let path = PathBuf::from(path);
            return if path.is_file() {
                Ok(Helm::with_program(path))
            } else {
                Err(Error::HelmNotFound {
                    searched: format!("at {HELM_ENV}={}", path.display()),
                })
            };
        }
        let not_on_path = || Error::HelmNotFound {
            searched: "on PATH".to_string(),
        };
        let path = std::env::var_os("PATH").ok_or_else(not_on_path)?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("helm"))
            .find(|candidate| candidate.is_file())
            .map(Helm::with_program)
            .ok_or_else(not_on_path)
    }

    /// Uses the helm binary at `program`, with no secrets registered for redaction (see
    /// [`Helm::with_redactor`]).
    pub fn with_program(program: impl Into<PathBuf>) -> Self {
        Helm {
            program: program.into(),
            redactor: Redactor::default(),
        }
    }

    /// Registers the secrets to replace by `***` in errors.
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Returns the helm binary's path.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Builds the arguments of `helm upgrade --install` without running it.
    pub fn upgrade_install_args(release: &Release, values_file: &Path) -> Vec<String> {
        let mut args = vec![
            "upgrade".to_string(),
            "--install".to_string(),
            release.name.clone(),
            release.chart.clone(),
            "--namespace".to_string(),
            release.namespace.clone(),
            "--create-namespace".to_string(),
            "--wait".to_string(),
            "--timeout".to_string(),
            format!("{}s", release.timeout.as_secs()),
            "--values".to_string(),
            values_file.display().to_string(),
        ];
        if let Some(version) = &release.version {
            args.push("--version".to_string());
            args.push(version.clone());
        }
        args
    }

    /// Builds the arguments of `helm template` without running it.
    pub fn template_args(release: &Release, values_file: &Path) -> Vec<String> {
        let mut args = vec![
            "template".to_string(),
            release.name.clone(),
            release.chart.clone(),
            "--namespace".to_string(),
            release.namespace.clone(),
            "--values".to_string(),
            values_file.display().to_string(),
        ];
        if let Some(version) = &release.version {
            args.push("--version".to_string());
            args.push(version.clone());
        }
        args
    }

    /// Installs or upgrades `release` with `values_yaml` and waits for it to be ready.
    ///
    /// Running it again with the same values leaves the release as it is apart from a new
    /// revision.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Helm`] with redacted output when helm exits non-zero.
    pub async fn upgrade_install(&self, release: &Release, values_yaml: &str) -> Result<()> {
        let file = write_values_file(values_yaml)?;
        let args = Self::upgrade_install_args(release, file.path());
        self.run(&args).await?;
        Ok(())
    }

    /// Renders `release` with `values_yaml` locally and returns the manifest stream.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Helm`] with redacted output when helm exits non-zero.
    pub async fn template(&self, release: &Release, values_yaml: &str) -> Result<String> {
        let file = write_values_file(values_yaml)?;
        let args = Self::template_args(release, file.path());
        self.run(&args).await
    }

    /// Returns the user-supplied values of a deployed release.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Helm`] when helm fails and [`Error::Yaml`] when its output is not JSON.
    pub async fn get_values(&self, release: &Release) -> Result<Value> {
        let args = [
            "get",
            "values",
            &release.name,
            "--namespace",
            &release.namespace,
            "--output",
            "json",
        ]
        .map(String::from);
        let output = self.run(&args).await?;
        serde_json::from_str(&output).map_err(|error| Error::Yaml {
            context: format!("helm get values {}", release.name),
            message: error.to_string(),
        })
    }

    /// Returns the status of a deployed release.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Helm`] when helm fails (also when the release does not exist) and
    /// [`Error::Yaml`] when its output lacks `info.status`.
    pub async fn status(&self, release: &Release) -> Result<ReleaseStatus> {
        let args = [
            "status",
            &release.name,
            "--namespace",
            &release.namespace,
            "--output",
            "json",
        ]
        .map(String::from);
        let output = self.run(&args).await?;
        let value: Value = serde_json::from_str(&output).map_err(|error| Error::Yaml {
            context: format!("helm status {}", release.name),
            message: error.to_string(),
        })?;
        let status = value
            .pointer("/info/status")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Yaml {
                context: format!("helm status {}", release.name),
                message: "the output has no info.status".into(),
            })?;
        Ok(ReleaseStatus {
            status: status.to_string(),
            revision: value.get("version").and_then(Value::as_i64).unwrap_or(0),
        })
    }

    async fn run(&self, args: &[String]) -> Result<String> {
        let command_line = self.redactor.redact(&args.join(" "));
        tracing::debug!(command = %command_line, "running helm");
        let output = tokio::process::Command::new(&self.program)
            .args(args)
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|error| Error::io(format!("starting {}", self.program.display()), error))?;
        if !output.status.success() {
            return Err(Error::Helm {
                command: command_line,
                status: output.status.to_string(),
                stderr: self
                    .redactor
                    .redact(String::from_utf8_lossy(&output.stderr).trim()),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// Writes values to a temporary file readable only by the owner; it is deleted when dropped.
fn write_values_file(values_yaml: &str) -> Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("harbor-values-")
        .suffix(".yaml")
        .tempfile()
        .map_err(|error| Error::io("creating the values file", error))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600))
            .map_err(|error| Error::io("restricting the values file to mode 0600", error))?;
    }
    file.write_all(values_yaml.as_bytes())
        .map_err(|error| Error::io("writing the values file", error))?;
    file.flush()
        .map_err(|error| Error::io("writing the values file", error))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_install_args_are_idempotent_and_wait() {
        let release = Release::new("harbor", "harbor", "goharbor/harbor");
        let args = Helm::upgrade_install_args(&release, Path::new("/tmp/v.yaml"));
        assert_eq!(
            args,
            [
                "upgrade",
                "--install",
                "harbor",
                "goharbor/harbor",
                "--namespace",
                "harbor",
                "--create-namespace",
                "--wait",
                "--timeout",
                "600s",
                "--values",
                "/tmp/v.yaml",
            ]
        );
    }

    #[test]
    fn values_file_has_mode_0600() {
        let file = write_values_file("a: 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_to_string(file.path()).unwrap(), "a: 1\n");
    }
}
