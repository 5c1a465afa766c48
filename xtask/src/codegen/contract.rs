//! The calls of the Prism contract suite: `harbor-client/tests/contract/calls.rs`.
//!
//! For every operation the generated file has one function that creates the request type through
//! its `Client` method with every parameter set, required and optional, to a sample value that
//! the swagger accepts. Bodies are model instances with every property set, nested up to
//! [`MAX_DEPTH`] structs deep. Each function also records the media types the operation declares
//! in `produces` and its declared success statuses, which the suite checks the response against.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, bail};

use super::naming;
use super::plan::{OperationPlan, ParamKind, ParamPlan};
use super::spec::{Schema, Spec};
use super::types::{EnumDef, RustType, StructDef, TypeDef, TypeMapper};
use super::{GENERATED_HEADER, GeneratedFile};

/// Path of the generated file, relative to the workspace root.
pub(crate) const OUTPUT_PATH: &str = "harbor-client/tests/contract/calls.rs";

/// Number of nested structs filled in a body. Deeper structs are `Default::default()`, which keeps
/// bodies finite even for a definition that refers back to itself.
const MAX_DEPTH: usize = 4;

/// Project that sample repository names belong to.
const SAMPLE_PROJECT: &str = "library";
/// Nested repository name in [`SAMPLE_PROJECT`], so the double encoding of `/` is exercised.
const SAMPLE_REPOSITORY: &str = "library/team/app";
/// Value of plain string parameters and properties without a format.
const SAMPLE_STRING: &str = "example";
/// Value of `date-time` strings (RFC 3339).
const SAMPLE_DATE_TIME: &str = "2024-01-02T03:04:05Z";
/// Value of `uri` strings: a loopback URL, so no sample value names another host.
const SAMPLE_URI: &str = "http://127.0.0.1/example";

/// A generated type that samples are built from, with the module that contains it as seen from
/// the test crate.
#[derive(Debug)]
enum KnownType {
    Struct { def: StructDef, module: String },
    Enum { def: EnumDef, module: String },
    Alias(RustType),
}

/// Facts about an operation that the plan does not keep.
#[derive(Debug)]
struct Declared {
    produces: Vec<String>,
    success_statuses: Vec<u16>,
}

/// Generates `calls.rs`, unformatted.
pub(crate) fn generate(
    spec: &Spec,
    names: &BTreeMap<String, String>,
    plans: &[OperationPlan],
) -> anyhow::Result<GeneratedFile> {
    let mut types = model_types(spec, names)?;
    for plan in plans {
        let module = format!("operations::{}", naming::module_name(&plan.tag));
        for def in &plan.inline {
            insert_type_def(&mut types, def.clone(), &module);
        }
    }
    let declared = declared_facts(spec)?;
    let samples = Samples { types: &types };

    let mut sorted: Vec<&OperationPlan> = plans.iter().collect();
    sorted.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));

    let mut content = String::new();
    let _ = writeln!(content, "{GENERATED_HEADER}");
    content.push_str(
        "//! One call per generated operation, with every parameter set to a sample value that\n\
         //! the swagger accepts, for the Prism contract suite.\n\n\
         use harbor_client::generated::{models, operations};\n\
         use harbor_client::{Client, ProjectRef};\n\n\
         use super::harness::Call;\n\n",
    );
    content.push_str("/// Every call, sorted by operation id.\n");
    content.push_str("pub(crate) const CALLS: &[fn(&Client) -> Call] = &[\n");
    for plan in &sorted {
        let _ = writeln!(content, "{},", plan.method_name);
    }
    content.push_str("];\n");

    for (index, plan) in sorted.iter().enumerate() {
        let facts = declared.get(&plan.operation_id).with_context(|| {
            format!(
                "operation `{}` is missing from the swagger's paths",
                plan.operation_id
            )
        })?;
        // Half of the operations name the project by id, the other half by name.
        let project_by_id = index % 2 == 1;
        content.push('\n');
        content.push_str(&render_call(&samples, plan, facts, project_by_id)?);
    }

    Ok(GeneratedFile {
        path: OUTPUT_PATH.to_owned(),
        content,
    })
}

/// Formats `calls.rs` with rustfmt, as one module of a scratch crate root.
pub(crate) fn format(file: &mut GeneratedFile) -> anyhow::Result<()> {
    let mut files = vec![
        GeneratedFile {
            path: "calls.rs".to_owned(),
            content: std::mem::take(&mut file.content),
        },
        GeneratedFile {
            path: "mod.rs".to_owned(),
            content: "mod calls;\n".to_owned(),
        },
    ];
    super::writer::format_files(&mut files)?;
    file.content = std::mem::take(&mut files[0].content);
    Ok(())
}

