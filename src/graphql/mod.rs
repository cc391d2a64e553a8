//! GraphQL front end for the fixed CopilotKit 1.10.6 schema.
//!
//! Pipeline: HTTP request ([`http::handle_graphql`]) → parameters ([`request`]) → parse
//! ([`parser`]) → validate ([`validate`]) → operation selection and variable coercion
//! ([`request`], [`values`]) → execution with `@defer`/`@stream` ([`execute`]) against the
//! engine's [`RootResolvers`] → encoding as `multipart/mixed; boundary="-"`, `text/event-stream`
//! or one JSON body ([`encode`]).
//!
//! The engine implements [`RootResolvers`]; for `generateCopilotResponse` it builds the response
//! with [`outputs::copilot_response`] and feeds the returned [`outputs::ResponseWriter`] from its
//! event stream. Inputs arrive typed ([`inputs`]) with converters into `crate::model`.

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
    apply_incremental, execute, EntryKind, ExecutionOutput, ExecutionPayload, IncrementalEntry, IncrementalStream,
    PreparedOperation,
};
pub use http::{
    handle_graphql, handle_graphql_with_config, negotiate, GraphqlHttpRequest, GraphqlHttpResponse, HandlerConfig,
    ResponseBody, ResponseMode, RUNTIME_VERSION,
};
pub use inputs::*;
pub use outputs::{
    agents_response, copilot_response, load_agent_state_response, now_iso, AgentInfo, CopilotResponseHead,
    FailedResponseStatusReason, LoadAgentStateOutput, MessageStatus, MessageWriter, MetaEvent, OpenAIAssistantApiResponse,
    OutputMessage, ResponseStatus, ResponseWriter,
};
pub use resolved::{BoxStream, FieldError, FieldMap, ObjectSource, Resolved};
pub use root::{CopilotErrorCode, RequestContext, ResolverError, RootResolvers};
