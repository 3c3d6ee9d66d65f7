//! Staff workflow: warnings and guides written in the admin or through the
//! token API are saved as Markdown files under the content folder (the
//! source of truth), versioned and audited in SQLite, and put in the index at
//! once. Knows nothing about HTTP.

mod actor;
pub mod cli;
pub mod credentials;
pub mod fields;
pub mod files;
mod stale;
pub mod store;
pub mod throttle;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

pub use actor::{Actor, Refusal};
pub use fields::{Fields, Vocabulary};
pub use store::{
    AuditAction, AuditEntry, LoginOutcome, Pending, Role, Scope, Session, Store, StoreError, TokenInfo, User,
    VersionInfo, action_label,
};

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
    /// Saves the text and keeps the document's state: a new document is a draft.
    SaveDraft,
    Publish,
    Schedule(DateTime<FixedOffset>),
    Withdraw,
}

impl Action {
    /// What the audit log and the versions record it as.
    pub fn audited(self) -> AuditAction {
        match self {
            Action::SaveDraft => AuditAction::Edit,
            Action::Publish => AuditAction::Publish,
            Action::Schedule(_) => AuditAction::Schedule,
            Action::Withdraw => AuditAction::Withdraw,
        }
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
    /// The front matter. Its `state` and `publish_at` are ignored: they are
    /// kept from the file on disk, and only an [`Action`] changes them.
    pub meta: FrontMatter,
    pub body: String,
}

/// What a save, restore or approval did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: String,
    /// The fingerprint of the text saved: the `base` of the next save.
    pub fingerprint: String,
    /// The document's state after it (`Published` when the file has none).
    pub state: State,
    /// Kept as a revision waiting for a publisher: the file, and what the
    /// public sees, did not change.
    pub proposed: bool,
}

/// Why a save was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The text changed since the editor opened it. The current fingerprint
    /// is never told: it would let anyone who guessed an id overwrite it.
    #[error("这篇内容已被他人修改。您的修改没有保存：请复制您的文字，重新打开后再改。")]
    Conflict,
    /// The file changed after a revision waiting for approval was written
    /// against it: approving or building on it would undo that change.
    #[error("这份待批准的修改提交之后，网站上的文字又改动过：请发布员先放弃这份修改，再重新编辑。")]
    PendingOutdated,
    #[error("内容有误：{0}")]
    Invalid(String),
    #[error("您不能执行此操作：{0}")]
    Forbidden(Refusal),
    #[error("没有找到这篇内容：{0}")]
    NotFound(String),
    #[error("保存失败，原文件未改动：{}", write_failure(.0))]
    Io(#[from] std::io::Error),
    #[error("数据库错误：{0}")]
    Store(#[from] StoreError),
    /// The index error itself is logged, not shown: it names server folders.
    #[error("索引更新失败（文件已保存，重启后会重建索引）")]
    Search(#[from] search::Error),
}

impl From<Refusal> for PublishError {
    fn from(refusal: Refusal) -> PublishError {
        PublishError::Forbidden(refusal)
    }
}

impl PublishError {
    /// The message in English, for the API.
    pub fn english(&self) -> String {
        use std::io::ErrorKind;
        match self {
            PublishError::Conflict => {
                "the document was changed by someone else since you opened it; nothing was saved: \
                 open it again and redo your change"
                    .into()
            }
            PublishError::PendingOutdated => "the document changed after the revision waiting for approval \
                                              was written: a publisher must discard that revision first"
                .into(),
            PublishError::Invalid(reason) => format!("invalid document: {reason}"),
            PublishError::Forbidden(refusal) => refusal.english().into(),
            PublishError::NotFound(what) => format!("not found: {what}"),
            PublishError::Io(error) => match error.kind() {
                ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
                    "not saved, the old file is unchanged: the server's disk is full".into()
                }
                ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
                    "not saved, the old file is unchanged: the content folder is not writable".into()
                }
                _ => format!("not saved, the old file is unchanged: {error}"),
            },
            PublishError::Store(error) => format!("staff database error: {error}"),
            PublishError::Search(error) => {
                format!("the file is saved but the index was not updated (it is rebuilt on restart): {error}")
            }
        }
    }
}

/// Why a file could not be written, in words for the person saving.
fn write_failure(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "服务器磁盘已满，请联系管理员清理空间后再保存".into(),
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
            "内容文件夹不能写入（只读或没有权限），请联系管理员".into()
        }
        // The kind only: an error's own text can name the server's folders.
        kind => format!("{kind}，请稍后再试或联系管理员"),
    }
}

