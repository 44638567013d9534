//! Settings → Members: who is in the open relay workspace and with which role; owners and
//! admins change roles, remove people, and create and revoke invite links.

use kith_core::api::{CreateInvite, Invite, Member, Role};
use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::api;
use super::{
    FormError, LinkButton, Problem, SubmitButton, cache, date, reload_to, role_hint, role_label,
    with_next,
};
use crate::session::{self, AccountState, ActiveWorkspace};

/// Invite lifetimes offered, in hours.
const EXPIRY_CHOICES: [(u32, &str); 3] = [(24, "1 day"), (168, "7 days"), (720, "30 days")];

#[component]
pub fn Members() -> impl IntoView {
    document().set_title("Members · Kith");
    let account = expect_context::<AccountState>();
    let body = match (session::active_workspace(), account.0.get_untracked()) {
        (ActiveWorkspace::Relay { id, name, role }, Some(_)) => {
            view! { <MembersOf id=id name=name role=role/> }.into_any()
        }
        (ActiveWorkspace::Relay { name, .. }, None) => view! {
            <section class="card">
                <p>{format!("Sign in to see who is in {name}.")}</p>
                <div class="form-actions">
                    <LinkButton href=with_next("/signin", Some("/settings/members")) label="Sign in" testid="members-signin" primary=true/>
                </div>
            </section>
        }
        .into_any(),
        (ActiveWorkspace::Local, _) => view! {
            <section class="card" data-testid="members-local">
                <p>"This workspace is only on this device, so it has no other members."</p>
                <p class="muted">"To work on it with your team, connect it to the relay in Settings, then invite people here."</p>
                <div class="form-actions">
                    <LinkButton href="/settings" label="Go to Settings" testid="members-to-settings"/>
                </div>
            </section>
        }
        .into_any(),
    };
    view! {
        <div class="page page--narrow" data-testid="page-members">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/settings">"← Settings"</a>
            </nav>
            <header class="page__header">
                <h1 class="page__title">"Members"</h1>
            </header>
            {body}
        </div>
    }
}

/// The token of the signed-in account, now (it may have been renewed since the page opened).
fn token(account: AccountState) -> String {
    account
        .0
        .get_untracked()
        .map(|a| a.token)
        .unwrap_or_default()
}

