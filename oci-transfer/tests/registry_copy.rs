//! Copies against a real CNCF distribution registry started by `cargo xtask test`.

mod support;

use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use oci_transfer::{
    Copier, CopyOptions, Endpoint, Error, ManifestReference, OciLayout, PlatformSelection,
    ProgressEvent, ProgressSink, RegistryClient, RepositoryName, UploadMode,
};
use support::*;

fn reference(tag: &str) -> ManifestReference {
    ManifestReference::tag(tag).unwrap()
}

#[tokio::test]
async fn copy_within_registry_mounts_blobs() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let source = unique_repository("src");
    let destination = unique_repository("dst");
    let image = random_image(&[4096, 8192], "amd64");
    push_image(&registry, &source, Some("v1"), &image).await;

    let copier = Copier::new(CopyOptions::default()).unwrap();
    let report = copier
        .copy(
            &Endpoint::registry(&registry, &source, "v1").unwrap(),
            &Endpoint::registry(&registry, &destination, "v1").unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(report.digest, image.manifest.digest);
    assert_eq!(
        report.blobs_mounted, 3,
        "config and both layers are mounted"
    );
    assert_eq!(report.blobs_copied, 0);
    let copied = registry
        .get_manifest(
            &RepositoryName::new(&destination).unwrap(),
            &reference("v1"),
        )
        .await
        .unwrap();
    assert_eq!(copied.bytes, image.manifest.bytes);
}

#[tokio::test]
async fn copy_to_htpasswd_registry_streams_and_reruns_skip() {
    let Some(source_registry) = anonymous_registry() else {
        return;
    };
    let Some(destination_registry) = htpasswd_client() else {
        return;
    };
    let repository = unique_repository("basic");
    let image = random_image(&[300_000, 5000], "arm64");
    push_image(&source_registry, &repository, Some("v1"), &image).await;
    let source = Endpoint::registry(&source_registry, &repository, "v1").unwrap();
    let destination = Endpoint::registry(&destination_registry, &repository, "v1").unwrap();

    let copier = Copier::new(CopyOptions::default()).unwrap();
    let first = copier.copy(&source, &destination).await.unwrap();
    assert_eq!(first.blobs_copied, 3);
    assert_eq!(
        first.bytes_copied,
        image
            .blobs
            .iter()
            .map(|(_, bytes)| bytes.len() as u64)
            .sum::<u64>()
    );

    let second = copier.copy(&source, &destination).await.unwrap();
    assert_eq!(second.blobs_skipped, 3);
    assert_eq!(second.blobs_copied, 0);
    assert_eq!(second.digest, first.digest);
}

#[tokio::test]
async fn htpasswd_registry_rejects_anonymous_push() {
    let Some((url, _, _)) = htpasswd_registry() else {
        return;
    };
    let client = RegistryClient::builder(url).build().unwrap();
    let error = client
        .start_upload(&RepositoryName::new("denied/repo").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Auth { .. }), "{error}");
    assert!(
        error.to_string().contains("username and password"),
        "{error}"
    );
}

#[tokio::test]
async fn chunked_upload_to_real_registry() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let chunked = RegistryClient::builder(registry.base_url().as_str().trim_end_matches('/'))
        .upload_mode(UploadMode::Chunked {
            max_chunk: 64 * 1024,
        })
        .build()
        .unwrap();
    let repository = unique_repository("chunked");
    // 2.5 chunks, so the final PUT carries a partial chunk.
    let image = random_image(&[160 * 1024], "amd64");
    push_image(&chunked, &repository, Some("v1"), &image).await;
    let name = RepositoryName::new(&repository).unwrap();
    for (digest, bytes) in &image.blobs {
        assert_eq!(
            chunked.blob_exists(&name, digest).await.unwrap(),
            Some(bytes.len() as u64)
        );
        let downloaded: Vec<bytes::Bytes> = chunked
            .get_blob(&name, digest, Some(bytes.len() as u64))
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(downloaded.concat(), bytes.to_vec());
    }
}

