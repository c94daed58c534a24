//! Prose → facts: the statement parser.
//!
//! Each prose line is read left to right as a stream of *mentions* (a number with its unit),
//! *connectors* (`其中`, `包括`, `具体包括`…) and *flat statements* (`与上年持平`). A mention's
//! *label* is the text between the previous boundary (`，；。：、`, a connector or an earlier
//! mention) and the number. The label decides the aspect (`占…的` → share, `完成年初预算的` →
//! completion, `比上年增加` → year-on-year) and names the measure through the catalog's terms.
//!
//! Context fills what the label leaves open:
//! * the **list** a mention belongs to: a connector makes the current subject the parent of the
//!   items that follow — inline to the end of the sentence, and on later lines for deeper list
//!   markers (`1.` under an unnumbered lead-in, `（1）` under `1.`). Class names take the parent's
//!   measure (`一般公共服务支出` under `一般公共预算财政拨款支出…包括：`), unknown names become the
//!   parent's items (`（1）事业运行`) or, where the code table says so, its sub-codes;
//! * the **subject**: a share, completion or year-on-year figure without a named measure
//!   belongs to the last measure named;
//! * the **fund** of role phrases (基本支出, 项目支出, 人员经费): from a qualifier in the label,
//!   else the list's parent, the topic before a colon, the section heading, else all funds.
//!
//! Numbers this cannot attribute are returned as `unmapped`, never guessed.

mod scan;

use foldhash::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use rust_decimal::Decimal;

use crate::catalog::{catalog, Catalog, Family, Role, TermHit, TermMeaning};
use crate::extract::codebook::CodeBook;
use crate::ingest::normalize;
use crate::ingest::text::ProseLine;
use crate::model::{
    Aspect, Code, Fact, FactKey, Identity, Location, MetricKey, Source, Unit, UnitKind,
};

pub use scan::{mentions, Mention};

/// A number in the prose that no measure could be attributed to.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Unmapped {
    pub location: Location,
    pub raw: String,
    pub label: String,
}

/// A lead-in and the items listed after its connector (`基本支出1049.53万元，其中工资福利支出…`).
#[derive(Clone, Debug, PartialEq)]
pub struct ListGroup {
    /// Index (into the prose facts) of the fact the list breaks down.
    pub parent: usize,
    /// Indices of the facts printed inside the list.
    pub children: Vec<usize>,
    /// The connector as printed (`其中`, `具体包括`, `主要包括`…).
    pub connector: String,
    /// The connector follows its total only after other sentences (`…支出决算为4733.14万元。
    /// 决算数大于预算数的主要原因：…。其中：`): the items are the ones worth explaining.
    pub detached: bool,
}

impl ListGroup {
    /// `主要包括` lists name the main parts only, and a list detached from its total names the
    /// items it explains: their items need not add up to the whole.
    pub fn is_partial(&self) -> bool {
        self.connector.starts_with("主要") || self.detached
    }
}

/// What prose extraction yields for one document.
#[derive(Clone, Debug, Default)]
pub struct ProseOutput {
    pub facts: Vec<Fact>,
    pub unmapped: Vec<Unmapped>,
    pub lists: Vec<ListGroup>,
}

/// A measure a number is attributed to.
#[derive(Clone, Debug, PartialEq)]
struct Target {
    metric: MetricKey,
    code: Option<Code>,
    item: Option<String>,
    unit: UnitKind,
}

/// An open list: the items after a connector belong to `parent`.
#[derive(Clone, Debug)]
struct Frame {
    parent: Target,
    /// Index into the output's lists.
    list: usize,
    /// Marker level of the line the list was opened on (0: unnumbered or heading).
    level: u8,
    line: u32,
    sentence: u32,
    group: u32,
    at_line_end: bool,
    /// A list opened inside another list's item on the same line (`其中：科学技术支出…，主要
    /// 包括A、B；社会保障和就业支出…`) ends at the next `；`: what follows is the outer list's.
    until: Option<usize>,
}

/// Where a line stands in the document outline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    /// `第一部分`
    Part,
    /// `一、`
    Major,
    /// `（一）`
    Minor,
    /// `1.` (1), `（1）` (2), `①` (3)
    Item(u8),
    None,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static pattern"))
}

fn marker_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^\s*(?:(?P<part>第[一二三四五六七八九十]+部分)|(?P<major>[一二三四五六七八九十]+[、.])|(?P<minor>\([一二三四五六七八九十]+\))|(?P<l2>\(\d{1,2}\))|(?P<l1>\d{1,2}\s*[.、])|(?P<l3>[①-⑳]))\s*",
    )
}

/// The outline marker at the start of a folded line and the chars it takes.
fn marker(folded: &str) -> (Marker, usize) {
    let Some(c) = marker_regex().captures(folded) else {
        return (Marker::None, 0);
    };
    let whole = c.get(0).map_or("", |m| m.as_str());
    let len = whole.chars().count();
    let rest = &folded[whole.len()..];
    let kind = if c.name("part").is_some() {
        Marker::Part
    } else if c.name("major").is_some() {
        Marker::Major
    } else if c.name("minor").is_some() {
        Marker::Minor
    } else if c.name("l2").is_some() {
        Marker::Item(2)
    } else if c.name("l1").is_some() {
        // `1.5万元` is a number, not an item.
        if rest.starts_with(|ch: char| ch.is_ascii_digit()) {
            return (Marker::None, 0);
        }
        Marker::Item(1)
    } else {
        Marker::Item(3)
    };
    (kind, len)
}

/// Strips any outline markers from the start of a label.
fn strip_markers(chars: &[char], mut from: usize, to: usize) -> usize {
    loop {
        while from < to && chars[from].is_whitespace() {
            from += 1;
        }
        let rest: String = chars[from..to].iter().collect();
        match marker(&rest) {
            (Marker::None, _) | (_, 0) => return from,
            (_, len) => from += len,
        }
    }
}

const BOUNDARIES: &[char] = &[',', ';', '。', ':', '、', '!', '?', '\u{FF64}'];

fn connector_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"其中包括|具体包括|主要包括|主要用于以下(?:几个)?方面|用于以下(?:几个)?方面|分项目如下|明细如下|其中|包括|包含",
    )
}

fn flat_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"持平|无变化|没有变化|保持不变")
}

fn comparator_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:与|比|较|同)(?:上年度?|上一年度?|去年|(?P<year>20\d\d)年度?)(?:预算数?|同期|决算数?|(?:预算)?执行数)?(?:相比|对比|比较)?|同比|(?:与|比|较)(?:当年|上年度?)?(?:预算)?执行数(?:相比|对比|比较)?",
    )
}

fn completion_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"完成(?:了)?(?:年初|年度|全年|调整)?预算(?:数)?(?:的)?|(?:预算)?执行率(?:为|达到)?|完成率(?:为|达到)?|为(?:年初)?预算(?:数)?的",
    )
}

fn direction_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(增加|增长|减少|降低|下降|上升|增幅|降幅|减幅|增|减)(?:了|为|达)?$",
    )
}

/// `年初预算为`, `预算数为`: the budget of a measure, at the end of a label.
fn budget_phrase_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:年初预算数?|全年预算数?|调整预算数?|预算数)\s*(?:为|是)?\s*$",
    )
}

