//! The exact multipart framing of `a-text-stream`, produced by running the client's captured
//! request through `handle_graphql` with a fake engine that emits the same message and chunks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use super::support::*;
use crate::graphql::execute::apply_incremental;
use crate::graphql::http::{handle_graphql, GraphqlHttpRequest, ResponseBody};
use crate::graphql::outputs::{
    copilot_response, CopilotResponseHead, MessageStatus, ResponseStatus, ResponseWriter,
};
use crate::graphql::resolved::BoxStream;
use crate::graphql::ExecutionPayload;

type Slot = Arc<Mutex<Option<ResponseWriter>>>;

fn engine() -> (Arc<FakeResolvers>, Slot) {
    let slot: Slot = Arc::new(Mutex::new(None));
    let s = slot.clone();
    let resolvers = FakeResolvers::new(move |data, properties| {
        assert_eq!(properties, Some(Default::default()));
        let (writer, value) = copilot_response(CopilotResponseHead {
            thread_id: data.thread_id.clone().unwrap(),
            run_id: data.run_id.clone(),
            extensions: None,
        });
        *s.lock().unwrap() = Some(writer);
        Ok(value)
    });
    (resolvers, slot)
}

async fn next_chunk(body: &mut BoxStream<Bytes>) -> Bytes {
    tokio::time::timeout(Duration::from_secs(5), body.next())
        .await
        .expect("chunk in time")
        .expect("a chunk")
}

/// The JSON of a part.
fn part_json(chunk: &Bytes) -> Json {
    let s = std::str::from_utf8(chunk).unwrap();
    let start = s.find("\r\n\r\n").unwrap() + 4;
    let end = s.rfind("\r\n---").unwrap();
    serde_json::from_str(&s[start..end]).unwrap()
}

#[tokio::test]
async fn graphql_multipart_bytes_equal_a_text_stream_capture() {
    let req = parse_request(&capture("a-text-stream.request.http"));
    let expected = parse_response(&capture("a-text-stream.response.txt"));
    let (resolvers, slot) = engine();
    let resp = handle_graphql(req, resolvers, CancellationToken::new()).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Content-Type"), expected.header("Content-Type"));
    // yoga sends `Connection: keep-alive`; that is the host server's business (hop-by-hop).
    assert_eq!(resp.header("Connection"), None);
    assert_eq!(resp.header("x-copilotkit-runtime-version"), Some("1.10.6"));
    let ResponseBody::Stream(mut body) = resp.body else {
        panic!("streamed body expected")
    };

    let mut got = Vec::new();
    let mut chunks = Vec::new();
    chunks.push(next_chunk(&mut body).await); // preamble
    chunks.push(next_chunk(&mut body).await); // initial payload
    let mut writer = slot.lock().unwrap().take().expect("resolver ran");
    let mut msg = writer.start_text_message(
        "chatcmpl-mock-1",
        None,
        Some("2026-11-24T20:40:40.776Z".into()),
    );
    chunks.push(next_chunk(&mut body).await);
    for c in ["Hello", "! How", " can I", " help you", " today?"] {
        msg.push(c);
        chunks.push(next_chunk(&mut body).await);
    }
    // Run end: both statuses become known together, the lists close afterwards.
    msg.set_status(MessageStatus::Success);
    writer.set_status(ResponseStatus::Success);
    chunks.push(next_chunk(&mut body).await);
    msg.end_chunks();
    writer.end_lists();
    chunks.push(next_chunk(&mut body).await); // {"hasNext":false}
    chunks.push(next_chunk(&mut body).await); // epilogue
    assert!(body.next().await.is_none());
    for c in &chunks {
        got.extend_from_slice(c);
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&expected.body)
    );
    assert_eq!(&chunks[0][..], b"\r\n---");
    assert_eq!(&chunks.last().unwrap()[..], b"--\r\n");

    // What the client sees after merging every part equals its captured final view.
    let views = String::from_utf8(capture("a-text-stream.client-view.jsonl")).unwrap();
    let last: Json = serde_json::from_str(views.lines().last().unwrap()).unwrap();
    let mut data = part_json(&chunks[1])["data"].clone();
    for c in &chunks[2..chunks.len() - 1] {
        let p = part_json(c);
        let payload = payload_from_json(&p);
        apply_incremental(&mut data, &payload);
    }
    assert_eq!(data, last["data"]);
}

