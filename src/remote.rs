//! CopilotKit remote endpoints (`remoteEndpoints`, `copilotKitEndpoint({url, onBeforeRequest})`,
//! the deprecated `remoteActions`): the protocol the CopilotKit Python SDK serves, spoken from
//! Rust so that no JavaScript sits between the remote endpoint and the client.
//!
//! * discovery: `POST {url}/info` with `{properties, frontendUrl?}` → `{actions, agents}`;
//! * actions: `POST {url}/actions/execute` with `{name, arguments, properties}` → `{result}`;
//! * agents: `POST {url}/agents/execute` answering JSON lines — CopilotKit runtime events for
//!   `crewai` agents, LangGraph events for `langgraph` agents — translated here into AG-UI events;
//! * state: `POST {url}/agents/state` with `{properties, threadId, name}`.
//!
//! The only JavaScript involved is the endpoint's `onBeforeRequest({ctx})`, called once per
//! request through the shim (`remote.endpoints`) for the headers it adds. Those headers are
//! secrets as far as this module is concerned: they are never logged, never put in an error
//! message, and a client's request headers are never sent to a remote endpoint at all. Calls that
//! fail on the network (or with 408/429/502/503/504) are retried with exponential backoff, and
//! discovery is done once per request ([`RemoteSession`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::agents::http_client;
use crate::agui::events::{Custom, Extra};
use crate::agui::{AgentInfo, AguiEvent, RunContext};
use crate::host::Host;
use crate::model::Tool;
use crate::runtime::Shared;

// ------------------------------------------------------------------------------------------------
// Endpoints and errors
// ------------------------------------------------------------------------------------------------

/// One CopilotKit endpoint as the shim resolved it for a request: its URL and the headers its
/// `onBeforeRequest` returned.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Endpoint {
    // Headers are credentials: only their names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &display_url(&self.url))
            .field("headers", &self.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

impl Endpoint {
    fn route(&self, path: &str) -> String {
        format!("{}/{path}", self.url.trim_end_matches('/'))
    }
}

/// The CopilotKit error code a failure maps to (the codes react-core knows, spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteErrorCode {
    NetworkError,
    ApiNotFound,
    RemoteEndpointNotFound,
    AgentNotFound,
    ConfigurationError,
    Unknown,
}

impl RemoteErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteErrorCode::NetworkError => "NETWORK_ERROR",
            RemoteErrorCode::ApiNotFound => "API_NOT_FOUND",
            RemoteErrorCode::RemoteEndpointNotFound => "REMOTE_ENDPOINT_NOT_FOUND",
            RemoteErrorCode::AgentNotFound => "AGENT_NOT_FOUND",
            RemoteErrorCode::ConfigurationError => "CONFIGURATION_ERROR",
            RemoteErrorCode::Unknown => "UNKNOWN",
        }
    }
}

/// Why a remote endpoint call failed. The message names the endpoint by a URL stripped of
/// credentials and query, and never carries a header.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteError {
    pub code: RemoteErrorCode,
    pub message: String,
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl RemoteError {
    fn new(code: RemoteErrorCode, message: impl Into<String>) -> Self {
        RemoteError { code, message: message.into() }
    }

    fn network(url: &str, e: &reqwest::Error) -> Self {
        let reason = if e.is_timeout() {
            "the connection timed out".to_string()
        } else if e.is_connect() {
            "the connection was refused or could not be established".to_string()
        } else {
            let mut s = e.to_string();
            if let Some(u) = e.url() {
                s = s.replace(u.as_str(), &display_url(u.as_str()));
            }
            s
        };
        RemoteError::new(RemoteErrorCode::NetworkError, format!("Failed to reach the remote endpoint at {}: {reason}", display_url(url)))
    }

    /// A non-2xx answer, classified as the 1.10.6 runtime does (400/404 → discovery errors).
    fn status(url: &str, status: u16, op: Op, detail: Option<String>) -> Self {
        let shown = display_url(url);
        match status {
            404 if op == Op::Info => RemoteError::new(RemoteErrorCode::RemoteEndpointNotFound, format!("Failed to find or contact remote endpoint at url {shown}")),
            400 | 404 => RemoteError::new(RemoteErrorCode::ApiNotFound, format!("Failed to find CopilotKit API endpoint at url {shown} {}.", op.suffix())),
            _ => RemoteError::new(
                RemoteErrorCode::Unknown,
                detail.unwrap_or_else(|| format!("The remote endpoint at {shown} answered HTTP {status} {}", op.suffix())),
            ),
        }
    }
}

/// The remote endpoint operations (for error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Info,
    ExecuteAction,
    ExecuteAgent,
    AgentState,
}

impl Op {
    fn suffix(self) -> &'static str {
        match self {
            Op::Info => "when fetching CopilotKit info",
            Op::ExecuteAction => "when attempting to execute actions",
            Op::ExecuteAgent => "when attempting to execute agent(s)",
            Op::AgentState => "when attempting to get agent state",
        }
    }
}

/// A URL fit for an error message or a log line: no user info, no query, no fragment.
pub fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "<invalid url>".to_string(),
    }
}

// ------------------------------------------------------------------------------------------------
// HTTP with retries
// ------------------------------------------------------------------------------------------------

/// Retries after the first attempt (1.10.6 `fetchWithRetry`: 3).
const MAX_RETRIES: u32 = 3;
const RETRYABLE_STATUS: &[u16] = &[408, 429, 502, 503, 504];

/// The first backoff delay: 1 s (doubling, capped at 5 s), or `COPILOT_RUNTIME_RS_REMOTE_RETRY_MS`
/// milliseconds (the cap scales with it), which tests use to keep retries fast.
fn backoff(attempt: u32) -> Duration {
    let base = std::env::var("COPILOT_RUNTIME_RS_REMOTE_RETRY_MS").ok().and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(1000);
    let delay = base.saturating_mul(1u64 << attempt.min(16));
    Duration::from_millis(delay.min(base.saturating_mul(5)))
}

