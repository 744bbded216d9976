//! Turning HTTP requests into [`Call`]s: every check that needs no device happens here, and
//! every mistake becomes a 4xx with a JSON error naming it.

use super::{Call, Reply};
use m2285_core::lines::InputLine;
use serde_json::{json, Value};

/// The endpoints, for 404 messages and `GET /`.
pub const ENDPOINTS: &str = "GET /status, GET /signals, POST /signals, POST /break, GET /config, GET /config/KEY, PUT /config/KEY, POST /config, GET /config/export, POST /config/import, GET /store, POST /apply, POST /discard, POST /save, POST /reboot, POST /power-cycle, POST /factory-reset, POST /reset-button, GET /events, GET /faults, POST /faults, DELETE /faults, DELETE /faults/ID, GET /log?after=N, DELETE /log, GET /port-log, DELETE /port-log, GET /users, POST /users, DELETE /users/NAME, GET /filter, POST /filter, DELETE /filter, DELETE /filter/N, GET /clock, POST /clock, GET /console, POST /console";

/// Longest break the API sends (a minute; longer is surely a mistake).
const MAX_BREAK_MS: u64 = 60_000;

/// Maps a request to a call, or to the error reply.
pub fn route(method: &str, path: &str, body: &[u8]) -> Result<Call, Reply> {
    let path = path.trim_end_matches('/');
    if let Some(call) = super::store_routes::route(method, path, body) {
        return call;
    }
    match (method, path) {
        ("GET", "/status") => Ok(Call::Status),
        ("GET", "/signals") => Ok(Call::Signals),
        ("POST" | "PUT", "/signals") => set_signals(&json_body(body)?),
        ("POST", "/break") => brk(body),
        ("GET", "/config") => Ok(Call::ConfigGet(None)),
        ("POST" | "PATCH", "/config") => config_set(&json_body(body)?),
        ("GET", p) if p.starts_with("/config/") => Ok(Call::ConfigGet(Some(key_of(p)?))),
        ("PUT", p) if p.starts_with("/config/") => {
            let key = key_of(p)?;
            let body = json_body(body)?;
            let value = match &body {
                Value::Object(m) if m.len() == 1 && m.contains_key("value") => &m["value"],
                _ => {
                    return Err(Reply::error(
                        400,
                        "body: expected {\"value\": ...} with the key's new value",
                    ))
                }
            };
            Ok(Call::ConfigSet {
                set: vec![prepared(key, raw(value)?)],
                apply: false,
            })
        }
        ("GET", "/console") => Ok(Call::Console(None)),
        ("POST" | "PUT", "/console") => console_switch(&json_body(body)?),
        (_, p) if p == "/faults" || p.starts_with("/faults/") => {
            super::faults::route(method, p, body)
        }
        ("GET", "" | "/") => Err(Reply::ok(json!({ "endpoints": ENDPOINTS }))),
        (_, "/status" | "/signals" | "/break" | "/config" | "/events" | "/console") => {
            Err(Reply::error(
                405,
                format!("method {method} not allowed on {path}; endpoints are {ENDPOINTS}"),
            ))
        }
        _ => Err(Reply::error(
            404,
            format!("no endpoint {method} {path}; endpoints are {ENDPOINTS}"),
        )),
    }
}

/// `{"on": true}` puts the data/console switch at "console", `{"on": false}` back at "data".
fn console_switch(body: &Value) -> Result<Call, Reply> {
    match body {
        Value::Object(m) if m.len() == 1 => match m.get("on") {
            Some(Value::Bool(on)) => Ok(Call::Console(Some(*on))),
            _ => Err(Reply::error(
                400,
                "body: expected {\"on\": true} (console) or {\"on\": false} (data)",
            )),
        },
        _ => Err(Reply::error(
            400,
            "body: expected {\"on\": true} (console) or {\"on\": false} (data)",
        )),
    }
}

pub(super) fn json_body(body: &[u8]) -> Result<Value, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body)
        .map_err(|e| Reply::error(400, format!("body is not valid JSON: {e}")))
}

fn key_of(path: &str) -> Result<String, Reply> {
    let key = path.trim_start_matches("/config/");
    if key.is_empty() || key.contains('/') {
        return Err(Reply::error(404, format!("no configuration key in {path}")));
    }
    Ok(key.to_owned())
}

/// `{"dsr": "low", "cts": true, ...}`: inputs only; outputs are the device's.
fn set_signals(body: &Value) -> Result<Call, Reply> {
    let Value::Object(map) = body else {
        return Err(Reply::error(
            400,
            "body: expected an object like {\"dsr\": \"high\"}",
        ));
    };
    if map.is_empty() {
        return Err(Reply::error(
            400,
            "body: name at least one input: dsr, cts, dcd, ri",
        ));
    }
    let mut out = Vec::new();
    for (name, value) in map {
        let line = match name.to_ascii_lowercase().as_str() {
            "dsr" => InputLine::Dsr,
            "cts" => InputLine::Cts,
            "dcd" => InputLine::Dcd,
            "ri" => InputLine::Ri,
            "dtr" | "rts" => {
                return Err(Reply::error(
                    400,
                    format!("{name} is an output of the device (read it with GET /signals); inputs are dsr, cts, dcd, ri"),
                ))
            }
            _ => {
                return Err(Reply::error(
                    400,
                    format!("unknown signal '{name}'; inputs are dsr, cts, dcd, ri"),
                ))
            }
        };
        out.push((line, level(name, value)?));
    }
    Ok(Call::SetSignals(out))
}

