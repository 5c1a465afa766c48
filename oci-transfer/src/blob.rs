//! Blobs: existence check, streaming download, cross-repository mount, and monolithic or
//! chunked upload.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use oci_spec::image::Digest;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RANGE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use crate::auth::Scope;
use crate::client::{Request, UploadMode, expect_status, status_error};
use crate::digest::{FailureSlot, Verifier, VerifyingStream, into_body_stream};
use crate::location::{resolve_location, with_digest};
use crate::range::{chunk_size, content_range, next_offset};
use crate::{Error, RegistryClient, RepositoryName};

/// A stream of blob bytes. Streams from this crate verify the digest and size and end with an
/// error instead of their last chunk when the bytes do not match.
pub type BlobStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

/// An open upload session.
#[derive(Debug, Clone)]
pub struct UploadSession {
    /// Upload URL from the last `Location`, with its query.
    pub url: Url,
    /// Offset of the next byte the registry expects.
    pub offset: u64,
    /// The registry's `OCI-Chunk-Min-Length`, when sent.
    pub min_chunk: Option<u64>,
}

/// Result of a cross-repository mount request.
#[derive(Debug, Clone)]
pub enum MountOutcome {
    /// The registry linked the blob into the repository (201).
    Mounted,
    /// The registry did not mount but opened an upload session: upload the blob to it. Returned
    /// both when the registry responds 202 and after a rejected mount fell back to a plain
    /// `POST`.
    Upload(UploadSession),
}

const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");

impl RegistryClient {
    /// Checks with `HEAD` whether a blob exists, returning its size.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] on statuses other than 200 and 404.
    pub async fn blob_exists(
        &self,
        repository: &RepositoryName,
        digest: &Digest,
    ) -> Result<Option<u64>, Error> {
        let url = self.repository_url(repository, &format!("blobs/{digest}"));
        let request = Request::new(
            Method::HEAD,
            url.clone(),
            vec![Scope::pull(repository.as_str())],
        );
        let response = self.execute(request).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = expect_status(response, Method::HEAD, &url, &[StatusCode::OK]).await?;
        // The header, because the HTTP client reports a HEAD response's empty body as length 0.
        let size = header_str(response.headers(), CONTENT_LENGTH.as_str())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        Ok(Some(size))
    }

    /// Streams a blob, verifying its digest and, when given, its size over the bytes received.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] when the request fails; the stream yields [`Error::Transport`] on a
    /// dropped connection and [`Error::DigestMismatch`] or [`Error::SizeMismatch`] at its end.
    pub async fn get_blob(
        &self,
        repository: &RepositoryName,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<BlobStream, Error> {
        let verifier = Verifier::new(digest, size)?;
        let raw = self.get_blob_unverified(repository, digest).await?;
        Ok(Box::pin(VerifyingStream::new(
            raw,
            verifier,
            Box::new(|_| {}),
        )))
    }

    pub(crate) async fn get_blob_unverified(
        &self,
        repository: &RepositoryName,
        digest: &Digest,
    ) -> Result<BlobStream, Error> {
        let url = self.repository_url(repository, &format!("blobs/{digest}"));
        let request = Request::new(
            Method::GET,
            url.clone(),
            vec![Scope::pull(repository.as_str())],
        );
        let response = self.execute(request).await?;
        let response = expect_status(response, Method::GET, &url, &[StatusCode::OK]).await?;
        let shown = crate::error::url_for_message(&url);
        Ok(Box::pin(response.bytes_stream().map(move |item| {
            item.map_err(|source| Error::Transport {
                method: "GET".to_owned(),
                url: shown.clone(),
                source,
            })
        })))
    }

    /// Opens an upload session with `POST /v2/<repository>/blobs/uploads/`.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] unless the registry responds 202, and the errors of
    /// [`resolve_location`](crate::location::resolve_location).
    pub async fn start_upload(&self, repository: &RepositoryName) -> Result<UploadSession, Error> {
        let url = self.repository_url(repository, "blobs/uploads/");
        let request = Request::new(
            Method::POST,
            url.clone(),
            vec![Scope::push(repository.as_str())],
        );
        let response = self.execute(request).await?;
        let response = expect_status(response, Method::POST, &url, &[StatusCode::ACCEPTED]).await?;
        self.session_from(&response, &url)
    }

    /// Asks the registry to mount a blob from repository `from` of the same registry, using a
    /// token with push on `repository` and pull on `from`.
    ///
    /// A registry that cannot mount responds 202 with an upload session. A rejected mount (401,
    /// 403, 404 and other client errors, as Harbor sends for a foreign `from`) falls back to a
    /// plain `POST`, so the caller can always upload.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] when the fallback `POST` also fails, or on server errors.
    pub async fn mount_blob(
        &self,
        repository: &RepositoryName,
        digest: &Digest,
        from: &RepositoryName,
    ) -> Result<MountOutcome, Error> {
        let mut url = self.repository_url(repository, "blobs/uploads/");
        url.query_pairs_mut()
            .append_pair("mount", digest.as_ref())
            .append_pair("from", from.as_str());
        let scopes = vec![Scope::push(repository.as_str()), Scope::pull(from.as_str())];
        let response = self
            .execute(Request::new(Method::POST, url.clone(), scopes))
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(MountOutcome::Mounted),
            StatusCode::ACCEPTED => Ok(MountOutcome::Upload(self.session_from(&response, &url)?)),
            status if status.is_client_error() => {
                tracing::info!(registry = %self.registry(), repository = %repository, from = %from, digest = %digest, status = status.as_u16(), "mount rejected; uploading instead");
                Ok(MountOutcome::Upload(self.start_upload(repository).await?))
            }
            _ => Err(status_error(response, Method::POST, &url).await),
        }
    }

