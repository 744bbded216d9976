//! The report page: a static summary (readable without script) and the timeline data, which
//! the inline script draws as SVG and lets the reader zoom.

use super::Timeline;
use crate::scenario::RunReport;
use std::fmt::Write;

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe inside a `<script>` element: no `</` or `<!--` can end it early.
fn script_json(timeline: &Timeline, report: &RunReport) -> String {
    let failure = report.failure.as_ref().map(|f| {
        serde_json::json!({
            "line": f.line, "step": f.step, "message": f.message, "t_ns": f.at.as_nanos()
        })
    });
    let data = serde_json::json!({
        "name": report.name,
        "seed": report.seed,
        "passed": report.passed(),
        "failure": failure,
        "timeline": timeline,
    });
    data.to_string().replace('<', "\\u003c")
}

fn seconds(ns: u64) -> String {
    format!("{:.6} s", ns as f64 / 1e9)
}

/// The whole page.
pub fn page(report: &RunReport, t: &Timeline) -> String {
    let verdict = if report.passed() { "PASS" } else { "FAIL" };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{verdict} {name}</title><style>{CSS}</style></head><body>\n\
         <header><h1><span class=\"verdict {lower}\">{verdict}</span> {name}</h1>\
         <p>seed {seed} · {end} of device time · {sessions} session(s) · {faults} fault(s) · \
         {expects} expectation(s)</p></header>",
        name = escape(&report.name),
        lower = verdict.to_lowercase(),
        seed = report.seed,
        end = seconds(t.end_ns),
        sessions = t.sessions.len(),
        faults = t.faults.len(),
        expects = t.expectations.len(),
    );
    if let Some(f) = &report.failure {
        let _ = writeln!(
            s,
            "<section class=\"failure\"><h2>Failed at line {line}, device time {at}</h2>\
             <p><code>{step}</code></p><p>{message}</p></section>",
            line = f.line,
            at = seconds(f.at.as_nanos()),
            step = escape(&f.step),
            message = escape(&f.message),
        );
    }
    s.push_str(
        "<nav><button id=\"zoom-in\">zoom in</button><button id=\"zoom-out\">zoom out</button>\
         <button id=\"zoom-reset\">whole run</button><span id=\"window\"></span>\
         <span class=\"hint\">wheel: zoom at the pointer · drag: move</span></nav>\n\
         <div id=\"timeline\"><noscript>The timeline needs JavaScript; the tables below \
         hold the same facts.</noscript></div>\n",
    );
    summary_tables(&mut s, t);
    let _ = writeln!(
        s,
        "<script type=\"application/json\" id=\"report-data\">{}</script>\n\
         <script>{SCRIPT}</script>\n</body></html>",
        script_json(t, report)
    );
    s
}

fn summary_tables(s: &mut String, t: &Timeline) {
    s.push_str("<details><summary>Sessions</summary><table><tr><th>conn</th><th>peer</th><th>opened</th><th>closed</th><th>reason</th></tr>");
    for x in &t.sessions {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            x.conn,
            escape(&x.peer),
            seconds(x.open_ns),
            x.close_ns.map_or("open".into(), seconds),
            escape(&x.reason)
        );
    }
    s.push_str("</table></details>\n<details><summary>Expectations</summary><table><tr><th>time</th><th>line</th><th>result</th><th>expected</th></tr>");
    for e in &t.expectations {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            seconds(e.t_ns),
            e.line,
            if e.ok { "met" } else { "FAILED" },
            escape(&e.what)
        );
    }
    s.push_str("</table></details>\n<details><summary>Faults</summary><table><tr><th>id</th><th>name</th><th>from</th><th>until</th></tr>");
    for f in &t.faults {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.id),
            escape(&f.name),
            seconds(f.on_ns),
            f.off_ns.map_or("end of run".into(), seconds)
        );
    }
    s.push_str("</table></details>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_script_data() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let t = Timeline::default();
        let report = RunReport {
            name: "</script><script>alert(1)</script>".into(),
            seed: 1,
            failure: None,
            end: m2285_time::Instant::ZERO,
            steps_run: 0,
            sim_steps: 0,
            events: 0,
            traces: Default::default(),
        };
        let json = script_json(&t, &report);
        assert!(!json.contains('<'), "{json}");
        let page = page(&report, &t);
        assert_eq!(
            page.matches("</script>").count(),
            2,
            "only the page's own scripts end"
        );
    }
}
