//! The call type that the generated calls return, and the checks applied to each operation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use harbor_client::{Client, Error, Request};

/// Maximum number of characters of an `sl-violations` header shown in a failure.
const MAX_VIOLATIONS_CHARS: usize = 400;

/// The sending half of a [`Call`]: the operation's `send()`, with its output dropped.
type SendFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// One operation with sample arguments, created by a function of `calls.rs`.
pub(crate) struct Call {
    /// Harbor operation id, for example `listArtifacts`.
    pub(crate) operation_id: &'static str,
    /// Media types the operation declares in `produces`.
    produces: &'static [&'static str],
    /// Success statuses the operation declares, sorted.
    success_statuses: &'static [u16],
    /// Result of the request type's `build()`.
    request: Result<Request, Error>,
    /// The request type's `send()`, which decodes the response into its type.
    send: SendFuture,
}

impl Call {
    pub(crate) fn new(
        operation_id: &'static str,
        produces: &'static [&'static str],
        success_statuses: &'static [u16],
        request: Result<Request, Error>,
        send: impl Future<Output = Result<(), Error>> + Send + 'static,
    ) -> Self {
        Self {
            operation_id,
            produces,
            success_statuses,
            request,
            send: Box::pin(send),
        }
    }
}

/// The problems found with one operation.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) operation_id: &'static str,
    /// Status of the response to the built request, when one arrived.
    status: Option<u16>,
    /// Content of Prism's `sl-violations` header, shortened.
    violations: Option<String>,
    problems: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.operation_id)?;
        match self.status {
            Some(status) => write!(f, " status {status}")?,
            None => write!(f, " no response")?,
        }
        if let Some(violations) = &self.violations {
            write!(f, "; sl-violations: {violations}")?;
        }
        for problem in &self.problems {
            write!(f, "; {problem}")?;
        }
        Ok(())
    }
}

/// Checks one operation against the mock.
///
/// The built request is sent with [`Client::execute_raw`], which goes through the real transport
/// and returns the status and headers. The `Accept` header must be one of the declared media
/// types and the status one of the declared success statuses. Prism must not report request
/// violations in `sl-violations`. Then the operation's own `send()` runs, which must succeed and
/// decode the response into its type. Each operation is sent twice because `send()` does not
/// expose the headers.
pub(crate) async fn check(client: &Client, call: Call) -> Result<(), Failure> {
    let mut failure = Failure {
        operation_id: call.operation_id,
        status: None,
        violations: None,
        problems: Vec::new(),
    };

    match call.request {
        Ok(request) => {
            if !call.produces.is_empty() && !call.produces.contains(&request.accept) {
                failure.problems.push(format!(
                    "Accept {:?} is not one of the declared media types {:?}",
                    request.accept, call.produces
                ));
            }
            match client.execute_raw(request).await {
                Ok(response) => {
                    let status = response.status.as_u16();
                    failure.status = Some(status);
                    let declared = if call.success_statuses.is_empty() {
                        response.status.is_success()
                    } else {
                        call.success_statuses.contains(&status)
                    };
                    if !declared {
                        failure.problems.push(format!(
                            "status {status} is not a declared success status {:?}",
                            call.success_statuses
                        ));
                    }
                    if let Some(value) = response.headers.get("sl-violations") {
                        let text = String::from_utf8_lossy(value.as_bytes());
                        failure.violations = Some(shorten(&text, MAX_VIOLATIONS_CHARS));
                    }
                }
                Err(error) => failure.problems.push(format!(
                    "sending the built request failed: {}",
                    chain(&error)
                )),
            }
        }
        Err(error) => failure
            .problems
            .push(format!("build() failed: {}", chain(&error))),
    }

    if let Err(error) = call.send.await {
        failure
            .problems
            .push(format!("send() failed: {}", chain(&error)));
    }

    if failure.violations.is_none() && failure.problems.is_empty() {
        Ok(())
    } else {
        Err(failure)
    }
}

/// Returns the error's message followed by the messages of its sources.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Returns at most `max_chars` characters of `text`, with `…` when it was cut.
fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
