//! A console session in command mode, over any byte stream a test can wait on: a Telnet socket
//! (optionally from its own loopback source address) or the PTY (the serial console). The
//! server's Telnet negotiation is ignored: no IAC is ever sent back, so the client stays in
//! NVT defaults.

use super::{ReadFd, Sim};
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The Telnet console's port from the ready line.
pub fn telnet_port(sim: &Sim) -> u16 {
    sim.ready["ports"]["telnet"]
        .as_u64()
        .expect("ports.telnet in the ready line") as u16
}

/// The SSH console's port from the ready line.
pub fn ssh_port(sim: &Sim) -> u16 {
    sim.ready["ports"]["ssh"]
        .as_u64()
        .expect("ports.ssh in the ready line") as u16
}

/// A TCP connection to `sim`'s `port` from the source address `from`.
pub fn connect_from(from: IpAddr, sim: &Sim, port: u16) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect_timeout(
        &SocketAddr::new(sim.ip, port).into(),
        Duration::from_secs(5),
    )?;
    Ok(socket.into())
}

/// A console session: what was read and not yet consumed, and the stream.
pub struct Commands<S: ReadFd + Write> {
    /// The stream to the console.
    pub stream: S,
    seen: Vec<u8>,
}

impl Commands<TcpStream> {
    /// Logs in over Telnet as `user` and enters command mode.
    pub fn open(sim: &Sim, user: &str, password: &str) -> Self {
        let stream = TcpStream::connect((sim.ip, telnet_port(sim))).expect("connect to telnet");
        Commands::login(stream, user, password)
    }
}

impl<S: ReadFd + Write> Commands<S> {
    /// Logs in on `stream` (at its login prompt) and enters command mode.
    pub fn login(stream: S, user: &str, password: &str) -> Self {
        let mut c = Commands {
            stream,
            seen: Vec::new(),
        };
        c.until("login: ");
        c.send(user);
        c.until("Password: ");
        c.send(password);
        c.until("Select: ");
        c.send("9");
        c.until("m2285> ");
        c
    }

    /// A session on `stream` that has not logged in.
    pub fn raw(stream: S) -> Self {
        Commands {
            stream,
            seen: Vec::new(),
        }
    }

    /// Sends one line (CR LF).
    pub fn send(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write to the console");
    }

    /// Reads until `marker`; returns what came before it (after the last call).
    pub fn until(&mut self, marker: &str) -> String {
        let end = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 4096];
        let marker = marker.as_bytes();
        loop {
            if let Some(i) = self.seen.windows(marker.len()).position(|w| w == marker) {
                let before: Vec<u8> = self.seen.drain(..i + marker.len()).take(i).collect();
                return String::from_utf8_lossy(&before).into_owned();
            }
            let text = String::from_utf8_lossy(&self.seen).into_owned();
            assert!(Instant::now() < end, "no {marker:?} in {text:?}");
            if !self.stream.wait_readable(Duration::from_millis(200)) {
                continue;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => panic!("console closed; saw {text:?}"),
                Ok(n) => self.seen.extend(buf[..n].iter().filter(|b| **b != 0)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("reading the console: {e}; saw {text:?}"),
            }
        }
    }

    /// Runs one command; returns everything it printed, status line last.
    pub fn answer(&mut self, line: &str) -> String {
        self.send(line);
        self.until("m2285> ")
    }

    /// Runs one command; returns its status line (`OK ...` or `ERR ...`).
    pub fn run(&mut self, line: &str) -> String {
        let answer = self.answer(line);
        answer
            .lines()
            .map(str::trim)
            .rfind(|l| l.starts_with("OK") || l.starts_with("ERR"))
            .unwrap_or_else(|| panic!("{line}: no status line in {answer:?}"))
            .to_owned()
    }
}
