//! A stateful in-process fake of the Harbor endpoints that the task helpers call.
//!
//! One wiremock mock on 127.0.0.1 serves every request from [`State`], so a create is visible
//! to the next list, and every request is recorded for assertions. Scripts in the state make
//! executions, scans and GC runs move through their statuses one poll at a time.

#![allow(dead_code, unreachable_pub)]

mod routes;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use harbor_client::{Client, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

pub use state::State;

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path below `/api/v2.0`, still percent-encoded.
    pub path: String,
    /// Raw query string, empty when there is none.
    pub query: String,
    /// Value of `X-Is-Resource-Name`, if sent.
    pub is_resource_name: Option<String>,
    /// Value of `X-Accept-Vulnerabilities`, if sent.
    pub accept_vulnerabilities: Option<String>,
    /// Request body as JSON, `Null` when empty or not JSON.
    pub body: serde_json::Value,
}

impl Recorded {
    /// Returns `METHOD path`, for example `POST /projects`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Reports whether the request changes state.
    pub fn is_write(&self) -> bool {
        self.method != "GET" && self.method != "HEAD"
    }
}

/// A running fake Harbor.
pub struct FakeHarbor {
    server: MockServer,
    state: Arc<Mutex<State>>,
    sleeps: Arc<Mutex<Vec<Duration>>>,
}

impl FakeHarbor {
    /// Starts the fake with an empty state.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(any())
            .respond_with(routes::Router::new(Arc::clone(&state)))
            .mount(&server)
            .await;
        Self {
            server,
            state,
            sleeps: Arc::default(),
        }
    }

    /// Returns a client without retries whose sleeper records the delay and returns at once.
    pub fn client(&self) -> Client {
        let sleeps = Arc::clone(&self.sleeps);
        Client::builder(self.server.uri())
            .retry_policy(RetryPolicy::disabled())
            .sleeper(move |delay: Duration| {
                sleeps.lock().unwrap().push(delay);
                std::future::ready(())
            })
            .build()
            .unwrap()
    }

    /// Locks the state, for seeding and for inspection.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Returns and clears the requests received so far.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.state().log)
    }

    /// Returns and clears the requests received so far, keeping only writes as `METHOD path`.
    pub fn take_writes(&self) -> Vec<String> {
        self.take_requests()
            .into_iter()
            .filter(Recorded::is_write)
            .map(|request| request.line())
            .collect()
    }

    /// Returns the delays the client slept, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}
