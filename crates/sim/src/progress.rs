//! Progress on a terminal for long work: `m2285-sim run` over many scenarios or through hours
//! of device time. Bars are drawn on stderr only when stderr is a terminal, so CI logs, pipes
//! and files never get them; the log writer and every report line go through [`suspend`], so a
//! line is never printed over a half-drawn bar.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use m2285_time::Instant;
use m2285_virtual::scenario::command::Observer;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// The bars of this process: drawn on stderr when it is a terminal, hidden otherwise.
fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(|| {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        MultiProgress::with_draw_target(target)
    })
}

/// Whether bars are drawn at all (stderr is a terminal).
pub fn drawn() -> bool {
    !bars().is_hidden()
}

/// Runs `f` with the bars cleared from the screen, then draws them again: for anything written
/// to the terminal while they show.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    bars().suspend(f)
}

/// A `tracing` writer for stderr that clears the bars around each log line.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        suspend(|| std::io::stderr().write_all(buf)).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter
    }
}

/// How `m2285-sim run` shows its progress: one bar for the files when there are several, one
/// for the device time of the running scenario against its planned length.
#[derive(Default)]
pub struct ScenarioProgress {
    files: Option<ProgressBar>,
    current: Option<ProgressBar>,
}

/// Device time shown in whole milliseconds (indicatif counts in integers).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Observer for ScenarioProgress {
    fn scenario_started(&mut self, index: usize, count: usize, file: &Path, planned: Duration) {
        if !drawn() {
            return;
        }
        if count > 1 && self.files.is_none() {
            let bar = bars().add(ProgressBar::new(count as u64));
            bar.set_style(
                ProgressStyle::with_template("scenarios {pos}/{len} [{bar:30}] {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.files = Some(bar);
        }
        if let Some(files) = &self.files {
            files.set_position(index as u64);
        }
        let bar = bars().add(ProgressBar::new(millis(planned).max(1)));
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] device time {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let name = file.file_name().unwrap_or(file.as_os_str());
        bar.set_prefix(format!("{}", name.to_string_lossy()));
        bar.set_message(format!("0 s of {}", seconds(planned)));
        bar.enable_steady_tick(Duration::from_millis(200));
        self.current = Some(bar);
    }

    fn advanced(&mut self, now: Instant) {
        if let Some(bar) = &self.current {
            let at = Duration::from_nanos(now.as_nanos());
            bar.set_position(millis(at).min(bar.length().unwrap_or(u64::MAX)));
            let planned = Duration::from_millis(bar.length().unwrap_or(0));
            bar.set_message(format!("{} of {}", seconds(at), seconds(planned)));
        }
    }

    fn scenario_finished(&mut self, _passed: bool) {
        if let Some(bar) = self.current.take() {
            bar.finish_and_clear();
            bars().remove(&bar);
        }
        if let Some(files) = &self.files {
            files.inc(1);
        }
    }

    fn print(&mut self, print: &mut dyn FnMut()) {
        suspend(|| {
            print();
            let _ = std::io::stdout().flush();
        });
    }
}

impl Drop for ScenarioProgress {
    /// Takes the bars off the screen: nothing of them stays above the shell's next prompt.
    fn drop(&mut self) {
        for bar in [self.current.take(), self.files.take()]
            .into_iter()
            .flatten()
        {
            bar.finish_and_clear();
            bars().remove(&bar);
        }
    }
}

/// Device time for people: seconds, or h:mm:ss past a minute.
fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}
