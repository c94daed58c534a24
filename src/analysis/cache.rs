//! The per-disclosure cache: each disclosure's result (the reports of its files, their facts,
//! document-scope flags, tables and check statuses) kept between runs, so a nightly run reads
//! only the files that are new or changed and redoes the cross-document work.
//!
//! A disclosure (a [`super::companion_groups`] group: a document with its companion files) is
//! cached under a key made of the tool key ([`tool_key`]: this build, its rule settings and
//! limits) and each of its files' path and content hash. Anything else changing — the catalog,
//! a rule threshold, a file's bytes, a companion appearing — changes the key, and the group is
//! read again. Reads cut short by a limit or an internal error are never cached.
//!
//! On disk the cache is a Hive-partitioned Parquet dataset, one per table, partitioned by the
//! province and fiscal year of the disclosure's first file:
//!
//! ```text
//! <cache>/documents/province=四川省/fiscal_year=2020/part-<id>.parquet   one row per file
//! <cache>/facts/province=四川省/fiscal_year=2020/part-<id>.parquet       one row per fact
//! <cache>/anomalies/province=四川省/fiscal_year=2020/part-<id>.parquet   document-scope flags
//! ```
//!
//! `documents` is the index: a segment (`part-…` of the three tables) exists once its
//! documents file does (written last, removed first). After a run without `--shard` every
//! partition holds exactly the disclosures of that run's archive, in one segment whose id is a
//! hash of their keys, so a partition whose disclosures did not change is not rewritten. (Eight
//! segments per partition, by department, were tried so that scattered changes rewrite an
//! eighth of the cache: on 20,000 documents the first run went from 37.3 to 46.6 CPU s and a
//! rerun after 1% of the files changed did not get cheaper, 16.0 → 16.6 s, the extra files
//! costing to read what they saved to write.) A
//! `--shard i/n` run only adds segments (`part-s<i>of<n>-<id>`) for the disclosures it read;
//! the next run without `--shard` uses them and compacts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use polars::prelude::*;
use polars_io::parquet::read::{ParallelStrategy, ParquetReader};
use polars_io::parquet::write::{ParquetCompression, ParquetWriter, StatisticsOptions};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use super::store::{FactStore, Stored, StoredLocation};
use super::StoredReport;
use crate::extract::tables::TableInfo;
use crate::extract::{CheckStatus, DocumentReport};
use crate::model::{Anomaly, Aspect, Identity, InputError, Unit};
use crate::pipeline::{Plan, Shard};

/// Raised when the stored layout changes: a cache of another format is never read.
pub const CACHE_FORMAT: u32 = 1;

/// The tables of the dataset; `documents` is the index and is written last.
const TABLES: [&str; 3] = ["facts", "anomalies", "documents"];

/// What besides a disclosure's files decides its result: this build of the tool (its version,
/// the cache format and a hash of the executable's bytes, so the same build on several machines
/// shares a cache and a rebuilt one does not), the rule settings and the per-file limits.
pub fn tool_key(plan: &Plan) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(CACHE_FORMAT.to_le_bytes());
    if let Some(mut exe) = std::env::current_exe()
        .ok()
        .and_then(|p| File::open(p).ok())
    {
        let _ = std::io::copy(&mut exe, &mut h);
    }
    h.update(format!("{:?}", plan.rules).as_bytes());
    h.update(format!("{:?}", plan.limits).as_bytes());
    hex(&h.finalize())
}

