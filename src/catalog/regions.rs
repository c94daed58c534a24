//! The region gazetteer (`regions.toml`): resolves printed region prefixes to full paths.

use serde::Deserialize;

use super::{parse_toml, CatalogError};

/// Known region paths, e.g. `["辽宁省", "盘锦市", "大洼区"]`.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    paths: Vec<Vec<String>>,
}

/// A region prefix found at the start of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionMatch {
    /// The region as far as resolved: the full path when unambiguous, else what was printed.
    pub region: String,
    /// Whether `region` is a full gazetteer path.
    pub resolved: bool,
    /// Characters of the name taken by the printed prefix.
    pub printed_len: usize,
}

#[derive(Deserialize)]
struct RegionsFile {
    paths: Vec<String>,
}

impl Gazetteer {
    /// Reads the longest run of region names at the start of `name` and resolves it.
    ///
    /// Parts may be skipped in print (`盘锦市大洼区`, `大洼区`) but not reordered. The result is
    /// resolved only when exactly one known path is consistent with every printed part.
    pub fn prefix(&self, name: &str) -> Option<RegionMatch> {
        let mut best: Option<(usize, Vec<&Vec<String>>)> = None;
        for path in &self.paths {
            if let Some(len) = printed_prefix_len(name, path) {
                match &mut best {
                    Some((l, paths)) if *l == len => paths.push(path),
                    Some((l, _)) if *l > len => {}
                    _ => best = Some((len, vec![path])),
                }
            }
        }
        let (len, candidates) = best?;
        let printed: String = name.chars().take(len).collect();
        if candidates.len() == 1 {
            return Some(RegionMatch {
                region: candidates[0].concat(),
                resolved: true,
                printed_len: len,
            });
        }
        // Several paths print the same way (`鼓楼区`): keep what was printed, unresolved.
        Some(RegionMatch {
            region: printed,
            resolved: false,
            printed_len: len,
        })
    }
}

/// Length in characters of the printed form of `path` at the start of `name`: its parts in
/// order, any of them skipped in print, the innermost one printed (so `盘锦市` alone does not
/// claim a district).
fn printed_prefix_len(name: &str, path: &[String]) -> Option<usize> {
    let mut rest = name;
    let mut taken = 0usize;
    let mut last_matched = None;
    for (i, part) in path.iter().enumerate() {
        if let Some(r) = rest.strip_prefix(part.as_str()) {
            taken += part.chars().count();
            rest = r;
            last_matched = Some(i);
        }
    }
    (last_matched == Some(path.len() - 1)).then_some(taken)
}

pub(super) fn load(text: &str) -> Result<Gazetteer, CatalogError> {
    let file: RegionsFile = parse_toml("regions.toml", text)?;
    Ok(Gazetteer {
        paths: file
            .paths
            .iter()
            .map(|p| p.split('/').map(str::to_string).collect())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaz() -> Gazetteer {
        load(include_str!("regions.toml")).unwrap()
    }

    #[test]
    fn prefix_resolves_partial_prints_to_one_path() {
        let g = gaz();
        for name in [
            "辽宁省盘锦市大洼区智慧城市运行管理中心",
            "盘锦市大洼区智慧城市运行管理中心",
            "大洼区智慧城市运行管理中心",
        ] {
            let m = g.prefix(name).unwrap();
            assert_eq!(m.region, "辽宁省盘锦市大洼区", "{name}");
            assert!(m.resolved);
        }
        assert_eq!(
            g.prefix("盘锦市大洼区智慧城市运行管理中心")
                .unwrap()
                .printed_len,
            6
        );
    }

    #[test]
    fn prefix_keeps_ambiguous_districts_apart() {
        let g = gaz();
        let bare = g.prefix("鼓楼区财政局").unwrap();
        assert!(!bare.resolved);
        assert_eq!(bare.region, "鼓楼区");
        let nanjing = g.prefix("南京市鼓楼区财政局").unwrap();
        assert_eq!(nanjing.region, "江苏省南京市鼓楼区");
        let fuzhou = g.prefix("福州市鼓楼区财政局").unwrap();
        assert_eq!(fuzhou.region, "福建省福州市鼓楼区");
    }
}
