//! Digest computation and a stream adapter that verifies a blob while it passes through.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use oci_spec::image::{Digest, DigestAlgorithm};
use sha2::{Digest as _, Sha256, Sha512};

use crate::Error;

/// Computes the `sha256:` digest of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> Digest {
    let hex = hex_lower(&Sha256::digest(bytes));
    format!("sha256:{hex}")
        .parse()
        .expect("a sha256 hex string is a valid digest")
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        write!(out, "{byte:02x}").expect("writing to a String cannot fail");
    }
    out
}

enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

/// Incremental check of content against a digest and an optional size.
pub(crate) struct Verifier {
    expected: Digest,
    size: Option<u64>,
    hasher: Hasher,
    received: u64,
}

impl Verifier {
    /// Starts a verification.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for digest algorithms other than sha256 and sha512.
    pub(crate) fn new(expected: &Digest, size: Option<u64>) -> Result<Self, Error> {
        let hasher = match expected.algorithm() {
            DigestAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            DigestAlgorithm::Sha512 => Hasher::Sha512(Sha512::new()),
            other => {
                return Err(Error::Unsupported(format!(
                    "digest algorithm {other} in {expected}: only sha256 and sha512 are verified"
                )));
            }
        };
        Ok(Verifier {
            expected: expected.clone(),
            size,
            hasher,
            received: 0,
        })
    }

    /// Hashes the next bytes; fails as soon as more bytes than the expected size arrive.
    pub(crate) fn update(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.received += bytes.len() as u64;
        if let Some(size) = self.size
            && self.received > size
        {
            return Err(self.size_mismatch(size));
        }
        match &mut self.hasher {
            Hasher::Sha256(hasher) => hasher.update(bytes),
            Hasher::Sha512(hasher) => hasher.update(bytes),
        }
        Ok(())
    }

    /// Compares the size and the digest of everything hashed.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if let Some(size) = self.size
            && self.received != size
        {
            return Err(self.size_mismatch(size));
        }
        let (algorithm, hex) = match self.hasher {
            Hasher::Sha256(hasher) => ("sha256", hex_lower(&hasher.finalize())),
            Hasher::Sha512(hasher) => ("sha512", hex_lower(&hasher.finalize())),
        };
        if hex != self.expected.digest() {
            return Err(Error::DigestMismatch {
                expected: self.expected,
                actual: format!("{algorithm}:{hex}"),
            });
        }
        Ok(())
    }

    fn size_mismatch(&self, size: u64) -> Error {
        Error::SizeMismatch {
            digest: self.expected.clone(),
            expected: size,
            actual: self.received,
        }
    }
}

/// Storage for the error that ended a request body stream, because an HTTP client that
/// consumes the stream reports only that the body failed.
pub(crate) type FailureSlot = Arc<Mutex<Option<Error>>>;

