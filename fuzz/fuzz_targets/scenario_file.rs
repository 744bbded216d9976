//! Scenario files (`crates/virtual/src/scenario`): any text gives a scenario or errors with a
//! line number inside the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2285_virtual::scenario::parse_str;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = parse_str(text) {
        assert!(!e.errors.is_empty(), "an error list without errors");
    }
});