/// `支出决算为`, `决算数为`: the amount spent, at the end of a label.
fn actual_phrase_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:支出决算数?|决算数|实际支出|全年执行数|执行数)\s*(?:为|是)?\s*$",
    )
}

/// Budgets: `2025年当年预算执行数为`, `上年:` — the prior-year amount of a measure, at the end
/// of a label (a budget year has executed nothing yet, so its 执行数 is last year's).
fn prior_phrase_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:(?:(?P<year>20\d\d)\s*年度?)?(?:当年|上年度?)?(?:预算)?执行数|上年(?:度)?(?:预算数?)?)\s*(?:为|是)?\s*:?\s*$",
    )
}

/// Budgets: `2026年预算安排`, `预算安排` — this year's amount of the measure named before.
fn plan_phrase_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^[,，;；\s]*(?:(?P<year>20\d\d)\s*年度?)?(?:预算安排|安排预算)\s*(?:为|是)?\s*$",
    )
}

fn budget_comparison_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?:与|比|较)(?:年初)?预算(?:数)?|预算数")
}

fn filler_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"\d+年度?|\d+月|\d+日|今年|本年度?|全年|当年|本单位|本部门|本级|部门|单位|年度|共计|合计|总额|安排|达到|截至|截止|共|为|是|的|在|中|了|额",
    )
}

fn class_path_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^(.+?)\(类\)(.+?)\(款\)(.+?)\(项\)$")
}

/// The words of a heading: up to the first colon or sentence mark (`（四）机关运行经费：指…`
/// heads a definition, whose body says nothing about the section).
fn heading_words(line: &Line) -> String {
    let end = line
        .folded
        .iter()
        .position(|c| matches!(c, ':' | '。' | ',' | ';'))
        .unwrap_or(line.folded.len());
    normalize::name_key(line.text(0, end))
}

/// A short line without numbers or punctuation that ends like a heading (`…说明`, `…情况`).
fn is_plain_heading(line: &Line) -> bool {
    let text = line.text(0, line.folded.len());
    let key = normalize::name_key(text);
    let n = key.chars().count();
    (4..=30).contains(&n)
        && !key
            .chars()
            .any(|c| matches!(c, ':' | '。' | ',' | ';' | '%'))
        && ["说明", "情况", "概况", "解释", "职能", "构成", "设置"]
            .iter()
            .any(|w| key.ends_with(w))
}

/// A prose line prepared for reading.
struct Line {
    number: u32,
    location: Location,
    /// Where a statement wrapped over printed lines continues (char index, location).
    breaks: Vec<(usize, Location)>,
    /// The line as printed, and the printed index of each char of `folded`/`raw` (which
    /// leave out spaces around numbers).
    full_raw: Vec<char>,
    to_printed: Vec<usize>,
    folded: Vec<char>,
    raw: Vec<char>,
    /// Paren depth of each char (content of `(…)` is one deeper than the parens).
    depth: Vec<u8>,
    /// Innermost paren group of each char (0: none) and each group's enclosing group.
    group: Vec<u32>,
    group_parent: Vec<u32>,
    sentence: Vec<u32>,
    marker: Marker,
    marker_end: usize,
    /// `folded` and `raw` as strings, and the byte offset of each char of them in `text`
    /// (one more entry: the length), so a span is sliced, not collected again.
    text: String,
    raw_text: String,
    byte_at: Vec<usize>,
}

impl Line {
    fn new(line: &ProseLine) -> Line {
        // Spaces that PDF parsers put around numbers (`比 2024 年度减少 3.59 万元`) are read
        // as not there; `raw_text` still quotes the line as printed.
        let all_folded: Vec<char> = line.text.chars().collect();
        let full_raw: Vec<char> = line.raw.chars().collect();
        let mut to_printed: Vec<usize> = Vec::with_capacity(all_folded.len());
        for (i, &c) in all_folded.iter().enumerate() {
            if c.is_whitespace() {
                let before = to_printed.last().map(|&j| all_folded[j]);
                let after = all_folded[i + 1..].iter().find(|c| !c.is_whitespace());
                let keep = before.is_some_and(|b| b.is_ascii_alphanumeric())
                    && after.is_some_and(|a| a.is_ascii_alphanumeric())
                    && !to_printed
                        .last()
                        .is_some_and(|&j| all_folded[j].is_whitespace());
                if !keep {
                    continue;
                }
            }
            to_printed.push(i);
        }
        let folded: Vec<char> = to_printed.iter().map(|&i| all_folded[i]).collect();
        let raw: Vec<char> = to_printed
            .iter()
            .map(|&i| full_raw.get(i).copied().unwrap_or(' '))
            .collect();
        let mut depth = Vec::with_capacity(folded.len());
        let mut group = Vec::with_capacity(folded.len());
        let mut group_parent = vec![0u32];
        let mut stack: Vec<u32> = Vec::new();
        let mut sentence = Vec::with_capacity(folded.len());
        let mut s = 0u32;
        for &c in &folded {
            let current = stack.last().copied().unwrap_or(0);
            match c {
                '(' | '[' | '【' | '〔' => {
                    depth.push(stack.len() as u8);
                    group.push(current);
                    let id = group_parent.len() as u32;
                    group_parent.push(current);
                    stack.push(id);
                }
                ')' | ']' | '】' | '〕' => {
                    stack.pop();
                    depth.push(stack.len() as u8);
                    group.push(stack.last().copied().unwrap_or(0));
                }
                _ => {
                    depth.push(stack.len().min(255) as u8);
                    group.push(current);
                }
            }
            sentence.push(s);
            if c == '。' {
                s += 1;
            }
        }
        let text: String = folded.iter().collect();
        let raw_text: String = raw.iter().collect();
        let mut byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        byte_at.push(text.len());
        let (marker, marker_end) = marker(&text);
        Line {
            number: line.number,
            location: line.location.clone(),
            breaks: line.breaks.clone(),
            full_raw,
            to_printed,
            folded,
            raw,
            depth,
            group,
            group_parent,
            sentence,
            marker,
            marker_end,
            text,
            raw_text,
            byte_at,
        }
    }

    /// Where the character at `index` was printed.
    fn location_at(&self, index: usize) -> Location {
        let index = self.printed_index(index);
        self.breaks
            .iter()
            .rev()
            .find(|(start, _)| *start <= index)
            .map_or_else(|| self.location.clone(), |(_, l)| l.clone())
    }

    fn level(&self) -> u8 {
        match self.marker {
            Marker::Item(l) => l,
            _ => 0,
        }
    }

    fn text(&self, from: usize, to: usize) -> &str {
        let at = |i: usize| self.byte_at.get(i).copied().unwrap_or(self.text.len());
        self.text.get(at(from)..at(to.max(from))).unwrap_or("")
    }

    /// The char index of byte offset `byte` of `text`.
    fn char_at_byte(&self, byte: usize) -> usize {
        self.byte_at.partition_point(|&b| b < byte)
    }

    /// The printed index of char `index` (one past the end maps past the last char).
    fn printed_index(&self, index: usize) -> usize {
        match self.to_printed.get(index) {
            Some(&i) => i,
            None => self.to_printed.last().map_or(0, |&i| i + 1),
        }
    }

