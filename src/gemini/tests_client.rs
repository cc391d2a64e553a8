//! Client tests against the loopback mock Gemini server.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::gemini::{
    build_request_body, ChatRequest, GeminiClient, GeminiConfig, GeminiErrorKind, GeminiEvent, ThoughtSignatures,
};
use crate::model::{FinishReason, Message, Usage, UserPart};
use crate::testing::mock_gemini::{fixtures as fx, Framing, MockGemini, MockResponse};

const KEY: &str = "test-key-SECRET-4242";
const MODEL: &str = "gemini-2.5-flash";

fn cfg(mock: &MockGemini) -> GeminiConfig {
    let mut c = GeminiConfig::resolve(None, Some(KEY.into()), None, Some(mock.base_url()), |_| None);
    c.retry_base_delay = Duration::from_millis(5);
    c.max_retry_delay = Duration::from_secs(2);
    c.first_byte_timeout = Duration::from_secs(5);
    c.idle_timeout = Duration::from_secs(5);
    c
}

fn body() -> Value {
    let req = ChatRequest {
        messages: vec![Message::User { id: "u1".into(), parts: vec![UserPart::Text("Hello Gemini".into())] }],
        ..Default::default()
    };
    build_request_body(&req, MODEL, &ThoughtSignatures::new()).unwrap()
}

/// Run one turn to completion, checking the "exactly one terminal event, last" promise and that
/// the key never leaks into an error.
async fn run(client: &GeminiClient) -> Vec<GeminiEvent> {
    run_model(client, MODEL).await
}

async fn run_model(client: &GeminiClient, model: &str) -> Vec<GeminiEvent> {
    let s = client.stream(body(), model, CancellationToken::new());
    let events: Vec<GeminiEvent> = tokio::time::timeout(Duration::from_secs(20), s.collect())
        .await
        .expect("stream did not finish");
    let terminals = events.iter().filter(|e| e.is_terminal()).count();
    assert_eq!(terminals, 1, "{events:?}");
    assert!(events.last().is_some_and(GeminiEvent::is_terminal), "{events:?}");
    if let Some(GeminiEvent::Error(e)) = events.last() {
        assert!(!e.to_string().contains(KEY) && !e.message.contains(KEY), "key leaked: {e}");
        assert!(!format!("{e:?}").contains(KEY));
    }
    events
}

