//! The GraphQL protocol's resolvers (react-core ≤ 1.10): `generateCopilotResponse` over the same
//! built-in agent the AG-UI side uses, with the engine's events written into the incremental
//! response as they arrive; `availableAgents` and `loadAgentState`.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use serde_json::{json, Map, Value};

use crate::agui::{AguiEvent, ThreadStore};
use crate::engine::{self, EngineRun, ServerTools};
use crate::graphql::{
    copilot_response, AgentInfo, CopilotErrorCode, CopilotResponseHead, GenerateCopilotResponseInput, LoadAgentStateInput,
    LoadAgentStateOutput, MessageStatus, MessageWriter, OutputMessage, RequestContext, ResolverError, Resolved,
    ResponseStatus, RootResolvers,
};
use crate::hooks::{RequestHooks, Transcript};
use crate::runtime::{merge_properties, Shared};
use crate::time::now_ms;
use futures_util::stream::BoxStream;

pub struct GraphqlResolvers {
    pub shared: Arc<Shared>,
}

const PUBLIC_API_KEY_HEADER: &str = "x-copilotcloud-public-api-key";

/// The `onError` event of 1.10.6 (`CopilotErrorEvent`).
fn error_event(ctx: &RequestContext, thread_id: Option<&str>, run_id: Option<&str>, url: &str, started: u64, code: &str, message: &str, source: &str) -> Value {
    json!({
        "type": "error",
        "timestamp": now_ms(),
        "context": {
            "threadId": thread_id,
            "runId": run_id,
            "source": source,
            "request": {"operation": "generateCopilotResponse", "method": ctx.method, "url": url, "startTime": started},
            "response": {"endTime": now_ms(), "latency": now_ms().saturating_sub(started)},
            "technical": {"environment": std::env::var("NODE_ENV").unwrap_or_else(|_| "development".into())}
        },
        "error": {"name": "CopilotKitError", "message": message, "code": code}
    })
}

/// The `originalError` object react-core reads to decide how to show a failure: the CopilotKit
/// code the 1.10.6 adapters derive from the upstream HTTP status (401 → AUTHENTICATION_ERROR,
/// other 4xx → CONFIGURATION_ERROR, 5xx/network → NETWORK_ERROR) and that status.
fn original_error(code: &str, status: Option<u16>, message: &str) -> Value {
    let (copilot_code, http) = match code {
        "AUTH_FAILED" => ("AUTHENTICATION_ERROR", status.unwrap_or(401)),
        "RATE_LIMITED" => ("CONFIGURATION_ERROR", status.unwrap_or(429)),
        "MODEL_NOT_FOUND" => ("CONFIGURATION_ERROR", status.unwrap_or(404)),
        "BAD_REQUEST" | "MISSING_API_KEY" | "INVALID_REQUEST" => ("CONFIGURATION_ERROR", status.unwrap_or(400)),
        "SERVER_ERROR" => ("NETWORK_ERROR", status.unwrap_or(500)),
        // A blocked prompt or an unreadable answer is not a connectivity problem.
        "BLOCKED" | "INVALID_RESPONSE" | "MIDDLEWARE_REJECTED" | "ACTIONS_FAILED" => ("UNKNOWN", status.unwrap_or(500)),
        // Remote endpoints and agents already speak CopilotKit codes.
        "UNKNOWN" => ("UNKNOWN", status.unwrap_or(500)),
        "API_NOT_FOUND" | "REMOTE_ENDPOINT_NOT_FOUND" => (if code == "API_NOT_FOUND" { "API_NOT_FOUND" } else { "REMOTE_ENDPOINT_NOT_FOUND" }, status.unwrap_or(404)),
        "AGENT_NOT_FOUND" => ("AGENT_NOT_FOUND", status.unwrap_or(500)),
        "CONFIGURATION_ERROR" => ("CONFIGURATION_ERROR", status.unwrap_or(400)),
        "AUTHENTICATION_ERROR" => ("AUTHENTICATION_ERROR", status.unwrap_or(401)),
        _ => ("NETWORK_ERROR", status.unwrap_or(503)),
    };
    json!({"code": copilot_code, "statusCode": http, "severity": "critical", "visibility": "banner", "originalErrorType": code, "message": message})
}

