//! The relay's JSON API (`core/src/api.rs`), called with `fetch` on the origin that served the
//! app. Every failure becomes a [`Failure`] with a sentence a person can act on.

use kith_core::api::{
    ApiError, ChangePassword, CreateInvite, CreateWorkspace, ErrorCode, Invite, InvitePreview, Me,
    Member, Role, Session, SetRole, SignIn, SignUp, WorkspaceInfo,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, RequestInit, Response};

/// A call that gets no answer within this long counts as "relay unreachable".
const TIMEOUT_MS: u32 = 15_000;

/// Why an API call did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The relay could not be reached (no network, relay down, no answer in time).
    Offline,
    /// The relay answered with an error.
    Api {
        status: u16,
        code: ErrorCode,
        message: String,
        /// Seconds to wait before trying again (rate limited).
        retry_after: Option<u32>,
    },
    /// The answer could not be read (a relay of another version?).
    Unreadable(String),
}

/// What screens say when the relay cannot be reached.
pub const OFFLINE: &str = "You're offline — this needs the relay, which can't be reached right \
                           now. Everything on this device keeps working; try again when you're \
                           back online.";

impl Failure {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn is_offline(&self) -> bool {
        matches!(self, Self::Offline)
    }

    /// The session is not (or no longer) valid: the person has to sign in again.
    pub fn needs_sign_in(&self) -> bool {
        self.code() == Some(ErrorCode::Unauthorized)
    }

    /// A sentence for the person in front of the screen.
    pub fn message(&self) -> String {
        match self {
            Self::Offline => OFFLINE.to_owned(),
            Self::Unreadable(detail) => format!(
                "The relay's answer could not be read ({detail}). Reload the page; if it keeps \
                 happening, the relay may be running another version of Kith."
            ),
            Self::Api {
                code: ErrorCode::RateLimited,
                retry_after,
                ..
            } => match retry_after {
                Some(1) => "Too many attempts. Try again in a second.".to_owned(),
                Some(s) if *s < 120 => format!("Too many attempts. Try again in {s} seconds."),
                Some(s) => format!(
                    "Too many attempts. Try again in {} minutes.",
                    s.div_ceil(60)
                ),
                None => "Too many attempts. Wait a little and try again.".to_owned(),
            },
            Self::Api {
                code: ErrorCode::InvalidCredentials,
                ..
            } => "Wrong email or password.".to_owned(),
            Self::Api {
                code: ErrorCode::Unauthorized,
                ..
            } => "Your session has ended. Sign in again to continue.".to_owned(),
            Self::Api {
                code: ErrorCode::InviteExpired,
                ..
            } => "This invite link has expired or was revoked. Ask for a new one.".to_owned(),
            Self::Api {
                code: ErrorCode::Forbidden,
                message,
                ..
            } if message.is_empty() => "Your role in this workspace does not allow this.".into(),
            Self::Api {
                status, message, ..
            } if message.is_empty() => format!("The relay refused this (HTTP {status})."),
            Self::Api { message, .. } => message.clone(),
        }
    }
}

/// Calls `method path` with an optional JSON body and session token; returns the answer's text.
async fn send(
    method: &str,
    path: &str,
    body: Option<String>,
    token: Option<&str>,
) -> Result<String, Failure> {
    let window = web_sys::window().ok_or(Failure::Offline)?;
    let headers = Headers::new().map_err(|e| Failure::Unreadable(js_text(&e)))?;
    let _ = headers.set("Accept", "application/json");
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(TIMEOUT_MS)));
    // A network error or a timeout rejects the promise: the relay is out of reach.
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| Failure::Offline)?
        .unchecked_into();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .map_err(|_| Failure::Offline)?
            .as_string()
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let status = response.status();
    if response.ok() {
        return Ok(text);
    }
    let retry_after = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok());
    Err(match serde_json::from_str::<ApiError>(&text) {
        Ok(e) => Failure::Api {
            status,
            code: e.error,
            message: e.message,
            retry_after,
        },
        // Something in between (a proxy, the service worker) answered instead of the relay.
        Err(_) if matches!(status, 502..=504) => Failure::Offline,
        Err(_) => Failure::Api {
            status,
            code: match status {
                401 => ErrorCode::Unauthorized,
                403 => ErrorCode::Forbidden,
                404 => ErrorCode::NotFound,
                410 => ErrorCode::InviteExpired,
                429 => ErrorCode::RateLimited,
                _ => ErrorCode::Internal,
            },
            message: String::new(),
            retry_after,
        },
    })
}

