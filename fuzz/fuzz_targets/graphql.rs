//! GraphQL front end: request parameters (JSON body / query string), parse + validate +
//! variable coercion (`request::prepare`), and the whole HTTP handler with a trivial resolver
//! (execution, `@defer`/`@stream`, multipart / SSE / JSON encoding).
#![no_main]

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use copilot_runtime_rs::graphql::http::{handle_graphql, GraphqlHttpRequest};
use copilot_runtime_rs::graphql::inputs::{GenerateCopilotResponseInput, LoadAgentStateInput};
use copilot_runtime_rs::graphql::outputs::{
    copilot_response, AgentInfo, CopilotResponseHead, LoadAgentStateOutput, MessageStatus, ResponseStatus,
};
use copilot_runtime_rs::graphql::request::{params_from_json_body, params_from_query_string, prepare};
use copilot_runtime_rs::graphql::resolved::Resolved;
use copilot_runtime_rs::graphql::root::{RequestContext, ResolverError, RootResolvers};
use futures_util::future::{BoxFuture, FutureExt};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

struct Trivial;

impl RootResolvers for Trivial {
    fn generate_copilot_response(
        &self,
        data: GenerateCopilotResponseInput,
        _properties: Option<Map<String, Value>>,
        _ctx: RequestContext,
    ) -> BoxFuture<'static, Result<Resolved, ResolverError>> {
        let _ = data.model_messages();
        let _ = data.tools();
        async move {
            let (w, value) = copilot_response(CopilotResponseHead {
                thread_id: "t".into(),
                run_id: None,
                extensions: None,
            });
            let m = w.start_text_message("m1", None, None);
            m.push("Hello");
            m.push(" world");
            m.finish(MessageStatus::Success);
            w.finish(ResponseStatus::Success);
            Ok(value)
        }
        .boxed()
    }

    fn available_agents(&self, _ctx: RequestContext) -> BoxFuture<'static, Result<Vec<AgentInfo>, ResolverError>> {
        async {
            Ok(vec![AgentInfo {
                id: "a".into(),
                name: "A".into(),
                description: "d".into(),
            }])
        }
        .boxed()
    }

    fn load_agent_state(
        &self,
        _data: LoadAgentStateInput,
        _ctx: RequestContext,
    ) -> BoxFuture<'static, Result<LoadAgentStateOutput, ResolverError>> {
        async { Err(ResolverError::plain("no state")) }.boxed()
    }
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

const ACCEPTS: [&str; 5] = [
    "multipart/mixed",
    "text/event-stream",
    "application/json",
    "application/graphql-response+json",
    "*/*",
];

fn serve(method: &str, query_string: Option<String>, accept: &str, content_type: &str, body: Vec<u8>) {
    let req = GraphqlHttpRequest {
        method: method.into(),
        path: "/api/copilotkit".into(),
        query_string,
        headers: vec![
            ("accept".into(), accept.into()),
            ("content-type".into(), content_type.into()),
        ],
        body: Bytes::from(body),
    };
    rt().block_on(async {
        let resp = handle_graphql(req, Arc::new(Trivial), CancellationToken::new()).await;
        assert!((100..600).contains(&resp.status), "status {}", resp.status);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), resp.body_bytes())
            .await
            .expect("response body did not complete");
    });
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest).into_owned();
    match mode % 6 {
        // The document text itself: parser, validator, operation selection.
        0 => {
            let params = copilot_runtime_rs::graphql::request::GraphQLParams {
                query: text,
                operation_name: None,
                variables: Map::new(),
                extensions: None,
            };
            let _ = prepare(&params);
        }
        1 => {
            if let Ok(p) = params_from_json_body(rest) {
                let _ = prepare(&p);
            }
        }
        2 => {
            if let Ok(p) = params_from_query_string(&text) {
                let _ = prepare(&p);
            }
        }
        // Whole handler, raw body.
        3 => serve("POST", None, ACCEPTS[rest.len() % ACCEPTS.len()], "application/json", rest.to_vec()),
        // Whole handler, the input as the document (so valid documents reach execution).
        4 => {
            let (q, vars) = match text.split_once('\u{0}') {
                Some((q, v)) => (q.to_string(), serde_json::from_str::<Value>(v).unwrap_or(Value::Null)),
                None => (text.clone(), Value::Null),
            };
            let body = json!({ "query": q, "variables": vars }).to_string();
            serve("POST", None, ACCEPTS[rest.len() % ACCEPTS.len()], "application/json", body.into_bytes());
        }
        // GET with a query string.
        _ => serve("GET", Some(text), ACCEPTS[rest.len() % ACCEPTS.len()], "", Vec::new()),
    }
});
