//! GraphQL-over-HTTP parameters (`query`, `operationName`, `variables`, `extensions`) from a JSON
//! body or a URL query string, and the request phase before execution: parse → validate →
//! operation selection → variable coercion, with yoga's request-error bodies (§7.1).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::ast::Definition;
use super::error::GraphQLError;
use super::execute::PreparedOperation;
use super::parser::parse_document;
use super::schema::schema;
use super::validate::validate;

/// A request error: HTTP status (400 unless noted), GraphQL errors and extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestError {
    pub status: u16,
    pub errors: Vec<GraphQLError>,
    /// E.g. `Allow: GET, POST` for parameter errors, as yoga sends.
    pub headers: Vec<(String, String)>,
}

impl RequestError {
    fn bad_request(message: impl Into<String>) -> Self {
        RequestError {
            status: 400,
            errors: vec![GraphQLError::new(message).with_code("BAD_REQUEST")],
            headers: vec![],
        }
    }

    fn param(message: impl Into<String>) -> Self {
        let mut e = Self::bad_request(message);
        e.headers.push(("Allow".into(), "GET, POST".into()));
        e
    }

    /// `{"errors":[…]}`.
    pub fn body(&self) -> Json {
        json!({ "errors": super::error::errors_to_json(&self.errors) })
    }
}

/// The GraphQL-over-HTTP parameters of one request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphQLParams {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Map<String, Json>,
    pub extensions: Option<Map<String, Json>>,
}

