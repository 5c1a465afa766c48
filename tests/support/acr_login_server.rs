//! A fake ACR login server on 127.0.0.1. It serves ACR's token endpoints itself and passes
//! `/v2/` requests on to a real CNCF distribution registry in `auth.token` mode, whose token
//! realm is the fake's `/oauth2/token`.
//!
//! `POST /oauth2/exchange` trades the expected Azure AD access token for a refresh token, and
//! `POST /oauth2/token` trades a refresh token from the exchange for an access token that the
//! registry accepts. Both reject a wrong grant type, service, Azure AD token or refresh token
//! with 401 and an ACR `errors` body.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{
    CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, TRANSFER_ENCODING,
};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use oci_transfer::{AcrRefreshToken, RegistryClient};
use secrecy::SecretString;
use serde_json::json;
use tokio::net::TcpListener;

use super::registry_process::{RegistryProcess, start_registry};
use super::token_signer::{TokenSigner, access_entries, now};

/// Lifetime of the access tokens the fake issues, in seconds.
const ACCESS_TOKEN_LIFETIME: i64 = 300;

/// Lifetime of the refresh tokens the fake issues, in seconds.
const REFRESH_TOKEN_LIFETIME: i64 = 3 * 3600;

/// A running fake login server and the registry behind it. The registry process stops when
/// this is dropped, and the fake's listener task ends with the test's runtime.
pub struct AcrLoginServer {
    /// Base URL, such as `http://127.0.0.1:40123`.
    pub url: String,
    shared: Arc<Shared>,
    _registry: RegistryProcess,
    _dir: tempfile::TempDir,
}

/// Settings and state shared by the connection tasks.
struct Shared {
    /// `service` of token requests and of the registry's challenge.
    login_server: String,
    /// The only Azure AD access token the exchange accepts.
    aad_token: String,
    signer: TokenSigner,
    registry_url: String,
    http: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Every request received, as `METHOD /path`, in order.
    requests: Vec<String>,
    /// Refresh tokens issued so far.
    refresh_tokens: BTreeSet<String>,
    issued: usize,
}

impl AcrLoginServer {
    /// Starts a login server named after its own address (`127.0.0.1:PORT`), as the
    /// data-plane client of an ACR source derives the name from the source URL. Returns
    /// `None` when the test is skipped because no registry binary is set.
    pub async fn start(aad_token: &str) -> Option<Self> {
        Self::start_inner(None, aad_token).await
    }

    /// Starts a login server named `login_server`, such as `exampleacr.azurecr.io`, reached at
    /// its own address. Returns `None` when the test is skipped.
    pub async fn start_as(login_server: &str, aad_token: &str) -> Option<Self> {
        Self::start_inner(Some(login_server), aad_token).await
    }

    async fn start_inner(login_server: Option<&str>, aad_token: &str) -> Option<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let url = format!("http://{address}");
        let login_server = login_server.map_or(address, str::to_owned);

        let signer = TokenSigner::new();
        let dir = tempfile::tempdir().unwrap();
        let realm = format!("{url}/oauth2/token");
        let registry =
            start_registry(&signer.registry_auth_yaml(dir.path(), &realm, &login_server)).await?;
        let shared = Arc::new(Shared {
            login_server,
            aad_token: aad_token.to_owned(),
            signer,
            registry_url: registry.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            state: Mutex::default(),
        });

        let accepting = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = accepting.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(shared.handle(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });

        Some(Self {
            url,
            shared,
            _registry: registry,
            _dir: dir,
        })
    }

    /// Returns the login server name: the `service` of token requests.
    pub fn login_server(&self) -> &str {
        &self.shared.login_server
    }

    /// Returns every request received so far, as `METHOD /path`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    /// Builds a client of the fake with a refresh token issued for it, as if it came from the
    /// exchange, for pushing test images and reading what a workflow wrote.
    pub fn client(&self) -> RegistryClient {
        let refresh_token = self.shared.issue_refresh_token();
        RegistryClient::builder(self.url.as_str())
            .credentials(AcrRefreshToken::new(move |_| {
                let refresh_token = SecretString::from(refresh_token.clone());
                Box::pin(async move { Ok(refresh_token) })
            }))
            .build()
            .unwrap()
    }
}