impl RootResolvers for GraphqlResolvers {
    fn generate_copilot_response(&self, data: GenerateCopilotResponseInput, properties: Option<Map<String, Value>>, ctx: RequestContext) -> BoxFuture<'static, Result<Resolved, ResolverError>> {
        let shared = self.shared.clone();
        async move {
            let started = now_ms();
            let url = data.frontend.url.clone().unwrap_or_default();
            let mut props = merge_properties(shared.config.properties.as_ref(), properties.map(Value::Object).as_ref());
            let public_key = ctx.header(PUBLIC_API_KEY_HEADER).map(str::to_string);
            if let (Some(k), Value::Object(m)) = (&public_key, &mut props) {
                m.insert("copilotCloudPublicApiKey".into(), Value::String(k.clone()));
            }
            let thread_id = data.thread_id.clone().or_else(|| data.agent_session.as_ref().and_then(|s| s.thread_id.clone())).unwrap_or_else(|| format!("ck-{}", uuid::Uuid::new_v4()));
            let run_id = data.run_id.clone();
            let mut hooks = RequestHooks::new(shared.host.clone(), shared.config.capabilities, props, url.clone()).with_ids(&thread_id, run_id.as_deref());
            hooks.created_at = Arc::new(data.messages.iter().map(|m| (m.id.clone(), m.created_at.clone())).collect());
            // Listens for the client going away from the start (1.10.6 §5.2.1): if this future is
            // dropped before the response streams, the guard reports the stop and cleans up.
            let mut guard = hooks.guard(json!({"threadId": thread_id, "runId": run_id, "url": url, "agentName": data.agent_session.as_ref().map(|s| s.agent_name.clone()), "lastMessage": null}));

            let max_messages = shared.config.max_messages.unwrap_or(crate::agui::DEFAULT_MAX_MESSAGES);
            if data.messages.len() > max_messages {
                guard.finished = true;
                let msg = format!("Too many messages: {} in one request, the limit is {max_messages} (maxMessages option)", data.messages.len());
                return Err(ResolverError::copilot(CopilotErrorCode::Misuse, msg));
            }
            if data.cloud.is_some() && public_key.is_none() {
                guard.finished = true;
                let msg = "X-CopilotCloud-Public-API-Key header is required";
                hooks.on_error(error_event(&ctx, Some(&thread_id), run_id.as_deref(), &url, started, "MISSING_PUBLIC_API_KEY_ERROR", msg, "runtime"));
                return Err(ResolverError::plain(msg));
            }
            if let Some(session) = data.agent_session.clone() {
                return agent_session(shared, data, session, hooks, guard, ctx, thread_id, url, started).await;
            }
            let Some(client) = shared.gemini.clone() else {
                guard.finished = true;
                let msg = "EmptyAdapter cannot answer chat requests: configure a service adapter such as GoogleGenerativeAIAdapter, or agents";
                return Err(ResolverError::copilot(CopilotErrorCode::Misuse, msg));
            };
            // Remote endpoints: their actions are server tools and their agents "remote agent
            // actions" (§5.3). Discovery failures fail the request with the endpoint's code.
            let remote = shared.config.capabilities.remote_endpoints.then(|| {
                Arc::new(graphql_session(&shared, &ctx, hooks.properties.clone(), data.frontend.url.clone()).with_agents_as_tools())
            });
            if let Some(r) = &remote {
                if let Err(e) = r.discover().await {
                    guard.finished = true;
                    hooks.on_error(error_event(&ctx, Some(&thread_id), run_id.as_deref(), &url, started, e.code.as_str(), &e.message, "runtime"));
                    return Err(remote_error(e));
                }
                hooks = hooks.with_remote(r.clone());
                guard.hooks = hooks.clone();
            }
            let frontend_tools = data.tools().map_err(|e| {
                guard.finished = true;
                ResolverError::copilot(CopilotErrorCode::Misuse, e.to_string())
            })?;
            let server_tools = hooks.server_tools().await.map_err(|e| {
                guard.finished = true;
                let msg = format!("Server actions could not be resolved: {e}");
                hooks.on_error(error_event(&ctx, Some(&thread_id), run_id.as_deref(), &url, started, "ACTIONS_FAILED", &msg, "runtime"));
                ResolverError::copilot(CopilotErrorCode::Unknown, msg)
            })?;
            // A server action shadows a frontend action of the same name (first wins, server first).
            let server_names: HashSet<&str> = server_tools.iter().map(|t| t.name.as_str()).collect();
            let frontend_tools: Vec<_> = frontend_tools.into_iter().filter(|t| !server_names.contains(t.name.as_str())).collect();
            let messages = data.model_messages();
            if let Err(e) = hooks.before_request(&thread_id, run_id.as_deref(), &messages).await {
                guard.finished = true;
                let msg = format!("Request rejected by onBeforeRequest: {e}");
                hooks.on_error(error_event(&ctx, Some(&thread_id), run_id.as_deref(), &url, started, "MIDDLEWARE_REJECTED", &msg, "runtime"));
                return Err(ResolverError::copilot(CopilotErrorCode::Unknown, msg));
            }
            let context = data.context_items();
            let run = EngineRun {
                thread_id: thread_id.clone(),
                run_id: run_id.clone().unwrap_or_default(),
                system: engine::system_prompt(None, &context, None),
                messages: messages.clone(),
                frontend_tools,
                server_tools: ServerTools { tools: server_tools, executor: Some(Arc::new(hooks.clone())) },
                state_tools: false,
                params: data.generation_params(),
                // The 1.10.6 contract: one model call per request; the client sends the follow-up.
                max_steps: 1,
            };
            let cancel = ctx.cancel.child_token();
            let (writer, value) = copilot_response(CopilotResponseHead { thread_id: thread_id.clone(), run_id: run_id.clone(), extensions: None });
            let splice = remote.map(|r| {
                // Tools a spliced remote agent gets: every non-agent tool of the request.
                let actions: Vec<Value> = run
                    .server_tools
                    .tools
                    .iter()
                    .filter(|t| r.agent_tool(&t.name).is_none())
                    .chain(run.frontend_tools.iter())
                    .map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters}))
                    .collect();
                let base = RemoteRunBase {
                    thread_id: thread_id.clone(),
                    messages: crate::hooks::legacy_messages(&messages, &hooks.created_at),
                    agent_states: data.agent_states.clone().unwrap_or_default(),
                    actions,
                };
                (r, base)
            });
            let mut events = engine::run(client, run, cancel.clone());
            if let Some((r, base)) = splice {
                events = splice_remote_agents(events, r, base, cancel.clone());
            }
            tokio::spawn(drive(events, writer, hooks, guard, cancel, ctx, thread_id, run_id, url, started, messages, None));
            Ok(value)
        }
        .boxed()
    }

    fn available_agents(&self, ctx: RequestContext) -> BoxFuture<'static, Result<Vec<AgentInfo>, ResolverError>> {
        let shared = self.shared.clone();
        Box::pin(async move {
            // Only the agents of CopilotKit remote endpoints are listed (§5.11).
            if !shared.config.capabilities.remote_endpoints {
                return Ok(vec![]);
            }
            let props = merge_properties(shared.config.properties.as_ref(), None);
            let discovery = graphql_session(&shared, &ctx, props, None).discover().await.map_err(remote_error)?;
            Ok(discovery
                .agents
                .iter()
                .map(|a| AgentInfo { id: format!("ck-{}", uuid::Uuid::new_v4()), name: a.name.clone(), description: a.description.clone() })
                .collect())
        })
    }

    fn load_agent_state(&self, data: LoadAgentStateInput, ctx: RequestContext) -> BoxFuture<'static, Result<LoadAgentStateOutput, ResolverError>> {
        let shared = self.shared.clone();
        Box::pin(async move { load_agent_state(shared, data, ctx).await })
    }
}

