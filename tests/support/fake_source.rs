//! A source registry that serves manifest HEADs from a map of tags, anonymously or, like an
//! ACR without anonymous pull, only with an access token from the ACR token exchange.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Azure AD access token that [`super::StaticCredential`] returns.
const AAD_TOKEN: &str = "aad.jwt";

/// Unsigned JWTs that expire in 2100: the refresh and access tokens the fake hands out.
const REFRESH_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDB9.refresh";
const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDB9.access";

#[derive(Debug, Default)]
struct State {
    /// `repository:tag` to digest.
    tags: BTreeMap<String, String>,
    /// Whether manifest HEADs need the access token of the ACR token exchange.
    azure_ad_only: bool,
    /// Requests received, as `METHOD path`.
    requests: Vec<String>,
}

/// The fake source registry. Clones share its tags and request log.
#[derive(Debug, Clone, Default)]
pub struct FakeSource {
    state: Arc<Mutex<State>>,
    /// URI of the server, because wiremock hands the responder a URL without the port.
    base: Arc<Mutex<String>>,
}

impl FakeSource {
    /// Starts the registry on 127.0.0.1 with `tags`, serving HEADs anonymously.
    pub async fn start(tags: &[(&str, &str)]) -> (Self, MockServer) {
        let fake = Self::default();
        for (image, digest) in tags {
            fake.set_tag(image, digest);
        }
        let server = MockServer::start().await;
        *fake.base.lock().unwrap() = server.uri();
        Mock::given(any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        (fake, server)
    }

    /// Requires an access token from the ACR token exchange on manifest HEADs, which the
    /// fake issues only for the Azure AD token of [`super::StaticCredential`], as an ACR
    /// without anonymous pull does.
    pub fn require_azure_ad(&self) {
        self.state.lock().unwrap().azure_ad_only = true;
    }

    /// Points `image` (`repository:tag`) at `digest`.
    pub fn set_tag(&self, image: &str, digest: &str) {
        self.state
            .lock()
            .unwrap()
            .tags
            .insert(image.to_owned(), digest.to_owned());
    }

    /// Returns the requests received so far, as `METHOD path`.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Returns a token from `POST /oauth2/exchange` or `POST /oauth2/token` when the form
    /// carries the expected grant and token, and 401 otherwise.
    fn token_endpoint(&self, request: &Request, service: &str) -> ResponseTemplate {
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let field = |key: &str| form.get(key).map(String::as_str);
        if field("service") != Some(service) {
            return unauthorized();
        }
        match (request.method.as_str(), request.url.path()) {
            ("POST", "/oauth2/exchange")
                if field("grant_type") == Some("access_token")
                    && field("access_token") == Some(AAD_TOKEN) =>
            {
                ResponseTemplate::new(200).set_body_json(json!({"refresh_token": REFRESH_TOKEN}))
            }
            ("POST", "/oauth2/token")
                if field("grant_type") == Some("refresh_token")
                    && field("refresh_token") == Some(REFRESH_TOKEN) =>
            {
                ResponseTemplate::new(200).set_body_json(json!({"access_token": ACCESS_TOKEN}))
            }
            _ => unauthorized(),
        }
    }
}

fn unauthorized() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(json!({
        "errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]
    }))
}

impl Respond for FakeSource {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let base = self.base.lock().unwrap().clone();
        let service = base.trim_start_matches("http://").to_owned();
        let mut state = self.state.lock().unwrap();
        state
            .requests
            .push(format!("{} {path}", request.method.as_str()));
        if path.starts_with("/oauth2/") {
            drop(state);
            return self.token_endpoint(request, &service);
        }
        if request.method.as_str() != "HEAD" {
            return ResponseTemplate::new(404);
        }
        let Some((repository, tag)) = path
            .strip_prefix("/v2/")
            .and_then(|rest| rest.split_once("/manifests/"))
        else {
            return ResponseTemplate::new(404);
        };
        let bearer = format!("Bearer {ACCESS_TOKEN}");
        let authorized = request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            == Some(bearer.as_str());
        if state.azure_ad_only && !authorized {
            let challenge = format!(
                "Bearer realm=\"{base}/oauth2/token\",service=\"{service}\",scope=\"repository:{repository}:pull\""
            );
            return unauthorized().insert_header("WWW-Authenticate", challenge.as_str());
        }
        match state.tags.get(&format!("{repository}:{tag}")) {
            Some(digest) => {
                ResponseTemplate::new(200).insert_header("Docker-Content-Digest", digest.as_str())
            }
            None => ResponseTemplate::new(404),
        }
    }
}
