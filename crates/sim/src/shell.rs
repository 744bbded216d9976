//! What fits the shell, generated from the clap definitions so it never drifts from them:
//! completion scripts (`m2285-sim completions SHELL`) and the manual page (`m2285-sim man`).

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::Write;
use std::process::ExitCode;

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "m2285-sim", &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// Prints the manual page (roff) on stdout: the top-level command with its options, then one
/// section per subcommand.
pub fn man() -> ExitCode {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let rendered = clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .and_then(|()| {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                writeln!(out, ".SH \"M2285-SIM {}\"", sub.get_name().to_uppercase())?;
                let man = clap_mangen::Man::new(sub.clone());
                man.render_description_section(&mut out)?;
                man.render_options_section(&mut out)?;
            }
            Ok(())
        });
    match rendered.and_then(|()| std::io::stdout().write_all(&out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("m2285-sim man: {e}");
            ExitCode::FAILURE
        }
    }
}
