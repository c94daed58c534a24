//! The checks of a finance bureau's 检查表 beyond arithmetic (SPEC §6.2): template residue,
//! an empty reason, a comparison year that is not the prior year, doubled or unbalanced
//! punctuation, a paragraph printed twice, a blank page, and disclosures a final account must
//! itemise (the four parts of the “三公” expenses, the batches and visitors of 国内公务接待, the
//! current year's amount of a project's 年度预算安排).
//!
//! They read the prose statements as printed (`detail.lines`); every flag quotes the words it
//! is about. Each rule is deliberately narrow: the words it looks for cannot be read another way.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::{Doc, DocumentRule, Findings, Flag};
use crate::ingest::normalize;
use crate::ingest::text::ProseLine;
use crate::model::Kind;

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static pattern"))
}

/// The statements a reader reads (not the table of contents).
fn statements<'a>(doc: &Doc<'a>) -> impl Iterator<Item = &'a ProseLine> {
    doc.report.detail.lines.iter().filter(|l| !l.contents)
}

/// Up to `radius` characters around byte range `start..end` of `text`, for evidence.
fn excerpt(text: &str, start: usize, end: usize, radius: usize) -> String {
    let before: String = text[..start]
        .chars()
        .rev()
        .take(radius)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[end..].chars().take(radius).collect();
    format!("{before}{}{after}", &text[start..end])
        .trim()
        .to_string()
}

/// A flag on the words at byte range `start..end` of a statement's folded text, quoting the
/// statement as printed.
fn flag_at(line: &ProseLine, start: usize, end: usize, message: String) -> Flag {
    let from = line.text[..start].chars().count();
    let to = from + line.text[start..end].chars().count();
    let raw: Vec<char> = line.raw.chars().collect();
    let lo = from.saturating_sub(12);
    let hi = (to + 12).min(raw.len());
    Flag {
        message,
        evidence: raw[lo.min(hi)..hi]
            .iter()
            .collect::<String>()
            .trim()
            .to_string(),
        location: Some(line.location_at(from).clone()),
        found: Some(raw[from.min(raw.len())..to.min(raw.len())].iter().collect()),
        ..Flag::default()
    }
}

/// TEMPLATE_RESIDUE: alternatives a template offers left in (`增加（减少）`, `大于（小于）`),
/// instructions to the preparer, and two directions printed as one (`减增加`, `大小于`).
pub struct TemplateResidue;

impl DocumentRule for TemplateResidue {
    fn id(&self) -> &'static str {
        "TEMPLATE_RESIDUE"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        static R: OnceLock<Regex> = OnceLock::new();
        let pattern = re(
            &R,
            r"(增加|减少|增长|下降|上升|降低|大于|小于|高于|低于)\s*[(/]\s*(增加|减少|增长|下降|上升|降低|大于|小于|高于|低于)\s*\)?|减增加|增减少|大小于|小大于|(增加){2}|(减少){2}|(下降){2}|(增长){2}|[(](?:请|此处)(?:填写|说明|列示)[^)]{0,20}[)]|此处填写|填报说明",
        );
        for line in statements(doc) {
            out.checked += 1;
            for m in pattern.find_iter(&line.text) {
                out.flag(flag_at(
                    line,
                    m.start(),
                    m.end(),
                    format!("模板文字未处理：“{}”", m.as_str()),
                ));
            }
        }
    }
}

/// EMPTY_REASON: a reason announced and not given (`主要原因是。`).
pub struct EmptyReason;

impl DocumentRule for EmptyReason {
    fn id(&self) -> &'static str {
        "EMPTY_REASON"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        static R: OnceLock<Regex> = OnceLock::new();
        // `主要原因是。`, `原因：。` — not `…等原因。`, where the reason comes first.
        let pattern = re(
            &R,
            r"原因\s*(?:(?:是|为|主要是|如下|包括)\s*[:：]?|[:：])\s*[。;；]",
        );
        for line in statements(doc) {
            out.checked += 1;
            for m in pattern.find_iter(&line.text) {
                out.flag(flag_at(
                    line,
                    m.start(),
                    m.end(),
                    "说明了“原因”却未写出原因".to_string(),
                ));
            }
        }
    }
}

/// COMPARISON_YEAR: a year-on-year comparison against a year other than the prior one
/// (`比2026年预算增加…` in a 2026 budget).
pub struct ComparisonYear;

