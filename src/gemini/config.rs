//! Client configuration and how it is resolved from adapter options and the environment.

use std::fmt;
use std::time::Duration;

pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";
pub const DEFAULT_API_VERSION: &str = "v1beta";
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// Environment variable holding the API key when the adapter is given none.
pub const ENV_API_KEY: &str = "GOOGLE_API_KEY";
/// Environment variable that replaces the default base URL (an explicit option still wins).
pub const ENV_BASE_URL: &str = "GOOGLE_GEMINI_BASE_URL";
/// Upper bound for one SSE event (and for a buffered JSON body). Keeps memory bounded whatever
/// the upstream sends.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct GeminiConfig {
    /// From options, else `GOOGLE_API_KEY`. `None` makes every stream end with `MissingApiKey`.
    pub api_key: Option<String>,
    pub model: String,
    pub api_version: String,
    /// Without a trailing slash.
    pub base_url: String,
    /// Extra attempts after the first for 429/5xx/connection failures that happen before any
    /// event was delivered.
    pub max_retries: u32,
    /// Backoff base: `base * 2^attempt`, with jitter, capped at `max_retry_delay`.
    pub retry_base_delay: Duration,
    /// Cap for any single wait between attempts. A server `RetryInfo.retryDelay` above it is not
    /// waited for: the error is returned at once (e.g. a daily quota).
    pub max_retry_delay: Duration,
    /// Time allowed from sending the request to the first SSE event.
    pub first_byte_timeout: Duration,
    /// Longest silence allowed between two SSE events once the stream has started.
    pub idle_timeout: Duration,
    /// Largest single SSE event accepted; bigger is an `InvalidResponse` error.
    pub max_event_bytes: usize,
}

impl fmt::Debug for GeminiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key itself.
        f.debug_struct("GeminiConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("api_version", &self.api_version)
            .field("base_url", &self.base_url)
            .field("max_retries", &self.max_retries)
            .field("retry_base_delay", &self.retry_base_delay)
            .field("max_retry_delay", &self.max_retry_delay)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_event_bytes", &self.max_event_bytes)
            .finish()
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl GeminiConfig {
    /// Resolve the adapter options (`GoogleGenerativeAIAdapter({model, apiKey, apiVersion, baseUrl})`)
    /// against the process environment.
    pub fn from_options(
        model: Option<String>,
        api_key: Option<String>,
        api_version: Option<String>,
        base_url: Option<String>,
    ) -> Self {
        Self::resolve(model, api_key, api_version, base_url, |name| std::env::var(name).ok())
    }

    /// Same as [`from_options`](Self::from_options) with an explicit environment lookup (testable
    /// without touching the process environment).
    pub fn resolve(
        model: Option<String>,
        api_key: Option<String>,
        api_version: Option<String>,
        base_url: Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let api_key = non_empty(api_key).or_else(|| non_empty(env(ENV_API_KEY)));
        let base_url = non_empty(base_url)
            .or_else(|| non_empty(env(ENV_BASE_URL)))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        GeminiConfig {
            api_key,
            model: non_empty(model).unwrap_or_else(|| DEFAULT_MODEL.to_string()),
            api_version: non_empty(api_version)
                .map(|v| v.trim_matches('/').to_string())
                .unwrap_or_else(|| DEFAULT_API_VERSION.to_string()),
            base_url: base_url.trim_end_matches('/').to_string(),
            max_retries: 2,
            retry_base_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(60),
            first_byte_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }

    /// `{base}/{version}/models/{model}:streamGenerateContent?alt=sse`. A model id that contains
    /// `/` (`models/x`, `tunedModels/y`) is used as the path as it is.
    pub fn stream_url(&self, model: &str) -> String {
        let model = model.trim();
        let path = if model.contains('/') {
            encode_path(model.trim_start_matches('/'))
        } else {
            format!("models/{}", encode_path(model))
        };
        format!(
            "{}/{}/{}:streamGenerateContent?alt=sse",
            self.base_url.trim_end_matches('/'),
            self.api_version,
            path
        )
    }
}

/// Percent-encode everything but unreserved characters and `/`, so an odd model id cannot
/// change the URL structure (no `?`, `#` or spaces sneak in).
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults() {
        let c = GeminiConfig::resolve(None, None, None, None, env_of(&[]));
        assert_eq!(c.api_key, None);
        assert_eq!(c.model, "gemini-2.5-flash");
        assert_eq!(c.api_version, "v1beta");
        assert_eq!(c.base_url, "https://generativelanguage.googleapis.com");
        assert_eq!(c.max_retries, 2);
        assert_eq!(c.retry_base_delay, Duration::from_secs(1));
        assert_eq!(c.first_byte_timeout, Duration::from_secs(60));
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
    }

    #[test]
    fn env_fills_key_and_base_url_options_win() {
        let env = env_of(&[("GOOGLE_API_KEY", "env-key"), ("GOOGLE_GEMINI_BASE_URL", "http://env:1/")]);
        let c = GeminiConfig::resolve(None, None, None, None, &env);
        assert_eq!(c.api_key.as_deref(), Some("env-key"));
        assert_eq!(c.base_url, "http://env:1");
        let c = GeminiConfig::resolve(
            Some("gemini-3-pro-preview".into()),
            Some("opt-key".into()),
            Some("v1".into()),
            Some("http://opt:2".into()),
            &env,
        );
        assert_eq!(c.api_key.as_deref(), Some("opt-key"));
        assert_eq!(c.base_url, "http://opt:2");
        assert_eq!(c.model, "gemini-3-pro-preview");
        assert_eq!(c.api_version, "v1");
        // Empty options count as absent.
        let c = GeminiConfig::resolve(Some("".into()), Some(" ".into()), None, Some("".into()), &env);
        assert_eq!(c.api_key.as_deref(), Some("env-key"));
        assert_eq!(c.model, "gemini-2.5-flash");
        assert_eq!(c.base_url, "http://env:1");
    }

    #[test]
    fn urls() {
        let c = GeminiConfig::resolve(None, Some("k".into()), None, Some("http://h:1/".into()), env_of(&[]));
        assert_eq!(
            c.stream_url("gemini-2.5-flash"),
            "http://h:1/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        assert_eq!(
            c.stream_url("tunedModels/my-model"),
            "http://h:1/v1beta/tunedModels/my-model:streamGenerateContent?alt=sse"
        );
        assert_eq!(c.stream_url("a b?c"), "http://h:1/v1beta/models/a%20b%3Fc:streamGenerateContent?alt=sse");
    }

    #[test]
    fn debug_hides_key() {
        let c = GeminiConfig::resolve(None, Some("secret-key-123".into()), None, None, env_of(&[]));
        assert!(!format!("{c:?}").contains("secret-key-123"));
    }
}