#[tokio::test]
async fn layout_round_trip_keeps_digest() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("layout");
    let image = random_image(&[70_000, 10], "amd64");
    push_image(&registry, &repository, Some("v1"), &image).await;
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let copier = Copier::new(CopyOptions::default()).unwrap();

    let to_disk = copier
        .copy(
            &Endpoint::registry(&registry, &repository, "v1").unwrap(),
            &Endpoint::layout(&layout, "mirrored").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(to_disk.digest, image.manifest.digest);
    assert_eq!(to_disk.blobs_copied, 3);

    let back = unique_repository("from-layout");
    let to_registry = copier
        .copy(
            &Endpoint::layout(&layout, "mirrored").unwrap(),
            &Endpoint::registry(&registry, &back, "v2").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(to_registry.digest, image.manifest.digest);
    assert_eq!(
        to_registry.blobs_mounted, 3,
        "the copy to disk remembered where the blobs are"
    );
}

#[tokio::test]
async fn remembered_blobs_are_mounted() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let image = random_image(&[20_000], "amd64");
    let layout = write_layout(dir.path(), "v1", &image).await;
    let copier = Copier::new(CopyOptions::default()).unwrap();
    let source = Endpoint::layout(&layout, "v1").unwrap();

    let first = copier
        .copy(
            &source,
            &Endpoint::registry(&registry, &unique_repository("a"), "v1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(first.blobs_copied, 2);
    let second = copier
        .copy(
            &source,
            &Endpoint::registry(&registry, &unique_repository("b"), "v1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(second.blobs_mounted, 2);
    assert_eq!(second.blobs_copied, 0);
}

async fn push_multi_platform(
    registry: &RegistryClient,
    repository: &str,
) -> (Vec<TestImage>, oci_transfer::Manifest) {
    let platforms = [
        ("amd64", None),
        ("arm64", None),
        ("arm", Some("v7")),
        ("386", None),
    ];
    let images: Vec<TestImage> = platforms
        .iter()
        .map(|(architecture, _)| random_image(&[1000], architecture))
        .collect();
    for image in &images {
        push_image(registry, repository, None, image).await;
    }
    let entries: Vec<_> = images
        .iter()
        .zip(platforms)
        .map(|(image, (architecture, variant))| (image, architecture, variant))
        .collect();
    let index = index_of(&entries);
    push_manifest(
        registry,
        &RepositoryName::new(repository).unwrap(),
        Some("multi"),
        &index,
    )
    .await;
    (images, index)
}

#[tokio::test]
async fn all_platforms_copy_index_bytes() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let Some(destination_registry) = htpasswd_client() else {
        return;
    };
    let repository = unique_repository("multi");
    let (_, index) = push_multi_platform(&registry, &repository).await;
    let pushed = Arc::new(Mutex::new(Vec::new()));
    let recorder = pushed.clone();
    let options = CopyOptions {
        progress: ProgressSink::new(move |event| {
            if let ProgressEvent::ManifestPushed { reference, .. } = event {
                recorder.lock().unwrap().push(reference.clone());
            }
        }),
        ..CopyOptions::default()
    };
    let report = Copier::new(options)
        .unwrap()
        .copy(
            &Endpoint::registry(&registry, &repository, "multi").unwrap(),
            &Endpoint::registry(&destination_registry, &repository, "multi").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(report.digest, index.digest, "the index keeps its digest");
    assert_eq!(report.manifests_pushed, 5);
    let pushed = pushed.lock().unwrap();
    assert_eq!(pushed.len(), 5);
    assert_eq!(
        pushed.last().map(String::as_str),
        Some("multi"),
        "the tag is pushed last"
    );
}

#[tokio::test]
async fn selected_platforms_write_new_index() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("select");
    let (images, index) = push_multi_platform(&registry, &repository).await;
    let destination = unique_repository("selected");
    let options = CopyOptions {
        platforms: PlatformSelection::only(["linux/amd64", "linux/arm64"]).unwrap(),
        ..CopyOptions::default()
    };
    let report = Copier::new(options)
        .unwrap()
        .copy(
            &Endpoint::registry(&registry, &repository, "multi").unwrap(),
            &Endpoint::registry(&registry, &destination, "multi").unwrap(),
        )
        .await
        .unwrap();
    assert_ne!(report.digest, index.digest, "a new index is written");
    assert_eq!(report.manifests_pushed, 3);
    let copied = registry
        .get_manifest(
            &RepositoryName::new(&destination).unwrap(),
            &reference("multi"),
        )
        .await
        .unwrap();
    assert_eq!(copied.digest, report.digest);
    let oci_transfer::ManifestKind::Index(copied_index) = copied.kind().unwrap() else {
        panic!("expected an index")
    };
    let digests: Vec<_> = copied_index
        .manifests()
        .iter()
        .map(|entry| entry.digest().clone())
        .collect();
    assert_eq!(
        digests,
        [
            images[0].manifest.digest.clone(),
            images[1].manifest.digest.clone()
        ]
    );
    let destination_name = RepositoryName::new(&destination).unwrap();
    let arm_v7 = ManifestReference::Digest(images[2].manifest.digest.clone());
    assert!(
        !registry
            .manifest_exists(&destination_name, &arm_v7)
            .await
            .unwrap(),
        "unselected platforms are not copied"
    );
}

#[tokio::test]
async fn preserve_digests_rejects_selection_before_upload() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("preserve");
    push_multi_platform(&registry, &repository).await;
    let destination = unique_repository("preserved");
    let options = CopyOptions {
        platforms: PlatformSelection::only(["linux/amd64"]).unwrap(),
        preserve_digests: true,
        ..CopyOptions::default()
    };
    let error = Copier::new(options)
        .unwrap()
        .copy(
            &Endpoint::registry(&registry, &repository, "multi").unwrap(),
            &Endpoint::registry(&registry, &destination, "multi").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::CannotPreserveDigest {
                selected: 1,
                total: 4,
                ..
            }
        ),
        "{error}"
    );
    let tags = registry
        .list_tags_page(&RepositoryName::new(&destination).unwrap(), 10, None)
        .await;
    assert!(
        tags.is_err_and(|error| error.is_not_found()),
        "nothing was pushed to the destination"
    );
}

#[tokio::test]
async fn nested_index_is_copied_recursively() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("nested");
    let (_, inner) = push_multi_platform(&registry, &repository).await;
    let outer = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": oci_transfer::manifest::OCI_INDEX,
        "manifests": [{"mediaType": oci_transfer::manifest::OCI_INDEX, "digest": inner.digest.to_string(), "size": inner.bytes.len()}],
    });
    let outer = oci_transfer::Manifest::from_bytes(
        bytes::Bytes::from(outer.to_string()),
        Some(oci_transfer::manifest::OCI_INDEX),
        "test",
    )
    .unwrap();
    push_manifest(
        &registry,
        &RepositoryName::new(&repository).unwrap(),
        Some("outer"),
        &outer,
    )
    .await;

    let destination = unique_repository("nested-copy");
    let options = CopyOptions {
        platforms: PlatformSelection::only(["linux/arm/v7"]).unwrap(),
        ..CopyOptions::default()
    };
    let report = Copier::new(options)
        .unwrap()
        .copy(
            &Endpoint::registry(&registry, &repository, "outer").unwrap(),
            &Endpoint::registry(&registry, &destination, "outer").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        report.manifests_pushed, 3,
        "one image, the filtered inner index, the new outer index"
    );
    assert_ne!(report.digest, outer.digest);
}

