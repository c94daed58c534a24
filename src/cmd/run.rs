//! `fiscal run`: read an archive, check every document, consolidate, write the workbook.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

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
/// Exit status (the outputs are replaced only on 0 and 3):
///   0  every input read, no anomaly at or above --fail-on
///   1  the run failed (an output could not be written)
///   2  bad usage or pipeline file, or an input root missing or empty: outputs untouched
///   3  finished, but some inputs failed or the --fail-on threshold was reached; also when
///      every input failed (then the outputs are left untouched)
///   4  another run holds the output directory (its lock file .fiscal-run.lock names it)
///
/// Examples:
///   fiscal run                                            # pipelines/report.toml
///   fiscal run --pipeline pipelines/nightly.toml --quiet
///   fiscal run --pipeline pipelines/audit.toml --department 大洼区智慧城市运行管理中心 --year 2023
///   fiscal run --input sample_data --out /tmp/out --jobs 2 --fail-on warning
///   fiscal run --dry-run                                  # print the resolved plan
///   fiscal run --no-cache                                 # read everything, bypass the cache
///   fiscal run --shard 2/4 --cache /shared/cache          # fill the cache with a quarter
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
    /// Read every input even when nothing changed since the previous run (by default an
    /// unchanged archive keeps the previous outputs and only run.json is rewritten).
    #[arg(long)]
    pub no_cache: bool,
    /// Cache directory; replaces [cache] dir (default: <out>/cache).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Read only the i-th of n parts of the archive into the cache and write no outputs; a
    /// run without --shard over the same cache then consolidates (e.g. 1/4 … 4/4 on four
    /// machines sharing the archive and --cache at the same paths).
    #[arg(long, value_name = "I/N", value_parser = crate::pipeline::Shard::parse)]
    pub shard: Option<crate::pipeline::Shard>,
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
            cache: self.cache.clone(),
            shard: self.shard,
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
                "{file}: {} is over the file size limit ([limits] max_file_mb = {})",
                human_size(size),
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
    let _sheet_limits = limits.sheet().apply();
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

/// What the per-disclosure cache gives a run: the cache as found, the tool key and the
/// content hash of every input (see [`analysis::cache`]).
pub struct Incremental<'a> {
    pub cache: &'a mut analysis::cache::Cache,
    pub tool: &'a str,
    pub content: &'a std::collections::BTreeMap<String, Option<String>>,
}

/// The reports of a run's inputs and where they came from.
pub struct Reading {
    /// In path order.
    pub reports: Vec<analysis::StoredReport>,
    /// Files read and checked by this run.
    pub read: usize,
    /// Files whose reports came from the cache.
    pub cached: usize,
    /// Cache segments that could not be used, or a cache that could not be updated.
    pub cache_warnings: Vec<String>,
    pub cache_updated: Option<analysis::cache::Updated>,
}

