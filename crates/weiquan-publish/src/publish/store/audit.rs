//! The audit log: who did what to which document or account, and when.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::credentials::MAX_NAME_CHARS;
use super::revisions::DISK_ACTION;
use super::{Role, Store, StoreError, Tx};
use crate::db::sql::Row;
use crate::db::stamp;
use weiquan_core::text::spreadsheet::Sheet;

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

/// What an audit entry records. Each action has one stored code
/// ([`AuditAction::as_str`]: what the database and the CSV export carry, and
/// what older rows already hold) and one Chinese label for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// A document's first version.
    Create,
    /// A save that kept the document's state.
    Edit,
    /// A document made public now.
    Publish,
    /// A document made public from a set time.
    Schedule,
    /// A document taken off the public site.
    Withdraw,
    /// An old version made the current text again.
    Restore,
    /// A revision of a public document left for a publisher.
    Propose,
    /// A revision waiting for a publisher put live.
    Approve,
    /// A revision waiting for a publisher dropped.
    Discard,
    /// A sign-in; the detail is the address.
    Login,
    /// A sign-out.
    Logout,
    /// A sign-in with a wrong name or password; the detail is the address.
    FailedLogin,
    /// Sign-ins refused while their address was throttled, counted in one entry.
    LoginLocked,
    /// An account added; the detail is `role=` and the role's name.
    UserAdd,
    /// An account disabled.
    UserDisable,
    /// An account enabled again.
    UserEnable,
    /// A password set.
    UserPasswd,
    /// An API token made; the detail is its id.
    TokenCreate,
    /// An API token revoked; the target is its id.
    TokenRevoke,
    /// A kiosk asked to reload.
    KioskReload,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 20] = [
        AuditAction::Create,
        AuditAction::Edit,
        AuditAction::Publish,
        AuditAction::Schedule,
        AuditAction::Withdraw,
        AuditAction::Restore,
        AuditAction::Propose,
        AuditAction::Approve,
        AuditAction::Discard,
        AuditAction::Login,
        AuditAction::Logout,
        AuditAction::FailedLogin,
        AuditAction::LoginLocked,
        AuditAction::UserAdd,
        AuditAction::UserDisable,
        AuditAction::UserEnable,
        AuditAction::UserPasswd,
        AuditAction::TokenCreate,
        AuditAction::TokenRevoke,
        AuditAction::KioskReload,
    ];

    /// The stored code: `edit`, `publish`, `user.add` …
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Edit => "edit",
            AuditAction::Publish => "publish",
            AuditAction::Schedule => "schedule",
            AuditAction::Withdraw => "withdraw",
            AuditAction::Restore => "restore",
            AuditAction::Propose => "propose",
            AuditAction::Approve => "approve",
            AuditAction::Discard => "discard",
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::FailedLogin => "failed_login",
            AuditAction::LoginLocked => "login_locked",
            AuditAction::UserAdd => "user.add",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserEnable => "user.enable",
            AuditAction::UserPasswd => "user.passwd",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::KioskReload => "kiosk.reload",
        }
    }

    /// The Chinese label staff read.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::Create => "新建",
            AuditAction::Edit => "保存",
            AuditAction::Publish => "发布",
            AuditAction::Schedule => "定时发布",
            AuditAction::Withdraw => "撤回",
            AuditAction::Restore => "恢复旧版本",
            AuditAction::Propose => "提交待批",
            AuditAction::Approve => "批准发布",
            AuditAction::Discard => "放弃修改",
            AuditAction::Login => "登录",
            AuditAction::Logout => "退出登录",
            AuditAction::FailedLogin => "登录失败",
            AuditAction::LoginLocked => "登录被暂时锁定",
            AuditAction::UserAdd => "新增用户",
            AuditAction::UserDisable => "停用用户",
            AuditAction::UserEnable => "启用用户",
            AuditAction::UserPasswd => "修改密码",
            AuditAction::TokenCreate => "新建接口令牌",
            AuditAction::TokenRevoke => "吊销接口令牌",
            AuditAction::KioskReload => "要求终端刷新",
        }
    }

    /// The action a stored code names.
    pub fn parse(code: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|action| action.as_str() == code)
    }

    /// The detail of [`AuditAction::UserAdd`]: `role=editor`, from the
    /// admin and the command line alike. (The admin used to write the bare
    /// role, `editor`; [`AuditEntry::shown_detail`] reads both.)
    pub fn role_detail(role: Role) -> String {
        format!("role={}", role.as_str())
    }
}