/// The key of a disclosure: the tool key and each file's path and content hash, in order.
pub fn group_key<'a>(tool: &str, files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    h.update(tool.as_bytes());
    for (path, content) in files {
        h.update([0]);
        h.update(path.as_bytes());
        h.update([0]);
        h.update(content.as_bytes());
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// True when a read may be kept: nothing cut it short (a time limit depends on the machine's
/// load) and no defect interrupted it.
pub fn cacheable(reports: &[StoredReport]) -> bool {
    reports.iter().all(|r| {
        r.report
            .errors
            .iter()
            .all(|e| e.kind != "limit" && e.kind != "internal")
    })
}

/// The report of a file without its facts, as the `report` column keeps it (JSON); written
/// borrowed ([`BlobRef`]).
#[derive(Deserialize)]
struct Blob {
    encoding: Option<String>,
    doc_id: Option<String>,
    document: Identity,
    anomalies: Vec<Anomaly>,
    errors: Vec<InputError>,
    tables: Vec<TableInfo>,
    checks: Vec<CheckStatus>,
    unreadable: bool,
}

/// A cached disclosure: its key and reports.
type Cached = (String, Vec<StoredReport>);

/// A segment's disclosures, or why it could not be read.
type Loaded = Result<Vec<Cached>, String>;

/// [`Blob`], borrowed from the report it is written from.
#[derive(Serialize)]
struct BlobRef<'a> {
    encoding: &'a Option<String>,
    doc_id: &'a Option<String>,
    document: &'a Identity,
    anomalies: &'a [Anomaly],
    errors: &'a [InputError],
    tables: &'a [TableInfo],
    checks: &'a [CheckStatus],
    unreadable: bool,
}

/// The cache directory as a run found it.
pub struct Cache {
    dir: PathBuf,
    /// Partition (`province=…/fiscal_year=…`) → its segment file names, sorted.
    segments: BTreeMap<String, Vec<String>>,
    /// Segments [`Cache::load`] could not read: rewritten by the next update.
    damaged: HashSet<(String, String)>,
}

/// A disclosure to keep: its key and reports (in path order); `fresh` when this run read it.
pub struct Entry<'a> {
    pub key: &'a str,
    pub reports: &'a [StoredReport],
    pub fresh: bool,
}

/// What [`Cache::update`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Updated {
    pub written: usize,
    pub removed: usize,
    pub kept: usize,
}

