//! Workspaces and their members: create, read, list members, change a role, remove a member
//! (or leave).
//!
//! Every route under `/api/workspaces/{id}` first checks membership and answers
//! [`no_workspace`] — one fixed body — whether the workspace is missing or the caller is not in
//! it. Changes to members run in a transaction that starts by locking the workspace row, so
//! two concurrent changes cannot both remove "the other" owner.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kith_core::api::{CreateWorkspace, ErrorCode, Member, Role, SetRole, User, WorkspaceInfo};
use sqlx::{Any, AnyConnection, Transaction};

use super::accounts::{stored_role, valid_name};
use super::extract::{ApiJson, ApiPath, SignedIn};
use crate::{AppState, Db, Error, now_ms};

/// The one answer for a workspace the caller may not know about.
pub fn no_workspace() -> Error {
    Error::api(ErrorCode::NotFound, "No such workspace.")
}

fn forbidden(message: &str) -> Error {
    Error::api(ErrorCode::Forbidden, message)
}

fn no_member() -> Error {
    Error::api(
        ErrorCode::NotFound,
        "That person is not a member of this workspace.",
    )
}

fn last_owner() -> Error {
    Error::api(
        ErrorCode::Conflict,
        "A workspace needs an owner: make someone else owner first.",
    )
}

/// `user`'s role in `workspace`, or the uniform 404.
pub async fn role_in(db: &Db, workspace: &str, user: &str) -> Result<Role, Error> {
    let mut conn = db.pool().acquire().await?;
    current_role(&mut conn, workspace, user)
        .await?
        .ok_or_else(no_workspace)
}

async fn current_role(
    conn: &mut AnyConnection,
    workspace: &str,
    user: &str,
) -> Result<Option<Role>, Error> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace)
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?;
    role.as_deref().map(stored_role).transpose()
}

/// A transaction holding `workspace`'s lock, with the caller's role read under it. Checks
/// membership before locking, so outsiders never take the lock.
pub async fn locked(
    db: &Db,
    workspace: &str,
    user: &str,
) -> Result<(Transaction<'static, Any>, Role), Error> {
    role_in(db, workspace, user).await?;
    let mut tx = db.pool().begin().await?;
    // A write first: on SQLite this takes the write lock at once (waiting for it if needed);
    // on PostgreSQL it locks the workspace's row until commit.
    let found: Option<String> =
        sqlx::query_scalar("UPDATE workspaces SET name = name WHERE id = $1 RETURNING id")
            .bind(workspace)
            .fetch_optional(&mut *tx)
            .await?;
    if found.is_none() {
        return Err(no_workspace());
    }
    let role = current_role(&mut tx, workspace, user)
        .await?
        .ok_or_else(no_workspace)?;
    Ok((tx, role))
}

/// `POST /api/workspaces`: a new workspace owned by the caller.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<CreateWorkspace>,
) -> Result<(StatusCode, Json<WorkspaceInfo>), Error> {
    let name = valid_name("The workspace name", &body.name)?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut tx = state.db.pool().begin().await?;
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(&name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(&signed_in.user.id)
    .bind(Role::Owner.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(WorkspaceInfo {
            id,
            name,
            role: Role::Owner,
        }),
    ))
}

/// `GET /api/workspaces/{id}`: the workspace's name and the caller's role.
pub async fn get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WorkspaceInfo>, Error> {
    let role = role_in(&state.db, &id, &signed_in.user.id).await?;
    let name: String = sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1")
        .bind(&id)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or_else(no_workspace)?;
    Ok(Json(WorkspaceInfo { id, name, role }))
}

/// `GET /api/workspaces/{id}/members`: every member, owners first, then by name.
pub async fn members(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<Member>>, Error> {
    role_in(&state.db, &id, &signed_in.user.id).await?;
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, m.role, m.joined_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1",
    )
    .bind(&id)
    .fetch_all(state.db.pool())
    .await?;
    let mut members = rows
        .into_iter()
        .map(|(id, email, name, role, joined_at)| {
            Ok(Member {
                user: User { id, email, name },
                role: stored_role(&role)?,
                joined_at,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    members.sort_by(|a, b| {
        (a.role, a.user.name.to_lowercase(), &a.user.id).cmp(&(
            b.role,
            b.user.name.to_lowercase(),
            &b.user.id,
        ))
    });
    Ok(Json(members))
}

/// `PATCH /api/workspaces/{id}/members/{user_id}`: a new role. Owners and admins only; only
/// an owner changes an owner's role or makes someone owner; the last owner stays owner.
pub async fn set_role(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath((id, target)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SetRole>,
) -> Result<Json<Member>, Error> {
    let (mut tx, role) = locked(&state.db, &id, &signed_in.user.id).await?;
    if !role.can_manage() {
        return Err(forbidden("Only owners and admins can change roles."));
    }
    let (user, current, joined_at) = member(&mut tx, &id, &target).await?;
    if role != Role::Owner && (current == Role::Owner || body.role == Role::Owner) {
        return Err(forbidden(
            "Only an owner can change an owner's role or make someone an owner.",
        ));
    }
    if current == Role::Owner && body.role != Role::Owner && owners(&mut tx, &id).await? <= 1 {
        return Err(last_owner());
    }
    if current != body.role {
        sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(body.role.as_str())
            .bind(&id)
            .bind(&target)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if current != body.role {
        state.hub.recheck_access().await;
    }
    Ok(Json(Member {
        user,
        role: body.role,
        joined_at,
    }))
}

/// `DELETE /api/workspaces/{id}/members/{user_id}`: removes a member (owners and admins; only
/// an owner removes an owner) or, for one's own id, leaves. The last owner cannot go.
pub async fn remove(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiPath((id, target)): ApiPath<(String, String)>,
) -> Result<StatusCode, Error> {
    let (mut tx, role) = locked(&state.db, &id, &signed_in.user.id).await?;
    let leaving = target == signed_in.user.id;
    if !leaving && !role.can_manage() {
        return Err(forbidden("Only owners and admins can remove members."));
    }
    let (_, current, _) = member(&mut tx, &id, &target).await?;
    if !leaving && role != Role::Owner && current == Role::Owner {
        return Err(forbidden("Only an owner can remove an owner."));
    }
    if current == Role::Owner && owners(&mut tx, &id).await? <= 1 {
        return Err(last_owner());
    }
    sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(&id)
        .bind(&target)
        .execute(&mut *tx)
        .await?;
    if !leaving {
        // Links made before now no longer let them back in.
        sqlx::query(
            "INSERT INTO removals (workspace_id, user_id, removed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET removed_at = excluded.removed_at",
        )
        .bind(&id)
        .bind(&target)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    state.hub.recheck_access().await;
    Ok(StatusCode::NO_CONTENT)
}

async fn member(
    conn: &mut AnyConnection,
    workspace: &str,
    user: &str,
) -> Result<(User, Role, i64), Error> {
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, m.role, m.joined_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2",
    )
    .bind(workspace)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await?;
    let (id, email, name, role, joined_at) = row.ok_or_else(no_member)?;
    Ok((User { id, email, name }, stored_role(&role)?, joined_at))
}

async fn owners(conn: &mut AnyConnection, workspace: &str) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'",
    )
    .bind(workspace)
    .fetch_one(&mut *conn)
    .await?)
}
