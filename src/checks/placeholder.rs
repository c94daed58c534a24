//! PLACEHOLDER: template leftovers — a number printed as `XX`/`××`/`x,xxx`, a name printed as
//! `某部门`/`某单位`/`XX（部门）`.

use std::sync::OnceLock;

use regex::Regex;

use super::{Doc, DocumentRule, Findings, Flag};
use crate::catalog::catalog;
use crate::model::Location;

pub struct Placeholder;

fn name_pattern() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"某(?:部门|单位|局|中心|委员会|办公室)|(?:XX|xx|××|ＸＸ|ｘｘ|\*\*|＊＊)+\s*[（(]?(?:部门|单位|局|中心|委员会|办公室|委)")
            .expect("static pattern")
    })
}

/// The clause around `at..end` in `line` (up to the nearest ，。；), for evidence.
fn clause(line: &str, start: usize, end: usize) -> String {
    let stops = ['，', '。', '；', ',', ';', '：', ':'];
    let from = line[..start].rfind(|c| stops.contains(&c)).map_or(0, |i| {
        i + line[i..].chars().next().map_or(1, char::len_utf8)
    });
    let to = line[end..]
        .find(|c| stops.contains(&c))
        .map_or(line.len(), |i| end + i);
    line[from..to].trim().to_string()
}

/// Flags every placeholder name printed in `text` at `location`.
fn flag_names(text: &str, location: &Location, out: &mut Findings) {
    out.checked += 1;
    for m in name_pattern().find_iter(text) {
        out.flag(Flag {
            message: format!("名称以占位符“{}”列示，未填写部门名称", m.as_str()),
            evidence: clause(text, m.start(), m.end()),
            location: Some(location.clone()),
            expected: Some("the department's name".into()),
            found: Some(m.as_str().to_string()),
            ..Flag::default()
        });
    }
}

/// A year printed with a digit missing or as a placeholder (`202 年度部门决算`, `20XX年`).
fn flag_truncated_years(text: &str, location: &Location, out: &mut Findings) {
    static R: OnceLock<Regex> = OnceLock::new();
    let pattern = R.get_or_init(|| {
        Regex::new(r"(?:^|[^0-9])(20[0-9]|20[Xx×]{2}|20[Xx×])\s*年度?").expect("static pattern")
    });
    for c in pattern.captures_iter(text) {
        let Some(year) = c.get(1) else { continue };
        out.flag(Flag {
            message: format!("年度以“{}”列示，年份不完整", year.as_str()),
            evidence: clause(text, year.start(), year.end()),
            location: Some(location.clone()),
            expected: Some("a four-digit year".into()),
            found: Some(year.as_str().to_string()),
            ..Flag::default()
        });
    }
}

impl DocumentRule for Placeholder {
    fn id(&self) -> &'static str {
        "PLACEHOLDER"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        for fact in doc.facts() {
            out.checked += 1;
            if fact.value.is_none() {
                let name = catalog()
                    .metric(fact.metric.as_str())
                    .map_or(fact.metric.as_str(), |m| m.zh.as_str());
                out.flag(
                    Flag::on(
                        fact,
                        format!("{name}以占位符“{}”列示，未填写数值", fact.raw),
                    )
                    .expected_found("a number", &fact.raw),
                );
            }
        }
        for u in &doc.report.unmapped {
            if !u
                .raw
                .starts_with(|c: char| c.is_ascii_digit() || ('０'..='９').contains(&c))
            {
                out.flag(Flag {
                    message: format!("数值以占位符“{}”列示（{}）", u.raw, u.label),
                    evidence: format!("{}{}", u.label, u.raw),
                    location: Some(u.location.clone()),
                    found: Some(u.raw.clone()),
                    ..Flag::default()
                });
            }
        }
        // Table cells; narrative cells are read as prose lines below.
        let cells = doc
            .report
            .detail
            .cells
            .iter()
            .filter(|(_, text)| !crate::ingest::sheet::is_narrative(text));
        for (location, text) in cells {
            flag_names(text, location, out);
        }
        for line in &doc.report.detail.lines {
            flag_names(&line.raw, &line.location, out);
            flag_truncated_years(&line.raw, &line.location, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    #[test]
    fn placeholder_flags_numbers_and_names() {
        let (flags, _) = run(
            &Placeholder,
            "第二部分 2022年度部门决算情况说明\n纳入某部门2022年部门决算编制范围的二级预算单位包括：\n（一）收入总计XX万元，包括：",
        );
        assert_eq!(flags.len(), 2);
        assert_eq!(
            flags[0].metric.as_ref().map(|m| m.as_str()),
            Some("income.total")
        );
        assert_eq!(flags[0].evidence, "收入总计XX万元");
        assert_eq!(
            flags[1].evidence,
            "纳入某部门2022年部门决算编制范围的二级预算单位包括"
        );
    }

    #[test]
    fn placeholder_near_miss_real_numbers_and_names_pass() {
        let (flags, checked) = run(
            &Placeholder,
            "第二部分 2022年度部门决算情况说明\n纳入兴隆台区智慧城市运行管理中心2022年部门决算编制范围，某些单位已合并\n（一）收入总计0万元，包括：",
        );
        assert!(checked > 0);
        assert!(flags.is_empty(), "{flags:?}");
    }
}
