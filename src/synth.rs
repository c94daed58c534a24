//! A synthetic archive with its answer key, for measuring the tool: fact recall, flag precision
//! and recall per rule, and department identity across years.
//!
//! Departments of many regions (the gazetteer's county-level divisions) publish budgets and
//! final accounts over several years, as parsed text in the layout of real disclosures (prose
//! explanation plus tab-cell tables). Their names are printed in the forms real documents use
//! (`浙江省杭州市西湖区教育局`, `杭州市西湖区教育局`, a district name alone when it is unique),
//! some departments are renamed and say so, and documents carry planted problems — each one an
//! anomaly a rule must flag — beside planted near misses that must not be flagged (rounding
//! within tolerance, next year's 绩效目标表 in a 决算, list items whose names contain a class
//! name). [`generate`] writes the files and returns the truth: every printed number as the fact
//! it is, every planted problem, and which documents belong to one department.
//!
//! The generator is deterministic: one seed, one archive.

use std::fmt::Write as _;
use std::path::Path;

/// splitmix64: small, seedable, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with probability `p` percent.
    fn chance(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
    /// An amount in cents between `lo` and `hi` yuan-ten-thousands (万元).
    fn cents(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo).max(1) * 100;
        lo * 100 + (self.next() % span as u64) as i64
    }
}

/// `12345` cents → `123.45`.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// part / whole as a percentage with two decimals, rounded half up.
fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0.00".into();
    }
    let bp = (part as i128 * 100_000 / whole as i128 + 5) / 10;
    money(bp as i64)
}

/// One printed number and the fact it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruthFact {
    pub file: String,
    pub metric: String,
    pub code: Option<String>,
    pub item: Option<String>,
    pub aspect: &'static str,
    /// As printed (`None`: a placeholder).
    pub value: Option<String>,
}

/// A problem planted in a document: the rule that must flag it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    pub file: String,
    pub rule: &'static str,
    pub metric: Option<String>,
}

/// A generated document.
#[derive(Clone, Debug)]
pub struct TruthDoc {
    pub file: String,
    /// Documents with one `department` id are one department, whatever their printed names.
    pub department: usize,
    pub printed_name: String,
    pub year: i32,
    pub final_account: bool,
}

/// What the archive holds.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub docs: Vec<TruthDoc>,
    pub facts: Vec<TruthFact>,
    pub planted: Vec<Planted>,
    /// Near misses planted (must not be flagged), by kind.
    pub near_misses: Vec<(String, &'static str)>,
}

const UNITS: &[&str] = &[
    "教育局",
    "卫生健康委员会",
    "民政局",
    "财政局",
    "司法局",
    "农业农村局",
    "市场监督管理局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "应急管理局",
    "退役军人事务局",
    "医疗保障局",
    "统计局",
    "审计局",
    "档案馆",
    "人力资源和社会保障局",
    "智慧城市运行管理中心",
    "自然资源局",
    "体育局",
    "机关事务服务中心",
    "信访局",
    "商务局",
];

/// Renames real reorganizations made: (old, new).
const RENAMES: &[(&str, &str)] = &[
    ("城市管理局", "综合行政执法局"),
    ("文化广电旅游局", "文化和旅游局"),
    ("科学技术局", "科学技术和工业信息化局"),
    ("网格化管理服务中心", "社会治理服务中心"),
    ("发展和改革局", "发展和改革委员会"),
];

/// Function classes a department spends on: (class, class name, 款, 款 name, [(项, name)]).
type ClassLine = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const CLASSES: &[ClassLine] = &[
    (
        "201",
        "一般公共服务支出",
        "20103",
        "政府办公厅（室）及相关机构事务",
        &[
            ("2010301", "行政运行"),
            ("2010350", "事业运行"),
            ("2010399", "其他政府办公厅（室）及相关机构事务支出"),
        ],
    ),
    (
        "208",
        "社会保障和就业支出",
        "20805",
        "行政事业单位养老支出",
        &[
            ("2080505", "机关事业单位基本养老保险缴费支出"),
            ("2080506", "机关事业单位职业年金缴费支出"),
        ],
    ),
    (
        "210",
        "卫生健康支出",
        "21011",
        "行政事业单位医疗",
        &[("2101101", "行政单位医疗"), ("2101102", "事业单位医疗")],
    ),
    (
        "221",
        "住房保障支出",
        "22102",
        "住房改革支出",
        &[("2210201", "住房公积金")],
    ),
];

/// County-level divisions of the gazetteer: (province, city or "", county).
fn counties() -> Vec<(String, String, String)> {
    let csv = include_str!("catalog/regions.csv");
    let mut out = Vec::new();
    for line in csv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("code"))
    {
        let Some((code, path)) = line.split_once(',') else {
            continue;
        };
        if code.len() != 6 {
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            [p, c, k] if !c.ends_with("辖区") && !k.ends_with("辖区") => {
                out.push((p.to_string(), c.to_string(), k.to_string()))
            }
            [p, k] => out.push((p.to_string(), String::new(), k.to_string())),
            _ => {}
        }
    }
    out
}

struct Department {
    id: usize,
    province: String,
    city: String,
    county: String,
    /// Unit names by first year: the unit is renamed in the second entry's year.
    names: Vec<(i32, String)>,
    /// How its name is printed: 0 full path, 1 city + county, 2 county alone.
    form: usize,
}

