//! Logs on stderr: for people (text, coloured only when stderr is a terminal, so a log file
//! gets no escape codes) or for collectors (`--log-format json`, one object per line). Lines go
//! through crate::progress's writer, so they never land in the middle of a progress bar.

use crate::cli::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the stderr logger: `filter` (tracing syntax), else `RUST_LOG`, else `info`.
pub fn init(filter: Option<&str>, format: LogFormat) {
    let filter = filter
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::progress::LogWriter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}