impl Cache {
    /// Lists the segments under `dir` (none when it does not exist yet).
    pub fn open(dir: &Path) -> Cache {
        let mut segments: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let index = dir.join("documents");
        for province in list_dirs(&index, "province=") {
            for year in list_dirs(&index.join(&province), "fiscal_year=") {
                let partition = format!("{province}/{year}");
                let Ok(entries) = std::fs::read_dir(index.join(&partition)) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| n.starts_with("part-") && n.ends_with(".parquet"))
                    .collect();
                names.sort();
                if !names.is_empty() {
                    segments.insert(partition, names);
                }
            }
        }
        Cache {
            dir: dir.to_path_buf(),
            segments,
            damaged: HashSet::new(),
        }
    }

    /// Segments found.
    pub fn segment_count(&self) -> usize {
        self.segments.values().map(Vec::len).sum()
    }

    /// The cached disclosures among `wanted`, by key. A segment that cannot be read is named in
    /// the warnings and its disclosures are read again.
    pub fn load(
        &mut self,
        wanted: &HashSet<&str>,
    ) -> (HashMap<String, Vec<StoredReport>>, Vec<String>) {
        let segments: Vec<(&String, &String)> = self
            .segments
            .iter()
            .flat_map(|(p, names)| names.iter().map(move |n| (p, n)))
            .collect();
        // Plain threads, not rayon's: a rayon worker that waits on polars' own pool steals
        // further segments while it waits, one stack frame deeper each time (1,400 segments
        // overflowed the stack). A plain thread just blocks. As many as the run's pool.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = rayon::current_num_threads().clamp(1, segments.len().max(1));
        let mut loaded: Vec<(usize, Loaded)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((partition, name)) = segments.get(i) else {
                                break;
                            };
                            mine.push((i, self.load_segment(partition, name, wanted)));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        // Back in segment order, so the first copy of a disclosure found is always the same.
        loaded.sort_unstable_by_key(|(i, _)| *i);
        let loaded = loaded.into_iter().map(|(_, result)| result);
        let mut found = HashMap::new();
        let mut warnings = Vec::new();
        let mut damaged = HashSet::new();
        for ((partition, name), result) in segments.iter().zip(loaded) {
            match result {
                Ok(groups) => {
                    for (key, reports) in groups {
                        found.entry(key).or_insert(reports);
                    }
                }
                Err(e) => {
                    warnings.push(format!(
                        "cache segment {partition}/{name} under {} not used ({e}); its documents are read again",
                        self.dir.display()
                    ));
                    damaged.insert((partition.to_string(), name.to_string()));
                }
            }
        }
        self.damaged = damaged;
        (found, warnings)
    }

    fn load_segment(
        &self,
        partition: &str,
        name: &str,
        wanted: &HashSet<&str>,
    ) -> Result<Vec<Cached>, String> {
        let read = |table: &str| -> Result<DataFrame, String> {
            let path = self.dir.join(table).join(partition).join(name);
            let file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            // One thread per segment: segments are read in parallel already.
            ParquetReader::new(file)
                .read_parallel(ParallelStrategy::None)
                .finish()
                .map_err(|e| format!("{}: {e}", path.display()))
        };
        let docs = read("documents")?;
        let e = |e: PolarsError| e.to_string();
        let keys = docs.column("group_key").map_err(e)?.str().map_err(e)?;
        let files = docs.column("file").map_err(e)?.str().map_err(e)?;
        let blobs = docs.column("report").map_err(e)?.str().map_err(e)?;
        // File → (group, position in the group) for the wanted groups of this segment.
        let mut groups: Vec<(String, Vec<StoredReport>)> = Vec::new();
        let mut slot: HashMap<&str, (usize, usize)> = HashMap::new();
        for ((key, file), blob) in keys.iter().zip(files.iter()).zip(blobs.iter()) {
            let (Some(key), Some(file), Some(blob)) = (key, file, blob) else {
                return Err("a documents row without key, file or report".into());
            };
            if !wanted.contains(key) {
                continue;
            }
            let blob: Blob = serde_json::from_str(blob).map_err(|e| format!("{file}: {e}"))?;
            let g = match groups.last() {
                Some((k, _)) if k == key => groups.len() - 1,
                _ => {
                    groups.push((key.to_string(), Vec::new()));
                    groups.len() - 1
                }
            };
            let reports = &mut groups[g].1;
            slot.insert(file, (g, reports.len()));
            reports.push(StoredReport {
                report: DocumentReport {
                    file: file.to_string(),
                    encoding: blob.encoding,
                    doc_id: blob.doc_id,
                    document: blob.document,
                    facts: Vec::new(),
                    anomalies: blob.anomalies,
                    errors: blob.errors,
                    tables: blob.tables,
                    unmapped: Vec::new(),
                    checks: blob.checks,
                    detail: Default::default(),
                },
                facts: FactStore::default(),
                unreadable: blob.unreadable,
            });
        }
        if groups.is_empty() {
            return Ok(groups);
        }
        let facts = read("facts")?;
        let columns = FactColumns::of(&facts).map_err(e)?;
        let mut start = 0;
        while start < columns.len() {
            let file = columns.file[start];
            let mut end = start + 1;
            while end < columns.len() && columns.file[end] == file {
                end += 1;
            }
            if let Some(&(g, i)) = file.and_then(|f| slot.get(f)) {
                let stored: Result<Vec<Stored<'_>>, String> =
                    (start..end).map(|row| columns.row(row)).collect();
                groups[g].1[i].facts = FactStore::from_stored(stored?);
            }
            start = end;
        }
        Ok(groups)
    }

    /// Keeps `entries` (every disclosure of the run, sorted by first file). Without a shard,
    /// each partition ends up holding exactly its disclosures among `entries` (a partition
    /// already so is left alone, partitions of no entry are removed). With a shard, the fresh
    /// entries are added as new segments and nothing is removed.
    ///
    /// # Errors
    /// A message naming the file that could not be written or removed.
    pub fn update(&self, entries: &[Entry<'_>], shard: Option<Shard>) -> Result<Updated, String> {
        let mut by_partition: BTreeMap<String, Vec<&Entry<'_>>> = BTreeMap::new();
        for entry in entries {
            if shard.is_some() && !entry.fresh {
                continue;
            }
            by_partition
                .entry(partition_of(entry.reports))
                .or_default()
                .push(entry);
        }
        let work: Vec<(&String, &Vec<&Entry<'_>>, String)> = by_partition
            .iter()
            .map(|(partition, entries)| {
                let mut h = Sha256::new();
                for e in entries {
                    h.update(e.key.as_bytes());
                }
                let id = hex(&h.finalize()[..8]);
                let name = match shard {
                    Some(s) => format!("part-s{}of{}-{id}.parquet", s.index, s.count),
                    None => format!("part-{id}.parquet"),
                };
                (partition, entries, name)
            })
            .collect();
        // One partition at a time: the Parquet writer encodes columns in parallel already, and
        // partitions written in parallel took 260 MB more at 20,000 documents for no time.
        let mut updated = Updated::default();
        let mut wanted: HashMap<&str, HashSet<&str>> = HashMap::new();
        for (partition, entries, name) in &work {
            let present = self
                .segments
                .get(*partition)
                .is_some_and(|names| names.contains(name))
                && !self
                    .damaged
                    .contains(&(partition.to_string(), name.to_string()));
            if present {
                updated.kept += 1;
            } else {
                self.write_segment(partition, name, entries)?;
                updated.written += 1;
            }
            wanted.entry(partition.as_str()).or_default().insert(name);
        }
        if shard.is_none() {
            // Every segment that is not one of this run's goes: a partition's older version,
            // shard segments now compacted, partitions of no disclosure. (A damaged segment of
            // a wanted name was just replaced.)
            for (partition, names) in &self.segments {
                let keep = wanted.get(partition.as_str());
                for name in names {
                    if !keep.is_some_and(|k| k.contains(name.as_str())) {
                        self.remove_segment(partition, name)?;
                        updated.removed += 1;
                    }
                }
            }
        }
        Ok(updated)
    }

    fn remove_segment(&self, partition: &str, name: &str) -> Result<(), String> {
        for table in TABLES.iter().rev() {
            let dir = self.dir.join(table).join(partition);
            let path = dir.join(name);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
            }
            // The partition's directories go when they are empty (an error means they are not).
            if std::fs::remove_dir(&dir).is_ok() {
                if let Some(parent) = dir.parent() {
                    let _ = std::fs::remove_dir(parent);
                }
            }
        }
        Ok(())
    }

    fn write_segment(
        &self,
        partition: &str,
        name: &str,
        entries: &[&Entry<'_>],
    ) -> Result<(), String> {
        let reports: Vec<&StoredReport> = entries.iter().flat_map(|e| e.reports).collect();
        let keys: Vec<&str> = entries
            .iter()
            .flat_map(|e| e.reports.iter().map(|_| e.key))
            .collect();
        let e = |e: PolarsError| format!("cache segment {partition}/{name}: {e}");
        let frames = [
            facts_frame(&reports).map_err(e)?,
            anomalies_frame(&reports).map_err(e)?,
            documents_frame(&reports, &keys).map_err(e)?,
        ];
        for (table, mut df) in TABLES.iter().zip(frames) {
            let dir = self.dir.join(table).join(partition);
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let path = dir.join(name);
            let temp = dir.join(format!(".{name}.tmp"));
            let mut write = || -> Result<(), String> {
                let file = File::create(&temp).map_err(|e| e.to_string())?;
                // Buffered: the Parquet footer is written field by field, a system call each
                // unbuffered (3 of a 20,000-document run's 10 system-time seconds).
                let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
                // LZ4 and no statistics: the cache is written every night and read back
                // whole, so cheap encoding matters more than size or pruning.
                ParquetWriter::new(&mut out)
                    .with_compression(ParquetCompression::Lz4Raw)
                    .with_statistics(StatisticsOptions::empty())
                    .finish(&mut df)
                    .map_err(|e| e.to_string())?;
                std::io::Write::flush(&mut out).map_err(|e| e.to_string())?;
                // Not synced: a segment lost to a crash is found damaged (Parquet checks its
                // footer) and its documents are read again; syncing 500 files cost 1.2 s.
                std::fs::rename(&temp, &path).map_err(|e| e.to_string())
            };
            if let Err(err) = write() {
                let _ = std::fs::remove_file(&temp);
                return Err(format!("cannot write {}: {err}", path.display()));
            }
        }
        Ok(())
    }
}

/// The sub-directories of `dir` named `prefix…`, sorted.
fn list_dirs(dir: &Path, prefix: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// `province=四川省/fiscal_year=2020` of a disclosure's first file (`province=未知` when its
/// region names no province, `fiscal_year=0` when no year was found).
fn partition_of(reports: &[StoredReport]) -> String {
    let identity = reports.first().map(|r| &r.report.document);
    let province = identity
        .and_then(|d| d.region.as_deref())
        .and_then(|r| crate::catalog::catalog().regions.province_of(r))
        .unwrap_or("未知");
    let year = identity.and_then(|d| d.fiscal_year).unwrap_or(0);
    format!("province={province}/fiscal_year={year}")
}

/// Exact decimals as text (their printed scale kept), through one buffer.
fn decimal_text(name: &str, values: impl ExactSizeIterator<Item = Option<Decimal>>) -> Column {
    use std::fmt::Write;
    let mut builder = StringChunkedBuilder::new(name.into(), values.len());
    let mut buffer = String::new();
    for v in values {
        match v {
            Some(d) => {
                buffer.clear();
                let _ = write!(buffer, "{d}");
                builder.append_value(&buffer);
            }
            None => builder.append_null(),
        }
    }
    builder.finish().into_column()
}

fn str_col<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(name.into(), values).into_column()
}

fn u32_col(name: &str, values: impl Iterator<Item = Option<u32>>) -> Column {
    UInt32Chunked::from_iter_options(name.into(), values).into_column()
}

fn i32_col(name: &str, values: impl Iterator<Item = Option<i32>>) -> Column {
    Int32Chunked::from_iter_options(name.into(), values).into_column()
}

fn documents_frame(reports: &[&StoredReport], keys: &[&str]) -> PolarsResult<DataFrame> {
    let blobs: Vec<String> = reports
        .iter()
        .map(|r| {
            let blob = BlobRef {
                encoding: &r.report.encoding,
                doc_id: &r.report.doc_id,
                document: &r.report.document,
                anomalies: &r.report.anomalies,
                errors: &r.report.errors,
                tables: &r.report.tables,
                checks: &r.report.checks,
                unreadable: r.unreadable,
            };
            serde_json::to_string(&blob)
                .map_err(|e| PolarsError::ComputeError(e.to_string().into()))
        })
        .collect::<PolarsResult<_>>()?;
    let count = |n: usize| Some(u32::try_from(n).unwrap_or(u32::MAX));
    fn doc<'r>(r: &&'r StoredReport) -> &'r Identity {
        &r.report.document
    }
    DataFrame::new(
        reports.len(),
        vec![
            str_col("group_key", keys.iter().map(|k| Some(*k))),
            str_col("file", reports.iter().map(|r| Some(r.report.file.as_str()))),
            str_col("doc_id", reports.iter().map(|r| r.report.doc_id.as_deref())),
            str_col(
                "department",
                reports.iter().map(|r| doc(r).department.as_deref()),
            ),
            str_col(
                "department_key",
                reports.iter().map(|r| doc(r).department_key.as_deref()),
            ),
            str_col("region", reports.iter().map(|r| doc(r).region.as_deref())),
            i32_col("year", reports.iter().map(|r| doc(r).fiscal_year)),
            str_col(
                "kind",
                reports.iter().map(|r| doc(r).kind.map(|k| k.as_str())),
            ),
            str_col(
                "encoding",
                reports.iter().map(|r| r.report.encoding.as_deref()),
            ),
            u32_col("facts", reports.iter().map(|r| count(r.facts.len()))),
            u32_col(
                "anomalies",
                reports.iter().map(|r| count(r.report.anomalies.len())),
            ),
            u32_col(
                "errors",
                reports.iter().map(|r| count(r.report.errors.len())),
            ),
            BooleanChunked::from_iter_values(
                "unreadable".into(),
                reports.iter().map(|r| r.unreadable),
            )
            .into_column(),
            str_col("report", blobs.iter().map(|b| Some(b.as_str()))),
        ],
    )
}

