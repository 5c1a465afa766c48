//! CNCF distribution registries (Debian package `docker-registry`) and skopeo for the
//! oci-transfer tests and the copy benchmark: install, configure, start on 127.0.0.1, stop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// The registry binary installed by the Debian package `docker-registry`.
pub(crate) const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// Debian packages and the binary each provides.
const PACKAGES: [(&str, &str); 3] = [
    ("docker-registry", REGISTRY_BINARY),
    ("skopeo", "/usr/bin/skopeo"),
    ("apache2-utils", "/usr/bin/htpasswd"),
];

/// Maximum time a started registry may take to respond to `GET /v2/`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Installs the registry, skopeo and htpasswd with apt-get when one is missing. Installing
/// needs root, as in CI; elsewhere a missing package is an error naming the command to run.
pub(crate) fn ensure_installed() -> anyhow::Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, binary)| !Path::new(binary).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|output| output.stdout.trim_ascii() == b"0")
        .unwrap_or(false);
    anyhow::ensure!(
        is_root,
        "missing Debian packages {}: run `sudo apt-get install -y {}`",
        missing.join(", "),
        missing.join(" ")
    );
    crate::run_command("apt-get", &["update"])?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&missing);
    crate::run_command("apt-get", &args)
}

/// Authentication of a started registry.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// Anonymous push and pull.
    None,
    /// HTTP Basic against an htpasswd file with one user.
    Htpasswd {
        /// User name.
        username: String,
        /// Password; passed to `htpasswd` on stdin, never on its command line.
        password: String,
    },
}

/// A registry process started on a free 127.0.0.1 port; dropped, it is stopped by its pid.
#[derive(Debug)]
pub(crate) struct Registry {
    /// Base URL, such as `http://127.0.0.1:40123`.
    pub(crate) url: String,
    child: Child,
}

impl Registry {
    /// Writes a configuration under `dir` (storage in `dir/storage`) and starts the registry.
    pub(crate) fn start(dir: &Path, auth: &Auth) -> anyhow::Result<Registry> {
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let storage = dir.join("storage");
        std::fs::create_dir_all(&storage)?;
        let auth_section = match auth {
            Auth::None => String::new(),
            Auth::Htpasswd { username, password } => {
                let file = dir.join("htpasswd");
                write_htpasswd(&file, username, password)?;
                format!(
                    "auth:\n  htpasswd:\n    realm: harbor-azure-test\n    path: {}\n",
                    file.display()
                )
            }
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  \
             filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: \
             127.0.0.1:{port}\n{auth_section}",
            storage.display()
        );
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config)?;
        let log = std::fs::File::create(dir.join("registry.log"))?;
        let child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("failed to start {REGISTRY_BINARY}"))?;
        let mut registry = Registry {
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        registry.wait_until_ready(port, dir)?;
        eprintln!(
            "xtask: registry started at {} (pid {})",
            registry.url,
            registry.child.id()
        );
        Ok(registry)
    }

    fn wait_until_ready(&mut self, port: u16, dir: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "registry exited with {status} during start; see {}",
                    dir.join("registry.log").display()
                );
            }
            if answers_v2(port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        anyhow::bail!(
            "registry on port {port} did not respond to GET /v2/ within {}s; see {}",
            START_TIMEOUT.as_secs(),
            dir.join("registry.log").display()
        )
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Checks whether something on `port` returns an HTTP response to `GET /v2/`.
fn answers_v2(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1")
}

/// Returns a port that was free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Writes an htpasswd file with a bcrypt hash, passing the password on stdin.
fn write_htpasswd(file: &Path, username: &str, password: &str) -> anyhow::Result<()> {
    let mut child = Command::new("htpasswd")
        .args(["-niB", username])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("failed to start htpasswd (Debian package apache2-utils)")?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(format!("{password}\n").as_bytes())?;
    let output = child.wait_with_output()?;
    anyhow::ensure!(
        output.status.success(),
        "htpasswd failed with {}",
        output.status
    );
    std::fs::write(file, output.stdout)?;
    Ok(())
}

/// Returns 32 random hex characters from the operating system, for throwaway test passwords.
pub(crate) fn random_password() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// The registries `cargo xtask test` starts and the environment variables that name them.
#[derive(Debug)]
pub(crate) struct TestRegistries {
    _anonymous: Registry,
    _htpasswd: Registry,
    /// Variables for the test processes.
    pub(crate) env: Vec<(String, String)>,
}

/// Starts a registry without auth and one with htpasswd under `dir`.
pub(crate) fn start_test_registries(dir: &Path) -> anyhow::Result<TestRegistries> {
    ensure_installed()?;
    let _ = std::fs::remove_dir_all(dir);
    let anonymous = Registry::start(&dir.join("anonymous"), &Auth::None)?;
    let password = random_password()?;
    let username = "harbor-azure-test".to_owned();
    let htpasswd = Registry::start(
        &dir.join("htpasswd"),
        &Auth::Htpasswd {
            username: username.clone(),
            password: password.clone(),
        },
    )?;
    let env = vec![
        (
            "HARBOR_AZURE_TEST_REGISTRY".to_owned(),
            anonymous.url.clone(),
        ),
        (
            "HARBOR_AZURE_TEST_REGISTRY_HTPASSWD".to_owned(),
            htpasswd.url.clone(),
        ),
        ("HARBOR_AZURE_TEST_REGISTRY_USER".to_owned(), username),
        ("HARBOR_AZURE_TEST_REGISTRY_PASSWORD".to_owned(), password),
        (
            "HARBOR_AZURE_REGISTRY_BINARY".to_owned(),
            REGISTRY_BINARY.to_owned(),
        ),
    ];
    Ok(TestRegistries {
        _anonymous: anonymous,
        _htpasswd: htpasswd,
        env,
    })
}

/// Scratch directory for registries: `target/xtask-cache/<name>`.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    crate::workspace_root()
        .join("target/xtask-cache")
        .join(name)
}