impl DocumentRule for ComparisonYear {
    fn id(&self) -> &'static str {
        "COMPARISON_YEAR"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let Some(year) = doc.year() else {
            out.note("the document's year is unknown");
            return;
        };
        static R: OnceLock<Regex> = OnceLock::new();
        let pattern = re(
            &R,
            r"(?:比|与|较)\s*(20\d\d)\s*年度?\s*(?:预算数?|决算数?|同期)?\s*(?:相比|对比|比较)?\s*[,，]?\s*(?:增加|减少|增长|下降|降低|上升|持平|基本持平|无变化)",
        );
        for line in statements(doc) {
            for c in pattern.captures_iter(&line.text) {
                out.checked += 1;
                let (Some(m), Ok(compared)) = (c.get(0), c[1].parse::<i32>()) else {
                    continue;
                };
                if compared != year - 1 {
                    let mut flag = flag_at(
                        line,
                        m.start(),
                        m.end(),
                        format!(
                            "{year}年度文件与{compared}年比较，应与上年（{}年）比较",
                            year - 1
                        ),
                    );
                    flag.expected = Some(format!("{}", year - 1));
                    flag.found = Some(compared.to_string());
                    out.flag(flag);
                }
            }
        }
    }
}

/// PUNCTUATION: doubled sentence punctuation (`。。`) and quotation marks or brackets that do
/// not pair up within a statement (`情定苏河”2025年…`).
pub struct Punctuation;

impl DocumentRule for Punctuation {
    fn id(&self) -> &'static str {
        "PUNCTUATION"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        static R: OnceLock<Regex> = OnceLock::new();
        let doubled = re(&R, r"。。|，，|；；|、、|：：|,,|;;");
        for line in statements(doc) {
            out.checked += 1;
            for m in doubled.find_iter(&line.raw) {
                let char_index = line.raw[..m.start()].chars().count();
                out.flag(Flag {
                    message: format!("标点重复：“{}”", m.as_str()),
                    evidence: excerpt(&line.raw, m.start(), m.end(), 12),
                    location: Some(line.location_at(char_index).clone()),
                    found: Some(m.as_str().to_string()),
                    ..Flag::default()
                });
            }
            // Brackets are paired on the folded text: `（二)` mixes widths but is a pair.
            for (open, close, folded) in [('“', '”', false), ('(', ')', true), ('《', '》', false)]
            {
                let text = if folded { &line.text } else { &line.raw };
                if let Some(at) = unpaired(text, open, close) {
                    let char_index = text[..at].chars().count();
                    let mark = line.raw.chars().nth(char_index).unwrap_or(close);
                    out.flag(Flag {
                        message: format!(
                            "标点不成对：“{mark}”没有对应的“{}”",
                            if mark == open { close } else { open }
                        ),
                        evidence: {
                            let raw: Vec<char> = line.raw.chars().collect();
                            let lo = char_index.saturating_sub(12);
                            let hi = (char_index + 12).min(raw.len());
                            raw[lo.min(hi)..hi].iter().collect::<String>()
                        },
                        location: Some(line.location_at(char_index).clone()),
                        found: Some(mark.to_string()),
                        ..Flag::default()
                    });
                }
            }
        }
    }
}

/// The byte offset of the first mark that has no partner: a closing mark before any opening
/// one, or an opening mark never closed.
fn unpaired(text: &str, open: char, close: char) -> Option<usize> {
    let mut stack: Vec<usize> = Vec::new();
    for (i, c) in text.char_indices() {
        if c == open {
            stack.push(i);
        } else if c == close && stack.pop().is_none() {
            return Some(i);
        }
    }
    stack.first().copied()
}

/// TEXT_COPY: the same paragraph (of some length) printed twice.
pub struct TextCopy;

impl DocumentRule for TextCopy {
    fn id(&self) -> &'static str {
        "TEXT_COPY"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        /// Shorter statements (headings, boilerplate like 决算数等于预算数。) repeat by design.
        const MIN_CHARS: usize = 40;
        let mut seen: HashMap<&str, &ProseLine> = HashMap::new();
        for line in statements(doc) {
            let key = line.key();
            if key.chars().count() < MIN_CHARS {
                continue;
            }
            out.checked += 1;
            match seen.get(key) {
                Some(first) => out.flag(Flag {
                    message: format!("同一段文字重复出现（首次见{}）", first.location.zh()),
                    evidence: line.raw.chars().take(40).collect(),
                    location: Some(line.location.clone()),
                    ..Flag::default()
                }),
                None => {
                    seen.insert(key, line);
                }
            }
        }
    }
}

/// BLANK_PAGE: a page of a PDF with nothing printed on it (a page of images without text is a
/// read error, reported by the PDF reader: its content is lost, not absent).
pub struct BlankPage;

