//! Flow control through the built binary (issue 17 item 9): with RTS/CTS or XON/XOFF, a program
//! writing faster than a slow remote host can take loses nothing.

mod common;

use common::ctl::*;
use common::*;
use nix::sys::termios::BaudRate;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

/// A remote host that is up but does not answer yet: a listener whose accept queue is full, so
/// the device's connect stays in progress (the kernel drops its SYNs until there is room).
struct SlowHost {
    listener: TcpListener,
    addr: SocketAddr,
    fillers: Vec<TcpStream>,
}

impl SlowHost {
    fn start() -> SlowHost {
        let listener = TcpListener::bind((unique_ip(), 0)).expect("bind");
        // Backlog 0: one connection waiting fills the queue.
        nix::sys::socket::listen(
            &listener.as_fd(),
            nix::sys::socket::Backlog::new(0).expect("backlog"),
        )
        .expect("listen");
        let addr = listener.local_addr().expect("addr");
        let mut fillers = Vec::new();
        while let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            fillers.push(s);
            assert!(fillers.len() < 16, "the accept queue never filled");
        }
        SlowHost {
            listener,
            addr,
            fillers,
        }
    }

    /// Empties the accept queue; the device's next SYN gets through. Returns the device's
    /// connection.
    fn answer(self, device_ip: std::net::IpAddr) -> TcpStream {
        self.listener.set_nonblocking(true).expect("nonblocking");
        let end = std::time::Instant::now() + T;
        drop(self.fillers);
        while std::time::Instant::now() < end {
            match self.listener.accept() {
                Ok((s, peer)) if peer.ip() == device_ip => {
                    s.set_nonblocking(false).expect("blocking");
                    return s;
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        panic!("the device never connected");
    }
}

fn slow_host_gets_everything(flow: &str) {
    let host = SlowHost::start();
    let sets = [
        format!("port1.remote_hosts[0].host={}", ip_of(host.addr)),
        format!("port1.remote_hosts[0].port={}", host.addr.port()),
        "port1.remote_hosts[0].backup_host=".to_owned(),
        format!("port1.serial.flow_control={flow}"),
    ];
    let mut args = vec![
        "--config",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sim-configs/tcp-client.toml"
        ),
    ];
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let sim = Sim::start(&args);
    let serial = sim.open_serial(BaudRate::B115200);
    // Printable data: with XON/XOFF, 0x11 and 0x13 are flow control, not data.
    let data: Vec<u8> = (0..7500).map(|i| b' ' + (i % 95) as u8).collect();
    let writer = write_in_thread(serial, data.clone());
    // 7 500 bytes take 0.65 s at 115200; the device pauses the program at 3 072 held bytes.
    sim.status_until(
        |s| s["serial"]["throttling_program"] == true,
        Duration::from_secs(10),
    );
    // Long enough for everything in flight to have arrived, were it still coming.
    std::thread::sleep(Duration::from_millis(1000));
    let status_later = sim.status();
    if flow == "rts_cts" {
        assert_eq!(
            status_later["signals"]["outputs"]["rts"], false,
            "{status_later}"
        );
    }
    assert_eq!(
        status_later["sessions"][0]["state"], "sync_sent",
        "still connecting: {status_later}"
    );
    let counters = &status_later["counters"];
    assert_eq!(counters["serial_rx_discarded"], 0, "{status_later}");
    assert!(
        counters["serial_rx_bytes"].as_u64().unwrap_or(0) <= 3074,
        "the device took more than the threshold while the program was paused: {status_later}"
    );
    let mut conn = host.answer(sim.ip);
    let got = read_for(&mut conn, 6 + data.len(), T);
    writer.join().expect("writer");
    let counters = sim.status()["counters"].clone();
    assert_eq!(counters["serial_rx_discarded"], 0, "{counters}");
    assert_eq!(got.len(), 6 + data.len(), "{counters}");
    assert_eq!(&got[..6], b"m2285:");
    assert!(got[6..] == data[..], "bytes differ");
}

#[test]
fn rts_cts_toward_a_slow_remote_host_loses_nothing() {
    slow_host_gets_everything("rts_cts");
}

#[test]
fn xon_xoff_toward_a_slow_remote_host_loses_nothing() {
    slow_host_gets_everything("xon_xoff");
}
