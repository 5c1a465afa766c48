//! Mapping of swagger schemas to Rust types, collecting the structs and enums that inline schemas
//! need.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};

use super::naming;
use super::spec::{AdditionalProperties, Schema, definition_name};

/// A Rust type used by a field, a parameter or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RustType {
    String,
    I64,
    U64,
    F64,
    Bool,
    /// Any JSON value: untyped schemas and objects without properties.
    Json,
    /// A string property that contains a credential: `crate::generated::Secret`.
    Secret,
    Vec(Box<RustType>),
    /// A JSON object with arbitrary keys.
    Map(Box<RustType>),
    /// A type generated for a swagger definition, in the `models` module.
    Model(String),
    /// A type generated for an inline schema, in the same file as its user.
    Local(String),
}

/// The module a type is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A file below `generated/models/`.
    Models,
    /// A file below `generated/operations/`.
    Operations,
}

impl RustType {
    /// Renders the type as Rust source, as seen from `scope`.
    pub(crate) fn render(&self, scope: Scope) -> String {
        match self {
            Self::String => "String".to_owned(),
            Self::I64 => "i64".to_owned(),
            Self::U64 => "u64".to_owned(),
            Self::F64 => "f64".to_owned(),
            Self::Bool => "bool".to_owned(),
            Self::Json => "serde_json::Value".to_owned(),
            Self::Secret => "crate::generated::Secret".to_owned(),
            Self::Vec(item) => format!("Vec<{}>", item.render(scope)),
            Self::Map(value) => format!(
                "std::collections::BTreeMap<String, {}>",
                value.render(scope)
            ),
            Self::Model(name) => match scope {
                Scope::Models => format!("super::{name}"),
                Scope::Operations => format!("crate::generated::models::{name}"),
            },
            Self::Local(name) => match scope {
                Scope::Models => format!("super::{name}"),
                Scope::Operations => name.clone(),
            },
        }
    }
}

/// A struct generated for a definition or an inline object schema.
#[derive(Debug, Clone)]
pub(crate) struct StructDef {
    pub(crate) name: String,
    /// Origin of the schema for doc comments and errors, for example "definition `Artifact`".
    pub(crate) source: String,
    pub(crate) fields: Vec<FieldDef>,
    /// Type of the values of `additionalProperties`, kept in a flattened map.
    pub(crate) additional: Option<RustType>,
}

/// One property of a [`StructDef`].
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub(crate) json_name: String,
    pub(crate) rust_name: String,
    pub(crate) ty: RustType,
    /// Schema facts for the doc comment, for example `string, date-time`.
    pub(crate) description: String,
    /// Other JSON names accepted when decoding.
    pub(crate) aliases: Vec<String>,
}

/// A string enum generated for a schema with `enum`, with a catch-all for unknown values.
#[derive(Debug, Clone)]
pub(crate) struct EnumDef {
    pub(crate) name: String,
    pub(crate) source: String,
    /// Variant name and JSON value, in the order of the swagger.
    pub(crate) variants: Vec<(String, String)>,
}

/// A type that a file has to define besides its main item.
#[derive(Debug, Clone)]
pub(crate) enum TypeDef {
    Struct(StructDef),
    Enum(EnumDef),
}

impl TypeDef {
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Struct(def) => &def.name,
            Self::Enum(def) => &def.name,
        }
    }
}

/// Maps schemas to Rust types and records the inline types they need.
#[derive(Debug)]
pub(crate) struct TypeMapper<'a> {
    /// Rust name of every definition, by swagger name.
    definitions: &'a BTreeMap<String, String>,
    /// Every type name handed out so far, to detect clashes.
    reserved_names: &'a mut BTreeSet<String>,
    /// Inline types created since the last [`TypeMapper::take_inline`].
    inline: Vec<TypeDef>,
}

impl<'a> TypeMapper<'a> {
    pub(crate) fn new(
        definitions: &'a BTreeMap<String, String>,
        reserved_names: &'a mut BTreeSet<String>,
    ) -> Self {
        Self {
            definitions,
            reserved_names,
            inline: Vec::new(),
        }
    }