/// Adapts a blob stream to a request body: an error is stored in `failure` and replaced by an
/// I/O error that aborts the request.
pub(crate) fn into_body_stream<S>(
    stream: S,
    failure: FailureSlot,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
{
    use futures_util::StreamExt;
    stream.map(move |item| {
        item.map_err(|error| {
            let message = error.to_string();
            *failure.lock().expect("failure slot lock") = Some(error);
            std::io::Error::other(message)
        })
    })
}

/// A blob stream that hashes every chunk and passes on the last chunk only once the digest and
/// size are verified, so a consumer never receives the complete bytes of a corrupt blob. With a
/// known size the last chunk is the one that completes it; without one, each chunk is held back
/// until the next arrives.
pub(crate) struct VerifyingStream<S> {
    inner: S,
    verifier: Option<Verifier>,
    held: Option<Bytes>,
    on_bytes: Box<dyn FnMut(u64) + Send>,
}

impl<S> VerifyingStream<S> {
    pub(crate) fn new(inner: S, verifier: Verifier, on_bytes: Box<dyn FnMut(u64) + Send>) -> Self {
        VerifyingStream {
            inner,
            verifier: Some(verifier),
            held: None,
            on_bytes,
        }
    }

    fn fail(&mut self, error: Error) -> Poll<Option<Result<Bytes, Error>>> {
        self.verifier = None;
        self.held = None;
        Poll::Ready(Some(Err(error)))
    }
}

impl<S> Stream for VerifyingStream<S>
where
    S: Stream<Item = Result<Bytes, Error>> + Unpin,
{
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.verifier.is_none() {
                return Poll::Ready(self.held.take().map(Ok));
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(error))) => return self.fail(error),
                Poll::Ready(Some(Ok(chunk))) => {
                    let verifier = self.verifier.as_mut().expect("checked above");
                    if let Err(error) = verifier.update(&chunk) {
                        return self.fail(error);
                    }
                    let (size, received) = (verifier.size, verifier.received);
                    (self.on_bytes)(chunk.len() as u64);
                    if chunk.is_empty() {
                        continue;
                    }
                    if size.is_some() {
                        // With a known size, the chunk that completes it is the last one and is
                        // checked before it is passed on. Earlier chunks pass at once, so the
                        // HTTP client can reuse its read buffer.
                        if size == Some(received) {
                            let verifier = self.verifier.take().expect("checked above");
                            if let Err(error) = verifier.finish() {
                                return self.fail(error);
                            }
                        }
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    if let Some(previous) = self.held.replace(chunk) {
                        return Poll::Ready(Some(Ok(previous)));
                    }
                }
                Poll::Ready(None) => {
                    let verifier = self.verifier.take().expect("checked above");
                    if let Err(error) = verifier.finish() {
                        return self.fail(error);
                    }
                    return Poll::Ready(self.held.take().map(Ok));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{StreamExt, stream};

    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, Error>> + Unpin {
        stream::iter(
            parts
                .iter()
                .map(|part| Ok(Bytes::from_static(part)))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn sha256_of_empty_json() {
        assert_eq!(
            sha256_digest(b"{}").to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[tokio::test]
    async fn verified_stream_passes_all_bytes() {
        let digest = sha256_digest(b"hello world");
        let verifier = Verifier::new(&digest, Some(11)).unwrap();
        let stream = VerifyingStream::new(
            chunks(&[b"hello", b" ", b"world"]),
            verifier,
            Box::new(|_| {}),
        );
        let received: Vec<_> = stream.collect().await;
        let bytes: Vec<u8> = received
            .into_iter()
            .flat_map(|chunk| chunk.unwrap().to_vec())
            .collect();
        assert_eq!(bytes, b"hello world");
    }

    #[tokio::test]
    async fn corrupt_stream_withholds_last_chunk() {
        let digest = sha256_digest(b"hello world");
        let verifier = Verifier::new(&digest, Some(11)).unwrap();
        let stream = VerifyingStream::new(
            chunks(&[b"hello", b" ", b"w0rld"]),
            verifier,
            Box::new(|_| {}),
        );
        let received: Vec<_> = stream.collect().await;
        assert_eq!(received.len(), 3);
        assert_eq!(received[0].as_ref().unwrap().as_ref(), b"hello");
        assert_eq!(received[1].as_ref().unwrap().as_ref(), b" ");
        let failure = received[2].as_ref().unwrap_err();
        assert!(matches!(failure, Error::DigestMismatch { .. }), "{failure}");
    }

    #[test]
    fn known_size_passes_chunks_at_once() {
        use futures_util::FutureExt;

        let digest = sha256_digest(b"hello world");
        let first_then_wait =
            || stream::iter(vec![Ok(Bytes::from_static(b"hello"))]).chain(stream::pending());

        let known = Verifier::new(&digest, Some(11)).unwrap();
        let mut stream = VerifyingStream::new(first_then_wait(), known, Box::new(|_| {}));
        let first = stream.next().now_or_never().flatten().unwrap().unwrap();
        assert_eq!(first.as_ref(), b"hello");

        let unknown = Verifier::new(&digest, None).unwrap();
        let mut stream = VerifyingStream::new(first_then_wait(), unknown, Box::new(|_| {}));
        assert!(
            stream.next().now_or_never().is_none(),
            "held until the next chunk"
        );
    }

    #[tokio::test]
    async fn unknown_size_withholds_corrupt_last_chunk() {
        let digest = sha256_digest(b"hello world");
        let verifier = Verifier::new(&digest, None).unwrap();
        let stream = VerifyingStream::new(
            chunks(&[b"hello", b" ", b"w0rld"]),
            verifier,
            Box::new(|_| {}),
        );
        let received: Vec<_> = stream.collect().await;
        assert_eq!(received.len(), 3);
        assert_eq!(received[1].as_ref().unwrap().as_ref(), b" ");
        let failure = received[2].as_ref().unwrap_err();
        assert!(matches!(failure, Error::DigestMismatch { .. }), "{failure}");
    }

    #[tokio::test]
    async fn oversized_stream_fails_early() {
        let digest = sha256_digest(b"abc");
        let verifier = Verifier::new(&digest, Some(3)).unwrap();
        let stream =
            VerifyingStream::new(chunks(&[b"ab", b"cd", b"ef"]), verifier, Box::new(|_| {}));
        let received: Vec<_> = stream.collect().await;
        assert_eq!(
            received.len(),
            2,
            "the chunk that overflows is not passed on"
        );
        assert_eq!(received[0].as_ref().unwrap().as_ref(), b"ab");
        let failure = received.last().unwrap().as_ref().unwrap_err();
        assert!(
            matches!(
                failure,
                Error::SizeMismatch {
                    expected: 3,
                    actual: 4,
                    ..
                }
            ),
            "{failure}"
        );
    }

    #[test]
    fn unsupported_algorithm_is_rejected() {
        let digest: Digest = format!("sha384:{}", "a".repeat(96)).parse().unwrap();
        assert!(matches!(
            Verifier::new(&digest, None),
            Err(Error::Unsupported(_))
        ));
    }
}
