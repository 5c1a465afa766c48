//! Registries that a test starts itself: the binary from `HARBOR_AZURE_REGISTRY_BINARY` (set
//! by `cargo xtask test`) on a free 127.0.0.1 port, stopped when dropped.
//!
//! The harbor-azure tests include this file through `#[path]`, so it needs only an
//! `env_or_skip` in its parent module.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::env_or_skip;

/// A registry process started by a test; stopped by its pid when dropped.
pub struct RegistryProcess {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for RegistryProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the registry binary exported by `cargo xtask test` with `auth_yaml` as its `auth:`
/// section (empty for none), on a free 127.0.0.1 port.
pub async fn start_registry(auth_yaml: &str) -> Option<RegistryProcess> {
    let binary = env_or_skip("HARBOR_AZURE_REGISTRY_BINARY")?;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let config = format!(
        "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{auth_yaml}",
        dir.path().join("storage").display()
    );
    let config_path = dir.path().join("config.yml");
    std::fs::write(&config_path, config).unwrap();

    let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
    let child = Command::new(binary)
        .arg("serve")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the registry binary starts");
    let process = RegistryProcess {
        url: format!("http://127.0.0.1:{port}"),
        child,
        _dir: dir,
    };

    // Poll /v2/ until the registry listens.
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if http
            .get(format!("{}/v2/", process.url))
            .send()
            .await
            .is_ok()
        {
            return Some(process);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the registry at {} did not start within 30 s", process.url);
}
