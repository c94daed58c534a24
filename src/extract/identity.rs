//! Document identity: department (as printed), region, fiscal year and kind, from the content.
//!
//! Sources, strongest first: the `部门：`/`编制部门：` rows of tables, the `第一部分 X概况`
//! heading, a first line that is an organization's name, a `X20XX年度部门决算` title, and the
//! `纳入X20XX年部门决算编制范围` sentence. Year and kind are voted from every
//! `20XX年(度)部门预算/决算` phrase. Placeholders (`某部门`, `XX局`) never count as a name.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::catalog::catalog;
use crate::ingest::grid::Grid;
use crate::ingest::normalize;
use crate::ingest::text::ProseLine;
use crate::model::{Identity, Kind};

/// Endings of organization names (the last characters of a department's name).
const ORG_SUFFIXES: &[&str] = &[
    "中心",
    "局",
    "委员会",
    "委",
    "办公室",
    "办",
    "院",
    "所",
    "站",
    "队",
    "馆",
    "处",
    "厅",
    "部",
    "会",
    "团",
    "社",
    "校",
    "学",
    "园",
    "场",
    "署",
    "公司",
    "机关",
    "政府",
    "法院",
    "检察院",
    "协会",
    "联合会",
];

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static pattern"))
}

/// True for template names left in: `某部门`, `某单位`, `XX局`, `XX（部门）`.
pub fn is_placeholder_name(name: &str) -> bool {
    static PLACEHOLDER: OnceLock<Regex> = OnceLock::new();
    re(
        &PLACEHOLDER,
        r"某(部门|单位|局|中心)|^[XxＸｘ×]{2,}|[XxＸｘ×]{2,}\s*[（(]?(部门|单位|局|委|办|中心)",
    )
    .is_match(name)
}

fn looks_like_org(name: &str) -> bool {
    let n = name.chars().count();
    (3..=40).contains(&n)
        && !name
            .chars()
            .any(|c| c.is_ascii_digit() || "，,。：:；;、？?！!".contains(c))
        && ORG_SUFFIXES.iter().any(|s| name.ends_with(s))
        && !is_placeholder_name(name)
}

fn clean(name: &str) -> String {
    name.trim()
        .trim_matches(|c: char| c.is_whitespace() || c == '-' || c == '—')
        .to_string()
}

