//! Saving a document: what the editor sends, the checks against the file
//! on disk, and the one write that changes the file, its versions, the
//! audit log and the index together.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use super::{Actor, AuditAction, Pending, PublishError, Publisher, files};
use weiquan_core::content::{self, Document, FrontMatter, Kind, State};

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

/// The workflow fields of a file: whether and from when the public sees it.
/// A save keeps them from the file on disk; only an [`Action`] changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Visibility {
    /// `None` is published, as the loader reads it.
    state: Option<State>,
    publish_at: Option<DateTime<FixedOffset>>,
}

impl Visibility {
    /// What a new document starts as.
    pub(super) const DRAFT: Visibility = Visibility { state: Some(State::Draft), publish_at: None };

    /// The file's, with `state = "published"` read as no state, which means the same.
    pub(super) fn of(meta: &FrontMatter) -> Visibility {
        Visibility { state: meta.state.filter(|&state| state != State::Published), publish_at: meta.publish_at }
    }

    /// The state, a missing one being published.
    pub(super) fn state(self) -> State {
        self.state.unwrap_or(State::Published)
    }

    /// Public now or at its publish time.
    pub(super) fn is_public(self) -> bool {
        self.state() == State::Published
    }

    pub(super) fn apply(self, meta: &mut FrontMatter) {
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
pub(super) struct Write {
    pub(super) id: String,
    pub(super) path: PathBuf,
    pub(super) text: String,
    /// The text as the loader reads it.
    pub(super) document: Document,
    pub(super) visibility: Visibility,
    /// Whose text it is: the version's author.
    pub(super) author: String,
    /// What the version and the audit log call it.
    pub(super) verb: AuditAction,
    /// For a new document saved with more than a draft: the action that took
    /// effect with its first version (`publish`, `schedule`…), logged after
    /// `create` so the audit log says it went public.
    pub(super) then: Option<AuditAction>,
    /// Said in the audit entry after the version and the state.
    pub(super) notes: Vec<String>,
}

/// A document's file as it is now, and the revision waiting for it.
pub(super) struct OnDisk {
    /// `None` when there is no file yet.
    pub(super) text: Option<String>,
    /// The file's; a file that cannot be read as a document counts as
    /// published, since its last good version may still be public.
    pub(super) visibility: Visibility,
    pub(super) pending: Option<Pending>,
}

impl OnDisk {
    pub(super) fn fingerprint(&self) -> String {
        self.text.as_deref().map(files::fingerprint).unwrap_or_default()
    }

    /// For the audit: the revision waiting that a save replaces, if any.
    pub(super) fn replaced(&self) -> Option<String> {
        self.pending.as_ref().map(|p| format!("取代了 {} 提交的待批准修改", p.author))
    }

    /// Whether the public sees it, or will at its publish time.
    pub(super) fn is_public(&self) -> bool {
        self.text.is_some() && self.visibility.is_public()
    }

    /// A save starts from the text the editor showed: the revision waiting,
    /// if any, else the file. Building on a revision is refused once the
    /// file has changed since it was written.
    pub(super) fn check(&self, base: &str) -> Result<(), PublishError> {
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

impl Publisher {
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
        if self.store.is_shared() {
            // Another machine may have saved it a moment ago.
            self.follow(&id)?;
        }
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

    /// Replaces the file `disk` holds: keeps that file as a version first,
    /// records the new version and the audit entry (by `actor`, with the
    /// state that took effect), drops the revision waiting (the new text
    /// replaces it) and updates the index.
    ///
    /// The records and the file change together: they are written in one
    /// transaction whose last step writes the file, so a refused write
    /// leaves no version and no audit entry; and should the transaction
    /// then fail to commit, the old file is put back.
    pub(super) fn write(&self, actor: &Actor, disk: &OnDisk, write: Write) -> Result<Saved, PublishError> {
        let Write { id, path, text, document, visibility, author, verb, then, notes } = write;
        let written = std::cell::Cell::new(false);
        let shared = self.store.is_shared();
        let recorded = self.store.transaction(|tx| {
            // Shared by several machines, the store holds the document: a
            // file older than its newest version is a save not seen yet.
            if shared && tx.newest_version(&id)?.is_some_and(|newest| Some(newest) != disk.text) {
                return Err(PublishError::Conflict);
            }
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
            tx.notify_saved(&id)?;
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
        // Noted first, so that the watcher, told of the write, leaves it be;
        // forgotten if the index did not take it, so that it tries again.
        self.indexed.note(&path, Some(&text));
        if let Err(error) = self.engine.reindex(&id, Some(&document)) {
            self.indexed.forget(&path);
            return Err(error.into());
        }
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
    pub(super) fn on_disk(&self, id: &str, path: &Path) -> Result<OnDisk, PublishError> {
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
}
