//! The console engine (`crates/console`): any bytes a user can type (split at any point, with
//! passing time, width changes and the device answering yes or no), on every kind of session
//! (login prompt, SSH shell, SSH exec), never panic; the output stays bounded per input byte and
//! per event; the session never has more than one request outstanding; and a session that
//! still runs answers within the idle timeout (it is never stuck: after the idle timeout it is
//! closed, whatever it was doing).
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use m2285_console::{Answer, Console, Request, Settings};
use m2285_core::Config;
use m2285_fuzz::Ops;
use m2285_time::Instant;

/// The most output one typed byte can cause: a whole menu, the status or the configuration
/// listing (a few KiB at 80 columns, more at a narrow width that wraps every item).
const OUT_PER_INPUT_BYTE: usize = 64 * 1024;
/// Output of one answer, timeout or width change (a query's text, a redrawn menu).
const OUT_PER_EVENT: usize = 64 * 1024;

/// The device's side: answers every request the way the real device could, the fuzzer choosing
/// between success and refusal.
struct Device {
    running: Config,
}

impl Device {
    fn answer(&mut self, request: Request, yes: bool) -> Option<Answer> {
        let refused = || Answer::Refused("no".to_owned());
        Some(match request {
            Request::Logout => return None,
            Request::Login { password, .. } if yes || password == "pw" => {
                Answer::Done(String::new())
            }
            Request::Login { .. } => refused(),
            Request::Snapshot => Answer::Config(Box::new(self.running.clone())),
            Request::Lock if yes => Answer::Config(Box::new(self.running.clone())),
            Request::Apply(changes) if yes => {
                let sets: Vec<String> = changes.iter().map(|(k, v)| format!("{k}={v}")).collect();
                match self.running.with_sets(sets.iter().map(String::as_str)) {
                    Ok(c) => {
                        self.running = c;
                        Answer::Config(Box::new(self.running.clone()))
                    }
                    Err(_) => refused(),
                }
            }
            Request::Query(topic) if yes => Answer::Done(format!("{topic:?}\nline two")),
            Request::Unlock | Request::Save | Request::Reboot | Request::FactoryReset if yes => {
                Answer::Done(String::new())
            }
            _ => refused(),
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let mut ops = Ops::new(data);
    let settings = Settings::default();
    let idle = settings.idle_timeout;
    let mut now = Instant::from_secs(1);
    let mut console = match ops.byte().unwrap_or(0) % 3 {
        0 => Console::new(settings, now),
        1 => Console::logged_in(settings, "admin", now),
        _ => {
            let commands = String::from_utf8_lossy(ops.chunk()).into_owned();
            Console::exec(settings, "admin", &commands, now)
        }
    };
    let mut device = Device {
        running: Config::factory(),
    };
    let (mut input, mut events, mut output) = (0usize, 1usize, 0usize);
    let mut outstanding: Option<Request> = None;
    while let Some(op) = ops.byte() {
        match op % 8 {
            0..=3 => {
                let chunk = ops.chunk();
                input += chunk.len();
                console.receive(chunk, now);
            }
            4 | 5 => {
                if let Some(request) = outstanding.take() {
                    let yes = ops.byte().unwrap_or(0) & 1 == 1;
                    if let Some(answer) = device.answer(request, yes) {
                        console.answer(answer, now);
                    }
                }
            }
            6 => {
                let width = u16::from(ops.byte().unwrap_or(0)) + u16::from(op >> 7) * 256;
                console.set_width(width);
            }
            _ => {
                let step = u64::from(ops.byte().unwrap_or(0));
                now += Duration::from_millis(step * step * 10);
                if console.poll_timeout().is_some_and(|t| t <= now) {
                    console.handle_timeout(now);
                }
            }
        }
        events += 1;
        if let Some(request) = console.poll_request() {
            assert!(
                outstanding.is_none(),
                "a second request {request:?} while {outstanding:?} is unanswered"
            );
            outstanding = Some(request);
        }
        output += console.take_output().len();
        let bound = OUT_PER_INPUT_BYTE * input + OUT_PER_EVENT * events;
        assert!(output <= bound, "{output} bytes of output");
    }

    // Never stuck: answer what is pending, then past the idle timeout the session is closed.
    if let Some(request) = outstanding.take() {
        if let Some(answer) = device.answer(request, true) {
            console.answer(answer, now);
        }
    }
    // A job has a few steps (lock, apply, save, unlock...): bounded, but more than one.
    for _ in 0..64 {
        if console.is_closed() {
            break;
        }
        if let Some(request) = console.poll_request() {
            if let Some(answer) = device.answer(request, true) {
                console.answer(answer, now);
            }
            continue;
        }
        now += idle + Duration::from_secs(1);
        if let Some(t) = console.poll_timeout() {
            now = now.max(t);
        }
        console.handle_timeout(now);
    }
    let tail = console.take_output();
    assert!(
        console.is_closed(),
        "session still open past its idle timeout, waiting for {:?}; last output {:?}",
        console.poll_timeout(),
        String::from_utf8_lossy(&tail[tail.len().saturating_sub(200)..])
    );
});
