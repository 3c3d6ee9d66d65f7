//! Staff workflow: warnings and guides written in the admin or through the
//! token API are saved as Markdown files under the content folder (the
//! source of truth), versioned and audited in SQLite, and put in the index at
//! once. Knows nothing about HTTP.

pub mod cli;
pub mod files;
pub mod store;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

pub use store::{AuditEntry, LoginOutcome, Role, Scope, Session, Store, StoreError, TokenInfo, User, VersionInfo};

use crate::clock::Clock;
use crate::content::{self, Document, FrontMatter, Kind, State};
use crate::search::{self, Engine};

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

/// What a save does besides writing the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SaveDraft,
    Publish,
    Schedule(DateTime<FixedOffset>),
    Withdraw,
}

impl Action {
    /// The audit log's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SaveDraft => "edit",
            Action::Publish => "publish",
            Action::Schedule(_) => "schedule",
            Action::Withdraw => "withdraw",
        }
    }

    fn needs_publisher(self) -> bool {
        !matches!(self, Action::SaveDraft)
    }
}

/// A document as the editor sends it.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The document's id; `None` for a new one.
    pub id: Option<String>,
    /// For a new document: warning or guide.
    pub kind: Kind,
    /// For a new document: the file name (ASCII letters, digits, `-`); made
    /// from the date when empty.
    pub slug: String,
    /// The fingerprint of the text the editor started from ("" for new).
    pub base: String,
    pub meta: FrontMatter,
    pub body: String,
}