/// The workflow fields of a file: whether and from when the public sees it.
/// A save keeps them from the file on disk; only an [`Action`] changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Visibility {
    /// `None` is published, as the loader reads it.
    state: Option<State>,
    publish_at: Option<DateTime<FixedOffset>>,
}

impl Visibility {
    /// What a new document starts as.
    const DRAFT: Visibility = Visibility { state: Some(State::Draft), publish_at: None };

    /// The file's, with `state = "published"` read as no state, which means the same.
    fn of(meta: &FrontMatter) -> Visibility {
        Visibility { state: meta.state.filter(|&state| state != State::Published), publish_at: meta.publish_at }
    }

    /// The state, a missing one being published.
    fn state(self) -> State {
        self.state.unwrap_or(State::Published)
    }

    /// Public now or at its publish time.
    fn is_public(self) -> bool {
        self.state() == State::Published
    }

    fn apply(self, meta: &mut FrontMatter) {
        meta.state = self.state;
        meta.publish_at = self.publish_at;
    }

    /// For the audit log: 草稿, 已发布, 已撤回, or 已发布（定时 …）.
    fn label(self) -> String {
        match self.publish_at {
            Some(at) if self.is_public() => format!("{}（定时 {}）", self.state().label(), at.format("%Y-%m-%d %H:%M")),
            _ => self.state().label().to_string(),
        }
    }
}

/// A text about to replace a document's file, and how to record it.
struct Write {
    id: String,
    path: PathBuf,
    text: String,
    /// The text as the loader reads it.
    document: Document,
    visibility: Visibility,
    /// Whose text it is: the version's author.
    author: String,
    /// What the version and the audit log call it.
    verb: AuditAction,
    /// For a new document saved with more than a draft: the action that took
    /// effect with its first version (`publish`, `schedule`…), logged after
    /// `create` so the audit log says it went public.
    then: Option<AuditAction>,
    /// Said in the audit entry after the version and the state.
    notes: Vec<String>,
}

/// A document's file as it is now, and the revision waiting for it.
struct OnDisk {
    /// `None` when there is no file yet.
    text: Option<String>,
    /// The file's; a file that cannot be read as a document counts as
    /// published, since its last good version may still be public.
    visibility: Visibility,
    pending: Option<Pending>,
}

impl OnDisk {
    fn fingerprint(&self) -> String {
        self.text.as_deref().map(files::fingerprint).unwrap_or_default()
    }

    /// For the audit: the revision waiting that a save replaces, if any.
    fn replaced(&self) -> Option<String> {
        self.pending.as_ref().map(|p| format!("取代了 {} 提交的待批准修改", p.author))
    }

    /// Whether the public sees it, or will at its publish time.
    fn is_public(&self) -> bool {
        self.text.is_some() && self.visibility.is_public()
    }

