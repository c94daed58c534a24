//! The pipeline file (TOML, serde), merged with the command line and the environment once into
//! a [`Plan`] that the rest of the code reads (STYLE habit 2: nothing deeper reads `std::env`
//! or re-parses flags).
//!
//! Relative paths in a pipeline file are resolved against the working directory (the Makefile
//! runs from the repository root). Unknown keys are errors naming the file, so a typo never
//! silently falls back to a default.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::checks::RuleSettings;
use crate::model::{Kind, Severity};

/// The pipeline used when `--pipeline` is not given and this file exists.
pub const DEFAULT_PIPELINE: &str = "pipelines/report.toml";

/// `[inputs]`: where the archive is and which files of it to read.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InputsSection {
    /// Directories (searched recursively) or single files.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Globs, relative to each directory, of files to read.
    #[serde(default = "default_include")]
    pub include: Vec<String>,
    /// Globs of files to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
}

fn default_include() -> Vec<String> {
    crate::extract::INPUT_EXTENSIONS
        .iter()
        .map(|e| format!("**/*.{e}"))
        .collect()
}

impl Default for InputsSection {
    fn default() -> Self {
        InputsSection {
            paths: Vec::new(),
            include: default_include(),
            exclude: Vec::new(),
        }
    }
}

/// `[filters]`: which documents enter the report.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Department names or identity keys (a document matches when its printed name or its key
    /// contains one of these).
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub years: Vec<i32>,
    #[serde(default)]
    pub kinds: Vec<Kind>,
}

/// `[departments]`: identity across years.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentsSection {
    /// Printed name or derived key → the identity key to use (cases the rules cannot decide).
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Unit name (without region) → peer group, for TREND_OUTLIER; by default a department's
    /// peers are the departments with the same unit name in other regions.
    #[serde(default)]
    pub peer_groups: BTreeMap<String, String>,
}

/// Workbook language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Zh,
    En,
}

/// When a finished run exits 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    #[default]
    Never,
}

impl FailOn {
    /// True when an anomaly of this severity reaches the threshold.
    pub fn reached_by(self, s: Severity) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Error => s == Severity::Error,
            FailOn::Warning => matches!(s, Severity::Error | Severity::Warning),
        }
    }
}

/// `[output]`: where results go and how the run ends.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    #[serde(default = "default_out")]
    pub dir: String,
    #[serde(default = "default_workbook")]
    pub workbook: String,
    #[serde(default = "default_parquet")]
    pub parquet: String,
    #[serde(default = "default_departments")]
    pub departments: String,
    #[serde(default = "default_csv")]
    pub anomalies_csv: String,
    #[serde(default = "default_json")]
    pub run_json: String,
    #[serde(default)]
    pub language: Language,
    #[serde(default)]
    pub fail_on: FailOn,
    /// Worker threads; 0 = one per core.
    #[serde(default)]
    pub jobs: usize,
    /// Rows of the fact table shown on the 明细 sheet (the full table is in facts.parquet).
    #[serde(default = "default_fact_sheet_rows")]
    pub fact_sheet_rows: usize,
}

fn default_fact_sheet_rows() -> usize {
    50_000
}

fn default_out() -> String {
    "out".into()
}
fn default_workbook() -> String {
    "report.xlsx".into()
}
fn default_parquet() -> String {
    "facts.parquet".into()
}
fn default_departments() -> String {
    "departments.parquet".into()
}
fn default_csv() -> String {
    "anomalies.csv".into()
}
fn default_json() -> String {
    "run.json".into()
}

impl Default for OutputSection {
    fn default() -> Self {
        OutputSection {
            dir: default_out(),
            workbook: default_workbook(),
            parquet: default_parquet(),
            departments: default_departments(),
            anomalies_csv: default_csv(),
            run_json: default_json(),
            language: Language::Zh,
            fail_on: FailOn::Never,
            jobs: 0,
            fact_sheet_rows: default_fact_sheet_rows(),
        }
    }
}

