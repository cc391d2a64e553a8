//! Server-side memory of Gemini `thoughtSignature`s.
//!
//! AG-UI / GraphQL histories do not carry signatures, but Gemini 3 requires them back on the
//! function calls of the current turn (spec §4.3). The client records every signature it sees:
//! function-call signatures under the toolCallId, text-turn signatures under a digest of the
//! turn's full text. `build_request_body` puts them back on the same part when history replays.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// Signatures larger than this are not kept (they are opaque base64, normally a few KiB).
const MAX_SIGNATURE_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct ThoughtSignatures {
    inner: Arc<Mutex<Lru>>,
}

struct Lru {
    capacity: usize,
    tick: u64,
    entries: HashMap<String, (String, u64)>,
    by_age: BTreeMap<u64, String>,
}

impl Lru {
    fn touch(&mut self, key: &str) -> Option<String> {
        self.tick += 1;
        let tick = self.tick;
        let (sig, old) = {
            let entry = self.entries.get_mut(key)?;
            let old = entry.1;
            entry.1 = tick;
            (entry.0.clone(), old)
        };
        self.by_age.remove(&old);
        self.by_age.insert(tick, key.to_string());
        Some(sig)
    }

    fn insert(&mut self, key: String, sig: String) {
        self.tick += 1;
        let tick = self.tick;
        if let Some((_, old)) = self.entries.insert(key.clone(), (sig, tick)) {
            self.by_age.remove(&old);
        }
        self.by_age.insert(tick, key);
        while self.entries.len() > self.capacity {
            let Some((_, oldest)) = self.by_age.pop_first() else { break };
            self.entries.remove(&oldest);
        }
    }
}

impl ThoughtSignatures {
    pub const DEFAULT_CAPACITY: usize = 10_000;

    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// At most `capacity` signatures are kept; the least recently used go first.
    pub fn with_capacity(capacity: usize) -> Self {
        ThoughtSignatures {
            inner: Arc::new(Mutex::new(Lru {
                capacity: capacity.max(1),
                tick: 0,
                entries: HashMap::new(),
                by_age: BTreeMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Lru> {
        // A panic elsewhere while holding the lock leaves the map consistent enough to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remember the signature Gemini sent on the function call `tool_call_id`.
    pub fn insert(&self, tool_call_id: &str, signature: &str) {
        if tool_call_id.is_empty() || signature.is_empty() || signature.len() > MAX_SIGNATURE_BYTES {
            return;
        }
        self.lock().insert(call_key(tool_call_id), signature.to_string());
    }

    pub fn get(&self, tool_call_id: &str) -> Option<String> {
        self.lock().touch(&call_key(tool_call_id))
    }

    /// Remember the signature of a text-only model turn, keyed by the turn's full text.
    pub fn insert_for_text(&self, text: &str, signature: &str) {
        if text.is_empty() || signature.is_empty() || signature.len() > MAX_SIGNATURE_BYTES {
            return;
        }
        self.lock().insert(text_key(text), signature.to_string());
    }

    pub fn get_for_text(&self, text: &str) -> Option<String> {
        if text.is_empty() {
            return None;
        }
        self.lock().touch(&text_key(text))
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }
}

impl Default for ThoughtSignatures {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ThoughtSignatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.lock();
        f.debug_struct("ThoughtSignatures")
            .field("len", &g.entries.len())
            .field("capacity", &g.capacity)
            .finish()
    }
}

fn call_key(id: &str) -> String {
    format!("call:{id}")
}

/// Text turns are keyed by length + two independent 64-bit FNV-1a digests, so the store never
/// holds the conversation text itself.
fn text_key(text: &str) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for &byte in text.as_bytes() {
        a = (a ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        b = (b ^ u64::from(byte.rotate_left(3))).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("text:{}:{a:016x}{b:016x}", text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_and_evict_lru() {
        let s = ThoughtSignatures::with_capacity(2);
        s.insert("a", "sig-a");
        s.insert("b", "sig-b");
        assert_eq!(s.get("a").as_deref(), Some("sig-a")); // a is now most recent
        s.insert("c", "sig-c"); // evicts b
        assert_eq!(s.get("b"), None);
        assert_eq!(s.get("a").as_deref(), Some("sig-a"));
        assert_eq!(s.get("c").as_deref(), Some("sig-c"));
        assert_eq!(s.len(), 2);
        s.insert("", "x");
        s.insert("d", "");
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn text_keys_do_not_collide_with_calls() {
        let s = ThoughtSignatures::new();
        s.insert_for_text("hello", "t");
        s.insert("hello", "c");
        assert_eq!(s.get_for_text("hello").as_deref(), Some("t"));
        assert_eq!(s.get("hello").as_deref(), Some("c"));
        assert_eq!(s.get_for_text("hellp"), None);
        let clone = s.clone();
        clone.insert("z", "zz");
        assert_eq!(s.get("z").as_deref(), Some("zz"));
    }
}
