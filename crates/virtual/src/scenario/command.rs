//! The command line of scenario runs, shared by `m2285-sim run` and `m2285-scenario`: check and
//! run files, print each report, write the traces, and say how it went as an exit status.
//!
//! Exit status: 0 every scenario passed (or, with `check`, is well formed), 1 a scenario
//! failed, 2 a file has mistakes (each printed with its line) or a trace could not be written.
//! The wall-clock time printed is measured here, outside the simulation, which never reads a
//! clock.

use super::{parse_file, run_observed, RunOptions};
use crate::trace::TraceOptions;
use m2285_time::Instant;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit status: every scenario passed.
pub const PASSED: u8 = 0;
/// Exit status: an expectation failed.
pub const FAILED: u8 = 1;
/// Exit status: a file has mistakes, the command line is wrong, or a trace was not written.
pub const MISTAKES: u8 = 2;

/// What to run and what to write.
#[derive(Clone, Debug, Default)]
pub struct Command {
    /// Overrides every scenario's own seed.
    pub seed: Option<u64>,
    /// Where the JSON-lines trace goes.
    pub trace: Option<PathBuf>,
    /// Where the VCD of the serial lines goes.
    pub vcd: Option<PathBuf>,
    /// Where the pcap of the network goes.
    pub pcap: Option<PathBuf>,
    /// Where to write the run's HTML report (crate::report).
    pub report: Option<PathBuf>,
    /// Only check the files.
    pub check: bool,
    /// The scenario files, run in order.
    pub files: Vec<PathBuf>,
}

/// Told how a [`Command::execute_observed`] goes, to show progress (a bar on a terminal). Every
/// method has a default that does nothing.
pub trait Observer {
    /// Scenario `index` (from 0) of `count` starts: its file and the device time it may take
    /// ([`super::Scenario::planned_duration`]).
    fn scenario_started(&mut self, index: usize, count: usize, file: &Path, planned: Duration) {
        let _ = (index, count, file, planned);
    }
    /// The running scenario reached this device time.
    fn advanced(&mut self, now: Instant) {
        let _ = now;
    }
    /// The running scenario ended.
    fn scenario_finished(&mut self, passed: bool) {
        let _ = passed;
    }
    /// Runs `print`, which writes a report on stdout or a mistake on stderr, so that it does
    /// not mix with what the observer draws (a bar hides itself meanwhile).
    fn print(&mut self, print: &mut dyn FnMut()) {
        print();
    }
}

/// An observer that shows nothing.
struct Silent;

impl Observer for Silent {}

impl Command {
    /// Refuses combinations that cannot work: no file, or traces for several files.
    pub fn validate(&self) -> Result<(), String> {
        if self.files.is_empty() {
            return Err("no scenario file given".into());
        }
        let traced = self.trace.is_some()
            || self.vcd.is_some()
            || self.pcap.is_some()
            || self.report.is_some();
        if self.files.len() > 1 && traced {
            return Err("--trace, --vcd, --pcap and --report take one scenario at a time".into());
        }
        Ok(())
    }

    /// Checks or runs every file, printing reports on stdout and mistakes on stderr (prefixed
    /// with `program`); returns the exit status.
    pub fn execute(&self, program: &str) -> u8 {
        self.execute_observed(program, &mut Silent)
    }