impl Shared {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        self.state
            .lock()
            .unwrap()
            .requests
            .push(format!("{method} {path}"));
        match (method.as_str(), path.as_str()) {
            ("POST", "/oauth2/exchange") => match read_form(request).await {
                Ok(form) => self.exchange(&form),
                Err(response) => response,
            },
            ("POST", "/oauth2/token") => match read_form(request).await {
                Ok(form) => self.access_token(&form),
                Err(response) => response,
            },
            (_, path) if path == "/v2" || path.starts_with("/v2/") => self.forward(request).await,
            _ => acr_error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!("the fake login server has no route for {method} {path}"),
            ),
        }
    }

    /// `POST /oauth2/exchange`: Azure AD access token to ACR refresh token.
    fn exchange(&self, form: &Form) -> Response<Full<Bytes>> {
        if let Err(reason) = form.require("grant_type", "access_token") {
            return unauthorized(&reason);
        }
        if let Err(reason) = form.require("service", &self.login_server) {
            return unauthorized(&reason);
        }
        // The token is a secret, so the message does not repeat the value sent.
        if form.single("access_token") != Some(self.aad_token.as_str()) {
            return unauthorized("access_token is not a valid Azure AD token for this registry");
        }
        let token = self.issue_refresh_token();
        json_response(StatusCode::OK, &json!({ "refresh_token": token }))
    }

    /// `POST /oauth2/token`: ACR refresh token to an access token for the registry.
    fn access_token(&self, form: &Form) -> Response<Full<Bytes>> {
        if let Err(reason) = form.require("grant_type", "refresh_token") {
            return unauthorized(&reason);
        }
        if let Err(reason) = form.require("service", &self.login_server) {
            return unauthorized(&reason);
        }

        let refresh_token = form.single("refresh_token").unwrap_or_default();
        let known = self
            .state
            .lock()
            .unwrap()
            .refresh_tokens
            .contains(refresh_token);
        if !known {
            return unauthorized("refresh_token was not issued by this registry");
        }

        // ACR's REST spec allows repeated `scope` fields, and oci-transfer sends one field with
        // the scopes separated by spaces, so the fake accepts both.
        // NOTE: whether ACR itself accepts space-separated scopes is not checked here.
        let scopes: Vec<&str> = form.all("scope").flat_map(str::split_whitespace).collect();
        if scopes.is_empty() {
            return acr_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "scope is missing");
        }

        let id = self.next_id("access");
        let token = self.signer.sign(
            &self.login_server,
            &access_entries(scopes),
            ACCESS_TOKEN_LIFETIME,
            &id,
        );
        json_response(StatusCode::OK, &json!({ "access_token": token }))
    }

    /// Issues a refresh token: an unsigned JWT whose `exp` claim lets the data-plane client
    /// cache it, as it caches ACR's.
    fn issue_refresh_token(&self) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let id = self.next_id("refresh");
        let claims = json!({"exp": now() + REFRESH_TOKEN_LIFETIME, "jti": id});
        let token = format!(
            "{}.{}.unsigned",
            engine.encode(br#"{"alg":"none","typ":"JWT"}"#),
            engine.encode(claims.to_string())
        );
        self.state
            .lock()
            .unwrap()
            .refresh_tokens
            .insert(token.clone());
        token
    }

    fn next_id(&self, kind: &str) -> String {
        let mut state = self.state.lock().unwrap();
        state.issued += 1;
        format!("{kind}-{}", state.issued)
    }

    /// Sends a `/v2/` request to the registry and returns its response. `X-Forwarded-Host`
    /// makes the registry build upload `Location`s on the fake's address, so uploads come
    /// back through the fake as they would through ACR.
    async fn forward(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => {
                return acr_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &error.to_string());
            }
        };
        let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let mut outgoing = self
            .http
            .request(parts.method.clone(), format!("{}{path}", self.registry_url))
            .body(body);
        for (name, value) in &parts.headers {
            if ![HOST, CONTENT_LENGTH, CONNECTION, TRANSFER_ENCODING].contains(name) {
                outgoing = outgoing.header(name, value);
            }
        }
        if let Some(host) = parts.headers.get(HOST) {
            outgoing = outgoing.header("X-Forwarded-Host", host);
        }
        let upstream = match outgoing.send().await {
            Ok(upstream) => upstream,
            Err(error) => {
                return acr_error(StatusCode::BAD_GATEWAY, "BAD_GATEWAY", &error.to_string());
            }
        };

        let mut response = Response::builder().status(upstream.status());
        for (name, value) in upstream.headers() {
            if ![CONNECTION, TRANSFER_ENCODING].contains(name) {
                response = response.header(name, value);
            }
        }
        match upstream.bytes().await {
            Ok(bytes) => response.body(Full::new(bytes)).unwrap(),
            Err(error) => acr_error(StatusCode::BAD_GATEWAY, "BAD_GATEWAY", &error.to_string()),
        }
    }
}

/// The fields of a form body, in order, with repeats.
struct Form(Vec<(String, String)>);

impl Form {
    /// Returns the field's value when it occurs exactly once.
    fn single<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let mut values = self.all(name);
        let first = values.next()?;
        values.next().is_none().then_some(first)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Checks that field `name` occurs once with the value `expected`.
    fn require(&self, name: &str, expected: &str) -> Result<(), String> {
        match self.single(name) {
            Some(value) if value == expected => Ok(()),
            Some(value) => Err(format!(
                "{name} {value:?} is invalid; expected {expected:?}"
            )),
            None => Err(format!("{name} must occur once")),
        }
    }
}

/// Reads a form body, or returns the 400 response for a body of another content type.
async fn read_form(request: Request<Incoming>) -> Result<Form, Response<Full<Bytes>>> {
    let content_type = request.headers().get(CONTENT_TYPE).cloned();
    let is_form = content_type
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(acr_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body = request
        .into_body()
        .collect()
        .await
        .map_err(|error| acr_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &error.to_string()))?
        .to_bytes();
    Ok(Form(
        url::form_urlencoded::parse(&body)
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect(),
    ))
}

fn unauthorized(message: &str) -> Response<Full<Bytes>> {
    acr_error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
}

/// Builds a response with ACR's error body: `{"errors": [{"code", "message"}]}`.
fn acr_error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    json_response(
        status,
        &json!({"errors": [{"code": code, "message": message}]}),
    )
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}
