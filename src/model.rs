//! The shared vocabulary of the pipeline: facts, document identity, locations, units, aspects.
//!
//! Every stage speaks these types. They carry no parsing logic and never touch `f64`: money is a
//! `rust_decimal::Decimal` whose scale is the precision the document printed, because the
//! tolerance of every check depends on it.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Budget (部门预算) or final account (部门决算).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Budget,
    Final,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Budget => "budget",
            Kind::Final => "final",
        }
    }
}

/// A canonical metric key from the catalog, e.g. `income.total`, `expenditure.general_budget`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey(String);

impl MetricKey {
    pub fn new(key: impl Into<String>) -> Self {
        MetricKey(key.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for MetricKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MetricKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(MetricKey)
    }
}

/// A classification code: 支出功能分类 (`201`, `20103`, `2010350`) or 经济分类 (`301`, `30101`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(String);

impl Code {
    /// Accepts 3, 5 or 7 ASCII digits; anything else is not a classification code.
    pub fn parse(text: &str) -> Option<Code> {
        let t = text.trim();
        let ok = matches!(t.len(), 3 | 5 | 7) && t.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Code(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The enclosing code one level up (`2080505` → `20805` → `208`), if any.
    pub fn parent(&self) -> Option<Code> {
        match self.0.len() {
            7 => Some(Code(self.0[..5].to_string())),
            5 => Some(Code(self.0[..3].to_string())),
            _ => None,
        }
    }
    /// True for 经济分类 codes (3xx), false for 功能分类 (2xx).
    pub fn is_economic(&self) -> bool {
        self.0.starts_with('3')
    }
    pub fn is_descendant_of(&self, ancestor: &Code) -> bool {
        self.0.len() > ancestor.0.len() && self.0.starts_with(&ancestor.0)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Code::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a classification code: {text}")))
    }
}

/// Which side of a number a fact records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Aspect {
    /// The amount or count itself (for a budget document, the budgeted amount).
    Value,
    /// `占…的p%`.
    SharePct,
    /// `与上年相比增加d万元` (negative for 减少/降低/下降).
    YoyDelta,
    /// `增长p%`.
    YoyPct,
    /// `完成年初预算的p%`, 执行率.
    CompletionPct,
    /// A 预算数 column or 项目预算金额 in a final account.
    Budget,
    /// A performance indicator's target value (指标值 / 年度目标值).
    Target,
    /// The prior-year amount a budget's change is measured from (`2025年当年预算执行数为X`,
    /// `上年:X`).
    Prior,
}

impl Aspect {
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Value => "value",
            Aspect::SharePct => "share_pct",
            Aspect::YoyDelta => "yoy_delta",
            Aspect::YoyPct => "yoy_pct",
            Aspect::CompletionPct => "completion_pct",
            Aspect::Budget => "budget",
            Aspect::Target => "target",
            Aspect::Prior => "prior",
        }
    }
    pub fn parse(s: &str) -> Option<Aspect> {
        Some(match s {
            "value" => Aspect::Value,
            "share_pct" => Aspect::SharePct,
            "yoy_delta" => Aspect::YoyDelta,
            "yoy_pct" => Aspect::YoyPct,
            "completion_pct" => Aspect::CompletionPct,
            "budget" => Aspect::Budget,
            "target" => Aspect::Target,
            "prior" => Aspect::Prior,
            _ => return None,
        })
    }
    /// Aspects whose unit is always a percentage.
    pub fn is_percentage(self) -> bool {
        matches!(
            self,
            Aspect::SharePct | Aspect::YoyPct | Aspect::CompletionPct
        )
    }
}

impl Serialize for Aspect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a number counts, as printed and after normalization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    WanYuan,
    Yuan,
    YiYuan,
    Percent,
    /// 个 (projects, groups…)
    Ge,
    /// 辆 (vehicles)
    Liang,
    /// 人
    Person,
    /// 人次
    PersonTime,
    /// 分 (scores)
    Score,
    /// 平方米
    SquareMeter,
    /// 台 / 台（套） / 套 (equipment)
    Set,
    /// 次 / 批次
    Times,
    /// 天
    Day,
    /// A unit the catalog does not know, e.g. an indicator's 度量单位 such as `户`.
    Other,
}

