//! Interop: the real pyserial RFC 2217 client (Debian's python3-serial, run by /usr/bin/python3)
//! against a `TelnetSession` behind a small std::net harness that plays a loopback device:
//! every request is granted (the value in effect is the requested one), data is echoed.
//! Set `PYSERIAL_LOG=1` to see pyserial's debug log even when the test passes.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use m2285_telnet::{
    modem_state, ComPortReply, ComPortRequest, Control, ControlGroup, Parity, StopSize,
    TelnetConfig, TelnetEvent, TelnetSession, QUERY,
};

const PYTHON: &str = "/usr/bin/python3";
const DEADLINE: Duration = Duration::from_secs(60);

const CLIENT: &str = r#"
import sys
try:
    import serial
except ImportError as e:
    print("NO_PYSERIAL: %s" % e)
    sys.exit(3)
port = int(sys.argv[1])
s = serial.serial_for_url("rfc2217://127.0.0.1:%d?logging=debug" % port,
                          baudrate=115200, timeout=3)
assert s.cts and s.dsr and not s.cd and not s.ri, "modem state %r" % s.get_modem_state()
s.baudrate = 9600
s.bytesize = serial.SEVENBITS
s.parity = serial.PARITY_EVEN
s.stopbits = serial.STOPBITS_TWO
s.xonxoff = True
s.xonxoff = False
s.rtscts = True
s.rtscts = False
s.dtr = False
s.dtr = True
s.rts = False
s.rts = True
s.send_break(0.05)
s.reset_input_buffer()
s.reset_output_buffer()
data = bytes(range(256)) * 4 + b"\xff\xff\r\n\r\x00 end"
s.write(data)
got = b""
while len(got) < len(data):
    chunk = s.read(len(data) - len(got))
    if not chunk:
        break
    got += chunk
assert got == data, "echo mismatch: %d of %d bytes, first diff at %r" % (
    len(got), len(data), next((i for i, (a, b) in enumerate(zip(got, data)) if a != b), None))
s.close()
print("OK")
"#;

/// What a loopback device would hold: the serial settings in effect.
#[derive(Debug)]
struct Device {
    baud: u32,
    data_size: u8,
    parity: Parity,
    stop: StopSize,
    outbound_flow: Control,
    inbound_flow: Control,
    brk: bool,
    dtr: bool,
    rts: bool,
    requests: Vec<ComPortRequest>,
    breaks: usize,
}

impl Device {
    fn new() -> Self {
        Device {
            baud: 38_400,
            data_size: 8,
            parity: Parity::None,
            stop: StopSize::One,
            outbound_flow: Control::OutboundFlowNone,
            inbound_flow: Control::InboundFlowNone,
            brk: false,
            dtr: false,
            rts: false,
            requests: Vec::new(),
            breaks: 0,
        }
    }

    /// Applies a request and returns the reply carrying the value now in effect.
    fn handle(&mut self, request: ComPortRequest) -> Option<ComPortReply> {
        self.requests.push(request);
        Some(match request {
            ComPortRequest::SetBaudRate(b) => {
                if b != 0 {
                    self.baud = b;
                }
                ComPortReply::BaudRate(self.baud)
            }
            ComPortRequest::SetDataSize(v) => {
                if (5..=8).contains(&v) {
                    self.data_size = v;
                }
                ComPortReply::DataSize(self.data_size)
            }
            ComPortRequest::SetParity(v) => {
                if let Some(p) = Parity::from_wire(v) {
                    self.parity = p;
                }
                ComPortReply::Parity(self.parity.wire())
            }
            ComPortRequest::SetStopSize(v) => {
                if let Some(st) = StopSize::from_wire(v) {
                    self.stop = st;
                }
                ComPortReply::StopSize(self.stop.wire())
            }
            ComPortRequest::SetControl(v) => ComPortReply::Control(self.control(v)?.wire()),
            ComPortRequest::SetLineStateMask(m) => ComPortReply::LineStateMask(m),
            ComPortRequest::SetModemStateMask(m) => ComPortReply::ModemStateMask(m),
            ComPortRequest::PurgeData(v) => ComPortReply::PurgeData(v),
            ComPortRequest::FlowControlSuspend | ComPortRequest::FlowControlResume => return None,
        })
    }

    fn control(&mut self, value: u8) -> Option<Control> {
        let c = Control::from_wire(value)?;
        let group = c.group();
        let flag = match group {
            ControlGroup::Break => &mut self.brk,
            ControlGroup::Dtr => &mut self.dtr,
            ControlGroup::Rts => &mut self.rts,
            ControlGroup::OutboundFlow => {
                if !c.is_query() {
                    self.outbound_flow = c;
                }
                return Some(self.outbound_flow);
            }
            ControlGroup::InboundFlow => {
                if !c.is_query() {
                    self.inbound_flow = c;
                }
                return Some(self.inbound_flow);
            }
        };
        if !c.is_query() {
            *flag = matches!(c, Control::BreakOn | Control::DtrOn | Control::RtsOn);
        }
        Control::on_off(group, *flag)
    }
}

