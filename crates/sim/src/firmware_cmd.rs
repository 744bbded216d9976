//! `m2285-sim firmware-image`: builds a firmware image the device's system administration page
//! accepts (the format is [`m2285_core::admin::firmware`]'s; docs/web.md "Firmware upgrade").

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `firmware-image`.
#[derive(Debug, clap::Args)]
pub struct FirmwareImageArgs {
    /// The firmware version the image carries (1 to 31 printable ASCII characters), which the
    /// device reports after the upgrade.
    #[arg(long)]
    pub version: String,
    /// Where to write the image (replaced if it exists; `-` for stdout).
    #[arg(short, long)]
    pub output: PathBuf,
    /// A file to carry as the payload; by default a small text naming the version.
    #[arg(long)]
    pub payload: Option<PathBuf>,
}

/// Builds the image; exit 0, or 1 with the reason.
pub fn run(args: &FirmwareImageArgs) -> ExitCode {
    match build(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("m2285-sim firmware-image: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build(args: &FirmwareImageArgs) -> Result<(), String> {
    let payload = match &args.payload {
        Some(path) => m2285_hostfs::read_regular(path, m2285_hostfs::USER_FILE_LIMIT)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        None => format!("m2285-sim firmware {}\n", args.version).into_bytes(),
    };
    let image =
        m2285_core::admin::firmware::build(&args.version, &payload).map_err(|e| e.to_string())?;
    if args.output.as_os_str() == "-" {
        return std::io::stdout()
            .write_all(&image)
            .map_err(|e| format!("stdout: {e}"));
    }
    let mut file = m2285_hostfs::create_output(&args.output, 0o644)
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
    file.write_all(&image)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", args.output.display()))
}