fn anomalies_frame(reports: &[&StoredReport]) -> PolarsResult<DataFrame> {
    let rows: Vec<(&StoredReport, &Anomaly)> = reports
        .iter()
        .flat_map(|r| r.report.anomalies.iter().map(move |a| (*r, a)))
        .collect();
    let locations: Vec<Option<String>> = rows
        .iter()
        .map(|(_, a)| a.location.as_ref().map(ToString::to_string))
        .collect();
    DataFrame::new(
        rows.len(),
        vec![
            str_col(
                "file",
                rows.iter().map(|(r, _)| Some(r.report.file.as_str())),
            ),
            str_col(
                "doc_id",
                rows.iter().map(|(r, _)| r.report.doc_id.as_deref()),
            ),
            str_col("rule", rows.iter().map(|(_, a)| Some(a.rule.as_str()))),
            str_col(
                "severity",
                rows.iter().map(|(_, a)| Some(a.severity.as_str())),
            ),
            str_col(
                "metric",
                rows.iter()
                    .map(|(_, a)| a.metric.as_ref().map(|m| m.as_str())),
            ),
            str_col(
                "code",
                rows.iter()
                    .map(|(_, a)| a.code.as_ref().map(|c| c.as_str())),
            ),
            str_col("item", rows.iter().map(|(_, a)| a.item.as_deref())),
            str_col(
                "message",
                rows.iter().map(|(_, a)| Some(a.message.as_str())),
            ),
            str_col(
                "evidence",
                rows.iter().map(|(_, a)| Some(a.evidence.as_str())),
            ),
            str_col("location", locations.iter().map(|l| l.as_deref())),
            str_col("expected", rows.iter().map(|(_, a)| a.expected.as_deref())),
            str_col("found", rows.iter().map(|(_, a)| a.found.as_deref())),
            str_col(
                "difference",
                rows.iter().map(|(_, a)| a.difference.as_deref()),
            ),
        ],
    )
}

