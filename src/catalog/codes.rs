//! Classification code tables (功能分类, 经济分类) with names valid per budget year.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{parse_toml, CatalogError};
use crate::ingest::normalize;
use crate::model::Code;

/// One printed name of a code and the budget years it was in use.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeName {
    pub name: String,
    key: String,
    pub since: Option<i32>,
    pub until: Option<i32>,
}

impl CodeName {
    pub fn valid_in(&self, year: i32) -> bool {
        self.since.is_none_or(|s| year >= s) && self.until.is_none_or(|u| year <= u)
    }
}

/// A code and all its names.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeEntry {
    pub code: Code,
    pub names: Vec<CodeName>,
}

impl CodeEntry {
    /// The name in use in `year`, or the newest one.
    pub fn name_in(&self, year: Option<i32>) -> &str {
        year.and_then(|y| self.names.iter().find(|n| n.valid_in(y)))
            .or(self.names.first())
            .map_or("", |n| n.name.as_str())
    }
    /// The matching name, if `text` is one of this code's names (any year).
    pub fn matching_name(&self, text: &str) -> Option<&CodeName> {
        self.name_with_key(&match_key(text))
    }

    /// The name whose [`match_key`] is `key`.
    fn name_with_key(&self, key: &str) -> Option<&CodeName> {
        self.names.iter().find(|n| n.key == key)
    }
}

/// A table of codes, ordered by code.
#[derive(Clone, Debug, Default)]
pub struct CodeTable {
    entries: BTreeMap<String, CodeEntry>,
}

/// Comparison key for classification names: folded, no spaces/quotes, no trailing 支出.
pub fn match_key(text: &str) -> String {
    let key = normalize::name_key(text);
    match key.strip_suffix("支出") {
        Some(stem) if stem.chars().count() >= 2 => stem.to_string(),
        _ => key,
    }
}

impl CodeTable {
    pub fn get(&self, code: &Code) -> Option<&CodeEntry> {
        self.entries.get(code.as_str())
    }

    pub fn entries(&self) -> impl Iterator<Item = &CodeEntry> {
        self.entries.values()
    }

    /// Codes of the given length whose name (any year) matches `text`, in code order.
    pub fn named(&self, text: &str, len: usize) -> Vec<&CodeEntry> {
        let key = match_key(text);
        self.entries
            .values()
            .filter(|e| e.code.as_str().len() == len && e.name_with_key(&key).is_some())
            .collect()
    }

    /// Descendants of `parent` (any depth) whose name matches `text`.
    pub fn descendants_named(&self, parent: &Code, text: &str) -> Vec<&CodeEntry> {
        let key = match_key(text);
        self.entries
            .range(parent.as_str().to_string()..)
            .take_while(|(k, _)| k.starts_with(parent.as_str()))
            .map(|(_, e)| e)
            .filter(|e| e.code.is_descendant_of(parent) && e.name_with_key(&key).is_some())
            .collect()
    }

    /// Adds (or extends) an entry; used to merge a document's own printed codes.
    pub fn insert(&mut self, code: Code, name: &str) {
        let entry = self
            .entries
            .entry(code.as_str().to_string())
            .or_insert_with(|| CodeEntry {
                code: code.clone(),
                names: Vec::new(),
            });
        let key = match_key(name);
        if entry.name_with_key(&key).is_none() {
            entry.names.push(CodeName {
                name: name.to_string(),
                key,
                since: None,
                until: None,
            });
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawNames {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct CodesFile {
    function: BTreeMap<String, RawNames>,
    economic: BTreeMap<String, RawNames>,
}

fn parse_name(file: &'static str, raw: &str) -> Result<CodeName, CatalogError> {
    let (name, range) = match raw.split_once(" @") {
        Some((n, r)) => (n.trim(), Some(r.trim())),
        None => (raw.trim(), None),
    };
    let bad = || CatalogError::Invalid {
        file,
        message: format!("bad year range in {raw:?}"),
    };
    let (since, until) = match range {
        None => (None, None),
        Some(r) => {
            let (a, b) = r.split_once('-').ok_or_else(bad)?;
            let year = |s: &str| -> Result<Option<i32>, CatalogError> {
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse().map(Some).map_err(|_| bad())
                }
            };
            (year(a)?, year(b)?)
        }
    };
    Ok(CodeName {
        name: name.to_string(),
        key: match_key(name),
        since,
        until,
    })
}

fn table(file: &'static str, raw: BTreeMap<String, RawNames>) -> Result<CodeTable, CatalogError> {
    let mut entries = BTreeMap::new();
    for (code_text, names) in raw {
        let code = Code::parse(&code_text).ok_or_else(|| CatalogError::Invalid {
            file,
            message: format!("{code_text:?} is not a 3/5/7-digit code"),
        })?;
        let names = match names {
            RawNames::One(n) => vec![n],
            RawNames::Many(v) => v,
        };
        let names = names
            .iter()
            .map(|n| parse_name(file, n))
            .collect::<Result<Vec<_>, _>>()?;
        entries.insert(code_text, CodeEntry { code, names });
    }
    Ok(CodeTable { entries })
}

pub(super) fn load(text: &str) -> Result<(CodeTable, CodeTable), CatalogError> {
    let file: CodesFile = parse_toml("codes.toml", text)?;
    Ok((
        table("codes.toml", file.function)?,
        table("codes.toml", file.economic)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_210_has_both_names_by_year() {
        let (functions, _) = load(include_str!("codes.toml")).unwrap();
        let e = functions.get(&Code::parse("210").unwrap()).unwrap();
        assert_eq!(e.name_in(Some(2023)), "卫生健康支出");
        assert_eq!(e.name_in(Some(2018)), "医疗卫生与计划生育支出");
        let old = e.matching_name("医疗卫生与计划生育支出").unwrap();
        assert!(!old.valid_in(2019));
        assert_eq!(functions.named("卫生健康", 3).len(), 1);
    }

    #[test]
    fn descendants_resolve_unique_names_only() {
        let (functions, _) = load(include_str!("codes.toml")).unwrap();
        let p221 = Code::parse("221").unwrap();
        let hits = functions.descendants_named(&p221, "住房公积金");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].code.as_str(), "2210201");
        let p201 = Code::parse("201").unwrap();
        assert!(functions.descendants_named(&p201, "事业运行").len() > 1);
    }
}