fn texts(events: &[GeminiEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            GeminiEvent::Text { delta } => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

fn error_of(events: &[GeminiEvent]) -> &crate::gemini::GeminiError {
    match events.last() {
        Some(GeminiEvent::Error(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn finished_of(events: &[GeminiEvent]) -> (FinishReason, Option<String>, Option<Usage>) {
    match events.last() {
        Some(GeminiEvent::Finished { reason, raw_reason, usage }) => (*reason, raw_reason.clone(), usage.clone()),
        other => panic!("expected Finished, got {other:?}"),
    }
}

fn text_turn() -> Vec<Value> {
    vec![
        fx::with_usage(fx::text("Hello "), 8, 0, 0),
        fx::with_usage(fx::text("from "), 8, 2, 0),
        fx::with_usage(fx::text("Gemini"), 8, 3, 0),
        fx::with_usage(fx::finish("STOP"), 8, 4, 12),
    ]
}

#[tokio::test]
async fn text_stream_with_usage_from_last_chunk_and_request_shape() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse(text_turn()));
    let client = GeminiClient::new(cfg(&mock));
    let ev = run(&client).await;
    assert_eq!(
        ev,
        vec![
            GeminiEvent::Text { delta: "Hello ".into() },
            GeminiEvent::Text { delta: "from ".into() },
            GeminiEvent::Text { delta: "Gemini".into() },
            GeminiEvent::Finished {
                reason: FinishReason::Stop,
                raw_reason: Some("STOP".into()),
                usage: Some(Usage { input_tokens: 8, output_tokens: 16, total_tokens: 24, reasoning_tokens: 12, cached_input_tokens: 0 }),
            },
        ]
    );
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    assert_eq!(r.header("x-goog-api-key"), Some(KEY));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(!r.path.contains(KEY) && !r.path.contains("key="));
    assert_eq!(r.json(), Some(body()));
}

#[tokio::test]
async fn model_paths_and_api_version() {
    let mock = MockGemini::start().await;
    mock.set_fallback(MockResponse::sse(text_turn()));
    let mut c = cfg(&mock);
    c.api_version = "v1".into();
    let client = GeminiClient::new(c);
    run_model(&client, "tunedModels/my-model").await;
    run_model(&client, "gemini-3-pro-preview").await;
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v1/tunedModels/my-model:streamGenerateContent?alt=sse",
            "/v1/models/gemini-3-pro-preview:streamGenerateContent?alt=sse"
        ]
    );
    // Both turns reused one pooled connection.
    assert_eq!(mock.connections().len(), 1);
}

#[tokio::test]
async fn missing_api_key_makes_no_request() {
    let mock = MockGemini::start().await;
    let mut c = cfg(&mock);
    c.api_key = None;
    let ev = run(&GeminiClient::new(c)).await;
    assert_eq!(ev.len(), 1);
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::MissingApiKey);
    assert_eq!(e.code(), "MISSING_API_KEY");
    assert_eq!(e.to_string(), "No Gemini API key: set GOOGLE_API_KEY or pass apiKey to GoogleGenerativeAIAdapter");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(mock.request_count(), 0);
}

#[tokio::test]
async fn one_function_call_with_signature() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([json!({"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "CiQB0e2Kb=="}
    ]}, "finishReason": "STOP", "finishMessage": "Model generated function call(s)."}],
      "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 5, "totalTokenCount": 55}})]));
    let client = GeminiClient::new(cfg(&mock));
    let ev = run(&client).await;
    assert_eq!(ev.len(), 2);
    let GeminiEvent::FunctionCall { id, name, args, thought_signature } = &ev[0] else { panic!("{ev:?}") };
    assert!(id.starts_with("call_"));
    assert_eq!(name, "get_weather");
    assert_eq!(args, &json!({"city": "Paris"}));
    assert_eq!(thought_signature.as_deref(), Some("CiQB0e2Kb=="));
    assert_eq!(client.signatures().get(id).as_deref(), Some("CiQB0e2Kb=="));
    assert_eq!(finished_of(&ev).0, FinishReason::ToolCalls);
}

