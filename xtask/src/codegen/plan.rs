//! Analysis of one swagger operation: its Rust names, how each parameter is typed and sent, and
//! which transport method reads the response.
//!
//! The Harbor-specific rules live here: `project_name_or_id` is a `crate::ProjectRef`,
//! `repository_name` is encoded twice, the shared `q` parameter is a `crate::query::Query`, and the
//! `X-Request-Id` and `X-Is-Resource-Name` headers are set by hand-written code.

use anyhow::{Context, bail};

use super::naming;
use super::spec::{Operation, Parameter, Schema, Spec};
use super::types::{RustType, TypeDef, TypeMapper};

/// Header the transport sets on every request.
const REQUEST_ID_HEADER: &str = "X-Request-Id";
/// Header derived from [`PROJECT_NAME_OR_ID`]: `true` when the project is named, not numbered.
const IS_RESOURCE_NAME_HEADER: &str = "X-Is-Resource-Name";
/// Path parameter that takes a project id or name; Harbor reads an all-digit value as an id.
const PROJECT_NAME_OR_ID: &str = "project_name_or_id";
/// Path parameter with a project name, used to strip the prefix of a repository name.
const PROJECT_NAME: &str = "project_name";
/// Path parameter that Harbor decodes twice.
const REPOSITORY_NAME: &str = "repository_name";
/// Shared parameter with Harbor's query language, which Harbor decodes twice.
const QUERY_LANGUAGE_REFERENCE: &str = "#/parameters/query";
/// Names used by the generated methods and fields of a request type.
const RESERVED_MEMBER_NAMES: &[&str] = &["build", "client", "new", "send", "stream", "with_client"];

/// One operation, ready to emit.
#[derive(Debug)]
pub(crate) struct OperationPlan {
    pub(crate) operation_id: String,
    /// Upper-case HTTP method.
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) tag: String,
    /// Name of the request type, the operation id in UpperCamelCase.
    pub(crate) type_name: String,
    /// Name of the `Client` method, the operation id in snake_case.
    pub(crate) method_name: String,
    pub(crate) params: Vec<ParamPlan>,
    /// Header parameters the caller does not set, with the reason for the doc comment.
    pub(crate) derived_headers: Vec<(String, &'static str)>,
    pub(crate) response: ResponsePlan,
    /// Status code of the response the [`ResponsePlan`] was chosen from.
    pub(crate) status: String,
    pub(crate) accept: String,
    pub(crate) deprecated: bool,
    /// Types for inline body schemas and parameter enums, defined in the operation's file.
    pub(crate) inline: Vec<TypeDef>,
}

/// Location of a parameter in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
    Body,
}

impl Location {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Body => "body",
        }
    }
}

/// Type and encoding rule of a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// A value of [`ParamPlan::ty`].
    Plain,
    /// `project_name_or_id`: a `crate::ProjectRef`.
    ProjectRef,
    /// `repository_name`, encoded twice after removing the prefix of the named project field.
    RepositoryName {
        project_field: String,
        project_is_ref: bool,
    },
    /// The `q` parameter: a `crate::query::Query`.
    QueryLanguage,
    /// An array query parameter: items joined by the separator, or one pair per item when
    /// `None` (`collectionFormat: multi`).
    Array { separator: Option<&'static str> },
}

/// One parameter the caller sets.
#[derive(Debug, Clone)]
pub(crate) struct ParamPlan {
    /// Name in the swagger, sent as the query or header name.
    pub(crate) name: String,
    /// Name of the field, setter and constructor argument.
    pub(crate) rust_name: String,
    pub(crate) location: Location,
    pub(crate) kind: ParamKind,
    pub(crate) required: bool,
    /// Value type; for arrays, the item type is inside [`RustType::Vec`].
    pub(crate) ty: RustType,
    /// A string default that is sent when the caller does not set the parameter (headers only).
    pub(crate) sent_default: Option<String>,
    /// Inclusive bounds of an integer, checked by `build`.
    pub(crate) minimum: Option<i64>,
    pub(crate) maximum: Option<i64>,
    /// Schema facts for the doc comment.
    pub(crate) description: String,
}

/// Transport method that reads the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResponsePlan {
    /// A JSON array of a list operation with `page` and `page_size`: `execute_page`.
    Page { item: RustType },
    /// Any other JSON schema: `execute_json`.
    Json { ty: RustType },
    /// 201 without a body: `execute_created`.
    Created,
    /// Success without a body: `execute_empty`.
    Empty,
    /// Plain text, CSV, or a string schema: `execute_text`.
    Text,
    /// Binary content: `execute_bytes`.
    Bytes,
}

