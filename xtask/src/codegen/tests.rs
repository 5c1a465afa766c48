//! Tests of the whole generator on copies of the pinned swagger that the tests change, so the
//! output is shown to follow the document rather than one fixed file.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{Value, json};

use super::writer::{self, ScratchDir};
use super::{GENERATED_HEADER, GeneratedFile, generate_from_path};

fn pinned_spec() -> Value {
    let path = crate::specs_dir().join("harbor/swagger.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_saphyr::from_str(&text).expect("the pinned swagger parses")
}

/// Adds a tag with one operation and a definition, and renames `Artifact.digest`.
fn modified_spec() -> Value {
    let mut spec = pinned_spec();
    spec["paths"]["/widgets/{widget_id}/parts"] = json!({
        "post": {
            "tags": ["widget shop"],
            "operationId": "createWidgetPart",
            "parameters": [
                {"$ref": "#/parameters/requestId"},
                {"name": "widget_id", "in": "path", "required": true, "type": "integer", "format": "int64"},
                {"name": "dry_run", "in": "query", "required": false, "type": "boolean"},
                {"name": "limit", "in": "query", "required": false, "type": "integer", "minimum": 1, "maximum": 50},
                {"name": "part", "in": "body", "required": true, "schema": {"$ref": "#/definitions/WidgetPart"}}
            ],
            "responses": {"201": {"$ref": "#/responses/201"}}
        }
    });
    spec["definitions"]["WidgetPart"] = json!({
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["bolt", "lock-nut"]},
            "ref": {"type": "string"},
            "weightGrams": {"type": "integer", "format": "int32"}
        }
    });
    let artifact = spec["definitions"]["Artifact"]["properties"]
        .as_object_mut()
        .expect("Artifact has properties");
    let digest = artifact.remove("digest").expect("Artifact has a digest");
    artifact.insert("contentDigest".to_owned(), digest);
    spec
}

/// Writes `spec` as YAML into a scratch folder and runs the generator on it.
fn generate(spec: &Value) -> Vec<GeneratedFile> {
    let dir = ScratchDir::create("test-spec").unwrap();
    let path: PathBuf = dir.path().join("swagger.yaml");
    std::fs::write(&path, serde_saphyr::to_string(spec).unwrap()).unwrap();
    generate_from_path(&path).unwrap()
}

/// Returns the files generated from [`modified_spec`], generated once for all tests.
fn modified_files() -> &'static [GeneratedFile] {
    static FILES: OnceLock<Vec<GeneratedFile>> = OnceLock::new();
    FILES.get_or_init(|| generate(&modified_spec()))
}

fn file<'a>(files: &'a [GeneratedFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|file| file.path == path)
        .unwrap_or_else(|| panic!("{path} was not generated"))
        .content
}