/// Broad families of units: facts and terms only combine within one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitKind {
    Amount,
    Count,
    Percent,
    Score,
    Area,
    Other,
}

impl Unit {
    /// Recognizes a printed unit (already normalized to ASCII punctuation).
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "万元" => Unit::WanYuan,
            "元" => Unit::Yuan,
            "亿元" => Unit::YiYuan,
            "%" => Unit::Percent,
            "个" | "项" | "家" => Unit::Ge,
            "辆" => Unit::Liang,
            "人" | "名" => Unit::Person,
            "人次" => Unit::PersonTime,
            "分" => Unit::Score,
            "平方米" | "㎡" => Unit::SquareMeter,
            "台" | "套" | "台(套)" => Unit::Set,
            "次" | "批次" => Unit::Times,
            "天" => Unit::Day,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::WanYuan => "万元",
            Unit::Yuan => "元",
            Unit::YiYuan => "亿元",
            Unit::Percent => "%",
            Unit::Ge => "个",
            Unit::Liang => "辆",
            Unit::Person => "人",
            Unit::PersonTime => "人次",
            Unit::Score => "分",
            Unit::SquareMeter => "平方米",
            Unit::Set => "台",
            Unit::Times => "次",
            Unit::Day => "天",
            Unit::Other => "",
        }
    }

    pub fn kind(self) -> UnitKind {
        match self {
            Unit::WanYuan | Unit::Yuan | Unit::YiYuan => UnitKind::Amount,
            Unit::Percent => UnitKind::Percent,
            Unit::Ge | Unit::Liang | Unit::Person | Unit::PersonTime | Unit::Set | Unit::Times => {
                UnitKind::Count
            }
            Unit::Score => UnitKind::Score,
            Unit::SquareMeter => UnitKind::Area,
            Unit::Day | Unit::Other => UnitKind::Other,
        }
    }

    /// Converts a printed value to the normalized unit: amounts to 万元, exactly, by moving the
    /// decimal point so the printed precision is kept (347752.90元 → 34.775290万元).
    pub fn normalize(self, printed: Decimal) -> (Decimal, Unit) {
        match self {
            Unit::Yuan => (shift_decimal(printed, -4), Unit::WanYuan),
            Unit::YiYuan => (shift_decimal(printed, 4), Unit::WanYuan),
            other => (printed, other),
        }
    }
}

impl Unit {
    /// A value in the normalized unit (万元) back in this printed unit, for messages that
    /// quote the printed figures beside it.
    pub fn printed_from(self, normalized: Decimal) -> Decimal {
        match self {
            Unit::Yuan => shift_decimal(normalized, 4),
            Unit::YiYuan => shift_decimal(normalized, -4),
            _ => normalized,
        }
    }
}

