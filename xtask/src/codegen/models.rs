//! The `generated/models/` files: one module per swagger definition, re-exported by `mod.rs`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::bail;

use super::items::{self, code};
use super::naming;
use super::spec::{Schema, Spec};
use super::types::{Scope, TypeDef, TypeMapper};
use super::{GENERATED_HEADER, GeneratedFile};

/// Returns the Rust type name of every definition, by swagger name.
pub(crate) fn definition_names(spec: &Spec) -> anyhow::Result<BTreeMap<String, String>> {
    let mut names = BTreeMap::new();
    let mut rust_names: BTreeMap<String, String> = BTreeMap::new();
    for (name, _) in spec.definitions.iter() {
        let rust_name = naming::type_name(name);
        if let Some(other) = rust_names.insert(rust_name.clone(), name.clone()) {
            bail!("definitions {other} and {name} both map to the Rust type {rust_name}");
        }
        names.insert(name.clone(), rust_name);
    }
    Ok(names)
}

/// Generates one file per definition and `models/mod.rs`.
pub(crate) fn generate(
    spec: &Spec,
    mapper: &mut TypeMapper<'_>,
    names: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<GeneratedFile>> {
    let mut files = Vec::new();
    // Module name -> exported type names, sorted by module.
    let mut modules: BTreeMap<String, Vec<String>> = BTreeMap::new();

    let mut definitions: Vec<&(String, Schema)> = spec.definitions.iter().collect();
    definitions.sort_by(|a, b| a.0.cmp(&b.0));

    for (name, schema) in definitions {
        let rust_name = &names[name];
        let module = naming::module_name(rust_name);
        let source = format!("definition `{}`", code(name));

        let main_item = definition_item(mapper, rust_name, &source, schema)?;
        let inline = mapper.take_inline();

        let mut exported = vec![rust_name.clone()];
        exported.extend(inline.iter().map(|def| def.name().to_owned()));
        if modules.insert(module.clone(), exported).is_some() {
            bail!("two definitions map to the module name {module}; rename one of them");
        }

        let mut content = String::new();
        let _ = writeln!(content, "{GENERATED_HEADER}");
        let _ = writeln!(
            content,
            "//! Definition `{}` of Harbor's swagger.\n",
            code(name)
        );
        content.push_str(&main_item);
        for def in &inline {
            content.push('\n');
            content.push_str(&items::render_type_def(def, Scope::Models));
        }
        files.push(GeneratedFile {
            path: format!("models/{module}.rs"),
            content,
        });
    }

    files.push(GeneratedFile {
        path: "models/mod.rs".to_owned(),
        content: render_mod(&modules),
    });
    Ok(files)
}

/// Renders the main item of a definition: a struct, an enum or a type alias.
fn definition_item(
    mapper: &mut TypeMapper<'_>,
    rust_name: &str,
    source: &str,
    schema: &Schema,
) -> anyhow::Result<String> {
    if schema.all_of.is_some() {
        bail!("{source}: allOf is not supported by the generator");
    }
    if let Some(values) = &schema.enum_values {
        mapper.enum_def(rust_name, source, values)?;
        let inline = mapper.take_inline();
        let Some(TypeDef::Enum(def)) = inline.first() else {
            bail!("{source}: the enum was not recorded");
        };
        return Ok(items::render_enum(def));
    }

    let is_object = matches!(schema.kind.as_deref(), Some("object") | None);
    if is_object && schema.properties.is_some() && schema.reference.is_none() {
        let def = mapper.struct_def(rust_name, source, schema)?;
        return Ok(items::render_struct(&def, Scope::Models));
    }

    mapper.reserve(rust_name, source)?;
    let description = mapper.describe(schema);
    // Arrays and maps of inline schemas name their item types `<name>Item` and `<name>Value`.
    let ty = mapper.map(schema, rust_name, source)?;
    Ok(items::render_alias(
        rust_name,
        source,
        &description,
        &ty.render(Scope::Models),
    ))
}

fn render_mod(modules: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{GENERATED_HEADER}");
    out.push_str(
        "//! Models: one module per definition of Harbor's swagger, re-exported here.\n\
         //!\n\
         //! Every property is an `Option` and missing properties decode to `None`, because Harbor\n\
         //! omits many of them. `None` is never serialized, so it is never sent as `null`.\n\
         //! Unknown properties are ignored. Date-time properties are `String`s as Harbor sends\n\
         //! them (RFC 3339). String enums keep values they do not list in an `Unknown` variant.\n\n",
    );
    for module in modules.keys() {
        let _ = writeln!(out, "mod {module};");
    }
    out.push('\n');
    for (module, exported) in modules {
        let _ = writeln!(out, "pub use self::{module}::{{{}}};", exported.join(", "));
    }
    out
}