/// `[limits]`: what one file may cost. A file over a limit is a failed input naming the limit;
/// the run goes on with the others.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest input file read, in MB.
    #[serde(default = "default_max_file_mb")]
    pub max_file_mb: f64,
    /// Time budget per file: this many seconds per MB of the file…
    #[serde(default = "default_seconds_per_mb")]
    pub seconds_per_mb: f64,
    /// …and never less than this.
    #[serde(default = "default_min_seconds")]
    pub min_seconds: f64,
    /// Longest line of a text input, in KB. A disclosure's longest line is a few KB (a PDF
    /// page's text on one line); a line of megabytes is not a document, and reading one costs
    /// seconds per MB and gigabytes of facts.
    #[serde(default = "default_max_line_kb")]
    pub max_line_kb: f64,
    /// Filled cells one spreadsheet sheet may hold (and rows × columns its filled cells may
    /// span): a disclosure's biggest sheet holds thousands.
    #[serde(default = "default_max_sheet_cells")]
    pub max_sheet_cells: f64,
    /// Uncompressed MB one part of an xlsx/ods zip may declare (a sheet's XML, the shared
    /// strings): refused before anything is inflated (zip bombs).
    #[serde(default = "default_max_sheet_part_mb")]
    pub max_sheet_part_mb: f64,
}

fn default_max_file_mb() -> f64 {
    256.0
}
fn default_seconds_per_mb() -> f64 {
    4.0
}
fn default_min_seconds() -> f64 {
    10.0
}
fn default_max_line_kb() -> f64 {
    1024.0
}
fn default_max_sheet_cells() -> f64 {
    crate::guard::DEFAULT_SHEET_CELLS as f64
}
fn default_max_sheet_part_mb() -> f64 {
    (crate::guard::DEFAULT_SHEET_PART_BYTES / 1_048_576) as f64
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_mb: default_max_file_mb(),
            seconds_per_mb: default_seconds_per_mb(),
            min_seconds: default_min_seconds(),
            max_line_kb: default_max_line_kb(),
            max_sheet_cells: default_max_sheet_cells(),
            max_sheet_part_mb: default_max_sheet_part_mb(),
        }
    }
}

impl Limits {
    fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("max_file_mb", self.max_file_mb),
            ("seconds_per_mb", self.seconds_per_mb),
            ("min_seconds", self.min_seconds),
            ("max_line_kb", self.max_line_kb),
            ("max_sheet_part_mb", self.max_sheet_part_mb),
        ] {
            if !v.is_finite() || v <= 0.0 || v > 1e6 {
                return Err(format!(
                    "[limits] {name} = {v} must be a positive number (at most 1000000)"
                ));
            }
        }
        let cells = self.max_sheet_cells;
        if !cells.is_finite() || !(1.0..=1e9).contains(&cells) {
            return Err(format!(
                "[limits] max_sheet_cells = {cells} must be a number of cells from 1 to 1000000000"
            ));
        }
        Ok(())
    }

    /// The largest file read, in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        (self.max_file_mb * 1_048_576.0) as u64
    }

    /// The longest text line read, in bytes.
    pub fn max_line_bytes(&self) -> usize {
        (self.max_line_kb * 1024.0) as usize
    }

    /// The time budget of a file of `bytes`.
    pub fn time_for(&self, bytes: u64) -> std::time::Duration {
        crate::guard::limit_for(bytes, self.seconds_per_mb, self.min_seconds)
    }

    /// The spreadsheet bounds (filled cells per sheet, uncompressed bytes per zip part).
    pub fn sheet(&self) -> crate::guard::SheetLimits {
        crate::guard::SheetLimits {
            cells: self.max_sheet_cells as u64,
            part_bytes: (self.max_sheet_part_mb * 1_048_576.0) as u64,
        }
    }
}

/// `[[manifest]]`: identity overrides for files whose content does not say it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Path of the file as listed (or a suffix of it).
    pub file: String,
    pub department: Option<String>,
    pub fiscal_year: Option<i32>,
    pub kind: Option<Kind>,
}

/// A pipeline file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    #[serde(default)]
    pub inputs: InputsSection,
    #[serde(default)]
    pub filters: Filters,
    #[serde(default, skip_serializing)]
    pub rules: RuleSettings,
    #[serde(default)]
    pub departments: DepartmentsSection,
    #[serde(default)]
    pub output: OutputSection,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub cache: CacheSection,
    #[serde(default)]
    pub manifest: Vec<ManifestEntry>,
}

