//! Test harness: starts the built `m2285-sim` binary and talks to it the way real programs do,
//! through its PTY (raw termios) and loopback TCP sockets.

// Each test file uses only some of these helpers (several come from the m2285-harness crate).
#![allow(dead_code, unused_imports)]

pub mod console;
pub mod ctl;
pub mod netns;
pub mod openssl;
pub mod snmp;

pub use m2285_harness::addresses::unique_ip;
use m2285_harness::device::{spawn_ready, READY_TIMEOUT};
pub use m2285_harness::io::{closed_within, read_for, ReadFd};
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::fs::File;
use std::io::Write;
use std::net::{IpAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// The simulator binary cargo built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_m2285-sim")
}

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    m2285_harness::addresses::temp_dir(tag).expect("create temp dir")
}

/// How [`Sim::launch`] starts the binary.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// No `--state-dir`: the default one, under a private `XDG_STATE_HOME`.
    pub default_state_dir: bool,
    /// The process's descriptor limit (RLIMIT_NOFILE, soft and hard).
    pub max_files: Option<u64>,
    /// This state directory (the device's flash and the files it keeps, e.g. the RTC offset),
    /// which outlives the device: for tests of what a device keeps from one run to the next.
    pub state_dir: Option<PathBuf>,
}

/// A running simulator.
pub struct Sim {
    pub child: Child,
    pub dir: PathBuf,
    /// Its state directory.
    pub state: PathBuf,
    pub link: PathBuf,
    pub ip: IpAddr,
    pub ready: Value,
    events: Receiver<Value>,
    pub seen: Vec<Value>,
}

impl Sim {
    /// Starts a device with these extra arguments (e.g. `--set k=v`); free ports are used.
    pub fn start(args: &[&str]) -> Sim {
        Sim::launch(args, Launch::default())
    }

    /// Starts a device whose state directory is `state` (kept after it ends).
    pub fn start_at(state: &Path, args: &[&str]) -> Sim {
        Sim::launch(
            args,
            Launch {
                state_dir: Some(state.to_owned()),
                ..Launch::default()
            },
        )
    }

    /// Starts a device with these extra arguments, launched as `how` says.
    pub fn launch(args: &[&str], how: Launch) -> Sim {
        let dir = temp_dir("sim");
        let link = dir.join("ttyS0");
        Sim::launch_at(dir, link, args, how)
    }

    /// [`Sim::start`] with the PTY link at `link`; `dir` (removed on drop) holds the state.
    pub fn start_with_link(dir: PathBuf, link: PathBuf, args: &[&str]) -> Sim {
        Sim::launch_at(dir, link, args, Launch::default())
    }

    /// [`Sim::launch`] with the PTY link at `link` and the test's files in `dir`.
    fn launch_at(dir: PathBuf, link: PathBuf, args: &[&str], how: Launch) -> Sim {
        let ip = unique_ip();
        let mut cmd = Command::new(binary());
        cmd.arg("--pty")
            .arg(&link)
            .arg("--ip")
            .arg(ip.to_string())
            .args(["--set", "sim.free_ports=true", "--log", "warn"])
            .args(args)
            .stderr(Stdio::inherit());
        let state = if let Some(state) = &how.state_dir {
            cmd.arg("--state-dir").arg(state);
            state.clone()
        } else if how.default_state_dir {
            let xdg = dir.join("xdg");
            cmd.env("XDG_STATE_HOME", &xdg);
            xdg.join("m2285-sim").join(ip.to_string())
        } else {
            cmd.arg("--state-dir").arg(dir.join("state"));
            dir.join("state")
        };
        if let Some(limit) = how.max_files {
            use std::os::unix::process::CommandExt;
            // SAFETY: between fork and exec the closure only calls setrlimit, which is
            // async-signal-safe, and allocates nothing.
            unsafe {
                cmd.pre_exec(move || {
                    nix::sys::resource::setrlimit(
                        nix::sys::resource::Resource::RLIMIT_NOFILE,
                        limit,
                        limit,
                    )
                    .map_err(std::io::Error::from)
                });
            }
        }
        let (child, ready, events) =
            spawn_ready(cmd, READY_TIMEOUT).unwrap_or_else(|e| panic!("m2285-sim: {e}"));
        assert_eq!(ready["event"], "ready", "first line: {ready}");
        Sim {
            child,
            dir,
            state,
            link,
            ip,
            ready,
            events,
            seen: Vec::new(),
        }
    }

    /// The data port from the ready line.
    pub fn data_port(&self) -> u16 {
        self.ready["ports"]["data"].as_u64().expect("ports.data") as u16
    }

    /// Connects a TCP peer to the data port.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect((self.ip, self.data_port())).expect("connect to data port");
        s.set_nodelay(true).ok();
        s
    }

    /// Waits for an event whose `event` field is `name` (earlier events are kept in `seen`).
    pub fn wait_event(&mut self, name: &str, timeout: Duration) -> Value {
        self.wait_for(name, |_| true, timeout)
    }

    /// Opens the serial port like a program would: raw mode at `baud`.
    pub fn open_serial(&self, baud: BaudRate) -> File {
        open_raw(&self.link, baud)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("simulator did not exit within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Opens a tty in raw mode at `baud`.
pub fn open_raw(path: &Path, baud: BaudRate) -> File {
    m2285_harness::io::open_raw(path, baud)
        .unwrap_or_else(|e| panic!("open {} raw: {e}", path.display()))
}

/// `n` random bytes from a fixed seed.
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    use rand::{RngCore, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut v = vec![0u8; n];
    rng.fill_bytes(&mut v);
    v
}

/// Writes all of `data` to `w` from a thread, returning its handle.
pub fn write_in_thread<W: Write + Send + 'static>(
    mut w: W,
    data: Vec<u8>,
) -> std::thread::JoinHandle<W> {
    std::thread::spawn(move || {
        w.write_all(&data).expect("write");
        w.flush().ok();
        w
    })
}

/// Starts `cmd` with stdout and stderr piped and reads its ready line (the first line on
/// stdout), for tests that go on to read everything the binary prints after it.
pub fn spawn_reading_ready(
    cmd: &mut std::process::Command,
) -> (std::process::Child, Value, std::process::ChildStdout) {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = Vec::new();
    let mut b = [0u8; 1];
    while stdout.read(&mut b).unwrap_or(0) == 1 && b[0] != b'\n' {
        first.push(b[0]);
    }
    let ready: Value = serde_json::from_slice(&first).expect("ready line");
    (child, ready, stdout)
}
