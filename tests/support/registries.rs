//! CNCF distribution registries started by `cargo xtask test`, and images built in memory
//! and pushed to them with `oci-transfer`.

use bytes::Bytes;
use oci_transfer::manifest::{Manifest, OCI_INDEX, OCI_MANIFEST};
use oci_transfer::{
    BasicCredentials, ManifestReference, RegistryClient, RepositoryName, sha256_digest,
};
use secrecy::SecretString;
use serde_json::json;

/// Reads a variable set by `cargo xtask test`. Missing: panics when `CI` is set, else prints
/// why the test is skipped and returns `None`.
pub fn env_or_skip(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "{name} is not set: run the tests with `cargo xtask test`, which starts the registries"
            )
        }
        _ => {
            eprintln!(
                "skipped: {name} is not set; `cargo xtask test` starts the registries and sets it"
            );
            None
        }
    }
}

/// URL of the registry without authentication.
pub fn anonymous_registry() -> Option<String> {
    env_or_skip("HARBOR_AZURE_TEST_REGISTRY")
}

/// URL, user and password of the registry with htpasswd authentication.
pub fn htpasswd_registry() -> Option<(String, String, SecretString)> {
    Some((
        env_or_skip("HARBOR_AZURE_TEST_REGISTRY_HTPASSWD")?,
        env_or_skip("HARBOR_AZURE_TEST_REGISTRY_USER")?,
        SecretString::from(env_or_skip("HARBOR_AZURE_TEST_REGISTRY_PASSWORD")?),
    ))
}

/// Builds a client of `url` that opens one connection per request, as a fault proxy needs.
pub fn client_without_pool(url: &str) -> RegistryClient {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    RegistryClient::builder(url)
        .http_client(http)
        .build()
        .unwrap()
}

/// Builds a client of the htpasswd registry with its credentials.
pub fn htpasswd_client(url: &str, user: &str, password: &SecretString) -> RegistryClient {
    RegistryClient::builder(url)
        .credentials(BasicCredentials::new(user, password.clone()))
        .build()
        .unwrap()
}

/// Returns a path prefix unique to this test run, such as `run-3f2a…`.
pub fn unique_prefix() -> String {
    format!("run-{:016x}", fastrand::u64(..))
}

/// An image built in memory: its blobs and the manifest that lists them.
pub struct TestImage {
    pub blobs: Vec<Bytes>,
    pub manifest: Manifest,
}

/// Builds an OCI image with one random layer of `size` bytes for `linux/<architecture>`.
pub fn random_image(size: usize, architecture: &str) -> TestImage {
    let mut layer = vec![0u8; size];
    fastrand::fill(&mut layer);
    let layer = Bytes::from(layer);
    let config = Bytes::from(
        json!({
            "architecture": architecture,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&layer).to_string()]},
            "config": {}
        })
        .to_string(),
    );
    let descriptor = |media_type: &str, bytes: &Bytes| json!({"mediaType": media_type, "digest": sha256_digest(bytes).to_string(), "size": bytes.len()});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", &layer)],
    });
    let manifest = Manifest::from_bytes(
        Bytes::from(manifest.to_string()),
        Some(OCI_MANIFEST),
        "test",
    )
    .unwrap();
    TestImage {
        blobs: vec![config, layer],
        manifest,
    }
}

/// Builds an OCI index over `images`, each `(image, architecture)` for `linux`.
pub fn index_of(images: &[(&TestImage, &str)]) -> Manifest {
    let manifests: Vec<_> = images
        .iter()
        .map(|(image, architecture)| {
            json!({
                "mediaType": image.manifest.media_type,
                "digest": image.manifest.digest.to_string(),
                "size": image.manifest.bytes.len(),
                "platform": {"os": "linux", "architecture": architecture},
            })
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    Manifest::from_bytes(Bytes::from(index.to_string()), Some(OCI_INDEX), "test").unwrap()
}

/// Pushes an image's blobs and its manifest by digest.
pub async fn push_image(client: &RegistryClient, repository: &str, image: &TestImage) {
    let repository = RepositoryName::new(repository).unwrap();
    for bytes in &image.blobs {
        let session = client.start_upload(&repository).await.unwrap();
        let stream = futures_util::stream::iter([Ok(bytes.clone())]);
        client
            .upload_blob(
                &repository,
                session,
                &sha256_digest(bytes),
                bytes.len() as u64,
                stream,
                Box::new(|_| {}),
            )
            .await
            .unwrap();
    }
    let reference = ManifestReference::Digest(image.manifest.digest.clone());
    client
        .put_manifest(&repository, &reference, &image.manifest)
        .await
        .unwrap();
}

/// Pushes `manifest` under `tag`.
pub async fn push_tag(client: &RegistryClient, repository: &str, tag: &str, manifest: &Manifest) {
    let repository = RepositoryName::new(repository).unwrap();
    client
        .put_manifest(&repository, &ManifestReference::tag(tag).unwrap(), manifest)
        .await
        .unwrap();
}
