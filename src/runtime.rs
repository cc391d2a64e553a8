//! The runtime core: configuration and the single `handle(request) → response` entry point that
//! every host adapter calls. It tells the two client generations apart and routes the request to
//! the GraphQL or the AG-UI protocol handler.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::host::Host;
use crate::http::{HttpRequest, HttpResponse};

/// Runtime configuration, sent by the JS shim as JSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RuntimeConfig {
    pub adapter: AdapterConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdapterConfig {
    /// `google` or `empty`.
    pub kind: String,
    pub model: Option<String>,
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    pub base_url: Option<String>,
}

pub struct Runtime {
    pub config: RuntimeConfig,
    pub host: Arc<dyn Host>,
}

impl Runtime {
    pub fn from_config_json(json: &str, host: Arc<dyn Host>) -> Result<Self, String> {
        let config: RuntimeConfig =
            serde_json::from_str(json).map_err(|e| format!("invalid copilot-runtime-rs configuration: {e}"))?;
        Ok(Runtime { config, host })
    }

    pub async fn handle(&self, req: HttpRequest, _cancel: CancellationToken) -> HttpResponse {
        HttpResponse::json(404, &json!({"error": "Not found", "path": req.path()}))
    }
}

/// The response for an unexpected internal failure: no detail leaves the process.
pub fn internal_error_response() -> HttpResponse {
    HttpResponse::json(500, &json!({"error": "internal_error"}))
}
