//! Sending one request: URL and headers, retries, tracing, and decoding of Harbor's error body.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tracing::Instrument as _;

use crate::error::{ApiError, HarborError, MAX_HARBOR_ERRORS, Operation, truncate_message};
use crate::request::Body;
use crate::retry::{is_retryable_status, is_retryable_transport};
use crate::{Client, Error, RawResponse, Request};

/// Header that carries the request id, sent on every request and echoed by Harbor.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Bytes encoded in query keys and values: all but RFC 3986 unreserved characters, so a space
/// becomes `%20` and `+` becomes `%2B`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Maximum number of bytes of an error body read for decoding. A larger body is not decoded.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A request ready to be sent, and sent again on retry.
struct Prepared {
    operation: Operation,
    url: url::Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotent: bool,
    request_id: String,
}

/// A successful response with its request id and the number of attempts it took.
pub(crate) struct Sent {
    pub(crate) response: reqwest::Response,
    request_id: String,
    attempts: u32,
}

impl Sent {
    /// Reads the whole body and returns it with the request id.
    pub(crate) async fn read_body(self, operation: &Operation) -> Result<(Bytes, String), Error> {
        let Self {
            response,
            request_id,
            attempts,
        } = self;
        match response.bytes().await {
            Ok(bytes) => Ok((bytes, request_id)),
            Err(source) => Err(Error::Transport {
                operation: operation.clone(),
                request_id,
                attempts,
                source,
            }),
        }
    }
}

impl Operation {
    pub(crate) fn of(request: &Request) -> Self {
        Self {
            id: request.operation_id,
            method: request.method.clone(),
            path_template: request.path_template,
        }
    }
}

impl Client {
    /// Sends `request`, retrying as the retry policy allows, and returns the successful response.
    ///
    /// One `debug` span per request records the operation, method, path template, request id,
    /// attempt and status. Bodies and credentials are never recorded.
    pub(crate) async fn send(&self, request: Request) -> Result<Sent, Error> {
        let prepared = self.prepare(request)?;
        let span = request_span(&prepared);
        self.send_with_retries(prepared).instrument(span).await
    }

    /// Sends `request` like [`Client::send`] and returns the last response whatever its status,
    /// with its status, headers and whole body.
    ///
    /// Retries follow the same policy as [`Client::send`]. Only a failure to build, send or read
    /// the request is an error.
    pub(crate) async fn send_raw(&self, request: Request) -> Result<RawResponse, Error> {
        let prepared = self.prepare(request)?;
        let span = request_span(&prepared);
        async {
            let (outcome, attempts) = self.attempt_until_done(&prepared).await;
            let transport_error = |source| Error::Transport {
                operation: prepared.operation.clone(),
                request_id: prepared.request_id.clone(),
                attempts,
                source,
            };
            let response = outcome.map_err(transport_error)?;
            let status = response.status();
            let headers = response.headers().clone();
            let request_id = response_request_id(&response, &prepared.request_id);
            let body = response.bytes().await.map_err(transport_error)?;
            Ok(RawResponse {
                status,
                headers,
                body,
                request_id,
                attempts,
            })
        }
        .instrument(span)
        .await
    }

    /// Returns the URL of `request`: base URL, `/api/v2.0`, the encoded path and the query.
    pub(crate) fn url_for(&self, request: &Request) -> url::Url {
        let mut url = self.inner.base.clone();
        url.set_path(&format!(
            "{}/api/v2.0{}",
            url.path().trim_end_matches('/'),
            request.path
        ));
        if !request.query.is_empty() {
            let query = request
                .query
                .iter()
                .map(|(key, value)| {
                    format!(
                        "{}={}",
                        utf8_percent_encode(key, QUERY_VALUE),
                        utf8_percent_encode(value, QUERY_VALUE)
                    )
                })
                .collect::<Vec<_>>()
                .join("&");
            url.set_query(Some(&query));
        }
        url
    }