/// `[cache]`: where each disclosure's result is kept between runs.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    /// Default `<output dir>/cache`.
    pub dir: Option<String>,
}

/// Reads and validates a pipeline file.
///
/// # Errors
/// A message naming the file: unreadable, not TOML, unknown key, unknown rule or threshold.
pub fn load(path: &Path) -> Result<PipelineFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read pipeline {}: {e}", path.display()))?;
    let file: PipelineFile =
        toml::from_str(&text).map_err(|e| format!("pipeline {}: {e}", path.display()))?;
    file.rules
        .validate()
        .map_err(|e| format!("pipeline {}: {e}", path.display()))?;
    file.limits
        .validate()
        .map_err(|e| format!("pipeline {}: {e}", path.display()))?;
    Ok(file)
}

/// The rule settings of a pipeline file, or the defaults without one.
///
/// # Errors
/// As [`load`].
pub fn rule_settings(path: Option<&Path>) -> Result<RuleSettings, String> {
    match path {
        Some(p) => load(p).map(|f| f.rules),
        None => Ok(RuleSettings::default()),
    }
}

/// Command-line values that override the pipeline file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub pipeline: Option<PathBuf>,
    pub inputs: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub departments: Vec<String>,
    pub years: Vec<i32>,
    pub kinds: Vec<Kind>,
    pub fail_on: Option<FailOn>,
    pub language: Option<Language>,
    pub quiet: bool,
    /// `--cache DIR`: replaces `[cache] dir`.
    pub cache: Option<PathBuf>,
    /// `--shard i/n`.
    pub shard: Option<Shard>,
}

/// `--shard i/n`: this run reads the i-th of n parts of the archive's disclosures into the
/// cache and writes no outputs; a run without `--shard` then consolidates from the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Reads `i/n` with 1 ≤ i ≤ n.
    ///
    /// # Errors
    /// A message showing the expected form.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text:?}: expected i/n with 1 <= i <= n, e.g. 2/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// True when the disclosure whose first file is `first_file` belongs to this shard (the
    /// same on every machine: by a hash of the path).
    pub fn owns(&self, first_file: &str) -> bool {
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(first_file.as_bytes());
        let n = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        n % self.count == self.index - 1
    }
}

/// Output file paths.
#[derive(Clone, Debug, Serialize)]
pub struct Outputs {
    pub dir: PathBuf,
    pub workbook: PathBuf,
    pub parquet: PathBuf,
    /// One row per document (department × year × kind): the 部门年度 sheet's content.
    pub departments: PathBuf,
    pub anomalies_csv: PathBuf,
    pub run_json: PathBuf,
}

/// Everything a run does, resolved once.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub pipeline: Option<PathBuf>,
    /// The input directories and files as given.
    pub roots: Vec<PathBuf>,
    /// Input files, sorted and deduplicated.
    pub inputs: Vec<PathBuf>,
    /// Input paths given that do not exist (reported as failed inputs).
    pub missing_inputs: Vec<PathBuf>,
    /// Files under the input directories that are not read, with the reason (run.json).
    pub skipped: Vec<Skipped>,
    pub filters: Filters,
    #[serde(skip)]
    pub rules: RuleSettings,
    pub departments: DepartmentsSection,
    pub manifest: Vec<ManifestEntry>,
    pub limits: Limits,
    pub outputs: Outputs,
    pub language: Language,
    pub fail_on: FailOn,
    /// Worker threads (≥ 1).
    pub jobs: usize,
    /// Rows of the fact table on the 明细 sheet.
    pub fact_sheet_rows: usize,
    pub quiet: bool,
    /// Progress bars: only on a terminal and without `--quiet`.
    pub progress: bool,
    /// `SOURCE_DATE_EPOCH`: the workbook's creation time, and no wall-clock values in outputs.
    pub source_date_epoch: Option<i64>,
    /// The per-disclosure cache ([`crate::analysis::cache`]).
    pub cache_dir: PathBuf,
    pub shard: Option<Shard>,
}

impl Plan {
    /// The input paths as given, for messages.
    pub fn roots_display(&self) -> String {
        let roots: Vec<String> = self.roots.iter().map(|r| r.display().to_string()).collect();
        roots.join(", ")
    }
}