/// The name after a `预算主管部门：`/`编制部门：` label, without what a page prints after it on the
/// same line (`单位：元`, `目 录`, a date) and, for a name letter-spaced on a cover
/// (`上海市 XX 局`), with its spaces closed.
fn meta_name(rest: &str) -> String {
    static TAIL: OnceLock<Regex> = OnceLock::new();
    let tail = re(
        &TAIL,
        r"\s{2,}|\s*(?:金额)?单位\s*[:：]|\s*目\s*录\s*$|\s*\d{4}\s*年\s*\d{1,2}\s*月",
    );
    let cut = tail.find(rest).map_or(rest, |m| &rest[..m.start()]);
    clean(cut).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Department names printed in the text, strongest source first: the cover's
/// `预算主管部门：`/`预算单位：` line (the full name), the `第一部分 X概况` heading, the tables'
/// `编制部门：`/`部门：` lines (often a shorter name), the first line, titles, the scope sentence.
fn department_candidates(lines: &[ProseLine], grids: &[Grid]) -> Vec<String> {
    static META: OnceLock<Regex> = OnceLock::new();
    static PART: OnceLock<Regex> = OnceLock::new();
    static TITLE: OnceLock<Regex> = OnceLock::new();
    static SCOPE: OnceLock<Regex> = OnceLock::new();
    let meta = re(
        &META,
        r"^\s*(预算主管部门|主管部门|部门名称|单位名称|预算单位|编制部门|编制单位|部门|单位)\s*[:：]\s*(.+)$",
    );
    let part = re(
        &PART,
        r"^\s*第[一二三四五六七八九十]+部分\s*(.+?)(?:部门)?概况\s*$",
    );
    let title = re(
        &TITLE,
        r"^\s*(.+?)\s*20\d\d\s*年度?\s*(?:区级|市级|县级)?(?:部门|单位)?(?:预算|决算)",
    );
    let scope = re(
        &SCOPE,
        r"纳入(.+?)20\d\d\s*年度?(?:部门|单位)?(?:预算|决算)编制范围",
    );

    // (strength, order) → name; a cover's label names the whole department, a table's
    // `编制部门` often drops the province or city.
    let mut strong = Vec::new();
    let mut table_labels = Vec::new();
    let cells = grids
        .iter()
        .flat_map(|g| {
            g.caption
                .iter()
                .chain(g.rows.iter().flat_map(|r| r.cells.iter()))
        })
        .filter(|c| !c.merged && !c.is_empty())
        .map(|c| c.text.as_str());
    // Each pattern is tried only on texts holding its fixed words (most lines hold none).
    for text in lines.iter().map(|l| l.text.as_str()).chain(cells) {
        if !text.contains([':', '：']) {
            continue;
        }
        if let Some(c) = meta.captures(text) {
            let name = meta_name(&c[2]);
            match &c[1] {
                "预算主管部门" | "主管部门" | "部门名称" | "单位名称" | "预算单位" => {
                    strong.push(name)
                }
                _ => table_labels.push(name),
            }
        }
    }
    // The department as printed is the title's name (`XX局2023年度部门决算`); a table's
    // `部门：` line is another name of it (an alias), used only when no title names it.
    let mut out = strong;
    static PART_PREFIX: OnceLock<Regex> = OnceLock::new();
    let part_prefix = re(
        &PART_PREFIX,
        r"^\s*(?:第[一二三四五六七八九十]+部分\s*|纳入)",
    );
    for line in lines
        .iter()
        .take(TITLE_LINES)
        .filter(|l| l.text.contains('算') && has_year(&l.text))
    {
        let text = part_prefix.replace(&line.text, "");
        if let Some(c) = title.captures(&text) {
            out.push(clean(&c[1]));
        }
    }
    for line in lines.iter().filter(|l| l.text.contains("概况")) {
        if let Some(c) = part.captures(&line.text) {
            out.push(clean(&c[1]));
        }
    }
    out.extend(table_labels);
    if let Some(first) = lines.iter().find(|l| !l.text.trim().is_empty()) {
        out.push(clean(&first.text));
    }
    for line in lines
        .iter()
        .filter(|l| l.text.contains('算') && has_year(&l.text))
    {
        if let Some(c) = title.captures(&line.text) {
            out.push(clean(&c[1]));
        }
        if let Some(c) = scope.captures(&line.text) {
            out.push(clean(&c[1]));
        }
    }
    out.retain(|n| looks_like_org(n));
    out
}

/// How far from the top a title line is looked for (cover, contents heading).
const TITLE_LINES: usize = 12;

/// Names a document gives its department besides the one it is filed under: the tables'
/// `部门：`/`编制部门：` lines and, from a rename statement (`原XX局更名为YY局`,
/// `YY局（原XX局）`), the former name. `name` is the chosen name; none equal to it.
fn other_names(lines: &[ProseLine], grids: &[Grid], name: &str) -> Vec<String> {
    static LABEL: OnceLock<Regex> = OnceLock::new();
    static RENAMED: OnceLock<Regex> = OnceLock::new();
    static FORMERLY: OnceLock<Regex> = OnceLock::new();
    let label = re(&LABEL, r"^\s*(?:编制部门|部门)\s*[:：]\s*(.+)$");
    let renamed = re(
        &RENAMED,
        r"(?:由|原)([^，。；、：:（）()\s]{3,30}?)(?:正式)?(?:更名为|改名为|更名|调整为|整合为|组建为)([^，。；、：:（）()\s]{3,30}?)(?:[，。；;,]|$)",
    );
    let formerly = re(
        &FORMERLY,
        r"([^，。；、：:（）()\s]{3,30}?)[（(]原(?:名|名称)?[:：为]?([^，。；、（）()\s]{3,30}?)[）)]",
    );
    let key = normalize::name_key(name);
    let mut out: Vec<String> = Vec::new();
    let mut add = |n: String| {
        let k = normalize::name_key(&n);
        if looks_like_org(&n) && k != key && !out.iter().any(|o| normalize::name_key(o) == k) {
            out.push(n);
        }
    };
    let cells = grids
        .iter()
        .flat_map(|g| {
            g.caption
                .iter()
                .chain(g.rows.iter().flat_map(|r| r.cells.iter()))
        })
        .filter(|c| !c.merged && !c.is_empty())
        .map(|c| c.text.as_str());
    for text in cells.chain(lines.iter().map(|l| l.text.as_str())) {
        if !text.contains([':', '：']) {
            continue;
        }
        if let Some(c) = label.captures(text) {
            add(meta_name(&c[1]));
        }
    }
    let own_tail = |n: &str| {
        // The statement is about this department: its new name is this one's name (or its
        // unit name without region).
        let k = normalize::name_key(n);
        !k.is_empty() && (key.ends_with(&k) || k.ends_with(&key))
    };
    const RENAME_WORDS: [&str; 5] = ["更名", "改名", "调整为", "整合为", "组建为"];
    for line in lines {
        if !line.text.contains('原') && !RENAME_WORDS.iter().any(|w| line.text.contains(w)) {
            continue;
        }
        for c in renamed.captures_iter(&line.text) {
            if own_tail(&c[2]) {
                add(clean(&c[1]));
            }
        }
        for c in formerly.captures_iter(&line.text) {
            if own_tail(&c[1]) {
                add(clean(&c[2]));
            }
        }
    }
    out
}

/// Votes year and kind from `20XX年(度)(…)部门预算/决算` phrases (both), `20XX年度` cells of
/// table headers (year only), and, for kind, the recognized tables' set, else the count of 决算
/// vs 预算 in the text.
fn year_and_kind<'a>(
    texts: impl Iterator<Item = &'a str>,
    table_kinds: &[Kind],
) -> (Option<i32>, Option<Kind>) {
    static STRONG: OnceLock<Regex> = OnceLock::new();
    static WEAK: OnceLock<Regex> = OnceLock::new();
    static YEAR_CELL: OnceLock<Regex> = OnceLock::new();
    let strong = re(
        &STRONG,
        r"(20\d\d)\s*年度?\s*[^\d，。,；;：:\s]{0,4}?(?:部门|单位)\s*(预算|决算)",
    );
    let weak = re(&WEAK, r"(20\d\d)\s*年度?\s*(预算|决算)");
    let year_cell = re(&YEAR_CELL, r"^\s*(20\d\d)\s*年度?\s*$");
    // A table title naming its year and set: `2025年部门收入预算总表`.
    static TITLE: OnceLock<Regex> = OnceLock::new();
    let title = re(
        &TITLE,
        r"^\s*(20\d\d)\s*年度?[^，。,；;：:]{0,16}?(预算|决算)[^，。,；;：:]{0,16}表\s*$",
    );
    let mut votes: BTreeMap<(i32, Kind), u32> = BTreeMap::new();
    let mut years: BTreeMap<i32, u32> = BTreeMap::new();
    let (mut finals, mut budgets) = (0usize, 0usize);
    for text in texts {
        if text.contains('算') {
            finals += text.matches("决算").count();
            budgets += text.matches("预算").count();
        }
        // Every pattern reads a year before 年.
        if !has_year(text) {
            continue;
        }
        for (pattern, weight) in [(strong, 3), (title, 2), (weak, 1)] {
            for c in pattern.captures_iter(text) {
                // `比2025年预算增加…` compares with another year's budget: no vote.
                let start = c.get(0).map_or(0, |m| m.start());
                if text[..start].ends_with(['比', '较', '同', '与']) {
                    continue;
                }
                let year: i32 = c[1].parse().unwrap_or(0);
                let kind = if &c[2] == "决算" {
                    Kind::Final
                } else {
                    Kind::Budget
                };
                *votes.entry((year, kind)).or_default() += weight;
            }
        }
        if let Some(c) = year_cell.captures(text) {
            *years.entry(c[1].parse().unwrap_or(0)).or_default() += 1;
        }
    }
    if let Some(((year, kind), _)) = votes
        .iter()
        .max_by_key(|((year, _), count)| (**count, *year))
    {
        return (Some(*year), Some(*kind));
    }
    let year = years
        .iter()
        .max_by_key(|(year, count)| (**count, **year))
        .map(|(y, _)| *y);
    // The recognized tables say which set they belong to (收入支出决算总表 is a final account's).
    let table_finals = table_kinds.iter().filter(|k| **k == Kind::Final).count();
    let table_budgets = table_kinds.len() - table_finals;
    let kind = match (table_finals, table_budgets, finals, budgets) {
        (0, 0, 0, 0) => None,
        (tf, tb, _, _) if tf + tb > 0 => Some(if tf >= tb { Kind::Final } else { Kind::Budget }),
        (_, _, f, b) if f > b / 2 => Some(Kind::Final),
        _ => Some(Kind::Budget),
    };
    (year, kind)
}