/// Maps every definition the way [`super::models`] does and records the resulting types.
fn model_types(
    spec: &Spec,
    names: &BTreeMap<String, String>,
) -> anyhow::Result<BTreeMap<String, KnownType>> {
    let mut reserved_names = std::collections::BTreeSet::new();
    let mut mapper = TypeMapper::new(names, &mut reserved_names);
    let mut types = BTreeMap::new();

    let mut definitions: Vec<&(String, Schema)> = spec.definitions.iter().collect();
    definitions.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, schema) in definitions {
        let rust_name = &names[name];
        let source = format!("definition `{name}`");
        let is_object = matches!(schema.kind.as_deref(), Some("object") | None);
        if let Some(values) = &schema.enum_values {
            mapper.enum_def(rust_name, &source, values)?;
        } else if is_object && schema.properties.is_some() && schema.reference.is_none() {
            let def = mapper.struct_def(rust_name, &source, schema)?;
            insert_type_def(&mut types, TypeDef::Struct(def), "models");
        } else {
            mapper.reserve(rust_name, &source)?;
            let ty = mapper.map(schema, rust_name, &source)?;
            types.insert(rust_name.clone(), KnownType::Alias(ty));
        }
        for def in mapper.take_inline() {
            insert_type_def(&mut types, def, "models");
        }
    }
    Ok(types)
}

fn insert_type_def(types: &mut BTreeMap<String, KnownType>, def: TypeDef, module: &str) {
    let module = module.to_owned();
    let (name, known) = match def {
        TypeDef::Struct(def) => (def.name.clone(), KnownType::Struct { def, module }),
        TypeDef::Enum(def) => (def.name.clone(), KnownType::Enum { def, module }),
    };
    types.insert(name, known);
}

/// Returns the `produces` media types and the success statuses of every operation, by id.
fn declared_facts(spec: &Spec) -> anyhow::Result<BTreeMap<String, Declared>> {
    let mut facts = BTreeMap::new();
    for (path, item) in spec.paths.iter() {
        for (method, operation) in item.operations() {
            let operation_id = operation
                .operation_id
                .clone()
                .with_context(|| format!("{method} {path} has no operationId"))?;
            let produces = operation
                .produces
                .clone()
                .unwrap_or_else(|| spec.produces.clone());
            let mut success_statuses = Vec::new();
            for (code, _) in operation.responses.iter() {
                if code.starts_with('2') {
                    let status = code.parse::<u16>().with_context(|| {
                        format!("operation `{operation_id}`: response code {code} is not a number")
                    })?;
                    success_statuses.push(status);
                }
            }
            success_statuses.sort_unstable();
            facts.insert(
                operation_id,
                Declared {
                    produces,
                    success_statuses,
                },
            );
        }
    }
    Ok(facts)
}

/// Renders the call function of one operation.
fn render_call(
    samples: &Samples<'_>,
    plan: &OperationPlan,
    declared: &Declared,
    project_by_id: bool,
) -> anyhow::Result<String> {
    // A repository name is stripped of its project prefix only when the project is named.
    let has_repository = plan
        .params
        .iter()
        .any(|param| matches!(param.kind, ParamKind::RepositoryName { .. }));
    let project_by_id = project_by_id && !has_repository;

    let mut arguments = Vec::new();
    for param in plan.params.iter().filter(|param| param.required) {
        arguments.push(samples.parameter(plan, param, project_by_id)?);
    }
    let mut expression = format!("client.{}({})", plan.method_name, arguments.join(", "));
    for param in plan.params.iter().filter(|param| !param.required) {
        let value = samples.parameter(plan, param, project_by_id)?;
        let _ = write!(expression, ".{}({value})", param.rust_name);
    }

    let produces: Vec<String> = declared
        .produces
        .iter()
        .map(|media| format!("{media:?}"))
        .collect();
    let statuses: Vec<String> = declared
        .success_statuses
        .iter()
        .map(u16::to_string)
        .collect();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// `{} {}` (operation `{}`).",
        plan.method,
        super::items::code(&plan.path),
        plan.operation_id
    );
    let _ = writeln!(out, "fn {}(client: &Client) -> Call {{", plan.method_name);
    let _ = writeln!(out, "let operation = {expression};");
    let _ = writeln!(
        out,
        "Call::new({:?}, &[{}], &[{}], operation.build(), async move {{ operation.send().await.map(drop) }})",
        plan.operation_id,
        produces.join(", "),
        statuses.join(", ")
    );
    out.push_str("}\n");
    Ok(out)
}

