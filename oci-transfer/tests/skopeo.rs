//! skopeo as a second client: images pushed by one client and copied by the other keep their
//! digests.

mod support;

use oci_transfer::{
    Copier, CopyOptions, Endpoint, ManifestReference, RepositoryName, sha256_digest,
};
use support::*;

fn host_of(url: &str) -> &str {
    url.trim_start_matches("http://")
}

#[tokio::test]
async fn skopeo_push_then_our_copy_keeps_digest() {
    let Some(source) = anonymous_registry() else {
        return;
    };
    let Some((destination_url, user, password)) = htpasswd_registry() else {
        return;
    };
    let Some(destination) = htpasswd_client() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let image = random_image(&[200_000, 3000], "amd64");
    write_layout(&dir.path().join("layout"), "v1", &image).await;
    let repository = unique_repository("by-skopeo");
    let target = format!(
        "docker://{}/{repository}:v1",
        host_of(source.base_url().as_str().trim_end_matches('/'))
    );
    let layout_ref = format!("oci:{}:v1", dir.path().join("layout").display());
    skopeo(&["copy", "--dest-tls-verify=false", &layout_ref, &target]);
    let pushed_raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &target]);
    let pushed_digest = sha256_digest(pushed_raw.as_bytes());

    let report = Copier::new(CopyOptions::default())
        .unwrap()
        .copy(
            &Endpoint::registry(&source, &repository, "v1").unwrap(),
            &Endpoint::registry(&destination, &repository, "v1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(report.digest, pushed_digest);

    let auth = skopeo_auth_file(dir.path(), host_of(&destination_url), &user, &password);
    let copied_raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--authfile",
        auth.to_str().unwrap(),
        &format!("docker://{}/{repository}:v1", host_of(&destination_url)),
    ]);
    assert_eq!(sha256_digest(copied_raw.as_bytes()), pushed_digest);
}

#[tokio::test]
async fn our_push_then_skopeo_copy_keeps_digest() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let Some((destination_url, user, password)) = htpasswd_registry() else {
        return;
    };
    let repository = unique_repository("by-us");
    let image = random_image(&[150_000, 7], "arm64");
    push_image(&registry, &repository, Some("v1"), &image).await;
    let dir = tempfile::tempdir().unwrap();
    let auth = skopeo_auth_file(dir.path(), host_of(&destination_url), &user, &password);
    let source = format!(
        "docker://{}/{repository}:v1",
        host_of(registry.base_url().as_str().trim_end_matches('/'))
    );
    let destination = format!("docker://{}/{repository}:copied", host_of(&destination_url));
    // --preserve-digests: skopeo would otherwise gzip the uncompressed test layers.
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--dest-authfile",
        auth.to_str().unwrap(),
        &source,
        &destination,
    ]);

    let Some(client) = htpasswd_client() else {
        return;
    };
    let copied = client
        .get_manifest(
            &RepositoryName::new(&repository).unwrap(),
            &ManifestReference::tag("copied").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(copied.digest, image.manifest.digest);
    assert_eq!(copied.bytes, image.manifest.bytes);
}

#[tokio::test]
async fn our_layout_is_readable_by_skopeo() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("to-disk");
    let image = random_image(&[40_000], "amd64");
    push_image(&registry, &repository, Some("v1"), &image).await;
    let dir = tempfile::tempdir().unwrap();
    let layout = oci_transfer::OciLayout::create(dir.path().join("layout"))
        .await
        .unwrap();
    Copier::new(CopyOptions::default())
        .unwrap()
        .copy(
            &Endpoint::registry(&registry, &repository, "v1").unwrap(),
            &Endpoint::layout(&layout, "v1").unwrap(),
        )
        .await
        .unwrap();
    let raw = skopeo(&[
        "inspect",
        "--raw",
        &format!("oci:{}:v1", dir.path().join("layout").display()),
    ]);
    assert_eq!(sha256_digest(raw.as_bytes()), image.manifest.digest);
}
