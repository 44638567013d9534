//! Accounts, sessions, workspaces, roles and invites through the relay's JSON API, on a real
//! socket, against SQLite and PostgreSQL.

#[path = "support/http.rs"]
mod http;
mod support;

use std::time::{Duration, Instant};

use http::{Api, Request, Response};
use kith_core::api::{
    ApiError, ErrorCode, Invite, InvitePreview, Me, Member, Role, SESSION_DAYS, Session,
    WorkspaceInfo,
};
use kith_server::{Relay, now_ms};
use serde_json::json;
use support::Backend;

const PASSWORD: &str = "correct horse battery";

/// A relay for one test, plus a direct connection to its database.
struct Env {
    relay: Relay,
    _dir: tempfile::TempDir,
    db: sqlx::AnyPool,
    api: Api,
}

impl Env {
    async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut kith_server::Config),
    ) -> Self {
        let (relay, dir, url) = support::relay_with(backend, configure).await;
        sqlx::any::install_default_drivers();
        let db = sqlx::AnyPool::connect(&url).await.expect("test connects");
        let api = Api::new(relay.addr());
        Self {
            relay,
            _dir: dir,
            db,
            api,
        }
    }

    async fn stop(self) {
        self.db.close().await;
        self.relay.shutdown().await.expect("clean shutdown");
    }

    async fn sign_up(&self, email: &str, name: &str) -> Session {
        let response = self
            .api
            .post(
                "/api/auth/signup",
                None,
                &json!({ "email": email, "password": PASSWORD, "name": name }),
            )
            .await;
        assert_eq!(response.status, 201, "sign-up: {}", response.text());
        response.json()
    }

    async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.api
            .post(
                "/api/auth/signin",
                None,
                &json!({ "email": email, "password": password }),
            )
            .await
    }

    async fn me(&self, token: &str) -> Response {
        self.api.get("/api/me", Some(token)).await
    }

    async fn create_workspace(&self, token: &str, name: &str) -> WorkspaceInfo {
        let response = self
            .api
            .post("/api/workspaces", Some(token), &json!({ "name": name }))
            .await;
        assert_eq!(
            response.status,
            201,
            "create workspace: {}",
            response.text()
        );
        response.json()
    }

    async fn invite(&self, token: &str, workspace: &str, role: Role) -> Response {
        self.api
            .post(
                &format!("/api/workspaces/{workspace}/invites"),
                Some(token),
                &json!({ "role": role, "expires_in_hours": 24 }),
            )
            .await
    }

    /// A new account that joined `workspace` with `role` through an invite from `inviter`.
    async fn member(&self, inviter: &str, workspace: &str, role: Role, email: &str) -> Session {
        let invite = self.invite(inviter, workspace, role).await;
        assert_eq!(invite.status, 201, "invite: {}", invite.text());
        let token = invite
            .json::<Invite>()
            .token
            .expect("new invites carry their token");
        let session = self.sign_up(email, email.split('@').next().unwrap()).await;
        let accepted = self
            .api
            .post_empty(
                &format!("/api/invites/{token}/accept"),
                Some(&session.token),
            )
            .await;
        assert_eq!(accepted.status, 201, "accept: {}", accepted.text());
        assert_eq!(accepted.json::<WorkspaceInfo>().role, role);
        session
    }

    async fn members(&self, token: &str, workspace: &str) -> Vec<Member> {
        let response = self
            .api
            .get(&format!("/api/workspaces/{workspace}/members"), Some(token))
            .await;
        assert_eq!(response.status, 200, "members: {}", response.text());
        response.json()
    }

    async fn users(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

/// The API error in `response`, after checking its status.
#[track_caller]
fn error(response: &Response, status: u16, code: ErrorCode) -> ApiError {
    assert_eq!(response.status, status, "body: {}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "errors are JSON"
    );
    let error: ApiError = response.json();
    assert_eq!(error.error, code, "message: {}", error.message);
    assert!(!error.message.is_empty());
    error
}

async fn sign_up_sign_in_sign_out_and_me(backend: Backend) {
    let env = Env::start(backend).await;
    let before = now_ms();
    let session = env.sign_up("  Ada@Example.COM ", "  Ada Lovelace ").await;
    assert_eq!(session.user.email, "ada@example.com");
    assert_eq!(session.user.name, "Ada Lovelace");
    assert_eq!(session.token.len(), 64);
    let thirty_days = SESSION_DAYS * 24 * 3600 * 1000;
    assert!(session.expires_at >= before + thirty_days);
    assert!(session.expires_at <= now_ms() + thirty_days);

    let me: Me = env.me(&session.token).await.json();
    assert_eq!(me.user, session.user);
    assert!(me.workspaces.is_empty());

    // Workspaces come back sorted by name, whatever the case, with the creator as owner.
    let beta = env.create_workspace(&session.token, "beta").await;
    let alpha = env.create_workspace(&session.token, " Alpha ").await;
    assert_eq!(alpha.name, "Alpha");
    assert_eq!(alpha.role, Role::Owner);
    let me: Me = env.me(&session.token).await.json();
    assert_eq!(me.workspaces, vec![alpha.clone(), beta.clone()]);
    let one: WorkspaceInfo = env
        .api
        .get(
            &format!("/api/workspaces/{}", alpha.id),
            Some(&session.token),
        )
        .await
        .json();
    assert_eq!(one, alpha);

    // Signing in (email in any case) opens a second session; signing out ends only that one.
    let second = env.sign_in("ADA@example.com", PASSWORD).await;
    assert_eq!(second.status, 200, "{}", second.text());
    let second: Session = second.json();
    assert_ne!(second.token, session.token);
    assert_eq!(second.user, session.user);
    let out = env
        .api
        .post_empty("/api/auth/signout", Some(&session.token))
        .await;
    assert_eq!(out.status, 204);
    error(&env.me(&session.token).await, 401, ErrorCode::Unauthorized);
    error(
        &env.api
            .post_empty("/api/auth/signout", Some(&session.token))
            .await,
        401,
        ErrorCode::Unauthorized,
    );
    assert_eq!(env.me(&second.token).await.status, 200);

    // Nothing secret is ever in an answer, and only hashes are stored.
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&env.db)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"));
    let tokens: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&env.db)
        .await
        .unwrap();
    assert!(!tokens.contains(&second.token));
    let answer = env.me(&second.token).await.text();
    assert!(!answer.contains("argon2") && !answer.contains("password"));
    for hash in &tokens {
        assert!(!answer.contains(hash.as_str()));
    }
    env.stop().await;
}
on_both_backends!(sign_up_sign_in_sign_out, sign_up_sign_in_sign_out_and_me);