/// The request headers: `Content-Type: application/json`, then the endpoint's own headers
/// (which may replace it, as `Object.assign` does in 1.10.6). An invalid header is a
/// configuration error named by the header's name only.
fn build_headers(ep: &Endpoint) -> Result<reqwest::header::HeaderMap, RemoteError> {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
    let mut map = HeaderMap::new();
    map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (k, v) in &ep.headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| RemoteError::new(RemoteErrorCode::ConfigurationError, format!("onBeforeRequest of the remote endpoint at {} returned an invalid header name", display_url(&ep.url))))?;
        let mut value = HeaderValue::from_str(v).map_err(|_| {
            RemoteError::new(RemoteErrorCode::ConfigurationError, format!("onBeforeRequest of the remote endpoint at {} returned an invalid value for header '{name}'", display_url(&ep.url)))
        })?;
        value.set_sensitive(true);
        map.insert(name, value);
    }
    Ok(map)
}

/// POST `body` to `url`, retrying network failures and retryable statuses with backoff.
async fn post(ep: &Endpoint, url: &str, body: &Value) -> Result<reqwest::Response, RemoteError> {
    let headers = build_headers(ep)?;
    let body = body.to_string();
    let mut attempt = 0;
    loop {
        let sent = http_client().post(url).headers(headers.clone()).body(body.clone()).send().await;
        match sent {
            Ok(resp) if RETRYABLE_STATUS.contains(&resp.status().as_u16()) && attempt < MAX_RETRIES => {
                let delay = backoff(attempt);
                tracing::warn!("remote endpoint {} answered HTTP {}; retry {}/{} in {:?}", display_url(url), resp.status().as_u16(), attempt + 1, MAX_RETRIES, delay);
                drop(resp);
                tokio::time::sleep(delay).await;
            }
            Ok(resp) => return Ok(resp),
            Err(e) if is_network_failure(&e) && attempt < MAX_RETRIES => {
                let delay = backoff(attempt);
                tracing::warn!("remote endpoint {} could not be reached; retry {}/{} in {:?}", display_url(url), attempt + 1, MAX_RETRIES, delay);
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(RemoteError::network(url, &e)),
        }
        attempt += 1;
    }
}

fn is_network_failure(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request()
}

/// The JSON answer of a successful call; a failing one becomes a [`RemoteError`].
async fn post_json(ep: &Endpoint, path: &str, op: Op, body: &Value) -> Result<Value, RemoteError> {
    let url = ep.route(path);
    let resp = post(ep, &url, body).await?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(|e| RemoteError::network(&url, &e))?;
    if !(200..300).contains(&status) {
        tracing::debug!("remote endpoint {} answered HTTP {status}: {}", display_url(&url), String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]));
        // 1.10.6 shows the endpoint's own `{"error": "…"}` for failing state loads.
        let detail = (op == Op::AgentState)
            .then(|| serde_json::from_slice::<Value>(&bytes).ok())
            .flatten()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(crate::logging::redact_paths));
        return Err(RemoteError::status(&url, status, op, detail));
    }
    serde_json::from_slice(&bytes).map_err(|_| RemoteError::new(RemoteErrorCode::Unknown, format!("The remote endpoint at {} answered with invalid JSON {}", display_url(&url), op.suffix())))
}

// ------------------------------------------------------------------------------------------------
// Discovery
// ------------------------------------------------------------------------------------------------

/// A server-side action served by a remote endpoint.
#[derive(Debug, Clone)]
pub struct RemoteAction {
    pub endpoint: Arc<Endpoint>,
    pub name: String,
    pub description: String,
    /// CopilotKit `Parameter[]`.
    pub parameters: Value,
}

/// How a remote agent streams its events (`agents[].type` of `/info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    /// LangGraph events (`{"event": "on_chat_model_stream", …}`).
    LangGraph,
    /// CopilotKit runtime events (`{"type": "TextMessageStart", …}`).
    CrewAi,
    /// No (known) type: each line is read as whichever of the two it is.
    Unspecified,
}

/// An agent served by a remote endpoint.
#[derive(Debug, Clone)]
pub struct RemoteAgent {
    pub endpoint: Arc<Endpoint>,
    pub name: String,
    pub description: String,
    pub kind: AgentKind,
}

/// What the endpoints of one request offer, in endpoint order.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub actions: Vec<RemoteAction>,
    pub agents: Vec<RemoteAgent>,
}

impl Discovery {
    pub fn agent(&self, name: &str) -> Option<&RemoteAgent> {
        self.agents.iter().find(|a| a.name == name)
    }

