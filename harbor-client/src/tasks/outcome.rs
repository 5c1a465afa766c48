//! The result of an `ensure_*` call.

/// Result of an `ensure_*` call, with the resource as Harbor stores it afterwards.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// The resource did not exist and was created.
    Created(T),
    /// The resource existed and at least one field was changed.
    Updated(T),
    /// The resource existed as desired; no write request was sent.
    Unchanged(T),
}

impl<T> Outcome<T> {
    /// Returns the resource.
    pub fn resource(&self) -> &T {
        match self {
            Self::Created(value) | Self::Updated(value) | Self::Unchanged(value) => value,
        }
    }

    /// Consumes the outcome and returns the resource.
    pub fn into_resource(self) -> T {
        match self {
            Self::Created(value) | Self::Updated(value) | Self::Unchanged(value) => value,
        }
    }

    /// Reports whether the call sent a write request (created or updated the resource).
    pub fn is_change(&self) -> bool {
        !matches!(self, Self::Unchanged(_))
    }

    /// Returns `created`, `updated` or `unchanged`, for plans and summaries.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Created(_) => "created",
            Self::Updated(_) => "updated",
            Self::Unchanged(_) => "unchanged",
        }
    }

    /// Applies `f` to the resource and keeps the kind of outcome.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Self::Created(value) => Outcome::Created(f(value)),
            Self::Updated(value) => Outcome::Updated(f(value)),
            Self::Unchanged(value) => Outcome::Unchanged(f(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unchanged_is_not_a_change() {
        assert!(Outcome::Created(1).is_change());
        assert!(Outcome::Updated(1).is_change());
        assert!(!Outcome::Unchanged(1).is_change());
        assert_eq!(Outcome::Updated(2).map(|n| n * 2).into_resource(), 4);
        assert_eq!(Outcome::Unchanged("x").verb(), "unchanged");
    }
}
