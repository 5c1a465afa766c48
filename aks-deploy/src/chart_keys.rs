//! The key tree of a chart's values.yaml, used to reject keys the chart does not read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// Chart version whose values this crate types; the key tree is loaded from that chart's files.
pub const CHART_VERSION: &str = "1.19.2";

/// One node of the key tree.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A mapping with known children.
    Map(BTreeMap<String, Node>),
    /// A mapping whose default is `{}` (annotations, nodeSelector, ...): any child key is allowed.
    OpenMap,
    /// A scalar with a non-null default: only a scalar or list may be set here.
    Scalar,
    /// A list, or a key whose default is null: any value is allowed.
    Any,
}

/// The keys of a chart's values.yaml as a tree.
///
/// The chart has no values schema, so its default values.yaml is the list of keys its templates
/// read. Keys that appear only in comments of values.yaml are not in the tree.
///
/// The crate keeps no built-in copy of the key list, so it cannot drift from the chart: without
/// the chart folder, pass the text of chart 1.19.2's values.yaml to [`ChartKeys::from_yaml`]
/// (for example embedded with `include_str!`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartKeys {
    root: BTreeMap<String, Node>,
}

/// Reason an emitted key path is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The key is not in values.yaml.
    Unknown,
    /// A mapping was given where the chart expects a scalar.
    MapForScalar,
}

impl ChartKeys {
    /// Parses the key tree from the text of a values.yaml file.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Yaml`] when the text is not a YAML mapping.
    pub fn from_yaml(text: &str) -> Result<Self> {
        let value: Value = serde_saphyr::from_str(text).map_err(|error| Error::Yaml {
            context: "chart values.yaml".into(),
            message: error.to_string(),
        })?;
        match to_node(&value) {
            Node::Map(root) => Ok(ChartKeys { root }),
            _ => Err(Error::Yaml {
                context: "chart values.yaml".into(),
                message: "the document is not a mapping".into(),
            }),
        }
    }

    /// Loads the key tree from `values.yaml` in `chart_dir`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::ChartValues`] when the file cannot be read or parsed.
    pub fn load(chart_dir: &Path) -> Result<Self> {
        let path = chart_dir.join("values.yaml");
        let text = std::fs::read_to_string(&path).map_err(|error| Error::ChartValues {
            path: path.clone(),
            message: error.to_string(),
        })?;
        Self::from_yaml(&text).map_err(|error| Error::ChartValues {
            path,
            message: error.to_string(),
        })
    }

    /// Returns the chart folder: `HARBOR_AZURE_SPECS/harbor-helm/chart` when that variable is
    /// set, else `../shared/specs/harbor-helm/chart` relative to `workspace_root`.
    pub fn default_chart_dir(workspace_root: &Path) -> PathBuf {
        let specs = std::env::var_os("HARBOR_AZURE_SPECS")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root.join("../shared/specs"));
        specs.join("harbor-helm").join("chart")
    }

    /// Checks one dotted key path such as `persistence.persistentVolumeClaim.registry.size`.
    ///
    /// `is_map` is true when the emitted value at that path is a mapping.
    pub fn check(&self, path: &[&str], is_map: bool) -> Result<(), KeyProblem> {
        let mut children = &self.root;
        for (index, segment) in path.iter().enumerate() {
            let last = index + 1 == path.len();
            match children.get(*segment) {
                None => return Err(KeyProblem::Unknown),
                Some(Node::Map(next)) => {
                    if last {
                        return Ok(());
                    }
                    children = next;
                }
                Some(Node::OpenMap | Node::Any) => return Ok(()),
                Some(Node::Scalar) => {
                    if last && !is_map {
                        return Ok(());
                    }
                    return Err(KeyProblem::MapForScalar);
                }
            }
        }
        Ok(())
    }

    /// Lists every leaf path of `values` that the chart does not accept, with the problem.
    pub fn unknown_paths(&self, values: &Value) -> Vec<(String, KeyProblem)> {
        let mut found = Vec::new();
        let mut path = Vec::new();
        self.walk(values, &mut path, &mut found);
        found
    }

    fn walk(&self, value: &Value, path: &mut Vec<String>, found: &mut Vec<(String, KeyProblem)>) {
        let Value::Object(map) = value else {
            return;
        };
        for (key, child) in map {
            path.push(key.clone());
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            match self.check(&segments, child.is_object()) {
                Ok(()) => {
                    if self.is_known_map(&segments) {
                        self.walk(child, path, found);
                    }
                }
                Err(problem) => found.push((path.join("."), problem)),
            }
            path.pop();
        }
    }

    fn is_known_map(&self, path: &[&str]) -> bool {
        let mut children = &self.root;
        for segment in path {
            match children.get(*segment) {
                Some(Node::Map(next)) => children = next,
                _ => return false,
            }
        }
        true
    }
}