async fn wrong_password_and_unknown_email_get_the_same_answer(backend: Backend) {
    let env = Env::start(backend).await;
    env.sign_up("grace@example.com", "Grace").await;
    let wrong = env.sign_in("grace@example.com", "not the password").await;
    let unknown = env.sign_in("nobody@example.com", PASSWORD).await;
    let malformed = env.sign_in("not an email", PASSWORD).await;
    let wrong_error = error(&wrong, 401, ErrorCode::InvalidCredentials);
    assert_eq!(
        error(&unknown, 401, ErrorCode::InvalidCredentials),
        wrong_error
    );
    assert_eq!(
        error(&malformed, 401, ErrorCode::InvalidCredentials),
        wrong_error
    );
    assert_eq!(wrong.body, unknown.body);
    // The right password still works.
    assert_eq!(
        env.sign_in(" Grace@Example.com", PASSWORD).await.status,
        200
    );
    env.stop().await;
}
on_both_backends!(
    wrong_password_or_unknown_email,
    wrong_password_and_unknown_email_get_the_same_answer
);

async fn a_taken_email_is_a_conflict(backend: Backend) {
    let env = Env::start(backend).await;
    let first = env.sign_up("linus@example.com", "Linus").await;
    let again = env
        .api
        .post(
            "/api/auth/signup",
            None,
            &json!({ "email": "LINUS@example.com ", "password": "another password", "name": "Impostor" }),
        )
        .await;
    error(&again, 409, ErrorCode::Conflict);
    assert_eq!(env.users().await, 1);
    // The account is untouched: same name, old password works, new one does not.
    error(
        &env.sign_in("linus@example.com", "another password").await,
        401,
        ErrorCode::InvalidCredentials,
    );
    let signed_in: Session = env.sign_in("linus@example.com", PASSWORD).await.json();
    assert_eq!(signed_in.user, first.user);
    env.stop().await;
}
on_both_backends!(duplicate_email, a_taken_email_is_a_conflict);

async fn bad_sign_up_input_is_refused_and_creates_nothing(backend: Backend) {
    let env = Env::start(backend).await;
    let long_name = "n".repeat(101);
    let long_password = "p".repeat(1025);
    let cases = [
        (
            "weak@example.com",
            "short pw!",
            "Weak",
            "at least 10 characters",
        ),
        (
            "weak@example.com",
            "         ",
            "Weak",
            "at least 10 characters",
        ),
        (
            "weak@example.com",
            long_password.as_str(),
            "Weak",
            "at most 1024 bytes",
        ),
        ("not-an-email", PASSWORD, "Bad", "@"),
        ("two words@example.com", PASSWORD, "Bad", "spaces"),
        ("nodot@localhost", PASSWORD, "Bad", "dot"),
        ("", PASSWORD, "Bad", "email"),
        ("name@example.com", PASSWORD, "   ", "empty"),
        (
            "name@example.com",
            PASSWORD,
            long_name.as_str(),
            "at most 100",
        ),
        ("name@example.com", PASSWORD, "line\nbreak", "control"),
        (
            "name@example.com",
            PASSWORD,
            "\u{200B}\u{2060}\u{200D}",
            "empty",
        ),
        (
            "name@example.com",
            PASSWORD,
            "Ana\u{202E}gnp.exe",
            "direction",
        ),
        ("na\u{200B}me@example.com", PASSWORD, "Bad", "invisible"),
    ];
    for (email, password, name, hint) in cases {
        let response = env
            .api
            .post(
                "/api/auth/signup",
                None,
                &json!({ "email": email, "password": password, "name": name }),
            )
            .await;
        let refused = error(&response, 422, ErrorCode::Invalid);
        assert!(
            refused.message.contains(hint),
            "{email:?}/{name:?}: {:?} should mention {hint:?}",
            refused.message
        );
    }
    assert_eq!(env.users().await, 0, "a refused sign-up creates nothing");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&env.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    // The emails are still free.
    env.sign_up("weak@example.com", "Weak").await;
    env.sign_up("name@example.com", "Name").await;
    env.stop().await;
}
on_both_backends!(
    bad_sign_up_input,
    bad_sign_up_input_is_refused_and_creates_nothing
);

