//! [`Sim`]: the `m2285-sim` binary started for a test, cleaned up on drop.

use crate::addresses::{temp_dir, unique_ip};
use crate::control::Control;
use crate::events::{read_json_lines, wait_matching};
use crate::io::open_raw;
use nix::sys::termios::BaudRate;
use serde_json::Value;
use std::fs::File;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// How long a simulator may take to print its ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Spawns `cmd` with stdout piped and waits for its first line, which must be the ready line
/// (`{"event": "ready", ...}`). Returns the child, the ready line and the channel of the lines
/// that follow. On failure the child is killed.
pub fn spawn_ready(
    mut cmd: Command,
    timeout: Duration,
) -> Result<(Child, Value, Receiver<Value>), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start {cmd:?}: {e}"))?;
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Err("no stdout".into());
    };
    let events = read_json_lines(stdout);
    match events.recv_timeout(timeout) {
        Ok(ready) if ready["event"] == "ready" => Ok((child, ready, events)),
        other => {
            let _ = child.kill();
            let status = child.wait().ok();
            Err(format!(
                "no ready line within {timeout:?} (got {other:?}, exit {status:?}): {cmd:?}"
            ))
        }
    }
}

/// How to start a simulator: [`Sim::builder`], then `config`, `set`, `arg`, and `start`.
#[derive(Debug, Default, Clone)]
pub struct SimBuilder {
    binary: Option<PathBuf>,
    config: Option<PathBuf>,
    sets: Vec<String>,
    args: Vec<String>,
    ip: Option<IpAddr>,
    log: Option<String>,
}

impl SimBuilder {
    /// The binary to run (default [`crate::binary::sim_binary`]).
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// A configuration file (`--config`).
    pub fn config(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = Some(path.into());
        self
    }

    /// One configuration key (`--set KEY=VALUE`).
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.sets.push(format!("{key}={value}"));
        self
    }

    /// Any other argument, e.g. `--seed` then `7`.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// The device's address (default: [`unique_ip`]).
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// The log filter for stderr (default `warn`).
    pub fn log(mut self, filter: &str) -> Self {
        self.log = Some(filter.to_owned());
        self
    }

    /// Starts the simulator with free ports (`sim.free_ports=true`, which a later `set` can
    /// override) and a PTY link and state directory in a fresh temporary directory.
    pub fn start(self) -> Result<Sim, String> {
        let binary = match self.binary {
            Some(b) => b,
            None => crate::binary::sim_binary()?,
        };
        let dir = temp_dir("sim").map_err(|e| format!("temporary directory: {e}"))?;
        let link = dir.join("ttyS0");
        let ip = self.ip.unwrap_or_else(unique_ip);
        let mut cmd = Command::new(&binary);
        cmd.arg("--pty")
            .arg(&link)
            .arg("--ip")
            .arg(ip.to_string())
            .arg("--state-dir")
            .arg(dir.join("state"))
            .args(["--set", "sim.free_ports=true", "--log"])
            .arg(self.log.as_deref().unwrap_or("warn"));
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        for set in &self.sets {
            cmd.arg("--set").arg(set);
        }
        cmd.args(&self.args).stderr(Stdio::inherit());
        let started = Instant::now();
        let (child, ready, events) = spawn_ready(cmd, READY_TIMEOUT).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })?;
        Ok(Sim {
            child,
            dir,
            link,
            ip,
            ready,
            events,
            seen: Vec::new(),
            startup: started.elapsed(),
        })
    }
}

/// A running simulator. Dropping it kills the process and removes its temporary directory
/// (PTY link, state directory).
#[derive(Debug)]
pub struct Sim {
    /// The process.
    pub child: Child,
    /// Its temporary directory.
    pub dir: PathBuf,
    /// The PTY's symlink.
    pub link: PathBuf,
    /// The device's loopback address.
    pub ip: IpAddr,
    /// The ready line.
    pub ready: Value,
    events: Receiver<Value>,
    /// Every event received so far, in order.
    pub seen: Vec<Value>,
    /// From spawning the process to its ready line.
    pub startup: Duration,
}

impl Sim {
    /// A builder with the defaults: factory configuration, free ports, own address.
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// A port from the ready line (`data`, `control`, ...).
    pub fn port(&self, name: &str) -> Option<u16> {
        self.ready["ports"][name]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
    }

    /// The data port's address.
    pub fn data_addr(&self) -> Result<SocketAddr, String> {
        let port = self.port("data").ok_or("no data port in the ready line")?;
        Ok(SocketAddr::new(self.ip, port))
    }

    /// The device's state directory.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// A TCP connection to the data port (Nagle off).
    pub fn connect(&self) -> Result<TcpStream, String> {
        let addr = self.data_addr()?;
        let s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        s.set_nodelay(true).ok();
        Ok(s)
    }

    /// The serial port opened raw at `baud`, as a program would.
    pub fn open_serial(&self, baud: BaudRate) -> std::io::Result<File> {
        open_raw(&self.link, baud)
    }

    /// The control API's client. Panics if the ready line has no control port (the binary is
    /// not m2285-sim), which is a mistake in the test, not in input.
    pub fn control(&self) -> Control {
        let port = self.port("control").unwrap_or(0);
        Control::new(SocketAddr::new(self.ip, port), Some(self.state_dir()))
    }

    /// Waits for an event named `name` for which `pred` holds (events seen earlier count).
    pub fn wait_for(
        &mut self,
        name: &str,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Value, String> {
        wait_matching(&self.events, &mut self.seen, name, pred, timeout)
    }

    /// The PTY link's path.
    pub fn link(&self) -> &Path {
        &self.link
    }

    /// Sends SIGTERM and waits up to 10 s for the exit status (then SIGKILL and an error).
    pub fn terminate(&mut self) -> Result<ExitStatus, String> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Ok(status);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                return Err("the simulator did not exit within 10 s of SIGTERM".into());
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
