//! 版本对照 for the website and the API: which two versions of a law to
//! compare, read from their files and aligned article by article by
//! [`content::compare`].

use serde::{Serialize, Serializer};

use super::{Engine, Error, Version, chapter_text};
use crate::content::compare::{self, Change, Side};
use crate::content::{self, Status, date_format};

/// Why two versions cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The document is not a law, or the only version of its law here.
    #[error("this text has only one version here: there is nothing to compare it with")]
    OneVersion,
    /// `from` or `to` names no version of this law.
    #[error("{param} `{value}` is not a version of this law (versions: {})", available.join(", "))]
    NoSuchVersion {
        /// The parameter: `from` or `to`.
        param: &'static str,
        /// The value given.
        value: String,
        /// The versions there are: their dates, or ids where undated.
        available: Vec<String>,
    },
    /// `from` and `to` are one version.
    #[error("from and to are the same version: choose two different versions")]
    SameVersion,
    /// The engine could not read the law's versions.
    #[error(transparent)]
    Engine(#[from] Error),
}

/// Two versions of a law compared article by article.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct Comparison {
    /// The law's full title.
    pub title: String,
    /// The part of a law published in several files (民法典 合同编).
    pub part: Option<String>,
    /// The version compared from (its text is on the left).
    pub from: Version,
    /// The version compared to (its text is on the right).
    pub to: Version,
    /// Every version of the law, newest first.
    pub versions: Vec<Version>,
    pub counts: ChangeCounts,
    /// In the order of both versions.
    pub rows: Vec<ComparedArticle>,
}

/// How many rows of each change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct ChangeCounts {
    pub modified: usize,
    pub added: usize,
    pub deleted: usize,
    /// The same text under another number.
    pub renumbered: usize,
    pub unchanged: usize,
}

impl ChangeCounts {
    /// The count of one change.
    pub fn of(&self, change: Change) -> usize {
        match change {
            Change::Modified => self.modified,
            Change::Added => self.added,
            Change::Deleted => self.deleted,
            Change::Renumbered => self.renumbered,
            Change::Unchanged => self.unchanged,
        }
    }

    fn add(&mut self, change: Change) {
        *match change {
            Change::Modified => &mut self.modified,
            Change::Added => &mut self.added,
            Change::Deleted => &mut self.deleted,
            Change::Renumbered => &mut self.renumbered,
            Change::Unchanged => &mut self.unchanged,
        } += 1;
    }
}

/// One article (or text outside the articles) in either version or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparedArticle {
    /// unchanged | renumbered | modified | added | deleted
    #[serde(serialize_with = "change_name")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub change: Change,
    /// How alike the two texts are, 0 to 1 (Dice coefficient of their
    /// character bigrams); 0 for added and deleted articles.
    pub similarity: f32,
    /// In the `from` version; absent when added.
    pub old: Option<ComparedText>,
    /// In the `to` version; absent when deleted.
    pub new: Option<ComparedText>,
}

/// One version's side of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparedText {
    /// The article as written (第二十五条); absent for text outside articles.
    pub label: Option<String>,
    /// Anchor of the article in that version's page.
    pub anchor: Option<String>,
    /// The chapter path, if any.
    pub chapter: Option<String>,
    /// HTML: the text without its label, escaped, with the words changed
    /// in `<del>` (older side) or `<ins>` (newer side).
    pub html: String,
}

fn change_name<S: Serializer>(change: &Change, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(change.as_str())
}

