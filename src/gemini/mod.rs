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

pub mod client;
pub mod config;
pub mod error;
pub mod request;
pub mod response;
pub mod schema;
pub mod signatures;
pub mod sse;

#[cfg(test)]
mod tests_client;
#[cfg(test)]
mod tests_request;

pub use client::GeminiClient;
pub use config::GeminiConfig;
pub use error::{GeminiError, GeminiErrorKind, RequestError};
pub use request::{build_request_body, is_gemini_3, is_valid_tool_name, ChatRequest, SKIP_SIGNATURE};
pub use schema::clean_schema;
pub use signatures::ThoughtSignatures;

use crate::model::{FinishReason, Usage};

/// One item of a streamed model turn.
#[derive(Debug, Clone, PartialEq)]
pub enum GeminiEvent {
    /// Answer text delta.
    Text { delta: String },
    /// Thought-summary delta (`thought: true` parts): reasoning, never answer text.
    Thought { delta: String },
    /// A complete function call (Gemini never splits args). `id` is `functionCall.id` or one
    /// minted here; `thought_signature` is also recorded in the client's signature store.
    FunctionCall {
        id: String,
        name: String,
        args: serde_json::Value,
        thought_signature: Option<String>,
    },
    /// Terminal on success. `raw_reason` is Gemini's `finishReason` (or the prompt's
    /// `blockReason`); `usage` is from the last chunk.
    Finished {
        reason: FinishReason,
        raw_reason: Option<String>,
        usage: Option<Usage>,
    },
    /// Terminal on failure.
    Error(GeminiError),
}

impl GeminiEvent {
    pub fn is_terminal(&self) -> bool {
        matches!(self, GeminiEvent::Finished { .. } | GeminiEvent::Error(_))
    }
}
