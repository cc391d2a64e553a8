//! Typed inputs and their conversion into the shared chat model.

use serde_json::json;

use crate::graphql::inputs::*;
use crate::model::{GenerationParams, Message, ToolChoice, UserPart};

fn input(v: serde_json::Value) -> GenerateCopilotResponseInput {
    serde_json::from_value(v).unwrap()
}

#[test]
fn graphql_inputs_deserialize_from_the_captured_request() {
    let req = super::support::parse_request(&super::support::capture("a-text-stream.request.http"));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    let data = input(body["variables"]["data"].clone());
    assert_eq!(data.thread_id.as_deref(), Some("thread-a"));
    assert_eq!(data.run_id, None);
    assert_eq!(data.metadata.request_type, Some(CopilotRequestType::Chat));
    assert_eq!(data.frontend.actions[0].name, "setBackgroundColor");
    assert_eq!(
        data.frontend.actions[0].available,
        Some(ActionInputAvailability::Enabled)
    );
    let msgs = data.model_messages();
    assert!(
        matches!(&msgs[0], Message::System { content, .. } if content == "You are a helpful assistant.")
    );
    assert!(
        matches!(&msgs[1], Message::User { parts, .. } if parts == &vec![UserPart::Text("Hi there".into())])
    );
    let tools = data.tools().unwrap();
    assert_eq!(tools[0].parameters["required"], json!(["color"]));
}

#[test]
fn graphql_messages_to_model_groups_parallel_calls() {
    let data = input(json!({
        "metadata": {"requestType": "Chat"},
        "frontend": {"actions": []},
        "messages": [
            {"id": "s", "createdAt": "2026-01-01T00:00:00.000Z", "textMessage": {"content": "sys", "role": "system"}},
            {"id": "d", "createdAt": "2026-01-01T00:00:00.000Z", "textMessage": {"content": "dev", "role": "developer"}},
            {"id": "u", "createdAt": "2026-01-01T00:00:00.000Z", "textMessage": {"content": "hi", "role": "user"}},
            {"id": "chatcmpl-1", "createdAt": "2026-01-01T00:00:00.000Z", "textMessage": {"content": "Let me check", "role": "assistant"}},
            {"id": "call_1", "createdAt": "2026-01-01T00:00:00.000Z", "actionExecutionMessage": {"name": "a", "arguments": "{\"x\":1}", "parentMessageId": "chatcmpl-1"}},
            {"id": "call_2", "createdAt": "2026-01-01T00:00:00.000Z", "actionExecutionMessage": {"name": "b", "arguments": "{}", "parentMessageId": "chatcmpl-1"}},
            {"id": "result-call_1", "createdAt": "2026-01-01T00:00:00.000Z", "resultMessage": {"actionExecutionId": "call_1", "actionName": "a", "result": "ok"}},
            {"id": "result-call_2", "createdAt": "2026-01-01T00:00:00.000Z", "resultMessage": {"actionExecutionId": "call_2", "actionName": "b", "result": "{\"error\":{\"code\":\"HANDLER_ERROR\",\"message\":\"bad\"},\"result\":\"\"}"}},
            {"id": "call_3", "createdAt": "2026-01-01T00:00:00.000Z", "actionExecutionMessage": {"name": "c", "arguments": "{", "parentMessageId": "chatcmpl-2"}},
            {"id": "call_4", "createdAt": "2026-01-01T00:00:00.000Z", "actionExecutionMessage": {"name": "c", "arguments": "{}", "parentMessageId": "chatcmpl-3"}},
            {"id": "call_5", "createdAt": "2026-01-01T00:00:00.000Z", "actionExecutionMessage": {"name": "c", "arguments": "{}", "parentMessageId": "chatcmpl-4"}},
            {"id": "img", "createdAt": "2026-01-01T00:00:00.000Z", "imageMessage": {"format": "png", "bytes": "AAAA", "role": "user"}},
            {"id": "st", "createdAt": "2026-01-01T00:00:00.000Z", "agentStateMessage": {"threadId": "t", "agentName": "a", "role": "assistant", "state": "{}", "running": true, "nodeName": "", "runId": "r", "active": true}},
            {"id": "none", "createdAt": "2026-01-01T00:00:00.000Z"}
        ]
    }));
    let m = data.model_messages();
    assert_eq!(m.len(), 10, "{m:#?}");
    assert!(matches!(&m[0], Message::System { .. }));
    assert!(matches!(&m[1], Message::Developer { .. }));
    match &m[3] {
        Message::Assistant {
            id,
            content,
            tool_calls,
        } => {
            assert_eq!(id, "chatcmpl-1");
            assert_eq!(content.as_deref(), Some("Let me check"));
            assert_eq!(tool_calls.len(), 2);
            assert_eq!(tool_calls[0].id, "call_1");
            assert_eq!(tool_calls[0].function.arguments, "{\"x\":1}");
            assert_eq!(tool_calls[1].function.name, "b");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&m[4], Message::Tool { tool_call_id, content, error: None, .. } if tool_call_id == "call_1" && content == "ok")
    );
    assert!(matches!(&m[5], Message::Tool { error: Some(e), .. } if e == "bad"));
    // call_3 had invalid JSON arguments: dropped. call_4 / call_5 have different parents.
    assert!(
        matches!(&m[6], Message::Assistant { id, tool_calls, content: None } if id == "chatcmpl-3" && tool_calls[0].id == "call_4")
    );
    assert!(matches!(&m[7], Message::Assistant { id, .. } if id == "chatcmpl-4"));
    assert!(
        matches!(&m[8], Message::User { parts, .. } if parts == &vec![UserPart::Data { mime_type: "image/png".into(), data: "AAAA".into() }])
    );
    assert!(matches!(&m[9], Message::Other { id, role } if id == "st" && role == "assistant"));
}

