//! The application shell: brand, main navigation and the relay status around every page.
//! Desktop: a sidebar. Phone: a top bar and a bottom tab bar (CSS decides, from one markup).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::icons::Icon;
use crate::palette::{CommandPalette, ShortcutsHelp};
use crate::relay_link::RelayLink;
use crate::sync::{SyncEngine, SyncStatus};
use crate::tasks::OverdueBadge;
use crate::toasts::ToastRegion;
use crate::workspace::{SaveState, Workspace};

/// The sections reachable from the main navigation, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Leads,
    People,
    Companies,
    Deals,
    Tasks,
    Settings,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Self::Leads,
        Self::People,
        Self::Companies,
        Self::Deals,
        Self::Tasks,
        Self::Settings,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Leads => "Leads",
            Self::People => "People",
            Self::Companies => "Companies",
            Self::Deals => "Deals",
            Self::Tasks => "Tasks",
            Self::Settings => "Settings",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::Leads => "/leads",
            Self::People => "/people",
            Self::Companies => "/companies",
            Self::Deals => "/deals",
            Self::Tasks => "/tasks",
            Self::Settings => "/settings",
        }
    }

    fn icon(self) -> Icon {
        match self {
            Self::Leads => Icon::Funnel,
            Self::People => Icon::People,
            Self::Companies => Icon::Building,
            Self::Deals => Icon::Pipeline,
            Self::Tasks => Icon::Check,
            Self::Settings => Icon::Gear,
        }
    }
}

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    // Each press of the search button asks the palette to open (touch has no Ctrl+K).
    let open_palette = RwSignal::new(0u32);
    view! {
        <div class="shell">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="shell__bar">
                <div class="shell__brand">
                    <A href="/" attr:class="brand" attr:aria-label="Kith home">
                        {Icon::Logo.view()}
                        <span class="brand__name">"Kith"</span>
                    </A>
                    <A
                        href="/workspaces"
                        attr:class="shell__workspace"
                        attr:data-testid="shell-workspace"
                        attr:title="Workspace: switch or create one"
                    >
                        {crate::session::active_workspace().name().to_owned()}
                    </A>
                </div>
                <button
                    type="button"
                    class="shell__search"
                    data-testid="open-palette"
                    aria-label="Search"
                    title="Search everything (Ctrl+K)"
                    aria-keyshortcuts="Control+K Meta+K"
                    on:click=move |_| open_palette.update(|n| *n += 1)
                >
                    {Icon::Search.view()}
                    <span class="shell__search-label">"Search"</span>
                </button>
                <div class="shell__status">
                    <SaveIndicator/>
                    <ConnectionIndicator/>
                </div>
            </header>
            <nav class="shell__nav" aria-label="Main">
                <ul class="nav">
                    {Section::ALL
                        .into_iter()
                        .map(|section| {
                            view! {
                                <li>
                                    <A href=section.path() attr:class="nav__link" attr:data-testid=format!("nav-{}", section.label().to_lowercase())>
                                        {section.icon().view()}
                                        <span class="nav__label">{section.label()}</span>
                                        {(section == Section::Tasks).then(|| view! { <OverdueBadge/> })}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <main class="shell__main" id="main" tabindex="-1">
                {children()}
            </main>
            <ToastRegion/>
            <CommandPalette requests=open_palette/>
            <ShortcutsHelp/>
        </div>
    }
}

/// A dot and a word saying how the workspace syncs ("Online", "Offline", "Syncing 3 changes",
/// "Sign in again", …), and a line of detail beside it ("Last synced at 10:42:07"). For a local
/// workspace the word says whether the relay is reachable, and the detail "Local only".
#[component]
pub fn ConnectionIndicator() -> impl IntoView {
    let link = use_context::<SyncEngine>()
        .map(|e| e.link())
        .or_else(use_context::<RelayLink>)
        .map(|l| l.state());
    let status = use_context::<SyncEngine>().map(|e| e.status());
    let shown = Memo::new(move |_| {
        let status = status.map(|s| s.get()).unwrap_or(SyncStatus::LocalOnly);
        match (&status, link) {
            (SyncStatus::LocalOnly, Some(link)) => link.with(|l| {
                (
                    l.label().to_string(),
                    l.css_class(),
                    status.detail(),
                    l.description(),
                )
            }),
            _ => (
                status.label(),
                status.css_class(),
                status.detail(),
                status.description(),
            ),
        }
    });
    view! {
        <div class="sync-indicator">
            <div
                class=move || format!("link-status {}", shown.read().1)
                data-testid="connection-status"
                role="status"
                title=move || shown.read().3.clone()
            >
                <span class="link-status__dot" aria-hidden="true"></span>
                <span class="link-status__label">{move || shown.read().0.clone()}</span>
            </div>
            <span class="sync-detail" data-testid="sync-status" title=move || shown.read().3.clone()>
                {move || shown.read().2.clone()}
            </span>
            <SyncAction/>
        </div>
    }
}

/// What the user can do about a stopped sync: sign in again (back to this page afterwards;
/// every local change waits meanwhile), or pick another workspace after losing access.
#[component]
fn SyncAction() -> impl IntoView {
    let status = use_context::<SyncEngine>().map(|e| e.status());
    let location = leptos_router::hooks::use_location();
    move || {
        match status.map(|s| s.get()) {
        Some(SyncStatus::SignInAgain { .. }) => {
            let next = js_sys::encode_uri_component(&location.pathname.get());
            Some(
                view! {
                    <A href=format!("/signin?next={next}") attr:class="sync-action" attr:data-testid="sync-sign-in">
                        "Sign in"
                    </A>
                }
                .into_any(),
            )
        }
        Some(SyncStatus::NoAccess) => Some(
            view! {
                <A href="/workspaces" attr:class="sync-action" attr:data-testid="sync-choose-workspace">
                    "Choose a workspace"
                </A>
            }
            .into_any(),
        ),
        Some(SyncStatus::Full { .. }) => Some(
            view! {
                <A href=Section::Settings.path() attr:class="sync-action" attr:data-testid="sync-details">
                    "Details"
                </A>
            }
            .into_any(),
        ),
        _ => None,
    }
    }
}

/// Whether everything is saved on this device; unsaved work can be retried from here.
#[component]
pub fn SaveIndicator() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    move || {
        match ws.save_state.get() {
        SaveState::Saved => view! { <span class="save-state" data-testid="save-state">"Saved"</span> }.into_any(),
        SaveState::Saving => view! { <span class="save-state" data-testid="save-state">"Saving…"</span> }.into_any(),
        SaveState::Unsaved { count, message } => view! {
            <span class="save-state save-state--error" role="alert" data-testid="save-state" title=message.clone()>
                {format!("{count} not saved: {message}")}
                <button type="button" class="button button--small" on:click=move |_| {
                    leptos::task::spawn_local(async move { let _ = ws.retry_unsaved().await; });
                }>"Retry"</button>
            </span>
        }.into_any(),
    }
    }
}
