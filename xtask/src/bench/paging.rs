//! Paging: list the 10,000 artifacts served by the shared paging benchmark server into the typed
//! models, as a stream, and compare with PyPI `harborapi` on the same server and data.
//!
//! The server, its data generator and the measuring script (`bench.py`, which runs each client
//! under `taskset` and `/usr/bin/time -v` and checks the server's request counters) come from
//! `../shared/bench/paging`; this task copies that folder, installs its Python environment, starts
//! the server on 127.0.0.1, runs the measurement and stops the server by its process id.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

/// Port of the benchmark server on 127.0.0.1.
const PORT: u16 = 18080;

/// Pages of 100 artifacts the server holds.
const PAGES: u32 = 100;

pub(crate) fn run(out: &Path) -> anyhow::Result<()> {
    let lister = build_lister()?;
    let folder = prepare_server_folder(out)?;
    let server = Server::start(&folder)?;

    let results = out.join("paging-results");
    let python = folder.join("venv/bin/python");
    let rust = format!(
        "rust_harbor_client={} --url http://127.0.0.1:{PORT} --project library --repository nginx \
         --page-size 100@{PAGES}",
        lister.display()
    );
    let harborapi = format!(
        "harborapi_models={} clients/list_harborapi.py@{PAGES}",
        python.display()
    );
    let status = Command::new(&python)
        .arg("bench.py")
        .args(["--port", &PORT.to_string(), "--out"])
        .arg(&results)
        .args(["--variant", &rust, "--variant", &harborapi])
        .current_dir(&folder)
        .status()
        .context("failed to start bench.py")?;
    drop(server);
    anyhow::ensure!(status.success(), "bench.py failed with {status}");

    let summary = std::fs::read_to_string(results.join("summary.json"))?;
    let summary: serde_json::Value = serde_json::from_str(&summary)?;
    let report = report(&summary)?;
    println!("{report}");
    std::fs::write(out.join("paging.md"), report)?;
    Ok(())
}

/// Builds the `list_artifacts` example of harbor-client in release mode and returns its path.
fn build_lister() -> anyhow::Result<PathBuf> {
    crate::run_command(
        "cargo",
        &[
            "build",
            "--release",
            "--package",
            "harbor-client",
            "--example",
            "list_artifacts",
        ],
    )?;
    Ok(crate::workspace_root().join("target/release/examples/list_artifacts"))
}

/// Copies the shared benchmark folder (it is read-only), installs its locked Python environment
/// and generates its data, each step only when not done before.
fn prepare_server_folder(out: &Path) -> anyhow::Result<PathBuf> {
    let source = crate::specs_dir()
        .parent()
        .context("the specs folder has no parent")?
        .join("bench/paging");
    let folder = out.join("paging");
    if !folder.join("server.py").exists() {
        std::fs::create_dir_all(&folder)?;
        copy_dir(&source, &folder)
            .with_context(|| format!("failed to copy {}", source.display()))?;
    }
    if !folder.join("venv/bin/python").exists() {
        run_in(&folder, "python3", &["-m", "venv", "venv"])?;
        run_in(
            &folder,
            "venv/bin/pip",
            &["install", "--quiet", "-r", "requirements-lock.txt"],
        )?;
    }
    if !folder.join("data/MANIFEST.json").exists() {
        run_in(&folder, "python3", &["gen.py"])?;
    }
    Ok(folder)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn run_in(folder: &Path, program: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(program)
        .args(args)
        .current_dir(folder)
        .status()
        .with_context(|| format!("failed to start {program}"))?;
    anyhow::ensure!(status.success(), "{program} {} failed", args.join(" "));
    Ok(())
}

/// The benchmark server, pinned to CPU 1 so its work never counts as client time. Dropping it
/// stops the process by its id.
struct Server {
    child: Child,
}

impl Server {
    fn start(folder: &Path) -> anyhow::Result<Self> {
        let log = std::fs::File::create(folder.join("server.log"))?;
        let child = Command::new("taskset")
            .args(["-c", "1", "venv/bin/python", "server.py", "--port"])
            .arg(PORT.to_string())
            .current_dir(folder)
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .context("failed to start the paging server")?;
        let server = Self { child };
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", PORT)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        anyhow::bail!("the paging server did not listen on 127.0.0.1:{PORT} within 5 s")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Formats the medians of `bench.py`'s summary as a Markdown table.
fn report(summary: &serde_json::Value) -> anyhow::Result<String> {
    let mut text = format!(
        "Paging, `cargo xtask bench paging` on {}: list 10,000 artifacts ({PAGES} pages of 100, \
         about 240 KB each) from the local server, client on CPU 0 and server on CPU 1, median of 5 \
         runs after a warm-up.\n\n",
        super::machine_description()
    );
    text.push_str("| client | CPU | CPU per page | wall | peak memory |\n");
    text.push_str("| --- | --- | --- | --- | --- |\n");
    let variants = summary
        .as_object()
        .context("summary.json is not an object")?;
    for (name, row) in variants {
        let number = |key: &str| {
            row.get(key)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        text.push_str(&format!(
            "| {name} | {:.3} s | {:.2} ms | {:.2} s | {:.1} MiB |\n",
            number("cpu_s"),
            number("cpu_ms_per_page"),
            number("wall"),
            number("max_rss_kb") / 1024.0,
        ));
    }
    Ok(text)
}