#[tokio::test]
async fn tags_and_catalog_are_listed() {
    let Some(registry) = anonymous_registry() else {
        return;
    };
    let repository = unique_repository("paged");
    let image = random_image(&[10], "amd64");
    push_image(&registry, &repository, None, &image).await;
    let name = RepositoryName::new(&repository).unwrap();
    for tag in ["a", "b", "c", "d", "e"] {
        push_manifest(&registry, &name, Some(tag), &image.manifest).await;
    }
    // distribution 2.8 ignores `n` on tag lists, so tag paging is covered by the wiremock tests.
    let mut all: Vec<String> = registry.list_tags(&name).try_collect().await.unwrap();
    all.sort();
    assert_eq!(all, ["a", "b", "c", "d", "e"]);

    for other in 0..2 {
        push_image(
            &registry,
            &format!("{repository}-{other}"),
            Some("v1"),
            &image,
        )
        .await;
    }
    let first = registry.list_catalog_page(2, None).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(
        first.next.is_some(),
        "a Link header points at the next catalog page"
    );
    let catalog: Vec<String> = registry.list_catalog().try_collect().await.unwrap();
    for expected in [
        repository.clone(),
        format!("{repository}-0"),
        format!("{repository}-1"),
    ] {
        assert!(catalog.contains(&expected), "the catalog lists {expected}");
    }
}
