//! `m2285-scenario`: checks and runs scenario files in virtual time.
//!
//! ```text
//! m2285-scenario [--seed N] [--trace FILE.jsonl] [--vcd FILE.vcd] [--pcap FILE.pcap] [--check] SCENARIO.toml...
//! ```
//!
//! Exit status: 0 every scenario passed (or, with `--check`, is well formed), 1 a scenario
//! failed, 2 a file has mistakes or the command line is wrong. The wall-clock time printed is
//! measured here, outside the simulation, which never reads a clock.

use m2285_virtual::scenario::{self, RunOptions};
use m2285_virtual::trace::TraceOptions;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: m2285-scenario [--seed N] [--trace FILE.jsonl] [--vcd FILE.vcd] [--pcap FILE.pcap] [--check] SCENARIO.toml...";

struct Args {
    seed: Option<u64>,
    trace: Option<PathBuf>,
    vcd: Option<PathBuf>,
    pcap: Option<PathBuf>,
    check: bool,
    files: Vec<PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        seed: None,
        trace: None,
        vcd: None,
        pcap: None,
        check: false,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--seed" => {
                let v = value("--seed")?;
                a.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed: not a number: {v}"))?,
                );
            }
            "--trace" => a.trace = Some(value("--trace")?.into()),
            "--vcd" => a.vcd = Some(value("--vcd")?.into()),
            "--pcap" => a.pcap = Some(value("--pcap")?.into()),
            "--check" => a.check = true,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file => a.files.push(file.into()),
        }
    }
    if a.files.is_empty() {
        return Err("no scenario file given".into());
    }
    if a.files.len() > 1 && (a.trace.is_some() || a.vcd.is_some() || a.pcap.is_some()) {
        return Err("--trace, --vcd and --pcap take one scenario at a time".into());
    }
    Ok(a)
}

fn write(path: &Option<PathBuf>, bytes: Option<Vec<u8>>) -> Result<(), String> {
    match (path, bytes) {
        (Some(p), Some(b)) => {
            std::fs::write(p, b).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("m2285-scenario: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut status = 0u8;
    for file in &a.files {
        let s = match scenario::parse_file(file) {
            Ok(s) => s,
            Err(errors) => {
                eprintln!("{errors}");
                status = 2;
                continue;
            }
        };
        if a.check {
            println!("OK {} ({} steps)", file.display(), s.steps.len());
            continue;
        }
        let options = RunOptions {
            seed: a.seed,
            trace: TraceOptions {
                json: a.trace.is_some(),
                vcd: a.vcd.is_some(),
                pcap: a.pcap.is_some(),
            },
        };
        let started = std::time::Instant::now();
        let report = scenario::run(&s, &options);
        let wall = started.elapsed();
        print!("{report}");
        let device_s = report.end.as_nanos() as f64 / 1e9;
        println!(
            "\n  wall time {:.3} s for {device_s:.1} s of device time ({:.0}x real time)",
            wall.as_secs_f64(),
            device_s / wall.as_secs_f64().max(1e-9)
        );
        let traces = report.traces.clone();
        for (path, bytes) in [
            (&a.trace, traces.json),
            (&a.vcd, traces.vcd),
            (&a.pcap, traces.pcap),
        ] {
            if let Err(e) = write(path, bytes) {
                eprintln!("m2285-scenario: {e}");
                status = 2;
            }
        }
        if !report.passed() && status == 0 {
            status = 1;
        }
    }
    ExitCode::from(status)
}
