//! The configuration loader (`crates/core/src/config`): any TOML gives a config or errors, and
//! an accepted config survives its own round trip (`to_toml` read back is the same config).
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2285_core::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::from_toml_str(text) {
        Ok(config) => {
            let again = Config::from_toml_str(&config.to_toml());
            assert_eq!(again.as_ref(), Ok(&config), "round trip of {text:?}");
        }
        Err(errors) => assert!(!errors.is_empty()),
    }
});
