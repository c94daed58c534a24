//! Outputs: the workbook, `facts.parquet`, `anomalies.csv` and `run.json`, replaced as one
//! set ([`commit`]), so a scheduler never sees half a file nor a mix of two runs.

pub mod archive_sheets;
pub mod commit;
pub mod labels;
pub mod tables_workbook;
pub mod workbook;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use polars::prelude::PolarsResult;
use polars_io::parquet::write::{KeyValueMetadata, ParquetWriter, StatisticsOptions};
use serde::Serialize;

use crate::analysis::{count_of, frames, Archive, InputStatus};
use crate::extract::CheckStatus;
use crate::model::Severity;
use crate::pipeline::{Outputs, Plan};

/// An output that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {message}")]
pub struct OutputError {
    pub path: String,
    pub message: String,
}

fn out_err(path: &Path, e: impl ToString) -> OutputError {
    OutputError {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// A CSV field, quoted when needed and escaped against formula injection: text starting with
/// `=`, `+`, `-`, `@` (or a tab/CR) is prefixed with `'` so a spreadsheet shows it as text —
/// but never a number (`-12.50`, `+3`, `-0.5%`), which must stay a number for pandas, DuckDB
/// and Excel.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(s) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A plain signed decimal, optionally with a trailing `%`: digits with at most one point, no
/// exponent, no spaces (what a spreadsheet reads as a number and nothing else).
fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let body = body.strip_suffix('%').unwrap_or(body);
    let mut parts = body.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    !body.is_empty()
        && digits(whole)
        && fraction.is_none_or(digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()))
}

/// The anomaly frame as CSV (UTF-8 with BOM, so Excel reads the Chinese), without doc_id.
fn anomalies_csv(archive: &Archive) -> PolarsResult<String> {
    const COLUMNS: [&str; 16] = [
        "severity",
        "rule",
        "department",
        "department_key",
        "fiscal_year",
        "kind",
        "metric",
        "code",
        "item",
        "message",
        "evidence",
        "location",
        "expected",
        "found",
        "difference",
        "file",
    ];
    let df = &archive.anomalies_frame;
    let columns = COLUMNS
        .iter()
        .map(|c| df.column(c))
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut out = String::from("\u{FEFF}");
    out.push_str(&COLUMNS.join(","));
    out.push('\n');
    for i in 0..df.height() {
        let line: Vec<String> = columns
            .iter()
            .map(|c| csv_field(&frames::text_at(c, i).unwrap_or_default()))
            .collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// The layout version of facts.parquet and departments.parquet, in each file's metadata
/// (`fiscal_archive.schema_version`): raised when a column changes meaning or type or goes
/// away. 2: `value` always `decimal(38,6)`, `primary`; departments.parquet.
pub const EXPORT_SCHEMA_VERSION: u32 = 2;

/// Rows per row group of the exports (each with min/max statistics).
const ROW_GROUP_ROWS: usize = 128 * 1024;

fn export_writer<W: Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_statistics(StatisticsOptions::default())
        .with_row_group_size(Some(ROW_GROUP_ROWS))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
            "fiscal_archive.schema_version".to_string(),
            EXPORT_SCHEMA_VERSION.to_string(),
        )])))
}

/// Writes the fact table to `w` chunk by chunk (a row group per chunk of documents, about
/// 50,000 rows).
fn parquet<W: Write + Send>(archive: &Archive, w: W) -> Result<(), String> {
    let e = |e: polars::prelude::PolarsError| e.to_string();
    let mut chunks = archive.fact_chunks();
    let mut first = match chunks.next() {
        Some(c) => c.map_err(e)?,
        // No document: the empty table with its schema.
        None => frames::facts(&[]).map_err(e)?,
    };
    first.align_chunks();
    let mut writer = export_writer(w).batched(first.schema()).map_err(e)?;
    writer.write_batch(&first).map_err(e)?;
    drop(first);
    for chunk in chunks {
        let mut df = chunk.map_err(e)?;
        df.align_chunks();
        writer.write_batch(&df).map_err(e)?;
    }
    writer.finish().map(|_| ()).map_err(e)
}

/// Writes departments.parquet to `w`.
fn departments_parquet<W: Write>(archive: &Archive, w: W) -> Result<(), String> {
    let e = |e: polars::prelude::PolarsError| e.to_string();
    let mut df = archive.departments_frame().map_err(e)?;
    export_writer(w).finish(&mut df).map(|_| ()).map_err(e)
}

