//! The single-route AG-UI endpoint (spec §3–§11): envelope resolution with the exact error
//! catalogue, CORS, and the `info`, `agent/*`, `transcribe`, `inspector/*` and `resource/request`
//! methods over an [`AgentProvider`] and a [`ThreadStore`].

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{BoxStream, StreamExt};
use futures_util::FutureExt;
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

use super::agent::{AgentInfo, AgentProvider, RunContext};
use super::cors::{CorsConfig, HeaderBag};
use super::events::{AguiEvent, RunError};
use super::input::RunAgentInput;
use super::pipeline::{Ending, RunPipeline};
use super::sse::{encode_event, encode_event_into, sse_headers, with_keepalive, DEFAULT_KEEPALIVE};
use crate::time::{iso_from_millis, now_ms};
use super::store::{BeginRun, BeginRunError, InMemoryThreadStore, RunRecorder, StopOutcome, ThreadStore};
use crate::http::{Body, HttpRequest, HttpResponse};

/// The request the handler takes (host-neutral, see [`crate::http`]).
pub type AguiRequest = HttpRequest;
/// The response it returns: a complete body or one `Bytes` per SSE frame.
pub type AguiResponse = HttpResponse;

/// Code of the `RUN_ERROR` sent when a run is requested on a thread that is already running.
pub const THREAD_BUSY: &str = "THREAD_BUSY";

/// How long an agent may keep working after its own terminal event (bookkeeping such as the
/// built-in agent's `onAfterRequest` and request cleanup) before its stream is dropped anyway.
const AGENT_WRAP_UP_LIMIT: Duration = Duration::from_secs(5);

const METHODS: [&str; 9] = [
    "agent/run",
    "agent/suggest",
    "agent/connect",
    "agent/stop",
    "info",
    "inspector/metadata",
    "inspector/learning",
    "transcribe",
    "resource/request",
];

const INTELLIGENCE_REQUIRED: &str = "Missing CopilotKitIntelligence configuration. Thread operations require a CopilotKitIntelligence instance to be provided in CopilotRuntime options.";

const SENSITIVE_HEADERS: [&str; 7] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-copilotcloud-public-api-key",
];

// ------------------------------------------------------------------------------------------------
// Configuration and the error hook
// ------------------------------------------------------------------------------------------------

/// Where an error reported to `onError` happened (spec §12.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPhase {
    /// Before streaming started (e.g. resolving agents failed).
    Common,
    /// The run could not start inside the opened stream (busy thread).
    SseFactory,
    /// A `RUN_ERROR` went through the run stream.
    SseSubscription,
}

impl ErrorPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorPhase::Common => "common",
            ErrorPhase::SseFactory => "sse.factory",
            ErrorPhase::SseSubscription => "sse.subscription",
        }
    }
}

/// What the `onError` hook receives; [`ErrorEvent::to_json`] gives the JS shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorEvent {
    pub timestamp_ms: u64,
    pub thread_id: Option<String>,
    pub run_id: Option<String>,
    /// `agent.run`.
    pub operation: String,
    pub method: String,
    pub url: String,
    pub path: String,
    /// Request headers without credentials (`authorization`, `cookie`, API keys …).
    pub headers: Vec<(String, String)>,
    pub start_time_ms: u64,
    pub agent_id: Option<String>,
    pub phase: ErrorPhase,
    pub message: String,
    /// `code` of the `RUN_ERROR`, when there was one.
    pub code: Option<String>,
}

impl ErrorEvent {
    /// `{type:"error", timestamp, context:{source:"runtime", threadId?, runId?, request:{…},
    /// agent?:{name}, metadata:{phase}}, error:{name, message}}`.
    pub fn to_json(&self) -> Value {
        let mut context = Map::new();
        context.insert("source".into(), "runtime".into());
        if let Some(t) = &self.thread_id {
            context.insert("threadId".into(), t.clone().into());
        }
        if let Some(r) = &self.run_id {
            context.insert("runId".into(), r.clone().into());
        }
        let headers: Map<String, Value> = self.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        context.insert(
            "request".into(),
            json!({
                "operation": self.operation,
                "method": self.method,
                "url": self.url,
                "path": self.path,
                "headers": headers,
                "startTime": self.start_time_ms,
            }),
        );
        if let Some(a) = &self.agent_id {
            context.insert("agent".into(), json!({"name": a}));
        }
        context.insert("metadata".into(), json!({"phase": self.phase.as_str()}));
        let mut error = json!({"name": "Error", "message": self.message});
        if let Some(code) = &self.code {
            error["code"] = Value::String(code.clone());
        }
        json!({"type": "error", "timestamp": self.timestamp_ms, "context": Value::Object(context), "error": error})
    }
}

/// Called (synchronously, must not block) for upstream failures and busy threads.
pub type ErrorHook = Arc<dyn Fn(ErrorEvent) + Send + Sync>;

