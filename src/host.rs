//! The host: the user's JavaScript callbacks (server-side actions, middleware, `onError`, agent
//! objects) as the core sees them. The core never holds a JS object; it sends a JSON payload to a
//! named hook and gets JSON back. The napi binding implements this over one thread-safe function;
//! Rust tests implement it with plain closures.

use futures_util::future::BoxFuture;
use serde_json::Value;

/// Why a host call failed: the callback threw/rejected, or the host is gone (process exiting).
#[derive(Debug, Clone, PartialEq)]
pub struct HostError {
    pub message: String,
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub trait Host: Send + Sync + 'static {
    /// Call hook `kind` with `payload`; resolves with the hook's JSON result.
    fn call(&self, kind: &str, payload: Value) -> BoxFuture<'static, Result<Value, HostError>>;
}

/// A host with no callbacks at all (every call resolves to `null`).
pub struct NoHost;

impl Host for NoHost {
    fn call(&self, _kind: &str, _payload: Value) -> BoxFuture<'static, Result<Value, HostError>> {
        Box::pin(async { Ok(Value::Null) })
    }
}
