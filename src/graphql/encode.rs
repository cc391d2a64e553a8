//! Wire encodings of execution payloads. Each payload becomes exactly one `Bytes` chunk so the
//! HTTP layer can flush per part.
//!
//! * `multipart/mixed; boundary="-"` (§6.1): body =
//!   `"\r\n---"` + Σ(`"\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: N\r\n\r\n"`
//!   + json + `"\r\n---"`) + `"--\r\n"`. The preamble is its own first chunk (sent at once).
//! * `text/event-stream` (§6.6): `":\n\n"` first (and every keep-alive interval while idle), then
//!   `"event: next\ndata: <json>\n\n"` per payload, then `"event: complete\ndata:\n\n"`.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, StreamExt};

use super::execute::{ExecutionPayload, IncrementalStream};
use super::resolved::BoxStream;

pub const MULTIPART_CONTENT_TYPE: &str = "multipart/mixed; boundary=\"-\"";
pub const SSE_CONTENT_TYPE: &str = "text/event-stream";

/// The multipart preamble: CRLF + first delimiter.
pub fn multipart_preamble() -> Bytes {
    Bytes::from_static(b"\r\n---")
}

/// One part (headers, JSON, and the following delimiter).
pub fn multipart_part(json: &str) -> Bytes {
    let mut s = String::with_capacity(json.len() + 80);
    s.push_str("\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ");
    s.push_str(&json.len().to_string());
    s.push_str("\r\n\r\n");
    s.push_str(json);
    s.push_str("\r\n---");
    Bytes::from(s)
}

/// Turns the last delimiter into the closing one.
pub fn multipart_epilogue() -> Bytes {
    Bytes::from_static(b"--\r\n")
}

pub fn sse_event(json: &str) -> Bytes {
    Bytes::from(format!("event: next\ndata: {json}\n\n"))
}

pub fn sse_ping() -> Bytes {
    Bytes::from_static(b":\n\n")
}

pub fn sse_complete() -> Bytes {
    Bytes::from_static(b"event: complete\ndata:\n\n")
}

/// The payloads of an execution as one stream (initial first).
pub fn payload_stream(
    initial: ExecutionPayload,
    rest: Option<IncrementalStream>,
) -> BoxStream<ExecutionPayload> {
    let first = stream::once(async move { initial });
    match rest {
        Some(r) => first.chain(r).boxed(),
        None => first.boxed(),
    }
}

/// Multipart body: preamble, one chunk per payload, then the epilogue once the payloads end.
/// (When the body stream is dropped early, e.g. on client abort, the response simply stops, as
/// the reference does.)
pub fn encode_multipart(payloads: BoxStream<ExecutionPayload>) -> BoxStream<Bytes> {
    stream::once(async { multipart_preamble() })
        .chain(payloads.map(|p| multipart_part(&p.to_json_string())))
        .chain(stream::once(async { multipart_epilogue() }))
        .boxed()
}

/// SSE body with keep-alive comments every `keep_alive` while waiting for the next payload.
pub fn encode_sse(payloads: BoxStream<ExecutionPayload>, keep_alive: Duration) -> BoxStream<Bytes> {
    enum Ev {
        Payload(ExecutionPayload),
        Ping,
    }
    let pings = async_stream::stream! {
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + keep_alive, keep_alive);
        loop {
            interval.tick().await;
            yield Ev::Ping;
        }
    };
    // Payloads end the merged stream: wrap them so their end is observable.
    let payload_events = payloads
        .map(|p| Some(Ev::Payload(p)))
        .chain(stream::once(async { None }));
    let merged = stream::select(payload_events, pings.map(Some))
        .take_while(|e| futures_util::future::ready(e.is_some()))
        .filter_map(|e| async move { e });
    stream::once(async { sse_ping() })
        .chain(merged.map(|e| match e {
            Ev::Payload(p) => sse_event(&p.to_json_string()),
            Ev::Ping => sse_ping(),
        }))
        .chain(stream::once(async { sse_complete() }))
        .boxed()
}
