//! The built-in agent: one chat run over Gemini, as a stream of AG-UI events.
//!
//! Both protocols run their default agent through here — AG-UI encodes the events directly, the
//! GraphQL front end maps them to its message outputs — so there is one orchestration loop:
//! call the model, stream text / reasoning / tool calls as they arrive, run server-side tools,
//! and call the model again with their results until it answers with text or a frontend tool
//! call, bounded by `max_steps`. Every await watches the run's cancellation token.

mod prompt;

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

pub use prompt::{has_state as prompt_has_state, system_prompt};

use crate::agui::events::{AguiEvent, MessageDelta, MessageRef, ReasoningMessageStart, RunError, RunFinished, TokenUsage};
use crate::gemini::{build_request_body, ChatRequest, GeminiClient, GeminiEvent};
use crate::model::{FinishReason, FunctionCall, GenerationParams, Message, Tool, ToolCall, Usage};

/// Default bound on model calls in one AG-UI run (documented in the README).
pub const DEFAULT_MAX_STEPS: usize = 10;

pub const STATE_SNAPSHOT_TOOL: &str = "AGUISendStateSnapshot";
pub const STATE_DELTA_TOOL: &str = "AGUISendStateDelta";

/// What a server-side tool produced: the result text, or the handler's error message.
pub type ToolOutcome = Result<String, String>;

/// Runs the server-side tools of one request (the user's JS `actions`, remote endpoint actions…).
pub trait ToolExecutor: Send + Sync {
    fn execute(&self, name: &str, arguments: Value, tool_call_id: &str) -> BoxFuture<'static, ToolOutcome>;
}

/// The server-side tools available to one run.
#[derive(Clone, Default)]
pub struct ServerTools {
    pub tools: Vec<Tool>,
    pub executor: Option<Arc<dyn ToolExecutor>>,
}

/// Everything one run needs.
pub struct EngineRun {
    pub thread_id: String,
    pub run_id: String,
    /// System instruction (see [`system_prompt`]).
    pub system: Option<String>,
    pub messages: Vec<Message>,
    /// Tools the client executes itself.
    pub frontend_tools: Vec<Tool>,
    pub server_tools: ServerTools,
    /// Offer the shared-state tools (`AGUISendStateSnapshot` / `AGUISendStateDelta`).
    pub state_tools: bool,
    pub params: GenerationParams,
    /// Model calls allowed in this run (≥ 1). GraphQL-era runs use 1: the client sends the follow-up.
    pub max_steps: usize,
}

/// Provider name reported in `RUN_FINISHED.usage`.
const PROVIDER: &str = "google.generative-ai";

