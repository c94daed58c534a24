//! Printed phrases → meanings: metric terms, fund-dependent roles and class names.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;

use super::codes::CodeTable;
use super::{parse_toml, CatalogError};
use crate::ingest::normalize;
use crate::model::{Code, MetricKey, UnitKind};

/// A part of a spending total whose metric depends on the fund (see `roles.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Total,
    Basic,
    Project,
    Personnel,
    Public,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "total" => Role::Total,
            "basic" => Role::Basic,
            "project" => Role::Project,
            "personnel" => Role::Personnel,
            "public" => Role::Public,
            _ => return None,
        })
    }
}

/// What a phrase means.
#[derive(Clone, Debug, PartialEq)]
pub enum TermMeaning {
    Metric(MetricKey),
    Role(Role),
    /// A 类-level classification name (`一般公共服务支出` → 201, `工资福利支出` → 301).
    Class(Code),
}

/// A printed phrase of the catalog.
#[derive(Clone, Debug)]
pub struct Term {
    /// Folded, without spaces or quotes.
    pub phrase: String,
    pub meaning: TermMeaning,
    /// Used only when no strong phrase is printed.
    pub weak: bool,
    /// The unit family the number must have; `None` accepts any.
    pub unit: Option<UnitKind>,
    /// Only inside a list whose parent metric starts with this prefix.
    pub within: Option<String>,
}

/// A fund family: the metric each role takes under that fund.
#[derive(Clone, Debug)]
pub struct Family {
    pub id: String,
    pub qualifiers: Vec<String>,
    pub roles: HashMap<Role, MetricKey>,
    pub also: Vec<MetricKey>,
}

impl Family {
    pub fn metric(&self, role: Role) -> Option<&MetricKey> {
        self.roles.get(&role)
    }
    pub fn contains(&self, metric: &MetricKey) -> bool {
        self.roles.values().any(|m| m == metric) || self.also.contains(metric)
    }
}

/// One occurrence of a phrase in a key string (byte offsets into that string).
#[derive(Clone, Copy, Debug)]
pub struct TermHit<'a> {
    pub start: usize,
    pub end: usize,
    pub term: &'a Term,
}

impl TermHit<'_> {
    /// Another phrase printed first runs into this one (`应编制` into `编制绩效目标的项目`,
    /// `教育支出` into `支出预算` in `教育支出预算数`): that one names the thing, this one only
    /// borrows its last characters.
    pub fn overlapped_by_earlier(&self, others: &[TermHit<'_>]) -> bool {
        others
            .iter()
            .any(|o| o.start < self.start && o.end > self.start && o.end < self.end)
    }
}

/// All phrases, indexed for overlapping search.
#[derive(Debug)]
pub struct TermIndex {
    terms: Vec<Term>,
    /// pattern id → indices into `terms` sharing that phrase.
    by_pattern: Vec<Vec<usize>>,
    matcher: AhoCorasick,
    pub families: Vec<Family>,
    qualifiers: Vec<(String, usize)>,
    qualifier_matcher: AhoCorasick,
}

impl TermIndex {
    /// Every phrase occurring in `key` (overlaps included).
    pub fn find<'a>(&'a self, key: &str) -> Vec<TermHit<'a>> {
        let mut hits = Vec::new();
        for m in self.matcher.find_overlapping_iter(key) {
            for &t in &self.by_pattern[m.pattern().as_usize()] {
                hits.push(TermHit {
                    start: m.start(),
                    end: m.end(),
                    term: &self.terms[t],
                });
            }
        }
        hits
    }

    /// Fund qualifiers in `key` as (start, end, family); overlapping ones included.
    pub fn qualifiers_in(&self, key: &str) -> Vec<(usize, usize, &Family)> {
        self.qualifier_matcher
            .find_overlapping_iter(key)
            .map(|m| {
                let family = self.qualifiers[m.pattern().as_usize()].1;
                (m.start(), m.end(), &self.families[family])
            })
            .collect()
    }

    pub fn family(&self, id: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.id == id)
    }

    /// The family a metric belongs to, most specific (fewest members) first.
    pub fn family_of(&self, metric: &MetricKey) -> Option<&Family> {
        self.families.iter().find(|f| f.contains(metric))
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }
}

#[derive(Deserialize)]
struct RolesFile {
    role: Vec<RawRole>,
    family: Vec<RawFamily>,
}

#[derive(Deserialize)]
struct RawRole {
    name: String,
    #[serde(default)]
    weak: bool,
    terms: Vec<String>,
}

#[derive(Deserialize)]
struct RawFamily {
    id: String,
    qualifiers: Vec<String>,
    #[serde(flatten)]
    roles: HashMap<String, toml::Value>,
}