impl DocumentRule for BlankPage {
    fn id(&self) -> &'static str {
        "BLANK_PAGE"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let pages = &doc.report.detail.blank_pages;
        if doc.report.detail.page_count == 0 {
            out.note("the input has no pages");
            return;
        }
        out.checked += doc.report.detail.page_count as usize;
        for &page in pages {
            out.flag(Flag {
                message: format!("第{page}页为空白页（无文字、无图表）"),
                evidence: format!("page {page}"),
                location: Some(crate::model::Location::Page { page, line: 1 }),
                ..Flag::default()
            });
        }
    }
}

/// INCOMPLETE_DISCLOSURE: what a final account's explanation must itemise and does not.
pub struct IncompleteDisclosure;

impl DocumentRule for IncompleteDisclosure {
    fn id(&self) -> &'static str {
        "INCOMPLETE_DISCLOSURE"
    }

    fn check(&self, doc: &Doc<'_>, out: &mut Findings) {
        let lines: Vec<&ProseLine> = statements(doc).collect();
        if doc.report.document.kind == Some(Kind::Final) {
            // Nothing spent, nothing to itemise: `本年度无“三公”经费支出`, or a 决算 of 0.
            let none_spent = doc.report.facts.iter().any(|f| {
                f.metric.as_str() == "three_public.total"
                    && f.code.is_none()
                    && f.aspect == crate::model::Aspect::Value
                    && f.value.is_some_and(|v| v.is_zero())
            });
            if none_spent {
                out.note("no “三公” expenses (决算 0): nothing to itemise");
            } else {
                three_public_parts(&lines, out);
            }
            reception_batches(&lines, out);
        }
        if let Some(year) = doc.year() {
            annual_budget(&lines, year, out);
        }
    }
}

/// The statements of the section whose heading mentions `words` (up to the next heading of
/// the same or a higher level).
fn section<'a>(lines: &[&'a ProseLine], words: &[&str]) -> Vec<&'a ProseLine> {
    // A heading is short and numbered; `十、“三公”经费：指…` (a definition) is not one.
    let heading = |l: &ProseLine| {
        let t = l.text.trim_start();
        let numbered = t.starts_with('第')
            || t.chars()
                .next()
                .is_some_and(|c| "一二三四五六七八九十".contains(c))
                && t.chars().take(4).any(|c| c == '、');
        numbered && t.chars().count() <= 40 && !t.contains([':', '：', ',', '，'])
    };
    let mut out = Vec::new();
    let mut inside = false;
    for l in lines {
        if heading(l) {
            let key = l.key();
            inside = words.iter().all(|w| key.contains(w));
            if inside {
                out.push(*l);
            }
            continue;
        }
        if inside {
            out.push(*l);
        }
    }
    out
}

/// Each part of the “三公” expenses is stated with an amount, or as not incurred.
fn three_public_parts(lines: &[&ProseLine], out: &mut Findings) {
    let section = section(lines, &["三公"]);
    if section.is_empty() {
        out.note("no “三公” section");
        return;
    }
    let text: String = section.iter().map(|l| l.text.as_str()).collect();
    let key = normalize::name_key(&text);
    if ["无三公经费", "未发生三公经费", "没有三公经费"]
        .iter()
        .any(|w| key.contains(w))
    {
        return;
    }
    // `“三公”经费支出0万元`: nothing was spent, nothing to itemise.
    let any_amount = section.iter().any(|l| {
        crate::extract::prose::mentions(&l.text, &l.raw)
            .iter()
            .any(|m| {
                m.value.is_some_and(|v| !v.is_zero())
                    && m.unit.kind() == crate::model::UnitKind::Amount
            })
    });
    if !any_amount {
        return;
    }
    // A part is disclosed when its name is followed, within the clause, by a number or by
    // 无/未/没有 (not incurred).
    let disclosed = |name: &str, not_before: &[&str]| -> bool {
        text.match_indices(name).any(|(i, _)| {
            let rest = &text[i + name.len()..];
            if not_before.iter().any(|n| rest.starts_with(n)) {
                return false;
            }
            let clause: String = rest
                .chars()
                .take_while(|c| !matches!(c, '。' | '；' | ';'))
                .take(30)
                .collect();
            clause.chars().any(|c| c.is_ascii_digit())
                || ["无", "未", "没有"].iter().any(|w| clause.contains(w))
        }) || text.match_indices(name).any(|(i, _)| {
            let before: String = text[..i].chars().rev().take(12).collect();
            ["未", "无", "没有"].iter().any(|w| before.contains(w))
        })
    };
    out.checked += 1;
    let parts = [
        ("因公出国", "因公出国（境）费", &[][..]),
        ("购置", "公务用车购置费", &["及运行", "和运行"][..]),
        ("运行", "公务用车运行维护费", &[][..]),
        ("接待", "公务接待费", &[][..]),
    ];
    let missing: Vec<&str> = parts
        .iter()
        .filter(|(word, _, not_before)| !disclosed(word, not_before))
        .map(|(_, name, _)| *name)
        .collect();
    // The flag points at the section's own heading (the last one: contents entries come first).
    let heading = section
        .iter()
        .rev()
        .find(|l| l.key().contains("三公") && l.text.chars().count() <= 40)
        .or(section.first());
    if let (false, Some(first)) = (missing.is_empty(), heading) {
        out.flag(Flag {
            message: format!(
                "“三公”经费说明未细化披露：{}（既无金额，也未说明未发生）",
                missing.join("、")
            ),
            evidence: first.raw.chars().take(40).collect(),
            location: Some(first.location.clone()),
            expected: Some("each part with an amount or 未发生".into()),
            found: Some(missing.join("、")),
            ..Flag::default()
        });
    }
}

