//! Logging: `tracing` to stderr, filtered by `COPILOT_RUNTIME_LOG` (an env-filter string such as
//! `debug` or `copilot_runtime_rs=trace`; default `warn`). Panics are logged as one error line
//! without file locations; the location is only logged at debug level.

use std::sync::Once;

static INIT: Once = Once::new();

pub fn init() {
    INIT.call_once(|| {
        let filter = std::env::var("COPILOT_RUNTIME_LOG").unwrap_or_else(|_| "warn".to_string());
        let filter = tracing_subscriber::EnvFilter::try_new(&filter)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .try_init();
        std::panic::set_hook(Box::new(|info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            tracing::error!("copilot-runtime-rs internal error: {msg}");
            if let Some(loc) = info.location() {
                tracing::debug!("internal error location: {}:{}", loc.file(), loc.line());
            }
        }));
    });
}

/// Text from outside (upstream error bodies, JS error messages) as one log line: control
/// characters become spaces, so nobody can forge extra log lines through a message.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().into()
    } else {
        text.into()
    }
}

/// Directories a server-side absolute path starts with (what [`redact_paths`] hides).
const PATH_ROOTS: &[&str] = &[
    "app", "apps", "builds", "code", "data", "etc", "home", "mnt", "nix", "opt", "private", "proc", "root", "snap", "src",
    "srv", "tmp", "Users", "usr", "var", "work", "workspace",
];

/// [`PATH_ROOTS`] plus the first directory of wherever this process lives (its working
/// directory, `HOME`, `TMPDIR`, the node executable): a deployment under `/check/…` or
/// `/deploy/…` has its own paths hidden too, not only the usual layouts.
fn path_roots() -> &'static [String] {
    static ROOTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots: Vec<String> = PATH_ROOTS.iter().map(|r| r.to_string()).collect();
        let mut local = vec![std::env::current_dir().ok(), std::env::current_exe().ok()];
        local.extend(["HOME", "TMPDIR"].iter().map(|v| std::env::var_os(v).map(std::path::PathBuf::from)));
        for dir in local.into_iter().flatten() {
            let first = dir.components().find_map(|c| match c {
                std::path::Component::Normal(name) => name.to_str().map(str::to_string),
                _ => None,
            });
            if let Some(first) = first.filter(|f| !f.is_empty() && !roots.contains(f)) {
                roots.push(first);
            }
        }
        roots
    })
}

/// Text relayed from an upstream (error bodies, SSE lines) before it reaches a client or a log:
/// one line, with server file paths (`/home/…`, `/app/…`, `C:\…`, `file://…`) shown as `[path]`,
/// so a careless upstream cannot expose its own or our file system layout or stack traces.
pub fn redact_paths(text: &str) -> String {
    redact_paths_under(text, path_roots())
}

fn redact_paths_under(text: &str, roots: &[String]) -> String {
    let flat = one_line(text);
    let mut out = String::with_capacity(flat.len());
    let mut rest: &str = &flat;
    while let Some(start) = next_path_start(rest, roots) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | '<' | '>' | ',' | ';' | '`')).unwrap_or(tail.len());
        out.push_str("[path]");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Byte offset of the next server path in `text`.
fn next_path_start(text: &str, roots: &[String]) -> Option<usize> {
    let bytes = text.as_bytes();
    let boundary = |i: usize| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'/' | b'.' | b'_' | b'-' | b':'));
    for (i, _) in text.char_indices() {
        let t = &text[i..];
        if t.starts_with("file://") {
            return Some(i);
        }
        if t.starts_with('/') && boundary(i) {
            let seg = t[1..].split(['/', ' ']).next().unwrap_or("");
            if t[1..].len() > seg.len() && t.as_bytes().get(1 + seg.len()) == Some(&b'/') && roots.iter().any(|r| r == seg) {
                return Some(i);
            }
        }
        let b = t.as_bytes();
        if b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' && boundary(i) {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_paths_hides_server_paths_and_keeps_the_rest() {
        assert_eq!(
            super::redact_paths("see /work/main/x/credentials.env\n    at f (/home/u/app.js:12:34)"),
            "see [path]     at f ([path])"
        );
        assert_eq!(super::redact_paths("POST /v1beta/models/gemini-2.5-flash:streamGenerateContent"), "POST /v1beta/models/gemini-2.5-flash:streamGenerateContent");
        assert_eq!(super::redact_paths("models/gemini-1.5-pro is not found"), "models/gemini-1.5-pro is not found");
        assert_eq!(super::redact_paths(r#"File "C:\\srv\\app.py", line 3"#), r#"File "[path]", line 3"#);
        assert_eq!(super::redact_paths("http://127.0.0.1:8000/tmp/x stays"), "http://127.0.0.1:8000/tmp/x stays");
        assert_eq!(super::redact_paths("file:///etc/passwd"), "[path]");
    }

    #[test]
    fn the_processs_own_directories_are_hidden_wherever_they_are() {
        let cwd = std::env::current_dir().unwrap();
        let text = format!("see {}/x.env", cwd.display());
        assert_eq!(super::redact_paths(&text), "see [path]");
        let roots = vec!["check".to_string()];
        assert_eq!(super::redact_paths_under("at f (/check/work/main/a.js:1:2)", &roots), "at f ([path])");
        assert_eq!(super::redact_paths_under("/checkout/a/b stays", &roots), "/checkout/a/b stays");
    }

    #[test]
    fn one_line_flattens_control_characters() {
        assert_eq!(super::one_line("a\nb\r\tc"), "a b  c");
        assert_eq!(super::one_line("plain"), "plain");
    }
}
