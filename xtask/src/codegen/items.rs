//! Rust source for structs, enums and type aliases, shared by the models and operations emitters.

use std::fmt::Write as _;

use super::types::{EnumDef, RustType, Scope, StructDef, TypeDef};

/// Name of the flattened map that keeps `additionalProperties` of an object with properties.
pub(crate) const ADDITIONAL_FIELD: &str = "additional_properties";

/// Makes `text` safe inside a Markdown code span of a doc comment.
pub(crate) fn code(text: &str) -> String {
    text.replace('`', "'").replace(['\n', '\r'], " ")
}

/// Renders an inline or definition type.
pub(crate) fn render_type_def(def: &TypeDef, scope: Scope) -> String {
    match def {
        TypeDef::Struct(def) => render_struct(def, scope),
        TypeDef::Enum(def) => render_enum(def),
    }
}

/// Renders a struct whose fields are all optional, tolerant of unknown and missing properties.
pub(crate) fn render_struct(def: &StructDef, scope: Scope) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// Object schema of {} in Harbor's swagger.",
        def.source
    );
    out.push_str(
        "#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]\n",
    );
    out.push_str("#[serde(default)]\n");
    let _ = writeln!(out, "pub struct {} {{", def.name);

    for field in &def.fields {
        let _ = writeln!(
            out,
            "/// JSON property `{}` ({}).",
            code(&field.json_name),
            field.description
        );
        let mut attributes = Vec::new();
        if super::naming::unraw(&field.rust_name) != field.json_name {
            attributes.push(format!("rename = {:?}", field.json_name));
        }
        for alias in &field.aliases {
            attributes.push(format!("alias = {alias:?}"));
        }
        attributes.push("skip_serializing_if = \"Option::is_none\"".to_owned());
        let _ = writeln!(out, "#[serde({})]", attributes.join(", "));
        let _ = writeln!(
            out,
            "pub {}: Option<{}>,",
            field.rust_name,
            field.ty.render(scope)
        );
    }

    if let Some(value) = &def.additional {
        out.push_str("/// Properties the swagger does not name (`additionalProperties`).\n");
        out.push_str("#[serde(flatten)]\n");
        let map = RustType::Map(Box::new(value.clone()));
        let _ = writeln!(out, "pub {ADDITIONAL_FIELD}: {},", map.render(scope));
    }
    out.push_str("}\n");
    out
}

/// Renders a string enum with an `Unknown` variant that keeps values the swagger does not list,
/// and serde impls that read and write the plain string.
pub(crate) fn render_enum(def: &EnumDef) -> String {
    let name = &def.name;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// String enum of {} in Harbor's swagger.",
        def.source
    );
    out.push_str("///\n/// A value the swagger does not list decodes to `Unknown`.\n");
    out.push_str("#[derive(Debug, Clone, PartialEq, Eq, Hash)]\n");
    let _ = writeln!(out, "pub enum {name} {{");
    for (variant, value) in &def.variants {
        let _ = writeln!(out, "/// JSON value `{}`.", code(value));
        let _ = writeln!(out, "{variant},");
    }
    out.push_str("/// A value the swagger does not list, kept as received.\n");
    out.push_str("Unknown(String),\n}\n\n");

    let _ = writeln!(out, "impl {name} {{");
    out.push_str("/// Returns the JSON value of this variant.\n");
    out.push_str("pub fn as_str(&self) -> &str {\nmatch self {\n");
    for (variant, value) in &def.variants {
        let _ = writeln!(out, "Self::{variant} => {value:?},");
    }
    out.push_str("Self::Unknown(value) => value,\n}\n}\n}\n\n");

    let _ = writeln!(out, "impl From<&str> for {name} {{");
    out.push_str("fn from(value: &str) -> Self {\nmatch value {\n");
    for (variant, value) in &def.variants {
        let _ = writeln!(out, "{value:?} => Self::{variant},");
    }
    out.push_str("other => Self::Unknown(other.to_owned()),\n}\n}\n}\n\n");

    let _ = writeln!(out, "impl std::fmt::Display for {name} {{");
    out.push_str(
        "fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n\
         formatter.write_str(self.as_str())\n}\n}\n\n",
    );

    let _ = writeln!(out, "impl serde::Serialize for {name} {{");
    out.push_str(
        "fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {\n\
         serializer.serialize_str(self.as_str())\n}\n}\n\n",
    );

    let _ = writeln!(out, "impl<'de> serde::Deserialize<'de> for {name} {{");
    out.push_str(
        "fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\n\
         let value = <String as serde::Deserialize>::deserialize(deserializer)?;\n\
         Ok(Self::from(value.as_str()))\n}\n}\n",
    );
    out
}

/// Renders a type alias for a definition whose schema is a primitive, an array or a map.
pub(crate) fn render_alias(name: &str, source: &str, description: &str, ty: &str) -> String {
    format!("/// Schema of {source} in Harbor's swagger: {description}.\npub type {name} = {ty};\n")
}
