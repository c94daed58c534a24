//! `fiscal run`: read an archive, check every document, consolidate, write the workbook.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::analysis;
use crate::checks::{check_document, RuleSettings};
use crate::cmd::{code, exit};
use crate::extract::{read_document, DocumentReport};
use crate::model::Kind;
use crate::pipeline::{FailOn, Language, Limits, Overrides, Plan};
use crate::report::{self, RunSummary};

/// Read every input of a pipeline, check it, and write the consolidated workbook with
/// facts.parquet, anomalies.csv and run.json. The command line overrides the pipeline file.
///
/// Exit status: 0 ok; 1 the run failed (unwritable output); 2 bad usage or pipeline file;
/// 3 finished, but some inputs failed or the --fail-on threshold was reached.
///
/// Examples:
///   fiscal run                                            # pipelines/report.toml
///   fiscal run --pipeline pipelines/nightly.toml --quiet
///   fiscal run --pipeline pipelines/audit.toml --department 大洼区智慧城市运行管理中心 --year 2023
///   fiscal run --input sample_data --out /tmp/out --jobs 2 --fail-on warning
///   fiscal run --dry-run                                  # print the resolved plan
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Pipeline file (TOML); default pipelines/report.toml when it exists.
    #[arg(long, value_name = "FILE")]
    pub pipeline: Option<PathBuf>,
    /// Input directories or files; replaces the pipeline's [inputs] paths. Repeatable.
    #[arg(long = "input", value_name = "PATH")]
    pub inputs: Vec<PathBuf>,
    /// Output directory; replaces [output] dir.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: [output] jobs, 0 = one per core). Output does not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Keep only departments whose name or identity contains this. Repeatable.
    #[arg(long = "department", value_name = "NAME")]
    pub departments: Vec<String>,
    /// Keep only this fiscal year. Repeatable.
    #[arg(long = "year", value_name = "YEAR")]
    pub years: Vec<i32>,
    /// Keep only budgets or final accounts. Repeatable.
    #[arg(long = "kind", value_enum, value_name = "KIND")]
    pub kinds: Vec<KindArg>,
    /// Exit 3 when an anomaly of this severity or worse is found.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// Workbook language.
    #[arg(long, value_enum)]
    pub lang: Option<Language>,
    /// No progress bars, no summary on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Print the resolved plan (inputs, filters, outputs) as JSON and stop.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Budget,
    Final,
}

impl Args {
    fn overrides(&self) -> Overrides {
        Overrides {
            pipeline: self.pipeline.clone(),
            inputs: self.inputs.clone(),
            out: self.out.clone(),
            jobs: self.jobs,
            departments: self.departments.clone(),
            years: self.years.clone(),
            kinds: self
                .kinds
                .iter()
                .map(|k| match k {
                    KindArg::Budget => Kind::Budget,
                    KindArg::Final => Kind::Final,
                })
                .collect(),
            fail_on: self.fail_on,
            language: self.lang,
            quiet: self.quiet,
        }
    }
}

/// The per-file work: read and check one input within `limits`. Pure apart from the time
/// budget: same file, same report, unless the file runs out of time (then it is a failed
/// input naming the budget, and nothing it half-read is kept).
pub fn process(path: &Path, rules: &RuleSettings, limits: &Limits) -> DocumentReport {
    let file = path.display().to_string();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > limits.max_file_bytes() {
        return crate::extract::failed_report(
            &file,
            "limit",
            format!(
                "{file}: {:.1} MB is over the file size limit ([limits] max_file_mb = {})",
                size as f64 / 1_048_576.0,
                limits.max_file_mb
            ),
        );
    }
    if crate::extract::is_text_path(path) {
        if let Some((line, len)) = crate::guard::longest_line_over(path, limits.max_line_bytes()) {
            return crate::extract::failed_report(
                &file,
                "limit",
                format!(
                    "{file}: line {line} is {:.1} KB long, over the line limit ([limits] max_line_kb = {})",
                    len as f64 / 1024.0,
                    limits.max_line_kb
                ),
            );
        }
    }
    let budget = crate::guard::Budget::start(limits.time_for(size));
    let mut report = read_document(path);
    check_document(&mut report, rules);
    if budget.was_exceeded() {
        return crate::extract::failed_report(
            &file,
            "limit",
            format!(
                "{file}: stopped after {:.1} s, over the time budget of {:.1} s for {:.1} MB ([limits] seconds_per_mb = {}, min_seconds = {})",
                budget.elapsed().as_secs_f64(),
                budget.limit().as_secs_f64(),
                size as f64 / 1_048_576.0,
                limits.seconds_per_mb,
                limits.min_seconds
            ),
        );
    }
    // The prose lines, lists and cells served the per-document checks; consolidation reads
    // facts and tables only, so a nightly run does not hold every document's text.
    // The codes its tables print stay: a companion's prose resolves its sub-items by them.
    // The text served the per-document checks; a nightly run does not hold every document's.
    report.shed();
    report
}

