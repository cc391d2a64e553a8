//! Executor and validator on selections the 1.10.6 client never sends.

use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::{json, Value as Json};

use super::support::*;
use crate::graphql::execute::{execute, PreparedOperation};
use crate::graphql::outputs::{
    copilot_response, AgentInfo, CopilotResponseHead, MessageStatus, ResponseStatus,
};
use crate::graphql::request::{prepare, GraphQLParams, RequestError};
use crate::graphql::resolved::{FieldMap, Resolved};
use crate::graphql::root::{RequestContext, RootResolvers, RootSource};

fn params(query: &str, variables: Json) -> GraphQLParams {
    GraphQLParams {
        query: query.into(),
        operation_name: None,
        variables: variables.as_object().cloned().unwrap_or_default(),
        extensions: None,
    }
}

fn prep(query: &str, variables: Json) -> PreparedOperation {
    prepare(&params(query, variables)).unwrap_or_else(|e| panic!("{:?}", e.errors))
}

fn errors_of(query: &str, variables: Json) -> Vec<String> {
    match prepare(&params(query, variables)) {
        Ok(_) => vec![],
        Err(RequestError { errors, .. }) => errors.into_iter().map(|e| e.message).collect(),
    }
}

fn root(op: &PreparedOperation, resolvers: Arc<dyn RootResolvers>) -> Box<RootSource> {
    Box::new(RootSource {
        typename: if op.kind() == crate::graphql::ast::OperationKind::Mutation {
            "Mutation"
        } else {
            "Query"
        },
        resolvers,
        ctx: RequestContext::default(),
    })
}

/// All payloads as JSON.
async fn run(
    query: &str,
    variables: Json,
    resolvers: Arc<dyn RootResolvers>,
    incremental: bool,
) -> Vec<Json> {
    let op = prep(query, variables);
    let out = execute(&op, root(&op, resolvers), incremental).await;
    let mut payloads = vec![out.initial.to_json()];
    if let Some(mut rest) = out.subsequent {
        while let Some(p) = rest.next().await {
            payloads.push(p.to_json());
        }
    }
    payloads
}

fn agents() -> Arc<FakeResolvers> {
    let mut r = FakeResolvers::new(|_, _| unreachable!());
    Arc::get_mut(&mut r).unwrap().agents = (0..3)
        .map(|i| AgentInfo {
            id: format!("id{i}"),
            name: format!("agent{i}"),
            description: format!("d{i}"),
        })
        .collect();
    r
}

#[tokio::test]
async fn graphql_aliases_nested_fragments_include_skip() {
    let q = r#"
      query Q($yes: Boolean!, $no: Boolean = false) {
        a: availableAgents { ...AgentsF }
        b: availableAgents @include(if: $no) { agents { id } }
        h1: hello @skip(if: $no)
        h2: hello @skip(if: $yes)
        ... @include(if: $yes) { h3: hello }
        __typename
      }
      fragment AgentsF on AgentsResponse { agents { ...AgentF n: name } __typename }
      fragment AgentF on Agent { id ...Desc }
      fragment Desc on Agent { description }
    "#;
    let payloads = run(q, json!({"yes": true}), agents(), true).await;
    assert_eq!(payloads.len(), 1);
    assert_eq!(
        payloads[0],
        json!({"data":{
            "a":{"agents":[
                {"id":"id0","description":"d0","n":"agent0"},
                {"id":"id1","description":"d1","n":"agent1"},
                {"id":"id2","description":"d2","n":"agent2"}],"__typename":"AgentsResponse"},
            "h1":"Hello World","h3":"Hello World","__typename":"Query"}})
    );
}

