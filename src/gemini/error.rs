//! Errors: request-building failures and upstream/transport failures, with the parsing of
//! Google's `{"error": {code, message, status, details}}` bodies.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Longest upstream message kept in an error (characters). Bodies can be huge (HTML pages,
/// echoed requests); the useful text is always at the start.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// The request cannot be sent as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// A tool name Gemini would reject (`^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$`).
    InvalidToolName { name: String },
    /// `tool_choice` names a function that is not among the tools.
    UnknownToolChoice { name: String },
    /// Nothing the model can see is left in the history (Gemini rejects empty `contents`).
    EmptyContents,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::InvalidToolName { name } => write!(
                f,
                "Invalid tool name for Gemini: {:?}. A name must start with a letter or an underscore, \
                 contain only letters, digits, '_', '.', ':' or '-', and be at most 64 characters long",
                truncate_chars(name, 100)
            ),
            RequestError::UnknownToolChoice { name } => write!(
                f,
                "toolChoice names the function {:?}, which is not among the available tools",
                truncate_chars(name, 100)
            ),
            RequestError::EmptyContents => write!(
                f,
                "Nothing to send to Gemini: the conversation has no user, assistant or tool messages with content"
            ),
        }
    }
}

impl std::error::Error for RequestError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeminiErrorKind {
    /// Key rejected (400 API_KEY_INVALID), 401, 403.
    Auth,
    /// 400 (other than a bad key) and other 4xx.
    BadRequest,
    /// 404: unknown or retired model, or wrong API version.
    ModelNotFound,
    /// 429.
    RateLimited,
    /// 500 and other 5xx not listed below.
    Server,
    /// 502, 503.
    Unavailable,
    /// Connection refused/reset, DNS, TLS: no HTTP response.
    Network,
    /// Our first-byte or idle timeout, or 408/504 from upstream.
    Timeout,
    /// The body ended (or broke) before a finish reason arrived.
    StreamCut,
    /// Not SSE/JSON we understand, or an event over the size limit.
    InvalidResponse,
    /// Reserved for a prompt refused outright (a `promptFeedback` block is reported as a
    /// `ContentFilter` finish instead, as the reference runtime does).
    Blocked,
    /// No key in options or `GOOGLE_API_KEY`; no request was made.
    MissingApiKey,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeminiError {
    pub kind: GeminiErrorKind,
    /// HTTP status (or the `code` of an in-band error event).
    pub status: Option<u16>,
    /// Upstream message (Google's actionable text) or our own description; scrubbed of the API
    /// key and truncated.
    pub message: String,
    /// `RetryInfo.retryDelay` / `Retry-After`, when the server gave one.
    pub retry_delay: Option<Duration>,
    /// google.rpc status name, e.g. `RESOURCE_EXHAUSTED`.
    pub upstream_status: Option<String>,
    /// Model the request was for (shown for `ModelNotFound`).
    pub model: Option<String>,
    /// Attempts made before giving up (1 when not retried).
    pub attempts: u32,
}

impl GeminiError {
    pub fn new(kind: GeminiErrorKind, message: impl Into<String>) -> Self {
        GeminiError {
            kind,
            status: None,
            message: truncate_chars(&message.into(), MAX_MESSAGE_CHARS),
            retry_delay: None,
            upstream_status: None,
            model: None,
            attempts: 1,
        }
    }

    pub fn missing_api_key() -> Self {
        Self::new(
            GeminiErrorKind::MissingApiKey,
            "set GOOGLE_API_KEY or pass apiKey to GoogleGenerativeAIAdapter",
        )
    }

    /// Worth trying again later (the client itself retries only before any event was delivered).
    pub fn retryable(&self) -> bool {
        matches!(
            self.kind,
            GeminiErrorKind::RateLimited
                | GeminiErrorKind::Server
                | GeminiErrorKind::Unavailable
                | GeminiErrorKind::Network
                | GeminiErrorKind::Timeout
                | GeminiErrorKind::StreamCut
        )
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            GeminiErrorKind::Auth => "AUTH_FAILED",
            GeminiErrorKind::BadRequest => "BAD_REQUEST",
            GeminiErrorKind::ModelNotFound => "MODEL_NOT_FOUND",
            GeminiErrorKind::RateLimited => "RATE_LIMITED",
            GeminiErrorKind::Server => "SERVER_ERROR",
            GeminiErrorKind::Unavailable => "UNAVAILABLE",
            GeminiErrorKind::Network => "NETWORK_ERROR",
            GeminiErrorKind::Timeout => "TIMEOUT",
            GeminiErrorKind::StreamCut => "STREAM_CUT",
            GeminiErrorKind::InvalidResponse => "INVALID_RESPONSE",
            GeminiErrorKind::Blocked => "BLOCKED",
            GeminiErrorKind::MissingApiKey => "MISSING_API_KEY",
        }
    }

