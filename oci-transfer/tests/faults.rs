//! Fault injection between the copier and a real registry: a connection dropped mid-blob, a
//! 500 on the manifest PUT. Each leaves no tag behind and a repeated copy completes.

mod support;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oci_transfer::{
    Copier, CopyOptions, Endpoint, Error, ManifestReference, ProgressEvent, ProgressSink,
    RegistryClient, RepositoryName, RetryPolicy,
};
use support::proxy::{self, Faults};
use support::*;

/// Builds a client that opens one connection per request, so the proxy reads every request
/// line.
fn client_through(url: &str) -> RegistryClient {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    RegistryClient::builder(url)
        .http_client(http)
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
}

fn host_port(url: &url::Url) -> String {
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
}

async fn tag_exists(client: &RegistryClient, repository: &str, tag: &str) -> bool {
    client
        .manifest_exists(
            &RepositoryName::new(repository).unwrap(),
            &ManifestReference::tag(tag).unwrap(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn dropped_blob_download_is_retried() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("drop");
    let image = random_image(&[512 * 1024], "amd64");
    push_image(&registry, &repository, Some("v1"), &image).await;
    let faults = Arc::new(Faults {
        drop_after_bytes: 100 * 1024,
        ..Faults::default()
    });
    faults.drop_blob_gets.store(1, Ordering::SeqCst);
    let source =
        client_through(&proxy::start(host_port(registry.base_url()), faults.clone()).await);
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let recorder = attempts.clone();
    let options = CopyOptions {
        retry: fast_retry(),
        max_concurrent_blobs: 1,
        progress: ProgressSink::new(move |event| {
            if let ProgressEvent::BlobStarted { attempt, .. } = event {
                recorder.lock().unwrap().push(*attempt);
            }
        }),
        ..CopyOptions::default()
    };
    let destination = unique_repository("drop-copy");

    let report = Copier::new(options)
        .unwrap()
        .copy(
            &Endpoint::registry(&source, &repository, "v1").unwrap(),
            &Endpoint::layout(
                &oci_transfer::OciLayout::create(
                    tempfile::tempdir().unwrap().keep().join(&destination),
                )
                .await
                .unwrap(),
                "v1",
            )
            .unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(faults.injected.load(Ordering::SeqCst), 1);
    assert_eq!(report.blobs_copied, 2);
    assert!(
        attempts.lock().unwrap().contains(&2),
        "the dropped blob restarted as attempt 2"
    );
}

#[tokio::test]
async fn dropped_blob_without_retries_leaves_no_tag() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("drop-once");
    let image = random_image(&[512 * 1024, 300 * 1024], "amd64");
    push_image(&registry, &repository, Some("v1"), &image).await;
    let faults = Arc::new(Faults {
        drop_after_bytes: 64 * 1024,
        ..Faults::default()
    });
    faults.drop_blob_gets.store(1, Ordering::SeqCst);
    let source =
        client_through(&proxy::start(host_port(registry.base_url()), faults.clone()).await);
    let destination = unique_repository("drop-once-copy");
    let endpoints = (
        Endpoint::registry(&source, &repository, "v1").unwrap(),
        Endpoint::registry(&registry, &destination, "v1").unwrap(),
    );
    let no_retry = CopyOptions {
        retry: RetryPolicy::disabled(),
        ..CopyOptions::default()
    };

    let error = Copier::new(no_retry)
        .unwrap()
        .copy(&endpoints.0, &endpoints.1)
        .await
        .unwrap_err();
    assert!(
        error.is_retryable(),
        "a dropped connection is retryable: {error}"
    );
    assert_eq!(faults.injected.load(Ordering::SeqCst), 1);
    assert!(
        !tag_exists(&registry, &destination, "v1").await,
        "no tag after the failed copy"
    );

    let report = Copier::new(CopyOptions::default())
        .unwrap()
        .copy(&endpoints.0, &endpoints.1)
        .await
        .unwrap();
    assert_eq!(report.digest, image.manifest.digest);
    assert!(tag_exists(&registry, &destination, "v1").await);
}

#[tokio::test]
async fn failed_manifest_put_leaves_no_tag() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("put-500");
    let image = random_image(&[100_000, 2000], "amd64");
    push_image(&registry, &repository, Some("v1"), &image).await;
    let faults = Arc::new(Faults::default());
    faults.fail_manifest_puts.store(1, Ordering::SeqCst);
    let destination_client =
        client_through(&proxy::start(host_port(registry.base_url()), faults.clone()).await);
    let destination = unique_repository("put-500-copy");
    let source = Endpoint::registry(&registry, &repository, "v1").unwrap();
    let target = Endpoint::registry(&destination_client, &destination, "v1").unwrap();
    let copier = Copier::new(CopyOptions::default()).unwrap();

    let error = copier.copy(&source, &target).await.unwrap_err();
    assert_eq!(
        error.status().map(|status| status.as_u16()),
        Some(500),
        "{error}"
    );
    assert!(matches!(error, Error::Status { .. }));
    assert!(
        !tag_exists(&registry, &destination, "v1").await,
        "no tag after the failed PUT"
    );

    let report = copier.copy(&source, &target).await.unwrap();
    assert_eq!(
        report.blobs_skipped, 3,
        "blobs of the failed run are reused"
    );
    assert!(tag_exists(&registry, &destination, "v1").await);
}
