//! Consolidation across documents: department identity, the polars frames, trends, statistics
//! and the cross-document rules. Polars lives here.
//!
//! Input: the per-file reports (already checked one by one), in a deterministic order (sorted by
//! path). Output: an [`Archive`] that `report` writes. Nothing here reads files or the clock.

pub mod cache;
pub mod changes;
pub mod frames;
pub mod statistics;
pub mod store;
pub mod trends;
pub mod triage;

use std::collections::HashMap;

use polars::prelude::DataFrame;

use crate::catalog::catalog;
use crate::checks::{self, archive::ArchiveView};
use crate::extract::{CheckStatus, DocumentReport};
use crate::model::{Anomaly, Kind};
use crate::pipeline::Plan;

/// A read and checked input, as consolidation keeps it: the report without its facts and
/// without what only the per-document checks read, and its facts compact.
#[derive(Clone, Debug)]
pub struct StoredReport {
    /// The report; its `facts` are in `facts`.
    pub report: DocumentReport,
    pub facts: store::FactStore,
    /// Nothing at all could be read from the file.
    pub unreadable: bool,
}

/// A document of the archive with its resolved identity.
#[derive(Clone, Debug)]
pub struct Document {
    /// The report; its `facts` are in `facts`.
    pub report: DocumentReport,
    pub facts: store::FactStore,
    /// Department identity across years (gazetteer-resolved key, then the pipeline's aliases).
    pub key: String,
    /// The unit's own name, without region (`智慧城市运行管理中心`).
    pub unit: String,
    /// Departments of the same kind, for TREND_OUTLIER.
    pub peer_group: String,
    /// Every name the identity went by in the archive (printed names and the aliases documents
    /// give), oldest first.
    pub names: Vec<String>,
}

impl Document {
    /// True when the document carries the prose explanation (see
    /// [`DocumentReport::has_prose_part`]).
    pub fn has_prose_part(&self) -> bool {
        self.facts.prose_count() >= crate::extract::MIN_PROSE_FACTS
    }
}

/// What happened to an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputStatus {
    Ok,
    /// Read with errors; what was read is kept.
    Partial,
    Failed,
    /// Read, but left out by the pipeline's filters.
    Filtered,
}

/// Counts per value, sorted by value.
pub type Counts = Vec<(String, usize)>;

/// The count of `key` in `counts` (0 when absent).
pub fn count_of(counts: &Counts, key: &str) -> usize {
    counts.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
}

/// Documents per chunk of the fact table (about 50,000 rows).
pub(crate) const FACT_CHUNK_DOCUMENTS: usize = 500;

impl Archive {
    /// The fact table in chunks of documents, in archive order: each chunk is built when the
    /// iterator reaches it and dropped after use, so writing the table costs one chunk of memory.
    pub fn fact_chunks(
        &self,
    ) -> impl Iterator<Item = polars::prelude::PolarsResult<DataFrame>> + '_ {
        self.documents
            .chunks(FACT_CHUNK_DOCUMENTS)
            .map(frames::facts)
    }

    /// Anomaly counts by severity and by rule, from the anomaly frame.
    ///
    /// # Errors
    /// A polars error (never expected).
    pub fn anomaly_counts(&self) -> polars::prelude::PolarsResult<(Counts, Counts)> {
        Ok((
            frames::counts(&self.anomalies_frame, "severity")?,
            frames::counts(&self.anomalies_frame, "rule")?,
        ))
    }

    /// Flags per document and severity (archive-wide flags are not counted).
    pub fn severity_counts(
        &self,
    ) -> std::collections::BTreeMap<(usize, crate::model::Severity), usize> {
        let mut counts = std::collections::BTreeMap::new();
        for f in &self.findings {
            if let Some(d) = f.document {
                *counts.entry((d, f.anomaly.severity)).or_default() += 1;
            }
        }
        counts
    }

    /// The documents in the order of 部门年度 and departments.parquet: identity, year, kind,
    /// file.
    pub fn department_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.documents.len()).collect();
        order.sort_by_key(|&i| {
            let d = &self.documents[i];
            (
                d.key.as_str(),
                d.report.document.fiscal_year,
                d.report.document.kind,
                d.report.file.as_str(),
            )
        });
        order
    }

    /// departments.parquet: one row per document in [`Archive::department_order`] — identity,
    /// the headline measures as the document states them ([`store::FactStore::stated`], its
    /// primary facts), flag counts, file.
    ///
    /// # Errors
    /// A polars error (never expected).
    pub fn departments_frame(&self) -> polars::prelude::PolarsResult<DataFrame> {
        frames::departments(
            &self.documents,
            &self.department_order(),
            &self.severity_counts(),
        )
    }

    /// Input counts by status, from the input frame.
    ///
    /// # Errors
    /// A polars error (never expected).
    pub fn input_counts(&self) -> polars::prelude::PolarsResult<Counts> {
        frames::counts(&self.inputs_frame, "status")
    }
}

