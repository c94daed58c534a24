//! MISSING_SECTION: a required part of the disclosure is absent — the 三公, 机关运行经费,
//! 政府采购 or 国有资产 explanation, or a table the document itself announces.
//!
//! Explanations are looked for only in documents that carry the prose part; announced tables
//! only in documents that carry tables (a disclosure often publishes its tables as a separate
//! file: `fiscal run` checks them across the disclosure's parts).

use super::{Doc, DocumentRule, Findings, Flag};
use crate::extract::tables::title_signature;
use crate::model::Location;

pub struct MissingSection;

/// (what, any of these words shows the explanation is there).
const REQUIRED: &[(&str, &[&str])] = &[
    ("“三公”经费", &["三公"]),
    ("机关运行经费", &["机关运行经费", "机关运行费"]),
    ("政府采购", &["政府采购"]),
    (
        "国有资产占用",
        &["国有资产", "资产占用", "资产占有", "车辆"],
    ),
];

impl DocumentRule for MissingSection {
    fn id(&self) -> &'static str {
        "MISSING_SECTION"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let lines = &doc.report.detail.lines;
        let who = doc.report.document.department.clone().unwrap_or_default();
        // A table set with its own template (教育部 universities: four tables, no 三公 part)
        // says which explanations belong to it.
        let template: Option<(&str, &Vec<String>)> = doc
            .report
            .tables
            .iter()
            .filter_map(|t| t.signature.as_deref())
            .filter_map(|id| crate::catalog::catalog().tables.iter().find(|s| s.id == id))
            .find_map(|s| s.sections.as_ref().map(|v| (s.name.as_str(), v)));
        if doc.report.has_prose_part() {
            let text: String = lines.iter().map(|l| l.key()).collect();
            for (what, words) in REQUIRED {
                if let Some((table, sections)) = template {
                    if !sections.iter().any(|s| s == what) {
                        out.note(format!(
                            "{what}: not part of the template of the set {table} belongs to"
                        ));
                        continue;
                    }
                }
                out.checked += 1;
                if !words.iter().any(|w| text.contains(w)) {
                    out.flag(Flag {
                        message: format!("情况说明中没有{what}的说明"),
                        evidence: who.clone(),
                        expected: Some(format!("a {what} explanation")),
                        found: Some("none".into()),
                        ..Flag::default()
                    });
                }
            }
        } else {
            out.note("no prose explanation part in this document");
        }

        // Tables the document announces (in its contents or titles) but does not contain.
        // Contents entries are numbered (`一、2019年度收入支出决算总表`); a mention in a sentence
        // (`详见…绩效目标表`) is not an announcement.
        let numbered = |t: &str| {
            let t = t.trim_start();
            t.starts_with(|c: char| c.is_ascii_digit() || "一二三四五六七八九十(（".contains(c))
        };
        let announced: Vec<(&str, Location, String)> = lines
            .iter()
            .filter(|l| numbered(&l.text))
            .filter_map(|l| {
                let key = l.key();
                title_signature(key)
                    .map(|s| (s.id.as_str(), l.location.clone(), l.raw.trim().to_string()))
            })
            .collect();
        if announced.is_empty() {
            return;
        }
        if doc.report.tables.is_empty() {
            out.note("the announced tables are published separately: checked across the disclosure by fiscal run");
            return;
        }
        let mut seen: Vec<&str> = Vec::new();
        for (id, line, text) in announced {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            out.checked += 1;
            let present = doc
                .report
                .tables
                .iter()
                .any(|t| t.signature.as_deref() == Some(id));
            if !present {
                out.flag(Flag {
                    message: format!("目录列出“{text}”，但文件中没有该表"),
                    evidence: text.clone(),
                    location: Some(line),
                    expected: Some(text),
                    found: Some("absent".into()),
                    ..Flag::default()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    const BODY: &str = "第二部分 2023年度部门决算情况说明\n（一）收入总计1万元，包括：\n1.财政拨款收入1万元。\n（二）支出总计1万元，包括：\n1.基本支出1万元。\n2.项目支出0万元。\n";

    #[test]
    fn sections_flag_missing_explanations() {
        let (flags, checked) = run(&MissingSection, BODY);
        assert_eq!(checked, 4);
        assert_eq!(flags.len(), 4);
    }

    #[test]
    fn sections_near_miss_all_explanations_present() {
        let text = format!("{BODY}三、“三公”经费支出0万元。\n（一）机关运行经费支出0万元。\n（二）政府采购支出总额0万元。\n（三）国有资产占用情况。共有车辆0辆。");
        let (flags, checked) = run(&MissingSection, &text);
        assert_eq!(checked, 4);
        assert!(flags.is_empty(), "{flags:?}");
    }
}
