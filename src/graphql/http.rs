//! The protocol entry point: one HTTP request in, status + headers + body (whole or streamed)
//! out, as graphql-yoga 5 answers for the 1.10.6 runtime (§1, §6, §7).
//!
//! What the HTTP layer still does: `Content-Length` for `Full` bodies (yoga also sends
//! `Content-Length: 0` on the 204 preflight), chunked transfer for `Stream` bodies (flush every
//! chunk), `Date`, and the connection header. CORS is answered here (yoga's defaults, §1.5) when
//! [`HandlerConfig::cors`] is on. GraphiQL / the landing page are not served.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Future, Stream, StreamExt};
use serde_json::json;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::ast::OperationKind;
use super::encode::{
    encode_multipart, encode_sse, payload_stream, MULTIPART_CONTENT_TYPE, SSE_CONTENT_TYPE,
};
use super::error::GraphQLError;
use super::execute::{execute, ExecutionPayload};
use super::request::{
    coerce_variables, params_from_json_body, params_from_query_string, prepare_document,
    GraphQLParams, RequestError,
};
use super::resolved::BoxStream;
use super::root::{RequestContext, RootResolvers, RootSource};

pub const RUNTIME_VERSION: &str = "1.10.6";
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const APPLICATION_JSON: &str = "application/json; charset=utf-8";

/// Handler options.
#[derive(Debug, Clone)]
pub struct HandlerConfig {
    /// Only this path is served (others get 404 with an empty body). `None`: any path (the
    /// caller routes).
    pub endpoint: Option<String>,
    /// Value of `x-copilotkit-runtime-version` (the 1.10.6 client compares it to its own).
    pub runtime_version: String,
    /// Answer CORS like yoga's defaults (reflect `Origin`, allow credentials).
    pub cors: bool,
    /// When neither `multipart/mixed` nor `text/event-stream` is acceptable for an operation that
    /// uses `@defer`/`@stream`: `false` → 406 like the reference; `true` → execute to completion
    /// and answer one JSON result with everything in place (the 1.10.6 client accepts that too).
    pub non_incremental_fallback: bool,
    /// SSE keep-alive comment interval (yoga: 12 s).
    pub sse_keep_alive: Duration,
}