impl InputStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InputStatus::Ok => "ok",
            InputStatus::Partial => "partial",
            InputStatus::Failed => "failed",
            InputStatus::Filtered => "filtered",
        }
    }
}

/// One input file, as the 输入 sheet lists it.
#[derive(Clone, Debug)]
pub struct InputRow {
    pub file: String,
    pub status: InputStatus,
    pub encoding: Option<String>,
    pub department: Option<String>,
    pub fiscal_year: Option<i32>,
    pub kind: Option<Kind>,
    pub facts: usize,
    /// Recognized tables (`公开01表 收入支出决算总表`).
    pub tables: Vec<String>,
    pub errors: Vec<String>,
}

/// An anomaly with the document it is about (`None` for archive-wide ones).
#[derive(Clone, Debug)]
pub struct Finding {
    pub anomaly: Anomaly,
    pub document: Option<usize>,
}

/// Everything a run consolidates.
pub struct Archive {
    pub documents: Vec<Document>,
    pub inputs: Vec<InputRow>,
    /// Rows of the SPEC §3 fact table (every fact of every document).
    pub fact_count: usize,
    /// The facts the trends and statistics read (headline and class-sliced amounts).
    pub series: DataFrame,
    /// One row per document, per anomaly, per input file.
    pub documents_frame: DataFrame,
    pub anomalies_frame: DataFrame,
    pub inputs_frame: DataFrame,
    pub findings: Vec<Finding>,
    pub trends: trends::Trends,
    pub statistics: statistics::Statistics,
    /// Status of the cross-document rules.
    pub archive_checks: Vec<CheckStatus>,
}

/// The identity key of a report: the pipeline's alias for its printed name or derived key, else
/// the derived key, else the printed name, else the file name.
fn identity_key(report: &DocumentReport, plan: &Plan) -> String {
    let aliases = &plan.departments.aliases;
    let d = &report.document;
    d.department
        .as_ref()
        .and_then(|n| aliases.get(n))
        .or_else(|| d.department_key.as_ref().and_then(|k| aliases.get(k)))
        .cloned()
        .or_else(|| d.department_key.clone())
        .or_else(|| d.department.clone())
        .unwrap_or_else(|| report.file.clone())
}

fn unit_name(key: &str) -> String {
    match catalog().regions.prefix(key) {
        Some(m) => key.chars().skip(m.printed_len).collect(),
        None => key.to_string(),
    }
}

/// Applies `[[manifest]]` identity overrides to a report.
fn apply_manifest(report: &mut DocumentReport, plan: &Plan) {
    let Some(entry) = plan
        .manifest
        .iter()
        .find(|m| report.file == m.file || report.file.ends_with(&m.file))
    else {
        return;
    };
    if let Some(d) = &entry.department {
        let (region, key) = crate::extract::identity::resolve_department(d);
        report.document.department = Some(d.clone());
        report.document.region = region;
        report.document.department_key = Some(key);
    }
    if entry.fiscal_year.is_some() {
        report.document.fiscal_year = entry.fiscal_year;
    }
    if entry.kind.is_some() {
        report.document.kind = entry.kind;
    }
}

/// The file's path without its extension.
fn path_stem(file: &str) -> String {
    std::path::Path::new(file)
        .with_extension("")
        .to_string_lossy()
        .into_owned()
}