/// Reads and checks every input in parallel, a disclosure's parts (companion files) together,
/// and keeps each report compact as soon as its disclosure is done (see
/// [`analysis::prepare`]): the run never holds every document's full report. Path order.
pub fn read_all(plan: &Plan) -> Result<Vec<analysis::StoredReport>, String> {
    let bar = if plan.progress {
        let bar = ProgressBar::new(plan.inputs.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} reading {pos}/{len} {wide_bar} {elapsed}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.jobs)
        .build()
        .map_err(|e| format!("cannot start {} worker threads: {e}", plan.jobs))?;
    let files: Vec<String> = plan
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let groups = analysis::companion_groups(&names);
    let prepared = pool.install(|| {
        groups
            .par_iter()
            .map(|group| {
                let reports = group
                    .iter()
                    .map(|&i| {
                        let report = process(&plan.inputs[i], &plan.rules, &plan.limits);
                        bar.inc(1);
                        report
                    })
                    .collect();
                group
                    .iter()
                    .copied()
                    .zip(analysis::prepare(reports, &plan.rules))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });
    bar.finish_and_clear();
    let mut all: Vec<(usize, analysis::StoredReport)> = prepared.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

pub fn run(args: Args) -> ExitCode {
    let plan = match Plan::resolve(&args.overrides()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("fiscal run: {e}");
            return code(exit::UNREADABLE);
        }
    };
    if args.dry_run {
        match serde_json::to_string_pretty(&plan) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("fiscal run: {e}");
                return code(exit::FAILURE);
            }
        }
        return code(exit::OK);
    }
    let started = Instant::now();
    let reports = match read_all(&plan) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fiscal run: {e}");
            return code(exit::FAILURE);
        }
    };
    let archive = match analysis::consolidate(reports, &plan) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fiscal run: consolidation failed: {e}");
            return code(exit::FAILURE);
        }
    };
    let mut summary = RunSummary::new(&archive, &plan);
    let threshold = archive
        .findings
        .iter()
        .any(|f| plan.fail_on.reached_by(f.anomaly.severity));
    // A run that read nothing must not look like a clean night.
    let nothing_read = !archive
        .inputs
        .iter()
        .any(|i| i.status != analysis::InputStatus::Failed);
    summary.exit_code = if nothing_read || !summary.failed_inputs.is_empty() || threshold {
        exit::INPUTS_FAILED
    } else {
        exit::OK
    };
    let created = plan.source_date_epoch.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    if plan.source_date_epoch.is_none() {
        summary.duration_ms = Some(started.elapsed().as_millis());
    }
    if let Err(e) = report::write_all(&archive, &plan, created, &summary) {
        eprintln!("fiscal run: {e}");
        return code(exit::FAILURE);
    }
    if !plan.quiet {
        eprintln!(
            "fiscal run: {} inputs, {} documents, {} facts; anomalies: {} error, {} warning, {} info; {} failed inputs → {}",
            summary.inputs,
            summary.documents,
            summary.facts,
            summary.anomalies.get("error").unwrap_or(&0),
            summary.anomalies.get("warning").unwrap_or(&0),
            summary.anomalies.get("info").unwrap_or(&0),
            summary.failed_inputs.len(),
            plan.outputs.workbook.display()
        );
        for f in &summary.failed_inputs {
            eprintln!("  failed: {}: {}", f.file, f.errors.join("; "));
        }
        for (reason, n) in &summary.skipped.by_reason {
            eprintln!("  skipped ({n}): {reason}");
        }
    }
    if nothing_read {
        eprintln!(
            "fiscal run: no readable document under {} ({} files failed, {} skipped; see {})",
            plan.roots_display(),
            summary.failed_inputs.len(),
            summary.skipped.count,
            plan.outputs.run_json.display()
        );
    }
    code(summary.exit_code)
}
