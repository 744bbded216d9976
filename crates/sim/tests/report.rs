//! `m2285-sim run --report`: one self-contained HTML page, opened in headless Chromium (Debian
//! `chromium`, installed by scripts/setup), which must draw every session and the failure.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/report-demo.toml")
}

/// Runs `scenario` with `--report`; returns the exit code and the page.
fn report(scenario: &Path, out: &Path) -> (i32, String) {
    let run = Command::new(binary())
        .arg("run")
        .arg(scenario)
        .arg("--report")
        .arg(out)
        .output()
        .expect("run m2285-sim run");
    let page = std::fs::read_to_string(out).unwrap_or_else(|e| panic!("no report: {e}"));
    (run.status.code().unwrap_or(-1), page)
}

/// Chromium's headless flags (docs: ../shared/notes/management-deps.md §6) and a fresh profile.
fn chromium(dir: &Path) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.arg("120").arg("chromium").args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1000,560",
    ]);
    cmd.arg(format!("--user-data-dir={}", dir.join("profile").display()));
    cmd
}

/// The page's DOM after its script ran: the drawn timeline's SVG only.
fn rendered_svg(dir: &Path, page: &Path) -> String {
    let out = chromium(dir)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium (scripts/setup installs it)");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("data-rendered=\"true\""),
        "the script did not draw the timeline: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let start = dom.find("<svg").expect("an svg in the timeline");
    let end = dom[start..].find("</svg>").expect("end of svg") + start;
    dom[start..end].to_owned()
}

/// How often `prefix` occurs followed by a digit (an element's drawn coordinate or id).
fn drawn(svg: &str, prefix: &str) -> usize {
    svg.match_indices(prefix)
        .filter(|(i, _)| {
            svg[i + prefix.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .count()
}

#[test]
fn report_page_draws_every_session_and_the_failure_in_chromium() {
    let dir = temp_dir("report");
    let page = dir.join("report.html");
    let (code, html) = report(&demo(), &page);
    assert_eq!(code, 1, "the demo scenario fails on purpose");
    // Self-contained: nothing to fetch.
    for outside in ["<link", " src=", "@import", "url("] {
        assert!(
            !html.contains(outside),
            "the page loads something: {outside}"
        );
    }
    assert!(html.contains("Failed at line 100"), "the failure is stated");
    let svg = rendered_svg(&dir, &page);
    assert_eq!(drawn(&svg, "<rect class=\"session\" data-conn=\""), 3);
    assert_eq!(drawn(&svg, "<line class=\"failure-marker\" x1=\""), 1);
    assert_eq!(drawn(&svg, "<line class=\"expect-met\" x1=\""), 6);
    assert_eq!(drawn(&svg, "<rect class=\"fault\" x=\""), 1);
    assert!(svg.contains("dsr (input)"), "the DSR lane is drawn");
    assert!(
        svg.contains("class=\"rate-in\""),
        "bytes per second are drawn"
    );

    let shot = dir.join("report.png");
    let status = chromium(&dir)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium screenshot");
    assert!(status.status.success());
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5000,
        "{}",
        png.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_passing_run_has_no_failure_marker() {
    let dir = temp_dir("report-pass");
    let page = dir.join("report.html");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/power-cycle.toml");
    let (code, html) = report(&scenario, &page);
    assert_eq!(code, 0);
    assert!(html.contains("<span class=\"verdict pass\">PASS</span>"));
    let svg = rendered_svg(&dir, &page);
    assert_eq!(drawn(&svg, "<line class=\"failure-marker\" x1=\""), 0);
    let sessions = drawn(&svg, "<rect class=\"session\" data-conn=\"")
        + drawn(&svg, "<rect class=\"session failed\" data-conn=\"");
    assert!(sessions >= 2, "{sessions} sessions drawn");
    assert!(
        drawn(&svg, "<line class=\"power\" x1=\"") >= 2,
        "power off and on are drawn"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn report_takes_one_scenario_at_a_time() {
    let dir = temp_dir("report-two");
    let out = Command::new(binary())
        .arg("run")
        .arg(demo())
        .arg(demo())
        .arg("--report")
        .arg(dir.join("r.html"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one scenario at a time"));
    let _ = std::fs::remove_dir_all(dir);
}