async fn a_password_change_signs_out_every_other_session(backend: Backend) {
    let env = Env::start(backend).await;
    let here = env.sign_up("joan@example.com", "Joan").await;
    let elsewhere: Session = env.sign_in("joan@example.com", PASSWORD).await.json();
    let new_password = "a much better passphrase";

    // A wrong current password or a weak new one changes nothing.
    let wrong = env
        .api
        .post(
            "/api/auth/password",
            Some(&here.token),
            &json!({ "current": "wrong password", "new": new_password }),
        )
        .await;
    error(&wrong, 401, ErrorCode::InvalidCredentials);
    let weak = env
        .api
        .post(
            "/api/auth/password",
            Some(&here.token),
            &json!({ "current": PASSWORD, "new": "short" }),
        )
        .await;
    error(&weak, 422, ErrorCode::Invalid);
    assert_eq!(env.me(&elsewhere.token).await.status, 200);
    assert_eq!(env.me(&here.token).await.status, 200);
    assert_eq!(env.sign_in("joan@example.com", PASSWORD).await.status, 200);

    let changed = env
        .api
        .post(
            "/api/auth/password",
            Some(&here.token),
            &json!({ "current": PASSWORD, "new": new_password }),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    assert_eq!(env.me(&here.token).await.status, 200, "this session stays");
    error(
        &env.me(&elsewhere.token).await,
        401,
        ErrorCode::Unauthorized,
    );
    error(
        &env.sign_in("joan@example.com", PASSWORD).await,
        401,
        ErrorCode::InvalidCredentials,
    );
    let again = env.sign_in("joan@example.com", new_password).await;
    assert_eq!(again.status, 200, "{}", again.text());
    // Without a session there is nothing to change.
    error(
        &env.api
            .post(
                "/api/auth/password",
                Some(&elsewhere.token),
                &json!({ "current": new_password, "new": PASSWORD }),
            )
            .await,
        401,
        ErrorCode::Unauthorized,
    );
    env.stop().await;
}
on_both_backends!(
    password_change,
    a_password_change_signs_out_every_other_session
);

async fn an_expired_session_is_refused(backend: Backend) {
    let env = Env::start(backend).await;
    let session = env.sign_up("hedy@example.com", "Hedy").await;
    let workspace = env.create_workspace(&session.token, "Lab").await;
    sqlx::query("UPDATE sessions SET expires_at = $1")
        .bind(now_ms() - 1)
        .execute(&env.db)
        .await
        .unwrap();
    error(&env.me(&session.token).await, 401, ErrorCode::Unauthorized);
    error(
        &env.api
            .get(
                &format!("/api/workspaces/{}/members", workspace.id),
                Some(&session.token),
            )
            .await,
        401,
        ErrorCode::Unauthorized,
    );
    error(
        &env.api
            .post(
                "/api/workspaces",
                Some(&session.token),
                &json!({ "name": "More" }),
            )
            .await,
        401,
        ErrorCode::Unauthorized,
    );
    // Signing in again gives a working session.
    let fresh: Session = env.sign_in("hedy@example.com", PASSWORD).await.json();
    assert_eq!(env.me(&fresh.token).await.status, 200);
    env.stop().await;
}
on_both_backends!(expired_session, an_expired_session_is_refused);

async fn roles_decide_who_manages_members(backend: Backend) {
    let env = Env::start(backend).await;
    let owner = env.sign_up("owner@example.com", "Olivia Owner").await;
    let ws = env.create_workspace(&owner.token, "Team").await;
    let admin = env
        .member(&owner.token, &ws.id, Role::Admin, "admin@example.com")
        .await;
    let member = env
        .member(&owner.token, &ws.id, Role::Member, "member@example.com")
        .await;
    let viewer = env
        .member(&owner.token, &ws.id, Role::Viewer, "viewer@example.com")
        .await;
    let path = |user: &Session| format!("/api/workspaces/{}/members/{}", ws.id, user.user.id);
    let role_of = |members: &[Member], user: &Session| {
        members
            .iter()
            .find(|m| m.user.id == user.user.id)
            .map(|m| m.role)
    };

    // Everyone can list members: owners first, then by name.
    for session in [&owner, &admin, &member, &viewer] {
        let members = env.members(&session.token, &ws.id).await;
        let order: Vec<Role> = members.iter().map(|m| m.role).collect();
        assert_eq!(
            order,
            vec![Role::Owner, Role::Admin, Role::Member, Role::Viewer]
        );
    }

    // Members and viewers cannot invite, list invites, change roles or remove anyone.
    for session in [&member, &viewer] {
        error(
            &env.invite(&session.token, &ws.id, Role::Viewer).await,
            403,
            ErrorCode::Forbidden,
        );
        error(
            &env.api
                .get(
                    &format!("/api/workspaces/{}/invites", ws.id),
                    Some(&session.token),
                )
                .await,
            403,
            ErrorCode::Forbidden,
        );
        for target in [&viewer, &member, &owner] {
            error(
                &env.api
                    .patch(
                        &path(target),
                        Some(&session.token),
                        &json!({ "role": "admin" }),
                    )
                    .await,
                403,
                ErrorCode::Forbidden,
            );
        }
        let other = if session.user.id == member.user.id {
            &viewer
        } else {
            &member
        };
        error(
            &env.api.delete(&path(other), Some(&session.token)).await,
            403,
            ErrorCode::Forbidden,
        );
    }

    // An admin manages members and admins but never an owner, and cannot make owners.
    error(
        &env.api
            .patch(
                &path(&owner),
                Some(&admin.token),
                &json!({ "role": "member" }),
            )
            .await,
        403,
        ErrorCode::Forbidden,
    );
    error(
        &env.api.delete(&path(&owner), Some(&admin.token)).await,
        403,
        ErrorCode::Forbidden,
    );
    error(
        &env.api
            .patch(
                &path(&member),
                Some(&admin.token),
                &json!({ "role": "owner" }),
            )
            .await,
        403,
        ErrorCode::Forbidden,
    );
    error(
        &env.invite(&admin.token, &ws.id, Role::Owner).await,
        403,
        ErrorCode::Forbidden,
    );
    let changed = env
        .api
        .patch(
            &path(&member),
            Some(&admin.token),
            &json!({ "role": "viewer" }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json::<Member>().role, Role::Viewer);
    assert_eq!(
        env.invite(&admin.token, &ws.id, Role::Member).await.status,
        201
    );
    let members = env.members(&owner.token, &ws.id).await;
    assert_eq!(role_of(&members, &owner), Some(Role::Owner));
    assert_eq!(role_of(&members, &member), Some(Role::Viewer));

    // The last owner can neither leave, be demoted nor be removed.
    error(
        &env.api.delete(&path(&owner), Some(&owner.token)).await,
        409,
        ErrorCode::Conflict,
    );
    error(
        &env.api
            .patch(
                &path(&owner),
                Some(&owner.token),
                &json!({ "role": "admin" }),
            )
            .await,
        409,
        ErrorCode::Conflict,
    );
    assert_eq!(
        role_of(&env.members(&owner.token, &ws.id).await, &owner),
        Some(Role::Owner)
    );

    // An owner makes another owner; then the first may leave, and the workspace is gone
    // from their list.
    let promoted = env
        .api
        .patch(
            &path(&admin),
            Some(&owner.token),
            &json!({ "role": "owner" }),
        )
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text());
    assert_eq!(
        env.api
            .delete(&path(&owner), Some(&owner.token))
            .await
            .status,
        204
    );
    let me: Me = env.me(&owner.token).await.json();
    assert!(me.workspaces.is_empty());
    error(
        &env.api
            .get(
                &format!("/api/workspaces/{}/members", ws.id),
                Some(&owner.token),
            )
            .await,
        404,
        ErrorCode::NotFound,
    );
    error(
        &env.api.delete(&path(&admin), Some(&admin.token)).await,
        409,
        ErrorCode::Conflict,
    );

    // A removed member loses access at once; a viewer may leave on their own.
    assert_eq!(
        env.api
            .delete(&path(&member), Some(&admin.token))
            .await
            .status,
        204
    );
    error(
        &env.api
            .get(
                &format!("/api/workspaces/{}/members", ws.id),
                Some(&member.token),
            )
            .await,
        404,
        ErrorCode::NotFound,
    );
    assert_eq!(
        env.api
            .delete(&path(&viewer), Some(&viewer.token))
            .await
            .status,
        204
    );
    let left: Vec<String> = env
        .members(&admin.token, &ws.id)
        .await
        .into_iter()
        .map(|m| m.user.id)
        .collect();
    assert_eq!(left, vec![admin.user.id.clone()]);
    // Removing someone who is not a member says so.
    error(
        &env.api.delete(&path(&member), Some(&admin.token)).await,
        404,
        ErrorCode::NotFound,
    );
    env.stop().await;
}
on_both_backends!(roles, roles_decide_who_manages_members);

async fn a_workspace_of_others_is_indistinguishable_from_none(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.sign_up("alice@example.com", "Alice").await;
    let bob = env.sign_up("bob@example.com", "Bob").await;
    let mine = env.create_workspace(&alice.token, "Alice's").await;
    let theirs = env.create_workspace(&bob.token, "Bob's").await;
    let bobs_invite: Invite = env
        .invite(&bob.token, &theirs.id, Role::Member)
        .await
        .json();
    let random = uuid::Uuid::now_v7().to_string();
    let bob_id = bob.user.id.clone();

    let calls = |ws: &str| -> Vec<Request> {
        let base = format!("/api/workspaces/{ws}");
        vec![
            Request::new("GET", base.clone()),
            Request::new("GET", format!("{base}/members")),
            Request::new("PATCH", format!("{base}/members/{bob_id}"))
                .json(&json!({ "role": "viewer" })),
            Request::new("DELETE", format!("{base}/members/{bob_id}")),
            Request::new("POST", format!("{base}/invites"))
                .json(&json!({ "role": "member", "expires_in_hours": 24 })),
            Request::new("GET", format!("{base}/invites")),
            Request::new("DELETE", format!("{base}/invites/{}", bobs_invite.id)),
        ]
    };
    let existing = calls(&theirs.id);
    let missing = calls(&random);
    assert_eq!(existing.len(), missing.len());
    for (a, b) in existing.into_iter().zip(missing) {
        let what = format!("{} {}", a.method, a.path);
        let a = a.bearer(&alice.token).send(env.relay.addr()).await;
        let b = b.bearer(&alice.token).send(env.relay.addr()).await;
        error(&a, 404, ErrorCode::NotFound);
        assert_eq!(a.status, b.status, "{what}");
        assert_eq!(
            a.body, b.body,
            "{what}: same answer for another's and for none"
        );
    }
    // Without a session it is 401 either way, before anything is looked up.
    for ws in [&theirs.id, &random] {
        error(
            &env.api
                .get(&format!("/api/workspaces/{ws}/members"), None)
                .await,
            401,
            ErrorCode::Unauthorized,
        );
    }
    // Bob's invite is not reachable through Alice's own workspace either.
    error(
        &env.api
            .delete(
                &format!("/api/workspaces/{}/invites/{}", mine.id, bobs_invite.id),
                Some(&alice.token),
            )
            .await,
        404,
        ErrorCode::NotFound,
    );
    // And nothing of Bob's changed.
    let members = env.members(&bob.token, &theirs.id).await;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].role, Role::Owner);
    let invites: Vec<Invite> = env
        .api
        .get(
            &format!("/api/workspaces/{}/invites", theirs.id),
            Some(&bob.token),
        )
        .await
        .json();
    assert_eq!(invites.len(), 1);
    let me: Me = env.me(&alice.token).await.json();
    assert_eq!(me.workspaces, vec![mine]);
    env.stop().await;
}
on_both_backends!(
    workspace_isolation,
    a_workspace_of_others_is_indistinguishable_from_none
);

