//! History mapping / request body tests (spec §3, §6.3, §7.2, §8 and gemini-reference/v175-*).

use serde_json::{json, Value};

use crate::gemini::{build_request_body, ChatRequest, RequestError, ThoughtSignatures, SKIP_SIGNATURE};
use crate::model::{FunctionCall, GenerationParams, Message, Tool, ToolCall, ToolChoice, UserPart};

fn user(text: &str) -> Message {
    Message::User { id: format!("u-{text}"), parts: vec![UserPart::Text(text.into())] }
}

fn assistant(text: Option<&str>, calls: &[(&str, &str, &str)]) -> Message {
    Message::Assistant {
        id: "a".into(),
        content: text.map(str::to_string),
        tool_calls: calls
            .iter()
            .map(|(id, name, args)| ToolCall {
                id: id.to_string(),
                kind: "function".into(),
                function: FunctionCall { name: name.to_string(), arguments: args.to_string() },
            })
            .collect(),
    }
}

fn tool_result(call_id: &str, content: &str) -> Message {
    Message::Tool { id: format!("t-{call_id}"), tool_call_id: call_id.into(), content: content.into(), error: None }
}

fn req(messages: Vec<Message>) -> ChatRequest {
    ChatRequest { messages, ..Default::default() }
}

fn body(r: &ChatRequest, model: &str) -> Value {
    build_request_body(r, model, &ThoughtSignatures::new()).unwrap()
}

fn weather_tool() -> Tool {
    Tool {
        name: "get_weather".into(),
        description: "Get the weather for a city".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Unit"},
                "days": {"type": "integer", "description": "Forecast days"}
            },
            "required": ["city"],
            "additionalProperties": false,
            "$schema": "http://json-schema.org/draft-07/schema#"
        }),
    }
}

#[test]
fn simple_chat_shape_and_key_order() {
    let b = body(&req(vec![user("Hello Gemini")]), "gemini-2.5-flash");
    assert_eq!(b, json!({"generationConfig": {}, "contents": [{"role": "user", "parts": [{"text": "Hello Gemini"}]}]}));
    let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["generationConfig", "contents"]);
}

#[test]
fn system_and_developer_messages_go_to_system_instruction() {
    let mut r = req(vec![
        Message::System { id: "s".into(), content: "Be brief.".into() },
        user("Hi"),
        Message::Developer { id: "d".into(), content: "Use metric units.".into() },
        Message::System { id: "s2".into(), content: "  ".into() },
        Message::Other { id: "o".into(), role: "activity".into() },
    ]);
    r.system = Some("\n## Context from the application\nThe user name:\nAda\n".into());
    let b = body(&r, "gemini-2.5-flash");
    assert_eq!(
        b["systemInstruction"],
        json!({"parts": [{"text": "\n## Context from the application\nThe user name:\nAda\n\n\nBe brief.\n\nUse metric units."}]})
    );
    assert_eq!(b["contents"], json!([{"role": "user", "parts": [{"text": "Hi"}]}]));
    // Empty system prompt: no systemInstruction at all.
    let mut r = req(vec![user("Hi")]);
    r.system = Some(String::new());
    assert!(body(&r, "m").get("systemInstruction").is_none());
}

/// gemini-reference/v175-history-with-tool-results: the same contents, except that tool results
/// are sent as parsed objects / `{"content": …}` instead of `{name, content: "<string>"}`.
#[test]
fn parallel_calls_share_one_model_content_and_results_one_user_content() {
    let r = req(vec![
        user("Weather in Paris and time in Tokyo?"),
        assistant(None, &[("call_1", "get_weather", r#"{"city":"Paris"}"#), ("call_2", "get_time", r#"{"tz":"Asia/Tokyo"}"#)]),
        tool_result("call_1", r#"{"tempC":21}"#),
        tool_result("call_2", "09:30"),
        assistant(Some("It is 21°C in Paris and 09:30 in Tokyo."), &[]),
        user("Thanks!"),
    ]);
    assert_eq!(
        body(&r, "gemini-2.5-flash")["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Weather in Paris and time in Tokyo?"}]},
            {"role": "model", "parts": [
                {"functionCall": {"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}}},
                {"functionCall": {"id": "call_2", "name": "get_time", "args": {"tz": "Asia/Tokyo"}}}
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"id": "call_1", "name": "get_weather", "response": {"tempC": 21}}},
                {"functionResponse": {"id": "call_2", "name": "get_time", "response": {"content": "09:30"}}}
            ]},
            {"role": "model", "parts": [{"text": "It is 21°C in Paris and 09:30 in Tokyo."}]},
            {"role": "user", "parts": [{"text": "Thanks!"}]}
        ])
    );
}

