//! The traces read back: the VCD decodes into the bytes that crossed the serial line, and
//! tshark reassembles the TCP stream from the pcap.

mod common;

use common::run_traced;
use m2285_uart::SerialParams;
use m2285_virtual::scenario::parse_str;
use m2285_virtual::trace::vcd::ParsedVcd;
use std::path::Path;
use std::process::Command;

const SCENARIO: &str = r#"
name = "trace-roundtrip"
[device]
set = ["port1.serial.baud=19200"]

[[step]]
connect = "scada"
[[step]]
expect_session_opened = "scada"
within = "10ms"
[[step]]
peer_send = "scada"
hex = "48656c6c6f2c2073657269616c0d0a00ff"
[[step]]
expect_serial = { hex = "0d0a00ff" }
within = "20ms"
[[step]]
serial_send = "Hello, network\r\n"
[[step]]
expect_peer = "scada"
text = "Hello, network\r\n"
within = "20ms"
[[step]]
peer_close = "scada"
[[step]]
expect_session_closed = "scada"
reason = "peer_closed"
within = "10ms"
"#;

#[test]
fn the_vcd_decodes_into_the_bytes_sent() {
    let s = parse_str(SCENARIO).unwrap_or_else(|e| panic!("{e}"));
    let report = run_traced(&s, None);
    let text = String::from_utf8(report.traces.vcd.unwrap_or_default()).unwrap_or_default();
    assert!(
        text.starts_with("$version"),
        "{}",
        &text[..text.len().min(200)]
    );
    let vcd = ParsedVcd::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let params = SerialParams {
        baud: 19200,
        ..SerialParams::default()
    };
    assert_eq!(
        vcd.decode_uart("txd", &params),
        b"Hello, serial\r\n\x00\xff"
    );
    assert_eq!(vcd.decode_uart("rxd", &params), b"Hello, network\r\n");
    for signal in ["dtr", "dsr", "rts", "cts", "dcd"] {
        assert!(vcd.signals.contains_key(signal), "{signal}");
    }
}

#[test]
fn tshark_reassembles_the_tcp_stream() {
    let s = parse_str(SCENARIO).unwrap_or_else(|e| panic!("{e}"));
    let report = run_traced(&s, None);
    let pcap = report.traces.pcap.unwrap_or_default();
    assert_eq!(&pcap[..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
    if !Path::new("/usr/bin/tshark").exists() {
        println!("NOTICE: /usr/bin/tshark is not installed; skipping the pcap reassembly check");
        return;
    }
    let path = std::env::temp_dir().join(format!("m2285-virtual-{}.pcap", std::process::id()));
    std::fs::write(&path, &pcap).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("/usr/bin/tshark")
        .args(["-r"])
        .arg(&path)
        .args(["-q", "-z", "follow,tcp,raw,0"])
        .output()
        .unwrap_or_else(|e| panic!("tshark: {e}"));
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Node 0 is the client (the peer); its payload lines are flush left, the device's are
    // indented with a tab.
    let mut from_peer = Vec::new();
    let mut from_device = Vec::new();
    for line in stdout.lines() {
        let (hex, to) = match line.strip_prefix('\t') {
            Some(h) => (h, &mut from_device),
            None => (line, &mut from_peer),
        };
        if !hex.is_empty() && hex.len() % 2 == 0 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            to.extend(m2285_virtual::units::parse_hex(hex).unwrap_or_default());
        }
    }
    assert_eq!(from_peer, b"Hello, serial\r\n\x00\xff", "{stdout}");
    assert_eq!(from_device, b"Hello, network\r\n", "{stdout}");
}