async fn invite_links_join_until_revoked_or_expired(backend: Backend) {
    let env = Env::start(backend).await;
    let owner = env.sign_up("owner@example.com", "Olivia Owner").await;
    let ws = env.create_workspace(&owner.token, "Sales").await;
    let created = env.invite(&owner.token, &ws.id, Role::Member).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let invite: Invite = created.json();
    let token = invite.token.clone().expect("the token is shown once");
    assert_eq!(invite.role, Role::Member);
    assert_eq!(invite.created_by, owner.user);
    assert!((invite.expires_at - invite.created_at - 24 * 3600 * 1000).abs() < 1000);

    // Listed without its token.
    let listed: Vec<Invite> = env
        .api
        .get(
            &format!("/api/workspaces/{}/invites", ws.id),
            Some(&owner.token),
        )
        .await
        .json();
    assert_eq!(
        listed,
        vec![Invite {
            token: None,
            ..invite.clone()
        }]
    );

    // Anyone holding the link sees what it offers, without signing in.
    let preview: InvitePreview = env
        .api
        .get(&format!("/api/invites/{token}"), None)
        .await
        .json();
    assert_eq!(
        preview,
        InvitePreview {
            workspace_name: "Sales".into(),
            role: Role::Member,
            invited_by: "Olivia Owner".into(),
            expires_at: invite.expires_at,
        }
    );

    // Accepting needs a session; it joins with the link's role, and again keeps the role.
    let accept = format!("/api/invites/{token}/accept");
    error(
        &env.api.post_empty(&accept, None).await,
        401,
        ErrorCode::Unauthorized,
    );
    let sam = env.sign_up("sam@example.com", "Sam").await;
    let joined = env.api.post_empty(&accept, Some(&sam.token)).await;
    assert_eq!(joined.status, 201, "{}", joined.text());
    let joined: WorkspaceInfo = joined.json();
    assert_eq!(
        joined,
        WorkspaceInfo {
            id: ws.id.clone(),
            name: "Sales".into(),
            role: Role::Member
        }
    );
    let again = env.api.post_empty(&accept, Some(&sam.token)).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json::<WorkspaceInfo>(), joined);
    let me: Me = env.me(&sam.token).await.json();
    assert_eq!(me.workspaces, vec![joined.clone()]);

    // A member with more rights keeps them when accepting a lesser link.
    let promoted = env
        .api
        .patch(
            &format!("/api/workspaces/{}/members/{}", ws.id, sam.user.id),
            Some(&owner.token),
            &json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(promoted.status, 200);
    let kept = env.api.post_empty(&accept, Some(&sam.token)).await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.json::<WorkspaceInfo>().role, Role::Admin);

    // The link is multi-use: someone else joins with it too.
    let kim = env.sign_up("kim@example.com", "Kim").await;
    assert_eq!(
        env.api.post_empty(&accept, Some(&kim.token)).await.status,
        201
    );

    // Removed means removed: the link Kim joined with does not let her back in …
    let remove_kim = format!("/api/workspaces/{}/members/{}", ws.id, kim.user.id);
    assert_eq!(
        env.api.delete(&remove_kim, Some(&owner.token)).await.status,
        204
    );
    let back = env.api.post_empty(&accept, Some(&kim.token)).await;
    error(&back, 410, ErrorCode::InviteExpired);
    assert!(back.text().contains("removed"), "{}", back.text());
    assert!(env.me(&kim.token).await.json::<Me>().workspaces.is_empty());
    // … while a link made after the removal does, and the old one still works for others.
    let fresh: Invite = env.invite(&owner.token, &ws.id, Role::Viewer).await.json();
    let fresh_accept = format!("/api/invites/{}/accept", fresh.token.clone().unwrap());
    assert_eq!(
        env.api
            .post_empty(&fresh_accept, Some(&kim.token))
            .await
            .status,
        201
    );
    let revoke_fresh = format!("/api/workspaces/{}/invites/{}", ws.id, fresh.id);
    assert_eq!(
        env.api
            .delete(&revoke_fresh, Some(&owner.token))
            .await
            .status,
        204
    );
    let lee = env.sign_up("lee.new@example.com", "Lee").await;
    assert_eq!(
        env.api.post_empty(&accept, Some(&lee.token)).await.status,
        201
    );

    // Revoked: preview and accept say so, and the list no longer shows it.
    let revoke = format!("/api/workspaces/{}/invites/{}", ws.id, invite.id);
    assert_eq!(
        env.api.delete(&revoke, Some(&owner.token)).await.status,
        204
    );
    assert_eq!(
        env.api.delete(&revoke, Some(&owner.token)).await.status,
        204
    );
    error(
        &env.api.get(&format!("/api/invites/{token}"), None).await,
        410,
        ErrorCode::InviteExpired,
    );
    let lee = env.sign_up("lee@example.com", "Lee").await;
    error(
        &env.api.post_empty(&accept, Some(&lee.token)).await,
        410,
        ErrorCode::InviteExpired,
    );
    let listed: Vec<Invite> = env
        .api
        .get(
            &format!("/api/workspaces/{}/invites", ws.id),
            Some(&owner.token),
        )
        .await
        .json();
    assert!(listed.is_empty(), "{listed:?}");
    assert!(env.me(&lee.token).await.json::<Me>().workspaces.is_empty());

    // Expired: the same.
    let viewer_link: Invite = env.invite(&owner.token, &ws.id, Role::Viewer).await.json();
    let viewer_token = viewer_link.token.unwrap();
    sqlx::query("UPDATE invites SET expires_at = $1 WHERE id = $2")
        .bind(now_ms() - 1)
        .bind(&viewer_link.id)
        .execute(&env.db)
        .await
        .unwrap();
    error(
        &env.api
            .get(&format!("/api/invites/{viewer_token}"), None)
            .await,
        410,
        ErrorCode::InviteExpired,
    );
    error(
        &env.api
            .post_empty(
                &format!("/api/invites/{viewer_token}/accept"),
                Some(&lee.token),
            )
            .await,
        410,
        ErrorCode::InviteExpired,
    );
    assert!(env.me(&lee.token).await.json::<Me>().workspaces.is_empty());

    // Unknown links, out-of-range lifetimes and unknown roles.
    let unknown = "0".repeat(64);
    error(
        &env.api.get(&format!("/api/invites/{unknown}"), None).await,
        404,
        ErrorCode::NotFound,
    );
    error(
        &env.api
            .post_empty(&format!("/api/invites/{unknown}/accept"), Some(&lee.token))
            .await,
        404,
        ErrorCode::NotFound,
    );
    for hours in [0, 721] {
        let response = env
            .api
            .post(
                &format!("/api/workspaces/{}/invites", ws.id),
                Some(&owner.token),
                &json!({ "role": "member", "expires_in_hours": hours }),
            )
            .await;
        error(&response, 422, ErrorCode::Invalid);
    }
    let bad_role = env
        .api
        .post(
            &format!("/api/workspaces/{}/invites", ws.id),
            Some(&owner.token),
            &json!({ "role": "emperor", "expires_in_hours": 24 }),
        )
        .await;
    assert!(
        error(&bad_role, 400, ErrorCode::BadRequest)
            .message
            .contains("emperor")
    );
    error(
        &env.api
            .delete(
                &format!("/api/workspaces/{}/invites/{}", ws.id, uuid::Uuid::now_v7()),
                Some(&owner.token),
            )
            .await,
        404,
        ErrorCode::NotFound,
    );
    env.stop().await;
}
on_both_backends!(invites, invite_links_join_until_revoked_or_expired);

