//! The audit log: who did what to which document or account, and when.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Row, params};
use serde::Serialize;

use super::credentials::MAX_NAME_CHARS;
use super::{Store, StoreError};
use crate::db::stamp;
use crate::text::spreadsheet::Sheet;

/// Days audit entries are kept when nothing is configured.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;
/// Longest target or detail kept in an audit entry, in characters (document
/// ids are at most 512 bytes); the actor is cut to [`MAX_NAME_CHARS`].
const MAX_AUDIT_TEXT_CHARS: usize = 512;
/// Sign-ins refused while throttled, from one address within this time,
/// share one audit entry that counts them.
const REFUSED_LOGIN_WINDOW: Duration = Duration::hours(1);

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// UTC, RFC 3339.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// How many times it happened (more than 1 only for sign-ins refused
    /// while throttled, counted in one entry).
    pub repeats: u32,
}

/// The Chinese label staff read for an audit or version action code (the
/// codes themselves stay in the database and the CSV export, which machines
/// read); an unknown code is shown as it is.
pub fn action_label(code: &str) -> &str {
    match code {
        "create" => "新建",
        "edit" => "保存",
        "publish" => "发布",
        "schedule" => "定时发布",
        "withdraw" => "撤回",
        "restore" => "恢复旧版本",
        "propose" => "提交待批",
        "approve" => "批准发布",
        "discard" => "放弃修改",
        "disk" => "原文件",
        "login" => "登录",
        "logout" => "退出登录",
        "failed_login" => "登录失败",
        "login_locked" => "登录被暂时锁定",
        "user.add" => "新增用户",
        "user.disable" => "停用用户",
        "user.enable" => "启用用户",
        "user.passwd" => "修改密码",
        "token.create" => "新建接口令牌",
        "token.revoke" => "吊销接口令牌",
        "kiosk.reload" => "要求终端刷新",
        other => other,
    }
}

impl Store {
    /// Appends to the audit log, stamped with the current UTC time. The
    /// actor is cut to 64 characters and the target and detail to 512 (a cut
    /// text ends with `…`): a sign-in name is whatever was typed.
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                stamp(self.clock.utc()),
                cut(actor, MAX_NAME_CHARS),
                action,
                cut(target, MAX_AUDIT_TEXT_CHARS),
                cut(detail, MAX_AUDIT_TEXT_CHARS)
            ],
        )?;
        Ok(())
    }

    /// Records a sign-in refused while its address was throttled
    /// ([`LoginOutcome::Throttled`]). The first from `address` within an hour
    /// is an entry (`login_locked`, the action's name since it meant a lock,
    /// with the name tried then); the rest only count in it,
    /// so an attacker who keeps trying adds one row an hour, not one a try.
    pub fn audit_refused_login(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let conn = self.conn();
        let counted = conn.execute(
            "UPDATE audit SET repeats = repeats + 1 WHERE id = (SELECT id FROM audit \
             WHERE at > ?1 AND action = 'login_locked' AND detail = ?2 ORDER BY id DESC LIMIT 1)",
            params![stamp(now - REFUSED_LOGIN_WINDOW), cut(address, MAX_AUDIT_TEXT_CHARS)],
        )?;
        if counted == 0 {
            conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, 'login_locked', '', ?3)",
                params![stamp(now), cut(name, MAX_NAME_CHARS), cut(address, MAX_AUDIT_TEXT_CHARS)],
            )?;
        }
        Ok(())
    }

    /// Deletes the audit entries older than `retention_days` before `now`;
    /// returns how many were deleted.
    pub fn purge_audit(&self, now: DateTime<Utc>, retention_days: u32) -> Result<usize, StoreError> {
        let cutoff = stamp(now - Duration::days(i64::from(retention_days)));
        Ok(self.conn().execute("DELETE FROM audit WHERE at < ?1", [cutoff])?)
    }

    /// When `target` was last the object of `action` (UTC, RFC 3339).
    pub fn last_time(&self, target: &str, action: &str) -> Result<Option<String>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare("SELECT at FROM audit WHERE target = ?1 AND action = ?2 ORDER BY id DESC LIMIT 1")?;
        let mut rows = statement.query_map([target, action], |row| row.get::<_, String>(0))?;
        Ok(rows.next().transpose()?)
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare("SELECT at, actor, action, target, detail, repeats FROM audit ORDER BY id DESC LIMIT ?1")?;
        let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], read_audit)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The whole audit log as CSV, oldest first, with the header
    /// `at,actor,action,target,detail,repeats`; cells a spreadsheet would run
    /// as formulas are defused ([`crate::text::spreadsheet`]).
    pub fn audit_csv(&self) -> Result<String, StoreError> {
        let mut sheet = Sheet::new();
        sheet.row(["at", "actor", "action", "target", "detail", "repeats"]);
        let conn = self.conn();
        let mut statement = conn.prepare("SELECT at, actor, action, target, detail, repeats FROM audit ORDER BY id")?;
        for entry in statement.query_map([], read_audit)? {
            let e = entry?;
            sheet.row([e.at, e.actor, e.action, e.target, e.detail, e.repeats.to_string()]);
        }
        Ok(sheet.finish())
    }
}