    /// Returns and clears the inline types created so far.
    pub(crate) fn take_inline(&mut self) -> Vec<TypeDef> {
        std::mem::take(&mut self.inline)
    }

    /// Maps `schema` to a Rust type. An inline object or enum becomes a new type named `hint`.
    /// `source` names the origin of the schema in doc comments and errors.
    pub(crate) fn map(
        &mut self,
        schema: &Schema,
        hint: &str,
        source: &str,
    ) -> anyhow::Result<RustType> {
        if let Some(reference) = &schema.reference {
            let name = definition_name(reference)?;
            let rust_name = self
                .definitions
                .get(name)
                .with_context(|| format!("{source}: reference {reference} is not defined"))?;
            return Ok(RustType::Model(rust_name.clone()));
        }
        if schema.all_of.is_some() {
            bail!("{source}: allOf is not supported by the generator");
        }
        if let Some(values) = &schema.enum_values {
            let def = self.enum_def(hint, source, values)?;
            return Ok(RustType::Local(def));
        }

        match schema.kind.as_deref() {
            Some("string") => Ok(RustType::String),
            Some("integer") => Ok(integer_type(schema.format.as_deref())),
            Some("number") => Ok(RustType::F64),
            Some("boolean") => Ok(RustType::Bool),
            Some("array") => {
                let item = match &schema.items {
                    Some(items) => self.map(items, &format!("{hint}Item"), source)?,
                    None => RustType::Json,
                };
                Ok(RustType::Vec(Box::new(item)))
            }
            Some("object") | None => self.map_object(schema, hint, source),
            Some("file") => bail!("{source}: type file is only supported in responses"),
            Some(other) => bail!("{source}: unknown schema type {other}"),
        }
    }

    fn map_object(
        &mut self,
        schema: &Schema,
        hint: &str,
        source: &str,
    ) -> anyhow::Result<RustType> {
        if schema.properties.is_some() {
            let def = self.struct_def(hint, source, schema)?;
            let name = def.name.clone();
            self.inline.push(TypeDef::Struct(def));
            return Ok(RustType::Local(name));
        }
        match &schema.additional_properties {
            Some(AdditionalProperties::Schema(values)) => {
                let value = self.map(values, &format!("{hint}Value"), source)?;
                Ok(RustType::Map(Box::new(value)))
            }
            Some(AdditionalProperties::Allowed(true)) => {
                Ok(RustType::Map(Box::new(RustType::Json)))
            }
            Some(AdditionalProperties::Allowed(false)) | None => Ok(RustType::Json),
        }
    }

    /// Builds the struct for an object schema and reserves its name.
    pub(crate) fn struct_def(
        &mut self,
        name: &str,
        source: &str,
        schema: &Schema,
    ) -> anyhow::Result<StructDef> {
        self.reserve(name, source)?;
        let mut fields: Vec<FieldDef> = Vec::new();
        let properties = schema.properties.clone().unwrap_or_default();

        for (json_name, property) in properties.iter() {
            let rust_name = naming::field_name(json_name);
            if additional_name_clash(schema, &rust_name) {
                bail!(
                    "{source}: property {json_name} clashes with the map of additionalProperties"
                );
            }
            if let Some(other) = fields.iter().find(|field| field.rust_name == rust_name) {
                bail!(
                    "{source}: properties {} and {json_name} both map to the Rust field {rust_name}",
                    other.json_name
                );
            }
            let property_source = format!("{source}, property `{json_name}`");
            let hint = format!("{name}{}", naming::pascal_case(json_name));
            let mut ty = self.map(property, &hint, &property_source)?;
            let mut description = self.describe(property);
            if ty == RustType::String && super::secret::is_secret_property(json_name) {
                ty = RustType::Secret;
                description.push_str(", secret");
            }
            fields.push(FieldDef {
                json_name: json_name.clone(),
                rust_name,
                ty,
                description,
                aliases: quoted_name_alias(json_name).into_iter().collect(),
            });
        }

        let additional = match &schema.additional_properties {
            Some(AdditionalProperties::Schema(values)) => {
                let hint = format!("{name}Value");
                Some(self.map(values, &hint, source)?)
            }
            Some(AdditionalProperties::Allowed(true)) => Some(RustType::Json),
            Some(AdditionalProperties::Allowed(false)) | None => None,
        };

        Ok(StructDef {
            name: name.to_owned(),
            source: source.to_owned(),
            fields,
            additional,
        })
    }