/// Keys whose children are free-form (label and annotation maps) even where the chart's default
/// lists some entries, such as `expose.ingress.annotations`.
const FREE_FORM_KEYS: [&str; 7] = [
    "annotations",
    "labels",
    "podAnnotations",
    "podLabels",
    "serviceAnnotations",
    "nodeSelector",
    "additionalLabels",
];

fn to_node(value: &Value) -> Node {
    match value {
        Value::Object(map) if map.is_empty() => Node::OpenMap,
        Value::Object(map) => Node::Map(
            map.iter()
                .map(|(key, child)| {
                    let node = if FREE_FORM_KEYS.contains(&key.as_str()) && child.is_object() {
                        Node::OpenMap
                    } else {
                        to_node(child)
                    };
                    (key.clone(), node)
                })
                .collect(),
        ),
        Value::Null | Value::Array(_) => Node::Any,
        _ => Node::Scalar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "
persistence:
  persistentVolumeClaim:
    jobservice:
      jobLog:
        accessMode: ReadWriteOnce
        annotations: {}
core:
  replicas: 1
  priorityClassName:
";

    #[test]
    fn known_leaf_is_accepted() {
        let keys = ChartKeys::from_yaml(SAMPLE).unwrap();
        let path = [
            "persistence",
            "persistentVolumeClaim",
            "jobservice",
            "jobLog",
            "accessMode",
        ];
        assert_eq!(keys.check(&path, false), Ok(()));
    }

    #[test]
    fn flat_jobservice_key_is_unknown() {
        let keys = ChartKeys::from_yaml(SAMPLE).unwrap();
        let path = [
            "persistence",
            "persistentVolumeClaim",
            "jobservice",
            "accessMode",
        ];
        assert_eq!(keys.check(&path, false), Err(KeyProblem::Unknown));
    }

    #[test]
    fn open_map_accepts_any_child() {
        let keys = ChartKeys::from_yaml(SAMPLE).unwrap();
        let path = [
            "persistence",
            "persistentVolumeClaim",
            "jobservice",
            "jobLog",
            "annotations",
            "x/y",
        ];
        assert_eq!(keys.check(&path, false), Ok(()));
    }

    #[test]
    fn annotations_with_defaults_accept_any_child() {
        let keys = ChartKeys::from_yaml("expose:\n  ingress:\n    annotations:\n      a: \"1\"\n")
            .unwrap();
        let path = [
            "expose",
            "ingress",
            "annotations",
            "cert-manager.io/cluster-issuer",
        ];
        assert_eq!(keys.check(&path, false), Ok(()));
    }

    #[test]
    fn null_default_accepts_anything() {
        let keys = ChartKeys::from_yaml(SAMPLE).unwrap();
        assert_eq!(keys.check(&["core", "priorityClassName"], false), Ok(()));
    }

    #[test]
    fn mapping_for_scalar_is_rejected() {
        let keys = ChartKeys::from_yaml(SAMPLE).unwrap();
        assert_eq!(
            keys.check(&["core", "replicas"], true),
            Err(KeyProblem::MapForScalar)
        );
    }

    #[test]
    fn unknown_paths_lists_each_bad_key() {
        let keys = ChartKeys::from_yaml(SAMPLE).unwrap();
        let values = serde_json::json!({
            "core": {"replicas": 2, "replica": 3},
            "persistence": {"persistentVolumeClaim": {"jobservice": {"size": "2Gi"}}}
        });
        let found = keys.unknown_paths(&values);
        assert_eq!(
            found,
            vec![
                ("core.replica".to_string(), KeyProblem::Unknown),
                (
                    "persistence.persistentVolumeClaim.jobservice.size".to_string(),
                    KeyProblem::Unknown
                ),
            ]
        );
    }
}
