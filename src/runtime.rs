//! The runtime core: configuration and the single `handle(request) → response` entry point that
//! every host adapter calls. It tells the two client generations apart and routes the request to
//! the GraphQL or the AG-UI protocol handler; both run the same built-in agent (the engine).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::agui::{self, AgentInfo, AgentProvider, AguiContext, AguiEvent, CorsConfig, CorsOrigin, InMemoryThreadStore, RunContext, StoreLimits, ThreadStore};
use crate::engine::{self, EngineRun, ServerTools};
use crate::gemini::{GeminiClient, GeminiConfig};
use crate::hooks::{Capabilities, RequestHooks, Transcript};
use crate::host::Host;
use crate::http::{HttpRequest, HttpResponse};

/// Version reported to AG-UI clients in `info`.
pub const AGUI_VERSION: &str = "1.75.0";
/// Version reported to GraphQL clients (`X-CopilotKit-Runtime-Version`).
pub const GRAPHQL_VERSION: &str = "1.10.6";

/// Runtime configuration, sent by the JS shim as JSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RuntimeConfig {
    pub base_path: Option<String>,
    pub adapter: AdapterConfig,
    pub cors: Option<CorsOptions>,
    pub capabilities: Capabilities,
    /// Server-side `properties` of the endpoint factory (merged under the client's).
    pub properties: Option<Value>,
    /// Model calls allowed per AG-UI run (default [`engine::DEFAULT_MAX_STEPS`]).
    pub max_steps: Option<usize>,
    /// SSE keep-alive interval in seconds (default 15; 0 disables).
    pub keep_alive_seconds: Option<u64>,
    pub thread_store: Option<StoreOptions>,
    pub body_limit: Option<usize>,
    /// Most messages one chat request may carry (default [`agui::DEFAULT_MAX_MESSAGES`]).
    pub max_messages: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdapterConfig {
    /// `google` or `empty`.
    pub kind: String,
    pub model: Option<String>,
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    pub base_url: Option<String>,
    pub max_retries: Option<u32>,
    pub first_byte_timeout_ms: Option<u64>,
    pub idle_timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CorsOptions {
    pub enabled: bool,
    pub origin: Option<Value>,
    pub credentials: bool,
}

impl Default for CorsOptions {
    fn default() -> Self {
        CorsOptions { enabled: true, origin: None, credentials: false }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase", default)]
pub struct StoreOptions {
    pub max_threads: Option<usize>,
    pub max_runs_per_thread: Option<usize>,
    pub max_bytes: Option<usize>,
}

/// Thread stores are process-wide (like the JS runtime's), one per distinct set of limits, so
/// every endpoint of the process can replay and stop every thread.
pub fn shared_store(opts: StoreOptions) -> Arc<InMemoryThreadStore> {
    static STORES: OnceLock<Mutex<HashMap<StoreOptions, Arc<InMemoryThreadStore>>>> = OnceLock::new();
    let mut map = STORES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    map.entry(opts)
        .or_insert_with(|| {
            let d = StoreLimits::default();
            Arc::new(InMemoryThreadStore::new(StoreLimits {
                max_threads: opts.max_threads.unwrap_or(d.max_threads),
                max_runs_per_thread: opts.max_runs_per_thread.unwrap_or(d.max_runs_per_thread),
                max_bytes: opts.max_bytes.unwrap_or(d.max_bytes),
            }))
        })
        .clone()
}

/// What every protocol handler shares: the user's callbacks and the built-in agent's model.
pub struct Shared {
    pub config: RuntimeConfig,
    pub host: Arc<dyn Host>,
    /// `None` with `EmptyAdapter`: there is no built-in agent then.
    pub gemini: Option<GeminiClient>,
}

pub struct Runtime {
    pub shared: Arc<Shared>,
    agui: AguiContext,
    graphql: crate::graphql::HandlerConfig,
    resolvers: Arc<crate::gql_resolvers::GraphqlResolvers>,
}

/// Which client generation a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `@copilotkit/runtime-client-gql` (react-core ≤ 1.10).
    Graphql,
    /// The AG-UI single-route envelope (react-core ≥ 1.50).
    Agui,
}

/// Tell the two protocols apart. A GraphQL request carries `query`/`operationName` (or is a
/// batch array, or a GET with `?query=`); an AG-UI envelope carries `method`. A body that cannot
/// be parsed goes to the protocol its headers point to: the GraphQL client sends
/// `x-copilotkit-runtime-client-gql-version` and accepts `multipart/mixed`.
pub fn detect_protocol(req: &HttpRequest) -> Protocol {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        method: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        query: Option<serde::de::IgnoredAny>,
        #[serde(default, rename = "operationName")]
        operation_name: Option<serde::de::IgnoredAny>,
    }
    let headers_say_graphql = req.header("x-copilotkit-runtime-client-gql-version").is_some()
        || req.header("accept").is_some_and(|a| a.contains("multipart/mixed"))
        || req.header("content-type").is_some_and(|c| c.contains("application/graphql"));
    match req.method.as_str() {
        "OPTIONS" => Protocol::Agui,
        "GET" | "HEAD" => {
            let q = req.query();
            if q.split('&').any(|kv| kv.starts_with("query=") || kv.starts_with("operationName=")) {
                Protocol::Graphql
            } else {
                Protocol::Agui
            }
        }
        "POST" => {
            let body = req.body.trim_ascii_start();
            if body.first() == Some(&b'[') {
                // A GraphQL batch, or an AG-UI client's mistake ("Missing method field").
                return if headers_say_graphql { Protocol::Graphql } else { Protocol::Agui };
            }
            match serde_json::from_slice::<Probe>(&req.body) {
                Ok(p) if p.method.is_some() => Protocol::Agui,
                Ok(p) if p.query.is_some() || p.operation_name.is_some() => Protocol::Graphql,
                _ if headers_say_graphql => Protocol::Graphql,
                _ => Protocol::Agui,
            }
        }
        _ if headers_say_graphql => Protocol::Graphql,
        _ => Protocol::Agui,
    }
}

impl Runtime {
    pub fn from_config_json(json: &str, host: Arc<dyn Host>) -> Result<Self, String> {
        let config: RuntimeConfig =
            serde_json::from_str(json).map_err(|e| format!("invalid copilot-runtime-rs configuration: {e}"))?;
        Ok(Self::new(config, host))
    }

    pub fn new(config: RuntimeConfig, host: Arc<dyn Host>) -> Self {
        let gemini = (config.adapter.kind != "empty").then(|| {
            let a = &config.adapter;
            let mut cfg = GeminiConfig::from_options(a.model.clone(), a.api_key.clone(), a.api_version.clone(), a.base_url.clone());
            if let Some(r) = a.max_retries {
                cfg.max_retries = r;
            }
            if let Some(ms) = a.first_byte_timeout_ms.filter(|ms| *ms > 0) {
                cfg.first_byte_timeout = Duration::from_millis(ms);
            }
            if let Some(ms) = a.idle_timeout_ms.filter(|ms| *ms > 0) {
                cfg.idle_timeout = Duration::from_millis(ms);
            }
            GeminiClient::new(cfg)
        });
        let base_path = config.base_path.clone().unwrap_or_else(|| "/".into());
        let shared = Arc::new(Shared { config: config.clone(), host: host.clone(), gemini });
        let provider: Arc<dyn AgentProvider> = Arc::new(BuiltInProvider { shared: shared.clone() });
        let mut agui = AguiContext::new(base_path, provider);
        agui.version = AGUI_VERSION.into();
        agui.store = shared_store(config.thread_store.unwrap_or_default()) as Arc<dyn ThreadStore>;
        agui.telemetry_disabled = telemetry_disabled();
        agui.max_messages = config.max_messages.unwrap_or(agui::DEFAULT_MAX_MESSAGES);
        if let Some(s) = config.keep_alive_seconds {
            agui.keepalive = Duration::from_secs(s);
        }
        if let Some(c) = &config.cors {
            agui.cors = cors_config(c);
        }
        let caps = config.capabilities;
        let hook_host = host.clone();
        agui.on_error = Some(Arc::new(move |ev: agui::ErrorEvent| {
            crate::hooks::report_error(&hook_host, caps, ev.to_json());
        }));
        let graphql = crate::graphql::HandlerConfig {
            endpoint: None,
            runtime_version: GRAPHQL_VERSION.into(),
            // CORS is answered by our own configuration (below), not yoga's reflect-everything default.
            cors: false,
            ..Default::default()
        };
        let resolvers = Arc::new(crate::gql_resolvers::GraphqlResolvers { shared: shared.clone() });
        Runtime { shared, agui, graphql, resolvers }
    }

    pub async fn handle(&self, req: HttpRequest, cancel: CancellationToken) -> HttpResponse {
        let method = req.method.clone();
        let url = req.url.clone();
        let resp = match detect_protocol(&req) {
            Protocol::Agui => agui::handle(req, &self.agui, cancel).await,
            Protocol::Graphql => self.handle_graphql(req, cancel).await,
        };
        // Rejected requests reach `onError` too (the JS runtime only reports upstream failures).
        // 404/405 are routing answers (the AG-UI client probes `GET {url}/info` on every page load).
        if resp.status >= 400 && !matches!(resp.status, 404 | 405) && method != "OPTIONS" {
            if let crate::http::Body::Full(b) = &resp.body {
                crate::hooks::report_error(&self.shared.host, self.shared.config.capabilities, crate::hooks::protocol_error_event(&method, &url, resp.status, b));
            }
        }
        resp
    }

    async fn handle_graphql(&self, req: HttpRequest, cancel: CancellationToken) -> HttpResponse {
        let path = req.path().to_string();
        let base = self.agui.base_path.as_str();
        let inside = base == "/" || path == base || path.starts_with(&format!("{base}/"));
        if !inside {
            // Outside the endpoint: the same 404 as the AG-UI side gives.
            return agui::handle(req, &self.agui, cancel).await;
        }
        let origin = req.header("origin").map(str::to_string);
        let query = req.query();
        let greq = crate::graphql::GraphqlHttpRequest {
            method: req.method.clone(),
            path,
            query_string: (!query.is_empty()).then(|| query.to_string()),
            headers: req.headers,
            body: req.body,
        };
        let resp = crate::graphql::handle_graphql_with_config(&self.graphql, greq, self.resolvers.clone(), cancel).await;
        let mut headers = agui::cors::HeaderBag::from_pairs(resp.headers);
        self.agui.cors.apply(&mut headers, origin.as_deref());
        HttpResponse {
            status: resp.status,
            headers: headers.into_vec(),
            body: match resp.body {
                crate::graphql::ResponseBody::Full(b) => crate::http::Body::Full(b),
                crate::graphql::ResponseBody::Stream(s) => crate::http::Body::Stream(s),
            },
        }
    }
}

fn telemetry_disabled() -> bool {
    ["COPILOTKIT_TELEMETRY_DISABLED", "DO_NOT_TRACK"]
        .iter()
        .any(|k| std::env::var(k).map(|v| v == "true" || v == "1").unwrap_or(false))
}

fn cors_config(c: &CorsOptions) -> CorsConfig {
    let origin = match &c.origin {
        Some(Value::String(s)) if s != "*" => CorsOrigin::Exact(s.clone()),
        Some(Value::Array(list)) => CorsOrigin::AllowList(list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()),
        _ => CorsOrigin::Any,
    };
    CorsConfig { enabled: c.enabled, origin, credentials: c.credentials, ..CorsConfig::default() }
}

/// The response for an unexpected internal failure: no detail leaves the process.
pub fn internal_error_response() -> HttpResponse {
    HttpResponse::json(500, &json!({"error": "internal_error"}))
}

/// Merge the endpoint's server-side `properties` under the client's.
pub fn merge_properties(server: Option<&Value>, client: Option<&Value>) -> Value {
    let mut out = serde_json::Map::new();
    for v in [server, client].into_iter().flatten() {
        if let Value::Object(m) = v {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

impl Shared {
    /// The user's agents, described by the shim (`None` when `agents` is not configured).
    pub async fn user_agents(&self, headers: &[(String, String)]) -> Result<Option<Vec<crate::agents::AgentDescriptor>>, String> {
        if !self.config.capabilities.agents {
            return Ok(None);
        }
        let url = request_url(headers, self.config.base_path.as_deref().unwrap_or("/"));
        let list = self
            .host
            .call("agents.list", json!({"url": url, "headers": crate::agents::forwardable_headers(headers)}))
            .await
            .map_err(|e| format!("agents could not be resolved: {e}"))?;
        let agents: Vec<crate::agents::AgentDescriptor> = serde_json::from_value(list).map_err(|e| format!("agents could not be resolved: {e}"))?;
        // An empty record means "no agents configured": the built-in agent serves `default`.
        Ok((!agents.is_empty()).then_some(agents))
    }
}

/// The built-in agent (`default`) of AG-UI clients.
struct BuiltInProvider {
    shared: Arc<Shared>,
}

impl AgentProvider for BuiltInProvider {
    fn agents(&self) -> BoxFuture<'_, Result<Vec<AgentInfo>, String>> {
        Box::pin(async move {
            let mut list = self.local_agents().await?;
            // The agents of CopilotKit remote endpoints, after the configured ones.
            for remote in crate::remote::agui_agent_infos(&self.shared).await {
                if !list.iter().any(|a| a.id == remote.id) {
                    list.push(remote);
                }
            }
            Ok(list)
        })
    }

    fn load_thread(&self, agent_id: String, thread_id: String, headers: Vec<(String, String)>) -> BoxFuture<'_, Result<Option<Vec<AguiEvent>>, String>> {
        Box::pin(async move { crate::remote::agui_connect(&self.shared, &agent_id, &thread_id, &headers).await })
    }

    fn loads_threads(&self) -> bool {
        self.shared.config.capabilities.remote_endpoints
    }

    fn run(&self, ctx: RunContext) -> BoxStream<'static, AguiEvent> {
        if !self.shared.config.capabilities.remote_endpoints {
            return self.run_local(ctx);
        }
        let provider = BuiltInProvider { shared: self.shared.clone() };
        async_stream::stream! {
            let remote = tokio::select! {
                r = crate::remote::agui_agent_for(&provider.shared, &ctx) => r,
                _ = ctx.cancel.cancelled() => return,
            };
            let mut inner = match remote {
                Some((session, agent)) => crate::remote::run_agui(session, agent, ctx),
                None => provider.run_local(ctx),
            };
            while let Some(ev) = inner.next().await {
                yield ev;
            }
        }
        .boxed()
    }
}

impl BuiltInProvider {
    async fn local_agents(&self) -> Result<Vec<AgentInfo>, String> {
        let has_default = self.shared.gemini.is_some();
        if let Some(agents) = self.shared.user_agents(&[]).await? {
            return Ok(agents.iter().map(|a| a.info()).collect());
        }
        Ok(if has_default {
            vec![AgentInfo {
                id: "default".into(),
                name: "default".into(),
                description: String::new(),
                class_name: "BuiltInAgent".into(),
                capabilities: Some(json!({"tools": {"supported": true, "clientProvided": true}, "transport": {"streaming": true}, "humanInTheLoop": {"interrupts": true}})),
            }]
        } else {
            vec![]
        })
    }

    fn run_local(&self, ctx: RunContext) -> BoxStream<'static, AguiEvent> {
        if self.shared.config.capabilities.agents {
            let provider = BuiltInProvider { shared: self.shared.clone() };
            return async_stream::stream! {
                let agents = tokio::select! {
                    a = provider.shared.user_agents(&ctx.headers) => a,
                    _ = ctx.cancel.cancelled() => return,
                };
                let agent = match agents {
                    Ok(Some(list)) => list.into_iter().find(|a| a.id == ctx.agent_id),
                    Ok(None) => None,
                    Err(e) => {
                        yield AguiEvent::Fault(e);
                        return;
                    }
                };
                let mut inner = match agent {
                    Some(crate::agents::AgentDescriptor { http: Some(spec), .. }) => crate::agents::run_http_agent(spec, ctx),
                    Some(_) => crate::agents::run_js_agent(provider.shared.host.clone(), ctx, Value::Null),
                    None => provider.run_builtin(ctx),
                };
                while let Some(ev) = inner.next().await {
                    yield ev;
                }
            }
            .boxed();
        }
        self.run_builtin(ctx)
    }
}

