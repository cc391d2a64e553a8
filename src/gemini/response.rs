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

/// One part, however it was decoded.
struct PartView<'p> {
    text: Option<&'p str>,
    thought: Option<bool>,
    signature: Option<&'p str>,
    function_call: Option<&'p serde_json::Map<String, Value>>,
    /// How many keys the part has.
    keys: usize,
}

// ------------------------------------------------------------------------------------------------
// The fast decoder: the common chunk shapes straight into borrowed structs (no `Value` tree per
// chunk). Anything it does not expect (an in-band `error`, a field of an unexpected type) makes it
// give up, and the chunk goes through the general `Value` path, which has the same rules.

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
pub(crate) struct FastChunk<'a> {
    #[serde(borrow, default)]
    candidates: Option<Vec<FastCandidate<'a>>>,
    #[serde(default, rename = "usageMetadata")]
    usage: Option<FastUsage>,
    #[serde(default, rename = "promptFeedback")]
    prompt_feedback: Option<Value>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct FastCandidate<'a> {
    #[serde(default)]
    index: Option<u64>,
    #[serde(borrow, default)]
    content: Option<FastContent<'a>>,
    #[serde(borrow, default, rename = "finishReason")]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct FastContent<'a> {
    #[serde(borrow, default)]
    parts: Option<Vec<FastPart<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FastUsage {
    #[serde(default)]
    prompt_token_count: Option<u64>,
    #[serde(default)]
    candidates_token_count: Option<u64>,
    #[serde(default)]
    thoughts_token_count: Option<u64>,
    #[serde(default)]
    total_token_count: Option<u64>,
    #[serde(default)]
    tool_use_prompt_token_count: Option<u64>,
    #[serde(default)]
    cached_content_token_count: Option<u64>,
}

impl FastUsage {
    fn into_usage(self) -> Usage {
        let prompt = self.prompt_token_count.unwrap_or(0);
        let candidates = self.candidates_token_count.unwrap_or(0);
        let thoughts = self.thoughts_token_count.unwrap_or(0);
        let total = self.total_token_count.unwrap_or(0);
        Usage {
            input_tokens: prompt,
            output_tokens: candidates.saturating_add(thoughts),
            total_tokens: if total > 0 {
                total
            } else {
                prompt.saturating_add(candidates).saturating_add(thoughts).saturating_add(self.tool_use_prompt_token_count.unwrap_or(0))
            },
            reasoning_tokens: thoughts,
            cached_input_tokens: self.cached_content_token_count.unwrap_or(0),
        }
    }
}

/// A string borrowed from the input when it has no escapes, else owned.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

struct FastPart<'a> {
    text: Option<Cow<'a, str>>,
    thought: Option<bool>,
    signature: Option<Cow<'a, str>>,
    function_call: Option<Value>,
    keys: usize,
}

impl<'de: 'a, 'a> Deserialize<'de> for FastPart<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PartVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for PartVisitor<'a> {
            type Value = FastPart<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a part object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<FastPart<'a>, M::Error> {
                let mut p = FastPart { text: None, thought: None, signature: None, function_call: None, keys: 0 };
                while let Some(Text(key)) = m.next_key::<Text<'de>>()? {
                    p.keys += 1;
                    match key.as_ref() {
                        "text" => p.text = m.next_value::<Option<Text<'de>>>()?.map(|t| t.0),
                        "thought" => p.thought = m.next_value::<Option<bool>>()?,
                        "thoughtSignature" => p.signature = m.next_value::<Option<Text<'de>>>()?.map(|t| t.0),
                        "functionCall" => p.function_call = Some(m.next_value::<Value>()?),
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(p)
            }
        }
        d.deserialize_map(PartVisitor(std::marker::PhantomData))
    }
}