/// `text` cut to `max` characters, ending with `…` when it was longer.
fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let kept = crate::text::truncate_chars(text, max);
    if kept.len() == text.len() { kept.into() } else { format!("{kept}…").into() }
}

/// Reads `at, actor, action, target, detail, repeats`.
fn read_audit(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        at: row.get(0)?,
        actor: row.get(1)?,
        action: row.get(2)?,
        target: row.get(3)?,
        detail: row.get(4)?,
        repeats: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::store::testing::{at, raw, store, t0};

    #[test]
    fn audit_csv_round_trips_awkward_fields() {
        let (_dir, store) = store();
        let awkward = "标题含逗号, \"引号\"\n和换行";
        store.audit("alice", "warning.publish", "warnings/2026-001", awkward).unwrap();
        store.audit("cli", "user.add", "bob", "role=editor").unwrap();

        let log = store.audit_log(10).unwrap();
        assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["user.add", "warning.publish"]);
        assert_eq!(store.audit_log(1).unwrap().len(), 1);
        assert!(log[0].at.ends_with('Z'));

        let text = store.audit_csv().unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), vec!["at", "actor", "action", "target", "detail", "repeats"]);
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0], vec![log[1].at.as_str(), "alice", "warning.publish", "warnings/2026-001", awkward, "1"]);
        assert_eq!(rows[1].iter().skip(1).collect::<Vec<_>>(), ["cli", "user.add", "bob", "role=editor", "1"]);
    }

    #[test]
    fn actions_read_in_chinese_and_unknown_codes_as_they_are() {
        for (code, label) in [("edit", "保存"), ("create", "新建"), ("publish", "发布"), ("user.add", "新增用户")]
        {
            assert_eq!(action_label(code), label);
        }
        assert_eq!(action_label("something.new"), "something.new");
    }

    #[test]
    fn audit_texts_are_cut() {
        let (_dir, store) = store();
        store.audit(&"长".repeat(65_000), "failed_login", &"t".repeat(600), &"d".repeat(600)).unwrap();
        let entry = &store.audit_log(1).unwrap()[0];
        assert_eq!(entry.actor, format!("{}…", "长".repeat(MAX_NAME_CHARS)));
        assert_eq!((entry.target.chars().count(), entry.detail.chars().count()), (513, 513));
        store.audit("alice", "login", "", "127.0.0.1").unwrap();
        assert_eq!(store.audit_log(1).unwrap()[0].actor, "alice", "short texts are kept whole");
    }

    #[test]
    fn sign_ins_refused_while_locked_count_in_one_entry_an_hour_per_address() {
        let (_dir, store) = store();
        for (minutes, name, address) in [
            (0, "x", "10.0.0.1"),
            (1, "y", "10.0.0.1"),
            (2, "z", "10.0.0.2"),
            (59, "w", "10.0.0.1"),
            (61, "v", "10.0.0.1"),
        ] {
            store.audit_refused_login(name, address, t0() + Duration::minutes(minutes)).unwrap();
        }
        let log: Vec<(String, String, String, u32)> =
            store.audit_log(10).unwrap().into_iter().rev().map(|e| (e.actor, e.action, e.detail, e.repeats)).collect();
        let entry = |name: &str, address: &str, repeats| {
            (name.to_string(), "login_locked".to_string(), address.to_string(), repeats)
        };
        assert_eq!(log, [entry("x", "10.0.0.1", 3), entry("z", "10.0.0.2", 1), entry("v", "10.0.0.1", 1)]);
    }

    #[test]
    fn the_audit_purge_deletes_exactly_the_entries_past_the_retention() {
        let (dir, store) = store();
        let now = at("2026-11-28T12:00:00Z");
        let conn = raw(dir.path());
        for at in ["2025-11-28T11:59:59Z", "2025-11-28T12:00:00Z", "2025-11-28T12:00:01Z", "2026-11-28T11:00:00Z"] {
            conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, 'alice', 'login', '', '')",
                [at],
            )
            .unwrap();
        }
        assert_eq!(store.purge_audit(now, 365).unwrap(), 1, "only the entry older than 365 days");
        let kept: Vec<String> = store.audit_log(10).unwrap().into_iter().rev().map(|e| e.at).collect();
        assert_eq!(kept, ["2025-11-28T12:00:00Z", "2025-11-28T12:00:01Z", "2026-11-28T11:00:00Z"]);
        assert_eq!(store.purge_audit(now, 0).unwrap(), 3);
    }
}
