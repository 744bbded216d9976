//! Requests for the management core: system and port logs, accounts, IP filter, clock
//! (docs/control-api.md, docs/management.md). Passwords are hashed here, on the management thread, never on the device's loop.

use super::routes::{json_body, raw};
use super::{AdminCall, Call, Reply};
use serde_json::Value;

/// Maps a management request to a call; `None` when the path is not a management path.
pub fn route(method: &str, path: &str, query: &str, body: &[u8]) -> Option<Result<Call, Reply>> {
    let path = path.trim_end_matches('/');
    let call = match (method, path) {
        ("GET", "/log") => log_after(query).map(|after| AdminCall::Log { after }),
        ("DELETE", "/log") => Ok(AdminCall::LogClear),
        ("GET", "/port-log") => Ok(AdminCall::PortLog),
        ("DELETE", "/port-log") => Ok(AdminCall::PortLogClear),
        ("GET", "/users") => Ok(AdminCall::Users),
        ("POST" | "PUT", "/users") => json_body(body).and_then(|b| user_set(&b)),
        ("DELETE", p) if p.starts_with("/users/") => {
            apply_query(query).map(|apply| AdminCall::UserDelete {
                name: p["/users/".len()..].to_owned(),
                apply,
            })
        }
        ("GET", "/filter") => Ok(AdminCall::Filter),
        ("POST", "/filter") => json_body(body).and_then(|b| filter_add(&b)),
        ("DELETE", "/filter") => {
            apply_query(query).map(|apply| AdminCall::FilterDelete { index: None, apply })
        }
        ("DELETE", p) if p.starts_with("/filter/") => p["/filter/".len()..]
            .parse()
            .map_err(|_| Reply::error(404, format!("{p}: give a rule's index, e.g. /filter/0")))
            .and_then(|i| {
                apply_query(query).map(|apply| AdminCall::FilterDelete {
                    index: Some(i),
                    apply,
                })
            }),
        ("GET", "/clock") => Ok(AdminCall::Clock),
        ("POST" | "PUT", "/clock") => json_body(body).and_then(|b| clock_set(&b)),
        _ => return None,
    };
    Some(call.map(Call::Admin))
}

fn log_after(query: &str) -> Result<u64, Reply> {
    let mut after = 0;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("after", n)) => {
                after = n
                    .parse()
                    .map_err(|_| Reply::error(400, format!("after={n}: give a sequence number")))?;
            }
            _ => {
                return Err(Reply::error(
                    400,
                    format!("unknown parameter '{pair}'; allowed: after=N"),
                ))
            }
        }
    }
    Ok(after)
}

/// `?apply=true` on a DELETE: apply the staged configuration at once as well.
fn apply_query(query: &str) -> Result<bool, Reply> {
    let mut apply = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=').unwrap_or((pair, "true")) {
            ("apply", "true" | "1") => apply = true,
            ("apply", "false" | "0") => apply = false,
            _ => {
                return Err(Reply::error(
                    400,
                    format!("unknown parameter '{pair}'; allowed: apply=true"),
                ))
            }
        }
    }
    Ok(apply)
}

/// The optional `"apply": true` of a body.
fn apply_field(body: &Value) -> Result<bool, Reply> {
    match body.get("apply") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Reply::error(
            400,
            format!("apply = {other}: give true or false"),
        )),
    }
}

fn text_field(body: &Value, name: &str) -> Result<Option<String>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => raw(v).map(Some),
    }
}

/// `{"name": "op", "role": "user", "password": "..."}`: add or change an account.
fn user_set(body: &Value) -> Result<AdminCall, Reply> {
    let Value::Object(map) = body else {
        return Err(Reply::error(
            400,
            "body: expected {\"name\": ..., \"role\": ..., \"password\": ...}",
        ));
    };
    if let Some(other) = map
        .keys()
        .find(|k| !["name", "role", "password", "apply"].contains(&k.as_str()))
    {
        return Err(Reply::error(
            400,
            format!("unknown field '{other}'; allowed: name, role, password, apply"),
        ));
    }
    let name = text_field(body, "name")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Reply::error(400, "body: name the account with \"name\""))?;
    let password = text_field(body, "password")?.map(|p| {
        m2285_core::config::secrets::prepare_value("system.users[0].password", &p, rand::random())
    });
    Ok(AdminCall::UserSet {
        name,
        role: text_field(body, "role")?,
        password,
        apply: apply_field(body)?,
    })
}

/// `{"address": "127.0.0.3", "mask": "255.255.255.255", "service": "port1", "rule": "reject",
/// "at": 0}`: a new rule.
fn filter_add(body: &Value) -> Result<AdminCall, Reply> {
    let Value::Object(map) = body else {
        return Err(Reply::error(
            400,
            "body: expected {\"address\": ..., \"mask\": ..., \"service\": ..., \"rule\": ...}",
        ));
    };
    let mut fields = Vec::new();
    let mut at = None;
    for (k, v) in map {
        match k.as_str() {
            "address" | "mask" | "service" | "rule" => fields.push((k.clone(), raw(v)?)),
            "apply" => {}
            "at" => {
                at = Some(
                    v.as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .ok_or_else(|| Reply::error(400, format!("at = {v}: give a rule index")))?,
                )
            }
            other => {
                return Err(Reply::error(
                    400,
                    format!(
                        "unknown field '{other}'; allowed: address, mask, service, rule, at, apply"
                    ),
                ))
            }
        }
    }
    Ok(AdminCall::FilterAdd {
        fields,
        at,
        apply: apply_field(body)?,
    })
}

/// `{"unix_ms": N}`.
fn clock_set(body: &Value) -> Result<AdminCall, Reply> {
    body.get("unix_ms")
        .and_then(Value::as_i64)
        .map(AdminCall::ClockSet)
        .ok_or_else(|| Reply::error(400, "body: expected {\"unix_ms\": MILLISECONDS_SINCE_1970}"))
}
