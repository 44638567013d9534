//! The workspace picker, creating a workspace, accepting an invite, and connecting this
//! device's local workspace to the relay.

use kith_core::api::{ErrorCode, InvitePreview, WorkspaceInfo};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::api::{self, Failure};
use super::{
    FormError, LinkButton, OfflineNotice, Problem, SubmitButton, TextField, cache, date,
    open_workspace, role_hint, role_label, with_next,
};
use crate::session::{self, AccountState, ActiveWorkspace, LOCAL_DATABASE};

/// What the picker calls the workspace that lives only in this browser.
pub const LOCAL_NAME: &str = "This device only";

/// Whether this browser's local workspace was connected to a relay workspace (its database
/// now holds that one, so there is no separate local workspace any more).
pub fn local_is_connected() -> bool {
    session::databases().values().any(|db| db == LOCAL_DATABASE)
}

/// Updates the remembered name and role of the open relay workspace from a fresh list (they
/// take effect the next time the app starts).
pub fn refresh_active(list: &[WorkspaceInfo]) {
    if let ActiveWorkspace::Relay { id, name, role } = session::active_workspace()
        && let Some(info) = list.iter().find(|w| w.id == id)
        && (info.name != name || info.role != role)
    {
        session::set_active_workspace(&relay(info));
    }
}

fn relay(info: &WorkspaceInfo) -> ActiveWorkspace {
    ActiveWorkspace::Relay {
        id: info.id.clone(),
        name: info.name.clone(),
        role: info.role,
    }
}

#[component]
pub fn WorkspacePicker() -> impl IntoView {
    document().set_title("Workspaces · Kith");
    let account = expect_context::<AccountState>();
    let active = session::active_workspace();
    let signed_in = account.0.get_untracked();
    let user_id = signed_in.as_ref().map(|a| a.user.id.clone());
    let list = RwSignal::new(
        user_id
            .as_deref()
            .map(cache::workspaces)
            .unwrap_or_default(),
    );
    let loading = RwSignal::new(signed_in.is_some());
    let problem = RwSignal::new(None::<Problem>);
    let offline = RwSignal::new(false);

    if let Some(a) = signed_in.clone() {
        leptos::task::spawn_local(async move {
            match api::me(&a.token).await {
                Ok(me) => {
                    cache::remember_workspaces(&me.user.id, &me.workspaces);
                    refresh_active(&me.workspaces);
                    list.set(me.workspaces);
                }
                Err(Failure::Offline) => offline.set(true),
                Err(failure) => problem.set(Some(failure.into())),
            }
            loading.set(false);
        });
    }

    let active_id = match &active {
        ActiveWorkspace::Local => None,
        ActiveWorkspace::Relay { id, .. } => Some(id.clone()),
    };
    let local_current = active == ActiveWorkspace::Local;
    let active_id = StoredValue::new(active_id);
    let sorted = move || {
        let mut all = list.get();
        all.sort_by_key(|w| w.name.to_lowercase());
        all
    };

    view! {
        <div class="page page--narrow" data-testid="page-workspaces">
            <header class="page__header">
                <h1 class="page__title">"Workspaces"</h1>
            </header>
            <p class="muted">"Each workspace is kept on this device, so it opens and works offline. Shared ones sync through the relay."</p>
            <OfflineNotice shown=offline what="loading your shared workspaces"/>
            <FormError testid="workspaces-error" error=problem/>
            <ul class="workspace-list" aria-label="Your workspaces" aria-busy=move || loading.get().then_some("true")>
                {move || sorted().into_iter().map(|info| {
                    let current = active_id.with_value(|a| a.as_deref() == Some(info.id.as_str()));
                    let target = relay(&info);
                    view! {
                        <li class="workspace-row" data-testid="workspace-row" data-workspace-id=info.id.clone()>
                            <div class="workspace-row__text">
                                <span class="workspace-row__name" data-testid="workspace-name">{info.name.clone()}</span>
                                <span class="workspace-row__meta">
                                    <span class="badge" data-testid="workspace-role">{role_label(info.role)}</span>
                                    {current.then(current_badge)}
                                </span>
                            </div>
                            <button
                                type="button"
                                class="button"
                                data-testid="open-workspace"
                                aria-label=format!("Open {}", info.name)
                                on:click=move |_| open_workspace(&target)
                            >
                                "Open"
                            </button>
                        </li>
                    }
                }).collect_view()}
                {(!local_is_connected()).then(|| view! {
                    <li class="workspace-row" data-testid="workspace-local">
                        <div class="workspace-row__text">
                            <span class="workspace-row__name">{LOCAL_NAME}</span>
                            <span class="workspace-row__meta">
                                <span class="muted">"Not shared, no account needed"</span>
                                {local_current.then(current_badge)}
                            </span>
                        </div>
                        <button
                            type="button"
                            class="button"
                            data-testid="open-local"
                            aria-label=format!("Open {LOCAL_NAME}")
                            on:click=move |_| open_workspace(&ActiveWorkspace::Local)
                        >
                            "Open"
                        </button>
                    </li>
                })}
            </ul>
            {move || (loading.get() && list.with(Vec::is_empty)).then(|| view! {
                <p class="muted" role="status">"Looking up your shared workspaces…"</p>
            })}
            {match signed_in {
                Some(_) => view! { <CreateWorkspace/> }.into_any(),
                None => view! {
                    <section class="card" aria-labelledby="share-title" data-testid="workspaces-signed-out">
                        <h2 class="card__title" id="share-title">"Work with your team"</h2>
                        <p class="muted">"Sign in or create an account to create shared workspaces or join one you were invited to."</p>
                        <div class="form-actions">
                            <LinkButton href=with_next("/signin", Some("/workspaces")) label="Sign in" testid="workspaces-signin" primary=true/>
                            <LinkButton href=with_next("/signup", Some("/workspaces")) label="Create an account" testid="workspaces-signup"/>
                        </div>
                    </section>
                }.into_any(),
            }}
        </div>
    }
}

