//! `cargo xtask bench copy`: copy an image of 3 random 100 MiB layers between two local
//! registries with oci-transfer, skopeo and a bare streaming floor, in alternating runs, each
//! into a fresh destination repository, measured with `/usr/bin/time -v`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::registry::{self, Auth, Registry};

/// Rounds per contender; the median is reported.
const ROUNDS: usize = 5;
/// Layers of the main image and their size.
const LAYERS: u32 = 3;
const LAYER_MIB: u32 = 100;
/// Size of the single layer of the memory check image.
const LARGE_LAYER_MIB: u32 = 1024;

/// skopeo's blob-info cache files, for root and for other users: the boltdb file that skopeo
/// 1.9.3 writes, and the SQLite file in case a newer skopeo writes that instead. Deleted before
/// each skopeo run, because with the cache skopeo mounts from a repository it copied to before.
fn skopeo_cache_files() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/var/lib/containers/cache")];
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".local/share/containers/cache"));
    }
    dirs.iter()
        .flat_map(|dir| {
            ["blob-info-cache-v1.boltdb", "blob-info-cache-v1.sqlite"].map(|name| dir.join(name))
        })
        .collect()
}

/// One measured process run.
#[derive(Debug, Clone)]
struct Sample {
    wall_s: f64,
    cpu_s: f64,
    max_rss_kib: u64,
    stdout: String,
}

pub(crate) fn run(out: &Path) -> anyhow::Result<()> {
    registry::ensure_installed()?;
    let binaries = build_examples()?;
    let scratch = out.join("copy-registries");
    let _ = std::fs::remove_dir_all(&scratch);
    let source = Registry::start(&scratch.join("source"), &Auth::None)?;
    let destination = Registry::start(&scratch.join("destination"), &Auth::None)?;

    // Other processes on the machine share the cores, so the load is part of the result.
    let load_before = load_average();
    eprintln!("xtask bench copy: seeding {LAYERS} x {LAYER_MIB} MiB random layers");
    measure(
        &binaries.copy,
        &[
            "seed",
            &source.url,
            "bench/image",
            "v1",
            &LAYERS.to_string(),
            &LAYER_MIB.to_string(),
        ],
    )?;

    let mut ours = Vec::new();
    let mut skopeo = Vec::new();
    let mut floor = Vec::new();
    for round in 0..ROUNDS {
        // Alternate the order so no contender always runs on a warmer page cache.
        let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [2, 1, 0] };
        for contender in order {
            let repository = format!("run{round}/c{contender}");
            match contender {
                0 => ours.push(measure(
                    &binaries.copy,
                    &[
                        "copy",
                        &source.url,
                        "bench/image",
                        "v1",
                        &destination.url,
                        &repository,
                        "v1",
                    ],
                )?),
                1 => {
                    for file in skopeo_cache_files() {
                        let _ = std::fs::remove_file(file);
                    }
                    let from = format!("docker://{}/bench/image:v1", host(&source.url));
                    let to = format!("docker://{}/{repository}:v1", host(&destination.url));
                    skopeo.push(measure(
                        Path::new("/usr/bin/skopeo"),
                        &[
                            "copy",
                            "--src-tls-verify=false",
                            "--dest-tls-verify=false",
                            &from,
                            &to,
                        ],
                    )?);
                }
                _ => floor.push(measure(
                    &binaries.floor,
                    &[
                        &source.url,
                        "bench/image",
                        "v1",
                        &destination.url,
                        &repository,
                    ],
                )?),
            }
        }
        eprintln!("xtask bench copy: round {} of {ROUNDS} done", round + 1);
    }

    // A copy into another repository of the destination registry, which has the blobs.
    let mount_run = measure(
        &binaries.copy,
        &[
            "copy",
            &destination.url,
            "run0/c0",
            "v1",
            &destination.url,
            "mounted/image",
            "v1",
        ],
    )?;

    eprintln!("xtask bench copy: seeding one {LARGE_LAYER_MIB} MiB layer for the memory check");
    measure(
        &binaries.copy,
        &[
            "seed",
            &source.url,
            "bench/large",
            "v1",
            "1",
            &LARGE_LAYER_MIB.to_string(),
        ],
    )?;
    let large_ours = measure(
        &binaries.copy,
        &[
            "copy",
            &source.url,
            "bench/large",
            "v1",
            &destination.url,
            "large/ours",
            "v1",
        ],
    )?;
    let large_floor = measure(
        &binaries.floor,
        &[
            &source.url,
            "bench/large",
            "v1",
            &destination.url,
            "large/floor",
        ],
    )?;

    let mut report = render(
        &ours,
        &skopeo,
        &floor,
        &mount_run,
        &large_ours,
        &large_floor,
    );
    report.push_str(&format!(
        "\nLoad average (1, 5, 15 min) before the runs: {load_before}; after: {}.\n",
        load_average()
    ));
    println!("{report}");
    std::fs::write(out.join("copy.md"), &report)?;
    Ok(())
}

/// Returns the first three fields of `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn host(url: &str) -> &str {
    url.trim_start_matches("http://")
}

struct Binaries {
    copy: PathBuf,
    floor: PathBuf,
}

