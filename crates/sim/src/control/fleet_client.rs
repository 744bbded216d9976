//! `m2285-sim ctl fleet ...`: the fleet-wide commands of the control API's client (a fleet's
//! one control server, docs/control-api.md "Fleets").

use clap::Subcommand;
use serde_json::{json, Value};

/// `ctl fleet` operations.
#[derive(Debug, Subcommand)]
pub enum FleetOp {
    /// The running devices: index, address, link and ports of each.
    Status,
    /// Boot one more device (its link and state directory are made like the others').
    Add {
        /// Its index (default: one past the highest running).
        #[arg(long, value_name = "N")]
        index: Option<usize>,
        /// Override a key on this device (repeatable), KEY=VALUE.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Stop device N: its sessions close and its link is removed (its state directory stays).
    Remove {
        /// Its index.
        index: usize,
    },
}

/// The method, path (under the fleet API's base URL) and body of a fleet operation.
pub fn request(op: &FleetOp) -> (&'static str, String, Option<Value>) {
    match op {
        FleetOp::Status => ("GET", "/devices".into(), None),
        FleetOp::Add { index, sets } => {
            let mut body = json!({ "set": sets });
            if let Some(i) = index {
                body["index"] = json!(i);
            }
            ("POST", "/devices".into(), Some(body))
        }
        FleetOp::Remove { index } => ("DELETE", format!("/devices/{index}"), None),
    }
}
