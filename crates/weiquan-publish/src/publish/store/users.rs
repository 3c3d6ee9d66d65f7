//! Staff accounts: their names, roles, passwords and whether they are
//! enabled.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::{AuditAction, Store, StoreError, Tx, by_name, check_name, credentials};
use crate::db::sql::{Row, SqlError};
use crate::db::stamp;

/// What a staff member may do. Each role can do everything the one before can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Writes and edits drafts.
    Editor,
    /// Also publishes and withdraws warnings.
    Publisher,
    /// Also manages accounts and API tokens.
    Admin,
}

impl Role {
    /// All roles, least powerful first.
    pub const ALL: [Role; 3] = [Role::Editor, Role::Publisher, Role::Admin];

    /// The stored and command-line name: `editor`, `publisher`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Publisher => "publisher",
            Role::Admin => "admin",
        }
    }

    /// The Chinese name shown to staff: 编辑, 发布员, 管理员.
    pub fn label(self) -> &'static str {
        match self {
            Role::Editor => "编辑",
            Role::Publisher => "发布员",
            Role::Admin => "管理员",
        }
    }

    /// Publishers and admins may publish and withdraw.
    pub fn can_publish(self) -> bool {
        matches!(self, Role::Publisher | Role::Admin)
    }

    /// Only admins manage accounts and tokens.
    pub fn can_admin(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = StoreError;

    /// Accepts the English names (any ASCII case) and the Chinese labels.
    fn from_str(text: &str) -> Result<Role, StoreError> {
        let text = text.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text) || role.label() == text)
            .ok_or_else(|| StoreError::UnknownRole(text.to_owned()))
    }
}

/// A staff account (never carries the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    /// UTC, RFC 3339.
    pub created_at: String,
}

impl Store {
    /// Adds an account as `by` (an admin, or `None` from the command line),
    /// and records it in the audit log in the same transaction. The name
    /// follows the naming rule ([`credentials::valid_name`]) and is unique
    /// ignoring ASCII case; the password passes
    /// [`credentials::check_password`]. Runs argon2: call it on the blocking
    /// pool.
    pub fn add_user(&self, by: Option<&User>, name: &str, role: Role, password: &str) -> Result<User, StoreError> {
        check_name(name)?;
        if self.user(name)?.is_some() {
            return Err(StoreError::DuplicateUser(name.to_owned()));
        }
        let hash = hash_password(password)?;
        let created_at = stamp(self.clock.utc());
        self.transaction(|tx: &Tx<'_>| {
            let inserted = tx.db.query(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
                &[name.into(), role.as_str().into(), hash.as_str().into(), created_at.as_str().into()],
            );
            let id = match inserted {
                Ok(rows) => rows[0].int(0)?,
                // Added by another process between the check and the insert.
                Err(SqlError::Unique) => return Err(StoreError::DuplicateUser(name.to_owned())),
                Err(e) => return Err(e.into()),
            };
            tx.audit(by_name(by), AuditAction::UserAdd, name, &AuditAction::role_detail(role))?;
            Ok(User { id, name: name.to_owned(), role, disabled: false, created_at })
        })
    }

    /// All accounts, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query("SELECT id, name, role, disabled, created_at FROM users ORDER BY lower(name), name", &[])?)
        })?;
        rows.iter().map(read_user).collect()
    }

    /// The account with this name (ignoring ASCII case), if any.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let rows = self.read(|db| Ok(db.query(USER_BY_NAME, &[name.into()])?))?;
        rows.first().map(read_user).transpose()
    }

    /// Sets a new password (as strong as [`credentials::check_password`]
    /// asks) as `by` (`None`: the command line), ends the user's sessions
    /// and records it in the audit log, in one transaction. Runs argon2:
    /// call it on the blocking pool.
    pub fn set_password(&self, by: Option<&User>, name: &str, password: &str) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        self.transaction(|tx| {
            let user = user_in(tx, name)?;
            tx.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", &[hash.as_str().into(), user.id.into()])?;
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", &[user.id.into()])?;
            tx.audit(by_name(by), AuditAction::UserPasswd, &user.name, "")
        })
    }

    /// Disables or re-enables an account and records it in the audit log,
    /// in one transaction. Disabling ends its sessions, and its API tokens
    /// stop working while it stays disabled; re-enabling revives neither
    /// sessions nor anything else.
    ///
    /// `by` is the admin doing it (`None` from the command line). An admin
    /// cannot disable their own account, and nobody can disable the last
    /// enabled admin, so there is always someone who can open the admin
    /// pages.
    pub fn set_disabled(&self, by: Option<&User>, name: &str, disabled: bool) -> Result<(), StoreError> {
        // An immediate transaction: two admins disabled at once cannot both pass the last-admin check.
        self.transaction(|tx| {
            let user = user_in(tx, name)?;
            if disabled {
                if by.is_some_and(|by| by.id == user.id) {
                    return Err(StoreError::DisableSelf);
                }
                let other_admins = tx.query(
                    "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?1",
                    &[user.id.into()],
                )?[0]
                    .int(0)?;
                if user.role == Role::Admin && !user.disabled && other_admins == 0 {
                    return Err(StoreError::LastAdmin(user.name));
                }
                tx.execute("DELETE FROM sessions WHERE user_id = ?1", &[user.id.into()])?;
            }
            tx.execute("UPDATE users SET disabled = ?1 WHERE id = ?2", &[disabled.into(), user.id.into()])?;
            let action = if disabled { AuditAction::UserDisable } else { AuditAction::UserEnable };
            tx.audit(by_name(by), action, &user.name, "")
        })
    }
}