/// A level: true/false, 1/0, "high"/"low", "on"/"off".
pub fn level(name: &str, value: &Value) -> Result<bool, Reply> {
    let bad = || {
        Reply::error(
            400,
            format!("{name} = {value}: allowed: high, low, on, off, true, false, 1, 0"),
        )
    };
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match n.as_u64() {
            Some(1) => Ok(true),
            Some(0) => Ok(false),
            _ => Err(bad()),
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "high" | "on" | "true" | "1" => Ok(true),
            "low" | "off" | "false" | "0" => Ok(false),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

fn brk(body: &[u8]) -> Result<Call, Reply> {
    let body = json_body(body)?;
    let Value::Object(map) = &body else {
        return Err(Reply::error(
            400,
            "body: expected {\"duration_ms\": N} or nothing",
        ));
    };
    if let Some(other) = map.keys().find(|k| *k != "duration_ms") {
        return Err(Reply::error(
            400,
            format!("unknown field '{other}'; allowed: duration_ms"),
        ));
    }
    let ms = match map.get("duration_ms") {
        None => 250,
        Some(v) => match v.as_u64() {
            Some(ms) if (1..=MAX_BREAK_MS).contains(&ms) => ms,
            _ => {
                return Err(Reply::error(
                    400,
                    format!("duration_ms = {v}: allowed: an integer from 1 to {MAX_BREAK_MS}"),
                ))
            }
        },
    };
    Ok(Call::Break {
        duration_ms: u32::try_from(ms).unwrap_or(250),
    })
}

/// `{"set": {"key": value, ...}, "apply": bool}`: staged in order, all or nothing.
fn config_set(body: &Value) -> Result<Call, Reply> {
    if let Some(other) = body
        .as_object()
        .and_then(|m| m.keys().find(|k| *k != "set" && *k != "apply"))
    {
        return Err(Reply::error(
            400,
            format!("unknown field '{other}'; allowed: set, apply"),
        ));
    }
    let apply = match body.get("apply") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Reply::error(
                400,
                format!("apply = {other}: allowed: true or false"),
            ))
        }
    };
    let Some(Value::Object(set)) = body.get("set") else {
        return Err(Reply::error(
            400,
            "body: expected {\"set\": {\"KEY\": VALUE, ...}}",
        ));
    };
    if set.is_empty() {
        return Err(Reply::error(400, "body: \"set\" names no key"));
    }
    let pairs = set
        .iter()
        .map(|(k, v)| Ok(prepared(k.clone(), raw(v)?)))
        .collect::<Result<Vec<_>, Reply>>()?;
    Ok(Call::ConfigSet { set: pairs, apply })
}

/// A key and value as the device gets them: a plaintext password is hashed here, on the
/// management thread, so the real-time loop never spends time hashing (docs/management.md "Accounts").
fn prepared(key: String, value: String) -> (String, String) {
    let value = m2285_core::config::secrets::prepare_value(&key, &value, rand::random());
    (key, value)
}

/// A JSON value as the raw text `--set` would take.
pub(super) fn raw(v: &Value) -> Result<String, Reply> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(Reply::error(
            400,
            format!("value {other}: give a string, number or boolean"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<Call, Reply>) -> Reply {
        match r {
            Err(e) => e,
            Ok(c) => panic!("accepted: {c:?}"),
        }
    }

    #[test]
    fn signals_are_inputs_with_levels() {
        let c = route("POST", "/signals", br#"{"dsr":"low","cts":1}"#);
        assert_eq!(
            c,
            Ok(Call::SetSignals(vec![
                (InputLine::Dsr, false),
                (InputLine::Cts, true)
            ]))
        );
        let e = err(route("POST", "/signals", br#"{"dtr":"low"}"#));
        assert_eq!(e.status, 400);
        assert!(e.body["error"]
            .as_str()
            .is_some_and(|m| m.contains("output")));
        let e = err(route("POST", "/signals", br#"{"dsr":"maybe"}"#));
        assert!(e.body["error"].as_str().is_some_and(|m| m.contains("dsr")));
        assert_eq!(err(route("POST", "/signals", b"{not json")).status, 400);
    }

    #[test]
    fn unknown_paths_and_methods_are_4xx() {
        assert_eq!(err(route("GET", "/nope", b"")).status, 404);
        assert_eq!(err(route("DELETE", "/status", b"")).status, 405);
        assert_eq!(
            err(route("POST", "/break", br#"{"duration_ms":0}"#)).status,
            400
        );
        assert_eq!(
            route("POST", "/break", b""),
            Ok(Call::Break { duration_ms: 250 })
        );
    }

    #[test]
    fn config_changes_keep_their_order() {
        let c = route(
            "POST",
            "/config",
            br#"{"set":{"port1.serial.baud":1200,"port1.serial.inter_char_timeout_ms":"9"}}"#,
        );
        assert_eq!(
            c,
            Ok(Call::ConfigSet {
                set: vec![
                    ("port1.serial.baud".into(), "1200".into()),
                    ("port1.serial.inter_char_timeout_ms".into(), "9".into())
                ],
                apply: false
            })
        );
        let e = err(route("PUT", "/config/port1.title", br#"{"v":1}"#));
        assert_eq!(e.status, 400);
    }
}
