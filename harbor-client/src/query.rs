//! The `q` query parameter of Harbor list operations.

/// A value for the `q` query parameter, already encoded for Harbor's second decoding pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query(String);

impl Query {
    /// Returns the value sent as `q`, before the transport's own query encoding.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
