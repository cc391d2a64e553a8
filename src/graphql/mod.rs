//! GraphQL front end for the fixed CopilotKit 1.10.6 schema.
//!
//! Pipeline: HTTP request ([`http::handle_graphql`]) → parameters → parse ([`parser`]) →
//! validate ([`validate`]) → operation selection and variable coercion ([`request`]) → execution
//! with `@defer`/`@stream` ([`execute`]) against the lead's [`root::RootResolvers`] → encoding as
//! `multipart/mixed; boundary="-"`, `text/event-stream` or one JSON body ([`encode`]).

pub mod ast;
pub mod error;
pub mod execute;
pub mod parser;
pub mod resolved;
pub mod schema;
pub mod validate;
pub mod values;

pub use error::{GraphQLError, PathSeg, Pos};
pub use execute::{apply_incremental, execute, EntryKind, ExecutionOutput, ExecutionPayload, IncrementalEntry, IncrementalStream, PreparedOperation};
pub use resolved::{BoxStream, FieldError, FieldMap, ObjectSource, Resolved};
