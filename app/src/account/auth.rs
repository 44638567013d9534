//! Sign in and sign up. Both come back to `?next=` (an invite, the page where a session
//! expired) or go on to the workspace picker. A refused form keeps everything typed in it.

use kith_core::api::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, Session};
use kith_core::validate;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::api::{self, Failure};
use super::{
    FormError, OfflineNotice, Problem, SubmitButton, TextField, browser_offline, cache, safe_next,
    with_next,
};
use crate::session::{self, Account, AccountState, ActiveWorkspace};

#[component]
pub fn SignIn() -> impl IntoView {
    document().set_title("Sign in · Kith");
    let account = expect_context::<AccountState>();
    let query = use_query_map();
    let next = safe_next(query.with_untracked(|q| q.get("next")));
    let signed_in = account.0.get_untracked();
    let prefill = query
        .with_untracked(|q| q.get("email"))
        .or_else(|| signed_in.as_ref().map(|a| a.user.email.clone()))
        .or_else(cache::last_email)
        .unwrap_or_default();
    let email = RwSignal::new(prefill);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<Problem>);
    let invalid_email = RwSignal::new(false);
    let offline = RwSignal::new(browser_offline());
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let next_after = next.clone();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let typed_email = email.get_untracked().trim().to_owned();
        let typed_password = password.get_untracked();
        invalid_email.set(typed_email.is_empty());
        if typed_email.is_empty() {
            return error.set(Some(Problem::text(
                "Enter the email address of your account.",
            )));
        }
        if typed_password.is_empty() {
            return error.set(Some(Problem::text("Enter your password.")));
        }
        error.set(None);
        busy.set(true);
        let navigate = navigate.clone();
        let next = next_after.clone();
        leptos::task::spawn_local(async move {
            let body = kith_core::api::SignIn {
                email: typed_email,
                password: typed_password,
            };
            let to = after_auth(
                api::sign_in(&body).await,
                account,
                next,
                busy,
                error,
                offline,
            )
            .await;
            if let Some(to) = to {
                navigate(&to, Default::default());
            }
        });
    };

    view! {
        <div class="page auth" data-testid="page-signin">
            <form class="card auth__card" on:submit=submit novalidate aria-labelledby="signin-title">
                <header class="auth__header">
                    <h1 class="page__title" id="signin-title">"Sign in"</h1>
                    <p class="muted">"Sign in to share workspaces with your team through this relay."</p>
                </header>
                <OfflineNotice shown=offline what="signing in"/>
                {signed_in.map(|a| view! {
                    <p class="auth__note" data-testid="signin-again-note">
                        {format!("Signed in as {} on this device. Signing in again renews the session; nothing on this device is lost meanwhile.", a.user.email)}
                    </p>
                })}
                <TextField id="signin-email" label="Email" value=email input_type="email" autocomplete="username" invalid=invalid_email/>
                <TextField id="signin-password" label="Password" value=password input_type="password" autocomplete="current-password"/>
                <FormError testid="signin-error" error=error/>
                <div class="form-actions">
                    <SubmitButton testid="signin-submit" label="Sign in" busy_label="Signing in…" busy=busy/>
                </div>
                <p class="auth__links">
                    "New to Kith? "
                    <a href=with_next("/signup", next.as_deref()) data-testid="to-signup">"Create an account"</a>
                </p>
                <p class="auth__links muted">
                    <a href="/people" data-testid="continue-local">"Continue without an account"</a>
                    " — your work stays on this device."
                </p>
            </form>
        </div>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    document().set_title("Create an account · Kith");
    let account = expect_context::<AccountState>();
    let query = use_query_map();
    let next = safe_next(query.with_untracked(|q| q.get("next")));
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(query.with_untracked(|q| q.get("email")).unwrap_or_default());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<Problem>);
    let bad = RwSignal::new(None::<&'static str>);
    let offline = RwSignal::new(browser_offline());
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let next_after = next.clone();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let typed_name = name.get_untracked().trim().to_owned();
        let typed_password = password.get_untracked();
        let refuse = |field: &'static str, message: String| {
            bad.set(Some(field));
            error.set(Some(Problem::text(message)));
        };
        if typed_name.is_empty() {
            return refuse(
                "name",
                "Enter your name, as your teammates will see it.".into(),
            );
        }
        let typed_email = match validate::email(&email.get_untracked()) {
            Ok(email) => email,
            Err(e) => return refuse("email", e.message),
        };
        if typed_password.chars().count() < MIN_PASSWORD_CHARS {
            return refuse(
                "password",
                format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters."),
            );
        }
        if typed_password.len() > MAX_PASSWORD_BYTES {
            return refuse(
                "password",
                format!("That password is too long (at most {MAX_PASSWORD_BYTES} bytes)."),
            );
        }
        bad.set(None);
        error.set(None);
        busy.set(true);
        let navigate = navigate.clone();
        let next = next_after.clone();
        leptos::task::spawn_local(async move {
            let body = kith_core::api::SignUp {
                email: typed_email,
                password: typed_password,
                name: typed_name,
            };
            let to = after_auth(
                api::sign_up(&body).await,
                account,
                next,
                busy,
                error,
                offline,
            )
            .await;
            if let Some(to) = to {
                navigate(&to, Default::default());
            }
        });
    };

    let is_bad = move |field: &'static str| Signal::derive(move || bad.get() == Some(field));
    view! {
        <div class="page auth" data-testid="page-signup">
            <form class="card auth__card" on:submit=submit novalidate aria-labelledby="signup-title">
                <header class="auth__header">
                    <h1 class="page__title" id="signup-title">"Create an account"</h1>
                    <p class="muted">"An account lets you share workspaces with your team through this relay."</p>
                </header>
                <OfflineNotice shown=offline what="creating an account"/>
                <TextField id="signup-name" label="Your name" value=name autocomplete="name" invalid=is_bad("name")/>
                <TextField id="signup-email" label="Email" value=email input_type="email" autocomplete="email" invalid=is_bad("email")/>
                <TextField
                    id="signup-password"
                    label="Password"
                    value=password
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    invalid=is_bad("password")
                />
                <FormError testid="signup-error" error=error/>
                <div class="form-actions">
                    <SubmitButton testid="signup-submit" label="Create account" busy_label="Creating your account…" busy=busy/>
                </div>
                <p class="auth__links">
                    "Already have an account? "
                    <a href=with_next("/signin", next.as_deref()) data-testid="to-signin">"Sign in"</a>
                </p>
                <p class="auth__links muted">
                    <a href="/people" data-testid="continue-local">"Continue without an account"</a>
                    " — your work stays on this device."
                </p>
            </form>
        </div>
    }
}

