//! Requests of generated operations, built as data without a server, and the generated models.

use futures_util::StreamExt;
use harbor_client::generated::models::{
    Artifact, ErrorItem, Icon, NativeReportSummary, PasswordReq, Platform, ProjectReq,
    ReplicationPolicy, RobotCreated, ScanDataExportRequest, ScheduleObj, ScheduleObjType,
};
use harbor_client::generated::operations::{
    artifact, gc, immutable, project, retention, scan, scan_data_export, systeminfo, user,
    webhookjob,
};
use harbor_client::generated::{DEFINITION_NAMES, OPERATION_IDS, Secret};
use harbor_client::{Body, ProjectRef, Request};
use http::Method;
use serde_json::json;
use wiremock::matchers::{body_json as body_json_matcher, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Value Harbor v2.15.2 documents as the default of `X-Accept-Vulnerabilities`.
const ACCEPT_VULNERABILITIES_DEFAULT: &str = "application/vnd.security.vulnerability.report; version=1.1, application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";

fn body_json(request: &Request) -> serde_json::Value {
    match &request.body {
        Body::Json(bytes) => serde_json::from_slice(bytes).expect("the body is JSON"),
        other => panic!("expected a JSON body, got {other:?}"),
    }
}

#[test]
fn list_artifacts_encodes_nested_repository_twice() {
    let request = artifact::ListArtifacts::new("library", "library/team/app/nginx")
        .page(1)
        .page_size(10)
        .build()
        .unwrap();

    assert_eq!(request.operation_id, "listArtifacts");
    assert_eq!(request.method, Method::GET);
    assert_eq!(
        request.path_template,
        "/projects/{project_name}/repositories/{repository_name}/artifacts"
    );
    assert_eq!(
        request.path,
        "/projects/library/repositories/team%252Fapp%252Fnginx/artifacts"
    );
    assert_eq!(request.query_value("page"), Some("1"));
    assert_eq!(request.query_value("page_size"), Some("10"));
    assert_eq!(request.accept, "application/json");
    assert_eq!(request.body, Body::Empty);
}

#[test]
fn list_artifacts_sends_only_set_query_parameters() {
    let request = artifact::ListArtifacts::new("library", "nginx")
        .with_scan_overview(true)
        .build()
        .unwrap();

    assert_eq!(
        request.path,
        "/projects/library/repositories/nginx/artifacts"
    );
    assert_eq!(
        request.query,
        vec![("with_scan_overview", "true".to_owned())]
    );
}

#[test]
fn list_artifacts_sends_accept_vulnerabilities_default() {
    let request = artifact::ListArtifacts::new("library", "nginx")
        .build()
        .unwrap();

    assert_eq!(
        request.header_value("X-Accept-Vulnerabilities"),
        Some(ACCEPT_VULNERABILITIES_DEFAULT)
    );
}

#[test]
fn accept_vulnerabilities_setter_replaces_default() {
    let request = artifact::ListArtifacts::new("library", "nginx")
        .accept_vulnerabilities("application/vnd.security.vulnerability.report; version=1.1")
        .build()
        .unwrap();

    assert_eq!(
        request.header_value("X-Accept-Vulnerabilities"),
        Some("application/vnd.security.vulnerability.report; version=1.1")
    );
}

#[test]
fn page_size_above_maximum_is_rejected() {
    let error = artifact::ListArtifacts::new("library", "nginx")
        .page_size(500)
        .build()
        .unwrap_err();

    let harbor_client::Error::InvalidArgument { name, value, rule } = error else {
        panic!("expected InvalidArgument, got {error:?}");
    };
    assert_eq!(name, "page_size");
    assert_eq!(value, "500");
    assert_eq!(rule, "must be at most 100");
}

#[test]
fn empty_path_parameters_are_rejected() {
    let cases = [
        (
            artifact::ListArtifacts::new("", "nginx").build(),
            "project_name",
        ),
        (
            artifact::ListArtifacts::new("library", "library/").build(),
            "repository_name",
        ),
        (
            project::GetProject::new(ProjectRef::name("")).build(),
            "project_name_or_id",
        ),
    ];

    for (result, expected) in cases {
        let error = result.unwrap_err();
        let harbor_client::Error::InvalidArgument { name, rule, .. } = error else {
            panic!("expected InvalidArgument for {expected}, got {error:?}");
        };
        assert_eq!(name, expected);
        assert_eq!(rule, "must not be empty");
    }
}

#[test]
fn get_project_by_digit_name() {
    let request = project::GetProject::new(ProjectRef::name("123"))
        .build()
        .unwrap();

    assert_eq!(request.path, "/projects/123");
    assert_eq!(request.header_value("X-Is-Resource-Name"), Some("true"));
}

#[test]
fn get_project_by_id() {
    let request = project::GetProject::new(ProjectRef::id(9)).build().unwrap();

    assert_eq!(request.path, "/projects/9");
    assert_eq!(request.header_value("X-Is-Resource-Name"), None);
}

#[test]
fn immutable_rules_by_name() {
    let request = immutable::ListImmuRules::new(ProjectRef::name("2024"))
        .build()
        .unwrap();

    assert_eq!(request.operation_id, "ListImmuRules");
    assert_eq!(request.path, "/projects/2024/immutabletagrules");
    assert_eq!(request.header_value("X-Is-Resource-Name"), Some("true"));
}

#[test]
fn get_artifact_sends_digest_reference_unencoded() {
    let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let request = artifact::GetArtifact::new("library", "team/app", digest)
        .build()
        .unwrap();

    assert_eq!(
        request.path,
        format!("/projects/library/repositories/team%252Fapp/artifacts/{digest}")
    );
}

#[test]
fn create_project_serializes_only_set_fields() {
    let project = ProjectReq {
        project_name: Some("team-a".to_owned()),
        public: Some(false),
        ..ProjectReq::default()
    };
    let request = project::CreateProject::new(project)
        .resource_name_in_location(true)
        .build()
        .unwrap();

    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/projects");
    assert_eq!(
        body_json(&request),
        json!({"project_name": "team-a", "public": false})
    );
    assert_eq!(
        request.header_value("X-Resource-Name-In-Location"),
        Some("true")
    );
}

#[test]
fn text_operation_accepts_plain_text() {
    let request = gc::GetGCLog::new(42).build().unwrap();

    assert_eq!(request.path, "/system/gc/42/log");
    assert_eq!(request.accept, "text/plain");
}

#[test]
fn bytes_operation_accepts_octet_stream() {
    let request = systeminfo::GetCert::new().build().unwrap();

    assert_eq!(request.path, "/systeminfo/getcert");
    assert_eq!(request.accept, "application/octet-stream");
}

#[test]
fn csv_download_accepts_csv_text() {
    let request = scan_data_export::DownloadScanData::new(7).build().unwrap();

    assert_eq!(request.path, "/export/cve/download/7");
    assert_eq!(request.accept, "text/csv");
}

#[test]
fn required_header_parameter_is_sent() {
    let criteria = ScanDataExportRequest {
        projects: Some(vec![1]),
        ..ScanDataExportRequest::default()
    };
    let request = scan_data_export::ExportScanData::new("vulnerability", criteria)
        .build()
        .unwrap();

    assert_eq!(request.path, "/export/cve");
    assert_eq!(
        request.header_value("X-Scan-Data-Type"),
        Some("vulnerability")
    );
    assert_eq!(body_json(&request), json!({"projects": [1]}));
}

#[test]
fn retention_trigger_sends_inline_body() {
    let body = retention::TriggerRetentionExecutionBody {
        dry_run: Some(true),
    };
    let request = retention::TriggerRetentionExecution::new(5, body)
        .build()
        .unwrap();

    assert_eq!(request.path, "/retentions/5/executions");
    assert_eq!(body_json(&request), json!({"dry_run": true}));
}

#[test]
fn array_query_parameter_is_joined_with_commas() {
    let request = webhookjob::ListWebhookJobs::new(ProjectRef::id(3), 11)
        .status(vec!["Success".to_owned(), "Error".to_owned()])
        .build()
        .unwrap();

    assert_eq!(request.query_value("policy_id"), Some("11"));
    assert_eq!(request.query_value("status"), Some("Success,Error"));
}

#[test]
fn enum_path_parameter_uses_its_json_value() {
    let request = artifact::GetAddition::new(
        "library",
        "nginx",
        "latest",
        artifact::GetAdditionAddition::ValuesYaml,
    )
    .build()
    .unwrap();

    assert_eq!(
        request.path,
        "/projects/library/repositories/nginx/artifacts/latest/additions/values.yaml"
    );
}

#[test]
fn vulnerabilities_addition_is_read_as_text() {
    let request = artifact::GetVulnerabilitiesAddition::new("library", "nginx", "latest")
        .build()
        .unwrap();

    assert_eq!(
        request.path,
        "/projects/library/repositories/nginx/artifacts/latest/additions/vulnerabilities"
    );
    assert_eq!(request.accept, "application/json");
}

#[test]
fn scan_artifact_sends_optional_body_only_when_set() {
    let without = scan::ScanArtifact::new("library", "nginx", "latest")
        .build()
        .unwrap();
    assert_eq!(without.body, Body::Empty);

    let scan_type = harbor_client::generated::models::ScanType {
        scan_type: Some(harbor_client::generated::models::ScanTypeScanType::Sbom),
    };
    let with = scan::ScanArtifact::new("library", "nginx", "latest")
        .scan_type(scan_type)
        .build()
        .unwrap();
    assert_eq!(body_json(&with), json!({"scan_type": "sbom"}));
}

#[test]
fn generated_lists_count_every_operation_and_definition() {
    assert_eq!(OPERATION_IDS.len(), 203);
    assert_eq!(DEFINITION_NAMES.len(), 153);
}

#[test]
fn generated_lists_are_sorted_and_unique() {
    assert!(OPERATION_IDS.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(DEFINITION_NAMES.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(OPERATION_IDS.contains(&"listArtifacts"));
    assert!(DEFINITION_NAMES.contains(&"Error"));
}

#[test]
fn artifact_decodes_scan_overview_keyed_by_media_type() {
    let artifact: Artifact = serde_json::from_value(json!({
        "digest": "sha256:abc",
        "field_from_a_newer_harbor": {"nested": true},
        "scan_overview": {
            "application/vnd.security.vulnerability.report; version=1.1": {
                "report_id": "r-1",
                "scan_status": "Success",
                "severity": "Critical",
                "summary": {"total": 3, "fixable": 1, "summary": {"Critical": 1, "High": 2}}
            },
            "application/vnd.example.unknown+json": {"severity": ""}
        }
    }))
    .unwrap();

    let overview = artifact.scan_overview.unwrap();
    let report = &overview["application/vnd.security.vulnerability.report; version=1.1"];
    assert_eq!(report.severity.as_deref(), Some("Critical"));
    let summary = report.summary.as_ref().unwrap();
    assert_eq!(summary.total, Some(3));
    assert_eq!(summary.summary.as_ref().unwrap()["High"], 2);
    let unknown = &overview["application/vnd.example.unknown+json"];
    assert_eq!(unknown.severity.as_deref(), Some(""));
}

#[test]
fn model_accepts_nulls_and_missing_fields() {
    let summary: NativeReportSummary =
        serde_json::from_value(json!({"report_id": null, "severity": ""})).unwrap();

    assert_eq!(summary.report_id, None);
    assert_eq!(summary.severity.as_deref(), Some(""));
    assert_eq!(summary.summary, None);
}

#[test]
fn model_never_serializes_none_as_null() {
    let policy = ReplicationPolicy {
        name: Some("to-acr".to_owned()),
        dest_namespace_replace_count: Some(0),
        ..ReplicationPolicy::default()
    };

    assert_eq!(
        serde_json::to_value(&policy).unwrap(),
        json!({"name": "to-acr", "dest_namespace_replace_count": 0})
    );
}

#[test]
fn keyword_property_keeps_its_json_name() {
    let schedule: ScheduleObj =
        serde_json::from_value(json!({"type": "Daily", "cron": "0 0 0 * * *"})).unwrap();

    assert_eq!(schedule.r#type, Some(ScheduleObjType::Daily));
    assert_eq!(
        serde_json::to_value(&schedule).unwrap(),
        json!({"type": "Daily", "cron": "0 0 0 * * *"})
    );
}

#[test]
fn enum_keeps_unknown_values() {
    let schedule: ScheduleObj = serde_json::from_value(json!({"type": "Monthly"})).unwrap();

    assert_eq!(
        schedule.r#type,
        Some(ScheduleObjType::Unknown("Monthly".to_owned()))
    );
    assert_eq!(
        serde_json::to_value(&schedule).unwrap(),
        json!({"type": "Monthly"})
    );
}

#[test]
fn error_definition_is_renamed_to_error_item() {
    let error: ErrorItem =
        serde_json::from_value(json!({"code": "NOT_FOUND", "message": "not found"})).unwrap();

    assert_eq!(error.code.as_deref(), Some("NOT_FOUND"));
}

#[test]
fn quoted_property_name_accepts_both_spellings() {
    // The swagger names this property `'os.version'`, quotes included.
    let quoted: Platform =
        serde_json::from_value(json!({"'os.version'": "10.0.17763", "architecture": "amd64"}))
            .unwrap();
    let plain: Platform =
        serde_json::from_value(json!({"os.version": "10.0.17763", "architecture": "amd64"}))
            .unwrap();

    assert_eq!(quoted.os_version.as_deref(), Some("10.0.17763"));
    assert_eq!(plain.os_version.as_deref(), Some("10.0.17763"));
    assert_eq!(
        serde_json::to_value(&plain).unwrap(),
        json!({"'os.version'": "10.0.17763", "architecture": "amd64"})
    );
}

#[test]
fn dashed_property_maps_to_snake_case() {
    let icon: Icon =
        serde_json::from_value(json!({"content-type": "image/png", "content": "aWNvbg=="}))
            .unwrap();

    assert_eq!(icon.content_type.as_deref(), Some("image/png"));
    assert_eq!(
        serde_json::to_value(&icon).unwrap(),
        json!({"content-type": "image/png", "content": "aWNvbg=="})
    );
}

#[test]
fn robot_secret_is_redacted_in_debug() {
    let robot: RobotCreated = serde_json::from_value(json!({
        "id": 7,
        "name": "robot$library+ci",
        "secret": "s3cr3t-EXAMPLE"
    }))
    .unwrap();

    let secret = robot.secret.as_ref().unwrap();
    assert_eq!(secret.expose_secret(), "s3cr3t-EXAMPLE");
    assert!(!format!("{robot:?}").contains("s3cr3t-EXAMPLE"));
    assert_eq!(
        serde_json::to_value(&robot).unwrap()["secret"],
        "s3cr3t-EXAMPLE"
    );
}

#[test]
fn password_request_redacts_debug_but_sends_body() {
    let password = PasswordReq {
        old_password: Some(Secret::new("old-EXAMPLE")),
        new_password: Some(Secret::new("new-EXAMPLE")),
    };
    let request = user::UpdateUserPassword::new(3, password);

    let debug = format!("{request:?}");
    assert!(!debug.contains("old-EXAMPLE"), "{debug}");
    assert!(!debug.contains("new-EXAMPLE"), "{debug}");
    let built = request.build().unwrap();
    assert_eq!(built.method, Method::PUT);
    assert_eq!(built.path, "/users/3/password");
    assert_eq!(
        body_json(&built),
        json!({"old_password": "old-EXAMPLE", "new_password": "new-EXAMPLE"})
    );
}

fn client(server: &MockServer) -> harbor_client::Client {
    harbor_client::Client::builder(server.uri())
        .build()
        .unwrap()
}

#[tokio::test]
async fn generated_list_streams_every_page() {
    let server = MockServer::start().await;
    let artifacts = "/api/v2.0/projects/library/repositories/team%252Fapp/artifacts";
    for (page, digests) in [(1, vec!["sha256:a", "sha256:b"]), (2, vec!["sha256:c"])] {
        let body: Vec<_> = digests
            .iter()
            .map(|digest| json!({"digest": digest}))
            .collect();
        Mock::given(method("GET"))
            .and(path(artifacts))
            .and(query_param("page", page.to_string()))
            .and(query_param("page_size", "2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .append_header("x-total-count", "3")
                    .set_body_json(body),
            )
            .expect(1)
            .mount(&server)
            .await;
    }

    let artifacts: Vec<Artifact> = client(&server)
        .list_artifacts("library", "library/team/app")
        .page_size(2)
        .stream()
        .map(Result::unwrap)
        .collect()
        .await;

    let digests: Vec<_> = artifacts
        .iter()
        .map(|artifact| artifact.digest.as_deref().unwrap())
        .collect();
    assert_eq!(digests, vec!["sha256:a", "sha256:b", "sha256:c"]);
    // wiremock's header matcher splits values at commas, so the header is compared here.
    for request in server.received_requests().await.unwrap() {
        let accept = request.headers.get("X-Accept-Vulnerabilities").unwrap();
        assert_eq!(accept, ACCEPT_VULNERABILITIES_DEFAULT);
    }
}

#[tokio::test]
async fn generated_text_operation_returns_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/system/gc/42/log"))
        .and(header("accept", "text/plain"))
        .respond_with(ResponseTemplate::new(200).set_body_string("gc done\n"))
        .expect(1)
        .mount(&server)
        .await;

    let log = client(&server).get_gc_log(42).send().await.unwrap();

    assert_eq!(log, "gc done\n");
}

#[tokio::test]
async fn generated_bytes_operation_returns_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/systeminfo/getcert"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0x30, 0x82, 0x01]))
        .expect(1)
        .mount(&server)
        .await;

    let cert = client(&server).get_cert().send().await.unwrap();

    assert_eq!(cert.as_ref(), [0x30, 0x82, 0x01]);
}

#[tokio::test]
async fn generated_create_returns_location() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/projects"))
        .and(body_json_matcher(json!({"project_name": "team-a"})))
        .respond_with(ResponseTemplate::new(201).append_header("location", "/api/v2.0/projects/42"))
        .expect(1)
        .mount(&server)
        .await;
    let project = ProjectReq {
        project_name: Some("team-a".to_owned()),
        ..ProjectReq::default()
    };

    let created = client(&server)
        .create_project(project)
        .send()
        .await
        .unwrap();

    assert_eq!(created.location.as_deref(), Some("/api/v2.0/projects/42"));
}

#[tokio::test]
async fn generated_json_operation_decodes_model() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/projects/123"))
        .and(header("X-Is-Resource-Name", "true"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"project_id": 5, "name": "123"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let project = client(&server)
        .get_project(ProjectRef::name("123"))
        .send()
        .await
        .unwrap();

    assert_eq!(project.project_id, Some(5));
    assert_eq!(project.name.as_deref(), Some("123"));
}

/// Fails to compile when a generated `send` returns another type than its response needs.
#[allow(dead_code)]
async fn send_return_types(client: &harbor_client::Client) -> Result<(), harbor_client::Error> {
    let _: harbor_client::Page<Artifact> = client.list_artifacts("library", "nginx").send().await?;
    let _: harbor_client::Created = client.create_project(ProjectReq::default()).send().await?;
    let _: harbor_client::Created = client
        .trigger_retention_execution(1, retention::TriggerRetentionExecutionBody::default())
        .send()
        .await?;
    let _: String = client.get_gc_log(1).send().await?;
    let _: String = client
        .get_vulnerabilities_addition("library", "nginx", "latest")
        .send()
        .await?;
    let _: String = client.download_scan_data(1).send().await?;
    let _: bytes::Bytes = client.get_cert().send().await?;
    let _: () = client.delete_project(ProjectRef::id(1)).send().await?;
    let _: harbor_client::generated::models::Project =
        client.get_project(ProjectRef::id(1)).send().await?;
    Ok(())
}
