//! Result codes and information text, framed the Hayes / V.250 way.
//!
//! Verbose (`ATV1`): `<S3><S4>TEXT<S3><S4>`. Numeric (`ATV0`): `<digit><S3>`. Information text
//! (`ATI`, `ATSn?`) is `<S3><S4>text<S3><S4>` verbose and `text<S3><S4>` numeric, and is sent even
//! when `ATQ1` silences result codes.

/// A final (or, for RING, unsolicited) result code with its numeric value from the manual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// 0: command line executed.
    Ok,
    /// 1: a session is up; the modem is in data mode.
    Connect,
    /// 2: a peer connected to the port opened by `ATA`.
    Ring,
    /// 3: no session (dial failed, session ended, or `AT?`/`ATO` without one).
    NoCarrier,
    /// 4: the command line was not understood or not allowed now.
    Error,
}

impl ResultCode {
    /// The numeric form printed after `ATV0`.
    pub const fn numeric(self) -> u8 {
        match self {
            ResultCode::Ok => 0,
            ResultCode::Connect => 1,
            ResultCode::Ring => 2,
            ResultCode::NoCarrier => 3,
            ResultCode::Error => 4,
        }
    }

    /// The verbose form printed after `ATV1` (the default).
    pub const fn verbose(self) -> &'static str {
        match self {
            ResultCode::Ok => "OK",
            ResultCode::Connect => "CONNECT",
            ResultCode::Ring => "RING",
            ResultCode::NoCarrier => "NO CARRIER",
            ResultCode::Error => "ERROR",
        }
    }
}

/// The bytes of `code` with framing characters `cr` (S3) and `lf` (S4).
pub(crate) fn format_result(code: ResultCode, verbose: bool, cr: u8, lf: u8) -> Vec<u8> {
    if verbose {
        framed(code.verbose().as_bytes(), cr, lf)
    } else {
        vec![b'0' + code.numeric(), cr]
    }
}

/// The bytes of one line of information text.
pub(crate) fn format_info(text: &[u8], verbose: bool, cr: u8, lf: u8) -> Vec<u8> {
    if verbose {
        framed(text, cr, lf)
    } else {
        let mut out = Vec::with_capacity(text.len() + 2);
        out.extend_from_slice(text);
        out.extend_from_slice(&[cr, lf]);
        out
    }
}

fn framed(text: &[u8], cr: u8, lf: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 4);
    out.extend_from_slice(&[cr, lf]);
    out.extend_from_slice(text);
    out.extend_from_slice(&[cr, lf]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        assert_eq!(
            format_result(ResultCode::NoCarrier, true, 13, 10),
            b"\r\nNO CARRIER\r\n"
        );
        assert_eq!(format_result(ResultCode::Error, false, 13, 10), b"4\r");
        assert_eq!(format_info(b"043", true, 13, 10), b"\r\n043\r\n");
        assert_eq!(format_info(b"043", false, 13, 10), b"043\r\n");
    }
}
