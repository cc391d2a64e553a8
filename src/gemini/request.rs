//! Chat history → the `:streamGenerateContent` request body (spec §3, §6.3, §7.2, §8).
//!
//! Rules:
//! * `system`/`developer` messages join `ChatRequest.system` in `systemInstruction`.
//! * user → `role: user` (text, `inlineData`, `fileData`); assistant → `role: model` with the
//!   text first, then one `functionCall` per tool call; tool → `role: user` `functionResponse`.
//! * Adjacent contents of the same kind are merged: the calls of one step always share one
//!   `model` content (also when a GraphQL client sent each call as its own message) and all their
//!   results share the following content, which is what Gemini's turn rules require.
//! * Nothing empty is sent: no `parts: []`, no `{"text": ""}`; empty messages are dropped.
//! * Stored `thoughtSignature`s go back on the part they came on; for Gemini 3 the first call of
//!   a step without one gets the documented `skip_thought_signature_validator`.

use serde_json::{json, Map, Value};

use crate::gemini::error::RequestError;
use crate::gemini::signatures::ThoughtSignatures;
use crate::model::{GenerationParams, Message, Tool, ToolChoice, UserPart};

/// Sentinel Gemini accepts in place of a signature the client never received.
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";
/// Gemini refuses more than this many stop sequences.
const MAX_STOP_SEQUENCES: usize = 5;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub params: GenerationParams,
}

impl ChatRequest {
    /// `params.model` when set, else `default_model`. Pass the result to both
    /// `build_request_body` and `GeminiClient::stream`.
    pub fn effective_model<'a>(&'a self, default_model: &'a str) -> &'a str {
        match self.params.model.as_deref().map(str::trim) {
            Some(m) if !m.is_empty() => m,
            _ => default_model,
        }
    }
}

/// `^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$`
pub fn is_valid_tool_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
        _ => return false,
    }
    bytes.len() <= 64
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// Gemini 3 models (`gemini-3-pro-preview`, `gemini-3.1-…`, also behind a `models/` prefix).
pub fn is_gemini_3(model: &str) -> bool {
    let last = model.rsplit('/').next().unwrap_or(model).to_ascii_lowercase();
    match last.strip_prefix("gemini-3") {
        Some(rest) => rest.is_empty() || rest.starts_with('-') || rest.starts_with('.'),
        None => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TurnKind {
    UserInput,
    Model,
    FunctionResponses,
}

struct Turn {
    kind: TurnKind,
    parts: Vec<Value>,
}

fn push_parts(turns: &mut Vec<Turn>, kind: TurnKind, parts: Vec<Value>) {
    if parts.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some(last) if last.kind == kind => last.parts.extend(parts),
        _ => turns.push(Turn { kind, parts }),
    }
}

/// Arguments JSON text → the `args` object Gemini needs (a Struct, never a string or array).
fn args_object(arguments: &str) -> Value {
    let text = arguments.trim();
    if text.is_empty() {
        return json!({});
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Value::Object(m),
        Ok(Value::Null) => json!({}),
        Ok(other) => json!({ "value": other }),
        Err(_) => {
            tracing::debug!("tool call arguments are not valid JSON; sending {{}}");
            json!({})
        }
    }
}

/// Tool result text → `functionResponse.response`: the parsed object, else `{"content": …}`.
fn response_object(content: &str, error: Option<&str>) -> Value {
    let mut obj = match serde_json::from_str::<Value>(content.trim()) {
        Ok(Value::Object(m)) => m,
        Ok(v) if !content.trim().is_empty() => {
            let mut m = Map::new();
            m.insert("content".into(), v);
            m
        }
        _ => {
            let mut m = Map::new();
            m.insert("content".into(), Value::String(content.to_string()));
            m
        }
    };
    if let Some(e) = error.filter(|e| !e.trim().is_empty()) {
        obj.entry("error").or_insert_with(|| Value::String(e.to_string()));
    }
    Value::Object(obj)
}

fn guess_mime(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    let ext = path.rsplit('.').next()?;
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "mp3" => "audio/mp3",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "txt" => "text/plain",
        _ => return None,
    })
}

