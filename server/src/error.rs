use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Everything that can go wrong in the relay.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported database URL {0:?}: use sqlite://PATH")]
    UnsupportedDatabase(String),
    #[error(
        "the database is at schema version {found}, newer than this relay knows ({known}); \
         run a newer relay"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    #[error("not found")]
    NotFound,
}

impl Error {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            _ => "internal",
        }
    }
}

/// API errors are JSON `{ "error": code, "message": text }`; internals are logged, not leaked.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "internal error".to_string()
        } else {
            self.to_string()
        };
        (
            status,
            Json(serde_json::json!({ "error": self.code(), "message": message })),
        )
            .into_response()
    }
}
