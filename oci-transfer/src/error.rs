//! The error type of this crate.

use oci_spec::image::Digest;

/// An error from an OCI distribution request, a copy or an OCI image layout.
///
/// Messages name what failed and on which value. They never contain a credential, a token, a
/// whole response body or response headers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value given by the caller breaks a rule; nothing was sent.
    #[error("invalid {what} {value:?}: {rule}")]
    InvalidInput {
        /// Kind of value, such as "repository name".
        what: &'static str,
        /// The rejected value.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// The request could not be sent or its response could not be read.
    #[error("{method} {url} failed")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request URL without its query.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The registry returned an unexpected HTTP status.
    #[error("{method} {url} returned HTTP {status}{}", format_codes(.codes))]
    Status {
        /// HTTP method.
        method: String,
        /// Request URL without its query.
        url: String,
        /// HTTP status code.
        status: u16,
        /// Error codes from the distribution error body, such as `MANIFEST_UNKNOWN`.
        codes: Vec<String>,
        /// Request id sent by the registry (`X-Request-Id` or `Docker-Request-Id`), when present.
        request_id: Option<String>,
    },
    /// Authentication with a registry or its token service failed.
    #[error("authentication with {registry} failed: {reason}")]
    Auth {
        /// Registry host and port.
        registry: String,
        /// What failed, without credentials.
        reason: String,
    },
    /// An upload `Location` would move the upload from HTTPS to plain HTTP.
    #[error(
        "upload Location {location} switches from https to http; the registry is behind a TLS \
         proxy: set `http.relativeurls: true` in the registry configuration or make the proxy \
         send `X-Forwarded-Proto: https`"
    )]
    InsecureRedirect {
        /// The rejected `Location`, without its query.
        location: String,
    },
    /// The bytes received do not hash to the expected digest.
    #[error("digest mismatch: expected {expected}, the bytes received hash to {actual}")]
    DigestMismatch {
        /// The digest from the descriptor or request.
        expected: Digest,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The number of bytes received differs from the descriptor's size.
    #[error("size mismatch for {digest}: expected {expected} bytes, received {actual}")]
    SizeMismatch {
        /// Blob or manifest digest.
        digest: Digest,
        /// Size from the descriptor.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// The content is valid but this crate does not handle it, such as a Docker schema 1
    /// manifest.
    #[error("unsupported {0}")]
    Unsupported(String),
    /// A manifest's `Content-Type` and its `mediaType` field disagree.
    #[error(
        "manifest media type mismatch: Content-Type is {header} but the body's mediaType is {body}"
    )]
    MediaTypeMismatch {
        /// The `Content-Type` header.
        header: String,
        /// The `mediaType` field of the body.
        body: String,
    },
    /// Selecting platforms changes an index, so its digest cannot be kept.
    #[error(
        "cannot preserve the digest of index {digest}: selecting {selected} of its {total} \
         platforms writes a new index; select all platforms or turn off preserve_digests"
    )]
    CannotPreserveDigest {
        /// Digest of the source index.
        digest: Digest,
        /// Number of entries selected.
        selected: usize,
        /// Number of entries in the source index.
        total: usize,
    },
    /// No platform of an index matched the selection.
    #[error("no entry of index {digest} matches the selected platforms {selected}")]
    NoMatchingPlatform {
        /// Digest of the source index.
        digest: Digest,
        /// The selection, such as `linux/amd64, linux/arm64`.
        selected: String,
    },
    /// A `Range` header of an upload response could not be parsed.
    #[error("invalid Range header {0:?}: expected `<start>-<end>` or `bytes=<start>-<end>`")]
    InvalidRange(String),
    /// The registry sent a manifest or a response this crate cannot decode.
    #[error("invalid {what} from {origin}: {reason}")]
    InvalidResponse {
        /// What was decoded, such as "manifest".
        what: &'static str,
        /// The URL or file it came from.
        origin: String,
        /// The decoding error.
        reason: String,
    },
    /// Reading or writing a local file failed.
    #[error("I/O on {path} failed")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Content is missing from an OCI image layout.
    #[error("{what} not found in OCI image layout {path}")]
    NotInLayout {
        /// A tag or digest.
        what: String,
        /// The layout directory.
        path: String,
    },
}

fn format_codes(codes: &[String]) -> String {
    if codes.is_empty() {
        String::new()
    } else {
        format!(" ({})", codes.join(", "))
    }
}

impl Error {
    /// Returns the HTTP status of a [`Error::Status`] error.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Status { status, .. } => reqwest::StatusCode::from_u16(*status).ok(),
            _ => None,
        }
    }

    /// Returns the registry's request id, when the registry sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Status { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the registry answered 404, or a layout lacks the content.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotInLayout { .. })
            || self.status() == Some(reqwest::StatusCode::NOT_FOUND)
    }

    /// Whether the registry answered 409.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::CONFLICT)
    }

    /// Whether repeating the same operation may succeed: connection errors, truncated
    /// bodies, and HTTP 429, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Status { status, .. } => crate::retry::is_retryable_status(*status),
            _ => false,
        }
    }
}

/// Removes the query from a URL for messages, because upload URLs carry session state.
pub(crate) fn url_for_message(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}