    pub fn action(&self, name: &str) -> Option<&RemoteAction> {
        self.actions.iter().find(|a| a.name == name)
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Parse an `/info` answer (lenient: entries without a name are skipped).
fn parse_info(ep: &Arc<Endpoint>, info: &Value) -> Discovery {
    let list = |key: &str| info.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let actions = list("actions")
        .iter()
        .filter_map(|a| {
            Some(RemoteAction {
                endpoint: ep.clone(),
                name: str_field(a, "name")?,
                description: str_field(a, "description").unwrap_or_default(),
                parameters: a.get("parameters").cloned().filter(Value::is_array).unwrap_or_else(|| json!([])),
            })
        })
        .collect();
    let agents = list("agents")
        .iter()
        .filter_map(|a| {
            Some(RemoteAgent {
                endpoint: ep.clone(),
                name: str_field(a, "name")?,
                description: str_field(a, "description").unwrap_or_default(),
                kind: match a.get("type").and_then(Value::as_str) {
                    Some("langgraph") => AgentKind::LangGraph,
                    Some("crewai") => AgentKind::CrewAi,
                    _ => AgentKind::Unspecified,
                },
            })
        })
        .collect();
    Discovery { actions, agents }
}

async fn fetch_info(ep: Arc<Endpoint>, properties: Value, frontend_url: Option<String>) -> Result<Discovery, RemoteError> {
    let mut body = json!({"properties": properties});
    if let Some(u) = frontend_url {
        body["frontendUrl"] = Value::String(u);
    }
    let info = post_json(&ep, "info", Op::Info, &body).await?;
    Ok(parse_info(&ep, &info))
}

// ------------------------------------------------------------------------------------------------
// The per-request session
// ------------------------------------------------------------------------------------------------

/// The remote endpoints as one request sees them: the endpoints and their headers (resolved once
/// through the shim) and what they offer (discovered once, on first use).
pub struct RemoteSession {
    host: Arc<dyn Host>,
    /// The request's properties (sent to every endpoint call).
    pub properties: Value,
    /// `frontendUrl` for `/info` (chat requests send it; agent listing does not).
    frontend_url: Option<String>,
    /// `ctx.request` of `onBeforeRequest`: the URL and headers of the client's request.
    request_url: String,
    request_headers: Vec<(String, String)>,
    endpoints: OnceCell<Result<Vec<Arc<Endpoint>>, RemoteError>>,
    discovery: OnceCell<Result<Arc<Discovery>, RemoteError>>,
    /// Names of the request's other server-side tools: a remote action of the same name is
    /// shadowed by them (the user's own `actions` come first, as in 1.10.6).
    shadowed: Mutex<HashSet<String>>,
    /// Offer remote agents as tools ("remote agent actions") — GraphQL chats only.
    pub agents_as_tools: bool,
}

impl RemoteSession {
    pub fn new(host: Arc<dyn Host>, properties: Value, frontend_url: Option<String>, request_url: String, request_headers: Vec<(String, String)>) -> Self {
        RemoteSession {
            host,
            properties,
            frontend_url,
            request_url,
            request_headers,
            endpoints: OnceCell::new(),
            discovery: OnceCell::new(),
            shadowed: Mutex::new(HashSet::new()),
            agents_as_tools: false,
        }
    }

    pub fn with_agents_as_tools(mut self) -> Self {
        self.agents_as_tools = true;
        self
    }

    /// The CopilotKit endpoints with this request's headers (`onBeforeRequest`), de-duplicated by
    /// URL by the shim.
    pub async fn endpoints(&self) -> Result<Vec<Arc<Endpoint>>, RemoteError> {
        self.endpoints
            .get_or_init(|| async {
                let payload = json!({"properties": self.properties, "url": self.request_url, "headers": self.request_headers});
                let list = self
                    .host
                    .call("remote.endpoints", payload)
                    .await
                    .map_err(|e| RemoteError::new(RemoteErrorCode::ConfigurationError, format!("The remote endpoints could not be prepared (onBeforeRequest failed): {e}")))?;
                let eps: Vec<Endpoint> = serde_json::from_value(list).map_err(|_| RemoteError::new(RemoteErrorCode::ConfigurationError, "The remote endpoints could not be prepared"))?;
                Ok(eps.into_iter().filter(|e| !e.url.is_empty()).map(Arc::new).collect())
            })
            .await
            .clone()
    }

    /// The actions and agents of every endpoint (`POST {url}/info`, all endpoints at once),
    /// fetched on first use and kept for the rest of the request.
    pub async fn discover(&self) -> Result<Arc<Discovery>, RemoteError> {
        self.discovery
            .get_or_init(|| async {
                let eps = self.endpoints().await?;
                let all = futures_util::future::try_join_all(eps.into_iter().map(|ep| fetch_info(ep, self.properties.clone(), self.frontend_url.clone()))).await?;
                let mut d = Discovery::default();
                for part in all {
                    d.actions.extend(part.actions);
                    d.agents.extend(part.agents);
                }
                Ok(Arc::new(d))
            })
            .await
            .clone()
    }

    /// What was discovered, if discovery already ran and succeeded.
    pub fn discovered(&self) -> Option<Arc<Discovery>> {
        self.discovery.get().and_then(|r| r.as_ref().ok().cloned())
    }

    /// The remote actions (and, for GraphQL chats, the remote agents) as tools, minus those
    /// whose names `local` already uses.
    pub async fn tools(&self, local: &[Tool]) -> Result<Vec<Tool>, RemoteError> {
        let d = self.discover().await?;
        let mut taken: HashSet<String> = local.iter().map(|t| t.name.clone()).collect();
        *self.shadowed.lock().unwrap_or_else(|p| p.into_inner()) = taken.clone();
        let mut out = Vec::new();
        for a in &d.actions {
            if taken.insert(a.name.clone()) {
                out.push(Tool { name: a.name.clone(), description: a.description.clone(), parameters: crate::actions::parameters_to_json_schema(&a.parameters) });
            }
        }
        if self.agents_as_tools {
            for a in &d.agents {
                if taken.insert(a.name.clone()) {
                    out.push(Tool { name: a.name.clone(), description: a.description.clone(), parameters: crate::actions::parameters_to_json_schema(&json!([])) });
                }
            }
        }
        Ok(out)
    }

    /// The remote agent behind a tool of this request, if `name` is one.
    pub fn agent_tool(&self, name: &str) -> Option<RemoteAgent> {
        if !self.agents_as_tools || self.is_shadowed(name) {
            return None;
        }
        let d = self.discovered()?;
        if d.action(name).is_some() {
            return None;
        }
        d.agent(name).cloned()
    }

    fn is_shadowed(&self, name: &str) -> bool {
        self.shadowed.lock().unwrap_or_else(|p| p.into_inner()).contains(name)
    }

    /// Execute the tool `name` if it is a remote action (or a remote agent offered as a tool,
    /// whose result is `"<name> agent started"`: the caller then runs the agent). `None` when the
    /// name is not this session's.
    pub fn execute(&self, name: &str, arguments: &Value) -> Option<BoxFuture<'static, Result<String, String>>> {
        if self.is_shadowed(name) {
            return None;
        }
        let d = self.discovered()?;
        if let Some(action) = d.action(name).cloned() {
            let body = json!({"name": action.name, "arguments": arguments, "properties": self.properties});
            return Some(Box::pin(async move {
                let answer = post_json(&action.endpoint, "actions/execute", Op::ExecuteAction, &body).await.map_err(|e| e.message)?;
                Ok(crate::actions::encode_result(answer.get("result")))
            }));
        }
        if self.agents_as_tools {
            if let Some(agent) = d.agent(name) {
                let started = format!("{} agent started", agent.name);
                return Some(Box::pin(async move { Ok(started) }));
            }
        }
        None
    }

    /// Run a remote agent (`POST {url}/agents/execute`) and translate its JSON lines into AG-UI
    /// events: `RUN_STARTED`, the agent's events, then `RUN_FINISHED` or `RUN_ERROR`. Dropping
    /// the stream or cancelling `cancel` closes the connection to the endpoint.
    pub fn run_agent(&self, agent: RemoteAgent, req: AgentRunRequest, cancel: CancellationToken) -> BoxStream<'static, AguiEvent> {
        let body = json!({
            "name": agent.name,
            "threadId": req.thread_id,
            "nodeName": req.node_name,
            "messages": req.messages,
            "state": req.state,
            "config": req.config,
            "properties": self.properties,
            "actions": req.actions,
            "metaEvents": req.meta_events,
        });
        run_agent_stream(agent, body, req.thread_id, req.run_id, cancel)
    }

