//! The `[app]` section: the sample application deployed next to Harbor.

use serde::Deserialize;

use super::rules;
use super::validate::Validator;

/// The sample application whose image is pulled from Harbor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Full image reference, such as `harbor.example.test/library/hello:1.0.0`.
    pub image: String,
}

impl AppConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("app.image", &self.image, rules::image_reference);
    }
}