async fn repeated_failed_sign_ins_are_rate_limited(backend: Backend) {
    let env = Env::start(backend).await;
    env.sign_up("target@example.com", "Target").await;
    env.sign_up("other@example.com", "Other").await;

    // A success clears the count: four failures, a success, four more failures are all
    // plain wrong-password answers.
    for round in 0..2 {
        for _ in 0..4 {
            error(
                &env.sign_in("other@example.com", "wrong password").await,
                401,
                ErrorCode::InvalidCredentials,
            );
        }
        if round == 0 {
            assert_eq!(env.sign_in("other@example.com", PASSWORD).await.status, 200);
        }
    }

    for _ in 0..5 {
        error(
            &env.sign_in("target@example.com", "wrong password").await,
            401,
            ErrorCode::InvalidCredentials,
        );
    }
    // Now even the right password is refused for a while, with a time to wait.
    let started = Instant::now();
    for password in ["wrong password", PASSWORD] {
        let limited = env.sign_in("TARGET@example.com", password).await;
        error(&limited, 429, ErrorCode::RateLimited);
        let retry_after: u64 = limited
            .header("retry-after")
            .expect("a Retry-After header")
            .parse()
            .expect("Retry-After in seconds");
        assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refused attempt is answered without hashing"
    );
    // Another account from the same address is not locked out.
    assert_eq!(env.sign_in("other@example.com", PASSWORD).await.status, 200);
    env.stop().await;
}
on_both_backends!(
    sign_in_rate_limit,
    repeated_failed_sign_ins_are_rate_limited
);