impl Default for HandlerConfig {
    fn default() -> Self {
        HandlerConfig {
            endpoint: None,
            runtime_version: RUNTIME_VERSION.into(),
            cors: true,
            non_incremental_fallback: false,
            sse_keep_alive: Duration::from_secs(12),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GraphqlHttpRequest {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The raw query string (without `?`), if any.
    pub query_string: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl GraphqlHttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub enum ResponseBody {
    Full(Bytes),
    /// Flush every chunk as it comes.
    Stream(BoxStream<Bytes>),
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseBody::Full(b) => write!(f, "Full({:?})", b),
            ResponseBody::Stream(_) => write!(f, "Stream(..)"),
        }
    }
}

#[derive(Debug)]
pub struct GraphqlHttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: ResponseBody,
}

impl GraphqlHttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Collects the body (tests, or callers that cannot stream).
    pub async fn body_bytes(self) -> Bytes {
        match self.body {
            ResponseBody::Full(b) => b,
            ResponseBody::Stream(mut s) => {
                let mut out = Vec::new();
                while let Some(c) = s.next().await {
                    out.extend_from_slice(&c);
                }
                Bytes::from(out)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// content negotiation

/// How a result goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// One JSON body with this content type.
    Json(&'static str),
    Multipart,
    EventStream,
}

/// Media types of an `Accept` header (lower-case, parameters dropped, `q=0` removed).
fn accepted_types(accept: Option<&str>) -> Vec<String> {
    let Some(a) = accept else { return vec![] };
    a.split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let ty = it.next()?.trim().to_ascii_lowercase();
            let zero_q = it.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            (!ty.is_empty() && !zero_q).then_some(ty)
        })
        .collect()
}

fn accepts(types: &[String], ty: &str) -> bool {
    if types.is_empty() {
        return true;
    }
    let major = ty.split('/').next().unwrap_or("");
    types
        .iter()
        .any(|t| t == ty || t == "*/*" || *t == format!("{major}/*"))
}

/// Response mode for a result, from the `Accept` header (§1.8). `streaming`: the result has
/// subsequent payloads. `None` → 406 Not Acceptable.
pub fn negotiate(accept: Option<&str>, streaming: bool) -> Option<ResponseMode> {
    let types = accepted_types(accept);
    if streaming {
        if accepts(&types, "multipart/mixed") {
            return Some(ResponseMode::Multipart);
        }
        if accepts(&types, "text/event-stream") {
            return Some(ResponseMode::EventStream);
        }
        return None;
    }
    if types
        .iter()
        .any(|t| t == "application/graphql-response+json" || t == "*/*")
    {
        return Some(ResponseMode::Json(GRAPHQL_RESPONSE_JSON));
    }
    if types.is_empty()
        || types
            .iter()
            .any(|t| t == "application/json" || t == "application/*")
    {
        return Some(ResponseMode::Json(APPLICATION_JSON));
    }
    if types.iter().any(|t| t == "text/event-stream") {
        return Some(ResponseMode::EventStream);
    }
    if types.iter().any(|t| t == "multipart/mixed") {
        return Some(ResponseMode::Multipart);
    }
    None
}

/// Content type for JSON error bodies.
fn error_content_type(accept: Option<&str>) -> &'static str {
    let types = accepted_types(accept);
    if !types.is_empty()
        && !types
            .iter()
            .any(|t| t == "application/graphql-response+json" || t == "*/*")
        && types.iter().any(|t| t == "application/json")
    {
        APPLICATION_JSON
    } else {
        GRAPHQL_RESPONSE_JSON
    }
}

// ---------------------------------------------------------------------------------------------

struct Responder<'a> {
    cfg: &'a HandlerConfig,
    req: &'a GraphqlHttpRequest,
}

impl Responder<'_> {
    /// Headers every response carries after its own: CORS (if any) and the version.
    fn common(&self, mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
        if self.cfg.cors {
            if let Some(origin) = self.req.header("origin") {
                headers.push(("access-control-allow-origin".into(), origin.into()));
                headers.push(("vary".into(), "Origin".into()));
                headers.push(("access-control-allow-credentials".into(), "true".into()));
            }
        }
        headers.push((
            "x-copilotkit-runtime-version".into(),
            self.cfg.runtime_version.clone(),
        ));
        headers
    }

    fn empty(&self, status: u16, headers: Vec<(String, String)>) -> GraphqlHttpResponse {
        GraphqlHttpResponse {
            status,
            headers: self.common(headers),
            body: ResponseBody::Full(Bytes::new()),
        }
    }

    fn json(
        &self,
        status: u16,
        content_type: &str,
        mut extra: Vec<(String, String)>,
        body: serde_json::Value,
    ) -> GraphqlHttpResponse {
        let mut headers = vec![("Content-Type".to_string(), content_type.to_string())];
        headers.append(&mut extra);
        GraphqlHttpResponse {
            status,
            headers: self.common(headers),
            body: ResponseBody::Full(Bytes::from(serde_json::to_vec(&body).unwrap_or_default())),
        }
    }

    fn request_error(&self, e: RequestError) -> GraphqlHttpResponse {
        let ct = error_content_type(self.req.header("accept"));
        let body = e.body();
        self.json(e.status, ct, e.headers, body)
    }

    fn preflight(&self) -> GraphqlHttpResponse {
        let mut headers = Vec::new();
        if self.cfg.cors {
            if let Some(origin) = self.req.header("origin") {
                headers.push(("access-control-allow-origin".into(), origin.to_string()));
                let req_headers = self.req.header("access-control-request-headers");
                headers.push((
                    "vary".into(),
                    if req_headers.is_some() {
                        "Origin, Access-Control-Request-Headers"
                    } else {
                        "Origin"
                    }
                    .into(),
                ));
                headers.push((
                    "access-control-allow-methods".into(),
                    self.req
                        .header("access-control-request-method")
                        .unwrap_or("GET, POST")
                        .to_string(),
                ));
                if let Some(h) = req_headers {
                    headers.push(("access-control-allow-headers".into(), h.to_string()));
                }
                headers.push(("access-control-allow-credentials".into(), "true".into()));
            }
        }
        headers.push((
            "x-copilotkit-runtime-version".into(),
            self.cfg.runtime_version.clone(),
        ));
        GraphqlHttpResponse {
            status: 204,
            headers,
            body: ResponseBody::Full(Bytes::new()),
        }
    }
}

