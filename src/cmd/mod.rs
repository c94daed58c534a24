//! One file per subcommand: an `Args` struct (its doc comments are the `--help`) and `run()`.

pub mod inspect;
pub mod progress;
pub mod rules;
pub mod run;

use std::process::ExitCode;

/// Exit codes shared by every command (STYLE habit 5).
pub mod exit {
    /// Everything read.
    pub const OK: u8 = 0;
    /// The command itself failed (bad configuration, unwritable output).
    pub const FAILURE: u8 = 1;
    /// Usage error, or (inspect) nothing could be read from the file.
    pub const UNREADABLE: u8 = 2;
    /// Finished, but some inputs failed or a `--fail-on` threshold was reached.
    pub const INPUTS_FAILED: u8 = 3;
    /// (run) Another run holds the output directory.
    pub const LOCKED: u8 = 4;
}

/// Writes `text` to standard output. A closed pipe (`fiscal run --dry-run | head -1`) ends
/// the output quietly: the reader has what it wanted.
///
/// # Errors
/// Any other write error, as text.
pub(crate) fn print_stdout(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

pub(crate) fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}
