//! The host PTY that stands for the device's serial connector.
//!
//! The simulator holds the PTY *master*; the serial-side program opens the slave
//! (`/dev/pts/N`, or the stable symlink made with `--pty PATH`). The simulator does not keep the
//! slave open itself, so it can tell whether a program holds the port: with no program on the
//! slave the master reports a hang-up. What a PTY can and cannot carry is in `docs/serial-port.md`.

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, BaudRate, SetArg};
use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::Child;

/// A PTY pair whose master the simulator owns, with its optional symlink.
pub struct HostPty {
    master: OwnedFd,
    slave_path: PathBuf,
    link: Option<PathBuf>,
    /// The slave, kept only until a program is attached with [`HostPty::spawn_attached`].
    pts: Option<pty_process::blocking::Pts>,
    /// The claim on `link`, released (and its file removed) after the link is removed.
    _link_lock: Option<m2285_hostfs::Lock>,
}

impl HostPty {
    /// Creates a PTY in raw mode (no echo, no line editing, 8 bit clean), makes its master
    /// non-blocking, and, when `link` is given, points a symlink there at the slave.
    ///
    /// A dangling symlink or one to an old `/dev/pts` entry at `link` is replaced, unless a
    /// live simulator holds it (its lock, see the module docs); a regular file, a directory or
    /// any other symlink is refused with an error and left untouched.
    pub fn open(link: Option<&Path>, keep_slave_for_attach: bool) -> io::Result<Self> {
        let link_lock = match link {
            Some(link) => {
                let lock = claim_link(link)?;
                check_link_target(link)?;
                Some(lock)
            }
            None => None,
        };
        let (pty, pts) = pty_process::blocking::open().map_err(io::Error::other)?;
        let master: OwnedFd = pty.into();
        let slave_path = fs::read_link(format!("/proc/self/fd/{}", pts.as_fd().as_raw_fd()))?;
        let mut t = termios::tcgetattr(&master).map_err(io::Error::from)?;
        termios::cfmakeraw(&mut t);
        termios::cfsetspeed(&mut t, BaudRate::B9600).map_err(io::Error::from)?;
        termios::tcsetattr(&master, SetArg::TCSANOW, &t).map_err(io::Error::from)?;
        set_nonblocking(&master)?;
        let mut me = HostPty {
            master,
            slave_path,
            link: None,
            pts: keep_slave_for_attach.then_some(pts),
            _link_lock: link_lock,
        };
        if let Some(link) = link {
            replace_symlink(&me.slave_path, link)?;
            me.link = Some(link.to_path_buf());
        }
        Ok(me)
    }

    /// The slave device, e.g. `/dev/pts/3`.
    pub fn slave_path(&self) -> &Path {
        &self.slave_path
    }

    /// The symlink made for `--pty PATH`, if any.
    pub fn link(&self) -> Option<&Path> {
        self.link.as_deref()
    }

    /// The master's raw fd, for registering with an event loop.
    pub fn master_fd(&self) -> RawFd {
        self.master.as_raw_fd()
    }

    /// Starts `command` (run by `/bin/sh -c`) with the PTY slave as its terminal and stdio.
    /// Only possible once, and only when the PTY was opened with `keep_slave_for_attach`.
    pub fn spawn_attached(&mut self, command: &str) -> io::Result<Child> {
        let pts = self
            .pts
            .take()
            .ok_or_else(|| io::Error::other("the PTY slave is not available for --attach"))?;
        pty_process::blocking::Command::new("/bin/sh")
            .arg("-c")
            .arg(command)
            .spawn(pts)
            .map_err(io::Error::other)
    }

