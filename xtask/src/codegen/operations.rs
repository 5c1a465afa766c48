//! The `generated/operations/` files: one module per swagger tag with a request type per
//! operation and the `Client` methods that create them.
//!
//! A request type `X<C = crate::Client>` contains its parameters and a client of type `C`.
//! `X::new(..)` creates it with `C = ()`, so it can be built but not sent. The `Client` method
//! creates it with the client, which adds `send`, and `stream` for paged lists.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::items::{self, code};
use super::naming;
use super::plan::{Location, OperationPlan, ParamKind, ParamPlan, ResponsePlan};
use super::types::{RustType, Scope};
use super::{GENERATED_HEADER, GeneratedFile};

/// Header sent when a `crate::ProjectRef` names the project instead of numbering it.
const IS_RESOURCE_NAME_HEADER: &str = "X-Is-Resource-Name";

/// Generates one file per tag and `operations/mod.rs`.
pub(crate) fn generate(plans: &[OperationPlan]) -> anyhow::Result<Vec<GeneratedFile>> {
    let mut by_module: BTreeMap<String, (String, Vec<&OperationPlan>)> = BTreeMap::new();
    for plan in plans {
        let module = naming::module_name(&plan.tag);
        let entry = by_module
            .entry(module.clone())
            .or_insert_with(|| (plan.tag.clone(), Vec::new()));
        if entry.0 != plan.tag {
            anyhow::bail!(
                "tags {} and {} both map to the module name {module}",
                entry.0,
                plan.tag
            );
        }
        entry.1.push(plan);
    }

    let mut files = Vec::new();
    for (module, (tag, mut plans)) in by_module.clone() {
        plans.sort_by(|a, b| a.method_name.cmp(&b.method_name));
        let mut content = String::new();
        let _ = writeln!(content, "{GENERATED_HEADER}");
        let _ = writeln!(
            content,
            "//! Operations of the swagger tag `{}`.",
            code(&tag)
        );
        for plan in plans {
            content.push('\n');
            content.push_str(&render_operation(plan));
        }
        files.push(GeneratedFile {
            path: format!("operations/{module}.rs"),
            content,
        });
    }

    let mut content = String::new();
    let _ = writeln!(content, "{GENERATED_HEADER}");
    content.push_str(
        "//! Operations: one module per swagger tag, each with a request type per operation and\n\
         //! the `Client` methods that create them.\n\n",
    );
    for (module, (tag, _)) in &by_module {
        let _ = writeln!(
            content,
            "/// Operations of the swagger tag `{}`.",
            code(tag)
        );
        let _ = writeln!(content, "pub mod {module};");
    }
    files.push(GeneratedFile {
        path: "operations/mod.rs".to_owned(),
        content,
    });
    Ok(files)
}

/// Renders the request type, its impls and the `Client` method of one operation.
fn render_operation(plan: &OperationPlan) -> String {
    let mut out = String::new();
    render_struct(&mut out, plan);
    render_constructors(&mut out, plan);
    render_build(&mut out, plan);
    render_send(&mut out, plan);
    render_client_method(&mut out, plan);
    for def in &plan.inline {
        out.push('\n');
        out.push_str(&items::render_type_def(def, Scope::Operations));
    }
    out
}

/// Returns `METHOD path`, quoted for a doc comment.
fn summary(plan: &OperationPlan) -> String {
    format!(
        "`{} {}` (operation `{}`)",
        plan.method,
        code(&plan.path),
        code(&plan.operation_id)
    )
}

/// Type of a parameter's value, before `Option` for optional parameters.
fn value_type(param: &ParamPlan) -> String {
    match param.kind {
        ParamKind::ProjectRef => "crate::ProjectRef".to_owned(),
        ParamKind::QueryLanguage => "crate::query::Query".to_owned(),
        _ => param.ty.render(Scope::Operations),
    }
}

fn field_type(param: &ParamPlan) -> String {
    if param.required {
        value_type(param)
    } else {
        format!("Option<{}>", value_type(param))
    }
}

/// Type of a constructor or setter argument: strings and project references accept anything
/// that converts into them.
fn argument_type(param: &ParamPlan) -> String {
    match (&param.kind, &param.ty) {
        (ParamKind::ProjectRef, _) => "impl Into<crate::ProjectRef>".to_owned(),
        (ParamKind::QueryLanguage, _) => "crate::query::Query".to_owned(),
        (_, RustType::String) => "impl Into<String>".to_owned(),
        _ => value_type(param),
    }
}

