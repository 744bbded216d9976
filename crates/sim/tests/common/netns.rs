//! Helpers of the network-namespace tests (docs/network.md): run as root (CI is), every
//! namespace a test makes is removed when its guard drops, also when the test fails.

use super::{Launch, Sim};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// True when the tests can create namespaces; prints why they are skipped otherwise.
pub fn can_run(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        true
    } else {
        eprintln!("SKIPPED {test}: the namespace mode needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)");
        false
    }
}

/// Runs `program args...` inside namespace `ns` (`ip netns exec`).
pub fn exec_in(ns: &str, program: &str, args: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .output()
        .expect("run ip netns exec")
}

/// `ip ARGS...` that must succeed.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `f` on a thread inside namespace `ns`: sockets it creates live in that namespace and
/// can be used from any thread afterwards.
pub fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let handle = std::fs::File::open(&path).expect("open namespace");
        nix::sched::setns(&handle, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        f()
    })
    .join()
    .expect("namespace thread")
}

/// Whether namespace `name` exists.
pub fn exists(name: &str) -> bool {
    std::path::Path::new("/run/netns").join(name).exists()
}

/// The namespaces named `m2285-<pid>-...` (those of simulator `pid`).
pub fn of_simulator(pid: u32) -> Vec<String> {
    let prefix = format!("m2285-{pid}-");
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// A namespace the test made (`m2285t-...`, a prefix the simulator never removes), deleted
/// on drop.
pub struct TestNs(pub String);

impl TestNs {
    /// Creates `m2285t-<test pid>-<tag>`.
    pub fn new(tag: &str) -> TestNs {
        let name = format!("m2285t-{}-{tag}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        TestNs(name)
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// A simulator in the namespace mode; on drop it is stopped with SIGTERM (so it removes its
/// namespaces itself) and whatever it left is removed.
pub struct NetnsSim {
    pub sim: Sim,
}

impl NetnsSim {
    /// Starts `m2285-sim --netns ARGS...` (free control port on a unique loopback address).
    pub fn start(args: &[&str]) -> NetnsSim {
        let mut all = vec!["--netns"];
        all.extend_from_slice(args);
        NetnsSim {
            sim: Sim::launch(&all, Launch::default()),
        }
    }

    /// The device's namespace (ready line).
    pub fn device_ns(&self) -> String {
        self.sim.ready["netns"]["name"]
            .as_str()
            .expect("netns.name")
            .to_owned()
    }

    /// The LAN namespace (ready line).
    pub fn lan_ns(&self) -> String {
        self.sim.ready["netns"]["lan"]
            .as_str()
            .expect("netns.lan")
            .to_owned()
    }

    /// A kernel counter of the device's stack from `ctl status` (e.g. `Tcp`, `RetransSegs`).
    pub fn kernel_counter(&self, group: &str, name: &str) -> i64 {
        self.sim.status()["netns"]["kernel"][group][name]
            .as_i64()
            .unwrap_or_else(|| panic!("no kernel counter {group}.{name}"))
    }
}

impl Drop for NetnsSim {
    fn drop(&mut self) {
        let pid = self.sim.child.id();
        if let Ok(None) = self.sim.child.try_wait() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let end = Instant::now() + Duration::from_secs(5);
            while Instant::now() < end && !matches!(self.sim.child.try_wait(), Ok(Some(_))) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        sweep(pid);
    }
}

/// Removes what simulator `pid` left (after it was killed).
pub fn sweep(pid: u32) {
    for name in of_simulator(pid) {
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
    }
}
