//! GraphQL front end for the fixed CopilotKit 1.10.6 schema.
//!
//! Pipeline: HTTP request ([`http::handle_graphql`]) → parameters ([`request`]) → parse
//! ([`parser`]) → validate ([`validate`]) → operation selection and variable coercion
//! ([`request`], [`values`]) → execution with `@defer`/`@stream` ([`mod@execute`]) against the
//! engine's [`RootResolvers`] → encoding as `multipart/mixed; boundary="-"`, `text/event-stream`
//! or one JSON body ([`encode`]).
//!
//! # Using it from the engine
//!
//! ```text
//! struct Engine { … }
//! impl RootResolvers for Engine {
//!     fn generate_copilot_response(&self, data: GenerateCopilotResponseInput,
//!             properties: Option<Map<String, Value>>, ctx: RequestContext)
//!             -> BoxFuture<'static, Result<Resolved, ResolverError>> {
//!         async move {
//!             let messages = data.model_messages();          // Vec<model::Message>
//!             let tools = data.tools().map_err(|e| ResolverError::plain(e.to_string()))?;
//!             let params = data.generation_params();
//!             // … start the run; failures here → Err(ResolverError::copilot(code, msg))
//!             let (mut w, value) = copilot_response(CopilotResponseHead {
//!                 thread_id, run_id: None, extensions: None });
//!             tokio::spawn(async move {
//!                 // per engine event:
//!                 let mut m = w.start_text_message(id, None, None);   // TextMessageStart
//!                 m.push(delta);                                       // TextMessageContent
//!                 m.finish(MessageStatus::Success);                    // TextMessageEnd
//!                 let mut c = w.start_action_execution(id, name, parent, None);
//!                 c.push(args_fragment); c.finish(MessageStatus::Success);
//!                 w.push_message(OutputMessage::Result { … });         // server action result
//!                 w.finish(ResponseStatus::Success);                   // or unknown_error(…)
//!                 // w.is_closed(): the client went away
//!             });
//!             Ok(value)
//!         }.boxed()
//!     }
//!     …
//! }
//! let resp = handle_graphql(req, Arc::new(engine), cancel).await; // status, headers, body
//! ```
//!
//! Ordering guarantees: the initial payload comes first; a message item precedes its chunks
//! and its status; list indices are contiguous; a status set after pushing chunks/messages is
//! delivered after them (the writers count what the executor has taken); payloads that become
//! ready together are batched into one `incremental` array in creation order, like yoga.

#![allow(clippy::result_large_err)] // GraphQLError is the natural error of the request phase; it is not hot.

pub mod ast;
pub mod encode;
pub mod error;
pub mod execute;
pub mod http;
pub mod inputs;
pub mod outputs;
pub mod parser;
pub mod request;
pub mod resolved;
pub mod root;
pub mod schema;
pub mod validate;
pub mod values;

#[cfg(test)]
mod tests;

pub use error::{GraphQLError, PathSeg, Pos};
pub use execute::{
    apply_incremental, execute, EntryKind, ExecutionOutput, ExecutionPayload, IncrementalEntry,
    IncrementalStream, PreparedOperation,
};
pub use http::{
    handle_graphql, handle_graphql_with_config, negotiate, GraphqlHttpRequest, GraphqlHttpResponse,
    HandlerConfig, ResponseBody, ResponseMode, RUNTIME_VERSION,
};
pub use inputs::*;
pub use outputs::{
    agents_response, copilot_response, load_agent_state_response, now_iso, AgentInfo,
    CopilotResponseHead,
    FailedResponseStatusReason, LoadAgentStateOutput, MessageStatus, MessageWriter, MetaEvent,
    OpenAIAssistantApiResponse, OutputMessage, ResponseStatus, ResponseWriter,
};
pub use resolved::{BoxStream, FieldError, FieldMap, ObjectSource, Resolved};
pub use root::{CopilotErrorCode, RequestContext, ResolverError, RootResolvers};