/// For each report, the other reports whose file is its companion: same folder, and one name
/// extends the other at a separator (`D` / `D_tables`, `D_alt`). Built from a map of names and
/// their prefixes, so an archive of 20,000 files in one folder costs a few lookups per file,
/// not a comparison of every file with every other.
fn companion_index(files: &[&str]) -> Vec<Vec<usize>> {
    let stems: Vec<String> = files.iter().map(|f| path_stem(f)).collect();
    // The name up to each separator after the first character (`a/D_tables` → `a/D`).
    let prefixes = |stem: &str| -> Vec<String> {
        let file_start = stem.rfind(['/', '\\']).map_or(0, |i| i + 1);
        stem.char_indices()
            .filter(|(i, c)| *i > file_start && matches!(c, '_' | '-' | '.' | ' '))
            .map(|(i, _)| stem[..i].to_string())
            .collect()
    };
    let mut by_stem: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in stems.iter().enumerate() {
        by_stem.entry(s.as_str()).or_default().push(i);
    }
    let mut extended_by: HashMap<String, Vec<usize>> = HashMap::new();
    for (j, s) in stems.iter().enumerate() {
        for p in prefixes(s) {
            extended_by.entry(p).or_default().push(j);
        }
    }
    stems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut out: Vec<usize> = extended_by.get(s).cloned().unwrap_or_default();
            for p in prefixes(s) {
                out.extend(by_stem.get(p.as_str()).into_iter().flatten());
            }
            out.retain(|&j| j != i);
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect()
}

/// A prose sub-item the document's own tables could not resolve (`事业运行` under 201, with
/// its tables in a companion `D_tables.xlsx`) takes the code the companion's tables print for
/// that name under that class, when it is unique.
fn resolve_with_companions(reports: &mut [DocumentReport], companions: &[Vec<usize>]) {
    let unresolved = |f: &crate::model::Fact| {
        f.table.is_none()
            && f.item.is_some()
            && f.code.as_ref().is_some_and(|c| c.as_str().len() < 7)
    };
    if !reports.iter().any(|r| r.facts.iter().any(unresolved)) {
        return;
    }
    for i in 0..reports.len() {
        if !reports[i].facts.iter().any(unresolved) {
            continue;
        }
        let id = &reports[i].document;
        let codes: Vec<(crate::model::Code, String)> = companions[i]
            .iter()
            .filter(|&&j| {
                let other = &reports[j];
                other.document.fiscal_year == id.fiscal_year && other.document.kind == id.kind
            })
            .flat_map(|&j| reports[j].detail.printed_codes.iter().cloned())
            .collect();
        if codes.is_empty() {
            continue;
        }
        let book = crate::extract::codebook::CodeBook::new(catalog(), codes);
        for f in reports[i].facts.iter_mut().filter(|f| unresolved(f)) {
            let (Some(code), Some(item)) = (&f.code, &f.item) else {
                continue;
            };
            // A `（类）…（款）…（项）` path names a 项: only a 7-digit code is it (统计信息事务
            // is both a 款 and a 项 under it).
            let xiang = [Some(&f.label), Some(&f.quote), f.named_as.as_ref()]
                .into_iter()
                .flatten()
                .any(|t| t.contains("(项)") || t.contains("（项）"));
            if let Some(sub) = book
                .child_named(code, item)
                .filter(|c| !xiang || c.as_str().len() == 7)
            {
                f.code = Some(sub);
                f.item = None;
            }
        }
    }
}

/// (prose part, tables part) of each disclosure printed in two files side by side (`D.txt`
/// and `D_tables.xlsx`, one year and kind): the part with the explanation and the one without.
fn companion_pairs(reports: &[DocumentReport], companions: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        if r.unreadable() || !r.has_prose_part() {
            continue;
        }
        for &j in &companions[i] {
            let t = &reports[j];
            if !t.unreadable()
                && !t.has_prose_part()
                && !t.tables.is_empty()
                && t.document.fiscal_year == r.document.fiscal_year
                && t.document.kind == r.document.kind
            {
                pairs.push((i, j));
            }
        }
    }
    pairs
}

/// Runs the rules that compare printings over each disclosure's two parts together.
fn check_companion_parts(
    reports: &mut [DocumentReport],
    companions: &[Vec<usize>],
    settings: &checks::RuleSettings,
) {
    for (prose, tables) in companion_pairs(reports, companions) {
        let extra = checks::check_parts(&reports[prose], &reports[tables], settings);
        if !extra.is_empty() {
            let r = &mut reports[prose];
            r.anomalies.extend(extra);
            checks::sort_anomalies(&mut r.anomalies);
        }
    }
}

