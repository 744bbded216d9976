//! `m2285-scenario`: checks and runs scenario files in virtual time. The same as
//! `m2285-sim run`, for users of the virtual-time crate alone.
//!
//! ```text
//! m2285-scenario [--seed N] [--trace FILE.jsonl] [--vcd FILE.vcd] [--pcap FILE.pcap] [--report FILE.html] [--check] SCENARIO.toml...
//! ```
//!
//! Exit status: 0 every scenario passed (or, with `--check`, is well formed), 1 a scenario
//! failed, 2 a file has mistakes or the command line is wrong
//! ([`m2285_virtual::scenario::command`]).

use m2285_virtual::scenario::command::{Command, MISTAKES};
use std::process::ExitCode;

const USAGE: &str = "usage: m2285-scenario [--seed N] [--trace FILE.jsonl] [--vcd FILE.vcd] [--pcap FILE.pcap] [--report FILE.html] [--check] SCENARIO.toml...";

fn args() -> Result<Command, String> {
    let mut a = Command::default();
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
            "--report" => a.report = Some(value("--report")?.into()),
            "--check" => a.check = true,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file => a.files.push(file.into()),
        }
    }
    a.validate()?;
    Ok(a)
}

fn main() -> ExitCode {
    match args() {
        Ok(a) => ExitCode::from(a.execute("m2285-scenario")),
        Err(e) => {
            if !e.is_empty() {
                eprintln!("m2285-scenario: {e}");
            }
            eprintln!("{USAGE}");
            ExitCode::from(MISTAKES)
        }
    }
}
