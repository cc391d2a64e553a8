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

#[test]
fn untyped_agents_are_read_line_by_line() {
    let out = translate(
        AgentKind::Unspecified,
        &[json!({"type": "TextMessageStart", "messageId": "m"}), json!({"event": "on_interrupt", "value": "ok?"})],
    );
    assert_eq!(types(&out), ["TEXT_MESSAGE_START", "CUSTOM"]);
}

fn lg_text(id: &str, content: Value, finish: Option<&str>) -> Value {
    let mut kwargs = json!({"id": id, "content": content, "tool_call_chunks": []});
    if let Some(f) = finish {
        kwargs["response_metadata"] = json!({"finish_reason": f});
    }
    json!({"event": "on_chat_model_stream", "data": {"chunk": {"kwargs": kwargs}}, "metadata": {}})
}

fn lg_tool(id: &str, chunk: Value) -> Value {
    json!({"event": "on_chat_model_stream", "data": {"chunk": {"kwargs": {"id": id, "content": "", "tool_call_chunks": [chunk]}}}, "metadata": {}})
}

#[test]
fn langgraph_text_and_tool_call_chunks() {
    let out = translate(
        AgentKind::LangGraph,
        &[
            lg_text("m1", json!("Hel"), None),
            lg_text("m1", json!([{"text": "lo", "type": "text"}]), None),
            lg_text("m1", json!(""), Some("stop")),
            lg_tool("m2", json!({"id": "c1", "name": "search", "args": "{\"q\":", "index": 0})),
            lg_tool("m2", json!({"args": "1}", "index": 0})),
            lg_text("m2", json!(""), Some("tool_calls")),
        ],
    );
    assert_eq!(
        types(&out),
        ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_ARGS", "TOOL_CALL_END"]
    );
    assert_eq!(out[2]["delta"], "lo");
    assert_eq!(out[4]["toolCallId"], "c1");
    assert_eq!(out[4]["toolCallName"], "search");
    assert_eq!(out[4]["parentMessageId"], "m2");
    assert_eq!(out[5]["delta"], "{\"q\":");
    assert_eq!(out[7]["toolCallId"], "c1");
}

#[test]
fn langgraph_platform_chunks_without_kwargs() {
    let ev = json!({"event": "on_chat_model_stream", "data": {"chunk": {"id": "p1", "content": "hi", "tool_call_chunks": []}}});
    let out = translate(AgentKind::LangGraph, &[ev]);
    assert_eq!(types(&out), ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT"]);
    assert_eq!(out[0]["messageId"], "p1");
}

#[test]
fn langgraph_emit_flags_hide_messages_and_tool_calls() {
    let mut hidden = lg_text("m1", json!("secret"), None);
    hidden["metadata"] = json!({"copilotkit:emit-messages": false});
    let mut tool = lg_tool("m2", json!({"id": "c1", "name": "internal", "args": "{}"}));
    tool["metadata"] = json!({"copilotkit:emit-tool-calls": ["other"]});
    let mut allowed = lg_tool("m3", json!({"id": "c2", "name": "other", "args": "{}"}));
    allowed["metadata"] = json!({"copilotkit:emit-tool-calls": "other"});
    let out = translate(AgentKind::LangGraph, &[hidden, tool, allowed]);
    assert_eq!(types(&out), ["TOOL_CALL_START", "TOOL_CALL_ARGS"]);
    assert_eq!(out[0]["toolCallName"], "other");
}

#[test]
fn langgraph_manual_emits_state_interrupts_and_errors() {
    let out = translate(
        AgentKind::LangGraph,
        &[
            json!({"event": "on_custom_event", "name": "copilotkit_manually_emit_message", "data": {"message_id": "mm", "message": "Working"}}),
            json!({"event": "on_custom_event", "name": "copilotkit_manually_emit_tool_call", "data": {"id": "tc", "name": "notify", "args": {"x": 1}}}),
            json!({"event": "on_copilotkit_state_sync", "thread_id": "t", "agent_name": "a", "node_name": "n1", "run_id": "r", "active": true, "role": "assistant", "state": {"k": "v"}, "running": true}),
            json!({"event": "on_copilotkit_interrupt", "data": {"value": "approve", "messages": []}}),
            json!({"event": "on_copilotkit_error", "data": {"error": {"message": "rate limited", "type": "RateLimitError", "agent_name": "a"}}}),
            lg_text("late", json!("ignored"), None),
        ],
    );
    assert_eq!(
        types(&out),
        ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "STATE_SNAPSHOT", "CUSTOM", "RUN_ERROR"]
    );
    assert_eq!(out[1]["delta"], "Working");
    assert_eq!(out[3]["parentMessageId"], "tc");
    assert_eq!(out[4]["delta"], "{\"x\":1}");
    assert_eq!(out[6]["snapshot"], json!({"k": "v"}));
    assert_eq!(out[6]["rawEvent"]["type"], "AgentStateMessage");
    assert_eq!(out[6]["rawEvent"]["state"], "{\"k\":\"v\"}");
    assert_eq!(out[7]["name"], "CopilotKitLangGraphInterruptEvent");
    assert_eq!(out[7]["value"]["value"], "approve");
    assert_eq!(out[8]["message"], "RateLimitError: rate limited");
}