fn argument_conversion(param: &ParamPlan, name: &str) -> String {
    match (&param.kind, &param.ty) {
        (ParamKind::ProjectRef, _) => format!("{name}.into()"),
        (ParamKind::QueryLanguage, _) => name.to_owned(),
        (_, RustType::String) => format!("{name}.into()"),
        _ => name.to_owned(),
    }
}

fn required_params(plan: &OperationPlan) -> impl Iterator<Item = &ParamPlan> {
    plan.params.iter().filter(|param| param.required)
}

fn optional_params(plan: &OperationPlan) -> impl Iterator<Item = &ParamPlan> {
    plan.params.iter().filter(|param| !param.required)
}

fn render_struct(out: &mut String, plan: &OperationPlan) {
    let name = &plan.type_name;
    let _ = writeln!(out, "/// Request of {}.", summary(plan));
    out.push_str("///\n");
    let _ = writeln!(
        out,
        "/// Create it with [`crate::Client::{}`] to send it, or with [`{name}::new`] to only build it.",
        plan.method_name
    );
    out.push_str("#[derive(Debug, Clone)]\n");
    out.push_str("#[must_use = \"a request does nothing until it is built or sent\"]\n");
    let _ = writeln!(out, "pub struct {name}<C = crate::Client> {{");
    out.push_str("client: C,\n");
    for param in &plan.params {
        let _ = writeln!(out, "{}: {},", param.rust_name, field_type(param));
    }
    out.push_str("}\n\n");
}

fn render_constructors(out: &mut String, plan: &OperationPlan) {
    let name = &plan.type_name;
    let arguments: Vec<String> = required_params(plan)
        .map(|param| format!("{}: {}", param.rust_name, argument_type(param)))
        .collect();
    let conversions: Vec<String> = required_params(plan)
        .map(|param| argument_conversion(param, &param.rust_name))
        .collect();
    let concrete: Vec<String> = required_params(plan)
        .map(|param| format!("{}: {}", param.rust_name, value_type(param)))
        .collect();

    let _ = writeln!(out, "impl {name}<()> {{");
    out.push_str("/// Creates the request without a client: it can be built but not sent.\n");
    let _ = writeln!(out, "pub fn new({}) -> Self {{", arguments.join(", "));
    let mut call_arguments = vec!["()".to_owned()];
    call_arguments.extend(conversions.iter().cloned());
    let _ = writeln!(out, "Self::with_client({})", call_arguments.join(", "));
    out.push_str("}\n}\n\n");

    let _ = writeln!(out, "impl<C> {name}<C> {{");
    let mut parameters = vec!["client: C".to_owned()];
    parameters.extend(concrete);
    let _ = writeln!(out, "fn with_client({}) -> Self {{", parameters.join(", "));
    out.push_str("Self {\nclient,\n");
    for param in &plan.params {
        if param.required {
            let _ = writeln!(out, "{},", param.rust_name);
        } else {
            let _ = writeln!(out, "{}: None,", param.rust_name);
        }
    }
    out.push_str("}\n}\n");

    for param in optional_params(plan) {
        let _ = writeln!(
            out,
            "\n/// Sets the {} parameter `{}` ({}).",
            param.location.as_str(),
            code(&param.name),
            param.description
        );
        let setter = &param.rust_name;
        let _ = writeln!(
            out,
            "pub fn {setter}(mut self, value: {}) -> Self {{",
            argument_type(param)
        );
        let _ = writeln!(
            out,
            "self.{setter} = Some({});\nself\n}}",
            argument_conversion(param, "value")
        );
    }
    out.push_str("}\n\n");
}

