//! HTTP routes: health, the WebSocket, the API namespace and the app's static files.

use std::path::Path;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{AppState, Error, ws};

/// The relay's whole HTTP surface. The app is a single page: unknown paths outside `/api`
/// get `index.html` so deep links and reloads work.
pub fn app(state: AppState, dist: &Path) -> Router {
    let hsts = state.hsts;
    let static_files = ServeDir::new(dist)
        .precompressed_gzip()
        .fallback(ServeFile::new(dist.join("index.html")).precompressed_gzip());
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/ws", get(ws::upgrade))
        .nest(
            "/api",
            crate::api::router()
                .fallback(any(|| async { Error::NotFound }))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    refuse_writes_when_damaged,
                )),
        )
        .fallback_service(static_files)
        // The service worker is the app's cache; the HTTP cache must never serve it stale.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .with_state(state);
    crate::headers::protect(router, dist, hsts)
}

/// No API call writes to a database known to be damaged (the sync socket's writes check the
/// same, in the change log).
async fn refuse_writes_when_damaged(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let reads = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    match state.db.damaged() {
        Some(why) if !reads => Error::Damaged(why).into_response(),
        _ => next.run(request).await,
    }
}

/// Liveness and readiness: answers 200 only when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    if let Some(problem) = state.db.damaged() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({
                "status": "damaged",
                "message": format!("the database file is damaged ({problem}); restore it from a backup"),
            })),
        )
            .into_response();
    }
    match state.db.schema_version().await {
        Ok(schema_version) => Json(serde_json::json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "relay_id": &*state.relay_id,
            "schema_version": schema_version,
        }))
        .into_response(),
        Err(e) => {
            state.db.noticed(&e);
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "message": "database unavailable" })),
            )
                .into_response()
        }
    }
}
