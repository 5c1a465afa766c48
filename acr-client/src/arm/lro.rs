//! Long-running ARM operations: polling `Azure-AsyncOperation`, `Location` or the
//! resource's `provisioningState` until a terminal state or a deadline.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::{ArmClient, ArmResponse};
use super::error::{ArmError, ArmErrorDetail};
use super::retry::retry_after;

/// Source of the result of a finished operation, as named by the REST spec's
/// `x-ms-long-running-operation-options.final-state-via`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FinalStateVia {
    /// The operation status document; for PUT and PATCH the resource itself is read.
    #[default]
    AzureAsyncOperation,
    /// A GET on the `Location` header of the initial response.
    Location,
    /// A GET on the URL of the initial request.
    OriginalUri,
}

/// Deadline and poll interval of long-running operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LroOptions {
    /// Total time from the initial response until polling gives up with
    /// [`ArmError::Timeout`]. Default 30 minutes.
    pub deadline: Duration,
    /// Wait between polls when ARM sends no `Retry-After`. Default 5 s.
    pub default_poll_interval: Duration,
}

impl Default for LroOptions {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(30 * 60),
            default_poll_interval: Duration::from_secs(5),
        }
    }
}

/// Final response of a finished operation.
#[derive(Debug, Clone)]
pub struct LroResult {
    response: Option<ArmResponse>,
}

impl LroResult {
    /// Returns the final response. DELETE and some POST actions have none.
    pub fn response(&self) -> Option<&ArmResponse> {
        self.response.as_ref()
    }

    /// Decodes the final body, or returns `None` when there is no body.
    ///
    /// # Errors
    /// [`ArmError::Decode`] when the body does not match `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<Option<T>, ArmError> {
        match &self.response {
            Some(response) if !response.body().is_empty() => response.json().map(Some),
            _ => Ok(None),
        }
    }
}

#[derive(Debug)]
enum State {
    Done(Option<ArmResponse>),
    AsyncOperation(Url),
    Location(Url),
    Provisioning,
}

/// Poller of one long-running operation, returned by the `begin_*` methods of
/// [`ArmClient`].
///
/// Polls wait for the latest `Retry-After` ARM sent, or
/// [`LroOptions::default_poll_interval`] when it sent none, and never past the deadline.
#[derive(Debug)]
pub struct Poller {
    client: ArmClient,
    method: Method,
    resource_url: Url,
    final_state_via: FinalStateVia,
    location: Option<Url>,
    retry_after: Option<Duration>,
    options: LroOptions,
    state: State,
}

#[derive(Deserialize)]
struct OperationStatus {
    #[serde(default)]
    status: String,
    #[serde(default)]
    error: Option<ArmErrorDetail>,
}

#[derive(Deserialize)]
struct ProvisioningEnvelope {
    #[serde(default)]
    properties: Option<ProvisioningProperties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProvisioningProperties {
    #[serde(default)]
    provisioning_state: Option<String>,
}

enum Terminal {
    Succeeded,
    Failed,
    Running,
}

fn classify(status: &str) -> Terminal {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" => Terminal::Succeeded,
        "failed" | "canceled" | "cancelled" => Terminal::Failed,
        _ => Terminal::Running,
    }
}

fn provisioning_state(response: &ArmResponse) -> Option<String> {
    serde_json::from_slice::<ProvisioningEnvelope>(response.body())
        .ok()?
        .properties?
        .provisioning_state
}

impl Poller {
    pub(crate) fn from_initial(
        client: ArmClient,
        method: Method,
        resource_url: Url,
        response: ArmResponse,
        final_state_via: FinalStateVia,
    ) -> Result<Self, ArmError> {
        let header_url = |name: &str| -> Result<Option<Url>, ArmError> {
            let Some(value) = response.headers().get(name) else {
                return Ok(None);
            };
            let value = value.to_str().ok().unwrap_or_default();
            resource_url
                .join(value)
                .map(Some)
                .map_err(|_| ArmError::InvalidRequest {
                    reason: format!("invalid {name} header {value:?} in the response"),
                })
        };
        let async_operation = header_url("azure-asyncoperation")?;
        let location = header_url("location")?;
        let retry_after = retry_after(response.headers(), client.clock().now_utc());

        let is_put_or_patch = matches!(method, Method::PUT | Method::PATCH);
        let state = if let Some(url) = async_operation {
            State::AsyncOperation(url)
        } else if response.status() == StatusCode::ACCEPTED {
            match &location {
                Some(url) => State::Location(url.clone()),
                None => State::Done(None),
            }
        } else if is_put_or_patch
            && provisioning_state(&response)
                .is_some_and(|state| matches!(classify(&state), Terminal::Running))
        {
            State::Provisioning
        } else {
            State::Done(Some(response))
        };

        Ok(Self {
            options: client.lro_options().clone(),
            client,
            method,
            resource_url,
            final_state_via,
            location,
            retry_after,
            state,
        })
    }