    /// Remove every occurrence of `key` from the message (upstreams sometimes echo requests).
    pub(crate) fn scrub(mut self, key: Option<&str>) -> Self {
        self.message = crate::logging::redact_paths(&scrub_secret(&self.message, key));
        self
    }

    /// Whether the client may transparently retry this failure (before any event was yielded).
    pub(crate) fn auto_retry(&self) -> bool {
        match self.status {
            Some(s) => matches!(s, 408 | 429 | 500 | 502 | 503 | 504),
            None => matches!(self.kind, GeminiErrorKind::Network | GeminiErrorKind::StreamCut),
        }
    }

    /// `(429 RESOURCE_EXHAUSTED)`-style label, empty when nothing is known.
    fn label(&self) -> String {
        let status = if self.kind == GeminiErrorKind::Auth && self.status == Some(400) {
            Some("API_KEY_INVALID")
        } else {
            self.upstream_status.as_deref()
        };
        match (self.status, status) {
            (Some(c), Some(s)) => format!(" ({c} {s})"),
            (Some(c), None) => format!(" ({c})"),
            (None, Some(s)) => format!(" ({s})"),
            (None, None) => String::new(),
        }
    }
}

impl fmt::Display for GeminiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use GeminiErrorKind::*;
        let label = self.label();
        let msg = self.message.trim();
        let sep = if msg.is_empty() { "" } else { ": " };
        match self.kind {
            MissingApiKey => {
                return write!(
                    f,
                    "No Gemini API key: set GOOGLE_API_KEY or pass apiKey to GoogleGenerativeAIAdapter"
                )
            }
            Auth => match self.status {
                Some(400) => write!(f, "Gemini API key rejected{label}{sep}{msg}")?,
                Some(401) => write!(f, "Gemini authentication failed{label}{sep}{msg}")?,
                _ => write!(f, "Gemini API access denied{label}{sep}{msg}")?,
            },
            BadRequest => write!(f, "Gemini rejected the request{label}{sep}{msg}")?,
            ModelNotFound => match &self.model {
                Some(m) => write!(f, "Gemini model not found: {m}{label}{sep}{msg}")?,
                None => write!(f, "Gemini model not found{label}{sep}{msg}")?,
            },
            RateLimited => {
                write!(f, "Gemini rate limit exceeded{label}")?;
                if let Some(d) = self.retry_delay {
                    write!(f, ", retry after {}", format_duration(d))?;
                }
                write!(f, "{sep}{msg}")?;
            }
            Server => write!(f, "Gemini server error{label}{sep}{msg}")?,
            Unavailable => write!(f, "Gemini is unavailable{label}{sep}{msg}")?,
            Network => write!(f, "Could not reach Gemini{sep}{msg}")?,
            Timeout => write!(f, "Gemini timed out{label}{sep}{msg}")?,
            StreamCut => write!(f, "Gemini stream ended before the response was complete{sep}{msg}")?,
            InvalidResponse => write!(f, "Gemini sent an invalid response{sep}{msg}")?,
            Blocked => write!(f, "Gemini blocked the request{label}{sep}{msg}")?,
        }
        if self.attempts > 1 {
            write!(f, " (gave up after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for GeminiError {}

/// HTTP status for a google.rpc code name (used when an error object has no numeric `code`).
fn http_for_rpc_status(status: &str) -> Option<u16> {
    Some(match status {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
        "UNAUTHENTICATED" => 401,
        "PERMISSION_DENIED" => 403,
        "NOT_FOUND" => 404,
        "ABORTED" | "ALREADY_EXISTS" => 409,
        "RESOURCE_EXHAUSTED" => 429,
        "CANCELLED" => 499,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => 500,
        "UNIMPLEMENTED" => 501,
        "UNAVAILABLE" => 503,
        "DEADLINE_EXCEEDED" => 504,
        _ => return None,
    })
}

fn kind_for(code: Option<u16>, reason: Option<&str>, message: &str) -> GeminiErrorKind {
    use GeminiErrorKind::*;
    let bad_key = matches!(reason, Some("API_KEY_INVALID" | "API_KEY_EXPIRED"))
        || message.contains("API key not valid")
        || message.contains("API key expired");
    match code {
        Some(400) if bad_key => Auth,
        Some(401 | 403) => Auth,
        Some(404) => ModelNotFound,
        Some(408 | 504) => Timeout,
        Some(429) => RateLimited,
        Some(502 | 503) => Unavailable,
        Some(c) if c >= 500 => Server,
        Some(_) => BadRequest,
        None if bad_key => Auth,
        None => Server,
    }
}

/// Parse Google's `google.protobuf.Duration` JSON form: `"26s"`, `"1.5s"`, `"0.250s"`, or
/// `{"seconds": 26, "nanos": 0}`.
pub fn parse_duration(v: &Value) -> Option<Duration> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            let num = s.strip_suffix('s').unwrap_or(s).trim();
            let secs: f64 = num.parse().ok()?;
            if secs.is_finite() && (0.0..1e9).contains(&secs) {
                Duration::try_from_secs_f64(secs).ok()
            } else {
                None
            }
        }
        Value::Object(o) => {
            let secs = o.get("seconds").and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()))?;
            let nanos = o.get("nanos").and_then(Value::as_u64).unwrap_or(0).min(999_999_999);
            Some(Duration::new(secs.min(1_000_000_000), nanos as u32))
        }
        _ => None,
    }
}