/// Files of one disclosure sit side by side and share a name: `D.txt`, `D_alt.txt`,
/// `D_tables.xlsx`. A part that does not print its identity (a tables workbook without a
/// `部门：` row) takes what is missing from the companion whose name it extends, or that
/// extends its name, the longest shared name first. Nothing printed is overwritten.
fn fill_from_companions(reports: &mut [DocumentReport], companions: &[Vec<usize>]) {
    let incomplete = |d: &crate::model::Identity| {
        d.department.is_none() || d.fiscal_year.is_none() || d.kind.is_none()
    };
    if !reports.iter().any(|r| incomplete(&r.document)) {
        return;
    }
    for i in 0..reports.len() {
        let d = &reports[i].document;
        if !incomplete(d) {
            continue;
        }
        let stem = path_stem(&reports[i].file);
        let companion = companions[i]
            .iter()
            .map(|&j| &reports[j])
            .filter(|o| !o.unreadable() && o.document.department.is_some())
            .filter(|o| {
                (d.fiscal_year.is_none() || o.document.fiscal_year == d.fiscal_year)
                    && (d.kind.is_none() || o.document.kind == d.kind)
            })
            .map(|o| (path_stem(&o.file), o.document.clone()))
            .min_by_key(|(other, _)| (stem.len().abs_diff(other.len()), other.clone()));
        let Some((_, id)) = companion else { continue };
        let d = &mut reports[i].document;
        if d.department.is_none() {
            d.department.clone_from(&id.department);
            d.department_key.clone_from(&id.department_key);
            d.region.clone_from(&id.region);
        }
        if d.fiscal_year.is_none() {
            d.fiscal_year = id.fiscal_year;
        }
        if d.kind.is_none() {
            d.kind = id.kind;
        }
    }
}

/// The identity key another name of a document's department stands for, in the document's
/// region: `普陀区城市管理行政执法局` in a 上海市普陀区 document is 上海市普陀区城市管理行政执法局.
/// A name that resolves to another region is another department: `None`.
fn alias_key(name: &str, doc: &DocumentReport) -> Option<String> {
    use crate::extract::identity::{resolve_department, resolve_in_context};
    let region = doc.document.region.clone();
    if let Some((_, key)) = resolve_in_context(name, || region.clone().into_iter().collect()) {
        return Some(key);
    }
    match resolve_department(name) {
        (Some(r), key) if Some(&r) == region.as_ref() => Some(key),
        (None, key) if region.is_none() => Some(key),
        _ => None,
    }
}