/// Everything the handler needs.
#[derive(Clone)]
pub struct AguiContext {
    /// Endpoint path (`/api/copilotkit`); the handler serves it and every sub-path.
    pub base_path: String,
    /// `info.version`.
    pub version: String,
    pub cors: CorsConfig,
    /// Quiet interval before an SSE keep-alive comment; zero disables.
    pub keepalive: Duration,
    pub store: Arc<dyn ThreadStore>,
    pub provider: Arc<dyn AgentProvider>,
    pub telemetry_disabled: bool,
    pub a2ui_enabled: bool,
    pub open_generative_ui_enabled: bool,
    pub on_error: Option<ErrorHook>,
    /// Most messages one run request may carry (larger → 400).
    pub max_messages: usize,
}

/// Default for [`AguiContext::max_messages`] (the `maxMessages` endpoint option).
pub const DEFAULT_MAX_MESSAGES: usize = 10_000;
/// serde_json's fixed recursion limit: deeper JSON is refused with its own message.
pub const MAX_JSON_DEPTH: usize = 128;

/// Whether a JSON parse failed only because the document nests deeper than [`MAX_JSON_DEPTH`].
pub fn too_deep(err: &serde_json::Error) -> bool {
    err.to_string().starts_with("recursion limit exceeded")
}

impl AguiContext {
    /// Defaults: version `1.75.0`, permissive CORS, 15 s keep-alive, a fresh in-memory store.
    pub fn new(base_path: impl Into<String>, provider: Arc<dyn AgentProvider>) -> Self {
        AguiContext {
            base_path: base_path.into(),
            version: "1.75.0".into(),
            cors: CorsConfig::default(),
            keepalive: DEFAULT_KEEPALIVE,
            store: Arc::new(InMemoryThreadStore::default()),
            provider,
            telemetry_disabled: false,
            a2ui_enabled: false,
            open_generative_ui_enabled: false,
            on_error: None,
            max_messages: DEFAULT_MAX_MESSAGES,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Responses
// ------------------------------------------------------------------------------------------------

struct Reply {
    status: u16,
    headers: HeaderBag,
    body: Body,
    /// CORS already applied (preflight).
    cors_done: bool,
}

impl Reply {
    fn json(status: u16, value: Value) -> Reply {
        let mut headers = HeaderBag::new();
        headers.set("content-type", "application/json");
        Reply { status, headers, body: Body::Full(Bytes::from(value.to_string())), cors_done: false }
    }

    fn empty(status: u16) -> Reply {
        Reply { status, headers: HeaderBag::new(), body: Body::Full(Bytes::new()), cors_done: false }
    }

    fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.set(name, value);
        self
    }

    fn sse(frames: BoxStream<'static, Bytes>) -> Reply {
        Reply { status: 200, headers: HeaderBag::from_pairs(sse_headers()), body: Body::Stream(frames), cors_done: false }
    }
}

fn invalid_request(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({"error": "invalid_request", "message": message}))
}

fn internal_error() -> Reply {
    Reply::json(500, json!({"error": "internal_error"}))
}

fn not_found() -> Reply {
    Reply::json(404, json!({"error": "Not found"}))
}

fn agent_not_found(agent_id: &str) -> Reply {
    Reply::json(404, json!({"error": "Agent not found", "message": format!("Agent '{agent_id}' does not exist")}))
}

/// Strip a trailing slash (except for `/`).
fn normalize_base(base: &str) -> &str {
    if base.len() > 1 && base.ends_with('/') {
        &base[..base.len() - 1]
    } else {
        base
    }
}

/// `base` itself or `base/…`.
fn in_base(path: &str, base: &str) -> bool {
    let base = normalize_base(base);
    if base.is_empty() || base == "/" {
        return true;
    }
    path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

// ------------------------------------------------------------------------------------------------
// Entry point
// ------------------------------------------------------------------------------------------------

/// Handle one HTTP request addressed to the AG-UI endpoint. Never panics: an unexpected failure
/// becomes `500 {"error":"internal_error"}`. `cancel` fires when the client goes away; a run then
/// stops (and is stored as stopped) within milliseconds, as it does when the returned body stream
/// is dropped.
pub async fn handle(req: AguiRequest, ctx: &AguiContext, cancel: CancellationToken) -> AguiResponse {
    let is_head = req.method.eq_ignore_ascii_case("HEAD");
    if !in_base(req.path(), &ctx.base_path) {
        // What the reference's router answers outside the base path: plain text, no CORS.
        let body = if is_head { Bytes::new() } else { Bytes::from_static(b"404 Not Found") };
        return HttpResponse {
            status: 404,
            headers: vec![("content-type".into(), "text/plain; charset=UTF-8".into())],
            body: Body::Full(body),
        };
    }
    let origin = req.header("origin").map(str::to_string);
    let reply = match AssertUnwindSafe(dispatch(req, ctx, cancel)).catch_unwind().await {
        Ok(reply) => reply,
        Err(_) => {
            tracing::error!("AG-UI handler panicked");
            internal_error()
        }
    };
    let Reply { status, mut headers, body, cors_done } = reply;
    if !cors_done {
        ctx.cors.apply(&mut headers, origin.as_deref());
    }
    let body = if is_head { Body::Full(Bytes::new()) } else { body };
    HttpResponse { status, headers: headers.into_vec(), body }
}

/// Request facts kept for error reports.
#[derive(Clone)]
struct ReqInfo {
    method: String,
    url: String,
    path: String,
    headers: Vec<(String, String)>,
    start_ms: u64,
}

impl ReqInfo {
    fn of(req: &HttpRequest) -> ReqInfo {
        let proto = req.header("x-forwarded-proto").and_then(|p| p.split(',').next()).map(str::trim).unwrap_or("http");
        let host = req.header("x-forwarded-host").or_else(|| req.header("host")).unwrap_or("localhost");
        ReqInfo {
            method: req.method.clone(),
            url: format!("{proto}://{host}{}", req.url),
            path: req.path().to_string(),
            headers: req
                .headers
                .iter()
                .filter(|(k, _)| !SENSITIVE_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            start_ms: now_ms(),
        }
    }
}

/// Reports errors to `on_error`, at most once per run request.
#[derive(Clone)]
struct Reporter {
    hook: Option<ErrorHook>,
    info: ReqInfo,
    agent_id: Option<String>,
}

impl Reporter {
    fn report(&self, phase: ErrorPhase, thread_id: Option<&str>, run_id: Option<&str>, message: &str, code: Option<&str>) {
        let Some(hook) = &self.hook else { return };
        let ev = ErrorEvent {
            timestamp_ms: now_ms(),
            thread_id: thread_id.filter(|s| !s.is_empty()).map(str::to_string),
            run_id: run_id.filter(|s| !s.is_empty()).map(str::to_string),
            operation: "agent.run".into(),
            method: self.info.method.clone(),
            url: self.info.url.clone(),
            path: self.info.path.clone(),
            headers: self.info.headers.clone(),
            start_time_ms: self.info.start_ms,
            agent_id: self.agent_id.clone(),
            phase,
            message: message.to_string(),
            code: code.map(str::to_string),
        };
        let hook = hook.clone();
        // A misbehaving hook must not take the run down.
        if std::panic::catch_unwind(AssertUnwindSafe(|| hook(ev))).is_err() {
            tracing::warn!("onError hook panicked");
        }
    }
}

/// JS truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JS `String(v)`.
fn js_string(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| if x.is_null() { String::new() } else { js_string(x) })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".into(),
    }
}

/// `params[key]` as a non-blank string.
fn expect_param(params: Option<&Value>, key: &str) -> Result<String, Reply> {
    match params.and_then(|p| p.as_object()).and_then(|p| p.get(key)) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(invalid_request(400, &format!("Missing or invalid parameter '{key}'"))),
    }
}