/// Whether `text` prints a year of this century followed by 年 (`2025年`, `2025 年度`), as
/// the patterns that read a year need: most lines have none, and are not searched.
fn has_year(text: &str) -> bool {
    text.match_indices('年').any(|(at, _)| {
        let b = text[..at].trim_end().as_bytes();
        b.len() >= 4
            && b[b.len() - 4..b.len() - 2] == *b"20"
            && b[b.len() - 2..].iter().all(u8::is_ascii_digit)
    })
}

/// Year and kind in an archive's file name (`…_2026_budget_tables`, `2023年部门决算`), for a
/// part that prints neither: one year only, and one kind only.
fn stem_year_and_kind(stem: &str) -> (Option<i32>, Option<Kind>) {
    static YEAR: OnceLock<Regex> = OnceLock::new();
    let digits = re(&YEAR, r"[0-9]+");
    let years: std::collections::BTreeSet<i32> = digits
        .find_iter(stem)
        .filter(|m| m.len() == 4 && m.as_str().starts_with("20"))
        .filter_map(|m| m.as_str().parse().ok())
        .collect();
    let year = (years.len() == 1)
        .then(|| years.into_iter().next())
        .flatten();
    let lower = stem.to_lowercase();
    let final_ = lower.contains("final") || stem.contains("决算");
    let budget = lower.contains("budget") || stem.contains("预算");
    let kind = match (final_, budget) {
        (true, false) => Some(Kind::Final),
        (false, true) => Some(Kind::Budget),
        _ => None,
    };
    (year, kind)
}