    /// The text from char `from` to `to` exactly as printed, spaces included.
    fn raw_text(&self, from: usize, to: usize) -> String {
        let to = to.min(self.raw.len());
        if from >= to {
            return String::new();
        }
        let start = self.printed_index(from);
        let end = self.printed_index(to - 1) + 1;
        self.full_raw[start.min(self.full_raw.len())..end.min(self.full_raw.len())]
            .iter()
            .collect()
    }

    /// A char range as printed-line indices (what `ProseLine::text` positions are).
    fn printed_span(&self, from: usize, to: usize) -> (usize, usize) {
        let end = if to == 0 {
            0
        } else {
            self.printed_index(to - 1) + 1
        };
        (self.printed_index(from), end)
    }

    /// True when `inner` is `outer` or nested inside it.
    fn within_group(&self, mut inner: u32, outer: u32) -> bool {
        loop {
            if inner == outer {
                return true;
            }
            if inner == 0 {
                return false;
            }
            inner = self.group_parent[inner as usize];
        }
    }

    /// Start of the clause ending at `pos`: just after the nearest boundary at or above the
    /// depth of `pos`, but not before `floor`.
    fn clause_start(&self, pos: usize, floor: usize) -> usize {
        let d = self.depth.get(pos).copied().unwrap_or(0);
        let mut i = pos;
        while i > floor {
            let c = self.folded[i - 1];
            if BOUNDARIES.contains(&c) && self.depth[i - 1] <= d {
                break;
            }
            i -= 1;
        }
        i
    }

    fn sentence_start(&self, pos: usize) -> usize {
        let s = self.sentence.get(pos).copied().unwrap_or(0);
        // Sentences are numbered in order: the first char of sentence `s` by binary search.
        self.sentence[..pos.min(self.sentence.len())].partition_point(|&x| x < s)
    }
}

/// Folded text without spaces/quotes, with each byte's paren depth, for term search.
struct Key {
    text: String,
    depth: Vec<u8>,
}

impl Key {
    fn new(line: &Line, from: usize, to: usize) -> Key {
        let mut text = String::new();
        let mut depth = Vec::new();
        for i in from..to {
            let c = line.folded[i];
            if c.is_whitespace() || normalize::is_quote(c) {
                continue;
            }
            text.push(c);
            depth.extend(std::iter::repeat_n(line.depth[i], c.len_utf8()));
        }
        Key { text, depth }
    }

    fn from_str(s: &str) -> Key {
        let text = normalize::name_key(s);
        let depth = vec![0; text.len()];
        Key { text, depth }
    }

    /// False when the phrase lies inside parentheses deeper than the number it would name
    /// (`(一般商品和服务支出)` explains, it does not name).
    fn shallow(&self, start: usize, end: usize, max_depth: u8) -> bool {
        let first = self.depth.get(start).copied().unwrap_or(0);
        let last = end
            .checked_sub(1)
            .and_then(|i| self.depth.get(i))
            .copied()
            .unwrap_or(0);
        first <= max_depth || last <= max_depth
    }
}

/// Reading state carried from line to line.
struct Reader<'a> {
    catalog: &'a Catalog,
    codes: &'a CodeBook<'a>,
    year: Option<i32>,
    department_names: Vec<String>,
    frames: Vec<Frame>,
    subject: Option<Target>,
    /// How the subject was printed (its label, or a `（类）…（项）` path naming it alone).
    subject_name: Option<String>,
    /// The value fact printed for `subject`, if any: what a list after a connector breaks down.
    subject_fact: Option<usize>,
    /// The latest value fact of each measure (metric, code, item).
    value_facts: HashMap<(MetricKey, Option<Code>, Option<String>), usize>,
    section_major: String,
    section_minor: String,
    previous_line: Option<u32>,
    /// The document is a final account: `年初预算为X` states the budget of the measure.
    final_account: bool,
    /// The previous mention: (line, sentence, attributed).
    last_mention: Option<(u32, u32, bool)>,
    /// The last line that gives a reason (`主要原因：…`).
    reason_line: Option<u32>,
    out: ProseOutput,
}

/// Extracts the facts printed in prose lines.
pub fn extract(lines: &[ProseLine], identity: &Identity, codes: &CodeBook<'_>) -> ProseOutput {
    let mut department_names = Vec::new();
    if let Some(d) = &identity.department {
        department_names.push(normalize::name_key(d));
        if let Some(m) = catalog().regions.prefix(d) {
            let rest: String = d.chars().skip(m.printed_len).collect();
            department_names.push(normalize::name_key(&rest));
        }
    }
    let mut reader = Reader {
        catalog: catalog(),
        codes,
        year: identity.fiscal_year,
        department_names,
        frames: Vec::new(),
        subject: None,
        subject_name: None,
        subject_fact: None,
        value_facts: HashMap::default(),
        section_major: String::new(),
        section_minor: String::new(),
        previous_line: None,
        final_account: identity.kind == Some(crate::model::Kind::Final),
        last_mention: None,
        reason_line: None,
        out: ProseOutput::default(),
    };
    for line in lines {
        if crate::guard::expired() {
            break;
        }
        if line.text.trim().is_empty() || line.contents {
            continue;
        }
        reader.read_line(&Line::new(line));
        if line.text.contains("原因") {
            reader.reason_line = Some(line.number);
        }
        reader.previous_line = Some(line.number);
    }
    let mut out = reader.out;
    out.lists.retain(|l| !l.children.is_empty());
    out
}

enum Event {
    Mention(Mention),
    Connector { start: usize, end: usize },
    Flat { start: usize, end: usize },
}

impl Event {
    fn position(&self) -> usize {
        match self {
            Event::Mention(m) => m.start,
            Event::Connector { start, .. } | Event::Flat { start, .. } => *start,
        }
    }
}

/// What a label says about its number.
#[derive(Debug)]
struct LabelParts {
    aspect: Aspect,
    /// The part naming the measure (before 占 / 完成 / the comparator), as char range.
    subject: (usize, usize),
    /// For shares: the part after 占.
    basis: Option<(usize, usize)>,
    negative: bool,
    /// `支出决算为X`: the amount of the measure named before, not a new one.
    inherit: bool,
}

