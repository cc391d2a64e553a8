//! User agents (`CopilotRuntime({ agents })`): AG-UI agent objects living on the JS side, whose
//! events the shim pushes into Rust, and `HttpAgent`s (AG-UI agents at a URL), which Rust calls
//! itself so no JavaScript sits in their event path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::agui::{AgentInfo, AguiEvent, RunContext};
use crate::host::Host;

/// One agent as the shim describes it (`agents.list`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AgentDescriptor {
    pub id: String,
    pub name: Option<String>,
    pub description: String,
    pub class_name: String,
    /// Set for `HttpAgent`s: Rust calls the URL directly.
    pub http: Option<HttpAgentSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HttpAgentSpec {
    pub url: String,
    pub headers: HashMap<String, String>,
}

impl AgentDescriptor {
    pub fn info(&self) -> AgentInfo {
        AgentInfo {
            id: self.id.clone(),
            name: self.name.clone().unwrap_or_else(|| self.id.clone()),
            description: self.description.clone(),
            class_name: self.class_name.clone(),
            capabilities: None,
        }
    }
}

enum AgentMsg {
    Events(Vec<Value>),
    End(Option<String>),
}

fn registry() -> &'static Mutex<HashMap<String, mpsc::UnboundedSender<AgentMsg>>> {
    static RUNS: OnceLock<Mutex<HashMap<String, mpsc::UnboundedSender<AgentMsg>>>> = OnceLock::new();
    RUNS.get_or_init(Default::default)
}

/// Events of a JS agent run, pushed by the shim (`pushAgentEvents`). Unknown runs are ignored
/// (the run was cancelled while the agent was still emitting).
pub fn push_events(run_key: &str, events_json: &str) -> Result<(), String> {
    let events: Vec<Value> = match serde_json::from_str::<Value>(events_json) {
        Ok(Value::Array(a)) => a,
        Ok(v) => vec![v],
        Err(e) => return Err(format!("invalid agent event JSON: {e}")),
    };
    if let Some(tx) = registry().lock().unwrap_or_else(|p| p.into_inner()).get(run_key) {
        let _ = tx.send(AgentMsg::Events(events));
    }
    Ok(())
}

/// The JS agent's observable completed (`error` = it failed with this message).
pub fn end_run(run_key: &str, error: Option<String>) {
    if let Some(tx) = registry().lock().unwrap_or_else(|p| p.into_inner()).remove(run_key) {
        let _ = tx.send(AgentMsg::End(error));
    }
}

/// Deregisters a JS run and tells the shim to unsubscribe, however the stream ends.
struct JsRunGuard {
    key: String,
    host: Arc<dyn Host>,
}

impl Drop for JsRunGuard {
    fn drop(&mut self) {
        let was_live = registry().lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key).is_some();
        if was_live {
            let host = self.host.clone();
            let key = std::mem::take(&mut self.key);
            if let Ok(h) = tokio::runtime::Handle::try_current() {
                h.spawn(async move {
                    let _ = host.call("agents.cancel", json!({"runKey": key})).await;
                });
            }
        }
    }
}

/// Run an agent object that lives on the JS side.
pub fn run_js_agent(host: Arc<dyn Host>, ctx: RunContext, extra: Value) -> BoxStream<'static, AguiEvent> {
    async_stream::stream! {
        let key = uuid::Uuid::new_v4().to_string();
        let (tx, mut rx) = mpsc::unbounded_channel();
        registry().lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), tx);
        let _guard = JsRunGuard { key: key.clone(), host: host.clone() };
        let payload = json!({"runKey": key, "agentId": ctx.agent_id, "input": ctx.input.raw, "headers": forwardable_headers(&ctx.headers), "extra": extra});
        let started = tokio::select! {
            r = host.call("agents.run", payload) => r,
            _ = ctx.cancel.cancelled() => return,
        };
        if let Err(e) = started {
            yield AguiEvent::Fault(format!("Agent '{}' failed to start: {e}", ctx.agent_id));
            return;
        }
        loop {
            let msg = tokio::select! {
                m = rx.recv() => m,
                _ = ctx.cancel.cancelled() => return,
            };
            match msg {
                Some(AgentMsg::Events(events)) => {
                    for v in events {
                        match AguiEvent::from_value(v) {
                            Ok(ev) => yield ev,
                            Err(e) => {
                                yield AguiEvent::Fault(format!("Agent '{}' emitted an invalid event: {e}", ctx.agent_id));
                                return;
                            }
                        }
                    }
                }
                Some(AgentMsg::End(None)) | None => return,
                Some(AgentMsg::End(Some(e))) => {
                    yield AguiEvent::Fault(e);
                    return;
                }
            }
        }
    }
    .boxed()
}