/// The envelope `body` as the inner JSON request body.
enum InnerBody {
    Json(Value),
    /// A string `body` is used verbatim as the JSON text.
    Text(String),
}

fn inner_body(body: Option<&Value>) -> Result<InnerBody, Reply> {
    match body {
        None | Some(Value::Null) => Err(invalid_request(400, "Missing request body for JSON handler")),
        Some(Value::String(s)) => Ok(InnerBody::Text(s.clone())),
        Some(v) => Ok(InnerBody::Json(v.clone())),
    }
}

/// A JS-like `SyntaxError` message for a body that is not JSON.
fn json_syntax_message(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "Unexpected end of JSON input".into();
    }
    let snippet: String = trimmed.chars().take(30).collect();
    let first = trimmed.chars().next().unwrap_or(' ');
    format!("Unexpected token '{first}', \"{snippet}\" is not valid JSON")
}

fn too_deep_reply() -> Reply {
    invalid_request(400, &format!("JSON payload nests deeper than {MAX_JSON_DEPTH} levels"))
}

fn parse_run_input(body: &InnerBody, max_messages: usize) -> Result<RunAgentInput, Reply> {
    let parsed;
    let value = match body {
        InnerBody::Json(v) => v,
        InnerBody::Text(t) => match serde_json::from_str::<Value>(t) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(e) if too_deep(&e) => return Err(too_deep_reply()),
            Err(_) => {
                return Err(Reply::json(400, json!({"error": "Invalid request body", "details": json_syntax_message(t)})))
            }
        },
    };
    if let Some(n) = value.get("messages").and_then(Value::as_array).map(Vec::len).filter(|n| *n > max_messages) {
        return Err(invalid_request(
            400,
            &format!("Too many messages: {n} in one request, the limit is {max_messages} (maxMessages option)"),
        ));
    }
    RunAgentInput::from_json(value)
        .map_err(|details| Reply::json(400, json!({"error": "Invalid request body", "details": details})))
}

