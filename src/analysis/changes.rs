//! What changed since the previous run into the same output directory: documents added,
//! changed (new content) or removed, anomalies new and resolved, headline figures that changed.
//!
//! Each run leaves its state beside its outputs (`fiscal-state.json`: every input's content
//! hash and status, every anomaly's identity, every printed headline figure); the next run
//! compares its own state with it. The first run has nothing to compare with and says so.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Archive;

/// The state file's name in the output directory.
pub const STATE_FILE: &str = "fiscal-state.json";
/// The version of the state file's layout; a state of another version is not compared.
const STATE_VERSION: u32 = 2;
/// How many entries each list of [`Changes`] holds (the counts are complete).
const LISTED: usize = 1000;
/// Joins the parts of a key (a control character no printed text holds).
const SEP: &str = "\u{1f}";

/// One input as the run saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputState {
    /// SHA-256 prefix of the content (`None` when the file could not be read).
    pub doc_id: Option<String>,
    pub status: String,
}

/// What a run leaves for the next one to compare with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    pub schema_version: u32,
    /// What else decides the outputs: the tool build, the pipeline and its settings
    /// ([`fingerprint`]). Equal fingerprints and equal inputs give equal outputs.
    pub fingerprint: String,
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    pub inputs: BTreeMap<String, InputState>,
    /// Anomaly identities: severity, rule, file, location, metric, code, item, message.
    pub anomalies: BTreeSet<String>,
    /// Headline figures as printed: department key, kind, metric, year → value.
    pub headlines: BTreeMap<String, String>,
}

impl RunState {
    /// The state of a consolidated archive; `content` holds each input's content hash
    /// ([`content_ids`]).
    pub fn of(
        archive: &Archive,
        started_at: &str,
        fingerprint: &str,
        content: &BTreeMap<String, Option<String>>,
    ) -> RunState {
        let inputs = archive
            .inputs
            .iter()
            .map(|i| {
                (
                    i.file.clone(),
                    InputState {
                        doc_id: content.get(&i.file).cloned().flatten(),
                        status: i.status.as_str().to_string(),
                    },
                )
            })
            .collect();
        let anomalies = archive
            .findings
            .iter()
            .map(|f| {
                let a = &f.anomaly;
                let file = f
                    .document
                    .and_then(|i| archive.documents.get(i))
                    .map_or("", |d| d.report.file.as_str());
                join(&[
                    a.severity.as_str(),
                    &a.rule,
                    file,
                    &a.location
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    a.metric.as_ref().map_or("", |m| m.as_str()),
                    a.code.as_ref().map_or("", |c| c.as_str()),
                    a.item.as_deref().unwrap_or(""),
                    &a.message,
                ])
            })
            .collect();
        let mut headlines = BTreeMap::new();
        for row in archive.trends.rows.iter().filter(|r| r.code.is_none()) {
            for (year, point) in row.points.iter().filter(|(_, p)| !p.derived) {
                headlines.insert(
                    join(&[
                        &row.department_key,
                        &row.kind,
                        &row.metric,
                        &year.to_string(),
                    ]),
                    point.value.normalize().to_string(),
                );
            }
        }
        RunState {
            schema_version: STATE_VERSION,
            fingerprint: fingerprint.to_string(),
            started_at: started_at.to_string(),
            inputs,
            anomalies,
            headlines,
        }
    }

    /// The state a previous run left at `path`: `Ok(None)` when there is none.
    ///
    /// # Errors
    /// A message when the file exists but cannot be used (then no changes are reported).
    pub fn load(path: &std::path::Path) -> Result<Option<RunState>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let state: RunState =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if state.schema_version != STATE_VERSION {
            return Err(format!(
                "{}: state version {} (this version reads {STATE_VERSION})",
                path.display(),
                state.schema_version
            ));
        }
        Ok(Some(state))
    }
}