    fn prepare(&self, request: Request) -> Result<Prepared, Error> {
        let operation = Operation::of(&request);
        let idempotent = request.is_idempotent();
        let url = self.url_for(&request);
        // One id per call: retries reuse it, so Harbor's logs show them as the same request.
        let request_id = uuid::Uuid::new_v4().to_string();

        let mut headers = HeaderMap::new();
        let extra = request
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()));
        for (name, value) in std::iter::once(("Accept", request.accept)).chain(extra) {
            let invalid = || Error::InvalidHeader {
                operation: operation.clone(),
                name,
            };
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            let header_value = HeaderValue::from_str(value).map_err(|_| invalid())?;
            headers.append(header_name, header_value);
        }
        let request_id_value =
            HeaderValue::from_str(&request_id).expect("a hyphenated UUID is a valid header value");
        headers.insert(REQUEST_ID, request_id_value);
        if let Some(authorization) = &self.inner.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        let body = match request.body {
            Body::Empty => None,
            Body::Json(bytes) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(Bytes::from(bytes))
            }
        };

        Ok(Prepared {
            idempotent,
            operation,
            url,
            headers,
            body,
            request_id,
        })
    }

    async fn send_with_retries(&self, prepared: Prepared) -> Result<Sent, Error> {
        let (outcome, attempts) = self.attempt_until_done(&prepared).await;
        match outcome {
            Ok(response) if response.status().is_success() => {
                let request_id = response_request_id(&response, &prepared.request_id);
                Ok(Sent {
                    response,
                    request_id,
                    attempts,
                })
            }
            outcome => Err(failure_error(&prepared, attempts, outcome).await),
        }
    }

    /// Sends `prepared` until it succeeds, fails in a way the retry policy does not retry, or the
    /// policy gives up. Returns the last outcome and the number of attempts.
    async fn attempt_until_done(
        &self,
        prepared: &Prepared,
    ) -> (Result<reqwest::Response, reqwest::Error>, u32) {
        let policy = &self.inner.retry_policy;
        let span = tracing::Span::current();
        // Time spent on attempts plus the delays given to the sleeper, so that the time budget
        // also applies with a sleeper that returns at once.
        let mut spent = Duration::ZERO;
        let mut attempt = 1;
        loop {
            span.record("attempt", attempt);
            let started = Instant::now();
            let outcome = self.send_once(prepared).await;
            spent += started.elapsed();

            let retry_after = match outcome {
                Ok(ref response) if response.status().is_success() => {
                    span.record("status", response.status().as_u16());
                    return (outcome, attempt);
                }
                Ok(ref response) => {
                    span.record("status", response.status().as_u16());
                    if !(prepared.idempotent && is_retryable_status(response.status())) {
                        return (outcome, attempt);
                    }
                    http_retry::retry_after(response.headers(), SystemTime::now())
                }
                // A failed connection never reached Harbor, so even a POST is safe to send again.
                Err(ref error) if is_retryable_transport(error) => None,
                Err(_) => return (outcome, attempt),
            };

            let Some(delay) = policy.next_delay(attempt, spent, retry_after) else {
                tracing::debug!(
                    attempt,
                    "giving up: no attempt left, or the next delay would exceed the time budget"
                );
                return (outcome, attempt);
            };
            tracing::debug!(
                attempt,
                delay_ms = millis(delay),
                from_retry_after = retry_after.is_some(),
                "retrying Harbor request"
            );
            drop(outcome);
            self.inner.sleeper.0.sleep(delay).await;
            spent += delay;
            attempt += 1;
        }
    }

    async fn send_once(&self, prepared: &Prepared) -> Result<reqwest::Response, reqwest::Error> {
        let mut builder = self
            .inner
            .http
            .request(prepared.operation.method.clone(), prepared.url.clone())
            .headers(prepared.headers.clone());
        if let Some(body) = &prepared.body {
            builder = builder.body(body.clone());
        }
        builder.send().await
    }
}