    fn session_from(&self, response: &Response, request_url: &Url) -> Result<UploadSession, Error> {
        let location = header_str(response.headers(), LOCATION.as_str()).ok_or_else(|| {
            Error::InvalidResponse {
                what: "upload session",
                origin: crate::error::url_for_message(request_url),
                reason: "202 without a Location header".to_owned(),
            }
        })?;
        let url = resolve_location(&self.inner.base, location)?;
        let offset = match header_str(response.headers(), RANGE.as_str()) {
            Some(range) => next_offset(range, true)?,
            None => 0,
        };
        let min_chunk = header_str(response.headers(), "oci-chunk-min-length")
            .and_then(|value| value.parse().ok());
        Ok(UploadSession {
            url,
            offset,
            min_chunk,
        })
    }

    /// Uploads a blob into an open session, verifying the bytes of `stream` against `digest`
    /// and `size` on the way, with the client's [`UploadMode`].
    ///
    /// The upload is committed only when the bytes match: a monolithic upload holds back its last
    /// bytes and a chunked upload sends its final `PUT` only after verification.
    ///
    /// # Errors
    ///
    /// [`Error::DigestMismatch`], [`Error::SizeMismatch`], errors of the source stream, and
    /// [`Error::Status`] when the registry rejects a request.
    pub async fn upload_blob<S>(
        &self,
        repository: &RepositoryName,
        session: UploadSession,
        digest: &Digest,
        size: u64,
        stream: S,
        on_bytes: Box<dyn FnMut(u64) + Send>,
    ) -> Result<(), Error>
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + Unpin + 'static,
    {
        let verifier = Verifier::new(digest, Some(size))?;
        match self.inner.upload {
            UploadMode::Monolithic => {
                let verified = VerifyingStream::new(stream, verifier, on_bytes);
                self.upload_monolithic(repository, session, digest, size, verified)
                    .await
            }
            UploadMode::Chunked { max_chunk } => {
                let chunk = chunk_size(max_chunk, session.min_chunk);
                self.upload_chunked(
                    repository, session, digest, chunk, stream, verifier, on_bytes,
                )
                .await
            }
        }
    }