impl Department {
    fn unit_in(&self, year: i32) -> &str {
        self.names
            .iter()
            .rev()
            .find(|(from, _)| *from <= year)
            .or(self.names.first())
            .map_or("", |(_, n)| n.as_str())
    }
    fn printed(&self, year: i32, form: usize) -> String {
        let unit = self.unit_in(year);
        match form {
            0 => format!("{}{}{}{unit}", self.province, self.city, self.county),
            1 if !self.city.is_empty() => format!("{}{}{unit}", self.city, self.county),
            // The city without 市 (`杭州西湖区`), as informal titles print it.
            3 if self.city.ends_with('市') && self.city.chars().count() >= 3 => {
                format!("{}{}{unit}", self.city.trim_end_matches('市'), self.county)
            }
            3 => format!("{}{}{}{unit}", self.province, self.city, self.county),
            1 => format!("{}{}{unit}", self.province, self.county),
            _ => format!("{}{unit}", self.county),
        }
    }
}

/// Writes an archive of about `departments` × years documents under `dir` and returns its truth.
///
/// # Errors
/// Writing a file failed.
pub fn generate(dir: &Path, departments: usize, seed: u64) -> std::io::Result<Truth> {
    let mut rng = Rng(seed);
    let all = counties();
    let gazetteer = &crate::catalog::catalog().regions;
    let mut truth = Truth::default();
    let mut depts = Vec::new();
    let mut used: std::collections::BTreeSet<(String, String)> = Default::default();
    while depts.len() < departments && !all.is_empty() {
        let (p, c, k) = all[rng.below(all.len())].clone();
        let renamed = rng.chance(12);
        let (first, later) = if renamed {
            let (old, new) = RENAMES[rng.below(RENAMES.len())];
            (old.to_string(), Some(new.to_string()))
        } else {
            (UNITS[rng.below(UNITS.len())].to_string(), None)
        };
        let region = format!("{p}{c}{k}");
        if !used.insert((region.clone(), first.clone())) {
            continue;
        }
        let mut names = vec![(0, first)];
        if let Some(n) = later {
            if !used.insert((region.clone(), n.clone())) {
                continue;
            }
            names.push((2021 + rng.below(3) as i32, n));
        }
        // The county alone only where it names one place in the whole country.
        let county_alone_ok = gazetteer
            .prefix(&format!("{k}某局"))
            .is_some_and(|m| m.resolved && m.region == region);
        let form = match rng.below(3) {
            2 if county_alone_ok => 2,
            2 => 0,
            f => f,
        };
        depts.push(Department {
            id: depts.len(),
            province: p,
            city: c,
            county: k,
            names,
            form,
        });
    }
    for d in &depts {
        let first_year = 2019 + rng.below(2) as i32;
        // (income total, expenditure total) of last year's budget and final, when printed.
        let mut prior: [Option<(i64, i64)>; 2] = [None, None];
        for year in first_year..=2024 {
            if rng.chance(10) {
                prior = [None, None];
                continue; // a year the archive lacks
            }
            for final_account in [false, true] {
                if final_account && year == 2024 {
                    continue;
                }
                let form = match rng.below(100) {
                    0..=9 => rng.below(2),
                    10..=14 => 3,
                    _ => d.form,
                };
                let k = usize::from(final_account);
                prior[k] = write_document(
                    dir,
                    d,
                    year,
                    final_account,
                    form,
                    &mut rng,
                    &mut truth,
                    prior[k],
                )?;
            }
        }
    }
    Ok(truth)
}

/// A table cell: text, or an amount in cents.
#[derive(Clone, Debug)]
enum Cell {
    Text(String),
    Amount(i64),
}

impl Cell {
    fn text(t: &str) -> Cell {
        Cell::Text(t.to_string())
    }
}

/// A row of text cells.
fn texts(cells: &[&str]) -> Vec<Cell> {
    cells.iter().map(|t| Cell::text(t)).collect()
}

/// A table for the companion workbook: title, rows, merged ranges (row, first col, last col).
type SheetTable = (String, Vec<Vec<Cell>>, Vec<(usize, u16, u16)>);

/// Builds one document's text, recording its facts and planted problems.
struct Builder<'t> {
    file: String,
    text: String,
    truth: &'t mut Truth,
    /// Tables go to the companion workbook instead of the text.
    tables: Option<Vec<SheetTable>>,
}