/// The Chinese label staff read for an audit or version action code (the
/// codes themselves stay in the database and the CSV export, which machines
/// read); an unknown code is shown as it is.
pub fn action_label(code: &str) -> &str {
    match AuditAction::parse(code) {
        Some(action) => action.label(),
        None if code == DISK_ACTION => "原文件",
        None => code,
    }
}

impl AuditEntry {
    /// The detail as staff read it: an added account's role by its Chinese
    /// name (from `role=editor`, or the bare `editor` older rows hold); any
    /// other detail as it is.
    pub fn shown_detail(&self) -> std::borrow::Cow<'_, str> {
        if self.action == AuditAction::UserAdd.as_str() {
            let role = self.detail.strip_prefix("role=").unwrap_or(&self.detail);
            if let Ok(role) = role.parse::<Role>() {
                return format!("角色：{}", role.label()).into();
            }
        }
        self.detail.as_str().into()
    }
}

impl Tx<'_> {
    /// Appends to the audit log, stamped with the current UTC time, in the
    /// transaction of the change it records. The actor is cut to 64
    /// characters and the target and detail to 512 (a cut text ends with
    /// `…`): a sign-in name is whatever was typed.
    pub fn audit(&self, actor: &str, action: AuditAction, target: &str, detail: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                stamp(self.clock.utc()).into(),
                cut(actor, MAX_NAME_CHARS).into_owned().into(),
                action.as_str().into(),
                cut(target, MAX_AUDIT_TEXT_CHARS).into_owned().into(),
                cut(detail, MAX_AUDIT_TEXT_CHARS).into_owned().into(),
            ],
        )?;
        Ok(())
    }
}

impl Store {
    /// Appends an entry in a transaction of its own, for what changes
    /// nothing in the store (a sign-out, a kiosk asked to reload); a change
    /// writes its entry in its own transaction ([`Tx::audit`]).
    pub fn audit(&self, actor: &str, action: AuditAction, target: &str, detail: &str) -> Result<(), StoreError> {
        self.transaction(|tx| tx.audit(actor, action, target, detail))
    }

