//! The napi binding: converts between JS values and the core's types, and holds the JS callbacks.
//!
//! Shape of the boundary (see `lib/native.js` for the JS half):
//! * `NativeRuntime(configJson, dispatch)` — one per `CopilotRuntime` + service adapter. `dispatch`
//!   is the single JS function through which Rust reaches user callbacks: it is held as a *weak*
//!   thread-safe function (it never keeps the process alive) and called with `call_async_catch`
//!   (a JS throw becomes an error value, never a fatal exception).
//! * `runtime.start(method, url, headers, body)` returns a `NativeRequest` at once; `head()` resolves
//!   with status and headers (and the whole body when it is small and complete), `nextBatch()`
//!   pulls the next frames of a streamed body, and `cancel()` — synchronous — aborts everything,
//!   including the upstream LLM request, the moment the client goes away.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::host::{Host, HostError};
use crate::http::{Body, HttpRequest, HttpResponse};
use crate::runtime::Runtime;

/// Largest batch handed to JS in one `nextBatch()` call when several frames are ready at once.
const MAX_BATCH_BYTES: usize = 64 * 1024;

type DispatchFn = ThreadsafeFunction<(String, String), Promise<String>, (String, String), Status, false, true>;
/// `wake(id)`: tells JS that what `NativeRequest.wait(id)` waited for is ready. One per JS thread
/// (main thread or worker), created once: cheaper than a promise of napi's per async call.
type WakeFn = ThreadsafeFunction<u32, (), u32, Status, false, true>;

thread_local! {
    static WAKER: std::cell::RefCell<Option<Arc<WakeFn>>> = const { std::cell::RefCell::new(None) };
}

/// Registers this JS thread's `wake(id)` callback (see `NativeRequest.wait`).
#[napi]
pub fn set_waker(wake: Function<'_, u32, ()>) -> Result<()> {
    let tsfn: WakeFn = wake.build_threadsafe_function::<u32>().callee_handled::<false>().weak::<true>().build()?;
    WAKER.with(|w| *w.borrow_mut() = Some(Arc::new(tsfn)));
    Ok(())
}

struct JsHost {
    dispatch: Arc<DispatchFn>,
}

impl Host for JsHost {
    fn call(&self, kind: &str, payload: Value) -> BoxFuture<'static, std::result::Result<Value, HostError>> {
        let dispatch = self.dispatch.clone();
        let args = (kind.to_string(), payload.to_string());
        Box::pin(async move {
            let promise = dispatch
                .call_async_catch(args)
                .await
                .map_err(|e| HostError { message: e.reason.clone() })?;
            let text = promise.await.map_err(|e| HostError { message: e.reason.clone() })?;
            // The JS dispatcher answers {"ok": value} or {"error": "message"}; it never throws.
            let reply: Value = serde_json::from_str(&text)
                .map_err(|e| HostError { message: format!("invalid reply from JS callback: {e}") })?;
            match reply {
                Value::Object(mut m) => {
                    if let Some(err) = m.remove("error") {
                        let message = err.as_str().map(str::to_string).unwrap_or_else(|| err.to_string());
                        Err(HostError { message })
                    } else {
                        Ok(m.remove("ok").unwrap_or(Value::Null))
                    }
                }
                _ => Err(HostError { message: "invalid reply from JS callback".into() }),
            }
        })
    }
}

#[napi(custom_finalize)]
pub struct NativeRuntime {
    inner: Arc<Runtime>,
    /// Bytes reported to V8 as held outside its heap (see `EXTERNAL_HINT`).
    external: i64,
}

/// What a native runtime with JS callbacks is reported to hold outside V8's heap. Its real cost is
/// small, but each one keeps a libuv handle that every wake-up of the event loop scans: apps that
/// build a runtime per request (as the docs do) need V8 to collect the old ones soon.
const EXTERNAL_HINT: i64 = 1 << 20;

impl ObjectFinalize for NativeRuntime {
    fn finalize(self, env: Env) -> Result<()> {
        if self.external != 0 {
            env.adjust_external_memory(-self.external)?;
        }
        Ok(())
    }
}

#[napi]
impl NativeRuntime {
    #[napi(constructor)]
    pub fn new(env: Env, config_json: String, dispatch: Option<Function<'_, (String, String), Promise<String>>>) -> Result<Self> {
        crate::logging::init();
        let external = if dispatch.is_some() { EXTERNAL_HINT } else { 0 };
        let host: Arc<dyn Host> = match dispatch {
            Some(f) => {
                let tsfn: DispatchFn = f
                    .build_threadsafe_function::<(String, String)>()
                    .callee_handled::<false>()
                    .weak::<true>()
                    .build()?;
                Arc::new(JsHost { dispatch: Arc::new(tsfn) })
            }
            None => Arc::new(crate::host::NoHost),
        };
        let runtime = Runtime::from_config_json(&config_json, host)
            .map_err(|e| Error::new(Status::InvalidArg, e))?;
        if external != 0 {
            env.adjust_external_memory(external)?;
        }
        Ok(NativeRuntime { inner: Arc::new(runtime), external })
    }