#[test]
fn graphql_messages_to_model_regroups_parallel_calls_answered_one_by_one() {
    // react-core 1.10.6 splices each frontend action's result right after its call, so a parallel
    // turn comes back interleaved. It is still one model turn (Gemini wants all calls in one
    // content and all responses in the next), while a later turn with the same shape stays apart.
    let at = "2026-01-01T00:00:00.000Z";
    let data = input(json!({
        "metadata": {"requestType": "Chat"},
        "frontend": {"actions": []},
        "messages": [
            {"id": "u", "createdAt": at, "textMessage": {"content": "hi", "role": "user"}},
            {"id": "call_1", "createdAt": at, "actionExecutionMessage": {"name": "a", "arguments": "{}", "parentMessageId": "turn-1"}},
            {"id": "result-call_1", "createdAt": at, "resultMessage": {"actionExecutionId": "call_1", "actionName": "a", "result": "1"}},
            {"id": "call_2", "createdAt": at, "actionExecutionMessage": {"name": "b", "arguments": "{}", "parentMessageId": "turn-1"}},
            {"id": "result-call_2", "createdAt": at, "resultMessage": {"actionExecutionId": "call_2", "actionName": "b", "result": "2"}},
            {"id": "call_3", "createdAt": at, "actionExecutionMessage": {"name": "c", "arguments": "{}", "parentMessageId": "turn-2"}},
            {"id": "result-call_3", "createdAt": at, "resultMessage": {"actionExecutionId": "call_3", "actionName": "c", "result": "3"}},
            {"id": "call_4", "createdAt": at, "actionExecutionMessage": {"name": "d", "arguments": "{}"}},
            {"id": "result-call_4", "createdAt": at, "resultMessage": {"actionExecutionId": "call_4", "actionName": "d", "result": "4"}},
            {"id": "call_5", "createdAt": at, "actionExecutionMessage": {"name": "e", "arguments": "{}"}},
            {"id": "t", "createdAt": at, "textMessage": {"content": "Let me look", "role": "assistant"}},
            {"id": "call_6", "createdAt": at, "actionExecutionMessage": {"name": "f", "arguments": "{}", "parentMessageId": "t"}},
            {"id": "result-call_6", "createdAt": at, "resultMessage": {"actionExecutionId": "call_6", "actionName": "f", "result": "6"}},
            {"id": "call_7", "createdAt": at, "actionExecutionMessage": {"name": "g", "arguments": "{}", "parentMessageId": "t"}},
            {"id": "result-call_7", "createdAt": at, "resultMessage": {"actionExecutionId": "call_7", "actionName": "g", "result": "7"}}
        ]
    }));
    let m = data.model_messages();
    let shape: Vec<String> = m
        .iter()
        .map(|m| match m {
            Message::User { .. } => "user".to_string(),
            Message::Assistant { id, content, tool_calls } => {
                let ids: Vec<&str> = tool_calls.iter().map(|c| c.id.as_str()).collect();
                format!("assistant {id} {:?} {}", content.as_deref(), ids.join(","))
            }
            Message::Tool { tool_call_id, .. } => format!("tool {tool_call_id}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            "user",
            "assistant turn-1 None call_1,call_2",
            "tool call_1",
            "tool call_2",
            "assistant turn-2 None call_3",
            "tool call_3",
            // Without a parentMessageId nothing says two calls were one turn.
            "assistant call_4 None call_4",
            "tool call_4",
            "assistant call_5 None call_5",
            "assistant t Some(\"Let me look\") call_6,call_7",
            "tool call_6",
            "tool call_7",
        ]
    );
}

#[test]
fn graphql_actions_forwarded_parameters_and_context() {
    let actions = vec![
        ActionInput {
            name: "a".into(),
            description: "A".into(),
            json_schema: "{\"type\":\"object\"}".into(),
            available: None,
        },
        ActionInput {
            name: "off".into(),
            description: "".into(),
            json_schema: "{}".into(),
            available: Some(ActionInputAvailability::Disabled),
        },
        ActionInput {
            name: "remote".into(),
            description: "".into(),
            json_schema: "{}".into(),
            available: Some(ActionInputAvailability::Remote),
        },
    ];
    let tools = actions_to_tools(&actions).unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0].parameters, json!({"type":"object"}));
    let bad = vec![ActionInput {
        name: "x".into(),
        description: "".into(),
        json_schema: "{not json".into(),
        available: None,
    }];
    let err = actions_to_tools(&bad).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Invalid JSON schema for action \"x\":"),
        "{err}"
    );
    let arr = vec![ActionInput {
        name: "y".into(),
        description: "".into(),
        json_schema: "[]".into(),
        available: None,
    }];
    assert!(actions_to_tools(&arr).is_err());

    let p = ForwardedParametersInput {
        model: Some("m".into()),
        max_tokens: Some(100.0),
        stop: Some(vec!["\n".into()]),
        tool_choice: Some("function".into()),
        tool_choice_function_name: Some("extract".into()),
        temperature: Some(0.5),
    };
    assert_eq!(
        forwarded_parameters_to_params(Some(&p)),
        GenerationParams {
            model: Some("m".into()),
            temperature: Some(0.5),
            max_tokens: Some(100),
            stop: vec!["\n".into()],
            tool_choice: Some(ToolChoice::Function("extract".into())),
        }
    );
    let req = ForwardedParametersInput {
        tool_choice: Some("required".into()),
        ..Default::default()
    };
    assert_eq!(
        forwarded_parameters_to_params(Some(&req)).tool_choice,
        Some(ToolChoice::Required)
    );
    assert_eq!(
        forwarded_parameters_to_params(None),
        GenerationParams::default()
    );
    let ctx = vec![CopilotContextInput {
        description: "d".into(),
        value: "v".into(),
    }];
    assert_eq!(context_to_items(Some(&ctx))[0].value, "v");
}