/// Renders sample values as Rust expressions.
#[derive(Debug)]
struct Samples<'a> {
    types: &'a BTreeMap<String, KnownType>,
}

impl Samples<'_> {
    /// Returns the sample argument of a parameter, as its constructor or setter takes it.
    fn parameter(
        &self,
        plan: &OperationPlan,
        param: &ParamPlan,
        project_by_id: bool,
    ) -> anyhow::Result<String> {
        let source = format!(
            "operation `{}`, parameter `{}`",
            plan.operation_id, param.name
        );
        match &param.kind {
            ParamKind::ProjectRef if project_by_id => Ok("ProjectRef::id(1)".to_owned()),
            ParamKind::ProjectRef => Ok(format!("ProjectRef::name({SAMPLE_PROJECT:?})")),
            ParamKind::RepositoryName { .. } => Ok(format!("{SAMPLE_REPOSITORY:?}")),
            ParamKind::QueryLanguage => Ok(format!(
                "harbor_client::query::Query::builder().exact(\"name\", {SAMPLE_STRING:?}).build().expect(\"the sample query is valid\")"
            )),
            ParamKind::Plain | ParamKind::Array { .. } => {
                if param.name == "project_name" && param.ty == RustType::String {
                    return Ok(format!("{SAMPLE_PROJECT:?}"));
                }
                if let Some(default) = &param.sent_default {
                    return Ok(format!("{default:?}"));
                }
                if param.ty == RustType::I64 {
                    return Ok(integer_sample(param.minimum, param.maximum).to_string());
                }
                self.value(&param.ty, string_format(&param.description), 0, &source)
            }
        }
    }

    /// Returns a sample value of `ty`. `format` is the swagger format of a string.
    fn value(
        &self,
        ty: &RustType,
        format: Option<&str>,
        depth: usize,
        source: &str,
    ) -> anyhow::Result<String> {
        let value = match ty {
            RustType::String => format!("{:?}.to_owned()", string_sample(format)),
            RustType::I64 => "1_i64".to_owned(),
            RustType::U64 => "1_u64".to_owned(),
            RustType::F64 => "1.5_f64".to_owned(),
            RustType::Bool => "true".to_owned(),
            RustType::Json => {
                format!("serde_json::json!({{ {SAMPLE_STRING:?}: {SAMPLE_STRING:?} }})")
            }
            RustType::Secret => {
                format!("harbor_client::generated::Secret::new({SAMPLE_STRING:?})")
            }
            RustType::Vec(item) => format!("vec![{}]", self.value(item, None, depth, source)?),
            RustType::Map(value) => format!(
                "std::collections::BTreeMap::from([({SAMPLE_STRING:?}.to_owned(), {})])",
                self.value(value, None, depth, source)?
            ),
            RustType::Model(name) | RustType::Local(name) => self.named(name, depth, source)?,
        };
        Ok(value)
    }

    /// Returns a sample value of a generated struct, enum or alias.
    fn named(&self, name: &str, depth: usize, source: &str) -> anyhow::Result<String> {
        let Some(known) = self.types.get(name) else {
            bail!("{source}: the generated type {name} is unknown to the contract generator");
        };
        match known {
            KnownType::Alias(ty) => self.value(ty, None, depth, source),
            KnownType::Enum { def, module } => match def.variants.first() {
                Some((variant, _)) => Ok(format!("{module}::{name}::{variant}")),
                None => bail!("{source}: the enum {name} has no values"),
            },
            KnownType::Struct { def, module } => {
                if depth >= MAX_DEPTH {
                    return Ok(format!("{module}::{name}::default()"));
                }
                let mut fields = Vec::new();
                for field in &def.fields {
                    let field_source = format!("{source}, {name}.{}", field.json_name);
                    let value = self.value(
                        &field.ty,
                        string_format(&field.description),
                        depth + 1,
                        &field_source,
                    )?;
                    fields.push(format!("{}: Some({value})", field.rust_name));
                }
                if let Some(additional) = &def.additional {
                    let value = self.value(additional, None, depth + 1, source)?;
                    fields.push(format!(
                        "{}: std::collections::BTreeMap::from([(\"additional\".to_owned(), {value})])",
                        super::items::ADDITIONAL_FIELD
                    ));
                }
                Ok(format!("{module}::{name} {{ {} }}", fields.join(", ")))
            }
        }
    }
}

