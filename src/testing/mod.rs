//! Test support shared by the crate's `cargo test`s (compiled only for tests).

pub mod mock_gemini;