    /// Start handling one HTTP request. Never throws for bad input: protocol errors come back as
    /// responses in the protocol's own error shape.
    #[napi]
    pub fn start(&self, method: String, url: String, headers: Vec<String>, body: Buffer) -> NativeRequest {
        let mut pairs = Vec::with_capacity(headers.len() / 2);
        let mut it = headers.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k.to_ascii_lowercase(), v));
        }
        let req = HttpRequest { method, url, headers: pairs, body: Bytes::from(body.to_vec()) };
        let cancel = CancellationToken::new();
        let runtime = self.inner.clone();
        let token = cancel.clone();
        let fut = crate::safety::guard_response(Box::pin(async move { runtime.handle(req, token).await }));
        NativeRequest {
            cancel,
            state: Arc::new(tokio::sync::Mutex::new(RequestState { pending: Some(fut), ready_head: None, body: None, peeked: None })),
            waker: WAKER.with(|w| w.borrow().clone()),
        }
    }
}

/// The head for JS; a streamed body stays in `state` for `nextBatch`.
fn into_head(state: &mut RequestState, resp: HttpResponse) -> ResponseHead {
    let mut headers = Vec::with_capacity(resp.headers.len() * 2);
    for (k, v) in resp.headers {
        headers.push(k);
        headers.push(v);
    }
    let body = match resp.body {
        Body::Full(b) => Some(Buffer::from(b.to_vec())),
        Body::Stream(s) => {
            state.body = Some(s);
            None
        }
    };
    ResponseHead { status: resp.status as u32, headers, body }
}

/// `first` plus whatever else the body has ready now (up to [`MAX_BATCH_BYTES`]), as one buffer.
fn drain_ready(state: &mut RequestState, first: Bytes) -> Vec<u8> {
    let Some(stream) = state.body.as_mut() else { return Vec::from(first) };
    // Gather what is ready, then copy once into a buffer of the exact size (a lone item is
    // handed over without a copy when nothing else shares it).
    let mut parts: Vec<Bytes> = Vec::new();
    let mut len = first.len();
    while len < MAX_BATCH_BYTES {
        match stream.next().now_or_never() {
            Some(Some(more)) => {
                len += more.len();
                parts.push(more);
            }
            Some(None) => {
                state.body = None;
                break;
            }
            None => break,
        }
    }
    if parts.is_empty() {
        return Vec::from(first);
    }
    let mut buf = Vec::with_capacity(len);
    buf.extend_from_slice(&first);
    for p in &parts {
        buf.extend_from_slice(p);
    }
    buf
}

struct RequestState {
    pending: Option<BoxFuture<'static, HttpResponse>>,
    /// The response `wait` saw complete, for the next `tryHead`.
    ready_head: Option<HttpResponse>,
    body: Option<BoxStream<'static, Bytes>>,
    /// The body item `wait` took (`None` inside: the body ended), for the next `tryNextBatch`.
    peeked: Option<Option<Bytes>>,
}

/// Events of a JS agent run (a JSON array, or one event), pushed by the shim as the agent emits them.
#[napi]
pub fn push_agent_events(run_key: String, events_json: String) -> Result<()> {
    crate::agents::push_events(&run_key, &events_json).map_err(|e| Error::new(Status::InvalidArg, e))
}

/// The JS agent run ended; `error` when it failed.
#[napi]
pub fn end_agent_run(run_key: String, error: Option<String>) {
    crate::agents::end_run(&run_key, error);
}

#[napi(object)]
pub struct ResponseHead {
    pub status: u32,
    /// Flat `[name, value, name, value, …]` list (names may repeat).
    pub headers: Vec<String>,
    /// The whole body when it is complete; `undefined` when it streams through `nextBatch()`.
    pub body: Option<Buffer>,
}

#[napi]
pub struct NativeRequest {
    cancel: CancellationToken,
    state: Arc<tokio::sync::Mutex<RequestState>>,
    waker: Option<Arc<WakeFn>>,
}

/// The head of a request cancelled before its response was ready.
fn cancelled_head() -> ResponseHead {
    ResponseHead { status: 499, headers: vec![], body: Some(Buffer::from(Vec::new())) }
}

#[napi]
impl NativeRequest {
    /// Resolve with the response status and headers.
    #[napi]
    pub async fn head(&self) -> Result<ResponseHead> {
        let mut state = self.state.lock().await;
        if let Some(resp) = state.ready_head.take() {
            return Ok(into_head(&mut state, resp));
        }
        let fut = state
            .pending
            .take()
            .ok_or_else(|| Error::new(Status::GenericFailure, "head() called twice"))?;
        let resp = tokio::select! {
            r = fut => r,
            _ = self.cancel.cancelled() => {
                return Ok(cancelled_head());
            }
        };
        Ok(into_head(&mut state, resp))
    }

