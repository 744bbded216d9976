//! Serial faults at the PTY: bytes between the program and the device are damaged as they cross.
//!
//! The rule is the boundary crate's, the same as in virtual time
//! ([`m2285_boundary::faults::serial::cross`]): each burst is framed at the device's line
//! settings (start bit, data bits, parity, stop bits), bit errors hit the frames, a receiving
//! UART samples them back, then the per-character faults (drop, framing, parity) and the FIFO
//! apply, every die drawn in the same order from the same streams. So one `--seed` gives the
//! same corrupted bytes in both runtimes for the same bursts. This file is only the adapter: a
//! PTY carries bytes, so the program is taken to use the device's framing and rate (the PTY
//! has no wire of its own), and a burst is whatever one read of the PTY or one transmit of the
//! device carries.

use super::{Boundary, Faults};
use crate::realtime::vcd::VcdWriter;
use m2285_boundary::faults::serial::{self as serial_rule, LineSetup};
use m2285_boundary::faults::uart_bits;
use m2285_boundary::faults::Direction;
use m2285_boundary::trace::records;
use m2285_pty::{HostPty, PtyRead};
use m2285_time::Instant;
use m2285_uart::SerialParams;
use std::borrow::Cow;
use std::io;
use std::ops::{Deref, DerefMut};

/// The host PTY with the serial faults and the serial trace around its data path. Everything
/// else of [`HostPty`] is reached through `Deref`.
pub struct FaultyPty {
    inner: HostPty,
    boundary: Boundary,
    vcd: VcdWriter,
}

impl FaultyPty {
    /// Wraps `inner`.
    pub fn new(inner: HostPty, boundary: Boundary) -> Self {
        FaultyPty {
            inner,
            boundary,
            vcd: VcdWriter::default(),
        }
    }

    /// Draws the line's crossings in `vcd` too (`--vcd`).
    pub fn with_vcd(mut self, vcd: VcdWriter) -> Self {
        self.vcd = vcd;
        self
    }

    /// The VCD the crossings are drawn in (for the modem lines and the end of the run).
    pub fn vcd(&self) -> &VcdWriter {
        &self.vcd
    }

    /// Reads what the program wrote, after the faults towards the device on a line set to
    /// `line`, at `now`: like [`HostPty::read`], except that the bytes may be changed, fewer or
    /// (a start bit hit, a receiver at another rate) more (never `Data(0)` while the PTY had
    /// input: reading goes on when a fault took every byte). While a serial fault is on, only
    /// as much is read from the PTY as leaves room for the most characters a receiver can make
    /// of it (`uart_bits::max_received`), so they always fit.
    pub fn read(&self, buf: &mut [u8], line: SerialParams, now: Instant) -> io::Result<PtyRead> {
        self.boundary.update(now);
        let take = if self.boundary.faults().set().any_serial() {
            let per_char = uart_bits::max_received(1, &line);
            (buf.len() / per_char).max(1)
        } else {
            buf.len()
        };
        loop {
            let n = match self.inner.read(&mut buf[..take])? {
                PtyRead::Data(n) if n > 0 => n,
                other => return Ok(other),
            };
            let got = self.cross(Direction::ToDevice, &buf[..n], line, now);
            let Some(got) = got else {
                return Ok(PtyRead::Data(n));
            };
            let fit = got.len().min(buf.len());
            buf[..fit].copy_from_slice(&got[..fit]);
            if fit > 0 {
                return Ok(PtyRead::Data(fit));
            }
        }
    }

    /// The baud rate the device observes the program using: the rate the program set on the
    /// PTY, unless a `serial.baud_mismatch` makes the program's UART run at another one (as in
    /// virtual time, the device is told of the mismatch whichever way the fault acts).
    pub fn observed_baud(&self, line: SerialParams) -> Option<u32> {
        let set_by_program = self.inner.observed_baud();
        let setup = LineSetup {
            device: line,
            program_baud: set_by_program.unwrap_or(0),
        };
        let baud = setup.program_baud(self.boundary.faults().set(), Direction::Both);
        (baud != 0).then_some(baud)
    }

