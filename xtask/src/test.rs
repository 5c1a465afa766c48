//! `cargo xtask test`: installs and starts on 127.0.0.1 what the tests need, runs every test of
//! the workspace, then stops what it started.

use std::process::Command;

use anyhow::Context;

use crate::{prism, registry};

pub(crate) fn run() -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let cache = root.join("target/xtask-cache");
    std::fs::create_dir_all(&cache)?;
    let mut env: Vec<(String, String)> = Vec::new();

    // aks-deploy: real `helm template` of the Harbor chart.
    let helm = crate::tools::helm::install(&cache.join("helm"))?;
    env.push(("HELM".to_owned(), helm.display().to_string()));

    // Contract suite: Prism mocking the pinned Harbor swagger.
    let prism_binary = prism::install(&cache.join("prism"))?;
    let mock_spec = cache.join("harbor-swagger-for-prism.json");
    prism::adapt_spec(&crate::specs_dir().join("harbor/swagger.yaml"), &mock_spec)?;
    let mock = prism::Mock::start(&prism_binary, &mock_spec, &cache.join("prism.log"))?;
    env.push(("HARBOR_AZURE_PRISM_URL".to_owned(), mock.url.clone()));

    // oci-transfer: CNCF distribution registries without auth and with htpasswd.
    let registries = registry::start_test_registries(&registry::scratch_dir("registries"))?;
    env.extend(registries.env.iter().cloned());

    let result = cargo_test(&env);
    drop(registries);
    drop(mock);
    result
}

/// Runs the unit, integration and doc tests of the workspace with `env` set.
fn cargo_test(env: &[(String, String)]) -> anyhow::Result<()> {
    for args in [
        &["test", "--workspace", "--all-targets"][..],
        &["test", "--workspace", "--doc"][..],
    ] {
        eprintln!("xtask: running cargo {}", args.join(" "));
        let status = Command::new("cargo")
            .args(args)
            .envs(env.iter().map(|(key, value)| (key, value)))
            .current_dir(crate::workspace_root())
            .status()
            .context("failed to start cargo")?;
        anyhow::ensure!(status.success(), "cargo {} failed", args.join(" "));
    }
    Ok(())
}