    /// Reads what the serial-side program wrote. `Ok(0)` means nothing is waiting;
    /// [`PtyRead::Hangup`] that no program holds the slave.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<PtyRead> {
        match nix::unistd::read(&self.master, buf) {
            Ok(0) => Ok(PtyRead::Hangup),
            Ok(n) => Ok(PtyRead::Data(n)),
            Err(nix::errno::Errno::EAGAIN) => Ok(PtyRead::Data(0)),
            Err(nix::errno::Errno::EIO) => Ok(PtyRead::Hangup),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes bytes towards the program; returns how many the kernel took (0 when its buffer is
    /// full).
    pub fn write(&self, data: &[u8]) -> io::Result<usize> {
        match nix::unistd::write(&self.master, data) {
            Ok(n) => Ok(n),
            Err(nix::errno::Errno::EAGAIN) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// True when some program holds the slave open (the master does not report a hang-up).
    pub fn peer_attached(&self) -> bool {
        let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLOUT)];
        match poll(&mut fds, PollTimeout::ZERO) {
            Ok(_) => !fds[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLHUP)),
            Err(_) => false,
        }
    }

    /// True when bytes the program wrote wait to be read from the master. The kernel keeps
    /// them after the program closes the slave, so a hang-up alone does not mean that
    /// everything the program wrote has been taken.
    pub fn has_input(&self) -> bool {
        let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::ZERO) {
            Ok(_) => fds[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLIN)),
            Err(_) => false,
        }
    }

    /// Takes out what the device wrote that the program never read before it closed the port,
    /// and returns how many bytes that was. The kernel would keep them on the slave and hand
    /// them to the next program that opens it (stale data from an earlier session); a real
    /// UART's receive buffer is gone when the program closes its port. Call it only once no
    /// program holds the slave: it opens the slave for a moment to read them.
    pub fn discard_unread_by_program(&self) -> io::Result<usize> {
        use nix::fcntl::{open, OFlag};
        use nix::sys::stat::Mode;
        let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        let slave = open(&self.slave_path, flags, Mode::empty()).map_err(io::Error::from)?;
        // A program may have left the line in canonical mode, where reads return only whole
        // lines: read in raw mode, then put its settings back for the next program.
        let saved = termios::tcgetattr(&slave).map_err(io::Error::from)?;
        let mut raw_mode = saved.clone();
        termios::cfmakeraw(&mut raw_mode);
        termios::tcsetattr(&slave, SetArg::TCSANOW, &raw_mode).map_err(io::Error::from)?;
        let mut buf = [0u8; 4096];
        let mut discarded = 0;
        loop {
            match nix::unistd::read(&slave, &mut buf) {
                Ok(0) => break,
                Ok(n) => discarded += n,
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => break,
            }
        }
        termios::tcsetattr(&slave, SetArg::TCSANOW, &saved).map_err(io::Error::from)?;
        Ok(discarded)
    }

    /// Makes the slave show `baud` (when it is a standard rate and not already shown), as a
    /// port freshly set up by the device would.
    ///
    /// The runtime calls it while no program holds the port, so a program that opens the port
    /// and never sets a speed sees the device's own rate (no mismatch), and a rate left behind
    /// by the previous program does not count against the next one: only a program that sets
    /// a different rate itself causes a `baud_mismatch`, once per open (docs/serial-port.md).
    pub fn present_rate(&self, baud: u32) -> io::Result<()> {
        let Some(speed) = u32_to_baud(baud) else {
            return Ok(());
        };
        let mut t = termios::tcgetattr(&self.master).map_err(io::Error::from)?;
        if termios::cfgetospeed(&t) == speed && termios::cfgetispeed(&t) == speed {
            return Ok(());
        }
        termios::cfsetspeed(&mut t, speed).map_err(io::Error::from)?;
        termios::tcsetattr(&self.master, SetArg::TCSANOW, &t).map_err(io::Error::from)
    }

    /// The baud rate the serial-side program set on the slave, read through the master.
    /// `None` for a rate outside the standard list.
    pub fn observed_baud(&self) -> Option<u32> {
        let t = termios::tcgetattr(&self.master).ok()?;
        baud_to_u32(termios::cfgetospeed(&t))
    }
}

impl std::fmt::Debug for HostPty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPty")
            .field("slave_path", &self.slave_path)
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

impl Drop for HostPty {
    /// Removes the symlink, but only while it still points at this PTY.
    fn drop(&mut self) {
        if let Some(link) = &self.link {
            if fs::read_link(link).ok().as_deref() == Some(self.slave_path.as_path()) {
                let _ = fs::remove_file(link);
            }
        }
    }
}

/// The outcome of a read from the PTY master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtyRead {
    /// This many bytes were read (0: none waiting).
    Data(usize),
    /// No program holds the slave open.
    Hangup,
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let flags = fcntl(fd, FcntlArg::F_GETFL).map_err(io::Error::from)?;
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(fd, FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;
    Ok(())
}

/// The lock file that claims `link`: `.NAME.lock` in the link's directory.
fn lock_path(link: &Path) -> io::Result<PathBuf> {
    let name = link
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--pty needs a file path"))?;
    let mut lock = std::ffi::OsString::from(".");
    lock.push(name);
    lock.push(".lock");
    Ok(link.with_file_name(lock))
}

/// Takes the lock on `link`, or refuses because a running simulator holds it.
fn claim_link(link: &Path) -> io::Result<m2285_hostfs::Lock> {
    let path = lock_path(link)?;
    let held = m2285_hostfs::try_lock(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("--pty {}: {e}", link.display())))?;
    held.map_err(|holder| {
        let who = holder.map_or_else(|| "another running simulator".to_owned(), |pid| {
            format!("another running simulator (pid {pid})")
        });
        io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "--pty {}: in use by {who}; refusing to take over its serial port (stop it or pick another path)",
                link.display()
            ),
        )
    })
}

/// Refuses to put a link where it would destroy user data.
fn check_link_target(link: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(link) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_symlink() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "a file that is not a symlink"
        };
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("--pty {}: {what} is there; refusing to replace it (remove it or pick another path)", link.display()),
        ));
    }
    let target = fs::read_link(link)?;
    let dangling = fs::metadata(link).is_err();
    if dangling || target.starts_with("/dev/pts") {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "--pty {}: a symlink to {} is there; refusing to replace a link that is not a stale PTY link",
            link.display(),
            target.display()
        ),
    ))
}

