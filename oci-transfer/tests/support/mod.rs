//! Shared helpers of the integration tests: registries from `cargo xtask test`, random images,
//! skopeo, and registries the tests start themselves.

#![allow(dead_code, unreachable_pub)]

pub mod proxy;
pub mod registry_process;
pub mod token_server;
pub mod token_signer;

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use oci_transfer::manifest::{Manifest, OCI_INDEX, OCI_MANIFEST};
use oci_transfer::{
    BasicCredentials, ManifestReference, OciLayout, RegistryClient, RepositoryName, sha256_digest,
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

/// Client of the anonymous registry from `cargo xtask test`.
pub fn anonymous_registry() -> Option<RegistryClient> {
    let url = env_or_skip("HARBOR_AZURE_TEST_REGISTRY")?;
    Some(
        RegistryClient::builder(url)
            .build()
            .expect("valid registry URL"),
    )
}

/// URL, user and password of the htpasswd registry from `cargo xtask test`.
pub fn htpasswd_registry() -> Option<(String, String, String)> {
    Some((
        env_or_skip("HARBOR_AZURE_TEST_REGISTRY_HTPASSWD")?,
        env_or_skip("HARBOR_AZURE_TEST_REGISTRY_USER")?,
        env_or_skip("HARBOR_AZURE_TEST_REGISTRY_PASSWORD")?,
    ))
}

/// Client of the htpasswd registry with its credentials.
pub fn htpasswd_client() -> Option<RegistryClient> {
    let (url, user, password) = htpasswd_registry()?;
    Some(
        RegistryClient::builder(url)
            .credentials(BasicCredentials::new(user, SecretString::from(password)))
            .build()
            .expect("valid registry URL"),
    )
}

/// Returns a repository name unique to this test run.
pub fn unique_repository(prefix: &str) -> String {
    format!("{prefix}/{}", uuid::Uuid::new_v4().simple())
}

/// Random bytes.
pub fn random_bytes(size: usize) -> Bytes {
    let mut bytes = vec![0u8; size];
    fastrand::fill(&mut bytes);
    Bytes::from(bytes)
}

/// An image built in memory: blobs and the manifest that lists them.
pub struct TestImage {
    pub blobs: Vec<(oci_spec::image::Digest, Bytes)>,
    pub manifest: Manifest,
}

/// Builds an OCI image with random layers of `layer_sizes` bytes for `os/architecture`.
pub fn random_image(layer_sizes: &[usize], architecture: &str) -> TestImage {
    let layers: Vec<Bytes> = layer_sizes.iter().map(|size| random_bytes(*size)).collect();
    let config = Bytes::from(
        json!({
            "architecture": architecture,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|layer| sha256_digest(layer).to_string()).collect::<Vec<_>>()},
            "config": {}
        })
        .to_string(),
    );
    let descriptor = |media_type: &str, bytes: &Bytes| json!({"mediaType": media_type, "digest": sha256_digest(bytes).to_string(), "size": bytes.len()});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": layers.iter().map(|layer| descriptor("application/vnd.oci.image.layer.v1.tar", layer)).collect::<Vec<_>>(),
    });
    let manifest = Manifest::from_bytes(
        Bytes::from(manifest.to_string()),
        Some(OCI_MANIFEST),
        "test",
    )
    .expect("valid manifest");
    let mut blobs = vec![(sha256_digest(&config), config)];
    blobs.extend(
        layers
            .into_iter()
            .map(|layer| (sha256_digest(&layer), layer)),
    );
    TestImage { blobs, manifest }
}

/// Builds an OCI index over `images` with their platforms.
pub fn index_of(images: &[(&TestImage, &str, Option<&str>)]) -> Manifest {
    let manifests: Vec<_> = images
        .iter()
        .map(|(image, architecture, variant)| {
            let mut platform = json!({"os": "linux", "architecture": architecture});
            if let Some(variant) = variant {
                platform["variant"] = json!(variant);
            }
            json!({
                "mediaType": image.manifest.media_type,
                "digest": image.manifest.digest.to_string(),
                "size": image.manifest.bytes.len(),
                "platform": platform,
            })
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    Manifest::from_bytes(Bytes::from(index.to_string()), Some(OCI_INDEX), "test")
        .expect("valid index")
}

/// Pushes an image's blobs and its manifest (by digest, and by `tag` when given) with our
/// client.
pub async fn push_image(
    client: &RegistryClient,
    repository: &str,
    tag: Option<&str>,
    image: &TestImage,
) {
    let repository = RepositoryName::new(repository).unwrap();
    for (digest, bytes) in &image.blobs {
        let session = client.start_upload(&repository).await.unwrap();
        let stream = futures_util::stream::iter([Ok(bytes.clone())]);
        client
            .upload_blob(
                &repository,
                session,
                digest,
                bytes.len() as u64,
                stream,
                Box::new(|_| {}),
            )
            .await
            .unwrap();
    }
    push_manifest(client, &repository, tag, &image.manifest).await;
}

/// Pushes a manifest by digest, and by `tag` when given.
pub async fn push_manifest(
    client: &RegistryClient,
    repository: &RepositoryName,
    tag: Option<&str>,
    manifest: &Manifest,
) {
    let reference = match tag {
        Some(tag) => ManifestReference::tag(tag).unwrap(),
        None => ManifestReference::Digest(manifest.digest.clone()),
    };
    client
        .put_manifest(repository, &reference, manifest)
        .await
        .unwrap();
}

/// Writes an image into an OCI layout under `tag`.
pub async fn write_layout(dir: &Path, tag: &str, image: &TestImage) -> OciLayout {
    let layout = OciLayout::create(dir).await.unwrap();
    for (digest, bytes) in &image.blobs {
        let stream = futures_util::stream::iter([Ok(bytes.clone())]);
        layout
            .put_blob(digest, bytes.len() as u64, stream, Box::new(|_| {}))
            .await
            .unwrap();
    }
    layout
        .put_manifest(&image.manifest, Some(tag), false)
        .await
        .unwrap();
    layout
}

/// Runs skopeo with `args` and returns its stdout; panics with its stderr on failure.
/// Credentials go in an auth file, never on the command line.
pub fn skopeo(args: &[&str]) -> String {
    let output = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo is installed by `cargo xtask test` (Debian package skopeo)");
    assert!(
        output.status.success(),
        "skopeo {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("skopeo prints UTF-8")
}

/// Writes a containers-auth.json for `registry` (host:port) into `dir` and returns its path.
pub fn skopeo_auth_file(dir: &Path, registry: &str, user: &str, password: &str) -> PathBuf {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let path = dir.join("auth.json");
    std::fs::write(
        &path,
        json!({"auths": {registry: {"auth": encoded}}}).to_string(),
    )
    .unwrap();
    path
}