/// [`handle_graphql_with_config`] with the default configuration (version 1.10.6, CORS on, any
/// path, 406 when no streaming format is acceptable).
pub async fn handle_graphql(
    req: GraphqlHttpRequest,
    resolvers: Arc<dyn RootResolvers>,
    cancel: CancellationToken,
) -> GraphqlHttpResponse {
    handle_graphql_with_config(&HandlerConfig::default(), req, resolvers, cancel).await
}

/// Serves one HTTP request.
///
/// The returned `Stream` body stops (dropping every resolver future and stream) as soon as
/// `cancel` fires or the body is dropped. If `cancel` fires before the response head is known,
/// the answer is an empty 499 (nobody is listening any more).
pub async fn handle_graphql_with_config(
    cfg: &HandlerConfig,
    req: GraphqlHttpRequest,
    resolvers: Arc<dyn RootResolvers>,
    cancel: CancellationToken,
) -> GraphqlHttpResponse {
    let r = Responder { cfg, req: &req };
    if let Some(ep) = &cfg.endpoint {
        if req.path != *ep {
            return r.empty(404, vec![]);
        }
    }
    let method = req.method.to_ascii_uppercase();
    let params = match method.as_str() {
        "OPTIONS" => return r.preflight(),
        "GET" => params_from_query_string(req.query_string.as_deref().unwrap_or("")),
        "POST" => {
            let ct = req
                .header("content-type")
                .map(|c| {
                    c.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .unwrap_or_default();
            match ct.as_str() {
                "application/json"
                | "application/graphql+json"
                | "application/graphql-response+json" => params_from_json_body(&req.body),
                "application/graphql" => Ok(GraphQLParams {
                    query: String::from_utf8_lossy(&req.body).into_owned(),
                    ..Default::default()
                }),
                "application/x-www-form-urlencoded" => {
                    params_from_query_string(&String::from_utf8_lossy(&req.body))
                }
                _ => return r.empty(415, vec![]),
            }
        }
        _ => {
            let body = json!({"errors":[{"message":"GraphQL only supports GET and POST requests.","extensions":{"code":"BAD_REQUEST"}}]});
            return r.json(
                405,
                GRAPHQL_RESPONSE_JSON,
                vec![("Allow".into(), "GET, POST".into())],
                body,
            );
        }
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => return r.request_error(e),
    };
    let mut op = match prepare_document(&params) {
        Ok(op) => op,
        Err(e) => return r.request_error(e),
    };
    if method == "GET" && op.kind() == OperationKind::Mutation {
        let body = json!({"errors":[{"message":"Can only perform a mutation operation from a POST request.","extensions":{"code":"BAD_REQUEST"}}]});
        return r.json(
            405,
            error_content_type(req.header("accept")),
            vec![("Allow".into(), "POST".into())],
            body,
        );
    }
    if let Err(e) = coerce_variables(&mut op, &params.variables) {
        return r.request_error(e);
    }
    if op.kind() == OperationKind::Subscription {
        let e = GraphQLError::new("Schema is not configured to execute subscription operation.")
            .at(op.operation.pos);
        return r.request_error(RequestError {
            status: 400,
            errors: vec![e],
            headers: vec![],
        });
    }

    // Decide the format before executing: an operation that may stream needs a streaming format.
    let accept = req.header("accept").map(str::to_string);
    let may_stream = op.uses_incremental_delivery();
    let streaming_mode = if may_stream {
        negotiate(accept.as_deref(), true)
    } else {
        None
    };
    let incremental = streaming_mode.is_some();
    if may_stream && !incremental && !cfg.non_incremental_fallback {
        return r.empty(
            406,
            vec![(
                "accept".into(),
                "text/event-stream; charset=utf-8, multipart/mixed".into(),
            )],
        );
    }

    let ctx = RequestContext {
        method: method.clone(),
        path: req.path.clone(),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        cancel: cancel.clone(),
    };
    let root = root_source(&op, resolvers, ctx);
    let output = tokio::select! {
        out = execute(&op, root, incremental) => out,
        _ = cancel.cancelled() => return r.empty(499, vec![]),
    };

    let status = if output.initial.data.is_some() {
        200
    } else {
        400
    };
    let mode = match (&output.subsequent, streaming_mode) {
        (Some(_), Some(m)) => m,
        _ => match negotiate(accept.as_deref(), false) {
            Some(m) => m,
            None => {
                return r.empty(
                    406,
                    vec![(
                        "accept".into(),
                        "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8, text/event-stream; charset=utf-8, multipart/mixed".into(),
                    )],
                )
            }
        },
    };
    match mode {
        ResponseMode::Json(ct) => r.json(status, ct, vec![], output.initial.to_json()),
        ResponseMode::Multipart => {
            let body = encode_multipart(payload_stream(output.initial, output.subsequent));
            GraphqlHttpResponse {
                status,
                // No `Connection` header: it is hop-by-hop and the host's to set. Forcing
                // `keep-alive` overrode a client's `Connection: close` in Node (its parser then
                // rejects the next request on that socket) and is forbidden over HTTP/2.
                headers: r.common(vec![("Content-Type".into(), MULTIPART_CONTENT_TYPE.into())]),
                body: ResponseBody::Stream(cancellable(body, cancel)),
            }
        }
        ResponseMode::EventStream => {
            let body = encode_sse(
                payload_stream(output.initial, output.subsequent),
                cfg.sse_keep_alive,
            );
            GraphqlHttpResponse {
                status,
                headers: r.common(vec![
                    ("Content-Type".into(), SSE_CONTENT_TYPE.into()),
                    ("Cache-Control".into(), "no-cache".into()),
                    ("Content-Encoding".into(), "none".into()),
                ]),
                body: ResponseBody::Stream(cancellable(body, cancel)),
            }
        }
    }
}

/// The root object of `op`: `Mutation` for a mutation, `Query` otherwise.
fn root_source(
    op: &super::execute::PreparedOperation,
    resolvers: Arc<dyn RootResolvers>,
    ctx: RequestContext,
) -> Box<RootSource> {
    Box::new(RootSource {
        typename: if op.kind() == OperationKind::Mutation {
            "Mutation"
        } else {
            "Query"
        },
        resolvers,
        ctx,
    })
}

/// Executes a prepared request to one JSON result regardless of `@defer`/`@stream` (deferred and
/// streamed data in place), e.g. for transports that cannot stream.
pub async fn execute_to_single_result(
    op: &super::execute::PreparedOperation,
    resolvers: Arc<dyn RootResolvers>,
    ctx: RequestContext,
) -> ExecutionPayload {
    let root = root_source(op, resolvers, ctx);
    execute(op, root, false).await.initial
}

/// A body stream that ends — dropping the inner stream and with it every resolver — as soon as
/// the token fires.
pub fn cancellable(inner: BoxStream<Bytes>, cancel: CancellationToken) -> BoxStream<Bytes> {
    Box::pin(Cancellable {
        inner: Some(inner),
        cancelled: Box::pin(cancel.cancelled_owned()),
    })
}

struct Cancellable {
    inner: Option<BoxStream<Bytes>>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Stream for Cancellable {
    type Item = Bytes;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if self.inner.is_none() {
            return Poll::Ready(None);
        }
        if self.cancelled.as_mut().poll(cx).is_ready() {
            self.inner = None;
            return Poll::Ready(None);
        }
        let r = self
            .inner
            .as_mut()
            .map(|s| s.as_mut().poll_next(cx))
            .unwrap_or(Poll::Ready(None));
        if let Poll::Ready(None) = r {
            self.inner = None;
        }
        r
    }
}
