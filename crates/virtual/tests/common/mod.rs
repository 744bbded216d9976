//! Helpers shared by the integration tests.

#![allow(dead_code)]

use m2285_virtual::scenario::{self, RunOptions, RunReport, Scenario};
use m2285_virtual::trace::TraceOptions;
use std::path::PathBuf;

/// The repository's `scenarios/` folder.
pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

/// A shipped scenario, parsed.
pub fn shipped(name: &str) -> Scenario {
    let path = scenarios_dir().join(name);
    scenario::parse_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs with the JSON trace on; panics with the report if the scenario fails.
pub fn run_traced(s: &Scenario, seed: Option<u64>) -> RunReport {
    let report = scenario::run(
        s,
        &RunOptions {
            seed,
            trace: TraceOptions::all(),
        },
    );
    assert!(report.passed(), "{report}");
    report
}

/// The JSON trace lines of a report.
pub fn json_lines(report: &RunReport) -> Vec<String> {
    let bytes = report.traces.json.clone().unwrap_or_default();
    String::from_utf8(bytes)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The `t_ns` of a JSON trace line.
pub fn time_of(line: &str) -> u64 {
    line.strip_prefix(r#"{"t_ns":"#)
        .and_then(|rest| rest.split(',').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no time in {line}"))
}
