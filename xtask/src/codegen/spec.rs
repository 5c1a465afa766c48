//! The parts of a Swagger 2.0 document that the generator reads, parsed with serde-saphyr.
//!
//! Maps keep the document's order ([`OrderedMap`]), so the output does not depend on whether
//! serde_json's `preserve_order` feature happens to be on in the build.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

/// A YAML mapping as a list of entries in document order.
#[derive(Debug, Clone)]
pub(crate) struct OrderedMap<T>(pub(crate) Vec<(String, T)>);

impl<T> Default for OrderedMap<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> OrderedMap<T> {
    /// Returns the value stored under `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&T> {
        self.0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &(String, T)> {
        self.0.iter()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OrderedMapVisitor(PhantomData))
    }
}

struct OrderedMapVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedMapVisitor<T> {
    type Value = OrderedMap<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<ScalarKey, T>()? {
            entries.push((key.0, value));
        }
        Ok(OrderedMap(entries))
    }
}

/// A mapping key written as a string or a number (`200:` and `'200':` are the same response).
struct ScalarKey(String);

impl<'de> Deserialize<'de> for ScalarKey {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = ScalarKey;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string or integer key")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<ScalarKey, E> {
                Ok(ScalarKey(value.to_owned()))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<ScalarKey, E> {
                Ok(ScalarKey(value.to_string()))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<ScalarKey, E> {
                Ok(ScalarKey(value.to_string()))
            }
        }

        deserializer.deserialize_any(KeyVisitor)
    }
}

/// A Swagger 2.0 document.
#[derive(Debug, Deserialize)]
pub(crate) struct Spec {
    /// Version of the format; the generator reads only `2.0`.
    swagger: Option<String>,
    /// Media types of responses, unless an operation sets its own.
    #[serde(default)]
    pub(crate) produces: Vec<String>,
    #[serde(default)]
    pub(crate) paths: OrderedMap<PathItem>,
    /// Shared parameters, referenced as `#/parameters/<name>`.
    #[serde(default)]
    pub(crate) parameters: OrderedMap<Parameter>,
    /// Shared responses, referenced as `#/responses/<name>`.
    #[serde(default)]
    pub(crate) responses: OrderedMap<Response>,
    #[serde(default)]
    pub(crate) definitions: OrderedMap<Schema>,
}

/// The operations of one path.
#[derive(Debug, Deserialize)]
pub(crate) struct PathItem {
    get: Option<Operation>,
    put: Option<Operation>,
    post: Option<Operation>,
    delete: Option<Operation>,
    options: Option<Operation>,
    head: Option<Operation>,
    patch: Option<Operation>,
    /// Parameters shared by every operation of the path.
    #[serde(default)]
    pub(crate) parameters: Vec<Parameter>,
}

impl PathItem {
    /// Returns the operations of this path with their upper-case HTTP method.
    pub(crate) fn operations(&self) -> Vec<(&'static str, &Operation)> {
        [
            ("GET", &self.get),
            ("PUT", &self.put),
            ("POST", &self.post),
            ("DELETE", &self.delete),
            ("OPTIONS", &self.options),
            ("HEAD", &self.head),
            ("PATCH", &self.patch),
        ]
        .into_iter()
        .filter_map(|(method, operation)| operation.as_ref().map(|operation| (method, operation)))
        .collect()
    }
}

/// One operation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Operation {
    pub(crate) operation_id: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) parameters: Vec<Parameter>,
    #[serde(default)]
    pub(crate) responses: OrderedMap<Response>,
    pub(crate) produces: Option<Vec<String>>,
    pub(crate) consumes: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) deprecated: bool,
}

/// A parameter, or a `$ref` to a shared one.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Parameter {
    #[serde(rename = "$ref")]
    pub(crate) reference: Option<String>,
    #[serde(default)]
    pub(crate) name: String,
    /// Where the parameter goes: `path`, `query`, `header`, `body` or `formData`.
    #[serde(rename = "in", default)]
    pub(crate) location: String,
    #[serde(default)]
    pub(crate) required: bool,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) items: Option<Box<Schema>>,
    /// How an array is joined: `csv` (the default), `ssv`, `tsv`, `pipes` or `multi`.
    pub(crate) collection_format: Option<String>,
    pub(crate) default: Option<serde_json::Value>,
    /// Inclusive bounds of a number.
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
    #[serde(rename = "enum")]
    pub(crate) enum_values: Option<Vec<serde_json::Value>>,
    /// Body schema, for `in: body`.
    pub(crate) schema: Option<Schema>,
}

/// A response, or a `$ref` to a shared one.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Response {
    #[serde(rename = "$ref")]
    pub(crate) reference: Option<String>,
    pub(crate) schema: Option<Schema>,
}

/// A JSON schema as Swagger 2.0 uses it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Schema {
    #[serde(rename = "$ref")]
    pub(crate) reference: Option<String>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) items: Option<Box<Schema>>,
    pub(crate) properties: Option<OrderedMap<Schema>>,
    pub(crate) additional_properties: Option<AdditionalProperties>,
    #[serde(rename = "enum")]
    pub(crate) enum_values: Option<Vec<serde_json::Value>>,
    pub(crate) all_of: Option<Vec<Schema>>,
}

/// `additionalProperties`: a flag or the schema of the values.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum AdditionalProperties {
    Allowed(bool),
    Schema(Box<Schema>),
}

impl Spec {
    /// Reads and parses the Swagger document at `path`.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read the swagger file {}", path.display()))?;
        let spec: Self = serde_saphyr::from_str(&text)
            .with_context(|| format!("failed to parse the swagger file {}", path.display()))?;
        match spec.swagger.as_deref() {
            Some("2.0") => Ok(spec),
            Some(version) => anyhow::bail!(
                "{} is Swagger/OpenAPI version {version}; the generator reads only Swagger 2.0",
                path.display()
            ),
            None => anyhow::bail!(
                "{} has no `swagger: '2.0'` field; the generator reads only Swagger 2.0",
                path.display()
            ),
        }
    }

    /// Resolves a `$ref` parameter to the shared parameter it names.
    pub(crate) fn resolve_parameter<'a>(
        &'a self,
        parameter: &'a Parameter,
    ) -> anyhow::Result<&'a Parameter> {
        match &parameter.reference {
            None => Ok(parameter),
            Some(reference) => {
                let name = reference.strip_prefix("#/parameters/").with_context(|| {
                    format!("parameter reference {reference} does not start with #/parameters/")
                })?;
                self.parameters
                    .get(name)
                    .with_context(|| format!("parameter reference {reference} is not defined"))
            }
        }
    }

    /// Resolves a `$ref` response to the shared response it names.
    pub(crate) fn resolve_response<'a>(
        &'a self,
        response: &'a Response,
    ) -> anyhow::Result<&'a Response> {
        match &response.reference {
            None => Ok(response),
            Some(reference) => {
                let name = reference.strip_prefix("#/responses/").with_context(|| {
                    format!("response reference {reference} does not start with #/responses/")
                })?;
                self.responses
                    .get(name)
                    .with_context(|| format!("response reference {reference} is not defined"))
            }
        }
    }
}

/// Returns the definition name of a `#/definitions/<name>` reference.
pub(crate) fn definition_name(reference: &str) -> anyhow::Result<&str> {
    reference
        .strip_prefix("#/definitions/")
        .with_context(|| format!("schema reference {reference} does not start with #/definitions/"))
}