    /// Builds the enum for a schema with `enum`, records it as an inline type and returns its
    /// name.
    pub(crate) fn enum_def(
        &mut self,
        name: &str,
        source: &str,
        values: &[serde_json::Value],
    ) -> anyhow::Result<String> {
        self.reserve(name, source)?;
        let mut variants: Vec<(String, String)> = Vec::new();
        for value in values {
            let Some(text) = value.as_str() else {
                bail!(
                    "{source}: enum value {value} is not a string; only string enums are supported"
                );
            };
            let variant = naming::variant_name(text);
            if variant == "Unknown" {
                bail!("{source}: enum value {text} clashes with the catch-all variant Unknown");
            }
            if let Some((_, other)) = variants.iter().find(|(name, _)| *name == variant) {
                bail!("{source}: enum values {other} and {text} both map to the variant {variant}");
            }
            variants.push((variant, text.to_owned()));
        }
        self.inline.push(TypeDef::Enum(EnumDef {
            name: name.to_owned(),
            source: source.to_owned(),
            variants,
        }));
        Ok(name.to_owned())
    }

    /// Reserves a type name, failing when another generated type already has it.
    pub(crate) fn reserve(&mut self, name: &str, source: &str) -> anyhow::Result<()> {
        if !self.reserved_names.insert(name.to_owned()) {
            bail!("{source}: the generated type name {name} is already used by another type");
        }
        Ok(())
    }

    /// Describes a schema for a doc comment: `string, date-time`, `array of Platform`.
    pub(crate) fn describe(&self, schema: &Schema) -> String {
        describe(schema, self.definitions)
    }
}

/// Reports whether `rust_name` is the field that keeps `additionalProperties` of `schema`.
fn additional_name_clash(schema: &Schema, rust_name: &str) -> bool {
    let keeps_additional = matches!(
        schema.additional_properties,
        Some(AdditionalProperties::Schema(_) | AdditionalProperties::Allowed(true))
    );
    keeps_additional && rust_name == super::items::ADDITIONAL_FIELD
}

/// Returns the name inside single quotes for a property named like `'os.version'`.
///
/// NOTE: Harbor v2.15.2's swagger writes the `Platform` properties as `'''os.version'''`, which
/// YAML reads as a name with the quotes. The field is serialized under that literal name, as the
/// swagger defines it, and decoding also accepts the name without quotes, because it is unverified
/// which one Harbor sends.
fn quoted_name_alias(json_name: &str) -> Option<String> {
    let inner = json_name.strip_prefix('\'')?.strip_suffix('\'')?;
    (!inner.is_empty()).then(|| inner.to_owned())
}

/// Maps an integer format to a Rust type: `uint64` to `u64`, every other format (including none,
/// `int32` and `int8`) to `i64`, the widest signed type, so a 32-bit value always fits.
fn integer_type(format: Option<&str>) -> RustType {
    match format {
        Some("uint64") => RustType::U64,
        _ => RustType::I64,
    }
}

