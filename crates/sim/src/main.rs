//! `m2285-sim`: a simulated Patton EtherBits Model 2285 serial device server on a host.

mod cli;
mod console;
mod control;
mod firmware_cmd;
mod logging;
mod mgmt;
mod netns;
mod output;
mod progress;
mod realtime;
mod scenario_cmd;
mod shell;
mod state_dir;
mod tls_files;
mod web;

use clap::Parser;
use cli::{Cli, Command};
use m2285_core::config::ConfigError;
use std::process::ExitCode;

fn main() -> ExitCode {
    raise_fd_limit();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::CheckConfig { file }) => check_config(&file),
        Some(Command::Ctl(args)) => control::client::run(args),
        Some(Command::Run(args)) => scenario_cmd::run(args),
        Some(Command::Completions { shell }) => shell::completions(shell),
        Some(Command::Man) => shell::man(),
        Some(Command::FirmwareImage(args)) => firmware_cmd::run(&args),
        Some(Command::Fleet(args)) => {
            logging::init(args.log.as_deref(), args.log_format);
            match realtime::fleet::run(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("m2285-sim fleet: {message}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::PrintCert(args)) => match print_cert(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("m2285-sim: {message}");
                ExitCode::FAILURE
            }
        },
        None => {
            logging::init(cli.run.log.as_deref(), cli.run.log_format);
            match run_device(&cli.run) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("m2285-sim: {message}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn run_device(args: &cli::RunArgs) -> Result<(), String> {
    let dir = state_dir::of(args)?;
    let config = realtime::load_config(args, &dir)?;
    let namespace = if args.netns.netns {
        Some(netns::setup::single(
            &config,
            args.netns.netns_host_ip,
            args.netns.netns_lan.as_deref(),
        )?)
    } else {
        None
    };
    let mut runtime = realtime::Runtime::boot(args, config, &dir, namespace)?;
    runtime.announce_ready();
    if let Some(cmd) = &args.attach {
        runtime.attach(cmd)?;
    }
    tracing::info!(state_dir = %dir.display(), "device ready");
    runtime.run()
}

/// Prints the device certificate (PEM) a client should trust, creating the device's own
/// certificate in its state directory if it has none yet.
fn print_cert(args: &cli::RunArgs) -> Result<(), String> {
    let dir = state_dir::of(args)?;
    let config = realtime::load_config(args, &dir)?;
    let seed = args.seed.unwrap_or_else(tls_files::fresh_seed);
    let platform = realtime::platform(&dir);
    let device_unix = realtime::device_unix_at_power_on(&platform);
    let material = tls_files::load(&config, &dir, &args.ip.to_string(), seed, device_unix, true)?
        .ok_or("no certificate")?;
    print!("{}", String::from_utf8_lossy(&material.cert_chain_pem));
    Ok(())
}

fn check_config(file: &std::path::Path) -> ExitCode {
    let text = match m2285_hostfs::read_regular_text(file, m2285_hostfs::USER_FILE_LIMIT) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match m2285_core::Config::from_toml_str(&text) {
        Ok(_) => {
            println!("{}: ok", file.display());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{}", config_errors(&file.display().to_string(), &errors));
            ExitCode::FAILURE
        }
    }
}

/// Formats configuration mistakes, one per line, under a heading naming their source.
pub fn config_errors(source: &str, errors: &[ConfigError]) -> String {
    let mut s = format!("{source}: {} mistake(s):", errors.len());
    for e in errors {
        s.push_str("\n  ");
        s.push_str(&e.to_string());
    }
    s
}

/// Lifts the soft limit on open descriptors to the hard one: a device holds several (PTY,
/// sockets, event loop), a fleet several per device, and the common soft limit of 1024 would
/// stop a fleet or a busy control API long before the hard limit.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                eprintln!("m2285-sim: cannot raise the open-file limit from {soft} to {hard}: {e}");
            }
        }
    }
}