/// A remote-endpoint session for a GraphQL request (`onBeforeRequest` sees its headers).
fn graphql_session(shared: &Shared, ctx: &RequestContext, properties: Value, frontend_url: Option<String>) -> crate::remote::RemoteSession {
    let url = crate::runtime::request_url(&ctx.headers, shared.config.base_path.as_deref().unwrap_or("/"));
    crate::remote::RemoteSession::new(shared.host.clone(), properties, frontend_url, url, ctx.headers.clone())
}

/// A remote endpoint failure as the GraphQL error 1.10.6 raises for it.
fn remote_error(e: crate::remote::RemoteError) -> ResolverError {
    use crate::remote::RemoteErrorCode as R;
    let code = match e.code {
        R::NetworkError => CopilotErrorCode::NetworkError,
        R::ApiNotFound => CopilotErrorCode::ApiNotFound,
        R::RemoteEndpointNotFound => CopilotErrorCode::RemoteEndpointNotFound,
        R::AgentNotFound => CopilotErrorCode::AgentNotFound,
        R::ConfigurationError => CopilotErrorCode::ConfigurationError,
        R::Unknown => CopilotErrorCode::Unknown,
    };
    ResolverError::copilot(code, e.message)
}

const AGENT_NOT_FOUND_URL: &str = "https://docs.copilotkit.ai/coagents/troubleshooting/common-issues#i-am-getting-agent-not-found-error";

/// The message of 1.10.6's `CopilotKitAgentDiscoveryError`.
fn agent_not_found_message(name: &str, available: &[String]) -> String {
    let see_more = format!("See more: [{AGENT_NOT_FOUND_URL}]({AGENT_NOT_FOUND_URL})");
    if available.is_empty() {
        format!("Agent '{name}' was not found. Please set up at least one agent before proceeding. {see_more}")
    } else {
        format!(
            "Agent '{name}' was not found. Available agents are: {}. Please verify the agent name in your configuration and ensure it matches one of the available agents.\n\n{see_more}",
            available.join(", ")
        )
    }
}

