//! Going back to an earlier version, and the revisions of public documents
//! that wait for a publisher: proposing, approving and discarding them.

use super::save::{OnDisk, Visibility, Write};
use super::{Actor, AuditAction, Edit, PublishError, Publisher, Refusal, Saved, files};

impl Publisher {
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
    pub(super) fn propose(
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
}