#[test]
fn json_lines_across_chunks() {
    let mut p = JsonLines::default();
    let mut out = Vec::new();
    p.feed(b"{\"a\":1}\n{\"b\":", &mut out).unwrap();
    assert_eq!(out, [json!({"a": 1})]);
    p.feed(b"2}\r\n\n  \n{\"c\":3}", &mut out).unwrap();
    assert_eq!(out.len(), 2);
    p.finish(&mut out).unwrap();
    assert_eq!(out, [json!({"a": 1}), json!({"b": 2}), json!({"c": 3})]);
    assert!(JsonLines::default().feed(b"nope\n", &mut out).is_err());
}

#[test]
fn message_formats_round_trip() {
    let ck = json!([
        {"id": "u1", "role": "user", "content": "hi"},
        {"id": "a1", "role": "assistant", "content": "Let me look", "parentMessageId": "a1"},
        {"id": "c1", "name": "search", "arguments": {"q": 1}, "parentMessageId": "a1"},
        {"id": "r1", "actionExecutionId": "c1", "actionName": "search", "result": "found"},
        {"id": "c2", "name": "lone", "arguments": {}, "parentMessageId": "x9"},
    ]);
    let agui = copilotkit_messages_to_agui(&ck);
    assert_eq!(agui.len(), 4);
    assert_eq!(agui[1]["content"], "Let me look");
    assert_eq!(agui[1]["toolCalls"][0]["function"], json!({"name": "search", "arguments": "{\"q\":1}"}));
    assert_eq!(agui[2], json!({"id": "r1", "role": "tool", "toolCallId": "c1", "content": "found"}));
    assert_eq!(agui[3]["id"], "x9");

    let back = agui_messages_to_copilotkit(&agui);
    assert_eq!(back[0], json!({"role": "user", "content": "hi", "id": "u1"}));
    assert_eq!(back[1]["content"], "Let me look");
    assert_eq!(back[2], json!({"id": "c1", "name": "search", "arguments": {"q": 1}, "parentMessageId": "a1"}));
    assert_eq!(back[3], json!({"actionExecutionId": "c1", "actionName": "search", "result": "found", "id": "r1"}));
    assert_eq!(back[4]["name"], "lone");
}

#[test]
fn urls_and_endpoints_never_show_credentials() {
    assert_eq!(display_url("https://user:pw@example.com/copilotkit?token=abc#x"), "https://example.com/copilotkit");
    assert_eq!(display_url("not a url"), "<invalid url>");
    let ep = Endpoint { url: "http://h/x?key=1".into(), headers: vec![("authorization".into(), "Bearer secret".into())] };
    let shown = format!("{ep:?}");
    assert!(shown.contains("authorization") && !shown.contains("secret") && !shown.contains("key=1"), "{shown}");
}

