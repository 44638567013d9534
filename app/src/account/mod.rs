//! Accounts on the relay: the API client and the sign-in, sign-up, workspace picker, invite
//! and member screens, and the "Account & workspace" part of Settings.
//!
//! Nothing here is needed to use Kith: a local-only workspace works without an account, and
//! every screen that needs the relay says so plainly when it cannot be reached.

pub mod api;
mod auth;
pub mod cache;
mod members;
mod settings;
mod workspaces;

pub use auth::{SignIn, SignUp};
pub use members::Members;
pub use settings::AccountSettings;
pub use workspaces::{InviteAccept, WorkspacePicker};

use kith_core::api::Role;
use leptos::prelude::*;

use crate::session::{self, ActiveWorkspace};

/// The name to show for a user id seen in a record's history (a teammate's name when known).
pub fn display_name(user_id: &str) -> String {
    if let Some(account) = session::load_account()
        && account.user.id == user_id
    {
        return account.user.name;
    }
    if let ActiveWorkspace::Relay { id, .. } = session::active_workspace()
        && let Some(name) = cache::member_name(&id, user_id)
    {
        return name;
    }
    if user_id.starts_with("local-") {
        // Written on a device before its workspace was shared (or in a local-only one).
        return match session::active_workspace() {
            ActiveWorkspace::Local => "You".to_owned(),
            ActiveWorkspace::Relay { .. } => "Someone, before sharing".to_owned(),
        };
    }
    let short: String = user_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect();
    if short.is_empty() {
        "Someone".to_owned()
    } else {
        format!("Teammate {short}")
    }
}

/// When the app opens a relay workspace: refreshes, in the background, the teammates' names
/// ([`display_name`]) and the workspace's name and role as the relay has them now. Offline,
/// what was remembered stays.
pub fn refresh_in_background(account: session::AccountState) {
    let (ActiveWorkspace::Relay { id, .. }, Some(a)) =
        (session::active_workspace(), account.0.get_untracked())
    else {
        return;
    };
    leptos::task::spawn_local(async move {
        if let Ok(members) = api::members(&a.token, &id).await {
            cache::remember_members(&id, &members);
        }
        if let Ok(me) = api::me(&a.token).await {
            cache::remember_workspaces(&me.user.id, &me.workspaces);
            workspaces::refresh_active(&me.workspaces);
        }
    });
}

/// Makes `workspace` the open one and restarts the app on it (storage and sync reopen).
pub fn open_workspace(workspace: &ActiveWorkspace) {
    session::set_active_workspace(workspace);
    reload_to("/people");
}

/// A full page load of `path` (not a router navigation).
pub fn reload_to(path: &str) {
    let _ = window().location().set_href(path);
}

/// `next` from a query string, if it is a path inside this app (never another site).
fn safe_next(next: Option<String>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"))
}

/// `path?next=<next>` with `next` escaped.
fn with_next(path: &str, next: Option<&str>) -> String {
    match next {
        Some(next) => format!("{path}?next={}", js_sys::encode_uri_component(next)),
        None => path.to_owned(),
    }
}

/// The current path and query, to come back to after signing in.
fn here() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// The browser itself says it has no network.
fn browser_offline() -> bool {
    !window().navigator().on_line()
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Member => "Member",
        Role::Viewer => "Viewer",
    }
}

/// What a role allows, as "can …" (for "Members can see and edit records.").
fn role_hint(role: Role) -> &'static str {
    match role {
        Role::Owner => "can do everything, including managing other owners",
        Role::Admin => "can edit records, invite people and manage members",
        Role::Member => "can see and edit records",
        Role::Viewer => "can see records but not change them",
    }
}

/// `12 Mar 2025` in the user's time zone.
fn date(ms_since_epoch: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let d = js_sys::Date::new(&(ms_since_epoch as f64).into());
    let month = MONTHS.get(d.get_month() as usize).copied().unwrap_or("?");
    format!("{} {month} {}", d.get_date(), d.get_full_year())
}

/// A labelled text input bound to `value`.
#[component]
fn TextField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] invalid: Signal<bool>,
) -> impl IntoView {
    let hint_id = hint.map(|_| format!("{id}-hint"));
    view! {
        <div class="field">
            <label class="field__label" for=id>{label}</label>
            <input
                id=id
                name=id
                class="input"
                type=input_type
                autocomplete=autocomplete
                data-testid=id
                aria-describedby=hint_id.clone()
                aria-invalid=move || invalid.get().then_some("true")
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {hint.map(|hint| view! { <p class="field__hint muted" id=hint_id>{hint}</p> })}
        </div>
    }
}

/// A link that looks like a button (a plain anchor: the router handles the click).
#[component]
fn LinkButton(
    #[prop(into)] href: String,
    label: &'static str,
    testid: &'static str,
    #[prop(optional)] primary: bool,
) -> impl IntoView {
    let class = if primary {
        "button button--primary"
    } else {
        "button"
    };
    view! { <a href=href class=class data-testid=testid>{label}</a> }
}

/// A form's submit button, showing `busy_label` and disabled while the form is being sent.
#[component]
fn SubmitButton(
    testid: &'static str,
    label: &'static str,
    busy_label: &'static str,
    busy: RwSignal<bool>,
    #[prop(optional)] secondary: bool,
) -> impl IntoView {
    let class = if secondary {
        "button"
    } else {
        "button button--primary"
    };
    view! {
        <button type="submit" class=class data-testid=testid disabled=busy>
            {move || if busy.get() { busy_label } else { label }}
        </button>
    }
}

/// Something to tell the person about a refused action: a sentence, and whether signing in
/// again is the way out (the session ended).
#[derive(Debug, Clone, PartialEq)]
struct Problem {
    message: String,
    sign_in: bool,
}

impl Problem {
    fn text(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            sign_in: false,
        }
    }
}

impl From<api::Failure> for Problem {
    fn from(failure: api::Failure) -> Self {
        Self {
            message: failure.message(),
            sign_in: failure.needs_sign_in(),
        }
    }
}

/// A form's or a screen's error (or nothing), announced to screen readers; with a way to sign
/// in again when the session ended.
#[component]
fn FormError(testid: &'static str, error: RwSignal<Option<Problem>>) -> impl IntoView {
    move || {
        error.get().map(|problem| {
            let sign_in = problem.sign_in.then(|| {
                view! {
                    " "
                    <a href=with_next("/signin", Some(&here())) data-testid="sign-in-again">"Sign in again"</a>
                }
            });
            view! { <p class="field__error" role="alert" data-testid=testid>{problem.message} {sign_in}</p> }
        })
    }
}

/// "You're offline" above a screen that needs the relay.
#[component]
fn OfflineNotice(#[prop(into)] shown: Signal<bool>, what: &'static str) -> impl IntoView {
    move || {
        shown.get().then(|| {
            view! {
                <div class="alert alert--warning notice" role="status" data-testid="offline-notice">
                    <strong>{format!("You're offline — {what} needs the relay.")}</strong>
                    <span class="muted">"Everything on this device keeps working. Try again once you're back online."</span>
                </div>
            }
        })
    }
}
