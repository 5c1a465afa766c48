//! Printing of Harbor requests for `--dry-run`, shared by the task examples.
//!
//! Each example includes this file with `#[path]`, so it is compiled once per example.

use std::error::Error;

use harbor_client::{Body, Request};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// Bytes that harbor-client percent-encodes in query keys and values: all but the RFC 3986
/// unreserved characters. The dry run prints the query as the client sends it.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Text printed in place of every secret value.
pub(crate) const REDACTED: &str = "<redacted>";

/// JSON keys whose values are secrets in Harbor request bodies.
const SECRET_KEYS: &[&str] = &[
    "password",
    "access_secret",
    "secret",
    "new_password",
    "old_password",
];

/// Prints one request as `METHOD URL`, its extra headers and its JSON body, with secrets replaced
/// by [`REDACTED`]. The query is percent-encoded as the client sends it, so a Harbor `q` value
/// shows its second encoding.
pub(crate) fn print_request(base_url: &str, request: &Request) {
    let mut line = format!(
        "{} {}/api/v2.0{}",
        request.method,
        base_url.trim_end_matches('/'),
        request.path
    );
    for (index, (key, value)) in request.query.iter().enumerate() {
        line.push(if index == 0 { '?' } else { '&' });
        line.push_str(&format!(
            "{}={}",
            utf8_percent_encode(key, QUERY_VALUE),
            utf8_percent_encode(value, QUERY_VALUE)
        ));
    }
    println!("{line}");
    for (name, value) in &request.headers {
        println!("  {name}: {value}");
    }
    if let Body::Json(bytes) = &request.body {
        let mut body: Value = serde_json::from_slice(bytes).expect("the client serialized JSON");
        redact(&mut body);
        let text = serde_json::to_string_pretty(&body).expect("a JSON value serializes");
        for body_line in text.lines() {
            println!("  {body_line}");
        }
    }
}

/// Replaces the value of every secret key in `value`, at any depth, with [`REDACTED`].
pub(crate) fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, entry) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) && !entry.is_null() {
                    *entry = Value::String(REDACTED.to_owned());
                } else {
                    redact(entry);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Joins an error and its sources with `: `.
pub(crate) fn error_chain(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