/// Returns the quoted entries of the `pub const NAME: &[&str]` list in `generated/mod.rs`.
fn const_list(root: &str, name: &str) -> Vec<String> {
    let start = root
        .find(&format!("pub const {name}"))
        .unwrap_or_else(|| panic!("{name} is missing"));
    let body = &root[start..];
    let end = body.find("];").expect("the list ends");
    body[..end]
        .lines()
        .skip(1)
        .map(|line| {
            line.trim()
                .trim_end_matches(',')
                .trim_matches('"')
                .to_owned()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn new_tag_gets_module_and_operation() {
    let files = modified_files();

    let widget_shop = file(files, "operations/widget_shop.rs");
    assert!(widget_shop.contains("pub struct CreateWidgetPart<C = crate::Client>"));
    assert!(widget_shop.contains("pub fn create_widget_part("));
    assert!(
        widget_shop
            .contains("pub fn new(widget_id: i64, part: crate::generated::models::WidgetPart)")
    );
    assert!(widget_shop.contains("pub fn dry_run(mut self, value: bool) -> Self"));
    assert!(widget_shop.contains("request.query.push((\"dry_run\", value.to_string()));"));
    assert!(widget_shop.contains("request.body = crate::Body::json(&self.part)?;"));
    assert!(widget_shop.contains("let widget_id_segment = self.widget_id.to_string();"));
    assert!(widget_shop.contains("format!(\"/widgets/{widget_id_segment}/parts\")"));
    assert!(widget_shop.contains("self.client.execute_created(request).await"));
    assert!(
        !widget_shop.contains("X-Request-Id\","),
        "the request id header is not exposed"
    );

    assert!(widget_shop.contains("if let Some(value) = self.limit\n            && value < 1"));
    assert!(widget_shop.contains("rule: std::borrow::Cow::Borrowed(\"must be at most 50\"),"));

    let operations = file(files, "operations/mod.rs");
    assert!(operations.contains("pub mod widget_shop;"));
}

#[test]
fn new_definition_maps_keywords_and_camel_case() {
    let files = modified_files();

    let model = file(files, "models/widget_part.rs");
    assert!(model.contains("pub struct WidgetPart {"));
    assert!(model.contains("pub r#type: Option<super::WidgetPartType>,"));
    assert!(model.contains("pub r#ref: Option<String>,"));
    assert!(
        model.contains(
            "#[serde(rename = \"weightGrams\", skip_serializing_if = \"Option::is_none\")]"
        )
    );
    assert!(model.contains("pub weight_grams: Option<i64>,"));
    assert!(model.contains("pub enum WidgetPartType {"));
    assert!(model.contains("LockNut,"));
    assert!(model.contains("\"lock-nut\" => Self::LockNut,"));
    assert!(model.contains("Unknown(String),"));

    let models = file(files, "models/mod.rs");
    assert!(models.contains("mod widget_part;"));
    assert!(models.contains("pub use self::widget_part::{WidgetPart, WidgetPartType};"));
}

#[test]
fn renamed_property_follows_the_spec() {
    let files = modified_files();

    let artifact = file(files, "models/artifact.rs");
    assert!(artifact.contains(
        "#[serde(rename = \"contentDigest\", skip_serializing_if = \"Option::is_none\")]"
    ));
    assert!(artifact.contains("pub content_digest: Option<String>,"));
    assert!(!artifact.contains("pub digest:"));
}

#[test]
fn lists_count_added_items() {
    let files = modified_files();
    let root = file(files, "mod.rs");

    let operation_ids = const_list(root, "OPERATION_IDS");
    let definition_names = const_list(root, "DEFINITION_NAMES");
    assert_eq!(operation_ids.len(), 204);
    assert_eq!(definition_names.len(), 154);
    assert!(operation_ids.contains(&"createWidgetPart".to_owned()));
    assert!(definition_names.contains(&"WidgetPart".to_owned()));
}

#[test]
fn every_file_is_marked_generated() {
    let files = generate(&pinned_spec());

    for file in &files {
        assert!(
            file.content.starts_with(GENERATED_HEADER),
            "{} does not start with the generated marker",
            file.path
        );
    }
}

#[test]
fn output_is_deterministic() {
    let spec = pinned_spec();

    assert_eq!(generate(&spec), generate(&spec));
}

#[test]
fn form_data_parameter_is_rejected_by_name() {
    let mut spec = pinned_spec();
    spec["paths"]["/uploads"] = json!({
        "post": {
            "tags": ["upload"],
            "operationId": "uploadFile",
            "parameters": [{"name": "file", "in": "formData", "type": "file"}],
            "responses": {"200": {"description": "ok"}}
        }
    });
    let dir = ScratchDir::create("test-spec").unwrap();
    let path = dir.path().join("swagger.yaml");
    std::fs::write(&path, serde_saphyr::to_string(&spec).unwrap()).unwrap();

    let error = generate_from_path(&path).unwrap_err().to_string();
    assert!(error.contains("uploadFile"), "{error}");
    assert!(error.contains("`file`"), "{error}");
    assert!(error.contains("formData"), "{error}");
}

#[test]
fn openapi_3_document_is_rejected() {
    let dir = ScratchDir::create("test-spec").unwrap();
    let path = dir.path().join("openapi.yaml");
    std::fs::write(
        &path,
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n",
    )
    .unwrap();

    let error = generate_from_path(&path).unwrap_err().to_string();
    assert!(error.contains("only Swagger 2.0"), "{error}");
}

#[test]
fn check_lists_changed_missing_and_stale_files() {
    let dir = ScratchDir::create("test-check").unwrap();
    let files = vec![
        GeneratedFile {
            path: "mod.rs".to_owned(),
            content: "// root\n".to_owned(),
        },
        GeneratedFile {
            path: "models/a.rs".to_owned(),
            content: "// a\n".to_owned(),
        },
    ];
    writer::write_files(dir.path(), &files).unwrap();
    assert!(
        writer::differing_files(dir.path(), &files)
            .unwrap()
            .is_empty()
    );

    std::fs::write(dir.path().join("mod.rs"), "// edited by hand\n").unwrap();
    std::fs::remove_file(dir.path().join("models/a.rs")).unwrap();
    std::fs::write(dir.path().join("models/old.rs"), "// old\n").unwrap();
    let differing = writer::differing_files(dir.path(), &files).unwrap();

    assert_eq!(
        differing,
        vec![
            "mod.rs (changed)".to_owned(),
            "models/a.rs (missing)".to_owned(),
            "models/old.rs (no longer generated)".to_owned(),
        ]
    );
}

#[test]
fn write_removes_stale_files() {
    let dir = ScratchDir::create("test-write").unwrap();
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    std::fs::write(dir.path().join("models/old.rs"), "// old\n").unwrap();
    let files = vec![GeneratedFile {
        path: "mod.rs".to_owned(),
        content: "// root\n".to_owned(),
    }];

    let changes = writer::write_files(dir.path(), &files).unwrap();

    assert_eq!(changes, 2);
    assert!(!dir.path().join("models/old.rs").exists());
    assert!(
        writer::differing_files(dir.path(), &files)
            .unwrap()
            .is_empty()
    );
}