/// Generic class names that would match far too much or equal a fund (国有资本经营预算支出).
fn usable_class_name(key: &str, qualifiers: &[String]) -> bool {
    key != "其他支出" && !qualifiers.iter().any(|q| key.contains(q.as_str()))
}

pub(super) type MetricTerms = (
    MetricKey,
    Option<UnitKind>,
    Vec<String>,
    Vec<String>,
    Vec<(String, String)>,
);

pub(super) fn build(
    roles_text: &str,
    metric_terms: &[MetricTerms],
    functions: &CodeTable,
    economics: &CodeTable,
    known: &dyn Fn(&str) -> bool,
) -> Result<TermIndex, CatalogError> {
    let file: RolesFile = parse_toml("roles.toml", roles_text)?;
    let invalid = |message: String| CatalogError::Invalid {
        file: "roles.toml",
        message,
    };

    let mut families = Vec::new();
    for f in file.family {
        let mut roles = HashMap::new();
        let mut also = Vec::new();
        for (name, value) in f.roles {
            if name == "also" {
                for v in value.as_array().into_iter().flatten() {
                    let m = v.as_str().unwrap_or_default();
                    if !known(m) {
                        return Err(invalid(format!("family {}: unknown metric {m:?}", f.id)));
                    }
                    also.push(MetricKey::new(m));
                }
                continue;
            }
            let role = Role::parse(&name)
                .ok_or_else(|| invalid(format!("family {}: unknown role {name:?}", f.id)))?;
            let m = value.as_str().unwrap_or_default();
            if !known(m) {
                return Err(invalid(format!("family {}: unknown metric {m:?}", f.id)));
            }
            roles.insert(role, MetricKey::new(m));
        }
        families.push(Family {
            id: f.id,
            qualifiers: f
                .qualifiers
                .iter()
                .map(|q| normalize::name_key(q))
                .collect(),
            roles,
            also,
        });
    }
    let all_qualifiers: Vec<String> = families
        .iter()
        .flat_map(|f| f.qualifiers.iter().cloned())
        .collect();

    let mut terms = Vec::new();
    for (metric, unit, strong, weak, within) in metric_terms {
        for (phrases, is_weak) in [(strong, false), (weak, true)] {
            for p in phrases {
                terms.push(Term {
                    phrase: normalize::name_key(p),
                    meaning: TermMeaning::Metric(metric.clone()),
                    weak: is_weak,
                    unit: *unit,
                    within: None,
                });
            }
        }
        for (prefix, p) in within {
            terms.push(Term {
                phrase: normalize::name_key(p),
                meaning: TermMeaning::Metric(metric.clone()),
                weak: false,
                unit: *unit,
                within: Some(prefix.clone()),
            });
        }
    }
    for r in file.role {
        let role = Role::parse(&r.name).ok_or_else(|| invalid(format!("role {:?}", r.name)))?;
        for p in r.terms {
            terms.push(Term {
                phrase: normalize::name_key(&p),
                meaning: TermMeaning::Role(role),
                weak: r.weak,
                unit: Some(UnitKind::Amount),
                within: None,
            });
        }
    }
    for table in [functions, economics] {
        for entry in table.entries().filter(|e| e.code.as_str().len() == 3) {
            for name in &entry.names {
                let key = normalize::name_key(&name.name);
                if usable_class_name(&key, &all_qualifiers) {
                    terms.push(Term {
                        phrase: key,
                        meaning: TermMeaning::Class(entry.code.clone()),
                        weak: false,
                        unit: Some(UnitKind::Amount),
                        within: None,
                    });
                }
            }
        }
    }

    let mut patterns: Vec<String> = Vec::new();
    let mut by_pattern: Vec<Vec<usize>> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, t) in terms.iter().enumerate() {
        let id = *seen.entry(t.phrase.clone()).or_insert_with(|| {
            patterns.push(t.phrase.clone());
            by_pattern.push(Vec::new());
            patterns.len() - 1
        });
        by_pattern[id].push(i);
    }
    let matcher = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .map_err(|e| invalid(format!("term index: {e}")))?;

    let mut qualifiers: Vec<(String, usize)> = families
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.qualifiers.iter().map(move |q| (q.clone(), i)))
        .collect();
    qualifiers.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    let qualifier_matcher = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(qualifiers.iter().map(|(q, _)| q.as_str()))
        .map_err(|e| invalid(format!("qualifier index: {e}")))?;

    Ok(TermIndex {
        terms,
        by_pattern,
        matcher,
        families,
        qualifiers,
        qualifier_matcher,
    })
}
