//! One streamed model turn: `GenerateContentResponse` chunks → `GeminiEvent`s (spec §4, §8).

use serde_json::{json, Value};

use crate::gemini::error::{from_error_object, GeminiError, GeminiErrorKind};
use crate::gemini::signatures::ThoughtSignatures;
use crate::gemini::GeminiEvent;
use crate::model::{FinishReason, Usage};

/// Gemini `finishReason` → unified reason (spec §8.7). `STOP` with function calls is a
/// tool-call finish; unknown values are tolerated as `Other`.
pub fn map_finish_reason(raw: &str, saw_function_call: bool) -> FinishReason {
    match raw {
        "STOP" if saw_function_call => FinishReason::ToolCalls,
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            FinishReason::ContentFilter
        }
        "MALFORMED_FUNCTION_CALL" => FinishReason::Error,
        _ => FinishReason::Other,
    }
}

/// `usageMetadata` → `Usage` (input = prompt, output = candidates + thoughts).
pub fn parse_usage(u: &Value) -> Option<Usage> {
    let obj = u.as_object()?;
    let get = |k: &str| obj.get(k).and_then(Value::as_u64).unwrap_or(0);
    let prompt = get("promptTokenCount");
    let candidates = get("candidatesTokenCount");
    let thoughts = get("thoughtsTokenCount");
    let total = get("totalTokenCount");
    let tool_prompt = get("toolUsePromptTokenCount");
    Some(Usage {
        input_tokens: prompt,
        output_tokens: candidates.saturating_add(thoughts),
        total_tokens: if total > 0 {
            total
        } else {
            prompt.saturating_add(candidates).saturating_add(thoughts).saturating_add(tool_prompt)
        },
        reasoning_tokens: thoughts,
        cached_input_tokens: get("cachedContentTokenCount"),
    })
}

pub(crate) fn mint_call_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("call_{}", &id[..24])
}

fn args_value(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(m)) => Value::Object(m.clone()),
        // Some proxies send args as JSON text.
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Value::Object(m),
            _ if s.trim().is_empty() => json!({}),
            _ => json!({ "value": s }),
        },
        Some(other) => json!({ "value": other }),
    }
}

pub(crate) struct TurnState {
    signatures: ThoughtSignatures,
    saw_function_call: bool,
    finish_reason: Option<String>,
    block_reason: Option<String>,
    usage: Option<Usage>,
    /// Answer text so far (the key for a text-turn signature).
    text: String,
    text_signature: Option<String>,
}

impl TurnState {
    pub(crate) fn new(signatures: ThoughtSignatures) -> Self {
        TurnState {
            signatures,
            saw_function_call: false,
            finish_reason: None,
            block_reason: None,
            usage: None,
            text: String::new(),
            text_signature: None,
        }
    }

    /// A finish reason (or prompt block) has been seen: the turn is complete.
    pub(crate) fn is_complete(&self) -> bool {
        self.finish_reason.is_some() || self.block_reason.is_some()
    }