fn render_build(out: &mut String, plan: &OperationPlan) {
    let name = &plan.type_name;
    let has_body = plan
        .params
        .iter()
        .any(|param| param.location == Location::Body);
    let _ = writeln!(out, "impl<C> {name}<C> {{");
    out.push_str("/// Builds the request without sending it.\n");
    let checks = render_checks(plan);
    let has_checks = !checks.is_empty() || plan.params.iter().any(is_checked_segment);
    out.push_str("///\n/// # Errors\n///\n");
    match (!has_checks, has_body) {
        (true, false) => out.push_str(
            "/// Never fails: the operation has no body and no checked parameter. The `Result` matches\n\
             /// the other operations.\n",
        ),
        (false, false) => out.push_str(
            "/// Returns [`crate::Error::InvalidArgument`] when a path parameter is empty or a number is\n\
             /// outside the swagger's bounds.\n",
        ),
        (true, true) => out.push_str(
            "/// Returns [`crate::Error::Encode`] when the body cannot be serialized as JSON.\n",
        ),
        (false, true) => out.push_str(
            "/// Returns [`crate::Error::InvalidArgument`] when a path parameter is empty or a number is\n\
             /// outside the swagger's bounds, and [`crate::Error::Encode`] when the body cannot be\n\
             /// serialized as JSON.\n",
        ),
    }
    out.push_str("pub fn build(&self) -> Result<crate::Request, crate::Error> {\n");
    out.push_str(&checks);

    let mut statements = String::new();
    if plan.accept != "application/json" {
        let _ = writeln!(statements, "request.accept = {:?};", plan.accept);
    }
    for param in &plan.params {
        match param.location {
            Location::Path if param.kind == ParamKind::ProjectRef => {
                let _ = writeln!(
                    statements,
                    "if self.{}.is_resource_name() {{\nrequest.headers.push(({IS_RESOURCE_NAME_HEADER:?}, \"true\".to_owned()));\n}}",
                    param.rust_name
                );
            }
            Location::Path => {}
            Location::Query => render_query_push(&mut statements, param),
            Location::Header => render_header_push(&mut statements, param),
            Location::Body => {
                if param.required {
                    let _ = writeln!(
                        statements,
                        "request.body = crate::Body::json(&self.{})?;",
                        param.rust_name
                    );
                } else {
                    let _ = writeln!(
                        statements,
                        "if let Some(value) = &self.{} {{\nrequest.body = crate::Body::json(value)?;\n}}",
                        param.rust_name
                    );
                }
            }
        }
    }

    let path = render_path(out, plan);
    let new_request = format!(
        "crate::Request::new({:?}, http::Method::{}, {:?}, {path})",
        plan.operation_id, plan.method, plan.path
    );
    if statements.is_empty() {
        let _ = writeln!(out, "Ok({new_request})");
    } else {
        let _ = writeln!(out, "let mut request = {new_request};");
        out.push_str(&statements);
        out.push_str("Ok(request)\n");
    }
    out.push_str("}\n}\n\n");
}

/// Returns the statements that reject an integer outside the swagger's `minimum` and `maximum`
/// before any request.
fn render_checks(plan: &OperationPlan) -> String {
    let mut out = String::new();
    for param in &plan.params {
        let field = &param.rust_name;
        let name = &param.name;
        for (bound, comparison, rule) in [
            (param.minimum, "<", "must be at least"),
            (param.maximum, ">", "must be at most"),
        ] {
            let Some(bound) = bound else { continue };
            let rule = format!("{rule} {bound}");
            let (condition, value) = if param.required {
                (
                    format!("self.{field} {comparison} {bound}"),
                    format!("self.{field}"),
                )
            } else {
                (
                    format!("let Some(value) = self.{field} && value {comparison} {bound}"),
                    "value".to_owned(),
                )
            };
            let _ = writeln!(
                out,
                "if {condition} {{\nreturn Err(crate::Error::InvalidArgument {{ name: {name:?}, value: {value}.to_string(), rule: std::borrow::Cow::Borrowed({rule:?}) }});\n}}"
            );
        }
    }
    out
}

/// Reports whether a path parameter is text whose encoded segment must not be empty.
fn is_checked_segment(param: &ParamPlan) -> bool {
    param.location == Location::Path
        && (matches!(
            param.kind,
            ParamKind::ProjectRef | ParamKind::RepositoryName { .. }
        ) || param.ty == RustType::String)
}

/// Writes the statements that encode each path parameter and returns the expression of the path.
fn render_path(out: &mut String, plan: &OperationPlan) -> String {
    let path_params: Vec<&ParamPlan> = plan
        .params
        .iter()
        .filter(|param| param.location == Location::Path)
        .collect();
    if path_params.is_empty() {
        return format!("{:?}.to_owned()", plan.path);
    }

    let mut template = plan.path.replace('{', "{{").replace('}', "}}");
    for param in path_params {
        let local = format!("{}_segment", naming::unraw(&param.rust_name));
        let field = &param.rust_name;
        let value = match (&param.kind, &param.ty) {
            (ParamKind::ProjectRef, _) => format!("self.{field}.path_segment()"),
            (
                ParamKind::RepositoryName {
                    project_field,
                    project_is_ref,
                },
                _,
            ) => {
                let project = if *project_is_ref {
                    format!("&self.{project_field}.to_string()")
                } else {
                    format!("&self.{project_field}")
                };
                format!("crate::path::repository_segment({project}, &self.{field})")
            }
            (_, RustType::String) => format!("crate::path::segment(&self.{field})"),
            (_, RustType::Local(_)) => format!("crate::path::segment(self.{field}.as_str())"),
            _ => format!("self.{field}.to_string()"),
        };
        let _ = writeln!(out, "let {local} = {value};");
        if is_checked_segment(param) {
            // An empty segment would address another resource, for example `/projects/` instead
            // of one project.
            let _ = writeln!(
                out,
                "if {local}.is_empty() {{\nreturn Err(crate::Error::InvalidArgument {{ name: {:?}, value: self.{field}.to_string(), rule: std::borrow::Cow::Borrowed(\"must not be empty\") }});\n}}",
                param.name
            );
        }
        template = template.replace(&format!("{{{{{}}}}}", param.name), &format!("{{{local}}}"));
    }
    format!("format!({template:?})")
}