impl Reader<'_> {
    fn read_line(&mut self, line: &Line) {
        match line.marker {
            Marker::Part => {
                self.frames.clear();
                self.subject = None;
                self.subject_fact = None;
                self.section_major.clear();
                self.section_minor.clear();
            }
            Marker::Major => {
                self.frames.clear();
                self.subject = None;
                self.subject_fact = None;
                self.section_major = heading_words(line);
                self.section_minor.clear();
            }
            Marker::Minor => {
                self.frames.clear();
                self.subject = None;
                self.subject_fact = None;
                self.section_minor = heading_words(line);
            }
            Marker::Item(level) => self.frames.retain(|f| f.level < level),
            // `2026年部门预算编制说明`: a heading without a number opens a section too.
            Marker::None if is_plain_heading(line) => {
                self.frames.clear();
                self.subject = None;
                self.subject_fact = None;
                self.section_major = heading_words(line);
                self.section_minor.clear();
            }
            Marker::None => {}
        }

        // `1.社会保障和就业支出（类）…（项），主要用于…。年初预算为…`: an item named without its
        // amount is still the subject of what follows.
        if let Some((target, name)) = self.leading_class_path(line) {
            self.subject = Some(target);
            self.subject_name = Some(name);
            self.subject_fact = None;
        }
        let text = line.text.as_str();
        let raw = line.raw_text.as_str();
        let mut events: Vec<Event> = mentions(text, raw)
            .into_iter()
            .map(Event::Mention)
            .collect();
        let char_of = |byte: usize| line.char_at_byte(byte);
        for m in connector_regex().find_iter(text) {
            events.push(Event::Connector {
                start: char_of(m.start()),
                end: char_of(m.end()),
            });
        }
        for m in flat_regex().find_iter(text) {
            events.push(Event::Flat {
                start: char_of(m.start()),
                end: char_of(m.end()),
            });
        }
        events.sort_by_key(Event::position);

        let mut floor = line.marker_end;
        for event in events {
            match event {
                Event::Mention(m) => {
                    if m.start < floor {
                        continue;
                    }
                    self.read_mention(line, &m, floor);
                    floor = m.end;
                }
                Event::Connector { start, end } => {
                    if start < floor {
                        continue;
                    }
                    self.open_list(line, start, end);
                    floor = end;
                }
                Event::Flat { start, end } => {
                    if start >= floor {
                        self.read_flat(line, start, end, floor);
                    }
                }
            }
        }
    }

    fn open_list(&mut self, line: &Line, start: usize, end: usize) {
        let Some(parent) = self.subject.clone() else {
            return;
        };
        // A connector continues a measure named on its own line, or opens its line
        // (`其中：…` under the previous line); `本部门包含…` mid-line is a verb, not a list.
        let parent_fact = self.subject_fact.filter(|&i| {
            self.out
                .facts
                .get(i)
                .is_some_and(|f| f.line == Some(line.number))
                || line.folded[line.marker_end..start]
                    .iter()
                    .all(|c| c.is_whitespace() || matches!(c, ':' | ','))
        });
        let Some(parent_fact) = parent_fact else {
            return;
        };
        let list = self.out.lists.len();
        // `…支出决算为4733.14万元…。决算数大于预算数的主要原因：…。其中：` — a list after the
        // reason lists the items the reason is about.
        let detached = self.out.facts.get(parent_fact).is_some_and(|f| {
            if f.line == Some(line.number) {
                let after_fact = f
                    .span
                    .and_then(|(_, e)| line.to_printed.iter().position(|&p| p >= e))
                    .unwrap_or(0);
                after_fact < start && line.text(after_fact, start).contains("原因")
            } else {
                self.reason_line
                    .is_some_and(|r| f.line.is_some_and(|fl| r >= fl && r < line.number))
            }
        });
        self.out.lists.push(ListGroup {
            parent: parent_fact,
            children: Vec::new(),
            connector: line.text(start, end).to_string(),
            detached,
        });
        let at_line_end = line.folded[end..]
            .iter()
            .all(|c| c.is_whitespace() || matches!(c, ':' | '。' | ','));
        let pos = end.saturating_sub(1);
        let sentence = line.sentence.get(pos).copied().unwrap_or(0);
        let nested = self.frames.iter().any(|f| {
            f.line == line.number
                && f.sentence == sentence
                && self
                    .out
                    .lists
                    .get(f.list)
                    .is_some_and(|l| l.children.contains(&parent_fact))
        });
        let until = nested.then(|| {
            (end..line.folded.len())
                .find(|&i| line.folded[i] == ';' && line.depth.get(i).copied().unwrap_or(0) == 0)
                .unwrap_or(line.folded.len())
        });
        self.frames.push(Frame {
            parent,
            list,
            level: line.level(),
            line: line.number,
            sentence: line.sentence.get(pos).copied().unwrap_or(0),
            group: line.group.get(pos).copied().unwrap_or(0),
            at_line_end,
            until,
        });
    }

    /// Records a fact as an item of the list it was printed in. Items printed inline after the
    /// connector are the list; numbered lines after an inline list restate it in detail and
    /// are not counted twice, nor is an item printed twice.
    fn record_item(&mut self, frame: &Frame, line: &Line, index: usize) {
        let Some(key) = self.out.facts.get(index).map(Fact::key) else {
            return;
        };
        let facts = &self.out.facts;
        let Some(list) = self.out.lists.get_mut(frame.list) else {
            return;
        };
        let inline = frame.line == line.number;
        let has_inline = list
            .children
            .iter()
            .any(|&c| facts.get(c).is_some_and(|f| f.line == Some(frame.line)));
        if !inline && has_inline {
            return;
        }
        if list
            .children
            .iter()
            .any(|&c| facts.get(c).map(Fact::key) == Some(key.clone()))
        {
            return;
        }
        list.children.push(index);
    }

    /// The list a mention at `pos` of `line` belongs to, if any.
    fn frame_for(&self, line: &Line, pos: usize) -> Option<&Frame> {
        let sentence = line.sentence.get(pos).copied().unwrap_or(0);
        let group = line.group.get(pos).copied().unwrap_or(0);
        let level = line.level();
        self.frames.iter().rev().find(|f| {
            if f.until.is_some_and(|u| f.line == line.number && pos > u) {
                return false;
            }
            if f.line == line.number {
                f.sentence == sentence && line.within_group(group, f.group)
            } else if level > 0 {
                // Numbered lines break down a list whose connector ended its line
                // (`其中：` / `1.…`), not one that was already listed inline.
                level > f.level && f.at_line_end
            } else {
                f.at_line_end && self.previous_line == Some(f.line)
            }
        })
    }

    fn section_key(&self) -> String {
        format!("{}{}", self.section_major, self.section_minor)
    }

    /// Splits a label into aspect, subject and basis parts.
    fn label_parts(&self, line: &Line, from: usize, to: usize, unit: Unit) -> Option<LabelParts> {
        let label = line.text(from, to);
        let at = |byte: usize| from + label[..byte].chars().count();
        let percent = unit == Unit::Percent;
        if percent {
            if let Some(b) = label.rfind('占') {
                let after = at(b + '占'.len_utf8());
                return Some(LabelParts {
                    aspect: Aspect::SharePct,
                    subject: (from, at(b)),
                    basis: Some((after, to)),
                    negative: false,
                    inherit: false,
                });
            }
            if let Some(m) = completion_regex().find(label) {
                return Some(LabelParts {
                    aspect: Aspect::CompletionPct,
                    subject: (from, at(m.start())),
                    basis: None,
                    negative: false,
                    inherit: false,
                });
            }
        }
        let trimmed = label.trim_end();
        // Final accounts: `年初预算为X万元，支出决算为Y万元` — the budget and the amount spent of
        // the measure named before (or in front of the phrase).
        if self.final_account && !percent {
            if let Some(m) = budget_phrase_regex().find(trimmed) {
                return Some(LabelParts {
                    aspect: Aspect::Budget,
                    subject: (from, at(m.start())),
                    basis: None,
                    negative: false,
                    inherit: true,
                });
            }
            if let Some(m) = actual_phrase_regex().find(trimmed) {
                return Some(LabelParts {
                    aspect: Aspect::Value,
                    subject: (from, at(m.start())),
                    basis: None,
                    negative: false,
                    inherit: true,
                });
            }
        }
        // Budgets: `2025年当年预算执行数为X万元，2026年预算安排Y万元，比2025年执行数增加p%`.
        if !self.final_account && !percent {
            if let Some(c) = prior_phrase_regex().captures(trimmed) {
                let year = c.name("year").and_then(|y| y.as_str().parse::<i32>().ok());
                // Another year's execution is not the base of this year's change.
                if year.is_some_and(|y| self.year.is_some_and(|d| y != d - 1)) {
                    return None;
                }
                let start = c.get(0).map_or(trimmed.len(), |m| m.start());
                return Some(LabelParts {
                    aspect: Aspect::Prior,
                    subject: (from, at(start)),
                    basis: None,
                    negative: false,
                    inherit: true,
                });
            }
            if let Some(c) = plan_phrase_regex().captures(trimmed) {
                let year = c.name("year").and_then(|y| y.as_str().parse::<i32>().ok());
                if year.is_none_or(|y| self.year.is_none_or(|d| y == d)) {
                    return Some(LabelParts {
                        aspect: Aspect::Value,
                        subject: (from, from),
                        basis: None,
                        negative: false,
                        inherit: true,
                    });
                }
            }
        }
        if let Some(c) = direction_regex().captures(trimmed) {
            let verb = c.get(1).map_or("", |m| m.as_str());
            let negative = matches!(verb, "减少" | "降低" | "下降" | "降幅" | "减幅" | "减");
            let verb_start = c.get(0).map_or(trimmed.len(), |m| m.start());
            let mut subject_end = verb_start;
            if let Some(m) = comparator_regex().find(&trimmed[..verb_start]) {
                subject_end = subject_end.min(m.start());
            }
            return Some(LabelParts {
                aspect: if percent {
                    Aspect::YoyPct
                } else {
                    Aspect::YoyDelta
                },
                subject: (from, at(subject_end)),
                basis: None,
                negative,
                inherit: false,
            });
        }
        Some(LabelParts {
            aspect: Aspect::Value,
            subject: (from, to),
            basis: None,
            negative: false,
            inherit: false,
        })
    }

    /// True when the sentence up to `pos` compares with the prior year (not with a budget).
    fn is_year_on_year(&self, line: &Line, pos: usize) -> bool {
        // The comparison (`与上年相比`, `比2022年`) is printed within the statement, a few dozen
        // characters before its change: looking further back in a sentence without end (a
        // 50 MB line) made every change cost the whole line.
        const LOOKBACK: usize = 200;
        let start = line.sentence_start(pos).max(pos.saturating_sub(LOOKBACK));
        let prefix = line.text(start, pos);
        let mut found = false;
        for c in comparator_regex().captures_iter(prefix) {
            found = match (c.name("year"), self.year) {
                (Some(y), Some(doc_year)) => y.as_str().parse::<i32>().ok() == Some(doc_year - 1),
                _ => true,
            };
        }
        found
    }

    fn read_mention(&mut self, line: &Line, m: &Mention, floor: usize) {
        let label_start = line.clause_start(m.start, floor);
        let from = strip_markers(&line.folded, label_start, m.start);
        let mention_depth = line.depth.get(m.start).copied().unwrap_or(0);
        let label_raw = line.raw_text(from, m.start).trim().to_string();
        let Some(parts) = self.label_parts(line, from, m.start, m.unit) else {
            return;
        };
        let frame = self.frame_for(line, m.start).cloned();
        // `支出预算：2023年年初预算数…` — the words before a colon name the topic.
        let topic = (label_start > floor && line.folded[label_start - 1] == ':').then(|| {
            let end = label_start - 1;
            let start = strip_markers(&line.folded, line.clause_start(end, floor), end);
            Key::new(line, start, end)
        });

        let sentence = line.sentence.get(m.start).copied().unwrap_or(0);
        let after_unattributed = self.last_mention == Some((line.number, sentence, false));
        // Set when the number's words do not name its measure and the subject before does.
        let via_subject = std::cell::Cell::new(false);
        let subject = || {
            via_subject.set(true);
            self.subject.clone()
        };
        let target = match parts.aspect {
            Aspect::Value if parts.inherit => {
                let key = Key::new(line, parts.subject.0, parts.subject.1);
                self.resolve(
                    &key,
                    mention_depth,
                    Some(m.unit.kind()),
                    frame.as_ref(),
                    topic.as_ref(),
                )
                .or_else(subject)
            }
            Aspect::Value => {
                let key = Key::new(line, parts.subject.0, parts.subject.1);
                let named = self.resolve(
                    &key,
                    mention_depth,
                    Some(m.unit.kind()),
                    frame.as_ref(),
                    topic.as_ref(),
                );
                match named {
                    Some(t) => Some(t),
                    None => self.list_item(line, parts.subject, m.unit.kind(), frame.as_ref()),
                }
            }
            Aspect::YoyDelta | Aspect::YoyPct => {
                if !self.is_year_on_year(line, m.start) {
                    None
                } else {
                    let key = Key::new(line, parts.subject.0, parts.subject.1);
                    self.resolve(&key, mention_depth, None, frame.as_ref(), topic.as_ref())
                        .or_else(subject)
                }
            }
            _ => {
                let key = Key::new(line, parts.subject.0, parts.subject.1);
                let named = self.resolve(&key, mention_depth, None, frame.as_ref(), topic.as_ref());
                // `“一般公共服务”306.90万元，占1.61%`: a share of an amount nobody could name
                // is not the share of the measure named before.
                if named.is_none() && after_unattributed {
                    None
                } else {
                    named.or_else(subject)
                }
            }
        };

        let named_as = if via_subject.get() {
            self.subject_name.clone()
        } else {
            None
        };
        let Some(target) = target else {
            self.last_mention = Some((
                line.number,
                line.sentence.get(m.start).copied().unwrap_or(0),
                false,
            ));
            self.out.unmapped.push(Unmapped {
                location: line.location_at(m.start),
                raw: m.raw.clone(),
                label: label_raw,
            });
            return;
        };
        if parts.aspect == Aspect::YoyDelta && target.unit != m.unit.kind() {
            return;
        }
        self.last_mention = Some((line.number, sentence, true));
        let basis = parts.basis.and_then(|(s, e)| {
            let key = Key::new(line, s, e);
            self.resolve(&key, mention_depth, None, frame.as_ref(), None)
                .or_else(|| frame.as_ref().map(|f| f.parent.clone()))
                .map(|t| FactKey {
                    metric: t.metric,
                    code: t.code,
                    item: t.item,
                    aspect: Aspect::Value,
                    period: None,
                })
        });
        let (value, unit) = match m.value {
            Some(v) => {
                let (v, u) = m.unit.normalize(v);
                (Some(if parts.negative { -v } else { v }), u)
            }
            None => (None, m.unit.normalize(Decimal::ZERO).1),
        };
        let period = self.label_period(&label_raw, parts.aspect);
        self.out.facts.push(Fact {
            metric: target.metric.clone(),
            code: target.code.clone(),
            item: target.item.clone(),
            aspect: parts.aspect,
            value,
            unit,
            raw: m.raw.clone(),
            source: Source::Prose,
            location: line.location_at(m.start),
            printed: m.value,
            printed_unit: m.unit,
            label: label_raw,
            basis,
            quote: line.raw_text(from, m.end).trim_start().to_string(),
            span: Some(line.printed_span(from, m.end)),
            line: Some(line.number),
            table: None,
            period,
            named_as,
        });
        let index = self.out.facts.len() - 1;
        if let Some(f) = &frame {
            self.record_item(f, line, index);
        }
        // `支出预算490,808.40万元（本年支出预算415,808.40万元），其中：…` — an amount in
        // parentheses is an aside: what follows still breaks down the measure before it.
        let aside = mention_depth > 0
            && self
                .subject_fact
                .and_then(|i| self.out.facts.get(i))
                .is_some_and(|f| f.line == Some(line.number));
        if aside {
            if parts.aspect == Aspect::Value {
                self.value_facts
                    .insert((target.metric, target.code, target.item), index);
            }
        } else {
            self.set_subject(target, index);
        }
    }

    /// The year a label says its figure is for when it is not the document's:
    /// `2021年度“三公”经费支出12万元` in a 2022 final account. A year compared against
    /// (`比2021年`, `与2021年相比`), a date (`截至2021年12月31日`) or a budget's prior-year
    /// execution (aspect `prior`, already apart) is not a period.
    fn label_period(&self, label: &str, aspect: Aspect) -> Option<i32> {
        static YEAR: OnceLock<Regex> = OnceLock::new();
        let year_re = re(&YEAR, r"(20\d{2})\s*年\s*(度)?\s*(\d{1,2}\s*月|底|末)?");
        let own = self.year?;
        if aspect == Aspect::Prior {
            return None;
        }
        let folded = normalize::fold(label);
        let mut found = None;
        for c in year_re.captures_iter(&folded) {
            let Some(whole) = c.get(0) else { continue };
            if c.get(3).is_some() {
                continue;
            }
            let before: String = folded[..whole.start()]
                .trim_end()
                .chars()
                .rev()
                .take(3)
                .collect();
            let compared = ["比", "较", "与", "同", "对"]
                .iter()
                .any(|w| before.starts_with(w));
            let after = folded[whole.end()..].trim_start();
            if compared || after.starts_with("相比") || after.starts_with("比较") {
                continue;
            }
            let y: i32 = c[1].parse().ok()?;
            if found.is_some_and(|f| f != y) {
                return None;
            }
            found = Some(y);
        }
        found.filter(|y| *y != own)
    }

    /// Makes `target` the current subject; its value fact (this one, or the latest printed)
    /// is what a following connector breaks down.
    fn set_subject(&mut self, target: Target, index: usize) {
        let measure = (
            target.metric.clone(),
            target.code.clone(),
            target.item.clone(),
        );
        if self
            .out
            .facts
            .get(index)
            .is_some_and(|f| f.aspect == Aspect::Value)
        {
            self.value_facts.insert(measure.clone(), index);
        }
        self.subject_fact = self.value_facts.get(&measure).copied();
        let changed = self.subject.as_ref().is_none_or(|s| {
            (&s.metric, &s.code, &s.item) != (&target.metric, &target.code, &target.item)
        });
        if let Some(f) = self.out.facts.get(index) {
            if f.named_as.is_none() && f.aspect == Aspect::Value {
                let label = f
                    .label
                    .trim()
                    .trim_end_matches(|c: char| "为是：:，,".contains(c) || c.is_whitespace());
                self.subject_name = (!label.is_empty()).then(|| label.to_string());
            } else if changed {
                self.subject_name = None;
            }
        }
        self.subject = Some(target);
    }

    /// The measure a flat (`与上年持平`) figure is about: named in its label, or the current
    /// subject.
    fn subject_of(
        &self,
        line: &Line,
        (start, end): (usize, usize),
        depth: u8,
        frame: Option<&Frame>,
        topic: Option<&Key>,
    ) -> Option<Target> {
        let key = Key::new(line, start, end);
        self.resolve(&key, depth, None, frame, topic)
            .or_else(|| self.subject.clone())
    }

    /// An unnamed label inside a list: an item (or resolvable sub-code) of the list's parent.
    fn list_item(
        &self,
        line: &Line,
        (start, end): (usize, usize),
        unit: UnitKind,
        frame: Option<&Frame>,
    ) -> Option<Target> {
        let frame = frame?;
        if frame.parent.unit != unit {
            return None;
        }
        let item = line
            .raw_text(start, end)
            .trim()
            .trim_matches(|c: char| c.is_whitespace() || "，,：:；;、。".contains(c))
            .to_string();
        // `住房改革支出预算数为` names 住房改革支出.
        let item = ["为", "是"]
            .iter()
            .find_map(|w| item.strip_suffix(w))
            .map_or(item.as_str(), str::trim_end);
        let item = ["预算数", "决算数", "执行数"]
            .iter()
            .find_map(|w| item.strip_suffix(w))
            .filter(|rest| rest.chars().count() >= 2)
            .unwrap_or(item)
            .to_string();
        let folded_item = normalize::fold(&item);
        if item.is_empty() || folded_item.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let parent = &frame.parent;
        if let Some(code) = &parent.code {
            if let Some(sub) = self.codes.child_named(code, &item) {
                return Some(Target {
                    code: Some(sub),
                    item: None,
                    ..parent.clone()
                });
            }
        }
        Some(Target {
            item: Some(item),
            ..parent.clone()
        })
    }

    /// Names a measure from a label key (and the colon topic), or `None`.
    fn resolve(
        &self,
        key: &Key,
        depth: u8,
        unit: Option<UnitKind>,
        frame: Option<&Frame>,
        topic: Option<&Key>,
    ) -> Option<Target> {
        if let Some(t) = self.resolve_class_path(key, frame) {
            return Some(t);
        }
        let hit = self.choose(key, depth, unit, frame);
        let from_topic = match (&hit, topic) {
            (Some(h), _) if !h.term.weak => None,
            (_, Some(t)) => self
                .choose(t, u8::MAX, unit, frame)
                .filter(|h| !h.term.weak),
            _ => None,
        };
        let (key, hit) = match (from_topic, hit) {
            (Some(h), _) => (topic?, h),
            (None, Some(h)) => (key, h),
            (None, None) => return None,
        };
        self.target_of(key, &hit, frame, topic)
    }

    /// A `（类）…（款）…（项）` path opening the line, up to its first punctuation.
    fn leading_class_path(&self, line: &Line) -> Option<(Target, String)> {
        let start = line.marker_end;
        let end = (start..line.folded.len())
            .find(|&i| {
                matches!(line.folded[i], ',' | '。' | ';' | ':' | '，')
                    || line.folded[i].is_ascii_digit() && line.depth[i] == 0
            })
            .unwrap_or(line.folded.len());
        if end <= start {
            return None;
        }
        let key = Key::new(line, start, end);
        if !key.text.ends_with("(项)") {
            return None;
        }
        let frame = self.frame_for(line, start).cloned();
        let name = line
            .raw_text(start, end)
            .trim()
            .trim_matches(|c: char| normalize::is_quote(c) || c.is_whitespace())
            .to_string();
        self.resolve_class_path(&key, frame.as_ref())
            .map(|t| (t, name))
    }

    fn resolve_class_path(&self, key: &Key, frame: Option<&Frame>) -> Option<Target> {
        let c = class_path_regex().captures(&key.text)?;
        // `18“社会保障和就业支出（类）…`: an item number printed without its point.
        let class =
            c[1].trim_start_matches(|ch: char| ch.is_ascii_digit() || ch == '.' || ch == '、');
        let (kuan, xiang) = (&c[2], &c[3]);
        // The measure: the list's, else the fund the section is about
        // (`一般公共预算财政拨款支出决算具体情况` → 一般公共预算财政拨款支出), else 支出.
        let metric = frame.map(|f| f.parent.metric.clone()).unwrap_or_else(|| {
            self.family(&Key::from_str(""), 0, None, None)
                .metric(Role::Total)
                .cloned()
                .unwrap_or_else(|| MetricKey::new("expenditure.total"))
        });
        let (class_code, full) = self.codes.resolve_path(class, kuan, xiang);
        let (code, item) = match (full, class_code) {
            (Some(full), _) => (Some(full), None),
            (None, Some(class_code)) => (Some(class_code), Some(xiang.to_string())),
            (None, None) => return None,
        };
        Some(Target {
            metric,
            code,
            item,
            unit: UnitKind::Amount,
        })
    }

    /// Picks the phrase naming the measure: strong over weak, nearest to the number, longest.
    fn choose<'k>(
        &'k self,
        key: &Key,
        depth: u8,
        unit: Option<UnitKind>,
        frame: Option<&Frame>,
    ) -> Option<TermHit<'k>> {
        let parent_metric = frame.map(|f| f.parent.metric.as_str());
        let in_list = frame.is_some_and(|f| f.parent.unit == UnitKind::Amount);
        let skip_until = self
            .department_names
            .iter()
            .filter(|n| !n.is_empty())
            .filter_map(|n| key.text.find(n.as_str()).map(|p| (p, p + n.len())))
            .collect::<Vec<_>>();
        let hits: Vec<TermHit<'k>> = self
            .catalog
            .terms
            .find(&key.text)
            .into_iter()
            .filter(|h| key.shallow(h.start, h.end, depth))
            .filter(|h| match (h.term.unit, unit) {
                (Some(t), Some(u)) => t == u,
                _ => true,
            })
            .filter(|h| match (&h.term.within, parent_metric) {
                (None, _) => true,
                (Some(prefix), Some(p)) => p.starts_with(prefix.as_str()),
                (Some(_), None) => false,
            })
            .filter(|h| !skip_until.iter().any(|(s, e)| h.start >= *s && h.end <= *e))
            .collect();
        let contained = |h: &TermHit<'_>| {
            hits.iter().any(|o| {
                o.start <= h.start && o.end >= h.end && (o.end - o.start) > (h.end - h.start)
            })
        };
        // Two phrases sharing characters (`教育支出` and `支出预算` in `教育支出预算数`): the
        // one printed first names the thing, the other only borrows its last word.
        let overlapped = |h: &TermHit<'_>| h.overlapped_by_earlier(&hits);
        let kept: Vec<&TermHit<'k>> = hits
            .iter()
            .filter(|h| !contained(h) && !overlapped(h))
            .collect();
        // Computed once per label, and only when a phrase needs it.
        let mask = std::cell::OnceCell::new();
        let filler = || mask.get_or_init(|| self.filler_mask(key, &skip_until));
        let strong: Vec<&&TermHit<'k>> = kept
            .iter()
            .filter(|h| {
                if h.term.weak {
                    return false;
                }
                let role = matches!(h.term.meaning, TermMeaning::Role(_));
                if role {
                    return !Self::names_something_before(key, h, filler(), &hits);
                }
                // In a list, `（2）其他科学技术支出` and `政府采购监管经费` are items whose
                // names merely contain a catalog phrase, not that measure.
                !(in_list && Self::inside_longer_name(key, h, filler(), &hits))
            })
            .collect();
        // `住房改革支出预算数为…`: the part of a total named by words the catalog does not
        // know is that part, not the total (and in a list, an item named around a phrase).
        if strong.is_empty()
            && kept.iter().any(|h| {
                !h.term.weak && (in_list || matches!(h.term.meaning, TermMeaning::Role(_)))
            })
        {
            return None;
        }
        let pool: Vec<&&TermHit<'k>> = if strong.is_empty() {
            kept.iter()
                .filter(|h| Self::weak_term_alone(key, h, filler()))
                .collect()
        } else {
            strong
        };
        pool.into_iter()
            .max_by_key(|h| (h.end, h.end - h.start))
            .map(|h| **h)
    }

    /// Bytes of a label taken by words that name no measure: the department's name, fund
    /// qualifiers, filler (dates, `本部门`, `合计`…).
    fn filler_mask(&self, key: &Key, names: &[(usize, usize)]) -> Vec<bool> {
        let mut covered = vec![false; key.text.len()];
        let mut cover = |s: usize, e: usize| {
            if let Some(c) = covered.get_mut(s..e) {
                c.iter_mut().for_each(|c| *c = true);
            }
        };
        for (s, e) in names {
            cover(*s, *e);
        }
        for (s, e, _) in self.catalog.terms.qualifiers_in(&key.text) {
            cover(s, e);
        }
        for m in filler_regex().find_iter(&key.text) {
            cover(m.start(), m.end());
        }
        covered
    }

    /// A role phrase (`支出预算`, `基本支出`; callers pass roles only) with an unknown name printed right before it
    /// (`住房改革支出预算`) is that name's amount: two or more Han characters that are not
    /// filler (`filler_mask`), a connector or a catalog phrase (`收入` of `收入支出总计`).
    fn names_something_before(
        key: &Key,
        hit: &TermHit<'_>,
        filler: &[bool],
        others: &[TermHit<'_>],
    ) -> bool {
        let connectors: Vec<(usize, usize)> = connector_regex()
            .find_iter(&key.text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let known = |i: usize| {
            filler.get(i).copied().unwrap_or(false)
                || connectors.iter().any(|&(s, e)| s <= i && i < e)
                || others.iter().any(|o| o.start <= i && i < o.end)
        };
        let run = key.text[..hit.start]
            .char_indices()
            .rev()
            .take_while(|(i, c)| !known(*i) && !c.is_ascii() && c.is_alphabetic())
            .count();
        run >= 2
    }

    /// A phrase printed inside a longer name: two or more unknown Han characters right before
    /// a class name (`其他`科学技术支出; `执法`车辆 is still 车辆) or right after any phrase up
    /// to the label's end (政府采购`监管经费`).
    /// Verbs that lead into a list item (`主要用于`) and amount words that close one (`预算`,
    /// `资金`) do not make a name.
    fn inside_longer_name(
        key: &Key,
        hit: &TermHit<'_>,
        filler: &[bool],
        others: &[TermHit<'_>],
    ) -> bool {
        const LEAD: &[&str] = &[
            "主要", "用于", "其中", "包括", "以及", "分别", "和", "及", "是",
        ];
        const TAIL: &[&str] = &[
            "预算", "决算", "执行", "方面", "资金", "拨款", "支出", "收入", "安排", "数",
        ];
        let known = |i: usize| {
            filler.get(i).copied().unwrap_or(false)
                || others.iter().any(|o| {
                    o.start <= i && i < o.end && !(o.start == hit.start && o.end == hit.end)
                })
        };
        let han = |c: char| !c.is_ascii() && c.is_alphabetic();
        let before: String = {
            let mut run: Vec<char> = key.text[..hit.start]
                .char_indices()
                .rev()
                .take_while(|(i, c)| !known(*i) && han(*c))
                .map(|(_, c)| c)
                .collect();
            run.reverse();
            run.into_iter().collect()
        };
        let after: String = key.text[hit.end..]
            .char_indices()
            .take_while(|(i, c)| !known(hit.end + i) && han(*c))
            .map(|(_, c)| c)
            .collect();
        let after_reaches_end = key.text[hit.end + after.len()..]
            .chars()
            .all(|c| !c.is_alphanumeric());
        let strip = |mut s: String, words: &[&str]| {
            for w in words {
                s = s.replace(w, "");
            }
            s.chars().count()
        };
        let class = matches!(hit.term.meaning, TermMeaning::Class(_));
        class && strip(before, LEAD) >= 2 || after_reaches_end && strip(after, TAIL) >= 2
    }

    /// A weak phrase (`支出`, `收入`, `项目`) names the measure only when the rest of the label
    /// is filler — dates, qualifiers, the department's name — so `债务支出` is not a total.
    fn weak_term_alone(key: &Key, hit: &TermHit<'_>, filler: &[bool]) -> bool {
        key.text.char_indices().all(|(i, c)| {
            filler.get(i).copied().unwrap_or(false)
                || (hit.start <= i && i < hit.end)
                || !c.is_alphanumeric()
                || c.is_ascii_digit()
        })
    }

    fn target_of(
        &self,
        key: &Key,
        hit: &TermHit<'_>,
        frame: Option<&Frame>,
        topic: Option<&Key>,
    ) -> Option<Target> {
        match &hit.term.meaning {
            TermMeaning::Metric(metric) => {
                let metric = self.apply_modifiers(key, hit, metric);
                let unit = self
                    .catalog
                    .metric(metric.as_str())
                    .and_then(|m| m.unit)
                    .unwrap_or(UnitKind::Amount);
                Some(Target {
                    metric,
                    code: None,
                    item: None,
                    unit,
                })
            }
            TermMeaning::Role(role) => {
                let family = self.family(key, hit.start, frame, topic);
                let all = self.catalog.terms.family("all");
                let metric = family
                    .metric(*role)
                    .or_else(|| all.and_then(|f| f.metric(*role)))?
                    .clone();
                // A role inside a class's list keeps the class (基本支出 of 201).
                let code = frame
                    .filter(|f| family.contains(&f.parent.metric))
                    .and_then(|f| f.parent.code.clone());
                Some(Target {
                    metric,
                    code,
                    item: None,
                    unit: UnitKind::Amount,
                })
            }
            TermMeaning::Class(code) => {
                let metric = match frame {
                    Some(f) if f.parent.unit == UnitKind::Amount => f.parent.metric.clone(),
                    _ => {
                        let family = self.family(key, hit.start, None, topic);
                        family.metric(Role::Total)?.clone()
                    }
                };
                Some(Target {
                    metric,
                    code: Some(code.clone()),
                    item: None,
                    unit: UnitKind::Amount,
                })
            }
        }
    }

    /// `购置车辆` is a purchase, not the fleet: modifiers printed before a phrase re-map it.
    fn apply_modifiers(&self, key: &Key, hit: &TermHit<'_>, metric: &MetricKey) -> MetricKey {
        let before = &key.text[..hit.start];
        self.catalog
            .modifiers
            .iter()
            .find(|m| m.from == metric.as_str() && before.contains(m.phrase.as_str()))
            .map_or_else(|| metric.clone(), |m| MetricKey::new(m.to.as_str()))
    }

    /// The fund family of a role phrase at `at` in `key`.
    fn family(&self, key: &Key, at: usize, frame: Option<&Frame>, topic: Option<&Key>) -> &Family {
        let terms = &self.catalog.terms;
        let best_qualifier = |k: &Key, limit: usize| {
            terms
                .qualifiers_in(&k.text)
                .into_iter()
                .filter(|(_, e, _)| *e <= limit)
                .max_by_key(|(s, e, _)| (*e, e - s))
                .map(|(_, _, f)| f)
        };
        if let Some(f) = best_qualifier(key, at) {
            return f;
        }
        if let Some(f) = frame.and_then(|f| terms.family_of(&f.parent.metric)) {
            return f;
        }
        if let Some(f) = topic.and_then(|t| best_qualifier(t, t.text.len())) {
            return f;
        }
        for section in [&self.section_minor, &self.section_key()] {
            let k = Key::from_str(section);
            if let Some(f) = best_qualifier(&k, k.text.len()) {
                return f;
            }
        }
        match terms.family("all") {
            Some(f) => f,
            None => &terms.families[0],
        }
    }

    /// `与上年持平`, `较2022年无变化`: a year-on-year change of exactly zero.
    fn read_flat(&mut self, line: &Line, start: usize, end: usize, floor: usize) {
        let clause_start = line.clause_start(start, floor);
        let clause_end = (end..line.folded.len())
            .find(|&i| BOUNDARIES.contains(&line.folded[i]))
            .unwrap_or(line.folded.len());
        let clause = line.text(clause_start, clause_end);
        if budget_comparison_regex().is_match(clause) || !self.is_year_on_year(line, end) {
            return;
        }
        let before = line.text(clause_start, start);
        let subject_end = comparator_regex().find(before).map_or(start, |m| {
            clause_start + before[..m.start()].chars().count()
        });
        let from = strip_markers(&line.folded, clause_start, subject_end);
        let depth = line.depth.get(start).copied().unwrap_or(0);
        let frame = self.frame_for(line, start).cloned();
        let Some(target) = self.subject_of(line, (from, subject_end), depth, frame.as_ref(), None)
        else {
            return;
        };
        let unit = match target.unit {
            UnitKind::Amount => Unit::WanYuan,
            UnitKind::Percent => Unit::Percent,
            UnitKind::Count => Unit::Ge,
            UnitKind::Score => Unit::Score,
            UnitKind::Area => Unit::SquareMeter,
            UnitKind::Other => Unit::Other,
        };
        self.out.facts.push(Fact {
            metric: target.metric.clone(),
            code: target.code.clone(),
            item: target.item.clone(),
            aspect: Aspect::YoyDelta,
            value: Some(Decimal::ZERO),
            unit,
            raw: line.raw_text(start, end),
            source: Source::Prose,
            location: line.location_at(start),
            printed: Some(Decimal::ZERO),
            printed_unit: unit,
            label: line.raw_text(from, start).trim().to_string(),
            basis: None,
            quote: line.raw_text(from, end).trim_start().to_string(),
            span: Some(line.printed_span(from, end)),
            line: Some(line.number),
            table: None,
            period: None,
            named_as: None,
        });
        self.set_subject(target, self.out.facts.len() - 1);
    }
}

#[cfg(test)]
mod tests;