fn globset(patterns: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("bad glob {p:?}: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

/// A file under an input directory that the run does not read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// Why a file that `include`/`exclude` leave out is not read: not a document type the tool
/// reads, or left out by the pipeline's globs.
fn skip_reason(path: &Path, included: bool) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .unwrap_or_default();
    if !included && !crate::extract::INPUT_EXTENSIONS.contains(&ext.as_str()) {
        let known: Vec<String> = crate::extract::INPUT_EXTENSIONS
            .iter()
            .map(|e| format!(".{e}"))
            .collect();
        let what = if ext.is_empty() {
            "no extension".to_string()
        } else {
            format!(".{ext}")
        };
        format!("not an input type ({what}; inputs are {})", known.join(" "))
    } else if !included {
        "not matched by [inputs] include".to_string()
    } else {
        "matched by [inputs] exclude".to_string()
    }
}

/// Files under `root` matching `include` and not `exclude`, recursively; every other file
/// goes to `skipped` with its reason. Directories that cannot be listed are skipped too, and
/// so are entries that are not regular files (FIFOs, sockets, devices: reading one could
/// block or never end). Symbolic links are followed, each directory once by its real path
/// (`seen`), so a link to a parent is not a loop.
fn walk(
    root: &Path,
    include: &GlobSet,
    exclude: &GlobSet,
    own_dirs: &[PathBuf],
    seen: &mut std::collections::HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
) {
    if let Ok(real) = std::fs::canonicalize(root) {
        seen.insert(real);
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                skipped.push(Skipped {
                    file: dir.display().to_string(),
                    reason: format!("directory cannot be listed: {e}"),
                });
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths.into_iter().rev() {
            let meta = match std::fs::metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    skipped.push(Skipped {
                        file: p.display().to_string(),
                        reason: format!("cannot be read: {e}"),
                    });
                    continue;
                }
            };
            if meta.is_dir() {
                match std::fs::canonicalize(&p) {
                    // The run's own outputs (`--input . --out out`) and cache are not inputs.
                    Ok(real) if own_dirs.contains(&real) => skipped.push(Skipped {
                        file: p.display().to_string(),
                        reason: "the output or cache directory of this run".to_string(),
                    }),
                    Ok(real) if !seen.insert(real.clone()) => skipped.push(Skipped {
                        file: p.display().to_string(),
                        reason: format!(
                            "directory already read as {} (a symbolic link)",
                            real.display()
                        ),
                    }),
                    _ => stack.push(p),
                }
                continue;
            }
            if !meta.is_file() {
                skipped.push(Skipped {
                    file: p.display().to_string(),
                    reason: not_regular(&meta).to_string(),
                });
                continue;
            }
            let rel = p.strip_prefix(root).unwrap_or(&p);
            let included = include.is_match(rel);
            if included && !exclude.is_match(rel) {
                out.push(p);
            } else {
                skipped.push(Skipped {
                    reason: skip_reason(&p, included),
                    file: p.display().to_string(),
                });
            }
        }
    }
}

/// The reason an entry that is neither a file nor a directory is not read.
fn not_regular(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "not a regular file (a FIFO)";
        }
        if t.is_socket() {
            return "not a regular file (a socket)";
        }
        if t.is_block_device() || t.is_char_device() {
            return "not a regular file (a device)";
        }
    }
    let _ = meta;
    "not a regular file"
}

/// Keeps the first path (in sorted order) of each real file: two links to one file are one
/// input; the others go to `skipped`.
fn dedup_real(inputs: Vec<PathBuf>, skipped: &mut Vec<Skipped>) -> Vec<PathBuf> {
    let mut first: std::collections::HashMap<PathBuf, PathBuf> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(inputs.len());
    for p in inputs {
        let real = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        match first.get(&real) {
            Some(kept) => skipped.push(Skipped {
                file: p.display().to_string(),
                reason: format!("same file as {} (a link)", kept.display()),
            }),
            None => {
                first.insert(real, p.clone());
                out.push(p);
            }
        }
    }
    out
}