/// `loadAgentState` (§5.12): the agent must exist (remote endpoint agents, then the configured
/// agents); a thread this runtime's store knows is answered from the store; otherwise a remote
/// agent's endpoint is asked (`POST {url}/agents/state`), and any other agent has no thread.
async fn load_agent_state(shared: Arc<Shared>, data: LoadAgentStateInput, ctx: RequestContext) -> Result<LoadAgentStateOutput, ResolverError> {
    let props = merge_properties(shared.config.properties.as_ref(), None);
    let session = graphql_session(&shared, &ctx, props, None);
    let remote = if shared.config.capabilities.remote_endpoints { Some(session.discover().await.map_err(remote_error)?) } else { None };
    let user = shared.user_agents(&ctx.headers).await.map_err(|e| ResolverError::copilot(CopilotErrorCode::ConfigurationError, e))?.unwrap_or_default();
    let mut names: Vec<String> = remote.iter().flat_map(|d| d.agents.iter().map(|a| a.name.clone())).collect();
    names.extend(user.iter().map(|a| a.name.clone().unwrap_or_else(|| a.id.clone())));
    if !names.contains(&data.agent_name) {
        return Err(ResolverError::copilot(CopilotErrorCode::AgentNotFound, agent_not_found_message(&data.agent_name, &names)));
    }

    let store = crate::runtime::shared_store(shared.config.thread_store.unwrap_or_default());
    let known = store.thread_events(data.thread_id.clone()).await.map(|e| !e.is_empty()).unwrap_or(false);
    if known {
        let messages = store.thread_messages(data.thread_id.clone()).await.unwrap_or_default();
        let state = store.thread_state(data.thread_id.clone()).await.ok().flatten().unwrap_or_else(|| json!({}));
        return Ok(LoadAgentStateOutput {
            thread_id: data.thread_id.clone(),
            thread_exists: true,
            state: state.to_string(),
            messages: Value::Array(crate::remote::agui_messages_to_copilotkit(&messages)).to_string(),
        });
    }
    if let Some(agent) = remote.as_ref().and_then(|d| d.agent(&data.agent_name)) {
        let answer = session.agent_state(agent, &data.thread_id).await.map_err(remote_error)?;
        return Ok(LoadAgentStateOutput {
            thread_id: answer.thread_id,
            thread_exists: answer.thread_exists,
            state: answer.state.to_string(),
            messages: answer.messages.to_string(),
        });
    }
    Ok(LoadAgentStateOutput { thread_id: data.thread_id, thread_exists: false, state: "{}".into(), messages: "[]".into() })
}

/// What every remote agent run of a GraphQL chat shares (§5.5.3).
struct RemoteRunBase {
    thread_id: String,
    /// The request's messages, CopilotKit message JSON.
    messages: Vec<Value>,
    agent_states: Vec<crate::graphql::AgentStateInput>,
    actions: Vec<Value>,
}

/// `state` and `config` of the client's `agentStates[]` entry for this agent.
fn agent_state_of(states: &[crate::graphql::AgentStateInput], name: &str) -> (Value, Value) {
    let found = states.iter().find(|s| s.agent_name == name);
    let parse = |t: Option<&str>| t.and_then(|t| serde_json::from_str::<Value>(t).ok()).unwrap_or_else(|| json!({}));
    (parse(found.map(|s| s.state.as_str())), parse(found.and_then(|s| s.config.as_deref())))
}

/// Remote agent actions in a chat: when the model called a remote agent, its result ("<name>
/// agent started") is followed by the agent's own events, run with the conversation plus that
/// call and result. A failing agent adds an error result for the call.
fn splice_remote_agents(
    mut events: futures_util::stream::BoxStream<'static, AguiEvent>,
    remote: Arc<crate::remote::RemoteSession>,
    base: RemoteRunBase,
    cancel: tokio_util::sync::CancellationToken,
) -> futures_util::stream::BoxStream<'static, AguiEvent> {
    async_stream::stream! {
        // toolCallId → (name, parentMessageId, arguments so far)
        let mut calls: std::collections::HashMap<String, (String, Option<String>, String)> = Default::default();
        while let Some(ev) = events.next().await {
            match &ev {
                AguiEvent::ToolCallStart(s) => {
                    calls.insert(s.tool_call_id.clone(), (s.tool_call_name.clone(), s.parent_message_id.clone(), String::new()));
                }
                AguiEvent::ToolCallArgs(a) => {
                    if let Some(c) = calls.get_mut(&a.tool_call_id) {
                        c.2.push_str(&a.delta);
                    }
                }
                _ => {}
            }
            let agent_call = match &ev {
                AguiEvent::ToolCallResult(r) => calls.get(&r.tool_call_id).and_then(|(name, parent, args)| {
                    remote.agent_tool(name).map(|agent| (agent, r.tool_call_id.clone(), parent.clone(), args.clone(), r.content.clone()))
                }),
                _ => None,
            };
            yield ev;
            let Some((agent, call_id, parent, args, result)) = agent_call else { continue };
            let now = crate::time::now_iso();
            let arguments: Value = serde_json::from_str(&args).unwrap_or_else(|_| json!({}));
            let mut messages = base.messages.clone();
            messages.push(json!({"type": "ActionExecutionMessage", "id": call_id, "createdAt": now, "name": agent.name, "arguments": arguments, "parentMessageId": parent.unwrap_or_else(|| call_id.clone())}));
            messages.push(json!({"type": "ResultMessage", "id": format!("result-{call_id}"), "createdAt": now, "actionExecutionId": call_id, "actionName": agent.name, "result": result}));
            let (state, config) = agent_state_of(&base.agent_states, &agent.name);
            let req = crate::remote::AgentRunRequest {
                thread_id: base.thread_id.clone(),
                run_id: uuid::Uuid::new_v4().to_string(),
                node_name: None,
                messages,
                state,
                config,
                actions: base.actions.clone(),
                meta_events: None,
            };
            let mut inner = remote.run_agent(agent, req, cancel.clone());
            while let Some(ev) = inner.next().await {
                let failure = match ev {
                    AguiEvent::RunStarted(_) | AguiEvent::RunFinished(_) => continue,
                    AguiEvent::RunError(e) => (e.code.unwrap_or_else(|| "UNKNOWN".into()), e.message),
                    AguiEvent::Fault(m) => ("UNKNOWN".to_string(), m),
                    other => {
                        yield other;
                        continue;
                    }
                };
                yield AguiEvent::tool_result(format!("result-{call_id}"), call_id.clone(), crate::actions::error_result(&failure.0, &failure.1));
                break;
            }
        }
    }
    .boxed()
}

