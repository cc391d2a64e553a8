//! A scriptable Gemini-compatible HTTP/1.1 server on `127.0.0.1:0` for tests.
//!
//! * Script responses in order with [`MockGemini::enqueue`]; when the queue is empty the
//!   fallback answers (a 500 Google error unless changed with [`MockGemini::set_fallback`]).
//! * A [`MockResponse`] has a status, headers, an optional delay before the headers, and a body
//!   given as `(delay, bytes)` chunks sent with chunked, close-delimited or content-length
//!   framing. It can end normally, be cut (socket closed after N chunks, no terminator) or hang
//!   (headers and chunks sent, then nothing, connection held open).
//! * Every request is recorded (method, path with query, headers, body) and every connection's
//!   open/close time, including who closed it, so a test can check that a cancelled client
//!   closed its connection promptly.
//!
//! ```ignore
//! let mock = MockGemini::start().await;
//! mock.enqueue(MockResponse::sse([fixtures::text("Hi"), fixtures::finish("STOP")]));
//! let cfg = GeminiConfig::from_options(None, Some("k".into()), None, Some(mock.base_url()));
//! ```

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// How the response body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `transfer-encoding: chunked`; the connection can be reused afterwards.
    Chunked,
    /// No length; the body ends when the server closes the connection.
    CloseDelimited,
    /// `content-length` of all chunks together.
    ContentLength,
}

/// How the response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Complete,
    /// Close the socket after sending this many body chunks (no chunked terminator).
    CutAfter(usize),
    /// Send everything but never finish; hold the connection until the client closes it.
    Hang,
}

#[derive(Debug, Clone)]
pub struct MockResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub header_delay: Duration,
    pub chunks: Vec<(Duration, Bytes)>,
    pub framing: Framing,
    pub end: End,
}

/// One `data: <json>` SSE event, with CRLF (`\r\n\r\n`, what Gemini sends) or LF framing.
pub fn sse_event(event: &Value, crlf: bool) -> Bytes {
    let sep = if crlf { "\r\n\r\n" } else { "\n\n" };
    Bytes::from(format!("data: {event}{sep}"))
}

/// Whole SSE body for these events.
pub fn sse_body<'a>(events: impl IntoIterator<Item = &'a Value>, crlf: bool) -> Bytes {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(&sse_event(e, crlf));
    }
    Bytes::from(out)
}

/// Google's error body: `{"error": {"code", "message", "status"}}`.
pub fn google_error_body(code: u16, status: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message, "status": status } })
}

impl MockResponse {
    pub fn new(status: u16) -> Self {
        MockResponse {
            status,
            headers: Vec::new(),
            header_delay: Duration::ZERO,
            chunks: Vec::new(),
            framing: Framing::Chunked,
            end: End::Complete,
        }
    }

    /// 200 `text/event-stream`, one chunk per event, CRLF framing.
    pub fn sse<I: IntoIterator<Item = Value>>(events: I) -> Self {
        Self::sse_framed(events, true)
    }

    /// Same with LF (`\n\n`) separators.
    pub fn sse_lf<I: IntoIterator<Item = Value>>(events: I) -> Self {
        Self::sse_framed(events, false)
    }

    pub fn sse_framed<I: IntoIterator<Item = Value>>(events: I, crlf: bool) -> Self {
        let mut r = Self::new(200).header("content-type", "text/event-stream");
        for e in events {
            r.chunks.push((Duration::ZERO, sse_event(&e, crlf)));
        }
        r
    }

    /// A JSON body (content-length framing).
    pub fn json(status: u16, body: &Value) -> Self {
        let mut r = Self::new(status).header("content-type", "application/json; charset=UTF-8");
        r.framing = Framing::ContentLength;
        r.chunks.push((Duration::ZERO, Bytes::from(body.to_string())));
        r
    }

    /// A Google error response.
    pub fn gemini_error(code: u16, status: &str, message: &str) -> Self {
        Self::json(code, &google_error_body(code, status, message))
    }

    /// A raw body in one chunk.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut r = Self::new(status).header("content-type", content_type);
        r.chunks.push((Duration::ZERO, body.into()));
        r
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn chunk(mut self, delay: Duration, bytes: impl Into<Bytes>) -> Self {
        self.chunks.push((delay, bytes.into()));
        self
    }

