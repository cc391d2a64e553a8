//! Incremental Server-Sent Events parser (the subset Gemini needs, per the WHATWG rules).
//!
//! Bytes can be split anywhere: inside a UTF-8 sequence, inside `\r\n`, inside `\r\n\r\n`.
//! Lines end with `\r\n`, `\n` or `\r`; a blank line dispatches the event; `data:` lines of one
//! event are joined with `\n`; comment lines (`:`) and other fields are ignored. Payloads stay
//! bytes until the caller parses them, so a split UTF-8 character is never decoded half-way.
//! Memory is bounded by `max_event_bytes` (one line / one event's data).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// A line or an event's data grew beyond the limit.
    TooLarge { limit: usize },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::TooLarge { limit } => write!(f, "an SSE event is larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for SseError {}

#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    /// The previous chunk ended with `\r`; a `\n` starting the next one belongs to it.
    skip_lf: bool,
    first_line: bool,
    max: usize,
}

impl SseParser {
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            line: Vec::new(),
            data: Vec::new(),
            has_data: false,
            skip_lf: false,
            first_line: true,
            max: max_event_bytes.max(1),
        }
    }

    /// Feed the next bytes; complete events' data payloads are appended to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), SseError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let mut i = 0;
        if self.skip_lf {
            self.skip_lf = false;
            if chunk[0] == b'\n' {
                i = 1;
            }
        }
        while i < chunk.len() {
            let rest = &chunk[i..];
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.append_line(rest)?;
                    break;
                }
                Some(off) => {
                    self.append_line(&rest[..off])?;
                    let term = rest[off];
                    i += off + 1;
                    if term == b'\r' {
                        if i < chunk.len() {
                            if chunk[i] == b'\n' {
                                i += 1;
                            }
                        } else {
                            self.skip_lf = true;
                        }
                    }
                    self.end_line(out)?;
                }
            }
        }
        Ok(())
    }

    /// End of input. Returns the data of a last event that was not followed by a blank line
    /// (strict SSE would drop it; the caller decides whether it is usable).
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        if !self.line.is_empty() && self.end_line(&mut out).is_err() {
            return None;
        }
        if let Some(ev) = out.pop() {
            return Some(ev);
        }
        if self.has_data {
            self.has_data = false;
            return Some(std::mem::take(&mut self.data));
        }
        None
    }

    fn append_line(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len() + bytes.len() > self.max + 16 {
            return Err(SseError::TooLarge { limit: self.max });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self, out: &mut Vec<Vec<u8>>) -> Result<(), SseError> {
        let mut line = std::mem::take(&mut self.line);
        if self.first_line {
            self.first_line = false;
            if line.starts_with(&[0xEF, 0xBB, 0xBF]) {
                line.drain(..3);
            }
        }
        if line.is_empty() {
            if self.has_data {
                self.has_data = false;
                out.push(std::mem::take(&mut self.data));
            }
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(()); // comment
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(p) => {
                let v = &line[p + 1..];
                (&line[..p], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (&line[..], &[][..]),
        };
        if field == b"data" {
            let extra = value.len() + usize::from(self.has_data);
            if self.data.len() + extra > self.max {
                return Err(SseError::TooLarge { limit: self.max });
            }
            if self.has_data {
                self.data.push(b'\n');
            }
            self.data.extend_from_slice(value);
            self.has_data = true;
        }
        // `event`, `id`, `retry` and unknown fields carry nothing Gemini uses.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8], split: usize) -> (Vec<String>, Option<Vec<u8>>) {
        let mut p = SseParser::new(1 << 20);
        let mut out = Vec::new();
        for c in input.chunks(split.max(1)) {
            p.feed(c, &mut out).unwrap();
        }
        let tail = p.finish();
        (out.into_iter().map(|d| String::from_utf8(d).unwrap()).collect(), tail)
    }

    #[test]
    fn lf_crlf_and_cr_framing() {
        for input in [
            &b"data: {\"a\":1}\n\ndata: {\"b\":\"\xc3\xa9\xe2\x82\xac\"}\n\n"[..],
            &b"data: {\"a\":1}\r\n\r\ndata: {\"b\":\"\xc3\xa9\xe2\x82\xac\"}\r\n\r\n"[..],
            &b"data: {\"a\":1}\r\rdata: {\"b\":\"\xc3\xa9\xe2\x82\xac\"}\r\r"[..],
        ] {
            // Every split size, including one byte at a time (splits UTF-8 and CRLF pairs).
            for split in 1..=input.len() {
                let (events, tail) = parse_all(input, split);
                assert_eq!(events, vec!["{\"a\":1}".to_string(), "{\"b\":\"é€\"}".to_string()], "split {split}");
                assert_eq!(tail, None);
            }
        }
    }

    #[test]
    fn every_two_way_split_point() {
        let input = b": keep-alive\r\ndata: {\"x\":\"\xf0\x9f\x98\x80\"}\r\n\r\ndata:{\"y\":2}\r\n\r\n";
        for cut in 0..=input.len() {
            let mut p = SseParser::new(1024);
            let mut out = Vec::new();
            p.feed(&input[..cut], &mut out).unwrap();
            p.feed(&input[cut..], &mut out).unwrap();
            assert_eq!(out, vec![b"{\"x\":\"\xf0\x9f\x98\x80\"}".to_vec(), b"{\"y\":2}".to_vec()], "cut {cut}");
        }
    }

    #[test]
    fn multiple_data_lines_comments_and_fields() {
        let (events, _) = parse_all(b"\xEF\xBB\xBF: hi\nevent: message\nid: 7\ndata: {\"a\":\ndata:  1}\nretry: 10\n\n\n\ndata\n\n", 3);
        assert_eq!(events, vec!["{\"a\":\n 1}".to_string(), "".to_string()]);
    }

    #[test]
    fn unterminated_last_event_is_returned_by_finish() {
        let (events, tail) = parse_all(b"data: {\"a\":1}\n\ndata: {\"b\":2}", 4);
        assert_eq!(events, vec!["{\"a\":1}".to_string()]);
        assert_eq!(tail.as_deref(), Some(&b"{\"b\":2}"[..]));
        let (_, tail) = parse_all(b"data: {\"b\":2}\r\n", 4);
        assert_eq!(tail.as_deref(), Some(&b"{\"b\":2}"[..]));
    }

    #[test]
    fn size_limit() {
        let mut p = SseParser::new(10);
        let mut out = Vec::new();
        assert!(p.feed(b"data: 0123456789abcdef\n", &mut out).is_err());
        // A line that never ends is bounded too.
        let mut p = SseParser::new(10);
        assert!(p.feed(&[b'x'; 40], &mut out).is_err());
        let mut p = SseParser::new(10);
        assert!(p.feed(b"data: 012345\ndata: 6789ab\n", &mut out).is_err());
        let mut p = SseParser::new(10);
        // Many small events are fine: the limit is per event.
        for _ in 0..100 {
            p.feed(b"data: 0123\n\n", &mut out).unwrap();
        }
        assert_eq!(out.len(), 100);
    }
}
