//! copilot-runtime-rs: a drop-in, Rust implementation of the `@copilotkit/runtime` back end.
//!
//! The crate is split into a pure core (protocols, framing, the Gemini client and the agent
//! engine, all cancellable through a `CancellationToken`) that knows nothing of Node, and a thin
//! `binding` module that converts types for napi and holds the JavaScript callbacks.

pub mod actions;
pub mod agents;
pub mod agui;
pub mod engine;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod gemini;
pub mod gql_resolvers;
pub mod graphql;
pub mod hooks;
pub mod host;
pub mod http;
pub mod logging;
pub mod model;
pub mod remote;
pub mod runtime;
pub mod safety;
pub mod time;

mod binding;

#[cfg(test)]
pub mod testing;
