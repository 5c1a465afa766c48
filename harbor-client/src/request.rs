//! Requests as plain data, built without I/O so that paths, headers and query strings can be
//! tested without a server.

use http::Method;
use serde::Serialize;

use crate::Error;

/// One Harbor API request, ready to send.
///
/// `path` is relative to the API prefix (`/api/v2.0`) and already percent-encoded; `query` values
/// are raw and are encoded by the transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Harbor operation id from the swagger, for example `listArtifacts`.
    pub operation_id: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template from the swagger, for example `/projects/{project_name}/repositories`.
    pub path_template: &'static str,
    /// Encoded path below the API prefix, for example `/projects/library/repositories`.
    pub path: String,
    /// Query parameters in order, with raw (not yet encoded) values.
    pub query: Vec<(&'static str, String)>,
    /// Extra headers, in order.
    pub headers: Vec<(&'static str, String)>,
    /// Value of the `Accept` header.
    pub accept: &'static str,
    /// Request body.
    pub body: Body,
}

impl Request {
    /// Creates a request with no query, no extra headers, `Accept: application/json` and no body.
    pub fn new(
        operation_id: &'static str,
        method: Method,
        path_template: &'static str,
        path: String,
    ) -> Self {
        Self {
            operation_id,
            method,
            path_template,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            accept: "application/json",
            body: Body::Empty,
        }
    }

    /// Returns the value of the first query parameter named `name`.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the value of the first extra header named `name` (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Reports whether repeating this request has the same effect as sending it once.
    ///
    /// GET, HEAD, PUT, DELETE and OPTIONS are idempotent by HTTP semantics; POST and PATCH are not.
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        )
    }
}

/// Body of a [`Request`].
///
/// `Debug` prints only the size of a JSON body, because bodies carry passwords and secrets
/// (user creation, robot secret refresh, registry credentials).
#[derive(Clone, PartialEq)]
pub enum Body {
    /// No body.
    Empty,
    /// A JSON document, already serialized.
    Json(Vec<u8>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Json(bytes) => write!(f, "Json(<{} bytes>)", bytes.len()),
        }
    }
}

impl Body {
    /// Serializes `value` as a JSON body.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Encode`] when `value` cannot be represented as JSON.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        serde_json::to_vec(value)
            .map(Body::Json)
            .map_err(|source| Error::Encode { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_debug_hides_content() {
        let body = Body::json(&serde_json::json!({ "password": "s3cr3t-EXAMPLE" })).unwrap();
        let printed = format!("{body:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.starts_with("Json(<"), "{printed}");
    }

    #[test]
    fn request_debug_hides_body_content() {
        let mut request = Request::new("createUser", Method::POST, "/users", "/users".to_owned());
        request.body = Body::json(&serde_json::json!({ "password": "s3cr3t-EXAMPLE" })).unwrap();
        let printed = format!("{request:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        // The bytes of the password must not appear in decimal either.
        assert!(!printed.contains("115, 51, 99"), "{printed}");
    }
}
