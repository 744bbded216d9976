//! The locating-server report, byte for byte.

use m2285_notify::locating::{Report, MAGIC};
use std::net::Ipv4Addr;

#[test]
fn report_layout_is_cookie_then_tlv_items() {
    let r = Report {
        name: "M2285".into(),
        model: "Model 2285".into(),
        serial: "2285-000001".into(),
        mac: [0, 1, 0x95, 0, 0, 1],
        ip: Ipv4Addr::new(127, 0, 0, 1),
        ports: vec![7001],
    };
    let bytes = r.encode();
    let mut expect = MAGIC.to_vec();
    expect.extend([1, 5]);
    expect.extend(b"M2285");
    expect.extend([2, 10]);
    expect.extend(b"Model 2285");
    expect.extend([3, 11]);
    expect.extend(b"2285-000001");
    expect.extend([4, 6, 0, 1, 0x95, 0, 0, 1]);
    expect.extend([5, 4, 127, 0, 0, 1]);
    expect.extend([6, 2, 0x1b, 0x59]);
    assert_eq!(bytes, expect);
    assert_eq!(Report::decode(&bytes), Some(r));
    assert_eq!(Report::decode(&bytes[1..]), None);
    assert_eq!(Report::decode(&bytes[..bytes.len() - 1]), None);
}