/// Each input's content hash (the `doc_id` of [`crate::extract::doc_id`]; `None` for a file
/// that cannot be read), read in parallel.
pub fn content_ids(inputs: &[std::path::PathBuf]) -> BTreeMap<String, Option<String>> {
    use rayon::prelude::*;
    inputs
        .par_iter()
        .map(|p| (p.display().to_string(), content_id(p)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// [`crate::extract::doc_id`] of a file's content, streamed (a huge file is not held).
fn content_id(path: &std::path::Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(crate::extract::hex_id(&hasher.finalize()))
}

/// What besides the inputs decides a run's outputs: this build of the tool (version, and the
/// executable's size and modification time: a rebuild with another catalog is another tool),
/// the pipeline file's bytes, and the resolved plan (filters, rules, limits, outputs,
/// language, `SOURCE_DATE_EPOCH`) — not the thread count or `--quiet`.
pub fn fingerprint(plan: &crate::pipeline::Plan) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    if let Some(meta) = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
    {
        h.update(meta.len().to_le_bytes());
        if let Some(t) = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        {
            h.update(t.as_nanos().to_le_bytes());
        }
    }
    if let Some(bytes) = plan.pipeline.as_ref().and_then(|p| std::fs::read(p).ok()) {
        h.update(&bytes);
    }
    let mut value = serde_json::to_value(plan).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        for key in ["jobs", "quiet", "progress", "cache_dir", "shard"] {
            map.remove(key);
        }
    }
    h.update(value.to_string().as_bytes());
    h.update(format!("{:?}", plan.rules).as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl RunState {
    /// True when a run with `fingerprint` over inputs with `content` would give this state's
    /// outputs again: same tool and settings, same files with the same content.
    pub fn same_run(&self, fingerprint: &str, content: &BTreeMap<String, Option<String>>) -> bool {
        self.fingerprint == fingerprint
            && self.inputs.len() == content.len()
            && content.iter().all(|(file, id)| {
                id.is_some() && self.inputs.get(file).is_some_and(|s| s.doc_id == *id)
            })
    }
}

fn join(parts: &[&str]) -> String {
    parts.join(SEP)
}

/// A list capped at [`LISTED`] entries, with the full count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listed<T> {
    pub count: usize,
    pub items: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Listed<T> {
        Listed {
            count: 0,
            items: Vec::new(),
        }
    }
}

impl<T> Listed<T> {
    fn of(all: impl Iterator<Item = T>) -> Listed<T> {
        let mut l = Listed::default();
        for item in all {
            l.count += 1;
            if l.items.len() < LISTED {
                l.items.push(item);
            }
        }
        l
    }
}

/// An anomaly that appeared or went away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnomalyChange {
    pub severity: String,
    pub rule: String,
    pub file: String,
    pub location: String,
    pub message: String,
}

/// The parts of a key made by [`join`], each `""` where the key is short.
fn split<const N: usize>(key: &str) -> [String; N] {
    let mut parts = key.split(SEP);
    std::array::from_fn(|_| parts.next().unwrap_or("").to_string())
}

impl AnomalyChange {
    fn of(key: &str) -> AnomalyChange {
        let [severity, rule, file, location, _, _, _, message] = split(key);
        AnomalyChange {
            severity,
            rule,
            file,
            location,
            message,
        }
    }
}

/// A headline figure printed with another value, or for the first or the last time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeadlineChange {
    pub department_key: String,
    pub kind: String,
    pub metric: String,
    pub fiscal_year: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl HeadlineChange {
    fn of(key: &str, before: Option<&String>, after: Option<&String>) -> HeadlineChange {
        let [department_key, kind, metric, fiscal_year] = split(key);
        HeadlineChange {
            department_key,
            kind,
            metric,
            fiscal_year,
            before: before.cloned(),
            after: after.cloned(),
        }
    }
}

/// Documents added, changed and removed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DocumentChanges {
    pub added: Listed<String>,
    pub changed: Listed<String>,
    pub removed: Listed<String>,
}

/// Anomalies new and resolved.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AnomalyChanges {
    pub new: Listed<AnomalyChange>,
    pub resolved: Listed<AnomalyChange>,
}

/// What changed since the previous run (run.json `changes`, the 变更 sheet).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Changes {
    /// When the previous run started (UTC); `None` for a first run (nothing compared).
    pub previous_run: Option<String>,
    /// Why nothing was compared, when nothing was.
    pub note: Option<String>,
    pub documents: DocumentChanges,
    pub anomalies: AnomalyChanges,
    pub headlines: Listed<HeadlineChange>,
}

