//! The GraphQL protocol's resolvers (react-core ≤ 1.10): `generateCopilotResponse` over the same
//! built-in agent the AG-UI side uses, with the engine's events written into the incremental
//! response as they arrive; `availableAgents` and `loadAgentState`.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use serde_json::{json, Map, Value};

use crate::agui::AguiEvent;
use crate::engine::{self, EngineRun, ServerTools};
use crate::graphql::{
    copilot_response, AgentInfo, CopilotErrorCode, CopilotResponseHead, GenerateCopilotResponseInput, LoadAgentStateInput,
    LoadAgentStateOutput, MessageStatus, MessageWriter, OutputMessage, RequestContext, ResolverError, Resolved,
    ResponseStatus, RootResolvers,
};
use crate::hooks::{RequestHooks, Transcript};
use crate::runtime::{merge_properties, Shared};

pub struct GraphqlResolvers {
    pub shared: Arc<Shared>,
}

const PUBLIC_API_KEY_HEADER: &str = "x-copilotcloud-public-api-key";

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

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
            let events = engine::run(client, run, cancel.clone());
            tokio::spawn(drive(events, writer, hooks, guard, cancel, ctx, thread_id, run_id, url, started, messages, None));
            Ok(value)
        }
        .boxed()
    }

    fn available_agents(&self, _ctx: RequestContext) -> BoxFuture<'static, Result<Vec<AgentInfo>, ResolverError>> {
        Box::pin(async { Ok(vec![]) })
    }

    fn load_agent_state(&self, data: LoadAgentStateInput, _ctx: RequestContext) -> BoxFuture<'static, Result<LoadAgentStateOutput, ResolverError>> {
        Box::pin(async move {
            Err(ResolverError::copilot(
                CopilotErrorCode::AgentNotFound,
                format!("Agent '{}' was not found. Available agents are: none", data.agent_name),
            ))
        })
    }
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

/// `generateCopilotResponse` with `agentSession`: run the named agent (a JS agent object or an
/// `HttpAgent`) and stream its events as GraphQL messages (§5.7).
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
    let Some(agent) = agents.iter().find(|a| a.id == session.agent_name).cloned() else {
        let names: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
        let msg = format!(
            "Agent '{}' was not found. Available agents are: {}. Please verify the agent name in your configuration and ensure it matches one of the available agents.",
            session.agent_name,
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        );
        guard.finished = true;
        hooks.on_error(error_event(&ctx, Some(&thread_id), None, &url, started, "AGENT_NOT_FOUND", &msg, "agent"));
        return Err(ResolverError::copilot(CopilotErrorCode::AgentNotFound, msg));
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
    let agent_state = data
        .agent_states
        .as_ref()
        .and_then(|list| list.iter().find(|s| s.agent_name == session.agent_name))
        .cloned();
    let state: Value = agent_state.as_ref().and_then(|s| serde_json::from_str(&s.state).ok()).unwrap_or_else(|| json!({}));
    let mut forwarded = Map::new();
    if let Some(cfg) = agent_state.as_ref().and_then(|s| s.config.as_ref()).and_then(|c| serde_json::from_str::<Value>(c).ok()) {
        let mut cfg = cfg;
        if let Value::Object(m) = &mut cfg {
            m.remove("streamSubgraphs");
        }
        forwarded.insert("config".into(), cfg);
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
    let run_id = uuid::Uuid::new_v4().to_string();
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
    let cancel = ctx.cancel.child_token();
    let run_ctx = crate::agui::RunContext { agent_id: agent.id.clone(), input, headers: ctx.headers.clone(), cancel: cancel.clone() };
    let raw_events = match agent.http.clone() {
        Some(spec) => crate::agents::run_http_agent(spec, run_ctx),
        None => crate::agents::run_js_agent(shared.host.clone(), run_ctx, Value::Null),
    };
    let events = crate::agents::normalized(thread_id.clone(), run_id.clone(), raw_events);
    // The response's top-level runId is null for agent sessions.
    let (writer, value) = copilot_response(CopilotResponseHead { thread_id: thread_id.clone(), run_id: None, extensions: None });
    let session_state = SessionState { agent_name: session.agent_name.clone(), thread_id: thread_id.clone(), run_id, node_name: session.node_name.clone().unwrap_or_default(), state };
    tokio::spawn(drive(events, writer, hooks, guard, cancel, ctx, thread_id, None, url, started, messages, Some(session_state)));
    Ok(value)
}

/// Write one run's events into the GraphQL response as they come.
#[allow(clippy::too_many_arguments)]
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
            ev = events.next() => ev,
            _ = cancel.cancelled() => None,
        };
        let Some(ev) = ev else { break };
        if writer.is_closed() {
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
            AguiEvent::Custom(c) if session.is_some() => {
                if c.name == "on_interrupt" || c.name == "LangGraphInterruptEvent" {
                    let value = match &c.value {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    };
                    writer.meta_event(crate::graphql::MetaEvent::LangGraphInterrupt { value, response: None });
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