/// The agent behind an `agentSession`: how its state is reported as `AgentStateMessageOutput`s.
struct SessionState {
    agent_name: String,
    thread_id: String,
    run_id: String,
    node_name: String,
    state: Value,
}

impl SessionState {
    fn message(&self, active: bool) -> OutputMessage {
        OutputMessage::AgentState {
            id: format!("ck-{}", uuid::Uuid::new_v4()),
            created_at: None,
            thread_id: self.thread_id.clone(),
            agent_name: self.agent_name.clone(),
            node_name: self.node_name.clone(),
            run_id: self.run_id.clone(),
            active,
            running: true,
            state: self.state.to_string(),
            status: MessageStatus::Success,
        }
    }
}

/// Which agent an `agentSession` names.
enum SessionAgent {
    /// Configured in `agents` (a JS agent object or an `HttpAgent`).
    User(crate::agents::AgentDescriptor),
    /// Served by a CopilotKit remote endpoint.
    Remote(Arc<crate::remote::RemoteSession>, crate::remote::RemoteAgent),
}

/// `generateCopilotResponse` with `agentSession`: run the named agent (a JS agent object, an
/// `HttpAgent`, or an agent of a CopilotKit remote endpoint) and stream its events as GraphQL
/// messages (§5.7). The run is kept in the thread store, so `loadAgentState` and AG-UI
/// `agent/connect` find the thread afterwards.
#[allow(clippy::too_many_arguments)]
async fn agent_session(
    shared: Arc<crate::runtime::Shared>,
    data: GenerateCopilotResponseInput,
    session: crate::graphql::AgentSessionInput,
    hooks: RequestHooks,
    mut guard: crate::hooks::RunGuard,
    ctx: RequestContext,
    thread_id: String,
    url: String,
    started: u64,
) -> Result<Resolved, ResolverError> {
    let agents = shared
        .user_agents(&ctx.headers)
        .await
        .map_err(|e| {
            guard.finished = true;
            ResolverError::copilot(CopilotErrorCode::ConfigurationError, e)
        })?
        .unwrap_or_default();
    let agent = match agents.iter().find(|a| a.id == session.agent_name).cloned() {
        Some(a) => Some(SessionAgent::User(a)),
        None if shared.config.capabilities.remote_endpoints => {
            let remote = Arc::new(graphql_session(&shared, &ctx, hooks.properties.clone(), data.frontend.url.clone()).with_agents_as_tools());
            let discovery = match remote.discover().await {
                Ok(d) => d,
                Err(e) => {
                    guard.finished = true;
                    hooks.on_error(error_event(&ctx, Some(&thread_id), None, &url, started, e.code.as_str(), &e.message, "agent"));
                    return Err(remote_error(e));
                }
            };
            match discovery.agent(&session.agent_name).cloned() {
                Some(a) => Some(SessionAgent::Remote(remote, a)),
                None => {
                    // Unknown name: the list of what exists (no state is changed by the lookup).
                    let mut names: Vec<String> = discovery.agents.iter().map(|a| a.name.clone()).collect();
                    names.extend(agents.iter().map(|a| a.id.clone()));
                    return Err(agent_not_found(&hooks, &mut guard, &ctx, &thread_id, &url, started, &session.agent_name, &names));
                }
            }
        }
        None => None,
    };
    let Some(agent) = agent else {
        let names: Vec<String> = agents.iter().map(|a| a.id.clone()).collect();
        return Err(agent_not_found(&hooks, &mut guard, &ctx, &thread_id, &url, started, &session.agent_name, &names));
    };
    let messages = data.model_messages();
    if let Err(e) = hooks.before_request(&thread_id, None, &messages).await {
        guard.finished = true;
        let msg = format!("Request rejected by onBeforeRequest: {e}");
        hooks.on_error(error_event(&ctx, Some(&thread_id), None, &url, started, "MIDDLEWARE_REJECTED", &msg, "agent"));
        return Err(ResolverError::copilot(CopilotErrorCode::Unknown, msg));
    }
    let tools = data.tools().map_err(|e| {
        guard.finished = true;
        ResolverError::copilot(CopilotErrorCode::Misuse, e.to_string())
    })?;
    let agent_states = data.agent_states.clone().unwrap_or_default();
    let (state, config) = agent_state_of(&agent_states, &session.agent_name);
    let run_id = uuid::Uuid::new_v4().to_string();
    let cancel = ctx.cancel.child_token();

    let (raw_events, agent_id, session_state) = match agent {
        SessionAgent::Remote(remote, agent) => {
            // Tools: the request's server actions, the endpoints' other agents, then the
            // frontend actions (first of each name wins).
            let mut seen = HashSet::new();
            let mut actions = Vec::new();
            // (A failure to list the user's own actions only costs the agent those tools.)
            let server = hooks.clone().with_remote(remote.clone()).server_tools().await.unwrap_or_default();
            for t in server.iter().filter(|t| t.name != agent.name).chain(tools.iter()) {
                if seen.insert(t.name.clone()) {
                    actions.push(json!({"name": t.name, "description": t.description, "parameters": t.parameters}));
                }
            }
            let req = crate::remote::AgentRunRequest {
                thread_id: thread_id.clone(),
                run_id: run_id.clone(),
                node_name: session.node_name.clone(),
                messages: crate::hooks::legacy_messages(&messages, &hooks.created_at),
                state: state.clone(),
                config,
                actions,
                meta_events: data.meta_events.as_ref().and_then(|m| serde_json::to_value(m).ok()),
            };
            let name = agent.name.clone();
            // A remote agent reports its state itself (`AgentStateMessage`s).
            (remote.run_agent(agent, req, cancel.clone()), name, None)
        }
        SessionAgent::User(agent) => {
            let mut forwarded = Map::new();
            if let Value::Object(mut cfg) = config {
                cfg.remove("streamSubgraphs");
                if !cfg.is_empty() || agent_states.iter().any(|s| s.agent_name == session.agent_name && s.config.is_some()) {
                    forwarded.insert("config".into(), Value::Object(cfg));
                }
            }
            if let Some(resume) = data.meta_events.as_ref().and_then(|m| m.first()).and_then(|m| m.response.clone()) {
                forwarded.insert("command".into(), json!({"resume": resume}));
            }
            if let Some(node) = &session.node_name {
                forwarded.insert("nodeName".into(), Value::String(node.clone()));
            }
            if let Value::Object(p) = &hooks.properties {
                for (k, v) in p {
                    forwarded.insert(k.clone(), v.clone());
                }
            }
            let raw = json!({
                "threadId": thread_id,
                "runId": run_id,
                "state": state,
                "messages": messages.iter().filter_map(crate::agents::agui_message_json).collect::<Vec<_>>(),
                "tools": tools.iter().map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters})).collect::<Vec<_>>(),
                "context": data.context_items().iter().map(|c| json!({"description": c.description, "value": c.value})).collect::<Vec<_>>(),
                "forwardedProps": Value::Object(forwarded),
            });
            let input = crate::agui::RunAgentInput::from_json(&raw).map_err(|e| {
                guard.finished = true;
                ResolverError::copilot(CopilotErrorCode::Unknown, format!("Could not build the agent's input: {e}"))
            })?;
            let run_ctx = crate::agui::RunContext { agent_id: agent.id.clone(), input, headers: ctx.headers.clone(), cancel: cancel.clone() };
            let events = match agent.http.clone() {
                Some(spec) => crate::agents::run_http_agent(spec, run_ctx),
                None => crate::agents::run_js_agent(shared.host.clone(), run_ctx, Value::Null),
            };
            let session_state = SessionState { agent_name: session.agent_name.clone(), thread_id: thread_id.clone(), run_id: run_id.clone(), node_name: session.node_name.clone().unwrap_or_default(), state };
            (events, agent.id.clone(), Some(session_state))
        }
    };
    let events = crate::agents::normalized(thread_id.clone(), run_id.clone(), raw_events);
    let store = crate::runtime::shared_store(shared.config.thread_store.unwrap_or_default());
    let input_messages: Vec<Value> = messages.iter().filter_map(crate::agents::agui_message_json).collect();
    let events = recorded(store, agent_id, thread_id.clone(), run_id, input_messages, cancel.clone(), events);
    // The response's top-level runId is null for agent sessions.
    let (writer, value) = copilot_response(CopilotResponseHead { thread_id: thread_id.clone(), run_id: None, extensions: None });
    tokio::spawn(drive(events, writer, hooks, guard, cancel, ctx, thread_id, None, url, started, messages, session_state));
    Ok(value)
}

