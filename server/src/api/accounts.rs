//! Sign-up, sign-in, sign-out, password change and `GET /api/me`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kith_core::api::{
    ChangePassword, ErrorCode, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, Me, Role, SESSION_DAYS,
    Session, SignIn, SignUp, User, WorkspaceInfo,
};
use sqlx::AnyConnection;

use super::extract::{ApiJson, ClientIp, SignedIn};
use super::passwords;
use crate::tokens::{hash_token, new_token};
use crate::{AppState, Error, now_ms};

const SESSION_MS: i64 = SESSION_DAYS * 24 * 60 * 60 * 1000;
/// Longest name (of a person or a workspace), in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// `POST /api/auth/signup`: a new account, signed in.
pub async fn sign_up(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<(StatusCode, Json<Session>), Error> {
    let email = valid_email(&body.email)?;
    let name = valid_name("Your name", &body.name)?;
    valid_password(&body.password)?;
    // Counted before the look-up: it also slows probing which emails have accounts.
    state.api.limiter.sign_up(ip)?;
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(state.db.pool())
        .await?;
    if taken.is_some() {
        return Err(email_taken());
    }
    let password_hash = passwords::hash(body.password).await?;
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        email,
        name,
    };
    let mut tx = state.db.pool().begin().await?;
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO users (id, email, name, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.name)
    .bind(&password_hash)
    .bind(now_ms())
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        return Err(email_taken());
    }
    let session = start_session(&mut tx, user).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// `POST /api/auth/signin`: a new session for the right email and password. A wrong
/// password and an unknown email get the same answer after the same work.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Json<Session>, Error> {
    let email = kith_core::validate::email(&body.email)
        .map(|e| e.to_lowercase())
        .unwrap_or_else(|_| body.email.trim().to_lowercase());
    state.api.limiter.attempt(ip, &email)?;
    let row: Option<(String, String, String, String)> =
        sqlx::query_as("SELECT id, email, name, password_hash FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(state.db.pool())
            .await?;
    let (user, stored) = match row {
        Some((id, email, name, hash)) => (Some(User { id, email, name }), Some(hash)),
        None => (None, None),
    };
    // No account can have a longer password; refuse without hashing an unbounded input.
    let matches = body.password.len() <= MAX_PASSWORD_BYTES
        && passwords::verify(body.password, stored).await?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(Error::api(
            ErrorCode::InvalidCredentials,
            "Wrong email or password.",
        ));
    };
    state.api.limiter.succeeded(ip, &email);
    let mut tx = state.db.pool().begin().await?;
    // Dead sessions of this user are of no further use.
    sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND (expires_at <= $2 OR revoked_at IS NOT NULL)",
    )
    .bind(&user.id)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let session = start_session(&mut tx, user).await?;
    tx.commit().await?;
    Ok(Json(session))
}

/// `POST /api/auth/signout`: this session's token stops working.
pub async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<StatusCode, Error> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(hash_token(&signed_in.token))
        .execute(state.db.pool())
        .await?;
    state.hub.recheck_access().await;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/password`: a new password; every other session of the user is signed out.
pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<StatusCode, Error> {
    let user = signed_in.user;
    valid_password(&body.new)?;
    state.api.limiter.attempt(ip, &user.email)?;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(&user.id)
        .fetch_one(state.db.pool())
        .await?;
    let matches = body.current.len() <= MAX_PASSWORD_BYTES
        && passwords::verify(body.current, Some(stored.clone())).await?;
    if !matches {
        return Err(Error::api(
            ErrorCode::InvalidCredentials,
            "The current password is wrong.",
        ));
    }
    state.api.limiter.succeeded(ip, &user.email);
    let new_hash = passwords::hash(body.new).await?;
    let mut tx = state.db.pool().begin().await?;
    let changed =
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(&new_hash)
            .bind(&user.id)
            .bind(&stored)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if changed == 0 {
        return Err(Error::api(
            ErrorCode::Conflict,
            "The password was changed meanwhile. Sign in again with the new one.",
        ));
    }
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE user_id = $2 AND token_hash <> $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(&user.id)
    .bind(hash_token(&signed_in.token))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    state.hub.recheck_access().await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/me`: who is signed in and their workspaces, by name.
pub async fn me(State(state): State<AppState>, signed_in: SignedIn) -> Result<Json<Me>, Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT w.id, w.name, m.role FROM memberships m \
         JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1",
    )
    .bind(&signed_in.user.id)
    .fetch_all(state.db.pool())
    .await?;
    let mut workspaces = rows
        .into_iter()
        .map(|(id, name, role)| {
            Ok(WorkspaceInfo {
                id,
                name,
                role: stored_role(&role)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // Sorted here, not in SQL: the two databases collate text differently.
    workspaces.sort_by(|a, b| {
        (a.name.to_lowercase(), &a.name, &a.id).cmp(&(b.name.to_lowercase(), &b.name, &b.id))
    });
    Ok(Json(Me {
        user: signed_in.user,
        workspaces,
    }))
}

/// A new session for `user`: only the token's hash is stored.
async fn start_session(conn: &mut AnyConnection, user: User) -> Result<Session, Error> {
    let token = new_token();
    let now = now_ms();
    let expires_at = now + SESSION_MS;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_token(&token))
    .bind(&user.id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(Session {
        token,
        expires_at,
        user,
    })
}

/// A role read back from the database (the schema's CHECK allows only known ones).
pub fn stored_role(text: &str) -> Result<Role, Error> {
    Role::parse(text).ok_or_else(|| Error::Internal(format!("unknown role {text:?} stored")))
}

fn email_taken() -> Error {
    Error::api(
        ErrorCode::Conflict,
        "An account with this email already exists. Sign in instead.",
    )
}

fn invalid(message: impl Into<String>) -> Error {
    Error::api(ErrorCode::Invalid, message)
}

fn valid_email(input: &str) -> Result<String, Error> {
    kith_core::validate::email(input)
        .map(|email| email.to_lowercase())
        .map_err(|e| invalid(e.message))
}

fn valid_password(password: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid(format!(
            "Choose a password of at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(invalid(format!(
            "A password can be at most {MAX_PASSWORD_BYTES} bytes long."
        )));
    }
    Ok(())
}

/// A person's or a workspace's name ([`kith_core::validate::display_name`]).
pub fn valid_name(what: &str, input: &str) -> Result<String, Error> {
    kith_core::validate::display_name(what, input, MAX_NAME_CHARS).map_err(|e| invalid(e.message))
}
