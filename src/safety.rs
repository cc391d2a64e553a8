//! Panic containment: a panic inside request handling or inside a streamed body becomes an error
//! response or the end of the stream, plus one log line — never an unwind into Node.

use std::panic::AssertUnwindSafe;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};

use crate::http::{Body, HttpResponse};

/// Run a request future; a panic becomes `500 {"error":"internal_error"}`. Streamed bodies are
/// wrapped with [`guard_stream`].
pub fn guard_response(fut: BoxFuture<'static, HttpResponse>) -> BoxFuture<'static, HttpResponse> {
    Box::pin(async move {
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(mut resp) => {
                if let Body::Stream(s) = resp.body {
                    resp.body = Body::Stream(guard_stream(s));
                }
                resp
            }
            Err(panic) => {
                tracing::error!(panic = %panic_message(&panic), "internal error while handling a request");
                crate::runtime::internal_error_response()
            }
        }
    })
}

/// A body stream that ends (with a log line) when its producer panics.
pub fn guard_stream(s: BoxStream<'static, Bytes>) -> BoxStream<'static, Bytes> {
    AssertUnwindSafe(s)
        .catch_unwind()
        .scan(false, |failed, item| {
            if *failed {
                return futures_util::future::ready(None);
            }
            futures_util::future::ready(match item {
                Ok(b) => Some(b),
                Err(panic) => {
                    *failed = true;
                    tracing::error!(panic = %panic_message(&panic), "internal error while streaming a response");
                    None
                }
            })
        })
        .boxed()
}

pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500() {
        let fut: BoxFuture<'static, HttpResponse> = Box::pin(async { panic!("boom") });
        let resp = guard_response(fut).await;
        assert_eq!(resp.status, 500);
        match resp.body {
            Body::Full(b) => assert_eq!(&b[..], br#"{"error":"internal_error"}"#),
            _ => panic!("expected a full body"),
        }
    }

    #[tokio::test]
    async fn a_panicking_stream_ends_after_what_it_produced() {
        let s = futures_util::stream::iter(0..3)
            .map(|i| if i == 2 { panic!("boom in stream") } else { Bytes::from(format!("{i}")) })
            .boxed();
        let fut: BoxFuture<'static, HttpResponse> = Box::pin(async move {
            HttpResponse { status: 200, headers: vec![], body: Body::Stream(s) }
        });
        let resp = guard_response(fut).await;
        let Body::Stream(s) = resp.body else { panic!("expected a stream") };
        let got: Vec<Bytes> = s.collect().await;
        assert_eq!(got, vec![Bytes::from("0"), Bytes::from("1")]);
    }
}
