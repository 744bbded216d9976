//! `/faults`: faults at the device's boundaries, with the names and parameters of the
//! virtual-time runtime (docs/control-api.md, docs/scenarios.md). Each request is checked here,
//! with the same reader as scenario files, so a mistake is a 400 naming the fault or parameter
//! before the loop is asked anything.

use super::routes::{json_body, raw};
use super::{Call, Reply};
use serde_json::Value;

/// Maps a `/faults` request to a call, or to the error reply.
pub fn route(method: &str, path: &str, body: &[u8]) -> Result<Call, Reply> {
    let id = path.strip_prefix("/faults/").filter(|id| !id.is_empty());
    match (method, id) {
        ("GET", None) => Ok(Call::FaultList),
        ("POST", None) => add(&json_body(body)?),
        ("DELETE", None) => Ok(Call::FaultClear(None)),
        ("DELETE", Some(id)) if !id.contains('/') => Ok(Call::FaultClear(Some(id.to_owned()))),
        (_, None) => Err(Reply::error(
            405,
            format!("method {method} not allowed on /faults; use GET (list), POST (add) or DELETE (clear all)"),
        )),
        (_, Some(_)) => Err(Reply::error(
            405,
            format!("method {method} not allowed on {path}; use DELETE /faults/ID to clear a fault"),
        )),
    }
}

/// `{"name": "serial.bit_errors", "params": {"ber": 0.01, "direction": "to_device"}}`.
fn add(body: &Value) -> Result<Call, Reply> {
    let usage = "body: expected {\"name\": \"net.partition\", \"params\": {\"KEY\": VALUE, ...}}";
    let Value::Object(map) = body else {
        return Err(Reply::error(400, usage));
    };
    if let Some(other) = map.keys().find(|k| *k != "name" && *k != "params") {
        return Err(Reply::error(
            400,
            format!("unknown field '{other}'; allowed: name, params"),
        ));
    }
    let Some(Value::String(name)) = map.get("name") else {
        return Err(Reply::error(400, usage));
    };
    let params = match map.get("params") {
        None => Vec::new(),
        Some(Value::Object(p)) => p
            .iter()
            .map(|(k, v)| Ok((k.clone(), raw(v)?)))
            .collect::<Result<Vec<_>, Reply>>()?,
        Some(_) => return Err(Reply::error(400, usage)),
    };
    let spec = crate::realtime::faults::parse(name, &params).map_err(|e| Reply::error(400, e))?;
    Ok(Call::FaultAdd {
        spec: Box::new(spec),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(r: Result<Call, Reply>) -> (u16, String) {
        match r {
            Err(e) => (e.status, e.body["error"].as_str().unwrap_or("").to_owned()),
            Ok(c) => panic!("accepted: {c:?}"),
        }
    }

    #[test]
    fn faults_are_added_listed_and_cleared() {
        let c = route(
            "POST",
            "/faults",
            br#"{"name":"serial.bit_errors","params":{"ber":0.01,"direction":"to_device"}}"#,
        );
        let params: Vec<(String, String)> = vec![
            ("ber".into(), "0.01".into()),
            ("direction".into(), "to_device".into()),
        ];
        let spec = crate::realtime::faults::parse("serial.bit_errors", &params);
        let spec = Box::new(spec.unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(c, Ok(Call::FaultAdd { spec, params }));
        assert_eq!(route("GET", "/faults", b""), Ok(Call::FaultList));
        assert_eq!(
            route("DELETE", "/faults/cut", b""),
            Ok(Call::FaultClear(Some("cut".into())))
        );
        assert_eq!(route("DELETE", "/faults", b""), Ok(Call::FaultClear(None)));
    }

    #[test]
    fn mistakes_name_the_fault_or_parameter() {
        let (s, e) = error(route("POST", "/faults", br#"{"name":"net.gremlins"}"#));
        assert!(
            s == 400 && e.contains("net.gremlins") && e.contains("net.partition"),
            "{e}"
        );
        let (s, e) = error(route(
            "POST",
            "/faults",
            br#"{"name":"serial.bit_errors","params":{"ber":"often"}}"#,
        ));
        assert!(s == 400 && e.contains("`ber`"), "{e}");
        let loss = route(
            "POST",
            "/faults",
            br#"{"name":"net.loss","params":{"probability":0.1}}"#,
        );
        assert!(matches!(loss, Ok(Call::FaultAdd { .. })), "{loss:?}");
        assert_eq!(error(route("PUT", "/faults", b"")).0, 405);
        assert_eq!(error(route("POST", "/faults", b"[1]")).0, 400);
    }
}
