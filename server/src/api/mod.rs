//! The JSON API under `/api`: accounts, sessions, workspaces, members and invites.

pub mod access;

use axum::Router;

use crate::AppState;

/// State the API keeps in memory (the sign-in rate limiter).
#[derive(Clone, Default)]
pub struct ApiState {}

/// Routes mounted under `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
}
