//! The list of actions an apply would perform, printable with every secret value hidden.

use std::fmt;

/// One action of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanStep {
    /// Server-side apply of a Namespace.
    ApplyNamespace {
        /// Namespace name.
        name: String,
    },
    /// Server-side apply of a StorageClass.
    ApplyStorageClass {
        /// Class name.
        name: String,
        /// CSI provisioner.
        provisioner: String,
        /// `skuName` parameter.
        sku: String,
    },
    /// Server-side apply of a Secret; only the key names are listed.
    ApplySecret {
        /// Namespace.
        namespace: String,
        /// Secret name.
        name: String,
        /// Secret type.
        kind: String,
        /// Key names; values are never part of the plan.
        keys: Vec<String>,
    },
    /// Server-side apply of a cert-manager ClusterIssuer.
    ApplyClusterIssuer {
        /// Issuer name.
        name: String,
    },
    /// `helm upgrade --install`.
    HelmUpgradeInstall {
        /// The argument list, with `<values file>` in place of the temporary file path.
        args: Vec<String>,
        /// The values file content, which contains Secret names but no secret values.
        values_yaml: String,
    },
    /// Waiting for the release's Deployments and StatefulSets.
    WaitForRollout {
        /// Namespace.
        namespace: String,
        /// Label selector of the workloads.
        selector: String,
        /// Deadline in seconds.
        timeout_seconds: u64,
    },
    /// Reading pods per zone and node.
    ReportSpread {
        /// Namespace.
        namespace: String,
        /// Label selector of the pods.
        selector: String,
    },
}

impl fmt::Display for PlanStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanStep::ApplyNamespace { name } => write!(f, "apply Namespace {name}"),
            PlanStep::ApplyStorageClass {
                name,
                provisioner,
                sku,
            } => {
                write!(
                    f,
                    "apply StorageClass {name} ({provisioner}, skuName {sku})"
                )
            }
            PlanStep::ApplySecret {
                namespace,
                name,
                kind,
                keys,
            } => write!(
                f,
                "apply Secret {namespace}/{name} ({kind}) with keys {} = ***",
                keys.join(", ")
            ),
            PlanStep::ApplyClusterIssuer { name } => write!(f, "apply ClusterIssuer {name}"),
            PlanStep::HelmUpgradeInstall { args, values_yaml } => {
                writeln!(f, "helm {}", args.join(" "))?;
                write!(f, "  values:\n{}", indent(values_yaml))
            }
            PlanStep::WaitForRollout {
                namespace,
                selector,
                timeout_seconds,
            } => write!(
                f,
                "wait up to {timeout_seconds}s for Deployments and StatefulSets in {namespace} matching {selector}"
            ),
            PlanStep::ReportSpread {
                namespace,
                selector,
            } => {
                write!(
                    f,
                    "report pods per zone and node in {namespace} matching {selector}"
                )
            }
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}\n")).collect()
}

/// An ordered list of steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The steps in the order apply runs them.
    pub steps: Vec<PlanStep>,
    /// Validation and pre-flight warnings.
    pub warnings: Vec<String>,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, step) in self.steps.iter().enumerate() {
            writeln!(f, "{}. {step}", index + 1)?;
        }
        for warning in &self.warnings {
            writeln!(f, "warning: {warning}")?;
        }
        Ok(())
    }
}
