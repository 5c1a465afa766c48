//! Memory of which repositories hold which blobs, to mount instead of upload.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use oci_spec::image::Digest;

/// Repositories where blobs were seen, per registry. Shared by clones, so copies run by one
/// [`Copier`](super::Copier), or by several copiers given the same value, mount a blob that an
/// earlier copy pushed to or read from another repository of the destination registry.
#[derive(Debug, Clone, Default)]
pub struct BlobLocations {
    seen: Arc<Mutex<SeenMap>>,
}

/// Repositories per (registry origin, blob digest).
type SeenMap = HashMap<(String, Digest), Vec<String>>;

/// Repositories remembered per blob and registry; older entries are dropped first.
const MAX_REPOSITORIES_PER_BLOB: usize = 8;

impl BlobLocations {
    /// Creates an empty memory.
    pub fn new() -> Self {
        BlobLocations::default()
    }

    /// Records that `repository` of `registry` (a URL origin such as `https://r.example.com`)
    /// contains `digest`.
    pub fn record(&self, registry: &str, repository: &str, digest: &Digest) {
        let mut seen = self.seen.lock().expect("blob locations lock");
        let repositories = seen
            .entry((registry.to_owned(), digest.clone()))
            .or_default();
        if !repositories.iter().any(|known| known == repository) {
            if repositories.len() == MAX_REPOSITORIES_PER_BLOB {
                repositories.remove(0);
            }
            repositories.push(repository.to_owned());
        }
    }

    /// Returns a repository of `registry` other than `except` known to hold `digest`, the most
    /// recently recorded first.
    pub fn find(&self, registry: &str, digest: &Digest, except: &str) -> Option<String> {
        let seen = self.seen.lock().expect("blob locations lock");
        seen.get(&(registry.to_owned(), digest.clone()))?
            .iter()
            .rev()
            .find(|repository| repository.as_str() != except)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_skips_the_destination_repository() {
        let locations = BlobLocations::new();
        let digest = crate::digest::sha256_digest(b"x");
        locations.record("https://r.test", "a", &digest);
        assert_eq!(locations.find("https://r.test", &digest, "a"), None);
        locations.record("https://r.test", "b", &digest);
        assert_eq!(
            locations.find("https://r.test", &digest, "a").as_deref(),
            Some("b")
        );
        assert_eq!(locations.find("https://other.test", &digest, "a"), None);
    }
}