impl BuiltInProvider {
    fn run_builtin(&self, ctx: RunContext) -> BoxStream<'static, AguiEvent> {
        let shared = self.shared.clone();
        let Some(client) = shared.gemini.clone() else {
            return futures_util::stream::iter([AguiEvent::Fault("No service adapter configured for the default agent".into())]).boxed();
        };
        async_stream::stream! {
            let input = ctx.input;
            let url = request_url(&ctx.headers, shared.config.base_path.as_deref().unwrap_or("/"));
            let properties = merge_properties(shared.config.properties.as_ref(), input.forwarded_props.as_ref());
            let mut hooks = RequestHooks::new(shared.host.clone(), shared.config.capabilities, properties, url).with_ids(&input.thread_id, Some(&input.run_id));
            if shared.config.capabilities.remote_endpoints {
                hooks = hooks.with_remote(Arc::new(crate::remote::agui_session(&shared, &ctx.headers, input.forwarded_props.as_ref())));
            }
            // From here on, however the run ends (even cancelled while a callback is pending),
            // the guard reports a stop and releases the shim's per-request state.
            let mut guard = hooks.guard(json!({"threadId": input.thread_id, "runId": input.run_id, "url": hooks.url, "agentName": ctx.agent_id}));
            let tools = tokio::select! {
                t = hooks.server_tools() => t,
                _ = ctx.cancel.cancelled() => return,
            };
            let server_tools = match tools {
                Ok(t) => t,
                Err(e) => {
                    guard.finished = true;
                    yield AguiEvent::run_error(format!("Server actions could not be resolved: {e}"), Some("ACTIONS_FAILED"));
                    return;
                }
            };
            let before = tokio::select! {
                r = hooks.before_request(&input.thread_id, Some(&input.run_id), &input.messages) => r,
                _ = ctx.cancel.cancelled() => return,
            };
            if let Err(e) = before {
                guard.finished = true;
                yield AguiEvent::run_error(format!("Request rejected by onBeforeRequest: {e}"), Some("MIDDLEWARE_REJECTED"));
                return;
            }
            let state = input.state.clone().filter(engine::prompt_has_state);
            let run = EngineRun {
                thread_id: input.thread_id.clone(),
                run_id: input.run_id.clone(),
                system: engine::system_prompt(None, &input.context, state.as_ref()),
                messages: input.messages.clone(),
                frontend_tools: input.tools.clone(),
                server_tools: ServerTools { tools: server_tools, executor: Some(Arc::new(hooks.clone())) },
                state_tools: state.is_some(),
                params: Default::default(),
                max_steps: shared.config.max_steps.unwrap_or(engine::DEFAULT_MAX_STEPS),
            };
            let mut transcript = Transcript::default();
            // Only onAfterRequest reads the transcript: without one, skip the per-event work.
            let observe = shared.config.capabilities.after_request;
            let mut events = engine::run(client, run, ctx.cancel.clone());
            while let Some(ev) = events.next().await {
                if observe {
                    transcript.observe(&ev);
                }
                guard.finished |= ev.is_terminal();
                yield ev;
            }
            if guard.finished && !transcript.failed() {
                hooks.after_request(&input.thread_id, Some(&input.run_id), &input.messages, transcript.into_messages());
            }
        }
        .boxed()
    }
}

/// The absolute URL of the endpoint as the client reached it (for `actions({url})` and middleware).
pub fn request_url(headers: &[(String, String)], path: &str) -> String {
    let get = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    let proto = get("x-forwarded-proto").and_then(|p| p.split(',').next()).unwrap_or("http").trim().to_string();
    match get("x-forwarded-host").or_else(|| get("host")) {
        Some(host) => format!("{proto}://{}{path}", host.split(',').next().unwrap_or(host).trim()),
        None => path.to_string(),
    }
}
