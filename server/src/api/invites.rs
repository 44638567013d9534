//! Invite links: owners and admins create, list and revoke them; anyone holding a link sees
//! what it offers; a signed-in person accepts it. A link works for anyone, any number of
//! times, until it expires or is revoked. Only the token's hash is stored.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kith_core::api::{CreateInvite, ErrorCode, Invite, InvitePreview, Role, User, WorkspaceInfo};

use super::accounts::stored_role;
use super::extract::{ApiJson, ApiPath, SignedIn};
use super::workspaces::{locked, no_workspace, role_in};
use crate::tokens::{hash_token, new_token};
use crate::{AppState, Error, now_ms};

/// Longest life of an invite link, in hours (30 days).
pub const MAX_INVITE_HOURS: u32 = 720;
const HOUR_MS: i64 = 60 * 60 * 1000;

fn not_manager() -> Error {
    Error::api(
        ErrorCode::Forbidden,
        "Only owners and admins can manage invites.",
    )
}

fn unknown_link() -> Error {
    Error::api(ErrorCode::NotFound, "This invite link is not valid.")
}

fn dead_link() -> Error {
    Error::api(
        ErrorCode::InviteExpired,
        "This invite link has expired or was revoked. Ask for a new one.",
    )
}

/// `POST /api/workspaces/{id}/invites`: a new link; its token is in this answer only.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateInvite>,
) -> Result<(StatusCode, Json<Invite>), Error> {
    let (mut tx, role) = locked(&state.db, &id, &signed_in.user.id).await?;
    if !role.can_manage() {
        return Err(not_manager());
    }
    if body.role == Role::Owner && role != Role::Owner {
        return Err(Error::api(
            ErrorCode::Forbidden,
            "Only an owner can invite owners.",
        ));
    }
    if !(1..=MAX_INVITE_HOURS).contains(&body.expires_in_hours) {
        return Err(Error::api(
            ErrorCode::Invalid,
            format!("An invite link lasts 1 to {MAX_INVITE_HOURS} hours (30 days)."),
        ));
    }
    let token = new_token();
    let invite_id = uuid::Uuid::now_v7().to_string();
    let created_at = now_ms();
    let expires_at = created_at + i64::from(body.expires_in_hours) * HOUR_MS;
    sqlx::query(
        "INSERT INTO invites (id, token_hash, workspace_id, role, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&invite_id)
    .bind(hash_token(&token))
    .bind(&id)
    .bind(body.role.as_str())
    .bind(&signed_in.user.id)
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Invite {
            id: invite_id,
            role: body.role,
            created_by: signed_in.user,
            created_at,
            expires_at,
            token: Some(token),
        }),
    ))
}

/// `GET /api/workspaces/{id}/invites`: links that still work, oldest first, without tokens.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<Invite>>, Error> {
    if !role_in(&state.db, &id, &signed_in.user.id)
        .await?
        .can_manage()
    {
        return Err(not_manager());
    }
    type Row = (String, String, i64, i64, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.id, i.role, i.created_at, i.expires_at, u.id, u.email, u.name \
         FROM invites i JOIN users u ON u.id = i.created_by \
         WHERE i.workspace_id = $1 AND i.revoked_at IS NULL AND i.expires_at > $2",
    )
    .bind(&id)
    .bind(now_ms())
    .fetch_all(state.db.pool())
    .await?;
    let mut invites = rows
        .into_iter()
        .map(|(id, role, created_at, expires_at, user_id, email, name)| {
            Ok(Invite {
                id,
                role: stored_role(&role)?,
                created_by: User {
                    id: user_id,
                    email,
                    name,
                },
                created_at,
                expires_at,
                token: None,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    invites.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(Json(invites))
}

/// `DELETE /api/workspaces/{id}/invites/{invite_id}`: the link stops working (revoking twice
/// is harmless).
pub async fn revoke(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath((id, invite)): ApiPath<(String, String)>,
) -> Result<StatusCode, Error> {
    let (mut tx, role) = locked(&state.db, &id, &signed_in.user.id).await?;
    if !role.can_manage() {
        return Err(not_manager());
    }
    let found: Option<String> = sqlx::query_scalar(
        "UPDATE invites SET revoked_at = COALESCE(revoked_at, $1) \
         WHERE id = $2 AND workspace_id = $3 RETURNING id",
    )
    .bind(now_ms())
    .bind(&invite)
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?;
    if found.is_none() {
        return Err(Error::api(
            ErrorCode::NotFound,
            "No such invite in this workspace.",
        ));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/invites/{token}` (no sign-in needed): what accepting the link would do.
pub async fn preview(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<InvitePreview>, Error> {
    type Row = (String, String, String, i64, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT w.name, i.role, u.name, i.expires_at, i.revoked_at FROM invites i \
         JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.created_by \
         WHERE i.token_hash = $1",
    )
    .bind(hash_token(&token))
    .fetch_optional(state.db.pool())
    .await?;
    let (workspace_name, role, invited_by, expires_at, revoked_at) =
        row.ok_or_else(unknown_link)?;
    if revoked_at.is_some() || expires_at <= now_ms() {
        return Err(dead_link());
    }
    Ok(Json(InvitePreview {
        workspace_name,
        role: stored_role(&role)?,
        invited_by,
        expires_at,
    }))
}

/// `POST /api/invites/{token}/accept`: joins the workspace with the link's role (201), or,
/// for a member already, keeps their role (200).
pub async fn accept(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(token): ApiPath<String>,
) -> Result<(StatusCode, Json<WorkspaceInfo>), Error> {
    let token_hash = hash_token(&token);
    let now = now_ms();
    let mut tx = state.db.pool().begin().await?;
    // Joins only through a live link, in one statement, so a revoke cannot slip in between
    // the check and the insert. (The WHERE keeps SQLite from reading ON CONFLICT as a join.)
    let joined = sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, joined_at) \
         SELECT workspace_id, $1, role, $2 FROM invites \
         WHERE token_hash = $3 AND revoked_at IS NULL AND expires_at > $2 \
           AND NOT EXISTS (SELECT 1 FROM removals r WHERE r.workspace_id = invites.workspace_id \
             AND r.user_id = $1 AND r.removed_at >= invites.created_at) \
         ON CONFLICT (workspace_id, user_id) DO NOTHING",
    )
    .bind(&signed_in.user.id)
    .bind(now)
    .bind(&token_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let invite: Option<(String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT workspace_id, expires_at, revoked_at, created_at FROM invites \
         WHERE token_hash = $1",
    )
    .bind(&token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let (workspace, expires_at, revoked_at, created_at) = invite.ok_or_else(unknown_link)?;
    if !joined && (revoked_at.is_some() || expires_at <= now) {
        return Err(dead_link());
    }
    if !joined {
        let removed: Option<i64> = sqlx::query_scalar(
            "SELECT removed_at FROM removals WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(&workspace)
        .bind(&signed_in.user.id)
        .fetch_optional(&mut *tx)
        .await?;
        if removed.is_some_and(|at| at >= created_at) {
            return Err(Error::api(
                ErrorCode::InviteExpired,
                "You were removed from this workspace after this link was made. Ask for a new one.",
            ));
        }
    }
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.workspace_id = $1 AND m.user_id = $2",
    )
    .bind(&workspace)
    .bind(&signed_in.user.id)
    .fetch_optional(&mut *tx)
    .await?;
    let (name, role) = row.ok_or_else(no_workspace)?;
    tx.commit().await?;
    let status = if joined {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(WorkspaceInfo {
            id: workspace,
            name,
            role: stored_role(&role)?,
        }),
    ))
}
