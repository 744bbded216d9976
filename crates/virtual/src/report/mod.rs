//! Scenario reports: one self-contained HTML page per run (`m2285-sim run --report out.html`)
//! with a zoomable timeline of sessions, line signals, faults, power, bytes per second each way
//! and expectations at their instants. Built from the run's JSON-lines trace; CSS, script and
//! drawing are inline, so the page needs no network to be viewed.

mod html;
pub mod timeline;

pub use timeline::Timeline;

use crate::scenario::RunReport;

/// The report page of a run whose JSON trace was recorded (`TraceOptions::json`).
pub fn html(report: &RunReport) -> Result<String, String> {
    let json = report
        .traces
        .json
        .as_deref()
        .ok_or("the run recorded no JSON trace to build the report from")?;
    let timeline = Timeline::from_trace(&String::from_utf8_lossy(json), report.end.as_nanos());
    Ok(html::page(report, &timeline))
}