#[tokio::test]
async fn graphql_defer_with_label_and_stream_initial_count_2() {
    let q = r#"query {
        hello
        ... @defer(label: "later") {
          availableAgents { agents @stream(initialCount: 2, label: "s") { name } }
        }
      }"#;
    let payloads = run(q, json!({}), agents(), true).await;
    assert_eq!(
        payloads,
        vec![
            json!({"data":{"hello":"Hello World"},"hasNext":true}),
            json!({"incremental":[
                {"data":{"availableAgents":{"agents":[{"name":"agent0"},{"name":"agent1"}]}},"path":[],"label":"later"},
                {"items":[{"name":"agent2"}],"path":["availableAgents","agents",2],"label":"s"}
              ],"hasNext":false}),
        ]
    );
    // Without incremental delivery everything is in place.
    let single = run(q, json!({}), agents(), false).await;
    assert_eq!(
        single,
        vec![
            json!({"data":{"hello":"Hello World","availableAgents":{"agents":[
            {"name":"agent0"},{"name":"agent1"},{"name":"agent2"}]}}})
        ]
    );
    // @defer(if: false) / @stream(if: false): a plain result.
    let q2 = r#"query { ... @defer(if: false) { hello } availableAgents { agents @stream(if: false) { id } } }"#;
    let op = prep(q2, json!({}));
    assert!(!op.uses_incremental_delivery());
    let p = run(q2, json!({}), agents(), true).await;
    assert_eq!(p.len(), 1);
    assert!(p[0].get("hasNext").is_none());
}

/// A response fully written before it is consumed (channels buffer everything).
fn written_response() -> Arc<FakeResolvers> {
    FakeResolvers::new(|data, _| {
        let (writer, value) = copilot_response(CopilotResponseHead {
            thread_id: data.thread_id.unwrap_or_default(),
            run_id: None,
            extensions: Some(None),
        });
        let text = writer.start_text_message("m1", None, Some("2026-01-01T00:00:00.000Z".into()));
        text.push("Hi");
        text.push("!");
        text.finish(MessageStatus::Success);
        let call = writer.start_action_execution(
            "c1",
            "setColor",
            Some("m1".into()),
            Some("2026-01-01T00:00:00.001Z".into()),
        );
        call.push("{\"color\":");
        call.push("\"red\"}");
        call.finish(MessageStatus::Failed {
            reason: "nope".into(),
        });
        writer.finish(ResponseStatus::guardrails_denied("off topic"));
        Ok(value)
    })
}

fn min_data() -> Json {
    json!({"data": {"metadata": {"requestType": "Chat"}, "threadId": "t1", "messages": [], "frontend": {"actions": []}}})
}

#[tokio::test]
async fn graphql_fragments_on_interfaces_and_unions() {
    let q = r#"
      mutation M($data: GenerateCopilotResponseInput!) {
        r: generateCopilotResponse(data: $data) {
          threadId
          extensions { openaiAssistantAPI { runId } }
          status { __typename ... on SuccessResponseStatus { code } ...St }
          messages { ... on BaseMessageOutput { id } ... on TextMessageOutput { content } ...Msg }
        }
      }
      fragment St on ResponseStatus { ... on BaseResponseStatus { c2: code } ... on FailedResponseStatus { reason details } }
      fragment Msg on BaseMessageOutput {
        createdAt
        status { ... on MessageStatus { __typename } ... on FailedMessageStatus { reason } }
        ... on ActionExecutionMessageOutput { name arguments }
      }
    "#;
    let p = run(q, min_data(), written_response(), true).await;
    assert_eq!(
        p,
        vec![json!({"data":{"r":{
        "threadId":"t1",
        "extensions":{"openaiAssistantAPI":null},
        "status":{"__typename":"FailedResponseStatus","c2":"Failed","reason":"GUARDRAILS_VALIDATION_FAILED","details":{"guardrailsReason":"off topic"}},
        "messages":[
            {"id":"m1","content":["Hi","!"],"createdAt":"2026-01-01T00:00:00.000Z","status":{"__typename":"SuccessMessageStatus"}},
            {"id":"c1","createdAt":"2026-01-01T00:00:00.001Z","status":{"__typename":"FailedMessageStatus","reason":"nope"},
             "name":"setColor","arguments":["{\"color\":","\"red\"}"]}
        ]}}})]
    );
}

#[tokio::test]
async fn graphql_client_mutation_incremental_equals_single_result() {
    let q = client_mutation_query();
    let incremental = run(&q, min_data(), written_response(), true).await;
    let single = run(&q, min_data(), written_response(), false).await;
    assert!(
        incremental.len() >= 2,
        "initial payload plus what was ready: {incremental:?}"
    );
    let mut data = incremental[0]["data"].clone();
    for p in &incremental[1..] {
        crate::graphql::apply_incremental(&mut data, &super::multipart::payload_from_json(p));
    }
    assert_eq!(incremental.last().unwrap()["hasNext"], json!(false));
    // Same content; key order differs (deferred fields come last when merged).
    assert_eq!(data, single[0]["data"]);
}

