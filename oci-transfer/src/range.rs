//! Upload `Range` and `Content-Range` headers and chunk sizing.

use crate::Error;

/// Default maximum size of one `PATCH` in a chunked upload: 4 MiB, because GHCR rejects larger
/// requests with 416.
pub const DEFAULT_MAX_CHUNK: u64 = 4 * 1024 * 1024;

/// Returns the offset of the next byte to upload from an upload response's `Range` header.
///
/// Registries send `0-<last>` (distribution) or `bytes=0-<last>` (zot and others), inclusive.
/// Right after the `POST` that opened the session, `0-0` means nothing is stored yet, so pass
/// `after_post = true` there; elsewhere `0-0` means one byte is stored.
///
/// # Errors
///
/// [`Error::InvalidRange`] when the value is neither spelling.
pub fn next_offset(range: &str, after_post: bool) -> Result<u64, Error> {
    let invalid = || Error::InvalidRange(range.to_owned());
    let trimmed = range.trim();
    let spec = trimmed.strip_prefix("bytes=").unwrap_or(trimmed);
    let (start, end) = spec.split_once('-').ok_or_else(invalid)?;
    let start: u64 = start.trim().parse().map_err(|_| invalid())?;
    let end: u64 = end.trim().parse().map_err(|_| invalid())?;
    if start != 0 || end < start {
        return Err(invalid());
    }
    if after_post && end == 0 {
        return Ok(0);
    }
    Ok(end + 1)
}

/// Formats the `Content-Range` of a chunk: `<first>-<last>`, both inclusive, without a unit,
/// as the distribution API specifies for `PATCH`.
pub fn content_range(offset: u64, length: u64) -> String {
    format!("{}-{}", offset, offset + length.saturating_sub(1))
}

/// Chooses the chunk size: `configured_max`, raised to the registry's `OCI-Chunk-Min-Length`
/// when that is larger.
pub fn chunk_size(configured_max: u64, registry_min: Option<u64>) -> u64 {
    let size = configured_max.max(1);
    match registry_min {
        Some(min) if min > size => min,
        _ => size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_range_spellings_give_the_same_offset() {
        assert_eq!(next_offset("0-1048575", false).unwrap(), 1_048_576);
        assert_eq!(next_offset("bytes=0-1048575", false).unwrap(), 1_048_576);
    }

    #[test]
    fn zero_range_after_post_means_empty() {
        assert_eq!(next_offset("0-0", true).unwrap(), 0);
        assert_eq!(next_offset("0-0", false).unwrap(), 1);
    }

    #[test]
    fn malformed_range_is_rejected() {
        for value in ["", "5", "a-b", "10-20", "0-", "bytes 0-3"] {
            let error = next_offset(value, false).unwrap_err();
            assert!(matches!(error, Error::InvalidRange(_)), "{value}: {error}");
        }
    }

    #[test]
    fn chunk_ranges_of_a_2_5_mib_blob() {
        let chunk = chunk_size(1024 * 1024, None);
        assert_eq!(content_range(0, chunk), "0-1048575");
        assert_eq!(content_range(chunk, chunk), "1048576-2097151");
    }

    #[test]
    fn chunk_size_honours_registry_minimum() {
        assert_eq!(chunk_size(DEFAULT_MAX_CHUNK, None), DEFAULT_MAX_CHUNK);
        assert_eq!(chunk_size(1024, Some(5 * 1024 * 1024)), 5 * 1024 * 1024);
        assert_eq!(chunk_size(1024 * 1024, Some(1024)), 1024 * 1024);
    }
}