/// Request headers an agent may receive (spec §12.5): `authorization` and `x-*`, minus
/// infrastructure headers and CopilotKit's own.
pub fn forwardable_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    const DROP: &[&str] = &["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "x-request-id", "x-amzn-trace-id", "x-cloud-trace-context", "x-cache", "x-served-by"];
    const DROP_PREFIX: &[&str] = &["x-forwarded-", "x-amz-", "x-azure-", "x-fastly-", "x-vercel-", "x-middleware-", "x-copilotcloud-"];
    headers
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            (k == "authorization" || k.starts_with("x-")) && !DROP.contains(&k.as_str()) && !DROP_PREFIX.iter().any(|p| k.starts_with(p))
        })
        .cloned()
        .collect()
}

/// The shared outbound client for `HttpAgent`s and remote endpoints: 10 s connect timeout,
/// redirects not followed.
pub(crate) fn http_client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// Run an `HttpAgent`: POST the `RunAgentInput` to its URL and decode its SSE events in Rust.
/// Headers configured on the agent win over forwarded request headers (case-insensitively).
pub fn run_http_agent(spec: HttpAgentSpec, ctx: RunContext) -> BoxStream<'static, AguiEvent> {
    async_stream::stream! {
        let mut req = http_client()
            .post(&spec.url)
            .header("content-type", "application/json")
            .header("accept", "text/event-stream");
        let configured: Vec<String> = spec.headers.keys().map(|k| k.to_ascii_lowercase()).collect();
        for (k, v) in forwardable_headers(&ctx.headers) {
            if !configured.contains(&k) {
                req = req.header(k, v);
            }
        }
        for (k, v) in &spec.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let send = req.body(ctx.input.raw.to_string()).send();
        let resp = tokio::select! {
            r = send => r,
            _ = ctx.cancel.cancelled() => return,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                yield AguiEvent::Fault(format!("Agent '{}' could not be reached: {}", ctx.agent_id, without_url(&e)));
                return;
            }
        };
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            yield AguiEvent::Fault(format!("Agent '{}' answered HTTP {status}", ctx.agent_id));
            return;
        }
        let mut body = resp.bytes_stream();
        let mut parser = crate::gemini::sse::SseParser::new(16 * 1024 * 1024);
        let mut frames = Vec::new();
        loop {
            let chunk = tokio::select! {
                c = body.next() => c,
                _ = ctx.cancel.cancelled() => return,
            };
            let chunk = match chunk {
                Some(Ok(c)) => c,
                Some(Err(e)) => {
                    yield AguiEvent::Fault(format!("Agent '{}' stream failed: {}", ctx.agent_id, without_url(&e)));
                    return;
                }
                None => break,
            };
            if let Err(e) = parser.feed(&chunk, &mut frames) {
                yield AguiEvent::Fault(format!("Agent '{}' sent an invalid event stream: {e}", ctx.agent_id));
                return;
            }
            for f in frames.drain(..) {
                match serde_json::from_slice::<Value>(&f).map_err(|e| e.to_string()).and_then(AguiEvent::from_value) {
                    Ok(ev) => yield ev,
                    Err(e) => {
                        yield AguiEvent::Fault(format!("Agent '{}' emitted an invalid event: {e}", ctx.agent_id));
                        return;
                    }
                }
            }
        }
        if let Some(last) = parser.finish() {
            if let Ok(ev) = serde_json::from_slice::<Value>(&last).map_err(|e| e.to_string()).and_then(AguiEvent::from_value) {
                yield ev;
            }
        }
    }
    .boxed()
}

/// A transport error's text without the URL (it may carry credentials in its query).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<agent url>");
    }
    s
}

