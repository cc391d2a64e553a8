use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::gemini::GeminiConfig;
use crate::model::UserPart;
use crate::testing::mock_gemini::{fixtures, MockGemini, MockResponse};

fn client(mock: &MockGemini) -> GeminiClient {
    let mut cfg = GeminiConfig::resolve(None, Some("test-key".into()), None, Some(mock.base_url()), |_| None);
    cfg.retry_base_delay = Duration::from_millis(5);
    GeminiClient::new(cfg)
}

fn user(text: &str) -> Message {
    Message::User { id: "u1".into(), parts: vec![UserPart::Text(text.into())] }
}

fn base_run(messages: Vec<Message>) -> EngineRun {
    EngineRun {
        thread_id: "T".into(),
        run_id: "R".into(),
        system: None,
        messages,
        frontend_tools: vec![],
        server_tools: ServerTools::default(),
        state_tools: false,
        params: GenerationParams::default(),
        max_steps: DEFAULT_MAX_STEPS,
    }
}

fn tool(name: &str) -> Tool {
    Tool { name: name.into(), description: format!("{name} tool"), parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}) }
}

async fn collect(client: GeminiClient, run: EngineRun) -> Vec<Value> {
    super::run(client, run, CancellationToken::new()).map(|e| e.to_value()).collect().await
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap_or("?")).collect()
}

/// Server-side tools backed by a closure, recording every call.
struct FnTools {
    calls: Mutex<Vec<(String, Value)>>,
    answer: fn(&str, &Value) -> ToolOutcome,
}

impl ToolExecutor for FnTools {
    fn execute(&self, name: &str, arguments: Value, _id: &str) -> BoxFuture<'static, ToolOutcome> {
        self.calls.lock().unwrap().push((name.to_string(), arguments.clone()));
        let out = (self.answer)(name, &arguments);
        Box::pin(async move { out })
    }
}

#[tokio::test]
async fn text_answer_streams_one_content_event_per_delta() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([
        fixtures::text("Hello"),
        fixtures::text(" there"),
        fixtures::with_usage(fixtures::finish("STOP"), 10, 2, 0),
    ]));
    let events = collect(client(&mock), base_run(vec![user("hi")])).await;
    assert_eq!(types(&events), ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"]);
    assert_eq!(events[1]["delta"], "Hello");
    assert_eq!(events[2]["delta"], " there");
    let fin = &events[4];
    assert_eq!(fin["finishReason"], "stop");
    assert_eq!(fin["threadId"], "T");
    assert_eq!(fin["usage"][0]["inputTokens"], 10);
    assert_eq!(fin["usage"][0]["totalTokens"], 12);
}

#[tokio::test]
async fn parallel_frontend_calls_share_a_parent_and_end_the_run() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fixtures::function_calls(&[("a", json!({"city": "Paris"})), ("b", json!({}))]), fixtures::finish("STOP")]));
    let mut run = base_run(vec![user("go")]);
    run.frontend_tools = vec![tool("a"), tool("b")];
    let events = collect(client(&mock), run).await;
    assert_eq!(
        types(&events),
        ["TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "RUN_FINISHED"]
    );
    assert_eq!(events[0]["toolCallName"], "a");
    assert_eq!(events[1]["delta"], r#"{"city":"Paris"}"#);
    assert_eq!(events[0]["parentMessageId"], events[3]["parentMessageId"]);
    assert_ne!(events[0]["toolCallId"], events[3]["toolCallId"]);
    assert_eq!(events[6]["finishReason"], "tool-calls");
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn server_tools_loop_until_the_model_answers_with_text() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fixtures::function_calls(&[("weather", json!({"city": "Paris"}))]), fixtures::finish("STOP")]));
    mock.enqueue(MockResponse::sse([fixtures::function_calls(&[("weather", json!({"city": "Rome"}))]), fixtures::finish("STOP")]));
    mock.enqueue(MockResponse::sse([fixtures::text("Paris 21, Rome 25"), fixtures::finish("STOP")]));
    let exec = Arc::new(FnTools { calls: Mutex::new(vec![]), answer: |_, a| Ok(json!({"city": a["city"], "t": 21}).to_string()) });
    let mut run = base_run(vec![user("weather?")]);
    run.server_tools = ServerTools { tools: vec![tool("weather")], executor: Some(exec.clone()) };
    let events = collect(client(&mock), run).await;
    assert_eq!(
        types(&events),
        [
            "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT",
            "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT",
            "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"
        ]
    );
    assert_eq!(events[3]["content"], r#"{"city":"Paris","t":21}"#);
    assert_eq!(events[3]["toolCallId"], events[0]["toolCallId"]);
    assert_eq!(exec.calls.lock().unwrap().len(), 2);
    // The second model call sees the first call and its result, paired.
    let second = mock.requests()[1].json().unwrap();
    let contents = second["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 3, "{second}");
    assert!(contents[1]["parts"][0]["functionCall"]["name"] == "weather");
    assert!(contents[2]["parts"][0]["functionResponse"]["response"]["t"] == 21);
    assert_eq!(events[11]["finishReason"], "stop");
}

#[tokio::test]
async fn the_step_limit_bounds_the_loop() {
    let mock = MockGemini::start().await;
    for _ in 0..3 {
        mock.enqueue(MockResponse::sse([fixtures::function_calls(&[("weather", json!({}))]), fixtures::finish("STOP")]));
    }
    let exec = Arc::new(FnTools { calls: Mutex::new(vec![]), answer: |_, _| Ok("x".into()) });
    let mut run = base_run(vec![user("loop")]);
    run.max_steps = 2;
    run.server_tools = ServerTools { tools: vec![tool("weather")], executor: Some(exec) };
    let events = collect(client(&mock), run).await;
    assert_eq!(mock.request_count(), 2);
    assert_eq!(events.last().unwrap()["type"], "RUN_FINISHED");
    assert_eq!(events.last().unwrap()["finishReason"], "tool-calls");
}

#[tokio::test]
async fn mixed_server_and_frontend_calls_run_the_server_one_and_hand_over() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fixtures::function_calls(&[("weather", json!({})), ("paint", json!({"color": "red"}))]), fixtures::finish("STOP")]));
    let exec = Arc::new(FnTools { calls: Mutex::new(vec![]), answer: |_, _| Err("handler exploded".into()) });
    let mut run = base_run(vec![user("both")]);
    run.frontend_tools = vec![tool("paint")];
    run.server_tools = ServerTools { tools: vec![tool("weather")], executor: Some(exec) };
    let events = collect(client(&mock), run).await;
    let results: Vec<&Value> = events.iter().filter(|e| e["type"] == "TOOL_CALL_RESULT").collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["content"], r#"{"error":{"code":"HANDLER_ERROR","message":"handler exploded"},"result":""}"#);
    assert_eq!(events.last().unwrap()["finishReason"], "tool-calls");
    assert_eq!(mock.request_count(), 1, "a frontend call hands the turn to the client");
}