fn extended_typeof(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// A V8-like `JSON.parse` error message, with the suffix yoga's fetch layer adds.
fn json_error_message(body: &str, err: &serde_json::Error) -> String {
    if err.classify() == serde_json::error::Category::Eof {
        return format!("Unexpected end of JSON input, \"{body}\" is not valid JSON");
    }
    // Byte offset of the error.
    let mut offset = 0usize;
    for (i, line) in body.split_inclusive('\n').enumerate() {
        if i + 1 == err.line() {
            offset += err.column().saturating_sub(1).min(line.len());
            break;
        }
        offset += line.len();
    }
    // serde_json's column counts bytes and can stop inside a multi-byte character.
    let mut offset = offset.min(body.len());
    while !body.is_char_boundary(offset) {
        offset += 1;
    }
    let at = body[..offset]
        .char_indices()
        .last()
        .map(|(i, _)| i)
        .unwrap_or(0);
    let ch = body[at..].chars().next().unwrap_or(' ');
    let chars: Vec<char> = body.chars().collect();
    let context = if chars.len() < 21 {
        format!("\"{body}\"")
    } else {
        let pos = body[..at].chars().count();
        let start = pos.saturating_sub(10);
        let end = (pos + 10).min(chars.len());
        let snippet: String = chars[start..end].iter().collect();
        format!(
            "{}\"{snippet}\"{}",
            if start > 0 { "..." } else { "" },
            if end < chars.len() { "..." } else { "" }
        )
    };
    format!("Unexpected token '{ch}', {context} is not valid JSON")
}

fn invalid_json(body: &str, err: &serde_json::Error) -> RequestError {
    let mut e = GraphQLError::new("POST body sent invalid JSON.");
    e.extensions = Some(
        json!({
            "code": "BAD_REQUEST",
            "originalError": { "name": "SyntaxError", "message": json_error_message(body, err) }
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    RequestError {
        status: 400,
        errors: vec![e],
        headers: vec![],
    }
}

/// Parameters from a JSON body (`application/json`).
pub fn params_from_json_body(body: &[u8]) -> Result<GraphQLParams, RequestError> {
    let text = String::from_utf8_lossy(body);
    let v: Json = serde_json::from_str(&text).map_err(|e| {
        if crate::agui::too_deep(&e) {
            RequestError::bad_request(format!("POST body nests deeper than {} levels.", crate::agui::MAX_JSON_DEPTH))
        } else {
            invalid_json(&text, &e)
        }
    })?;
    match v {
        Json::Array(_) => Err(RequestError::bad_request("Batching is not supported.")),
        Json::Object(m) => params_from_map(m),
        other => Err(RequestError::param(format!(
            "Expected params to be an object but given {}.",
            extended_typeof(&other)
        ))),
    }
}

fn params_from_map(m: Map<String, Json>) -> Result<GraphQLParams, RequestError> {
    for (k, v) in &m {
        if !v.is_null()
            && !matches!(
                k.as_str(),
                "query" | "operationName" | "variables" | "extensions"
            )
        {
            return Err(RequestError::param(format!(
                "Unexpected parameter \"{k}\" in the request body."
            )));
        }
    }
    let query = match m.get("query") {
        None | Some(Json::Null) => return Err(RequestError::param("Must provide query string.")),
        Some(Json::String(q)) => q.clone(),
        Some(other) => {
            return Err(RequestError::param(format!(
                "Expected \"query\" param to be a string, but given {}.",
                extended_typeof(other)
            )))
        }
    };
    let operation_name = match m.get("operationName") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(RequestError::param(format!(
                "Expected \"operationName\" param to be a string, but given {}.",
                extended_typeof(other)
            )))
        }
    };
    let obj_param = |name: &str| -> Result<Option<Map<String, Json>>, RequestError> {
        match m.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Object(o)) => Ok(Some(o.clone())),
            Some(other) => Err(RequestError::param(format!(
                "Expected \"{name}\" param to be empty or an object, but given {}.",
                extended_typeof(other)
            ))),
        }
    };
    let variables = obj_param("variables")?.unwrap_or_default();
    let extensions = obj_param("extensions")?;
    Ok(GraphQLParams {
        query,
        operation_name,
        variables,
        extensions,
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `key=value&…` pairs, percent-decoded.
pub fn parse_query_string(qs: &str) -> Vec<(String, String)> {
    qs.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// Parameters from a URL query string (GET) or an `application/x-www-form-urlencoded` body;
/// `variables` and `extensions` are JSON text.
pub fn params_from_query_string(qs: &str) -> Result<GraphQLParams, RequestError> {
    let mut m = Map::new();
    for (k, v) in parse_query_string(qs) {
        let value = match k.as_str() {
            "variables" | "extensions" => {
                if v.is_empty() {
                    Json::Null
                } else {
                    serde_json::from_str::<Json>(&v).map_err(|_| {
                        RequestError::param(format!(
                            "Expected \"{k}\" param to be empty or an object, but given string."
                        ))
                    })?
                }
            }
            _ => Json::String(v),
        };
        m.insert(k, value);
    }
    params_from_map(m)
}

/// Parses, validates and selects the operation; the variables are coerced by
/// [`coerce_variables`] (split so the HTTP layer can check `GET` mutations in between, as yoga
/// does).
///
/// Clients send the same few documents over and over (react-core's `generateCopilotResponse`
/// mutation on every chat turn), so a valid operation is kept in a small process-wide cache keyed
/// by its text and name: parsing and validating it was ~10 % of the CPU of a GraphQL request.
pub fn prepare_document(params: &GraphQLParams) -> Result<PreparedOperation, RequestError> {
    /// Documents kept; a full cache starts over (clients use a handful).
    const CACHED_DOCUMENTS: usize = 64;
    /// Longer documents are prepared every time (keeps the cache's memory bounded: ≤ 4 MiB).
    const CACHED_DOCUMENT_BYTES: usize = 64 * 1024;
    /// Document text → (operation name, prepared operation) for each name asked for.
    type Cache = std::sync::Mutex<HashMap<String, Vec<(Option<String>, PreparedOperation)>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    if params.query.len() > CACHED_DOCUMENT_BYTES {
        return prepare_document_uncached(params);
    }
    let cache = CACHE.get_or_init(Default::default);
    {
        let cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        let hit = cache.get(params.query.as_str()).and_then(|ops| ops.iter().find(|(name, _)| *name == params.operation_name));
        if let Some((_, op)) = hit {
            return Ok(op.clone());
        }
    }
    let prepared = prepare_document_uncached(params)?;
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHED_DOCUMENTS {
        cache.clear();
    }
    let ops = cache.entry(params.query.clone()).or_default();
    if ops.len() < CACHED_DOCUMENTS {
        ops.push((params.operation_name.clone(), prepared.clone()));
    }
    Ok(prepared)
}

fn prepare_document_uncached(params: &GraphQLParams) -> Result<PreparedOperation, RequestError> {
    let doc = parse_document(&params.query).map_err(|e| RequestError {
        status: 400,
        errors: vec![e.with_code("GRAPHQL_PARSE_FAILED")],
        headers: vec![],
    })?;
    let errors = validate(schema(), &doc);
    if !errors.is_empty() {
        return Err(RequestError {
            status: 400,
            errors,
            headers: vec![],
        });
    }
    let mut operation = None;
    let mut ambiguous = false;
    for def in &doc.definitions {
        if let Definition::Operation(op) = def {
            match &params.operation_name {
                None => {
                    if operation.is_some() {
                        ambiguous = true;
                    }
                    operation = Some(op.clone());
                }
                Some(n) if op.name.as_deref() == Some(n.as_str()) => {
                    operation = Some(op.clone());
                    ambiguous = false;
                    break;
                }
                Some(_) => {}
            }
        }
    }
    let operation = match operation {
        Some(op) if !ambiguous => op,
        _ => {
            return Err(RequestError {
                status: 400,
                errors: vec![
                    GraphQLError::new("Could not determine what operation to execute.")
                        .with_code("OPERATION_RESOLUTION_FAILURE"),
                ],
                headers: vec![],
            })
        }
    };
    let fragments = doc
        .fragments()
        .map(|f| (f.name.clone(), Arc::clone(f)))
        .collect();
    Ok(PreparedOperation {
        operation,
        fragments,
        variables: Map::new(),
    })
}

/// Coerces `variables` into the prepared operation (graphql-js `getVariableValues`).
pub fn coerce_variables(
    op: &mut PreparedOperation,
    variables: &Map<String, Json>,
) -> Result<(), RequestError> {
    op.variables =
        super::values::coerce_variable_values(schema(), &op.operation.variables, variables)
            .map_err(|errors| RequestError {
                status: 400,
                errors,
                headers: vec![],
            })?;
    Ok(())
}

/// Everything before execution in one call.
pub fn prepare(params: &GraphQLParams) -> Result<PreparedOperation, RequestError> {
    let mut op = prepare_document(params)?;
    coerce_variables(&mut op, &params.variables)?;
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_documents_are_reused_per_operation_name_and_errors_are_not_cached() {
        let params = |query: &str, name: Option<&str>| GraphQLParams {
            query: query.to_string(),
            operation_name: name.map(str::to_string),
            variables: Map::new(),
            extensions: None,
        };
        let doc = "query A { availableAgents { agents { id } } } query B { availableAgents { __typename } }";
        for _ in 0..2 {
            let a = prepare_document(&params(doc, Some("A"))).unwrap();
            let b = prepare_document(&params(doc, Some("B"))).unwrap();
            assert_eq!(a.operation.name.as_deref(), Some("A"));
            assert_eq!(b.operation.name.as_deref(), Some("B"));
            let err = prepare_document(&params(doc, None)).err().expect("two operations, no name");
            assert_eq!(err.errors[0].extensions.as_ref().unwrap()["code"], "OPERATION_RESOLUTION_FAILURE");
            let err = prepare_document(&params("query { nope }", None)).err().expect("unknown field");
            assert_eq!(err.status, 400);
        }
    }

    /// Fuzz regression (fuzz/artifacts/graphql): a syntax error right before a multi-byte
    /// character made the error message slice the body inside that character and panic.
    #[test]
    fn invalid_json_error_inside_multibyte_char() {
        for body in ["{\"query\": \"\\uuu\u{fffd}uuu\"}", "\"\\u\u{e9}\"", "{\"a\" \u{e9}}", "{\"query\": \"q\"\u{fffd}", "\u{20ac}", "[1 \u{1f600}]"] {
            let err = params_from_json_body(body.as_bytes()).err().expect("invalid JSON");
            assert_eq!(err.status, 400, "{body}");
            let message = err.errors[0].extensions.as_ref().unwrap()["originalError"]["message"].as_str().unwrap().to_string();
            assert!(message.contains("is not valid JSON"), "{body}: {message}");
        }
    }
}
