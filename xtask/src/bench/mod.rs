//! `cargo xtask bench`: the benchmarks whose results are recorded in BENCHMARKS.md.

mod build_cost;
mod copy;
mod paging;

use std::path::PathBuf;

use clap::ValueEnum;

/// Which benchmark to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Which {
    /// Every benchmark.
    All,
    /// List 10,000 artifacts from a local server with Harbor's paging headers.
    Paging,
    /// Build time of harbor-client next to the crates.io `harbor-api` crate.
    Build,
    /// Copy 3 x 100 MiB layers between local registries: oci-transfer, skopeo, streaming floor.
    Copy,
}

pub(crate) fn run(which: Which) -> anyhow::Result<()> {
    let out = results_dir();
    std::fs::create_dir_all(&out)?;
    if matches!(which, Which::All | Which::Paging) {
        paging::run(&out)?;
    }
    if matches!(which, Which::All | Which::Build) {
        build_cost::run(&out)?;
    }
    if matches!(which, Which::All | Which::Copy) {
        copy::run(&out)?;
    }
    eprintln!("xtask bench: results are in {}", out.display());
    Ok(())
}

/// Folder for benchmark results and scratch files: `target/bench/`.
fn results_dir() -> PathBuf {
    crate::workspace_root().join("target").join("bench")
}

/// Describes the machine for the results: processor model, core count and memory.
fn machine_description() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown processor".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    format!("{model}, {cores} cores, {memory_gib:.0} GiB")
}