/// Returns the expression that turns `value` (a reference to one value) into a query or header
/// string.
fn string_expression(param: &ParamPlan, ty: &RustType, value: &str) -> String {
    match (&param.kind, ty) {
        (ParamKind::QueryLanguage, _) => format!("{value}.as_str().to_owned()"),
        (_, RustType::String) => format!("{value}.clone()"),
        (_, RustType::Local(_)) => format!("{value}.as_str().to_owned()"),
        _ => format!("{value}.to_string()"),
    }
}

fn render_query_push(out: &mut String, param: &ParamPlan) {
    let name = &param.name;
    let (binding, open, close) = if param.required {
        (
            format!("self.{}", param.rust_name),
            String::new(),
            String::new(),
        )
    } else {
        (
            "value".to_owned(),
            format!("if let Some(value) = &self.{} {{\n", param.rust_name),
            "}\n".to_owned(),
        )
    };
    let reference = if param.required {
        format!("&{binding}")
    } else {
        binding.clone()
    };
    out.push_str(&open);
    match (&param.kind, &param.ty) {
        (ParamKind::Array { separator: None }, RustType::Vec(item)) => {
            let item_value = string_expression(param, item, "item");
            let _ = writeln!(
                out,
                "for item in {reference} {{\nrequest.query.push(({name:?}, {item_value}));\n}}"
            );
        }
        (
            ParamKind::Array {
                separator: Some(separator),
            },
            RustType::Vec(item),
        ) => {
            let joined = if **item == RustType::String {
                format!("{binding}.join({separator:?})")
            } else {
                format!(
                    "{binding}.iter().map(ToString::to_string).collect::<Vec<_>>().join({separator:?})"
                )
            };
            let _ = writeln!(out, "request.query.push(({name:?}, {joined}));");
        }
        _ => {
            let value = string_expression(param, &param.ty, &binding);
            let _ = writeln!(out, "request.query.push(({name:?}, {value}));");
        }
    }
    out.push_str(&close);
}

fn render_header_push(out: &mut String, param: &ParamPlan) {
    let name = &param.name;
    let field = &param.rust_name;
    if param.required {
        let value = string_expression(param, &param.ty, &format!("self.{field}"));
        let _ = writeln!(out, "request.headers.push(({name:?}, {value}));");
    } else if let Some(default) = &param.sent_default {
        let _ = writeln!(
            out,
            "request.headers.push(({name:?}, self.{field}.as_deref().unwrap_or({default:?}).to_owned()));"
        );
    } else {
        let value = string_expression(param, &param.ty, "value");
        let _ = writeln!(
            out,
            "if let Some(value) = &self.{field} {{\nrequest.headers.push(({name:?}, {value}));\n}}"
        );
    }
}

/// Returns a type as written in doc comments, without the module path of models.
fn doc_type(ty: &RustType) -> String {
    ty.render(Scope::Operations)
        .replace("crate::generated::models::", "")
        .replace("std::collections::", "")
}