async fn dispatch(req: HttpRequest, ctx: &AguiContext, cancel: CancellationToken) -> Reply {
    let method = req.method.to_ascii_uppercase();
    if method == "OPTIONS" && ctx.cors.enabled {
        let headers = ctx.cors.preflight(req.header("origin"));
        return Reply { status: 204, headers, body: Body::Full(Bytes::new()), cors_done: true };
    }
    if method != "POST" {
        return Reply::json(405, json!({"error": "Method not allowed"})).header("allow", "POST");
    }
    if !req.header("content-type").unwrap_or("").contains("application/json") {
        return invalid_request(415, "Single-route endpoint expects JSON payloads");
    }
    let envelope: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) if too_deep(&e) => return too_deep_reply(),
        Err(_) => return invalid_request(400, "Invalid JSON payload"),
    };
    if envelope.is_null() {
        // 1.75 answers 500 (it crashes reading `null.method`); a client error is a 400.
        return invalid_request(400, "JSON payload must be an object, got null");
    }
    let fields = envelope.as_object();
    let name = match fields.and_then(|o| o.get("method")) {
        Some(m) if truthy(m) => match m {
            Value::String(s) if METHODS.contains(&s.as_str()) => s.clone(),
            other => return invalid_request(400, &format!("Unsupported method '{}'", js_string(other))),
        },
        _ => return invalid_request(400, "Missing method field"),
    };
    let params = fields.and_then(|o| o.get("params"));
    let body = fields.and_then(|o| o.get("body"));
    let result = match name.as_str() {
        "agent/run" | "agent/suggest" | "agent/connect" => {
            match expect_param(params, "agentId").and_then(|a| inner_body(body).map(|b| (a, b))) {
                Ok((agent_id, inner)) => match name.as_str() {
                    "agent/run" => run_agent(&req, ctx, cancel, agent_id, inner, RunMode::Run).await,
                    "agent/suggest" => run_agent(&req, ctx, cancel, agent_id, inner, RunMode::Suggest).await,
                    _ => connect_agent(&req, ctx, cancel, agent_id, inner).await,
                },
                Err(reply) => reply,
            }
        }
        "agent/stop" => match expect_param(params, "agentId").and_then(|a| expect_param(params, "threadId").map(|t| (a, t))) {
            Ok((agent_id, thread_id)) => stop_agent(ctx, agent_id, thread_id, body).await,
            Err(reply) => reply,
        },
        "info" => info(ctx).await,
        "inspector/metadata" => Reply::empty(204).header("cache-control", "no-store, private"),
        "inspector/learning" => not_found().header("cache-control", "no-store, private"),
        "transcribe" => match inner_body(body) {
            Ok(_) => Reply::json(
                503,
                json!({"error": "service_not_configured", "message": "Transcription service is not configured", "retryable": false}),
            ),
            Err(reply) => reply,
        },
        _ => match expect_param(params, "path").and_then(|p| expect_param(params, "httpMethod").map(|m| (p, m))) {
            Ok((path, http_method)) => resource_request(ctx, &path, &http_method, body).await,
            Err(reply) => reply,
        },
    };
    result
}

// ------------------------------------------------------------------------------------------------
// info
// ------------------------------------------------------------------------------------------------

fn agents_map(agents: &[AgentInfo]) -> Value {
    let mut map = Map::new();
    for a in agents {
        let mut entry = Map::new();
        entry.insert("name".into(), a.name.clone().into());
        entry.insert("description".into(), a.description.clone().into());
        entry.insert("className".into(), a.class_name.clone().into());
        if let Some(c) = &a.capabilities {
            entry.insert("capabilities".into(), c.clone());
        }
        map.insert(a.id.clone(), Value::Object(entry));
    }
    Value::Object(map)
}

async fn info(ctx: &AguiContext) -> Reply {
    let agents = match ctx.provider.agents().await {
        Ok(a) => a,
        Err(message) => {
            return Reply::json(500, json!({"error": "Failed to retrieve runtime information", "message": message}))
        }
    };
    let keeps = ctx.store.keeps_threads();
    Reply::json(
        200,
        json!({
            "version": ctx.version,
            "agents": agents_map(&agents),
            "audioFileTranscriptionEnabled": false,
            "mode": "sse",
            "threadEndpoints": {"list": false, "inspect": false, "mutations": false, "realtimeMetadata": false},
            "singleRoute": {
                "resourceOperations": true,
                "threadEndpoints": {"list": keeps, "inspect": keeps, "mutations": false, "realtimeMetadata": false}
            },
            "suggestions": true,
            "a2uiEnabled": ctx.a2ui_enabled,
            "openGenerativeUIEnabled": ctx.open_generative_ui_enabled,
            "telemetryDisabled": ctx.telemetry_disabled,
        }),
    )
}

