//! Formatting the generated files with rustfmt, and writing them or comparing them with the
//! checked-in files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};

use super::GeneratedFile;

/// Formats `files` in place with `rustfmt --edition 2024`.
///
/// The files are written to a temporary folder and rustfmt formats them all from the root
/// `mod.rs`. When the workspace has a `rustfmt.toml`, rustfmt uses it, so the result matches
/// `cargo fmt`.
pub(crate) fn format_files(files: &mut [GeneratedFile]) -> anyhow::Result<()> {
    let dir = ScratchDir::create("rustfmt")?;
    for file in files.iter() {
        write_file(&dir.path().join(&file.path), &file.content)?;
    }

    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut command = Command::new(&rustfmt);
    command.args(["--edition", "2024"]);
    if let Some(config) = workspace_rustfmt_config() {
        command.arg("--config-path").arg(config);
    }
    command.arg(dir.path().join("mod.rs"));
    let output = command
        .output()
        .with_context(|| format!("failed to start {}", rustfmt.to_string_lossy()))?;
    if !output.status.success() {
        bail!(
            "rustfmt failed with {} on the generated code; its output:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    for file in files.iter_mut() {
        let path = dir.path().join(&file.path);
        file.content = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read the formatted {}", path.display()))?;
    }
    Ok(())
}

/// A folder below the system's temporary folder, removed when dropped.
#[derive(Debug)]
pub(crate) struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates an empty folder named after `purpose`, the process id and a counter.
    pub(crate) fn create(purpose: &str) -> anyhow::Result<Self> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let number = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "xtask-codegen-{purpose}-{}-{number}",
            std::process::id()
        ));
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("failed to clear {}", path.display()))?;
        }
        std::fs::create_dir_all(&path)
            .with_context(|| format!("failed to create {}", path.display()))?;
        Ok(Self(path))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // A folder left behind in the temporary folder is harmless, so a failure is ignored.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Returns the rustfmt configuration file of the workspace, if there is one.
fn workspace_rustfmt_config() -> Option<PathBuf> {
    let root = crate::workspace_root();
    ["rustfmt.toml", ".rustfmt.toml"]
        .into_iter()
        .map(|name| root.join(name))
        .find(|path| path.is_file())
}

/// Writes `files` below `dir`, skipping files whose content is unchanged and removing `.rs` files
/// that are no longer generated. Returns how many files were written or removed.
pub(crate) fn write_files(dir: &Path, files: &[GeneratedFile]) -> anyhow::Result<usize> {
    let mut changes = 0;
    for file in files {
        let path = dir.join(&file.path);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(file.content.as_str()) {
            write_file(&path, &file.content)?;
            changes += 1;
        }
    }
    for stale in stale_files(dir, files)? {
        let path = dir.join(&stale);
        std::fs::remove_file(&path)
            .with_context(|| format!("failed to remove the stale {}", path.display()))?;
        changes += 1;
    }
    Ok(changes)
}

/// Returns the paths, relative to `dir`, of files that differ from `files`: changed, missing, or
/// present on disk but no longer generated.
pub(crate) fn differing_files(dir: &Path, files: &[GeneratedFile]) -> anyhow::Result<Vec<String>> {
    let mut differing = Vec::new();
    for file in files {
        let current = std::fs::read_to_string(dir.join(&file.path)).ok();
        match current {
            Some(content) if content == file.content => {}
            Some(_) => differing.push(format!("{} (changed)", file.path)),
            None => differing.push(format!("{} (missing)", file.path)),
        }
    }
    for stale in stale_files(dir, files)? {
        differing.push(format!("{stale} (no longer generated)"));
    }
    Ok(differing)
}

/// Returns the `.rs` files below `dir` that are not in `files`, relative to `dir`, sorted.
fn stale_files(dir: &Path, files: &[GeneratedFile]) -> anyhow::Result<Vec<String>> {
    let expected: BTreeSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
    let mut found = Vec::new();
    if dir.is_dir() {
        collect_rust_files(dir, dir, &mut found)?;
    }
    found.retain(|path| !expected.contains(path.as_str()));
    found.sort();
    Ok(found)
}

fn collect_rust_files(root: &Path, dir: &Path, found: &mut Vec<String>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("failed to list {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("failed to list {}", dir.display()))?
            .path();
        if path.is_dir() {
            collect_rust_files(root, &path, found)?;
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let relative = path
                .strip_prefix(root)
                .with_context(|| format!("{} is outside {}", path.display(), root.display()))?;
            found.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

fn write_file(path: &Path, content: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
    }
    std::fs::write(path, content).with_context(|| format!("failed to write {}", path.display()))
}