    /// The bytes the program will get for `bytes` the device transmitted on a line set to
    /// `line`, at `now`.
    /// (Borrowed when no fault changed them: no copy on the fast path.)
    pub fn cross_to_program<'a>(
        &self,
        bytes: &'a [u8],
        line: SerialParams,
        now: Instant,
    ) -> Cow<'a, [u8]> {
        match self.cross(Direction::FromDevice, bytes, line, now) {
            Some(changed) => Cow::Owned(changed),
            None => Cow::Borrowed(bytes),
        }
    }

    /// Bytes the device transmitted at `now` with no program on the port: they are on the
    /// wire all the same, so the VCD draws them (as virtual time does); nobody receives them.
    pub fn unheard(&self, bytes: &[u8], line: SerialParams, now: Instant) {
        if self.vcd.is_on() {
            let faults = self.boundary.faults();
            let way = Direction::FromDevice;
            self.vcd
                .crossing(faults.set(), &line_setup(line), way, bytes, now);
        }
    }

    /// Applies the faults going `way` and traces the crossing; `None` when nothing changed.
    fn cross(
        &self,
        way: Direction,
        sent: &[u8],
        line: SerialParams,
        now: Instant,
    ) -> Option<Vec<u8>> {
        self.boundary.update(now);
        if self.vcd.is_on() {
            let faults = self.boundary.faults();
            self.vcd
                .crossing(faults.set(), &line_setup(line), way, sent, now);
        }
        let out = cross(&mut self.boundary.faults(), line, way, sent);
        if self.boundary.tracer.is_on() {
            let got = out.as_deref().unwrap_or(sent);
            let record = records::serial_crossing(way, sent, got);
            self.boundary.tracer.record(now, record);
        }
        out.filter(|o| o.as_slice() != sent)
    }
}

impl Deref for FaultyPty {
    type Target = HostPty;
    fn deref(&self) -> &HostPty {
        &self.inner
    }
}

impl DerefMut for FaultyPty {
    fn deref_mut(&mut self) -> &mut HostPty {
        &mut self.inner
    }
}

/// The PTY adapter of the boundary's serial rule: applies every active serial fault covering
/// `way` to `bytes` on a line set to `line` (the program at the same rate and framing); `None`
/// when no serial fault is active that way.
pub fn cross(
    faults: &mut Faults,
    line: SerialParams,
    way: Direction,
    bytes: &[u8],
) -> Option<Vec<u8>> {
    let set = faults.set_mut();
    if !set.any_serial() {
        return None;
    }
    Some(serial_rule::cross(set, &line_setup(line), way, bytes).bytes)
}

/// The line as the boundary's rules see it at the PTY: the program is taken to use the
/// device's framing and rate (a PTY has no wire of its own; `serial.baud_mismatch` changes the
/// program's rate).
fn line_setup(line: SerialParams) -> LineSetup {
    LineSetup {
        device: line,
        program_baud: line.baud,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_byte_faults_follow_direction() {
        let mut f = Faults::new(1);
        let p = vec![
            ("probability".to_owned(), "1".to_owned()),
            ("direction".to_owned(), "from_device".to_owned()),
        ];
        let spec = super::super::parse("serial.drop", &p).unwrap_or_else(|e| panic!("{e}"));
        f.add(spec, p, Instant::ZERO);
        f.update(Instant::ZERO);
        let line = SerialParams::default();
        assert_eq!(
            cross(&mut f, line, Direction::ToDevice, b"abc"),
            Some(b"abc".to_vec())
        );
        assert_eq!(
            cross(&mut f, line, Direction::FromDevice, b"abc"),
            Some(vec![])
        );
        assert_eq!(f.counters(0).map(|c| c.bytes_dropped), Some(3));
    }
}
