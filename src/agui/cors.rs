//! CORS as the v1 endpoint factories configure it (spec §4): permissive by default, or a
//! `cors: { origin, credentials }` option.

use std::collections::BTreeMap;
use std::sync::Arc;

/// A function from the request `Origin` to the allowed origin.
pub type OriginFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Which origin the response allows.
#[derive(Clone, Default)]
pub enum CorsOrigin {
    /// `*` (the default).
    #[default]
    Any,
    /// Always this value.
    Exact(String),
    /// The request `Origin` if it is listed; otherwise no CORS headers.
    AllowList(Vec<String>),
    /// Computed from the request `Origin` (no headers when it returns `None` or there is none).
    Dynamic(OriginFn),
}

impl std::fmt::Debug for CorsOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorsOrigin::Any => f.write_str("Any"),
            CorsOrigin::Exact(o) => write!(f, "Exact({o:?})"),
            CorsOrigin::AllowList(l) => write!(f, "AllowList({l:?})"),
            CorsOrigin::Dynamic(_) => f.write_str("Dynamic(..)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CorsConfig {
    /// `false` leaves CORS to the host framework (no headers, no preflight handling).
    pub enabled: bool,
    pub origin: CorsOrigin,
    pub credentials: bool,
    /// Preflight `access-control-allow-methods` (default `GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS`).
    pub allow_methods: Option<Vec<String>>,
    /// Preflight `access-control-allow-headers` (default `*`).
    pub allow_headers: Option<Vec<String>>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            enabled: true,
            origin: CorsOrigin::Any,
            credentials: false,
            allow_methods: None,
            allow_headers: None,
            expose_headers: Vec::new(),
            max_age: None,
        }
    }
}

const DEFAULT_METHODS: &str = "GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS";

/// Response headers the way a Fetch `Headers` object emits them: lower-case names, sorted,
/// repeated names joined with `, `.
#[derive(Debug, Clone, Default)]
pub struct HeaderBag(BTreeMap<String, String>);

impl HeaderBag {
    pub fn new() -> Self {
        HeaderBag(BTreeMap::new())
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_ascii_lowercase(), value.into());
    }

    pub fn append(&mut self, name: &str, value: &str) {
        let key = name.to_ascii_lowercase();
        match self.0.get_mut(&key) {
            Some(v) => {
                v.push_str(", ");
                v.push_str(value);
            }
            None => {
                self.0.insert(key, value.to_string());
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0.into_iter().collect()
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut bag = HeaderBag::new();
        for (k, v) in pairs {
            bag.append(&k, &v);
        }
        bag
    }
}

impl CorsConfig {
    fn resolve_origin(&self, request_origin: Option<&str>) -> Option<String> {
        match &self.origin {
            CorsOrigin::Any => Some("*".into()),
            CorsOrigin::Exact(o) if o.is_empty() => Some("*".into()),
            CorsOrigin::Exact(o) => Some(o.clone()),
            CorsOrigin::AllowList(list) => {
                let origin = request_origin?;
                list.iter().any(|o| o == origin).then(|| origin.to_string())
            }
            CorsOrigin::Dynamic(f) => f(request_origin?).filter(|o| !o.is_empty()),
        }
    }

    /// Add the CORS headers of a normal response.
    pub fn apply(&self, headers: &mut HeaderBag, request_origin: Option<&str>) {
        if !self.enabled {
            return;
        }
        let Some(mut allowed) = self.resolve_origin(request_origin) else { return };
        if self.credentials && allowed == "*" {
            match request_origin {
                Some(o) => allowed = o.to_string(),
                None => return,
            }
        }
        let vary = allowed != "*";
        headers.set("access-control-allow-origin", allowed);
        if self.credentials {
            headers.set("access-control-allow-credentials", "true");
        }
        if !self.expose_headers.is_empty() {
            headers.set("access-control-expose-headers", self.expose_headers.join(", "));
        }
        if vary {
            headers.append("vary", "Origin");
        }
    }

    /// Headers of the `204` preflight answer.
    pub fn preflight(&self, request_origin: Option<&str>) -> HeaderBag {
        let mut h = HeaderBag::new();
        self.apply(&mut h, request_origin);
        h.set(
            "access-control-allow-methods",
            self.allow_methods.as_ref().map(|m| m.join(", ")).unwrap_or_else(|| DEFAULT_METHODS.to_string()),
        );
        h.set(
            "access-control-allow-headers",
            self.allow_headers.as_ref().map(|m| m.join(", ")).unwrap_or_else(|| "*".to_string()),
        );
        if let Some(age) = self.max_age {
            h.set("access-control-max-age", age.to_string());
        }
        h.append("vary", "Access-Control-Request-Headers");
        h.append("vary", "Access-Control-Request-Method");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_preflight_matches_capture() {
        let h = CorsConfig::default().preflight(Some("http://app.example")).into_vec();
        assert_eq!(
            h,
            vec![
                ("access-control-allow-headers".to_string(), "*".to_string()),
                ("access-control-allow-methods".into(), "GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS".into()),
                ("access-control-allow-origin".into(), "*".into()),
                ("vary".into(), "Access-Control-Request-Headers, Access-Control-Request-Method".into()),
            ]
        );
    }

    #[test]
    fn allow_list_credentials_and_exact() {
        let cfg = CorsConfig { origin: CorsOrigin::AllowList(vec!["http://a".into()]), ..Default::default() };
        let mut h = HeaderBag::new();
        cfg.apply(&mut h, Some("http://a"));
        assert_eq!(h.get("access-control-allow-origin"), Some("http://a"));
        assert_eq!(h.get("vary"), Some("Origin"));
        let mut h = HeaderBag::new();
        cfg.apply(&mut h, Some("http://b"));
        assert!(h.into_vec().is_empty());

        let cfg = CorsConfig { credentials: true, ..Default::default() };
        let mut h = HeaderBag::new();
        cfg.apply(&mut h, Some("http://c"));
        assert_eq!(h.get("access-control-allow-origin"), Some("http://c"));
        assert_eq!(h.get("access-control-allow-credentials"), Some("true"));
        let mut h = HeaderBag::new();
        cfg.apply(&mut h, None);
        assert!(h.into_vec().is_empty());

        let cfg = CorsConfig { origin: CorsOrigin::Exact("https://x".into()), ..Default::default() };
        let h = cfg.preflight(None);
        assert_eq!(h.get("access-control-allow-origin"), Some("https://x"));
        assert_eq!(h.get("vary"), Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"));
    }
}
