//! AG-UI: `RunAgentInput::from_json`, `AguiEvent::from_value` (+ re-encoding round trip), and
//! the single-route handler (envelope resolution → run → SSE) with a trivial agent.
#![no_main]

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use copilot_runtime_rs::agui::{handle, AgentInfo, AgentProvider, AguiContext, AguiEvent, RunAgentInput, RunContext};
use copilot_runtime_rs::http::{Body, HttpRequest};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

struct Trivial;

impl AgentProvider for Trivial {
    fn agents(&self) -> BoxFuture<'_, Result<Vec<AgentInfo>, String>> {
        Box::pin(async {
            Ok(vec![AgentInfo {
                id: "default".into(),
                name: "default".into(),
                description: String::new(),
                class_name: "BuiltInAgent".into(),
                capabilities: None,
            }])
        })
    }

    fn run(&self, ctx: RunContext) -> BoxStream<'static, AguiEvent> {
        let _ = ctx.input.raw_messages();
        stream::iter(vec![
            AguiEvent::text_start("m1"),
            AguiEvent::text_content("m1", "hi"),
            AguiEvent::text_end("m1"),
        ])
        .boxed()
    }
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

fn ctx() -> &'static AguiContext {
    static CTX: OnceLock<AguiContext> = OnceLock::new();
    CTX.get_or_init(|| AguiContext::new("/api/copilotkit", Arc::new(Trivial)))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => {
            let Ok(v) = serde_json::from_slice::<Value>(rest) else { return };
            if let Ok(input) = RunAgentInput::from_json(&v) {
                let _ = input.raw_messages();
                let _ = input.echo_without(&HashSet::new());
            }
        }
        1 => {
            let Ok(v) = serde_json::from_slice::<Value>(rest) else { return };
            if let Ok(ev) = AguiEvent::from_value(v) {
                let _ = (ev.type_name(), ev.message_id(), ev.is_terminal(), ev.metadata());
                let text = ev.to_json_string();
                let again = AguiEvent::from_json_str(&text)
                    .unwrap_or_else(|e| panic!("re-encoded event does not decode: {e}\n{text}"));
                assert_eq!(again.to_value(), ev.to_value(), "event round trip changed the event");
            }
        }
        _ => {
            let req = HttpRequest {
                method: "POST".into(),
                url: "/api/copilotkit".into(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("host".into(), "127.0.0.1:1".into()),
                ],
                body: Bytes::copy_from_slice(rest),
            };
            rt().block_on(async {
                let resp = handle(req, ctx(), CancellationToken::new()).await;
                assert!((100..600).contains(&resp.status), "status {}", resp.status);
                if let Body::Stream(s) = resp.body {
                    tokio::time::timeout(std::time::Duration::from_secs(5), s.collect::<Vec<Bytes>>())
                        .await
                        .expect("SSE body did not complete");
                }
            });
        }
    }
});