/// The account called `name` (ignoring ASCII case), read inside a transaction.
fn user_in(tx: &Tx<'_>, name: &str) -> Result<User, StoreError> {
    let rows = tx.query(USER_BY_NAME, &[name.into()])?;
    rows.first().map(read_user).transpose()?.ok_or_else(|| StoreError::UnknownUser(name.to_owned()))
}

/// The account called `?1`, ignoring ASCII case (SQLite's `lower` changes
/// ASCII letters only; names of other scripts have no case that matters).
pub(super) const USER_BY_NAME: &str =
    "SELECT id, name, role, disabled, created_at FROM users WHERE lower(name) = lower(?1)";

/// The hash of a new password, refused when it is weak.
fn hash_password(password: &str) -> Result<String, StoreError> {
    credentials::check_password(password).map_err(StoreError::WeakPassword)?;
    credentials::hash(password).map_err(|e| StoreError::Hash(e.to_string()))
}

/// Reads `id, name, role, disabled, created_at` from the first five columns.
pub(super) fn read_user(row: &Row) -> Result<User, StoreError> {
    let role = row.text(2)?.parse().map_err(|e: StoreError| StoreError::Corrupt(format!("role: {e}")))?;
    Ok(User {
        id: row.int(0)?,
        name: row.text(1)?.to_owned(),
        role,
        disabled: row.bool(3)?,
        created_at: row.text(4)?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::credentials::Weakness;
    use crate::publish::store::testing::{PASSWORD, on_both, t0, texts};
    use crate::publish::store::{LoginOutcome, StoreError};
    use chrono::Duration;

    #[test]
    fn add_user_checks_names_duplicates_and_passwords() {
        on_both("add_user_checks_names_duplicates_and_passwords", |store| {
            let alice = store.add_user(None, "alice", Role::Publisher, PASSWORD).unwrap();
            assert_eq!((alice.name.as_str(), alice.role, alice.disabled), ("alice", Role::Publisher, false));
            assert_eq!(store.user("alice").unwrap(), Some(alice.clone()));
            assert_eq!(store.user("ALICE").unwrap(), Some(alice));
            assert_eq!(store.user("bob").unwrap(), None);

            let error = store.add_user(None, "Alice", Role::Editor, PASSWORD).unwrap_err();
            assert!(matches!(error, StoreError::DuplicateUser(_)), "{error}");
            assert!(error.to_string().contains("already exists"), "{error}");

            // Look-alikes of `alice`: a zero-width space, a Cyrillic а.
            for name in ["", "a b", "tab\tname", &"x".repeat(65), "ali\u{200B}ce", "\u{0430}lice"] {
                let error = store.add_user(None, name, Role::Editor, PASSWORD).unwrap_err();
                assert!(matches!(error, StoreError::InvalidName(_)), "{name:?}: {error}");
                assert!(error.refusal().unwrap().contains("只能用英文字母、数字"), "{error}");
            }
            store.add_user(None, &"张".repeat(64), Role::Editor, PASSWORD).unwrap();

            for (password, weakness) in
                [("12345678", Weakness::Short), ("1234567890", Weakness::OneKind), ("Password123", Weakness::Common)]
            {
                let error = store.add_user(None, "bob", Role::Editor, password).unwrap_err();
                assert!(matches!(error, StoreError::WeakPassword(w) if w == weakness), "{password}: {error}");
                assert_eq!(error.refusal(), Some(weakness.message()));
            }
            assert!(store.user("bob").unwrap().is_none(), "nothing is added with a weak password");
            store.add_user(None, "bob", Role::Editor, "十个汉字的密码再加2026").unwrap();
            assert_eq!(store.users().unwrap().len(), 3);
        });
    }

    #[test]
    fn passwords_are_not_stored_in_clear() {
        on_both("passwords_are_not_stored_in_clear", |store| {
            store.add_user(None, "alice", Role::Editor, PASSWORD).unwrap();
            store.add_user(None, "bob", Role::Editor, PASSWORD).unwrap();
            let hashes = texts(store, "SELECT password_hash FROM users");
            assert_eq!(hashes.len(), 2);
            for hash in &hashes {
                assert!(hash.starts_with("$argon2id$"), "{hash}");
                assert!(!hash.contains(PASSWORD), "{hash}");
            }
            assert_ne!(hashes[0], hashes[1], "each password has its own salt");
        });
    }

    #[test]
    fn disabled_users_cannot_log_in_and_lose_their_sessions() {
        on_both("disabled_users_cannot_log_in_and_lose_their_sessions", |store| {
            let alice = store.add_user(None, "alice", Role::Publisher, PASSWORD).unwrap();
            let session = store.create_session(&alice, Duration::hours(8), t0(), "10.0.0.1").unwrap();
            assert!(store.session(&session.token, t0()).unwrap().is_some());

            store.set_disabled(None, "alice", true).unwrap();
            assert!(store.user("alice").unwrap().unwrap().disabled);
            assert_eq!(store.session(&session.token, t0()).unwrap(), None);
            // The right password answers as a wrong one does.
            assert_eq!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
            assert_eq!(store.login("alice", "guess", "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);

            store.set_disabled(None, "alice", false).unwrap();
            assert_eq!(store.session(&session.token, t0()).unwrap(), None, "re-enabling does not revive sessions");
            assert!(matches!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(_)));

            let error = store.set_disabled(None, "nobody", true).unwrap_err();
            assert!(matches!(error, StoreError::UnknownUser(_)), "{error}");
        });
    }

    #[test]
    fn admins_cannot_disable_themselves_or_the_last_admin() {
        on_both("admins_cannot_disable_themselves_or_the_last_admin", |store| {
            let boss = store.add_user(None, "boss", Role::Admin, PASSWORD).unwrap();
            store.add_user(None, "ed", Role::Editor, PASSWORD).unwrap();
            let error = store.set_disabled(Some(&boss), "boss", true).unwrap_err();
            assert!(matches!(error, StoreError::DisableSelf), "{error}");
            let error = store.set_disabled(None, "BOSS", true).unwrap_err();
            assert!(matches!(error, StoreError::LastAdmin(ref name) if name == "boss"), "{error}");
            assert!(error.refusal().unwrap().contains("最后一个启用的管理员"), "{error}");
            assert!(!store.user("boss").unwrap().unwrap().disabled);

            let chief = store.add_user(None, "chief", Role::Admin, PASSWORD).unwrap();
            store.set_disabled(Some(&boss), "ed", true).unwrap();
            store.set_disabled(Some(&boss), "chief", true).unwrap();
            // With chief disabled, boss is the last one again.
            assert!(matches!(store.set_disabled(Some(&chief), "boss", true), Err(StoreError::LastAdmin(_))));
            store.set_disabled(Some(&boss), "chief", false).unwrap();
            store.set_disabled(Some(&chief), "boss", true).unwrap();
            assert!(store.user("boss").unwrap().unwrap().disabled);
        });
    }

    #[test]
    fn a_new_password_replaces_the_old_and_ends_sessions() {
        on_both("a_new_password_replaces_the_old_and_ends_sessions", |store| {
            let alice = store.add_user(None, "alice", Role::Editor, PASSWORD).unwrap();
            let session = store.create_session(&alice, Duration::hours(8), t0(), "10.0.0.1").unwrap();
            assert!(matches!(
                store.set_password(None, "alice", "short"),
                Err(StoreError::WeakPassword(Weakness::Short))
            ));
            store.set_password(None, "alice", "a new password").unwrap();
            assert_eq!(store.session(&session.token, t0()).unwrap(), None);
            assert_eq!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
            assert!(matches!(store.login("alice", "a new password", "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(_)));
            assert!(matches!(store.set_password(None, "nobody", "a new password"), Err(StoreError::UnknownUser(_))));
        });
    }

    #[test]
    fn roles_parse_and_name_themselves() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.label().parse::<Role>().unwrap(), role);
        }
        assert_eq!("Publisher".parse::<Role>().unwrap(), Role::Publisher);
        assert_eq!("管理员".parse::<Role>().unwrap().label(), "管理员");
        assert!(matches!("root".parse::<Role>(), Err(StoreError::UnknownRole(_))));
        assert_eq!(Role::ALL.map(Role::can_publish), [false, true, true]);
        assert_eq!(Role::ALL.map(Role::can_admin), [false, false, true]);
    }
}
