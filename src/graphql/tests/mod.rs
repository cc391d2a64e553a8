//! Tests of the GraphQL front end against the captured 1.10.6 traffic
//! (`captures/` holds copies of the relevant files of `shared/conformance/graphql/`).

mod support;

mod conversion;
mod executor;
mod http_captures;
mod multipart;