    /// `POST {url}/agents/state` for one of the discovered agents.
    pub async fn agent_state(&self, agent: &RemoteAgent, thread_id: &str) -> Result<AgentStateAnswer, RemoteError> {
        let body = json!({"properties": self.properties, "threadId": thread_id, "name": agent.name});
        let v = post_json(&agent.endpoint, "agents/state", Op::AgentState, &body).await?;
        Ok(AgentStateAnswer {
            thread_id: str_field(&v, "threadId").unwrap_or_else(|| thread_id.to_string()),
            thread_exists: v.get("threadExists").and_then(Value::as_bool).unwrap_or(false),
            state: v.get("state").cloned().unwrap_or_else(|| json!({})),
            messages: v.get("messages").cloned().unwrap_or_else(|| json!([])),
        })
    }
}

/// What `/agents/state` answered.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStateAnswer {
    pub thread_id: String,
    pub thread_exists: bool,
    pub state: Value,
    /// CopilotKit message JSON (see [`copilotkit_messages_to_agui`]).
    pub messages: Value,
}

/// The body of one `/agents/execute` call (besides the agent's name and the properties).
#[derive(Debug, Clone, Default)]
pub struct AgentRunRequest {
    pub thread_id: String,
    /// Id of the run as this runtime reports it (`RUN_STARTED`/`RUN_FINISHED`); not sent.
    pub run_id: String,
    pub node_name: Option<String>,
    /// CopilotKit message JSON (`{id, createdAt, type: "TextMessage", role, content}`, …).
    pub messages: Vec<Value>,
    pub state: Value,
    pub config: Value,
    /// `[{name, description, parameters: <JSON Schema>}]`.
    pub actions: Vec<Value>,
    pub meta_events: Option<Value>,
}

fn run_agent_stream(agent: RemoteAgent, body: Value, thread_id: String, run_id: String, cancel: CancellationToken) -> BoxStream<'static, AguiEvent> {
    async_stream::stream! {
        yield AguiEvent::run_started(thread_id.clone(), run_id.clone());
        let url = agent.endpoint.route("agents/execute");
        let sent = tokio::select! {
            r = post(&agent.endpoint, &url, &body) => r,
            _ = cancel.cancelled() => return,
        };
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                yield AguiEvent::run_error(e.message, Some(e.code.as_str()));
                return;
            }
        };
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let e = RemoteError::status(&url, status, Op::ExecuteAgent, None);
            yield AguiEvent::run_error(e.message, Some(e.code.as_str()));
            return;
        }
        let mut body = resp.bytes_stream();
        let mut lines = JsonLines::default();
        let mut translator = Translator::new(agent.kind);
        let mut parsed = Vec::new();
        let mut out = Vec::new();
        let mut ended = false;
        while !ended {
            let chunk = tokio::select! {
                c = body.next() => c,
                _ = cancel.cancelled() => return,
            };
            let chunk = match chunk {
                Some(Ok(c)) => Some(c),
                Some(Err(e)) => {
                    let e = RemoteError::network(&url, &e);
                    yield AguiEvent::run_error(format!("The remote agent '{}' stream failed: {}", agent.name, e.message), Some(e.code.as_str()));
                    return;
                }
                None => None,
            };
            let fed = match &chunk {
                Some(c) => lines.feed(c, &mut parsed),
                None => {
                    ended = true;
                    lines.finish(&mut parsed)
                }
            };
            for line in parsed.drain(..) {
                translator.push(line, &mut out);
            }
            for ev in out.drain(..) {
                let terminal = ev.is_terminal();
                yield ev;
                if terminal {
                    return;
                }
            }
            if let Err(e) = fed {
                yield AguiEvent::run_error(format!("The remote agent '{}' sent an invalid event: {e}", agent.name), Some("UNKNOWN"));
                return;
            }
        }
        yield AguiEvent::run_finished(thread_id, run_id);
    }
    .boxed()
}

// ------------------------------------------------------------------------------------------------
// JSON lines
// ------------------------------------------------------------------------------------------------

/// Splits a byte stream into JSON values, one a line (blank lines skipped, a last line without a
/// newline accepted).
#[derive(Default)]
struct JsonLines {
    buf: Vec<u8>,
}

const MAX_LINE: usize = 32 * 1024 * 1024;

impl JsonLines {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), String> {
        self.buf.extend_from_slice(bytes);
        while let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            Self::parse(&line, out)?;
        }
        if self.buf.len() > MAX_LINE {
            return Err("line too long".into());
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Value>) -> Result<(), String> {
        let rest = std::mem::take(&mut self.buf);
        Self::parse(&rest, out)
    }

    fn parse(line: &[u8], out: &mut Vec<Value>) -> Result<(), String> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        out.push(serde_json::from_str(text).map_err(|e| format!("invalid JSON line ({e})"))?);
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------------
// Event translation
// ------------------------------------------------------------------------------------------------

