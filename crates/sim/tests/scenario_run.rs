//! `m2285-sim run`: scenario files in virtual time from the simulator's own binary, with the
//! exit status a CI script relies on.

use std::path::PathBuf;
use std::process::Command;

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_m2285-sim")
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(binary())
        .arg("run")
        .args(args)
        .output()
        .expect("run m2285-sim run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("m2285-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

#[test]
fn a_passing_scenario_exits_0_and_writes_its_trace() {
    let trace = temp_file("modem.jsonl", "");
    let scenario = repo("scenarios/modem-dial-hangup.toml");
    let (code, out, err) = run(&[
        scenario.to_str().unwrap_or_default(),
        "--seed",
        "3",
        "--trace",
        trace.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("PASS modem-dial-hangup (seed 3)"), "{out}");
    let lines = std::fs::read_to_string(&trace).expect("trace written");
    assert!(lines.lines().count() > 100);
    assert!(lines.lines().all(|l| l.starts_with(r#"{"t_ns":"#)));
    assert!(lines.contains(r#""event":"session_closed""#));
}

#[test]
fn a_failed_expectation_exits_1_with_its_time_and_the_events_before_it() {
    let file = temp_file(
        "fails.toml",
        "name = \"late-echo\"\n\n[[peer]]\nname = \"p\"\n\n[[step]]\nconnect = \"p\"\n\n[[step]]\nexpect_serial = \"never\"\nwithin = \"250ms\"\n",
    );
    let (code, out, _) = run(&[file.to_str().unwrap_or_default()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("FAIL late-echo (seed 0) at line 10, device time 0.25"),
        "{out}"
    );
    // The device's boot event is among them.
    assert!(out.contains("last 16 events:"), "{out}");
    assert!(out.contains(r#""event":"booted""#), "{out}");
    assert!(out.contains(r#""event":"session_opened""#), "{out}");
}

#[test]
fn a_file_with_mistakes_exits_2_naming_each_line() {
    let file = temp_file(
        "bad.toml",
        "[[step]]\nwait = \"30\"\n\n[[step]]\ninject = \"net.gremlins\"\n",
    );
    let (code, out, err) = run(&[file.to_str().unwrap_or_default()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("bad.toml:2:"), "{err}");
    assert!(
        err.contains("bad.toml:5:") && err.contains("net.gremlins"),
        "{err}"
    );
    let (code, out, _) = run(&[
        "--check",
        repo("scenarios/power-cycle.toml")
            .to_str()
            .unwrap_or_default(),
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("OK "), "{out}");
}
