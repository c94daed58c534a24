//! DUPLICATE_DOCUMENT: two inputs of the same part of one disclosure (department, year, kind).
//!
//! A prose `.txt` and a tables `.xlsx` are two parts of one disclosure, checked against each
//! other by the single-document rules' logic elsewhere — not duplicates. Two prose parts with
//! different content are two versions; the same table in two inputs is a duplicate when the
//! two printings disagree (identical re-publications of a table are noted, not flagged).

use std::collections::BTreeMap;

use super::archive::{ArchiveRule, ArchiveView};
use super::{Findings, Flag};
use crate::analysis::Document;
use crate::model::FactKey;

pub struct DuplicateDocument;

/// Department key, year and kind: the documents that can be duplicates of each other.
type Group<'a> = (&'a str, Option<i32>, Option<crate::model::Kind>);

/// Table facts of `d` in tables with signature `id`, by key.
fn table_values(d: &Document, id: &str) -> BTreeMap<FactKey, rust_decimal::Decimal> {
    let indices: Vec<usize> = d
        .report
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| t.signature.as_deref() == Some(id))
        .map(|(i, _)| i)
        .collect();
    if indices.is_empty() {
        return BTreeMap::new();
    }
    d.facts
        .facts()
        .into_iter()
        .filter(|f| f.table.is_some_and(|t| indices.contains(&t)))
        .filter_map(|f| f.value.map(|v| (f.key(), v)))
        .collect()
}

impl ArchiveRule for DuplicateDocument {
    fn id(&self) -> &'static str {
        "DUPLICATE_DOCUMENT"
    }

    fn check(&self, archive: &ArchiveView<'_>, out: &mut Findings) {
        let docs = archive.documents;
        // Only documents of one department, year and kind can be duplicates: group them first
        // (comparing every document with every other was quadratic at archive scale).
        let mut groups: BTreeMap<Group<'_>, Vec<usize>> = BTreeMap::new();
        for (i, d) in docs.iter().enumerate() {
            let id = &d.report.document;
            groups
                .entry((d.key.as_str(), id.fiscal_year, id.kind))
                .or_default()
                .push(i);
        }
        let mut pairs: Vec<(usize, usize)> = groups
            .values()
            .filter(|g| g.len() > 1)
            .flat_map(|g| {
                g.iter()
                    .enumerate()
                    .flat_map(move |(n, &i)| g[n + 1..].iter().map(move |&j| (i, j)))
            })
            .collect();
        pairs.sort_unstable();
        for (i, j) in pairs {
            let (a, b) = (&docs[i], &docs[j]);
            {
                out.checked += 1;
                let files = format!("{} / {}", a.report.file, b.report.file);
                if a.report.doc_id == b.report.doc_id {
                    out.note(format!("{files} have identical content"));
                    continue;
                }
                if a.has_prose_part() && b.has_prose_part() {
                    let mut flag = Flag {
                        message: format!("同一部门、年度、类型有两份情况说明，内容不同：{files}"),
                        evidence: files.clone(),
                        expected: Some("one prose part".into()),
                        found: Some("two".into()),
                        ..Flag::default()
                    };
                    flag.document = Some(j);
                    out.flag(flag);
                    continue;
                }
                let shared: Vec<&str> = a
                    .report
                    .tables
                    .iter()
                    .filter_map(|t| t.signature.as_deref())
                    .filter(|id| {
                        b.report
                            .tables
                            .iter()
                            .any(|u| u.signature.as_deref() == Some(id))
                    })
                    .collect();
                for id in shared {
                    let (va, vb) = (table_values(a, id), table_values(b, id));
                    let differing = va
                        .iter()
                        .filter(|(k, v)| vb.get(*k).is_some_and(|w| w != *v))
                        .count();
                    if differing > 0 {
                        let name = a
                            .report
                            .tables
                            .iter()
                            .find(|t| t.signature.as_deref() == Some(id))
                            .map_or(id.to_string(), |t| t.name.clone());
                        let mut flag = Flag {
                            message: format!(
                                "{name}在两个文件中都有，且{differing}个数值不同：{files}"
                            ),
                            evidence: files.clone(),
                            expected: Some("one version of the table".into()),
                            found: Some(format!("{differing} differing values")),
                            ..Flag::default()
                        };
                        flag.document = Some(j);
                        out.flag(flag);
                    } else {
                        out.note(format!(
                            "{files}: the same table printed twice with the same values"
                        ));
                    }
                }
            }
        }
    }
}
