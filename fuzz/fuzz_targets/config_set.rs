//! `--set KEY=VALUE` (and `ctl set`, `PUT /config/KEY`): any lines give a config or errors; an
//! accepted value reads back with `get` and the result survives the TOML round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2285_core::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = Config::factory();
    let sets: Vec<&str> = text.lines().collect();
    match base.with_sets(sets.iter().copied()) {
        Ok(config) => {
            for set in &sets {
                if let Some((key, _)) = set.split_once('=') {
                    assert!(
                        config.get(key.trim()).is_some(),
                        "{key} accepted but unreadable"
                    );
                }
            }
            let again = Config::from_toml_str(&config.to_toml());
            assert_eq!(again.as_ref(), Ok(&config), "round trip of {sets:?}");
        }
        Err(errors) => assert!(!errors.is_empty()),
    }
});
