//! The JSON API under `/api`: accounts, sessions, workspaces, members and invites.
//!
//! Every answer that is not a success is an [`kith_core::api::ApiError`] (see `crate::error`).
//! Workspace routes answer one identical 404 for "no such workspace" and "not a member", so
//! nobody learns whether a workspace they do not belong to exists.

pub mod access;
mod accounts;
mod extract;
mod invites;
mod limiter;
mod passwords;
mod workspaces;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{delete, get, patch, post};

use crate::{AppState, Error};

/// Largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// State the API keeps in memory (the sign-in rate limiter).
#[derive(Clone, Default)]
pub struct ApiState {
    limiter: Arc<limiter::Limiter>,
}

/// Routes mounted under `/api`.
pub fn router() -> Router<AppState> {
    passwords::prepare();
    Router::new()
        .route("/auth/signup", post(accounts::sign_up))
        .route("/auth/signin", post(accounts::sign_in))
        .route("/auth/signout", post(accounts::sign_out))
        .route("/auth/password", post(accounts::change_password))
        .route("/me", get(accounts::me))
        .route("/workspaces", post(workspaces::create))
        .route("/workspaces/{id}", get(workspaces::get))
        .route("/workspaces/{id}/members", get(workspaces::members))
        .route(
            "/workspaces/{id}/members/{user_id}",
            patch(workspaces::set_role).delete(workspaces::remove),
        )
        .route(
            "/workspaces/{id}/invites",
            post(invites::create).get(invites::list),
        )
        .route(
            "/workspaces/{id}/invites/{invite_id}",
            delete(invites::revoke),
        )
        .route("/invites/{token}", get(invites::preview))
        .route("/invites/{token}/accept", post(invites::accept))
        .method_not_allowed_fallback(|method: Method| async move {
            Error::MethodNotAllowed(method.to_string())
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
