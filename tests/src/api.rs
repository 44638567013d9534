//! The relay's JSON API from a test: set up accounts, workspaces and invites without going
//! through screens, and open a relay workspace in a browser as a signed-in user.

use anyhow::{Context, Result, bail};
use http_body_util::BodyExt;
use kith_core::api::{CreateInvite, CreateWorkspace, Invite, Role, Session, SignUp, WorkspaceInfo};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Browser;

/// A password every test account uses (long enough for the relay's rule).
pub const PASSWORD: &str = "correct horse battery staple";

/// `method relay/path` with an optional bearer token and JSON body; the status and the JSON
/// answer (`Value::Null` when empty).
pub async fn call(
    relay: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&impl Serialize>,
) -> Result<(u16, Value)> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<hyper::body::Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("{relay}{path}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let bytes = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            serde_json::to_vec(body)?
        }
        None => Vec::new(),
    };
    let response = client
        .request(request.body(http_body_util::Full::new(bytes.into()))?)
        .await
        .with_context(|| format!("{method} {path}"))?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .with_context(|| format!("{method} {path}: the answer is not JSON"))?
    };
    Ok((status, value))
}

async fn expect<T: DeserializeOwned>(
    relay: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&impl Serialize>,
) -> Result<T> {
    let (status, value) = call(relay, method, path, token, body).await?;
    if !(200..300).contains(&status) {
        bail!("{method} {path} answered {status}: {value}");
    }
    serde_json::from_value(value).with_context(|| format!("{method} {path}: unexpected answer"))
}

pub async fn sign_up(relay: &str, email: &str, name: &str) -> Result<Session> {
    let body = SignUp {
        email: email.into(),
        password: PASSWORD.into(),
        name: name.into(),
    };
    expect(relay, "POST", "/api/auth/signup", None, Some(&body)).await
}

pub async fn create_workspace(relay: &str, owner: &Session, name: &str) -> Result<WorkspaceInfo> {
    let body = CreateWorkspace { name: name.into() };
    expect(
        relay,
        "POST",
        "/api/workspaces",
        Some(&owner.token),
        Some(&body),
    )
    .await
}

/// `inviter` invites with `role`; `joiner` accepts the link.
pub async fn add_member(
    relay: &str,
    inviter: &Session,
    workspace: &WorkspaceInfo,
    joiner: &Session,
    role: Role,
) -> Result<WorkspaceInfo> {
    let body = CreateInvite {
        role,
        expires_in_hours: 24,
    };
    let path = format!("/api/workspaces/{}/invites", workspace.id);
    let invite: Invite = expect(relay, "POST", &path, Some(&inviter.token), Some(&body)).await?;
    let token = invite.token.context("a new invite carries its token")?;
    let path = format!("/api/invites/{token}/accept");
    expect(relay, "POST", &path, Some(&joiner.token), None::<&()>).await
}

impl Browser {
    /// Opens `workspace` of the relay at `relay` signed in as `session`, the way the sign-in
    /// and workspace screens leave the app (what they store in `localStorage`).
    pub async fn open_relay_workspace(
        &self,
        relay: &str,
        session: &Session,
        workspace: &WorkspaceInfo,
    ) -> Result<()> {
        // A page of the same origin that is not the app: leaving the app while it is still
        // opening IndexedDB can leave the next page's IndexedDB open hanging (seen in Chromium
        // on a fresh profile), and the app is not what this sets up.
        self.goto(&format!("{relay}/healthz")).await?;
        let account = json!({
            "token": session.token,
            "expires_at": session.expires_at,
            "user": session.user,
        });
        let active = json!({ "Relay": { "id": workspace.id, "name": workspace.name, "role": workspace.role } });
        self.eval(&format!(
            "localStorage.setItem('kith.account', {}); localStorage.setItem('kith.workspace', {}); return true;",
            serde_json::to_string(&account.to_string())?,
            serde_json::to_string(&active.to_string())?,
        ))
        .await?;
        self.goto(&format!("{relay}/people")).await
    }
}
