//! Build cost: `harbor-client` rebuilt alone (dependencies already built), debug and release, next
//! to the crates.io `harbor-api` 2.0.0 crate built the same way.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

/// Version of the crates.io crate measured for comparison.
const HARBOR_API_VERSION: &str = "2.0.0";

/// Number of timed rebuilds per crate and profile; the median is reported.
const RUNS: usize = 3;

pub(crate) fn run(out: &Path) -> anyhow::Result<()> {
    let target = out.join("build-target");
    let workspace = crate::workspace_root();
    let comparison = prepare_comparison_project(out)?;

    let mut rows = Vec::new();
    for release in [false, true] {
        let ours = median_rebuild(&workspace, &target, "harbor-client", release)?;
        let theirs = median_rebuild(&comparison, &target, "harbor-api", release)?;
        rows.push((release, ours, theirs));
    }

    let mut report = String::new();
    report.push_str(&format!(
        "Build cost, `cargo xtask bench build` on {}: median of {RUNS} rebuilds of the crate alone \
         after `cargo clean -p CRATE`, dependencies already built, both with `CARGO_INCREMENTAL=0` \
         (cargo never builds a crates.io dependency incrementally). CPU is user plus system time of \
         the build, which depends less on other load than wall time.\n\n",
        super::machine_description()
    ));
    report.push_str(
        "| profile | harbor-client wall | harbor-client CPU | harbor-api 2.0.0 wall | \
         harbor-api 2.0.0 CPU | wall ratio | CPU ratio |\n",
    );
    report.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (release, ours, theirs) in rows {
        report.push_str(&format!(
            "| {} | {:.1} s | {:.1} s | {:.1} s | {:.1} s | {:.2} | {:.2} |\n",
            if release { "release" } else { "debug" },
            ours.wall,
            ours.cpu,
            theirs.wall,
            theirs.cpu,
            ours.wall / theirs.wall,
            ours.cpu / theirs.cpu,
        ));
    }
    println!("{report}");
    std::fs::write(out.join("build-cost.md"), report)?;
    Ok(())
}

/// Writes a one-dependency project on `harbor-api` so it is built with the same toolchain.
fn prepare_comparison_project(out: &Path) -> anyhow::Result<std::path::PathBuf> {
    let dir = out.join("harbor-api-build");
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"harbor-api-build\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[dependencies]\nharbor-api = \"={HARBOR_API_VERSION}\"\n\n\
             [workspace]\n"
        ),
    )?;
    std::fs::write(dir.join("src/lib.rs"), "pub use harbor_api;\n")?;
    Ok(dir)
}

/// Wall and CPU seconds of one build.
#[derive(Debug, Clone, Copy)]
struct BuildTime {
    wall: f64,
    cpu: f64,
}

/// Builds `package` once with its dependencies, then times `RUNS` rebuilds of the package alone
/// under `/usr/bin/time` and returns the median by wall time.
fn median_rebuild(
    project: &Path,
    target: &Path,
    package: &str,
    release: bool,
) -> anyhow::Result<BuildTime> {
    let times_file = target.join("build-time.txt");
    let cargo = |args: &[&str], timed: bool| -> anyhow::Result<()> {
        let mut command = if timed {
            let mut time = Command::new("/usr/bin/time");
            time.arg("-f")
                .arg("%e %U %S")
                .arg("-o")
                .arg(&times_file)
                .arg("cargo");
            time
        } else {
            Command::new("cargo")
        };
        command
            .args(args)
            .arg("--package")
            .arg(package)
            .env("CARGO_TARGET_DIR", target)
            // Cargo compiles workspace members incrementally in debug builds, but never crates.io
            // dependencies. Incremental mode made a clean rebuild about 30% slower here, so both
            // crates are built without it to compare the same work.
            .env("CARGO_INCREMENTAL", "0")
            .current_dir(project);
        if release {
            command.arg("--release");
        }
        let status = command
            .status()
            .with_context(|| format!("failed to start cargo {}", args.join(" ")))?;
        anyhow::ensure!(
            status.success(),
            "cargo {} -p {package} failed",
            args.join(" ")
        );
        Ok(())
    };

    std::fs::create_dir_all(target)?;
    cargo(&["build"], false)?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        cargo(&["clean"], false)?;
        cargo(&["build"], true)?;
        times.push(parse_time(&std::fs::read_to_string(&times_file)?)?);
    }
    times.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    Ok(times[RUNS / 2])
}

/// Parses the `%e %U %S` line that `/usr/bin/time -f` writes.
fn parse_time(text: &str) -> anyhow::Result<BuildTime> {
    let line = text.lines().last().unwrap_or_default();
    let numbers: Vec<f64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("invalid /usr/bin/time output {line:?}"))?;
    let [wall, user, system] = numbers[..] else {
        anyhow::bail!("expected three numbers from /usr/bin/time, found {line:?}");
    };
    Ok(BuildTime {
        wall,
        cpu: user + system,
    })
}