/// Creates a relay workspace (its owner is the signed-in account) and opens it.
fn current_badge() -> impl IntoView {
    view! { <span class="badge badge--current" data-testid="workspace-current">"Open now"</span> }
}

#[component]
fn CreateWorkspace() -> impl IntoView {
    let account = expect_context::<AccountState>();
    let name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let invalid = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let typed = name.get_untracked().trim().to_owned();
        invalid.set(typed.is_empty());
        if typed.is_empty() {
            return problem.set(Some(Problem::text("Give the workspace a name.")));
        }
        let Some(a) = account.0.get_untracked() else {
            return problem.set(Some(Problem {
                message: "Sign in to create a shared workspace.".into(),
                sign_in: true,
            }));
        };
        problem.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            open_or_report(
                &a.user.id,
                api::create_workspace(&a.token, &typed).await,
                busy,
                problem,
            );
        });
    };
    view! {
        <form class="card" on:submit=submit novalidate aria-labelledby="create-ws-title" data-testid="create-workspace-form">
            <h2 class="card__title" id="create-ws-title">"New shared workspace"</h2>
            <TextField
                id="new-workspace-name"
                label="Name"
                value=name
                hint="You will be its owner and can invite teammates from Settings → Members."
                invalid=invalid
            />
            <FormError testid="create-workspace-error" error=problem/>
            <div class="form-actions">
                <SubmitButton testid="create-workspace" label="Create workspace" busy_label="Creating…" busy=busy/>
            </div>
        </form>
    }
}

/// Connects this device's local workspace to the relay: creates a relay workspace named
/// `name`, marks the local database as its copy (everything in it still to upload), and
/// reopens the app on it. Trying again after a failure reuses the workspace already created.
pub async fn connect_local(account: AccountState, name: &str) -> Result<(), Problem> {
    let Some(a) = account.0.get_untracked() else {
        return Err(Problem {
            message: "Sign in to connect this workspace to the relay.".into(),
            sign_in: true,
        });
    };
    let info = match cache::connecting(&a.user.id) {
        Some(info) => info,
        None => {
            let info = api::create_workspace(&a.token, name).await?;
            cache::set_connecting(&a.user.id, Some(&info));
            info
        }
    };
    crate::sync::bind_to_relay(LOCAL_DATABASE, &info.id)
        .await
        .map_err(|e| {
            Problem::text(format!(
                "The relay workspace “{}” is ready, but this device's workspace could not be \
                 prepared for upload ({e}). Nothing on this device changed; try again.",
                info.name
            ))
        })?;
    session::set_database(&info.id, LOCAL_DATABASE);
    cache::set_connecting(&a.user.id, None);
    cache::remember_workspace(&a.user.id, &info);
    open_workspace(&relay(&info));
    Ok(())
}

