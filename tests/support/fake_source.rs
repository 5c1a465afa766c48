//! A source registry that answers manifest HEADs anonymously from a map of tags.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Tags of the source registry, `repository:tag` to digest.
#[derive(Debug, Clone, Default)]
pub struct FakeSource {
    tags: Arc<Mutex<BTreeMap<String, String>>>,
}

impl FakeSource {
    /// Starts the registry on 127.0.0.1 with `tags`.
    pub async fn start(tags: &[(&str, &str)]) -> (Self, MockServer) {
        let fake = Self::default();
        for (image, digest) in tags {
            fake.set_tag(image, digest);
        }
        let server = MockServer::start().await;
        Mock::given(method("HEAD"))
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        (fake, server)
    }

    /// Points `image` (`repository:tag`) at `digest`.
    pub fn set_tag(&self, image: &str, digest: &str) {
        self.tags
            .lock()
            .unwrap()
            .insert(image.to_owned(), digest.to_owned());
    }
}

impl Respond for FakeSource {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let image = request
            .url
            .path()
            .strip_prefix("/v2/")
            .and_then(|rest| rest.split_once("/manifests/"))
            .map(|(repository, tag)| format!("{repository}:{tag}"));
        let tags = self.tags.lock().unwrap();
        match image.and_then(|image| tags.get(&image).cloned()) {
            Some(digest) => {
                ResponseTemplate::new(200).insert_header("Docker-Content-Digest", digest.as_str())
            }
            None => ResponseTemplate::new(404),
        }
    }
}
