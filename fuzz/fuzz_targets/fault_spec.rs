//! `FaultSpec::parse` (scenario files and `ctl fault add`): a name and `key=value` lines give a
//! spec or errors that each name a parameter, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2285_virtual::faults::{catalog, FaultSpec};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.lines();
    // Mostly a real fault name, so the fuzzer explores the parameters.
    let name = match catalog::FAULTS.get(usize::from(pick)) {
        Some(info) => info.name.to_owned(),
        None => lines.next().unwrap_or_default().to_owned(),
    };
    let params: Vec<(&str, &str)> = lines
        .map(|l| l.split_once('=').unwrap_or((l, "")))
        .collect();
    match FaultSpec::parse(&name, params.iter().copied()) {
        Ok(spec) => assert_eq!(spec.name, name),
        Err(errors) => assert!(!errors.is_empty()),
    }
});
