//! The command line fits the shell: completion scripts bash accepts and uses, a manual page
//! `man` renders, logs without escape codes off a terminal, and JSON logs on request.

mod common;

use common::*;
use m2285_harness::device::{spawn_ready, READY_TIMEOUT};
use std::process::{Command, Stdio};

/// Sources a completion script in a fresh bash, completes `line` with the function the script
/// registered for m2285-sim (as bash would on TAB), and prints the candidates.
const DRIVE_COMPLETION: &str = r#"
source "$1"
fn=$(complete -p m2285-sim | sed -E 's/.*-F ([^ ]+) .*/\1/')
read -r -a COMP_WORDS <<< "$2"
[ "${2: -1}" = " " ] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
"$fn" m2285-sim "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

fn complete(script: &std::path::Path, line: &str) -> Vec<String> {
    let dir = script.parent().expect("script dir");
    let driver = dir.join("drive.sh");
    std::fs::write(&driver, DRIVE_COMPLETION).expect("write driver");
    let out = Command::new("bash")
        .arg("--norc")
        .arg(&driver)
        .arg(script)
        .arg(line)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completions_parse_and_complete_options_and_subcommands() {
    let dir = temp_dir("completions");
    let out = Command::new(binary())
        .args(["completions", "bash"])
        .output()
        .expect("run completions");
    assert!(out.status.success());
    let script = dir.join("m2285-sim.bash");
    std::fs::write(&script, &out.stdout).expect("write script");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash -n");
    assert!(
        syntax.status.success(),
        "bash -n refused the script: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    assert_eq!(complete(&script, "m2285-sim --con"), ["--config"]);
    assert_eq!(complete(&script, "m2285-sim fle"), ["fleet"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn other_shells_get_scripts_too() {
    for (shell, marker) in [
        ("zsh", "#compdef m2285-sim"),
        ("fish", "complete -c m2285-sim"),
    ] {
        let out = Command::new(binary())
            .args(["completions", shell])
            .output()
            .expect("run completions");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains(marker),
            "{shell}: {text:.200}"
        );
    }
    let out = Command::new(binary())
        .args(["completions", "tcsh"])
        .output()
        .expect("run completions");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_page_renders_with_man() {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' man | man -l -", binary()))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .stderr(Stdio::null())
        .output()
        .expect("run man");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "man failed: {text}");
    for part in [
        "NAME",
        "SYNOPSIS",
        "--config",
        "--log-format",
        "M2285-SIM FLEET",
        "M2285-SIM RUN",
        "--count",
    ] {
        assert!(text.contains(part), "the page lacks {part}:\n{text}");
    }
    assert!(!text.contains("\\f"), "roff escapes left in the rendering");
}

fn start_logging(format: &str) -> (std::process::Child, std::path::PathBuf) {
    let dir = temp_dir("logs");
    let log = dir.join("stderr.log");
    let mut cmd = Command::new(binary());
    cmd.arg("--pty")
        .arg(dir.join("ttyS0"))
        .arg("--ip")
        .arg(unique_ip().to_string())
        .arg("--state-dir")
        .arg(dir.join("state"))
        .args([
            "--set",
            "sim.free_ports=true",
            "--log",
            "info",
            "--log-format",
            format,
        ])
        .stderr(std::fs::File::create(&log).expect("log file"));
    let (mut child, _ready, _events) = spawn_ready(cmd, READY_TIMEOUT).expect("ready");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    child.wait().expect("exit");
    (child, log)
}

#[test]
fn logs_to_a_file_carry_no_escape_codes() {
    let (_child, log) = start_logging("text");
    let text = std::fs::read_to_string(&log).expect("read log");
    assert!(text.contains("device ready"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "escape codes in a log file: {text:?}"
    );
    let _ = std::fs::remove_dir_all(log.parent().expect("dir"));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let (_child, log) = start_logging("json");
    let text = std::fs::read_to_string(&log).expect("read log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "INFO" && l["fields"]["message"] == "device ready"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(log.parent().expect("dir"));
}