fn facts_frame(reports: &[&StoredReport]) -> PolarsResult<DataFrame> {
    let rows: Vec<(&StoredReport, Stored<'_>)> = reports
        .iter()
        .flat_map(|r| r.facts.stored().map(move |f| (*r, f)))
        .collect();
    let values = decimal_text("value", rows.iter().map(|(_, f)| f.value));
    let printed = decimal_text("printed", rows.iter().map(|(_, f)| f.printed));
    let page = |f: &Stored<'_>| match f.location {
        StoredLocation::Page(p, _) => Some(p),
        _ => None,
    };
    let line = |f: &Stored<'_>| match f.location {
        StoredLocation::Line(n) | StoredLocation::Page(_, n) => Some(n),
        StoredLocation::Cell(..) => None,
    };
    fn cell<'s>(f: &Stored<'s>) -> Option<(&'s str, &'s str)> {
        match f.location {
            StoredLocation::Cell(sheet, cell) => Some((sheet, cell)),
            _ => None,
        }
    }
    DataFrame::new(
        rows.len(),
        vec![
            str_col(
                "file",
                rows.iter().map(|(r, _)| Some(r.report.file.as_str())),
            ),
            str_col(
                "doc_id",
                rows.iter().map(|(r, _)| r.report.doc_id.as_deref()),
            ),
            str_col("metric", rows.iter().map(|(_, f)| Some(f.metric))),
            str_col("code", rows.iter().map(|(_, f)| f.code)),
            str_col("item", rows.iter().map(|(_, f)| f.item)),
            str_col("aspect", rows.iter().map(|(_, f)| Some(f.aspect.as_str()))),
            i32_col("period", rows.iter().map(|(_, f)| f.period)),
            values,
            str_col("unit", rows.iter().map(|(_, f)| Some(f.unit.as_str()))),
            str_col("raw", rows.iter().map(|(_, f)| Some(f.raw))),
            str_col("table", rows.iter().map(|(_, f)| f.table_name)),
            u32_col("page", rows.iter().map(|(_, f)| page(f))),
            u32_col("line", rows.iter().map(|(_, f)| line(f))),
            str_col("sheet", rows.iter().map(|(_, f)| cell(f).map(|c| c.0))),
            str_col("cell", rows.iter().map(|(_, f)| cell(f).map(|c| c.1))),
            printed,
            str_col(
                "printed_unit",
                rows.iter().map(|(_, f)| Some(f.printed_unit.as_str())),
            ),
            str_col("quote", rows.iter().map(|(_, f)| f.quote)),
            str_col("named_as", rows.iter().map(|(_, f)| f.named_as)),
            u32_col("table_index", rows.iter().map(|(_, f)| f.table)),
            u32_col("prose_line", rows.iter().map(|(_, f)| f.line)),
        ],
    )
}