/// Run the built-in agent. The stream holds the run's events without `RUN_STARTED` (the protocol
/// layer adds it) and ends with `RUN_FINISHED` or `RUN_ERROR` — or simply stops when `cancel`
/// fires, in which case the upstream request has already been dropped.
pub fn run(client: GeminiClient, run: EngineRun, cancel: CancellationToken) -> BoxStream<'static, AguiEvent> {
    async_stream::stream! {
        let EngineRun { thread_id, run_id, system, mut messages, frontend_tools, server_tools, state_tools, params, max_steps } = run;
        let model = params.model.clone().unwrap_or_else(|| client.config().model.clone());
        let server_names: HashSet<String> = server_tools.tools.iter().map(|t| t.name.clone()).collect();
        let frontend_names: HashSet<&str> = frontend_tools.iter().map(|t| t.name.as_str()).collect();
        // Frontend tools first, then server tools that do not clash with them, then the state tools.
        let mut tools = frontend_tools.clone();
        tools.extend(server_tools.tools.iter().filter(|t| !frontend_names.contains(t.name.as_str())).cloned());
        if state_tools {
            tools.extend(prompt::state_tools());
        }
        let mut total = Usage::default();
        let mut saw_usage = false;
        let mut state: Option<Value> = None;
        let max_steps = max_steps.max(1);

        for step in 0..max_steps {
            let req = ChatRequest { system: system.clone(), messages: messages.clone(), tools: tools.clone(), params: params.clone() };
            let body = match build_request_body(&req, &model, client.signatures()) {
                Ok(b) => b,
                Err(e) => {
                    yield run_error(&thread_id, &run_id, format!("Cannot send the conversation to Gemini: {e}"), "INVALID_REQUEST");
                    return;
                }
            };
            let mut upstream = Box::pin(client.stream(body, &model, cancel.clone()));
            let mut text_id: Option<String> = None;
            let mut text_buf = String::new();
            let mut reasoning_id: Option<String> = None;
            let mut parent_id: Option<String> = None;
            let mut calls: Vec<(String, String, Value)> = Vec::new();
            let mut finish = None;
            while let Some(ev) = upstream.next().await {
                match ev {
                    GeminiEvent::Thought { delta } => {
                        if let Some(id) = text_id.take() {
                            yield AguiEvent::text_end(id);
                        }
                        let id = match &reasoning_id {
                            Some(id) => id.clone(),
                            None => {
                                let id = uuid::Uuid::new_v4().to_string();
                                yield AguiEvent::ReasoningStart(MessageRef { message_id: id.clone(), extra: Default::default() });
                                yield AguiEvent::ReasoningMessageStart(ReasoningMessageStart { message_id: id.clone(), ..Default::default() });
                                reasoning_id = Some(id.clone());
                                id
                            }
                        };
                        yield AguiEvent::ReasoningMessageContent(MessageDelta { message_id: id, delta, extra: Default::default() });
                    }
                    GeminiEvent::Text { delta } => {
                        if delta.is_empty() {
                            continue;
                        }
                        if let Some(id) = reasoning_id.take() {
                            for e in close_reasoning(&id) { yield e; }
                        }
                        let id = match &text_id {
                            Some(id) => id.clone(),
                            None => {
                                let id = uuid::Uuid::new_v4().to_string();
                                yield AguiEvent::text_start(id.clone());
                                parent_id = Some(id.clone());
                                text_id = Some(id.clone());
                                id
                            }
                        };
                        text_buf.push_str(&delta);
                        yield AguiEvent::text_content(id, delta);
                    }
                    GeminiEvent::FunctionCall { id, name, args, .. } => {
                        if let Some(rid) = reasoning_id.take() {
                            for e in close_reasoning(&rid) { yield e; }
                        }
                        if let Some(tid) = text_id.take() {
                            yield AguiEvent::text_end(tid);
                        }
                        let parent = parent_id.get_or_insert_with(|| uuid::Uuid::new_v4().to_string()).clone();
                        yield AguiEvent::tool_start(id.clone(), name.clone(), Some(parent));
                        yield AguiEvent::tool_args(id.clone(), args.to_string());
                        yield AguiEvent::tool_end(id.clone());
                        calls.push((id, name, args));
                    }
                    GeminiEvent::Finished { reason, usage, .. } => {
                        if let Some(u) = usage {
                            add_usage(&mut total, &u);
                            saw_usage = true;
                        }
                        finish = Some(reason);
                    }
                    GeminiEvent::Error(e) => {
                        if let Some(rid) = reasoning_id.take() {
                            for ev in close_reasoning(&rid) { yield ev; }
                        }
                        if let Some(tid) = text_id.take() {
                            yield AguiEvent::text_end(tid);
                        }
                        yield run_error(&thread_id, &run_id, e.to_string(), e.code());
                        return;
                    }
                }
            }
            if let Some(rid) = reasoning_id.take() {
                for e in close_reasoning(&rid) { yield e; }
            }
            if let Some(tid) = text_id.take() {
                yield AguiEvent::text_end(tid);
            }
            let Some(reason) = finish else {
                // The upstream stream ended without a terminal event: the run was cancelled.
                return;
            };

            // Server-side tools (and the state tools) run here; frontend tools go to the client.
            let mut results: Vec<Message> = Vec::new();
            let mut frontend_call = false;
            for (id, name, args) in &calls {
                let content = if state_tools && name == STATE_SNAPSHOT_TOOL {
                    let snapshot = args.get("snapshot").cloned().unwrap_or(Value::Null);
                    state = Some(snapshot.clone());
                    yield AguiEvent::state_snapshot(snapshot.clone());
                    json!({"success": true, "snapshot": snapshot}).to_string()
                } else if state_tools && name == STATE_DELTA_TOOL {
                    let delta: Vec<Value> = args.get("delta").and_then(Value::as_array).cloned().unwrap_or_default();
                    let _ = &state;
                    yield AguiEvent::state_delta(delta.clone());
                    json!({"success": true, "delta": delta}).to_string()
                } else if server_names.contains(name) && !frontend_names.contains(name.as_str()) {
                    let Some(exec) = server_tools.executor.clone() else { continue };
                    let fut = exec.execute(name, args.clone(), id);
                    let outcome = tokio::select! {
                        o = fut => o,
                        _ = cancel.cancelled() => return,
                    };
                    match outcome {
                        Ok(text) => text,
                        Err(message) => crate::actions::error_result("HANDLER_ERROR", &message),
                    }
                } else {
                    frontend_call = true;
                    continue;
                };
                yield AguiEvent::tool_result(uuid::Uuid::new_v4().to_string(), id.clone(), content.clone());
                results.push(Message::Tool { id: uuid::Uuid::new_v4().to_string(), tool_call_id: id.clone(), content, error: None });
            }

            let last_step = step + 1 >= max_steps;
            if calls.is_empty() || frontend_call || results.is_empty() || last_step {
                let finish_reason = if calls.is_empty() { reason } else { FinishReason::ToolCalls };
                if last_step && !calls.is_empty() && !frontend_call && !results.is_empty() && max_steps > 1 {
                    tracing::info!(thread_id = %thread_id, max_steps, "run reached its step limit after server-side tool calls");
                }
                yield AguiEvent::RunFinished(RunFinished {
                    thread_id: thread_id.clone(),
                    run_id: run_id.clone(),
                    finish_reason: Some(finish_reason.as_str().to_string()),
                    usage: saw_usage.then(|| vec![TokenUsage::from_usage(PROVIDER, &model, &total)]),
                    ..Default::default()
                });
                return;
            }

            // Feed the tool results back and ask the model again.
            messages.push(Message::Assistant {
                id: parent_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                content: (!text_buf.is_empty()).then(|| text_buf.clone()),
                tool_calls: calls
                    .iter()
                    .map(|(id, name, args)| ToolCall { id: id.clone(), kind: "function".into(), function: FunctionCall { name: name.clone(), arguments: args.to_string() } })
                    .collect(),
            });
            messages.extend(results);
        }
    }
    .boxed()
}

fn close_reasoning(id: &str) -> [AguiEvent; 2] {
    [
        AguiEvent::ReasoningMessageEnd(MessageRef { message_id: id.to_string(), extra: Default::default() }),
        AguiEvent::ReasoningEnd(MessageRef { message_id: id.to_string(), extra: Default::default() }),
    ]
}

fn run_error(thread_id: &str, run_id: &str, message: String, code: &str) -> AguiEvent {
    AguiEvent::RunError(RunError {
        message,
        code: Some(code.to_string()),
        thread_id: Some(thread_id.to_string()),
        run_id: Some(run_id.to_string()),
        ..Default::default()
    })
}

fn add_usage(total: &mut Usage, u: &Usage) {
    total.input_tokens += u.input_tokens;
    total.output_tokens += u.output_tokens;
    total.total_tokens += u.total_tokens;
    total.reasoning_tokens += u.reasoning_tokens;
    total.cached_input_tokens += u.cached_input_tokens;
}

#[cfg(test)]
mod tests;