/// Multiplies by 10^places without losing digits (negative places divide).
fn shift_decimal(value: Decimal, places: i32) -> Decimal {
    let scale = value.scale() as i32;
    let mantissa = value.mantissa();
    if places <= 0 {
        let new_scale = scale - places;
        if new_scale <= 28 {
            return Decimal::from_i128_with_scale(mantissa, new_scale as u32);
        }
    } else if scale >= places {
        return Decimal::from_i128_with_scale(mantissa, (scale - places) as u32);
    }
    let factor = Decimal::from(10i64.pow(places.unsigned_abs().min(18)));
    if places > 0 {
        value.checked_mul(factor).unwrap_or(value)
    } else {
        value.checked_div(factor).unwrap_or(value)
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where a number was printed: a line of a text file or a spreadsheet cell.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    Line(u32),
    /// A line of a page: page text (pages separated by form feeds) and PDFs, both 1-based.
    Page {
        page: u32,
        line: u32,
    },
    Cell {
        sheet: String,
        cell: String,
    },
}

impl Location {
    /// The line number for text inputs; spreadsheet cells sort after by sheet/cell.
    pub fn line(&self) -> Option<u32> {
        match self {
            Location::Line(n) => Some(*n),
            Location::Page { .. } | Location::Cell { .. } => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Page { page, line } => write!(f, "page {page}, line {line}"),
            Location::Cell { sheet, cell } => write!(f, "{sheet}!{cell}"),
        }
    }
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Location {
    /// As a message in Chinese names it: `第45行`, `第2页第7行`, `Sheet1!B4`.
    pub fn zh(&self) -> String {
        match self {
            Location::Line(n) => format!("第{n}行"),
            Location::Page { page, line } => format!("第{page}页第{line}行"),
            Location::Cell { sheet, cell } => format!("{sheet}!{cell}"),
        }
    }

    /// Reads what [`Location`]'s `Display` printed: `line 3`, `page 2, line 7`, `Sheet1!B4`
    /// (a cell never holds `!`, so the last one separates the sheet).
    pub fn parse(text: &str) -> Option<Location> {
        if let Some((sheet, cell)) = text.rsplit_once('!') {
            return Some(Location::Cell {
                sheet: sheet.to_string(),
                cell: cell.to_string(),
            });
        }
        if let Some(rest) = text.strip_prefix("page ") {
            let (page, line) = rest.split_once(", line ")?;
            return Some(Location::Page {
                page: page.parse().ok()?,
                line: line.parse().ok()?,
            });
        }
        text.strip_prefix("line ")?.parse().ok().map(Location::Line)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Location::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a location: {text}")))
    }
}

/// Where in the document a fact came from: the prose, or a recognized table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Prose,
    /// The table's printed number (`公开05表`) or, without one, its title.
    Table(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Prose => f.write_str("prose"),
            Source::Table(name) => write!(f, "table:{name}"),
        }
    }
}