    pub fn delay_headers(mut self, d: Duration) -> Self {
        self.header_delay = d;
        self
    }

    /// Wait `d` before every chunk.
    pub fn delay_each(mut self, d: Duration) -> Self {
        for c in &mut self.chunks {
            c.0 = d;
        }
        self
    }

    /// Re-split the whole body into chunks of `size` bytes (1 = byte by byte), keeping the first
    /// chunk's delay for the first piece.
    pub fn rechunk(mut self, size: usize) -> Self {
        let first_delay = self.chunks.first().map(|c| c.0).unwrap_or_default();
        let all: Vec<u8> = self.chunks.iter().flat_map(|c| c.1.iter().copied()).collect();
        self.chunks = all
            .chunks(size.max(1))
            .enumerate()
            .map(|(i, c)| (if i == 0 { first_delay } else { Duration::ZERO }, Bytes::copy_from_slice(c)))
            .collect();
        self
    }

    pub fn framing(mut self, f: Framing) -> Self {
        self.framing = f;
        self
    }

    pub fn cut_after(mut self, chunks: usize) -> Self {
        self.end = End::CutAfter(chunks);
        self
    }

    pub fn hang(mut self) -> Self {
        self.end = End::Hang;
        self
    }
}

/// Gemini response chunks for scripting streams.
pub mod fixtures {
    use serde_json::{json, Value};

    fn candidate(parts: Value, finish: Option<&str>) -> Value {
        let mut c = json!({ "content": { "parts": parts, "role": "model" }, "index": 0 });
        if let Some(f) = finish {
            c["finishReason"] = json!(f);
        }
        json!({ "candidates": [c], "modelVersion": "gemini-2.5-flash", "responseId": "mock-response-id" })
    }

    /// A text delta.
    pub fn text(t: &str) -> Value {
        candidate(json!([{ "text": t }]), None)
    }

    /// A thought-summary delta.
    pub fn thought(t: &str) -> Value {
        candidate(json!([{ "text": t, "thought": true }]), None)
    }

    /// Function calls in one chunk: `(name, args)`; no ids, as Gemini 2.5 sends them.
    pub fn function_calls(calls: &[(&str, Value)]) -> Value {
        let parts: Vec<Value> = calls
            .iter()
            .map(|(n, a)| json!({ "functionCall": { "name": n, "args": a } }))
            .collect();
        candidate(Value::Array(parts), None)
    }

    /// Any parts, e.g. with `thoughtSignature`s.
    pub fn parts(parts: Value) -> Value {
        candidate(parts, None)
    }

    /// The last chunk: empty text with a finish reason.
    pub fn finish(reason: &str) -> Value {
        candidate(json!([{ "text": "" }]), Some(reason))
    }

    /// Add `usageMetadata` to a chunk.
    pub fn with_usage(mut chunk: Value, prompt: u64, candidates: u64, thoughts: u64) -> Value {
        chunk["usageMetadata"] = json!({
            "promptTokenCount": prompt,
            "candidatesTokenCount": candidates,
            "thoughtsTokenCount": thoughts,
            "totalTokenCount": prompt + candidates + thoughts
        });
        chunk
    }

    /// The single event of a blocked prompt.
    pub fn prompt_blocked(reason: &str) -> Value {
        json!({ "promptFeedback": { "blockReason": reason, "safetyRatings": [] },
                "usageMetadata": { "promptTokenCount": 8, "totalTokenCount": 8 } })
    }

    /// An in-band error event.
    pub fn error_event(code: u16, status: &str, message: &str) -> Value {
        json!({ "error": { "code": code, "message": message, "status": status } })
    }
}

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path with query, e.g. `/v1beta/models/x:streamGenerateContent?alt=sse`.
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Index into [`MockGemini::connections`].
    pub connection: usize,
    pub received_at: Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedBy {
    Client,
    Server,
}

#[derive(Debug, Clone)]
pub struct ConnectionRecord {
    pub id: usize,
    pub opened_at: Instant,
    pub closed_at: Option<Instant>,
    pub closed_by: Option<ClosedBy>,
}