/// Points `link` at `target` atomically (a temporary link renamed over the old one).
fn replace_symlink(target: &Path, link: &Path) -> io::Result<()> {
    let name = link
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--pty needs a file path"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = link.with_file_name(tmp_name);
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    fs::rename(&tmp, link).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// The standard termios speeds and their rates in bits per second.
const RATES: [(BaudRate, u32); 30] = {
    use BaudRate::*;
    [
        (B50, 50),
        (B75, 75),
        (B110, 110),
        (B134, 134),
        (B150, 150),
        (B200, 200),
        (B300, 300),
        (B600, 600),
        (B1200, 1200),
        (B1800, 1800),
        (B2400, 2400),
        (B4800, 4800),
        (B9600, 9600),
        (B19200, 19200),
        (B38400, 38400),
        (B57600, 57600),
        (B115200, 115200),
        (B230400, 230400),
        (B460800, 460800),
        (B500000, 500000),
        (B576000, 576000),
        (B921600, 921600),
        (B1000000, 1_000_000),
        (B1152000, 1_152_000),
        (B1500000, 1_500_000),
        (B2000000, 2_000_000),
        (B2500000, 2_500_000),
        (B3000000, 3_000_000),
        (B3500000, 3_500_000),
        (B4000000, 4_000_000),
    ]
};

/// Maps a termios speed constant to bits per second.
pub fn baud_to_u32(b: BaudRate) -> Option<u32> {
    RATES.iter().find(|(c, _)| *c == b).map(|(_, r)| *r)
}

/// Maps bits per second to a termios speed constant, for the standard rates.
pub fn u32_to_baud(rate: u32) -> Option<BaudRate> {
    RATES.iter().find(|(_, r)| *r == rate).map(|(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("m2285-pty-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).ok();
        d
    }

    #[test]
    fn bytes_cross_and_baud_is_observed() -> io::Result<()> {
        let pty = HostPty::open(None, false)?;
        assert!(!pty.peer_attached());
        let mut slave = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(pty.slave_path())?;
        assert!(pty.peer_attached());
        let mut t = termios::tcgetattr(&slave).map_err(io::Error::from)?;
        termios::cfsetspeed(&mut t, BaudRate::B115200).map_err(io::Error::from)?;
        termios::tcsetattr(&slave, SetArg::TCSANOW, &t).map_err(io::Error::from)?;
        assert_eq!(pty.observed_baud(), Some(115200));
        slave.write_all(b"ping\xff")?;
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        for _ in 0..100 {
            if let PtyRead::Data(n) = pty.read(&mut buf)? {
                got.extend_from_slice(&buf[..n]);
            }
            if got.len() >= 5 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(got, b"ping\xff");
        assert_eq!(pty.write(b"\r\npong\x00")?, 7);
        let mut back = [0u8; 7];
        slave.read_exact(&mut back)?;
        assert_eq!(&back, b"\r\npong\x00");
        drop(slave);
        assert!(!pty.peer_attached());
        Ok(())
    }

    #[test]
    fn what_a_program_left_unread_is_taken_out_not_replayed() -> io::Result<()> {
        let pty = HostPty::open(None, false)?;
        let slave = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(pty.slave_path())?;
        assert_eq!(pty.write(b"never read")?, 10);
        drop(slave);
        assert_eq!(pty.discard_unread_by_program()?, 10);
        let mut next = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(pty.slave_path())?;
        let mut buf = [0u8; 16];
        assert_eq!(
            next.read(&mut buf).map_err(|e| e.kind()),
            Err(io::ErrorKind::WouldBlock),
            "the next program gets nothing stale"
        );
        Ok(())
    }

    #[test]
    fn link_rules_protect_user_files() -> io::Result<()> {
        let dir = temp_dir("links");
        let file = dir.join("regular");
        fs::write(&file, b"user data")?;
        let err = HostPty::open(Some(&file), false).err();
        assert!(err.is_some_and(|e| e.to_string().contains("refusing")));
        assert_eq!(fs::read(&file)?, b"user data");

        let live = dir.join("live");
        let first = HostPty::open(Some(&live), false)?;
        let err = HostPty::open(Some(&live), false).err();
        assert!(
            err.is_some_and(|e| e
                .to_string()
                .contains("in use by another running simulator")),
            "a held link is refused"
        );
        assert_eq!(fs::read_link(&live)?, first.slave_path());
        drop(first);
        assert!(fs::symlink_metadata(dir.join(".live.lock")).is_err());

        let stale = dir.join("stale");
        std::os::unix::fs::symlink(dir.join("gone"), &stale)?;
        let pty = HostPty::open(Some(&stale), false)?;
        assert_eq!(fs::read_link(&stale)?, pty.slave_path());
        drop(pty);
        assert!(
            fs::symlink_metadata(&stale).is_err(),
            "link removed on drop"
        );
        fs::remove_dir_all(&dir)
    }
}
