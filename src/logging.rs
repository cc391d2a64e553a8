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