/// Turns an agent's JSON lines into AG-UI events: LangGraph events go through
/// [`LangGraphEvents`] into CopilotKit runtime events, which [`runtime_event_to_agui`] maps.
struct Translator {
    kind: AgentKind,
    langgraph: LangGraphEvents,
    runtime: Vec<Value>,
    failed: bool,
}

impl Translator {
    fn new(kind: AgentKind) -> Self {
        Translator { kind, langgraph: LangGraphEvents::default(), runtime: Vec::new(), failed: false }
    }

    fn push(&mut self, line: Value, out: &mut Vec<AguiEvent>) {
        if self.failed {
            return;
        }
        let is_langgraph = match self.kind {
            AgentKind::LangGraph => true,
            AgentKind::CrewAi => false,
            AgentKind::Unspecified => line.get("event").is_some() && line.get("type").is_none(),
        };
        if is_langgraph {
            self.langgraph.push(&line, &mut self.runtime);
        } else {
            self.runtime.push(line);
        }
        for ev in self.runtime.drain(..) {
            if let Some(e) = runtime_event_to_agui(&ev) {
                self.failed |= e.is_terminal();
                out.push(e);
                if self.failed {
                    return;
                }
            }
        }
    }
}

fn with_raw(mut ev: AguiEvent, raw: &Value) -> AguiEvent {
    let extra: Option<&mut Extra> = match &mut ev {
        AguiEvent::StateSnapshot(e) => Some(&mut e.extra),
        AguiEvent::Custom(e) => Some(&mut e.extra),
        _ => None,
    };
    if let Some(x) = extra {
        x.insert("rawEvent".into(), raw.clone());
    }
    ev
}

fn custom(name: &str, value: Value) -> AguiEvent {
    AguiEvent::Custom(Custom { name: name.to_string(), value, extra: Extra::new() })
}

/// One CopilotKit runtime event (what `crewai` agents send, and what LangGraph events become)
/// as an AG-UI event. `AgentStateMessage` becomes a `STATE_SNAPSHOT` carrying the original event
/// in `rawEvent` (the GraphQL side reads its node, run and activity from there); interrupts
/// become `CUSTOM` events (`on_interrupt` as AG-UI LangGraph agents send them).
pub fn runtime_event_to_agui(ev: &Value) -> Option<AguiEvent> {
    let s = |k: &str| ev.get(k).and_then(Value::as_str).map(str::to_string);
    let text = |k: &str| match ev.get(k) {
        Some(Value::String(t)) => Some(t.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    Some(match ev.get("type").and_then(Value::as_str)? {
        "TextMessageStart" => AguiEvent::text_start(s("messageId")?),
        "TextMessageContent" => AguiEvent::text_content(s("messageId")?, text("content").filter(|c| !c.is_empty())?),
        "TextMessageEnd" => AguiEvent::text_end(s("messageId")?),
        "ActionExecutionStart" => AguiEvent::tool_start(s("actionExecutionId")?, s("actionName")?, s("parentMessageId")),
        "ActionExecutionArgs" => AguiEvent::tool_args(s("actionExecutionId")?, text("args").filter(|a| !a.is_empty())?),
        "ActionExecutionEnd" => AguiEvent::tool_end(s("actionExecutionId")?),
        "ActionExecutionResult" => {
            let id = s("actionExecutionId")?;
            let result = match ev.get("result") {
                Some(Value::String(r)) => r.clone(),
                None | Some(Value::Null) => match ev.get("error") {
                    Some(err) => json!({"error": err, "result": ""}).to_string(),
                    None => String::new(),
                },
                Some(other) => other.to_string(),
            };
            AguiEvent::tool_result(format!("result-{id}"), id, result)
        }
        "AgentStateMessage" => {
            let state = match ev.get("state") {
                Some(Value::String(t)) => serde_json::from_str(t).unwrap_or_else(|_| json!({})),
                Some(v @ Value::Object(_)) => v.clone(),
                _ => json!({}),
            };
            with_raw(AguiEvent::state_snapshot(state), ev)
        }
        "MetaEvent" => match ev.get("name").and_then(Value::as_str)? {
            "LangGraphInterruptEvent" | "on_interrupt" => custom("on_interrupt", ev.get("value").cloned().unwrap_or(Value::Null)),
            "CopilotKitLangGraphInterruptEvent" => custom("CopilotKitLangGraphInterruptEvent", ev.get("data").cloned().unwrap_or(Value::Null)),
            _ => return None,
        },
        "RunError" => AguiEvent::run_error(s("message").unwrap_or_else(|| "The remote agent failed".into()), ev.get("code").and_then(Value::as_str)),
        _ => return None,
    })
}

/// The LangGraph event stream of a `langgraph` remote agent turned into CopilotKit runtime
/// events, following the rules of the 1.10.6 runtime: text and tool-call chunks of
/// `on_chat_model_stream` (message and tool-call boundaries from ids, `tool_call_chunks` and
/// `finish_reason`; `copilotkit:emit-messages` / `copilotkit:emit-tool-calls` metadata),
/// manually emitted messages and tool calls (`on_custom_event`), state syncs, interrupts and
/// errors.
#[derive(Default)]
struct LangGraphEvents {
    last_message_id: Option<String>,
    last_tool_call_id: Option<String>,
    last_tool_call_name: Option<String>,
    is_tool_call: bool,
    is_tool_call_end: bool,
    processed_tool_calls: HashSet<String>,
}

/// `data.chunk.kwargs` (LangChain serialisation) or `data.chunk` (LangGraph Platform).
fn chunk_field<'a>(ev: &'a Value, key: &str) -> Option<&'a Value> {
    let chunk = ev.get("data")?.get("chunk")?;
    chunk.get("kwargs").and_then(|k| k.get(key)).filter(|v| !v.is_null()).or_else(|| chunk.get(key).filter(|v| !v.is_null()))
}

