//! Token authentication against a registry in `auth.token` mode with a token server started by
//! the test: scopes for mounts, and a token that expires during a copy.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use oci_transfer::{
    BasicCredentials, Copier, CopyOptions, Endpoint, ProgressEvent, ProgressSink, RegistryClient,
};
use secrecy::SecretString;
use support::registry_process::{RegistryProcess, start_registry};
use support::token_server::{self, Lifetimes};
use support::*;

const NORMAL: Lifetimes = Lifetimes {
    first_token_valid_for: 300,
    reported_expires_in: 300,
};

async fn token_registry(
    lifetimes: Lifetimes,
) -> Option<(
    token_server::TokenServer,
    RegistryProcess,
    tempfile::TempDir,
)> {
    let user = ("ci-robot".to_owned(), "token-test-password".to_owned());
    let tokens = token_server::start(lifetimes, Some(user)).await;
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(&tokens.registry_auth_yaml(dir.path())).await?;
    Some((tokens, registry, dir))
}

fn client(url: &str) -> RegistryClient {
    RegistryClient::builder(url)
        .credentials(BasicCredentials::new(
            "ci-robot",
            SecretString::from("token-test-password"),
        ))
        .build()
        .unwrap()
}

#[tokio::test]
async fn mount_token_has_both_scopes() {
    let Some((tokens, registry, _dir)) = token_registry(NORMAL).await else {
        return;
    };
    let client = client(&registry.url);
    let image = random_image(&[5000], "amd64");
    push_image(&client, "base/nginx", Some("v1"), &image).await;

    let report = Copier::new(CopyOptions::default())
        .unwrap()
        .copy(
            &Endpoint::registry(&client, "base/nginx", "v1").unwrap(),
            &Endpoint::registry(&client, "mirror/nginx", "v1").unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(report.blobs_mounted, 2);
    let scopes = tokens.requested_scopes().await;
    let expected = vec![
        "repository:mirror/nginx:pull,push".to_owned(),
        "repository:base/nginx:pull".to_owned(),
    ];
    assert!(
        scopes.contains(&expected),
        "a token request names both repositories: {scopes:?}"
    );
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let Some((_tokens, registry, _dir)) = token_registry(NORMAL).await else {
        return;
    };
    let client = RegistryClient::builder(&registry.url)
        .credentials(BasicCredentials::new(
            "ci-robot",
            SecretString::from("wrong-password"),
        ))
        .build()
        .unwrap();
    let error = client
        .start_upload(&oci_transfer::RepositoryName::new("a/b").unwrap())
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, oci_transfer::Error::Auth { .. }),
        "{message}"
    );
    assert!(message.contains("401"), "{message}");
    assert!(!message.contains("wrong-password"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiring_mid_copy_is_refreshed() {
    // distribution accepts a token up to 60 s after its `exp`, so the first token, which
    // expired 55 s ago, is accepted for about 5 s; the server still reports 300 s, so only the
    // registry's 401 makes the client fetch a new one.
    let lifetimes = Lifetimes {
        first_token_valid_for: -55,
        reported_expires_in: 300,
    };
    let Some((tokens, registry, _dir)) = token_registry(lifetimes).await else {
        return;
    };
    let client = client(&registry.url);
    let layout_dir = tempfile::tempdir().unwrap();
    let image = random_image(&[50_000, 60_000, 70_000], "amd64");
    let layout = write_layout(layout_dir.path(), "v1", &image).await;
    let options = CopyOptions {
        max_concurrent_blobs: 1,
        progress: ProgressSink::new(|event| {
            if let ProgressEvent::BlobDone { .. } = event {
                // Let the first token expire while the copy is between blobs.
                std::thread::sleep(Duration::from_secs(3));
            }
        }),
        ..CopyOptions::default()
    };

    let report = Copier::new(options)
        .unwrap()
        .copy(
            &Endpoint::layout(&layout, "v1").unwrap(),
            &Endpoint::registry(&client, "expiring/image", "v1").unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(report.blobs_copied, 4);
    assert!(
        tokens.issued.load(Ordering::SeqCst) >= 2,
        "the expired token was replaced"
    );
}
