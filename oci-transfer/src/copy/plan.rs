//! Planning a copy: walk the manifest tree, apply the platform selection, collect the blobs.

use std::collections::HashSet;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use oci_spec::image::{Descriptor, Digest, ImageIndex};

use super::Endpoint;
use super::platforms::PlatformSelection;
use crate::manifest::{Manifest, ManifestKind, is_index_type};
use crate::{Error, ManifestReference};

/// Maximum nesting of indexes, against reference cycles in hostile content.
const MAX_DEPTH: usize = 8;

/// The content a copy pushes: unique blobs, then manifests in `manifests` order (children
/// before the indexes that list them, the root last).
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) blobs: Vec<Descriptor>,
    pub(crate) manifests: Vec<Manifest>,
    seen_blobs: HashSet<Digest>,
    seen_manifests: HashSet<Digest>,
}

impl Plan {
    /// Returns the root manifest, which is pushed last.
    pub(crate) fn root(&self) -> &Manifest {
        self.manifests
            .last()
            .expect("a plan has at least its root manifest")
    }
}

/// Builds the plan for the manifest `root` read from `source`.
pub(crate) async fn build(
    source: &Endpoint,
    root: Manifest,
    selection: &PlatformSelection,
    preserve_digests: bool,
) -> Result<Plan, Error> {
    let mut plan = Plan::default();
    let root = visit(source, root, selection, preserve_digests, 0, &mut plan).await?;
    match root {
        Some(_) => Ok(plan),
        None => unreachable!("the root is always kept or an error is returned"),
    }
}

/// Adds `manifest` and what it references to the plan, returning the manifest to push (a new
/// index when the selection dropped entries), or `None` when a nested index has no selected
/// entry.
fn visit<'a>(
    source: &'a Endpoint,
    manifest: Manifest,
    selection: &'a PlatformSelection,
    preserve_digests: bool,
    depth: usize,
    plan: &'a mut Plan,
) -> BoxFuture<'a, Result<Option<Manifest>, Error>> {
    Box::pin(async move {
        if depth > MAX_DEPTH {
            return Err(Error::Unsupported(format!(
                "index nesting deeper than {MAX_DEPTH} levels at {}",
                manifest.digest
            )));
        }
        let pushed = match manifest.kind()? {
            ManifestKind::Image(image) => {
                // NOTE: layers with `urls` (Windows foreign layers) are copied like any other
                // blob, so a source registry that does not store them fails the copy.
                let mut blobs = vec![image.config().clone()];
                blobs.extend(image.layers().iter().cloned());
                for blob in blobs {
                    if plan.seen_blobs.insert(blob.digest().clone()) {
                        plan.blobs.push(blob);
                    }
                }
                manifest
            }
            ManifestKind::Index(index) => {
                let total = index.manifests().len();
                let mut kept = Vec::new();
                let mut changed = false;
                for entry in index.manifests() {
                    let nested = is_index_type(entry.media_type().as_ref());
                    if !nested && !selection.selects(entry.platform().as_ref()) {
                        changed = true;
                        continue;
                    }
                    let reference = ManifestReference::Digest(entry.digest().clone());
                    let child = source.get_manifest(&reference).await?;
                    match visit(source, child, selection, preserve_digests, depth + 1, plan).await?
                    {
                        Some(pushed) => {
                            if pushed.digest != *entry.digest() {
                                changed = true;
                                let mut rewritten = entry.clone();
                                rewritten.set_digest(pushed.digest.clone());
                                rewritten.set_size(pushed.bytes.len() as u64);
                                kept.push(rewritten);
                            } else {
                                kept.push(entry.clone());
                            }
                        }
                        None => changed = true,
                    }
                }
                if kept.is_empty() {
                    if depth > 0 {
                        return Ok(None);
                    }
                    return Err(Error::NoMatchingPlatform {
                        digest: manifest.digest.clone(),
                        selected: selection.to_string(),
                    });
                }
                if !changed {
                    manifest
                } else if preserve_digests {
                    return Err(Error::CannotPreserveDigest {
                        digest: manifest.digest.clone(),
                        selected: kept.len(),
                        total,
                    });
                } else {
                    rewrite_index(&manifest, *index, kept)?
                }
            }
        };
        if plan.seen_manifests.insert(pushed.digest.clone()) {
            plan.manifests.push(pushed.clone());
        }
        Ok(Some(pushed))
    })
}

/// Writes a new index with only `entries`, keeping the media type and annotations of `original`.
///
/// NOTE: the new index is serialized from `oci_spec`'s `ImageIndex`, so fields of the original
/// that the OCI image spec does not define are dropped.
fn rewrite_index(
    original: &Manifest,
    mut index: ImageIndex,
    entries: Vec<Descriptor>,
) -> Result<Manifest, Error> {
    index.set_manifests(entries);
    let bytes = serde_json::to_vec(&index).map_err(|error| Error::InvalidResponse {
        what: "index",
        origin: original.digest.to_string(),
        reason: format!("cannot serialize the filtered index: {error}"),
    })?;
    Manifest::from_bytes(
        Bytes::from(bytes),
        Some(&original.media_type),
        original.digest.as_ref(),
    )
}