impl Source {
    /// As a message in Chinese names it: `正文`, `公开05表`.
    pub fn zh(&self) -> String {
        match self {
            Source::Prose => "正文".to_string(),
            Source::Table(name) => name.clone(),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One number found in a document, attributed to a measure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fact {
    pub metric: MetricKey,
    pub code: Option<Code>,
    pub item: Option<String>,
    pub aspect: Aspect,
    /// Normalized (amounts in 万元), exact; `None` when a placeholder (`XX`) was printed.
    #[serde(serialize_with = "serialize_decimal_opt")]
    pub value: Option<Decimal>,
    pub unit: Unit,
    /// The text as printed, e.g. `472.39万元`, `XX万元`, `347752.90元`, or a cell's text.
    pub raw: String,
    pub source: Source,
    pub location: Location,
    /// The number as printed (its scale is the printed precision), before unit normalization.
    #[serde(skip)]
    pub printed: Option<Decimal>,
    /// The unit as printed (元 stays 元 here while `unit` says 万元).
    #[serde(skip)]
    pub printed_unit: Unit,
    /// The words the number was printed with: the prose label or the table row's name.
    #[serde(skip)]
    pub label: String,
    /// For a share: the measure it is a share of (`占收入总计的…` → `income.total`).
    #[serde(skip)]
    pub basis: Option<FactKey>,
    /// The exact printed text of label and number (`社会保障和就业支出140.38万元`), or the cell's
    /// text: what an auditor searches for.
    #[serde(skip)]
    pub quote: String,
    /// Char range of `quote` in its prose line.
    #[serde(skip)]
    pub span: Option<(usize, usize)>,
    /// The prose line (reading order) a prose fact was printed on.
    #[serde(skip)]
    pub line: Option<u32>,
    /// Index of the table (in the report's `tables`) a table fact came from.
    #[serde(skip)]
    pub table: Option<usize>,
    /// The year the figure is about when it is not the document's own: a 决算 for 2023 that
    /// carries the 2024 项目（政策）绩效目标表 prints next year's targets. `None` = the
    /// document's year. Facts of different periods never meet in one check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<i32>,
    /// The measure's printed name when the number's own words do not name it (`完成年初预算的
    /// 300%` after `“社会保障和就业支出（类）…职业年金缴费支出（项）”`): flags quote it.
    #[serde(skip)]
    pub named_as: Option<String>,
}

impl Fact {
    /// The identity two printings of the same number share.
    pub fn key(&self) -> FactKey {
        FactKey {
            metric: self.metric.clone(),
            code: self.code.clone(),
            item: self.item.clone(),
            aspect: self.aspect,
            period: self.period,
        }
    }
}

/// (metric, code, item, aspect): what SPEC §7 matches facts on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactKey {
    pub metric: MetricKey,
    pub code: Option<Code>,
    pub item: Option<String>,
    pub aspect: Aspect,
    /// The fact's period when it is not the document's year (see [`Fact::period`]).
    pub period: Option<i32>,
}

impl FactKey {
    /// The stated amount of a whole measure: no code, no item.
    pub fn value_of(metric: &str) -> FactKey {
        FactKey {
            metric: MetricKey::new(metric),
            code: None,
            item: None,
            aspect: Aspect::Value,
            period: None,
        }
    }
}

fn serialize_decimal_opt<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// Who published a document, for which year, and which kind it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// As printed in the title or `部门：` rows.
    pub department: Option<String>,
    /// The resolved identity across years: full region path plus the unit's own name.
    pub department_key: Option<String>,
    /// As far as known, e.g. `辽宁省盘锦市大洼区`.
    pub region: Option<String>,
    pub fiscal_year: Option<i32>,
    pub kind: Option<Kind>,
    /// Other names the document gives its department: its tables' `部门：` line, a former
    /// name (`原XX局更名为…`). Evidence for one identity across renames.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// A problem reading a file, reported per file and never fatal to a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputError {
    pub kind: String,
    pub message: String,
    pub location: Option<String>,
}

/// How much an anomaly matters to an auditor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// A flag raised by a check, with the evidence an auditor needs to find it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Anomaly {
    pub rule: String,
    pub severity: Severity,
    pub metric: Option<MetricKey>,
    pub code: Option<Code>,
    pub item: Option<String>,
    pub message: String,
    /// The document's own text, quoted so Ctrl-F finds it.
    pub evidence: String,
    pub location: Option<Location>,
    pub expected: Option<String>,
    pub found: Option<String>,
    /// found − expected, where both are numbers.
    pub difference: Option<String>,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn yuan_normalizes_to_wan_yuan_keeping_digits() {
        let printed = Decimal::from_str("347752.90").unwrap();
        let (v, u) = Unit::Yuan.normalize(printed);
        assert_eq!(u, Unit::WanYuan);
        assert_eq!(v.to_string(), "34.775290");
    }

    #[test]
    fn locations_read_back_what_they_print() {
        for loc in [
            Location::Line(17),
            Location::Page { page: 3, line: 41 },
            Location::Cell {
                sheet: "表1".into(),
                cell: "B12".into(),
            },
            // Sheet names that look like the other forms, or hold a `!`.
            Location::Cell {
                sheet: "line 5".into(),
                cell: "A1".into(),
            },
            Location::Cell {
                sheet: "收入!支出".into(),
                cell: "C3".into(),
            },
        ] {
            assert_eq!(Location::parse(&loc.to_string()), Some(loc.clone()));
            let json = serde_json::to_string(&loc).unwrap();
            assert_eq!(serde_json::from_str::<Location>(&json).unwrap(), loc);
        }
        // Near misses are refused, not guessed.
        for bad in ["line", "line x", "page 3", "page 3, line", "B12"] {
            assert_eq!(Location::parse(bad), None, "{bad}");
        }
        assert!(serde_json::from_str::<Code>("\"20a\"").is_err());
        assert_eq!(
            serde_json::from_str::<Code>("\"2080505\"")
                .unwrap()
                .as_str(),
            "2080505"
        );
    }

    #[test]
    fn code_parse_accepts_only_classification_lengths() {
        assert!(Code::parse("201").is_some());
        assert!(Code::parse("2080505").is_some());
        assert!(Code::parse("2023").is_none());
        assert!(Code::parse("20a").is_none());
        assert_eq!(
            Code::parse("2080505").unwrap().parent().unwrap().as_str(),
            "20805"
        );
    }
}