#[component]
pub fn InviteAccept() -> impl IntoView {
    document().set_title("Invitation · Kith");
    let account = expect_context::<AccountState>();
    let token = use_params_map()
        .with_untracked(|p| p.get("token"))
        .unwrap_or_default();
    let preview = RwSignal::new(None::<Result<InvitePreview, Failure>>);
    let load = {
        let token = token.clone();
        move || {
            preview.set(None);
            let token = token.clone();
            let auth = account.0.get_untracked().map(|a| a.token);
            leptos::task::spawn_local(async move {
                preview.set(Some(api::invite_preview(auth.as_deref(), &token).await));
            });
        }
    };
    load();
    let retry = Callback::new(move |()| load());
    let here = format!("/invite/{token}");

    view! {
        <div class="page page--narrow auth" data-testid="page-invite">
            {move || match preview.get() {
                None => view! {
                    <section class="card auth__card" aria-busy="true">
                        <h1 class="page__title">"Invitation"</h1>
                        <p class="muted" role="status">"Looking up this invite…"</p>
                    </section>
                }.into_any(),
                Some(Err(failure)) => view! {
                    <InviteProblem failure=failure retry=retry/>
                }.into_any(),
                Some(Ok(invite)) => view! {
                    <InviteCard invite=invite token=token.clone() here=here.clone()/>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn InviteProblem(failure: Failure, retry: Callback<()>) -> impl IntoView {
    let (title, text) = match failure.code() {
        _ if failure.is_offline() => (
            "Invitation",
            "You're offline — opening an invite needs the relay. Try again once you're back online."
                .to_owned(),
        ),
        Some(ErrorCode::InviteExpired) => (
            "This invite has expired",
            "The link expired or was revoked. Ask the person who invited you for a new one."
                .to_owned(),
        ),
        Some(ErrorCode::NotFound) => (
            "This invite link does not work",
            "No invite matches this link. Check that you copied all of it, or ask for a new one."
                .to_owned(),
        ),
        _ => ("Invitation", failure.message()),
    };
    let offline = failure.is_offline();
    view! {
        <section class="card auth__card" aria-labelledby="invite-title">
            <h1 class="page__title" id="invite-title">{title}</h1>
            <p role="alert" data-testid="invite-error">{text}</p>
            <div class="form-actions">
                {offline.then(|| view! {
                    <button type="button" class="button button--primary" data-testid="invite-retry" on:click=move |_| retry.run(())>
                        "Try again"
                    </button>
                })}
                <LinkButton href="/people" label="Go to Kith" testid="invite-leave"/>
            </div>
        </section>
    }
}

#[component]
fn InviteCard(invite: InvitePreview, token: String, here: String) -> impl IntoView {
    let account = expect_context::<AccountState>();
    let problem = RwSignal::new(None::<Problem>);
    let busy = RwSignal::new(false);
    let workspace = invite.workspace_name.clone();
    let accept = move |_| {
        let Some(a) = account.0.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let token = token.clone();
        leptos::task::spawn_local(async move {
            open_or_report(
                &a.user.id,
                api::accept_invite(&a.token, &token).await,
                busy,
                problem,
            );
        });
    };
    view! {
        <section class="card auth__card" aria-labelledby="invite-title" data-testid="invite-card">
            <header class="auth__header">
                <p class="muted">"You're invited"</p>
                <h1 class="page__title" id="invite-title" data-testid="invite-workspace">{invite.workspace_name.clone()}</h1>
            </header>
            <p data-testid="invite-summary">
                {format!(
                    "{} invited you to join as {} — you {}.",
                    invite.invited_by,
                    role_label(invite.role).to_lowercase(),
                    role_hint(invite.role)
                )}
            </p>
            <p class="muted">{format!("The link works until {}.", date(invite.expires_at))}</p>
            <FormError testid="invite-accept-error" error=problem/>
            {move || match account.0.get() {
                Some(a) => view! {
                    <p class="auth__note">{format!("You'll join as {} ({}).", a.user.name, a.user.email)}</p>
                    <div class="form-actions">
                        <button type="button" class="button button--primary" data-testid="accept-invite" disabled=busy on:click=accept.clone()>
                            {let workspace = workspace.clone(); move || if busy.get() { "Joining…".to_owned() } else { format!("Join {workspace}") }}
                        </button>
                        <LinkButton href=with_next("/signin", Some(&here)) label="Use another account" testid="invite-other-account"/>
                    </div>
                }.into_any(),
                None => view! {
                    <p>"Create an account or sign in to accept. You'll come back here afterwards."</p>
                    <div class="form-actions">
                        <LinkButton href=with_next("/signup", Some(&here)) label="Create an account" testid="invite-signup" primary=true/>
                        <LinkButton href=with_next("/signin", Some(&here)) label="Sign in" testid="invite-signin"/>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// Opens a workspace the relay just created or let this user join (remembered for the
/// picker), or shows why it could not.
fn open_or_report(
    user_id: &str,
    result: Result<WorkspaceInfo, Failure>,
    busy: RwSignal<bool>,
    problem: RwSignal<Option<Problem>>,
) {
    match result {
        Ok(info) => {
            cache::remember_workspace(user_id, &info);
            open_workspace(&relay(&info));
        }
        Err(failure) => {
            busy.set(false);
            problem.set(Some(failure.into()));
        }
    }
}