/// Serves one connection until the client closes it.
fn serve(mut sock: TcpStream) -> std::io::Result<Device> {
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut dev = Device::new();
    let mut tn = TelnetSession::new(TelnetConfig::default());
    tn.notify_modem_state(modem_state::CTS | modem_state::DSR);
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    loop {
        sock.write_all(&tn.take_output())?;
        if started.elapsed() > DEADLINE {
            return Err(std::io::Error::new(ErrorKind::TimedOut, "harness deadline"));
        }
        let n = match sock.read(&mut buf) {
            Ok(0) => return Ok(dev),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(dev),
            Err(e) => return Err(e),
        };
        tn.receive(buf.get(..n).unwrap_or_default());
        while let Some(event) = tn.poll_event() {
            match event {
                TelnetEvent::Data(d) => tn.send_data(&d),
                TelnetEvent::ComPort(r) => {
                    if let Some(reply) = dev.handle(r) {
                        tn.reply(reply);
                    }
                }
                TelnetEvent::Break => dev.breaks += 1,
            }
        }
    }
}

fn accept_with_deadline(listener: &TcpListener) -> std::io::Result<TcpStream> {
    listener.set_nonblocking(true)?;
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((sock, _)) => {
                sock.set_nonblocking(false)?;
                return Ok(sock);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && started.elapsed() < DEADLINE => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn pyserial_rfc2217_client_round_trip() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local addr").port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let result = accept_with_deadline(&listener).and_then(serve);
        let _ = tx.send(result);
    });

    let mut child = Command::new(PYTHON)
        .arg("-c")
        .arg(CLIENT)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON}: {e}"));
    let mut stdout = child.stdout.take().expect("stdout pipe");
    let mut stderr = child.stderr.take().expect("stderr pipe");
    let out_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for python") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            break child.wait().expect("wait for killed python");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let transcript = format!("status {status}\n--- stdout\n{out}\n--- stderr\n{err}");
    if std::env::var_os("PYSERIAL_LOG").is_some() {
        eprintln!("{transcript}");
    }

    assert!(
        !out.contains("NO_PYSERIAL"),
        "{PYTHON} cannot `import serial`: install Debian's python3-serial.\n{transcript}"
    );
    assert!(status.success(), "pyserial client failed:\n{transcript}");
    assert_eq!(out.trim(), "OK", "{transcript}");
    for bad in ["rejected", "WARNING", "ERROR", "ignoring"] {
        assert!(!err.contains(bad), "pyserial logged {bad:?}:\n{transcript}");
    }

    let dev = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("harness finished")
        .expect("harness I/O");
    let bauds: Vec<u32> = dev
        .requests
        .iter()
        .filter_map(|r| match r {
            ComPortRequest::SetBaudRate(b) => Some(*b),
            _ => None,
        })
        .collect();
    assert_eq!(
        bauds.first(),
        Some(&115_200),
        "requests: {:?}",
        dev.requests
    );
    assert!(bauds.iter().skip(1).all(|&b| b == 9600), "bauds {bauds:?}");
    assert!(bauds.len() >= 2, "bauds {bauds:?}");
    let saw = |r: ComPortRequest| dev.requests.contains(&r);
    use ComPortRequest::*;
    for expected in [
        SetDataSize(7),
        SetParity(Parity::Even.wire()),
        SetStopSize(StopSize::Two.wire()),
        SetControl(Control::OutboundFlowXonXoff.wire()),
        SetControl(Control::OutboundFlowHardware.wire()),
        SetControl(Control::OutboundFlowNone.wire()),
        SetControl(Control::DtrOff.wire()),
        SetControl(Control::DtrOn.wire()),
        SetControl(Control::RtsOff.wire()),
        SetControl(Control::RtsOn.wire()),
        SetControl(Control::BreakOn.wire()),
        SetControl(Control::BreakOff.wire()),
        PurgeData(1),
        PurgeData(2),
    ] {
        assert!(saw(expected), "missing {expected:?} in {:?}", dev.requests);
    }
    assert!(
        !saw(SetBaudRate(u32::from(QUERY))),
        "pyserial never queries"
    );
    assert_eq!(
        (dev.baud, dev.data_size, dev.parity, dev.stop),
        (9600, 7, Parity::Even, StopSize::Two)
    );
    assert!(dev.dtr && dev.rts && !dev.brk);
    assert_eq!(dev.outbound_flow, Control::OutboundFlowNone);
    assert_eq!(dev.inbound_flow, Control::InboundFlowNone);
}