/// Reads and checks every input in parallel, a disclosure's parts (companion files) together,
/// and keeps each report compact as soon as its disclosure is done (see
/// [`analysis::prepare`]): the run never holds every document's full report. With
/// `incremental`, disclosures found in the cache are taken from it and the cache is updated
/// with what was read; with a shard, only the shard's disclosures are considered. Path order.
pub fn read_all(plan: &Plan, mut incremental: Option<Incremental<'_>>) -> Result<Reading, String> {
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
    let mut groups = analysis::companion_groups(&names);
    if let Some(shard) = plan.shard {
        groups.retain(|g| g.first().is_some_and(|&i| shard.owns(&files[i])));
    }
    let keys: Vec<Option<String>> = groups
        .iter()
        .map(|g| {
            let inc = incremental.as_ref()?;
            let parts: Option<Vec<(&str, &str)>> = g
                .iter()
                .map(|&i| {
                    let id = inc.content.get(&files[i])?.as_deref()?;
                    Some((files[i].as_str(), id))
                })
                .collect();
            Some(analysis::cache::group_key(inc.tool, parts?))
        })
        .collect();
    let mut cache_warnings = Vec::new();
    let mut loaded = match incremental.as_mut() {
        Some(inc) => {
            let wanted = keys.iter().flatten().map(String::as_str).collect();
            let (loaded, warnings) = pool.install(|| inc.cache.load(&wanted));
            cache_warnings.extend(warnings);
            loaded
        }
        None => Default::default(),
    };
    let slots: Vec<Option<Vec<analysis::StoredReport>>> = keys
        .iter()
        .zip(&groups)
        .map(|(k, g)| {
            let hit = loaded.remove(k.as_deref()?)?;
            // A cached disclosure is used only whole and for the same files.
            (hit.len() == g.len() && hit.iter().zip(g).all(|(r, &i)| r.report.file == files[i]))
                .then_some(hit)
        })
        .collect();
    drop(loaded);
    let to_read: usize = groups
        .iter()
        .zip(&slots)
        .filter(|(_, s)| s.is_none())
        .map(|(g, _)| g.len())
        .sum();
    let reading_started = std::time::Instant::now();
    let bar = super::progress::reading_bar(plan.progress, to_read);
    let prepared: Vec<(bool, Vec<analysis::StoredReport>)> = pool.install(|| {
        groups
            .par_iter()
            .zip(slots.into_par_iter())
            .map(|(group, slot)| {
                if let Some(hit) = slot {
                    return (false, hit);
                }
                let read = || {
                    let reports = group
                        .iter()
                        .map(|&i| {
                            let report = process(&plan.inputs[i], &plan.rules, &plan.limits);
                            bar.inc(1);
                            report
                        })
                        .collect();
                    analysis::prepare(reports, &plan.rules)
                };
                // A defect of ours that a file's content reaches must cost that file, not the
                // night: the disclosure becomes a failed input naming the cause.
                let stored = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
                    .unwrap_or_else(|payload| {
                        let why = crate::guard::panic_text(payload.as_ref());
                        let failed = group
                            .iter()
                            .map(|&i| {
                                let file = plan.inputs[i].display().to_string();
                                crate::extract::failed_report(
                                    &file,
                                    "internal",
                                    format!("{file}: internal error while reading ({why}); not read, the run goes on"),
                                )
                            })
                            .collect();
                        analysis::prepare(failed, &plan.rules)
                    });
                (true, stored)
            })
            .collect()
    });
    bar.finish_and_clear();
    if !plan.quiet && to_read > 0 {
        eprintln!(
            "fiscal run: {}",
            super::progress::reading_done(to_read, reading_started.elapsed())
        );
    }
    let mut cache_updated = None;
    if let Some(inc) = &incremental {
        let entries: Vec<analysis::cache::Entry<'_>> = keys
            .iter()
            .zip(&prepared)
            .filter_map(|(key, (fresh, reports))| {
                let key = key.as_deref()?;
                analysis::cache::cacheable(reports).then_some(analysis::cache::Entry {
                    key,
                    reports,
                    fresh: *fresh,
                })
            })
            .collect();
        match pool.install(|| inc.cache.update(&entries, plan.shard)) {
            Ok(u) => cache_updated = Some(u),
            Err(e) => cache_warnings.push(format!("cache not updated: {e}")),
        }
    }
    let read = prepared
        .iter()
        .filter(|(fresh, _)| *fresh)
        .map(|(_, r)| r.len())
        .sum();
    let cached = prepared
        .iter()
        .filter(|(fresh, _)| !*fresh)
        .map(|(_, r)| r.len())
        .sum();
    let mut all: Vec<(usize, analysis::StoredReport)> = groups
        .iter()
        .zip(prepared)
        .flat_map(|(g, (_, reports))| g.iter().copied().zip(reports))
        .collect();
    all.sort_by_key(|(i, _)| *i);
    Ok(Reading {
        reports: all.into_iter().map(|(_, r)| r).collect(),
        read,
        cached,
        cache_warnings,
        cache_updated,
    })
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
        let printed = serde_json::to_string_pretty(&plan)
            .map_err(|e| e.to_string())
            .and_then(|s| crate::cmd::print_stdout(&(s + "\n")));
        return match printed {
            Ok(()) => code(exit::OK),
            Err(e) => {
                eprintln!("fiscal run: {e}");
                code(exit::FAILURE)
            }
        };
    }
    // An input root that is not there (an unmounted share) or holds nothing to read is a
    // setup problem, not a night with nothing in it: stop before touching the outputs.
    if !plan.missing_inputs.is_empty() {
        let missing: Vec<String> = plan
            .missing_inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "fiscal run: input not found: {}; nothing read, the outputs in {} are left as they are",
            missing.join(", "),
            plan.outputs.dir.display()
        );
        return code(exit::UNREADABLE);
    }
    if plan.inputs.is_empty() {
        eprintln!(
            "fiscal run: no input files under {} ({} other files skipped); nothing read, the outputs in {} are left as they are",
            plan.roots_display(),
            plan.skipped.len(),
            plan.outputs.dir.display()
        );
        return code(exit::UNREADABLE);
    }
    if plan.shard.is_some() {
        if args.no_cache {
            eprintln!("fiscal run: --shard fills the cache; it cannot be used with --no-cache");
            return code(exit::UNREADABLE);
        }
        return run_shard(&plan);
    }
    let started = Instant::now();
    let started_at = plan.source_date_epoch.unwrap_or_else(now);
    let started_text = crate::report::Timestamps::of(started_at);
    let _lock = match crate::lock::RunLock::acquire(&plan.outputs.dir, &started_text.utc) {
        Ok((lock, note)) => {
            if let Some(note) = note {
                eprintln!("fiscal run: {note}");
            }
            lock
        }
        Err(e @ crate::lock::LockError::Held { .. }) => {
            eprintln!("fiscal run: {e}");
            return code(exit::LOCKED);
        }
        Err(e) => {
            eprintln!("fiscal run: {e}");
            return code(exit::FAILURE);
        }
    };
    let o = &plan.outputs;
    for note in report::commit::recover(
        &o.dir,
        &[
            &o.workbook,
            &o.parquet,
            &o.departments,
            &o.anomalies_csv,
            &o.run_json,
        ],
    ) {
        eprintln!("fiscal run: {note}");
    }
    // Nothing changed since the previous run (same tool, settings and file contents): its
    // outputs stand; only run.json is written anew.
    use crate::analysis::changes::{fingerprint, Changes, RunState, STATE_FILE};
    let fingerprint = fingerprint(&plan);
    let content = hash_inputs(&plan);
    let previous = RunState::load(&plan.outputs.dir.join(STATE_FILE));
    if let (Ok(Some(before)), false) = (&previous, args.no_cache) {
        if before.same_run(&fingerprint, &content) {
            if let Some(exit) = reuse(&plan, before, &started_text, started) {
                return exit;
            }
        }
    }
    let reading = match read_reporting(&plan, !args.no_cache, &content) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let cache_summary = cache_summary(&plan, &reading);
    let (documents_read, documents_from_cache) = (reading.read, reading.cached);
    let reports = reading.reports;
    let phases = super::progress::Phases::new(!plan.quiet);
    phases.start("checking the archive");
    // A defect in the cross-document work or in writing is the run's failure (exit 1, the
    // previous outputs left as they were), never an abort a scheduler cannot read.
    let consolidated = guarded("consolidation", || {
        analysis::consolidate(reports, &plan).map_err(|e| format!("consolidation failed: {e}"))
    });
    let archive = match consolidated {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fiscal run: {e}; the previous outputs are left as they were");
            return code(exit::FAILURE);
        }
    };
    let mut summary = RunSummary::new(&archive, &plan);
    let threshold = archive
        .findings
        .iter()
        .any(|f| plan.fail_on.reached_by(f.anomaly.severity));
    // Errors are printed even under --quiet (it hides progress and the summary only): failed
    // inputs, and entries of the input folders that could not be listed or opened.
    for f in &summary.failed_inputs {
        eprintln!("fiscal run: failed: {}: {}", f.file, f.errors.join("; "));
    }
    for s in plan.skipped.iter().filter(|s| {
        s.reason.starts_with("directory cannot be listed") || s.reason.starts_with("cannot be read")
    }) {
        eprintln!("fiscal run: not read: {}: {}", s.file, s.reason);
    }
    // A run that read nothing must not look like a clean night, nor replace one.
    let nothing_read = !archive
        .inputs
        .iter()
        .any(|i| i.status != analysis::InputStatus::Failed);
    if nothing_read {
        eprintln!(
            "fiscal run: no readable document under {} ({} files failed, {} skipped); the outputs in {} are left as they are",
            plan.roots_display(),
            summary.failed_inputs.len(),
            summary.skipped.count,
            plan.outputs.dir.display()
        );
        return code(exit::INPUTS_FAILED);
    }
    let failed = !summary.failed_inputs.is_empty();
    summary.exit_code = if failed || threshold {
        exit::INPUTS_FAILED
    } else {
        exit::OK
    };
    summary.exit_reason = match (failed, threshold) {
        (false, false) => "ok",
        (true, false) => "failed_inputs",
        (false, true) => "fail_on",
        (true, true) => "failed_inputs+fail_on",
    }
    .to_string();
    let created = started_at;
    // What changed since the previous run into this directory (its state file).
    let state = RunState::of(&archive, &started_text.utc, &fingerprint, &content);
    summary.documents_read = documents_read;
    summary.documents_from_cache = documents_from_cache;
    summary.cache = cache_summary;
    summary.changes = match previous {
        Ok(Some(before)) => Changes::between(&before, &state),
        Ok(None) => Changes::none("first run into this output directory: nothing to compare with"),
        Err(e) => {
            eprintln!("fiscal run: previous state not compared: {e}");
            Changes::none(format!("previous state not compared: {e}"))
        }
    };
    let mut set = report::commit::OutputSet::new(&plan.outputs.dir);
    let written = guarded("writing the outputs", || {
        report::write_all(&archive, &plan, created, &summary.changes, &mut set, &|p| {
            phases.start(p)
        })
        .and_then(|()| {
            phases.start("writing the run state and switching the outputs in");
            report::write_state(&plan, &state, &mut set)
        })
    });
    if let Err(e) = written {
        eprintln!("fiscal run: {e}; the previous outputs are left as they were");
        return code(exit::FAILURE);
    }
    summary.started_at = started_text;
    summary.finished_at = crate::report::Timestamps::of(plan.source_date_epoch.unwrap_or_else(now));
    if plan.source_date_epoch.is_none() {
        summary.duration_ms = Some(started.elapsed().as_millis());
    }
    if let Err(e) = report::write_run_json(&plan, &summary, &mut set).and_then(|()| set.commit()) {
        eprintln!("fiscal run: {e}");
        return code(exit::FAILURE);
    }
    phases.finish();
    if !plan.quiet {
        eprintln!(
            "fiscal run: {} inputs ({} read, {} from the cache), {} documents, {} facts; anomalies: {} error, {} warning, {} info; {} failed inputs → {}",
            summary.inputs,
            summary.documents_read,
            summary.documents_from_cache,
            summary.documents,
            summary.facts,
            summary.anomalies.get("error").unwrap_or(&0),
            summary.anomalies.get("warning").unwrap_or(&0),
            summary.anomalies.get("info").unwrap_or(&0),
            summary.failed_inputs.len(),
            plan.outputs.workbook.display()
        );
        let o = &plan.outputs;
        let outputs: Vec<String> = [
            &o.workbook,
            &o.parquet,
            &o.departments,
            &o.anomalies_csv,
            &o.run_json,
        ]
        .iter()
        .map(|p| p.display().to_string())
        .collect();
        eprintln!("  outputs: {}", outputs.join(", "));
        for (reason, n) in &summary.skipped.by_reason {
            eprintln!("  skipped ({n}): {reason}");
        }
    }
    code(summary.exit_code)
}

