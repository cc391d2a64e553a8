//! Request handling against the captured yoga answers: malformed requests (g-malformed), HTTP
//! methods and CORS (g2-http-methods), a resolver failing before the stream (h4).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::support::*;
use crate::graphql::http::{handle_graphql, GraphqlHttpResponse, ResponseBody};
use crate::graphql::root::{ResolverError, RootResolvers};

async fn run(
    name: &str,
    resolvers: Arc<dyn RootResolvers>,
) -> (GraphqlHttpResponse, CapturedResponse) {
    let req = parse_request(&capture(&format!("{name}.request.http")));
    let expected = parse_response(&capture(&format!("{name}.response.txt")));
    let resp = handle_graphql(req, resolvers, CancellationToken::new()).await;
    (resp, expected)
}

async fn assert_same(name: &str, resolvers: Arc<dyn RootResolvers>) {
    let (resp, expected) = run(name, resolvers).await;
    assert_eq!(resp.status, expected.status, "{name}: status");
    for h in ["Content-Type", "Allow", "x-copilotkit-runtime-version"] {
        assert_eq!(resp.header(h), expected.header(h), "{name}: header {h}");
    }
    let ResponseBody::Full(body) = resp.body else {
        panic!("{name}: expected a full body")
    };
    assert_eq!(
        String::from_utf8_lossy(&body),
        String::from_utf8_lossy(&expected.body),
        "{name}: body"
    );
}

#[tokio::test]
async fn graphql_malformed_requests_match_yoga_bodies() {
    // 1 invalid JSON, 2 unknown input field, 3 missing required input fields, 4 unknown field,
    // 5 syntax error, 6 no query, 7 bad enum value, 8 wrong operationName, 9 text/plain,
    // 10 hello, 11 empty body, 12 __typename, 13 batch array, 14 string variables.
    for i in 1..=14 {
        let resolvers = FakeResolvers::unused();
        assert_same(&format!("g-malformed-{i}"), resolvers.clone()).await;
        assert!(
            resolvers.calls.lock().unwrap().is_empty(),
            "g-malformed-{i}: no resolver call"
        );
    }
}

#[tokio::test]
async fn graphql_http_methods_and_cors_match_yoga() {
    // 1 GET query, 2 GET mutation → 405, 4 CORS preflight, 5 POST with Origin, 6 PUT → 405.
    for i in [1, 2, 5, 6] {
        assert_same(&format!("g2-{i}"), FakeResolvers::unused()).await;
    }
    let (resp, expected) = run("g2-4", FakeResolvers::unused()).await;
    assert_eq!(resp.status, 204);
    for h in [
        "access-control-allow-origin",
        "vary",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-allow-credentials",
        "x-copilotkit-runtime-version",
    ] {
        assert_eq!(resp.header(h), expected.header(h), "preflight header {h}");
    }
    let (resp, expected) = run("g2-5", FakeResolvers::unused()).await;
    for h in [
        "access-control-allow-origin",
        "vary",
        "access-control-allow-credentials",
    ] {
        assert_eq!(resp.header(h), expected.header(h), "CORS header {h}");
    }
}

#[tokio::test]
async fn graphql_resolver_error_before_stream_is_200_with_data_null() {
    let resolvers = FakeResolvers::new(|data, _| {
        assert!(data.cloud.is_some());
        Err(ResolverError::plain(
            "X-CopilotCloud-Public-API-Key header is required",
        ))
    });
    assert_same("h4", resolvers).await;
}

#[test]
fn graphql_handler_future_and_body_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let fut = handle_graphql(
        Default::default(),
        FakeResolvers::unused(),
        CancellationToken::new(),
    );
    assert_send(&fut);
}

#[tokio::test]
async fn graphql_other_path_is_404_and_unknown_params_400() {
    use crate::graphql::http::{handle_graphql_with_config, GraphqlHttpRequest, HandlerConfig};
    let cfg = HandlerConfig {
        endpoint: Some("/api/copilotkit".into()),
        runtime_version: "9.9.9".into(),
        ..Default::default()
    };
    let req = GraphqlHttpRequest {
        method: "POST".into(),
        path: "/api/other".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: br#"{"query":"{ hello }"}"#.to_vec().into(),
        ..Default::default()
    };
    let r = handle_graphql_with_config(
        &cfg,
        req.clone(),
        FakeResolvers::unused(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-copilotkit-runtime-version"), Some("9.9.9"));
    let req = GraphqlHttpRequest {
        path: "/api/copilotkit".into(),
        body: br#"{"query":"{ hello }","foo":1}"#.to_vec().into(),
        ..req
    };
    let r = handle_graphql_with_config(
        &cfg,
        req.clone(),
        FakeResolvers::unused(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        &r.body_bytes().await[..],
        br#"{"errors":[{"message":"Unexpected parameter \"foo\" in the request body.","extensions":{"code":"BAD_REQUEST"}}]}"#
    );
    let req = GraphqlHttpRequest {
        body: br#"{"query":"{ hello"#.to_vec().into(),
        ..req
    };
    let r =
        handle_graphql_with_config(&cfg, req, FakeResolvers::unused(), CancellationToken::new())
            .await;
    assert_eq!(r.status, 400);
}
