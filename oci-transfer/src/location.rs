//! Resolution of upload `Location` headers against the registry's base URL.

use url::Url;

use crate::Error;

/// Resolves an upload session's `Location` header.
///
/// A relative `Location` (with or without the `/v2/` prefix) is resolved against `base`, and its
/// query, such as distribution's `_state`, is kept. An absolute `Location` is used as sent, even
/// on another host, which then gets the requests without the registry's credentials. An
/// absolute `http://` URL while `base` is `https://` is rejected, because following it would
/// send the blob unencrypted.
///
/// # Errors
///
/// [`Error::InsecureRedirect`] on an HTTPS to HTTP switch, [`Error::InvalidResponse`] when the
/// value is not a URL reference.
pub fn resolve_location(base: &Url, location: &str) -> Result<Url, Error> {
    let resolved = match Url::parse(location) {
        Ok(absolute) => absolute,
        Err(url::ParseError::RelativeUrlWithoutBase) => base
            .join(location)
            .map_err(|error| invalid(base, location, error))?,
        Err(error) => return Err(invalid(base, location, error)),
    };
    if base.scheme() == "https" && resolved.scheme() == "http" {
        return Err(Error::InsecureRedirect {
            location: crate::error::url_for_message(&resolved),
        });
    }
    Ok(resolved)
}

/// Appends `digest=<digest>` to an upload URL for the final `PUT`, keeping its other query
/// parameters.
pub fn with_digest(upload: &Url, digest: &oci_spec::image::Digest) -> Url {
    let mut url = upload.clone();
    url.query_pairs_mut().append_pair("digest", digest.as_ref());
    url
}

fn invalid(base: &Url, location: &str, error: url::ParseError) -> Error {
    Error::InvalidResponse {
        what: "upload Location header",
        origin: base.to_string(),
        reason: format!("{location:?} is not a URL reference: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://exampleacr.azurecr.io").unwrap()
    }

    fn digest() -> oci_spec::image::Digest {
        "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
            .parse()
            .unwrap()
    }

    #[test]
    fn relative_location_keeps_state_query() {
        let url =
            resolve_location(&base(), "/v2/mirror/nginx/blobs/uploads/u1?_state=abc").unwrap();
        assert_eq!(
            url.as_str(),
            "https://exampleacr.azurecr.io/v2/mirror/nginx/blobs/uploads/u1?_state=abc"
        );
        let put = with_digest(&url, &digest());
        assert_eq!(
            put.as_str(),
            "https://exampleacr.azurecr.io/v2/mirror/nginx/blobs/uploads/u1?_state=abc&digest=sha256%3A6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
        );
    }

    #[test]
    fn absolute_location_is_used_as_sent() {
        let location = "https://harbor.example.test/v2/library/nginx/blobs/uploads/u2";
        assert_eq!(
            resolve_location(&base(), location).unwrap().as_str(),
            location
        );
    }

    #[test]
    fn location_outside_v2_resolves_against_base() {
        let url = resolve_location(
            &base(),
            "/artifacts-uploads/namespaces/p/repositories/r/uploads/u3",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://exampleacr.azurecr.io/artifacts-uploads/namespaces/p/repositories/r/uploads/u3"
        );
    }

    #[test]
    fn https_to_http_location_is_rejected() {
        let error = resolve_location(
            &base(),
            "http://harbor.example.test/v2/library/nginx/blobs/uploads/u4?_state=secret",
        )
        .unwrap_err();
        assert!(matches!(error, Error::InsecureRedirect { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains("relativeurls"), "{message}");
        assert!(message.contains("X-Forwarded-Proto"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }

    #[test]
    fn plain_http_base_accepts_http_location() {
        let base = Url::parse("http://127.0.0.1:5000").unwrap();
        let url = resolve_location(&base, "http://127.0.0.1:5000/v2/a/blobs/uploads/x").unwrap();
        assert_eq!(url.scheme(), "http");
    }
}