/// The previous run's outputs kept for a run over the same inputs with the same tool and
/// settings: run.json is the previous one with this run's times, no document read
/// (`documents_read` 0, `reused_outputs` true) and no changes. `None` when the previous
/// outputs are not all there or run.json cannot be read (then the run reads everything).
fn reuse(
    plan: &Plan,
    before: &crate::analysis::changes::RunState,
    started_text: &crate::report::Timestamps,
    started: Instant,
) -> Option<ExitCode> {
    let o = &plan.outputs;
    if ![&o.workbook, &o.parquet, &o.departments, &o.anomalies_csv]
        .iter()
        .all(|p| p.is_file())
    {
        return None;
    }
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&o.run_json).ok()?).ok()?;
    let exit_code = u8::try_from(json.get("exit_code")?.as_u64()?).ok()?;
    let map = json.as_object_mut()?;
    let finished = crate::report::Timestamps::of(plan.source_date_epoch.unwrap_or_else(now));
    let changes = crate::analysis::changes::Changes {
        previous_run: Some(before.started_at.clone()),
        ..Default::default()
    };
    let duration = plan
        .source_date_epoch
        .is_none()
        .then(|| started.elapsed().as_millis());
    for (key, value) in [
        ("started_at", serde_json::to_value(started_text).ok()?),
        ("finished_at", serde_json::to_value(&finished).ok()?),
        ("duration_ms", serde_json::to_value(duration).ok()?),
        ("documents_read", serde_json::Value::from(0)),
        ("documents_from_cache", serde_json::Value::from(0)),
        ("reused_outputs", serde_json::Value::from(true)),
        ("changes", serde_json::to_value(&changes).ok()?),
    ] {
        map.insert(key.to_string(), value);
    }
    let text = serde_json::to_string_pretty(&json).ok()? + "\n";
    let mut set = report::commit::OutputSet::new(&o.dir);
    if let Err(e) = set
        .stage(&o.run_json, text.as_bytes())
        .and_then(|()| set.commit())
    {
        eprintln!("fiscal run: {e}");
        return Some(code(exit::FAILURE));
    }
    if !plan.quiet {
        eprintln!(
            "fiscal run: nothing changed since the run of {} ({} inputs, same content, same settings): its outputs stand → {}",
            before.started_at,
            before.inputs.len(),
            o.workbook.display()
        );
    }
    Some(code(exit_code))
}