    /// The next frames of a streamed body (several when more are ready), or `null` at the end.
    #[napi]
    pub async fn next_batch(&self) -> Result<Option<Buffer>> {
        let mut state = self.state.lock().await;
        let peeked = state.peeked.take();
        let Some(stream) = state.body.as_mut() else { return Ok(None) };
        let first = match peeked {
            Some(item) => item,
            None => tokio::select! {
                item = stream.next() => item,
                _ = self.cancel.cancelled() => None,
            },
        };
        let Some(first) = first else {
            state.body = None; // drop the producer: this releases the upstream request
            return Ok(None);
        };
        Ok(Some(Buffer::from(drain_ready(&mut state, first))))
    }

    /// Abort the request: the client went away or the host gave up. Synchronous and idempotent.
    /// `head()` without the async round trip when the response is ready at once (most requests
    /// that never wait for the model or a JS callback): the head, or `null` when it is not ready
    /// yet (then `await head()` resumes the same work).
    #[napi]
    pub fn try_head(&self) -> Result<Option<ResponseHead>> {
        // In the runtime's context: what this drops (a cancelled request) may spawn its cleanup.
        napi::bindgen_prelude::within_runtime_if_available(|| self.try_head_inner())
    }

    /// `nextBatch()` without the async round trip when bytes are ready now: a batch, `null` at
    /// the end, `undefined` when nothing is ready (then `await nextBatch()`).
    #[napi]
    pub fn try_next_batch(&self) -> Either3<Buffer, Null, Undefined> {
        napi::bindgen_prelude::within_runtime_if_available(|| self.try_next_batch_inner())
    }

    fn try_head_inner(&self) -> Result<Option<ResponseHead>> {
        let Ok(mut state) = self.state.try_lock() else { return Ok(None) };
        if let Some(resp) = state.ready_head.take() {
            return Ok(Some(into_head(&mut state, resp)));
        }
        if self.cancel.is_cancelled() {
            state.pending = None;
            return Ok(Some(cancelled_head()));
        }
        let Some(fut) = state.pending.as_mut() else { return Ok(None) };
        let polled = fut.as_mut().now_or_never();
        let Some(resp) = polled else { return Ok(None) };
        state.pending = None;
        Ok(Some(into_head(&mut state, resp)))
    }

    fn try_next_batch_inner(&self) -> Either3<Buffer, Null, Undefined> {
        let Ok(mut state) = self.state.try_lock() else { return Either3::C(()) };
        if self.cancel.is_cancelled() {
            state.body = None;
            state.peeked = None;
            return Either3::B(Null);
        }
        let peeked = state.peeked.take();
        let Some(stream) = state.body.as_mut() else { return Either3::B(Null) };
        let first = match peeked {
            Some(item) => Some(item),
            None => stream.next().now_or_never(),
        };
        match first {
            None => Either3::C(()),
            Some(None) => {
                state.body = None;
                Either3::B(Null)
            }
            Some(Some(first)) => {
                let buf = drain_ready(&mut state, first);
                Either3::A(Buffer::from(buf))
            }
        }
    }

    /// Calls this thread's `wake(id)` once the head (before `tryHead` succeeded) or the next body
    /// item is ready, or the request is cancelled; then `tryHead`/`tryNextBatch` return it.
    /// `false` when no waker is registered (use `head()`/`nextBatch()`).
    #[napi]
    pub fn wait(&self, id: u32) -> bool {
        let Some(waker) = self.waker.clone() else { return false };
        let state = self.state.clone();
        let cancel = self.cancel.clone();
        napi::bindgen_prelude::spawn(async move {
            {
                let mut st = state.lock().await;
                let st = &mut *st;
                if let Some(fut) = st.pending.as_mut() {
                    tokio::select! {
                        resp = fut => {
                            st.pending = None;
                            st.ready_head = Some(resp);
                        }
                        // Dropped here, in the runtime: its cleanup (onStopGeneration) spawns work.
                        _ = cancel.cancelled() => st.pending = None,
                    }
                } else if st.peeked.is_none() {
                    if let Some(stream) = st.body.as_mut() {
                        tokio::select! {
                            item = stream.next() => st.peeked = Some(item),
                            _ = cancel.cancelled() => st.body = None,
                        }
                    }
                }
            }
            waker.call(id, napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking);
        });
        true
    }

    #[napi]
    pub fn cancel(&self) {
        self.cancel.cancel();
        // Dropped in the runtime's context: their cleanup (onStopGeneration) spawns work.
        napi::bindgen_prelude::within_runtime_if_available(|| {
            if let Ok(mut state) = self.state.try_lock() {
                state.body = None;
                state.pending = None;
                state.ready_head = None;
                state.peeked = None;
            }
        });
    }
}
