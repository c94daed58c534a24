//! TREND_OUTLIER (info): a department's latest year-over-year change far outside its own
//! history (robust z-score: median and MAD) and outside its peers' changes in that year.

use rust_decimal::Decimal;

use super::archive::{ArchiveRule, ArchiveView};
use super::{show, Findings, Flag};
use crate::analysis::statistics::quantile;
use crate::model::{Code, MetricKey};

pub struct TrendOutlier;

/// Kind, metric, code and peer group: the trend rows one row is compared with.
type PeerKey<'r> = (&'r str, &'r str, Option<&'r str>, Option<&'r str>);
/// Each peer row's department and its year-over-year changes.
type PeerRows<'r> = std::collections::HashMap<PeerKey<'r>, Vec<(&'r str, Vec<(i32, Decimal)>)>>;

/// 0.6745 = Φ⁻¹(0.75): makes the MAD comparable to a standard deviation.
const MAD_SCALE: Decimal = Decimal::from_parts(6745, 0, 0, false, 4);

/// Robust z of `x` against `history`, if the history has spread.
fn robust_z(x: Decimal, history: &[Decimal]) -> Option<Decimal> {
    let mut h = history.to_vec();
    h.sort();
    let median = quantile(&h, Decimal::new(5, 1))?;
    let mut dev: Vec<Decimal> = h.iter().map(|v| (*v - median).abs()).collect();
    dev.sort();
    let mad = quantile(&dev, Decimal::new(5, 1))?;
    (!mad.is_zero()).then(|| MAD_SCALE * (x - median) / mad)
}

impl ArchiveRule for TrendOutlier {
    fn id(&self) -> &'static str {
        "TREND_OUTLIER"
    }

    fn check(&self, archive: &ArchiveView<'_>, out: &mut Findings) {
        let k = archive.settings.threshold("trend_mad_k");
        let min_points = archive.settings.threshold("trend_min_points");
        let min_points = usize::try_from(min_points.trunc().mantissa())
            .unwrap_or(3)
            .max(2);
        use std::collections::HashMap;
        // Everything a row is compared with, indexed once: peer groups by department, the
        // rows of each kind × measure × code × peer group with their changes, and documents
        // by department, year and kind (scanning them per row was cubic at archive scale).
        let mut groups: HashMap<&str, &str> = HashMap::new();
        let mut documents: HashMap<(&str, i32, &str), usize> = HashMap::new();
        for (i, d) in archive.documents.iter().enumerate() {
            groups
                .entry(d.key.as_str())
                .or_insert(d.peer_group.as_str());
            if let (Some(y), Some(kind)) = (d.report.document.fiscal_year, d.report.document.kind) {
                documents
                    .entry((d.key.as_str(), y, kind.as_str()))
                    .or_insert(i);
            }
        }
        let mut peer_rows: PeerRows<'_> = HashMap::new();
        for r in &archive.trends.rows {
            let group = groups.get(r.department_key.as_str()).copied();
            peer_rows
                .entry((r.kind.as_str(), r.metric.as_str(), r.code.as_deref(), group))
                .or_default()
                .push((r.department_key.as_str(), r.changes()));
        }
        for row in &archive.trends.rows {
            let changes = row.changes();
            let Some(((year, latest), history)) = changes.split_last() else {
                continue;
            };
            let history: Vec<Decimal> = history.iter().map(|(_, c)| *c).collect();
            if history.len() < min_points {
                continue;
            }
            out.checked += 1;
            let Some(z) = robust_z(*latest, &history) else {
                continue;
            };
            if z.abs() <= k {
                continue;
            }
            // Peers: same kind of department, same measure, same year.
            let group = groups.get(row.department_key.as_str()).copied();
            let peers: Vec<Decimal> = peer_rows
                .get(&(
                    row.kind.as_str(),
                    row.metric.as_str(),
                    row.code.as_deref(),
                    group,
                ))
                .into_iter()
                .flatten()
                .filter(|(key, _)| *key != row.department_key)
                .filter_map(|(_, changes)| changes.iter().find(|(y, _)| y == year).map(|(_, c)| *c))
                .collect();
            let peer_z = (peers.len() >= min_points)
                .then(|| robust_z(*latest, &peers))
                .flatten();
            if peer_z.is_some_and(|pz| pz.abs() <= k) {
                continue;
            }
            let document = documents
                .get(&(row.department_key.as_str(), *year, row.kind.as_str()))
                .copied();
            let mut flag = Flag {
                metric: Some(MetricKey::new(row.metric.as_str())),
                code: row.code.as_deref().and_then(Code::parse),
                message: format!(
                    "{year}年同比变化{}%，偏离本部门历史变化中位数{}个MAD{}",
                    show(latest.round_dp(2)),
                    show(z.round_dp(1)),
                    peer_z.map_or(String::new(), |pz| format!(
                        "，偏离同类部门{}个MAD",
                        show(pz.round_dp(1))
                    ))
                ),
                evidence: format!("{} {}", row.department, row.metric),
                expected: Some(format!("|z| ≤ {}", show(k))),
                found: Some(show(z.round_dp(2))),
                ..Flag::default()
            };
            flag.document = document;
            out.flag(flag);
        }
        if out.checked == 0 {
            out.note(format!(
                "no series has {min_points} year-over-year changes of history"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn robust_z_flags_far_changes_only() {
        let history = [d("4"), d("5"), d("6"), d("5")];
        assert!(robust_z(d("60"), &history).unwrap() > d("3.5"));
        assert!(robust_z(d("6"), &history).unwrap().abs() <= d("3.5"));
        assert_eq!(robust_z(d("6"), &[d("5"), d("5"), d("5")]), None);
    }
}