/// Analyses the operation `method path`.
pub(crate) fn plan_operation(
    spec: &Spec,
    mapper: &mut TypeMapper<'_>,
    method: &'static str,
    path: &str,
    path_parameters: &[Parameter],
    operation: &Operation,
) -> anyhow::Result<OperationPlan> {
    let operation_id = operation
        .operation_id
        .clone()
        .with_context(|| format!("{method} {path} has no operationId"))?;
    let source = format!("operation `{operation_id}`");
    if let Some(consumes) = &operation.consumes
        && !consumes.is_empty()
        && !consumes.iter().any(|media| media.contains("json"))
    {
        bail!(
            "{source}: request bodies of type {} are not supported, only JSON",
            consumes.join(", ")
        );
    }
    let tag = match operation.tags.as_slice() {
        [first, ..] => first.clone(),
        [] => "default".to_owned(),
    };
    let type_name = naming::type_name(&upper_first(&operation_id));
    let method_name = naming::field_name(&operation_id);

    let parameters = merged_parameters(spec, path_parameters, &operation.parameters)?;
    let has_project_ref = parameters
        .iter()
        .any(|(_, parameter)| parameter.location == "path" && parameter.name == PROJECT_NAME_OR_ID);

    let mut params: Vec<ParamPlan> = Vec::new();
    let mut derived_headers = Vec::new();
    for (reference, parameter) in &parameters {
        if parameter.location == "header" && parameter.name == REQUEST_ID_HEADER {
            derived_headers.push((parameter.name.clone(), "set by the transport"));
            continue;
        }
        if parameter.location == "header"
            && parameter.name == IS_RESOURCE_NAME_HEADER
            && has_project_ref
        {
            derived_headers.push((parameter.name.clone(), "derived from `project_name_or_id`"));
            continue;
        }
        let param = plan_parameter(
            mapper,
            &source,
            &type_name,
            reference.as_deref(),
            parameter,
            &parameters,
        )?;
        if let Some(other) = params
            .iter()
            .find(|other| other.rust_name == param.rust_name)
        {
            bail!(
                "{source}: parameters {} and {} both map to the Rust name {}",
                other.name,
                param.name,
                param.rust_name
            );
        }
        params.push(param);
    }
    check_path_template(&source, path, &params)?;

    let produces = operation.produces.as_ref().unwrap_or(&spec.produces);
    let accept = produces
        .first()
        .cloned()
        .unwrap_or_else(|| "application/json".to_owned());
    let (status, response) = plan_response(
        spec, mapper, operation, &source, &type_name, &accept, &params,
    )?;

    Ok(OperationPlan {
        operation_id,
        method,
        path: path.to_owned(),
        tag,
        type_name,
        method_name,
        params,
        derived_headers,
        response,
        status,
        accept,
        deprecated: operation.deprecated,
        inline: mapper.take_inline(),
    })
}

/// Returns the path-level parameters overridden by the operation's, resolved, each with the
/// `$ref` it was written as.
fn merged_parameters<'a>(
    spec: &'a Spec,
    path_parameters: &'a [Parameter],
    operation_parameters: &'a [Parameter],
) -> anyhow::Result<Vec<(Option<String>, &'a Parameter)>> {
    let mut merged: Vec<(Option<String>, &Parameter)> = Vec::new();
    for parameter in path_parameters.iter().chain(operation_parameters) {
        let resolved = spec.resolve_parameter(parameter)?;
        merged.retain(|(_, existing)| {
            existing.name != resolved.name || existing.location != resolved.location
        });
        merged.push((parameter.reference.clone(), resolved));
    }
    Ok(merged)
}

