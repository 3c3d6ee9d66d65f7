//! Who changes content, and what each may do. One table of rights for the
//! admin and the token API alike:
//!
//! | | drafts | public documents (or making one public) | reach |
//! |---|---|---|---|
//! | editor | writes | proposes a revision for a publisher | warnings, guides |
//! | publisher, admin | writes | writes, publishes, schedules, withdraws, approves | warnings, guides |
//! | token `warnings:write` | writes | refused | warnings |
//! | token `warnings:publish` | refused | writes, publishes, schedules, withdraws | warnings |

use std::fmt;

use super::store::{Role, Scope, TokenInfo, User};

/// Someone changing content: a signed-in staff member or another system
/// with an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A staff member, with the rights of their role.
    Staff { name: String, role: Role },
    /// An API token, with the rights of its scopes.
    Token { name: String, scopes: Vec<Scope> },
}

impl Actor {
    /// A signed-in staff member.
    pub fn staff(user: &User) -> Actor {
        Actor::Staff { name: user.name.clone(), role: user.role }
    }

    /// An API token.
    pub fn token(token: &TokenInfo) -> Actor {
        Actor::Token { name: token.name.clone(), scopes: token.scopes.clone() }
    }

    /// The name versions and the audit log record: the user's, or `token:`
    /// and the token's.
    pub fn name(&self) -> String {
        match self {
            Actor::Staff { name, .. } => name.clone(),
            Actor::Token { name, .. } => format!("token:{name}"),
        }
    }

    /// Whether it may change what the public sees: publish, schedule,
    /// withdraw, approve, and write a public document's text.
    pub fn can_publish(&self) -> bool {
        match self {
            Actor::Staff { role, .. } => role.can_publish(),
            Actor::Token { scopes, .. } => scopes.contains(&Scope::WarningsPublish),
        }
    }

    /// Refused unless it may publish.
    pub(super) fn must_publish(&self) -> Result<(), Refusal> {
        match self {
            _ if self.can_publish() => Ok(()),
            Actor::Staff { .. } => Err(Refusal::NeedsPublisher),
            Actor::Token { .. } => Err(Refusal::NeedsPublishScope),
        }
    }

    /// Refused unless it may save drafts: staff always, tokens with `warnings:write`.
    pub(super) fn must_write(&self) -> Result<(), Refusal> {
        match self {
            Actor::Token { scopes, .. } if !scopes.contains(&Scope::WarningsWrite) => Err(Refusal::NeedsWriteScope),
            _ => Ok(()),
        }
    }

    /// Refused unless document `id` is within its reach: tokens are for
    /// warnings only, so a warnings token never reaches a guide.
    pub(super) fn must_reach(&self, id: &str) -> Result<(), Refusal> {
        match self {
            Actor::Token { .. } if !id.starts_with("warnings/") => Err(Refusal::WarningsOnly),
            _ => Ok(()),
        }
    }

    /// Whether its changes to a public document wait for a publisher
    /// instead of being refused: staff without the publisher role. A token
    /// has no one to ask, so it is refused.
    pub(super) fn proposes(&self) -> bool {
        matches!(self, Actor::Staff { role, .. } if !role.can_publish())
    }
}

/// Why an actor may not do something, in Chinese (`Display`) and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Staff: publishing, scheduling, withdrawing and approving need a publisher.
    NeedsPublisher,
    /// Token: publishing, withdrawing, or changing a public warning needs `warnings:publish`.
    NeedsPublishScope,
    /// Token: saving a draft needs `warnings:write`.
    NeedsWriteScope,
    /// Token: only ids under `warnings/`.
    WarningsOnly,
}

impl Refusal {
    /// The reason in English, for the API's `message_en`.
    pub fn english(self) -> &'static str {
        match self {
            Refusal::NeedsPublisher => {
                "publishing, scheduling, withdrawing and approving changes need the publisher role"
            }
            Refusal::NeedsPublishScope => {
                "the token lacks warnings:publish, which publishing, withdrawing and changing a public warning need"
            }
            Refusal::NeedsWriteScope => "the token lacks warnings:write, which saving a draft needs",
            Refusal::WarningsOnly => "API tokens write warnings only (ids under warnings/)",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::NeedsPublisher => "发布、定时发布、撤回和批准修改需要发布员",
            Refusal::NeedsPublishScope => "令牌没有 warnings:publish 权限：发布、撤回或修改已公开的警示都需要它",
            Refusal::NeedsWriteScope => "令牌没有 warnings:write 权限，不能保存草稿",
            Refusal::WarningsOnly => "接口令牌只能写消费警示（warnings/ 下的内容）",
        })
    }
}
