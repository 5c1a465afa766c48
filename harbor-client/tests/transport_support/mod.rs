//! Helpers shared by the transport tests: a client for a mock server, a recording sleeper, and
//! a fallback mock that names any request no other mock expected.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harbor_client::{Client, ClientBuilder, Credentials, Request};
use secrecy::SecretString;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub const ROBOT: &str = "robot$library+ci";
pub const SECRET: &str = "s3cr3t-EXAMPLE";
pub const ROBOT_BASIC: &str = "Basic cm9ib3QkbGlicmFyeStjaTpzM2NyM3QtRVhBTVBMRQ==";

/// Delays given to the sleeper, in order.
#[derive(Clone, Default)]
pub struct Sleeps(Arc<Mutex<Vec<Duration>>>);

impl Sleeps {
    pub fn recorded(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }

    /// Returns a sleeper that records the delay and returns at once.
    pub fn sleeper(&self) -> impl harbor_client::Sleeper {
        let delays = Arc::clone(&self.0);
        move |delay: Duration| {
            delays.lock().unwrap().push(delay);
            std::future::ready(())
        }
    }
}

/// Starts a mock server with the fallback mock mounted.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    mount_fallback(&server).await;
    server
}

/// Returns a builder for `server` with the robot's Basic credentials and a recording sleeper.
pub fn builder(server: &MockServer, sleeps: &Sleeps) -> ClientBuilder {
    Client::builder(server.uri())
        .credentials(Credentials::basic(
            ROBOT,
            SecretString::from(SECRET.to_owned()),
        ))
        .sleeper(sleeps.sleeper())
}

pub fn client(server: &MockServer) -> Client {
    builder(server, &Sleeps::default()).build().unwrap()
}

pub fn get(operation_id: &'static str, template: &'static str, path: &str) -> Request {
    Request::new(operation_id, http::Method::GET, template, path.to_owned())
}

pub fn post(operation_id: &'static str, template: &'static str, path: &str) -> Request {
    Request::new(operation_id, http::Method::POST, template, path.to_owned())
}

/// Responds to any request that no other mock matched with status 599 and a Harbor error body that
/// names the request, so the failing call's error shows what was unexpected. The mock expects
/// no calls, so the server also fails the test when it is dropped.
async fn mount_fallback(server: &MockServer) {
    struct NameRequest;
    impl Respond for NameRequest {
        fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
            let message = format!("no mock expected {} {}", request.method, request.url);
            ResponseTemplate::new(599).set_body_json(serde_json::json!({
                "errors": [{"code": "UNEXPECTED_REQUEST", "message": message}]
            }))
        }
    }
    Mock::given(wiremock::matchers::any())
        .respond_with(NameRequest)
        .with_priority(u8::MAX)
        .named("fallback for unexpected requests")
        .expect(0)
        .mount(server)
        .await;
}

/// A `tracing_subscriber` writer that keeps everything written to it.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
