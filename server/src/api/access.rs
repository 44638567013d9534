//! Who a token belongs to and what they may do in a workspace: the one check behind every
//! API call and every WebSocket frame.

use kith_core::api::{Role, User};

use crate::tokens::hash_token;
use crate::{Db, Error, now_ms};

/// A signed-in user's standing in one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub user: User,
    pub role: Role,
}

/// Why access was refused. A workspace that does not exist and one the user is not a member
/// of are both `Forbidden`: callers must not tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The token is unknown, expired or revoked.
    Unauthorized,
    /// Not a member of that workspace (or no such workspace).
    Forbidden,
}

/// The user a live session token belongs to.
pub async fn authenticate(db: &Db, token: &str) -> Result<Result<User, Denied>, Error> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
    )
    .bind(hash_token(token))
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|(id, email, name)| User { id, email, name })
        .ok_or(Denied::Unauthorized))
}

/// The token's user and their role in `workspace`.
pub async fn authorize(
    db: &Db,
    token: &str,
    workspace: &str,
) -> Result<Result<Access, Denied>, Error> {
    // No id holds a control character; PostgreSQL would refuse a NUL with an error.
    if workspace.chars().any(char::is_control) {
        return Ok(Err(Denied::Forbidden));
    }
    let user = match authenticate(db, token).await? {
        Ok(user) => user,
        Err(denied) => return Ok(Err(denied)),
    };
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace)
            .bind(&user.id)
            .fetch_optional(db.pool())
            .await?;
    Ok(match role.as_deref().and_then(Role::parse) {
        Some(role) => Ok(Access { user, role }),
        None => Err(Denied::Forbidden),
    })
}