/// The version of run.json's layout: raised when a field changes meaning or goes away (new
/// fields do not raise it).
pub const RUN_JSON_SCHEMA_VERSION: u32 = 2;

/// The cache as run.json reports it.
#[derive(Debug, Serialize)]
pub struct CacheSummary {
    pub dir: String,
    /// Segments (one per partition touched) written, removed and left as they were.
    pub segments_written: usize,
    pub segments_removed: usize,
    pub segments_kept: usize,
    /// Segments that could not be read, or why the cache was not updated.
    pub warnings: Vec<String>,
}

/// The run summary for schedulers (`run.json`).
#[derive(Debug, Serialize)]
pub struct RunSummary {
    pub schema_version: u32,
    pub tool: &'static str,
    pub version: &'static str,
    pub pipeline: Option<String>,
    pub inputs: usize,
    pub documents: usize,
    pub facts: usize,
    pub failed_inputs: Vec<FailedInput>,
    pub filtered_inputs: usize,
    /// Files under the input directories that were not read: how many per reason, and which.
    pub skipped: SkippedFiles,
    pub anomalies: BTreeMap<&'static str, usize>,
    pub anomalies_by_rule: BTreeMap<String, usize>,
    pub archive_checks: Vec<CheckStatus>,
    pub outputs: Outputs,
    /// When the run started and finished (writing included), in UTC and in China Standard
    /// Time; under `SOURCE_DATE_EPOCH` both are that time (reproducible outputs).
    pub started_at: Timestamps,
    pub finished_at: Timestamps,
    /// Wall-clock duration, writing included; absent under `SOURCE_DATE_EPOCH`.
    pub duration_ms: Option<u128>,
    pub exit_code: u8,
    /// Why the run exits with `exit_code`: `ok`, `failed_inputs`, `fail_on` (an anomaly at
    /// or above the pipeline's `fail_on` severity), or both joined by `+`.
    pub exit_reason: String,
    /// Inputs read and checked by this run: the new and changed ones (with their companion
    /// files), all of them with `--no-cache`, 0 when nothing changed since the previous run
    /// and its outputs were kept (`reused_outputs`).
    pub documents_read: usize,
    /// Inputs whose result came from the cache (unchanged since a run that read them).
    pub documents_from_cache: usize,
    pub reused_outputs: bool,
    /// The cache directory, and what this run did to it.
    pub cache: Option<CacheSummary>,
    /// What changed since the previous run into this output directory.
    pub changes: crate::analysis::changes::Changes,
}

/// One moment as RFC 3339 text in UTC and in Asia/Shanghai (UTC+8, no daylight saving).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timestamps {
    pub utc: String,
    pub shanghai: String,
}

