//! The device's e-mails and locating-server reports, carried out for `m2285-notify`.
//!
//! An e-mail is one SMTP conversation on a helper thread (a slow server must not hold up the
//! loop); its outcome comes back through the loop's waker as an `email_sent` or `email_failed`
//! event. Locating reports are UDP datagrams from a socket of their own, every
//! `network.locating.interval_s`, the first at power-on.

use m2285_core::admin::identity::MODEL;
use m2285_core::config::Config;
use m2285_core::Device;
use m2285_notify::locating::Report;
use m2285_notify::smtp::{Dialogue, Mail, Progress};
use m2285_time::Instant;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

/// How long a conversation step may take before the e-mail is given up.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The e-mail a port event calls for, or `None` when no server or recipient is configured.
pub fn port_event_mail(config: &Config, ip: IpAddr, keyword: &str, now: Instant) -> Option<Mail> {
    let to = config.port1.events.email_to.clone();
    if config.network.smtp.server.is_empty() || to.is_empty() {
        return None;
    }
    let name = config.system.device_name.as_str();
    Some(Mail {
        from: config.network.smtp.sender.clone(),
        to,
        subject: format!("{name}: port 1 event \"{keyword}\""),
        body: format!(
            "The keyword \"{keyword}\" appeared in the data of serial port 1.\n\
             Device: {name} ({}), {ip}, up {:.3} s.\n",
            MODEL,
            now.as_nanos() as f64 / 1e9
        ),
    })
}

/// Delivers `mail` through the configured SMTP server; blocking (call it on a helper thread).
pub fn send_mail(config: &Config, mail: Mail) -> Result<(), String> {
    let smtp = &config.network.smtp;
    let addr = (smtp.server.as_str(), smtp.port)
        .to_socket_addrs()
        .map_err(|e| format!("SMTP server {}: {e}", smtp.server))?
        .find(|a| a.ip().is_loopback())
        .ok_or_else(|| format!("SMTP server {}: no loopback address", smtp.server))?;
    let mut stream = TcpStream::connect_timeout(&addr, SMTP_TIMEOUT)
        .map_err(|e| format!("SMTP server {addr}: {e}"))?;
    stream.set_read_timeout(Some(SMTP_TIMEOUT)).ok();
    stream.set_write_timeout(Some(SMTP_TIMEOUT)).ok();
    let auth = smtp
        .auth
        .then(|| (smtp.user.clone(), smtp.password.clone()));
    let mut dialogue = Dialogue::new(mail, "m2285", auth);
    let mut buf = [0u8; 4096];
    loop {
        let n = stream
            .read(&mut buf)
            .map_err(|e| format!("SMTP server {addr}: {e}"))?;
        if n == 0 {
            return if dialogue.delivered() {
                Ok(())
            } else {
                Err(format!("SMTP server {addr} closed the connection"))
            };
        }
        match dialogue.receive(&buf[..n]) {
            Progress::Send(bytes) => stream
                .write_all(&bytes)
                .map_err(|e| format!("SMTP server {addr}: {e}"))?,
            Progress::Wait => {}
            Progress::Done => return Ok(()),
            Progress::Failed(line) => return Err(format!("SMTP server {addr}: {line}")),
        }
    }
}

/// The locating-server reporter.
pub struct Locating {
    socket: Option<UdpSocket>,
    next: Option<Instant>,
}

impl Locating {
    /// A reporter for the device at `ip`; the first report is due at `now` when enabled.
    pub fn new(config: &Config, ip: IpAddr, now: Instant) -> Locating {
        let socket = config
            .network
            .locating
            .enabled
            .then(|| UdpSocket::bind(SocketAddr::new(ip, 0)))
            .and_then(|r| {
                r.map_err(|e| tracing::warn!("locating reports: cannot open a socket: {e}"))
                    .ok()
            });
        if let Some(s) = &socket {
            s.set_nonblocking(true).ok();
        }
        Locating {
            next: socket.as_ref().map(|_| now),
            socket,
        }
    }

    /// When the next report is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.next
    }

    /// Sends the report if it is due; returns its size for the interface counters.
    pub fn tick(
        &mut self,
        device: &Device,
        ip: IpAddr,
        ports: &BTreeMap<&'static str, u16>,
        now: Instant,
    ) -> Option<usize> {
        let (Some(socket), Some(next)) = (&self.socket, self.next) else {
            return None;
        };
        if now < next {
            return None;
        }
        let config = device.config();
        let l = &config.network.locating;
        self.next = Some(now + Duration::from_secs(u64::from(l.interval_s)));
        let v4 = match ip {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        };
        let port = if config.port1.enabled {
            ports.get("data").copied().unwrap_or(0)
        } else {
            0
        };
        let report = Report {
            name: config.system.device_name.clone(),
            model: MODEL.to_owned(),
            serial: device.admin().identity.serial_number.clone(),
            mac: device.admin().identity.mac_octets(),
            ip: v4,
            ports: vec![port],
        };
        let bytes = report.encode();
        match socket.send_to(&bytes, (l.server, l.port)) {
            Ok(_) => Some(bytes.len()),
            Err(e) => {
                tracing::debug!("locating report not sent: {e}");
                None
            }
        }
    }
}

impl super::Runtime {
    /// Sends the e-mail a port event asks for, on a helper thread.
    pub(super) fn mail_for(&mut self, event: &m2285_core::io::DeviceEvent, now: Instant) {
        let m2285_core::io::DeviceEvent::PortEvent {
            keyword,
            email: true,
            ..
        } = event
        else {
            return;
        };
        let config = self.device.config().clone();
        let Some(mail) = port_event_mail(&config, self.ip, keyword, now) else {
            return;
        };
        let (tx, waker) = (self.wake_tx.clone(), self.waker.clone());
        let (to, keyword) = (mail.to.clone(), keyword.clone());
        let spawned = std::thread::Builder::new()
            .name("smtp".into())
            .spawn(move || {
                let result = send_mail(&config, mail);
                let _ = tx.send(super::Wakeup::MailDone {
                    to,
                    keyword,
                    result,
                });
                let _ = waker.wake();
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the e-mail thread: {e}");
        }
    }
}
