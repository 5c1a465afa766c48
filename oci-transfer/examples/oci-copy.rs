//! Command-line front end of the copier, used by `cargo xtask bench copy`.
//!
//! ```text
//! oci-copy copy <source-url> <source-repository> <source-tag> <destination-url> <destination-repository> <destination-tag>
//! oci-copy seed <registry-url> <repository> <tag> <layer-count> <layer-size-mib>
//! ```
//!
//! `copy` prints the copy report as one JSON line. `seed` pushes an image of random layers,
//! generated twice from one seed (once to hash, once to upload) so no layer is held in memory.

use bytes::Bytes;
use futures_util::stream;
use oci_transfer::manifest::{Manifest, OCI_MANIFEST};
use oci_transfer::{
    Copier, CopyOptions, Endpoint, ManifestReference, RegistryClient, RepositoryName, sha256_digest,
};
use serde_json::json;
use sha2::Digest as _;

const CHUNK: usize = 1024 * 1024;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["copy", source_url, source_repository, source_tag, destination_url, destination_repository, destination_tag] => {
            // One HTTP client for both registries: building a client loads the system root
            // certificates, which takes a noticeable part of a short copy.
            let http = reqwest::Client::builder()
                .user_agent(concat!("oci-copy/", env!("CARGO_PKG_VERSION")))
                .build()?;
            let source = RegistryClient::builder(*source_url)
                .http_client(http.clone())
                .build()?;
            let destination = RegistryClient::builder(*destination_url)
                .http_client(http)
                .build()?;
            let report = Copier::new(CopyOptions::default())?
                .copy(
                    &Endpoint::registry(&source, source_repository, source_tag)?,
                    &Endpoint::registry(&destination, destination_repository, destination_tag)?,
                )
                .await?;
            println!(
                "{}",
                json!({
                    "digest": report.digest.to_string(),
                    "blobs_copied": report.blobs_copied,
                    "blobs_skipped": report.blobs_skipped,
                    "blobs_mounted": report.blobs_mounted,
                    "bytes_copied": report.bytes_copied,
                })
            );
            Ok(())
        }
        ["seed", url, repository, tag, count, size_mib] => {
            seed(url, repository, tag, count.parse()?, size_mib.parse()?).await
        }
        _ => Err("usage: oci-copy copy SRC_URL SRC_REPO SRC_TAG DST_URL DST_REPO DST_TAG | oci-copy seed URL REPO TAG LAYERS SIZE_MIB".into()),
    }
}

/// Chunks of a random layer, reproducible from `seed`.
fn layer_chunks(seed: u64, size: u64) -> impl Iterator<Item = Bytes> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut left = size;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let length = left.min(CHUNK as u64) as usize;
        let mut chunk = vec![0u8; length];
        rng.fill(&mut chunk);
        left -= length as u64;
        Some(Bytes::from(chunk))
    })
}

async fn seed(
    url: &str,
    repository: &str,
    tag: &str,
    count: u64,
    size_mib: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = RegistryClient::builder(url).build()?;
    let name = RepositoryName::new(repository)?;
    let size = size_mib * 1024 * 1024;
    let mut layers = Vec::new();
    for index in 0..count {
        let seed = fastrand::u64(..);
        let mut hasher = sha2::Sha256::new();
        for chunk in layer_chunks(seed, size) {
            hasher.update(&chunk);
        }
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let digest: oci_spec::image::Digest = format!("sha256:{hex}").parse()?;
        let session = client.start_upload(&name).await?;
        let chunks = stream::iter(layer_chunks(seed, size).map(Ok));
        client
            .upload_blob(&name, session, &digest, size, chunks, Box::new(|_| {}))
            .await?;
        eprintln!("seed: layer {index} {digest}");
        layers.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest.to_string(), "size": size}));
    }
    let config = Bytes::from(json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).to_string());
    let config_digest = sha256_digest(&config);
    let session = client.start_upload(&name).await?;
    client
        .upload_blob(
            &name,
            session,
            &config_digest,
            config.len() as u64,
            stream::iter([Ok(config.clone())]),
            Box::new(|_| {}),
        )
        .await?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len()},
        "layers": layers,
    });
    let manifest = Manifest::from_bytes(
        Bytes::from(manifest.to_string()),
        Some(OCI_MANIFEST),
        "seed",
    )?;
    client
        .put_manifest(&name, &ManifestReference::tag(tag)?, &manifest)
        .await?;
    println!("{}", manifest.digest);
    Ok(())
}
