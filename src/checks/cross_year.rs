//! CROSS_YEAR_MISMATCH: the prior-year value a document implies (`与上年相比增加d` → this year
//! − d) against that year's own document of the same department and kind.

use super::archive::{ArchiveRule, ArchiveView};
use super::tolerance::Interval;
use super::{nearest_value, show, Doc, Findings, Flag};
use crate::model::{Aspect, Fact};

pub struct CrossYearMismatch;

/// The value `facts` (one document's) print for the measure of `like` (a printed change:
/// always prose).
fn printed_value<'a>(facts: &'a [Fact], like: &Fact) -> Option<&'a Fact> {
    let key = Doc::key_with(like, Aspect::Value);
    nearest_value(facts.iter().filter(|f| f.key() == key), like)
}

impl ArchiveRule for CrossYearMismatch {
    fn id(&self) -> &'static str {
        "CROSS_YEAR_MISMATCH"
    }

    fn check(&self, archive: &ArchiveView<'_>, out: &mut Findings) {
        let slack = archive.settings.threshold("pct_slack");
        let docs = archive.documents;
        let mut pairs = 0;
        // The first document of each department, kind and year, indexed once (a scan of the
        // archive per document was quadratic: 20,000 documents, 400 million comparisons).
        let mut by_year: std::collections::HashMap<(&str, crate::model::Kind, i32), usize> =
            std::collections::HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            if let (Some(y), Some(k)) = (d.report.document.fiscal_year, d.report.document.kind) {
                by_year.entry((d.key.as_str(), k, y)).or_insert(i);
            }
        }
        for (i, doc) in docs.iter().enumerate() {
            let (Some(year), Some(kind)) =
                (doc.report.document.fiscal_year, doc.report.document.kind)
            else {
                continue;
            };
            let Some(prior_doc) = year
                .checked_sub(1)
                .and_then(|prior| by_year.get(&(doc.key.as_str(), kind, prior)))
                .map(|&j| &docs[j])
            else {
                continue;
            };
            pairs += 1;
            if !doc.facts.has_aspect(Aspect::YoyDelta) {
                continue;
            }
            // Rebuilt from the compact store once per pair.
            let (facts, prior_facts) = (doc.facts.facts(), prior_doc.facts.facts());
            for delta in facts.iter().filter(|f| f.aspect == Aspect::YoyDelta) {
                let (Some(current), Some(stated_prior)) = (
                    printed_value(&facts, delta),
                    printed_value(&prior_facts, delta),
                ) else {
                    continue;
                };
                let (Some(c), Some(d), Some(p)) = (
                    Interval::of_fact(current, slack),
                    Interval::of_fact(delta, slack),
                    Interval::of_fact(stated_prior, slack),
                ) else {
                    continue;
                };
                out.checked += 1;
                if !(c - d).intersects(p) {
                    let implied =
                        current.value.unwrap_or_default() - delta.value.unwrap_or_default();
                    let printed = stated_prior.value.unwrap_or_default();
                    let mut flag = Flag::on(
                        delta,
                        format!(
                            "{year}年文件所述上年数为{}（{} − {}），{}年文件列示为{}（{} {}）",
                            show(implied),
                            show(current.value.unwrap_or_default()),
                            show(delta.value.unwrap_or_default()),
                            year - 1,
                            show(printed),
                            prior_doc.report.file,
                            stated_prior.location.zh()
                        ),
                    )
                    .expected_found(show(implied), show(printed))
                    .difference(printed - implied);
                    flag.document = Some(i);
                    out.flag(flag);
                }
            }
        }
        if pairs == 0 {
            out.note("no department has documents of consecutive years of the same kind");
        }
    }
}