// ------------------------------------------------------------------------------------------------
// agent/run, agent/suggest
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum RunMode {
    /// Through the thread store: stored, one run per thread, `RUN_STARTED.input`.
    Run,
    /// Directly: nothing stored, no concurrency check, no `input`.
    Suggest,
}

async fn lookup_agent(ctx: &AguiContext, agent_id: &str) -> Result<(), Result<Reply, String>> {
    match ctx.provider.agents().await {
        Ok(agents) if agents.iter().any(|a| a.id == agent_id) => Ok(()),
        Ok(_) => Err(Ok(agent_not_found(agent_id))),
        Err(message) => Err(Err(message)),
    }
}

async fn run_agent(
    req: &HttpRequest,
    ctx: &AguiContext,
    cancel: CancellationToken,
    agent_id: String,
    body: InnerBody,
    mode: RunMode,
) -> Reply {
    let reporter = Reporter { hook: ctx.on_error.clone(), info: ReqInfo::of(req), agent_id: Some(agent_id.clone()) };
    match lookup_agent(ctx, &agent_id).await {
        Ok(()) => {}
        Err(Ok(reply)) => return reply,
        Err(Err(message)) => {
            if mode == RunMode::Run {
                reporter.report(ErrorPhase::Common, None, None, &message, None);
            }
            return Reply::json(500, json!({"error": "Failed to run agent", "message": message}));
        }
    }
    let input = match parse_run_input(&body, ctx.max_messages) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-length"))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    let thread_id = input.thread_id.clone();
    let run_id = input.run_id.clone();
    let run_token = CancellationToken::new();

    let (recorder, start_input) = match mode {
        RunMode::Suggest => (None, None),
        RunMode::Run => {
            let begin = BeginRun {
                thread_id: thread_id.clone(),
                run_id: run_id.clone(),
                agent_id: agent_id.clone(),
                input_messages: input.raw_messages().to_vec(),
                cancel: run_token.clone(),
            };
            match ctx.store.begin_run(begin).await {
                Ok(began) => {
                    let echo = input.echo_without(&began.seen_message_ids);
                    (Some(began.recorder), Some(echo))
                }
                Err(BeginRunError::Busy) => {
                    reporter.report(ErrorPhase::SseFactory, Some(&thread_id), Some(&run_id), "Thread already running", Some(THREAD_BUSY));
                    return busy_reply(ctx, &input);
                }
                Err(BeginRunError::Failed(message)) => {
                    reporter.report(ErrorPhase::Common, Some(&thread_id), Some(&run_id), &message, None);
                    return Reply::json(500, json!({"error": "Failed to run agent", "message": message}));
                }
            }
        }
    };

    let agent_stream = ctx.provider.run(RunContext { agent_id, input, headers, cancel: run_token.clone() });
    let pipeline = RunPipeline::new(thread_id, run_id, start_input);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(RESPONSE_BATCHES);
    let reporter = (mode == RunMode::Run).then_some(reporter);
    tokio::spawn(drive_run(agent_stream, pipeline, recorder, tx, run_token.clone(), cancel, reporter));

    // Dropping the response body (client gone) cancels the run.
    let guard = run_token.drop_guard();
    let frames = async_stream::stream! {
        let _guard = guard;
        while let Some(frame) = rx.recv().await {
            yield frame;
        }
    };
    Reply::sse(with_keepalive(frames.boxed(), ctx.keepalive))
}

/// The answer to a run on a busy thread: a short stream that says so.
fn busy_reply(ctx: &AguiContext, input: &RunAgentInput) -> Reply {
    let mut started = AguiEvent::run_started(input.thread_id.clone(), input.run_id.clone());
    if let AguiEvent::RunStarted(rs) = &mut started {
        rs.input = Some(input.raw.clone());
    }
    let error = AguiEvent::RunError(RunError {
        message: format!("Thread '{}' already has a run in progress", input.thread_id),
        code: Some(THREAD_BUSY.into()),
        thread_id: Some(input.thread_id.clone()),
        run_id: Some(input.run_id.clone()),
        ..Default::default()
    });
    let frames = futures_util::stream::iter(vec![encode_event(&started), encode_event(&error)]);
    Reply::sse(with_keepalive(frames.boxed(), ctx.keepalive))
}

/// Batches of frames buffered between a run and its response: what a client that reads nothing
/// can make the server hold (with [`MAX_BATCH_EVENTS`] events per batch).
const RESPONSE_BATCHES: usize = 32;
/// Most agent events encoded into one batch.
const MAX_BATCH_EVENTS: usize = 64;
/// Starting capacity of a batch's frame buffer (a text delta frame is ~150 bytes).
const FRAME_BUFFER_START: usize = 1024;