/// The facts table's columns, read back.
struct FactColumns<'a> {
    file: Vec<Option<&'a str>>,
    metric: Vec<Option<&'a str>>,
    code: Vec<Option<&'a str>>,
    item: Vec<Option<&'a str>>,
    aspect: Vec<Option<&'a str>>,
    period: Vec<Option<i32>>,
    value: Vec<Option<&'a str>>,
    unit: Vec<Option<&'a str>>,
    raw: Vec<Option<&'a str>>,
    table: Vec<Option<&'a str>>,
    page: Vec<Option<u32>>,
    line: Vec<Option<u32>>,
    sheet: Vec<Option<&'a str>>,
    cell: Vec<Option<&'a str>>,
    printed: Vec<Option<&'a str>>,
    printed_unit: Vec<Option<&'a str>>,
    quote: Vec<Option<&'a str>>,
    named_as: Vec<Option<&'a str>>,
    table_index: Vec<Option<u32>>,
    prose_line: Vec<Option<u32>>,
}

impl<'a> FactColumns<'a> {
    fn of(df: &'a DataFrame) -> PolarsResult<FactColumns<'a>> {
        let s = |name: &str| -> PolarsResult<Vec<Option<&'a str>>> {
            Ok(df.column(name)?.str()?.iter().collect())
        };
        let u = |name: &str| -> PolarsResult<Vec<Option<u32>>> {
            Ok(df.column(name)?.u32()?.iter().collect())
        };
        Ok(FactColumns {
            file: s("file")?,
            metric: s("metric")?,
            code: s("code")?,
            item: s("item")?,
            aspect: s("aspect")?,
            period: df.column("period")?.i32()?.iter().collect(),
            value: s("value")?,
            unit: s("unit")?,
            raw: s("raw")?,
            table: s("table")?,
            page: u("page")?,
            line: u("line")?,
            sheet: s("sheet")?,
            cell: s("cell")?,
            printed: s("printed")?,
            printed_unit: s("printed_unit")?,
            quote: s("quote")?,
            named_as: s("named_as")?,
            table_index: u("table_index")?,
            prose_line: u("prose_line")?,
        })
    }

