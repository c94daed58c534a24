//! OUTDATED_CLASS_NAME (info): a classification printed under a name retired before the
//! document's year (医疗卫生与计划生育支出 in a 2019 document), or prose and table naming one
//! code differently.

use super::{Doc, DocumentRule, Findings, Flag};
use crate::catalog::catalog;
use crate::catalog::CodeEntry;
use crate::ingest::normalize;
use crate::model::Source;

pub struct OutdatedClassName;

/// The printed label as a class name: folded, numbering stripped, no `(类)…(项)` paths.
fn printed_name(label: &str) -> Option<String> {
    let key = crate::extract::tables::label_key(label);
    (!key.is_empty() && !key.contains("(类)") && !key.contains('占')).then_some(key)
}

/// The 类 name of a `…（类）…（款）…（项）` path label.
fn class_of_path(label: &str) -> Option<String> {
    let key = crate::extract::tables::label_key(label);
    let class = key.split("(类)").next().filter(|_| key.contains("(类)"))?;
    let class = class.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | '、'));
    (!class.is_empty()).then(|| class.to_string())
}

impl DocumentRule for OutdatedClassName {
    fn id(&self) -> &'static str {
        "OUTDATED_CLASS_NAME"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let Some(year) = doc.year() else {
            out.note("the document's year is unknown");
            return;
        };
        let c = catalog();
        for fact in doc.facts().iter().filter(|f| f.source == Source::Prose) {
            let Some(code) = &fact.code else { continue };
            // `文化体育与传媒支出（类）体育（款）群众体育（项）`: the 类 is named by the path.
            let (code, name) = match (printed_name(&fact.label), class_of_path(&fact.label)) {
                (Some(name), _) => (code.clone(), name),
                (None, Some(class)) => {
                    match crate::model::Code::parse(&code.as_str()[..3.min(code.as_str().len())]) {
                        Some(c) => (c, class),
                        None => continue,
                    }
                }
                (None, None) => continue,
            };
            let code = &code;
            let Some(entry): Option<&CodeEntry> = c.codes_for(code).get(code) else {
                continue;
            };
            let Some(matched) = entry.matching_name(&name) else {
                continue;
            };
            out.checked += 1;
            if !matched.valid_in(year) {
                let current = entry.name_in(Some(year));
                out.flag(
                    Flag::on(
                        fact,
                        format!(
                            "科目{code}在{year}年应称“{current}”，文件使用了已停用的名称“{}”",
                            matched.name
                        ),
                    )
                    .expected_found(current, &matched.name),
                );
            }
            // Prose and the document's own tables naming the code differently.
            let table_name = doc
                .report
                .detail
                .printed_codes
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, n)| n);
            if let Some(table_name) = table_name {
                if let Some(in_table) = entry.matching_name(table_name) {
                    let same = normalize::name_key(table_name)
                        == normalize::name_key(&matched.name)
                        || in_table.name == matched.name;
                    if !same {
                        out.flag(
                            Flag::on(
                                fact,
                                format!(
                                    "科目{code}在正文称“{}”，在表中称“{table_name}”",
                                    matched.name
                                ),
                            )
                            .expected_found(table_name, &matched.name),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    fn text(year: &str, name: &str) -> String {
        format!("第三部分 {year}年度部门决算情况说明\n{year}年度财政拨款支出318.36万元，按支出功能分类科目分，包括：{name}13.86万元，占4.35%。")
    }

    #[test]
    fn class_names_flag_a_retired_name() {
        let (flags, checked) = run(&OutdatedClassName, &text("2019", "医疗卫生与计划生育支出"));
        assert_eq!((flags.len(), checked), (1, 1));
        assert_eq!(flags[0].code.as_ref().map(|c| c.as_str()), Some("210"));
    }

    #[test]
    fn class_names_near_miss_the_last_year_of_the_old_name() {
        assert!(
            run(&OutdatedClassName, &text("2018", "医疗卫生与计划生育支出"))
                .0
                .is_empty()
        );
        assert!(run(&OutdatedClassName, &text("2019", "卫生健康支出"))
            .0
            .is_empty());
    }
}
