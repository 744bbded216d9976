//! Test harness: starts the built `m2285-sim` binary and talks to it the way real programs do,
//! through its PTY (raw termios) and loopback TCP sockets.

#![allow(dead_code)]

pub mod ctl;
pub mod openssl;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, BaudRate, SetArg};
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The simulator binary cargo built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_m2285-sim")
}

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("m2285-test-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A loopback address of its own for each simulator a test starts.
pub fn unique_ip() -> IpAddr {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    IpAddr::V4(Ipv4Addr::new(
        127,
        100 + (pid % 100) as u8,
        (n / 250) as u8,
        (n % 250 + 1) as u8,
    ))
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
            .stdout(Stdio::piped())
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
        let mut child = cmd.spawn().expect("start m2285-sim");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str::<Value>(&line) {
                    Ok(v) => {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                    Err(e) => panic!("stdout line is not JSON: {line:?}: {e}"),
                }
            }
        });
        let ready = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the simulator printed no ready line");
        assert_eq!(ready["event"], "ready", "first line: {ready}");
        Sim {
            child,
            dir,
            state,
            link,
            ip,
            ready,
            events: rx,
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
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOCTTY)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut t = termios::tcgetattr(&f).expect("tcgetattr");
    termios::cfmakeraw(&mut t);
    termios::cfsetspeed(&mut t, baud).expect("cfsetspeed");
    termios::tcsetattr(&f, SetArg::TCSANOW, &t).expect("tcsetattr");
    f
}

/// Reads from `f` until `want` bytes arrived or `timeout` passed; returns what arrived.
pub fn read_for(f: &mut impl ReadFd, want: usize, timeout: Duration) -> Vec<u8> {
    let end = Instant::now() + timeout;
    let mut got = Vec::with_capacity(want);
    let mut buf = vec![0u8; 65536];
    while got.len() < want {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        if !f.wait_readable(left) {
            break;
        }
        match f.read(&mut buf[..(want - got.len()).min(65536)]) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    got
}

/// Something readable that can wait for input with a timeout.
pub trait ReadFd: Read {
    /// True when input (or end of stream) is waiting.
    fn wait_readable(&self, timeout: Duration) -> bool;
}

fn wait_fd(fd: impl AsFd, timeout: Duration) -> bool {
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    let ms = timeout.as_millis().min(60_000) as u16;
    matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
}

impl ReadFd for File {
    fn wait_readable(&self, timeout: Duration) -> bool {
        wait_fd(self, timeout)
    }
}

impl ReadFd for TcpStream {
    fn wait_readable(&self, timeout: Duration) -> bool {
        wait_fd(self, timeout)
    }
}

/// True when the peer closed the stream (EOF) within `timeout`.
pub fn closed_within(s: &mut TcpStream, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        if !s.wait_readable(end.saturating_duration_since(Instant::now())) {
            return false;
        }
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return true,
        }
    }
    false
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
