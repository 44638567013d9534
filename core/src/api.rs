//! The relay's JSON HTTP API under `/api`: request and response bodies, shared by the relay
//! and the app so both sides agree on every field.
//!
//! Authenticated calls carry `Authorization: Bearer <token>`. Every error is
//! `{"error": <ErrorCode>, "message": <text for people>}` with a matching HTTP status.

use serde::{Deserialize, Serialize};

pub use crate::protocol::Role;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes (argon2 input stays bounded).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// How long a session lasts without being refreshed by sign-in.
pub const SESSION_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePassword {
    pub current: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// Answer to sign-up and sign-in. The token is shown once; the relay keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    pub user: User,
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user: User,
    pub workspaces: Vec<WorkspaceInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWorkspace {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub joined_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetRole {
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInvite {
    pub role: Role,
    /// Hours until the link stops working (1..=720).
    pub expires_in_hours: u32,
}

/// An invite as admins list it; `token` is present only in the answer that created it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub id: String,
    pub role: Role,
    pub created_by: User,
    pub created_at: i64,
    pub expires_at: i64,
    pub token: Option<String>,
}

/// `GET /api/invites/{token}`: what accepting would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub workspace_name: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
}

/// Machine-readable error kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not what the endpoint reads (with the field named in the message).
    BadRequest,
    /// A field's value is not acceptable (weak password, bad email…).
    Invalid,
    /// No valid session: sign in.
    Unauthorized,
    /// Signed in, but the role does not allow it.
    Forbidden,
    /// Nothing there (or nothing this account may know about).
    NotFound,
    /// The email is taken, or the change would leave a workspace without an owner.
    Conflict,
    /// Wrong email or password.
    InvalidCredentials,
    /// The invite link expired or was revoked.
    InviteExpired,
    /// Too many attempts; retry after the `Retry-After` seconds.
    RateLimited,
    PayloadTooLarge,
    Internal,
}

/// The body of every API error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ErrorCode,
    pub message: String,
}
