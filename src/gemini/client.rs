//! The streaming HTTP client: one `:streamGenerateContent?alt=sse` turn, with retries before the
//! first event, first-byte/idle timeouts and prompt cancellation.
//!
//! Each `stream()` runs its HTTP work inside the returned stream (no task of its own): the work
//! watches the cancellation token at every await, makes progress only while the consumer polls
//! (backpressure reaches the upstream connection), and dropping the stream drops the response,
//! which closes the upstream connection at once.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use rand::Rng;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{sleep, sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::gemini::config::GeminiConfig;
use crate::gemini::error::{format_duration, from_http_response, truncate_chars, GeminiError, GeminiErrorKind};
use crate::gemini::response::TurnState;
use crate::gemini::signatures::ThoughtSignatures;
use crate::gemini::sse::SseParser;
use crate::gemini::GeminiEvent;

/// How much of an error body is read.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Events buffered between the HTTP task and the consumer.
const CHANNEL_CAPACITY: usize = 32;

#[derive(Clone)]
pub struct GeminiClient {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: GeminiConfig,
    http: reqwest::Client,
    signatures: ThoughtSignatures,
}

impl std::fmt::Debug for GeminiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeminiClient").field("config", &self.inner.cfg).finish()
    }
}

/// The process-wide HTTP client (one connection pool for every runtime of the process).
fn shared_http() -> &'static reqwest::Client {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    HTTP.get_or_init(|| {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("copilot-runtime-rs/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            // A redirect would carry x-goog-api-key to wherever it points.
            .redirect(reqwest::redirect::Policy::none());
        // Like Node's fetch, proxy variables are honoured only with NODE_USE_ENV_PROXY=1.
        if std::env::var("NODE_USE_ENV_PROXY").map_or(true, |v| v.trim() != "1") {
            builder = builder.no_proxy();
        }
        builder.build().unwrap_or_default()
    })
}

impl GeminiClient {
    /// A client over the process-wide connection pool and thought-signature store, so runtimes
    /// created per request (as the docs' Node snippets do) share connections and replay each
    /// other's signatures instead of each holding their own.
    pub fn new(cfg: GeminiConfig) -> Self {
        static SIGNATURES: std::sync::OnceLock<ThoughtSignatures> = std::sync::OnceLock::new();
        Self::with_signatures(cfg, SIGNATURES.get_or_init(ThoughtSignatures::new).clone())
    }

    /// Use a given signature store (e.g. an isolated one in tests).
    pub fn with_signatures(cfg: GeminiConfig, signatures: ThoughtSignatures) -> Self {
        GeminiClient { inner: Arc::new(Inner { cfg, http: shared_http().clone(), signatures }) }
    }

    pub fn config(&self) -> &GeminiConfig {
        &self.inner.cfg
    }

    /// The store every signature received by this client is recorded in; pass it to
    /// `build_request_body` so replayed history carries them back.
    pub fn signatures(&self) -> &ThoughtSignatures {
        &self.inner.signatures
    }

    /// Stream one model turn. The stream always ends with exactly one terminal event (Finished
    /// or Error) unless cancelled; when `cancel` fires or the stream is dropped, the upstream
    /// HTTP request is dropped immediately (connection closed) and the stream ends without
    /// further items.
    pub fn stream(
        &self,
        body: Value,
        model: &str,
        cancel: CancellationToken,
    ) -> impl Stream<Item = GeminiEvent> + Send + 'static {
        let client = self.clone();
        let model = model.trim().to_string();
        async_stream::stream! {
            if cancel.is_cancelled() {
                return;
            }
            let (tx, mut rx) = mpsc::channel::<GeminiEvent>(CHANNEL_CAPACITY);
            let worker_cancel = cancel.child_token();
            let _guard = worker_cancel.clone().drop_guard();
            // The HTTP work runs inside this stream's own task, polled whenever the consumer
            // asks for the next event: no task hop per event, and a consumer that stops asking
            // stops the upstream read (backpressure). Dropping the stream drops the response.
            // The worker sits in a slot that a small watcher empties on cancellation, so a
            // cancelled turn closes its connection at once even while nobody polls the stream.
            let slot: WorkerSlot = Arc::new(std::sync::Mutex::new(Some(Box::pin(run_turn(client, body, model, worker_cancel.clone(), tx)))));
            {
                let slot = slot.clone();
                let watch = worker_cancel.clone();
                tokio::spawn(async move {
                    watch.cancelled().await;
                    let worker = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                    drop(worker);
                });
            }
            let mut worker_done = false;
            loop {
                let next = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => None,
                    ev = rx.recv() => Some(ev),
                    _ = poll_worker(&slot), if !worker_done => {
                        // Its sender is gone now: what it delivered is still in `rx`.
                        worker_done = true;
                        continue;
                    }
                };
                match next {
                    None => break, // cancelled
                    Some(Some(ev)) => {
                        if cancel.is_cancelled() {
                            break;
                        }
                        let terminal = ev.is_terminal();
                        yield ev;
                        if terminal {
                            break;
                        }
                    }
                    Some(None) => {
                        // The worker is gone without a terminal event (the watcher dropped it on
                        // cancellation). Keep the "always one terminal event" promise otherwise.
                        if !cancel.is_cancelled() {
                            yield GeminiEvent::Error(GeminiError::new(
                                GeminiErrorKind::InvalidResponse,
                                "internal error: the Gemini stream task ended unexpectedly",
                            ));
                        }
                        break;
                    }
                }
            }
        }
    }
}

