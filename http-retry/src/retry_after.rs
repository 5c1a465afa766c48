//! The wait a server requests: `Retry-After` and the millisecond headers Azure sends.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// Returns the wait the server requests in `headers`, if any.
///
/// Azure's `retry-after-ms` and `x-ms-retry-after-ms` (milliseconds) come first because they are
/// more precise; then `Retry-After` as delay seconds or an HTTP date, read with `now`. A date in
/// the past gives zero. Any other value is ignored.
#[must_use]
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        let millis = headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_whole_number(value.trim()));
        if let Some(millis) = millis {
            return Some(Duration::from_millis(millis));
        }
    }
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// Parses one `Retry-After` value: delay seconds or an HTTP date, read with `now`. A date in the
/// past gives zero.
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(seconds) = parse_whole_number(value) {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses ASCII digits only: `u64::from_str` would also take a leading `+`.
fn parse_whole_number(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn now() -> SystemTime {
        httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap()
    }

    #[test]
    fn retry_after_values() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("120", Some(Duration::from_secs(120))),
            (" 0 ", Some(Duration::ZERO)),
            (
                "Wed, 21 Oct 2026 07:28:30 GMT",
                Some(Duration::from_secs(30)),
            ),
            ("Wed, 21 Oct 2026 07:00:00 GMT", Some(Duration::ZERO)),
            ("+5", None),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_retry_after(value, now()),
                *expected,
                "value {value:?}"
            );
        }
    }

    #[test]
    fn millisecond_headers_come_before_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers, now()), Some(Duration::from_secs(2)));

        headers.insert("x-ms-retry-after-ms", HeaderValue::from_static("750"));
        assert_eq!(
            retry_after(&headers, now()),
            Some(Duration::from_millis(750))
        );

        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(
            retry_after(&headers, now()),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn unreadable_values_are_ignored() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now()), None);
        headers.insert("retry-after-ms", HeaderValue::from_static("soon"));
        headers.insert("retry-after", HeaderValue::from_static("later"));
        assert_eq!(retry_after(&headers, now()), None);
    }
}
