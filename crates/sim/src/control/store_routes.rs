//! The store and power endpoints (docs/control-api.md): apply, discard, save, reboot, power
//! cycle, factory reset, the reset button, export and import. Each request is checked here; a
//! mistake is a 4xx naming it before the loop is asked anything.

use super::routes::json_body;
use super::{Call, Reply, StoreCall};
use serde_json::{Map, Value};

/// Longest power-off the API accepts (10 minutes; longer is surely a mistake).
const MAX_OFF_MS: u64 = 600_000;

/// Longest reset-button press accepted (a minute).
const MAX_HOLD_MS: u64 = 60_000;

/// The paths served here.
pub const PATHS: &[&str] = &[
    "/store",
    "/apply",
    "/discard",
    "/save",
    "/reboot",
    "/power-cycle",
    "/factory-reset",
    "/reset-button",
    "/config/export",
    "/config/import",
];

/// Maps a store request to a call; `None` when the path is not one of [`PATHS`].
pub fn route(method: &str, path: &str, body: &[u8]) -> Option<Result<Call, Reply>> {
    if !PATHS.contains(&path) {
        return None;
    }
    let call = match (method, path) {
        ("GET", "/store") => Ok(StoreCall::Status),
        ("GET", "/config/export") => Ok(StoreCall::Export),
        ("POST", "/apply") => fields(body, &[]).map(|_| StoreCall::Apply),
        ("POST", "/discard") => fields(body, &[]).map(|_| StoreCall::Discard),
        ("POST", "/reboot") => fields(body, &[]).map(|_| StoreCall::Reboot),
        ("POST", "/save") => fields(body, &["reboot"]).and_then(|m| {
            Ok(StoreCall::Save {
                reboot: flag(&m, "reboot")?,
            })
        }),
        ("POST", "/factory-reset") => fields(body, &["keep_network"]).and_then(|m| {
            Ok(StoreCall::FactoryReset {
                keep_network: flag(&m, "keep_network")?,
            })
        }),
        ("POST", "/power-cycle") => fields(body, &["off_ms"]).and_then(|m| {
            Ok(StoreCall::PowerCycle {
                off_ms: millis(&m, "off_ms", 1000, 0, MAX_OFF_MS)?,
            })
        }),
        ("POST", "/reset-button") => fields(body, &["hold_ms"]).and_then(|m| {
            if !m.contains_key("hold_ms") {
                return Err(Reply::error(400, "body: expected {\"hold_ms\": N}"));
            }
            Ok(StoreCall::ResetButton {
                hold_ms: millis(&m, "hold_ms", 0, 1, MAX_HOLD_MS)?,
            })
        }),
        ("POST", "/config/import") => fields(body, &["toml", "apply"]).and_then(|m| {
            let Some(Value::String(toml)) = m.get("toml") else {
                return Err(Reply::error(
                    400,
                    "body: expected {\"toml\": \"...the exported configuration...\"}",
                ));
            };
            Ok(StoreCall::Import {
                toml: toml.clone(),
                apply: flag(&m, "apply")?,
            })
        }),
        _ => Err(Reply::error(
            405,
            format!("method {method} not allowed on {path}"),
        )),
    };
    Some(call.map(Call::Store))
}

/// The body as an object with only `allowed` fields (an empty body is `{}`).
fn fields(body: &[u8], allowed: &[&str]) -> Result<Map<String, Value>, Reply> {
    let Value::Object(map) = json_body(body)? else {
        return Err(Reply::error(400, "body: expected a JSON object"));
    };
    if let Some(other) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Reply::error(
            400,
            format!(
                "unknown field '{other}'; allowed: {}",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        ));
    }
    Ok(map)
}

fn flag(m: &Map<String, Value>, name: &str) -> Result<bool, Reply> {
    match m.get(name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Reply::error(
            400,
            format!("{name} = {other}: allowed: true or false"),
        )),
    }
}

fn millis(
    m: &Map<String, Value>,
    name: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, Reply> {
    match m.get(name) {
        None => Ok(default),
        Some(v) => match v.as_u64() {
            Some(ms) if (min..=max).contains(&ms) => Ok(ms),
            _ => Err(Reply::error(
                400,
                format!("{name} = {v}: allowed: an integer from {min} to {max}"),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, path: &str, body: &str) -> Result<Call, Reply> {
        route(method, path, body.as_bytes()).unwrap_or_else(|| Err(Reply::error(404, "")))
    }

    #[test]
    fn store_requests_are_checked_before_the_loop_sees_them() {
        assert_eq!(
            call("POST", "/power-cycle", ""),
            Ok(Call::Store(StoreCall::PowerCycle { off_ms: 1000 }))
        );
        assert_eq!(
            call("POST", "/save", r#"{"reboot":true}"#),
            Ok(Call::Store(StoreCall::Save { reboot: true }))
        );
        for (path, body, needle) in [
            ("/power-cycle", r#"{"off_ms":-1}"#, "off_ms"),
            ("/reset-button", "", "hold_ms"),
            ("/factory-reset", r#"{"keep":true}"#, "keep_network"),
            ("/config/import", r#"{"toml":5}"#, "toml"),
        ] {
            let Err(e) = call("POST", path, body) else {
                panic!("{path} {body} accepted");
            };
            assert_eq!(e.status, 400);
            assert!(
                e.body["error"].as_str().is_some_and(|m| m.contains(needle)),
                "{path}: {}",
                e.body
            );
        }
        assert!(route("GET", "/status", b"").is_none());
        assert!(matches!(call("GET", "/reboot", ""), Err(r) if r.status == 405));
    }
}
