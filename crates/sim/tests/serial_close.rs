//! Programs that close the serial port (issue 17 item 7): everything a program wrote before it
//! closed reaches the network, the device counts it as gone only after that, and what the
//! device sent that no program read is counted lost, never handed to the next program:
//! bytes transmitted = bytes programs read + `serial_tx_lost`.

mod common;

use common::*;
use nix::sys::termios::BaudRate;
use std::io::Write;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn server(extra: &[&str]) -> (Sim, std::net::TcpStream) {
    let mut args = vec!["--set", "port1.host.inactivity_timeout_s=0"];
    args.extend_from_slice(extra);
    let mut sim = Sim::start(&args);
    let net = sim.connect();
    sim.wait_event("session_opened", T);
    (sim, net)
}

fn counter(status: &serde_json::Value, name: &str) -> u64 {
    status["counters"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no counter {name}: {status}"))
}

#[test]
fn a_program_that_closes_is_gone_only_after_everything_it_wrote_was_read() {
    let (mut sim, mut net) = server(&["--set", "port1.serial.baud=115200"]);
    let data = random_bytes(16_000, 7);
    // The program writes and closes: the kernel still holds some KiB of it for the device to
    // read, at 11 520 bytes/s.
    let mut port = sim.open_serial(BaudRate::B115200);
    port.write_all(&data).expect("write");
    drop(port);
    sim.wait_for("serial_peer", |v| v["attached"] == false, T);
    let status = sim.status();
    // At most what is on the wire (4096) is still crossing when the device says the program
    // is gone.
    let received = counter(&status, "serial_rx_bytes");
    assert!(
        received + 4096 >= data.len() as u64,
        "the program counted as gone after only {received} of {} bytes were read: {status}",
        data.len()
    );
    let got = read_for(&mut net, data.len(), T);
    assert_eq!(got.len(), data.len());
    assert!(got == data, "bytes differ");
}

#[test]
fn thousands_of_programs_that_write_and_exit_lose_nothing() {
    let (sim, mut net) = server(&["--set", "sim.pacing=false"]);
    let cycles = 3000;
    let filler = "x".repeat(90);
    // One shell, 3000 redirections: each opens the port, writes a numbered line and closes it.
    let script = format!(
        "i=0; while [ $i -lt {cycles} ]; do printf '<%06d>{filler}\\n' $i > \"$1\"; i=$((i+1)); done"
    );
    let link = sim.link.to_string_lossy().into_owned();
    let status = std::process::Command::new("sh")
        .args(["-c", &script, "sh", &link])
        .status()
        .expect("sh");
    assert!(status.success());
    let sent: Vec<u8> = (0..cycles)
        .flat_map(|i| format!("<{i:06}>{filler}\n").into_bytes())
        .collect();
    let got = read_for(&mut net, sent.len(), T);
    let status = sim.status();
    assert_eq!(got.len(), sent.len(), "{status}");
    assert!(got == sent, "bytes differ");
    assert_eq!(counter(&status, "serial_rx_bytes"), sent.len() as u64);
    assert_eq!(counter(&status, "serial_rx_discarded"), 0);
}

#[test]
fn bytes_a_program_leaves_unread_are_counted_lost_not_replayed() {
    let (mut sim, mut net) = server(&["--set", "sim.pacing=false"]);
    // A program opens the port and reads nothing while the network sends.
    let port = sim.open_serial(BaudRate::B115200);
    let stale = vec![b's'; 20_000];
    net.write_all(&stale).expect("write");
    sim.status_until(|s| counter(s, "serial_tx_bytes") == 20_000, T);
    drop(port);
    sim.wait_for("serial_peer", |v| v["attached"] == false, T);
    let status = sim.status_until(|s| counter(s, "serial_tx_lost") > 0, T);
    assert_eq!(counter(&status, "serial_tx_lost"), 20_000, "{status}");
    // The next program gets only what the device sends from now on.
    let mut port = sim.open_serial(BaudRate::B115200);
    sim.wait_for("serial_peer", |v| v["attached"] == true, T);
    net.write_all(b"fresh").expect("write");
    let got = read_for(&mut port, 5, T);
    assert_eq!(got, b"fresh", "stale bytes were replayed");
    let extra = read_for(&mut port, 64, Duration::from_millis(200));
    assert!(extra.is_empty(), "extra bytes: {extra:?}");
    let status = sim.status();
    assert_eq!(
        counter(&status, "serial_tx_bytes"),
        5 + counter(&status, "serial_tx_lost"),
        "transmitted = read + lost: {status}"
    );
}

#[test]
fn close_and_reopen_during_traffic_keeps_the_counters_adding_up() {
    let (sim, net) = server(&["--set", "port1.serial.baud=115200"]);
    // The network sends all along; 100 programs each read for a moment and close.
    let stream = random_bytes(50_000, 3);
    let writer = write_in_thread(net, stream);
    let mut read_total = 0u64;
    for cycle in 0..100 {
        let mut port = sim.open_serial(BaudRate::B115200);
        read_total +=
            read_for(&mut port, 1 << 20, Duration::from_millis(5 + cycle % 20)).len() as u64;
        drop(port);
        // Closed long enough for the device to notice (it looks every 20 ms).
        std::thread::sleep(Duration::from_millis(40));
    }
    writer.join().expect("writer");
    let status = sim.status();
    let transmitted = counter(&status, "serial_tx_bytes");
    let lost = counter(&status, "serial_tx_lost");
    assert!(transmitted > 0 && read_total > 0, "{status}");
    assert_eq!(
        transmitted,
        read_total + lost,
        "transmitted {transmitted} = read {read_total} + lost {lost}: {status}"
    );
}