fn user_part(part: &UserPart) -> Option<Value> {
    match part {
        UserPart::Text(t) if !t.is_empty() => Some(json!({ "text": t })),
        UserPart::Text(_) => None,
        UserPart::Data { mime_type, data } if !data.is_empty() => {
            Some(json!({ "inlineData": { "mimeType": mime_type, "data": data } }))
        }
        UserPart::Data { .. } => None,
        UserPart::Url { mime_type, url } => {
            if url.is_empty() {
                return None;
            }
            // A data: URL is inline data, not a file reference.
            if let Some(rest) = url.strip_prefix("data:") {
                if let Some((meta, data)) = rest.split_once(',') {
                    if let Some(mime) = meta.strip_suffix(";base64") {
                        let mime = mime_type.as_deref().filter(|m| !m.is_empty()).unwrap_or(mime);
                        if data.is_empty() {
                            return None;
                        }
                        return Some(json!({ "inlineData": { "mimeType": mime, "data": data } }));
                    }
                }
            }
            let mut fd = Map::new();
            if let Some(m) = mime_type.as_deref().filter(|m| !m.is_empty()).or_else(|| guess_mime(url)) {
                fd.insert("mimeType".into(), Value::String(m.to_string()));
            }
            fd.insert("fileUri".into(), Value::String(url.clone()));
            Some(json!({ "fileData": fd }))
        }
    }
}