fn plan_parameter(
    mapper: &mut TypeMapper<'_>,
    source: &str,
    type_name: &str,
    reference: Option<&str>,
    parameter: &Parameter,
    all: &[(Option<String>, &Parameter)],
) -> anyhow::Result<ParamPlan> {
    let param_source = format!("{source}, parameter `{}`", parameter.name);
    let location = match parameter.location.as_str() {
        "path" => Location::Path,
        "query" => Location::Query,
        "header" => Location::Header,
        "body" => Location::Body,
        "formData" => bail!("{param_source}: formData parameters are not supported"),
        other => bail!("{param_source}: unknown parameter location {other}"),
    };

    let base_name = match location {
        Location::Header => strip_header_prefix(&parameter.name),
        _ => parameter.name.as_str(),
    };
    let mut rust_name = naming::field_name(base_name);
    if RESERVED_MEMBER_NAMES.contains(&naming::unraw(&rust_name)) {
        rust_name = format!("{}_value", naming::unraw(&rust_name));
    }

    let hint = format!("{type_name}{}", naming::pascal_case(base_name));
    let schema = match location {
        Location::Body => parameter
            .schema
            .clone()
            .with_context(|| format!("{param_source}: body parameter without schema"))?,
        _ => parameter_schema(parameter),
    };
    let ty = mapper.map(&schema, &hint, &param_source)?;
    let mut description = mapper.describe(&schema);

    let kind = if location == Location::Path && parameter.name == PROJECT_NAME_OR_ID {
        description = "`ProjectRef`; a name also sends `X-Is-Resource-Name: true`".to_owned();
        ParamKind::ProjectRef
    } else if location == Location::Path && parameter.name == REPOSITORY_NAME {
        description = "string, encoded twice, a leading project prefix is removed".to_owned();
        repository_kind(&param_source, all)?
    } else if location == Location::Query && reference == Some(QUERY_LANGUAGE_REFERENCE) {
        description = "`Query`, Harbor's query language".to_owned();
        ParamKind::QueryLanguage
    } else if let RustType::Vec(item) = &ty {
        if location != Location::Query {
            bail!("{param_source}: array parameters are supported in the query only");
        }
        if !matches!(
            **item,
            RustType::String
                | RustType::I64
                | RustType::U64
                | RustType::F64
                | RustType::Bool
                | RustType::Local(_)
        ) {
            bail!("{param_source}: arrays of {item:?} cannot be sent in the query");
        }
        ParamKind::Array {
            separator: array_separator(&param_source, parameter.collection_format.as_deref())?,
        }
    } else {
        if location != Location::Body
            && !matches!(
                ty,
                RustType::String
                    | RustType::I64
                    | RustType::U64
                    | RustType::F64
                    | RustType::Bool
                    | RustType::Local(_)
            )
        {
            bail!(
                "{param_source}: a {} parameter must be a primitive or enum",
                location.as_str()
            );
        }
        ParamKind::Plain
    };

    let sent_default = match (&parameter.default, location) {
        (Some(serde_json::Value::String(value)), Location::Header) if !parameter.required => {
            Some(value.clone())
        }
        _ => None,
    };
    if let Some(default) = &parameter.default {
        let default = match default {
            serde_json::Value::String(value) => format!("`{}`", super::items::code(value)),
            other => format!("`{other}`"),
        };
        let verb = if sent_default.is_some() {
            "sent when unset"
        } else {
            "applied by Harbor when unset"
        };
        description = format!("{description}, default {default} {verb}");
    }

    let minimum = integer_bound(&ty, parameter.minimum);
    let maximum = integer_bound(&ty, parameter.maximum);
    Ok(ParamPlan {
        name: parameter.name.clone(),
        rust_name,
        location,
        kind,
        required: parameter.required || location == Location::Path,
        ty,
        sent_default,
        minimum,
        maximum,
        description,
    })
}

/// Returns a bound of an integer parameter as an integer; bounds of other types are not checked.
fn integer_bound(ty: &RustType, bound: Option<f64>) -> Option<i64> {
    let bound = bound?;
    // The cast is exact for whole bounds within i64, and a fractional bound is not an integer rule.
    (*ty == RustType::I64 && bound.fract() == 0.0).then_some(bound as i64)
}

/// Returns the schema of a non-body parameter, built from its `type`, `format`, `items` and
/// `enum`.
fn parameter_schema(parameter: &Parameter) -> Schema {
    Schema {
        kind: parameter.kind.clone(),
        format: parameter.format.clone(),
        items: parameter.items.clone(),
        enum_values: parameter.enum_values.clone(),
        ..Schema::default()
    }
}

