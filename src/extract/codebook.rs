//! Classification names → codes for one document: its own tables first, then the catalog.
//!
//! A document's tables print code and name side by side (`2080505 机关事业单位基本养老保险缴费支出`);
//! prose names the same lines without codes. Resolving against the document's own rows first
//! keeps a local or newer name from being missed by the catalog, and an ambiguous name (事业运行
//! exists under many 款) is never resolved.

use std::collections::BTreeSet;

use crate::catalog::{Catalog, CodeTable};
use crate::model::Code;

/// The codes one document can resolve names against.
pub struct CodeBook<'a> {
    catalog: &'a Catalog,
    document: CodeTable,
}

impl<'a> CodeBook<'a> {
    /// `printed` are the (code, name) pairs of the document's tables.
    pub fn new(catalog: &'a Catalog, printed: impl IntoIterator<Item = (Code, String)>) -> Self {
        let mut document = CodeTable::default();
        for (code, name) in printed {
            document.insert(code, &name);
        }
        CodeBook { catalog, document }
    }

    fn tables(&self, code: &Code) -> [&CodeTable; 2] {
        [&self.document, self.catalog.codes_for(code)]
    }

    /// The unique code below `parent` named `name`: the document's own rows decide first.
    pub fn child_named(&self, parent: &Code, name: &str) -> Option<Code> {
        for table in self.tables(parent) {
            let hits: BTreeSet<Code> = table
                .descendants_named(parent, name)
                .into_iter()
                .map(|e| e.code.clone())
                .collect();
            match hits.len() {
                0 => continue,
                1 => return hits.into_iter().next(),
                _ => return None,
            }
        }
        None
    }

    /// Resolves a `类/款/项` path of names: (class code, full 7-digit code), each if unique.
    pub fn resolve_path(
        &self,
        class: &str,
        kuan: &str,
        xiang: &str,
    ) -> (Option<Code>, Option<Code>) {
        let mut classes: BTreeSet<Code> = BTreeSet::new();
        for table in [&self.document, &self.catalog.functions] {
            classes.extend(table.named(class, 3).into_iter().map(|e| e.code.clone()));
        }
        let class_code = (classes.len() == 1)
            .then(|| classes.iter().next().cloned())
            .flatten();
        let mut full: BTreeSet<Code> = BTreeSet::new();
        let mut all_kuans: BTreeSet<Code> = BTreeSet::new();
        for c in &classes {
            let kuans = self.children_at(c, kuan, 5);
            for k in &kuans {
                full.extend(self.children_at(k, xiang, 7));
            }
            all_kuans.extend(kuans);
        }
        if full.is_empty() {
            if let [k] = all_kuans.iter().collect::<Vec<_>>().as_slice() {
                full.extend(standard_item(k, kuan, xiang));
            }
        }
        let full = (full.len() == 1).then(|| full.into_iter().next()).flatten();
        (class_code, full)
    }

    fn children_at(&self, parent: &Code, name: &str, len: usize) -> BTreeSet<Code> {
        for table in self.tables(parent) {
            let hits: BTreeSet<Code> = table
                .descendants_named(parent, name)
                .into_iter()
                .filter(|e| e.code.as_str().len() == len)
                .map(|e| e.code.clone())
                .collect();
            if !hits.is_empty() {
                return hits;
            }
        }
        BTreeSet::new()
    }
}

/// The 项 every administrative 款 numbers alike in the 政府收支分类科目: 行政运行 01,
/// 一般行政管理事务 02, 机关服务 03, 事业运行 50, and `其他{款}支出` 99 — so
/// `民政管理事务（款）行政运行（项）` is 2080201 though no table of the catalog or the document
/// lists it.
fn standard_item(kuan: &Code, kuan_name: &str, xiang: &str) -> Option<Code> {
    let key = |s: &str| crate::ingest::normalize::name_key(s);
    let xiang = key(xiang);
    let suffix = match xiang.as_str() {
        "行政运行" => "01",
        "一般行政管理事务" => "02",
        "机关服务" => "03",
        "事业运行" => "50",
        _ if xiang == format!("其他{}支出", key(kuan_name)) => "99",
        _ => return None,
    };
    Code::parse(&format!("{}{suffix}", kuan.as_str()))
}
