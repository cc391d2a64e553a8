//! Gemini streaming client (Gemini Developer API, `v1beta` `:streamGenerateContent?alt=sse`).
//!
//! Pure Rust: no napi types. Typical use:
//!
//! ```ignore
//! let client = GeminiClient::new(GeminiConfig::from_options(model, api_key, api_version, base_url));
//! let model = req.effective_model(&client.config().model).to_string();
//! let body = build_request_body(&req, &model, client.signatures())?;
//! let mut events = std::pin::pin!(client.stream(body, &model, cancel.clone()));
//! while let Some(ev) = events.next().await { /* Text / Thought / FunctionCall / Finished / Error */ }
//! ```
//!
//! Submodules: `config` (options and env), `request` (history mapping), `schema` (tool schema
//! cleaning), `sse` (incremental parser), `response` (chunk → events), `client` (HTTP, retries,
//! timeouts, cancellation), `signatures` (thoughtSignature store), `error`.

pub mod config;
pub mod error;
pub mod request;
pub mod schema;
pub mod signatures;

#[cfg(test)]
mod tests_request;

pub use config::GeminiConfig;
pub use error::{GeminiError, GeminiErrorKind, RequestError};
pub use request::{build_request_body, is_gemini_3, is_valid_tool_name, ChatRequest, SKIP_SIGNATURE};
pub use schema::clean_schema;
pub use signatures::ThoughtSignatures;
