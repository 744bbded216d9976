//! Where the `m2285-sim` binary is: `$M2285_SIM_BIN`, else a cargo build of this workspace.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The simulator binary: `$M2285_SIM_BIN` if set, else the one `cargo build -p m2285-sim`
/// reports for this workspace (built once per process; cargo's lock makes parallel test
/// processes wait for one build).
pub fn sim_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("M2285_SIM_BIN") {
        return Ok(PathBuf::from(path));
    }
    BUILT.get_or_init(build).clone()
}

fn build() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "-q", "-p", "m2285-sim", "--bin", "m2285-sim"])
        .arg("--message-format=json-render-diagnostics")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build -p m2285-sim failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "m2285-sim")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built m2285-sim but did not say where".to_owned())
}
