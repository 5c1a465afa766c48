//! Request shapes checked against wiremock: mount fallbacks, chunked ranges and resume,
//! the manifest `Accept` header.

use bytes::Bytes;
use oci_transfer::{ManifestReference, RegistryClient, RepositoryName, UploadMode, sha256_digest};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn repository(name: &str) -> RepositoryName {
    RepositoryName::new(name).unwrap()
}

#[tokio::test]
async fn mount_answered_202_continues_at_location() {
    let server = MockServer::start().await;
    let digest = sha256_digest(b"blob");
    Mock::given(method("POST"))
        .and(path("/v2/mirror/nginx/blobs/uploads/"))
        .and(query_param("mount", digest.as_ref()))
        .and(query_param("from", "base/nginx"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/mirror/nginx/blobs/uploads/u2?_state=s"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/mirror/nginx/blobs/uploads/u2"))
        .and(query_param("_state", "s"))
        .and(query_param("digest", digest.as_ref()))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let client = RegistryClient::builder(server.uri()).build().unwrap();

    let outcome = client
        .mount_blob(
            &repository("mirror/nginx"),
            &digest,
            &repository("base/nginx"),
        )
        .await
        .unwrap();
    let oci_transfer::blob::MountOutcome::Upload(session) = outcome else {
        panic!("expected an upload session")
    };
    let stream = futures_util::stream::iter([Ok(Bytes::from_static(b"blob"))]);
    client
        .upload_blob(
            &repository("mirror/nginx"),
            session,
            &digest,
            4,
            stream,
            Box::new(|_| {}),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn rejected_mount_falls_back_to_plain_upload() {
    let server = MockServer::start().await;
    let digest = sha256_digest(b"blob");
    Mock::given(method("POST"))
        .and(path("/v2/mirror/nginx/blobs/uploads/"))
        .and(query_param("from", "base/nginx"))
        .respond_with(ResponseTemplate::new(403))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/mirror/nginx/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/mirror/nginx/blobs/uploads/plain"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = RegistryClient::builder(server.uri()).build().unwrap();

    let outcome = client
        .mount_blob(
            &repository("mirror/nginx"),
            &digest,
            &repository("base/nginx"),
        )
        .await
        .unwrap();
    let oci_transfer::blob::MountOutcome::Upload(session) = outcome else {
        panic!("expected an upload session")
    };
    assert_eq!(session.url.path(), "/v2/mirror/nginx/blobs/uploads/plain");
}

#[tokio::test]
async fn chunked_upload_sends_ranges_and_resumes_after_416() {
    let server = MockServer::start().await;
    let blob: Vec<u8> = (0..2_621_440u32).map(|i| (i % 251) as u8).collect();
    let digest = sha256_digest(&blob);
    Mock::given(method("POST"))
        .and(path("/v2/r/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/r/blobs/uploads/u1?_state=a")
                .insert_header("Range", "0-0"),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/r/blobs/uploads/u1"))
        .and(header("content-range", "0-1048575"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/r/blobs/uploads/u1?_state=b")
                .insert_header("Range", "bytes=0-1048575"),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The second chunk first gets 416, and the status request shows nothing of it was stored.
    Mock::given(method("PATCH"))
        .and(path("/v2/r/blobs/uploads/u1"))
        .and(query_param("_state", "b"))
        .and(header("content-range", "1048576-2097151"))
        .respond_with(ResponseTemplate::new(416))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/r/blobs/uploads/u1"))
        .respond_with(
            ResponseTemplate::new(204)
                .insert_header("Location", "/v2/r/blobs/uploads/u1?_state=c")
                .insert_header("Range", "0-1048575"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/r/blobs/uploads/u1"))
        .and(query_param("_state", "c"))
        .and(header("content-range", "1048576-2097151"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/r/blobs/uploads/u1?_state=d")
                .insert_header("Range", "0-2097151"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/r/blobs/uploads/u1"))
        .and(query_param("_state", "d"))
        .and(query_param("digest", digest.as_ref()))
        .and(header("content-range", "2097152-2621439"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let client = RegistryClient::builder(server.uri())
        .upload_mode(UploadMode::Chunked {
            max_chunk: 1024 * 1024,
        })
        .build()
        .unwrap();

    let session = client.start_upload(&repository("r")).await.unwrap();
    assert_eq!(
        session.offset, 0,
        "Range 0-0 after POST means nothing is stored"
    );
    let chunks: Vec<Result<Bytes, oci_transfer::Error>> = blob
        .chunks(300_000)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    client
        .upload_blob(
            &repository("r"),
            session,
            &digest,
            blob.len() as u64,
            futures_util::stream::iter(chunks),
            Box::new(|_| {}),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn manifest_request_sends_full_accept_list() {
    let server = MockServer::start().await;
    let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    Mock::given(method("GET"))
        .and(path("/v2/r/manifests/v1"))
        .and(|request: &wiremock::Request| {
            let accept = request
                .headers
                .get("accept")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            let all_four = [
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ]
            .iter()
            .all(|media_type| accept.contains(media_type));
            all_four && !accept.contains("*/*")
        })
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_vec(), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = RegistryClient::builder(server.uri()).build().unwrap();
    let manifest = client
        .get_manifest(&repository("r"), &ManifestReference::tag("v1").unwrap())
        .await
        .unwrap();
    assert_eq!(
        manifest.media_type,
        oci_transfer::manifest::DOCKER_MANIFEST,
        "application/json takes the body's mediaType"
    );
}

#[tokio::test]
async fn tags_follow_link_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/r/tags/list"))
        .and(query_param("last", "b"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"name":"r","tags":["c"]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/r/tags/list"))
        .and(query_param("n", "100"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", r#"</v2/r/tags/list?last=b&n=100>; rel="next""#)
                .set_body_raw(r#"{"name":"r","tags":["a","b"]}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let client = RegistryClient::builder(server.uri()).build().unwrap();
    let tags: Vec<String> =
        futures_util::TryStreamExt::try_collect(client.list_tags(&repository("r")))
            .await
            .unwrap();
    assert_eq!(tags, ["a", "b", "c"]);
}

/// Mounts a registry on `server` that accepts Basic credentials only and opens upload
/// sessions at `location`.
async fn registry_with_upload_at(server: &MockServer, location: &str) {
    Mock::given(method("POST"))
        .and(path("/v2/r/blobs/uploads/"))
        .and(header("authorization", "Basic dXNlcjpzM2NyM3Q="))
        .respond_with(ResponseTemplate::new(202).insert_header("Location", location))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/r/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="r""#),
        )
        .with_priority(2)
        .mount(server)
        .await;
}

fn client_with_login(server: &MockServer, upload: UploadMode) -> RegistryClient {
    RegistryClient::builder(server.uri())
        .credentials(oci_transfer::BasicCredentials::new(
            "user",
            secrecy::SecretString::from("s3cr3t"),
        ))
        .upload_mode(upload)
        .build()
        .unwrap()
}

#[tokio::test]
async fn upload_on_other_host_gets_no_credentials() {
    for upload in [
        UploadMode::Monolithic,
        UploadMode::Chunked { max_chunk: 1024 },
    ] {
        let registry = MockServer::start().await;
        let storage = MockServer::start().await;
        registry_with_upload_at(&registry, &format!("{}/upload/u1", storage.uri())).await;
        Mock::given(method("PATCH"))
            .and(path("/upload/u1"))
            .respond_with(
                ResponseTemplate::new(202)
                    .insert_header("Location", format!("{}/upload/u1", storage.uri()))
                    .insert_header("Range", "0-3"),
            )
            .mount(&storage)
            .await;
        Mock::given(method("PUT"))
            .and(path("/upload/u1"))
            .respond_with(ResponseTemplate::new(201))
            .mount(&storage)
            .await;
        let client = client_with_login(&registry, upload);
        let digest = sha256_digest(b"blob");

        let session = client.start_upload(&repository("r")).await.unwrap();
        let stream = futures_util::stream::iter([Ok(Bytes::from_static(b"blob"))]);
        client
            .upload_blob(
                &repository("r"),
                session,
                &digest,
                4,
                stream,
                Box::new(|_| {}),
            )
            .await
            .unwrap();

        let received = storage.received_requests().await.unwrap();
        assert!(
            !received.is_empty(),
            "{upload:?}: the upload reached the other host"
        );
        for request in &received {
            assert!(
                !request.headers.contains_key("authorization"),
                "{upload:?}: {} {} carried credentials",
                request.method,
                request.url
            );
        }
    }
}

#[tokio::test]
async fn other_host_challenge_is_not_answered() {
    let registry = MockServer::start().await;
    let storage = MockServer::start().await;
    registry_with_upload_at(&registry, &format!("{}/upload/u1", storage.uri())).await;
    Mock::given(method("PUT"))
        .and(path("/upload/u1"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="other""#),
        )
        .mount(&storage)
        .await;
    let client = client_with_login(&registry, UploadMode::Monolithic);
    let digest = sha256_digest(b"blob");

    let session = client.start_upload(&repository("r")).await.unwrap();
    let stream = futures_util::stream::iter([Ok(Bytes::from_static(b"blob"))]);
    let error = client
        .upload_blob(
            &repository("r"),
            session,
            &digest,
            4,
            stream,
            Box::new(|_| {}),
        )
        .await
        .unwrap_err();

    assert_eq!(
        error.status().map(|status| status.as_u16()),
        Some(401),
        "{error}"
    );
    let received = storage.received_requests().await.unwrap();
    assert_eq!(
        received.len(),
        1,
        "the 401 was not answered with a second request"
    );
    assert!(!received[0].headers.contains_key("authorization"));
}