type WorkerSlot = Arc<std::sync::Mutex<Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>>>;

/// Poll the turn's worker in place; pending for ever once the watcher has dropped it.
fn poll_worker(slot: &WorkerSlot) -> impl std::future::Future<Output = ()> + '_ {
    std::future::poll_fn(move |cx| {
        let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(worker) => worker.as_mut().poll(cx),
            None => std::task::Poll::Pending,
        }
    })
}

enum Attempt {
    /// The terminal event was delivered.
    Done,
    Cancelled,
    Failed { error: GeminiError, delivered: bool },
}

/// Deliver one event; `false` when cancelled or the consumer is gone.
async fn deliver(tx: &mpsc::Sender<GeminiEvent>, cancel: &CancellationToken, ev: GeminiEvent) -> bool {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => false,
        r = tx.send(ev) => r.is_ok(),
    }
}

/// Wait before retry number `retry` (0-based). `None`: the server asks for longer than we wait.
fn backoff(cfg: &GeminiConfig, retry: u32, server_delay: Option<Duration>) -> Option<Duration> {
    if let Some(d) = server_delay {
        return (d <= cfg.max_retry_delay).then_some(d);
    }
    let exp = cfg.retry_base_delay.saturating_mul(2u32.saturating_pow(retry.min(30)));
    let jitter: f64 = rand::thread_rng().gen_range(0.8..=1.2);
    let with_jitter = Duration::try_from_secs_f64(exp.as_secs_f64() * jitter).unwrap_or(cfg.max_retry_delay);
    Some(with_jitter.min(cfg.max_retry_delay))
}

async fn run_turn(
    client: GeminiClient,
    body: Value,
    model: String,
    cancel: CancellationToken,
    tx: mpsc::Sender<GeminiEvent>,
) {
    let cfg = &client.inner.cfg;
    let Some(key) = cfg.api_key.clone() else {
        deliver(&tx, &cancel, GeminiEvent::Error(GeminiError::missing_api_key())).await;
        return;
    };
    let key_header = match reqwest::header::HeaderValue::from_str(key.trim()) {
        Ok(mut v) => {
            v.set_sensitive(true);
            v
        }
        Err(_) => {
            let err = GeminiError::new(
                GeminiErrorKind::Auth,
                "the API key contains characters that cannot be sent in an HTTP header; check GOOGLE_API_KEY or apiKey",
            );
            deliver(&tx, &cancel, GeminiEvent::Error(err)).await;
            return;
        }
    };
    let payload = match serde_json::to_vec(&body) {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            let err = GeminiError::new(GeminiErrorKind::BadRequest, format!("request body is not serializable: {e}"));
            deliver(&tx, &cancel, GeminiEvent::Error(err)).await;
            return;
        }
    };
    drop(body);
    let url = cfg.stream_url(&model);
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        tracing::debug!(%model, attempt, bytes = payload.len(), "gemini: request start");
        let outcome = attempt_once(&client, &url, &key_header, payload.clone(), &model, &cancel, &tx).await;
        let (error, delivered) = match outcome {
            Attempt::Done | Attempt::Cancelled => return,
            Attempt::Failed { error, delivered } => (error, delivered),
        };
        let mut error = error.scrub(Some(&key));
        if error.model.is_none() {
            error.model = Some(model.clone());
        }
        if !delivered && error.auto_retry() && attempt <= cfg.max_retries {
            if let Some(delay) = backoff(cfg, attempt - 1, error.retry_delay) {
                tracing::warn!(
                    %model, attempt, status = ?error.status, code = error.code(),
                    delay = %format_duration(delay), "gemini: retrying after error: {}", crate::logging::one_line(&error.message)
                );
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return,
                    _ = sleep(delay) => {}
                }
                continue;
            }
            tracing::debug!(%model, "gemini: server retry delay exceeds the configured maximum; not retrying");
        }
        error.attempts = attempt;
        tracing::debug!(%model, attempt, code = error.code(), status = ?error.status, "gemini: request failed: {}", crate::logging::one_line(&error.message));
        deliver(&tx, &cancel, GeminiEvent::Error(error)).await;
        return;
    }
}

fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Duration::try_from_secs_f64(ms / 1000.0).ok();
        }
    }
    let secs = get("retry-after").and_then(|v| v.parse::<f64>().ok())?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::try_from_secs_f64(secs).ok()).flatten()
}

/// What the body loop does with one decoded event payload.
enum Step {
    Continue,
    Stop(Attempt),
}

struct BodyCtx<'a> {
    state: TurnState,
    delivered: bool,
    events: Vec<GeminiEvent>,
    tx: &'a mpsc::Sender<GeminiEvent>,
    cancel: &'a CancellationToken,
}

impl BodyCtx<'_> {
    async fn flush(&mut self) -> bool {
        for ev in std::mem::take(&mut self.events) {
            if !deliver(self.tx, self.cancel, ev).await {
                return false;
            }
            self.delivered = true;
        }
        true
    }

    /// Handle one JSON payload; deliver what it produced.
    async fn on_payload(&mut self, data: &[u8]) -> Step {
        let trimmed = data.trim_ascii();
        if trimmed.is_empty() || trimmed == b"[DONE]" {
            return Step::Continue;
        }
        let fast = crate::gemini::response::parse_fast(trimmed);
        let result = match fast {
            Some(chunk) => {
                let mut evs = std::mem::take(&mut self.events);
                self.state.on_fast_chunk(chunk, &mut evs);
                self.events = evs;
                Ok(())
            }
            None => self.on_general_payload(trimmed),
        };
        if !self.flush().await {
            return Step::Stop(Attempt::Cancelled);
        }
        match result {
            Ok(()) => Step::Continue,
            Err(error) => Step::Stop(Attempt::Failed { error, delivered: self.delivered }),
        }
    }

    /// A chunk the fast decoder did not take: decoded as a `Value` (errors, odd shapes).
    fn on_general_payload(&mut self, trimmed: &[u8]) -> Result<(), GeminiError> {
        match serde_json::from_slice::<Value>(trimmed) {
            Ok(v) => {
                let mut evs = std::mem::take(&mut self.events);
                let r = self.state.on_chunk(&v, &mut evs);
                self.events = evs;
                r
            }
            Err(e) => Err(GeminiError::new(
                GeminiErrorKind::InvalidResponse,
                format!(
                    "an event is not valid JSON ({e}): {}",
                    truncate_chars(&String::from_utf8_lossy(trimmed), 200)
                ),
            )),
        }
    }

    /// The body is over (ended, broke, or went quiet after the finish reason).
    async fn end(self, cut: Option<GeminiError>) -> Attempt {
        let delivered = self.delivered;
        if let (Some(err), false) = (cut, self.state.is_complete()) {
            return Attempt::Failed { error: err, delivered };
        }
        match self.state.finish() {
            GeminiEvent::Error(error) => Attempt::Failed { error, delivered },
            ev => {
                if let GeminiEvent::Finished { reason, raw_reason, usage } = &ev {
                    tracing::debug!(reason = reason.as_str(), raw = ?raw_reason, usage = ?usage, "gemini: turn finished");
                }
                if deliver(self.tx, self.cancel, ev).await {
                    Attempt::Done
                } else {
                    Attempt::Cancelled
                }
            }
        }
    }
}