impl Engine {
    /// Compares two versions of the law that document `id` is a version of.
    /// `from` and `to` name a version by id or date (YYYY-MM-DD); by default
    /// `to` is the version in force (else the newest) and `from` the one
    /// before it. `Ok(None)` when no such document is indexed.
    pub fn compare(&self, id: &str, from: Option<&str>, to: Option<&str>) -> Result<Option<Comparison>, CompareError> {
        let Some((document, _)) = self.load(id)? else { return Ok(None) };
        let versions = self.versions(&document)?;
        if versions.len() < 2 {
            return Err(CompareError::OneVersion);
        }
        let (from, to) = pick(&versions, from, to)?;
        let read = |index: usize| -> Result<Option<content::Document>, Error> {
            match versions[index].id == document.id {
                true => Ok(Some(document.clone())),
                false => Ok(self.load(&versions[index].id)?.map(|(document, _)| document)),
            }
        };
        // A version removed since the versions were listed is as if never there.
        let (Some(old), Some(new)) = (read(from)?, read(to)?) else { return Ok(None) };
        let mut counts = ChangeCounts::default();
        let rows = compare::compare(&old.units, &new.units)
            .into_iter()
            .map(|row| {
                counts.add(row.change);
                let side = |unit: Option<&content::Unit>, side: Side| {
                    unit.map(|unit| ComparedText {
                        label: unit.article.as_ref().map(|a| a.label.clone()),
                        anchor: unit.anchor.clone(),
                        chapter: Some(chapter_text(unit)).filter(|c| !c.is_empty()),
                        html: compare::side_html(&row.pieces, side),
                    })
                };
                ComparedArticle {
                    change: row.change,
                    similarity: (row.similarity * 100.0).round() / 100.0,
                    old: side(row.old, Side::Old),
                    new: side(row.new, Side::New),
                }
            })
            .collect();
        Ok(Some(Comparison {
            title: new.meta.title.clone(),
            part: new.part.clone(),
            from: versions[from].clone(),
            to: versions[to].clone(),
            versions,
            counts,
            rows,
        }))
    }
}

/// The indexes of the `from` and `to` versions in `versions` (newest
/// first, at least two).
fn pick<'a>(versions: &[Version], from: Option<&'a str>, to: Option<&'a str>) -> Result<(usize, usize), CompareError> {
    let find = |param: &'static str, value: &str| {
        let date = date_format::parse(value);
        versions.iter().position(|v| v.id == value || (date.is_some() && v.date == date)).ok_or_else(|| {
            CompareError::NoSuchVersion {
                param,
                value: value.to_string(),
                available: versions.iter().map(|v| v.date.map_or_else(|| v.id.clone(), |d| d.to_string())).collect(),
            }
        })
    };
    let given = |value: Option<&'a str>| value.map(str::trim).filter(|v| !v.is_empty());
    // The next older version, or the next newer for the oldest.
    let neighbour = |index: usize| if index + 1 < versions.len() { index + 1 } else { index - 1 };
    let from = given(from).map(|value| find("from", value)).transpose()?;
    let to = match given(to) {
        Some(value) => find("to", value)?,
        None => {
            let current = versions.iter().position(|v| v.status == Some(Status::Current)).unwrap_or(0);
            if from == Some(current) { neighbour(current) } else { current }
        }
    };
    let from = from.unwrap_or_else(|| neighbour(to));
    if from == to { Err(CompareError::SameVersion) } else { Ok((from, to)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Vec<Version> {
        [
            ("v2026", "2026-01-01", Status::Pending),
            ("v2023", "2023-09-01", Status::Current),
            ("v2021", "2021-12-24", Status::Amended),
        ]
        .into_iter()
        .map(|(id, date, status)| Version { id: id.to_string(), date: date_format::parse(date), status: Some(status) })
        .collect()
    }

    #[test]
    fn defaults_are_the_version_in_force_and_the_one_before() {
        let versions = versions();
        assert_eq!(pick(&versions, None, None).unwrap(), (2, 1));
        assert_eq!(pick(&versions, Some(""), Some(" ")).unwrap(), (2, 1));
        assert_eq!(pick(&versions, None, Some("v2021")).unwrap(), (1, 2), "the oldest compares with the next newer");
        assert_eq!(pick(&versions, Some("v2023"), None).unwrap(), (1, 2), "from the version in force: to another");
        assert_eq!(pick(&versions, Some("v2021"), Some("v2026")).unwrap(), (2, 0));
    }

    #[test]
    fn versions_are_named_by_id_or_date() {
        let versions = versions();
        assert_eq!(pick(&versions, Some("2021-12-24"), Some("2026年1月1日")).unwrap(), (2, 0));
        match pick(&versions, Some("2020-01-01"), None) {
            Err(CompareError::NoSuchVersion { param: "from", value, available }) => {
                assert_eq!(value, "2020-01-01");
                assert_eq!(available, ["2026-01-01", "2023-09-01", "2021-12-24"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(pick(&versions, None, Some("../etc")), Err(CompareError::NoSuchVersion { param: "to", .. })));
        assert!(matches!(pick(&versions, Some("v2023"), Some("2023-09-01")), Err(CompareError::SameVersion)));
    }
}
