//! The Prism mock server for the contract suite: install, spec adaptation, start and stop.
//!
//! Prism mocks the pinned Harbor swagger, validates each request against it and answers from its
//! schemas. It needs a copy of the spec adapted for the mock only, written by [`adapt_spec`]:
//!
//! - `/api/v2.0` is prefixed to every path, because Prism ignores `basePath`;
//! - responses declared as `type: file` (the certificate download and the scan data export
//!   download) are declared as `type: string, format: binary`, because Prism cannot serialize
//!   `file`.
//!
//! Nothing else changes, so every request is still checked against the real operation.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

/// Pinned Prism release; newer releases need Node.js 24.
const PRISM_PACKAGE: &str = "@stoplight/prism-cli@5.14.2";

/// Installs Prism into `cache` with npm unless it is already there, and returns the binary.
pub(crate) fn install(cache: &Path) -> anyhow::Result<PathBuf> {
    let binary = cache.join("node_modules/.bin/prism");
    if binary.exists() {
        return Ok(binary);
    }
    std::fs::create_dir_all(cache)?;
    eprintln!("xtask: installing {PRISM_PACKAGE} into {}", cache.display());
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(cache)
        .arg(PRISM_PACKAGE)
        .status()
        .context("failed to start npm (Node.js and npm are needed for the contract suite)")?;
    anyhow::ensure!(status.success(), "npm install {PRISM_PACKAGE} failed");
    anyhow::ensure!(
        binary.exists(),
        "npm installed {PRISM_PACKAGE} but {} is missing",
        binary.display()
    );
    Ok(binary)
}

/// Reads the Swagger 2.0 document at `spec`, adapts it for Prism and writes it as JSON to `out`.
pub(crate) fn adapt_spec(spec: &Path, out: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(spec)
        .with_context(|| format!("failed to read {}", spec.display()))?;
    let mut document: Value = serde_saphyr::from_str(&text)
        .with_context(|| format!("failed to parse {} as YAML", spec.display()))?;
    adapt_document(&mut document)?;
    std::fs::write(out, serde_json::to_vec_pretty(&document)?)
        .with_context(|| format!("failed to write {}", out.display()))?;
    Ok(())
}

/// Applies the two adaptations described in the module documentation.
fn adapt_document(document: &mut Value) -> anyhow::Result<()> {
    let base_path = document
        .get("basePath")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim_end_matches('/')
        .to_owned();
    let paths = document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("the spec has no `paths` object")?;
    let original = std::mem::take(paths);
    for (path, mut item) in original {
        replace_file_responses(&mut item);
        paths.insert(format!("{base_path}{path}"), item);
    }
    Ok(())
}

/// Replaces every response schema `{type: file}` below a path item.
fn replace_file_responses(item: &mut Value) {
    let Some(operations) = item.as_object_mut() else {
        return;
    };
    for operation in operations.values_mut() {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for response in responses.values_mut() {
            if let Some(schema) = response.get_mut("schema")
                && schema.get("type").and_then(Value::as_str) == Some("file")
            {
                *schema = serde_json::json!({ "type": "string", "format": "binary" });
            }
        }
    }
}

/// A running Prism mock on 127.0.0.1. Dropping it stops the process by its id.
#[derive(Debug)]
pub(crate) struct Mock {
    child: Child,
    /// Base URL of the mock, for example `http://127.0.0.1:41234`.
    pub(crate) url: String,
}

impl Mock {
    /// Starts `prism mock` in static mode on a free loopback port and waits until it listens.
    pub(crate) fn start(prism: &Path, spec: &Path, log: &Path) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(prism)
            .args(["mock", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg(spec)
            .stdout(Stdio::from(log_file.try_clone()?))
            .stderr(Stdio::from(log_file))
            .spawn()
            .context("failed to start prism")?;
        let mut mock = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..600 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(mock);
            }
            if let Some(status) = mock.child.try_wait()? {
                anyhow::bail!("prism exited with {status}; see {}", log.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        anyhow::bail!(
            "prism did not listen on 127.0.0.1:{port} within 60 s; see {}",
            log.display()
        )
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_get_base_path_prefix() {
        let mut document = serde_json::json!({
            "basePath": "/api/v2.0",
            "paths": { "/projects": { "get": { "responses": {} } } }
        });
        adapt_document(&mut document).unwrap();
        let paths = document["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v2.0/projects"));
        assert!(!paths.contains_key("/projects"));
    }

    #[test]
    fn file_response_becomes_binary_string() {
        let mut document = serde_json::json!({
            "basePath": "/api/v2.0",
            "paths": { "/systeminfo/getcert": { "get": { "responses": {
                "200": { "schema": { "type": "file" } },
                "404": { "schema": { "$ref": "#/definitions/Errors" } }
            } } } }
        });
        adapt_document(&mut document).unwrap();
        let responses = &document["paths"]["/api/v2.0/systeminfo/getcert"]["get"]["responses"];
        assert_eq!(
            responses["200"]["schema"],
            serde_json::json!({ "type": "string", "format": "binary" })
        );
        assert_eq!(responses["404"]["schema"]["$ref"], "#/definitions/Errors");
    }
}