fn emit_allowed(setting: Option<&Value>, tool_name: Option<&str>) -> bool {
    match setting {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::Array(names)) => tool_name.is_some_and(|n| names.iter().any(|x| x.as_str() == Some(n))),
        Some(Value::String(s)) => tool_name == Some(s.as_str()),
        Some(_) => true,
    }
}

impl LangGraphEvents {
    fn push(&mut self, ev: &Value, out: &mut Vec<Value>) {
        let kind = ev.get("event").and_then(Value::as_str).unwrap_or("");
        let mut is_tool_call_start = false;
        let mut is_message_start = false;
        let mut content: Option<String> = None;
        if kind == "on_chat_model_stream" {
            let prev_message_id = self.last_message_id.clone();
            let chunks: Vec<Value> = chunk_field(ev, "tool_call_chunks").and_then(Value::as_array).cloned().unwrap_or_default();
            content = match chunk_field(ev, "content") {
                Some(Value::String(t)) if !t.is_empty() => Some(t.clone()),
                Some(Value::Array(parts)) if !parts.is_empty() => parts[0].get("text").and_then(Value::as_str).map(str::to_string),
                _ => None,
            };
            if content.is_none() {
                content = chunks.iter().find_map(|c| c.get("args").and_then(Value::as_str).filter(|a| !a.is_empty()).map(str::to_string));
            }
            if let Some(id) = chunk_field(ev, "id").and_then(Value::as_str) {
                self.last_message_id = Some(id.to_string());
            }
            let finish = chunk_field(ev, "response_metadata").and_then(|m| m.get("finish_reason")).and_then(Value::as_str);
            let named = chunks.iter().find(|c| c.get("name").and_then(Value::as_str).is_some_and(|n| !n.is_empty()) && c.get("id").and_then(Value::as_str).is_some_and(|i| !i.is_empty()));
            is_tool_call_start = named.is_some();
            is_message_start = prev_message_id != self.last_message_id && !is_tool_call_start;
            let had_tool_call = self.is_tool_call;
            self.is_tool_call = !chunks.is_empty();
            self.is_tool_call_end = finish == Some("tool_calls") || (had_tool_call && !self.is_tool_call);
            if let Some(c) = named {
                self.last_tool_call_name = c.get("name").and_then(Value::as_str).map(str::to_string);
                self.last_tool_call_id = c.get("id").and_then(Value::as_str).map(str::to_string);
            }
        }

        let metadata = ev.get("metadata");
        let (emit_messages, emit_tools) = if kind == "on_chat_model_stream" {
            (metadata.and_then(|m| m.get("copilotkit:emit-messages")).and_then(Value::as_bool).unwrap_or(true), metadata.and_then(|m| m.get("copilotkit:emit-tool-calls")))
        } else {
            (true, None)
        };
        let tool_allowed = emit_allowed(emit_tools, self.last_tool_call_name.as_deref());

        match kind {
            "on_interrupt" => out.push(json!({"type": "MetaEvent", "name": "LangGraphInterruptEvent", "value": ev.get("value").cloned().unwrap_or(Value::Null)})),
            "on_copilotkit_interrupt" => out.push(json!({"type": "MetaEvent", "name": "CopilotKitLangGraphInterruptEvent", "data": ev.get("data").cloned().unwrap_or(Value::Null)})),
            "on_copilotkit_error" => {
                let err = ev.pointer("/data/error").cloned().unwrap_or(Value::Null);
                let message = err.get("message").and_then(Value::as_str).unwrap_or("The remote agent failed");
                let text = match err.get("type").and_then(Value::as_str) {
                    Some(t) => format!("{t}: {message}"),
                    None => message.to_string(),
                };
                out.push(json!({"type": "RunError", "message": text, "code": "NETWORK_ERROR"}));
                return;
            }
            _ => {}
        }

        let finish_reason = chunk_field(ev, "response_metadata").and_then(|m| m.get("finish_reason")).and_then(Value::as_str);
        if self.is_tool_call_end && tool_allowed && self.last_tool_call_id.as_ref().is_some_and(|id| !self.processed_tool_calls.contains(id)) {
            let id = self.last_tool_call_id.clone().unwrap_or_default();
            self.processed_tool_calls.insert(id.clone());
            out.push(json!({"type": "ActionExecutionEnd", "actionExecutionId": id}));
        } else if finish_reason == Some("stop") && emit_messages {
            if let Some(id) = &self.last_message_id {
                out.push(json!({"type": "TextMessageEnd", "messageId": id}));
            }
        }

        match kind {
            "on_custom_event" => {
                let data = ev.get("data").cloned().unwrap_or(Value::Null);
                match ev.get("name").and_then(Value::as_str) {
                    Some("copilotkit_manually_emit_message") => {
                        let id = data.get("message_id").cloned().unwrap_or(Value::Null);
                        out.push(json!({"type": "TextMessageStart", "messageId": id}));
                        out.push(json!({"type": "TextMessageContent", "messageId": id, "content": data.get("message").cloned().unwrap_or(Value::Null)}));
                        out.push(json!({"type": "TextMessageEnd", "messageId": id}));
                    }
                    Some("copilotkit_manually_emit_tool_call") => {
                        let id = data.get("id").cloned().unwrap_or(Value::Null);
                        let args = data.get("args").map(|a| a.to_string()).unwrap_or_else(|| "{}".into());
                        out.push(json!({"type": "ActionExecutionStart", "actionExecutionId": id, "actionName": data.get("name").cloned().unwrap_or(Value::Null), "parentMessageId": id}));
                        out.push(json!({"type": "ActionExecutionArgs", "actionExecutionId": id, "args": args}));
                        out.push(json!({"type": "ActionExecutionEnd", "actionExecutionId": id}));
                    }
                    _ => {}
                }
            }
            "on_copilotkit_state_sync" => out.push(json!({
                "type": "AgentStateMessage",
                "threadId": ev.get("thread_id").cloned().unwrap_or(Value::Null),
                "role": ev.get("role").cloned().unwrap_or_else(|| json!("assistant")),
                "agentName": ev.get("agent_name").cloned().unwrap_or(Value::Null),
                "nodeName": ev.get("node_name").cloned().unwrap_or(Value::Null),
                "runId": ev.get("run_id").cloned().unwrap_or(Value::Null),
                "active": ev.get("active").cloned().unwrap_or(Value::Bool(true)),
                "state": ev.get("state").map(Value::to_string).unwrap_or_else(|| "{}".into()),
                "running": ev.get("running").cloned().unwrap_or(Value::Bool(true)),
            })),
            "on_chat_model_stream" => {
                if is_tool_call_start && tool_allowed {
                    out.push(json!({"type": "ActionExecutionStart", "actionExecutionId": self.last_tool_call_id, "actionName": self.last_tool_call_name, "parentMessageId": self.last_message_id}));
                } else if is_message_start && emit_messages {
                    self.processed_tool_calls.clear();
                    out.push(json!({"type": "TextMessageStart", "messageId": self.last_message_id}));
                }
                if let Some(c) = content {
                    if self.is_tool_call && tool_allowed {
                        out.push(json!({"type": "ActionExecutionArgs", "actionExecutionId": self.last_tool_call_id, "args": c}));
                    } else if !self.is_tool_call && emit_messages {
                        out.push(json!({"type": "TextMessageContent", "messageId": self.last_message_id, "content": c}));
                    }
                }
            }
            _ => {}
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Message formats
// ------------------------------------------------------------------------------------------------

/// CopilotKit message JSON (what `/agents/state` answers and `loadAgentState` returns: text
/// `{id, role, content}`, action executions `{id, name, arguments, parentMessageId}`, results
/// `{id, actionExecutionId, actionName, result}`) as AG-UI messages. Action executions join the
/// assistant message they name as parent (or a new one).
pub fn copilotkit_messages_to_agui(messages: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for m in messages.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let id = m.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        if m.get("arguments").is_some() && m.get("name").is_some() {
            let args = match m.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => "{}".into(),
            };
            let call = json!({"id": id, "type": "function", "function": {"name": m.get("name").cloned().unwrap_or(Value::Null), "arguments": args}});
            let parent = m.get("parentMessageId").and_then(Value::as_str).map(str::to_string);
            let joins = out.last_mut().filter(|last| last["role"] == "assistant" && parent.as_deref().is_some_and(|p| last["id"] == p));
            match joins {
                Some(last) => {
                    if let Some(calls) = last.get_mut("toolCalls").and_then(Value::as_array_mut) {
                        calls.push(call);
                    } else {
                        last["toolCalls"] = json!([call]);
                    }
                }
                None => out.push(json!({"id": parent.unwrap_or_else(|| id.clone()), "role": "assistant", "toolCalls": [call]})),
            }
        } else if let Some(call_id) = m.get("actionExecutionId").and_then(Value::as_str) {
            let content = match m.get("result") {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => String::new(),
                Some(v) => v.to_string(),
            };
            out.push(json!({"id": id, "role": "tool", "toolCallId": call_id, "content": content}));
        } else if let Some(role) = m.get("role").and_then(Value::as_str) {
            let content = match m.get("content") {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => String::new(),
                Some(v) => v.to_string(),
            };
            let role = if matches!(role, "user" | "assistant" | "system" | "developer") { role } else { "assistant" };
            out.push(json!({"id": id, "role": role, "content": content}));
        }
    }
    out
}

/// AG-UI messages as the CopilotKit message JSON `loadAgentState` returns (the shape 1.10.6
/// builds from LangGraph state: one entry per tool call, each result right after its call).
pub fn agui_messages_to_copilotkit(messages: &[Value]) -> Vec<Value> {
    let mut names: HashMap<String, String> = HashMap::new();
    for m in messages {
        for c in m.get("toolCalls").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]) {
            if let (Some(id), Some(name)) = (c.get("id").and_then(Value::as_str), c.pointer("/function/name").and_then(Value::as_str)) {
                names.insert(id.to_string(), name.to_string());
            }
        }
    }
    let mut plain = Vec::new();
    let mut results: HashMap<String, Value> = HashMap::new();
    for m in messages {
        let id = m.get("id").cloned().unwrap_or(Value::Null);
        let text = match m.get("content") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect(),
            _ => String::new(),
        };
        match m.get("role").and_then(Value::as_str).unwrap_or("") {
            "tool" => {
                let call = m.get("toolCallId").and_then(Value::as_str).unwrap_or("").to_string();
                let name = names.get(&call).cloned().unwrap_or_default();
                results.insert(call.clone(), json!({"actionExecutionId": call, "actionName": name, "result": text, "id": id}));
            }
            "assistant" => {
                let calls = m.get("toolCalls").and_then(Value::as_array).cloned().unwrap_or_default();
                // (1.10.6 drops the text of a message that also calls tools; it is kept here.)
                if calls.is_empty() || !text.is_empty() {
                    plain.push(json!({"role": "assistant", "content": text, "id": id, "parentMessageId": id}));
                }
                {
                    for c in calls {
                        let args = c.pointer("/function/arguments").and_then(Value::as_str).and_then(|a| serde_json::from_str::<Value>(a).ok()).unwrap_or_else(|| json!({}));
                        plain.push(json!({"id": c.get("id").cloned().unwrap_or(Value::Null), "name": c.pointer("/function/name").cloned().unwrap_or(Value::Null), "arguments": args, "parentMessageId": id}));
                    }
                }
            }
            role @ ("user" | "system" | "developer") => plain.push(json!({"role": role, "content": text, "id": id})),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for m in plain {
        let call_id = m.get("arguments").and(m.get("id")).and_then(Value::as_str).map(str::to_string);
        out.push(m);
        if let Some(r) = call_id.and_then(|id| results.remove(&id)) {
            out.push(r);
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------
// The AG-UI side: remote agents listed in `info`, run with `agent/run`, replayed by `agent/connect`
// ------------------------------------------------------------------------------------------------

/// A session for an AG-UI request: the properties are the server's merged with the run's
/// `forwardedProps`; `/info` gets no `frontendUrl`.
pub fn agui_session(shared: &Shared, headers: &[(String, String)], forwarded_props: Option<&Value>) -> RemoteSession {
    let props = crate::runtime::merge_properties(shared.config.properties.as_ref(), forwarded_props);
    let url = crate::runtime::request_url(headers, shared.config.base_path.as_deref().unwrap_or("/"));
    RemoteSession::new(shared.host.clone(), props, None, url, headers.to_vec())
}

/// The remote agents as `info` lists them (id = name). A failing endpoint is logged and left
/// out: one unreachable endpoint must not take the whole runtime's `info` down.
pub async fn agui_agent_infos(shared: &Shared) -> Vec<AgentInfo> {
    if !shared.config.capabilities.remote_endpoints {
        return vec![];
    }
    match agui_session(shared, &[], None).discover().await {
        Ok(d) => d
            .agents
            .iter()
            .map(|a| AgentInfo { id: a.name.clone(), name: a.name.clone(), description: a.description.clone(), class_name: "RemoteAgent".into(), capabilities: None })
            .collect(),
        Err(e) => {
            tracing::warn!("remote endpoint agents are not listed: {e}");
            vec![]
        }
    }
}

/// The remote agent an AG-UI run is for: not a user agent (those win) nor the built-in
/// `default` agent, and served by one of the endpoints.
pub async fn agui_agent_for(shared: &Shared, ctx: &RunContext) -> Option<(RemoteSession, RemoteAgent)> {
    if !shared.config.capabilities.remote_endpoints {
        return None;
    }
    let user = shared.user_agents(&ctx.headers).await.ok().flatten();
    match &user {
        Some(list) if list.iter().any(|a| a.id == ctx.agent_id) => return None,
        None if ctx.agent_id == "default" && shared.gemini.is_some() => return None,
        _ => {}
    }
    let session = agui_session(shared, &ctx.headers, ctx.input.forwarded_props.as_ref());
    let d = match session.discover().await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("remote endpoint agents could not be discovered: {e}");
            return None;
        }
    };
    let agent = d.agent(&ctx.agent_id)?.clone();
    Some((session, agent))
}

/// Run a remote agent for `agent/run`: the AG-UI input becomes the `/agents/execute` body
/// (messages in CopilotKit form, the client's tools as actions, `forwardedProps.config`,
/// `nodeName` and an interrupt response from `forwardedProps.command.resume`).
pub fn run_agui(session: RemoteSession, agent: RemoteAgent, ctx: RunContext) -> BoxStream<'static, AguiEvent> {
    let input = &ctx.input;
    let props = input.forwarded_props.clone().unwrap_or(Value::Null);
    let meta_events = prop(&props, "command").and_then(|c| prop(c, "resume")).map(|resume| {
        let response = match resume {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        json!([{"name": "LangGraphInterruptEvent", "value": "", "response": response}])
    });
    let req = AgentRunRequest {
        thread_id: input.thread_id.clone(),
        run_id: input.run_id.clone(),
        node_name: prop(&props, "nodeName").and_then(Value::as_str).map(str::to_string),
        messages: crate::hooks::legacy_messages(&input.messages, &HashMap::new()),
        state: input.state.clone().unwrap_or_else(|| json!({})),
        config: prop(&props, "config").cloned().unwrap_or_else(|| json!({})),
        actions: input.tools.iter().map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters})).collect(),
        meta_events,
    };
    session.run_agent(agent, req, ctx.cancel.clone())
}

