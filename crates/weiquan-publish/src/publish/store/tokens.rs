//! API tokens: secrets that let a program act for the staff member who
//! made them, within their scopes.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::{AuditAction, Store, StoreError, User, check_name, random_hex, sha256_hex};
use crate::db::sql::Row;
use crate::db::stamp;

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Create and edit warning drafts.
    WarningsWrite,
    /// Publish and withdraw warnings.
    WarningsPublish,
}

impl Scope {
    /// All scopes.
    pub const ALL: [Scope; 2] = [Scope::WarningsWrite, Scope::WarningsPublish];

    /// `warnings:write` or `warnings:publish`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::WarningsWrite => "warnings:write",
            Scope::WarningsPublish => "warnings:publish",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Scope, StoreError> {
        let text = text.trim();
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| StoreError::UnknownScope(text.to_owned()))
    }
}

/// An API token as listed (never carries the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    /// UTC, RFC 3339.
    pub created_at: String,
    pub revoked: bool,
    /// Whether the creator's account exists and is enabled: a token stops
    /// working while its creator is disabled.
    pub creator_active: bool,
}

impl Store {
    /// Creates a token named `name` with `scopes`, acting for the user
    /// `created_by`, and records it in the audit log (by that user) in the
    /// same transaction. Returns its listing and the secret (`wq_` and 40
    /// hex characters), which is shown once: only its SHA-256 is stored.
    pub fn create_token(
        &self,
        name: &str,
        scopes: &[Scope],
        created_by: &str,
    ) -> Result<(TokenInfo, String), StoreError> {
        check_name(name)?;
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(StoreError::NoScopes);
        }
        // A token acts for its creator, so it needs one.
        let creator = self.user(created_by)?.ok_or_else(|| StoreError::UnknownUser(created_by.to_owned()))?;
        let secret = format!("wq_{}", random_hex(20)?);
        let created_at = stamp(self.clock.utc());
        self.transaction(|tx| {
            let id = tx.query(
                "INSERT INTO api_tokens (name, token_hash, scopes, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                &[
                    name.into(),
                    sha256_hex(&secret).into(),
                    join_scopes(&scopes).into(),
                    creator.name.as_str().into(),
                    created_at.as_str().into(),
                ],
            )?[0]
                .int(0)?;
            tx.audit(&creator.name, AuditAction::TokenCreate, name, &id.to_string())?;
            let info = TokenInfo {
                id,
                name: name.to_owned(),
                scopes,
                created_by: creator.name,
                created_at,
                revoked: false,
                creator_active: !creator.disabled,
            };
            Ok((info, secret))
        })
    }

    /// All API tokens, revoked ones included, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT t.id, t.name, t.scopes, t.created_by, t.created_at,
                        CASE WHEN t.revoked_at IS NULL THEN 0 ELSE 1 END,
                        CASE WHEN u.disabled = 0 THEN 1 ELSE 0 END
                 FROM api_tokens t LEFT JOIN users u ON u.name = t.created_by ORDER BY t.id",
                &[],
            )?)
        })?;
        rows.iter().map(read_token).collect()
    }

    /// Revokes a token for good as admin `by`, and records it in the audit
    /// log in the same transaction. Revoking twice is not an error.
    pub fn revoke_token(&self, by: &User, id: i64) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let found = tx.execute(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2",
                &[stamp(self.clock.utc()).into(), id.into()],
            )?;
            if found == 0 {
                return Err(StoreError::UnknownToken(id));
            }
            tx.audit(&by.name, AuditAction::TokenRevoke, &id.to_string(), "")
        })
    }

    /// The token a secret belongs to: `None` if unknown, revoked, or its
    /// creator is no longer an enabled account (a token acts for the person
    /// who made it). Looked up by the secret's hash, so timing says nothing
    /// about the secret.
    pub fn check_token(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT t.id, t.name, t.scopes, t.created_by, t.created_at, 0, 1
                 FROM api_tokens t JOIN users u ON u.name = t.created_by
                 WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0",
                &[sha256_hex(secret).into()],
            )?)
        })?;
        rows.first().map(read_token).transpose()
    }
}

