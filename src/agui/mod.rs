//! The AG-UI single-route protocol (`shared/spec/protocol-agui.md`): what the
//! `@copilotkit/core` 1.74 client speaks to a v1 `copilotRuntime*Endpoint`.
//!
//! * [`events`] — the AG-UI event types, their wire JSON and a tolerant decoder;
//! * [`input`] — `RunAgentInput` validation (zod-compatible issues) and decoding;
//! * [`pipeline`] — chunk expansion, sequencing verification, closers and terminal events;
//! * [`compact`] — replay compaction and the message list a run leaves behind;
//! * [`sse`] — SSE frames and keep-alives;
//! * [`store`] — the thread store trait and its bounded in-memory implementation;
//! * [`cors`] — the factories' CORS behaviour;
//! * [`handler`] — the endpoint itself: [`handle`] over an [`AgentProvider`] and a [`ThreadStore`].

pub mod agent;
pub mod compact;
pub mod cors;
pub mod events;
pub mod handler;
pub mod input;
pub mod pipeline;
pub mod sse;
pub mod store;

#[cfg(test)]
mod tests;

pub use agent::{AgentInfo, AgentProvider, RunContext};
pub use cors::{CorsConfig, CorsOrigin};
pub use events::AguiEvent;
pub use handler::{handle, too_deep, AguiContext, AguiRequest, AguiResponse, ErrorEvent, ErrorHook, ErrorPhase, DEFAULT_MAX_MESSAGES, MAX_JSON_DEPTH, THREAD_BUSY};
pub use input::RunAgentInput;
pub use store::{InMemoryThreadStore, StoreLimits, ThreadStore};