/// Rebuilds a payload from its JSON (test helper for `apply_incremental`).
pub fn payload_from_json(p: &Json) -> ExecutionPayload {
    use crate::graphql::execute::{EntryKind, IncrementalEntry};
    use crate::graphql::PathSeg;
    let entries = p["incremental"].as_array().cloned().unwrap_or_default();
    ExecutionPayload {
        incremental: entries
            .iter()
            .map(|e| IncrementalEntry {
                kind: if e.get("items").is_some() {
                    EntryKind::Stream(e["items"].clone())
                } else {
                    EntryKind::Defer(e["data"].clone())
                },
                path: e["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| match s {
                        Json::Number(n) => PathSeg::Index(n.as_u64().unwrap() as usize),
                        other => PathSeg::Key(other.as_str().unwrap().to_string()),
                    })
                    .collect(),
                label: None,
                errors: vec![],
            })
            .collect(),
        has_next: p["hasNext"].as_bool(),
        ..Default::default()
    }
}

#[tokio::test]
async fn graphql_server_action_sequence_like_c_server_action() {
    // Tool call with streamed arguments, its status, then a result message with its status in
    // the same payload, then the response status and the end.
    let req = parse_request(&capture("c-server-action-1.request.http"));
    let expected = parse_response(&capture("c-server-action-1.response.txt"));
    let (resolvers, slot) = engine();
    let resp = handle_graphql(req, resolvers, CancellationToken::new()).await;
    let ResponseBody::Stream(mut body) = resp.body else {
        panic!()
    };
    let mut got = Vec::new();
    got.extend_from_slice(&next_chunk(&mut body).await);
    got.extend_from_slice(&next_chunk(&mut body).await);
    let mut writer = slot.lock().unwrap().take().unwrap();
    let mut call = writer.start_action_execution(
        "call_mock_weather_1",
        "getWeather",
        Some("chatcmpl-mock-4".into()),
        Some("2026-11-24T20:40:41.886Z".into()),
    );
    got.extend_from_slice(&next_chunk(&mut body).await);
    for a in ["{\"ci", "ty\":", "\"Par", "is\"}"] {
        call.push(a);
        got.extend_from_slice(&next_chunk(&mut body).await);
    }
    call.set_status(MessageStatus::Success);
    got.extend_from_slice(&next_chunk(&mut body).await);
    writer.push_message(crate::graphql::OutputMessage::Result {
        id: "result-call_mock_weather_1".into(),
        created_at: Some("2026-11-24T20:40:41.961Z".into()),
        action_execution_id: "call_mock_weather_1".into(),
        action_name: "getWeather".into(),
        result: "{\"city\":\"Paris\",\"temperature\":22,\"unit\":\"C\",\"conditions\":\"sunny\"}"
            .into(),
        status: MessageStatus::Success,
    });
    got.extend_from_slice(&next_chunk(&mut body).await);
    writer.set_status(ResponseStatus::Success);
    got.extend_from_slice(&next_chunk(&mut body).await);
    call.end_chunks();
    writer.end_lists();
    while let Some(c) = body.next().await {
        got.extend_from_slice(&c);
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&expected.body)
    );
}

#[tokio::test]
async fn graphql_cancel_stops_body_and_drops_resolver_streams() {
    let req = parse_request(&capture("a-text-stream.request.http"));
    let (resolvers, slot) = engine();
    let cancel = CancellationToken::new();
    let resp = handle_graphql(req, resolvers, cancel.clone()).await;
    let ResponseBody::Stream(mut body) = resp.body else {
        panic!()
    };
    next_chunk(&mut body).await;
    next_chunk(&mut body).await;
    let writer = slot.lock().unwrap().take().unwrap();
    let msg = writer.start_text_message("m1", None, None);
    next_chunk(&mut body).await;
    msg.push("Hel");
    next_chunk(&mut body).await;
    cancel.cancel();
    assert!(
        body.next().await.is_none(),
        "body ends at once, without the closing delimiter"
    );
    // The executor dropped the receivers: the engine sees closed channels.
    assert!(msg.is_closed());
    assert!(writer.is_closed());
}