/// Reads `id, name, scopes, created_by, created_at, revoked, creator_active`.
fn read_token(row: &Row) -> Result<TokenInfo, StoreError> {
    let scopes = row
        .text(2)?
        .split_whitespace()
        .map(|s| s.parse().map_err(|e: StoreError| StoreError::Corrupt(format!("token scope: {e}"))))
        .collect::<Result<_, _>>()?;
    Ok(TokenInfo {
        id: row.int(0)?,
        name: row.text(1)?.to_owned(),
        scopes,
        created_by: row.text(3)?.to_owned(),
        created_at: row.text(4)?.to_owned(),
        revoked: row.bool(5)?,
        creator_active: row.bool(6)?,
    })
}

fn join_scopes(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::store::Role;
    use crate::publish::store::testing::{PASSWORD, on_both, texts};

    #[test]
    fn api_tokens_carry_scopes_and_can_be_revoked() {
        on_both("api_tokens_carry_scopes_and_can_be_revoked", |store| {
            let alice = store.add_user(None, "alice", Role::Admin, PASSWORD).unwrap();
            let scopes = [Scope::WarningsPublish, Scope::WarningsWrite, Scope::WarningsPublish];
            let (info, secret) = store.create_token("kiosk-sync", &scopes, "ALICE").unwrap();
            assert_eq!(info.scopes, [Scope::WarningsWrite, Scope::WarningsPublish]);
            assert_eq!((info.name.as_str(), info.created_by.as_str(), info.revoked), ("kiosk-sync", "alice", false));
            assert!(info.creator_active);
            assert!(secret.starts_with("wq_") && secret.len() == 43, "{secret}");
            assert!(secret[3..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

            let (writer, writer_secret) = store.create_token("importer", &[Scope::WarningsWrite], "alice").unwrap();
            assert_eq!(store.check_token(&secret).unwrap(), Some(info.clone()));
            assert_eq!(store.check_token(&writer_secret).unwrap().unwrap().scopes, [Scope::WarningsWrite]);
            assert_eq!(store.check_token("wq_0000000000000000000000000000000000000000").unwrap(), None);
            assert_eq!(store.tokens().unwrap(), [info.clone(), writer.clone()]);

            let stored = texts(store, "SELECT token_hash FROM api_tokens");
            assert!(!stored.contains(&secret) && stored.contains(&sha256_hex(&secret)));

            store.revoke_token(&alice, info.id).unwrap();
            store.revoke_token(&alice, info.id).unwrap();
            assert_eq!(store.check_token(&secret).unwrap(), None);
            assert!(store.check_token(&writer_secret).unwrap().is_some());
            assert_eq!(store.tokens().unwrap()[0], TokenInfo { revoked: true, ..info });
            assert!(matches!(store.revoke_token(&alice, 999), Err(StoreError::UnknownToken(999))));
            assert!(matches!(store.create_token("empty", &[], "alice"), Err(StoreError::NoScopes)));
            assert!(matches!(store.create_token("two words", &scopes, "alice"), Err(StoreError::InvalidName(_))));
            assert!(matches!(store.create_token("orphan", &scopes, "nobody"), Err(StoreError::UnknownUser(_))));
        });
    }

    #[test]
    fn tokens_stop_working_while_their_creator_is_disabled() {
        on_both("tokens_stop_working_while_their_creator_is_disabled", |store| {
            store.add_user(None, "boss", Role::Admin, PASSWORD).unwrap();
            store.add_user(None, "alice", Role::Admin, PASSWORD).unwrap();
            let (info, secret) = store.create_token("importer", &[Scope::WarningsWrite], "alice").unwrap();
            assert!(store.check_token(&secret).unwrap().is_some());
            store.set_disabled(None, "alice", true).unwrap();
            assert_eq!(store.check_token(&secret).unwrap(), None);
            assert_eq!(store.tokens().unwrap(), [TokenInfo { creator_active: false, ..info.clone() }]);
            store.set_disabled(None, "alice", false).unwrap();
            assert_eq!(store.check_token(&secret).unwrap(), Some(info), "it works again once re-enabled");
        });
    }

    #[test]
    fn scopes_parse_and_name_themselves() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        }
        assert_eq!(Scope::WarningsWrite.as_str(), "warnings:write");
        assert_eq!(Scope::WarningsPublish.as_str(), "warnings:publish");
        assert!(matches!("warnings:delete".parse::<Scope>(), Err(StoreError::UnknownScope(_))));
    }
}
