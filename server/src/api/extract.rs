//! What handlers take from a request, with every refusal turned into an API error: the JSON
//! body, path parameters, the signed-in user and the client's address.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use kith_core::api::{ErrorCode, User};
use serde::de::DeserializeOwned;

use super::MAX_BODY_BYTES;
use super::access::{self, Denied};
use crate::{AppState, Error};

/// Longest bearer token looked up; real ones are 64 characters.
const MAX_TOKEN_CHARS: usize = 256;

/// A JSON body; a missing content type, bad JSON, a missing field or an oversized body is a
/// JSON error naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Error::api(
            ErrorCode::PayloadTooLarge,
            format!(
                "The request body is larger than {} KiB.",
                MAX_BODY_BYTES / 1024
            ),
        );
    }
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Send the body as JSON, with the header Content-Type: application/json.".to_string()
        }
        JsonRejection::JsonSyntaxError(e) => format!("The body is not valid JSON: {}", source(e)),
        JsonRejection::JsonDataError(e) => {
            format!("The body is not what this address reads: {}", source(e))
        }
        other => other.body_text(),
    };
    Error::api(ErrorCode::BadRequest, message)
}

/// The innermost error's text (serde's, which names the field and position), without axum's
/// generic prefix.
fn source(error: &dyn std::error::Error) -> String {
    let mut inner = error;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

/// Path parameters; one that cannot be read (bad percent-encoding) is a 400.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        // No id holds a control character (PostgreSQL would fail on a NUL): nothing there.
        if has_encoded_control(parts.uri.path()) {
            return Err(Error::NotFound);
        }
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(Error::api(ErrorCode::BadRequest, rejection.body_text())),
        }
    }
}

/// Whether a percent-encoded control character (`%00`–`%1F`, `%7F`) is in `path`.
fn has_encoded_control(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .is_some_and(|b| b < 0x20 || b == 0x7f)
    })
}

/// The user behind a live session token (`Authorization: Bearer <token>`).
pub struct SignedIn {
    pub user: User,
    pub token: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = bearer(parts)?;
        match access::authenticate(&state.db, &token).await? {
            Ok(user) => Ok(Self { user, token }),
            Err(Denied::Unauthorized | Denied::Forbidden) => Err(unauthorized(
                "Your session has expired or was signed out. Sign in again.",
            )),
        }
    }
}

fn bearer(parts: &Parts) -> Result<String, Error> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "Sign in first: send the header Authorization: Bearer <token>.",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_CHARS);
    match token {
        Some(token) => Ok(token.to_string()),
        None => Err(unauthorized(
            "The Authorization header must be “Bearer <token>” with the token from sign-in.",
        )),
    }
}

fn unauthorized(message: &str) -> Error {
    Error::api(ErrorCode::Unauthorized, message)
}

/// The address the request came from: the connecting address, or when that is one of the
/// relay's trusted proxies, the client address the proxies forwarded in `X-Forwarded-For`
/// (the right-most entry that is not a trusted proxy). The unspecified address when the
/// server was not started with connection info.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(Self(client_address(peer, parts, &state.trusted_proxies)))
    }
}

fn client_address(peer: IpAddr, parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    // Each proxy appends the address it was reached from: read from the right, past our own.
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // Garbage from the client side of the chain: the last address we could trust.
            Err(_) => break,
        }
    }
    peer
}
