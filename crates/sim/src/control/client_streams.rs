//! The `ctl` commands that print as things happen: `ctl log [--follow]` and `ctl events`.

use super::client::{Caller, Failure};
use serde_json::Value;
use std::io::Write;

/// `ctl log`: the messages as lines `TIME SEVERITY EVENT TEXT`; with `follow`, new ones as they
/// come (asked for twice a second).
pub(super) fn log(call: &Caller<'_>, base: &str, follow: bool) -> Result<Value, Failure> {
    let mut after = 0u64;
    let mut out = std::io::stdout().lock();
    loop {
        let body = call("GET", &format!("{base}/log?after={after}"), None)?;
        for e in body["entries"].as_array().into_iter().flatten() {
            after = after.max(e["seq"].as_u64().unwrap_or(after));
            let line = format!(
                "{} {:<7} {} {}",
                e["time"].as_str().unwrap_or(""),
                e["severity"].as_str().unwrap_or(""),
                e["event"].as_str().unwrap_or(""),
                e["text"].as_str().unwrap_or("")
            );
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return Ok(Value::Null);
            }
        }
        if !follow {
            return Ok(Value::Null);
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// `ctl events`: the event stream's lines as they come, until the API or stdout closes.
pub(super) fn events(url: &str, token: Option<&str>) -> Result<Value, Failure> {
    let mut req = minreq::get(url);
    if let Some(token) = token {
        req = req.with_header("Authorization", format!("Bearer {token}"));
    }
    let resp = req
        .send_lazy()
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    if resp.status_code != 200 {
        return Err(Failure::Refused(resp.status_code, Value::Null));
    }
    let mut out = std::io::stdout().lock();
    for byte in resp {
        let (b, _) = byte.map_err(|e| Failure::Unreachable(e.to_string()))?;
        if out.write_all(&[b]).is_err() {
            break;
        }
        if b == b'\n' && out.flush().is_err() {
            break;
        }
    }
    Ok(Value::Null)
}
