//! What the simulator does with files on the host: its state directory is private and nothing
//! is written through a link planted there, user-named files are read only when they are
//! regular files of a sane size, traces are private, and a low descriptor limit is lifted.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Runs `cmd` to its exit, or kills it after `timeout` (then `None`). The child's address
/// space is capped at 2 GB so a runaway read fails fast instead of eating the machine.
fn run_capped(cmd: &mut Command, timeout: Duration) -> Option<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start m2285-sim");
    let end = Instant::now() + timeout;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().expect("output"))
}

/// `sh -c 'ulimit -v 2000000; ulimit -Sn NOFILE; exec m2285-sim ARGS'`.
fn sim_in_shell(nofile: Option<u32>, args: &[&str]) -> Command {
    let limit = nofile.map_or(String::new(), |n| format!("ulimit -Sn {n}; "));
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v 2000000; {limit}exec \"$0\" \"$@\""))
        .arg(binary())
        .args(args);
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).expect("metadata").mode() & 0o777
}

#[test]
fn the_device_key_is_never_written_through_a_link_planted_in_its_state_directory() {
    let dir = temp_dir("planted");
    let state = dir.join("state");
    fs::create_dir(&state).expect("mkdir");
    fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).expect("chmod");
    let victim = dir.join("victim");
    fs::write(&victim, "v\n").expect("victim");
    // The names the old writer used for its temporary files.
    symlink(&victim, state.join("device.key.tmp")).expect("plant");
    symlink(&victim, state.join("device.crt.tmp")).expect("plant");
    let ip = unique_ip().to_string();
    let out = run_capped(
        Command::new(binary())
            .args(["print-cert", "--ip", &ip, "--config"])
            .arg(repo("sim-configs/tls-server.toml"))
            .arg("--state-dir")
            .arg(&state),
        Duration::from_secs(20),
    )
    .expect("print-cert exits");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "v\n");
    let key = state.join("device.key");
    assert!(fs::symlink_metadata(&key).expect("key").is_file());
    assert_eq!(mode(&key), 0o600);
    assert!(fs::read_to_string(&key)
        .expect("key")
        .starts_with("-----BEGIN EC PRIVATE KEY-----"));
    assert_eq!(
        fs::read(state.join("device.crt")).expect("crt"),
        out.stdout,
        "the certificate printed is the one kept"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_state_directory_other_users_can_write_is_refused() {
    // The issue's reproduction: a world-writable directory with a link planted in it.
    let dir = temp_dir("shared-state");
    let shared = dir.join("ww");
    fs::create_dir(&shared).expect("mkdir");
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).expect("chmod");
    let victim = dir.join("victim");
    fs::write(&victim, "v\n").expect("victim");
    symlink(&victim, shared.join("device.key.tmp")).expect("plant");
    let ip = unique_ip().to_string();
    let out = run_capped(
        Command::new(binary())
            .arg("--pty")
            .arg(dir.join("t"))
            .args(["--ip", &ip, "--set", "sim.free_ports=true", "--config"])
            .arg(repo("sim-configs/tls-server.toml"))
            .arg("--state-dir")
            .arg(&shared),
        Duration::from_secs(10),
    )
    .expect("the simulator refuses at once instead of running");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("is writable by group or others (mode 777)") && err.contains("private"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "v\n");
    assert!(fs::symlink_metadata(shared.join("device.key")).is_err());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn without_a_home_the_state_directory_is_private_to_the_user_not_shared_in_tmp() {
    let tmp = temp_dir("nohome");
    let ip = unique_ip().to_string();
    let print_cert = || {
        run_capped(
            Command::new(binary())
                .env_remove("HOME")
                .env_remove("XDG_STATE_HOME")
                .env("TMPDIR", &tmp)
                .args(["print-cert", "--ip", &ip]),
            Duration::from_secs(20),
        )
        .expect("print-cert exits")
    };
    let out = print_cert();
    assert!(out.status.success(), "{}", stderr(&out));
    let uid = fs::metadata(&tmp).expect("tmp").uid();
    let root = tmp.join(format!("m2285-sim-{uid}"));
    assert_eq!(mode(&root), 0o700, "per-user root, private");
    assert_eq!(mode(&root.join(&ip)), 0o700);
    assert_eq!(mode(&root.join(&ip).join("device.key")), 0o600);
    assert!(!tmp.join("m2285-sim").exists(), "no shared name");

    // Planted in advance by someone else (here: opened up), it is refused, not used.
    fs::set_permissions(&root, fs::Permissions::from_mode(0o777)).expect("chmod");
    let out = print_cert();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("writable by group or others"),
        "{}",
        stderr(&out)
    );
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn devices_and_oversized_files_are_refused_as_configuration_or_scenario() {
    let dir = temp_dir("devzero");
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    let huge = dir.join("huge.toml");
    fs::File::create(&huge)
        .and_then(|f| f.set_len(17 << 20))
        .expect("sparse file");
    let ip = unique_ip().to_string();
    let pty = dir.join("t");
    let pty = pty.to_str().unwrap_or_default();
    let state = dir.join("state");
    let state = state.to_str().unwrap_or_default();
    let fifo = fifo.to_str().unwrap_or_default();
    let huge = huge.to_str().unwrap_or_default();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["check-config", "/dev/zero"], "not a regular file"),
        (vec!["check-config", fifo], "not a regular file"),
        (
            vec!["check-config", huge],
            "larger than the 16777216-byte limit",
        ),
        (
            vec![
                "--pty",
                pty,
                "--ip",
                &ip,
                "--state-dir",
                state,
                "--config",
                "/dev/zero",
            ],
            "not a regular file",
        ),
        (
            vec![
                "--pty",
                pty,
                "--ip",
                &ip,
                "--state-dir",
                state,
                "--config",
                huge,
            ],
            "larger than",
        ),
        (vec!["run", "/dev/zero"], "not a regular file"),
        (vec!["run", fifo], "not a regular file"),
    ];
    for (args, want) in cases {
        let out = run_capped(&mut sim_in_shell(None, &args), Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{args:?} still running after 10 s"));
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains(want) && err.contains("refused"),
            "{args:?}: {err}"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn traces_are_private_and_replace_a_planted_link_instead_of_following_it() {
    let out_dir = temp_dir("trace");
    let victim = out_dir.join("victim");
    fs::write(&victim, "v\n").expect("victim");
    let trace = out_dir.join("run.jsonl");
    symlink(&victim, &trace).expect("plant");
    let mut sim = Sim::start(&["--trace", trace.to_str().unwrap_or_default()]);
    let mut serial = sim.open_serial(nix::sys::termios::BaudRate::B9600);
    let mut net = sim.connect();
    std::io::Write::write_all(&mut serial, b"password\r").expect("write");
    assert_eq!(
        read_for(&mut net, 9, Duration::from_secs(10)),
        b"password\r"
    );
    sim.terminate();
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "v\n");
    assert!(fs::symlink_metadata(&trace).expect("trace").is_file());
    assert_eq!(mode(&trace), 0o600);
    let text = fs::read_to_string(&trace).expect("trace");
    assert!(text.contains("serial_in"), "{text}");

    // The virtual-time runner's traces too.
    let vtrace = out_dir.join("virtual.jsonl");
    symlink(&victim, &vtrace).expect("plant");
    let out = Command::new(binary())
        .arg("run")
        .arg(repo("scenarios/modem-dial-hangup.toml"))
        .arg("--trace")
        .arg(&vtrace)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "v\n");
    assert_eq!(mode(&vtrace), 0o600);
    let _ = fs::remove_dir_all(&out_dir);
}

#[test]
fn a_low_soft_descriptor_limit_is_raised_to_the_hard_one_at_start() {
    // Far fewer descriptors than one device holds: it boots only if the soft limit is lifted.
    let dir = temp_dir("nofile");
    let ip = unique_ip().to_string();
    let pty = dir.join("t");
    let state = dir.join("state");
    let mut child = sim_in_shell(
        Some(8),
        &[
            "--pty",
            pty.to_str().unwrap_or_default(),
            "--ip",
            &ip,
            "--state-dir",
            state.to_str().unwrap_or_default(),
            "--set",
            "sim.free_ports=true",
            "--log",
            "warn",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start");
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let _ = std::io::BufRead::read_line(&mut out, &mut line);
    let _ = child.kill();
    let waited = child.wait_with_output().expect("wait");
    assert!(
        line.contains(r#""event":"ready""#),
        "no ready line: {line:?} {}",
        stderr(&waited)
    );
    let _ = fs::remove_dir_all(&dir);
}
