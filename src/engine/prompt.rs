//! The system instruction built from the client's context and state, and the shared-state tools.

use serde_json::{json, Value};

use crate::model::{ContextItem, Tool};

/// The system instruction for a run: the server's own prompt, then the application context the
/// client sent (`useCopilotReadable` / AG-UI `context`), then the shared state when there is any.
pub fn system_prompt(base: Option<&str>, context: &[ContextItem], state: Option<&Value>) -> Option<String> {
    let mut out = String::new();
    if let Some(b) = base.filter(|b| !b.trim().is_empty()) {
        out.push_str(b.trim_end());
        out.push('\n');
    }
    if !context.is_empty() {
        out.push_str("\n## Context from the application\n");
        for c in context {
            out.push_str(&c.description);
            out.push_str(":\n");
            out.push_str(&c.value);
            out.push('\n');
        }
    }
    if let Some(s) = state.filter(|s| has_state(s)) {
        out.push_str("\n## Application State\n");
        out.push_str("This is the current shared state of the application. Use the AGUISendStateSnapshot tool to replace it, or AGUISendStateDelta to change part of it with JSON Patch operations.\n```json\n");
        out.push_str(&serde_json::to_string_pretty(s).unwrap_or_default());
        out.push_str("\n```\n");
    }
    (!out.is_empty()).then_some(out)
}

/// Whether a state value carries anything (`{}`, `null` and `[]` do not).
pub fn has_state(state: &Value) -> bool {
    match state {
        Value::Null => false,
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

pub(crate) fn state_tools() -> Vec<Tool> {
    vec![
        Tool {
            name: super::STATE_SNAPSHOT_TOOL.into(),
            description: "Replace the whole shared application state with a new snapshot.".into(),
            parameters: json!({"type": "object", "properties": {"snapshot": {"description": "The new state"}}, "required": ["snapshot"]}),
        },
        Tool {
            name: super::STATE_DELTA_TOOL.into(),
            description: "Change the shared application state with JSON Patch (RFC 6902) operations.".into(),
            parameters: json!({"type": "object", "properties": {"delta": {"type": "array", "items": {"type": "object", "properties": {
                "op": {"type": "string", "enum": ["add", "replace", "remove"]},
                "path": {"type": "string"},
                "value": {"description": "The value to add or replace"}
            }, "required": ["op", "path"]}}}, "required": ["delta"]}),
        },
    ]
}
