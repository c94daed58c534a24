//! One file per subcommand: an `Args` struct (its doc comments are the `--help`) and `run()`.

pub mod inspect;
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
}

pub(crate) fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}
