//! AG-UI events (protocol spec §8): one Rust type per event kind, serialised as the compact JSON
//! the 1.74 client expects (`type` first, camelCase fields, absent optionals omitted), plus a
//! tolerant decoder for events produced by user agents.
//!
//! Every event struct carries an `extra` map, flattened on the wire after the typed fields: it
//! holds the base fields (`timestamp`, `rawEvent`, `metadata`), `subagentRunId` and any unknown
//! passthrough key, so nothing an agent sends is lost.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::Usage;

/// Passthrough fields of an event (base fields and unknown keys), in arrival order.
pub type Extra = Map<String, Value>;

/// One AG-UI event.
///
/// [`AguiEvent::Fault`] is not a wire event: an agent yields it when it fails (the equivalent of a
/// JS agent throwing). The run pipeline then closes open messages / tool calls and ends the run
/// with `RUN_ERROR{code:"INCOMPLETE_STREAM"}` carrying the fault message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum AguiEvent {
    #[serde(rename = "RUN_STARTED")]
    RunStarted(RunStarted),
    #[serde(rename = "RUN_FINISHED")]
    RunFinished(RunFinished),
    #[serde(rename = "RUN_ERROR")]
    RunError(RunError),
    #[serde(rename = "STEP_STARTED")]
    StepStarted(Step),
    #[serde(rename = "STEP_FINISHED")]
    StepFinished(Step),
    #[serde(rename = "TEXT_MESSAGE_START")]
    TextMessageStart(TextMessageStart),
    #[serde(rename = "TEXT_MESSAGE_CONTENT")]
    TextMessageContent(MessageDelta),
    #[serde(rename = "TEXT_MESSAGE_END")]
    TextMessageEnd(MessageRef),
    #[serde(rename = "TEXT_MESSAGE_CHUNK")]
    TextMessageChunk(TextMessageChunk),
    #[serde(rename = "TOOL_CALL_START")]
    ToolCallStart(ToolCallStart),
    #[serde(rename = "TOOL_CALL_ARGS")]
    ToolCallArgs(ToolCallArgs),
    #[serde(rename = "TOOL_CALL_END")]
    ToolCallEnd(ToolCallRef),
    #[serde(rename = "TOOL_CALL_CHUNK")]
    ToolCallChunk(ToolCallChunk),
    #[serde(rename = "TOOL_CALL_RESULT")]
    ToolCallResult(ToolCallResult),
    #[serde(rename = "STATE_SNAPSHOT")]
    StateSnapshot(StateSnapshot),
    #[serde(rename = "STATE_DELTA")]
    StateDelta(StateDelta),
    #[serde(rename = "MESSAGES_SNAPSHOT")]
    MessagesSnapshot(MessagesSnapshot),
    #[serde(rename = "ACTIVITY_SNAPSHOT")]
    ActivitySnapshot(ActivitySnapshot),
    #[serde(rename = "ACTIVITY_DELTA")]
    ActivityDelta(ActivityDelta),
    #[serde(rename = "REASONING_START")]
    ReasoningStart(MessageRef),
    #[serde(rename = "REASONING_END")]
    ReasoningEnd(MessageRef),
    #[serde(rename = "REASONING_MESSAGE_START")]
    ReasoningMessageStart(ReasoningMessageStart),
    #[serde(rename = "REASONING_MESSAGE_CONTENT")]
    ReasoningMessageContent(MessageDelta),
    #[serde(rename = "REASONING_MESSAGE_END")]
    ReasoningMessageEnd(MessageRef),
    #[serde(rename = "REASONING_MESSAGE_CHUNK")]
    ReasoningMessageChunk(ReasoningMessageChunk),
    #[serde(rename = "REASONING_ENCRYPTED_VALUE")]
    ReasoningEncryptedValue(ReasoningEncryptedValue),
    #[serde(rename = "CUSTOM")]
    Custom(Custom),
    #[serde(rename = "RAW")]
    Raw(Raw),
    #[serde(rename = "SUBAGENT_STARTED")]
    SubagentStarted(Subagent),
    #[serde(rename = "SUBAGENT_FINISHED")]
    SubagentFinished(Subagent),
    #[serde(rename = "SUBAGENT_ERROR")]
    SubagentError(Subagent),
    #[serde(rename = "THINKING_START")]
    ThinkingStart(ThinkingStart),
    #[serde(rename = "THINKING_END")]
    ThinkingEnd(Bare),
    #[serde(rename = "THINKING_TEXT_MESSAGE_START")]
    ThinkingTextMessageStart(Bare),
    #[serde(rename = "THINKING_TEXT_MESSAGE_CONTENT")]
    ThinkingTextMessageContent(ThinkingContent),
    #[serde(rename = "THINKING_TEXT_MESSAGE_END")]
    ThinkingTextMessageEnd(Bare),
    /// Not a wire event: the agent failed with this message (see the type's documentation).
    #[serde(skip)]
    Fault(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStarted {
    pub thread_id: String,
    pub run_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_run_id: Option<String>,
    /// The run's `RunAgentInput` (JSON); the handler fills it in when the agent leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of `RUN_FINISHED.usage` / `RUN_ERROR.usage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_input_tokens: Option<u64>,
}

impl TokenUsage {
    /// The entry the BuiltInAgent reports: every count present.
    pub fn from_usage(provider: &str, model: &str, usage: &Usage) -> Self {
        TokenUsage {
            provider: Some(provider.to_string()),
            model: Some(model.to_string()),
            input_tokens: Some(usage.input_tokens),
            output_tokens: Some(usage.output_tokens),
            total_tokens: Some(usage.total_tokens),
            reasoning_tokens: Some(usage.reasoning_tokens),
            cached_input_tokens: Some(usage.cached_input_tokens),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFinished {
    pub thread_id: String,
    pub run_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// `{type:"success"}` or `{type:"interrupt", interrupts:[…]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Value>,
    /// Runtime extension: the unified finish reason (`stop`, `tool-calls`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Vec<TokenUsage>>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunError {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Runtime extension (the BuiltInAgent's upstream errors carry the run's ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Vec<TokenUsage>>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub step_name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextMessageStart {
    pub message_id: String,
    /// `assistant` (default), `developer`, `system` or `user`.
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for TextMessageStart {
    fn default() -> Self {
        TextMessageStart { message_id: String::new(), role: "assistant".into(), name: None, extra: Extra::new() }
    }
}

/// `TEXT_MESSAGE_CONTENT` / `REASONING_MESSAGE_CONTENT`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDelta {
    pub message_id: String,
    pub delta: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Events that only name a message: `TEXT_MESSAGE_END`, `REASONING_START/END`, `REASONING_MESSAGE_END`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRef {
    pub message_id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextMessageChunk {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Field order follows the BuiltInAgent's wire output (`parentMessageId` first).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallStart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_message_id: Option<String>,
    pub tool_call_id: String,
    pub tool_call_name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallArgs {
    pub tool_call_id: String,
    pub delta: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallRef {
    pub tool_call_id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallChunk {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallResult {
    pub message_id: String,
    pub tool_call_id: String,
    pub content: String,
    /// `"tool"` when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateSnapshot {
    pub snapshot: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateDelta {
    /// RFC 6902 operations.
    pub delta: Vec<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesSnapshot {
    /// AG-UI messages, as JSON.
    pub messages: Vec<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivitySnapshot {
    pub message_id: String,
    pub activity_type: String,
    pub content: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityDelta {
    pub message_id: String,
    pub activity_type: String,
    pub patch: Vec<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `REASONING_MESSAGE_START`; `role` is always `"reasoning"` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningMessageStart {
    pub message_id: String,
    pub role: String,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for ReasoningMessageStart {
    fn default() -> Self {
        ReasoningMessageStart { message_id: String::new(), role: "reasoning".into(), extra: Extra::new() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningMessageChunk {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningEncryptedValue {
    /// `tool-call` or `message`.
    pub subtype: String,
    pub entity_id: String,
    pub encrypted_value: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Custom {
    pub name: String,
    pub value: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Raw {
    pub event: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `SUBAGENT_*` events: only `subagentRunId` is typed, the rest passes through in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subagent {
    pub subagent_run_id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingStart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingContent {
    pub delta: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An event with no typed field besides `type`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bare {
    #[serde(flatten)]
    pub extra: Extra,
}

// ------------------------------------------------------------------------------------------------
// Convenience constructors and accessors
// ------------------------------------------------------------------------------------------------

impl AguiEvent {
    pub fn run_started(thread_id: impl Into<String>, run_id: impl Into<String>) -> Self {
        AguiEvent::RunStarted(RunStarted { thread_id: thread_id.into(), run_id: run_id.into(), ..Default::default() })
    }

    pub fn run_finished(thread_id: impl Into<String>, run_id: impl Into<String>) -> Self {
        AguiEvent::RunFinished(RunFinished { thread_id: thread_id.into(), run_id: run_id.into(), ..Default::default() })
    }

    pub fn run_error(message: impl Into<String>, code: Option<&str>) -> Self {
        AguiEvent::RunError(RunError { message: message.into(), code: code.map(str::to_string), ..Default::default() })
    }

    pub fn text_start(message_id: impl Into<String>) -> Self {
        AguiEvent::TextMessageStart(TextMessageStart { message_id: message_id.into(), ..Default::default() })
    }

    pub fn text_content(message_id: impl Into<String>, delta: impl Into<String>) -> Self {
        AguiEvent::TextMessageContent(MessageDelta {
            message_id: message_id.into(),
            delta: delta.into(),
            extra: Extra::new(),
        })
    }

    pub fn text_end(message_id: impl Into<String>) -> Self {
        AguiEvent::TextMessageEnd(MessageRef { message_id: message_id.into(), extra: Extra::new() })
    }

    pub fn tool_start(
        tool_call_id: impl Into<String>,
        tool_call_name: impl Into<String>,
        parent_message_id: Option<String>,
    ) -> Self {
        AguiEvent::ToolCallStart(ToolCallStart {
            parent_message_id,
            tool_call_id: tool_call_id.into(),
            tool_call_name: tool_call_name.into(),
            extra: Extra::new(),
        })
    }

    pub fn tool_args(tool_call_id: impl Into<String>, delta: impl Into<String>) -> Self {
        AguiEvent::ToolCallArgs(ToolCallArgs { tool_call_id: tool_call_id.into(), delta: delta.into(), extra: Extra::new() })
    }

    pub fn tool_end(tool_call_id: impl Into<String>) -> Self {
        AguiEvent::ToolCallEnd(ToolCallRef { tool_call_id: tool_call_id.into(), extra: Extra::new() })
    }

    pub fn tool_result(
        message_id: impl Into<String>,
        tool_call_id: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        AguiEvent::ToolCallResult(ToolCallResult {
            message_id: message_id.into(),
            tool_call_id: tool_call_id.into(),
            content: content.into(),
            role: Some("tool".into()),
            extra: Extra::new(),
        })
    }

    pub fn state_snapshot(snapshot: Value) -> Self {
        AguiEvent::StateSnapshot(StateSnapshot { snapshot, extra: Extra::new() })
    }

    pub fn state_delta(delta: Vec<Value>) -> Self {
        AguiEvent::StateDelta(StateDelta { delta, extra: Extra::new() })
    }

    /// The wire `type` string.
    pub fn type_name(&self) -> &'static str {
        match self {
            AguiEvent::RunStarted(_) => "RUN_STARTED",
            AguiEvent::RunFinished(_) => "RUN_FINISHED",
            AguiEvent::RunError(_) => "RUN_ERROR",
            AguiEvent::StepStarted(_) => "STEP_STARTED",
            AguiEvent::StepFinished(_) => "STEP_FINISHED",
            AguiEvent::TextMessageStart(_) => "TEXT_MESSAGE_START",
            AguiEvent::TextMessageContent(_) => "TEXT_MESSAGE_CONTENT",
            AguiEvent::TextMessageEnd(_) => "TEXT_MESSAGE_END",
            AguiEvent::TextMessageChunk(_) => "TEXT_MESSAGE_CHUNK",
            AguiEvent::ToolCallStart(_) => "TOOL_CALL_START",
            AguiEvent::ToolCallArgs(_) => "TOOL_CALL_ARGS",
            AguiEvent::ToolCallEnd(_) => "TOOL_CALL_END",
            AguiEvent::ToolCallChunk(_) => "TOOL_CALL_CHUNK",
            AguiEvent::ToolCallResult(_) => "TOOL_CALL_RESULT",
            AguiEvent::StateSnapshot(_) => "STATE_SNAPSHOT",
            AguiEvent::StateDelta(_) => "STATE_DELTA",
            AguiEvent::MessagesSnapshot(_) => "MESSAGES_SNAPSHOT",
            AguiEvent::ActivitySnapshot(_) => "ACTIVITY_SNAPSHOT",
            AguiEvent::ActivityDelta(_) => "ACTIVITY_DELTA",
            AguiEvent::ReasoningStart(_) => "REASONING_START",
            AguiEvent::ReasoningEnd(_) => "REASONING_END",
            AguiEvent::ReasoningMessageStart(_) => "REASONING_MESSAGE_START",
            AguiEvent::ReasoningMessageContent(_) => "REASONING_MESSAGE_CONTENT",
            AguiEvent::ReasoningMessageEnd(_) => "REASONING_MESSAGE_END",
            AguiEvent::ReasoningMessageChunk(_) => "REASONING_MESSAGE_CHUNK",
            AguiEvent::ReasoningEncryptedValue(_) => "REASONING_ENCRYPTED_VALUE",
            AguiEvent::Custom(_) => "CUSTOM",
            AguiEvent::Raw(_) => "RAW",
            AguiEvent::SubagentStarted(_) => "SUBAGENT_STARTED",
            AguiEvent::SubagentFinished(_) => "SUBAGENT_FINISHED",
            AguiEvent::SubagentError(_) => "SUBAGENT_ERROR",
            AguiEvent::ThinkingStart(_) => "THINKING_START",
            AguiEvent::ThinkingEnd(_) => "THINKING_END",
            AguiEvent::ThinkingTextMessageStart(_) => "THINKING_TEXT_MESSAGE_START",
            AguiEvent::ThinkingTextMessageContent(_) => "THINKING_TEXT_MESSAGE_CONTENT",
            AguiEvent::ThinkingTextMessageEnd(_) => "THINKING_TEXT_MESSAGE_END",
            AguiEvent::Fault(_) => "FAULT",
        }
    }

    /// The event's `messageId`, when it has one (the key the runner uses to de-duplicate replays).
    pub fn message_id(&self) -> Option<&str> {
        match self {
            AguiEvent::TextMessageStart(e) => Some(&e.message_id),
            AguiEvent::TextMessageContent(e) | AguiEvent::ReasoningMessageContent(e) => Some(&e.message_id),
            AguiEvent::TextMessageEnd(e)
            | AguiEvent::ReasoningStart(e)
            | AguiEvent::ReasoningEnd(e)
            | AguiEvent::ReasoningMessageEnd(e) => Some(&e.message_id),
            AguiEvent::TextMessageChunk(e) => e.message_id.as_deref(),
            AguiEvent::ToolCallResult(e) => Some(&e.message_id),
            AguiEvent::ActivitySnapshot(e) => Some(&e.message_id),
            AguiEvent::ActivityDelta(e) => Some(&e.message_id),
            AguiEvent::ReasoningMessageStart(e) => Some(&e.message_id),
            AguiEvent::ReasoningMessageChunk(e) => e.message_id.as_deref(),
            _ => None,
        }
    }

    /// `RUN_FINISHED` or `RUN_ERROR`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, AguiEvent::RunFinished(_) | AguiEvent::RunError(_))
    }

    /// The passthrough map (base fields and unknown keys), if the event has one.
    pub fn extra(&self) -> Option<&Extra> {
        Some(match self {
            AguiEvent::RunStarted(e) => &e.extra,
            AguiEvent::RunFinished(e) => &e.extra,
            AguiEvent::RunError(e) => &e.extra,
            AguiEvent::StepStarted(e) | AguiEvent::StepFinished(e) => &e.extra,
            AguiEvent::TextMessageStart(e) => &e.extra,
            AguiEvent::TextMessageContent(e) | AguiEvent::ReasoningMessageContent(e) => &e.extra,
            AguiEvent::TextMessageEnd(e)
            | AguiEvent::ReasoningStart(e)
            | AguiEvent::ReasoningEnd(e)
            | AguiEvent::ReasoningMessageEnd(e) => &e.extra,
            AguiEvent::TextMessageChunk(e) => &e.extra,
            AguiEvent::ToolCallStart(e) => &e.extra,
            AguiEvent::ToolCallArgs(e) => &e.extra,
            AguiEvent::ToolCallEnd(e) => &e.extra,
            AguiEvent::ToolCallChunk(e) => &e.extra,
            AguiEvent::ToolCallResult(e) => &e.extra,
            AguiEvent::StateSnapshot(e) => &e.extra,
            AguiEvent::StateDelta(e) => &e.extra,
            AguiEvent::MessagesSnapshot(e) => &e.extra,
            AguiEvent::ActivitySnapshot(e) => &e.extra,
            AguiEvent::ActivityDelta(e) => &e.extra,
            AguiEvent::ReasoningMessageStart(e) => &e.extra,
            AguiEvent::ReasoningMessageChunk(e) => &e.extra,
            AguiEvent::ReasoningEncryptedValue(e) => &e.extra,
            AguiEvent::Custom(e) => &e.extra,
            AguiEvent::Raw(e) => &e.extra,
            AguiEvent::SubagentStarted(e) | AguiEvent::SubagentFinished(e) | AguiEvent::SubagentError(e) => &e.extra,
            AguiEvent::ThinkingStart(e) => &e.extra,
            AguiEvent::ThinkingTextMessageContent(e) => &e.extra,
            AguiEvent::ThinkingEnd(e) | AguiEvent::ThinkingTextMessageStart(e) | AguiEvent::ThinkingTextMessageEnd(e) => {
                &e.extra
            }
            AguiEvent::Fault(_) => return None,
        })
    }

    /// The event's `metadata` object, if any.
    pub fn metadata(&self) -> Option<&Value> {
        self.extra().and_then(|x| x.get("metadata"))
    }

    /// Compact JSON of the event (`type` first). A [`AguiEvent::Fault`] has no wire form and is
    /// rendered as the `RUN_ERROR` it stands for.
    pub fn to_json_string(&self) -> String {
        match self {
            AguiEvent::Fault(message) => serde_json::to_string(&AguiEvent::run_error(message.clone(), Some("INCOMPLETE_STREAM")))
                .unwrap_or_else(|_| r#"{"type":"RUN_ERROR","message":"internal error"}"#.to_string()),
            _ => serde_json::to_string(self)
                .unwrap_or_else(|_| r#"{"type":"RUN_ERROR","message":"internal error"}"#.to_string()),
        }
    }

    /// [`to_json_string`](Self::to_json_string) appended to `out`, without an intermediate string.
    pub fn write_json(&self, out: &mut bytes::BytesMut) {
        use bytes::BufMut;
        let start = out.len();
        let written = match self {
            AguiEvent::Fault(message) => serde_json::to_writer((&mut *out).writer(), &AguiEvent::run_error(message.clone(), Some("INCOMPLETE_STREAM"))),
            _ => serde_json::to_writer((&mut *out).writer(), self),
        };
        if written.is_err() {
            out.truncate(start);
            out.extend_from_slice(br#"{"type":"RUN_ERROR","message":"internal error"}"#);
        }
    }

    /// The event as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.to_json_string()).unwrap_or(Value::Null)
    }

    /// Decode an event sent by a user agent (JSON text).
    pub fn from_json_str(text: &str) -> Result<AguiEvent, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("Invalid event JSON: {e}"))?;
        AguiEvent::from_value(value)
    }

    /// Tolerant decoder for events produced by user agents: validates the required fields of the
    /// event's type (as the AG-UI schema does), keeps every unknown key in `extra`, treats a `null`
    /// `parentMessageId` / `outcome` as absent and defaults `TEXT_MESSAGE_START.role` to
    /// `assistant`.
    pub fn from_value(value: Value) -> Result<AguiEvent, String> {
        let map = match value {
            Value::Object(m) => m,
            other => return Err(format!("Invalid event: expected an object, got {}", json_kind(&other))),
        };
        let mut o = Fields::new(map)?;
        let ev = match o.ty.as_str() {
            "RUN_STARTED" => AguiEvent::RunStarted(RunStarted {
                thread_id: o.req_str("threadId")?,
                run_id: o.req_str("runId")?,
                parent_run_id: o.opt_str("parentRunId")?,
                input: o.opt_object("input")?,
                extra: o.finish()?,
            }),
            "RUN_FINISHED" => AguiEvent::RunFinished(RunFinished {
                thread_id: o.req_str("threadId")?,
                run_id: o.req_str("runId")?,
                result: o.opt_any("result"),
                outcome: o.opt_outcome()?,
                finish_reason: o.opt_str("finishReason")?,
                usage: o.opt_usage()?,
                extra: o.finish()?,
            }),
            "RUN_ERROR" => AguiEvent::RunError(RunError {
                message: o.req_str("message")?,
                code: o.opt_str("code")?,
                thread_id: o.opt_str("threadId")?,
                run_id: o.opt_str("runId")?,
                usage: o.opt_usage()?,
                extra: o.finish()?,
            }),
            "STEP_STARTED" => AguiEvent::StepStarted(Step { step_name: o.req_str("stepName")?, extra: o.finish()? }),
            "STEP_FINISHED" => AguiEvent::StepFinished(Step { step_name: o.req_str("stepName")?, extra: o.finish()? }),
            "TEXT_MESSAGE_START" => {
                let message_id = o.req_str("messageId")?;
                let role = o.opt_str("role")?.unwrap_or_else(|| "assistant".into());
                if !matches!(role.as_str(), "developer" | "system" | "assistant" | "user") {
                    return Err(o.err(&format!("invalid role '{role}'")));
                }
                AguiEvent::TextMessageStart(TextMessageStart { message_id, role, name: o.opt_str("name")?, extra: o.finish()? })
            }
            "TEXT_MESSAGE_CONTENT" => AguiEvent::TextMessageContent(MessageDelta {
                message_id: o.req_str("messageId")?,
                delta: o.req_str("delta")?,
                extra: o.finish()?,
            }),
            "TEXT_MESSAGE_END" => AguiEvent::TextMessageEnd(MessageRef { message_id: o.req_str("messageId")?, extra: o.finish()? }),
            "TEXT_MESSAGE_CHUNK" => {
                let message_id = o.opt_str("messageId")?;
                let role = o.opt_str("role")?;
                if let Some(r) = &role {
                    if !matches!(r.as_str(), "developer" | "system" | "assistant" | "user") {
                        return Err(o.err(&format!("invalid role '{r}'")));
                    }
                }
                AguiEvent::TextMessageChunk(TextMessageChunk {
                    message_id,
                    role,
                    delta: o.opt_str("delta")?,
                    name: o.opt_str("name")?,
                    extra: o.finish()?,
                })
            }
            "TOOL_CALL_START" => {
                let tool_call_id = o.req_str("toolCallId")?;
                let tool_call_name = o.req_str("toolCallName")?;
                let parent_message_id = o.opt_str_nullable("parentMessageId")?;
                AguiEvent::ToolCallStart(ToolCallStart { parent_message_id, tool_call_id, tool_call_name, extra: o.finish()? })
            }
            "TOOL_CALL_ARGS" => AguiEvent::ToolCallArgs(ToolCallArgs {
                tool_call_id: o.req_str("toolCallId")?,
                delta: o.req_str("delta")?,
                extra: o.finish()?,
            }),
            "TOOL_CALL_END" => AguiEvent::ToolCallEnd(ToolCallRef { tool_call_id: o.req_str("toolCallId")?, extra: o.finish()? }),
            "TOOL_CALL_CHUNK" => AguiEvent::ToolCallChunk(ToolCallChunk {
                tool_call_id: o.opt_str("toolCallId")?,
                tool_call_name: o.opt_str("toolCallName")?,
                parent_message_id: o.opt_str_nullable("parentMessageId")?,
                delta: o.opt_str("delta")?,
                extra: o.finish()?,
            }),
            "TOOL_CALL_RESULT" => {
                let message_id = o.req_str("messageId")?;
                let tool_call_id = o.req_str("toolCallId")?;
                let content = o.req_str("content")?;
                let role = o.opt_str("role")?;
                if role.as_deref().is_some_and(|r| r != "tool") {
                    return Err(o.err("role must be 'tool'"));
                }
                AguiEvent::ToolCallResult(ToolCallResult { message_id, tool_call_id, content, role, extra: o.finish()? })
            }
            "STATE_SNAPSHOT" => AguiEvent::StateSnapshot(StateSnapshot {
                snapshot: o.opt_any("snapshot").unwrap_or(Value::Null),
                extra: o.finish()?,
            }),
            "STATE_DELTA" => AguiEvent::StateDelta(StateDelta { delta: o.req_array("delta")?, extra: o.finish()? }),
            "MESSAGES_SNAPSHOT" => {
                let messages = o.req_array("messages")?;
                for (i, m) in messages.iter().enumerate() {
                    let ok = m.as_object().is_some_and(|m| {
                        m.get("id").is_some_and(Value::is_string) && m.get("role").is_some_and(Value::is_string)
                    });
                    if !ok {
                        return Err(o.err(&format!("messages[{i}] must be a message with string id and role")));
                    }
                }
                AguiEvent::MessagesSnapshot(MessagesSnapshot { messages, extra: o.finish()? })
            }
            "ACTIVITY_SNAPSHOT" => AguiEvent::ActivitySnapshot(ActivitySnapshot {
                message_id: o.req_str("messageId")?,
                activity_type: o.req_str("activityType")?,
                content: o.req_object("content")?,
                replace: o.opt_bool("replace")?,
                extra: o.finish()?,
            }),
            "ACTIVITY_DELTA" => AguiEvent::ActivityDelta(ActivityDelta {
                message_id: o.req_str("messageId")?,
                activity_type: o.req_str("activityType")?,
                patch: o.req_array("patch")?,
                extra: o.finish()?,
            }),
            "REASONING_START" => AguiEvent::ReasoningStart(MessageRef { message_id: o.req_str("messageId")?, extra: o.finish()? }),
            "REASONING_END" => AguiEvent::ReasoningEnd(MessageRef { message_id: o.req_str("messageId")?, extra: o.finish()? }),
            "REASONING_MESSAGE_START" => {
                let message_id = o.req_str("messageId")?;
                let role = o.opt_str("role")?.unwrap_or_else(|| "reasoning".into());
                if role != "reasoning" {
                    return Err(o.err("role must be 'reasoning'"));
                }
                AguiEvent::ReasoningMessageStart(ReasoningMessageStart { message_id, role, extra: o.finish()? })
            }
            "REASONING_MESSAGE_CONTENT" => AguiEvent::ReasoningMessageContent(MessageDelta {
                message_id: o.req_str("messageId")?,
                delta: o.req_str("delta")?,
                extra: o.finish()?,
            }),
            "REASONING_MESSAGE_END" => {
                AguiEvent::ReasoningMessageEnd(MessageRef { message_id: o.req_str("messageId")?, extra: o.finish()? })
            }
            "REASONING_MESSAGE_CHUNK" => AguiEvent::ReasoningMessageChunk(ReasoningMessageChunk {
                message_id: o.opt_str("messageId")?,
                delta: o.opt_str("delta")?,
                extra: o.finish()?,
            }),
            "REASONING_ENCRYPTED_VALUE" => {
                let subtype = o.req_str("subtype")?;
                if subtype != "tool-call" && subtype != "message" {
                    return Err(o.err("subtype must be 'tool-call' or 'message'"));
                }
                AguiEvent::ReasoningEncryptedValue(ReasoningEncryptedValue {
                    subtype,
                    entity_id: o.req_str("entityId")?,
                    encrypted_value: o.req_str("encryptedValue")?,
                    extra: o.finish()?,
                })
            }
            "CUSTOM" => AguiEvent::Custom(Custom {
                name: o.req_str("name")?,
                value: o.opt_any("value").unwrap_or(Value::Null),
                extra: o.finish()?,
            }),
            "RAW" => AguiEvent::Raw(Raw {
                event: o.opt_any("event").unwrap_or(Value::Null),
                source: o.opt_str("source")?,
                extra: o.finish()?,
            }),
            "SUBAGENT_STARTED" => AguiEvent::SubagentStarted(Subagent { subagent_run_id: o.req_str("subagentRunId")?, extra: o.finish()? }),
            "SUBAGENT_FINISHED" => AguiEvent::SubagentFinished(Subagent { subagent_run_id: o.req_str("subagentRunId")?, extra: o.finish()? }),
            "SUBAGENT_ERROR" => AguiEvent::SubagentError(Subagent { subagent_run_id: o.req_str("subagentRunId")?, extra: o.finish()? }),
            "THINKING_START" => AguiEvent::ThinkingStart(ThinkingStart { title: o.opt_str("title")?, extra: o.finish()? }),
            "THINKING_END" => AguiEvent::ThinkingEnd(Bare { extra: o.finish()? }),
            "THINKING_TEXT_MESSAGE_START" => AguiEvent::ThinkingTextMessageStart(Bare { extra: o.finish()? }),
            "THINKING_TEXT_MESSAGE_CONTENT" => {
                AguiEvent::ThinkingTextMessageContent(ThinkingContent { delta: o.req_str("delta")?, extra: o.finish()? })
            }
            "THINKING_TEXT_MESSAGE_END" => AguiEvent::ThinkingTextMessageEnd(Bare { extra: o.finish()? }),
            other => return Err(format!("Invalid event: unknown event type '{other}'")),
        };
        Ok(ev)
    }
}

impl<'de> serde::Deserialize<'de> for AguiEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        AguiEvent::from_value(value).map_err(serde::de::Error::custom)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Field extraction with the error messages of the tolerant decoder.
struct Fields {
    ty: String,
    map: Map<String, Value>,
}

impl Fields {
    fn new(mut map: Map<String, Value>) -> Result<Self, String> {
        let ty = match map.shift_remove("type") {
            Some(Value::String(s)) => s,
            Some(other) => return Err(format!("Invalid event: 'type' must be a string, got {}", json_kind(&other))),
            None => return Err("Invalid event: missing 'type'".to_string()),
        };
        Ok(Fields { ty, map })
    }

    fn err(&self, what: &str) -> String {
        format!("Invalid {} event: {what}", self.ty)
    }

    fn req_str(&mut self, key: &str) -> Result<String, String> {
        match self.map.shift_remove(key) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(self.err(&format!("'{key}' must be a string, got {}", json_kind(&other)))),
            None => Err(self.err(&format!("missing required string '{key}'"))),
        }
    }

    fn opt_str(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.map.shift_remove(key) {
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.err(&format!("'{key}' must be a string, got {}", json_kind(&other)))),
            None => Ok(None),
        }
    }

    fn opt_str_nullable(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.map.shift_remove(key) {
            Some(Value::Null) | None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.err(&format!("'{key}' must be a string, got {}", json_kind(&other)))),
        }
    }

    fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, String> {
        match self.map.shift_remove(key) {
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.err(&format!("'{key}' must be a boolean, got {}", json_kind(&other)))),
            None => Ok(None),
        }
    }

    fn opt_any(&mut self, key: &str) -> Option<Value> {
        self.map.shift_remove(key)
    }

    fn opt_object(&mut self, key: &str) -> Result<Option<Value>, String> {
        match self.map.shift_remove(key) {
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(other) => Err(self.err(&format!("'{key}' must be an object, got {}", json_kind(&other)))),
            None => Ok(None),
        }
    }

    fn req_object(&mut self, key: &str) -> Result<Value, String> {
        match self.map.shift_remove(key) {
            Some(v @ Value::Object(_)) => Ok(v),
            Some(other) => Err(self.err(&format!("'{key}' must be an object, got {}", json_kind(&other)))),
            None => Err(self.err(&format!("missing required object '{key}'"))),
        }
    }

    fn req_array(&mut self, key: &str) -> Result<Vec<Value>, String> {
        match self.map.shift_remove(key) {
            Some(Value::Array(a)) => Ok(a),
            Some(other) => Err(self.err(&format!("'{key}' must be an array, got {}", json_kind(&other)))),
            None => Err(self.err(&format!("missing required array '{key}'"))),
        }
    }

    fn opt_outcome(&mut self) -> Result<Option<Value>, String> {
        match self.map.shift_remove("outcome") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let kind = v.get("type").and_then(Value::as_str);
                match kind {
                    Some("success") => Ok(Some(v)),
                    Some("interrupt") => {
                        let ok = v
                            .get("interrupts")
                            .and_then(Value::as_array)
                            .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_object));
                        if ok {
                            Ok(Some(v))
                        } else {
                            Err(self.err("outcome.interrupts must be a non-empty array of interrupts"))
                        }
                    }
                    _ => Err(self.err("outcome.type must be 'success' or 'interrupt'")),
                }
            }
        }
    }

    fn opt_usage(&mut self) -> Result<Option<Vec<TokenUsage>>, String> {
        let arr = match self.map.shift_remove("usage") {
            None => return Ok(None),
            Some(Value::Array(a)) => a,
            Some(other) => return Err(self.err(&format!("'usage' must be an array, got {}", json_kind(&other)))),
        };
        let mut out = Vec::with_capacity(arr.len());
        for entry in arr {
            let m = match entry {
                Value::Object(m) => m,
                other => return Err(self.err(&format!("usage entries must be objects, got {}", json_kind(&other)))),
            };
            let s = |k: &str| -> Result<Option<String>, String> {
                match m.get(k) {
                    None => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(_) => Err(format!("usage.{k} must be a string")),
                }
            };
            let n = |k: &str| -> Result<Option<u64>, String> {
                match m.get(k) {
                    None => Ok(None),
                    Some(v) => v.as_u64().map(Some).ok_or_else(|| format!("usage.{k} must be a non-negative integer")),
                }
            };
            let usage = (|| -> Result<TokenUsage, String> {
                Ok(TokenUsage {
                    provider: s("provider")?,
                    model: s("model")?,
                    input_tokens: n("inputTokens")?,
                    output_tokens: n("outputTokens")?,
                    total_tokens: n("totalTokens")?,
                    reasoning_tokens: n("reasoningTokens")?,
                    cached_input_tokens: n("cachedInputTokens")?,
                })
            })()
            .map_err(|e| self.err(&e))?;
            out.push(usage);
        }
        Ok(Some(out))
    }

    /// Validate the base fields and return what is left as passthrough.
    fn finish(&mut self) -> Result<Extra, String> {
        if let Some(ts) = self.map.get("timestamp") {
            if !ts.is_number() {
                return Err(self.err("'timestamp' must be a number"));
            }
        }
        if let Some(md) = self.map.get("metadata") {
            if !md.is_object() {
                return Err(self.err("'metadata' must be an object"));
            }
        }
        if let Some(sub) = self.map.get("subagentRunId") {
            if !sub.is_string() {
                return Err(self.err("'subagentRunId' must be a string"));
            }
        }
        Ok(std::mem::take(&mut self.map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_type_first_with_camel_case_fields() {
        let ev = AguiEvent::text_content("M", "Hello");
        assert_eq!(ev.to_json_string(), r#"{"type":"TEXT_MESSAGE_CONTENT","messageId":"M","delta":"Hello"}"#);
        let ev = AguiEvent::text_start("M");
        assert_eq!(ev.to_json_string(), r#"{"type":"TEXT_MESSAGE_START","messageId":"M","role":"assistant"}"#);
        let ev = AguiEvent::tool_start("tc", "getWeather", Some("P".into()));
        assert_eq!(
            ev.to_json_string(),
            r#"{"type":"TOOL_CALL_START","parentMessageId":"P","toolCallId":"tc","toolCallName":"getWeather"}"#
        );
    }

    #[test]
    fn streamed_json_matches_the_string_form() {
        let events = vec![
            AguiEvent::text_content("M", "Hello \"quoted\" \u{1F600}\n"),
            AguiEvent::tool_start("tc", "getWeather", Some("P".into())),
            AguiEvent::run_error("boom".to_string(), Some("X")),
            AguiEvent::Fault("upstream cut".into()),
        ];
        for ev in &events {
            let mut out = bytes::BytesMut::from(&b"prefix"[..]);
            ev.write_json(&mut out);
            assert_eq!(&out[6..], ev.to_json_string().as_bytes());
        }
    }

    #[test]
    fn run_finished_with_reason_and_usage_matches_capture() {
        let usage = Usage { input_tokens: 12, output_tokens: 3, total_tokens: 15, reasoning_tokens: 0, cached_input_tokens: 0 };
        let ev = AguiEvent::RunFinished(RunFinished {
            thread_id: "T".into(),
            run_id: "R".into(),
            finish_reason: Some("stop".into()),
            usage: Some(vec![TokenUsage::from_usage("google.generative-ai", "gemini-2.5-flash", &usage)]),
            ..Default::default()
        });
        assert_eq!(
            ev.to_json_string(),
            r#"{"type":"RUN_FINISHED","threadId":"T","runId":"R","finishReason":"stop","usage":[{"provider":"google.generative-ai","model":"gemini-2.5-flash","inputTokens":12,"outputTokens":3,"totalTokens":15,"reasoningTokens":0,"cachedInputTokens":0}]}"#
        );
        let err = AguiEvent::RunError(RunError {
            message: "boom".into(),
            thread_id: Some("T".into()),
            run_id: Some("R".into()),
            ..Default::default()
        });
        assert_eq!(err.to_json_string(), r#"{"type":"RUN_ERROR","message":"boom","threadId":"T","runId":"R"}"#);
    }

    #[test]
    fn extra_fields_pass_through_after_typed_fields() {
        let ev = AguiEvent::from_value(json!({"type":"CUSTOM","timestamp":5,"name":"progress","value":{"pct":50},"foo":1}))
            .unwrap();
        assert_eq!(ev.to_json_string(), r#"{"type":"CUSTOM","name":"progress","value":{"pct":50},"timestamp":5,"foo":1}"#);
    }

    #[test]
    fn decoder_round_trips_every_kind() {
        let samples = vec![
            json!({"type":"RUN_STARTED","threadId":"t","runId":"r","input":{"threadId":"t"}}),
            json!({"type":"RUN_FINISHED","threadId":"t","runId":"r","result":{"ok":true}}),
            json!({"type":"RUN_ERROR","message":"m","code":"C"}),
            json!({"type":"STEP_STARTED","stepName":"plan"}),
            json!({"type":"STEP_FINISHED","stepName":"plan"}),
            json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}),
            json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"x"}),
            json!({"type":"TEXT_MESSAGE_END","messageId":"m"}),
            json!({"type":"TEXT_MESSAGE_CHUNK","messageId":"m","delta":"x"}),
            json!({"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"n"}),
            json!({"type":"TOOL_CALL_ARGS","toolCallId":"c","delta":"{}"}),
            json!({"type":"TOOL_CALL_END","toolCallId":"c"}),
            json!({"type":"TOOL_CALL_CHUNK","toolCallId":"c","toolCallName":"n","delta":"{"}),
            json!({"type":"TOOL_CALL_RESULT","messageId":"r","toolCallId":"c","content":"42","role":"tool"}),
            json!({"type":"STATE_SNAPSHOT","snapshot":{"a":1}}),
            json!({"type":"STATE_DELTA","delta":[{"op":"add","path":"/a","value":1}]}),
            json!({"type":"MESSAGES_SNAPSHOT","messages":[{"id":"1","role":"user","content":"x"}]}),
            json!({"type":"ACTIVITY_SNAPSHOT","messageId":"a","activityType":"progress","content":{"pct":100}}),
            json!({"type":"ACTIVITY_DELTA","messageId":"a","activityType":"progress","patch":[]}),
            json!({"type":"REASONING_START","messageId":"r"}),
            json!({"type":"REASONING_MESSAGE_START","messageId":"r","role":"reasoning"}),
            json!({"type":"REASONING_MESSAGE_CONTENT","messageId":"r","delta":"x"}),
            json!({"type":"REASONING_MESSAGE_END","messageId":"r"}),
            json!({"type":"REASONING_MESSAGE_CHUNK","messageId":"r","delta":"x"}),
            json!({"type":"REASONING_END","messageId":"r"}),
            json!({"type":"REASONING_ENCRYPTED_VALUE","subtype":"message","entityId":"e","encryptedValue":"v"}),
            json!({"type":"CUSTOM","name":"n","value":1}),
            json!({"type":"RAW","event":{"vendor":"payload"},"source":"scripted"}),
            json!({"type":"SUBAGENT_STARTED","subagentRunId":"s","x":1}),
            json!({"type":"THINKING_START","title":"t"}),
            json!({"type":"THINKING_TEXT_MESSAGE_CONTENT","delta":"d"}),
        ];
        for s in samples {
            let ev = AguiEvent::from_value(s.clone()).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(ev.to_value(), s, "round trip of {s}");
        }
    }

    #[test]
    fn decoder_validates_required_fields() {
        assert!(AguiEvent::from_value(json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m"})).is_err());
        assert!(AguiEvent::from_value(json!({"type":"TOOL_CALL_START","toolCallId":"c"})).is_err());
        assert!(AguiEvent::from_value(json!({"type":"RUN_FINISHED","threadId":"t"})).is_err());
        assert!(AguiEvent::from_value(json!({"type":"NOPE"})).is_err());
        assert!(AguiEvent::from_value(json!({"delta":"x"})).is_err());
        assert!(AguiEvent::from_value(json!([1])).is_err());
        assert!(AguiEvent::from_value(json!({"type":"CUSTOM","name":"n","metadata":null})).is_err());
        assert!(AguiEvent::from_value(json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"tool"})).is_err());
        // Tolerances.
        let ev = AguiEvent::from_value(json!({"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"n","parentMessageId":null}))
            .unwrap();
        assert_eq!(ev.to_json_string(), r#"{"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"n"}"#);
        let ev = AguiEvent::from_value(json!({"type":"TEXT_MESSAGE_START","messageId":"m"})).unwrap();
        assert_eq!(ev.to_json_string(), r#"{"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}"#);
        let ev: AguiEvent = serde_json::from_str(r#"{"type":"RUN_FINISHED","threadId":"t","runId":"r","outcome":null}"#).unwrap();
        assert_eq!(ev.to_json_string(), r#"{"type":"RUN_FINISHED","threadId":"t","runId":"r"}"#);
    }

    #[test]
    fn fault_has_no_wire_form_of_its_own() {
        let f = AguiEvent::Fault("boom".into());
        assert!(serde_json::to_string(&f).is_err());
        assert_eq!(f.to_json_string(), r#"{"type":"RUN_ERROR","message":"boom","code":"INCOMPLETE_STREAM"}"#);
    }
}
