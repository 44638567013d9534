//! Settings → Account & workspace: which workspace is open (and connecting a local one to the
//! relay), who is signed in, signing out and changing the password.

use kith_core::api::{ChangePassword, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use leptos::prelude::*;

use super::api::{self, Failure};
use super::workspaces::{LOCAL_NAME, connect_local, local_is_connected};
use super::{
    FormError, LinkButton, Problem, SubmitButton, TextField, date, reload_to, role_hint,
    role_label, with_next,
};
use crate::session::{self, AccountState, ActiveWorkspace};
use crate::sync::{SyncEngine, SyncStatus, changes_text};

#[component]
pub fn AccountSettings() -> impl IntoView {
    view! {
        <WorkspaceCard/>
        <AccountCard/>
    }
}

#[component]
fn WorkspaceCard() -> impl IntoView {
    let active = session::active_workspace();
    let (name, kept, role) = match &active {
        ActiveWorkspace::Local => (
            LOCAL_NAME.to_owned(),
            "Only in this browser: not shared, no account needed.",
            None,
        ),
        ActiveWorkspace::Relay { name, role, .. } => (
            name.clone(),
            "On this device and on the relay, shared with its members.",
            Some(*role),
        ),
    };
    view! {
        <section class="card" aria-labelledby="settings-workspace-title" data-testid="settings-workspace">
            <h2 class="card__title" id="settings-workspace-title">"Workspace"</h2>
            <dl class="facts">
                <dt>"Open now"</dt>
                <dd data-testid="settings-workspace-name">{name}</dd>
                <dt>"Kept"</dt>
                <dd>{kept}</dd>
                {role.map(|role| view! {
                    <dt>"Your role"</dt>
                    <dd data-testid="settings-workspace-role">{format!("{} — {}", role_label(role), role_hint(role))}</dd>
                })}
            </dl>
            <SyncTrouble/>
            <div class="form-actions">
                <LinkButton href="/workspaces" label="Switch workspace" testid="switch-workspace"/>
                {role.map(|role| view! {
                    <LinkButton
                        href="/settings/members"
                        label=if role.can_manage() { "Members & invites" } else { "Members" }
                        testid="manage-members"
                    />
                })}
            </div>
            {(active == ActiveWorkspace::Local && !local_is_connected()).then(|| view! { <ConnectLocal/> })}
        </section>
    }
}

/// What the sync engine cannot fix alone: a session that ended (changes wait for sign-in) or
/// an account that lost access to the workspace.
#[component]
fn SyncTrouble() -> impl IntoView {
    let status = use_context::<SyncEngine>().map(|e| e.status());
    move || {
        match status.map(|s| s.get()) {
        Some(SyncStatus::SignInAgain { changes }) => {
            let waiting = match changes {
                0 => "Nothing is lost meanwhile.".to_owned(),
                n => format!("{} made on this device wait until then.", changes_text(n)),
            };
            view! {
                <div class="alert alert--warning notice" role="alert" data-testid="settings-session-ended">
                    <strong>"Your session ended: sign in again to keep syncing."</strong>
                    <span>{waiting} " " <a href=with_next("/signin", Some("/settings")) data-testid="settings-sign-in-again">"Sign in again"</a></span>
                </div>
            }
            .into_any()
        }
        Some(SyncStatus::NoAccess) => view! {
            <div class="alert alert--warning notice" role="alert" data-testid="settings-no-access">
                <strong>"This account no longer has access to this workspace on the relay."</strong>
                <span>"Its copy stays on this device, but changes no longer sync. Ask an owner or admin to invite you again, or switch workspace."</span>
            </div>
        }
        .into_any(),
        _ => ().into_any(),
    }
    }
}

/// "Connect this workspace to the relay": uploads the local workspace into a new relay one.
#[component]
fn ConnectLocal() -> impl IntoView {
    let account = expect_context::<AccountState>();
    let name = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let typed = name.get_untracked().trim().to_owned();
        invalid.set(typed.is_empty());
        if typed.is_empty() {
            return problem.set(Some(Problem::text(
                "Give the workspace a name, as your teammates will see it.",
            )));
        }
        problem.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            // On success the app reopens on the connected workspace.
            if let Err(p) = connect_local(account, &typed).await {
                busy.set(false);
                problem.set(Some(p));
            }
        });
    };
    view! {
        <div class="connect" data-testid="connect-local">
            <h3 class="connect__title">"Connect this workspace to the relay"</h3>
            <p class="muted">"Uploads everything in it to the relay so you can invite your team. It stays on this device too and keeps working offline."</p>
            {move || match account.0.get() {
                Some(_) => view! {
                    <form class="connect__form" on:submit=submit novalidate>
                        <TextField id="connect-name" label="Name on the relay" value=name invalid=invalid/>
                        <FormError testid="connect-error" error=problem/>
                        <div class="form-actions">
                            <SubmitButton testid="connect-workspace" label="Connect and upload" busy_label="Connecting…" busy=busy/>
                        </div>
                    </form>
                }.into_any(),
                None => view! {
                    <p data-testid="connect-needs-account">"To connect it, first sign in or create an account (below)."</p>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn AccountCard() -> impl IntoView {
    let account = expect_context::<AccountState>();
    view! {
        <section class="card" aria-labelledby="settings-account-title" data-testid="settings-account">
            <h2 class="card__title" id="settings-account-title">"Account"</h2>
            {move || match account.0.get() {
                None => view! {
                    <p data-testid="account-signed-out">"Not signed in. Kith works on this device without an account; sign in to share workspaces with your team."</p>
                    <div class="form-actions">
                        <LinkButton href=with_next("/signin", Some("/settings")) label="Sign in" testid="settings-signin" primary=true/>
                        <LinkButton href=with_next("/signup", Some("/settings")) label="Create an account" testid="settings-signup"/>
                    </div>
                }.into_any(),
                Some(a) => {
                    let ended = (a.expires_at as f64) <= js_sys::Date::now();
                    view! {
                        <dl class="facts">
                            <dt>"Name"</dt>
                            <dd data-testid="account-name">{a.user.name.clone()}</dd>
                            <dt>"Email"</dt>
                            <dd data-testid="account-email">{a.user.email.clone()}</dd>
                            <dt>"Session"</dt>
                            <dd>
                                {if ended {
                                    view! {
                                        "Ended. "
                                        <a href=with_next("/signin", Some("/settings")) data-testid="sign-in-again">"Sign in again"</a>
                                        " — changes made on this device wait until you do."
                                    }.into_any()
                                } else {
                                    format!("On this device until {}", date(a.expires_at)).into_any()
                                }}
                            </dd>
                        </dl>
                        <SignOut/>
                        <PasswordForm/>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn SignOut() -> impl IntoView {
    let account = expect_context::<AccountState>();
    let busy = RwSignal::new(false);
    // The relay could not be told: ask before signing out here only.
    let offline = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    let sign_out = move |_| {
        let Some(a) = account.0.get_untracked() else {
            return;
        };
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match api::sign_out(&a.token).await {
                // Already ended on the relay: nothing more to revoke.
                Ok(()) => forget(account),
                Err(f) if f.needs_sign_in() => forget(account),
                Err(Failure::Offline) => {
                    busy.set(false);
                    offline.set(true);
                }
                Err(f) => {
                    busy.set(false);
                    problem.set(Some(f.into()));
                }
            }
        });
    };
    view! {
        <div class="form-actions">
            <button type="button" class="button" data-testid="sign-out" disabled=busy on:click=sign_out>
                {move || if busy.get() { "Signing out…" } else { "Sign out" }}
            </button>
        </div>
        <FormError testid="sign-out-error" error=problem/>
        {move || offline.get().then(|| view! {
            <div class="alert alert--warning confirm" role="alert" data-testid="sign-out-offline">
                <span class="confirm__text">"You're offline, so the relay can't end this session now; it stays valid there until it expires. Sign out on this device anyway?"</span>
                <button type="button" class="button button--small" data-testid="sign-out-anyway" on:click=move |_| forget(account)>"Sign out here"</button>
                <button type="button" class="button button--quiet button--small" on:click=move |_| offline.set(false)>"Cancel"</button>
            </div>
        })}
    }
}

/// Forgets the session on this device and restarts on this device's own workspace (a relay
/// workspace's copy stays stored, with any changes not yet uploaded, for the next sign-in).
fn forget(account: AccountState) {
    account.set(None);
    if matches!(session::active_workspace(), ActiveWorkspace::Relay { .. }) && !local_is_connected()
    {
        session::set_active_workspace(&ActiveWorkspace::Local);
    }
    reload_to("/signin");
}

#[component]
fn PasswordForm() -> impl IntoView {
    let account = expect_context::<AccountState>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let done = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        done.set(false);
        let (old, new_password) = (current.get_untracked(), new.get_untracked());
        let refusal = if old.is_empty() {
            Some("Enter your current password.".to_owned())
        } else if new_password.chars().count() < MIN_PASSWORD_CHARS {
            Some(format!(
                "Choose a new password of at least {MIN_PASSWORD_CHARS} characters."
            ))
        } else if new_password.len() > MAX_PASSWORD_BYTES {
            Some(format!(
                "The new password is too long (at most {MAX_PASSWORD_BYTES} bytes)."
            ))
        } else if new_password != again.get_untracked() {
            Some("The two new passwords are not the same.".to_owned())
        } else {
            None
        };
        if let Some(message) = refusal {
            return problem.set(Some(Problem::text(message)));
        }
        let Some(a) = account.0.get_untracked() else {
            return;
        };
        problem.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = ChangePassword {
                current: old,
                new: new_password,
            };
            match api::change_password(&a.token, &body).await {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    again.set(String::new());
                    done.set(true);
                }
                Err(Failure::Api {
                    code: kith_core::api::ErrorCode::InvalidCredentials,
                    ..
                }) => problem.set(Some(Problem::text("The current password is not right."))),
                Err(f) => problem.set(Some(f.into())),
            }
            busy.set(false);
        });
    };
    view! {
        <details class="password">
        <summary class="password__toggle" data-testid="password-toggle">"Change password"</summary>
        <form class="password-form" on:submit=submit novalidate aria-label="Change password" data-testid="password-form">
            <input type="email" class="visually-hidden" autocomplete="username" tabindex="-1" aria-hidden="true"
                prop:value=move || account.0.with(|a| a.as_ref().map(|a| a.user.email.clone()).unwrap_or_default()) readonly/>
            <TextField id="password-current" label="Current password" value=current input_type="password" autocomplete="current-password"/>
            <TextField id="password-new" label="New password" value=new input_type="password" autocomplete="new-password" hint="At least 10 characters."/>
            <TextField id="password-again" label="New password, again" value=again input_type="password" autocomplete="new-password"/>
            <FormError testid="password-error" error=problem/>
            {move || done.get().then(|| view! { <p class="success" role="status" data-testid="password-changed">"Password changed. Your other devices were signed out."</p> })}
            <div class="form-actions">
                <SubmitButton testid="change-password" label="Change password" busy_label="Changing…" busy=busy secondary=true/>
            </div>
        </form>
        </details>
    }
}
