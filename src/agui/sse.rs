//! Server-Sent Events framing (spec §7): one `data: <compact json>\n\n` frame per event, LF only,
//! one `Bytes` per frame so the host flushes each event, and `: keep-alive\n\n` after a quiet
//! interval.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};

use super::events::AguiEvent;

/// The keep-alive comment frame.
pub const KEEPALIVE_FRAME: &[u8] = b": keep-alive\n\n";

/// Default quiet interval before a keep-alive frame.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(15);

/// Append one event's `data: <json>\n\n` frame to `out`.
pub fn encode_event_into(event: &AguiEvent, out: &mut bytes::BytesMut) {
    out.extend_from_slice(b"data: ");
    event.write_json(out);
    out.extend_from_slice(b"\n\n");
}

/// Encode one event as an SSE frame.
pub fn encode_event(event: &AguiEvent) -> Bytes {
    let mut frame = bytes::BytesMut::new();
    encode_event_into(event, &mut frame);
    frame.freeze()
}

/// Interleave `: keep-alive\n\n` frames into `frames` whenever nothing was written for `interval`
/// (re-armed by every frame). A zero interval disables keep-alives.
pub fn with_keepalive(frames: BoxStream<'static, Bytes>, interval: Duration) -> BoxStream<'static, Bytes> {
    if interval.is_zero() {
        return frames;
    }
    let mut frames = frames;
    async_stream::stream! {
        loop {
            match tokio::time::timeout(interval, frames.next()).await {
                Ok(Some(frame)) => yield frame,
                Ok(None) => break,
                Err(_) => yield Bytes::from_static(KEEPALIVE_FRAME),
            }
        }
    }
    .boxed()
}

/// Response headers of an SSE response (without CORS), as `(name, value)`. `Connection` is left
/// to the host: forcing `keep-alive` would override a client's `Connection: close`.
pub fn sse_headers() -> Vec<(String, String)> {
    vec![
        ("cache-control".into(), "no-cache".into()),
        ("content-type".into(), "text/event-stream".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    #[test]
    fn frames_are_data_lines_with_lf_only() {
        let f = encode_event(&AguiEvent::text_content("M", "a\nb"));
        assert_eq!(&f[..], b"data: {\"type\":\"TEXT_MESSAGE_CONTENT\",\"messageId\":\"M\",\"delta\":\"a\\nb\"}\n\n");
    }

    #[tokio::test]
    async fn keepalive_after_quiet_interval_and_rearmed_by_writes() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
        let frames = tokio_stream_from(rx);
        let interval = Duration::from_millis(80);
        let mut s = with_keepalive(frames, interval);
        tx.send(Bytes::from_static(b"data: 1\n\n")).unwrap();
        assert_eq!(&s.next().await.unwrap()[..], b"data: 1\n\n");
        let t0 = std::time::Instant::now();
        assert_eq!(&s.next().await.unwrap()[..], KEEPALIVE_FRAME);
        assert!(t0.elapsed() >= interval);
        // A write re-arms the timer: the next keep-alive comes a full interval after it.
        tx.send(Bytes::from_static(b"data: 2\n\n")).unwrap();
        assert_eq!(&s.next().await.unwrap()[..], b"data: 2\n\n");
        let t1 = std::time::Instant::now();
        assert_eq!(&s.next().await.unwrap()[..], KEEPALIVE_FRAME);
        assert!(t1.elapsed() >= interval);
        drop(tx);
        // The keep-alive timer keeps running until the source ends.
        let rest: Vec<Bytes> = s.collect().await;
        assert!(rest.iter().all(|b| &b[..] == KEEPALIVE_FRAME));
    }

    #[tokio::test]
    async fn zero_interval_disables() {
        let s = with_keepalive(stream::iter(vec![Bytes::from_static(b"x")]).boxed(), Duration::ZERO);
        assert_eq!(s.collect::<Vec<_>>().await.len(), 1);
    }

    fn tokio_stream_from(mut rx: tokio::sync::mpsc::UnboundedReceiver<Bytes>) -> BoxStream<'static, Bytes> {
        async_stream::stream! {
            while let Some(b) = rx.recv().await {
                yield b;
            }
        }
        .boxed()
    }
}