    /// A save starts from the text the editor showed: the revision waiting,
    /// if any, else the file. Building on a revision is refused once the
    /// file has changed since it was written.
    fn check(&self, base: &str) -> Result<(), PublishError> {
        let working = match &self.pending {
            Some(pending) => files::fingerprint(&pending.content),
            None => self.fingerprint(),
        };
        if base != working {
            return Err(PublishError::Conflict);
        }
        if self.pending.as_ref().is_some_and(|pending| pending.base != self.fingerprint()) {
            return Err(PublishError::PendingOutdated);
        }
        Ok(())
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

/// The staff workflow over one content folder, its store and the engine.
pub struct Publisher {
    root: PathBuf,
    store: Store,
    engine: Arc<Engine>,
    /// Files under the folder that are broken now, as the watcher found them.
    problems: std::sync::Mutex<Vec<content::Problem>>,
    /// Held from reading a file to writing it, so that two saves of the
    /// same text cannot both pass the check against it.
    writing: std::sync::Mutex<()>,
    /// The official texts, reduced, to mark documents 需复核.
    official: stale::OfficialLaws,
}

impl Publisher {
    /// `root` is the content folder staff documents are written to.
    /// The store and the publisher read the time from the engine's clock.
    pub fn new(root: &Path, store: Store, engine: Arc<Engine>) -> Publisher {
        let store = store.with_clock(engine.clock().clone());
        Publisher {
            root: root.to_path_buf(),
            store,
            engine,
            problems: std::sync::Mutex::new(Vec::new()),
            writing: std::sync::Mutex::new(()),
            official: stale::OfficialLaws::default(),
        }
    }

    /// The program's clock (the engine's).
    pub fn clock(&self) -> &Clock {
        self.engine.clock()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Broken files found since they last changed, with paths relative to
    /// the folder ([`Publisher::shown`]).
    pub fn problems(&self) -> Vec<content::Problem> {
        let problems = self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        problems.into_iter().map(|problem| self.shown(problem)).collect()
    }

    /// A problem as staff see it: its path relative to the content folder
    /// (`warnings/a.md`), which is all they need; the server's own folders
    /// stay private.
    fn shown(&self, problem: content::Problem) -> content::Problem {
        content::Problem { path: self.relative(&problem.path), ..problem }
    }

    /// `path` relative to the content folder (`.` for the folder itself).
    fn relative(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.root) {
            Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
            Ok(relative) => relative.to_path_buf(),
            Err(_) => path.to_path_buf(),
        }
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

    /// The shared tag vocabulary of the folder (`tags.txt`), read afresh:
    /// staff may change it while the server runs.
    pub fn vocabulary(&self) -> Vocabulary {
        Vocabulary::parse(&std::fs::read_to_string(self.root.join(content::TAGS_FILE)).unwrap_or_default())
    }

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
    ) -> Result<Option<(crate::content::FrontMatter, Option<chrono::NaiveDate>)>, PublishError> {
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

    /// The text a save would write, checked as the loader will read it.
    pub fn compose(&self, edit: &Edit) -> Result<(String, Document), PublishError> {
        let front = toml::to_string(&edit.meta).map_err(|e| PublishError::Invalid(e.to_string()))?;
        let text = format!("+++\n{front}+++\n\n{}\n", edit.body.trim_end());
        let id = self.id_for(edit)?;
        let document = content::parse_document(&self.root, &self.path_of(&id)?, &text)
            .map_err(|problem| PublishError::Invalid(problem.reason))?;
        // Tags come from the shared vocabulary, or `weiquan check` fails
        // later on a file the site already shows.
        let unknown = self.vocabulary().unknown(&edit.meta.tags);
        if !unknown.is_empty() {
            return Err(PublishError::Invalid(format!(
                "标签“{}”不在共享标签词表（tags.txt）中：请从词表中选择，或请管理员先把它加入词表",
                unknown.join("、")
            )));
        }
        Ok((text, document))
    }

    /// Saves `edit` as `actor`, applying `action`: writes the file
    /// atomically, keeps the version, logs it, and updates the index so the
    /// change is searchable when this returns.
    ///
    /// The state and publish time are the file's; only `action` changes
    /// them. Whoever may not publish cannot change a public document or
    /// make one public: an editor's save of one becomes a revision waiting
    /// for a publisher, and the live text stays up meanwhile.
    pub fn save(&self, actor: &Actor, mut edit: Edit, action: Action) -> Result<Saved, PublishError> {
        match action {
            Action::SaveDraft => actor.must_write()?,
            _ => actor.must_publish()?,
        }
        let id = self.id_for(&edit)?;
        actor.must_reach(&id)?;
        let path = self.path_of(&id)?;
        let _writing = self.writing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let disk = self.on_disk(&id, &path)?;
        disk.check(&edit.base)?;
        let visibility = match action {
            Action::SaveDraft if disk.text.is_none() => Visibility::DRAFT,
            Action::SaveDraft => disk.visibility,
            Action::Publish => Visibility { state: None, publish_at: None },
            Action::Schedule(at) => Visibility { state: None, publish_at: Some(at) },
            Action::Withdraw => Visibility { state: Some(State::Withdrawn), ..disk.visibility },
        };
        visibility.apply(&mut edit.meta);
        edit.meta.kind = None;
        if edit.meta.date.is_none() {
            edit.meta.date = Some(self.clock().today());
        }
        // Publishing is when staff vouch for the text: `weiquan check` wants
        // the day a public guide or warning was last checked.
        if visibility.is_public() && edit.meta.checked.is_none() {
            edit.meta.checked = Some(self.clock().today());
        }
        edit.id = Some(id.clone());
        let (text, document) = self.compose(&edit)?;
        if (disk.is_public() || visibility.is_public()) && !actor.can_publish() {
            return self.propose(actor, &id, &disk, text, visibility);
        }
        let (verb, then) = match (&disk.text, action) {
            (None, Action::SaveDraft) => (AuditAction::Create, None),
            (None, action) => (AuditAction::Create, Some(action.audited())),
            (Some(_), action) => (action.audited(), None),
        };
        let notes = disk.replaced().into_iter().collect();
        let write = Write { id, path, text, document, visibility, author: actor.name(), verb, then, notes };
        self.write(actor, &disk, write)
    }

    /// Makes version `number` of `id` the current text again (a new
    /// version). The document keeps its state and publish time: a restore
    /// never publishes or unpublishes. An editor's restore over a public
    /// document becomes a revision waiting for a publisher.
    pub fn restore(&self, actor: &Actor, id: &str, number: i64, base: &str) -> Result<Saved, PublishError> {
        actor.must_write()?;
        actor.must_reach(id)?;
        let path = self.path_of(id)?;
        let old =
            self.store.version(id, number)?.ok_or_else(|| PublishError::NotFound(format!("{id} 版本 {number}")))?;
        let _writing = self.writing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let disk = self.on_disk(id, &path)?;
        disk.check(base)?;
        let visibility = if disk.text.is_some() { disk.visibility } else { Visibility::DRAFT };
        let document = self.parse(&path, &old)?;
        // Written as it was unless its state must change, so a shipped file comes back byte for byte.
        let (text, document) = if Visibility::of(&document.meta) == visibility {
            (old, document)
        } else {
            let mut meta = document.meta;
            visibility.apply(&mut meta);
            meta.kind = None;
            let edit = Edit {
                id: Some(id.into()),
                kind: document.kind,
                slug: String::new(),
                base: String::new(),
                meta,
                body: document.body,
            };
            self.compose(&edit)?
        };
        if disk.is_public() && !actor.can_publish() {
            return self.propose(actor, id, &disk, text, visibility);
        }
        let notes = std::iter::once(format!("恢复的是版本 {number}")).chain(disk.replaced()).collect();
        let write = Write {
            id: id.into(),
            path,
            text,
            document,
            visibility,
            author: actor.name(),
            verb: AuditAction::Restore,
            then: None,
            notes,
        };
        self.write(actor, &disk, write)
    }

    /// Puts the revision of `id` waiting for a publisher live, as the
    /// publisher saw it (`base`, its fingerprint).
    pub fn approve(&self, actor: &Actor, id: &str, base: &str) -> Result<Saved, PublishError> {
        actor.must_publish()?;
        actor.must_reach(id)?;
        let path = self.path_of(id)?;
        let _writing = self.writing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let disk = self.on_disk(id, &path)?;
        let pending = disk.pending.clone().ok_or_else(|| PublishError::NotFound(format!("{id} 的待批准修改")))?;
        disk.check(base)?;
        let document = self.parse(&path, &pending.content)?;
        let write = Write {
            id: id.into(),
            path,
            visibility: Visibility::of(&document.meta),
            text: pending.content,
            document,
            notes: vec![format!("批准了 {} 提交的修改", pending.author)],
            author: pending.author,
            verb: AuditAction::Approve,
            then: None,
        };
        self.write(actor, &disk, write)
    }

    /// Drops the revision of `id` waiting for a publisher, as the publisher
    /// saw it (`base`, its fingerprint). The file is not touched.
    pub fn discard(&self, actor: &Actor, id: &str, base: &str) -> Result<(), PublishError> {
        actor.must_publish()?;
        actor.must_reach(id)?;
        let _writing = self.writing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let pending = self.store.pending(id)?.ok_or_else(|| PublishError::NotFound(format!("{id} 的待批准修改")))?;
        if files::fingerprint(&pending.content) != base {
            return Err(PublishError::Conflict);
        }
        self.store.transaction(|tx| {
            tx.drop_pending(id)?;
            tx.audit(&actor.name(), AuditAction::Discard, id, &format!("放弃了 {} 提交的修改", pending.author))
        })?;
        Ok(())
    }

    /// Keeps `text` as the revision of a public document waiting for a
    /// publisher, for staff who may not publish; tokens are refused.
    fn propose(
        &self,
        actor: &Actor,
        id: &str,
        disk: &OnDisk,
        text: String,
        visibility: Visibility,
    ) -> Result<Saved, PublishError> {
        if !actor.proposes() {
            return Err(Refusal::NeedsPublishScope.into());
        }
        self.store.transaction(|tx| {
            tx.propose(id, &text, &disk.fingerprint(), &actor.name())?;
            tx.audit(&actor.name(), AuditAction::Propose, id, "已公开的内容：修改等待发布员批准，网站上仍是原文")
        })?;
        Ok(Saved { id: id.into(), fingerprint: files::fingerprint(&text), state: visibility.state(), proposed: true })
    }

    /// Replaces the file `disk` holds: keeps that file as a version first,
    /// records the new version and the audit entry (by `actor`, with the
    /// state that took effect), drops the revision waiting (the new text
    /// replaces it) and updates the index.
    ///
    /// The records and the file change together: they are written in one
    /// transaction whose last step writes the file, so a refused write
    /// leaves no version and no audit entry; and should the transaction
    /// then fail to commit, the old file is put back.
    fn write(&self, actor: &Actor, disk: &OnDisk, write: Write) -> Result<Saved, PublishError> {
        let Write { id, path, text, document, visibility, author, verb, then, notes } = write;
        let written = std::cell::Cell::new(false);
        let recorded = self.store.transaction(|tx| {
            if let Some(old) = &disk.text {
                tx.keep_disk_version(&id, old)?;
            }
            let version = tx.save_version(&id, &text, &author, verb)?;
            tx.drop_pending(&id)?;
            let detail = [vec![format!("版本 {version}"), visibility.label()], notes].concat().join("，");
            match then {
                Some(then) => {
                    tx.audit(&actor.name(), verb, &id, &format!("版本 {version}"))?;
                    tx.audit(&actor.name(), then, &id, &detail)?;
                }
                None => tx.audit(&actor.name(), verb, &id, &detail)?,
            }
            files::write_atomically(&path, &text)?;
            written.set(true);
            Ok::<_, PublishError>(())
        });
        if let Err(error) = recorded {
            if written.get() {
                self.put_back(&path, disk.text.as_deref());
            }
            return Err(error);
        }
        self.engine.reindex(&id, Some(&document))?;
        Ok(Saved { fingerprint: files::fingerprint(&text), state: visibility.state(), proposed: false, id })
    }

    /// Puts the file at `path` back as it was (`old`; `None`: there was
    /// none) after its change could not be recorded.
    fn put_back(&self, path: &Path, old: Option<&str>) {
        let restored = match old {
            Some(old) => files::write_atomically(path, old),
            None => std::fs::remove_file(path),
        };
        if let Err(error) = restored {
            tracing::error!(%error, path = %path.display(), "cannot put back a file whose change was not recorded");
        }
    }

    /// The file of `id` and the revision waiting for it.
    fn on_disk(&self, id: &str, path: &Path) -> Result<OnDisk, PublishError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(error.into()),
        };
        let visibility = match &text {
            Some(text) => {
                self.parse(path, text).map_or(Visibility { state: None, publish_at: None }, |d| Visibility::of(&d.meta))
            }
            None => Visibility::DRAFT,
        };
        Ok(OnDisk { text, visibility, pending: self.store.pending(id)? })
    }

    /// `text` read as the document at `path`.
    fn parse(&self, path: &Path, text: &str) -> Result<Document, PublishError> {
        content::parse_document(&self.root, path, text)
            .map_err(|problem| PublishError::Invalid(self.shown(problem).to_string()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_messages_name_no_server_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("content");
        std::fs::create_dir_all(root.join("warnings")).unwrap();
        std::fs::write(root.join("warnings/broken.md"), "+++\ntitle = \n+++\n坏文件\n").unwrap();
        let index = tempfile::tempdir().unwrap();
        let clock = crate::clock::Clock::default();
        search::build(index.path(), std::slice::from_ref(&root), &clock, &|_, _, _| {}).unwrap();
        let engine = Arc::new(Engine::open(index.path(), clock).unwrap());
        let publisher = Publisher::new(&root, Store::open(&dir.path().join("data")).unwrap(), engine);
        let server_folder = dir.path().to_string_lossy().into_owned();

        let opened = publisher.open("warnings/broken").unwrap_err().to_string();
        assert!(opened.contains("warnings/broken.md:2") && !opened.contains(&server_folder), "{opened}");
        publisher.report(content::read_document(&root, &root.join("warnings/broken.md")).unwrap_err());
        let listed = publisher.problems()[0].to_string();
        assert!(listed.starts_with("warnings/broken.md:2: "), "{listed}");

        // Errors whose own text carries a path (as tempfile's do) are told by their kind.
        let error = std::io::Error::other(format!("no room at path {server_folder}/content/warnings/.saving-1"));
        let told = PublishError::Io(error).to_string();
        assert!(told.starts_with("保存失败，原文件未改动") && !told.contains(&server_folder), "{told}");
    }
}