    fn len(&self) -> usize {
        self.file.len()
    }

    fn row(&self, i: usize) -> Result<Stored<'a>, String> {
        let bad = |what: &str| format!("fact row {i}: bad {what}");
        let decimal = |text: Option<&str>, what: &str| -> Result<Option<Decimal>, String> {
            text.map(|t| Decimal::from_str(t).map_err(|_| bad(what)))
                .transpose()
        };
        let unit = |text: Option<&str>| text.map(|t| Unit::parse(t).unwrap_or(Unit::Other));
        let location = match (self.sheet[i], self.cell[i], self.page[i], self.line[i]) {
            (Some(sheet), Some(cell), _, _) => StoredLocation::Cell(sheet, cell),
            (_, _, Some(page), Some(line)) => StoredLocation::Page(page, line),
            (_, _, None, Some(line)) => StoredLocation::Line(line),
            _ => return Err(bad("location")),
        };
        Ok(Stored {
            value: decimal(self.value[i], "value")?,
            printed: decimal(self.printed[i], "printed")?,
            metric: self.metric[i].ok_or_else(|| bad("metric"))?,
            code: self.code[i],
            item: self.item[i],
            raw: self.raw[i].ok_or_else(|| bad("raw"))?,
            table_name: self.table[i],
            quote: self.quote[i],
            named_as: self.named_as[i],
            location,
            table: self.table_index[i],
            period: self.period[i],
            line: self.prose_line[i],
            aspect: self.aspect[i]
                .and_then(Aspect::parse)
                .ok_or_else(|| bad("aspect"))?,
            unit: unit(self.unit[i]).ok_or_else(|| bad("unit"))?,
            printed_unit: unit(self.printed_unit[i]).ok_or_else(|| bad("printed_unit"))?,
        })
    }
}