/// Feed one polled agent item to the pipeline: `(run over, ended by the agent's own event)`.
fn on_agent_item(
    next: std::thread::Result<Option<AguiEvent>>,
    pipeline: &mut RunPipeline,
    out: &mut Vec<AguiEvent>,
) -> (bool, bool) {
    match next {
        Ok(Some(ev)) => {
            let by_agent = pipeline.push(ev, out);
            (by_agent, by_agent)
        }
        Ok(None) => {
            pipeline.finish(Ending::Ended, out);
            (true, false)
        }
        Err(_) => {
            tracing::error!("agent stream panicked");
            pipeline.finish(Ending::Failed("Agent failed".into()), out);
            (true, false)
        }
    }
}

/// Pump the agent's events through the pipeline into the store and the response until the run
/// ends, is stopped, or its client leaves.
async fn drive_run(
    mut agent: BoxStream<'static, AguiEvent>,
    mut pipeline: RunPipeline,
    mut recorder: Option<Box<dyn RunRecorder>>,
    tx: tokio::sync::mpsc::Sender<Bytes>,
    run_token: CancellationToken,
    request_cancel: CancellationToken,
    reporter: Option<Reporter>,
) {
    let mut out: Vec<AguiEvent> = Vec::new();
    let mut reported = false;
    let mut thread_run: (String, String) = (String::new(), String::new());
    // The agent's own events ended the run: its stream gets to finish (see the end).
    let mut ended_by_agent = false;
    let mut frames = BytesMut::new();
    loop {
        let mut done = tokio::select! {
            biased;
            _ = run_token.cancelled() => {
                pipeline.finish(Ending::Stopped, &mut out);
                true
            }
            _ = request_cancel.cancelled() => {
                pipeline.finish(Ending::Stopped, &mut out);
                true
            }
            next = AssertUnwindSafe(agent.next()).catch_unwind() => {
                let (d, by_agent) = on_agent_item(next, &mut pipeline, &mut out);
                ended_by_agent = by_agent;
                d
            }
        };
        // Whatever else the agent has ready right now goes into the same batch: one wake-up of
        // the response side per burst of events, not per event.
        let mut batched = 1;
        while !done && batched < MAX_BATCH_EVENTS && !run_token.is_cancelled() && !request_cancel.is_cancelled() {
            let Some(next) = AssertUnwindSafe(agent.next()).catch_unwind().now_or_never() else { break };
            let (d, by_agent) = on_agent_item(next, &mut pipeline, &mut out);
            ended_by_agent = by_agent;
            done = d;
            batched += 1;
        }
        if !out.is_empty() {
            // Sized for a typical burst, so a batch rarely grows by reallocating.
            frames.reserve(FRAME_BUFFER_START);
            for ev in &out {
                match ev {
                    AguiEvent::RunStarted(rs) => thread_run = (rs.thread_id.clone(), rs.run_id.clone()),
                    AguiEvent::RunError(re) if !reported => {
                        reported = true;
                        if let Some(rep) = &reporter {
                            let thread = re.thread_id.as_deref().unwrap_or(&thread_run.0);
                            let run = re.run_id.as_deref().unwrap_or(&thread_run.1);
                            rep.report(ErrorPhase::SseSubscription, Some(thread), Some(run), &re.message, re.code.as_deref());
                        }
                    }
                    _ => {}
                }
                encode_event_into(ev, &mut frames);
            }
            match recorder.as_mut() {
                Some(r) => r.record_drain(&mut out),
                None => out.clear(),
            }
            // A client that reads nothing fills the channel: the run waits here (and so does
            // its upstream read) until the client reads, stops or leaves.
            let batch = frames.split().freeze();
            let sent = tokio::select! {
                biased;
                r = tx.send(batch) => r.is_ok(),
                _ = run_token.cancelled() => false,
                _ = request_cancel.cancelled() => false,
            };
            if !sent && !done {
                // Stopped or gone while waiting for the client: close the run like a stop.
                if !tx.is_closed() {
                    pipeline.finish(Ending::Stopped, &mut out);
                    for ev in &out {
                        encode_event_into(ev, &mut frames);
                    }
                    match recorder.as_mut() {
                        Some(r) => r.record_drain(&mut out),
                        None => out.clear(),
                    }
                    let _ = tx.try_send(frames.split().freeze());
                }
                ended_by_agent = false;
                done = true;
            }
        }
        if done {
            break;
        }
    }
    if !ended_by_agent {
        // Stopped, client gone, or failed: drop the agent at once (this aborts its upstream call).
        drop(agent);
        run_token.cancel();
        if let Some(r) = recorder {
            r.finish();
        }
        return;
    }
    // The agent sent its terminal event. The run is over for the client and the store (thread
    // free, response ended), but the agent's stream is still polled to its end: code an agent runs
    // after its last event (the built-in agent's onAfterRequest and per-request cleanup) would
    // never run if the stream were dropped here.
    run_token.cancel();
    if let Some(r) = recorder {
        r.finish();
    }
    drop(tx);
    let wrap_up = async {
        while let Ok(Some(_)) = AssertUnwindSafe(agent.next()).catch_unwind().await {}
    };
    if tokio::time::timeout(AGENT_WRAP_UP_LIMIT, wrap_up).await.is_err() {
        tracing::warn!("agent stream still open {AGENT_WRAP_UP_LIMIT:?} after its terminal event; dropping it");
    }
}

