//! The control API's request parsing (`crates/sim/src/control/routes.rs`, `faults.rs`): any
//! method, path and body maps to a call or a 4xx/405 reply with a JSON error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2285_fuzz::control::routes::route;

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const PATHS: &[&str] = &[
    "/status",
    "/signals",
    "/break",
    "/config",
    "/config/port1.serial.baud",
    "/faults",
    "/faults/x",
    "/events",
    "/",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let method = METHODS[usize::from(pick & 7) % METHODS.len()];
    let (path, body) = if pick >> 3 == 31 {
        // A path from the input: up to the first newline.
        let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
        let path = String::from_utf8_lossy(&body[..end]).into_owned();
        (path, body.get(end + 1..).unwrap_or_default())
    } else {
        (PATHS[usize::from(pick >> 3) % PATHS.len()].to_owned(), body)
    };
    match route(method, &path, body) {
        Ok(_) => {}
        Err(reply) => {
            assert!(
                (200..600).contains(&reply.status),
                "status {}",
                reply.status
            );
            if reply.status != 200 {
                assert!(reply.body.get("error").is_some(), "{reply:?}");
            }
        }
    }
});
