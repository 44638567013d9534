use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kith_core::api::{ApiError, ErrorCode};

/// Everything that can go wrong in the relay.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedDatabase(String),
    #[error("could not reach the database at {0}: {1}")]
    Unreachable(String, String),
    #[error(
        "the database file is damaged ({0}); restore it from a backup (or recover it with \
         sqlite3's .recover) before starting the relay"
    )]
    Damaged(String),
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
    /// A refusal the API explains to its caller (bad input, no session, no right…).
    #[error("{message}")]
    Api { code: ErrorCode, message: String },
    /// Too many sign-in attempts; the caller may retry after `retry_after` seconds.
    #[error("Too many attempts. Try again in {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    /// The path exists but not with this method.
    #[error("This address does not accept {0}.")]
    MethodNotAllowed(String),
    /// Something inside the relay failed (a panicked task, a broken hash…).
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// An error the API caller is told about, with `code`'s status.
    pub fn api(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Api {
            code,
            message: message.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Api { code, .. } => status_of(*code),
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Damaged(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound => ErrorCode::NotFound,
            Self::Api { code, .. } => *code,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::MethodNotAllowed(_) => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

/// The HTTP status every API error code is sent with.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unauthorized | ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::InviteExpired => StatusCode::GONE,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// API errors are JSON `{ "error": code, "message": text }`; internals are logged, not leaked.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        let message = match &self {
            // Nothing to hide, and what the caller should know: nothing can be saved now.
            Self::Damaged(_) => {
                "The relay's database is damaged; nothing can be saved until it is restored."
                    .to_string()
            }
            _ if status.is_server_error() => {
                tracing::error!(error = %self, "request failed");
                "internal error".to_string()
            }
            _ => self.to_string(),
        };
        let mut response = (
            status,
            Json(ApiError {
                error: code,
                message,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        match self {
            Self::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            Self::Api {
                code: ErrorCode::Unauthorized,
                ..
            } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}