/// Regions the document's titles name (`上海市普陀区2026年区级部门预算`,
/// `纳入杭州市西湖区2023年部门决算编制范围`): full paths only.
fn titled_regions<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    let regions = &catalog().regions;
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        let t = text.trim_start().trim_start_matches("纳入");
        let head: String = t.chars().take(40).collect();
        if !(head.contains("预算") || head.contains("决算")) {
            continue;
        }
        if let Some(m) = regions.prefix(t).filter(|m| m.resolved) {
            if !out.contains(&m.region) {
                out.push(m.region);
            }
        }
    }
    out
}

/// Region and identity key of a department whose own name does not resolve its region
/// (`普陀区城市管理行政执法局`, `教育局`), from the one region the document's titles name when
/// it is consistent with what the name prints.
pub(crate) fn resolve_in_context(
    name: &str,
    titled: impl FnOnce() -> Vec<String>,
) -> Option<(String, String)> {
    let name = name.trim();
    let printed = match catalog().regions.prefix(name) {
        Some(m) if m.resolved => return None,
        Some(m) => Some(m),
        None => None,
    };
    // The titles are read only for a name that does not resolve itself.
    let titled = titled();
    let consistent: Vec<&String> = titled
        .iter()
        .filter(|r| match &printed {
            Some(m) => r.ends_with(m.region.as_str()),
            None => true,
        })
        .collect();
    let [region] = consistent.as_slice() else {
        return None;
    };
    let rest: String = name
        .chars()
        .skip(printed.as_ref().map_or(0, |m| m.printed_len))
        .collect();
    Some(((*region).clone(), format!("{region}{rest}")))
}