/// Merges identity keys the documents show to be one department: a document's tables name it
/// differently (`部门：` line), or it states its former name (`原XX局更名为YY局`). Two keys
/// merge only when they are in one region and never published the same year and kind (then
/// they are two departments, whatever a document says). The merged identity takes the key of
/// its latest document. Fills every document's `names`.
fn merge_identities(docs: &mut [Document]) {
    use std::collections::{BTreeMap, BTreeSet};
    type Periods = BTreeSet<(Option<i32>, Option<Kind>)>;
    let mut periods: BTreeMap<String, Periods> = BTreeMap::new();
    for d in docs.iter() {
        periods
            .entry(d.key.clone())
            .or_default()
            .insert((d.report.document.fiscal_year, d.report.document.kind));
    }
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for d in docs.iter() {
        for name in &d.report.document.aliases {
            if let Some(k) = alias_key(name, &d.report) {
                if k != d.key && periods.contains_key(&k) {
                    edges.insert((k, d.key.clone()));
                }
            }
        }
    }
    // The 2018 reform's renames, without a statement: the old name's documents all before the
    // new name's, in one region, one department on each side.
    let years = |k: &String| -> Option<(i32, i32)> {
        let ys: Vec<i32> = periods.get(k)?.iter().filter_map(|(y, _)| *y).collect();
        Some((*ys.iter().min()?, *ys.iter().max()?))
    };
    let mut by_unit: BTreeMap<(String, String), Vec<&String>> = BTreeMap::new();
    for k in periods.keys() {
        if let Some(m) = catalog().regions.prefix(k).filter(|m| m.resolved) {
            let unit: String = k.chars().skip(m.printed_len).collect();
            by_unit.entry((m.region, unit)).or_default().push(k);
        }
    }
    for (old, new) in &catalog().renames {
        for ((region, unit), olds) in &by_unit {
            if unit != old {
                continue;
            }
            let Some(news) = by_unit.get(&(region.clone(), new.clone())) else {
                continue;
            };
            if let ([o], [n]) = (olds.as_slice(), news.as_slice()) {
                if let (Some((_, last_old)), Some((first_new, _))) = (years(o), years(n)) {
                    if last_old < first_new {
                        edges.insert(((*o).clone(), (*n).clone()));
                    }
                }
            }
        }
    }
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn find(parent: &BTreeMap<String, String>, k: &str) -> String {
        let mut k = k.to_string();
        // Bounded: every union points a root at another root.
        for _ in 0..parent.len() + 1 {
            match parent.get(&k) {
                Some(p) if *p != k => k = p.clone(),
                _ => break,
            }
        }
        k
    }
    let mut group_periods = periods.clone();
    for (a, b) in edges {
        let (ra, rb) = (find(&parent, &a), find(&parent, &b));
        if ra == rb {
            continue;
        }
        let (pa, pb) = (&group_periods[&ra], &group_periods[&rb]);
        if !pa.is_disjoint(pb) {
            continue;
        }
        let merged: Periods = pa.union(pb).cloned().collect();
        parent.insert(ra.clone(), rb.clone());
        group_periods.remove(&ra);
        group_periods.insert(rb, merged);
    }
    // Each group's key: the key of its latest document (then the longest, then the first).
    let mut best: BTreeMap<String, (Option<i32>, usize, String)> = BTreeMap::new();
    for d in docs.iter() {
        let root = find(&parent, &d.key);
        let candidate = (
            d.report.document.fiscal_year,
            d.key.chars().count(),
            d.key.clone(),
        );
        let entry = best.entry(root).or_insert_with(|| candidate.clone());
        if (candidate.0, candidate.1) > (entry.0, entry.1) {
            *entry = candidate;
        }
    }
    let mut names: BTreeMap<String, Vec<(Option<i32>, String)>> = BTreeMap::new();
    for d in docs.iter_mut() {
        let root = find(&parent, &d.key);
        if let Some((_, _, key)) = best.get(&root) {
            d.key = key.clone();
        }
        let year = d.report.document.fiscal_year;
        let list = names.entry(d.key.clone()).or_default();
        for n in d
            .report
            .document
            .department
            .iter()
            .chain(&d.report.document.aliases)
        {
            list.push((year, n.clone()));
        }
    }
    for list in names.values_mut() {
        list.sort();
        let mut seen = BTreeSet::new();
        list.retain(|(_, n)| seen.insert(crate::ingest::normalize::name_key(n)));
    }
    for d in docs.iter_mut() {
        d.names = names
            .get(&d.key)
            .map(|l| l.iter().map(|(_, n)| n.clone()).collect())
            .unwrap_or_default();
    }
}

fn passes_filters(doc: &Document, plan: &Plan) -> bool {
    let f = &plan.filters;
    let d = &doc.report.document;
    let department_ok = f.departments.is_empty()
        || f.departments.iter().any(|want| {
            doc.key.contains(want.as_str())
                || d.department
                    .as_deref()
                    .is_some_and(|n| n.contains(want.as_str()))
        });
    let year_ok = f.years.is_empty() || d.fiscal_year.is_some_and(|y| f.years.contains(&y));
    let kind_ok = f.kinds.is_empty() || d.kind.is_some_and(|k| f.kinds.contains(&k));
    department_ok && year_ok && kind_ok
}

fn input_row(report: &DocumentReport, facts: usize, status: InputStatus) -> InputRow {
    InputRow {
        file: report.file.clone(),
        status,
        encoding: report.encoding.clone(),
        department: report.document.department.clone(),
        fiscal_year: report.document.fiscal_year,
        kind: report.document.kind,
        facts,
        tables: report
            .tables
            .iter()
            .filter(|t| t.signature.is_some())
            .map(|t| match &t.number {
                Some(n) => format!("{n} {}", t.name),
                None => t.name.clone(),
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.kind, e.message))
            .collect(),
    }
}

