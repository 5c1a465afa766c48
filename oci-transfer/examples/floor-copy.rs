//! The streaming floor of `cargo xtask bench copy`: the least work a copy between two
//! registries without auth can do. Each blob's `GET` response is piped into one monolithic
//! upload, all blobs in parallel, then the manifest is pushed. No existence checks, no digest
//! verification, no retries.
//!
//! ```text
//! floor-copy <source-url> <source-repository> <tag> <destination-url> <destination-repository>
//! ```

use futures_util::future::try_join_all;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use serde_json::Value;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [
        source,
        source_repository,
        tag,
        destination,
        destination_repository,
    ] = args.as_slice()
    else {
        return Err("usage: floor-copy SRC_URL SRC_REPO TAG DST_URL DST_REPO".into());
    };
    let http = reqwest::Client::new();
    let manifest_url = format!("{source}/v2/{source_repository}/manifests/{tag}");
    let response = http
        .get(&manifest_url)
        .header(ACCEPT, oci_transfer::manifest::MANIFEST_ACCEPT)
        .send()
        .await?
        .error_for_status()?;
    let media_type = response
        .headers()
        .get(CONTENT_TYPE)
        .cloned()
        .ok_or("manifest without Content-Type")?;
    let manifest = response.bytes().await?;
    let parsed: Value = serde_json::from_slice(&manifest)?;
    let mut blobs = vec![parsed["config"].clone()];
    blobs.extend(parsed["layers"].as_array().cloned().unwrap_or_default());

    try_join_all(blobs.iter().map(|blob| {
        let http = http.clone();
        async move {
            let digest = blob["digest"].as_str().ok_or("blob without digest")?;
            let size = blob["size"].as_u64().ok_or("blob without size")?;
            let download = http
                .get(format!("{source}/v2/{source_repository}/blobs/{digest}"))
                .send()
                .await?
                .error_for_status()?;
            let session = http
                .post(format!(
                    "{destination}/v2/{destination_repository}/blobs/uploads/"
                ))
                .send()
                .await?
                .error_for_status()?;
            let location = session
                .headers()
                .get(LOCATION)
                .ok_or("upload without Location")?
                .to_str()?;
            let mut upload = url::Url::parse(destination)?.join(location)?;
            upload.query_pairs_mut().append_pair("digest", digest);
            http.put(upload)
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(CONTENT_LENGTH, size)
                .body(reqwest::Body::wrap_stream(download.bytes_stream()))
                .send()
                .await?
                .error_for_status()?;
            Ok::<(), BoxError>(())
        }
    }))
    .await?;

    http.put(format!(
        "{destination}/v2/{destination_repository}/manifests/{tag}"
    ))
    .header(CONTENT_TYPE, media_type)
    .body(manifest)
    .send()
    .await?
    .error_for_status()?;
    Ok(())
}