/// `agent/connect` for a thread the store does not know, on a remote agent: what
/// `/agents/state` knows of it, as one replayed run (`MESSAGES_SNAPSHOT` + `STATE_SNAPSHOT`).
/// `None` when the agent is not remote or the endpoint does not know the thread either.
pub async fn agui_connect(shared: &Shared, agent_id: &str, thread_id: &str, headers: &[(String, String)]) -> Result<Option<Vec<AguiEvent>>, String> {
    if !shared.config.capabilities.remote_endpoints {
        return Ok(None);
    }
    if let Ok(Some(user)) = shared.user_agents(headers).await {
        if user.iter().any(|a| a.id == agent_id) {
            return Ok(None);
        }
    }
    let session = agui_session(shared, headers, None);
    let d = session.discover().await.map_err(|e| e.message)?;
    let Some(agent) = d.agent(agent_id) else { return Ok(None) };
    let answer = session.agent_state(agent, thread_id).await.map_err(|e| e.message)?;
    if !answer.thread_exists {
        return Ok(None);
    }
    let run_id = uuid::Uuid::new_v4().to_string();
    let state = match answer.state {
        Value::String(s) => serde_json::from_str(&s).unwrap_or_else(|_| json!({})),
        v @ Value::Object(_) => v,
        _ => json!({}),
    };
    let messages = match answer.messages {
        Value::String(s) => serde_json::from_str(&s).unwrap_or_else(|_| json!([])),
        v => v,
    };
    Ok(Some(vec![
        AguiEvent::run_started(thread_id.to_string(), run_id.clone()),
        AguiEvent::MessagesSnapshot(crate::agui::events::MessagesSnapshot { messages: copilotkit_messages_to_agui(&messages), extra: Extra::new() }),
        AguiEvent::state_snapshot(state),
        AguiEvent::run_finished(thread_id.to_string(), run_id),
    ]))
}

/// A key of a JSON object (`None` when absent, `null`, or when the value is not an object).
pub fn prop<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object().and_then(|m: &Map<String, Value>| m.get(key)).filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests;