/// Files that are parts of one disclosure (companions, see [`companion_index`]) in groups:
/// the connected parts of the companion relation, each in path order, groups in order of
/// their first file. [`prepare`] over each group gives what it gives over all files.
pub fn companion_groups(files: &[&str]) -> Vec<Vec<usize>> {
    let companions = companion_index(files);
    let mut parent: Vec<usize> = (0..files.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, others) in companions.iter().enumerate() {
        for &j in others {
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..files.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The passes over the parts of one disclosure (identity filled from a companion, prose codes
/// resolved by a companion's tables, prose checked against the companion's tables), then each
/// report stored compact (see [`store`]). `reports` in path order: every file, or one
/// [`companion_groups`] group at a time (what the nightly run does, so that no more than a
/// group's full reports are held at once).
pub fn prepare(
    mut reports: Vec<DocumentReport>,
    settings: &checks::RuleSettings,
) -> Vec<StoredReport> {
    let files: Vec<&str> = reports.iter().map(|r| r.file.as_str()).collect();
    let companions = companion_index(&files);
    fill_from_companions(&mut reports, &companions);
    resolve_with_companions(&mut reports, &companions);
    check_companion_parts(&mut reports, &companions, settings);
    reports
        .into_iter()
        .map(|mut report| {
            let unreadable = report.unreadable();
            let facts = store::FactStore::new(&report.facts);
            report.facts = Vec::new();
            StoredReport {
                report,
                facts,
                unreadable,
            }
        })
        .collect()
}

/// Consolidates prepared reports (in path order) into the archive the workbook shows.
///
/// # Errors
/// A polars error building the frames.
pub fn consolidate(
    reports: Vec<StoredReport>,
    plan: &Plan,
) -> polars::prelude::PolarsResult<Archive> {
    let mut documents = Vec::new();
    let mut inputs = Vec::new();
    for missing in &plan.missing_inputs {
        inputs.push(InputRow {
            file: missing.display().to_string(),
            status: InputStatus::Failed,
            encoding: None,
            department: None,
            fiscal_year: None,
            kind: None,
            facts: 0,
            tables: Vec::new(),
            errors: vec![format!("io: {} does not exist", missing.display())],
        });
    }
    let mut candidates = Vec::new();
    for stored in reports {
        let StoredReport {
            mut report,
            facts,
            unreadable,
        } = stored;
        if unreadable {
            inputs.push(input_row(&report, facts.len(), InputStatus::Failed));
            continue;
        }
        apply_manifest(&mut report, plan);
        let key = identity_key(&report, plan);
        candidates.push(Document {
            report,
            facts,
            key,
            unit: String::new(),
            peer_group: String::new(),
            names: Vec::new(),
        });
    }
    merge_identities(&mut candidates);
    for mut doc in candidates {
        doc.unit = unit_name(&doc.key);
        doc.peer_group = plan
            .departments
            .peer_groups
            .get(&doc.unit)
            .cloned()
            .unwrap_or_else(|| doc.unit.clone());
        if !passes_filters(&doc, plan) {
            inputs.push(input_row(
                &doc.report,
                doc.facts.len(),
                InputStatus::Filtered,
            ));
            continue;
        }
        let status = if doc.report.errors.is_empty() {
            InputStatus::Ok
        } else {
            InputStatus::Partial
        };
        inputs.push(input_row(&doc.report, doc.facts.len(), status));
        documents.push(doc);
    }
    inputs.sort_by(|a, b| a.file.cmp(&b.file));

    let fact_count = documents.iter().map(|d| d.facts.len()).sum();
    let series = frames::series(&documents)?;
    let trends = trends::build(&series)?;
    let statistics = statistics::build(&series)?;

    let mut findings: Vec<Finding> = documents
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            d.report
                .anomalies
                .iter()
                .cloned()
                .map(move |anomaly| Finding {
                    anomaly,
                    document: Some(i),
                })
        })
        .collect();
    let view = ArchiveView {
        documents: &documents,
        trends: &trends,
        settings: &plan.rules,
    };
    let (archive_findings, archive_checks) = checks::archive::check_archive(&view);
    findings.extend(archive_findings);
    // Triage order: severity, the money involved (largest first), then the document's
    // department, year and kind, then input order (stable).
    findings.sort_by_cached_key(|f| {
        let doc = f.document.and_then(|i| documents.get(i)).map(|d| {
            (
                d.key.clone(),
                d.report.document.fiscal_year,
                d.report.document.kind,
            )
        });
        triage::order_key(&f.anomaly, (doc, f.document))
    });

    let documents_frame = frames::documents(&documents)?;
    let anomalies_frame = frames::anomalies(&findings, &documents)?;
    let inputs_frame = frames::inputs(&inputs)?;
    Ok(Archive {
        documents,
        inputs,
        fact_count,
        series,
        documents_frame,
        anomalies_frame,
        inputs_frame,
        findings,
        trends,
        statistics,
        archive_checks,
    })
}