impl Builder<'_> {
    fn fact(
        &mut self,
        metric: &str,
        code: Option<&str>,
        item: Option<&str>,
        aspect: &'static str,
        value: Option<String>,
    ) {
        self.truth.facts.push(TruthFact {
            file: self.file.clone(),
            metric: metric.to_string(),
            code: code.map(str::to_string),
            item: item.map(str::to_string),
            aspect,
            value,
        });
    }
    fn plant_in(&mut self, file: String, rule: &'static str, metric: Option<&str>) {
        self.truth.planted.push(Planted {
            file,
            rule,
            metric: metric.map(str::to_string),
        });
    }
    fn plant(&mut self, rule: &'static str, metric: Option<&str>) {
        self.truth.planted.push(Planted {
            file: self.file.clone(),
            rule,
            metric: metric.map(str::to_string),
        });
    }
    /// The file a table's facts are read from: the companion workbook or the text.
    fn table_file(&self) -> String {
        if self.tables.is_some() {
            self.file.replace(".txt", "_tables.xlsx")
        } else {
            self.file.clone()
        }
    }
    fn table_fact(
        &mut self,
        metric: &str,
        code: Option<&str>,
        aspect: &'static str,
        value: String,
    ) {
        let file = self.table_file();
        self.truth.facts.push(TruthFact {
            file,
            metric: metric.to_string(),
            code: code.map(str::to_string),
            item: None,
            aspect,
            value: Some(value),
        });
    }
    /// A table under its title: tab-cell rows in the text, or a block of the workbook's sheet.
    fn table(&mut self, title: &str, rows: Vec<Vec<Cell>>, merges: &[(usize, u16, u16)]) {
        if let Some(tables) = &mut self.tables {
            tables.push((title.to_string(), rows, merges.to_vec()));
            return;
        }
        self.line(title);
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(t) => t.clone(),
                    Cell::Amount(v) => money(*v),
                })
                .collect();
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            self.row(&refs);
        }
    }
    /// Writes the companion workbook, one sheet per table.
    fn write_workbook(&self, dir: &Path) -> std::io::Result<()> {
        use rust_xlsxwriter::{Format, Workbook};
        let Some(tables) = &self.tables else {
            return Ok(());
        };
        let io = |e: rust_xlsxwriter::XlsxError| std::io::Error::other(e.to_string());
        let mut wb = Workbook::new();
        let two = Format::new().set_num_format("#,##0.00");
        let plain = Format::new();
        for (n, (title, rows, merges)) in tables.iter().enumerate() {
            let ws = wb.add_worksheet();
            ws.set_name(format!("表{}", n + 1)).map_err(io)?;
            ws.write_string(0, 0, title).map_err(io)?;
            for (r, row) in rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (c, cell) in row.iter().enumerate() {
                    let merged = merges
                        .iter()
                        .find(|(mr, first, _)| *mr as u32 + 1 == r && *first as usize == c);
                    match (cell, merged) {
                        (Cell::Text(t), Some((_, first, last))) => {
                            ws.merge_range(r, *first, r, *last, t, &plain).map_err(io)?;
                        }
                        (Cell::Text(t), None) if !t.is_empty() => {
                            ws.write_string(r, c as u16, t).map_err(io)?;
                        }
                        (Cell::Text(_), None) => {}
                        (Cell::Amount(v), _) => {
                            ws.write_number_with_format(r, c as u16, *v as f64 / 100.0, &two)
                                .map_err(io)?;
                        }
                    }
                }
            }
        }
        let path = dir.join(self.table_file());
        wb.save(path).map_err(io)
    }
    fn near_miss(&mut self, what: &'static str) {
        self.truth.near_misses.push((self.file.clone(), what));
    }
    fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }
    /// A tab-cell table row (one cell per line, a blank line after the row).
    fn row(&mut self, cells: &[&str]) {
        for c in cells {
            let _ = writeln!(self.text, "\t{c}");
        }
        self.text.push('\n');
    }
}

/// The problems a document can carry; at most one per document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Problem {
    None,
    Placeholder,
    SumMismatch,
    GrowthMismatch,
    Conflict,
    Coverage,
    Balance,
    CrossYear,
    UnitSuspect,
}

