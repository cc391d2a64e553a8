use super::*;

fn translate(kind: AgentKind, lines: &[Value]) -> Vec<Value> {
    let mut t = Translator::new(kind);
    let mut out = Vec::new();
    for l in lines {
        t.push(l.clone(), &mut out);
    }
    out.iter().map(AguiEvent::to_value).collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap_or("")).collect()
}

#[test]
fn crewai_runtime_events_become_agui_events() {
    let out = translate(
        AgentKind::CrewAi,
        &[
            json!({"type": "TextMessageStart", "messageId": "m1"}),
            json!({"type": "TextMessageContent", "messageId": "m1", "content": "Hi"}),
            json!({"type": "TextMessageContent", "messageId": "m1", "content": ""}),
            json!({"type": "TextMessageEnd", "messageId": "m1"}),
            json!({"type": "ActionExecutionStart", "actionExecutionId": "c1", "actionName": "search", "parentMessageId": "m1"}),
            json!({"type": "ActionExecutionArgs", "actionExecutionId": "c1", "args": "{\"q\":1}"}),
            json!({"type": "ActionExecutionEnd", "actionExecutionId": "c1"}),
            json!({"type": "ActionExecutionResult", "actionExecutionId": "c1", "actionName": "search", "result": "found"}),
            json!({"type": "AgentStateMessage", "threadId": "t", "agentName": "a", "nodeName": "n", "runId": "r", "active": true, "role": "assistant", "state": "{\"x\":1}", "running": true}),
            json!({"type": "MetaEvent", "name": "LangGraphInterruptEvent", "value": "approve?"}),
            json!({"type": "SomethingElse"}),
        ],
    );
    assert_eq!(
        types(&out),
        ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT", "STATE_SNAPSHOT", "CUSTOM"]
    );
    assert_eq!(out[3]["parentMessageId"], "m1");
    assert_eq!(out[6]["messageId"], "result-c1");
    assert_eq!(out[7]["snapshot"], json!({"x": 1}));
    assert_eq!(out[7]["rawEvent"]["nodeName"], "n");
    assert_eq!(out[8]["name"], "on_interrupt");
    assert_eq!(out[8]["value"], "approve?");
}

#[test]
fn a_run_error_ends_the_translation() {
    let out = translate(
        AgentKind::CrewAi,
        &[json!({"type": "RunError", "message": "boom", "code": "X"}), json!({"type": "TextMessageStart", "messageId": "m"})],
    );
    assert_eq!(types(&out), ["RUN_ERROR"]);
    assert_eq!(out[0]["message"], "boom");
}