/// Describes a schema for a doc comment, naming definitions by their Rust name.
pub(crate) fn describe(schema: &Schema, definitions: &BTreeMap<String, String>) -> String {
    if let Some(reference) = &schema.reference {
        let name = definition_name(reference).unwrap_or(reference);
        let rust_name = definitions.get(name).map_or(name, String::as_str);
        return format!("`{rust_name}`");
    }
    if schema.enum_values.is_some() {
        return "string enum".to_owned();
    }
    let with_format = |kind: &str| match &schema.format {
        Some(format) => format!("{kind}, {format}"),
        None => kind.to_owned(),
    };
    match schema.kind.as_deref() {
        Some("array") => match &schema.items {
            Some(items) => format!("array of {}", describe(items, definitions)),
            None => "array".to_owned(),
        },
        Some("object") | None if schema.properties.is_some() => "object".to_owned(),
        Some("object") | None => match &schema.additional_properties {
            Some(AdditionalProperties::Schema(values)) => {
                format!("map of string to {}", describe(values, definitions))
            }
            Some(AdditionalProperties::Allowed(true)) => "map of string to any JSON".to_owned(),
            _ => "any JSON".to_owned(),
        },
        Some(kind) => with_format(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(kind: &str, format: Option<&str>) -> Schema {
        Schema {
            kind: Some(kind.to_owned()),
            format: format.map(str::to_owned),
            ..Schema::default()
        }
    }

    #[test]
    fn integers_map_to_i64_except_unsigned_64() {
        let definitions = BTreeMap::new();
        let mut reserved_names = BTreeSet::new();
        let mut mapper = TypeMapper::new(&definitions, &mut reserved_names);
        for format in [
            None,
            Some("int32"),
            Some("int8"),
            Some("int64"),
            Some("int"),
        ] {
            let ty = mapper.map(&schema("integer", format), "X", "test").unwrap();
            assert_eq!(ty, RustType::I64, "format {format:?}");
        }
        let ty = mapper
            .map(&schema("integer", Some("uint64")), "X", "test")
            .unwrap();
        assert_eq!(ty, RustType::U64);
    }

    #[test]
    fn untyped_schema_maps_to_json_value() {
        let definitions = BTreeMap::new();
        let mut reserved_names = BTreeSet::new();
        let mut mapper = TypeMapper::new(&definitions, &mut reserved_names);
        let ty = mapper.map(&Schema::default(), "X", "test").unwrap();
        assert_eq!(ty, RustType::Json);
        assert_eq!(ty.render(Scope::Models), "serde_json::Value");
    }

    #[test]
    fn reference_renders_per_scope() {
        let definitions = BTreeMap::from([("Error".to_owned(), "ErrorItem".to_owned())]);
        let mut reserved_names = BTreeSet::new();
        let mut mapper = TypeMapper::new(&definitions, &mut reserved_names);
        let reference = Schema {
            reference: Some("#/definitions/Error".to_owned()),
            ..Schema::default()
        };
        let ty = mapper.map(&reference, "X", "test").unwrap();
        assert_eq!(ty.render(Scope::Models), "super::ErrorItem");
        assert_eq!(
            ty.render(Scope::Operations),
            "crate::generated::models::ErrorItem"
        );
    }

    #[test]
    fn undefined_reference_is_an_error() {
        let definitions = BTreeMap::new();
        let mut reserved_names = BTreeSet::new();
        let mut mapper = TypeMapper::new(&definitions, &mut reserved_names);
        let reference = Schema {
            reference: Some("#/definitions/Missing".to_owned()),
            ..Schema::default()
        };
        let error = mapper.map(&reference, "X", "test").unwrap_err();
        assert!(
            error.to_string().contains("#/definitions/Missing"),
            "{error}"
        );
    }

    #[test]
    fn string_enum_becomes_inline_enum() {
        let definitions = BTreeMap::new();
        let mut reserved_names = BTreeSet::new();
        let mut mapper = TypeMapper::new(&definitions, &mut reserved_names);
        let values = vec![serde_json::json!("values.yaml"), serde_json::json!("sbom")];
        let enum_schema = Schema {
            kind: Some("string".to_owned()),
            enum_values: Some(values),
            ..Schema::default()
        };
        let ty = mapper.map(&enum_schema, "Addition", "test").unwrap();
        assert_eq!(ty, RustType::Local("Addition".to_owned()));
        let inline = mapper.take_inline();
        let [TypeDef::Enum(def)] = inline.as_slice() else {
            panic!("expected one enum, got {inline:?}");
        };
        assert_eq!(
            def.variants[0],
            ("ValuesYaml".to_owned(), "values.yaml".to_owned())
        );
        assert_eq!(def.variants[1], ("Sbom".to_owned(), "sbom".to_owned()));
    }
}