/// 公务接待 is disclosed with its batches and visitors, not only those of 外宾 receptions.
fn reception_batches(lines: &[&ProseLine], out: &mut Findings) {
    let section = section(lines, &["三公"]);
    let Some(statement) = section
        .iter()
        .find(|l| l.text.contains("国内公务接待"))
        .or_else(|| {
            section
                .iter()
                .find(|l| l.text.contains("接待") && l.text.contains('批'))
        })
    else {
        return;
    };
    out.checked += 1;
    let text: String = section.iter().map(|l| l.text.as_str()).collect();
    let batches: Vec<usize> = text.match_indices("批").map(|(i, _)| i).collect();
    if batches.is_empty() {
        return;
    }
    let domestic = batches.iter().any(|&i| {
        let clause_start = text[..i]
            .rfind(['，', '。', '；', '、', ','])
            .map_or(0, |p| p);
        !text[clause_start..i].contains("外宾")
    });
    if !domestic {
        out.flag(Flag {
            message: "公务接待只披露了外宾接待的批次、人次，未披露国内公务接待批次、人次".into(),
            evidence: statement.raw.chars().take(60).collect(),
            location: Some(statement.location.clone()),
            expected: Some("国内公务接待批次、人次".into()),
            ..Flag::default()
        });
    }
}