/// Build the exact JSON body for `:streamGenerateContent`.
pub fn build_request_body(
    req: &ChatRequest,
    model: &str,
    signatures: &ThoughtSignatures,
) -> Result<Value, RequestError> {
    let model = req.effective_model(model);

    // systemInstruction
    let mut system_texts: Vec<&str> = Vec::new();
    if let Some(s) = req.system.as_deref() {
        if !s.trim().is_empty() {
            system_texts.push(s);
        }
    }

    let mut turns: Vec<Turn> = Vec::new();
    let mut call_names: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for msg in &req.messages {
        match msg {
            Message::System { content, .. } | Message::Developer { content, .. } => {
                if !content.trim().is_empty() {
                    system_texts.push(content);
                }
            }
            Message::User { parts, .. } => {
                let parts: Vec<Value> = parts.iter().filter_map(user_part).collect();
                push_parts(&mut turns, TurnKind::UserInput, parts);
            }
            Message::Assistant { content, tool_calls, .. } => {
                let mut parts = Vec::new();
                let text = content.as_deref().unwrap_or("");
                let has_text = !text.trim().is_empty();
                if has_text {
                    let mut p = json!({ "text": text });
                    if tool_calls.is_empty() {
                        if let Some(sig) = signatures.get_for_text(text) {
                            p["thoughtSignature"] = Value::String(sig);
                        }
                    }
                    parts.push(p);
                }
                for call in tool_calls {
                    let name = call.function.name.as_str();
                    if name.is_empty() {
                        tracing::warn!(tool_call_id = %call.id, "dropping a replayed tool call without a name");
                        continue;
                    }
                    call_names.insert(call.id.as_str(), name);
                    let mut fc = Map::new();
                    if !call.id.is_empty() {
                        fc.insert("id".into(), Value::String(call.id.clone()));
                    }
                    fc.insert("name".into(), Value::String(name.to_string()));
                    fc.insert("args".into(), args_object(&call.function.arguments));
                    let mut p = json!({ "functionCall": fc });
                    if let Some(sig) = signatures.get(&call.id) {
                        p["thoughtSignature"] = Value::String(sig);
                    }
                    parts.push(p);
                }
                push_parts(&mut turns, TurnKind::Model, parts);
            }
            Message::Tool { tool_call_id, content, error, .. } => {
                let name = call_names.get(tool_call_id.as_str()).copied().unwrap_or("unknown");
                let mut fr = Map::new();
                if !tool_call_id.is_empty() {
                    fr.insert("id".into(), Value::String(tool_call_id.clone()));
                }
                fr.insert("name".into(), Value::String(name.to_string()));
                fr.insert("response".into(), response_object(content, error.as_deref()));
                push_parts(&mut turns, TurnKind::FunctionResponses, vec![json!({ "functionResponse": fr })]);
            }
            Message::Other { .. } => {}
        }
    }

    if turns.is_empty() {
        return Err(RequestError::EmptyContents);
    }

    let gemini3 = is_gemini_3(model);
    let contents: Vec<Value> = turns
        .into_iter()
        .map(|mut t| {
            if gemini3 && t.kind == TurnKind::Model {
                if let Some(first_call) = t.parts.iter_mut().find(|p| p.get("functionCall").is_some()) {
                    if first_call.get("thoughtSignature").is_none() {
                        first_call["thoughtSignature"] = Value::String(SKIP_SIGNATURE.to_string());
                    }
                }
            }
            let role = match t.kind {
                TurnKind::Model => "model",
                TurnKind::UserInput | TurnKind::FunctionResponses => "user",
            };
            json!({ "role": role, "parts": t.parts })
        })
        .collect();

    // generationConfig
    let p = &req.params;
    let mut gen = Map::new();
    if let Some(t) = p.temperature.filter(|t| t.is_finite()) {
        gen.insert("temperature".into(), json!(t));
    }
    if let Some(m) = p.max_tokens.filter(|m| *m > 0) {
        gen.insert("maxOutputTokens".into(), json!(m));
    }
    let stops: Vec<&String> = p.stop.iter().filter(|s| !s.is_empty()).collect();
    if !stops.is_empty() {
        if stops.len() > MAX_STOP_SEQUENCES {
            tracing::warn!(given = stops.len(), "Gemini accepts at most 5 stop sequences; sending the first 5");
        }
        gen.insert(
            "stopSequences".into(),
            json!(stops.into_iter().take(MAX_STOP_SEQUENCES).collect::<Vec<_>>()),
        );
    }

    // tools
    let mut declarations: Vec<Value> = Vec::new();
    let mut declared: Vec<&str> = Vec::new();
    for tool in &req.tools {
        if !is_valid_tool_name(&tool.name) {
            return Err(RequestError::InvalidToolName { name: tool.name.clone() });
        }
        if declared.contains(&tool.name.as_str()) {
            tracing::warn!(tool = %tool.name, "duplicate tool name; keeping the first declaration");
            continue;
        }
        declared.push(&tool.name);
        let mut d = Map::new();
        d.insert("name".into(), Value::String(tool.name.clone()));
        if !tool.description.is_empty() {
            d.insert("description".into(), Value::String(tool.description.clone()));
        }
        if let Some(params) = crate::gemini::schema::clean_schema(&tool.parameters) {
            d.insert("parameters".into(), params);
        }
        declarations.push(Value::Object(d));
    }

    let mut body = Map::new();
    body.insert("generationConfig".into(), Value::Object(gen));
    body.insert("contents".into(), Value::Array(contents));
    if !system_texts.is_empty() {
        body.insert(
            "systemInstruction".into(),
            json!({ "parts": [ { "text": system_texts.join("\n\n") } ] }),
        );
    }
    if !declarations.is_empty() {
        let mut fcc = Map::new();
        match &p.tool_choice {
            None | Some(ToolChoice::Auto) => {
                fcc.insert("mode".into(), json!("AUTO"));
            }
            Some(ToolChoice::None) => {
                fcc.insert("mode".into(), json!("NONE"));
            }
            Some(ToolChoice::Required) => {
                fcc.insert("mode".into(), json!("ANY"));
            }
            Some(ToolChoice::Function(name)) => {
                if !declared.contains(&name.as_str()) {
                    return Err(RequestError::UnknownToolChoice { name: name.clone() });
                }
                fcc.insert("mode".into(), json!("ANY"));
                fcc.insert("allowedFunctionNames".into(), json!([name]));
            }
        }
        body.insert("tools".into(), json!([ { "functionDeclarations": declarations } ]));
        body.insert("toolConfig".into(), json!({ "functionCallingConfig": fcc }));
    }
    Ok(Value::Object(body))
}