/// Returns 1, moved into the inclusive bounds when they exclude it.
fn integer_sample(minimum: Option<i64>, maximum: Option<i64>) -> i64 {
    let mut value = 1;
    if let Some(minimum) = minimum {
        value = value.max(minimum);
    }
    if let Some(maximum) = maximum {
        value = value.min(maximum);
    }
    value
}

/// Returns the sample of a string with the swagger `format`.
fn string_sample(format: Option<&str>) -> &'static str {
    match format {
        Some("date-time") => SAMPLE_DATE_TIME,
        Some("uri") => SAMPLE_URI,
        _ => SAMPLE_STRING,
    }
}

/// Returns the string format named in a description from [`super::types::describe`], which
/// writes a formatted string as `string, <format>`.
fn string_format(description: &str) -> Option<&str> {
    let rest = description.strip_prefix("string, ")?;
    rest.split(',').next().map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_sample_respects_bounds() {
        assert_eq!(integer_sample(None, None), 1);
        assert_eq!(integer_sample(None, Some(100)), 1);
        assert_eq!(integer_sample(Some(5), None), 5);
        assert_eq!(integer_sample(None, Some(0)), 0);
    }

    #[test]
    fn string_format_reads_described_format() {
        assert_eq!(string_format("string, date-time"), Some("date-time"));
        assert_eq!(string_format("string, uri, default `x` sent"), Some("uri"));
        assert_eq!(string_format("string"), None);
        assert_eq!(string_format("integer, int64"), None);
    }

    fn recursive_struct() -> BTreeMap<String, KnownType> {
        let def = StructDef {
            name: "Node".to_owned(),
            source: "definition `Node`".to_owned(),
            fields: vec![super::super::types::FieldDef {
                json_name: "child".to_owned(),
                rust_name: "child".to_owned(),
                ty: RustType::Model("Node".to_owned()),
                description: "`Node`".to_owned(),
                aliases: Vec::new(),
            }],
            additional: None,
        };
        BTreeMap::from([(
            "Node".to_owned(),
            KnownType::Struct {
                def,
                module: "models".to_owned(),
            },
        )])
    }

    #[test]
    fn recursive_struct_stops_at_max_depth() {
        let types = recursive_struct();
        let samples = Samples { types: &types };
        let value = samples
            .value(&RustType::Model("Node".to_owned()), None, 0, "test")
            .unwrap();
        assert_eq!(value.matches("models::Node {").count(), MAX_DEPTH);
        assert_eq!(value.matches("models::Node::default()").count(), 1);
    }

    #[test]
    fn enum_sample_is_first_value() {
        let def = EnumDef {
            name: "Kind".to_owned(),
            source: "test".to_owned(),
            variants: vec![
                ("Http".to_owned(), "http".to_owned()),
                ("Ssh".to_owned(), "ssh".to_owned()),
            ],
        };
        let types = BTreeMap::from([(
            "Kind".to_owned(),
            KnownType::Enum {
                def,
                module: "operations::webhook".to_owned(),
            },
        )]);
        let samples = Samples { types: &types };
        let value = samples
            .value(&RustType::Local("Kind".to_owned()), None, 0, "test")
            .unwrap();
        assert_eq!(value, "operations::webhook::Kind::Http");
    }

    #[test]
    fn unknown_type_is_an_error() {
        let types = BTreeMap::new();
        let samples = Samples { types: &types };
        let error = samples
            .value(&RustType::Model("Missing".to_owned()), None, 0, "test")
            .unwrap_err();
        assert!(error.to_string().contains("Missing"), "{error}");
    }

    #[test]
    fn pinned_spec_gives_one_call_per_operation() {
        let spec = crate::specs_dir().join("harbor/swagger.yaml");
        let outputs = super::super::generate_outputs(&spec).unwrap();
        let calls = &outputs.contract_calls.content;
        assert!(calls.starts_with(GENERATED_HEADER));
        assert_eq!(calls.matches("\nfn ").count(), 203);
        assert_eq!(calls.matches("Call::new(").count(), 203);
    }

    #[test]
    fn string_samples_follow_format() {
        assert_eq!(string_sample(Some("date-time")), SAMPLE_DATE_TIME);
        assert_eq!(string_sample(Some("uri")), SAMPLE_URI);
        assert_eq!(string_sample(None), SAMPLE_STRING);
    }
}