/// AGENT_NOT_FOUND for an agent session (reported to `onError` too).
#[allow(clippy::too_many_arguments)]
fn agent_not_found(hooks: &RequestHooks, guard: &mut crate::hooks::RunGuard, ctx: &RequestContext, thread_id: &str, url: &str, started: u64, name: &str, available: &[String]) -> ResolverError {
    let msg = agent_not_found_message(name, available);
    guard.finished = true;
    hooks.on_error(error_event(ctx, Some(thread_id), None, url, started, "AGENT_NOT_FOUND", &msg, "agent"));
    ResolverError::copilot(CopilotErrorCode::AgentNotFound, msg)
}

/// Keep an agent session's run in the thread store while passing its events on. A thread that
/// already has a run in progress is not recorded (the session still runs); `agent/stop` on the
/// thread cancels the session through `cancel`.
fn recorded(
    store: Arc<crate::agui::InMemoryThreadStore>,
    agent_id: String,
    thread_id: String,
    run_id: String,
    input_messages: Vec<Value>,
    cancel: tokio_util::sync::CancellationToken,
    mut events: BoxStream<'static, AguiEvent>,
) -> BoxStream<'static, AguiEvent> {
    async_stream::stream! {
        let begin = crate::agui::store::BeginRun { thread_id, run_id, agent_id, input_messages, cancel };
        let mut recorder = match store.begin_run(begin).await {
            Ok(began) => Some(began.recorder),
            Err(e) => {
                tracing::debug!("agent session not recorded: {e:?}");
                None
            }
        };
        while let Some(ev) = events.next().await {
            if let Some(r) = recorder.as_mut() {
                r.record(std::slice::from_ref(&ev));
            }
            yield ev;
        }
        if let Some(r) = recorder {
            r.finish();
        }
    }
    .boxed()
}

