//! Labels, global or of one project.

use crate::Client;
use crate::Error;
use crate::generated::models::Label;
use crate::tasks::{Outcome, validate};

/// The scope of a label: the projects where it can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelScope {
    /// In every project (scope `g`, system administrators only).
    Global,
    /// In the project with this id (scope `p`).
    Project(i64),
}

/// Desired state of a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSpec {
    name: String,
    scope: LabelScope,
    color: Option<String>,
    description: Option<String>,
}

impl LabelSpec {
    /// Starts a label named `name` in `scope`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty, padded or over-long name (128 characters at most).
    pub fn new(name: impl Into<String>, scope: LabelScope) -> Result<Self, Error> {
        let name = name.into();
        validate::plain_name("label name", &name, 128)?;
        Ok(Self {
            name,
            scope,
            color: None,
            description: None,
        })
    }

    /// Sets the color as `#RRGGBB`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for any other form.
    pub fn color(mut self, color: impl Into<String>) -> Result<Self, Error> {
        let color = color.into();
        let valid = color.len() == 7
            && color.starts_with('#')
            && color[1..].bytes().all(|byte| byte.is_ascii_hexdigit());
        if !valid {
            return Err(Error::invalid(
                "label color",
                color,
                "a color has the form #RRGGBB",
            ));
        }
        self.color = Some(color.to_ascii_uppercase());
        Ok(self)
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn scope_code(&self) -> &'static str {
        match self.scope {
            LabelScope::Global => "g",
            LabelScope::Project(_) => "p",
        }
    }

    fn project_id(&self) -> Option<i64> {
        match self.scope {
            LabelScope::Global => None,
            LabelScope::Project(id) => Some(id),
        }
    }
}

/// Creates the label, or updates its color and description.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_label(client: &Client, spec: &LabelSpec) -> Result<Outcome<Label>, Error> {
    let Some(actual) = find_label(client, spec).await? else {
        let request = Label {
            name: Some(spec.name.clone()),
            description: spec.description.clone(),
            color: spec.color.clone(),
            scope: Some(spec.scope_code().to_owned()),
            project_id: spec.project_id(),
            ..Label::default()
        };
        let created = client.create_label(request).send().await?;
        let label = match created.id() {
            Some(id) => client.get_label_by_id(id).send().await?,
            None => find_label(client, spec)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "label",
                    name: spec.name.clone(),
                })?,
        };
        return Ok(Outcome::Created(label));
    };

    let color_differs = spec.color.as_ref().is_some_and(|color| {
        !actual
            .color
            .as_deref()
            .is_some_and(|actual| actual.eq_ignore_ascii_case(color))
    });
    let description_differs = spec.description.is_some() && actual.description != spec.description;
    if !color_differs && !description_differs {
        return Ok(Outcome::Unchanged(actual));
    }
    let id = actual.id.ok_or_else(|| Error::NotFound {
        kind: "id of label",
        name: spec.name.clone(),
    })?;
    let update = Label {
        color: spec.color.clone().or(actual.color.clone()),
        description: spec.description.clone().or(actual.description.clone()),
        ..actual
    };
    client.update_label(id, update).send().await?;
    Ok(Outcome::Updated(client.get_label_by_id(id).send().await?))
}

async fn find_label(client: &Client, spec: &LabelSpec) -> Result<Option<Label>, Error> {
    let mut request = client
        .list_labels()
        .name(spec.name.clone())
        .scope(spec.scope_code())
        .page_size(100);
    if let Some(project_id) = spec.project_id() {
        request = request.project_id(project_id);
    }
    let page = request.send().await?;
    Ok(page
        .items
        .into_iter()
        .find(|label| label.name.as_deref() == Some(spec.name.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_are_validated() {
        let spec = LabelSpec::new("qa", LabelScope::Global).unwrap();
        assert_eq!(
            spec.clone().color("#a1b2c3").unwrap().color.as_deref(),
            Some("#A1B2C3")
        );
        for invalid in ["a1b2c3", "#a1b2c", "#gggggg", "red"] {
            assert!(spec.clone().color(invalid).is_err(), "{invalid}");
        }
    }
}
