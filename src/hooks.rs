//! The user's callbacks seen from the engine: server-side actions as a [`ToolExecutor`],
//! middleware, `onError` and `onStopGeneration`, all reached through the [`Host`]. Also the
//! transcript of a run in the 1.10.6 message shape those callbacks receive.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::agui::AguiEvent;
use crate::engine::{ToolExecutor, ToolOutcome};
use crate::host::{Host, HostError};
use crate::model::{Message, Tool, UserPart};
use crate::time::{now_iso, now_ms};

/// Which callbacks the user configured (sent by the JS shim), so absent ones cost nothing.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Capabilities {
    pub actions: bool,
    pub before_request: bool,
    pub after_request: bool,
    pub on_error: bool,
    pub on_stop_generation: bool,
    /// `agents` is configured (a record, a promise of one, or a function of the request).
    pub agents: bool,
    /// CopilotKit remote endpoints are configured (`remoteEndpoints` / `remoteActions`).
    pub remote_endpoints: bool,
}

/// The callbacks of one request.
#[derive(Clone)]
pub struct RequestHooks {
    pub host: Arc<dyn Host>,
    pub caps: Capabilities,
    pub request_id: String,
    pub properties: Value,
    pub url: String,
    /// The run's ids, for the `onError` events of failing handlers.
    pub thread_id: Option<String>,
    pub run_id: Option<String>,
    /// `createdAt` the client sent per message id (GraphQL), passed through to middleware.
    pub created_at: Arc<std::collections::HashMap<String, String>>,
    /// The request's CopilotKit remote endpoints: their actions are server tools too.
    pub remote: Option<Arc<crate::remote::RemoteSession>>,
}

impl RequestHooks {
    pub fn new(host: Arc<dyn Host>, caps: Capabilities, properties: Value, url: String) -> Self {
        RequestHooks {
            host,
            caps,
            request_id: uuid::Uuid::new_v4().to_string(),
            properties,
            url,
            thread_id: None,
            run_id: None,
            created_at: Default::default(),
            remote: None,
        }
    }

    /// Serve the remote endpoints' actions (discovered once, on first use) with the user's.
    pub fn with_remote(mut self, remote: Arc<crate::remote::RemoteSession>) -> Self {
        self.remote = Some(remote);
        self
    }

    pub fn with_ids(mut self, thread_id: &str, run_id: Option<&str>) -> Self {
        self.thread_id = Some(thread_id.to_string());
        self.run_id = run_id.map(str::to_string);
        self
    }

    /// A guard that closes this request's hooks when dropped (see [`RunGuard`]).
    pub fn guard(&self, stop_payload: Value) -> RunGuard {
        RunGuard { hooks: self.clone(), stop_payload, finished: false }
    }

    /// The server-side actions for this request, as tools (CopilotKit parameters → JSON Schema).
    pub async fn server_tools(&self) -> Result<Vec<Tool>, HostError> {
        let mut tools = if self.caps.actions { self.js_tools().await? } else { vec![] };
        if let Some(remote) = &self.remote {
            let extra = remote.tools(&tools).await.map_err(|e| HostError { message: e.message })?;
            tools.extend(extra);
        }
        Ok(tools)
    }