    /// Records a sign-in refused while its address was throttled
    /// ([`LoginOutcome::Throttled`]). The first from `address` within an hour
    /// is an entry (`login_locked`, the action's name since it meant a lock,
    /// with the name tried then); the rest only count in it,
    /// so an attacker who keeps trying adds one row an hour, not one a try.
    pub fn audit_refused_login(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let address = cut(address, MAX_AUDIT_TEXT_CHARS).into_owned();
        self.transaction(|tx| {
            let counted = tx.execute(
                "UPDATE audit SET repeats = repeats + 1 WHERE id = (SELECT id FROM audit \
                 WHERE at > ?1 AND action = ?3 AND detail = ?2 ORDER BY id DESC LIMIT 1)",
                &[
                    stamp(now - REFUSED_LOGIN_WINDOW).into(),
                    address.as_str().into(),
                    AuditAction::LoginLocked.as_str().into(),
                ],
            )?;
            if counted == 0 {
                tx.execute(
                    "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?4, '', ?3)",
                    &[
                        stamp(now).into(),
                        cut(name, MAX_NAME_CHARS).into_owned().into(),
                        address.as_str().into(),
                        AuditAction::LoginLocked.as_str().into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Deletes the audit entries older than `retention_days` before `now`;
    /// returns how many were deleted.
    pub fn purge_audit(&self, now: DateTime<Utc>, retention_days: u32) -> Result<usize, StoreError> {
        let cutoff = stamp(now - Duration::days(i64::from(retention_days)));
        let deleted = self.read(|db| Ok(db.execute("DELETE FROM audit WHERE at < ?1", &[cutoff.as_str().into()])?))?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    /// When `target` was last the object of `action` (UTC, RFC 3339).
    pub fn last_time(&self, target: &str, action: AuditAction) -> Result<Option<String>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT at FROM audit WHERE target = ?1 AND action = ?2 ORDER BY id DESC LIMIT 1",
                &[target.into(), action.as_str().into()],
            )?)
        })?;
        Ok(rows.first().map(|row| row.text(0).map(str::to_owned)).transpose()?)
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT at, actor, action, target, detail, repeats FROM audit ORDER BY id DESC LIMIT ?1",
                &[i64::try_from(limit).unwrap_or(i64::MAX).into()],
            )?)
        })?;
        rows.iter().map(read_audit).collect()
    }

    /// The whole audit log as CSV, oldest first, with the header
    /// `at,actor,action,target,detail,repeats`; cells a spreadsheet would run
    /// as formulas are defused ([`weiquan_core::text::spreadsheet`]).
    pub fn audit_csv(&self) -> Result<String, StoreError> {
        let mut sheet = Sheet::new();
        sheet.row(["at", "actor", "action", "target", "detail", "repeats"]);
        let rows = self.read(|db| {
            Ok(db.query("SELECT at, actor, action, target, detail, repeats FROM audit ORDER BY id", &[])?)
        })?;
        for row in &rows {
            let e = read_audit(row)?;
            sheet.row([e.at, e.actor, e.action, e.target, e.detail, e.repeats.to_string()]);
        }
        Ok(sheet.finish())
    }
}

/// `text` cut to `max` characters, ending with `…` when it was longer.
fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let kept = weiquan_core::text::truncate_chars(text, max);
    if kept.len() == text.len() { kept.into() } else { format!("{kept}…").into() }
}