// ------------------------------------------------------------------------------------------------
// agent/connect, agent/stop
// ------------------------------------------------------------------------------------------------

async fn connect_agent(req: &HttpRequest, ctx: &AguiContext, cancel: CancellationToken, agent_id: String, body: InnerBody) -> Reply {
    match lookup_agent(ctx, &agent_id).await {
        Ok(()) => {}
        Err(Ok(reply)) => return reply,
        Err(Err(message)) => return Reply::json(500, json!({"error": "Failed to run agent", "message": message})),
    }
    let input = match parse_run_input(&body, ctx.max_messages) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    // A thread the store does not know may be known to the agent itself (remote endpoints).
    if ctx.provider.loads_threads() && matches!(ctx.store.thread_events(input.thread_id.clone()).await, Ok(ref evs) if evs.is_empty()) {
        let headers: Vec<(String, String)> = req.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
        match ctx.provider.load_thread(agent_id.clone(), input.thread_id.clone(), headers).await {
            Ok(Some(events)) => {
                let frames = futures_util::stream::iter(events).map(|ev| encode_event(&ev)).take_until(cancel.cancelled_owned());
                return Reply::sse(with_keepalive(frames.boxed(), ctx.keepalive));
            }
            Ok(None) => {}
            // Nothing to restore then: the thread starts empty, as an unknown thread does.
            Err(message) => tracing::warn!("agent/connect could not load thread state from the agent: {message}"),
        }
    }
    let events = match ctx.store.connect(input.thread_id.clone()).await {
        Ok(s) => s,
        Err(message) => return Reply::json(500, json!({"error": "Failed to run agent", "message": message})),
    };
    let frames = events.map(|ev| encode_event(&ev)).take_until(cancel.cancelled_owned());
    Reply::sse(with_keepalive(frames.boxed(), ctx.keepalive))
}

async fn stop_agent(ctx: &AguiContext, agent_id: String, thread_id: String, body: Option<&Value>) -> Reply {
    let run_id = match body {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            if m.keys().any(|k| k != "runId") {
                return Reply::json(400, json!({"error": "Invalid stop request"}));
            }
            match m.get("runId") {
                None => None,
                Some(Value::String(r)) if !r.trim().is_empty() => Some(r.clone()),
                Some(_) => return Reply::json(400, json!({"error": "Invalid runId"})),
            }
        }
        Some(_) => return Reply::json(400, json!({"error": "Invalid stop request"})),
    };
    match lookup_agent(ctx, &agent_id).await {
        Ok(()) => {}
        Err(Ok(reply)) => return reply,
        Err(Err(message)) => return Reply::json(500, json!({"error": "Failed to stop agent", "message": message})),
    }
    match ctx.store.stop(thread_id.clone(), run_id.clone()).await {
        Ok(StopOutcome::Stopped) => Reply::json(
            200,
            json!({"stopped": true, "interrupt": {"type": "RUN_ERROR", "message": "Run stopped by user", "code": "STOPPED"}}),
        ),
        Ok(StopOutcome::NotActiveRun) if run_id.is_some() => Reply::json(
            200,
            json!({"stopped": false, "message": format!("Run '{}' is not the active run for thread '{thread_id}'.", run_id.unwrap_or_default())}),
        ),
        Ok(_) => Reply::json(200, json!({"stopped": false, "message": format!("No active run for thread '{thread_id}'.")})),
        Err(message) => Reply::json(500, json!({"error": "Failed to stop agent", "message": message})),
    }
}

// ------------------------------------------------------------------------------------------------
// resource/request (§10.4)
// ------------------------------------------------------------------------------------------------

enum Route {
    ThreadsList,
    ThreadsSubscribe,
    ThreadsClear,
    ThreadUpdate,
    ThreadMessages(String),
    ThreadEvents(String),
    ThreadState(String),
    ThreadArchive,
    Memories(&'static str),
    Annotate,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(&k.replace('+', " ")) == key).then(|| percent_decode(&v.replace('+', " ")))
    })
}

