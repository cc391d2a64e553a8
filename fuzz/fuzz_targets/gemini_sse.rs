//! Gemini streaming responses: `SseParser` under arbitrary chunkings (the events must not depend
//! on where the bytes were split, and must respect the size limit), then the client's decoding
//! of each event (`TurnState::on_chunk`) through `copilot_runtime_rs::fuzzing`.
#![no_main]

use copilot_runtime_rs::gemini::sse::SseParser;
use libfuzzer_sys::fuzz_target;

fn parse(chunks: &[&[u8]], max: usize) -> (Result<Vec<Vec<u8>>, ()>, Option<Vec<u8>>) {
    let mut p = SseParser::new(max);
    let mut out = Vec::new();
    for c in chunks {
        if p.feed(c, &mut out).is_err() {
            return (Err(()), None);
        }
    }
    let last = p.finish();
    (Ok(out), last)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    // Header: the event size limit and a seed for the split points.
    let max = 1 + (data[0] as usize) * 16;
    let seed = data[1];
    let body = &data[2..];
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    let mut k = seed as usize;
    while i < body.len() {
        k = k.wrapping_mul(31).wrapping_add(7) % 11;
        let n = (k + 1).min(body.len() - i);
        chunks.push(&body[i..i + n]);
        i += n;
    }
    let whole = parse(&[body], max);
    let split = parse(&chunks, max);
    if let (Ok(a), Ok(b)) = (&whole.0, &split.0) {
        assert_eq!(a, b, "events depend on the chunking");
        assert_eq!(whole.1, split.1, "trailing event depends on the chunking");
        for ev in a {
            assert!(ev.len() <= max, "event of {} bytes over the {max} limit", ev.len());
        }
    }
    // A line-too-long error may legitimately depend on where the buffer was cut only if the
    // limit is hit; both parses must agree on whether it was.
    assert_eq!(whole.0.is_ok(), split.0.is_ok(), "size-limit error depends on the chunking");

    copilot_runtime_rs::fuzzing::gemini_stream(&chunks, 1 << 20);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        copilot_runtime_rs::fuzzing::gemini_chunk(&v);
    }
});