fn calls(ev: &[GeminiEvent]) -> Vec<(String, Value)> {
    ev.iter()
        .filter_map(|e| match e {
            GeminiEvent::FunctionCall { name, args, .. } => Some((name.clone(), args.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn parallel_function_calls_in_one_chunk() {
    let mock = MockGemini::start().await;
    let mut chunk = fx::function_calls(&[("get_weather", json!({"city": "mock-city"})), ("get_time", json!({"tz": "mock-tz"}))]);
    chunk["candidates"][0]["finishReason"] = json!("STOP");
    mock.enqueue(MockResponse::sse([chunk]));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert_eq!(
        calls(&ev),
        [("get_weather".into(), json!({"city": "mock-city"})), ("get_time".into(), json!({"tz": "mock-tz"}))]
    );
    let ids: Vec<&String> = ev.iter().filter_map(|e| match e { GeminiEvent::FunctionCall { id, .. } => Some(id), _ => None }).collect();
    assert_ne!(ids[0], ids[1]);
    assert_eq!(finished_of(&ev).0, FinishReason::ToolCalls);
}

#[tokio::test]
async fn parallel_function_calls_across_chunks_keep_given_ids() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([
        fx::parts(json!([{"text": "Checking both."}])),
        fx::parts(json!([{"functionCall": {"id": "fc-1", "name": "a", "args": {}}, "thoughtSignature": "S"}])),
        json!({"candidates": [{"content": {"parts": [{"functionCall": {"id": "fc-2", "name": "b", "args": {"n": 1}}}]}, "finishReason": "STOP"}]}),
    ]));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert_eq!(texts(&ev), "Checking both.");
    assert!(matches!(&ev[1], GeminiEvent::FunctionCall { id, thought_signature: Some(s), .. } if id == "fc-1" && s == "S"));
    assert!(matches!(&ev[2], GeminiEvent::FunctionCall { id, thought_signature: None, .. } if id == "fc-2"));
    assert_eq!(finished_of(&ev).0, FinishReason::ToolCalls);
}

#[tokio::test]
async fn finish_reasons_safety_block_max_tokens_malformed() {
    let mock = MockGemini::start().await;
    let client = GeminiClient::new(cfg(&mock));

    let mut safety = fx::finish("SAFETY");
    safety["candidates"][0]["safetyRatings"] = json!([{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]);
    mock.enqueue(MockResponse::sse([fx::text("Lorem ipsum dolor sit."), safety]));
    let ev = run(&client).await;
    assert_eq!(texts(&ev), "Lorem ipsum dolor sit.");
    assert_eq!(finished_of(&ev).0, FinishReason::ContentFilter);
    assert_eq!(finished_of(&ev).1.as_deref(), Some("SAFETY"));

    mock.enqueue(MockResponse::sse([fx::prompt_blocked("SAFETY")]));
    let ev = run(&client).await;
    assert_eq!(ev.len(), 1);
    let (reason, raw, usage) = finished_of(&ev);
    assert_eq!((reason, raw.as_deref()), (FinishReason::ContentFilter, Some("SAFETY")));
    assert_eq!(usage.map(|u| u.input_tokens), Some(8));

    mock.enqueue(MockResponse::sse([fx::text("long"), fx::finish("MAX_TOKENS")]));
    assert_eq!(finished_of(&run(&client).await).0, FinishReason::Length);

    mock.enqueue(MockResponse::sse([json!({"candidates": [{"content": {}, "finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}]})]));
    let ev = run(&client).await;
    assert_eq!(ev.len(), 1);
    assert_eq!(finished_of(&ev), (FinishReason::Error, Some("MALFORMED_FUNCTION_CALL".into()), None));
    assert_eq!(mock.request_count(), 4);
}

#[tokio::test]
async fn thoughts_and_signature_only_parts() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([
        fx::thought("**Planning** the answer"),
        fx::text("Answer."),
        json!({"candidates": [{"content": {"parts": [{"text": "", "thoughtSignature": "TSIG"}]}, "finishReason": "STOP"}]}),
    ]));
    let client = GeminiClient::new(cfg(&mock));
    let ev = run(&client).await;
    assert_eq!(ev[0], GeminiEvent::Thought { delta: "**Planning** the answer".into() });
    assert_eq!(ev[1], GeminiEvent::Text { delta: "Answer.".into() });
    assert_eq!(ev.len(), 3);
    assert_eq!(client.signatures().get_for_text("Answer.").as_deref(), Some("TSIG"));
}

#[tokio::test]
async fn http_errors_that_are_not_retried() {
    let mock = MockGemini::start().await;
    let client = GeminiClient::new(cfg(&mock));
    let key_invalid = json!({"error": {"code": 400, "message": format!("API key not valid. Please pass a valid API key. (got {KEY})"),
        "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
        "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}]}});
    let cases = [
        (MockResponse::json(400, &key_invalid), GeminiErrorKind::Auth, "Gemini API key rejected (400 API_KEY_INVALID): API key not valid."),
        (MockResponse::gemini_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), GeminiErrorKind::Auth, "Gemini authentication failed (401 UNAUTHENTICATED)"),
        (MockResponse::gemini_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers"), GeminiErrorKind::Auth, "Gemini API access denied (403 PERMISSION_DENIED)"),
        (MockResponse::gemini_error(404, "NOT_FOUND", "models/gemini-2.5-flash is not found for API version v1beta"), GeminiErrorKind::ModelNotFound, "Gemini model not found: gemini-2.5-flash (404 NOT_FOUND): models/"),
        (MockResponse::gemini_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument."), GeminiErrorKind::BadRequest, "Gemini rejected the request (400 INVALID_ARGUMENT): Request contains an invalid argument."),
    ];
    for (i, (resp, kind, prefix)) in cases.into_iter().enumerate() {
        mock.enqueue(resp);
        let ev = run(&client).await;
        assert_eq!(ev.len(), 1);
        let e = error_of(&ev);
        assert_eq!(e.kind, kind);
        assert!(!e.retryable());
        assert_eq!(e.attempts, 1);
        assert!(e.to_string().starts_with(prefix), "{e}");
        assert_eq!(mock.request_count(), i + 1, "{kind:?} must not be retried");
    }
}

#[tokio::test]
async fn rate_limit_with_retry_delay_is_retried_then_succeeds() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::json(429, &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.25s"}]}})));
    mock.enqueue(MockResponse::sse(text_turn()));
    let client = GeminiClient::new(cfg(&mock));
    let t0 = Instant::now();
    let ev = run(&client).await;
    assert_eq!(texts(&ev), "Hello from Gemini");
    assert_eq!(mock.request_count(), 2);
    let reqs = mock.requests();
    let gap = reqs[1].received_at.duration_since(reqs[0].received_at);
    assert!(gap >= Duration::from_millis(240), "retryDelay not honoured: {gap:?}");
    assert!(t0.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn rate_limit_exhausted() {
    let mock = MockGemini::start().await;
    mock.set_fallback(MockResponse::json(429, &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
        "message": "You exceeded your current quota.",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.01s"}]}})));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::RateLimited);
    assert_eq!(e.code(), "RATE_LIMITED");
    assert!(e.retryable());
    assert_eq!(e.status, Some(429));
    assert_eq!(e.retry_delay, Some(Duration::from_millis(10)));
    assert_eq!(e.attempts, 3);
    assert_eq!(
        e.to_string(),
        "Gemini rate limit exceeded (429 RESOURCE_EXHAUSTED), retry after 0.01s: You exceeded your current quota. (gave up after 3 attempts)"
    );
    assert_eq!(mock.request_count(), 3);
}

#[tokio::test]
async fn rate_limit_longer_than_the_cap_is_not_waited_for() {
    let mock = MockGemini::start().await;
    mock.set_fallback(MockResponse::json(429, &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "daily quota",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3600s"}]}})));
    let t0 = Instant::now();
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(error_of(&ev).retry_delay, Some(Duration::from_secs(3600)));
    assert!(error_of(&ev).to_string().contains("retry after 3600s"));
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::gemini_error(500, "INTERNAL", "An internal error has occurred."));
    mock.enqueue(MockResponse::gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."));
    mock.enqueue(MockResponse::sse(text_turn()));
    let client = GeminiClient::new(cfg(&mock));
    assert_eq!(texts(&run(&client).await), "Hello from Gemini");
    assert_eq!(mock.request_count(), 3);

    mock.enqueue(MockResponse::gemini_error(504, "DEADLINE_EXCEEDED", "Deadline exceeded."));
    mock.enqueue(MockResponse::sse(text_turn()));
    assert_eq!(texts(&run(&client).await), "Hello from Gemini");
    assert_eq!(mock.request_count(), 5);

    // Exhausted: the last error is reported, with its kind.
    mock.set_fallback(MockResponse::gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."));
    let ev = run(&client).await;
    let e = error_of(&ev);
    assert_eq!((e.kind, e.status, e.attempts), (GeminiErrorKind::Unavailable, Some(503), 3));
    assert!(e.to_string().starts_with("Gemini is unavailable (503 UNAVAILABLE): The model is overloaded."), "{e}");
    assert_eq!(mock.request_count(), 8);
}

#[tokio::test]
async fn non_json_error_body() {
    let mock = MockGemini::start().await;
    mock.set_fallback(MockResponse::raw(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"));
    let mut c = cfg(&mock);
    c.max_retries = 0;
    let ev = run(&GeminiClient::new(c)).await;
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::Unavailable);
    assert!(e.message.contains("502 Bad Gateway"), "{e}");
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn cut_mid_stream_is_an_error_and_not_retried() {
    let mock = MockGemini::start().await;
    mock.enqueue(
        MockResponse::sse([fx::text("Lorem ipsum dolor "), fx::text("sit amet consectetur "), fx::text("never"), fx::finish("STOP")])
            .cut_after(2),
    );
    mock.set_fallback(MockResponse::sse(text_turn()));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert_eq!(texts(&ev), "Lorem ipsum dolor sit amet consectetur ");
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::StreamCut);
    assert_eq!(e.code(), "STREAM_CUT");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(mock.request_count(), 1);

    // Close-delimited body that ends without a finish reason: also a cut.
    mock.enqueue(MockResponse::sse([fx::text("partial")]).framing(Framing::CloseDelimited));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert_eq!(error_of(&ev).kind, GeminiErrorKind::StreamCut);

    // Cut inside the first event: nothing was delivered, so it is retried (here: not allowed).
    mock.enqueue(MockResponse::sse([fx::text("whole"), fx::finish("STOP")]).rechunk(30).cut_after(3));
    let mut no_retry = cfg(&mock);
    no_retry.max_retries = 0;
    let ev = run(&GeminiClient::new(no_retry)).await;
    assert_eq!(ev.len(), 1);
    assert_eq!(error_of(&ev).kind, GeminiErrorKind::StreamCut);
    assert_eq!(mock.request_count(), 3);
}

#[tokio::test]
async fn cut_before_any_event_is_retried() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fx::text("x"), fx::finish("STOP")]).cut_after(0));
    mock.enqueue(MockResponse::sse(text_turn()));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert_eq!(texts(&ev), "Hello from Gemini");
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn connection_refused_is_a_network_error_after_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = GeminiConfig::resolve(None, Some(KEY.into()), None, Some(format!("http://127.0.0.1:{port}")), |_| None);
    c.retry_base_delay = Duration::from_millis(1);
    c.max_retries = 1;
    let ev = run(&GeminiClient::new(c)).await;
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::Network);
    assert_eq!(e.code(), "NETWORK_ERROR");
    assert_eq!(e.attempts, 2);
    assert!(e.to_string().starts_with("Could not reach Gemini: "), "{e}");
}

#[tokio::test]
async fn in_band_error_event() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([
        fx::text("Lorem ipsum dolor sit "),
        fx::text("amet consectetur adipiscing elit "),
        fx::error_event(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    ]));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert_eq!(texts(&ev), "Lorem ipsum dolor sit amet consectetur adipiscing elit ");
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::Unavailable);
    assert_eq!(e.message, "The model is overloaded. Please try again later.");
    assert_eq!(mock.request_count(), 1);

    // As the very first event nothing was delivered yet, so it is retried like an HTTP 503.
    mock.enqueue(MockResponse::sse([fx::error_event(503, "UNAVAILABLE", "overloaded")]));
    mock.enqueue(MockResponse::sse(text_turn()));
    assert_eq!(texts(&run(&GeminiClient::new(cfg(&mock))).await), "Hello from Gemini");
    assert_eq!(mock.request_count(), 3);
}

#[tokio::test]
async fn garbage_is_an_invalid_response() {
    let mock = MockGemini::start().await;
    let client = GeminiClient::new(cfg(&mock));
    mock.enqueue(MockResponse::raw(200, "text/event-stream", format!("data: {{\"candidates\": [oops {KEY}\r\n\r\n")));
    let ev = run(&client).await;
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::InvalidResponse);
    assert!(e.message.contains("[REDACTED]"), "{e}");

    mock.enqueue(MockResponse::sse([fx::text("ok so far")]).chunk(Duration::ZERO, "data: [1,2,3]\r\n\r\n"));
    let ev = run(&client).await;
    assert_eq!(texts(&ev), "ok so far");
    assert_eq!(error_of(&ev).kind, GeminiErrorKind::InvalidResponse);
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn oversized_event_is_rejected() {
    let mock = MockGemini::start().await;
    let mut c = cfg(&mock);
    c.max_event_bytes = 4096;
    mock.enqueue(MockResponse::sse([fx::text(&"x".repeat(10_000)), fx::finish("STOP")]).rechunk(1000));
    let ev = run(&GeminiClient::new(c)).await;
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::InvalidResponse);
    assert!(e.message.contains("larger than 4096"), "{e}");
}

#[tokio::test]
async fn first_byte_timeout() {
    let mock = MockGemini::start().await;
    let mut c = cfg(&mock);
    c.first_byte_timeout = Duration::from_millis(200);
    let client = GeminiClient::new(c);

    // Slow headers.
    mock.enqueue(MockResponse::sse(text_turn()).delay_headers(Duration::from_secs(3)));
    let t0 = Instant::now();
    let ev = run(&client).await;
    let e = error_of(&ev);
    assert_eq!((e.kind, e.code()), (GeminiErrorKind::Timeout, "TIMEOUT"));
    assert!(e.to_string().contains("no response within 0.2s"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(mock.request_count(), 1);
    // The abandoned request's connection was closed.
    assert!(mock.wait_client_close(0, Duration::from_secs(1)).await.is_some());

    // Headers at once, first event late.
    mock.enqueue(MockResponse::sse(text_turn()).delay_each(Duration::from_secs(3)));
    let ev = run(&client).await;
    assert_eq!(error_of(&ev).kind, GeminiErrorKind::Timeout);
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn idle_timeout_after_first_event() {
    let mock = MockGemini::start().await;
    let mut c = cfg(&mock);
    c.idle_timeout = Duration::from_millis(200);
    let client = GeminiClient::new(c);
    mock.enqueue(MockResponse::sse([fx::text("Hello")]).hang());
    let t0 = Instant::now();
    let ev = run(&client).await;
    assert_eq!(texts(&ev), "Hello");
    let e = error_of(&ev);
    assert_eq!(e.kind, GeminiErrorKind::Timeout);
    assert!(e.to_string().contains("stalled"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(mock.request_count(), 1);

    // A server that keeps the body open after the finish reason is not an error.
    mock.enqueue(MockResponse::sse(text_turn()).hang());
    let ev = run(&client).await;
    assert_eq!(finished_of(&ev).0, FinishReason::Stop);
}

#[tokio::test]
async fn cancellation_closes_the_upstream_connection_promptly() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fx::text("first")]).hang());
    let client = GeminiClient::new(cfg(&mock));
    let cancel = CancellationToken::new();
    let mut s = Box::pin(client.stream(body(), MODEL, cancel.clone()));
    assert_eq!(s.next().await, Some(GeminiEvent::Text { delta: "first".into() }));
    // Cancel while nobody polls the stream: the connection must still close at once.
    let t0 = Instant::now();
    cancel.cancel();
    let closed = mock.wait_client_close(0, Duration::from_secs(1)).await.expect("upstream connection not closed");
    let lag = closed.saturating_duration_since(t0);
    assert!(lag < Duration::from_millis(50), "closed {lag:?} after cancel");
    assert_eq!(tokio::time::timeout(Duration::from_millis(100), s.next()).await, Ok(None));
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::sse([fx::text("first")]).hang());
    let client = GeminiClient::new(cfg(&mock));
    let mut s = Box::pin(client.stream(body(), MODEL, CancellationToken::new()));
    assert!(matches!(s.next().await, Some(GeminiEvent::Text { .. })));
    let t0 = Instant::now();
    drop(s);
    let closed = mock.wait_client_close(0, Duration::from_secs(1)).await.expect("not closed");
    assert!(closed.saturating_duration_since(t0) < Duration::from_millis(50));
}

#[tokio::test]
async fn cancellation_while_waiting_for_headers_and_during_retry_sleep() {
    let mock = MockGemini::start().await;
    let mut c = cfg(&mock);
    c.max_retry_delay = Duration::from_secs(30);
    let client = GeminiClient::new(c);

    mock.enqueue(MockResponse::sse(text_turn()).delay_headers(Duration::from_secs(5)));
    let cancel = CancellationToken::new();
    let s = client.stream(body(), MODEL, cancel.clone());
    let consumer = tokio::spawn(async move { s.collect::<Vec<_>>().await });
    assert!(mock.wait_for_requests(1, Duration::from_secs(2)).await);
    let t0 = Instant::now();
    cancel.cancel();
    let closed = mock.wait_client_close(0, Duration::from_secs(1)).await.expect("not closed");
    assert!(closed.saturating_duration_since(t0) < Duration::from_millis(50));
    assert_eq!(consumer.await.unwrap(), vec![], "no events after cancel");

    // Retry sleep of 10 s, cancelled after the first attempt.
    mock.enqueue(MockResponse::json(429, &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow down",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "10s"}]}})));
    let cancel = CancellationToken::new();
    let s = client.stream(body(), MODEL, cancel.clone());
    let consumer = tokio::spawn(async move { s.collect::<Vec<_>>().await });
    assert!(mock.wait_for_requests(2, Duration::from_secs(2)).await);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let t0 = Instant::now();
    cancel.cancel();
    let events = tokio::time::timeout(Duration::from_secs(1), consumer).await.expect("stream did not end").unwrap();
    assert!(events.is_empty(), "{events:?}");
    assert!(t0.elapsed() < Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(mock.request_count(), 2);

    // Already cancelled: nothing happens at all.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let events: Vec<_> = client.stream(body(), MODEL, cancel).collect().await;
    assert!(events.is_empty());
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn lf_crlf_byte_by_byte_and_close_delimited_framing() {
    let mock = MockGemini::start().await;
    let client = GeminiClient::new(cfg(&mock));
    let chunks = || vec![fx::text("héllo "), fx::text("wörld 😀"), fx::text(" \u{3c}b\u{3e}&"), fx::finish("STOP")];
    let expected = "héllo wörld 😀 <b>&";
    for resp in [
        MockResponse::sse(chunks()),
        MockResponse::sse_lf(chunks()),
        MockResponse::sse(chunks()).rechunk(1),
        MockResponse::sse_lf(chunks()).rechunk(1),
        MockResponse::sse(chunks()).rechunk(7).delay_each(Duration::from_millis(1)),
        MockResponse::sse(chunks()).framing(Framing::CloseDelimited),
        MockResponse::sse(chunks()).framing(Framing::ContentLength),
    ] {
        mock.enqueue(resp);
        let ev = run(&client).await;
        assert_eq!(texts(&ev), expected);
        assert_eq!(finished_of(&ev).0, FinishReason::Stop);
    }
    // A final event without its blank line is still used when it is complete JSON.
    mock.enqueue(MockResponse::raw(200, "text/event-stream", format!("data: {}\r\n\r\ndata: {}", fx::text("a"), fx::finish("STOP"))));
    assert_eq!(finished_of(&run(&client).await).0, FinishReason::Stop);
}

#[tokio::test]
async fn json_array_stream_is_understood() {
    let mock = MockGemini::start().await;
    let body = Value::Array(text_turn());
    mock.enqueue(MockResponse::json(200, &body));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    assert_eq!(texts(&ev), "Hello from Gemini");
    assert_eq!(finished_of(&ev).0, FinishReason::Stop);
}

#[tokio::test]
async fn a_slow_consumer_is_not_an_idle_upstream() {
    let mock = MockGemini::start().await;
    let mut c = cfg(&mock);
    c.idle_timeout = Duration::from_millis(100);
    let mut events: Vec<Value> = (0..80).map(|i| fx::text(&format!("{i} "))).collect();
    events.push(fx::finish("STOP"));
    // Held open after the finish: only the finish reason makes this a success.
    mock.enqueue(MockResponse::sse(events).hang());
    let client = GeminiClient::new(c);
    let mut s = Box::pin(client.stream(body(), MODEL, CancellationToken::new()));
    assert!(matches!(s.next().await, Some(GeminiEvent::Text { .. })));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rest: Vec<GeminiEvent> = s.collect().await;
    assert_eq!(rest.iter().filter(|e| matches!(e, GeminiEvent::Text { .. })).count(), 79);
    assert!(matches!(rest.last(), Some(GeminiEvent::Finished { reason: FinishReason::Stop, .. })), "{:?}", rest.last());
}

#[tokio::test]
async fn redirects_are_not_followed_and_bad_keys_are_not_sent() {
    let mock = MockGemini::start().await;
    mock.enqueue(MockResponse::new(307).header("location", "http://127.0.0.1:9/steal"));
    let ev = run(&GeminiClient::new(cfg(&mock))).await;
    let e = error_of(&ev);
    assert_eq!((e.kind, e.status), (GeminiErrorKind::BadRequest, Some(307)));
    assert_eq!(mock.request_count(), 1);

    let mut c = cfg(&mock);
    c.api_key = Some("bad\nkey".into());
    let ev = run(&GeminiClient::new(c)).await;
    assert_eq!(error_of(&ev).kind, GeminiErrorKind::Auth);
    assert!(!error_of(&ev).to_string().contains("bad\nkey"));
    assert_eq!(mock.request_count(), 1);
}
