//! `cargo xtask test`: runs every test of the workspace.

use crate::run_command;

pub(crate) fn run() -> anyhow::Result<()> {
    run_command("cargo", &["test", "--workspace", "--all-targets"])?;
    run_command("cargo", &["test", "--workspace", "--doc"])
}
