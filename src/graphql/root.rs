//! The interface the engine implements ([`RootResolvers`]) and the errors it reports.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value as Json};
use tokio_util::sync::CancellationToken;

use super::inputs::{GenerateCopilotResponseInput, LoadAgentStateInput};
use super::outputs::{agents_response, load_agent_state_response, AgentInfo, LoadAgentStateOutput};
use super::resolved::{FieldError, ObjectSource, Resolved};

/// What a resolver knows about the HTTP request.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub method: String,
    pub path: String,
    /// Request headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Fires when the client went away (or the response was dropped). The executor stops
    /// polling resolvers by itself; this is for side effects such as `onStopGeneration`.
    pub cancel: CancellationToken,
}

impl RequestContext {
    /// First header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// CopilotKit error codes (§7.2), with the fields `CopilotKitError` puts in `extensions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopilotErrorCode {
    NetworkError,
    NotFound,
    AgentNotFound,
    ApiNotFound,
    RemoteEndpointNotFound,
    AuthenticationError,
    Misuse,
    Unknown,
    ConfigurationError,
    MissingPublicApiKeyError,
    UpgradeRequiredError,
    VersionMismatch,
}

impl CopilotErrorCode {
    pub fn as_str(self) -> &'static str {
        use CopilotErrorCode::*;
        match self {
            NetworkError => "NETWORK_ERROR",
            NotFound => "NOT_FOUND",
            AgentNotFound => "AGENT_NOT_FOUND",
            ApiNotFound => "API_NOT_FOUND",
            RemoteEndpointNotFound => "REMOTE_ENDPOINT_NOT_FOUND",
            AuthenticationError => "AUTHENTICATION_ERROR",
            Misuse => "MISUSE",
            Unknown => "UNKNOWN",
            ConfigurationError => "CONFIGURATION_ERROR",
            MissingPublicApiKeyError => "MISSING_PUBLIC_API_KEY_ERROR",
            UpgradeRequiredError => "UPGRADE_REQUIRED_ERROR",
            VersionMismatch => "VERSION_MISMATCH",
        }
    }

    pub fn status_code(self) -> u16 {
        use CopilotErrorCode::*;
        match self {
            NetworkError => 503,
            NotFound | ApiNotFound | RemoteEndpointNotFound => 404,
            AgentNotFound | Unknown => 500,
            AuthenticationError => 401,
            Misuse | ConfigurationError | MissingPublicApiKeyError | VersionMismatch => 400,
            UpgradeRequiredError => 402,
        }
    }

    pub fn visibility(self) -> &'static str {
        use CopilotErrorCode::*;
        match self {
            Misuse | VersionMismatch => "dev_only",
            Unknown => "toast",
            _ => "banner",
        }
    }

    pub fn severity(self) -> &'static str {
        use CopilotErrorCode::*;
        match self {
            Misuse | ConfigurationError | UpgradeRequiredError => "warning",
            VersionMismatch => "info",
            _ => "critical",
        }
    }

    pub fn troubleshooting_url(self) -> Option<&'static str> {
        use CopilotErrorCode::*;
        match self {
            AgentNotFound => Some("https://docs.copilotkit.ai/coagents/troubleshooting/common-issues#i-am-getting-agent-not-found-error"),
            NetworkError | ApiNotFound => {
                Some("https://docs.copilotkit.ai/troubleshooting/common-issues#i-am-getting-a-network-errors--api-not-found")
            }
            _ => None,
        }
    }
}

/// A resolver failure before any stream exists: becomes HTTP 200
/// `{"errors":[{message, locations, path, extensions}],"data":null}` (§7.2).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolverError {
    pub message: String,
    /// `None` for plain errors (no `extensions` on the wire, like unmasked JS errors).
    pub extensions: Option<Map<String, Json>>,
}

impl ResolverError {
    /// A plain error: only its message goes out.
    pub fn plain(message: impl Into<String>) -> Self {
        ResolverError {
            message: message.into(),
            extensions: None,
        }
    }

