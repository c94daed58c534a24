//! `fiscal`: parse the command line, run one command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fiscal_archive::cmd;

/// fiscal-archive: Chinese government fiscal disclosures (部门预算/决算公开) → one checked,
/// consolidated Excel workbook.
#[derive(Debug, Parser)]
#[command(name = "fiscal", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what is read from one input file: identity, facts, anomalies, tables.
    Inspect(cmd::inspect::Args),
    /// Read an archive, check every document, write the consolidated workbook and exports.
    Run(cmd::run::Args),
    /// List the anomaly rules with severity, description and thresholds in force.
    Rules(cmd::rules::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Rules(args) => cmd::rules::run(args),
    }
}