/// Why a save was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("这篇内容已被他人修改（当前版本 {current}）。您的修改没有保存：请复制您的文字，重新打开后再改。")]
    Conflict { current: String },
    #[error("内容有误：{0}")]
    Invalid(String),
    #[error("您的角色不能执行此操作：{0}")]
    Forbidden(&'static str),
    #[error("没有找到这篇内容：{0}")]
    NotFound(String),
    #[error("保存失败，原文件未改动：{}", write_failure(.0))]
    Io(#[from] std::io::Error),
    #[error("数据库错误：{0}")]
    Store(#[from] StoreError),
    #[error("索引更新失败（文件已保存，重启后会重建索引）：{0}")]
    Search(#[from] search::Error),
}

/// Why a file could not be written, in words for the person saving.
fn write_failure(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "服务器磁盘已满，请联系管理员清理空间后再保存".into(),
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
            "内容文件夹不能写入（只读或没有权限），请联系管理员".into()
        }
        _ => format!("{error}，请稍后再试或联系管理员"),
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
}

/// A document opened for editing.
#[derive(Debug, Clone)]
pub struct Opened {
    pub document: Document,
    /// The file's text as read.
    pub text: String,
    pub fingerprint: String,
}

/// The staff workflow over one content folder, its store and the engine.
pub struct Publisher {
    root: PathBuf,
    store: Store,
    engine: Arc<Engine>,
    /// Files under the folder that are broken now, as the watcher found them.
    problems: std::sync::Mutex<Vec<content::Problem>>,
}

impl Publisher {
    /// `root` is the content folder staff documents are written to.
    /// The store and the publisher read the time from the engine's clock.
    pub fn new(root: &Path, store: Store, engine: Arc<Engine>) -> Publisher {
        let store = store.with_clock(engine.clock().clone());
        Publisher { root: root.to_path_buf(), store, engine, problems: std::sync::Mutex::new(Vec::new()) }
    }

    /// The program's clock (the engine's).
    pub fn clock(&self) -> &Clock {
        self.engine.clock()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Broken files found since they last changed.
    pub fn problems(&self) -> Vec<content::Problem> {
        self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn report(&self, problem: content::Problem) {
        let mut problems = self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        problems.retain(|p| p.path != problem.path);
        problems.push(problem);
    }

    fn clear(&self, path: &Path) {
        self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|p| p.path != path);
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The shared tag vocabulary of the folder (`tags.txt`).
    pub fn vocabulary(&self) -> Vec<String> {
        let loaded = content::Loaded {
            tags: std::fs::read_to_string(self.root.join(content::TAGS_FILE)).unwrap_or_default(),
            ..content::Loaded::default()
        };
        let mut tags: Vec<String> = loaded.vocabulary().into_iter().map(String::from).collect();
        tags.sort();
        tags
    }

    /// Every warning and guide under the folder, newest first.
    pub fn entries(&self) -> Result<Vec<Entry>, PublishError> {
        let now = self.clock().now();
        let loaded = content::load(std::slice::from_ref(&self.root), now.date_naive(), &|_, _| {})
            .map_err(|e| PublishError::Invalid(e.to_string()))?;
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
                id: d.id,
            })
            .collect();
        entries.sort_by(|a, b| b.date.cmp(&a.date).then(a.id.cmp(&b.id)));
        Ok(entries)
    }

    /// The document `id` with the fingerprint of its text.
    pub fn open(&self, id: &str) -> Result<Option<Opened>, PublishError> {
        let path = self.path_of(id)?;
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
        // One read: the fingerprint is of exactly the text parsed.
        let document =
            content::parse_document(&self.root, &path, &text).map_err(|p| PublishError::Invalid(p.to_string()))?;
        Ok(Some(Opened { document, fingerprint: files::fingerprint(&text), text }))
    }

    /// The text a save would write, checked as the loader will read it.
    pub fn compose(&self, edit: &Edit) -> Result<(String, Document), PublishError> {
        let front = toml::to_string(&edit.meta).map_err(|e| PublishError::Invalid(e.to_string()))?;
        let text = format!("+++\n{front}+++\n\n{}\n", edit.body.trim_end());
        let id = self.id_for(edit)?;
        let document = content::parse_document(&self.root, &self.path_of(&id)?, &text)
            .map_err(|problem| PublishError::Invalid(problem.reason))?;
        Ok((text, document))
    }

    /// Saves `edit` as `user`, applying `action`: writes the file
    /// atomically, keeps the version, logs it, and updates the index so the
    /// change is searchable when this returns. Returns the document's id.
    pub fn save(&self, user: &str, role: Role, mut edit: Edit, action: Action) -> Result<String, PublishError> {
        if action.needs_publisher() && !role.can_publish() {
            return Err(PublishError::Forbidden("编辑只能保存草稿，发布、定时和撤回需要发布员"));
        }
        let id = self.id_for(&edit)?;
        let path = self.path_of(&id)?;
        let current = std::fs::read_to_string(&path).ok();
        let current_fingerprint = current.as_deref().map(files::fingerprint).unwrap_or_default();
        if edit.base != current_fingerprint {
            return Err(PublishError::Conflict { current: current_fingerprint });
        }
        edit.meta.kind = None;
        match action {
            Action::SaveDraft if edit.meta.state.is_none_or(|s| s == State::Draft) || edit.id.is_none() => {
                edit.meta.state = Some(State::Draft)
            }
            // Editing a published document keeps it published.
            Action::SaveDraft => {}
            Action::Publish => {
                edit.meta.state = None;
                edit.meta.publish_at = None;
            }
            Action::Schedule(at) => {
                edit.meta.state = None;
                edit.meta.publish_at = Some(at);
            }
            Action::Withdraw => edit.meta.state = Some(State::Withdrawn),
        }
        if edit.meta.date.is_none() {
            edit.meta.date = Some(self.clock().today());
        }
        edit.id = Some(id.clone());
        let (text, document) = self.compose(&edit)?;
        files::write_atomically(&path, &text)?;
        let version = self.store.save_version(&id, &text, user, action.as_str())?;
        let verb = if current.is_none() { "create" } else { action.as_str() };
        self.store.audit(user, verb, &id, &format!("版本 {version}"))?;
        self.engine.reindex(&id, Some(&document))?;
        Ok(id)
    }

    /// Makes version `number` of `id` the current text again (a new version).
    pub fn restore(&self, user: &str, role: Role, id: &str, number: i64, base: &str) -> Result<(), PublishError> {
        let text =
            self.store.version(id, number)?.ok_or_else(|| PublishError::NotFound(format!("{id} 版本 {number}")))?;
        let path = self.path_of(id)?;
        let document =
            content::parse_document(&self.root, &path, &text).map_err(|p| PublishError::Invalid(p.reason))?;
        if document.is_published() && !role.can_publish() {
            return Err(PublishError::Forbidden("恢复一个已发布的版本需要发布员"));
        }
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref().map(files::fingerprint).unwrap_or_default() != base {
            return Err(PublishError::Conflict {
                current: current.as_deref().map(files::fingerprint).unwrap_or_default(),
            });
        }
        files::write_atomically(&path, &text)?;
        let version = self.store.save_version(id, &text, user, "restore")?;
        self.store.audit(user, "restore", id, &format!("恢复版本 {number} 为版本 {version}"))?;
        self.engine.reindex(id, Some(&document))?;
        Ok(())
    }

    /// The id of the document an edit saves to.
    fn id_for(&self, edit: &Edit) -> Result<String, PublishError> {
        if let Some(id) = &edit.id {
            return Ok(id.clone());
        }
        let folder = match edit.kind {
            Kind::Warning => "warnings",
            Kind::Guide => "guides",
            _ => return Err(PublishError::Invalid("只能新建消费警示或维权指南".into())),
        };
        let slug = edit.slug.trim().to_ascii_lowercase();
        let slug = if slug.is_empty() {
            format!("{}-{}", self.clock().now().format("%Y%m%d-%H%M%S"), edit.kind.as_str())
        } else {
            slug
        };
        if !slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || slug.len() > 80 {
            return Err(PublishError::Invalid("文件名只能用英文字母、数字和连字符（-），不超过 80 个字符".into()));
        }
        Ok(format!("{folder}/{slug}"))
    }

    /// The file of document `id`, which must be a warning or guide under the folder.
    fn path_of(&self, id: &str) -> Result<PathBuf, PublishError> {
        let valid = id.split_once('/').is_some_and(|(folder, name)| {
            matches!(folder, "warnings" | "guides")
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        if !valid {
            return Err(PublishError::NotFound(id.to_string()));
        }
        Ok(self.root.join(format!("{id}.md")))
    }
}
