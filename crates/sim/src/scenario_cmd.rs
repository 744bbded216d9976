//! `m2285-sim run SCENARIO...`: scenario files in virtual time, through the `m2285-virtual`
//! library (docs/scenarios.md). The same command as `m2285-scenario`, with the same exit status,
//! plus progress bars when stderr is a terminal (crate::progress).

use clap::Args;
use m2285_virtual::scenario::command::Command;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `m2285-sim run`.
#[derive(Debug, Args, Clone)]
pub struct ScenarioArgs {
    /// Scenario files (TOML, docs/scenarios.md), run in order.
    #[arg(required = true, value_name = "SCENARIO")]
    pub files: Vec<PathBuf>,
    /// Seed for every random choice (overrides the scenario's own `seed`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Write every event as JSON lines (docs/traces.md); one scenario at a time.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Write the serial lines as a Value Change Dump (GTKWave, PulseView).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Write the device's network frames as a pcap (Wireshark, tshark).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Write the run as one self-contained HTML page with a zoomable timeline: sessions, line
    /// signals, faults, bytes per second each way, expectations (docs/scenarios.md).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Only check the files: every mistake with its line, nothing runs.
    #[arg(long)]
    pub check: bool,
}

/// Runs the scenarios: exit 0 when all passed, 1 when an expectation failed (the first failure
/// is printed with its virtual time and the events before it), 2 when a file has mistakes.
pub fn run(args: ScenarioArgs) -> ExitCode {
    let command = Command {
        seed: args.seed,
        trace: args.trace,
        vcd: args.vcd,
        pcap: args.pcap,
        report: args.report,
        check: args.check,
        files: args.files,
    };
    let mut progress = crate::progress::ScenarioProgress::default();
    let status = command.execute_observed("m2285-sim run", &mut progress);
    drop(progress);
    ExitCode::from(status)
}