pub(crate) fn format_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        let s = format!("{:.3}", d.as_secs_f64());
        format!("{}s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Build an error from a Google error object (`{"code", "message", "status", "details"}`).
/// `http_status` is the response status when the object came in an HTTP error body.
pub(crate) fn from_error_object(obj: &Value, http_status: Option<u16>) -> GeminiError {
    let code = obj
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (100..=599).contains(c));
    let rpc_status = obj.get("status").and_then(Value::as_str).map(str::to_string);
    let message = match obj.get("message") {
        Some(Value::String(s)) => s.clone(),
        Some(other) if !other.is_null() => other.to_string(),
        _ => String::new(),
    };
    let mut retry_delay = None;
    let mut reason = None;
    if let Some(details) = obj.get("details").and_then(Value::as_array) {
        for d in details {
            let ty = d.get("@type").and_then(Value::as_str).unwrap_or("");
            if ty.ends_with("google.rpc.RetryInfo") {
                retry_delay = d.get("retryDelay").and_then(parse_duration).or(retry_delay);
            } else if ty.ends_with("google.rpc.ErrorInfo") {
                reason = d.get("reason").and_then(Value::as_str).map(str::to_string).or(reason);
            }
        }
    }
    let status = http_status
        .or(code)
        .or_else(|| rpc_status.as_deref().and_then(http_for_rpc_status));
    let mut e = GeminiError::new(kind_for(status, reason.as_deref(), &message), message);
    e.status = status;
    e.upstream_status = rpc_status;
    e.retry_delay = retry_delay;
    e
}

/// Build an error from a non-2xx HTTP response. The body may be Google JSON (possibly wrapped
/// in an array, as the non-SSE endpoint does), other JSON, HTML or empty.
pub(crate) fn from_http_response(
    status: u16,
    header_retry_after: Option<Duration>,
    body: &[u8],
    model: &str,
) -> GeminiError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error_obj = parsed.as_ref().and_then(|v| match v {
        Value::Array(items) => items.iter().find_map(|i| i.get("error")).cloned(),
        other => other.get("error").cloned(),
    });
    let mut e = match error_obj {
        Some(obj @ Value::Object(_)) => from_error_object(&obj, Some(status)),
        Some(Value::String(s)) => {
            let mut e = GeminiError::new(kind_for(Some(status), None, &s), s);
            e.status = Some(status);
            e
        }
        _ => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let message = if text.is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                // Collapse whitespace so HTML or pretty JSON stays a readable single line.
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            let mut e = GeminiError::new(kind_for(Some(status), None, &message), message);
            e.status = Some(status);
            e
        }
    };
    if e.retry_delay.is_none() {
        e.retry_delay = header_retry_after;
    }
    e.model = Some(model.to_string());
    e
}

/// Replace `secret` everywhere in `text`.
pub(crate) fn scrub_secret(text: &str, secret: Option<&str>) -> String {
    match secret.map(str::trim) {
        Some(s) if !s.is_empty() && text.contains(s) => text.replace(s, "[REDACTED]"),
        _ => text.to_string(),
    }
}

pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((idx, _)) => format!("{}…", &s[..idx]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations() {
        assert_eq!(parse_duration(&json!("26s")), Some(Duration::from_secs(26)));
        assert_eq!(parse_duration(&json!("1.5s")), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration(&json!("0.000001s")), Some(Duration::from_micros(1)));
        assert_eq!(parse_duration(&json!({"seconds": 3, "nanos": 5})), Some(Duration::new(3, 5)));
        assert_eq!(parse_duration(&json!("-1s")), None);
        assert_eq!(parse_duration(&json!("abc")), None);
        assert_eq!(parse_duration(&json!(12)), None);
        assert_eq!(format_duration(Duration::from_secs(26)), "26s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn api_key_invalid_is_auth() {
        let body = br#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        let e = from_http_response(400, None, body, "gemini-2.5-flash");
        assert_eq!(e.kind, GeminiErrorKind::Auth);
        assert_eq!(e.code(), "AUTH_FAILED");
        assert!(!e.retryable());
        assert_eq!(
            e.to_string(),
            "Gemini API key rejected (400 API_KEY_INVALID): API key not valid. Please pass a valid API key."
        );
    }

    #[test]
    fn rate_limit_with_retry_info() {
        let body = json!({"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}]}});
        let e = from_http_response(429, None, body.to_string().as_bytes(), "m");
        assert_eq!(e.kind, GeminiErrorKind::RateLimited);
        assert_eq!(e.retry_delay, Some(Duration::from_secs(26)));
        assert!(e.retryable() && e.auto_retry());
        assert_eq!(
            e.to_string(),
            "Gemini rate limit exceeded (429 RESOURCE_EXHAUSTED), retry after 26s: You exceeded your current quota."
        );
    }

    #[test]
    fn model_not_found_names_model() {
        let body = br#"{"error":{"code":404,"message":"models/gemini-1.5-pro is not found for API version v1beta","status":"NOT_FOUND"}}"#;
        let e = from_http_response(404, None, body, "gemini-1.5-pro");
        assert_eq!(e.kind, GeminiErrorKind::ModelNotFound);
        assert!(e.to_string().starts_with("Gemini model not found: gemini-1.5-pro (404 NOT_FOUND): models/"));
    }

    #[test]
    fn status_mapping() {
        use GeminiErrorKind::*;
        for (code, kind, retry) in [
            (400, BadRequest, false),
            (401, Auth, false),
            (403, Auth, false),
            (404, ModelNotFound, false),
            (408, Timeout, true),
            (409, BadRequest, false),
            (429, RateLimited, true),
            (500, Server, true),
            (502, Unavailable, true),
            (503, Unavailable, true),
            (504, Timeout, true),
        ] {
            let e = from_http_response(code, None, b"{\"error\":{\"message\":\"x\"}}", "m");
            assert_eq!(e.kind, kind, "{code}");
            assert_eq!(e.auto_retry(), retry, "{code}");
        }
    }

    #[test]
    fn non_json_and_array_bodies() {
        let e = from_http_response(502, Some(Duration::from_secs(3)), b"<html>\n<body>Bad   Gateway</body></html>", "m");
        assert_eq!(e.kind, GeminiErrorKind::Unavailable);
        assert_eq!(e.message, "<html> <body>Bad Gateway</body></html>");
        assert_eq!(e.retry_delay, Some(Duration::from_secs(3)));
        let e = from_http_response(500, None, b"", "m");
        assert_eq!(e.message, "HTTP 500 with an empty body");
        let e = from_http_response(503, None, br#"[{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}]"#, "m");
        assert_eq!(e.message, "overloaded");
        assert_eq!(e.upstream_status.as_deref(), Some("UNAVAILABLE"));
        let big = "x".repeat(100_000);
        let e = from_http_response(500, None, big.as_bytes(), "m");
        assert!(e.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn in_band_error_without_code_uses_status_name() {
        let e = from_error_object(&json!({"message": "The model is overloaded.", "status": "UNAVAILABLE"}), None);
        assert_eq!(e.status, Some(503));
        assert_eq!(e.kind, GeminiErrorKind::Unavailable);
    }

    #[test]
    fn scrubbing() {
        let e = GeminiError::new(GeminiErrorKind::BadRequest, "bad key AIzaSECRET in request").scrub(Some("AIzaSECRET"));
        assert_eq!(e.message, "bad key [REDACTED] in request");
        assert!(!e.to_string().contains("AIzaSECRET"));
    }

    #[test]
    fn missing_key_text() {
        assert_eq!(
            GeminiError::missing_api_key().to_string(),
            "No Gemini API key: set GOOGLE_API_KEY or pass apiKey to GoogleGenerativeAIAdapter"
        );
    }
}
