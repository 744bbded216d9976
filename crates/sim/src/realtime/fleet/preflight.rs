//! Before a fleet starts anything (and before each device added at run time): does it fit in
//! this process's and this host's limits? Open files, PTYs, threads and memory are checked
//! against what one device takes; a fleet that does not fit is refused with the number that
//! does and what to raise, instead of failing half-way with devices already up.
//!
//! What one device holds is docs/fleet.md's budget: its loop (epoll and the registry's
//! duplicate of it, waker eventfd, timerfd, PTY master, the link's lock file), its listening
//! sockets (data port, Telnet and SSH consoles, SNMP when enabled), plus room for the
//! connections of a test ([`CONNECTION_ROOM`]).

use m2285_core::Config;

/// Descriptors every device holds whatever its configuration: epoll, its duplicate, eventfd,
/// timerfd, PTY master, link lock, data-port listener, Telnet and SSH listeners.
const BASE_DESCRIPTORS: u64 = 9;
/// Descriptors allowed per device for connections (a data session and a console or two).
pub const CONNECTION_ROOM: u64 = 3;
/// Descriptors the process keeps for itself (stdio, management thread, fleet control server,
/// its connections).
const PROCESS_DESCRIPTORS: u64 = 300;
/// Resident memory a device may take (docs/BENCHMARKS.md: an idle release-build device takes
/// far less; this leaves room for buffers in use).
const MEMORY_PER_DEVICE_KIB: u64 = 1024;
/// Threads of the process besides the devices' (main, management, blocking pool).
const PROCESS_THREADS: u64 = 16;

/// What one device of a fleet takes.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Descriptors, connections' room included.
    pub descriptors: u64,
}

impl Budget {
    /// The budget of a device with configuration `config`.
    pub fn of(config: &Config) -> Self {
        let snmp = u64::from(config.network.snmp.enabled);
        Budget {
            descriptors: BASE_DESCRIPTORS + snmp + CONNECTION_ROOM,
        }
    }
}

/// One limit and how far it goes.
struct Limit {
    /// How many more devices it allows.
    fits: u64,
    /// What it is and what to raise, for the message.
    advice: String,
}

/// Checks that `adding` more devices fit beside what the process and host hold now; else the
/// message says how many fit and what to raise.
pub fn check(adding: usize, budget: Budget) -> Result<(), String> {
    let adding = adding as u64;
    let limits = [descriptors(budget), ptys(), threads(), memory()];
    let short: Vec<&Limit> = limits
        .iter()
        .flatten()
        .filter(|l| l.fits < adding)
        .collect();
    if short.is_empty() {
        return Ok(());
    }
    let fits = short.iter().map(|l| l.fits).min().unwrap_or(0);
    let reasons: Vec<&str> = short.iter().map(|l| l.advice.as_str()).collect();
    Err(format!(
        "{adding} device(s) do not fit, at most {fits} would: {}. Nothing was started.",
        reasons.join("; ")
    ))
}

/// Open files: the soft limit (raised to the hard one at start) minus those open now.
fn descriptors(budget: Budget) -> Option<Limit> {
    use nix::sys::resource::{getrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    let room = soft.saturating_sub(open + PROCESS_DESCRIPTORS);
    Some(Limit {
        fits: room / budget.descriptors,
        advice: format!(
            "the open-file limit is {soft} (hard {hard}), {open} are open and each device needs \
             {} (docs/fleet.md): raise the hard limit (as root `prlimit --nofile=N:N`, \
             `ulimit -Hn N`, LimitNOFILE= of a systemd unit, or /etc/security/limits.conf)",
            budget.descriptors
        ),
    })
}

/// PTYs: the kernel's `pty/max`, less the `pty/reserve` kept for the host's own devpts mount
/// (a container's or any later mount cannot use it), less those in use (`pty/nr`).
fn ptys() -> Option<Limit> {
    let read = |name: &str| -> Option<u64> {
        std::fs::read_to_string(format!("/proc/sys/kernel/pty/{name}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let (max, nr) = (read("max")?, read("nr")?);
    let reserve = read("reserve").unwrap_or(0);
    let usable = max.saturating_sub(reserve);
    Some(Limit {
        fits: usable.saturating_sub(nr),
        advice: format!(
            "the kernel allows {max} PTYs of which {reserve} are reserved for the host's first \
             devpts mount and {nr} are in use: raise it as root \
             (`sysctl -w kernel.pty.max=N`, N at least devices + {reserve} + {nr})"
        ),
    })
}

/// Threads: one per device, within the process limit and the host's.
fn threads() -> Option<Limit> {
    use nix::sys::resource::{getrlimit, Resource};
    let (nproc, _) = getrlimit(Resource::RLIMIT_NPROC).ok()?;
    let host_max: u64 = std::fs::read_to_string("/proc/sys/kernel/threads-max")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // The fourth field of /proc/loadavg is "running/total" scheduling entities of the host.
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    let total: u64 = loadavg
        .split_whitespace()
        .nth(3)?
        .split('/')
        .nth(1)?
        .parse()
        .ok()?;
    let room = host_max.min(nproc).saturating_sub(total + PROCESS_THREADS);
    Some(Limit {
        fits: room,
        advice: format!(
            "each device runs a thread and the host runs {total} of at most {} \
             (kernel.threads-max {host_max}, RLIMIT_NPROC {nproc}): raise them",
            host_max.min(nproc)
        ),
    })
}

/// Memory: what the kernel says is available.
fn memory() -> Option<Limit> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let available: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(Limit {
        fits: available / MEMORY_PER_DEVICE_KIB,
        advice: format!(
            "{} MiB of memory are available and each device may take up to {} KiB: \
             free memory or run fewer devices",
            available / 1024,
            MEMORY_PER_DEVICE_KIB
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_larger_than_the_descriptor_limit_is_refused_with_what_fits() {
        let budget = Budget {
            descriptors: 1 << 40,
        };
        let err = check(2, budget).expect_err("cannot fit");
        assert!(err.contains("at most 0 would"), "{err}");
        assert!(err.contains("open-file limit"), "{err}");
        assert!(check(0, budget).is_ok());
    }
}