/// Decode a chunk of a common shape without building a `Value`; `None`: use the general path.
pub(crate) fn parse_fast(data: &[u8]) -> Option<FastChunk<'_>> {
    // serde would also accept the structs' array form; only objects take this path.
    if data.first() != Some(&b'{') {
        return None;
    }
    let chunk: FastChunk<'_> = serde_json::from_slice(data).ok()?;
    chunk.error.is_none().then_some(chunk)
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
        self.on_part_view(
            PartView {
                text: p.get("text").and_then(Value::as_str),
                thought: p.get("thought").and_then(Value::as_bool),
                signature: p.get("thoughtSignature").and_then(Value::as_str),
                function_call: p.get("functionCall").and_then(Value::as_object),
                keys: p.len(),
            },
            out,
        );
    }

    /// Process one chunk decoded by [`parse_fast`] (same rules as [`TurnState::on_chunk`]).
    pub(crate) fn on_fast_chunk(&mut self, chunk: FastChunk<'_>, out: &mut Vec<GeminiEvent>) {
        if let Some(candidate) = chunk.candidates.as_ref().and_then(|c| c.iter().find(|c| c.index.unwrap_or(0) == 0)) {
            if let Some(parts) = candidate.content.as_ref().and_then(|c| c.parts.as_ref()) {
                for p in parts {
                    self.on_part_view(
                        PartView {
                            text: p.text.as_deref(),
                            thought: p.thought,
                            signature: p.signature.as_deref(),
                            function_call: p.function_call.as_ref().and_then(Value::as_object),
                            keys: p.keys,
                        },
                        out,
                    );
                }
            }
            if let Some(reason) = candidate.finish_reason.as_deref() {
                if !reason.is_empty() {
                    self.finish_reason = Some(reason.to_string());
                }
            }
        }
        if let Some(reason) = chunk.prompt_feedback.as_ref().and_then(|f| f.get("blockReason")).and_then(Value::as_str) {
            if !reason.is_empty() && reason != "BLOCK_REASON_UNSPECIFIED" {
                self.block_reason = Some(reason.to_string());
            }
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u.into_usage());
        }
    }

    fn on_part_view(&mut self, p: PartView<'_>, out: &mut Vec<GeminiEvent>) {
        let signature = p.signature.filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(fc) = p.function_call {
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
        let text = p.text;
        if p.thought == Some(true) {
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
        if text.is_some() || p.keys == 1 {
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

    /// The fast decoder and the general `Value` path must agree on every chunk the fast one takes.
    #[test]
    fn fast_decoder_matches_the_general_path() {
        let chunks = [
            json!({"candidates": [{"content": {"parts": [{"text": "Hello"}], "role": "model"}, "index": 0}], "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4}, "modelVersion": "m", "responseId": "r"}),
            json!({"candidates": [{"content": {"parts": [{"text": "line\nwith \"escapes\" and é"}]}}]}),
            json!({"candidates": [{"content": {"parts": [{"text": "hmm", "thought": true}, {"text": "", "thoughtSignature": "sig-a"}]}}]}),
            json!({"candidates": [{"content": {"parts": [{"thoughtSignature": "sig-b"}]}}]}),
            json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {"x": 1}, "id": "c1"}, "thoughtSignature": "sig-c"}]}, "finishReason": "STOP"}]}),
            json!({"candidates": [{"index": 1, "content": {"parts": [{"text": "other"}]}}, {"index": 0, "content": {"parts": [{"text": "mine"}]}, "finishReason": "MAX_TOKENS"}]}),
            json!({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 5, "thoughtsTokenCount": 2, "toolUsePromptTokenCount": 1, "cachedContentTokenCount": 4}}),
            json!({"candidates": [{"content": {"parts": [{"text": "a", "inlineData": {"mimeType": "x", "data": "y"}}]}, "safetyRatings": [{"category": "c"}]}]}),
        ];
        for chunk in chunks {
            let text = chunk.to_string();
            let fast = parse_fast(text.as_bytes()).expect("fast decoder takes this chunk");
            let (mut a, mut b) = (TurnState::new(ThoughtSignatures::default()), TurnState::new(ThoughtSignatures::default()));
            let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
            a.on_chunk(&chunk, &mut out_a).unwrap();
            b.on_fast_chunk(fast, &mut out_b);
            // Function-call ids minted for calls without one differ; these all carry ids.
            assert_eq!(out_a, out_b, "{text}");
            assert_eq!(format!("{:?}", a.finish()), format!("{:?}", b.finish()), "{text}");
        }
        // In-band errors and odd shapes go the general way.
        assert!(parse_fast(br#"{"error": {"code": 500, "message": "x"}}"#).is_none());
        assert!(parse_fast(br#"[{"candidates": []}]"#).is_none());
        assert!(parse_fast(br#"{"candidates": [{"content": {"parts": [{"text": 5}]}}]}"#).is_none());
    }

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
