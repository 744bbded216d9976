//! `network.ip_mode = "dhcp"` in the namespace mode: a real DHCP exchange with dnsmasq, run by
//! the test on a LAN namespace of its own that the device joins with `--netns-lan`.

mod common;

use common::netns::*;
use common::*;
use std::process::{Child, Command, Stdio};

/// dnsmasq serving DHCP on the test's LAN; stopped on drop.
struct Dnsmasq(Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_device_takes_its_address_from_dnsmasq_on_the_lan() {
    if !can_run("netns DHCP") {
        return;
    }
    let dir = temp_dir("netns-dhcp");
    let lan = TestNs::new("dhcp-lan");
    ip(&["-n", &lan.0, "link", "add", "br0", "type", "bridge"]);
    ip(&["-n", &lan.0, "addr", "add", "10.213.0.1/24", "dev", "br0"]);
    ip(&["-n", &lan.0, "link", "set", "br0", "up"]);
    let leases = dir.join("leases");
    let server = Dnsmasq(
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &lan.0,
                "dnsmasq",
                "--no-daemon",
                "--conf-file=/dev/null",
            ])
            .args([
                "--port=0",
                "--interface=br0",
                "--bind-dynamic",
                "--user=root",
            ])
            .args(["--dhcp-range=10.213.0.50,10.213.0.60,255.255.255.0,10m"])
            .args(["--dhcp-option=3,10.213.0.1", "--log-dhcp"])
            .arg(format!("--dhcp-leasefile={}", leases.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dnsmasq"),
    );
    // No wait for dnsmasq: the client sends again every second for 10 s.
    let dev = NetnsSim::start(&["--netns-lan", &lan.0, "--set", "network.ip_mode=dhcp"]);
    let ready = &dev.sim.ready;
    let got = ready["netns"]["ip"].as_str().expect("ip").to_owned();
    let last: u8 = got
        .strip_prefix("10.213.0.")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not from the DHCP range: {ready}"));
    assert!((50..=60).contains(&last), "{ready}");
    assert_eq!(
        ready["ip"],
        got.as_str(),
        "services listen on the leased address"
    );
    assert_eq!(ready["netns"]["prefix"], 24);
    assert_eq!(ready["netns"]["dhcp"]["server"], "10.213.0.1", "{ready}");
    assert_eq!(ready["netns"]["dhcp"]["router"], "10.213.0.1");
    assert_eq!(ready["netns"]["dhcp"]["lease_s"], 600);
    assert!(
        std::fs::read_to_string(&leases)
            .unwrap_or_default()
            .contains(&got),
        "dnsmasq recorded the lease"
    );
    // At once: dnsmasq pinged the address before offering it, and the device's ARP
    // announcement refreshed the failed neighbour entry that left on the LAN.
    let ping = exec_in(&lan.0, "ping", &["-c", "1", "-W", "2", &got]);
    assert!(
        ping.status.success(),
        "the device answers at its leased address: {}{}",
        String::from_utf8_lossy(&ping.stdout),
        String::from_utf8_lossy(&ping.stderr)
    );
    drop(dev);
    drop(server);
    // The simulator leaves the user's LAN namespace in place.
    assert!(exists(&lan.0));
    let _ = std::fs::remove_dir_all(&dir);
}
