//! Code generated from Harbor's swagger by `cargo xtask codegen`.