async fn sign_in_from(env: &Env, client: &str, email: &str, password: &str) -> Response {
    Request::new("POST", "/api/auth/signin")
        .header("X-Forwarded-For", &format!("198.51.100.9, {client}"))
        .json(&json!({ "email": email, "password": password }))
        .send(env.relay.addr())
        .await
}

async fn limits_behind_a_proxy(backend: Backend) {
    // The relay behind a TLS proxy at 127.0.0.1: every request arrives from there.
    let env = Env::start_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    env.sign_up("owner@example.com", "Owner").await;
    // One client guessing at many accounts is stopped …
    let mut limited = None;
    for n in 0..40 {
        let response =
            sign_in_from(&env, "203.0.113.7", &format!("guess{n}@example.com"), "x").await;
        if response.status == 429 {
            limited = Some(n);
            break;
        }
    }
    assert_eq!(
        limited,
        Some(30),
        "stopped after 30 attempts from one client address"
    );
    // … without locking out everyone else behind the same proxy.
    let owner = sign_in_from(&env, "203.0.113.8", "owner@example.com", PASSWORD).await;
    assert_eq!(owner.status, 200, "{}", owner.text());
    // Guesses at one account from many addresses are slowed (never locked for long).
    let mut slowed = None;
    for n in 0..20 {
        let response =
            sign_in_from(&env, &format!("192.0.2.{n}"), "owner@example.com", "wrong").await;
        if response.status == 429 {
            let wait: u64 = response.header("retry-after").unwrap().parse().unwrap();
            assert!(wait <= 60, "a backoff, not a lockout: {wait} s");
            slowed = Some(n);
            break;
        }
    }
    assert_eq!(slowed, Some(10), "free failures per account, then a delay");

    // Sign-ups are limited per client address too.
    let mut refused = None;
    for n in 0..30 {
        let response = Request::new("POST", "/api/auth/signup")
            .header("X-Forwarded-For", "203.0.113.50")
            .json(&json!({ "email": format!("new{n}@example.com"), "password": PASSWORD, "name": "New" }))
            .send(env.relay.addr())
            .await;
        if response.status == 429 {
            refused = Some(n);
            break;
        }
        assert_eq!(response.status, 201, "{}", response.text());
    }
    assert_eq!(refused, Some(20));
    let elsewhere = Request::new("POST", "/api/auth/signup")
        .header("X-Forwarded-For", "203.0.113.51")
        .json(&json!({ "email": "someone@example.com", "password": PASSWORD, "name": "Someone" }))
        .send(env.relay.addr())
        .await;
    assert_eq!(elsewhere.status, 201);
    env.stop().await;
}
on_both_backends!(
    limits_follow_the_real_client_behind_a_trusted_proxy,
    limits_behind_a_proxy
);