fn match_route(path: &str) -> Option<Route> {
    let segs: Vec<String> = path.trim_start_matches('/').trim_end_matches('/').split('/').map(percent_decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    Some(match segs.as_slice() {
        ["threads"] => Route::ThreadsList,
        ["threads", "subscribe"] => Route::ThreadsSubscribe,
        ["threads", "clear"] => Route::ThreadsClear,
        ["threads", _] => Route::ThreadUpdate,
        ["threads", id, "messages"] => Route::ThreadMessages(id.to_string()),
        ["threads", id, "events"] => Route::ThreadEvents(id.to_string()),
        ["threads", id, "state"] => Route::ThreadState(id.to_string()),
        ["threads", _, "archive"] => Route::ThreadArchive,
        ["memories"] => Route::Memories("GET, POST"),
        ["memories", "recall"] | ["memories", "subscribe"] => Route::Memories("POST"),
        ["memories", _] => Route::Memories("PATCH, DELETE"),
        ["annotate"] => Route::Annotate,
        _ => return None,
    })
}

/// Thread message in the shape the thread routes return.
fn message_view(m: &Value) -> Value {
    let mut out = Map::new();
    let get = |k: &str| m.get(k).cloned();
    out.insert("id".into(), get("id").unwrap_or(Value::Null));
    let role = m.get("role").and_then(Value::as_str).unwrap_or("");
    out.insert("role".into(), role.into());
    match role {
        "assistant" => {
            if let Some(c) = get("content") {
                out.insert("content".into(), c);
            }
            let calls: Vec<Value> = m
                .get("toolCalls")
                .and_then(Value::as_array)
                .map(|calls| {
                    calls
                        .iter()
                        .map(|c| {
                            json!({
                                "id": c.get("id").cloned().unwrap_or(Value::Null),
                                "name": c.pointer("/function/name").cloned().unwrap_or(Value::Null),
                                "args": c.pointer("/function/arguments").cloned().unwrap_or(Value::Null),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !calls.is_empty() {
                out.insert("toolCalls".into(), Value::Array(calls));
            }
        }
        "tool" => {
            out.insert("content".into(), get("content").unwrap_or(Value::Null));
            out.insert("toolCallId".into(), get("toolCallId").unwrap_or(Value::Null));
        }
        _ => {
            if let Some(c) = get("content") {
                out.insert("content".into(), c);
            }
        }
    }
    Value::Object(out)
}

async fn resource_request(ctx: &AguiContext, path: &str, http_method: &str, _body: Option<&Value>) -> Reply {
    let relative = path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\");
    if !relative {
        return invalid_request(400, "Resource path must be Runtime-relative");
    }
    let (route_path, query) = match path.split_once('?') {
        Some((p, q)) => (p, q.split('#').next().unwrap_or("")),
        None => (path.split('#').next().unwrap_or(path), ""),
    };
    let Some(route) = match_route(route_path) else { return not_found() };
    let method = http_method.to_ascii_uppercase();
    let allowed: &str = match &route {
        Route::ThreadsList | Route::ThreadMessages(_) | Route::ThreadEvents(_) | Route::ThreadState(_) => "GET",
        Route::ThreadUpdate => "PATCH, DELETE",
        Route::Memories(allow) => allow,
        Route::ThreadsSubscribe | Route::ThreadsClear | Route::ThreadArchive | Route::Annotate => "POST",
    };
    if !allowed.split(", ").any(|m| m == method) {
        return Reply::json(405, json!({"error": "Method not allowed"})).header("allow", allowed);
    }
    let store_error = |message: String| {
        tracing::warn!(%message, "thread store failure");
        internal_error()
    };
    match route {
        Route::Memories(_) => not_found(),
        Route::ThreadsList => match ctx.store.list_threads(query_param(query, "agentId")).await {
            Ok(threads) => {
                let list: Vec<Value> = threads
                    .into_iter()
                    .map(|t| {
                        json!({
                            "id": t.id, "name": null, "agentId": t.agent_id, "organizationId": "", "createdById": "",
                            "archived": false, "createdAt": iso_from_millis(t.created_at_ms as i64), "updatedAt": iso_from_millis(t.updated_at_ms as i64)
                        })
                    })
                    .collect();
                Reply::json(200, json!({"threads": list, "nextCursor": null}))
            }
            Err(e) => store_error(e),
        },
        Route::ThreadMessages(id) => match ctx.store.thread_messages(id).await {
            Ok(msgs) => Reply::json(200, json!({"messages": msgs.iter().map(message_view).collect::<Vec<_>>()})),
            Err(e) => store_error(e),
        },
        Route::ThreadEvents(id) => match ctx.store.thread_events(id).await {
            Ok(events) => Reply::json(200, json!({"events": events.iter().map(AguiEvent::to_value).collect::<Vec<_>>()})),
            Err(e) => store_error(e),
        },
        Route::ThreadState(id) => match ctx.store.thread_state(id).await {
            Ok(state) => Reply::json(200, json!({"state": state})),
            Err(e) => store_error(e),
        },
        Route::ThreadsClear => match ctx.store.clear().await {
            Ok(()) => Reply::empty(204),
            Err(e) => store_error(e),
        },
        Route::ThreadUpdate | Route::ThreadArchive | Route::ThreadsSubscribe | Route::Annotate => {
            Reply::json(422, json!({"error": INTELLIGENCE_REQUIRED}))
        }
    }
}