/// Reads `at, actor, action, target, detail, repeats`.
fn read_audit(row: &Row) -> Result<AuditEntry, StoreError> {
    let text = |i| row.text(i).map(str::to_owned);
    Ok(AuditEntry {
        at: text(0)?,
        actor: text(1)?,
        action: text(2)?,
        target: text(3)?,
        detail: text(4)?,
        repeats: u32::try_from(row.int(5)?).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::store::testing::{at, on_both, rows, t0};

    #[test]
    fn audit_csv_round_trips_awkward_fields() {
        on_both("audit_csv_round_trips_awkward_fields", |store| {
            let awkward = "标题含逗号, \"引号\"\n和换行";
            store.audit("alice", AuditAction::Publish, "warnings/2026-001", awkward).unwrap();
            store.audit("cli", AuditAction::UserAdd, "bob", "role=editor").unwrap();

            let log = store.audit_log(10).unwrap();
            assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["user.add", "publish"]);
            assert_eq!(store.audit_log(1).unwrap().len(), 1);
            assert!(log[0].at.ends_with('Z'));

            let text = store.audit_csv().unwrap();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            assert_eq!(reader.headers().unwrap(), vec!["at", "actor", "action", "target", "detail", "repeats"]);
            let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
            assert_eq!(rows.len(), 2);
            assert_eq!(&rows[0], vec![log[1].at.as_str(), "alice", "publish", "warnings/2026-001", awkward, "1"]);
            assert_eq!(rows[1].iter().skip(1).collect::<Vec<_>>(), ["cli", "user.add", "bob", "role=editor", "1"]);
        });
    }

    #[test]
    fn actions_read_in_chinese_and_unknown_codes_as_they_are() {
        for (code, label) in [("edit", "保存"), ("create", "新建"), ("publish", "发布"), ("user.add", "新增用户")]
        {
            assert_eq!(action_label(code), label);
        }
        assert_eq!(action_label("something.new"), "something.new");
        assert_eq!(action_label(DISK_ACTION), "原文件");
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action), "one code each");
        }
    }

    /// The admin wrote an added account's role as `editor`, the command line
    /// as `role=editor`; new rows are all `role=editor`, and both read alike.
    #[test]
    fn an_added_accounts_role_reads_alike_in_either_spelling() {
        on_both("an_added_accounts_role_reads_alike_in_either_spelling", |store| {
            store.add_user(None, "ed", Role::Editor, crate::publish::store::testing::PASSWORD).unwrap();
            store.audit("boss", AuditAction::UserAdd, "old", "editor").unwrap();
            let log = store.audit_log(10).unwrap();
            assert_eq!(log[1].detail, "role=editor", "the one spelling written now");
            assert_eq!(log[0].detail, "editor", "an old row is read as it is");
            assert!(log.iter().all(|entry| entry.shown_detail() == "角色：编辑"));
            let other = AuditEntry { action: "token.create".into(), detail: "7".into(), ..log[0].clone() };
            assert_eq!(other.shown_detail(), "7");
        });
    }

    #[test]
    fn audit_texts_are_cut() {
        on_both("audit_texts_are_cut", |store| {
            store.audit(&"长".repeat(65_000), AuditAction::FailedLogin, &"t".repeat(600), &"d".repeat(600)).unwrap();
            let entry = &store.audit_log(1).unwrap()[0];
            assert_eq!(entry.actor, format!("{}…", "长".repeat(MAX_NAME_CHARS)));
            assert_eq!((entry.target.chars().count(), entry.detail.chars().count()), (513, 513));
            store.audit("alice", AuditAction::Login, "", "127.0.0.1").unwrap();
            assert_eq!(store.audit_log(1).unwrap()[0].actor, "alice", "short texts are kept whole");
        });
    }

    #[test]
    fn sign_ins_refused_while_locked_count_in_one_entry_an_hour_per_address() {
        on_both("sign_ins_refused_while_locked_count_in_one_entry_an_hour_per_address", |store| {
            for (minutes, name, address) in [
                (0, "x", "10.0.0.1"),
                (1, "y", "10.0.0.1"),
                (2, "z", "10.0.0.2"),
                (59, "w", "10.0.0.1"),
                (61, "v", "10.0.0.1"),
            ] {
                store.audit_refused_login(name, address, t0() + Duration::minutes(minutes)).unwrap();
            }
            let log: Vec<(String, String, String, u32)> = store
                .audit_log(10)
                .unwrap()
                .into_iter()
                .rev()
                .map(|e| (e.actor, e.action, e.detail, e.repeats))
                .collect();
            let entry = |name: &str, address: &str, repeats| {
                (name.to_string(), "login_locked".to_string(), address.to_string(), repeats)
            };
            assert_eq!(log, [entry("x", "10.0.0.1", 3), entry("z", "10.0.0.2", 1), entry("v", "10.0.0.1", 1)]);
        });
    }

    #[test]
    fn the_audit_purge_deletes_exactly_the_entries_past_the_retention() {
        on_both("the_audit_purge_deletes_exactly_the_entries_past_the_retention", |store| {
            let now = at("2026-11-28T12:00:00Z");
            for at in ["2025-11-28T11:59:59Z", "2025-11-28T12:00:00Z", "2025-11-28T12:00:01Z", "2026-11-28T11:00:00Z"] {
                rows(
                    store,
                    "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, 'alice', 'login', '', '')",
                    &[at.into()],
                );
            }
            assert_eq!(store.purge_audit(now, 365).unwrap(), 1, "only the entry older than 365 days");
            let kept: Vec<String> = store.audit_log(10).unwrap().into_iter().rev().map(|e| e.at).collect();
            assert_eq!(kept, ["2025-11-28T12:00:00Z", "2025-11-28T12:00:01Z", "2026-11-28T11:00:00Z"]);
            assert_eq!(store.purge_audit(now, 0).unwrap(), 3);
        });
    }
}