/// A model message as AG-UI message JSON (what agents receive in `RunAgentInput.messages`).
pub fn agui_message_json(m: &crate::model::Message) -> Option<Value> {
    use crate::model::{Message, UserPart};
    Some(match m {
        Message::User { id, parts } => {
            let only_text = parts.iter().all(|p| matches!(p, UserPart::Text(_)));
            if only_text {
                let text: String = parts.iter().map(|p| if let UserPart::Text(t) = p { t.as_str() } else { "" }).collect();
                json!({"id": id, "role": "user", "content": text})
            } else {
                let content: Vec<Value> = parts
                    .iter()
                    .map(|p| match p {
                        UserPart::Text(t) => json!({"type": "text", "text": t}),
                        UserPart::Data { mime_type, data } => json!({"type": "binary", "mimeType": mime_type, "data": data}),
                        UserPart::Url { mime_type, url } => json!({"type": "binary", "mimeType": mime_type.clone().unwrap_or_default(), "url": url}),
                    })
                    .collect();
                json!({"id": id, "role": "user", "content": content})
            }
        }
        Message::Assistant { id, content, tool_calls } => {
            let mut v = json!({"id": id, "role": "assistant"});
            if let Some(c) = content {
                v["content"] = Value::String(c.clone());
            }
            if !tool_calls.is_empty() {
                v["toolCalls"] = serde_json::to_value(tool_calls).unwrap_or(Value::Null);
            }
            v
        }
        Message::Tool { id, tool_call_id, content, error } => {
            let mut v = json!({"id": id, "role": "tool", "toolCallId": tool_call_id, "content": content});
            if let Some(e) = error {
                v["error"] = Value::String(e.clone());
            }
            v
        }
        Message::System { id, content } => json!({"id": id, "role": "system", "content": content}),
        Message::Developer { id, content } => json!({"id": id, "role": "developer", "content": content}),
        Message::Other { .. } => return None,
    })
}

/// Apply RFC 6902 `add` / `replace` / `remove` operations to a state value (others are ignored).
pub fn apply_patch(state: &mut Value, ops: &[Value]) {
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
        let Some(path) = op.get("path").and_then(Value::as_str) else { continue };
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        if path.is_empty() {
            if matches!(kind, "add" | "replace") {
                *state = value;
            }
            continue;
        }
        let (parent_path, last_raw) = match path.rfind('/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => continue,
        };
        let last = last_raw.replace("~1", "/").replace("~0", "~");
        let Some(target) = state.pointer_mut(parent_path) else { continue };
        match (target, kind) {
            (Value::Object(m), "add" | "replace") => {
                m.insert(last, value);
            }
            (Value::Object(m), "remove") => {
                m.remove(last.as_str());
            }
            (Value::Array(a), "add") => {
                if last == "-" {
                    a.push(value);
                } else if let Ok(i) = last.parse::<usize>() {
                    if i <= a.len() {
                        a.insert(i, value);
                    }
                }
            }
            (Value::Array(a), "replace") => {
                if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                    *slot = value;
                }
            }
            (Value::Array(a), "remove") => {
                if let Ok(i) = last.parse::<usize>() {
                    if i < a.len() {
                        a.remove(i);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_objects_and_arrays() {
        let mut s = json!({"count": 1, "items": ["a"]});
        apply_patch(&mut s, &[
            json!({"op": "replace", "path": "/count", "value": 2}),
            json!({"op": "add", "path": "/items/-", "value": "b"}),
            json!({"op": "add", "path": "/new", "value": {"x": 1}}),
            json!({"op": "remove", "path": "/items/0"}),
            json!({"op": "add", "path": "/missing/deep", "value": 1}),
        ]);
        assert_eq!(s, json!({"count": 2, "items": ["b"], "new": {"x": 1}}));
    }

    #[test]
    fn forwards_only_authorization_and_x_headers() {
        let h = vec![
            ("authorization".to_string(), "Bearer t".to_string()),
            ("x-tenant".to_string(), "a".to_string()),
            ("x-forwarded-for".to_string(), "1.2.3.4".to_string()),
            ("x-copilotcloud-public-api-key".to_string(), "k".to_string()),
            ("cookie".to_string(), "s=1".to_string()),
        ];
        let f = forwardable_headers(&h);
        assert_eq!(f.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["authorization", "x-tenant"]);
    }
}

/// An agent's raw events made well-formed (chunks expanded, sequencing verified, closers and a
/// terminal event added) by the same pipeline the AG-UI endpoint uses.
pub fn normalized(thread_id: String, run_id: String, mut raw: BoxStream<'static, AguiEvent>) -> BoxStream<'static, AguiEvent> {
    use crate::agui::pipeline::{Ending, RunPipeline};
    async_stream::stream! {
        let mut pipeline = RunPipeline::new(thread_id, run_id, None);
        let mut out = Vec::new();
        while let Some(ev) = raw.next().await {
            let done = pipeline.push(ev, &mut out);
            for e in out.drain(..) {
                yield e;
            }
            if done {
                return;
            }
        }
        pipeline.finish(Ending::Ended, &mut out);
        for e in out.drain(..) {
            yield e;
        }
    }
    .boxed()
}