#[tokio::test]
async fn graphql_dropping_body_drops_resolver_streams() {
    let req = parse_request(&capture("a-text-stream.request.http"));
    let (resolvers, slot) = engine();
    let resp = handle_graphql(req, resolvers, CancellationToken::new()).await;
    let ResponseBody::Stream(mut body) = resp.body else {
        panic!()
    };
    next_chunk(&mut body).await;
    next_chunk(&mut body).await;
    let writer = slot.lock().unwrap().take().unwrap();
    assert!(!writer.is_closed());
    drop(body);
    assert!(writer.is_closed());
}

fn sse_request() -> GraphqlHttpRequest {
    let mut req = parse_request(&capture("a-text-stream.request.http"));
    for (k, v) in req.headers.iter_mut() {
        if k.eq_ignore_ascii_case("accept") {
            *v = "text/event-stream".into();
        }
    }
    req
}

#[tokio::test]
async fn graphql_sse_framing_when_only_event_stream_is_acceptable() {
    let (resolvers, slot) = engine();
    let resp = handle_graphql(sse_request(), resolvers, CancellationToken::new()).await;
    assert_eq!(resp.header("Content-Type"), Some("text/event-stream"));
    assert_eq!(resp.header("Cache-Control"), Some("no-cache"));
    let ResponseBody::Stream(mut body) = resp.body else {
        panic!()
    };
    assert_eq!(&next_chunk(&mut body).await[..], b":\n\n");
    let first = next_chunk(&mut body).await;
    assert!(first.starts_with(b"event: next\ndata: {\"data\":{\"generateCopilotResponse\""));
    assert!(first.ends_with(b",\"hasNext\":true}\n\n"));
    let writer = slot.lock().unwrap().take().unwrap();
    writer.finish(ResponseStatus::Success);
    let last = next_chunk(&mut body).await;
    assert!(
        String::from_utf8_lossy(&last).contains("\"SuccessResponseStatus\""),
        "{last:?}"
    );
    assert!(last.ends_with(b"\"hasNext\":false}\n\n"));
    assert_eq!(
        &next_chunk(&mut body).await[..],
        b"event: complete\ndata:\n\n"
    );
    assert!(body.next().await.is_none());
}

#[tokio::test]
async fn graphql_406_without_streaming_format_and_json_fallback() {
    let mut req = parse_request(&capture("a-text-stream.request.http"));
    for (k, v) in req.headers.iter_mut() {
        if k.eq_ignore_ascii_case("accept") {
            *v = "application/json".into();
        }
    }
    let (resolvers, _slot) = engine();
    let resp = handle_graphql(req.clone(), resolvers.clone(), CancellationToken::new()).await;
    assert_eq!(resp.status, 406);
    assert!(resolvers.calls.lock().unwrap().is_empty(), "not executed");

    // With the fallback: one JSON result, deferred/streamed data in place.
    let cfg = crate::graphql::HandlerConfig {
        non_incremental_fallback: true,
        ..Default::default()
    };
    let (resolvers, slot) = engine();
    let handle = tokio::spawn({
        let resolvers = resolvers.clone();
        async move {
            crate::graphql::handle_graphql_with_config(
                &cfg,
                req,
                resolvers,
                CancellationToken::new(),
            )
            .await
        }
    });
    let writer = loop {
        if let Some(w) = slot.lock().unwrap().take() {
            break w;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let msg = writer.start_text_message("m1", None, Some("2026-01-01T00:00:00.000Z".into()));
    msg.push("Hello");
    msg.push(" world");
    msg.finish(MessageStatus::Success);
    writer.finish(ResponseStatus::Success);
    let resp = handle.await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    let body: Json = serde_json::from_slice(&resp.body_bytes().await).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"data":{"generateCopilotResponse":{
            "threadId":"thread-a","runId":null,"extensions":null,
            "status":{"code":"Success","__typename":"SuccessResponseStatus"},"__typename":"CopilotResponse",
            "messages":[{"__typename":"TextMessageOutput","id":"m1","createdAt":"2026-01-01T00:00:00.000Z",
                "status":{"code":"Success","__typename":"SuccessMessageStatus"},
                "content":["Hello"," world"],"role":"assistant","parentMessageId":null}],
            "metaEvents":[]}}})
    );
}