/// The `AgentStateMessageOutput` of a remote agent's `AgentStateMessage` event.
fn remote_agent_state(raw: &Value) -> Option<OutputMessage> {
    let s = |k: &str| raw.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Some(OutputMessage::AgentState {
        id: format!("ck-{}", uuid::Uuid::new_v4()),
        created_at: None,
        thread_id: s("threadId"),
        agent_name: s("agentName"),
        node_name: s("nodeName"),
        run_id: s("runId"),
        active: raw.get("active").and_then(Value::as_bool).unwrap_or(true),
        running: raw.get("running").and_then(Value::as_bool).unwrap_or(true),
        state: match raw.get("state") {
            Some(Value::String(t)) => t.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => "{}".into(),
        },
        status: MessageStatus::Success,
    })
}

/// The messages of a `CopilotKitLangGraphInterruptEvent` (CopilotKit message JSON: text,
/// action executions and results) as output messages.
fn interrupt_messages(list: &Value) -> Vec<OutputMessage> {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => String::new(),
    };
    list.as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|m| {
            let id = m.get("id").and_then(Value::as_str).unwrap_or("").to_string();
            let parent = m.get("parentMessageId").and_then(Value::as_str).map(str::to_string);
            if m.get("arguments").is_some() {
                Some(OutputMessage::ActionExecution { id, created_at: None, name: text(m.get("name")), arguments: text(m.get("arguments")), parent_message_id: parent, status: MessageStatus::Success })
            } else if let Some(call) = m.get("actionExecutionId").and_then(Value::as_str) {
                Some(OutputMessage::Result { id, created_at: None, action_execution_id: call.to_string(), action_name: text(m.get("actionName")), result: text(m.get("result")), status: MessageStatus::Success })
            } else {
                m.get("content").map(|c| OutputMessage::Text { id, created_at: None, content: text(Some(c)), parent_message_id: parent, status: MessageStatus::Success })
            }
        })
        .collect()
}

/// Write one run's events into the GraphQL response as they come.
#[allow(clippy::too_many_arguments)]
/// Chunks of one streamed message that may wait for a slow client before the run pauses.
const MAX_PENDING_CHUNKS: usize = 256;

/// Backpressure: wait for the client to take chunks (or for the run to be cancelled).
async fn room(w: &MessageWriter, cancel: &tokio_util::sync::CancellationToken) {
    tokio::select! {
        biased;
        _ = w.room(MAX_PENDING_CHUNKS) => {}
        _ = cancel.cancelled() => {}
    }
}

