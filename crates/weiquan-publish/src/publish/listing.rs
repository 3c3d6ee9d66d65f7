//! What the admin lists and opens: each warning and guide with its stage,
//! the titles by id, withdrawn documents, and a document opened for editing.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

use super::{AuditAction, PublishError, Publisher, files};
use weiquan_core::content::{self, Document, FrontMatter, Kind, State};

/// Where a document stands in the workflow, as the admin lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Draft,
    Scheduled,
    Published,
    Expired,
    Withdrawn,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Draft, Stage::Scheduled, Stage::Published, Stage::Expired, Stage::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Scheduled => "scheduled",
            Stage::Published => "published",
            Stage::Expired => "expired",
            Stage::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Draft => "草稿",
            Stage::Scheduled => "定时发布",
            Stage::Published => "已发布",
            Stage::Expired => "已过期",
            Stage::Withdrawn => "已撤回",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The stage of `meta` at `now` (its date is the day in the clock's zone).
    pub fn of(meta: &FrontMatter, now: DateTime<Tz>) -> Stage {
        let today = now.date_naive();
        match meta.state.unwrap_or(State::Published) {
            State::Draft => Stage::Draft,
            State::Withdrawn => Stage::Withdrawn,
            State::Published if meta.publish_at.is_some_and(|at| at > now) => Stage::Scheduled,
            State::Published if meta.expires.is_some_and(|last| last < today) => Stage::Expired,
            State::Published => Stage::Published,
        }
    }
}

/// One warning or guide in the admin list.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub stage: Stage,
    pub date: Option<NaiveDate>,
    pub publish_at: Option<String>,
    pub expires: Option<NaiveDate>,
    /// A revision waits for a publisher.
    pub pending: bool,
    /// The citations of articles that changed since the text the document
    /// cites (需复核), as `weiquan check --stale` words them; empty when none.
    pub stale: Vec<String>,
}

/// A document opened for editing: the text to edit is the revision waiting
/// for a publisher, if any, else the file.
#[derive(Debug, Clone)]
pub struct Opened {
    pub document: Document,
    /// The text to edit, as read.
    pub text: String,
    /// Its fingerprint: the `base` of the next save.
    pub fingerprint: String,
    /// When the text is a revision waiting for a publisher: who wrote it,
    /// and the live file.
    pub review: Option<Review>,
}

/// A revision waiting for a publisher, as the editor shows it.
#[derive(Debug, Clone)]
pub struct Review {
    pub author: String,
    /// UTC, RFC 3339.
    pub saved_at: String,
    /// The file's text, which the public sees meanwhile.
    pub live: String,
    /// The file changed since: it cannot be approved, only discarded.
    pub outdated: bool,
}

impl Publisher {
    /// Every warning and guide under the folder, newest first, with the
    /// citations to review (the official texts are the index's other roots).
    pub fn entries(&self) -> Result<Vec<Entry>, PublishError> {
        let now = self.clock().now();
        let loaded =
            content::load(std::slice::from_ref(&self.root), now.date_naive(), &|_, _| {}).map_err(|error| {
                let error = match error {
                    content::Error::NotAFolder(path) => content::Error::NotAFolder(self.relative(&path)),
                    content::Error::Io { path, source } => content::Error::Io { path: self.relative(&path), source },
                };
                PublishError::Invalid(error.to_string())
            })?;
        let pending: std::collections::HashSet<String> = self.store.pending_ids()?.into_iter().collect();
        let official: Vec<PathBuf> =
            self.engine.manifest().roots.iter().filter(|root| **root != self.root).cloned().collect();
        let mut stale = self.official.stale(&official, &loaded, now.date_naive());
        let mut entries: Vec<Entry> = loaded
            .documents
            .into_iter()
            .filter(|d| matches!(d.kind, Kind::Warning | Kind::Guide))
            .map(|d| Entry {
                stage: Stage::of(&d.meta, now),
                kind: d.kind,
                title: d.meta.title,
                date: d.meta.date,
                publish_at: d.meta.publish_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                expires: d.meta.expires,
                pending: pending.contains(&d.id),
                stale: stale.remove(&d.id).unwrap_or_default(),
                id: d.id,
            })
            .collect();
        entries.sort_by(|a, b| b.date.cmp(&a.date).then(a.id.cmp(&b.id)));
        Ok(entries)
    }

    /// The title of each warning and guide under the folder, by id, for
    /// staff pages that name documents (the audit log).
    pub fn titles(&self) -> std::collections::HashMap<String, String> {
        let today = self.clock().today();
        content::load(std::slice::from_ref(&self.root), today, &|_, _| {})
            .map(|loaded| loaded.documents.into_iter().map(|d| (d.id, d.meta.title)).collect())
            .unwrap_or_default()
    }

    /// A withdrawn document: its front matter, and when it was withdrawn
    /// (in the configured zone) if the audit log says. `None` for anything
    /// not withdrawn, so a withdrawn link can say what happened to it.
    pub fn withdrawn(
        &self,
        id: &str,
    ) -> Result<Option<(weiquan_core::content::FrontMatter, Option<chrono::NaiveDate>)>, PublishError> {
        let Some(opened) = self.open(id)? else { return Ok(None) };
        let meta = opened.document.meta;
        if meta.state != Some(State::Withdrawn) {
            return Ok(None);
        }
        let at = self.store().last_time(id, AuditAction::Withdraw)?;
        let day = at
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
            .map(|at| self.clock().date_of(at.with_timezone(&chrono::Utc)));
        Ok(Some((meta, day)))
    }

    /// The document `id` to edit, or `None` when it has no file.
    pub fn open(&self, id: &str) -> Result<Option<Opened>, PublishError> {
        let path = self.path_of(id)?;
        let disk = self.on_disk(id, &path)?;
        let Some(live) = disk.text else { return Ok(None) };
        let live_document = self.parse(&path, &live)?;
        let live_fingerprint = files::fingerprint(&live);
        let (text, document, review) = match disk.pending {
            Some(pending) => {
                let document = self.parse(&path, &pending.content)?;
                let outdated = pending.base != live_fingerprint;
                let review = Review { author: pending.author, saved_at: pending.saved_at, live, outdated };
                (pending.content, document, Some(review))
            }
            None => (live, live_document, None),
        };
        // One read: the fingerprint is of exactly the text parsed.
        Ok(Some(Opened { document, fingerprint: files::fingerprint(&text), text, review }))
    }
}