    async fn upload_monolithic<S>(
        &self,
        repository: &RepositoryName,
        session: UploadSession,
        digest: &Digest,
        size: u64,
        stream: S,
    ) -> Result<(), Error>
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
    {
        let failure = FailureSlot::default();
        let body = reqwest::Body::wrap_stream(into_body_stream(stream, failure.clone()));
        let url = with_digest(&session.url, digest);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, OCTET_STREAM);
        headers.insert(CONTENT_LENGTH, HeaderValue::from(size));
        let scopes = [Scope::push(repository.as_str())];
        let outcome = self
            .execute_streaming(Method::PUT, url.clone(), headers, body, &scopes)
            .await;
        if let Some(error) = failure.lock().expect("failure slot lock").take() {
            return Err(error);
        }
        let response = outcome?;
        expect_status(response, Method::PUT, &url, &[StatusCode::CREATED]).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn upload_chunked<S>(
        &self,
        repository: &RepositoryName,
        session: UploadSession,
        digest: &Digest,
        chunk: u64,
        mut stream: S,
        mut verifier: Verifier,
        mut on_bytes: Box<dyn FnMut(u64) + Send>,
    ) -> Result<(), Error>
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + Unpin,
    {
        let chunk = usize::try_from(chunk).unwrap_or(usize::MAX);
        let mut url = session.url;
        let mut offset = session.offset;
        let mut buffer = BytesMut::new();
        let mut ended = false;
        while !ended {
            while buffer.len() < chunk {
                match stream.next().await {
                    Some(Ok(bytes)) => {
                        verifier.update(&bytes)?;
                        on_bytes(bytes.len() as u64);
                        buffer.extend_from_slice(&bytes);
                    }
                    Some(Err(error)) => return Err(error),
                    None => {
                        ended = true;
                        break;
                    }
                }
            }
            if ended {
                break;
            }
            let data = buffer.split_to(chunk).freeze();
            url = self
                .patch_chunk(repository, url, offset, data.clone())
                .await?;
            offset += data.len() as u64;
        }
        verifier.finish()?;
        let last = buffer.freeze();
        let put_url = with_digest(&url, digest);
        let mut request = Request::new(
            Method::PUT,
            put_url.clone(),
            vec![Scope::push(repository.as_str())],
        );
        request.headers.insert(CONTENT_TYPE, OCTET_STREAM);
        if !last.is_empty() {
            request.headers.insert(
                "content-range",
                header_value(&content_range(offset, last.len() as u64)),
            );
        }
        request.body = Some(last);
        let response = self.execute(request).await?;
        expect_status(response, Method::PUT, &put_url, &[StatusCode::CREATED]).await?;
        Ok(())
    }

    /// Sends one `PATCH` of `data` at `offset` and returns the next upload URL. When the
    /// registry answers 416 or stores a different amount, it reads the session status and
    /// resends the part of `data` the registry lacks.
    async fn patch_chunk(
        &self,
        repository: &RepositoryName,
        mut url: Url,
        offset: u64,
        data: Bytes,
    ) -> Result<Url, Error> {
        let end = offset + data.len() as u64;
        let mut sent_from = offset;
        for _ in 0..4 {
            let part = data.slice(usize::try_from(sent_from - offset).expect("within the chunk")..);
            let mut request = Request::new(
                Method::PATCH,
                url.clone(),
                vec![Scope::push(repository.as_str())],
            );
            request.headers.insert(CONTENT_TYPE, OCTET_STREAM);
            request.headers.insert(
                "content-range",
                header_value(&content_range(sent_from, part.len() as u64)),
            );
            request
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(part.len()));
            request.body = Some(part);
            let response = self.execute(request).await?;
            let stored = match response.status() {
                StatusCode::ACCEPTED | StatusCode::NO_CONTENT => {
                    url = self.session_from(&response, &url)?.url;
                    match header_str(response.headers(), RANGE.as_str()) {
                        Some(range) => next_offset(range, false)?,
                        None => end,
                    }
                }
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    let status = self.upload_status(repository, &url).await?;
                    url = status.url;
                    status.offset
                }
                _ => return Err(status_error(response, Method::PATCH, &url).await),
            };
            if stored == end {
                return Ok(url);
            }
            if stored < offset || stored > end {
                return Err(Error::InvalidResponse {
                    what: "upload Range",
                    origin: crate::error::url_for_message(&url),
                    reason: format!(
                        "the registry stores {stored} bytes, outside the chunk {offset}..{end} being sent"
                    ),
                });
            }
            tracing::info!(registry = %self.registry(), repository = %repository, stored, end, "registry stored part of a chunk; resending the rest");
            sent_from = stored;
        }
        Err(Error::InvalidResponse {
            what: "upload Range",
            origin: crate::error::url_for_message(&url),
            reason: format!("the registry did not store bytes {offset}..{end} after 4 attempts"),
        })
    }

    /// Reads an upload session's status with `GET`: the registry answers 204 with `Range` and
    /// `Location`.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] unless the registry answers 204.
    pub async fn upload_status(
        &self,
        repository: &RepositoryName,
        url: &Url,
    ) -> Result<UploadSession, Error> {
        let request = Request::new(
            Method::GET,
            url.clone(),
            vec![Scope::push(repository.as_str())],
        );
        let response = self.execute(request).await?;
        let response = expect_status(response, Method::GET, url, &[StatusCode::NO_CONTENT]).await?;
        let offset = match header_str(response.headers(), RANGE.as_str()) {
            Some(range) => next_offset(range, true)?,
            None => 0,
        };
        let next = match header_str(response.headers(), LOCATION.as_str()) {
            Some(location) => resolve_location(&self.inner.base, location)?,
            None => url.clone(),
        };
        Ok(UploadSession {
            url: next,
            offset,
            min_chunk: None,
        })
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).expect("formatted ranges are valid header values")
}