    /// [`execute`](Self::execute), telling `observer` how it goes and printing through it.
    pub fn execute_observed(&self, program: &str, observer: &mut dyn Observer) -> u8 {
        if let Err(e) = self.validate() {
            eprintln!("{program}: {e}");
            return MISTAKES;
        }
        let mut status = PASSED;
        let count = self.files.len();
        for (index, file) in self.files.iter().enumerate() {
            let s = match parse_file(file) {
                Ok(s) => s,
                Err(errors) => {
                    observer.print(&mut || eprintln!("{errors}"));
                    status = MISTAKES;
                    continue;
                }
            };
            if self.check {
                observer.print(&mut || println!("OK {} ({} steps)", file.display(), s.steps.len()));
                continue;
            }
            let options = RunOptions {
                seed: self.seed,
                trace: TraceOptions {
                    json: self.trace.is_some() || self.report.is_some(),
                    vcd: self.vcd.is_some(),
                    pcap: self.pcap.is_some(),
                },
            };
            observer.scenario_started(index, count, file, s.planned_duration());
            let started = std::time::Instant::now();
            let report = run_observed(&s, &options, &mut |now| observer.advanced(now));
            let wall = started.elapsed();
            observer.scenario_finished(report.passed());
            let device_s = report.end.as_nanos() as f64 / 1e9;
            observer.print(&mut || {
                print!("{report}");
                println!(
                    "\n  wall time {:.3} s for {device_s:.1} s of device time ({:.0}x real time)",
                    wall.as_secs_f64(),
                    device_s / wall.as_secs_f64().max(1e-9)
                );
            });
            let traces = report.traces.clone();
            for (path, bytes) in [
                (&self.trace, traces.json),
                (&self.vcd, traces.vcd),
                (&self.pcap, traces.pcap),
            ] {
                if let (Some(p), Some(b)) = (path, bytes) {
                    // Traces hold the data (passwords included): private, never through a link.
                    let written = m2285_hostfs::create_output(p, m2285_hostfs::SECRET_MODE)
                        .and_then(|mut f| std::io::Write::write_all(&mut f, &b));
                    if let Err(e) = written {
                        observer.print(&mut || eprintln!("{program}: cannot write the trace: {e}"));
                        status = MISTAKES;
                    }
                }
            }
            if let Some(path) = &self.report {
                let written = crate::report::html(&report)
                    .and_then(|page| std::fs::write(path, page).map_err(|e| e.to_string()));
                if let Err(e) = written {
                    observer.print(&mut || {
                        eprintln!("{program}: cannot write {}: {e}", path.display());
                    });
                    status = MISTAKES;
                }
            }
            if !report.passed() && status == PASSED {
                status = FAILED;
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what an observer is told.
    #[derive(Default)]
    struct Recorder {
        started: Vec<(usize, usize, Duration)>,
        times: Vec<Instant>,
        finished: Vec<bool>,
        prints: usize,
    }

    impl Observer for Recorder {
        fn scenario_started(&mut self, index: usize, count: usize, _: &Path, planned: Duration) {
            self.started.push((index, count, planned));
        }
        fn advanced(&mut self, now: Instant) {
            self.times.push(now);
        }
        fn scenario_finished(&mut self, passed: bool) {
            self.finished.push(passed);
        }
        fn print(&mut self, print: &mut dyn FnMut()) {
            self.prints += 1;
            print();
        }
    }

    #[test]
    fn the_observer_follows_device_time_through_a_long_run() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let command = Command {
            files: vec![dir.join("one-hour-polling.toml"), dir.join("udp-loss.toml")],
            ..Command::default()
        };
        let mut seen = Recorder::default();
        assert_eq!(command.execute_observed("test", &mut seen), PASSED);
        assert_eq!(seen.finished, [true, true]);
        assert_eq!(
            seen.prints, 2,
            "one report per scenario, through the observer"
        );
        assert_eq!(seen.started.len(), 2);
        assert_eq!((seen.started[0].0, seen.started[0].1), (0, 2));
        // The hour-long scenario plans at least an hour and reports every minute of it.
        assert!(seen.started[0].2 >= Duration::from_secs(3600));
        assert!(seen.times.windows(2).filter(|w| w[0] <= w[1]).count() > 60);
        let hour = Instant::from_secs(3600);
        assert!(seen.times.iter().any(|&t| t >= hour));
    }

    #[test]
    fn traces_take_one_file_and_some_file_is_needed() {
        assert!(Command::default().validate().is_err());
        let two = Command {
            files: vec!["a.toml".into(), "b.toml".into()],
            ..Command::default()
        };
        assert!(two.validate().is_ok());
        let traced = Command {
            trace: Some("t.jsonl".into()),
            ..two
        };
        assert!(traced.validate().is_err());
    }
}