/// Returns the `debug` span of one request. Bodies and credentials are never recorded.
fn request_span(prepared: &Prepared) -> tracing::Span {
    tracing::debug_span!(
        "harbor_request",
        operation_id = prepared.operation.id,
        method = %prepared.operation.method,
        path_template = prepared.operation.path_template,
        request_id = %prepared.request_id,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
    )
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Turns the last failed attempt into an [`Error`], reading at most 64 KiB of an error body.
async fn failure_error(
    prepared: &Prepared,
    attempts: u32,
    outcome: Result<reqwest::Response, reqwest::Error>,
) -> Error {
    let response = match outcome {
        Ok(response) => response,
        Err(source) => {
            return Error::Transport {
                operation: prepared.operation.clone(),
                request_id: prepared.request_id.clone(),
                attempts,
                source,
            };
        }
    };
    let status = response.status();
    let request_id = response_request_id(&response, &prepared.request_id);
    let body = read_capped(response, MAX_ERROR_BODY_BYTES).await;
    let error = ApiError {
        operation: prepared.operation.clone(),
        status,
        errors: body
            .as_deref()
            .map(decode_harbor_errors)
            .unwrap_or_default(),
        request_id,
        attempts,
    };
    if error.is_csrf_rejection() {
        Error::Csrf(Box::new(error))
    } else {
        Error::Status(Box::new(error))
    }
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Returns the request id Harbor echoed, or else the one that was sent.
fn response_request_id(response: &reqwest::Response, sent: &str) -> String {
    header_str(response.headers(), REQUEST_ID.as_str())
        .filter(|value| !value.is_empty())
        .unwrap_or(sent)
        .to_owned()
}

/// Reads at most `limit` bytes of the body. Returns `None` when it is larger or unreadable.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > limit {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// Decodes Harbor's `{"errors":[{"code":"...","message":"..."}]}`, keeping at most 10 entries
/// of at most 300 characters each. Any other body gives no entries.
fn decode_harbor_errors(body: &[u8]) -> Vec<HarborError> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        errors: Option<Vec<Entry>>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }

    let Ok(body) = serde_json::from_slice::<ErrorBody>(body) else {
        return Vec::new();
    };
    body.errors
        .unwrap_or_default()
        .into_iter()
        .take(MAX_HARBOR_ERRORS)
        .map(|entry| HarborError {
            code: truncate_message(entry.code.as_deref().unwrap_or_default()),
            message: truncate_message(entry.message.as_deref().unwrap_or_default()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harbor_error_body_is_decoded() {
        let body =
            br#"{"errors":[{"code":"NOT_FOUND","message":"project 7 not found"},{"code":"X"}]}"#;
        assert_eq!(
            decode_harbor_errors(body),
            vec![
                HarborError {
                    code: "NOT_FOUND".to_owned(),
                    message: "project 7 not found".to_owned(),
                },
                HarborError {
                    code: "X".to_owned(),
                    message: String::new(),
                },
            ]
        );
    }

    #[test]
    fn other_bodies_give_no_entries() {
        let bodies: [&[u8]; 5] = [
            b"<html>bad gateway</html>",
            b"",
            b"{}",
            b"{\"errors\":null}",
            b"[1]",
        ];
        for body in bodies {
            assert!(decode_harbor_errors(body).is_empty(), "{body:?}");
        }
    }

    #[test]
    fn many_entries_are_capped() {
        let entry = r#"{"code":"C","message":"m"}"#;
        let body = format!("{{\"errors\":[{}]}}", vec![entry; 50].join(","));
        assert_eq!(
            decode_harbor_errors(body.as_bytes()).len(),
            MAX_HARBOR_ERRORS
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let client = Client::builder("https://harbor.example.test/prefix")
            .build()
            .unwrap();
        let mut request = Request::new(
            "listProjects",
            http::Method::GET,
            "/projects",
            "/projects".to_owned(),
        );
        request.query.push(("q", "name=~a%2Bb".to_owned()));
        request
            .query
            .push(("sort", "-creation_time a*b".to_owned()));
        assert_eq!(
            client.url_for(&request).as_str(),
            "https://harbor.example.test/prefix/api/v2.0/projects\
             ?q=name%3D~a%252Bb&sort=-creation_time%20a%2Ab"
        );
    }
}