/// Builds the `oci-copy` and `floor-copy` examples in release mode.
fn build_examples() -> anyhow::Result<Binaries> {
    crate::run_command(
        "cargo",
        &["build", "--release", "-p", "oci-transfer", "--examples"],
    )?;
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => crate::workspace_root().join("target"),
    };
    let examples = target.join("release/examples");
    Ok(Binaries {
        copy: examples.join("oci-copy"),
        floor: examples.join("floor-copy"),
    })
}

/// Runs `program` under `/usr/bin/time -v` and parses wall time, CPU time and peak RSS.
fn measure(program: &Path, args: &[&str]) -> anyhow::Result<Sample> {
    let time_file =
        std::env::temp_dir().join(format!("xtask-bench-copy-time-{}", std::process::id()));
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg("-o")
        .arg(&time_file)
        .arg(program)
        .args(args)
        .output()
        .with_context(|| format!("failed to start /usr/bin/time {}", program.display()))?;
    anyhow::ensure!(
        output.status.success(),
        "{} {} failed: {}",
        program.display(),
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&time_file)?;
    let _ = std::fs::remove_file(&time_file);
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(name))
            .map(|value| value.trim().to_owned())
            .with_context(|| format!("/usr/bin/time output lacks {name:?}"))
    };
    let user: f64 = field("User time (seconds):")?.parse()?;
    let system: f64 = field("System time (seconds):")?.parse()?;
    let max_rss_kib: u64 = field("Maximum resident set size (kbytes):")?.parse()?;
    let wall_s = parse_elapsed(&field("Elapsed (wall clock) time (h:mm:ss or m:ss):")?)?;
    Ok(Sample {
        wall_s,
        cpu_s: user + system,
        max_rss_kib,
        stdout: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    })
}

/// Parses `m:ss.ss` or `h:mm:ss`.
fn parse_elapsed(value: &str) -> anyhow::Result<f64> {
    value
        .split(':')
        .try_fold(0.0, |total, part| Ok(total * 60.0 + part.parse::<f64>()?))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Summary {
    wall_s: f64,
    cpu_s: f64,
    max_rss_mib: f64,
}

fn summarize(samples: &[Sample]) -> Summary {
    Summary {
        wall_s: median(
            &mut samples
                .iter()
                .map(|sample| sample.wall_s)
                .collect::<Vec<_>>(),
        ),
        cpu_s: median(
            &mut samples
                .iter()
                .map(|sample| sample.cpu_s)
                .collect::<Vec<_>>(),
        ),
        max_rss_mib: samples
            .iter()
            .map(|sample| sample.max_rss_kib)
            .max()
            .unwrap_or(0) as f64
            / 1024.0,
    }
}

/// Reads `blobs_mounted` from an `oci-copy` report line.
fn mounted(sample: &Sample) -> String {
    serde_json::from_str::<serde_json::Value>(&sample.stdout)
        .ok()
        .and_then(|report| report["blobs_mounted"].as_u64())
        .map_or_else(|| "unknown".to_owned(), |count| count.to_string())
}

fn render(
    ours: &[Sample],
    skopeo: &[Sample],
    floor: &[Sample],
    mount_run: &Sample,
    large_ours: &Sample,
    large_floor: &Sample,
) -> String {
    let (o, s, f) = (summarize(ours), summarize(skopeo), summarize(floor));
    let mut text = String::new();
    text.push_str(&format!(
        "Copy of {LAYERS} x {LAYER_MIB} MiB random layers between two local distribution registries, \
         {ROUNDS} alternating rounds, fresh destination repository per run.\n\nMachine: {}\n\n",
        super::machine_description()
    ));
    text.push_str(
        "| contender | median wall (s) | median CPU (s) | peak RSS (MiB) |\n|---|---|---|---|\n",
    );
    for (name, summary) in [
        ("oci-transfer", &o),
        ("skopeo copy", &s),
        ("streaming floor", &f),
    ] {
        text.push_str(&format!(
            "| {name} | {:.2} | {:.2} | {:.1} |\n",
            summary.wall_s, summary.cpu_s, summary.max_rss_mib
        ));
    }
    text.push_str(&format!(
        "\nRatios: oci-transfer wall / floor wall = {:.2}, oci-transfer CPU / skopeo CPU = {:.2}, \
         floor wall / skopeo wall = {:.2}.\n",
        o.wall_s / f.wall_s,
        o.cpu_s / s.cpu_s,
        f.wall_s / s.wall_s
    ));
    let mounts: Vec<String> = ours.iter().map(mounted).collect();
    text.push_str(&format!(
        "\nBlobs mounted per oci-transfer run: {} (expected 0: each run starts a new process with an empty blob memory).\n",
        mounts.join(", ")
    ));
    text.push_str(&format!(
        "Copy into another repository of the destination registry: {} blobs mounted, {:.2} s wall.\n",
        mounted(mount_run),
        mount_run.wall_s
    ));
    text.push_str(&format!(
        "\nOne {LARGE_LAYER_MIB} MiB layer: oci-transfer {:.2} s wall, {:.2} s CPU, {:.1} MiB peak RSS; \
         floor {:.2} s wall, {:.1} MiB peak RSS.\n",
        large_ours.wall_s,
        large_ours.cpu_s,
        large_ours.max_rss_kib as f64 / 1024.0,
        large_floor.wall_s,
        large_floor.max_rss_kib as f64 / 1024.0
    ));
    text
}