/// The clauses of folded text: split at `。；;` and at commas that are not thousands separators.
fn clauses(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut cuts = Vec::new();
    for (i, c) in text.char_indices() {
        let separator = match c {
            '。' | '；' | ';' | '，' => true,
            ',' => {
                !(i > 0
                    && bytes[i - 1].is_ascii_digit()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
            }
            _ => false,
        };
        if separator {
            cuts.push((i, c.len_utf8()));
        }
    }
    let mut start = 0;
    let mut pieces = Vec::new();
    for (i, len) in cuts {
        pieces.push(&text[start..i]);
        start = i + len;
    }
    pieces.push(&text[start..]);
    pieces.into_iter()
}

/// A project's `年度预算安排` states this year's amount, not only totals or other years'.
fn annual_budget(lines: &[&ProseLine], year: i32, out: &mut Findings) {
    let current = [
        format!("{year}年"),
        "本年".to_string(),
        "当年".to_string(),
        "本年度".to_string(),
    ];
    let mut i = 0;
    while i < lines.len() {
        let key = lines[i].key();
        if !(key.ends_with("年度预算安排") && key.chars().count() <= 12) {
            i += 1;
            continue;
        }
        let heading = lines[i];
        let body: Vec<&ProseLine> = lines[i + 1..]
            .iter()
            .take_while(|l| {
                let t = l.text.trim_start();
                !(t.chars()
                    .next()
                    .is_some_and(|c| "一二三四五六七八九十".contains(c))
                    && t.chars().take(4).any(|c| c == '、'))
            })
            .copied()
            .collect();
        i += 1 + body.len();
        let text: String = body.iter().map(|l| l.text.as_str()).collect();
        if !text.contains("万元") && !text.contains('元') {
            continue;
        }
        out.checked += 1;
        let states_current = clauses(&text).any(|clause| {
            clause.contains('元') && current.iter().any(|w| clause.contains(w.as_str()))
        });
        if !states_current {
            out.flag(Flag {
                message: format!(
                    "“年度预算安排”未列示{year}年度的预算金额，只有总投资或其他年度的金额"
                ),
                evidence: body
                    .first()
                    .map(|l| l.raw.chars().take(60).collect())
                    .unwrap_or_default(),
                location: Some(heading.location.clone()),
                expected: Some(format!("{year}年度预算金额")),
                ..Flag::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::run;

    const FINAL: &str = "第三部分 2025年度部门决算情况说明\n";
    const BUDGET: &str = "上海市普陀区2026年区级部门预算\n";

    #[test]
    fn template_residue_and_doubled_directions_are_flagged() {
        let t = format!(
            "{FINAL}收入总计比上年增加（减少）12.00万元。\n决算数大小于预算数的主要原因：调减。\n"
        );
        assert_eq!(run(&TemplateResidue, &t).0.len(), 2);
        // Near miss: a direction and its amount in parentheses is no residue.
        let ok = format!("{FINAL}收入总计比上年增加12.00万元（增长5.00%）。\n");
        assert!(run(&TemplateResidue, &ok).0.is_empty());
    }

    #[test]
    fn empty_reason_only_when_nothing_follows() {
        let t = format!("{FINAL}支出减少，主要原因是。\n");
        assert_eq!(run(&EmptyReason, &t).0.len(), 1);
        let ok = format!("{FINAL}支出减少，主要原因是人员减少。\n决算数小于预算数的主要原因：\n");
        assert!(run(&EmptyReason, &ok).0.is_empty());
    }

    #[test]
    fn comparison_year_must_be_the_prior_year() {
        let t = format!("{BUDGET}2026年“三公”经费预算数为114.22万元，比2026年预算增加27万元。\n");
        assert_eq!(run(&ComparisonYear, &t).0.len(), 1);
        let ok = format!("{BUDGET}2026年“三公”经费预算数为114.22万元，比2025年预算增加27万元。截至2025年8月31日，共有车辆63辆。\n");
        assert!(run(&ComparisonYear, &ok).0.is_empty());
    }

    #[test]
    fn punctuation_doubled_and_unpaired() {
        let t =
            format!("{FINAL}开展“百合之约 情定苏河”2025年普陀区“苏河婚典”等活动。\n支出减少。。\n");
        let (flags, _) = run(&Punctuation, &t);
        assert_eq!(flags.len(), 1, "{flags:?}");
        let t =
            format!("{FINAL}开展百合之约 情定苏河”2025年普陀区“苏河婚典”等活动。\n支出减少。。\n");
        let (flags, _) = run(&Punctuation, &t);
        assert_eq!(flags.len(), 2, "{flags:?}");
    }

    #[test]
    fn three_public_parts_must_each_be_stated() {
        let head = format!("{FINAL}七、财政拨款“三公”经费支出决算情况说明\n");
        let missing = format!("{head}1、因公出国（境）费支出0.00万元。\n2、公务用车购置及运行维护费支出19.56万元。其中：公务用车运行维护支出19.56万元。\n3、公务接待费支出0.3万元。国内公务接待1批次、15人次。\n");
        let (flags, _) = run(&IncompleteDisclosure, &missing);
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert!(flags[0].message.contains("公务用车购置费"));
        let complete = format!("{head}1、因公出国（境）费支出0.00万元。\n2、公务用车购置及运行维护费支出37.35万元。其中：公务用车购置支出为25万元；公务用车运行维护支出12.35万元。\n3、公务接待费支出0万元。国内公务接待0批次、0人次。\n");
        assert!(run(&IncompleteDisclosure, &complete).0.is_empty());
    }

    #[test]
    fn reception_batches_of_foreign_guests_only_are_flagged() {
        let head = format!("{FINAL}七、财政拨款“三公”经费支出决算情况说明\n1、因公出国（境）费支出0.00万元。公务用车购置费0万元，运行维护费16.95万元。\n");
        let t = format!("{head}3、公务接待费支出0.00万元。国内公务接待支出0.00万（含外宾接待支出0.00万元）。其中：接待外宾0批次、0人次。\n");
        assert_eq!(run(&IncompleteDisclosure, &t).0.len(), 1);
        let ok = format!("{head}3、公务接待费支出0.40万元。国内公务接待2批次、24人次。其中：接待外宾0批次、0人次。\n");
        assert!(run(&IncompleteDisclosure, &ok).0.is_empty());
    }

    #[test]
    fn annual_budget_must_state_this_years_amount() {
        let t = format!("{BUDGET}六、年度预算安排\n本项目可研批复总投资为13526.06万元。2025年安排建设资金5000万元。\n七、绩效目标\n");
        assert_eq!(run(&IncompleteDisclosure, &t).0.len(), 1);
        let ok = format!(
            "{BUDGET}六、年度预算安排\n本年度拆违经费预算金额为349.80万元。\n七、绩效目标\n"
        );
        assert!(run(&IncompleteDisclosure, &ok).0.is_empty());
    }
}