#[tokio::test]
async fn upstream_errors_close_open_text_and_end_with_run_error() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fixtures::text("partial")]).cut_after(1));
    let events = collect(client(&mock), base_run(vec![user("hi")])).await;
    assert_eq!(types(&events), ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_ERROR"]);
    assert_eq!(events[3]["code"], "STREAM_CUT");
    assert_eq!(events[3]["runId"], "R");

    let mock = MockGemini::start().await;
    mock.set_fallback(MockResponse::gemini_error(404, "NOT_FOUND", "models/gemini-1.5-pro is not found for API version v1beta"));
    let mut run = base_run(vec![user("hi")]);
    run.params.model = Some("gemini-1.5-pro".into());
    let events = collect(client(&mock), run).await;
    assert_eq!(types(&events), ["RUN_ERROR"]);
    assert!(events[0]["message"].as_str().unwrap().contains("gemini-1.5-pro"), "{}", events[0]);
    assert!(!events[0]["message"].as_str().unwrap().contains("test-key"));
}

#[tokio::test]
async fn reasoning_is_streamed_apart_from_the_answer() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fixtures::thought("thinking"), fixtures::text("answer"), fixtures::finish("STOP")]));
    let events = collect(client(&mock), base_run(vec![user("hi")])).await;
    assert_eq!(
        types(&events),
        [
            "REASONING_START", "REASONING_MESSAGE_START", "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_END", "REASONING_END",
            "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"
        ]
    );
}

#[tokio::test]
async fn state_tools_emit_state_events_and_loop() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fixtures::function_calls(&[("AGUISendStateDelta", json!({"delta": [{"op": "replace", "path": "/count", "value": 2}]}))]), fixtures::finish("STOP")]));
    mock.enqueue(MockResponse::sse([fixtures::text("Set."), fixtures::finish("STOP")]));
    let mut run = base_run(vec![user("count to 2")]);
    run.state_tools = true;
    run.system = system_prompt(None, &[], Some(&json!({"count": 1})));
    let events = collect(client(&mock), run).await;
    let ty = types(&events);
    assert!(ty.contains(&"STATE_DELTA"), "{ty:?}");
    let first = mock.requests()[0].json().unwrap();
    let names: Vec<&str> = first["tools"][0]["functionDeclarations"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["AGUISendStateSnapshot", "AGUISendStateDelta"]);
    assert!(first["systemInstruction"]["parts"][0]["text"].as_str().unwrap().contains("\"count\": 1"));
}

#[tokio::test]
async fn cancelling_drops_the_upstream_at_once() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fixtures::text("a"), fixtures::text("b"), fixtures::finish("STOP")]).delay_each(Duration::from_secs(5)));
    let cancel = CancellationToken::new();
    let mut s = super::run(client(&mock), base_run(vec![user("hi")]), cancel.clone());
    let first = s.next().await.unwrap();
    assert_eq!(first.type_name(), "TEXT_MESSAGE_START");
    let _ = s.next().await;
    let t0 = std::time::Instant::now();
    cancel.cancel();
    let rest: Vec<AguiEvent> = s.collect().await;
    assert!(rest.iter().all(|e| !e.is_terminal()), "a cancelled run ends without a terminal event: {rest:?}");
    let closed = mock.wait_client_close(0, Duration::from_secs(2)).await.expect("upstream connection closed");
    assert!(closed.duration_since(t0) < Duration::from_millis(50), "closed after {:?}", closed.duration_since(t0));
}

#[test]
fn system_prompt_lists_context_then_state() {
    let ctx = vec![crate::model::ContextItem { description: "The current page".into(), value: "Settings".into() }];
    let p = system_prompt(Some("Be brief."), &ctx, Some(&json!({}))).unwrap();
    assert_eq!(p, "Be brief.\n\n## Context from the application\nThe current page:\nSettings\n");
    assert!(system_prompt(None, &[], Some(&json!({}))).is_none());
}