#[allow(clippy::too_many_arguments)]
fn write_document(
    dir: &Path,
    d: &Department,
    year: i32,
    final_account: bool,
    form: usize,
    rng: &mut Rng,
    truth: &mut Truth,
    prior: Option<(i64, i64)>,
) -> std::io::Result<Option<(i64, i64)>> {
    let kind = if final_account { "final" } else { "budget" };
    let file = format!("d{:04}_{year}_{kind}.txt", d.id);
    let name = d.printed(year, form);
    truth.docs.push(TruthDoc {
        file: file.clone(),
        department: d.id,
        printed_name: name.clone(),
        year,
        final_account,
    });
    let problem = match rng.below(100) {
        0..=5 => Problem::Placeholder,
        6..=11 => Problem::SumMismatch,
        12..=17 => Problem::GrowthMismatch,
        18..=23 => Problem::Conflict,
        24..=28 => Problem::Coverage,
        29..=33 if final_account => Problem::Balance,
        34..=41 if prior.is_some() => Problem::CrossYear,
        42..=46 if !final_account => Problem::UnitSuspect,
        _ => Problem::None,
    };
    let mut b = Builder {
        file,
        text: String::new(),
        truth,
        tables: None,
    };

    // Amounts (cents). Classes: a few of the four, items splitting each class.
    let mut classes: Vec<(usize, i64, Vec<i64>)> = Vec::new();
    for (i, (_, _, _, _, items)) in CLASSES.iter().enumerate() {
        if i == 0 || rng.chance(70) {
            let parts: Vec<i64> = items.iter().map(|_| rng.cents(5, 400)).collect();
            classes.push((i, parts.iter().sum(), parts));
        }
    }
    let general: i64 = classes.iter().map(|c| c.1).sum();
    // A near miss: the total printed one cent off its parts' sum, as rounding from more
    // decimals does — within tolerance, never SUM_MISMATCH.
    let rounding = problem == Problem::None && rng.chance(20);
    let general_shown = general + i64::from(rounding);
    let other_income = if rng.chance(50) { rng.cents(1, 60) } else { 0 };
    let carry = if final_account { rng.cents(0, 80) } else { 0 };
    let fiscal = general;
    let income = fiscal + other_income + carry;
    let project = general * (10 + rng.below(40) as i64) / 100;
    let basic = general - project;
    let year_end = if final_account {
        (other_income + carry) * rng.below(100) as i64 / 100
    } else {
        0
    };
    let expenditure = income - year_end;
    let basic_total = expenditure - project;

    let kind_word = if final_account { "决算" } else { "预算" };
    let year_word = if final_account {
        format!("{year}年度")
    } else {
        format!("{year}年")
    };
    b.line(&format!("{name}{year_word}部门{kind_word}"));
    b.line(&format!("第一部分 {name}概况"));
    b.line("一、主要职能");
    b.line("负责本部门职责范围内的各项工作，完成上级交办的其他任务。");
    // The reform is stated in the year of the rename and the year after.
    if d.names.len() > 1 && (d.names[1].0 == year || d.names[1].0 + 1 == year) {
        let old = Department {
            names: vec![d.names[0].clone()],
            id: d.id,
            province: d.province.clone(),
            city: d.city.clone(),
            county: d.county.clone(),
            form: d.form,
        };
        let old_name = old.printed(year, form);
        b.line(&format!("根据机构改革方案，原{old_name}更名为{name}。"));
    }

    // Tables: in the text, or (one document in four) in a companion workbook `…_tables.xlsx`
    // whose cells are numbers shown with `#,##0.00`.
    let in_workbook = rng.chance(25);
    if in_workbook {
        b.tables = Some(Vec::new());
    }
    let table_title = if final_account {
        "一般公共预算财政拨款支出决算表"
    } else {
        "一般公共预算支出功能分类预算表"
    };
    b.line(&format!("第二部分 {year_word}部门{kind_word}表"));
    let metric_general = "expenditure.general_budget";
    // Project spending fills the items in order; the rest of each item is basic.
    let mut project_left = project;
    let mut rows: Vec<(String, String, i64, i64, i64)> = Vec::new();
    for (ci, total, parts) in &classes {
        let (code, cname, kuan, kname, items) = CLASSES[*ci];
        let mut item_rows = Vec::new();
        let (mut cb, mut cp) = (0, 0);
        for ((icode, iname), v) in items.iter().zip(parts) {
            let take = project_left.min(*v);
            project_left -= take;
            let (ib, ip) = (v - take, take);
            cb += ib;
            cp += ip;
            item_rows.push((icode.to_string(), iname.to_string(), *v, ib, ip));
        }
        rows.push((code.into(), cname.into(), *total, cb, cp));
        rows.push((kuan.into(), kname.into(), *total, cb, cp));
        rows.extend(item_rows);
    }
    let conflict_row = (problem == Problem::Conflict).then_some(0usize);
    if conflict_row.is_some() {
        // The class row printed off by 1.00 contradicts the prose and no longer adds up with
        // its 款 and 项 either.
        let tables = b.table_file();
        b.plant_in(tables, "SUM_MISMATCH", Some(metric_general));
        b.plant("CONFLICTING_VALUES", Some(metric_general));
    }
    let mut grid: Vec<Vec<Cell>> = vec![
        vec![Cell::text("单位：万元")],
        texts(&[
            "功能分类科目编码",
            "",
            "",
            "科目名称",
            "合计",
            "基本支出",
            "项目支出",
        ]),
        texts(&["栏次", "", "", "", "1", "2", "3"]),
        vec![
            Cell::text("合计"),
            Cell::text(""),
            Cell::text(""),
            Cell::text(""),
            Cell::Amount(general_shown),
            Cell::Amount(basic),
            Cell::Amount(project),
        ],
    ];
    if rounding {
        b.near_miss("total one cent off its parts");
    }
    b.table_fact(metric_general, None, "value", money(general_shown));
    b.table_fact(
        &format!("{metric_general}.basic"),
        None,
        "value",
        money(basic),
    );
    b.table_fact(
        &format!("{metric_general}.project"),
        None,
        "value",
        money(project),
    );
    for (r, (code, cname, v, vb, vp)) in rows.iter().enumerate() {
        let shown = if conflict_row == Some(r) { v + 100 } else { *v };
        grid.push(vec![
            Cell::text(code),
            Cell::text(""),
            Cell::text(""),
            Cell::text(cname),
            Cell::Amount(shown),
            Cell::Amount(*vb),
            Cell::Amount(*vp),
        ]);
        b.table_fact(metric_general, Some(code), "value", money(shown));
        b.table_fact(
            &format!("{metric_general}.basic"),
            Some(code),
            "value",
            money(*vb),
        );
        b.table_fact(
            &format!("{metric_general}.project"),
            Some(code),
            "value",
            money(*vp),
        );
    }
    b.table(table_title, grid, &[]);

    // Prose.
    b.line(&format!("第三部分 {year_word}部门{kind_word}情况说明"));
    b.line(&format!("一、收入支出{kind_word}总体情况说明"));
    let total_word = if final_account {
        "收入总计"
    } else {
        "收入预算"
    };
    let mut income_parts_shown = (fiscal, other_income, carry);
    if problem == Problem::SumMismatch {
        income_parts_shown.0 += 1234;
        b.plant("SUM_MISMATCH", Some("income.total"));
    }
    let placeholder = problem == Problem::Placeholder;
    let income_text = if placeholder {
        b.plant("PLACEHOLDER", Some("income.total"));
        "XX".to_string()
    } else {
        money(income)
    };
    b.fact(
        "income.total",
        None,
        None,
        "value",
        (!placeholder).then(|| money(income)),
    );
    let mut s = format!("{year_word}{total_word}{income_text}万元，包括：");
    let fiscal_word = if final_account {
        "一般公共预算财政拨款收入"
    } else {
        "一般公共预算拨款收入"
    };
    let _ = write!(s, "{fiscal_word}{}万元", money(income_parts_shown.0));
    b.fact(
        "income.fiscal.general",
        None,
        None,
        "value",
        Some(money(income_parts_shown.0)),
    );
    if !placeholder && income > 0 {
        let _ = write!(s, "，占{}%", pct(income_parts_shown.0, income));
        b.fact(
            "income.fiscal.general",
            None,
            None,
            "share_pct",
            Some(pct(income_parts_shown.0, income)),
        );
    }
    let _ = write!(s, "；其他收入{}万元", money(other_income));
    b.fact(
        "income.other",
        None,
        None,
        "value",
        Some(money(other_income)),
    );
    if final_account {
        let _ = write!(s, "；上年结转和结余{}万元", money(carry));
        b.fact("income.carryover", None, None, "value", Some(money(carry)));
    }
    s.push('。');
    // Growth against last year's final (finals) or a stated last-year budget.
    if let Some((prior_income, _)) = prior.filter(|_| !placeholder) {
        let implied_prior = if problem == Problem::CrossYear {
            b.plant("CROSS_YEAR_MISMATCH", Some("income.total"));
            prior_income + 5000 + rng.cents(0, 50)
        } else {
            prior_income
        };
        let delta = income - implied_prior;
        let mut growth = pct(delta.abs(), implied_prior);
        if problem == Problem::GrowthMismatch {
            growth = pct(delta.abs() + implied_prior / 5, implied_prior);
            b.plant("GROWTH_MISMATCH", Some("income.total"));
        }
        let (verb, rate) = if delta >= 0 {
            ("增加", "增长")
        } else {
            ("减少", "下降")
        };
        let lead = match (final_account, rng.chance(50)) {
            (true, true) => "与上年相比，收入",
            (true, false) => "收入较上年",
            (false, true) => "收入预算比上年预算",
            (false, false) => "与上年预算相比，收入预算",
        };
        let _ = write!(
            s,
            "{lead}{verb}{}万元，{rate}{growth}%，主要原因是业务量变化。",
            money(delta.abs())
        );
        let sign = |v: String| if delta < 0 { format!("-{v}") } else { v };
        b.fact(
            "income.total",
            None,
            None,
            "yoy_delta",
            Some(sign(money(delta.abs()))),
        );
        b.fact("income.total", None, None, "yoy_pct", Some(sign(growth)));
    }
    b.line(&s);

    let exp_word = if final_account {
        "支出总计"
    } else {
        "支出预算"
    };
    b.line(&format!(
        "{year_word}{exp_word}{}万元，其中：基本支出{}万元，项目支出{}万元。",
        money(expenditure),
        money(basic_total),
        money(project)
    ));
    b.fact(
        "expenditure.total",
        None,
        None,
        "value",
        Some(money(expenditure)),
    );
    b.fact(
        "expenditure.basic",
        None,
        None,
        "value",
        Some(money(basic_total)),
    );
    b.fact(
        "expenditure.project",
        None,
        None,
        "value",
        Some(money(project)),
    );
    // A near miss: project names that contain a catalog phrase (政府采购…, …培训费) are
    // items of the project list, not procurement or training.
    if project > 200 && rng.chance(30) {
        b.near_miss("project names containing a catalog phrase");
        let first = project / 3;
        let items = [
            ("政府采购监管经费", first),
            ("网格化服务运维经费", project - first),
        ];
        let mut s = format!("项目支出{}万元，主要包括：", money(project));
        for (n, (item, v)) in items.iter().enumerate() {
            let sep = if n + 1 == items.len() { "。" } else { "、" };
            let _ = write!(s, "{item}{}万元{sep}", money(*v));
            b.fact(
                "expenditure.project",
                None,
                Some(item),
                "value",
                Some(money(*v)),
            );
        }
        b.line(&s);
    }
    if final_account {
        let shown = if problem == Problem::Balance {
            b.plant("BALANCE_MISMATCH", None);
            year_end + 2000
        } else {
            year_end
        };
        b.line(&format!("年末结转和结余{}万元。", money(shown)));
        b.fact(
            "carryover.year_end",
            None,
            None,
            "value",
            Some(money(shown)),
        );
    }

    // The classes, with their items (a near miss: `其他…支出` items are items, not the class).
    b.line(&format!("二、一般公共预算财政拨款支出{kind_word}情况说明"));
    let mut s = format!(
        "{year_word}一般公共预算财政拨款支出{}万元，主要用于以下方面：",
        money(general_shown)
    );
    b.fact(
        metric_general,
        None,
        None,
        "value",
        Some(money(general_shown)),
    );
    for (n, (ci, total, _)) in classes.iter().enumerate() {
        let (code, cname, ..) = CLASSES[*ci];
        let shown = *total;
        let sep = if n + 1 == classes.len() { "。" } else { "；" };
        let _ = write!(
            s,
            "{cname}{}万元，占{}%{sep}",
            money(shown),
            pct(*total, general)
        );
        b.fact(
            metric_general,
            Some(code),
            None,
            "value",
            Some(money(shown)),
        );
        b.fact(
            metric_general,
            Some(code),
            None,
            "share_pct",
            Some(pct(*total, general)),
        );
    }
    b.line(&s);
    for (n, (ci, total, parts)) in classes.iter().enumerate() {
        let (code, cname, _, _, items) = CLASSES[*ci];
        let mut s = format!("{}.{cname}{}万元，主要包括：", n + 1, money(*total));
        for (m, ((icode, iname), v)) in items.iter().zip(parts).enumerate() {
            let sep = if m + 1 == items.len() { "。" } else { "；" };
            let _ = write!(s, "（{}）{iname}{}万元{sep}", m + 1, money(*v));
            b.fact(metric_general, Some(icode), None, "value", Some(money(*v)));
            if iname.starts_with("其他") {
                b.near_miss("list item named after its class");
            }
        }
        b.fact(
            metric_general,
            Some(code),
            None,
            "value",
            Some(money(*total)),
        );
        b.line(&s);
    }

    // 三公, admin cost, procurement, vehicles.
    let overseas = if rng.chance(70) { 0 } else { rng.cents(1, 10) };
    let vehicle_purchase = if rng.chance(80) { 0 } else { rng.cents(5, 30) };
    let vehicle_operation = rng.cents(0, 30);
    let vehicle = vehicle_purchase + vehicle_operation;
    let reception = rng.cents(0, 5);
    let three = overseas + vehicle + reception;
    b.line(&format!("三、“三公”经费{kind_word}情况说明"));
    b.line(&format!(
        "{year_word}“三公”经费{}{}万元，其中：因公出国（境）费{}万元；公务用车购置及运行费{}万元（其中：公务用车购置费{}万元，公务用车运行费{}万元）；公务接待费{}万元。",
        if final_account { "支出" } else { "预算" },
        money(three),
        money(overseas),
        money(vehicle),
        money(vehicle_purchase),
        money(vehicle_operation),
        money(reception)
    ));
    b.fact(
        "three_public.vehicle.purchase",
        None,
        None,
        "value",
        Some(money(vehicle_purchase)),
    );
    b.fact(
        "three_public.vehicle.operation",
        None,
        None,
        "value",
        Some(money(vehicle_operation)),
    );
    b.fact(
        "three_public.total",
        None,
        None,
        "value",
        Some(money(three)),
    );
    b.fact(
        "three_public.overseas",
        None,
        None,
        "value",
        Some(money(overseas)),
    );
    b.fact(
        "three_public.vehicle",
        None,
        None,
        "value",
        Some(money(vehicle)),
    );
    b.fact(
        "three_public.reception",
        None,
        None,
        "value",
        Some(money(reception)),
    );
    // The “三公” table: a 决算's 预算数/决算数 bands over the measures (one row of amounts
    // under column numbers), a budget's one row under the measures.
    let three_parts = [
        ("three_public.total", three),
        ("three_public.overseas", overseas),
        ("three_public.vehicle", vehicle),
        ("three_public.vehicle.purchase", vehicle_purchase),
        ("three_public.vehicle.operation", vehicle_operation),
        ("three_public.reception", reception),
    ];
    let heads = |rows: &mut Vec<Vec<Cell>>, bands: &[&str]| {
        let mut band = Vec::new();
        let mut measures = Vec::new();
        let mut sub = Vec::new();
        for b in bands {
            band.extend(
                [Cell::text(b)]
                    .into_iter()
                    .chain((0..5).map(|_| Cell::text(""))),
            );
            measures.extend(texts(&[
                "合计",
                "因公出国（境）费",
                "公务用车购置及运行费",
                "",
                "",
                "公务接待费",
            ]));
            sub.extend(texts(&[
                "",
                "",
                "小计",
                "公务用车购置费",
                "公务用车运行费",
                "",
            ]));
        }
        rows.push(band);
        rows.push(measures);
        rows.push(sub);
    };
    let admin = rng.cents(10, 200);
    let mut grid = vec![vec![Cell::text("单位：万元")]];
    let mut merges = Vec::new();
    if final_account {
        heads(&mut grid, &["预算数", "决算数"]);
        merges.extend([(1usize, 0u16, 5u16), (1, 6, 11), (2, 2, 4), (2, 8, 10)]);
        grid.push((1..=12).map(|n| Cell::Text(n.to_string())).collect());
        let budgets: Vec<i64> = three_parts.iter().map(|(_, v)| v + v / 10).collect();
        // Budget parts must add up too: recompute the sums from the parts.
        let (bo, bp, bop, br) = (budgets[1], budgets[3], budgets[4], budgets[5]);
        let budgets = [bo + bp + bop + br, bo, bp + bop, bp, bop, br];
        let mut row: Vec<Cell> = budgets.iter().map(|v| Cell::Amount(*v)).collect();
        row.extend(three_parts.iter().map(|(_, v)| Cell::Amount(*v)));
        grid.push(row);
        for ((metric, v), bv) in three_parts.iter().zip(budgets) {
            b.table_fact(metric, None, "budget", money(bv));
            b.table_fact(metric, None, "value", money(*v));
        }
        b.table("财政拨款“三公”经费支出决算表", grid, &merges);
    } else {
        grid.push(texts(&[
            "“三公”经费预算数",
            "",
            "",
            "",
            "",
            "",
            "机关运行经费预算数",
        ]));
        merges.push((1usize, 0u16, 5u16));
        grid.push(texts(&[
            "合计",
            "因公出国（境）费",
            "公务用车购置及运行费",
            "",
            "",
            "公务接待费",
            "",
        ]));
        merges.push((2, 2, 4));
        grid.push(texts(&["", "", "小计", "购置费", "运行费", "", ""]));
        let mut row: Vec<Cell> = three_parts.iter().map(|(_, v)| Cell::Amount(*v)).collect();
        row.push(Cell::Amount(admin));
        grid.push(row);
        for (metric, v) in &three_parts {
            b.table_fact(metric, None, "value", money(*v));
        }
        b.table_fact("admin_cost", None, "value", money(admin));
        b.table("“三公”经费和机关运行经费预算表", grid, &merges);
    }
    b.line("四、机关运行经费情况说明");
    let admin_unit = if problem == Problem::UnitSuspect {
        b.plant("UNIT_SUSPECT", Some("admin_cost"));
        "元"
    } else {
        "万元"
    };
    b.line(&format!(
        "{year_word}机关运行经费{}{admin_unit}。",
        money(admin)
    ));
    let printed_admin = if admin_unit == "元" {
        // 125.50元 is 0.012550万元.
        format!("{}.{:06}", admin / 1_000_000, admin % 1_000_000)
    } else {
        money(admin)
    };
    b.fact("admin_cost", None, None, "value", Some(printed_admin));
    let (goods, works, services) = (rng.cents(0, 50), 0, rng.cents(0, 80));
    b.line("五、政府采购情况说明");
    b.line(&format!(
        "{year_word}政府采购{}总额{}万元，其中：政府采购货物{}{}万元、政府采购工程{}{}万元、政府采购服务{}{}万元。",
        if final_account { "支出" } else { "预算" },
        money(goods + works + services),
        if final_account { "支出" } else { "预算" },
        money(goods),
        if final_account { "支出" } else { "预算" },
        money(works),
        if final_account { "支出" } else { "预算" },
        money(services),
    ));
    b.fact(
        "procurement.total",
        None,
        None,
        "value",
        Some(money(goods + works + services)),
    );
    b.fact("procurement.goods", None, None, "value", Some(money(goods)));
    b.fact("procurement.works", None, None, "value", Some(money(works)));
    b.fact(
        "procurement.services",
        None,
        None,
        "value",
        Some(money(services)),
    );
    let cars = rng.below(6);
    b.line("六、国有资产占用情况说明");
    b.line(&format!(
        "截至{}年12月31日，本部门共有车辆{cars}辆。",
        if final_account { year } else { year - 1 }
    ));
    b.fact(
        "vehicles.count",
        None,
        None,
        "value",
        Some(cars.to_string()),
    );

    // Performance: a 决算's self-evaluation, a budget's targets.
    b.line("七、预算绩效情况说明");
    let projects = if problem == Problem::Coverage {
        0
    } else {
        1 + rng.below(12)
    };
    if problem == Problem::Coverage {
        b.plant(
            "COVERAGE_WITHOUT_PROJECTS",
            Some("performance.coverage_pct"),
        );
    }
    if final_account {
        b.line(&format!(
            "本部门组织对{year}年度预算项目支出全面开展绩效自评，共涉及预算支出项目{projects}个，涉及资金{}万元，自评覆盖率（开展绩效自评的项目数/年初批复绩效目标的项目数*100%）达到100%。",
            money(project)
        ));
        b.fact(
            "performance.self_eval_projects",
            None,
            None,
            "value",
            Some(projects.to_string()),
        );
    } else {
        b.line(&format!(
            "{year}年应编制绩效目标的项目共{projects}个，实际编制绩效目标的项目共{projects}个，涉及资金{}万元，编制绩效目标的项目覆盖率（实际编制绩效目标的项目/应编制绩效目标的项目）为100%。",
            money(project)
        ));
        b.fact(
            "performance.projects_required",
            None,
            None,
            "value",
            Some(projects.to_string()),
        );
        b.fact(
            "performance.projects_set",
            None,
            None,
            "value",
            Some(projects.to_string()),
        );
    }
    b.fact(
        "performance.coverage_pct",
        None,
        None,
        "value",
        Some("100".into()),
    );

    // A near miss in some 决算: next year's 项目绩效目标表 beside this year's self-evaluation,
    // one project with two different budgets.
    if final_account && rng.chance(30) {
        b.near_miss("next year's target table");
        let project_name = "信息化建设运维项目";
        let this_year = rng.cents(10, 90);
        let next_year = this_year + rng.cents(1, 20);
        b.line("附件");
        b.line("部门预算项目（政策）绩效目标表");
        b.row(&[&format!("{}年", year + 1)]);
        b.row(&["单位:万元"]);
        b.row(&["项目(政策)名称", project_name]);
        b.row(&["预算资金情况", &money(next_year)]);
        b.fact(
            "performance.project",
            None,
            Some(project_name),
            "budget",
            Some(money(next_year)),
        );
        b.line("预算项目(政策)绩效自评表");
        b.line(&format!("({year}年度)"));
        b.row(&["项目(政策)名称", project_name]);
        b.row(&[
            "项目资金（万元）",
            "年初预算数",
            "全年预算数",
            "全年执行数",
            "分值",
            "执行率",
            "得分",
        ]);
        b.row(&[
            "年度资金总额",
            &money(this_year),
            &money(this_year),
            &money(this_year),
            "10",
            "100%",
            "10",
        ]);
        b.fact(
            "performance.project",
            None,
            Some(project_name),
            "budget",
            Some(money(this_year)),
        );
        b.fact(
            "performance.project",
            None,
            Some(project_name),
            "value",
            Some(money(this_year)),
        );
    }

    let path = dir.join(&b.file);
    std::fs::write(path, b.text.as_bytes())?;
    b.write_workbook(dir)?;
    // What the next year's statement of change can be checked against: the printed total.
    Ok((!placeholder).then_some((income, expenditure)))
}