fn render_send(out: &mut String, plan: &OperationPlan) {
    let name = &plan.type_name;
    let status = &plan.status;
    let (doc, output, call) = match &plan.response {
        ResponsePlan::Page { item } => (
            format!(
                "Sends the request and returns one page of `{}` (HTTP {status}).",
                doc_type(item)
            ),
            format!("crate::Page<{}>", item.render(Scope::Operations)),
            "execute_page",
        ),
        ResponsePlan::Json { ty } => (
            format!(
                "Sends the request and decodes the JSON body of HTTP {status} as `{}`.",
                doc_type(ty)
            ),
            ty.render(Scope::Operations),
            "execute_json",
        ),
        ResponsePlan::Created => (
            "Sends the request and returns the `Location` of the created resource (HTTP 201)."
                .to_owned(),
            "crate::Created".to_owned(),
            "execute_created",
        ),
        ResponsePlan::Empty => (
            format!("Sends the request; Harbor answers HTTP {status} without a body."),
            "()".to_owned(),
            "execute_empty",
        ),
        ResponsePlan::Text => (
            format!(
                "Sends the request and returns the body of HTTP {status} as text (`{}`).",
                code(&plan.accept)
            ),
            "String".to_owned(),
            "execute_text",
        ),
        ResponsePlan::Bytes => (
            format!(
                "Sends the request and returns the body of HTTP {status} as bytes (`{}`).",
                code(&plan.accept)
            ),
            "bytes::Bytes".to_owned(),
            "execute_bytes",
        ),
    };

    let _ = writeln!(out, "impl {name}<crate::Client> {{");
    let _ = writeln!(out, "/// {doc}");
    out.push_str(
        "///\n/// # Errors\n///\n/// Returns an error when the request cannot be built or sent, when Harbor answers with a\n\
         /// status other than success, or when the response body cannot be read or decoded.\n",
    );
    let _ = writeln!(
        out,
        "pub async fn send(self) -> Result<{output}, crate::Error> {{\nlet request = self.build()?;\nself.client.{call}(request).await\n}}"
    );

    if let ResponsePlan::Page { item } = &plan.response {
        let _ = writeln!(
            out,
            "\n/// Lists every `{}` page by page as the stream is polled; see [`crate::paging::stream`].",
            doc_type(item)
        );
        let _ = writeln!(
            out,
            "pub fn stream(self) -> impl futures_util::Stream<Item = Result<{}, crate::Error>> + Send {{\n\
             let client = self.client.clone();\ncrate::paging::stream(client, self)\n}}",
            item.render(Scope::Operations)
        );
    }
    out.push_str("}\n\n");

    if let ResponsePlan::Page { item } = &plan.response {
        let _ = writeln!(
            out,
            "impl<C: Clone + Send + Sync + 'static> crate::paging::PagedRequest for {name}<C> {{"
        );
        let _ = writeln!(out, "type Item = {};\n", item.render(Scope::Operations));
        out.push_str(
            "fn set_page(&mut self, page: i64, page_size: i64) {\n\
             self.page = Some(page);\nself.page_size = Some(page_size);\n}\n\n\
             fn page_size(&self) -> Option<i64> {\nself.page_size\n}\n\n",
        );
        let _ = writeln!(
            out,
            "fn build(&self) -> Result<crate::Request, crate::Error> {{\n{name}::build(self)\n}}\n}}\n"
        );
    }
}

fn render_client_method(out: &mut String, plan: &OperationPlan) {
    let name = &plan.type_name;
    out.push_str("impl crate::Client {\n");
    let _ = writeln!(out, "/// {}.", summary(plan));
    out.push_str("///\n");
    if plan.deprecated {
        out.push_str("/// The swagger marks this operation as deprecated.\n///\n");
    }

    let documented: Vec<&ParamPlan> = plan.params.iter().collect();
    if documented.is_empty() && plan.derived_headers.is_empty() {
        out.push_str("/// Parameters: none.\n");
    } else {
        out.push_str("/// Parameters:\n///\n");
        for param in documented {
            let role = if param.required {
                "method argument".to_owned()
            } else {
                format!("setter [`{name}::{}`]", param.rust_name)
            };
            let _ = writeln!(
                out,
                "/// - `{}` ({}, {}): {role}",
                code(&param.name),
                param.location.as_str(),
                param.description
            );
        }
        for (header, reason) in &plan.derived_headers {
            let _ = writeln!(out, "/// - `{}` (header): {reason}", code(header));
        }
    }
    if matches!(plan.response, ResponsePlan::Page { .. }) {
        let _ = writeln!(
            out,
            "///\n/// Send it with [`{name}::send`] for one page, or list every item with [`{name}::stream`]."
        );
    } else {
        let _ = writeln!(out, "///\n/// Send it with [`{name}::send`].");
    }

    let arguments: Vec<String> = required_params(plan)
        .map(|param| format!("{}: {}", param.rust_name, argument_type(param)))
        .collect();
    let mut call_arguments = vec!["self.clone()".to_owned()];
    call_arguments
        .extend(required_params(plan).map(|param| argument_conversion(param, &param.rust_name)));
    let mut signature_arguments = vec!["&self".to_owned()];
    signature_arguments.extend(arguments);
    let _ = writeln!(
        out,
        "pub fn {}({}) -> {name} {{\n{name}::with_client({})\n}}\n}}",
        plan.method_name,
        signature_arguments.join(", "),
        call_arguments.join(", ")
    );
}