struct NoId;

#[tokio::test]
async fn graphql_null_propagation() {
    let _ = NoId;
    // A message without its non-null id: null bubbles through [BaseMessageOutput!]! up to the
    // non-null root field, so data is null.
    let r = FakeResolvers::new(|_, _| {
        Ok(Resolved::object(
            "CopilotResponse",
            vec![
                ("threadId", Resolved::string("t")),
                (
                    "messages",
                    Resolved::List(vec![Resolved::object(
                        "TextMessageOutput",
                        vec![("content", Resolved::List(vec![]))],
                    )]),
                ),
                (
                    "extensions",
                    Resolved::object(
                        "ExtensionsResponse",
                        vec![("openaiAssistantAPI", Resolved::error("boom"))],
                    ),
                ),
            ],
        ))
    });
    let q = r#"mutation($data: GenerateCopilotResponseInput!) { generateCopilotResponse(data: $data) {
        threadId extensions { openaiAssistantAPI { runId } } messages { ... on BaseMessageOutput { id } } } }"#;
    let p = run(q, min_data(), r.clone(), false).await;
    assert_eq!(
        p[0],
        json!({"errors":[
            {"message":"boom","locations":[{"line":2,"column":31}],"path":["generateCopilotResponse","extensions","openaiAssistantAPI"]},
            {"message":"Cannot return null for non-nullable field TextMessageOutput.id.","locations":[{"line":2,"column":100}],
             "path":["generateCopilotResponse","messages",0,"id"]}],
          "data":null})
    );
    // Only the nullable part: the error stays local.
    let q = r#"mutation($data: GenerateCopilotResponseInput!) { generateCopilotResponse(data: $data) {
        threadId extensions { openaiAssistantAPI { runId } } } }"#;
    let p = run(q, min_data(), r.clone(), false).await;
    assert_eq!(
        p[0]["data"],
        json!({"generateCopilotResponse":{"threadId":"t","extensions":{"openaiAssistantAPI":null}}})
    );
    assert_eq!(p[0]["errors"].as_array().unwrap().len(), 1);

    // In a stream: the failing item is sent as `items: null` with its error and the stream ends.
    let r = FakeResolvers::new(|_, _| {
        let items = vec![
            Resolved::object("TextMessageOutput", vec![("id", Resolved::string("ok"))]),
            Resolved::object("TextMessageOutput", vec![]),
            Resolved::object("TextMessageOutput", vec![("id", Resolved::string("never"))]),
        ];
        Ok(Resolved::object(
            "CopilotResponse",
            vec![
                ("threadId", Resolved::string("t")),
                (
                    "messages",
                    Resolved::stream(futures_util::stream::iter(items)),
                ),
            ],
        ))
    });
    let q = r#"mutation($data: GenerateCopilotResponseInput!) { generateCopilotResponse(data: $data) {
        messages @stream { ... on BaseMessageOutput { id } } } }"#;
    let p = run(q, min_data(), r, true).await;
    assert_eq!(
        p[0],
        json!({"data":{"generateCopilotResponse":{"messages":[]}},"hasNext":true})
    );
    let rest: Vec<Json> = p[1..]
        .iter()
        .flat_map(|x| x["incremental"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(
        rest[0],
        json!({"items":[{"id":"ok"}],"path":["generateCopilotResponse","messages",0]})
    );
    assert_eq!(rest[1]["items"], Json::Null);
    assert_eq!(
        rest[1]["path"],
        json!(["generateCopilotResponse", "messages", 1])
    );
    assert_eq!(
        rest[1]["errors"][0]["message"],
        json!("Cannot return null for non-nullable field TextMessageOutput.id.")
    );
    assert_eq!(rest.len(), 2);
    assert_eq!(p.last().unwrap()["hasNext"], json!(false));
}

#[tokio::test]
async fn graphql_load_agent_state_error_has_copilot_extensions() {
    let q = "query loadAgentState($data: LoadAgentStateInput!) {\n  loadAgentState(data: $data) {\n    threadId\n  }\n}";
    let p = run(
        q,
        json!({"data":{"threadId":"t","agentName":"nope"}}),
        agents(),
        true,
    )
    .await;
    assert_eq!(p[0]["data"], Json::Null);
    let e = &p[0]["errors"][0];
    assert_eq!(e["path"], json!(["loadAgentState"]));
    assert_eq!(e["locations"], json!([{"line":2,"column":3}]));
    assert_eq!(e["extensions"]["code"], json!("AGENT_NOT_FOUND"));
    assert_eq!(e["extensions"]["visibility"], json!("banner"));
    assert_eq!(
        e["extensions"]["originalError"]["message"],
        json!("Agent 'nope' was not found.")
    );
    assert!(e["extensions"]["originalError"].get("stack").is_none());
    let ok = run(
        q,
        json!({"data":{"threadId":"t","agentName":"known"}}),
        agents(),
        true,
    )
    .await;
    assert_eq!(ok[0], json!({"data":{"loadAgentState":{"threadId":"t"}}}));
}

#[test]
fn graphql_field_map_hands_out_one_shot_values_once() {
    use crate::graphql::resolved::ObjectSource;
    let mut m = FieldMap::new(
        "X",
        vec![
            ("a", Resolved::string("s")),
            ("p", Resolved::pending(async { Resolved::Null })),
        ],
    );
    let args = Default::default();
    assert!(matches!(m.field("a", &args), Resolved::Leaf(_)));
    assert!(matches!(m.field("a", &args), Resolved::Leaf(_)));
    assert!(matches!(m.field("p", &args), Resolved::Pending(_)));
    assert!(matches!(m.field("p", &args), Resolved::Error(_)));
    assert!(matches!(m.field("missing", &args), Resolved::Null));
}

#[test]
fn graphql_validation_messages() {
    let cases: Vec<(&str, Json, &str)> = vec![
        ("{ hello { x } }", json!({}), "Field \"hello\" must not have a selection since type \"String!\" has no subfields."),
        ("{ availableAgents }", json!({}), "Field \"availableAgents\" of type \"AgentsResponse!\" must have a selection of subfields. Did you mean \"availableAgents { ... }\"?"),
        ("{ helo }", json!({}), "Cannot query field \"helo\" on type \"Query\". Did you mean \"hello\"?"),
        ("{ ...F }", json!({}), "Unknown fragment \"F\"."),
        ("{ hello } fragment F on Agent { id }", json!({}), "Fragment \"F\" is never used."),
        ("{ availableAgents { ...F } } fragment F on Agent { id }", json!({}),
         "Fragment \"F\" cannot be spread here as objects of type \"AgentsResponse\" can never be of type \"Agent\"."),
        ("{ ... on Nope { x } }", json!({}), "Unknown type \"Nope\"."),
        ("{ ... on String { x } }", json!({}), "Fragment cannot condition on non composite type \"String\"."),
        ("{ loadAgentState { threadId } }", json!({}),
         "Field \"loadAgentState\" argument \"data\" of type \"LoadAgentStateInput!\" is required, but it was not provided."),
        ("query { loadAgentState(data: $d) { threadId } }", json!({}), "Variable \"$d\" is not defined."),
        ("query Q($x: String) { hello }", json!({}), "Variable \"$x\" is never used in operation \"Q\"."),
        ("query Q($x: String) { loadAgentState(data: {threadId: $x, agentName: \"a\"}) { threadId } }", json!({}),
         "Variable \"$x\" of type \"String\" used in position expecting type \"String!\"."),
        ("{ loadAgentState(data: {threadId: 1, agentName: \"a\"}) { threadId } }", json!({}),
         "String cannot represent a non string value: 1"),
        ("{ loadAgentState(data: {threadId: \"t\"}) { threadId } }", json!({}),
         "Field \"LoadAgentStateInput.agentName\" of required type \"String!\" was not provided."),
        ("{ hello @nope }", json!({}), "Unknown directive \"@nope\"."),
        ("{ hello @defer }", json!({}), "Directive \"@defer\" may not be used on FIELD."),
        ("{ hello @stream }", json!({}), "Stream directive cannot be used on non-list field \"hello\" on type \"Query\"."),
        ("mutation($d: GenerateCopilotResponseInput!) { ... @defer { generateCopilotResponse(data: $d) { threadId } } }", json!({"d":{}}),
         "Defer directive cannot be used on root mutation type \"Mutation\"."),
        ("{ a: hello @skip(if: true) a: availableAgents { agents { id } } }", json!({}),
         "Fields \"a\" conflict because \"hello\" and \"availableAgents\" are different fields. Use different aliases on the fields to fetch both if this was intentional."),
        ("{ __schema { types { name } } }", json!({}),
         "GraphQL introspection has been disabled, but the requested query contained the field \"__schema\"."),
        ("{ hello } { hello }", json!({}), "This anonymous operation must be the only defined operation."),
        ("type T { a: String }", json!({}), "The \"T\" definition is not executable."),
        ("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", json!({}),
         "Cannot spread fragment \"A\" within itself via \"B\"."),
        ("query Q($d: LoadAgentStateInput!) { loadAgentState(data: $d) { threadId } }", json!({}),
         "Variable \"$d\" of required type \"LoadAgentStateInput!\" was not provided."),
        ("query Q($d: LoadAgentStateInput!) { loadAgentState(data: $d) { threadId } }", json!({"d": null}),
         "Variable \"$d\" of non-null type \"LoadAgentStateInput!\" must not be null."),
        ("query Q($d: LoadAgentStateInput!) { loadAgentState(data: $d) { threadId } }", json!({"d": {"threadId": 1, "agentName": "a"}}),
         "Variable \"$d\" got invalid value 1 at \"d.threadId\"; String cannot represent a non string value: 1"),
        ("query Q($d: LoadAgentStateInput!) { loadAgentState(data: $d) { threadId } }", json!({"d": {"threadId": "t", "agentNam": "a"}}),
         "Variable \"$d\" got invalid value { threadId: \"t\", agentNam: \"a\" }; Field \"agentName\" of required type \"String!\" was not provided."),
        ("subscription S { hello }", json!({}), ""),
        ("{ hello(", json!({}), "Syntax Error: Expected Name, found <EOF>."),
        ("{ hello }}", json!({}), "Syntax Error: Unexpected \"}\"."),
        ("{ hello(x: \"abc) }", json!({}), "Syntax Error: Unterminated string."),
        ("", json!({}), "Syntax Error: Unexpected <EOF>."),
    ];
    for (q, vars, expected) in cases {
        let errs = errors_of(q, vars);
        if expected.is_empty() {
            continue;
        }
        assert!(
            errs.iter().any(|e| e == expected),
            "query {q:?}: expected {expected:?}, got {errs:?}"
        );
    }
    // The did-you-mean on unknown input fields in variables (graphql-js wording).
    let errs = errors_of(
        "query Q($d: LoadAgentStateInput!) { loadAgentState(data: $d) { threadId } }",
        json!({"d": {"threadId": "t", "agentName": "a", "agentNam": 1}}),
    );
    assert_eq!(
        errs,
        vec!["Variable \"$d\" got invalid value { threadId: \"t\", agentName: \"a\", agentNam: 1 }; Field \"agentNam\" is not defined by type \"LoadAgentStateInput\". Did you mean \"agentName\"?"]
    );
}

#[tokio::test]
async fn graphql_subscription_and_operation_name_errors() {
    use crate::graphql::http::{handle_graphql, GraphqlHttpRequest};
    let post = |body: Json| GraphqlHttpRequest {
        method: "POST".into(),
        path: "/api/copilotkit".into(),
        query_string: None,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(&body).unwrap().into(),
    };
    let r = handle_graphql(
        post(json!({"query":"subscription { hello }"})),
        FakeResolvers::unused(),
        Default::default(),
    )
    .await;
    assert_eq!(r.status, 400);
    let b: Json = serde_json::from_slice(&r.body_bytes().await).unwrap();
    assert_eq!(
        b["errors"][0]["message"],
        json!("Schema is not configured to execute subscription operation.")
    );
    let r = handle_graphql(
        post(json!({"query":"query A { hello } query B { hello }"})),
        FakeResolvers::unused(),
        Default::default(),
    )
    .await;
    assert_eq!(r.status, 400);
    let b: Json = serde_json::from_slice(&r.body_bytes().await).unwrap();
    assert_eq!(
        b["errors"][0]["extensions"]["code"],
        json!("OPERATION_RESOLUTION_FAILURE")
    );
    let r = handle_graphql(
        post(json!({"query":"query A { hello } query B { __typename }", "operationName": "B"})),
        FakeResolvers::unused(),
        Default::default(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        &r.body_bytes().await[..],
        br#"{"data":{"__typename":"Query"}}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_status_never_overtakes_buffered_chunks() {
    // Many chunks pushed before the executor gets to run, then the statuses: whatever the
    // scheduling, once a payload carries the message status, all 300 chunks are delivered.
    let r = FakeResolvers::new(|data, _| {
        let (writer, value) = copilot_response(CopilotResponseHead {
            thread_id: data.thread_id.unwrap_or_default(),
            ..Default::default()
        });
        std::thread::spawn(move || {
            let call = writer.start_action_execution("c1", "act", None, None);
            for i in 0..300 {
                call.push(format!("{i},"));
            }
            call.finish(MessageStatus::Success);
            writer.finish(ResponseStatus::Success);
        });
        Ok(value)
    });
    let q = client_mutation_query();
    let payloads = run(&q, min_data(), r, true).await;
    let mut data = payloads[0]["data"].clone();
    for p in &payloads[1..] {
        crate::graphql::apply_incremental(&mut data, &super::multipart::payload_from_json(p));
        let msg = &data["generateCopilotResponse"]["messages"][0];
        if msg.get("status").is_some() {
            assert_eq!(msg["arguments"].as_array().unwrap().len(), 300);
        }
        if data["generateCopilotResponse"].get("status").is_some() {
            assert_eq!(
                data["generateCopilotResponse"]["messages"]
                    .as_array()
                    .unwrap()
                    .len(),
                1
            );
        }
    }
    assert_eq!(
        data["generateCopilotResponse"]["messages"][0]["status"]["code"],
        json!("Success")
    );
}

#[test]
fn graphql_hostile_nesting_is_a_syntax_error() {
    let deep = format!(
        "{{ {} hello {} }}",
        "... on Query {".repeat(5000),
        "}".repeat(5000)
    );
    let errs = errors_of(&deep, json!({}));
    assert_eq!(
        errs,
        vec!["Syntax Error: Document exceeds the maximum nesting depth.".to_string()]
    );
    let many = format!("{{ {} }}", "__typename ".repeat(20000));
    assert!(errors_of(&many, json!({})).is_empty());
}

#[tokio::test]
async fn graphql_response_with_meta_events() {
    use crate::graphql::outputs::{copilot_response, MetaEvent, OutputMessage};
    let r = FakeResolvers::new(|_, _| {
        let (w, value) = copilot_response(CopilotResponseHead {
            thread_id: "t1".into(),
            ..Default::default()
        });
        let msg = w.start_text_message("m1", None, Some("2026-01-01T00:00:00.000Z".into()));
        msg.push("a");
        msg.push("b");
        msg.finish(MessageStatus::Success);
        w.meta_event(MetaEvent::LangGraphInterrupt {
            value: "x".into(),
            response: None,
        });
        w.meta_event(MetaEvent::CopilotKitLangGraphInterrupt {
            value: "v".into(),
            response: None,
            messages: vec![OutputMessage::Text {
                id: "t".into(),
                created_at: Some("2026-01-01T00:00:00.000Z".into()),
                content: "whole".into(),
                parent_message_id: None,
                status: MessageStatus::Success,
            }],
        });
        w.finish(ResponseStatus::Success);
        Ok(value)
    });
    let q = client_mutation_query();
    let payloads = run(&q, min_data(), r, true).await;
    let mut data = payloads[0]["data"].clone();
    for p in &payloads[1..] {
        crate::graphql::apply_incremental(&mut data, &super::multipart::payload_from_json(p));
    }
    let g = &data["generateCopilotResponse"];
    assert_eq!(g["messages"][0]["content"], json!(["a", "b"]));
    assert_eq!(
        g["metaEvents"][0],
        json!({"type":"MetaEvent","name":"LangGraphInterruptEvent","value":"x","__typename":"LangGraphInterruptEvent"})
    );
    let m = &g["metaEvents"][1]["data"]["messages"][0];
    assert_eq!(m["content"], json!(["whole"]));
    assert_eq!(
        m["status"],
        json!({"code":"Success","__typename":"SuccessMessageStatus"})
    );
    assert_eq!(g["status"]["code"], json!("Success"));
}