/// How one rule did: planted problems found, and its warning/error flags that were right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleScore {
    pub planted: usize,
    pub found: usize,
    pub flagged: usize,
    pub correct: usize,
}

/// The measurements of one run over a generated archive.
#[derive(Clone, Debug, Default)]
pub struct Score {
    pub facts_expected: usize,
    pub facts_found: usize,
    /// Up to 20 facts not found, for diagnosis.
    pub missing: Vec<TruthFact>,
    pub per_rule: std::collections::BTreeMap<String, RuleScore>,
    /// Up to 5 warning/error flags per rule no planted problem explains: (file, rule, message).
    pub false_flags: Vec<(String, String, String)>,
    /// Departments whose documents got more than one key: (department, keys), up to 20.
    pub split: Vec<(usize, Vec<String>)>,
    /// Up to 20 planted problems no flag found.
    pub missed: Vec<Planted>,
    pub same_department_pairs: usize,
    pub same_department_pairs_kept: usize,
    pub distinct_pairs_merged: usize,
    pub renamed_departments: usize,
    pub renamed_followed: usize,
    pub near_misses: usize,
}

impl Score {
    pub fn fact_recall(&self) -> f64 {
        ratio(self.facts_found, self.facts_expected)
    }
    /// Warning/error flags that match a planted problem, of all warning/error flags.
    pub fn flag_precision(&self) -> f64 {
        let (c, f) = self
            .per_rule
            .values()
            .fold((0, 0), |(c, f), r| (c + r.correct, f + r.flagged));
        ratio(c, f)
    }
    pub fn flag_recall(&self, scope: impl Fn(&str) -> bool) -> f64 {
        let (found, planted) = self
            .per_rule
            .iter()
            .filter(|(r, _)| scope(r))
            .fold((0, 0), |(a, b), (_, s)| (a + s.found, b + s.planted));
        ratio(found, planted)
    }
    pub fn identity_recall(&self) -> f64 {
        ratio(self.same_department_pairs_kept, self.same_department_pairs)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores a consolidated archive against the truth it was generated with.
pub fn score(truth: &Truth, archive: &crate::analysis::Archive) -> Score {
    use std::collections::{BTreeMap, BTreeSet};
    let file_of = |path: &str| -> String {
        Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let docs: BTreeMap<String, usize> = archive
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| (file_of(&d.report.file), i))
        .collect();
    let mut s = Score {
        near_misses: truth.near_misses.len(),
        ..Score::default()
    };
    for t in &truth.facts {
        s.facts_expected += 1;
        let want = t
            .value
            .as_deref()
            .map(|v| v.parse::<rust_decimal::Decimal>().ok());
        let found = docs.get(&t.file).is_some_and(|&i| {
            archive.documents[i].facts.any(|f| {
                f.metric == t.metric
                    && f.code == t.code.as_deref()
                    && f.item == t.item.as_deref()
                    && f.aspect.as_str() == t.aspect
                    && match &want {
                        None => f.value.is_none(),
                        Some(v) => f.value.is_some() && f.value == *v,
                    }
            })
        });
        if found {
            s.facts_found += 1;
        } else if s.missing.len() < 20 {
            s.missing.push(t.clone());
        }
    }
    let planted: BTreeSet<(String, &str)> = truth
        .planted
        .iter()
        .map(|p| (p.file.clone(), p.rule))
        .collect();
    let mut flagged: BTreeSet<(String, String)> = BTreeSet::new();
    for f in &archive.findings {
        if f.anomaly.severity == crate::model::Severity::Info {
            continue;
        }
        let file = f
            .document
            .and_then(|i| archive.documents.get(i))
            .map(|d| file_of(&d.report.file))
            .unwrap_or_default();
        let rule = f.anomaly.rule.clone();
        let right = planted.contains(&(file.clone(), rule.as_str()));
        let entry = s.per_rule.entry(rule.clone()).or_default();
        entry.flagged += 1;
        if right {
            entry.correct += 1;
        } else if s.false_flags.iter().filter(|(_, r, _)| *r == rule).count() < 5 {
            s.false_flags
                .push((file.clone(), rule.clone(), f.anomaly.message.clone()));
        }
        flagged.insert((file, rule));
    }
    for p in &truth.planted {
        let entry = s.per_rule.entry(p.rule.to_string()).or_default();
        entry.planted += 1;
        if flagged.contains(&(p.file.clone(), p.rule.to_string())) {
            entry.found += 1;
        } else if s.missed.len() < 20 {
            s.missed.push(p.clone());
        }
    }
    // Identity: pairs of documents of one department that share a key, pairs of two that do.
    let mut by_dept: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for d in &truth.docs {
        if let Some(&i) = docs.get(&d.file) {
            by_dept
                .entry(d.department)
                .or_default()
                .push(archive.documents[i].key.clone());
        }
    }
    let pairs = |n: usize| n * n.saturating_sub(1) / 2;
    let mut by_key: BTreeMap<&str, BTreeMap<usize, usize>> = BTreeMap::new();
    for (dept, keys) in &by_dept {
        s.same_department_pairs += pairs(keys.len());
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for k in keys {
            *counts.entry(k.as_str()).or_default() += 1;
            *by_key
                .entry(k.as_str())
                .or_default()
                .entry(*dept)
                .or_default() += 1;
        }
        s.same_department_pairs_kept += counts.values().map(|&n| pairs(n)).sum::<usize>();
        if counts.len() > 1 && s.split.len() < 20 {
            s.split
                .push((*dept, counts.keys().map(|k| k.to_string()).collect()));
        }
    }
    for depts in by_key.values() {
        let total: usize = depts.values().sum();
        s.distinct_pairs_merged += pairs(total) - depts.values().map(|&n| pairs(n)).sum::<usize>();
    }
    let renamed: BTreeSet<usize> = truth
        .docs
        .iter()
        .filter(|d| {
            truth
                .docs
                .iter()
                .any(|o| o.department == d.department && o.printed_name != d.printed_name)
        })
        .map(|d| d.department)
        .collect();
    for dept in renamed {
        let keys: BTreeSet<&String> = by_dept.get(&dept).into_iter().flatten().collect();
        let names: BTreeSet<&str> = truth
            .docs
            .iter()
            .filter(|d| d.department == dept)
            .map(|d| d.printed_name.as_str())
            .collect();
        // Only departments whose unit name changed (not just the printed form).
        let units: BTreeSet<String> = names
            .iter()
            .map(|n| {
                crate::catalog::catalog()
                    .regions
                    .prefix(n)
                    .map_or(n.to_string(), |m| n.chars().skip(m.printed_len).collect())
            })
            .collect();
        if units.len() < 2 {
            continue;
        }
        s.renamed_departments += 1;
        if keys.len() == 1 {
            s.renamed_followed += 1;
        }
    }
    s
}

/// The score as the table the README shows.
pub fn report(s: &Score, docs: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "documents: {docs}");
    let _ = writeln!(
        out,
        "fact recall: {}/{} = {:.2}%",
        s.facts_found,
        s.facts_expected,
        100.0 * s.fact_recall()
    );
    let (c, f) = s
        .per_rule
        .values()
        .fold((0, 0), |(c, f), r| (c + r.correct, f + r.flagged));
    let _ = writeln!(
        out,
        "warning/error flags right: {c}/{f} = {:.2}% (near misses planted: {})",
        100.0 * s.flag_precision(),
        s.near_misses
    );
    let _ = writeln!(
        out,
        "identity: same-department pairs kept {}/{} = {:.2}%, distinct pairs merged {}, renamed departments followed {}/{}",
        s.same_department_pairs_kept,
        s.same_department_pairs,
        100.0 * s.identity_recall(),
        s.distinct_pairs_merged,
        s.renamed_followed,
        s.renamed_departments
    );
    let _ = writeln!(
        out,
        "| rule | planted | found | recall | flags | right | precision |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for (rule, r) in &s.per_rule {
        let _ = writeln!(
            out,
            "| {rule} | {} | {} | {:.1}% | {} | {} | {:.1}% |",
            r.planted,
            r.found,
            100.0 * ratio(r.found, r.planted),
            r.flagged,
            r.correct,
            100.0 * ratio(r.correct, r.flagged)
        );
    }
    out
}