async fn forwarded_headers_from_strangers_are_ignored(backend: Backend) {
    let env = Env::start(backend).await;
    // Not a trusted proxy: changing X-Forwarded-For does not make a new client.
    let mut limited = None;
    for n in 0..40 {
        let response = sign_in_from(
            &env,
            &format!("203.0.113.{n}"),
            &format!("g{n}@example.com"),
            "x",
        )
        .await;
        if response.status == 429 {
            limited = Some(n);
            break;
        }
    }
    assert_eq!(limited, Some(30));
    env.stop().await;
}
on_both_backends!(
    spoofed_forwarded_addresses_change_nothing,
    forwarded_headers_from_strangers_are_ignored
);

async fn malformed_requests_get_clear_errors(backend: Backend) {
    let env = Env::start(backend).await;
    let addr = env.relay.addr();
    let signup = |body: &str| Request::new("POST", "/api/auth/signup").body(body.to_string());

    let broken = signup("{\"email\": ")
        .header("Content-Type", "application/json")
        .send(addr)
        .await;
    assert!(
        error(&broken, 400, ErrorCode::BadRequest)
            .message
            .contains("not valid JSON")
    );

    let missing = signup(r#"{"email":"a@example.com","password":"long enough pw"}"#)
        .header("Content-Type", "application/json")
        .send(addr)
        .await;
    let message = error(&missing, 400, ErrorCode::BadRequest).message;
    assert!(message.contains("name"), "{message}");

    let wrong_type = signup(r#"{"email":"a@example.com","password":12,"name":"A"}"#)
        .header("Content-Type", "application/json")
        .send(addr)
        .await;
    let message = error(&wrong_type, 400, ErrorCode::BadRequest).message;
    assert!(message.contains("password"), "{message}");

    let good = r#"{"email":"a@example.com","password":"long enough pw","name":"A"}"#;
    let text = signup(good)
        .header("Content-Type", "text/plain")
        .send(addr)
        .await;
    assert!(
        error(&text, 400, ErrorCode::BadRequest)
            .message
            .contains("application/json")
    );
    let untyped = signup(good).send(addr).await;
    error(&untyped, 400, ErrorCode::BadRequest);

    let huge = format!(
        r#"{{"email":"a@example.com","password":"long enough pw","name":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let too_big = signup(&huge)
        .header("Content-Type", "application/json")
        .send(addr)
        .await;
    error(&too_big, 413, ErrorCode::PayloadTooLarge);
    assert_eq!(env.users().await, 0, "no bad request created anything");

    // Authorization: missing, another scheme, a made-up token, an empty one.
    for header in [
        None,
        Some("Basic YTpi"),
        Some("Bearer not-a-real-token"),
        Some("Bearer "),
        Some("Bearer"),
    ] {
        let mut request = Request::new("GET", "/api/me");
        if let Some(value) = header {
            request = request.header("Authorization", value);
        }
        let response = request.send(addr).await;
        error(&response, 401, ErrorCode::Unauthorized);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    }

    // Unknown addresses and methods under /api are JSON errors too.
    error(
        &env.api.get("/api/nothing/here", None).await,
        404,
        ErrorCode::NotFound,
    );
    let wrong_method = env.api.get("/api/auth/signup", None).await;
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.text());
    assert_eq!(wrong_method.json::<ApiError>().error, ErrorCode::BadRequest);
    env.stop().await;
}
on_both_backends!(malformed_requests, malformed_requests_get_clear_errors);

async fn two_owners_leaving_at_once_leave_one_owner(backend: Backend) {
    let env = Env::start(backend).await;
    let first = env.sign_up("first@example.com", "First").await;
    for round in 0..4 {
        let ws = env
            .create_workspace(&first.token, &format!("Shared {round}"))
            .await;
        let email = format!("second{round}@example.com");
        let second = env.member(&first.token, &ws.id, Role::Owner, &email).await;
        let first_path = format!("/api/workspaces/{}/members/{}", ws.id, first.user.id);
        let second_path = format!("/api/workspaces/{}/members/{}", ws.id, second.user.id);
        // Both owners leave, or demote each other, at the same moment: one must stay owner.
        let (a, b) = if round % 2 == 0 {
            tokio::join!(
                env.api.delete(&first_path, Some(&first.token)),
                env.api.delete(&second_path, Some(&second.token)),
            )
        } else {
            let demote = json!({ "role": "member" });
            tokio::join!(
                env.api.patch(&second_path, Some(&first.token), &demote),
                env.api.patch(&first_path, Some(&second.token), &demote),
            )
        };
        // The one too late is refused: the last owner cannot go (409), or, demoted a moment
        // before, may no longer change roles (403).
        let refused = [&a, &b]
            .iter()
            .filter(|r| r.status == 409 || r.status == 403)
            .count();
        let done = [&a, &b]
            .iter()
            .filter(|r| r.status == 200 || r.status == 204)
            .count();
        assert_eq!((refused, done), (1, 1), "{} / {}", a.text(), b.text());
        let owners: Vec<String> = sqlx::query_scalar(
            "SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'owner'",
        )
        .bind(&ws.id)
        .fetch_all(&env.db)
        .await
        .unwrap();
        assert_eq!(owners.len(), 1, "exactly one owner stays");
        assert!(owners[0] == first.user.id || owners[0] == second.user.id);
    }
    env.stop().await;
}
on_both_backends!(
    concurrent_owners,
    two_owners_leaving_at_once_leave_one_owner
);

async fn control_characters_in_ids(backend: Backend) {
    let env = Env::start(backend).await;
    let owner = env.sign_up("owner@example.com", "Owner").await;
    // The same answer as for any id that does not exist, on both back ends.
    for path in [
        "/api/workspaces/abc%00def",
        "/api/workspaces/%00/members",
        "/api/invites/tok%00en",
        "/api/workspaces/abc%1Fdef/invites",
    ] {
        let response = env.api.get(path, Some(&owner.token)).await;
        error(&response, 404, ErrorCode::NotFound);
    }
    let ws = env.create_workspace(&owner.token, "Sales").await;
    let refused =
        support::ws::Device::join(env.relay.addr(), &owner.token, &format!("{}\0", ws.id), 0)
            .await
            .err()
            .expect("refused");
    assert_eq!(refused.0, kith_core::protocol::CloseCode::Forbidden.code());
    env.stop().await;
}
on_both_backends!(
    ids_with_control_characters_are_not_found,
    control_characters_in_ids
);