/// Every input's content hash, on the run's `--jobs` threads.
fn hash_inputs(plan: &Plan) -> std::collections::BTreeMap<String, Option<String>> {
    use crate::analysis::changes::content_ids;
    match rayon::ThreadPoolBuilder::new()
        .num_threads(plan.jobs)
        .build()
    {
        Ok(pool) => pool.install(|| content_ids(&plan.inputs)),
        Err(_) => content_ids(&plan.inputs),
    }
}

/// The cache as run.json reports it (`None` with `--no-cache`).
fn cache_summary(plan: &Plan, reading: &Reading) -> Option<report::CacheSummary> {
    let updated = reading.cache_updated.unwrap_or_default();
    (reading.cache_updated.is_some() || !reading.cache_warnings.is_empty()).then(|| {
        report::CacheSummary {
            dir: plan.cache_dir.display().to_string(),
            segments_written: updated.written,
            segments_removed: updated.removed,
            segments_kept: updated.kept,
            warnings: reading.cache_warnings.clone(),
        }
    })
}

/// `--shard i/n`: reads the shard's disclosures that the cache does not hold yet into the
/// cache; writes no outputs. Exit 0, or 3 when some of its inputs failed.
/// Reads the inputs (through the cache unless `cached` is false) and prints the cache's
/// warnings; a failure to read is printed and becomes exit 1.
fn read_reporting(
    plan: &Plan,
    cached: bool,
    content: &std::collections::BTreeMap<String, Option<String>>,
) -> Result<Reading, ExitCode> {
    let tool = cached.then(|| analysis::cache::tool_key(plan));
    let mut cache = analysis::cache::Cache::open(&plan.cache_dir);
    let incremental = tool.as_deref().map(|tool| Incremental {
        cache: &mut cache,
        tool,
        content,
    });
    let reading = read_all(plan, incremental).map_err(|e| {
        eprintln!("fiscal run: {e}");
        code(exit::FAILURE)
    })?;
    for w in &reading.cache_warnings {
        eprintln!("fiscal run: {w}");
    }
    Ok(reading)
}

