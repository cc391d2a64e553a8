//! Typed GraphQL inputs (§3 of the spec), deserialised from coerced variables, and their
//! conversion into the shared chat model (`crate::model`).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::{
    ContextItem, FunctionCall, GenerationParams, Message, Tool, ToolCall, ToolChoice, UserPart,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CopilotRequestType {
    Chat,
    Task,
    TextareaCompletion,
    TextareaPopover,
    Suggestion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    User,
    Assistant,
    System,
    Tool,
    Developer,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
            MessageRole::System => "system",
            MessageRole::Tool => "tool",
            MessageRole::Developer => "developer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionInputAvailability {
    Disabled,
    Enabled,
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaEventName {
    LangGraphInterruptEvent,
    CopilotKitLangGraphInterruptEvent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateCopilotResponseInput {
    pub metadata: GenerateCopilotResponseMetadataInput,
    #[serde(default)]
    pub thread_id: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    pub messages: Vec<MessageInput>,
    pub frontend: FrontendInput,
    #[serde(default)]
    pub cloud: Option<CloudInput>,
    #[serde(default)]
    pub forwarded_parameters: Option<ForwardedParametersInput>,
    #[serde(default)]
    pub agent_session: Option<AgentSessionInput>,
    #[serde(default)]
    pub agent_state: Option<AgentStateInput>,
    #[serde(default)]
    pub agent_states: Option<Vec<AgentStateInput>>,
    #[serde(default)]
    pub extensions: Option<ExtensionsInput>,
    #[serde(default)]
    pub meta_events: Option<Vec<MetaEventInput>>,
    #[serde(default)]
    pub context: Option<Vec<CopilotContextInput>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateCopilotResponseMetadataInput {
    #[serde(default)]
    pub request_type: Option<CopilotRequestType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageInput {
    pub id: String,
    /// ISO-8601 date-time as sent (validated by the `DateTimeISO` scalar).
    pub created_at: String,
    #[serde(default)]
    pub text_message: Option<TextMessageInput>,
    #[serde(default)]
    pub action_execution_message: Option<ActionExecutionMessageInput>,
    #[serde(default)]
    pub result_message: Option<ResultMessageInput>,
    #[serde(default)]
    pub agent_state_message: Option<AgentStateMessageInput>,
    #[serde(default)]
    pub image_message: Option<ImageMessageInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextMessageInput {
    pub content: String,
    #[serde(default)]
    pub parent_message_id: Option<String>,
    pub role: MessageRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecutionMessageInput {
    pub name: String,
    pub arguments: String,
    #[serde(default)]
    pub parent_message_id: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultMessageInput {
    pub action_execution_id: String,
    pub action_name: String,
    #[serde(default)]
    pub parent_message_id: Option<String>,
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStateMessageInput {
    pub thread_id: String,
    pub agent_name: String,
    pub role: MessageRole,
    pub state: String,
    pub running: bool,
    pub node_name: String,
    pub run_id: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageMessageInput {
    pub format: String,
    pub bytes: String,
    #[serde(default)]
    pub parent_message_id: Option<String>,
    pub role: MessageRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrontendInput {
    #[serde(default, rename = "toDeprecate_fullContext")]
    pub to_deprecate_full_context: Option<String>,
    pub actions: Vec<ActionInput>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionInput {
    pub name: String,
    pub description: String,
    /// JSON text of the parameters' JSON schema.
    pub json_schema: String,
    #[serde(default)]
    pub available: Option<ActionInputAvailability>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudInput {
    #[serde(default)]
    pub guardrails: Option<GuardrailsInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailsInput {
    pub input_validation_rules: GuardrailsRuleInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailsRuleInput {
    #[serde(default)]
    pub allow_list: Option<Vec<String>>,
    #[serde(default)]
    pub deny_list: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardedParametersInput {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub max_tokens: Option<f64>,
    #[serde(default)]
    pub stop: Option<Vec<String>>,
    #[serde(default)]
    pub tool_choice: Option<String>,
    #[serde(default)]
    pub tool_choice_function_name: Option<String>,
    #[serde(default)]
    pub temperature: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSessionInput {
    pub agent_name: String,
    #[serde(default)]
    pub thread_id: Option<String>,
    #[serde(default)]
    pub node_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStateInput {
    pub agent_name: String,
    /// JSON text.
    pub state: String,
    /// JSON text.
    #[serde(default)]
    pub config: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionsInput {
    #[serde(default, rename = "openaiAssistantAPI")]
    pub openai_assistant_api: Option<OpenAIApiAssistantAPIInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenAIApiAssistantAPIInput {
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub thread_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaEventInput {
    pub name: MetaEventName,
    pub value: String,
    #[serde(default)]
    pub response: Option<String>,
    #[serde(default)]
    pub messages: Option<Vec<MessageInput>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopilotContextInput {
    pub description: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadAgentStateInput {
    pub thread_id: String,
    pub agent_name: String,
}

// ---------------------------------------------------------------------------------------------
// conversion

/// Why an input could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversionError {
    /// `ActionInput.jsonSchema` is not JSON text of an object.
    InvalidJsonSchema { action: String, message: String },
}

impl std::fmt::Display for ConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConversionError::InvalidJsonSchema { action, message } => {
                write!(f, "Invalid JSON schema for action \"{action}\": {message}")
            }
        }
    }
}

impl std::error::Error for ConversionError {}

/// `MessageInput[]` → chat messages, as the 1.10.6 runtime reads them:
///
/// * a message's kind is taken in the order text, image, action execution, result, agent state;
///   a message with none of them is dropped;
/// * text: `user` → user text, `assistant` → assistant text, `system`/`developer` → those roles,
///   `tool` → a tool message whose `tool_call_id` is `parentMessageId` (or empty);
/// * image → a user message with an inline-data part `image/<format>` (base64 `bytes`);
/// * action executions whose `arguments` are not valid JSON are dropped (the reference drops
///   them after logging); consecutive action executions with the same `parentMessageId` become
///   ONE assistant message with parallel tool calls; when the message just before them is an
///   assistant text message whose id is that `parentMessageId`, the calls join it (the model
///   produced text and calls in one turn). A call also joins its parent's turn when only results
///   of that turn's calls stand between them (react-core puts each frontend action's result right
///   after its call: call 1, result 1, call 2, result 2 is still one parallel turn). The grouped
///   message's id is the `parentMessageId` (or the call id when there is none);
/// * result → tool message (`tool_call_id` = `actionExecutionId`, `content` = `result`; `error`
///   is set when the result is the `{"error":{…},"result":…}` envelope of §5.6);
/// * agent state → `Message::Other` (role as sent).
pub fn messages_to_model(inputs: &[MessageInput]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    // parentMessageId of the assistant message currently collecting tool calls.
    let mut open_group: Option<Option<String>> = None;
    for m in inputs {
        if let Some(t) = &m.text_message {
            open_group = None;
            out.push(match t.role {
                MessageRole::User => Message::User {
                    id: m.id.clone(),
                    parts: vec![UserPart::Text(t.content.clone())],
                },
                MessageRole::Assistant => Message::Assistant {
                    id: m.id.clone(),
                    content: Some(t.content.clone()),
                    tool_calls: vec![],
                },
                MessageRole::System => Message::System {
                    id: m.id.clone(),
                    content: t.content.clone(),
                },
                MessageRole::Developer => Message::Developer {
                    id: m.id.clone(),
                    content: t.content.clone(),
                },
                MessageRole::Tool => Message::Tool {
                    id: m.id.clone(),
                    tool_call_id: t.parent_message_id.clone().unwrap_or_default(),
                    content: t.content.clone(),
                    error: None,
                },
            });
        } else if let Some(img) = &m.image_message {
            open_group = None;
            out.push(Message::User {
                id: m.id.clone(),
                parts: vec![UserPart::Data {
                    mime_type: format!("image/{}", img.format),
                    data: img.bytes.clone(),
                }],
            });
        } else if let Some(a) = &m.action_execution_message {
            if serde_json::from_str::<Json>(&a.arguments).is_err() {
                tracing::warn!(id = %m.id, "dropping action execution message with invalid JSON arguments");
                continue;
            }
            let call = ToolCall {
                id: m.id.clone(),
                kind: "function".into(),
                function: FunctionCall {
                    name: a.name.clone(),
                    arguments: a.arguments.clone(),
                },
            };
            let parent = a.parent_message_id.clone();
            let joins_open = parent.is_some() && open_group.as_ref() == Some(&parent);
            let joins_text = parent.is_some()
                && matches!(out.last(), Some(Message::Assistant { id, tool_calls, .. }) if Some(id) == parent.as_ref() && tool_calls.is_empty());
            // react-core inserts each frontend action's result right after its call, so a parallel
            // turn comes back as call, result, call, result: a call joins the turn of its parent
            // when only that turn's own results stand between them.
            let joins_answered = parent.as_deref().and_then(|p| answered_turn(&out, p));
            if let Some(at) = joins_answered {
                if let Some(Message::Assistant { tool_calls, .. }) = out.get_mut(at) {
                    tool_calls.push(call);
                }
            } else if joins_open || joins_text {
                if let Some(Message::Assistant { tool_calls, .. }) = out.last_mut() {
                    tool_calls.push(call);
                }
            } else {
                out.push(Message::Assistant {
                    id: parent.clone().unwrap_or_else(|| m.id.clone()),
                    content: None,
                    tool_calls: vec![call],
                });
            }
            open_group = Some(parent);
        } else if let Some(r) = &m.result_message {
            // Results of parallel calls follow the calls; keep the group closed for new calls.
            open_group = None;
            out.push(Message::Tool {
                id: m.id.clone(),
                tool_call_id: r.action_execution_id.clone(),
                content: r.result.clone(),
                error: result_error(&r.result),
            });
        } else if let Some(s) = &m.agent_state_message {
            open_group = None;
            out.push(Message::Other {
                id: m.id.clone(),
                role: s.role.as_str().to_string(),
            });
        }
    }
    out
}

/// The index of the assistant turn `parent` when it made tool calls and everything after it is a
/// result of one of those calls.
fn answered_turn(out: &[Message], parent: &str) -> Option<usize> {
    let at = out.iter().rposition(|m| !matches!(m, Message::Tool { .. }))?;
    let Message::Assistant { id, tool_calls, .. } = &out[at] else { return None };
    if id != parent || tool_calls.is_empty() || at + 1 == out.len() {
        return None;
    }
    let own = |call_id: &str| tool_calls.iter().any(|c| c.id == call_id);
    out[at + 1..].iter().all(|m| matches!(m, Message::Tool { tool_call_id, .. } if own(tool_call_id))).then_some(at)
}

/// The message of a `{"error":{"code","message"},"result":…}` result envelope.
fn result_error(result: &str) -> Option<String> {
    let v: Json = serde_json::from_str(result).ok()?;
    let obj = v.as_object()?;
    if obj.len() != 2 || !obj.contains_key("result") {
        return None;
    }
    let err = obj.get("error")?.as_object()?;
    Some(err.get("message")?.as_str()?.to_string())
}

/// Frontend actions → tools offered to the model: `disabled` ones are dropped, and so are
/// `remote` ones (only passed to agents, see [`action_to_tool`] for those).
pub fn actions_to_tools(actions: &[ActionInput]) -> Result<Vec<Tool>, ConversionError> {
    actions
        .iter()
        .filter(|a| {
            !matches!(
                a.available,
                Some(ActionInputAvailability::Disabled | ActionInputAvailability::Remote)
            )
        })
        .map(action_to_tool)
        .collect()
}

/// One action → tool, parsing its `jsonSchema` text (must be a JSON object).
pub fn action_to_tool(a: &ActionInput) -> Result<Tool, ConversionError> {
    let parameters: Json =
        serde_json::from_str(&a.json_schema).map_err(|e| ConversionError::InvalidJsonSchema {
            action: a.name.clone(),
            message: e.to_string(),
        })?;
    if !parameters.is_object() {
        return Err(ConversionError::InvalidJsonSchema {
            action: a.name.clone(),
            message: "the schema must be a JSON object".into(),
        });
    }
    Ok(Tool {
        name: a.name.clone(),
        description: a.description.clone(),
        parameters,
    })
}

/// `forwardedParameters` → generation parameters. `toolChoice` `"function"` needs
/// `toolChoiceFunctionName` (without it, it is ignored); unknown strings are ignored.
pub fn forwarded_parameters_to_params(p: Option<&ForwardedParametersInput>) -> GenerationParams {
    let Some(p) = p else {
        return GenerationParams::default();
    };
    let tool_choice = match p.tool_choice.as_deref() {
        Some("auto") => Some(ToolChoice::Auto),
        Some("none") => Some(ToolChoice::None),
        Some("required") => Some(ToolChoice::Required),
        Some("function") => p
            .tool_choice_function_name
            .clone()
            .map(ToolChoice::Function),
        _ => None,
    };
    GenerationParams {
        model: p.model.clone(),
        temperature: p.temperature,
        max_tokens: p
            .max_tokens
            .filter(|m| m.is_finite() && *m >= 0.0)
            .map(|m| m as u64),
        stop: p.stop.clone().unwrap_or_default(),
        tool_choice,
    }
}

/// `context` (readables) → context items.
pub fn context_to_items(ctx: Option<&[CopilotContextInput]>) -> Vec<ContextItem> {
    ctx.unwrap_or_default()
        .iter()
        .map(|c| ContextItem {
            description: c.description.clone(),
            value: c.value.clone(),
        })
        .collect()
}

impl GenerateCopilotResponseInput {
    pub fn model_messages(&self) -> Vec<Message> {
        messages_to_model(&self.messages)
    }
    pub fn tools(&self) -> Result<Vec<Tool>, ConversionError> {
        actions_to_tools(&self.frontend.actions)
    }
    pub fn generation_params(&self) -> GenerationParams {
        forwarded_parameters_to_params(self.forwarded_parameters.as_ref())
    }
    pub fn context_items(&self) -> Vec<ContextItem> {
        context_to_items(self.context.as_deref())
    }
}
