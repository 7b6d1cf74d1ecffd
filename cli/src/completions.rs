//! `meshlock completions SHELL` and `meshlock man`: generated from the clap definitions the
//! parser uses, so they cannot drift from the accepted flags.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::{Cli, Failure};

/// The completion script for `shell` on stdout (install: see README, "Install").
pub fn completions(shell: Shell) -> Result<u8, Failure> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "meshlock", &mut script);
    write_stdout(&script)
}

/// The man page of `meshlock` (roff) on stdout; `meshlock man | man -l -` shows it.
pub fn man() -> Result<u8, Failure> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Failure(format!("cannot render the man page: {e}")))?;
    write_stdout(&page)
}

fn write_stdout(bytes: &[u8]) -> Result<u8, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        // `| head` closes the pipe early: not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure(format!("cannot write output: {e}"))),
        _ => Ok(0),
    }
}
