//! Cases this project retells in plain words (`content/cases/`, front
//! matter `retells`) and the official cases they retell. A retelling is
//! written in the words people ask in, so it matches their questions better
//! than the court's own text, and the official case, the one that binds
//! and the one judgments name, would rank below it or not at all. One case
//! told twice is one case: the official text joins the candidates with its
//! retelling and is put right above it, so the two stand together.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::content::{Document, Kind, Unit};

/// The retellings' units (by `tie` hash) and the id of the official case
/// each retells: what the build keeps and the engine loads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RetoldFile {
    /// A retelling's unit and the official case's document id.
    pub units: Vec<(u64, String)>,
}

impl RetoldFile {
    /// The published retellings among `documents` whose official case is
    /// one of them, each unit by `tie`.
    pub fn of(documents: &[Document], tie: impl Fn(&Document, &Unit) -> u64) -> RetoldFile {
        let cases: FxHashMap<&str, &str> = documents
            .iter()
            .filter(|d| d.kind == Kind::Case && d.is_published() && d.meta.retells.is_none())
            .map(|d| (d.meta.title.as_str(), d.id.as_str()))
            .collect();
        let mut units = Vec::new();
        for document in documents.iter().filter(|d| d.kind == Kind::Case && d.is_published()) {
            let Some(official) = document.meta.retells.as_deref().and_then(|title| cases.get(title)) else { continue };
            units.extend(document.units.iter().map(|unit| (tie(document, unit), official.to_string())));
        }
        RetoldFile { units }
    }
}

/// A retelling's unit (by `tie`) → the official case's document id.
#[derive(Debug, Default)]
pub struct Retold(FxHashMap<u64, String>);

impl Retold {
    /// Ready for lookups.
    pub fn new(file: RetoldFile) -> Retold {
        Retold(file.units.into_iter().collect())
    }

    /// The official case's id when the unit with this `tie` retells one.
    pub fn official(&self, tie: u64) -> Option<&str> {
        self.0.get(&tie).map(String::as_str)
    }
}

/// Puts each official case (`retold`: its retelling's unit and its unit)
/// right above its retelling when it ranks below it; the rest keep their
/// order.
pub fn official_first<T, K: PartialEq + Copy>(units: &mut Vec<T>, address: impl Fn(&T) -> K, retold: &[(K, K)]) {
    let mut i = 0;
    while i < units.len() {
        let here = address(&units[i]);
        if let Some((_, official)) = retold.iter().find(|(retelling, _)| *retelling == here)
            && let Some(below) = units[i + 1..].iter().position(|unit| address(unit) == *official)
        {
            let unit = units.remove(i + 1 + below);
            units.insert(i, unit);
            i += 1;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_official_case_moves_right_above_its_retelling_and_only_then() {
        // 1 retells 5, 3 retells 2 (already above it), 4 retells 9 (not ranked).
        let retold = [(1, 5), (3, 2), (4, 9)];
        let mut units = vec![7, 1, 2, 3, 4, 5, 6];
        official_first(&mut units, |u| *u, &retold);
        assert_eq!(units, [7, 5, 1, 2, 3, 4, 6]);
        let mut none: Vec<u64> = Vec::new();
        official_first(&mut none, |u| *u, &retold);
        assert!(none.is_empty());
    }
}