    async fn js_tools(&self) -> Result<Vec<Tool>, HostError> {
        let list = self
            .host
            .call("actions.list", json!({"requestId": self.request_id, "properties": self.properties, "url": self.url}))
            .await?;
        Ok(list
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| {
                        Some(Tool {
                            name: t.get("name")?.as_str()?.to_string(),
                            description: t.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
                            parameters: crate::actions::parameters_to_json_schema(t.get("parameters").unwrap_or(&Value::Null)),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn before_request(&self, thread_id: &str, run_id: Option<&str>, input: &[Message]) -> Result<(), HostError> {
        if !self.caps.before_request {
            return Ok(());
        }
        self.host
            .call(
                "middleware.before",
                json!({"threadId": thread_id, "runId": run_id, "inputMessages": legacy_messages(input, &self.created_at), "properties": self.properties, "url": self.url}),
            )
            .await
            .map(|_| ())
    }

    /// `onAfterRequest`, not awaited by the caller's stream: failures are logged only.
    pub fn after_request(&self, thread_id: &str, run_id: Option<&str>, input: &[Message], output: Vec<Value>) {
        if !self.caps.after_request {
            return;
        }
        let payload = json!({"threadId": thread_id, "runId": run_id, "inputMessages": legacy_messages(input, &self.created_at), "outputMessages": output, "properties": self.properties, "url": self.url});
        let host = self.host.clone();
        spawn_detached(async move {
            if let Err(e) = host.call("middleware.after", payload).await {
                tracing::warn!("onAfterRequest failed: {e}");
            }
        });
    }

    pub fn on_error(&self, event: Value) {
        report_error(&self.host, self.caps, event);
    }

    pub fn on_stop(&self, payload: Value) {
        if !self.caps.on_stop_generation {
            return;
        }
        let host = self.host.clone();
        spawn_detached(async move {
            if let Err(e) = host.call("onStopGeneration", payload).await {
                tracing::warn!("onStopGeneration failed: {e}");
            }
        });
    }

    /// Tell the shim the request is over (it drops what it cached for it).
    pub fn done(&self) {
        if !self.caps.actions {
            return;
        }
        let host = self.host.clone();
        let id = self.request_id.clone();
        spawn_detached(async move {
            let _ = host.call("request.done", json!({"requestId": id})).await;
        });
    }
}

/// Run a callback in the background on the current runtime (nothing when there is none, e.g. in
/// a destructor running after shutdown).
fn spawn_detached(fut: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(fut);
    }
}

/// Closes a run's hooks whichever way its event stream ends. When the stream is dropped or ends
/// without a terminal event — the run was stopped or its client went away — `onStopGeneration` is
/// called; in every case the shim's per-request state is released.
pub struct RunGuard {
    pub hooks: RequestHooks,
    pub stop_payload: Value,
    pub finished: bool,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.hooks.on_stop(std::mem::take(&mut self.stop_payload));
        }
        self.hooks.done();
    }
}

/// Send an error event to the user's `onError` (never awaited; a throwing `onError` is logged).
pub fn report_error(host: &Arc<dyn Host>, caps: Capabilities, event: Value) {
    // Every failure an operator should know about passes here: one warn line each, whether or
    // not the app has an onError handler. Client mistakes (4xx answers) stay at debug.
    let text = |p: &str| event.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    let status = event.pointer("/context/response/status").and_then(Value::as_u64).unwrap_or(0);
    let (operation, code, message) = (text("/context/request/operation"), text("/error/code"), text("/error/message"));
    if (400..500).contains(&status) {
        tracing::debug!(%operation, %code, status, "request rejected: {}", crate::logging::one_line(&message));
    } else {
        tracing::warn!(%operation, %code, "{}", crate::logging::one_line(&message));
    }
    if !caps.on_error {
        return;
    }
    let host = host.clone();
    spawn_detached(async move {
        if let Err(e) = host.call("onError", event).await {
            tracing::warn!("onError handler failed: {e}");
        }
    });
}

impl ToolExecutor for RequestHooks {
    fn execute(&self, name: &str, arguments: Value, _tool_call_id: &str) -> BoxFuture<'static, ToolOutcome> {
        let host = self.host.clone();
        let caps = self.caps;
        let url = self.url.clone();
        let name = name.to_string();
        let thread_id = self.thread_id.clone();
        let run_id = self.run_id.clone();
        // A remote endpoint action (the user's own actions shadow those of the same name).
        let remote = self.remote.as_ref().and_then(|r| r.execute(&name, &arguments));
        let payload = json!({"requestId": self.request_id, "name": name, "arguments": arguments, "properties": self.properties, "url": self.url});
        Box::pin(async move {
            if let Some(run) = remote {
                let outcome = run.await;
                if let Err(message) = &outcome {
                    report_error(&host, caps, handler_error_event(&name, &url, message, thread_id.as_deref(), run_id.as_deref()));
                }
                return outcome;
            }
            match host.call("actions.execute", payload).await {
                Ok(v) => {
                    if v.get("undefined").and_then(Value::as_bool) == Some(true) {
                        Ok(String::new())
                    } else {
                        Ok(crate::actions::encode_result(v.get("value")))
                    }
                }
                Err(e) => {
                    report_error(&host, caps, handler_error_event(&name, &url, &e.message, thread_id.as_deref(), run_id.as_deref()));
                    Err(e.message)
                }
            }
        })
    }
}

/// The `onError` event for a server-side action whose handler threw.
fn handler_error_event(action: &str, url: &str, message: &str, thread_id: Option<&str>, run_id: Option<&str>) -> Value {
    json!({
        "type": "error",
        "timestamp": now_ms(),
        "context": {"threadId": thread_id, "runId": run_id, "source": "runtime", "request": {"operation": "action.execute", "method": "POST", "url": url, "startTime": now_ms()}, "action": {"name": action}},
        "error": {"name": "Error", "message": message, "code": "HANDLER_ERROR"}
    })
}

/// The `onError` event for a request the protocol layer rejected (4xx/5xx answers).
pub fn protocol_error_event(method: &str, url: &str, status: u16, body: &[u8]) -> Value {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let message = parsed
        .get("message")
        .or_else(|| parsed.get("error"))
        .or_else(|| parsed.pointer("/errors/0/message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("request failed with HTTP {status}"));
    json!({
        "type": "error",
        "timestamp": now_ms(),
        "context": {"source": "runtime", "request": {"operation": "request", "method": method, "url": url, "startTime": now_ms()}, "response": {"status": status}},
        "error": {"name": "Error", "message": message, "code": "PROTOCOL_ERROR", "statusCode": status}
    })
}

/// The 1.10.6 message objects (`TextMessage`, `ActionExecutionMessage`, …) that middleware sees,
/// as JSON the shim turns back into classes.
pub fn legacy_messages(messages: &[Message], created_at: &std::collections::HashMap<String, String>) -> Vec<Value> {
    let now_default = now_iso();
    let when = |id: &str| created_at.get(id).cloned().unwrap_or_else(|| now_default.clone());
    let mut out = Vec::new();
    for m in messages {
        match m {
            Message::User { id, parts } => {
                let mut text = String::new();
                for p in parts {
                    match p {
                        UserPart::Text(t) => text.push_str(t),
                        UserPart::Data { mime_type, data } => out.push(json!({"type": "ImageMessage", "id": id, "createdAt": when(id), "format": mime_type.trim_start_matches("image/"), "bytes": data, "role": "user"})),
                        UserPart::Url { .. } => {}
                    }
                }
                if !text.is_empty() || parts.is_empty() {
                    out.push(json!({"type": "TextMessage", "id": id, "createdAt": when(id), "role": "user", "content": text}));
                }
            }
            Message::Assistant { id, content, tool_calls } => {
                if let Some(c) = content.as_ref().filter(|c| !c.is_empty()) {
                    out.push(json!({"type": "TextMessage", "id": id, "createdAt": when(id), "role": "assistant", "content": c}));
                }
                for tc in tool_calls {
                    let args: Value = serde_json::from_str(&tc.function.arguments).unwrap_or_else(|_| json!({}));
                    out.push(json!({"type": "ActionExecutionMessage", "id": tc.id, "createdAt": when(&tc.id), "name": tc.function.name, "arguments": args, "parentMessageId": id}));
                }
            }
            Message::Tool { id, tool_call_id, content, .. } => {
                let name = messages
                    .iter()
                    .find_map(|m| match m {
                        Message::Assistant { tool_calls, .. } => tool_calls.iter().find(|t| &t.id == tool_call_id).map(|t| t.function.name.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                out.push(json!({"type": "ResultMessage", "id": id, "createdAt": when(id), "actionExecutionId": tool_call_id, "actionName": name, "result": content}));
            }
            Message::System { id, content } | Message::Developer { id, content } => {
                let role = if matches!(m, Message::System { .. }) { "system" } else { "developer" };
                out.push(json!({"type": "TextMessage", "id": id, "createdAt": when(id), "role": role, "content": content}));
            }
            Message::Other { .. } => {}
        }
    }
    out
}

/// Assembles the output messages of a run from its events, for `onAfterRequest`.
#[derive(Default)]
pub struct Transcript {
    messages: Vec<Value>,
    failed: bool,
}

impl Transcript {
    pub fn observe(&mut self, ev: &AguiEvent) {
        match ev {
            AguiEvent::TextMessageStart(s) => self.messages.push(json!({"type": "TextMessage", "id": s.message_id, "createdAt": now_iso(), "role": "assistant", "content": ""})),
            AguiEvent::TextMessageContent(d) => self.append(&d.message_id, "TextMessage", "content", &d.delta),
            AguiEvent::ToolCallStart(s) => self.messages.push(json!({"type": "ActionExecutionMessage", "id": s.tool_call_id, "createdAt": now_iso(), "name": s.tool_call_name, "arguments": "", "parentMessageId": s.parent_message_id})),
            AguiEvent::ToolCallArgs(a) => self.append(&a.tool_call_id, "ActionExecutionMessage", "arguments", &a.delta),
            AguiEvent::ToolCallResult(r) => {
                let name = self
                    .messages
                    .iter()
                    .find(|m| m["type"] == "ActionExecutionMessage" && m["id"] == r.tool_call_id.as_str())
                    .and_then(|m| m["name"].as_str())
                    .unwrap_or("")
                    .to_string();
                self.messages.push(json!({"type": "ResultMessage", "id": format!("result-{}", r.tool_call_id), "createdAt": now_iso(), "actionExecutionId": r.tool_call_id, "actionName": name, "result": r.content}));
            }
            AguiEvent::RunError(_) | AguiEvent::Fault(_) => self.failed = true,
            _ => {}
        }
    }

    fn find(&mut self, id: &str, ty: &str) -> Option<&mut Value> {
        self.messages.iter_mut().rev().find(|m| m["type"] == ty && m["id"] == id)
    }

    /// Appends a streamed delta in place (a long answer must stay linear, not copy per chunk).
    fn append(&mut self, id: &str, ty: &str, field: &str, delta: &str) {
        if let Some(Value::String(s)) = self.find(id, ty).and_then(|m| m.get_mut(field)) {
            s.push_str(delta);
        }
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    pub fn into_messages(self) -> Vec<Value> {
        self.messages
    }
}

/// Drop `None`s from a JSON object (for optional fields in hook payloads).
pub fn compact(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        let keys: Vec<String> = m.iter().filter(|(_, v)| v.is_null()).map(|(k, _)| k.clone()).collect();
        for k in keys {
            m.remove(&k);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_assembles_text_calls_and_results() {
        let mut t = Transcript::default();
        for e in [
            AguiEvent::text_start("m1"),
            AguiEvent::text_content("m1", "Hel"),
            AguiEvent::text_content("m1", "lo"),
            AguiEvent::text_end("m1"),
            AguiEvent::tool_start("c1", "weather", Some("m1".into())),
            AguiEvent::tool_args("c1", "{\"city\":"),
            AguiEvent::tool_args("c1", "\"Paris\"}"),
            AguiEvent::tool_end("c1"),
            AguiEvent::tool_result("r1", "c1", "sunny"),
        ] {
            t.observe(&e);
        }
        let m = t.into_messages();
        assert_eq!(m[0]["content"], "Hello");
        assert_eq!(m[1]["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(m[2]["id"], "result-c1");
        assert_eq!(m[2]["actionName"], "weather");
    }
}