/// Region and cross-year identity key of a printed department name.
pub fn resolve_department(name: &str) -> (Option<String>, String) {
    let name = name.trim();
    match catalog().regions.prefix(name) {
        Some(m) if m.resolved => {
            let rest: String = name.chars().skip(m.printed_len).collect();
            // `杭州市本级教育局` is 杭州市's 教育局: 本级 says the level, not the unit.
            let rest = match rest.strip_prefix("本级") {
                Some(r) if r.chars().count() >= 2 => r.to_string(),
                _ => rest,
            };
            let key = format!("{}{}", m.region, rest);
            (Some(m.region), key)
        }
        Some(m) => (Some(m.region), name.to_string()),
        None => (None, name.to_string()),
    }
}

/// Infers the identity of a document from its prose, its tables, and — as a last resort for
/// the department — the file name.
pub fn identify(
    lines: &[ProseLine],
    grids: &[Grid],
    file_stem: &str,
    table_kinds: &[Kind],
) -> Identity {
    let department = department_candidates(lines, grids)
        .into_iter()
        .next()
        .or_else(|| looks_like_org(file_stem).then(|| file_stem.to_string()));
    let cells = grids
        .iter()
        .flat_map(Grid::printed_cells)
        .filter(|c| c.text.chars().count() <= 60)
        .map(|c| c.text.as_str());
    let (fiscal_year, kind) = year_and_kind(
        lines.iter().map(|l| l.text.as_str()).chain(cells),
        table_kinds,
    );
    let (stem_year, stem_kind) = stem_year_and_kind(file_stem);
    let (fiscal_year, kind) = (fiscal_year.or(stem_year), kind.or(stem_kind));
    let (region, department_key) = match &department {
        Some(d) => {
            match resolve_in_context(d, || titled_regions(lines.iter().map(|l| l.text.as_str()))) {
                Some((region, key)) => (Some(region), Some(key)),
                None => {
                    let (region, key) = resolve_department(d);
                    (region, Some(key))
                }
            }
        }
        None => (None, None),
    };
    let aliases = department
        .as_deref()
        .map(|d| other_names(lines, grids, d))
        .unwrap_or_default();
    Identity {
        department,
        department_key,
        region,
        fiscal_year,
        kind,
        aliases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::text::split;

    fn ident(text: &str) -> Identity {
        let doc = split(text);
        identify(&doc.lines, &doc.grids, "", &[])
    }

    #[test]
    fn identify_reads_part_heading_and_title_votes() {
        let id = ident(
            " 第一部分 盘锦市大洼区智慧城市运行管理中心概况\n第二部分 2019年度部门决算表\n第三部分 2019年度部门决算情况说明\n",
        );
        assert_eq!(
            id.department.as_deref(),
            Some("盘锦市大洼区智慧城市运行管理中心")
        );
        assert_eq!(id.region.as_deref(), Some("辽宁省盘锦市大洼区"));
        assert_eq!(
            id.department_key.as_deref(),
            Some("辽宁省盘锦市大洼区智慧城市运行管理中心")
        );
        assert_eq!((id.fiscal_year, id.kind), (Some(2019), Some(Kind::Final)));
    }

    #[test]
    fn identify_reads_cover_labels_before_table_labels() {
        let id = ident(
            "上海市普陀区2026年区级部门预算\n预算主管部门：上海市普陀区城市管理行政执法局目 录\n编制部门：普陀区城市管理行政执法局 单位：元\n",
        );
        assert_eq!(
            id.department.as_deref(),
            Some("上海市普陀区城市管理行政执法局")
        );
        assert_eq!(id.region.as_deref(), Some("上海市普陀区"));
        assert_eq!((id.fiscal_year, id.kind), (Some(2026), Some(Kind::Budget)));
        let id = ident("上海市2025年市级单位预算\n预算单位：上海市财政局\n");
        assert_eq!(id.department.as_deref(), Some("上海市财政局"));
        assert_eq!(id.region.as_deref(), Some("上海市"));
        // A title with spaces around the year.
        let id = ident("西南大学 2023 年度部门决算\n");
        assert_eq!(id.department.as_deref(), Some("西南大学"));
        assert_eq!((id.fiscal_year, id.kind), (Some(2023), Some(Kind::Final)));
        // A template's letter-spaced placeholder is no name.
        let id = ident("上海市 XX 局\n2024 年度部门决算\n");
        assert_eq!(id.department, None);
    }

    #[test]
    fn a_title_resolves_a_name_that_does_not_say_its_region() {
        // 普陀区 is in 上海 and in 舟山: the title says which.
        let id =
            ident("上海市普陀区2026年区级部门预算\n编制部门：普陀区城市管理行政执法局 单位：元\n");
        assert_eq!(id.region.as_deref(), Some("上海市普陀区"));
        assert_eq!(
            id.department_key.as_deref(),
            Some("上海市普陀区城市管理行政执法局")
        );
        // A bare unit name takes the one region the titles name.
        let id = ident("杭州市西湖区2023年部门预算\n部门：教育局\n");
        assert_eq!(
            id.department_key.as_deref(),
            Some("浙江省杭州市西湖区教育局")
        );
        // Near-miss: a title naming another 普陀区 is not evidence for this one's region
        // when two regions are titled; nothing is guessed.
        let id = ident(
            "上海市普陀区2026年区级部门预算\n舟山市普陀区2026年部门预算\n编制部门：普陀区教育局\n",
        );
        assert_eq!(id.region.as_deref(), Some("普陀区"));
        assert_eq!(id.department_key.as_deref(), Some("普陀区教育局"));
    }

    #[test]
    fn city_level_and_suffixless_names_resolve_to_one_key() {
        for name in ["杭州市本级教育局", "杭州市教育局", "浙江省杭州市教育局"]
        {
            assert_eq!(resolve_department(name).1, "浙江省杭州市教育局", "{name}");
        }
        assert_eq!(
            resolve_department("杭州西湖区教育局").1,
            "浙江省杭州市西湖区教育局"
        );
        // Near miss: 本级 is a level only before a unit's name.
        assert_eq!(resolve_department("杭州市本级").1, "浙江省杭州市本级");
    }

    #[test]
    fn has_year_finds_a_year_before_nian_only() {
        for text in [
            "2025年部门预算",
            "比 2024 年度减少",
            "单位：2023年度",
            "XX局2026\u{3000}年",
        ] {
            assert!(has_year(text), "{text}");
        }
        // Near misses: a count of years, a year of another century, a year without 年.
        for text in ["近3年", "1998年", "预算2025", "第2025号", "12025年"] {
            assert_eq!(has_year(text), text == "12025年", "{text}");
        }
    }

    #[test]
    fn file_names_give_year_and_kind_only_when_unambiguous() {
        assert_eq!(
            stem_year_and_kind("sh_putuo_chengguan_2026_budget_tables"),
            (Some(2026), Some(Kind::Budget))
        );
        assert_eq!(
            stem_year_and_kind("2023年部门决算"),
            (Some(2023), Some(Kind::Final))
        );
        assert_eq!(
            stem_year_and_kind("2023-2024 budget vs final"),
            (None, None)
        );
        assert_eq!(stem_year_and_kind("report12024"), (None, None));
    }

    #[test]
    fn identify_skips_placeholder_names() {
        let id = ident("纳入某部门2022年部门决算编制范围的二级预算单位包括：\n");
        assert_eq!(id.department, None);
        assert_eq!((id.fiscal_year, id.kind), (Some(2022), Some(Kind::Final)));
        assert!(is_placeholder_name("某部门"));
        assert!(is_placeholder_name("XX（部门）主要职能"));
        assert!(!is_placeholder_name("兴隆台区智慧城市运行管理中心"));
    }
}
