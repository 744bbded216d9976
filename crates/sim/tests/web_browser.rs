//! The device's web pages in a real browser: headless Chromium driven through WebDriver
//! (Debian's `chromium` + `chromium-driver`, fantoccini), over HTTPS trusting the device's own
//! certificate (its public key pinned with `--ignore-certificate-errors-spki-list`, no blanket
//! "accept insecure certificates"). One chromedriver and one browser session for the file.
//! Screenshots go to `target/tmp/web-screenshots/` (the main ones are in docs/web/).

mod common;

use common::openssl::device_cert;
use common::Sim;
use fantoccini::{Client, ClientBuilder, Locator};
use nix::sys::termios::BaudRate;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The base64 SHA-256 of the certificate's public key, as Chromium's SPKI pin list takes it.
fn spki_pin(cert: &std::path::Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
            cert.display()
        ))
        .output()
        .expect("openssl");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole process group: chromedriver and the browser it started, which would
        // otherwise outlive a failed test.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (scripts/setup installs chromium-driver)");
    Driver { child, port }
}

async fn browser(driver: &Driver, profile: &std::path::Path, pin: &str) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--window-size=1100,900",
                format!("--user-data-dir={}", profile.display()),
                format!("--ignore-certificate-errors-spki-list={pin}"),
            ]
        }
    });
    let caps = match caps {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    let url = format!("http://127.0.0.1:{}", driver.port);
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return c,
            Err(e) if Instant::now() > end => panic!("no WebDriver session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(shots_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

async fn text_of(c: &Client, id: &str) -> String {
    let el = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"));
    el.text().await.expect("text")
}

/// Waits for element `id` to contain `needle` and returns its text: waiting for the state,
/// not a time, so the previous page's element (still on screen while the next one loads)
/// cannot be read instead.
async fn wait_text(c: &Client, id: &str, needle: &str) -> String {
    let xpath = format!("//*[@id='{id}' and contains(., '{needle}')]");
    match c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
    {
        Ok(el) => el.text().await.expect("text"),
        Err(e) => {
            let now = match c.find(Locator::Id(id)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => format!("no #{id}"),
            };
            panic!("#{id} never contained {needle:?} ({e}); it shows: {now}")
        }
    }
}

/// The statistics page's value of counter `row` in table `table`.
async fn counter(c: &Client, base: &str, table: &str, row: &str) -> u64 {
    c.goto(&format!("{base}/statistics")).await.expect("goto");
    text_of(c, &format!("{table}-{row}"))
        .await
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{table}-{row}: {e}"))
}

/// One request on a fresh plain-HTTP connection; the status code and the whole answer.
fn raw_http(ip: &str, port: u16, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect((ip, port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn port(sim: &Sim, name: &str) -> u16 {
    sim.ready["ports"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("ports.{name} in {}", sim.ready)) as u16
}

#[test]
fn pages_in_headless_chromium_over_https() {
    let mut sim = Sim::start(&["--set", "sim.boot_time_ms=200"]);
    let ip = sim.ip.to_string();
    let https = port(&sim, "https");
    let http = port(&sim, "http");
    let pin = spki_pin(&device_cert(&sim));
    // A serial-side program holds the port at 115200, the rate the page will set.
    let mut program = sim.open_serial(BaudRate::B115200);
    let bad_file = sim.dir.join("bad.toml");
    std::fs::write(&bad_file, "[port1.serial]\nbaud = 1234\n").expect("write");
    let good_file = sim.dir.join("good.toml");
    std::fs::write(&good_file, "# a whole configuration: keys it does not name take factory values\n[port1]\ntitle = \"imported\"\n[port1.serial]\nbaud = 115200\nflow_control = \"rts_cts\"\n[sim]\nfree_ports = true\n").expect("write");
    let driver = start_driver();
    let profile = sim.dir.join("chromium-profile");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let base = format!("https://{ip}:{https}");
    let token = sim.control_token();
    rt.block_on(async {
        let c = browser(&driver, &profile, &pin).await;
        // No session: the status page sends the browser to the login page.
        c.goto(&format!("{base}/status")).await.expect("goto");
        c.wait()
            .for_element(Locator::Id("username"))
            .await
            .expect("login form");
        assert!(c
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/login"));
        shot(&c, "login").await;
        c.find(Locator::Id("username"))
            .await
            .expect("u")
            .send_keys("root")
            .await
            .expect("keys");
        c.find(Locator::Id("password"))
            .await
            .expect("p")
            .send_keys("wrong")
            .await
            .expect("keys");
        c.find(Locator::Id("login"))
            .await
            .expect("btn")
            .click()
            .await
            .expect("click");
        assert!(text_of(&c, "error")
            .await
            .contains("wrong user name or password"));
        c.find(Locator::Id("username"))
            .await
            .expect("u")
            .send_keys("root")
            .await
            .expect("keys");
        c.find(Locator::Id("password"))
            .await
            .expect("p")
            .send_keys("root")
            .await
            .expect("keys");
        c.find(Locator::Id("login"))
            .await
            .expect("btn")
            .click()
            .await
            .expect("click");
        let device = text_of(&c, "device").await;
        assert!(device.contains("Patton EtherBits 2285"), "{device}");
        shot(&c, "status").await;

        // Statistics: the TCP counters rise after a test client sends data.
        let before = counter(&c, &base, "stats-tcp", "InSegs").await;
        let mut client = sim.connect();
        client.write_all(&[b'n'; 100]).expect("client write");
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let now = counter(&c, &base, "stats-tcp", "InSegs").await;
            if now > before {
                break;
            }
            assert!(
                Instant::now() < end,
                "tcpInSegs stayed at {now} (was {before})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        shot(&c, "statistics-traffic").await;
        drop(client);

        // Serial parameters: 115200 with RTS/CTS, applied.
        c.goto(&format!("{base}/config/serial"))
            .await
            .expect("goto");
        c.find(Locator::Id("port1.serial.baud"))
            .await
            .expect("baud")
            .select_by_value("115200")
            .await
            .expect("select");
        c.find(Locator::Id("port1.serial.flow_control"))
            .await
            .expect("flow")
            .select_by_value("rts_cts")
            .await
            .expect("select");
        c.find(Locator::Id("apply"))
            .await
            .expect("apply")
            .click()
            .await
            .expect("click");
        wait_text(&c, "flash", "applied: 2 key(s)").await;
        shot(&c, "serial-applied").await;

        // A wrong value is shown next to its field, and nothing is changed.
        let ict = c
            .find(Locator::Id("port1.serial.inter_char_timeout_ms"))
            .await
            .expect("ict");
        ict.clear().await.expect("clear");
        ict.send_keys("99999").await.expect("keys");
        c.find(Locator::Id("port1.serial.baud"))
            .await
            .expect("baud")
            .select_by_value("300")
            .await
            .expect("select");
        c.find(Locator::Id("apply"))
            .await
            .expect("apply")
            .click()
            .await
            .expect("click");
        let err = text_of(&c, "error-port1.serial.inter_char_timeout_ms").await;
        assert!(err.contains("99999") && err.contains("0 to 65535"), "{err}");
        assert!(text_of(&c, "error").await.contains("nothing was changed"));
        shot(&c, "serial-error").await;

        // Configuration files: a bad one is refused with its mistake, a good one applied.
        c.goto(&format!("{base}/system")).await.expect("goto");
        shot(&c, "system").await;
        c.find(Locator::Id("import-file"))
            .await
            .expect("file")
            .send_keys(&bad_file.display().to_string())
            .await
            .expect("keys");
        c.find(Locator::Id("import"))
            .await
            .expect("import")
            .click()
            .await
            .expect("click");
        let flash = wait_text(&c, "flash", "refused").await;
        assert!(flash.contains("port1.serial.baud"), "{flash}");
        shot(&c, "import-refused").await;
        c.find(Locator::Id("import-file"))
            .await
            .expect("file")
            .send_keys(&good_file.display().to_string())
            .await
            .expect("keys");
        c.find(Locator::Id("import"))
            .await
            .expect("import")
            .click()
            .await
            .expect("click");
        // The refused import's page (and its #flash) is on screen until the answer loads.
        wait_text(&c, "flash", "imported").await;

        // Save & reboot from the page; after the reboot the session is gone, and the value
        // is still there after logging in again.
        c.goto(&format!("{base}/system")).await.expect("goto");
        c.find(Locator::Id("store-save-reboot"))
            .await
            .expect("save")
            .click()
            .await
            .expect("click");
        wait_text(&c, "flash", "rebooting").await;
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let st = sim.status();
            if st["device"]["boots"] == 1 && st["device"]["state"] == "up" {
                break;
            }
            assert!(Instant::now() < end, "no reboot: {st}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.goto(&format!("{base}/config/serial"))
            .await
            .expect("goto");
        if c.wait().for_element(Locator::Id("username")).await.is_err() {
            let page = c.source().await.unwrap_or_default();
            panic!(
                "not logged out by the reboot: {} {page}",
                c.current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            );
        }
        c.find(Locator::Id("username"))
            .await
            .expect("u")
            .send_keys("root")
            .await
            .expect("keys");
        c.find(Locator::Id("password"))
            .await
            .expect("p")
            .send_keys("root")
            .await
            .expect("keys");
        c.find(Locator::Id("login"))
            .await
            .expect("btn")
            .click()
            .await
            .expect("click");
        text_of(&c, "device").await;
        c.goto(&format!("{base}/config/serial"))
            .await
            .expect("goto");
        let baud = c
            .find(Locator::Id("port1.serial.baud"))
            .await
            .expect("baud");
        assert_eq!(
            baud.prop("value").await.expect("value").as_deref(),
            Some("115200")
        );

        // Every other page draws (screenshots for the docs).
        for (path, name) in [
            ("/config/ip", "network-ip"),
            ("/config/host", "serial-host"),
            ("/config/remote_hosts", "remote-hosts"),
            ("/config/crypto", "crypto"),
            ("/config/users", "users"),
            ("/config/web", "web-server"),
            ("/statistics", "statistics"),
            ("/log", "log"),
        ] {
            c.goto(&format!("{base}{path}")).await.expect("goto");
            c.wait()
                .for_element(Locator::Css("main h1"))
                .await
                .expect("page");
            shot(&c, name).await;
        }
        c.find(Locator::Id("logout"))
            .await
            .expect("logout")
            .click()
            .await
            .expect("click");
        c.wait()
            .for_element(Locator::Id("username"))
            .await
            .expect("logged out");

        // The front panel (control API port): the Rx LED lights while the program writes.
        c.goto(&format!("http://{ip}:{}/panel", sim.control_port()))
            .await
            .expect("goto");
        c.wait()
            .for_element(Locator::Css("#led-power.on"))
            .await
            .expect("power LED");
        assert!(
            c.find(Locator::Css("#led-rx.on")).await.is_err(),
            "Rx lit without traffic"
        );
        let writer = std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(4);
            while Instant::now() < end {
                let _ = program.write_all(&[b'x'; 256]);
                std::thread::sleep(Duration::from_millis(20));
            }
            program
        });
        c.wait()
            .at_most(Duration::from_secs(4))
            .for_element(Locator::Css("#led-rx.on"))
            .await
            .expect("the Rx LED lit while bytes were written on the PTY");
        shot(&c, "panel").await;
        let _program = writer.join().expect("writer");
        // Fault buttons: add a latency fault with the control token, see it, clear it.
        c.find(Locator::Id("token"))
            .await
            .expect("token")
            .send_keys(&token)
            .await
            .expect("keys");
        c.find(Locator::Id("fault-name"))
            .await
            .expect("name")
            .send_keys("net.latency")
            .await
            .expect("keys");
        c.find(Locator::Id("fault-params"))
            .await
            .expect("params")
            .send_keys(r#"{"delay": "5ms"}"#)
            .await
            .expect("keys");
        c.find(Locator::Id("fault-add"))
            .await
            .expect("add")
            .click()
            .await
            .expect("click");
        c.wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css("#faults .fault-clear"))
            .await
            .expect("the added fault listed with its clear button")
            .click()
            .await
            .expect("click");
        let end = Instant::now() + Duration::from_secs(5);
        while c.find(Locator::Css("#faults .fault-clear")).await.is_ok() {
            assert!(Instant::now() < end, "the fault was not cleared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(wait_text(&c, "control-result", "DELETE")
            .await
            .contains("200"));
        // The data/console switch: to console and back, each shown once the device says so.
        for (shown, answer) in [
            ("console", r#""switch": "console""#),
            ("data", r#""switch": "data""#),
        ] {
            c.find(Locator::Id("switch-toggle"))
                .await
                .expect("switch")
                .click()
                .await
                .expect("click");
            wait_text(&c, "control-result", answer).await;
            wait_text(&c, "console-switch", shown).await;
        }
        c.close().await.expect("close");
    });

    let status = sim.status();
    assert_eq!(status["serial"]["settings"], "115200 8N1", "{status}");
    assert_eq!(status["serial"]["flow_control"], "rts_cts", "{status}");
    assert_eq!(status["serial"]["observed_baud"], 115200, "{status}");
    let title = sim.ctl_ok(&["config", "get", "port1.title"]);
    assert_eq!(title["value"], "imported", "{title}");
    let ict = sim.ctl_ok(&["config", "get", "port1.serial.inter_char_timeout_ms"]);
    assert_eq!(ict["value"], 0, "{ict}");

    // Refusals on plain HTTP, and the server keeps serving after each.
    let (code, _) = raw_http(&ip, http, format!("POST /config/serial HTTP/1.1\r\nHost: {ip}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 22\r\nConnection: close\r\n\r\nport1.serial.baud=300&").as_bytes());
    assert_eq!(code, 401, "a form without a session");
    let (code, _) = raw_http(
        &ip,
        http,
        format!("GET /config/serial HTTP/1.1\r\nHost: {ip}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(code, 303, "a page without a session goes to the login");
    let big = format!("POST /system/import HTTP/1.1\r\nHost: {ip}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", 70 * 1024);
    let mut req = big.into_bytes();
    req.extend(std::iter::repeat_n(b'a', 70 * 1024));
    let (code, _) = raw_http(&ip, http, &req);
    assert_eq!(code, 413, "a request over 64 KiB");
    // A CSRF-less form from a logged-in session: log in over plain HTTP first.
    let (code, login) = raw_http(
        &ip,
        http,
        format!("GET /login HTTP/1.1\r\nHost: {ip}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(code, 200);
    let token = login
        .split("m2285_login=")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("login cookie")
        .to_owned();
    let form = format!("csrf={token}&username=root&password=root");
    let (code, answer) = raw_http(&ip, http, format!("POST /login HTTP/1.1\r\nHost: {ip}\r\nCookie: m2285_login={token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}", form.len()).as_bytes());
    assert_eq!(code, 303, "{answer}");
    let sid = answer
        .split("m2285_sid=")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("session cookie")
        .to_owned();
    let (code, _) = raw_http(&ip, http, format!("POST /config/serial HTTP/1.1\r\nHost: {ip}\r\nCookie: m2285_sid={sid}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 30\r\nConnection: close\r\n\r\naction=apply&port1.serial.baud").as_bytes());
    assert_eq!(code, 403, "a form without its CSRF token");
    let (code, page) = raw_http(&ip, http, format!("GET /status HTTP/1.1\r\nHost: {ip}\r\nCookie: m2285_sid={sid}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(code, 200, "still serving");
    assert!(page.contains("115200 8N1"));
    assert_eq!(sim.status()["serial"]["settings"], "115200 8N1");
    sim.terminate();
}
