//! Shared test helpers: capture parsing and fake resolvers.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{Map, Value as Json};

use crate::graphql::http::GraphqlHttpRequest;
use crate::graphql::inputs::{GenerateCopilotResponseInput, LoadAgentStateInput};
use crate::graphql::outputs::{AgentInfo, LoadAgentStateOutput};
use crate::graphql::resolved::Resolved;
use crate::graphql::root::{CopilotErrorCode, RequestContext, ResolverError, RootResolvers};

pub fn capture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/src/graphql/tests/captures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Splits raw HTTP bytes into the head lines and the body.
fn split_head(raw: &[u8]) -> (Vec<String>, Vec<u8>) {
    let pos = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head/body separator");
    let head = String::from_utf8_lossy(&raw[..pos]).into_owned();
    (
        head.split("\r\n").map(str::to_string).collect(),
        raw[pos + 4..].to_vec(),
    )
}

pub fn parse_request(raw: &[u8]) -> GraphqlHttpRequest {
    let (lines, body) = split_head(raw);
    let mut first = lines[0].split(' ');
    let method = first.next().unwrap().to_string();
    let target = first.next().unwrap();
    let (path, qs) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    let headers = lines[1..]
        .iter()
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    GraphqlHttpRequest {
        method,
        path,
        query_string: qs,
        headers,
        body: Bytes::from(body),
    }
}

pub struct CapturedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl CapturedResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn parse_response(raw: &[u8]) -> CapturedResponse {
    let (lines, body) = split_head(raw);
    let status = lines[0].split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines[1..]
        .iter()
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    CapturedResponse {
        status,
        headers,
        body,
    }
}

type GenerateFn = dyn Fn(GenerateCopilotResponseInput, Option<Map<String, Json>>) -> Result<Resolved, ResolverError>
    + Send
    + Sync;

/// Resolvers for tests: `generate` builds the response; calls are recorded.
pub struct FakeResolvers {
    pub generate: Box<GenerateFn>,
    pub agents: Vec<AgentInfo>,
    pub calls: Mutex<Vec<String>>,
}

impl FakeResolvers {
    pub fn new(
        generate: impl Fn(
                GenerateCopilotResponseInput,
                Option<Map<String, Json>>,
            ) -> Result<Resolved, ResolverError>
            + Send
            + Sync
            + 'static,
    ) -> Arc<Self> {
        Arc::new(FakeResolvers {
            generate: Box::new(generate),
            agents: vec![],
            calls: Mutex::new(vec![]),
        })
    }

    pub fn unused() -> Arc<Self> {
        Self::new(|_, _| panic!("generateCopilotResponse must not be called"))
    }
}

impl RootResolvers for FakeResolvers {
    fn generate_copilot_response(
        &self,
        data: GenerateCopilotResponseInput,
        properties: Option<Map<String, Json>>,
        _ctx: RequestContext,
    ) -> BoxFuture<'static, Result<Resolved, ResolverError>> {
        self.calls
            .lock()
            .unwrap()
            .push("generateCopilotResponse".into());
        let r = (self.generate)(data, properties);
        async move { r }.boxed()
    }

    fn available_agents(
        &self,
        _ctx: RequestContext,
    ) -> BoxFuture<'static, Result<Vec<AgentInfo>, ResolverError>> {
        self.calls.lock().unwrap().push("availableAgents".into());
        let agents = self.agents.clone();
        async move { Ok(agents) }.boxed()
    }

    fn load_agent_state(
        &self,
        data: LoadAgentStateInput,
        _ctx: RequestContext,
    ) -> BoxFuture<'static, Result<LoadAgentStateOutput, ResolverError>> {
        self.calls.lock().unwrap().push("loadAgentState".into());
        async move {
            if data.agent_name == "known" {
                Ok(LoadAgentStateOutput {
                    thread_id: data.thread_id,
                    thread_exists: false,
                    state: "{}".into(),
                    messages: "[]".into(),
                })
            } else {
                Err(ResolverError::copilot(
                    CopilotErrorCode::AgentNotFound,
                    format!("Agent '{}' was not found.", data.agent_name),
                ))
            }
        }
        .boxed()
    }
}

/// The client's operation documents (Appendix A), taken from the captured request.
pub fn client_mutation_query() -> String {
    let req = parse_request(&capture("a-text-stream.request.http"));
    let v: Json = serde_json::from_slice(&req.body).unwrap();
    v["query"].as_str().unwrap().to_string()
}
