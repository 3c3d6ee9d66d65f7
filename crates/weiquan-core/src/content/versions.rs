//! Versions of a law (时效性). Files with the same title (and part, for laws
//! published in several files) are versions of one law: the newest is in
//! force unless its metadata says otherwise, older ones are amended (历史版本),
//! one whose effective date is still ahead is pending. Identical copies of a
//! text in two folders are kept once.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::lawrefbook::date_in_file_name;
use super::model::{Document, Kind, Status};

/// Groups laws into versions and fills in `status` where metadata left it
/// open; drops identical copies.
pub fn assign(documents: &mut Vec<Document>, today: NaiveDate) {
    drop_identical_copies(documents);
    let mut groups: HashMap<(String, Option<String>), Vec<usize>> = HashMap::new();
    for (i, doc) in documents.iter().enumerate().filter(|(_, d)| d.kind == Kind::Law) {
        groups.entry((doc.meta.title.clone(), doc.part.clone())).or_default().push(i);
    }
    for members in groups.values_mut() {
        members.sort_by(|&a, &b| {
            documents[b].meta.date.cmp(&documents[a].meta.date).then(documents[a].id.cmp(&documents[b].id))
        });
        for (rank, &i) in members.iter().enumerate() {
            let meta = &mut documents[i].meta;
            if meta.status.is_none() {
                meta.status = Some(if meta.effective.is_some_and(|e| e > today) {
                    Status::Pending
                } else if rank == 0 {
                    Status::Current
                } else {
                    Status::Amended
                });
            }
        }
    }
}

/// The same law text in two files (an undated and a dated copy, or one text
/// filed in two folders, perhaps with a different note above the articles):
/// keep the copy dated in its file name, else the first.
fn drop_identical_copies(documents: &mut Vec<Document>) {
    let mut order: Vec<usize> = (0..documents.len()).collect();
    order.sort_by_key(|&i| (date_in_file_name(&documents[i].id).is_none(), documents[i].id.clone()));
    let mut seen = HashSet::new();
    let mut keep = vec![true; documents.len()];
    for i in order {
        let doc = &documents[i];
        if doc.kind == Kind::Law && !seen.insert((doc.meta.title.clone(), doc.part.clone(), law_text(doc))) {
            keep[i] = false;
        }
    }
    let mut index = 0;
    documents.retain(|_| {
        index += 1;
        keep[index - 1]
    });
}

/// What makes two files the same law text: its articles, or its whole body
/// when it has none.
fn law_text(doc: &Document) -> String {
    let articles: Vec<&str> = doc.units.iter().filter(|u| u.article.is_some()).map(|u| u.text.as_str()).collect();
    if articles.is_empty() { doc.body.clone() } else { articles.join("\n") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::FrontMatter;

    fn law(id: &str, date: Option<&str>, body: &str) -> Document {
        Document {
            id: id.into(),
            path: id.into(),
            kind: Kind::Law,
            meta: FrontMatter {
                title: "某法".into(),
                date: date.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
                ..FrontMatter::default()
            },
            part: None,
            history: Vec::new(),
            body: body.into(),
            units: crate::content::articles::split_law(body, &[]),
        }
    }

    fn statuses(documents: &[Document]) -> Vec<(&str, Option<Status>)> {
        documents.iter().map(|d| (d.id.as_str(), d.meta.status)).collect()
    }

    #[test]
    fn the_newest_version_is_current_and_older_ones_amended() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut docs =
            vec![law("a(2013-10-25)", Some("2013-10-25"), "新"), law("a(2009-08-27)", Some("2009-08-27"), "旧")];
        let mut repealed = law("b", Some("2000-01-01"), "废");
        repealed.meta.title = "另一法".into();
        repealed.meta.status = Some(Status::Repealed);
        let mut pending = law("c", Some("2025-12-01"), "未生效");
        pending.meta.title = "新法".into();
        pending.meta.effective = NaiveDate::from_ymd_opt(2026, 6, 1);
        docs.extend([repealed, pending]);
        assign(&mut docs, today);
        assert_eq!(
            statuses(&docs),
            [
                ("a(2013-10-25)", Some(Status::Current)),
                ("a(2009-08-27)", Some(Status::Amended)),
                ("b", Some(Status::Repealed)),
                ("c", Some(Status::Pending)),
            ]
        );
    }

    #[test]
    fn identical_copies_are_kept_once_and_parts_are_not_versions() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut docs = vec![
            law("x/a", Some("2022-03-01"), "第一条 同"),
            law("y/a(2022-03-01)", Some("2022-03-01"), "2022年5月1日施行\n\n第一条 同"),
        ];
        let mut part = law("z/a", Some("2020-01-01"), "另一编");
        part.part = Some("合同编".into());
        docs.push(part);
        assign(&mut docs, today);
        assert_eq!(statuses(&docs), [("y/a(2022-03-01)", Some(Status::Current)), ("z/a", Some(Status::Current))]);
    }
}