/// GraphQL clients send the text and each call as separate assistant messages (the 1.10
/// reference then sent invalid consecutive model turns, v110-history-with-two-tool-results).
#[test]
fn separate_assistant_messages_merge_into_one_step() {
    let r = req(vec![
        user("Weather and time?"),
        assistant(Some("Let me check."), &[]),
        assistant(None, &[("call_1", "get_weather", r#"{"city":"Paris"}"#)]),
        assistant(None, &[("call_2", "get_time", r#"{"tz":"Asia/Tokyo"}"#)]),
        tool_result("call_1", "sunny"),
        tool_result("call_2", "09:30"),
    ]);
    let c = &body(&r, "gemini-2.5-flash")["contents"];
    assert_eq!(c.as_array().unwrap().len(), 3);
    assert_eq!(c[1]["role"], "model");
    assert_eq!(c[1]["parts"].as_array().unwrap().len(), 3);
    assert_eq!(c[1]["parts"][0], json!({"text": "Let me check."}));
    assert_eq!(c[1]["parts"][2]["functionCall"]["name"], "get_time");
    assert_eq!(c[2]["role"], "user");
    assert_eq!(c[2]["parts"][0]["functionResponse"]["name"], "get_weather");
    assert_eq!(c[2]["parts"][1]["functionResponse"]["name"], "get_time");
}

#[test]
fn interleaved_calls_stay_separate_steps() {
    let r = req(vec![
        user("go"),
        assistant(None, &[("a", "f", "{}")]),
        tool_result("a", "1"),
        assistant(None, &[("b", "g", "{}")]),
        tool_result("b", "2"),
    ]);
    let roles: Vec<Value> = body(&r, "m")["contents"].as_array().unwrap().iter().map(|c| c["role"].clone()).collect();
    assert_eq!(roles, [json!("user"), json!("model"), json!("user"), json!("model"), json!("user")]);
}

/// gemini-reference/v175-empty-assistant-message: the reference sent `parts: []` (a 400).
#[test]
fn empty_messages_are_dropped_and_never_produce_empty_parts() {
    let r = req(vec![
        user("first"),
        assistant(Some(""), &[]),
        assistant(None, &[]),
        assistant(Some("   "), &[]),
        Message::User { id: "e".into(), parts: vec![UserPart::Text(String::new())] },
        user("second"),
    ]);
    let b = body(&r, "m");
    assert_eq!(b["contents"], json!([{"role": "user", "parts": [{"text": "first"}, {"text": "second"}]}]));
    let text = b.to_string();
    assert!(!text.contains("\"parts\":[]") && !text.contains("{\"text\":\"\"}"));
}

#[test]
fn everything_empty_is_an_error() {
    let r = req(vec![Message::System { id: "s".into(), content: "x".into() }, assistant(Some(""), &[])]);
    assert_eq!(build_request_body(&r, "m", &ThoughtSignatures::new()), Err(RequestError::EmptyContents));
}

#[test]
fn tool_results_and_arguments_are_always_objects() {
    let r = req(vec![
        user("go"),
        assistant(None, &[("a", "f", ""), ("b", "f", "not json"), ("c", "f", "[1,2]"), ("d", "f", "null")]),
        tool_result("a", "42"),
        tool_result("b", "[1,2]"),
        tool_result("c", ""),
        Message::Tool { id: "t".into(), tool_call_id: "d".into(), content: "{\"ok\":false}".into(), error: Some("boom".into()) },
        tool_result("zzz", "orphan"),
    ]);
    let c = &body(&r, "m")["contents"];
    let args: Vec<&Value> = c[1]["parts"].as_array().unwrap().iter().map(|p| &p["functionCall"]["args"]).collect();
    assert_eq!(args, [&json!({}), &json!({}), &json!({"value": [1, 2]}), &json!({})]);
    let responses: Vec<&Value> = c[2]["parts"].as_array().unwrap().iter().map(|p| &p["functionResponse"]).collect();
    assert_eq!(responses[0]["response"], json!({"content": 42}));
    assert_eq!(responses[1]["response"], json!({"content": [1, 2]}));
    assert_eq!(responses[2]["response"], json!({"content": ""}));
    assert_eq!(responses[3]["response"], json!({"ok": false, "error": "boom"}));
    assert_eq!(responses[4]["name"], "unknown");
    assert_eq!(responses[4]["id"], "zzz");
}

#[test]
fn images_and_files() {
    let r = req(vec![Message::User {
        id: "u".into(),
        parts: vec![
            UserPart::Text("What is this?".into()),
            UserPart::Data { mime_type: "image/png".into(), data: "iVBORw0KGgo=".into() },
            UserPart::Url { mime_type: None, url: "https://example.com/cat.JPG?x=1".into() },
            UserPart::Url { mime_type: Some("application/pdf".into()), url: "https://generativelanguage.googleapis.com/v1beta/files/abc".into() },
            UserPart::Url { mime_type: None, url: "data:image/webp;base64,UklGRg==".into() },
            UserPart::Url { mime_type: None, url: "https://example.com/unknown".into() },
            UserPart::Data { mime_type: "image/png".into(), data: String::new() },
        ],
    }]);
    assert_eq!(
        body(&r, "m")["contents"][0]["parts"],
        json!([
            {"text": "What is this?"},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/cat.JPG?x=1"}},
            {"fileData": {"mimeType": "application/pdf", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}},
            {"inlineData": {"mimeType": "image/webp", "data": "UklGRg=="}},
            {"fileData": {"fileUri": "https://example.com/unknown"}}
        ])
    );
}

#[test]
fn stored_signatures_are_replayed_on_their_part() {
    let sigs = ThoughtSignatures::new();
    sigs.insert("call_1", "SIG-1");
    sigs.insert_for_text("Hello there.", "SIG-T");
    let r = req(vec![
        user("hi"),
        assistant(Some("Hello there."), &[]),
        user("weather?"),
        assistant(Some("Checking."), &[("call_1", "get_weather", "{}"), ("call_2", "get_time", "{}")]),
        tool_result("call_1", "x"),
        tool_result("call_2", "y"),
    ]);
    let b = build_request_body(&r, "gemini-2.5-flash", &sigs).unwrap();
    let c = &b["contents"];
    assert_eq!(c[1]["parts"][0], json!({"text": "Hello there.", "thoughtSignature": "SIG-T"}));
    assert_eq!(c[3]["parts"][0], json!({"text": "Checking."}));
    assert_eq!(c[3]["parts"][1]["thoughtSignature"], "SIG-1");
    // 2.5: no sentinel on calls without a signature.
    assert!(c[3]["parts"][2].get("thoughtSignature").is_none());
}

/// gemini-reference/v175-gemini-3-replay-without-signature.
#[test]
fn gemini_3_sentinel_on_first_call_of_each_step() {
    let r = req(vec![
        user("Weather in Paris?"),
        assistant(None, &[("call_1", "get_weather", r#"{"city":"Paris"}"#)]),
        tool_result("call_1", "sunny"),
    ]);
    let b = body(&r, "gemini-3-pro-preview");
    assert_eq!(
        b["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
            {"role": "model", "parts": [{
                "functionCall": {"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}},
                "thoughtSignature": "skip_thought_signature_validator"
            }]},
            {"role": "user", "parts": [{"functionResponse": {"id": "call_1", "name": "get_weather", "response": {"content": "sunny"}}}]}
        ])
    );

    // Two steps, parallel calls in the second; a stored signature wins over the sentinel.
    let sigs = ThoughtSignatures::new();
    sigs.insert("c2", "REAL");
    let r = req(vec![
        user("go"),
        assistant(Some("step one"), &[("c1", "f", "{}")]),
        tool_result("c1", "1"),
        assistant(None, &[("c2", "f", "{}"), ("c3", "g", "{}")]),
        tool_result("c2", "2"),
        tool_result("c3", "3"),
    ]);
    let c = build_request_body(&r, "models/gemini-3.1-flash", &sigs).unwrap()["contents"].clone();
    assert_eq!(c[1]["parts"][0], json!({"text": "step one"}));
    assert_eq!(c[1]["parts"][1]["thoughtSignature"], SKIP_SIGNATURE);
    assert_eq!(c[3]["parts"][0]["thoughtSignature"], "REAL");
    assert!(c[3]["parts"][1].get("thoughtSignature").is_none());

    // params.model overrides the model argument.
    let mut r = req(vec![user("go"), assistant(None, &[("x", "f", "{}")]), tool_result("x", "1")]);
    r.params.model = Some("gemini-3-flash".into());
    assert_eq!(body(&r, "gemini-2.5-flash")["contents"][1]["parts"][0]["thoughtSignature"], SKIP_SIGNATURE);
    assert_eq!(r.effective_model("gemini-2.5-flash"), "gemini-3-flash");
}

#[test]
fn tools_and_tool_config() {
    let no_args = Tool { name: "refresh".into(), description: "".into(), parameters: json!({"type": "object", "properties": {}}) };
    let mut r = req(vec![user("hi")]);
    r.tools = vec![weather_tool(), no_args.clone(), weather_tool()];
    let b = body(&r, "m");
    assert_eq!(
        b["tools"],
        json!([{"functionDeclarations": [
            {"name": "get_weather", "description": "Get the weather for a city", "parameters": {
                "type": "object", "required": ["city"], "properties": {
                    "city": {"description": "City name", "type": "string"},
                    "unit": {"description": "Unit", "type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"description": "Forecast days", "type": "integer"}}}},
            {"name": "refresh"}
        ]}])
    );
    assert_eq!(b["toolConfig"], json!({"functionCallingConfig": {"mode": "AUTO"}}));
    let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["generationConfig", "contents", "tools", "toolConfig"]);

    for (choice, expected) in [
        (ToolChoice::Auto, json!({"mode": "AUTO"})),
        (ToolChoice::None, json!({"mode": "NONE"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (ToolChoice::Function("refresh".into()), json!({"mode": "ANY", "allowedFunctionNames": ["refresh"]})),
    ] {
        r.params.tool_choice = Some(choice);
        assert_eq!(body(&r, "m")["toolConfig"]["functionCallingConfig"], expected);
    }
    r.params.tool_choice = Some(ToolChoice::Function("nope".into()));
    assert_eq!(
        build_request_body(&r, "m", &ThoughtSignatures::new()),
        Err(RequestError::UnknownToolChoice { name: "nope".into() })
    );
}

#[test]
fn invalid_tool_names_are_rejected_with_the_name() {
    for bad in ["1tool", "has space", "", "ünïcode", &"x".repeat(65), "a/b"] {
        let mut r = req(vec![user("hi")]);
        r.tools = vec![Tool { name: bad.to_string(), description: "d".into(), parameters: json!({}) }];
        let err = build_request_body(&r, "m", &ThoughtSignatures::new()).unwrap_err();
        assert_eq!(err, RequestError::InvalidToolName { name: bad.to_string() });
        if !bad.is_empty() && bad.len() < 60 {
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
    for good in ["_x", "a.b:c-d_9", &"y".repeat(64)] {
        let mut r = req(vec![user("hi")]);
        r.tools = vec![Tool { name: good.to_string(), description: "d".into(), parameters: json!({}) }];
        assert!(build_request_body(&r, "m", &ThoughtSignatures::new()).is_ok(), "{good}");
    }
}

#[test]
fn generation_config() {
    let mut r = req(vec![user("hi")]);
    r.params = GenerationParams {
        model: None,
        temperature: Some(0.3),
        max_tokens: Some(256),
        stop: vec!["END".into(), "".into(), "a".into(), "b".into(), "c".into(), "d".into(), "e".into()],
        tool_choice: Some(ToolChoice::Required),
    };
    let b = body(&r, "m");
    assert_eq!(
        b["generationConfig"],
        json!({"temperature": 0.3, "maxOutputTokens": 256, "stopSequences": ["END", "a", "b", "c", "d"]})
    );
    // No tools: no tools / toolConfig even with a tool choice.
    assert!(b.get("tools").is_none() && b.get("toolConfig").is_none());
    r.params.temperature = Some(f64::NAN);
    assert!(body(&r, "m")["generationConfig"].get("temperature").is_none());
}