/// Shows why a sign-in or sign-up failed: offline gets its notice, anything else its message.
/// Where to go after a sign-in or sign-up answered: the session is stored and the page to
/// return to given, or the failure is shown (offline notice or error) and `None` returned.
async fn after_auth(
    result: Result<Session, Failure>,
    account: AccountState,
    next: Option<String>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<Problem>>,
    offline: RwSignal<bool>,
) -> Option<String> {
    let to = match result {
        Ok(session) => Some(signed_in_now(account, session, next).await),
        Err(failure) => {
            show_failure(failure, error, offline);
            None
        }
    };
    busy.set(false);
    to
}

fn show_failure(failure: Failure, error: RwSignal<Option<Problem>>, offline: RwSignal<bool>) {
    offline.set(failure.is_offline());
    error.set((!failure.is_offline()).then(|| failure.into()));
}

/// Keeps the new session and says where to go next: `next` if given, else the picker; the
/// picker too when the open relay workspace is not this account's.
async fn signed_in_now(account: AccountState, session: Session, next: Option<String>) -> String {
    let previous = account.0.get_untracked().map(|a| a.user.id);
    cache::remember_email(&session.user.email);
    let token = session.token.clone();
    let user_id = session.user.id.clone();
    account.set(Some(Account {
        token: session.token,
        expires_at: session.expires_at,
        user: session.user,
    }));
    // The workspace list, for the picker even when offline later (best effort).
    let me = api::me(&token).await.ok();
    if let Some(me) = &me {
        cache::remember_workspaces(&user_id, &me.workspaces);
        super::workspaces::refresh_active(&me.workspaces);
    }
    let belongs = match session::active_workspace() {
        ActiveWorkspace::Local => true,
        ActiveWorkspace::Relay { id, .. } => match &me {
            Some(me) => me.workspaces.iter().any(|w| w.id == id),
            None => previous.as_deref() == Some(user_id.as_str()),
        },
    };
    match next {
        Some(next) if belongs => next,
        _ => "/workspaces".to_owned(),
    }
}