// --- HTTP, against the scriptable mock server -------------------------------------------------

use crate::host::HostError;
use crate::testing::mock_gemini::{MockGemini, MockResponse};

/// A host whose `remote.endpoints` answers the given endpoints.
struct EndpointsHost(Value);

impl Host for EndpointsHost {
    fn call(&self, kind: &str, _payload: Value) -> BoxFuture<'static, Result<Value, HostError>> {
        let v = if kind == "remote.endpoints" { Ok(self.0.clone()) } else { Err(HostError { message: format!("unexpected hook {kind}") }) };
        Box::pin(async move { v })
    }
}

fn session(mock: &MockGemini, headers: Value) -> RemoteSession {
    std::env::set_var("COPILOT_RUNTIME_RS_REMOTE_RETRY_MS", "1");
    let host = Arc::new(EndpointsHost(json!([{"url": format!("{}/ck/", mock.base_url()), "headers": headers}])));
    RemoteSession::new(host, json!({"tenant": "t1"}), Some("http://app/".into()), "http://rt/api".into(), vec![])
}

fn info() -> Value {
    json!({
        "actions": [{"name": "lookup", "description": "Look up", "parameters": [{"name": "id", "type": "string"}]}],
        "agents": [{"name": "crew", "description": "Crew", "type": "crewai"}, {"name": "graph", "description": "", "type": "langgraph"}],
    })
}

#[tokio::test]
async fn discovery_is_cached_retried_and_sends_the_endpoint_headers() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::json(503, &json!({})));
    mock.enqueue(MockResponse::json(200, &info()));
    let s = session(&mock, json!([["Authorization", "Bearer k"], ["content-type", "application/json; charset=utf-8"]]));
    let d = s.discover().await.unwrap();
    assert_eq!(d.actions[0].name, "lookup");
    assert_eq!(d.agents.iter().map(|a| (a.name.as_str(), a.kind)).collect::<Vec<_>>(), [("crew", AgentKind::CrewAi), ("graph", AgentKind::LangGraph)]);
    s.discover().await.unwrap();
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2, "one retry, then cached");
    assert_eq!(reqs[1].path, "/ck/info");
    assert_eq!(reqs[1].header("authorization"), Some("Bearer k"));
    assert_eq!(reqs[1].header("content-type"), Some("application/json; charset=utf-8"), "the endpoint may replace Content-Type");
    assert_eq!(reqs[1].headers.iter().filter(|(k, _)| k == "content-type").count(), 1);
    assert_eq!(reqs[1].json().unwrap(), json!({"properties": {"tenant": "t1"}, "frontendUrl": "http://app/"}));

    let tools = s.tools(&[Tool { name: "lookup".into(), description: String::new(), parameters: json!({}) }]).await.unwrap();
    assert!(tools.is_empty(), "a local tool of the same name shadows the remote one");
    assert!(s.execute("lookup", &json!({})).is_none());
}

#[tokio::test]
async fn actions_execute_and_fail_with_discovery_errors() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::json(200, &info()));
    mock.enqueue(MockResponse::json(200, &json!({"result": {"ok": true}})));
    mock.enqueue(MockResponse::json(404, &json!({})));
    let s = session(&mock, json!([["authorization", "Bearer hidden"]]));
    let tools = s.tools(&[]).await.unwrap();
    assert_eq!(tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["lookup"]);
    assert_eq!(tools[0].parameters["properties"]["id"]["type"], "string");
    let ok = s.execute("lookup", &json!({"id": "7"})).unwrap().await.unwrap();
    assert_eq!(ok, "{\"ok\":true}");
    assert_eq!(mock.requests()[1].json().unwrap(), json!({"name": "lookup", "arguments": {"id": "7"}, "properties": {"tenant": "t1"}}));
    let err = s.execute("lookup", &json!({})).unwrap().await.unwrap_err();
    assert!(err.contains("Failed to find CopilotKit API endpoint") && err.contains("/ck/actions/execute"), "{err}");
    assert!(!err.contains("hidden"));
    assert!(s.execute("crew", &json!({})).is_none(), "agents are tools only when asked for");
}