struct State {
    queue: VecDeque<MockResponse>,
    fallback: MockResponse,
    requests: Vec<RecordedRequest>,
    connections: Vec<ConnectionRecord>,
}

pub struct MockGemini {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: CancellationToken,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl MockGemini {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            queue: VecDeque::new(),
            fallback: MockResponse::gemini_error(500, "INTERNAL", "mock gemini: no scripted response left"),
            requests: Vec::new(),
            connections: Vec::new(),
        }));
        let shutdown = CancellationToken::new();
        let (st, sd) = (state.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = sd.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((sock, _)) = accepted else { continue };
                let _ = sock.set_nodelay(true);
                let id = {
                    let mut s = lock(&st);
                    let id = s.connections.len();
                    s.connections.push(ConnectionRecord {
                        id,
                        opened_at: Instant::now(),
                        closed_at: None,
                        closed_by: None,
                    });
                    id
                };
                tokio::spawn(serve_connection(sock, id, st.clone(), sd.clone()));
            }
        });
        MockGemini { addr, state, shutdown }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` (use as the Gemini base URL).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn enqueue(&self, r: MockResponse) {
        lock(&self.state).queue.push_back(r);
    }

    /// Answer for requests arriving when the queue is empty.
    pub fn set_fallback(&self, r: MockResponse) {
        lock(&self.state).fallback = r;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.state).requests.len()
    }

    pub fn connections(&self) -> Vec<ConnectionRecord> {
        lock(&self.state).connections.clone()
    }

    /// Wait until at least `n` requests arrived.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if self.request_count() >= n {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// When the client closed the connection that carried request `request_index`, waiting up
    /// to `timeout` for it. `None` if it is still open (or the server closed it).
    pub async fn wait_client_close(&self, request_index: usize, timeout: Duration) -> Option<Instant> {
        let end = Instant::now() + timeout;
        loop {
            {
                let s = lock(&self.state);
                let conn = s.requests.get(request_index).map(|r| r.connection);
                if let Some(c) = conn.and_then(|c| s.connections.get(c)) {
                    if c.closed_by == Some(ClosedBy::Client) {
                        return c.closed_at;
                    }
                    if c.closed_by == Some(ClosedBy::Server) {
                        return None;
                    }
                }
            }
            if Instant::now() >= end {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl Drop for MockGemini {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn mark_closed(state: &Mutex<State>, id: usize, by: ClosedBy) {
    let mut s = lock(state);
    if let Some(c) = s.connections.get_mut(id) {
        if c.closed_at.is_none() {
            c.closed_at = Some(Instant::now());
            c.closed_by = Some(by);
        }
    }
}

struct ParsedRequest {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

const MAX_HEAD: usize = 1 << 20;
const MAX_BODY: usize = 64 << 20;

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Ensure `buf` holds at least `n` bytes. `Ok(false)` on EOF first.
async fn fill(rd: &mut OwnedReadHalf, buf: &mut Vec<u8>, n: usize) -> io::Result<bool> {
    while buf.len() < n {
        if rd.read_buf(buf).await? == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Read one request. `Ok(None)`: the client closed the connection cleanly between requests.
async fn read_request(rd: &mut OwnedReadHalf, buf: &mut Vec<u8>) -> io::Result<Option<ParsedRequest>> {
    let head_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p;
        }
        if buf.len() > MAX_HEAD {
            return Err(bad("request head too large"));
        }
        if rd.read_buf(buf).await? == 0 {
            return if buf.is_empty() { Ok(None) } else { Err(bad("eof inside request head")) };
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut rl = request_line.split(' ');
    let method = rl.next().unwrap_or("").to_string();
    let path = rl.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let line_end = loop {
                if let Some(p) = find(buf, b"\r\n") {
                    break p;
                }
                if !fill(rd, buf, buf.len() + 1).await? {
                    return Err(bad("eof in chunk size"));
                }
            };
            let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            buf.drain(..line_end + 2);
            if size == 0 {
                // Trailers (none expected) end with an empty line.
                loop {
                    if let Some(p) = find(buf, b"\r\n") {
                        let empty = p == 0;
                        buf.drain(..p + 2);
                        if empty {
                            break;
                        }
                    } else if !fill(rd, buf, buf.len() + 1).await? {
                        return Err(bad("eof in trailers"));
                    }
                }
                break;
            }
            if body.len() + size > MAX_BODY || !fill(rd, buf, size + 2).await? {
                return Err(bad("bad chunk"));
            }
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
        }
    } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if len > MAX_BODY || !fill(rd, buf, len).await? {
            return Err(bad("bad body"));
        }
        body = buf.drain(..len).collect();
    }
    Ok(Some(ParsedRequest { method, path, headers, body }))
}

enum Written {
    Complete,
    Cut,
    Hang,
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

async fn write_response(wr: &mut OwnedWriteHalf, r: &MockResponse) -> io::Result<Written> {
    if !r.header_delay.is_zero() {
        tokio::time::sleep(r.header_delay).await;
    }
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
    for (n, v) in &r.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    match r.framing {
        Framing::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
        Framing::CloseDelimited => head.push_str("connection: close\r\n"),
        Framing::ContentLength => {
            let len: usize = r.chunks.iter().map(|c| c.1.len()).sum();
            head.push_str(&format!("content-length: {len}\r\n"));
        }
    }
    head.push_str("\r\n");
    wr.write_all(head.as_bytes()).await?;
    wr.flush().await?;
    for (i, (delay, data)) in r.chunks.iter().enumerate() {
        if r.end == End::CutAfter(i) {
            return Ok(Written::Cut);
        }
        if !delay.is_zero() {
            tokio::time::sleep(*delay).await;
        }
        if data.is_empty() {
            continue;
        }
        if r.framing == Framing::Chunked {
            wr.write_all(format!("{:x}\r\n", data.len()).as_bytes()).await?;
            wr.write_all(data).await?;
            wr.write_all(b"\r\n").await?;
        } else {
            wr.write_all(data).await?;
        }
        wr.flush().await?;
    }
    match r.end {
        End::CutAfter(_) => return Ok(Written::Cut),
        End::Hang => return Ok(Written::Hang),
        End::Complete => {}
    }
    if r.framing == Framing::Chunked {
        wr.write_all(b"0\r\n\r\n").await?;
        wr.flush().await?;
    }
    Ok(Written::Complete)
}

/// Resolves when the client closes its side (EOF or error). Extra bytes are kept in `buf`.
async fn client_eof(rd: &mut OwnedReadHalf, buf: &mut Vec<u8>) {
    loop {
        match rd.read_buf(buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

async fn serve_connection(sock: TcpStream, id: usize, state: Arc<Mutex<State>>, shutdown: CancellationToken) {
    let (mut rd, mut wr) = sock.into_split();
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let req = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = read_request(&mut rd, &mut buf) => r,
        };
        let req = match req {
            Ok(Some(r)) => r,
            Ok(None) | Err(_) => {
                mark_closed(&state, id, ClosedBy::Client);
                return;
            }
        };
        let response = {
            let mut s = lock(&state);
            s.requests.push(RecordedRequest {
                method: req.method,
                path: req.path,
                headers: req.headers,
                body: req.body,
                connection: id,
                received_at: Instant::now(),
            });
            let fallback = s.fallback.clone();
            s.queue.pop_front().unwrap_or(fallback)
        };
        let written = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = client_eof(&mut rd, &mut buf) => {
                mark_closed(&state, id, ClosedBy::Client);
                return;
            }
            w = write_response(&mut wr, &response) => w,
        };
        match written {
            Ok(Written::Complete) if response.framing != Framing::CloseDelimited => continue,
            Ok(Written::Complete) | Ok(Written::Cut) => {
                mark_closed(&state, id, ClosedBy::Server);
                let _ = wr.shutdown().await;
                return;
            }
            Ok(Written::Hang) => {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = client_eof(&mut rd, &mut buf) => mark_closed(&state, id, ClosedBy::Client),
                }
                return;
            }
            Err(_) => {
                // A write failed: the client went away.
                mark_closed(&state, id, ClosedBy::Client);
                return;
            }
        }
    }
}