fn run_shard(plan: &Plan) -> ExitCode {
    let Some(shard) = plan.shard else {
        return code(exit::FAILURE);
    };
    let content = hash_inputs(plan);
    let reading = match read_reporting(plan, true, &content) {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let failed: Vec<&analysis::StoredReport> =
        reading.reports.iter().filter(|r| r.unreadable).collect();
    for f in &failed {
        let errors: Vec<String> = f.report.errors.iter().map(|e| e.message.clone()).collect();
        eprintln!(
            "fiscal run: failed: {}: {}",
            f.report.file,
            errors.join("; ")
        );
    }
    if !plan.quiet {
        let updated = reading.cache_updated.unwrap_or_default();
        eprintln!(
            "fiscal run: shard {}/{}: {} inputs, {} read, {} already cached, {} failed; {} cache segments written → {}",
            shard.index,
            shard.count,
            reading.reports.len(),
            reading.read,
            reading.cached,
            failed.len(),
            updated.written,
            plan.cache_dir.display()
        );
    }
    if reading.cache_updated.is_none() {
        return code(exit::FAILURE);
    }
    code(if failed.is_empty() {
        exit::OK
    } else {
        exit::INPUTS_FAILED
    })
}

/// Runs `f`; a panic inside it is an error naming `what`, so a defect fails the run with a
/// message (exit 1) instead of aborting it.
fn guarded<T, E: std::fmt::Display>(
    what: &str,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(payload) => Err(format!(
            "{what} failed: internal error ({})",
            crate::guard::panic_text(payload.as_ref())
        )),
    }
}

/// The message a panic carried.
/// `12.3 MB`, or `4.5 KB` below a megabyte.
fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1_048_576.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / 1_048_576.0)
    }
}

/// The current Unix time in seconds.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
