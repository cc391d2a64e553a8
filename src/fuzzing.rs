//! Entry points for the `fuzz/` targets. Compiled only under `--cfg fuzzing` (cargo-fuzz sets
//! it), so the normal build and tests never see this module.

use serde_json::Value;

use crate::gemini::response::TurnState;
use crate::gemini::sse::SseParser;
use crate::gemini::ThoughtSignatures;

/// The Gemini streaming body path of the client, without the network: `chunks` are fed to the
/// SSE parser one after the other, each complete event's data is decoded as the client does
/// (`[DONE]`/blank skipped, JSON → `TurnState::on_chunk`), and the turn is finished at the end.
/// Returns the number of events decoded.
pub fn gemini_stream(chunks: &[&[u8]], max_event_bytes: usize) -> usize {
    let mut parser = SseParser::new(max_event_bytes);
    let mut state = TurnState::new(ThoughtSignatures::new());
    let mut events = Vec::new();
    let mut payloads = Vec::new();
    let on_payload = |data: &[u8], state: &mut TurnState, events: &mut Vec<_>| -> bool {
        let trimmed = data.trim_ascii();
        if trimmed.is_empty() || trimmed == b"[DONE]" {
            return true;
        }
        match serde_json::from_slice::<Value>(trimmed) {
            Ok(v) => state.on_chunk(&v, events).is_ok(),
            Err(_) => false,
        }
    };
    for chunk in chunks {
        if parser.feed(chunk, &mut payloads).is_err() {
            return events.len();
        }
        for data in std::mem::take(&mut payloads) {
            if data.len() > max_event_bytes.max(1) + 16 {
                panic!("SSE event of {} bytes exceeds the {max_event_bytes} limit", data.len());
            }
            if !on_payload(&data, &mut state, &mut events) {
                return events.len();
            }
        }
    }
    if let Some(last) = parser.finish() {
        if !on_payload(&last, &mut state, &mut events) {
            return events.len();
        }
    }
    let _ = state.is_complete();
    let _ = state.finish();
    events.len()
}

/// One decoded Gemini chunk (`TurnState::on_chunk` on arbitrary JSON).
pub fn gemini_chunk(chunk: &Value) -> usize {
    let mut state = TurnState::new(ThoughtSignatures::new());
    let mut events = Vec::new();
    let _ = state.on_chunk(chunk, &mut events);
    let _ = state.on_chunk(chunk, &mut events);
    let _ = state.finish();
    events.len()
}