    /// Replaces the deadline and poll interval for this operation.
    pub fn with_options(mut self, options: LroOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks whether the initial response already finished the operation.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// Polls until the operation finishes and returns the final response.
    ///
    /// # Errors
    /// [`ArmError::OperationFailed`] for `Failed` or `Canceled`, or for an error status
    /// while polling `Location`. [`ArmError::Timeout`] when the deadline passes first.
    /// Other [`ArmError`]s when a poll itself fails.
    pub async fn wait(mut self) -> Result<LroResult, ArmError> {
        let clock = self.client.clock().clone();
        let started = clock.elapsed();
        let mut last_status = String::from("InProgress");
        loop {
            if let State::Done(response) = &mut self.state {
                return Ok(LroResult {
                    response: response.take(),
                });
            }

            let waited = clock.elapsed().saturating_sub(started);
            if waited >= self.options.deadline {
                return Err(ArmError::Timeout {
                    path: self.resource_url.path().to_owned(),
                    deadline: self.options.deadline,
                    last_status,
                });
            }
            let interval = self
                .retry_after
                .unwrap_or(self.options.default_poll_interval)
                .min(self.options.deadline - waited);
            clock.sleep(interval).await;

            last_status = self.poll().await?;
        }
    }

    /// Polls until the operation finishes and decodes the final body.
    ///
    /// # Errors
    /// As [`Poller::wait`]; [`ArmError::InvalidRequest`] when the operation finished
    /// without a body.
    pub async fn wait_json<T: DeserializeOwned>(self) -> Result<T, ArmError> {
        let path = self.resource_url.path().to_owned();
        self.wait()
            .await?
            .json()?
            .ok_or_else(|| ArmError::InvalidRequest {
                reason: format!("long-running operation on {path} finished without a body"),
            })
    }

    /// Sends one poll and updates the state; returns the status seen.
    async fn poll(&mut self) -> Result<String, ArmError> {
        match &self.state {
            State::Done(_) => Ok("Succeeded".to_owned()),
            State::AsyncOperation(url) => {
                let response = self.client.get_url(url.clone()).await?;
                self.remember_retry_after(&response);
                let status: OperationStatus = response.json()?;
                match classify(&status.status) {
                    Terminal::Succeeded => {
                        let result = self.final_result(response).await?;
                        self.state = State::Done(result);
                    }
                    Terminal::Failed => {
                        return Err(ArmError::OperationFailed {
                            path: self.resource_url.path().to_owned(),
                            status: status.status,
                            detail: status.error.map(Box::new),
                            request_id: response.request_id().map(str::to_owned),
                        });
                    }
                    Terminal::Running => {}
                }
                Ok(status.status)
            }
            State::Location(url) => {
                let response = match self.client.get_url(url.clone()).await {
                    Ok(response) => response,
                    Err(ArmError::Service {
                        status,
                        detail,
                        request_id,
                        ..
                    }) => {
                        return Err(ArmError::OperationFailed {
                            path: self.resource_url.path().to_owned(),
                            status: format!("Failed (HTTP {status})"),
                            detail,
                            request_id,
                        });
                    }
                    Err(error) => return Err(error),
                };
                self.remember_retry_after(&response);
                if response.status() == StatusCode::ACCEPTED {
                    return Ok("Accepted".to_owned());
                }
                let result = match self.method {
                    Method::DELETE => None,
                    _ if response.body().is_empty() => None,
                    _ => Some(response),
                };
                self.state = State::Done(result);
                Ok("Succeeded".to_owned())
            }
            State::Provisioning => {
                let response = self.client.get_url(self.resource_url.clone()).await?;
                self.remember_retry_after(&response);
                let status = provisioning_state(&response).unwrap_or_default();
                match classify(&status) {
                    Terminal::Succeeded => self.state = State::Done(Some(response)),
                    Terminal::Failed => {
                        return Err(ArmError::OperationFailed {
                            path: self.resource_url.path().to_owned(),
                            status,
                            detail: None,
                            request_id: response.request_id().map(str::to_owned),
                        });
                    }
                    Terminal::Running => {}
                }
                Ok(status)
            }
        }
    }

    /// Keeps the latest `Retry-After`; a poll without one leaves the previous value.
    fn remember_retry_after(&mut self, response: &ArmResponse) {
        let now = self.client.clock().now_utc();
        if let Some(wait) = retry_after(response.headers(), now) {
            self.retry_after = Some(wait);
        }
    }

    /// Reads the result after the status document reported `Succeeded`.
    async fn final_result(
        &self,
        status_response: ArmResponse,
    ) -> Result<Option<ArmResponse>, ArmError> {
        let use_location = self.final_state_via == FinalStateVia::Location;
        match self.method {
            Method::DELETE => Ok(None),
            Method::PUT | Method::PATCH => {
                let url = match (&self.location, use_location) {
                    (Some(location), true) => location.clone(),
                    _ => self.resource_url.clone(),
                };
                self.client.get_url(url).await.map(Some)
            }
            _ => match (&self.location, self.final_state_via) {
                (_, FinalStateVia::AzureAsyncOperation) => Ok(Some(status_response)),
                (Some(location), _) => {
                    let response = self.client.get_url(location.clone()).await?;
                    Ok((!response.body().is_empty()).then_some(response))
                }
                (None, _) => Ok(None),
            },
        }
    }
}
