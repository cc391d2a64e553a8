//! The interface between the AG-UI handler and whatever produces a run's events (the built-in
//! Gemini agent, or user agents bridged from JS).

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::events::AguiEvent;
use super::input::RunAgentInput;

/// One entry of the info `agents` map.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentInfo {
    /// Key of the agent in the info map (`default` for the built-in agent).
    pub id: String,
    pub name: String,
    pub description: String,
    /// JS class name (`BuiltInAgent`, …).
    pub class_name: String,
    /// Only for agents that report capabilities.
    pub capabilities: Option<Value>,
}

/// Everything an agent gets for one run.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub agent_id: String,
    /// The full request input (typed + normalised JSON in `input.raw`).
    pub input: RunAgentInput,
    /// The request's headers (lower-case names, `content-length` removed).
    pub headers: Vec<(String, String)>,
    /// Fires when the run is stopped (`agent/stop`) or its client disconnects: abort upstream work.
    pub cancel: CancellationToken,
}

pub trait AgentProvider: Send + Sync {
    /// The agents this runtime serves (resolved per request). An error becomes the 500 of the
    /// operation that needed it.
    fn agents(&self) -> BoxFuture<'_, Result<Vec<AgentInfo>, String>>;

    /// Start a run. The stream is the agent's raw events: it may omit `RUN_STARTED`, use
    /// `*_CHUNK` events, break the sequencing rules, end without a terminal event or yield
    /// [`AguiEvent::Fault`] when it fails — the handler normalises all of that. Dropping the
    /// stream (and `ctx.cancel`) must abort the agent's upstream work.
    fn run(&self, ctx: RunContext) -> BoxStream<'static, AguiEvent>;

    /// `agent/connect` on a thread the store does not know: the events to replay instead, for
    /// agents that keep their threads elsewhere (a CopilotKit remote endpoint). `None`: nothing.
    fn load_thread(&self, _agent_id: String, _thread_id: String, _headers: Vec<(String, String)>) -> BoxFuture<'_, Result<Option<Vec<AguiEvent>>, String>> {
        Box::pin(async { Ok(None) })
    }

    /// Whether [`AgentProvider::load_thread`] can answer anything (saves the store lookup).
    fn loads_threads(&self) -> bool {
        false
    }
}