impl Plan {
    /// Merges pipeline file, command line and environment.
    ///
    /// # Errors
    /// A message naming the pipeline file or the bad option.
    pub fn resolve(o: &Overrides) -> Result<Plan, String> {
        let pipeline_path = o.pipeline.clone().or_else(|| {
            let p = PathBuf::from(DEFAULT_PIPELINE);
            p.is_file().then_some(p)
        });
        let file = match &pipeline_path {
            Some(p) => load(p)?,
            None => PipelineFile::default(),
        };
        let roots: Vec<PathBuf> = if o.inputs.is_empty() {
            file.inputs.paths.iter().map(PathBuf::from).collect()
        } else {
            o.inputs.clone()
        };
        if roots.is_empty() {
            return Err(format!(
                "no inputs: give --input DIR or a pipeline with [inputs] paths (default {DEFAULT_PIPELINE})"
            ));
        }
        let include = globset(&file.inputs.include)?;
        let exclude = globset(&file.inputs.exclude)?;
        let mut inputs = Vec::new();
        let mut missing_inputs = Vec::new();
        let mut skipped = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let out_dir = o
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(&file.output.dir));
        let cache_dir = o
            .cache
            .clone()
            .or_else(|| file.cache.dir.as_ref().map(PathBuf::from))
            .unwrap_or_else(|| out_dir.join("cache"));
        let own_dirs: Vec<PathBuf> = [&out_dir, &cache_dir]
            .iter()
            .filter_map(|d| std::fs::canonicalize(d).ok())
            .collect();
        for root in &roots {
            match std::fs::metadata(root) {
                Ok(m) if m.is_dir() => walk(
                    root,
                    &include,
                    &exclude,
                    &own_dirs,
                    &mut seen,
                    &mut inputs,
                    &mut skipped,
                ),
                Ok(m) if m.is_file() => inputs.push(root.clone()),
                Ok(m) => skipped.push(Skipped {
                    file: root.display().to_string(),
                    reason: not_regular(&m).to_string(),
                }),
                Err(_) => missing_inputs.push(root.clone()),
            }
        }
        inputs.sort();
        inputs.dedup();
        let inputs = dedup_real(inputs, &mut skipped);
        skipped.sort_by(|a, b| a.file.cmp(&b.file));
        skipped.dedup();

        let mut filters = file.filters.clone();
        if !o.departments.is_empty() {
            filters.departments = o.departments.clone();
        }
        if !o.years.is_empty() {
            filters.years = o.years.clone();
        }
        if !o.kinds.is_empty() {
            filters.kinds = o.kinds.clone();
        }
        let dir = out_dir;
        let outputs = Outputs {
            workbook: dir.join(&file.output.workbook),
            parquet: dir.join(&file.output.parquet),
            departments: dir.join(&file.output.departments),
            anomalies_csv: dir.join(&file.output.anomalies_csv),
            run_json: dir.join(&file.output.run_json),
            dir,
        };
        let jobs = match o.jobs.unwrap_or(file.output.jobs) {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let source_date_epoch = match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if !v.trim().is_empty() => Some(
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| format!("SOURCE_DATE_EPOCH={v:?} is not a Unix timestamp"))?,
            ),
            _ => None,
        };
        Ok(Plan {
            roots,
            pipeline: pipeline_path,
            inputs,
            missing_inputs,
            skipped,
            filters,
            rules: file.rules,
            departments: file.departments,
            manifest: file.manifest,
            limits: file.limits,
            outputs,
            language: o.language.unwrap_or(file.output.language),
            fail_on: o.fail_on.unwrap_or(file.output.fail_on),
            jobs,
            fact_sheet_rows: file.output.fact_sheet_rows,
            quiet: o.quiet,
            progress: !o.quiet && std::io::stderr().is_terminal(),
            source_date_epoch,
            cache_dir,
            shard: o.shard,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_files_in_the_repo_parse() {
        for name in ["report.toml", "nightly.toml", "audit.toml"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("pipelines")
                .join(name);
            load(&path).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn pipeline_unknown_keys_are_errors() {
        let err = toml::from_str::<PipelineFile>("[output]\nworkbok = \"x.xlsx\"\n").unwrap_err();
        assert!(err.to_string().contains("workbok"));
    }

    #[test]
    fn fail_on_thresholds() {
        assert!(FailOn::Warning.reached_by(Severity::Error));
        assert!(FailOn::Warning.reached_by(Severity::Warning));
        assert!(!FailOn::Warning.reached_by(Severity::Info));
        assert!(!FailOn::Never.reached_by(Severity::Error));
    }
}