async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&impl Serialize>,
    token: Option<&str>,
) -> Result<T, Failure> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Failure::Unreadable(e.to_string()))?;
    let text = send(method, path, body, token).await?;
    serde_json::from_str(&text).map_err(|e| Failure::Unreadable(e.to_string()))
}

/// A call whose answer carries nothing the app needs.
async fn call_unit(
    method: &str,
    path: &str,
    body: Option<&impl Serialize>,
    token: &str,
) -> Result<(), Failure> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Failure::Unreadable(e.to_string()))?;
    send(method, path, body, Some(token)).await.map(drop)
}

const NO_BODY: Option<&()> = None;

/// One path segment, escaped (ids and tokens come from the relay or from a pasted link).
fn seg(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

fn js_text(e: &JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

pub async fn sign_up(body: &SignUp) -> Result<Session, Failure> {
    call("POST", "/api/auth/signup", Some(body), None).await
}

pub async fn sign_in(body: &SignIn) -> Result<Session, Failure> {
    call("POST", "/api/auth/signin", Some(body), None).await
}

pub async fn sign_out(token: &str) -> Result<(), Failure> {
    call_unit("POST", "/api/auth/signout", NO_BODY, token).await
}

pub async fn change_password(token: &str, body: &ChangePassword) -> Result<(), Failure> {
    call_unit("POST", "/api/auth/password", Some(body), token).await
}

pub async fn me(token: &str) -> Result<Me, Failure> {
    call("GET", "/api/me", NO_BODY, Some(token)).await
}

pub async fn create_workspace(token: &str, name: &str) -> Result<WorkspaceInfo, Failure> {
    let body = CreateWorkspace {
        name: name.to_owned(),
    };
    call("POST", "/api/workspaces", Some(&body), Some(token)).await
}

pub async fn members(token: &str, workspace: &str) -> Result<Vec<Member>, Failure> {
    let path = format!("/api/workspaces/{}/members", seg(workspace));
    call("GET", &path, NO_BODY, Some(token)).await
}

pub async fn set_role(token: &str, workspace: &str, user: &str, role: Role) -> Result<(), Failure> {
    let path = format!("/api/workspaces/{}/members/{}", seg(workspace), seg(user));
    call_unit("PATCH", &path, Some(&SetRole { role }), token).await
}

/// Removes `user` from the workspace (or leaves it, when `user` is the caller).
pub async fn remove_member(token: &str, workspace: &str, user: &str) -> Result<(), Failure> {
    let path = format!("/api/workspaces/{}/members/{}", seg(workspace), seg(user));
    call_unit("DELETE", &path, NO_BODY, token).await
}

pub async fn create_invite(
    token: &str,
    workspace: &str,
    body: &CreateInvite,
) -> Result<Invite, Failure> {
    let path = format!("/api/workspaces/{}/invites", seg(workspace));
    call("POST", &path, Some(body), Some(token)).await
}

pub async fn invites(token: &str, workspace: &str) -> Result<Vec<Invite>, Failure> {
    let path = format!("/api/workspaces/{}/invites", seg(workspace));
    call("GET", &path, NO_BODY, Some(token)).await
}

pub async fn revoke_invite(token: &str, workspace: &str, invite: &str) -> Result<(), Failure> {
    let path = format!("/api/workspaces/{}/invites/{}", seg(workspace), seg(invite));
    call_unit("DELETE", &path, NO_BODY, token).await
}

pub async fn invite_preview(token: Option<&str>, invite: &str) -> Result<InvitePreview, Failure> {
    let path = format!("/api/invites/{}", seg(invite));
    call("GET", &path, NO_BODY, token).await
}

pub async fn accept_invite(token: &str, invite: &str) -> Result<WorkspaceInfo, Failure> {
    let path = format!("/api/invites/{}/accept", seg(invite));
    call("POST", &path, NO_BODY, Some(token)).await
}
