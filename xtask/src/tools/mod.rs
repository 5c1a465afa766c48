//! Tools that `cargo xtask test` downloads for the tests.

pub(crate) mod helm;
