//! Which faults real time carries out, and the check of a requested fault against them. A file
//! of its own (needing only `m2285_boundary`) so the control API's request parsing can be
//! compiled by the fuzz targets in `fuzz/` (docs/ROBUSTNESS.md).

use m2285_boundary::faults::FaultSpec;

/// The faults the real-time runtime carries out.
pub const SUPPORTED: &[&str] = &[
    "serial.bit_errors",
    "serial.drop",
    "serial.framing_errors",
    "serial.parity_errors",
    "serial.baud_mismatch",
    "serial.overrun",
    "net.latency",
    "net.partition",
    "net.reset",
    "net.bandwidth",
    "net.loss",
    "net.duplicate",
    "net.reorder",
    "net.refuse",
    "net.connect_timeout",
    "tls.corrupt_record",
    "tls.abort_handshake",
    // Carried out by the runtime itself (a power cycle, realtime/store_io.rs), not at a
    // boundary: the loop takes it before the boundaries see it.
    "device.power_cycle",
];

/// Reads a fault as the virtual-time runtime does, then refuses those real time cannot carry.
/// Every mistake names its parameter (or the fault) and what is allowed.
pub fn parse(name: &str, params: &[(String, String)]) -> Result<FaultSpec, String> {
    let spec = FaultSpec::parse(name, params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!("{name}: {}", list.join("; "))
        })?;
    if !SUPPORTED.contains(&spec.name) {
        return Err(format!(
            "{name}: only in virtual time (m2285-sim run); the real-time simulator takes {}",
            SUPPORTED.join(", ")
        ));
    }
    Ok(spec)
}
