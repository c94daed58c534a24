//! `fiscal rules`: every anomaly rule with its severity, description and current thresholds.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::catalog::catalog;
use crate::cmd::{code, exit};

/// List every anomaly rule: id, severity, scope, description and the thresholds in force.
///
/// Examples:
///   fiscal rules
///   fiscal rules --pipeline pipelines/audit.toml     # thresholds as that pipeline sets them
///   fiscal rules --format json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Show severities and thresholds as set in this pipeline file's [rules].
    #[arg(long, value_name = "FILE")]
    pub pipeline: Option<PathBuf>,
    /// `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = crate::cmd::inspect::Format::Text)]
    pub format: crate::cmd::inspect::Format,
}

pub fn run(args: Args) -> ExitCode {
    let settings = match crate::pipeline::rule_settings(args.pipeline.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fiscal rules: {e}");
            return code(exit::UNREADABLE);
        }
    };
    let c = catalog();
    let rules: Vec<serde_json::Value> = c
        .rules
        .iter()
        .map(|r| {
            let thresholds: serde_json::Map<String, serde_json::Value> = r
                .thresholds
                .iter()
                .map(|t| {
                    (
                        t.clone(),
                        settings.threshold(t).normalize().to_string().into(),
                    )
                })
                .collect();
            serde_json::json!({
                "rule": r.id,
                "severity": settings.severity(r).as_str(),
                "scope": r.scope.as_str(),
                "enabled": settings.enabled(&r.id),
                "description_zh": r.zh,
                "description_en": r.en,
                "thresholds": thresholds,
            })
        })
        .collect();
    let out = match args.format {
        crate::cmd::inspect::Format::Json => {
            serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n"
        }
        crate::cmd::inspect::Format::Text => {
            let mut s = String::new();
            for (r, j) in c.rules.iter().zip(&rules) {
                let _ = writeln!(
                    s,
                    "{:<26} {:<8} {:<9}{}",
                    r.id,
                    j["severity"].as_str().unwrap_or_default(),
                    j["scope"].as_str().unwrap_or_default(),
                    if settings.enabled(&r.id) {
                        ""
                    } else {
                        " (disabled)"
                    }
                );
                let _ = writeln!(s, "    {}\n    {}", r.zh, r.en);
                for t in &r.thresholds {
                    let def = c.thresholds.iter().find(|d| &d.name == t);
                    let _ = writeln!(
                        s,
                        "    {t} = {}   ({})",
                        settings.threshold(t).normalize(),
                        def.map_or("", |d| d.en.as_str())
                    );
                }
            }
            s
        }
    };
    match crate::cmd::print_stdout(&out) {
        Ok(()) => code(exit::OK),
        Err(e) => {
            eprintln!("fiscal rules: {e}");
            code(exit::FAILURE)
        }
    }
}
