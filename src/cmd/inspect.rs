//! `fiscal inspect FILE`: what fiscal-archive reads from one input file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use crate::catalog::catalog;
use crate::cmd::{code, exit};
use crate::extract::{read_document, CheckState, DocumentReport};
use crate::model::Fact;

/// Show the identity, facts, anomalies and tables read from one input file.
///
/// Exit status: 0 when the file was read (even partly, even with anomalies), 2 when nothing
/// could be read from it; the reason is in `errors`.
///
/// Examples:
///   fiscal inspect sample_data/liaoning/panjin/dawa/smart-city-center/2023-final.txt
///   fiscal inspect report.txt --format json | jq '.facts[] | select(.metric=="income.total")'
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The input file: parsed text (.txt, UTF-8/GB18030/UTF-16).
    pub file: PathBuf,
    /// `text` groups facts by section for people; `json` is the SPEC §4 object for programs.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Read rule thresholds, disabled rules and severities from this pipeline file's [rules].
    #[arg(long, value_name = "FILE")]
    pub pipeline: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let settings = match crate::pipeline::rule_settings(args.pipeline.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fiscal inspect: {e}");
            return code(exit::UNREADABLE);
        }
    };
    let mut report = read_document(&args.file);
    crate::checks::check_document(&mut report, &settings);
    let rendered = match args.format {
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("fiscal inspect: cannot render JSON: {e}");
                return code(exit::FAILURE);
            }
        },
        Format::Text => render_text(&report),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(rendered.as_bytes()) {
        // A closed pipe (`| head`) is not an error worth a message.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("fiscal inspect: cannot write output: {e}");
            return code(exit::FAILURE);
        }
    }
    for e in &report.errors {
        eprintln!("fiscal inspect: {}: {}", e.kind, e.message);
    }
    if report.unreadable() {
        code(exit::UNREADABLE)
    } else {
        code(exit::OK)
    }
}

/// Sections of the human-readable listing, by metric prefix.
const SECTIONS: &[(&str, &str)] = &[
    ("income", "收入 Income"),
    ("expenditure", "支出 Expenditure"),
    ("carryover", "结转结余 Carry-over"),
    ("three_public", "“三公”经费 Three public expenses"),
    ("admin_cost", "机关运行经费 Administrative costs"),
    ("meeting_cost", "会议费、培训费 Meetings and training"),
    ("training_cost", "会议费、培训费 Meetings and training"),
    ("procurement", "政府采购 Procurement"),
    ("gov_purchase_services", "政府采购 Procurement"),
    ("assets", "国有资产 Assets"),
    ("vehicles", "国有资产 Assets"),
    ("staff", "机构人员 Staff"),
    ("units", "机构人员 Staff"),
    ("performance", "绩效 Performance"),
];

fn section_of(fact: &Fact) -> &'static str {
    let metric = fact.metric.as_str();
    SECTIONS
        .iter()
        .find(|(prefix, _)| metric == *prefix || metric.starts_with(&format!("{prefix}.")))
        .map_or("其他 Other", |(_, name)| name)
}

fn render_text(report: &DocumentReport) -> String {
    let mut s = String::new();
    let d = &report.document;
    let or_unknown = |v: Option<&str>| v.unwrap_or("?").to_string();
    let _ = writeln!(s, "file:        {}", report.file);
    let _ = writeln!(s, "encoding:    {}", or_unknown(report.encoding.as_deref()));
    let _ = writeln!(s, "department:  {}", or_unknown(d.department.as_deref()));
    let _ = writeln!(
        s,
        "identity:    {}",
        or_unknown(d.department_key.as_deref())
    );
    let _ = writeln!(s, "region:      {}", or_unknown(d.region.as_deref()));
    let _ = writeln!(
        s,
        "year, kind:  {} {}",
        d.fiscal_year.map_or("?".to_string(), |y| y.to_string()),
        d.kind.map_or("?", |k| k.as_str())
    );
    for e in &report.errors {
        let _ = writeln!(s, "ERROR {}: {}", e.kind, e.message);
    }
    let _ = writeln!(s, "\nanomalies ({})", report.anomalies.len());
    for a in &report.anomalies {
        let location = a.location.as_ref().map_or(String::new(), |l| l.to_string());
        let _ = writeln!(
            s,
            "  {:<7} {:<24} {:<9} {}  «{}»",
            a.severity.as_str(),
            a.rule,
            location,
            a.message,
            a.evidence
        );
    }
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status == CheckState::Skipped)
        .collect();
    let ran = report.checks.len() - skipped.len();
    let _ = writeln!(s, "\nchecks: {ran} ran, {} could not run", skipped.len());
    for c in &skipped {
        let _ = writeln!(
            s,
            "  skipped {:<26} {}",
            c.rule,
            c.reason.as_deref().unwrap_or_default()
        );
    }
    let _ = writeln!(s, "\nfacts ({})", report.facts.len());
    let mut order: Vec<&str> = Vec::new();
    for (_, name) in SECTIONS {
        if !order.contains(name) {
            order.push(name);
        }
    }
    order.push("其他 Other");
    for section in order {
        let facts: Vec<&Fact> = report
            .facts
            .iter()
            .filter(|f| section_of(f) == section)
            .collect();
        if facts.is_empty() {
            continue;
        }
        let _ = writeln!(s, "  {section}");
        for f in facts {
            let label = catalog()
                .metric(f.metric.as_str())
                .map_or("", |m| m.zh.as_str());
            let slice = match (&f.code, &f.item) {
                (Some(c), Some(i)) => format!("{c} {i}"),
                (Some(c), None) => c.to_string(),
                (None, Some(i)) => i.clone(),
                (None, None) => String::new(),
            };
            let value = f.value.map_or("—".to_string(), |v| v.to_string());
            let _ = writeln!(
                s,
                "    {:<10} {:<44} {:<14} {:>12} {:<4} {:<22} {}",
                f.location.to_string(),
                format!("{} {}", f.metric, slice).trim_end(),
                f.aspect.as_str(),
                value,
                f.unit.as_str(),
                label,
                f.raw
            );
        }
    }
    let _ = writeln!(s, "\ntables ({})", report.tables.len());
    for t in &report.tables {
        let _ = writeln!(
            s,
            "  {:<10} {:<8} {:<34} {:>4} facts  {}",
            t.location.to_string(),
            t.number.as_deref().unwrap_or(""),
            t.name,
            t.facts,
            t.recognized_by
                .as_deref()
                .map_or("not recognized".to_string(), |b| format!("by {b}"))
        );
    }
    if !report.unmapped.is_empty() {
        let _ = writeln!(s, "\nnumbers not attributed ({})", report.unmapped.len());
        for u in &report.unmapped {
            let _ = writeln!(
                s,
                "  {:<10} {:<14} after «{}»",
                u.location.to_string(),
                u.raw,
                u.label
            );
        }
    }
    s
}
