//! Rendering of validated values to the values.yaml that helm reads.

use crate::error::{Error, Result};
use crate::validate::{ValidationContext, ValidationWarning, validate};
use crate::values::HarborValues;

/// A values file ready for helm, with the warnings validation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedValues {
    /// The YAML text.
    pub yaml: String,
    /// Problems that did not stop rendering.
    pub warnings: Vec<ValidationWarning>,
}

/// Validates `values` and renders them as YAML.
///
/// serde-saphyr quotes strings such as `yes`, `on` or `5432` so that Helm's YAML 1.1 parser
/// reads them as strings.
///
/// # Errors
///
/// Returns [`Error::Invalid`] when validation fails and [`Error::Yaml`] when serialization fails.
pub fn render_values(values: &HarborValues, context: &ValidationContext) -> Result<RenderedValues> {
    let warnings = validate(values, context)?;
    let yaml = to_yaml(&values.to_value(), "Harbor values")?;
    Ok(RenderedValues { yaml, warnings })
}

/// Serializes any value as YAML with serde-saphyr.
pub(crate) fn to_yaml<T: serde::Serialize>(value: &T, context: &str) -> Result<String> {
    serde_saphyr::to_string(value).map_err(|error| Error::Yaml {
        context: context.to_string(),
        message: error.to_string(),
    })
}