    /// Process one response chunk. An in-band error or an unusable chunk is an `Err`; events
    /// decoded from the chunk before that are already in `out`.
    pub(crate) fn on_chunk(&mut self, chunk: &Value, out: &mut Vec<GeminiEvent>) -> Result<(), GeminiError> {
        let Some(obj) = chunk.as_object() else {
            return Err(GeminiError::new(
                GeminiErrorKind::InvalidResponse,
                format!("expected a JSON object per event, got {}", kind_name(chunk)),
            ));
        };
        if let Some(err) = obj.get("error") {
            return Err(match err {
                Value::Object(_) => from_error_object(err, None),
                Value::String(s) => GeminiError::new(GeminiErrorKind::Server, s.clone()),
                other => GeminiError::new(GeminiErrorKind::Server, other.to_string()),
            });
        }
        if let Some(candidate) = obj.get("candidates").and_then(Value::as_array).and_then(|c| {
            c.iter()
                .find(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0) == 0)
        }) {
            if let Some(parts) = candidate.pointer("/content/parts").and_then(Value::as_array) {
                for part in parts {
                    self.on_part(part, out);
                }
            }
            if let Some(reason) = candidate.get("finishReason").and_then(Value::as_str) {
                if !reason.is_empty() {
                    self.finish_reason = Some(reason.to_string());
                }
            }
        }
        if let Some(reason) = chunk.pointer("/promptFeedback/blockReason").and_then(Value::as_str) {
            if !reason.is_empty() && reason != "BLOCK_REASON_UNSPECIFIED" {
                self.block_reason = Some(reason.to_string());
            }
        }
        if let Some(u) = obj.get("usageMetadata").and_then(parse_usage) {
            self.usage = Some(u);
        }
        Ok(())
    }

    fn on_part(&mut self, part: &Value, out: &mut Vec<GeminiEvent>) {
        let Some(p) = part.as_object() else { return };
        let signature = p
            .get("thoughtSignature")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if let Some(fc) = p.get("functionCall").and_then(Value::as_object) {
            let name = fc.get("name").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() {
                tracing::warn!("Gemini sent a functionCall without a name; ignoring it");
                return;
            }
            let id = fc
                .get("id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .unwrap_or_else(mint_call_id);
            if let Some(sig) = &signature {
                self.signatures.insert(&id, sig);
            }
            self.saw_function_call = true;
            out.push(GeminiEvent::FunctionCall {
                id,
                name: name.to_string(),
                args: args_value(fc.get("args")),
                thought_signature: signature,
            });
            return;
        }
        let text = p.get("text").and_then(Value::as_str);
        if p.get("thought").and_then(Value::as_bool) == Some(true) {
            if let Some(t) = text.filter(|t| !t.is_empty()) {
                out.push(GeminiEvent::Thought { delta: t.to_string() });
            }
            return;
        }
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            self.text.push_str(t);
            out.push(GeminiEvent::Text { delta: t.to_string() });
        }
        // A signature on a text part (often an empty one) belongs to the text turn.
        if text.is_some() || p.len() == 1 {
            if let Some(sig) = signature {
                self.text_signature = Some(sig);
            }
        }
    }

    /// The body ended: the terminal event.
    pub(crate) fn finish(self) -> GeminiEvent {
        if let Some(raw) = self.finish_reason {
            if !self.saw_function_call {
                if let Some(sig) = &self.text_signature {
                    self.signatures.insert_for_text(&self.text, sig);
                }
            }
            return GeminiEvent::Finished {
                reason: map_finish_reason(&raw, self.saw_function_call),
                raw_reason: Some(raw),
                usage: self.usage,
            };
        }
        if let Some(block) = self.block_reason {
            return GeminiEvent::Finished {
                reason: FinishReason::ContentFilter,
                raw_reason: Some(block),
                usage: self.usage,
            };
        }
        GeminiEvent::Error(GeminiError::new(
            GeminiErrorKind::StreamCut,
            "the response ended without a finish reason (the connection closed mid-response)",
        ))
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[Value]) -> (Vec<GeminiEvent>, ThoughtSignatures) {
        let sigs = ThoughtSignatures::new();
        let mut st = TurnState::new(sigs.clone());
        let mut out = Vec::new();
        for c in chunks {
            if let Err(e) = st.on_chunk(c, &mut out) {
                out.push(GeminiEvent::Error(e));
                return (out, sigs);
            }
        }
        out.push(st.finish());
        (out, sigs)
    }

    #[test]
    fn finish_mapping() {
        assert_eq!(map_finish_reason("STOP", false), FinishReason::Stop);
        assert_eq!(map_finish_reason("STOP", true), FinishReason::ToolCalls);
        assert_eq!(map_finish_reason("MAX_TOKENS", true), FinishReason::Length);
        for r in ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"] {
            assert_eq!(map_finish_reason(r, false), FinishReason::ContentFilter);
        }
        assert_eq!(map_finish_reason("MALFORMED_FUNCTION_CALL", false), FinishReason::Error);
        assert_eq!(map_finish_reason("LANGUAGE", false), FinishReason::Other);
        assert_eq!(map_finish_reason("SOMETHING_NEW", false), FinishReason::Other);
    }

    #[test]
    fn usage_from_metadata() {
        let u = parse_usage(&json!({"promptTokenCount": 38, "candidatesTokenCount": 6, "totalTokenCount": 212,
            "thoughtsTokenCount": 168, "cachedContentTokenCount": 4}))
        .unwrap();
        assert_eq!(
            u,
            Usage { input_tokens: 38, output_tokens: 174, total_tokens: 212, reasoning_tokens: 168, cached_input_tokens: 4 }
        );
        let u = parse_usage(&json!({"promptTokenCount": 3})).unwrap();
        assert_eq!(u.total_tokens, 3);
    }

    #[test]
    fn thoughts_signatures_and_odd_parts() {
        let (ev, sigs) = run(&[
            json!({"candidates": [{"content": {"parts": [{"text": "planning", "thought": true}], "role": "model"}}]}),
            json!({"candidates": [{"content": {"parts": [{"text": "Hi"}, {"executableCode": {}}, 7, {"functionCall": {"args": {}}}]}}]}),
            json!({"candidates": [{"content": {"parts": [{"text": "", "thoughtSignature": "SIG"}]}, "finishReason": "STOP"}]}),
        ]);
        assert_eq!(
            ev,
            vec![
                GeminiEvent::Thought { delta: "planning".into() },
                GeminiEvent::Text { delta: "Hi".into() },
                GeminiEvent::Finished { reason: FinishReason::Stop, raw_reason: Some("STOP".into()), usage: None },
            ]
        );
        assert_eq!(sigs.get_for_text("Hi").as_deref(), Some("SIG"));
    }

    #[test]
    fn calls_get_ids_and_signatures_are_stored() {
        let (ev, sigs) = run(&[json!({"candidates": [{"content": {"parts": [
            {"functionCall": {"name": "a", "args": {"x": 1}}, "thoughtSignature": "S1"},
            {"functionCall": {"id": "given", "name": "b", "args": "{\"y\":2}"}},
            {"functionCall": {"name": "c"}}
        ]}, "finishReason": "STOP"}]})]);
        let GeminiEvent::FunctionCall { id, thought_signature, args, .. } = &ev[0] else { panic!("{ev:?}") };
        assert!(id.starts_with("call_") && id.len() == 29);
        assert_eq!(thought_signature.as_deref(), Some("S1"));
        assert_eq!(args, &json!({"x": 1}));
        assert_eq!(sigs.get(id).as_deref(), Some("S1"));
        assert!(matches!(&ev[1], GeminiEvent::FunctionCall { id, args, .. } if id == "given" && args == &json!({"y": 2})));
        assert!(matches!(&ev[2], GeminiEvent::FunctionCall { args, .. } if args == &json!({})));
        assert!(matches!(&ev[3], GeminiEvent::Finished { reason: FinishReason::ToolCalls, .. }));
    }

    #[test]
    fn missing_content_and_errors() {
        let (ev, _) = run(&[json!({"candidates": [{"content": {}, "finishReason": "MALFORMED_FUNCTION_CALL"}]})]);
        assert!(matches!(&ev[0], GeminiEvent::Finished { reason: FinishReason::Error, .. }));
        let (ev, _) = run(&[json!({"candidates": []}), json!({})]);
        assert!(matches!(&ev[0], GeminiEvent::Error(e) if e.kind == GeminiErrorKind::StreamCut));
        let (ev, _) = run(&[json!([1])]);
        assert!(matches!(&ev[0], GeminiEvent::Error(e) if e.kind == GeminiErrorKind::InvalidResponse));
        let (ev, _) = run(&[json!({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})]);
        assert!(matches!(&ev[0], GeminiEvent::Error(e) if e.kind == GeminiErrorKind::Unavailable && e.message == "overloaded"));
        let (ev, _) = run(&[json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})]);
        assert_eq!(
            ev[0],
            GeminiEvent::Finished { reason: FinishReason::ContentFilter, raw_reason: Some("PROHIBITED_CONTENT".into()), usage: None }
        );
    }
}