impl Timestamps {
    pub fn of(ts: i64) -> Timestamps {
        Timestamps {
            utc: format!("{}Z", utc(ts).replace(' ', "T")),
            shanghai: format!(
                "{}+08:00",
                utc(ts.saturating_add(8 * 3600)).replace(' ', "T")
            ),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct SkippedFiles {
    pub count: usize,
    pub by_reason: BTreeMap<String, usize>,
    pub files: Vec<crate::pipeline::Skipped>,
}

#[derive(Debug, Serialize)]
pub struct FailedInput {
    pub file: String,
    pub errors: Vec<String>,
}

impl RunSummary {
    pub fn new(archive: &Archive, plan: &Plan) -> RunSummary {
        let (by_severity, by_rule) = archive.anomaly_counts().unwrap_or_default();
        let anomalies = [Severity::Error, Severity::Warning, Severity::Info]
            .map(|s| (s.as_str(), count_of(&by_severity, s.as_str())))
            .into_iter()
            .collect();
        let by_rule: BTreeMap<String, usize> = by_rule.into_iter().collect();
        RunSummary {
            schema_version: RUN_JSON_SCHEMA_VERSION,
            tool: "fiscal-archive",
            version: env!("CARGO_PKG_VERSION"),
            pipeline: plan.pipeline.as_ref().map(|p| p.display().to_string()),
            inputs: archive.inputs.len(),
            documents: archive.documents.len(),
            facts: archive.fact_count,
            failed_inputs: archive
                .inputs
                .iter()
                .filter(|i| i.status == InputStatus::Failed)
                .map(|i| FailedInput {
                    file: i.file.clone(),
                    errors: i.errors.clone(),
                })
                .collect(),
            filtered_inputs: archive
                .inputs
                .iter()
                .filter(|i| i.status == InputStatus::Filtered)
                .count(),
            skipped: SkippedFiles {
                count: plan.skipped.len(),
                by_reason: plan.skipped.iter().fold(BTreeMap::new(), |mut m, s| {
                    *m.entry(s.reason.clone()).or_insert(0) += 1;
                    m
                }),
                files: plan.skipped.clone(),
            },
            anomalies,
            anomalies_by_rule: by_rule,
            archive_checks: archive.archive_checks.clone(),
            outputs: plan.outputs.clone(),
            started_at: Timestamps::of(0),
            finished_at: Timestamps::of(0),
            duration_ms: None,
            exit_code: 0,
            exit_reason: "ok".to_string(),
            documents_read: 0,
            documents_from_cache: 0,
            reused_outputs: false,
            cache: None,
            changes: crate::analysis::changes::Changes::default(),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a Unix timestamp.
pub fn utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Writes the workbook and exports into `set`; `created` is the workbook's creation time.
/// run.json is staged by [`write_run_json`], last, so its duration includes this.
///
/// # Errors
/// [`OutputError`] naming the first output that could not be written.
pub fn write_all(
    archive: &Archive,
    plan: &Plan,
    created: i64,
    changes: &crate::analysis::changes::Changes,
    set: &mut commit::OutputSet,
    phase: &dyn Fn(&str),
) -> Result<(), OutputError> {
    let o = &plan.outputs;
    let writing = |p: &Path| phase(&format!("writing {}", p.display()));
    writing(&o.workbook);
    let book =
        workbook::build(archive, plan, created, changes).map_err(|e| out_err(&o.workbook, e))?;
    set.stage(&o.workbook, &book)?;
    drop(book);
    writing(&o.parquet);
    set.stage_with(&o.parquet, |w| parquet(archive, w))?;
    writing(&o.departments);
    set.stage_with(&o.departments, |w| departments_parquet(archive, w))?;
    writing(&o.anomalies_csv);
    let csv = anomalies_csv(archive).map_err(|e| out_err(&o.anomalies_csv, e))?;
    set.stage(&o.anomalies_csv, csv.as_bytes())?;
    Ok(())
}

/// Writes the state the next run compares with ([`crate::analysis::changes`]) into `set`.
///
/// # Errors
/// [`OutputError`] naming the state file.
pub fn write_state(
    plan: &Plan,
    state: &crate::analysis::changes::RunState,
    set: &mut commit::OutputSet,
) -> Result<(), OutputError> {
    let path = plan.outputs.dir.join(crate::analysis::changes::STATE_FILE);
    set.stage_with(&path, |w| {
        serde_json::to_writer(&mut *w, state).map_err(|e| e.to_string())?;
        w.write_all(b"\n").map_err(|e| e.to_string())
    })
}

/// Writes run.json into `set`.
///
/// # Errors
/// [`OutputError`] naming run.json.
pub fn write_run_json(
    plan: &Plan,
    summary: &RunSummary,
    set: &mut commit::OutputSet,
) -> Result<(), OutputError> {
    let o = &plan.outputs;
    let json = serde_json::to_string_pretty(summary).map_err(|e| out_err(&o.run_json, e))? + "\n";
    set.stage(&o.run_json, json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_escaped_against_formula_injection() {
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        // Numbers stay numbers; text that a spreadsheet would evaluate does not.
        for number in ["-341.02", "+3", "-0.5%", "-.5", "12"] {
            assert_eq!(csv_field(number), number);
        }
        for text in ["-", "-1e5", "- 3", "+-3", "-3.2.1", "-341.02万元", "+ 1"] {
            assert_eq!(csv_field(text), format!("'{text}"));
        }
        assert_eq!(csv_field("@cmd"), "'@cmd");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("收入总计XX万元"), "收入总计XX万元");
    }

    #[test]
    fn utc_formats_timestamps() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
        let t = Timestamps::of(1_700_000_000);
        assert_eq!(t.utc, "2023-11-14T22:13:20Z");
        // Past midnight in Shanghai: the next day.
        assert_eq!(t.shanghai, "2023-11-15T06:13:20+08:00");
    }
}
