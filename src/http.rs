//! Protocol-neutral HTTP request/response types exchanged between the host adapter (JS) and the
//! protocol handlers. Bodies of responses are either complete or a stream of chunks, each chunk
//! being one protocol frame that the host writes (and flushes) as soon as it arrives.

use bytes::Bytes;
use futures_util::stream::BoxStream;

#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub method: String,
    /// Path plus query string, as the host saw it (`/api/copilotkit?x=1`).
    pub url: String,
    /// Header names are lower-cased by the host adapter.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.url.split(['?', '#']).next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        match self.url.split_once('?') {
            Some((_, q)) => q.split('#').next().unwrap_or(""),
            None => "",
        }
    }
}

pub enum Body {
    Full(Bytes),
    Stream(BoxStream<'static, Bytes>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Body::Stream(_) => write!(f, "Body::Stream"),
        }
    }
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl HttpResponse {
    pub fn full(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: Body::Full(body.into()),
        }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::full(status, "application/json", serde_json::to_vec(value).unwrap_or_default())
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}
