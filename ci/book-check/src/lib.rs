//! The checks live in `tests/book.rs`; this crate has no library code of its own.