fn repository_kind(
    param_source: &str,
    all: &[(Option<String>, &Parameter)],
) -> anyhow::Result<ParamKind> {
    let project = all.iter().find(|(_, parameter)| {
        parameter.location == "path"
            && (parameter.name == PROJECT_NAME || parameter.name == PROJECT_NAME_OR_ID)
    });
    match project {
        Some((_, parameter)) => Ok(ParamKind::RepositoryName {
            project_field: naming::field_name(&parameter.name),
            project_is_ref: parameter.name == PROJECT_NAME_OR_ID,
        }),
        None => bail!(
            "{param_source}: `{REPOSITORY_NAME}` needs a `{PROJECT_NAME}` path parameter to strip the project prefix"
        ),
    }
}

fn array_separator(
    param_source: &str,
    collection_format: Option<&str>,
) -> anyhow::Result<Option<&'static str>> {
    match collection_format.unwrap_or("csv") {
        "csv" => Ok(Some(",")),
        "ssv" => Ok(Some(" ")),
        "tsv" => Ok(Some("\t")),
        "pipes" => Ok(Some("|")),
        "multi" => Ok(None),
        other => bail!("{param_source}: unknown collectionFormat {other}"),
    }
}

/// Strips the `X-` prefix of a header name, so `X-Accept-Vulnerabilities` becomes the setter
/// `accept_vulnerabilities`.
fn strip_header_prefix(name: &str) -> &str {
    name.strip_prefix("X-")
        .or_else(|| name.strip_prefix("x-"))
        .unwrap_or(name)
}

/// Fails when a path parameter is missing from the path template or the other way round.
fn check_path_template(source: &str, path: &str, params: &[ParamPlan]) -> anyhow::Result<()> {
    for param in params
        .iter()
        .filter(|param| param.location == Location::Path)
    {
        if !path.contains(&format!("{{{}}}", param.name)) {
            bail!(
                "{source}: path parameter {} is not in the path {path}",
                param.name
            );
        }
    }
    for placeholder in placeholders(path) {
        let declared = params
            .iter()
            .any(|param| param.location == Location::Path && param.name == placeholder);
        if !declared {
            bail!("{source}: the path {path} uses {{{placeholder}}}, which no parameter declares");
        }
    }
    Ok(())
}

/// Returns the `{name}` placeholders of a path template, in order.
pub(crate) fn placeholders(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

fn plan_response(
    spec: &Spec,
    mapper: &mut TypeMapper<'_>,
    operation: &Operation,
    source: &str,
    type_name: &str,
    accept: &str,
    params: &[ParamPlan],
) -> anyhow::Result<(String, ResponsePlan)> {
    let mut successes: Vec<&(String, super::spec::Response)> = operation
        .responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .collect();
    successes.sort_by(|a, b| a.0.cmp(&b.0));
    let Some((status, first)) = successes.first() else {
        return Ok(("2xx".to_owned(), ResponsePlan::Empty));
    };
    let response = spec.resolve_response(first)?;

    let Some(schema) = &response.schema else {
        // Harbor's handler of triggerRetentionExecution, which lists both 200 and 201, returns 201
        // with a Location header. Created reads the header and also accepts a response without one.
        if let Some((created, _)) = successes.iter().find(|(code, _)| code == "201") {
            return Ok((created.clone(), ResponsePlan::Created));
        }
        return Ok((status.clone(), ResponsePlan::Empty));
    };

    let is_text = accept.starts_with("text/");
    let plan = if is_text {
        ResponsePlan::Text
    } else if accept == "application/octet-stream" || schema.kind.as_deref() == Some("file") {
        ResponsePlan::Bytes
    } else if schema.kind.as_deref() == Some("string") && schema.reference.is_none() {
        // A string schema under a JSON media type is content whose format varies (JSON, YAML or
        // Markdown for artifact additions), so the raw text is returned.
        ResponsePlan::Text
    } else {
        let hint = format!("{type_name}Response");
        let ty = mapper.map(schema, &hint, &format!("{source}, response {status}"))?;
        match ty {
            RustType::Vec(item) if is_paged(params) => ResponsePlan::Page { item: *item },
            ty => ResponsePlan::Json { ty },
        }
    };
    Ok((status.clone(), plan))
}

/// Reports whether the operation has optional integer `page` and `page_size` query parameters.
fn is_paged(params: &[ParamPlan]) -> bool {
    let optional_integer = |name: &str| {
        params.iter().any(|param| {
            param.location == Location::Query
                && param.name == name
                && !param.required
                && param.ty == RustType::I64
        })
    };
    optional_integer("page") && optional_integer("page_size")
}

/// Upper-cases the first character: `listArtifacts` becomes `ListArtifacts`.
fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}