async fn attempt_once(
    client: &GeminiClient,
    url: &str,
    key: &reqwest::header::HeaderValue,
    payload: Bytes,
    model: &str,
    cancel: &CancellationToken,
    tx: &mpsc::Sender<GeminiEvent>,
) -> Attempt {
    let cfg = &client.inner.cfg;
    let first_deadline = Instant::now() + cfg.first_byte_timeout;
    let first_byte_error = || {
        let mut e = GeminiError::new(
            GeminiErrorKind::Timeout,
            format!("no response within {}", format_duration(cfg.first_byte_timeout)),
        );
        e.model = Some(model.to_string());
        e
    };
    let request = client
        .inner
        .http
        .post(url)
        .header("x-goog-api-key", key.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .body(payload);

    let sent = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Attempt::Cancelled,
        r = request.send() => r,
        _ = sleep_until(first_deadline) => {
            return Attempt::Failed { error: first_byte_error(), delivered: false };
        }
    };
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            // reqwest's message names the URL (never the key: it is in a header).
            let msg = format!("{e}{}", source_chain(&e));
            let kind = if e.is_builder() { GeminiErrorKind::BadRequest } else { GeminiErrorKind::Network };
            return Attempt::Failed { error: GeminiError::new(kind, msg), delivered: false };
        }
    };

    let status = response.status();
    if !status.is_success() {
        let retry_after = retry_after_header(response.headers());
        let deadline = Instant::now() + cfg.idle_timeout.min(Duration::from_secs(30));
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        loop {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Attempt::Cancelled,
                _ = sleep_until(deadline) => break,
                n = chunks.next() => n,
            };
            match next {
                Some(Ok(b)) => {
                    let room = MAX_ERROR_BODY.saturating_sub(body.len());
                    body.extend_from_slice(&b[..b.len().min(room)]);
                    if body.len() >= MAX_ERROR_BODY {
                        break;
                    }
                }
                _ => break,
            }
        }
        let error = from_http_response(status.as_u16(), retry_after, &body, model);
        return Attempt::Failed { error, delivered: false };
    }

    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/json"));
    let mut chunks = response.bytes_stream();
    let mut ctx = BodyCtx {
        state: TurnState::new(client.inner.signatures.clone()),
        delivered: false,
        events: Vec::new(),
        tx,
        cancel,
    };
    let mut parser = SseParser::new(cfg.max_event_bytes);
    let mut json_body: Vec<u8> = Vec::new();
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    let mut deadline = first_deadline;
    let mut got_event = false;

    loop {
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Attempt::Cancelled,
            // Data that is already there wins over a deadline that passed meanwhile.
            n = chunks.next() => n,
            _ = sleep_until(deadline) => {
                let error = if got_event {
                    let mut e = GeminiError::new(
                        GeminiErrorKind::Timeout,
                        format!("the stream stalled: no data for {}", format_duration(cfg.idle_timeout)),
                    );
                    e.model = Some(model.to_string());
                    e
                } else {
                    first_byte_error()
                };
                // After the finish reason the turn is complete; a server that keeps the body
                // open is not an error.
                return ctx.end(Some(error)).await;
            }
        };
        match next {
            Some(Ok(bytes)) => {
                if is_json {
                    if json_body.len() + bytes.len() > cfg.max_event_bytes {
                        let error = GeminiError::new(
                            GeminiErrorKind::InvalidResponse,
                            format!("the JSON response is larger than {} bytes", cfg.max_event_bytes),
                        );
                        return Attempt::Failed { error, delivered: ctx.delivered };
                    }
                    json_body.extend_from_slice(&bytes);
                    deadline = Instant::now() + cfg.idle_timeout;
                    got_event = true;
                    continue;
                }
                if let Err(e) = parser.feed(&bytes, &mut payloads) {
                    let error = GeminiError::new(GeminiErrorKind::InvalidResponse, e.to_string());
                    return Attempt::Failed { error, delivered: ctx.delivered };
                }
                for data in std::mem::take(&mut payloads) {
                    got_event = true;
                    if let Step::Stop(outcome) = ctx.on_payload(&data).await {
                        return outcome;
                    }
                    // Counted from after delivery: a slow consumer is not upstream silence.
                    deadline = Instant::now() + cfg.idle_timeout;
                }
            }
            Some(Err(e)) => {
                let msg = format!("the connection broke mid-response: {e}{}", source_chain(&e));
                return ctx.end(Some(GeminiError::new(GeminiErrorKind::StreamCut, msg))).await;
            }
            None => break,
        }
    }

    // Body complete.
    if is_json {
        match serde_json::from_slice::<Value>(&json_body) {
            Ok(Value::Array(items)) => {
                for item in items {
                    let data = item.to_string();
                    if let Step::Stop(outcome) = ctx.on_payload(data.as_bytes()).await {
                        return outcome;
                    }
                }
            }
            Ok(v @ Value::Object(_)) => {
                if let Step::Stop(outcome) = ctx.on_payload(v.to_string().as_bytes()).await {
                    return outcome;
                }
            }
            Ok(_) | Err(_) if json_body.trim_ascii().is_empty() => {}
            Ok(_) | Err(_) => {
                let error = GeminiError::new(
                    GeminiErrorKind::InvalidResponse,
                    format!(
                        "the response body is not a JSON response stream: {}",
                        truncate_chars(&String::from_utf8_lossy(&json_body), 200)
                    ),
                );
                return Attempt::Failed { error, delivered: ctx.delivered };
            }
        }
    } else if let Some(tail) = parser.finish() {
        // A last event without its blank line: usable if it is complete JSON, else the body
        // was cut inside it.
        if serde_json::from_slice::<Value>(tail.trim_ascii()).is_ok() {
            if let Step::Stop(outcome) = ctx.on_payload(&tail).await {
                return outcome;
            }
        } else {
            let error = GeminiError::new(
                GeminiErrorKind::StreamCut,
                "the response ended in the middle of an event (the connection closed mid-response)",
            );
            return ctx.end(Some(error)).await;
        }
    }
    ctx.end(None).await
}

/// `: cause: cause` for an error's sources (reqwest hides the useful part there).
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = String::new();
    let mut src = e.source();
    let mut n = 0;
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
        n += 1;
        if n >= 4 {
            break;
        }
    }
    out
}
