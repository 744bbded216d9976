//! Running the kernel's own network tools (`ip`, `tc`, `nft`) for the namespace mode, with a
//! message a user can act on when one fails.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `program args...` and returns its stdout; a failure names the command and quotes the
/// tool's own complaint.
pub fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{program}` ({e}): install iproute2 and nftables"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `ip ARGS...`.
pub fn ip(args: &[&str]) -> Result<String, String> {
    run("ip", args)
}

/// `ip -n NS ARGS...`: the command acts inside namespace `ns`.
pub fn ip_in(ns: &str, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["-n", ns];
    all.extend_from_slice(args);
    run("ip", &all)
}

/// `tc -n NS ARGS...`.
pub fn tc_in(ns: &str, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["-n", ns];
    all.extend_from_slice(args);
    run("tc", &all)
}

/// Feeds `script` to `nft -f -` inside namespace `ns` (nft has no namespace option of its own,
/// so it runs under `ip netns exec`).
pub fn nft_in(ns: &str, script: &str) -> Result<(), String> {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `nft` ({e}): install nftables"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| format!("nft: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("nft: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`nft` in {ns} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