#[component]
fn MembersOf(id: String, name: String, role: Role) -> impl IntoView {
    let account = expect_context::<AccountState>();
    let me = account
        .0
        .get_untracked()
        .map(|a| a.user.id)
        .unwrap_or_default();
    let problem = RwSignal::new(None::<Problem>);
    let members = RwSignal::new(None::<Result<Vec<Member>, api::Failure>>);
    let invites = RwSignal::new(None::<Result<Vec<Invite>, api::Failure>>);
    // My role as the relay sees it now (the remembered one may be out of date).
    let my_role = {
        let me = me.clone();
        Memo::new(move |_| {
            members.with(|m| match m {
                Some(Ok(list)) => list
                    .iter()
                    .find(|m| m.user.id == me)
                    .map_or(role, |m| m.role),
                _ => role,
            })
        })
    };
    let ctx = Ctx {
        account,
        workspace: StoredValue::new(id.clone()),
        me: StoredValue::new(me),
        my_role,
        members,
        invites,
        problem,
    };
    ctx.refresh();

    view! {
        <p class="muted" data-testid="members-workspace">
            {move || format!("{name} · you are {}", role_label(my_role.get()).to_lowercase())}
        </p>
        <FormError testid="members-error" error=problem/>
        <section class="card" aria-labelledby="members-title">
            <h2 class="card__title" id="members-title">"People in this workspace"</h2>
            {move || match ctx.members.get() {
                None => view! { <p class="muted" role="status">"Loading members…"</p> }.into_any(),
                Some(Err(failure)) => {
                    let problem = RwSignal::new(Some(Problem::from(failure)));
                    view! { <FormError testid="members-load-error" error=problem/> }.into_any()
                }
                Some(Ok(list)) => {
                    let mut list = list;
                    list.sort_by_key(|m| (m.role != Role::Owner, m.user.name.to_lowercase()));
                    let owners = list.iter().filter(|m| m.role == Role::Owner).count();
                    view! {
                        <ul class="member-list" data-testid="member-list">
                            {list.into_iter().map(|member| {
                                let sole_owner = member.role == Role::Owner && owners == 1;
                                view! { <MemberRow member=member ctx=ctx sole_owner=sole_owner/> }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </section>
        {move || my_role.get().can_manage().then(|| view! { <Invites ctx=ctx/> })}
    }
}

/// What the member rows and the invite section share.
#[derive(Clone, Copy)]
struct Ctx {
    account: AccountState,
    workspace: StoredValue<String>,
    me: StoredValue<String>,
    my_role: Memo<Role>,
    members: RwSignal<Option<Result<Vec<Member>, api::Failure>>>,
    invites: RwSignal<Option<Result<Vec<Invite>, api::Failure>>>,
    problem: RwSignal<Option<Problem>>,
}

impl Ctx {
    /// Reads the members (and, for those who manage, the invites) from the relay again.
    fn refresh(self) {
        let account = self.account;
        let workspace = self.workspace.get_value();
        leptos::task::spawn_local(async move {
            let token = token(account);
            let members = api::members(&token, &workspace).await;
            if let Ok(list) = &members {
                cache::remember_members(&workspace, list);
            }
            self.members.set(Some(members));
            if self.my_role.get_untracked().can_manage() {
                self.invites
                    .set(Some(api::invites(&token, &workspace).await));
            }
        });
    }

    /// Runs an API call; then reads the lists again (also after a failure, so every control
    /// shows what the relay holds).
    fn run<F>(self, busy: RwSignal<bool>, call: F)
    where
        F: Future<Output = Result<(), api::Failure>> + 'static,
    {
        busy.set(true);
        self.problem.set(None);
        leptos::task::spawn_local(async move {
            let result = call.await;
            busy.set(false);
            if let Err(failure) = result {
                self.problem.set(Some(failure.into()));
            }
            self.refresh();
        });
    }
}

#[component]
fn MemberRow(
    member: Member,
    ctx: Ctx,
    /// The workspace's only owner cannot leave it (someone else must be made owner first).
    sole_owner: bool,
) -> impl IntoView {
    let account = expect_context::<AccountState>();
    let is_me = ctx.me.with_value(|me| *me == member.user.id);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let user = StoredValue::new(member.user.clone());
    let current = member.role;
    // Admins manage members and admins; only an owner touches an owner.
    let may_manage = move || {
        let mine = ctx.my_role.get();
        !is_me && mine.can_manage() && (current != Role::Owner || mine == Role::Owner)
    };
    let change_role = move |ev: leptos::ev::Event| {
        let Some(role) = Role::parse(&event_target_value(&ev)) else {
            return;
        };
        if role == current {
            return;
        }
        let (workspace, user_id) = (ctx.workspace.get_value(), user.with_value(|u| u.id.clone()));
        ctx.run(busy, async move {
            api::set_role(&token(account), &workspace, &user_id, role).await
        });
    };
    let remove = move |_| {
        let (workspace, user_id) = (ctx.workspace.get_value(), user.with_value(|u| u.id.clone()));
        if is_me {
            busy.set(true);
            ctx.problem.set(None);
            leptos::task::spawn_local(async move {
                match api::remove_member(&token(account), &workspace, &user_id).await {
                    Ok(()) => left(&workspace),
                    Err(failure) => {
                        busy.set(false);
                        confirming.set(false);
                        ctx.problem.set(Some(failure.into()));
                    }
                }
            });
        } else {
            ctx.run(busy, async move {
                api::remove_member(&token(account), &workspace, &user_id).await
            });
        }
    };
    let name = member.user.name.clone();
    let select_id = format!("role-{}", member.user.id);
    view! {
        <li class="member-row" data-testid="member-row" data-user-id=member.user.id.clone()>
            <div class="member-row__who">
                <span class="member-row__name" data-testid="member-name">
                    {member.user.name.clone()}
                    {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
                </span>
                <span class="member-row__email muted">{member.user.email.clone()}</span>
                <span class="member-row__since muted">{format!("Joined {}", date(member.joined_at))}</span>
            </div>
            <div class="member-row__actions">
                {move || if may_manage() {
                    let mine = ctx.my_role.get();
                    view! {
                        <label class="visually-hidden" for=select_id.clone()>{format!("Role of {}", user.with_value(|u| u.name.clone()))}</label>
                        <select id=select_id.clone() class="input input--select" data-testid="member-role-select" disabled=busy on:change=change_role>
                            {Role::ALL
                                .into_iter()
                                .filter(|r| *r != Role::Owner || mine == Role::Owner)
                                .map(|r| view! { <option value=r.as_str() selected=r == current>{role_label(r)}</option> })
                                .collect_view()}
                        </select>
                    }.into_any()
                } else {
                    view! { <span class="badge" data-testid="member-role" title=role_hint(current)>{role_label(current)}</span> }.into_any()
                }}
                {move || (may_manage() || (is_me && !sole_owner)).then(|| if confirming.get() {
                    let question = if is_me {
                        "Leave this workspace? Its copy stays on this device; you lose access to new changes.".to_owned()
                    } else {
                        format!("Remove {}? They lose access at once.", user.with_value(|u| u.name.clone()))
                    };
                    view! {
                        <div class="confirm" role="group" aria-label="Confirm">
                            <span class="confirm__text">{question}</span>
                            <button type="button" class="button button--danger button--small" data-testid="confirm-remove" disabled=busy on:click=remove>
                                {if is_me { "Leave" } else { "Remove" }}
                            </button>
                            <button type="button" class="button button--quiet button--small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            class="button button--quiet button--small"
                            data-testid=if is_me { "leave-workspace" } else { "remove-member" }
                            aria-label=if is_me { "Leave this workspace".to_owned() } else { format!("Remove {name}") }
                            on:click=move |_| confirming.set(true)
                        >
                            {if is_me { "Leave" } else { "Remove" }}
                        </button>
                    }.into_any()
                })}
            </div>
        </li>
    }
}

/// After leaving the open workspace: forget it and go to the picker on this device's own
/// workspace.
fn left(workspace: &str) {
    if let Some(a) = session::load_account() {
        let mut list = cache::workspaces(&a.user.id);
        list.retain(|w| w.id != workspace);
        cache::remember_workspaces(&a.user.id, &list);
    }
    session::set_active_workspace(&ActiveWorkspace::Local);
    reload_to("/workspaces");
}

#[component]
fn Invites(ctx: Ctx) -> impl IntoView {
    let account = expect_context::<AccountState>();
    let role = RwSignal::new(Role::Member);
    let hours = RwSignal::new(168u32);
    let link = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<&'static str>);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    let link_input = NodeRef::<leptos::html::Input>::new();

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        copied.set(None);
        let workspace = ctx.workspace.get_value();
        let body = CreateInvite {
            role: role.get_untracked(),
            expires_in_hours: hours.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::create_invite(&token(account), &workspace, &body).await {
                Ok(invite) => match invite.token {
                    Some(t) => {
                        let origin = window().location().origin().unwrap_or_default();
                        let encoded = String::from(js_sys::encode_uri_component(&t));
                        link.set(Some(format!("{origin}/invite/{encoded}")));
                    }
                    None => problem.set(Some(Problem::text(
                        "The relay created the invite but sent no link. Revoke it and try again.",
                    ))),
                },
                Err(failure) => problem.set(Some(failure.into())),
            }
            busy.set(false);
            ctx.refresh();
        });
    };

    let copy = move |_| {
        let Some(text) = link.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let written = JsFuture::from(window().navigator().clipboard().write_text(&text)).await;
            if written.is_ok() {
                copied.set(Some("Link copied. Send it to the person you are inviting."));
            } else {
                if let Some(input) = link_input.get_untracked() {
                    let _ = input.focus();
                    input.select();
                }
                copied.set(Some(
                    "The browser did not allow copying. The link is selected: press Ctrl+C (⌘C on a Mac).",
                ));
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="invites-title" data-testid="invites">
            <h2 class="card__title" id="invites-title">"Invite people"</h2>
            <p class="muted">"Anyone with the link can join until it expires or you revoke it. Send it privately."</p>
            <form class="invite-form" on:submit=create novalidate>
                <div class="field">
                    <label class="field__label" for="invite-role">"Role"</label>
                    <select
                        id="invite-role"
                        class="input input--select"
                        data-testid="invite-role"
                        aria-describedby="invite-role-hint"
                        on:change=move |ev| if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }
                    >
                        {move || {
                            let mine = ctx.my_role.get();
                            Role::ALL
                                .into_iter()
                                .filter(|r| *r != Role::Owner || mine == Role::Owner)
                                .map(|r| view! {
                                    <option value=r.as_str() selected=move || role.get() == r>
                                        {role_label(r)}
                                    </option>
                                })
                                .collect_view()
                        }}
                    </select>
                    <p class="field__hint muted" id="invite-role-hint">{move || format!("{}s {}.", role_label(role.get()), role_hint(role.get()))}</p>
                </div>
                <div class="field">
                    <label class="field__label" for="invite-expiry">"Link works for"</label>
                    <select
                        id="invite-expiry"
                        class="input input--select"
                        data-testid="invite-expiry"
                        on:change=move |ev| if let Ok(h) = event_target_value(&ev).parse() { hours.set(h) }
                    >
                        {EXPIRY_CHOICES
                            .into_iter()
                            .map(|(h, label)| view! { <option value=h.to_string() selected=move || hours.get() == h>{label}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="form-actions invite-form__submit">
                    <SubmitButton testid="create-invite" label="Create invite link" busy_label="Creating…" busy=busy/>
                </div>
            </form>
            <FormError testid="invite-error" error=problem/>
            {move || link.get().map(|url| view! {
                <div class="invite-link" data-testid="new-invite">
                    <label class="field__label" for="invite-link">"New invite link (shown once)"</label>
                    <div class="inline-form">
                        <input
                            id="invite-link"
                            class="input mono"
                            readonly
                            data-testid="invite-link"
                            node_ref=link_input
                            prop:value=url
                            on:focus=move |ev| {
                                use wasm_bindgen::JsCast;
                                if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                    input.select();
                                }
                            }
                        />
                        <button type="button" class="button" data-testid="copy-invite" on:click=copy>"Copy link"</button>
                    </div>
                    <p class="muted" role="status" data-testid="copy-status">{move || copied.get()}</p>
                </div>
            })}
            <h3 class="invites__subtitle">"Open invites"</h3>
            {move || match ctx.invites.get() {
                None => view! { <p class="muted">"Loading invites…"</p> }.into_any(),
                Some(Err(failure)) => {
                    let problem = RwSignal::new(Some(Problem::from(failure)));
                    view! { <FormError testid="invites-load-error" error=problem/> }.into_any()
                }
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted" data-testid="no-invites">"No open invites."</p> }.into_any()
                }
                Some(Ok(list)) => view! {
                    <ul class="invite-list" data-testid="invite-list">
                        {list.into_iter().map(|invite| view! { <InviteRow invite=invite ctx=ctx/> }).collect_view()}
                    </ul>
                }
                .into_any(),
            }}
        </section>
    }
}

#[component]
fn InviteRow(invite: Invite, ctx: Ctx) -> impl IntoView {
    let account = expect_context::<AccountState>();
    let busy = RwSignal::new(false);
    let id = invite.id.clone();
    let revoke = move |_| {
        let (workspace, id) = (ctx.workspace.get_value(), id.clone());
        ctx.run(busy, async move {
            api::revoke_invite(&token(account), &workspace, &id).await
        });
    };
    let what = format!(
        "{} invite by {}, expires {}",
        role_label(invite.role),
        invite.created_by.name,
        date(invite.expires_at)
    );
    view! {
        <li class="invite-row" data-testid="invite-row">
            <span class="invite-row__text">
                <span class="badge">{role_label(invite.role)}</span>
                <span>{format!(" by {} · expires {}", invite.created_by.name, date(invite.expires_at))}</span>
            </span>
            <button
                type="button"
                class="button button--quiet button--small"
                data-testid="revoke-invite"
                aria-label=format!("Revoke the {what}")
                disabled=busy
                on:click=revoke
            >
                "Revoke"
            </button>
        </li>
    }
}