    /// A CopilotKit error: `extensions` = `{name, statusCode, code, visibility, severity,
    /// troubleshootingUrl, originalError: {message}}` (no stack).
    pub fn copilot(code: CopilotErrorCode, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut ext = Map::new();
        ext.insert("name".into(), Json::String("CopilotError".into()));
        ext.insert("statusCode".into(), Json::from(code.status_code()));
        ext.insert("code".into(), Json::String(code.as_str().into()));
        ext.insert("visibility".into(), Json::String(code.visibility().into()));
        ext.insert("severity".into(), Json::String(code.severity().into()));
        ext.insert(
            "troubleshootingUrl".into(),
            code.troubleshooting_url()
                .map_or(Json::Null, |u| Json::String(u.into())),
        );
        let mut original = Map::new();
        original.insert("message".into(), Json::String(message.clone()));
        ext.insert("originalError".into(), Json::Object(original));
        ResolverError {
            message,
            extensions: Some(ext),
        }
    }

    /// Adds or replaces one extension field.
    pub fn with_extension(mut self, key: impl Into<String>, value: Json) -> Self {
        self.extensions
            .get_or_insert_with(Map::new)
            .insert(key.into(), value);
        self
    }
}

impl std::fmt::Display for ResolverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ResolverError {}

impl From<ResolverError> for FieldError {
    fn from(e: ResolverError) -> Self {
        FieldError {
            message: e.message,
            extensions: e.extensions,
        }
    }
}

/// The root fields, implemented by the engine.
///
/// Each call returns a future; the executor awaits it (and drops it when the request is
/// cancelled). `generate_copilot_response` returns the `CopilotResponse` value, normally built
/// with [`super::outputs::copilot_response`].
pub trait RootResolvers: Send + Sync + 'static {
    fn generate_copilot_response(
        &self,
        data: GenerateCopilotResponseInput,
        properties: Option<Map<String, Json>>,
        ctx: RequestContext,
    ) -> BoxFuture<'static, Result<Resolved, ResolverError>>;

    fn available_agents(
        &self,
        ctx: RequestContext,
    ) -> BoxFuture<'static, Result<Vec<AgentInfo>, ResolverError>>;

    fn load_agent_state(
        &self,
        data: LoadAgentStateInput,
        ctx: RequestContext,
    ) -> BoxFuture<'static, Result<LoadAgentStateOutput, ResolverError>>;
}

/// The `Query` / `Mutation` root object over [`RootResolvers`].
pub(crate) struct RootSource {
    pub typename: &'static str,
    pub resolvers: Arc<dyn RootResolvers>,
    pub ctx: RequestContext,
}

fn typed<T: serde::de::DeserializeOwned>(v: Option<&Json>) -> Result<T, Resolved> {
    serde_json::from_value(v.cloned().unwrap_or(Json::Null))
        .map_err(|e| Resolved::error(format!("Invalid input: {e}")))
}

impl ObjectSource for RootSource {
    fn typename(&self) -> &str {
        self.typename
    }

    fn field(&mut self, name: &str, args: &Map<String, Json>) -> Resolved {
        let ctx = self.ctx.clone();
        match name {
            "hello" => Resolved::string("Hello World"),
            "availableAgents" => {
                let fut = self.resolvers.available_agents(ctx);
                Resolved::pending(async move {
                    match fut.await {
                        Ok(agents) => agents_response(agents),
                        Err(e) => Resolved::Error(e.into()),
                    }
                })
            }
            "loadAgentState" => {
                let data = match typed::<LoadAgentStateInput>(args.get("data")) {
                    Ok(d) => d,
                    Err(e) => return e,
                };
                let fut = self.resolvers.load_agent_state(data, ctx);
                Resolved::pending(async move {
                    match fut.await {
                        Ok(o) => load_agent_state_response(o),
                        Err(e) => Resolved::Error(e.into()),
                    }
                })
            }
            "generateCopilotResponse" => {
                let data = match typed::<GenerateCopilotResponseInput>(args.get("data")) {
                    Ok(d) => d,
                    Err(e) => return e,
                };
                let properties = match args.get("properties") {
                    Some(Json::Object(m)) => Some(m.clone()),
                    _ => None,
                };
                let fut = self
                    .resolvers
                    .generate_copilot_response(data, properties, ctx);
                Resolved::pending(async move {
                    match fut.await {
                        Ok(r) => r,
                        Err(e) => Resolved::Error(e.into()),
                    }
                })
            }
            _ => Resolved::Null,
        }
    }
}
