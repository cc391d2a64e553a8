//! The chat model shared by every protocol: AG-UI shaped messages, tools and run input.
//!
//! The AG-UI `RunAgentInput` is the richest request shape of the two client generations, so it is
//! the engine's own input; the GraphQL front end converts its `MessageInput`s into these types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One tool call made by the assistant (`assistant.toolCalls[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// JSON text of the arguments, exactly as streamed.
    pub arguments: String,
}

/// A content part of a multimodal user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserPart {
    Text(String),
    /// Inline data: base64 payload plus its MIME type.
    Data { mime_type: String, data: String },
    /// A URL reference (`fileData` for Gemini).
    Url { mime_type: Option<String>, url: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Message {
    User { id: String, parts: Vec<UserPart> },
    Assistant { id: String, content: Option<String>, tool_calls: Vec<ToolCall> },
    Tool { id: String, tool_call_id: String, content: String, error: Option<String> },
    System { id: String, content: String },
    Developer { id: String, content: String },
    /// Anything the model never sees (reasoning, activity, agent state messages).
    Other { id: String, role: String },
}

impl Message {
    pub fn id(&self) -> &str {
        match self {
            Message::User { id, .. }
            | Message::Assistant { id, .. }
            | Message::Tool { id, .. }
            | Message::System { id, .. }
            | Message::Developer { id, .. }
            | Message::Other { id, .. } => id,
        }
    }
}

/// A tool the model may call: frontend tools come from the client, server tools from `actions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments (draft-07 style object schema).
    pub parameters: Value,
}

/// `context[]` entries of AG-UI / GraphQL readables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextItem {
    pub description: String,
    pub value: String,
}

/// `tool_choice` as both client generations can express it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToolChoice {
    Auto,
    None,
    Required,
    Function(String),
}

/// Generation parameters forwarded by the client (GraphQL `forwardedParameters`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationParams {
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u64>,
    pub stop: Vec<String>,
    pub tool_choice: Option<ToolChoice>,
}

/// Token usage, as reported by the upstream on its last chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub reasoning_tokens: u64,
    pub cached_input_tokens: u64,
}

/// Why a model turn ended, in the unified vocabulary AG-UI clients see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishReason {
    Stop,
    Length,
    ContentFilter,
    ToolCalls,
    Error,
    Other,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content-filter",
            FinishReason::ToolCalls => "tool-calls",
            FinishReason::Error => "error",
            FinishReason::Other => "other",
        }
    }
}