impl Changes {
    /// Nothing compared, and why.
    pub fn none(note: impl Into<String>) -> Changes {
        Changes {
            note: Some(note.into()),
            ..Changes::default()
        }
    }

    /// `now` compared with `before`.
    pub fn between(before: &RunState, now: &RunState) -> Changes {
        let documents = DocumentChanges {
            added: Listed::of(
                now.inputs
                    .keys()
                    .filter(|f| !before.inputs.contains_key(*f))
                    .cloned(),
            ),
            changed: Listed::of(
                now.inputs
                    .iter()
                    .filter(|(f, s)| before.inputs.get(*f).is_some_and(|b| b != *s))
                    .map(|(f, _)| f.clone()),
            ),
            removed: Listed::of(
                before
                    .inputs
                    .keys()
                    .filter(|f| !now.inputs.contains_key(*f))
                    .cloned(),
            ),
        };
        let anomalies = AnomalyChanges {
            new: Listed::of(
                now.anomalies
                    .difference(&before.anomalies)
                    .map(|k| AnomalyChange::of(k)),
            ),
            resolved: Listed::of(
                before
                    .anomalies
                    .difference(&now.anomalies)
                    .map(|k| AnomalyChange::of(k)),
            ),
        };
        let keys: BTreeSet<&String> = before
            .headlines
            .keys()
            .chain(now.headlines.keys())
            .collect();
        let headlines = Listed::of(keys.into_iter().filter_map(|k| {
            let (b, n) = (before.headlines.get(k), now.headlines.get(k));
            (b != n).then(|| HeadlineChange::of(k, b, n))
        }));
        Changes {
            previous_run: Some(before.started_at.clone()),
            note: None,
            documents,
            anomalies,
            headlines,
        }
    }

    /// True when the run differs from the previous one in anything listed.
    pub fn any(&self) -> bool {
        self.documents.added.count
            + self.documents.changed.count
            + self.documents.removed.count
            + self.anomalies.new.count
            + self.anomalies.resolved.count
            + self.headlines.count
            > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(inputs: &[(&str, &str)], anomalies: &[&str], headlines: &[(&str, &str)]) -> RunState {
        RunState {
            schema_version: STATE_VERSION,
            fingerprint: "f".into(),
            started_at: "t".into(),
            inputs: inputs
                .iter()
                .map(|(f, id)| {
                    (
                        f.to_string(),
                        InputState {
                            doc_id: Some(id.to_string()),
                            status: "ok".into(),
                        },
                    )
                })
                .collect(),
            anomalies: anomalies.iter().map(|a| a.to_string()).collect(),
            headlines: headlines
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn changes_name_what_differs_and_nothing_else() {
        let k = |d: &str, y: &str| join(&[d, "budget", "income.total", y]);
        let a = |m: &str| join(&["error", "SUM_MISMATCH", "a.txt", "line 3", "", "", "", m]);
        let before = state(
            &[("a.txt", "1"), ("b.txt", "2"), ("gone.txt", "3")],
            &[&a("old")],
            &[(&k("X", "2023"), "10.5"), (&k("Y", "2023"), "7")],
        );
        let now = state(
            &[("a.txt", "1"), ("b.txt", "22"), ("new.txt", "4")],
            &[&a("new")],
            &[(&k("X", "2023"), "10.50"), (&k("Y", "2023"), "8")],
        );
        let c = Changes::between(&before, &now);
        assert_eq!(c.documents.added.items, vec!["new.txt"]);
        assert_eq!(c.documents.changed.items, vec!["b.txt"]);
        assert_eq!(c.documents.removed.items, vec!["gone.txt"]);
        assert_eq!(c.anomalies.new.items[0].message, "new");
        assert_eq!(c.anomalies.resolved.items[0].message, "old");
        assert_eq!(c.anomalies.new.items[0].location, "line 3");
        // The values are compared as the state holds them (normalized when the state is made).
        let changed: Vec<(&str, Option<&str>)> = c
            .headlines
            .items
            .iter()
            .map(|h| (h.department_key.as_str(), h.after.as_deref()))
            .collect();
        assert_eq!(changed, vec![("X", Some("10.50")), ("Y", Some("8"))]);
        // The same state twice: no change.
        assert!(!Changes::between(&now, &now).any());
    }
}