#[tokio::test]
async fn agents_run_over_json_lines_and_load_state() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::json(200, &info()));
    let lines = "{\"type\":\"TextMessageStart\",\"messageId\":\"m\"}\n{\"type\":\"TextMessageContent\",\"messageId\":\"m\",\"content\":\"hi\"}\n{\"type\":\"TextMessageEnd\",\"messageId\":\"m\"}";
    mock.enqueue(MockResponse::raw(200, "application/json", lines).rechunk(7));
    mock.enqueue(MockResponse::json(500, &json!({"error": "boom"})));
    mock.enqueue(MockResponse::json(200, &json!({"threadId": "t9", "threadExists": true, "state": {"a": 1}, "messages": []})));
    let s = session(&mock, json!([]));
    let d = s.discover().await.unwrap();
    let crew = d.agent("crew").unwrap().clone();
    let req = AgentRunRequest { thread_id: "t9".into(), run_id: "r9".into(), state: json!({"s": 1}), config: json!({}), ..Default::default() };
    let events: Vec<Value> = s.run_agent(crew.clone(), req.clone(), CancellationToken::new()).map(|e| e.to_value()).collect().await;
    assert_eq!(types(&events), ["RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"]);
    assert_eq!(events[0]["threadId"], "t9");
    let body = mock.requests()[1].json().unwrap();
    assert_eq!(body["name"], "crew");
    assert_eq!(body["threadId"], "t9");
    assert_eq!(body["state"], json!({"s": 1}));
    assert_eq!(body["properties"], json!({"tenant": "t1"}));

    let failed: Vec<Value> = s.run_agent(crew.clone(), req, CancellationToken::new()).map(|e| e.to_value()).collect().await;
    assert_eq!(types(&failed), ["RUN_STARTED", "RUN_ERROR"]);
    assert_eq!(failed[1]["code"], "UNKNOWN");

    let state = s.agent_state(&crew, "t9").await.unwrap();
    assert_eq!(state, AgentStateAnswer { thread_id: "t9".into(), thread_exists: true, state: json!({"a": 1}), messages: json!([]) });
    assert_eq!(mock.requests()[3].json().unwrap(), json!({"properties": {"tenant": "t1"}, "threadId": "t9", "name": "crew"}));
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_network_error_after_retries() {
    std::env::set_var("COPILOT_RUNTIME_RS_REMOTE_RETRY_MS", "1");
    let host = Arc::new(EndpointsHost(json!([{"url": "http://127.0.0.1:9/ck", "headers": [["authorization", "Bearer hidden"]]}])));
    let s = RemoteSession::new(host, json!({}), None, "/".into(), vec![]);
    let err = s.discover().await.unwrap_err();
    assert_eq!(err.code, RemoteErrorCode::NetworkError);
    assert!(err.message.contains("http://127.0.0.1:9/ck/info") && !err.message.contains("hidden"), "{}", err.message);
}

#[tokio::test]
async fn an_invalid_header_is_named_without_its_value() {
    let host = Arc::new(EndpointsHost(json!([{"url": "http://127.0.0.1:9/ck", "headers": [["x-key", "bad\nvalue-secret"]]}])));
    let s = RemoteSession::new(host, json!({}), None, "/".into(), vec![]);
    let err = s.discover().await.unwrap_err();
    assert_eq!(err.code, RemoteErrorCode::ConfigurationError);
    assert!(err.message.contains("x-key") && !err.message.contains("secret"), "{}", err.message);
}
