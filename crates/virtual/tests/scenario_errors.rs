//! A scenario file with mistakes is refused before it runs, every mistake named with its line.

use m2285_virtual::scenario::{parse_str, ScenarioErrors};

fn errors(text: &str) -> ScenarioErrors {
    match parse_str(text) {
        Ok(_) => panic!("accepted a bad scenario:\n{text}"),
        Err(e) => e,
    }
}

fn lines(e: &ScenarioErrors) -> Vec<usize> {
    e.errors.iter().map(|e| e.line).collect()
}

#[test]
fn three_mistakes_three_line_numbers() {
    let e = errors(
        r#"name = "bad"

[device]
set = ["port1.serial.baud=12345"]

[[step]]
wait = "30"

[[step]]
expect_serial = "OK"
within = "20ms"
colour = "red"
"#,
    );
    assert_eq!(lines(&e), [4, 7, 12], "{e}");
    let text = e.to_string();
    assert!(
        text.contains("<scenario>:4: set \"port1.serial.baud=12345\""),
        "{text}"
    );
    assert!(text.contains("one of 75, 110"), "{text}");
    assert!(
        text.contains("<scenario>:7: `wait`: expected a duration with a unit"),
        "{text}"
    );
    assert!(text.contains("<scenario>:12: unknown key `colour` in a `expect_serial` step; expected one of: expect_serial, within, not"), "{text}");
}

#[test]
fn fault_parameters_peers_and_steps_are_checked() {
    let e = errors(
        r#"[[peer]]
name = "scada"

[[fault]]
name = "serial.bit_errors"
ber = "lots"

[[step]]
inject = "net.partition"
peer = "scada"
duration = "forever"

[[step]]
peer_send = "plc"
text = "x"

[[step]]
connect = "scada"
wait = "1s"

[[step]]
inject = "net.gremlins"

[[step]]
expect_peer_state = "scada"
state = "sleepy"

[[step]]
expect_stat = "bogus_counter"
equals = 1

[[step]]
repeat = 0
"#,
    );
    assert_eq!(lines(&e), [6, 11, 14, 19, 22, 26, 29, 33, 33], "{e}");
    let text = e.to_string();
    assert!(
        text.contains("serial.bit_errors: parameter `ber`: expected a probability"),
        "{text}"
    );
    assert!(text.contains("unknown peer \"plc\""), "{text}");
    assert!(text.contains("found both `connect` and `wait`"), "{text}");
    assert!(text.contains("net.partition"), "{text}");
    assert!(text.contains("sessions_closed"), "{text}");
}

#[test]
fn toml_syntax_errors_have_lines_too() {
    let e = errors("name = \"x\"\n\n[[step]\nwait = \"1s\"\n");
    assert_eq!(lines(&e), [3], "{e}");
    assert!(e.to_string().contains("not valid TOML"), "{e}");
}

#[test]
fn a_missing_file_and_an_empty_step_are_reported() {
    let e = m2285_virtual::scenario::parse_file("/nonexistent/scenario.toml");
    assert!(e.is_err());
    let e = errors("[[step]]\n\n[device]\nconfig = \"/nonexistent.toml\"\n");
    assert_eq!(lines(&e), [1, 4], "{e}");
}

#[test]
fn damaged_scenarios_are_refused_without_panicking() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut checked = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for i in 0..lines.len() {
            // Each line dropped, and each value replaced by values of the wrong kind.
            let mut variants = vec![[&lines[..i], &lines[i + 1..]].concat().join("\n")];
            if let Some((key, _)) = lines[i].split_once(" = ") {
                for bad in [
                    "{}",
                    "[1, \"a\"]",
                    "-1",
                    "\"\"",
                    "true",
                    "1e400",
                    "\"\u{1F600}\"",
                ] {
                    let mut copy = lines.clone();
                    let replaced = format!("{key} = {bad}");
                    copy[i] = &replaced;
                    variants.push(copy.join("\n"));
                }
            }
            for v in variants {
                let _ = parse_str(&v);
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}