async fn drive(
    mut events: futures_util::stream::BoxStream<'static, AguiEvent>,
    writer: crate::graphql::ResponseWriter,
    hooks: RequestHooks,
    mut guard: crate::hooks::RunGuard,
    cancel: tokio_util::sync::CancellationToken,
    ctx: RequestContext,
    thread_id: String,
    run_id: Option<String>,
    url: String,
    started: u64,
    input: Vec<crate::model::Message>,
    mut session: Option<SessionState>,
) {
    let mut text: Option<MessageWriter> = None;
    // A text message the engine just ended. Its status waits for the next event: the engine also
    // ends the open message when the model stream fails, and then the message failed too.
    let mut ended_text: Option<MessageWriter> = None;
    let mut action: Option<MessageWriter> = None;
    let mut names: std::collections::HashMap<String, String> = Default::default();
    let mut transcript = Transcript::default();
    let mut outcome: Option<Result<(), (String, Option<String>)>> = None;
    loop {
        let ev = tokio::select! {
            biased;
            _ = cancel.cancelled() => None,
            ev = events.next() => ev,
        };
        let Some(ev) = ev else { break };
        // Once the run is cancelled, what its agent stream still yields (the closers and the
        // error of a stream cut short by that cancellation) is not the run's outcome: it was
        // stopped.
        if writer.is_closed() || cancel.is_cancelled() {
            cancel.cancel();
            break;
        }
        transcript.observe(&ev);
        if !matches!(ev, AguiEvent::RunError(_)) {
            if let Some(t) = ended_text.take() {
                t.finish(MessageStatus::Success);
            }
        }
        match ev {
            AguiEvent::TextMessageStart(s) => text = Some(writer.start_text_message(s.message_id, None, None)),
            AguiEvent::TextMessageContent(d) => {
                if let Some(t) = &text {
                    t.push(d.delta);
                    room(t, &cancel).await;
                }
            }
            AguiEvent::TextMessageEnd(_) => ended_text = text.take(),
            AguiEvent::ToolCallStart(s) => {
                names.insert(s.tool_call_id.clone(), s.tool_call_name.clone());
                action = Some(writer.start_action_execution(s.tool_call_id, s.tool_call_name, s.parent_message_id, None));
            }
            AguiEvent::ToolCallArgs(a) => {
                if let Some(w) = &action {
                    w.push(a.delta);
                    room(w, &cancel).await;
                }
            }
            AguiEvent::ToolCallEnd(_) => {
                if let Some(w) = action.take() {
                    w.finish(MessageStatus::Success);
                }
            }
            AguiEvent::ToolCallResult(r) => {
                let name = names.get(&r.tool_call_id).cloned().unwrap_or_default();
                writer.push_message(OutputMessage::Result {
                    id: format!("result-{}", r.tool_call_id),
                    created_at: None,
                    action_execution_id: r.tool_call_id,
                    action_name: name,
                    result: r.content,
                    status: MessageStatus::Success,
                });
            }
            // A remote agent's `AgentStateMessage`, as it sent it (node, run, activity included).
            AguiEvent::StateSnapshot(st) if st.extra.get("rawEvent").is_some_and(|r| r["type"] == "AgentStateMessage") => {
                if let Some(m) = remote_agent_state(&st.extra["rawEvent"]) {
                    writer.push_message(m);
                }
            }
            AguiEvent::StateSnapshot(st) if session.is_some() => {
                if let Some(s) = session.as_mut() {
                    s.state = st.snapshot;
                    writer.push_message(s.message(true));
                }
            }
            AguiEvent::StateDelta(d) if session.is_some() => {
                if let Some(s) = session.as_mut() {
                    crate::agents::apply_patch(&mut s.state, &d.delta);
                    writer.push_message(s.message(true));
                }
            }
            AguiEvent::MessagesSnapshot(_) if session.is_some() => {
                if let Some(s) = &session {
                    writer.push_message(s.message(true));
                }
            }
            AguiEvent::StepStarted(st) if session.is_some() => {
                if let Some(s) = session.as_mut() {
                    s.node_name = st.step_name;
                    writer.push_message(s.message(true));
                }
            }
            AguiEvent::StepFinished(_) if session.is_some() => {
                if let Some(s) = &session {
                    writer.push_message(s.message(false));
                }
            }
            AguiEvent::Custom(c) => {
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                if c.name == "on_interrupt" || c.name == "LangGraphInterruptEvent" {
                    writer.meta_event(crate::graphql::MetaEvent::LangGraphInterrupt { value: text(&c.value), response: None });
                } else if c.name == "CopilotKitLangGraphInterruptEvent" {
                    let messages = c.value.get("messages").map(interrupt_messages).unwrap_or_default();
                    let value = c.value.get("value").map(text).unwrap_or_default();
                    writer.meta_event(crate::graphql::MetaEvent::CopilotKitLangGraphInterrupt { value, messages, response: None });
                }
            }
            AguiEvent::RunFinished(_) => {
                if let Some(s) = &session {
                    writer.push_message(s.message(false));
                }
                outcome = Some(Ok(()));
                break;
            }
            AguiEvent::RunError(e) => {
                outcome = Some(Err((e.message, e.code)));
                break;
            }
            _ => {}
        }
    }
    let fail_open = |w: Option<MessageWriter>| {
        if let Some(w) = w {
            w.finish(MessageStatus::Failed { reason: "Error streaming message content".into() });
        }
    };
    guard.finished = outcome.is_some();
    match outcome {
        Some(Ok(())) => {
            writer.finish(ResponseStatus::Success);
            hooks.after_request(&thread_id, run_id.as_deref(), &input, transcript.into_messages());
        }
        Some(Err((message, code))) => {
            fail_open(ended_text.take());
            fail_open(text.take());
            fail_open(action.take());
            let code = code.unwrap_or_else(|| "UNKNOWN".into());
            hooks.on_error(error_event(&ctx, Some(&thread_id), run_id.as_deref(), &url, started, &code, &message, "runtime"));
            writer.finish(ResponseStatus::unknown_error(message.clone(), Some(original_error(&code, None, &message))));
        }
        None => {
            // The client went away (or the run was cancelled): the upstream call is already dropped.
            fail_open(ended_text.take());
            // The guard reports the stop to onStopGeneration when it drops.
            fail_open(text.take());
            fail_open(action.take());
            writer.finish(ResponseStatus::unknown_error("The request was cancelled", None));
        }
    }
}
