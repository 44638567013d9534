//! A record's page: every field editable in place, tags, notes, links, delete with undo; who
//! else is looking at it; read-only for viewers. Teammates' changes appear as they arrive.

use kith_core::ids::RecordId;
use kith_core::protocol::Viewer;
use kith_core::record::{Channel, Field, Record, RecordKind};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::editors::{
    ChannelList, CompanyField, NotesEditor, RecordScope, StageField, TagEditor, TextField,
};
use super::{kind_noun, kind_plural, record_path, section_path};
use crate::account::display_name;
use crate::deals::OwnerSelect;
use crate::duplicates::RecordNotices;
use crate::leads::{QualificationPanel, RecordDeals, StageStepper, score_label};
use crate::privacy::PrivacyActions;
use crate::sync::SyncEngine;
use crate::timeline::Timeline;
use crate::toasts::Toasts;
use crate::workspace::{Phase, Workspace};

#[component]
pub fn RecordPage(kind: RecordKind) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| RecordId::parse(&s).ok())
    });
    move || match id.get() {
        Some(id) => view! { <RecordBody kind id/> }.into_any(),
        None => view! { <Missing kind/> }.into_any(),
    }
}

#[component]
fn Missing(kind: RecordKind) -> impl IntoView {
    view! {
        <div class="page" data-testid="record-missing">
            <header class="page__header"><h1 class="page__title">"Not found"</h1></header>
            <p>{format!("This {} is not on this device.", kind_noun(kind))}</p>
            <A href=section_path(kind)>{format!("Back to {}", kind_plural(kind).to_lowercase())}</A>
        </div>
    }
}

#[component]
fn RecordBody(kind: RecordKind, id: RecordId) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let record = RwSignal::new_local(None::<Record>);
    let missing = RwSignal::new(false);
    let scope = RecordScope {
        ws,
        id: StoredValue::new(id.clone()),
        record,
    };
    provide_context(scope);

    // (Re)load whenever the workspace changes: our own edits, and later teammates' edits.
    let load_id = id.clone();
    Effect::new(move |_| {
        ws.revision.track();
        if ws.phase.get() != Phase::Ready {
            return;
        }
        let id = load_id.clone();
        leptos::task::spawn_local(async move {
            match ws.record(&id).await {
                Ok(r) => {
                    missing.set(false);
                    record.set(Some(r));
                }
                // Not here (yet): a teammate's record may still be on its way.
                Err(_) => missing.set(record.with_untracked(Option::is_none)),
            }
        });
    });

    // Teammates see that this record is open here, for as long as it is.
    if let Some(engine) = use_context::<SyncEngine>() {
        engine.view_record(Some(&id));
        let viewed = id.clone();
        on_cleanup(move || engine.stop_viewing(&viewed));
    }
    let read_only = move || !ws.writable.get();

    let name = Memo::new(move |_| {
        record
            .with(|r| r.as_ref().and_then(|r| r.text(Field::Name)))
            .unwrap_or_default()
    });
    Effect::new(move |_| {
        let title = if name.read().is_empty() {
            "(no name) · Kith".to_string()
        } else {
            format!("{} · Kith", name.read())
        };
        document().set_title(&title);
    });
    let deleted = Memo::new(move |_| record.with(|r| r.as_ref().is_some_and(Record::is_deleted)));
    let navigate = use_navigate();
    let delete_id = id.clone();
    let delete = move |_| {
        let id = delete_id.clone();
        let label = name.get_untracked();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            if ws.edit(&id, |e| e.delete()).await.is_ok() {
                let undo_id = id.clone();
                toasts.show_with_undo(
                    format!(
                        "Deleted {}",
                        if label.is_empty() {
                            kind_noun(kind)
                        } else {
                            &label
                        }
                    ),
                    move || {
                        let id = undo_id.clone();
                        leptos::task::spawn_local(async move {
                            let _ = ws.edit(&id, |e| e.restore()).await;
                        });
                    },
                );
                navigate(section_path(kind), Default::default());
            }
        });
    };
    let restore_id = id.clone();
    let timeline_id = id.clone();
    let notices_id = id.clone();
    let privacy_id = id.clone();

    view! {
        <div class="page page--record" data-testid=format!("record-{}", kind_noun(kind))>
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <A href=section_path(kind)>{format!("← {}", kind_plural(kind))}</A>
            </nav>
            {move || missing.get().then(|| view! { <Missing kind/> })}
            <Show when=move || record.with(Option::is_some)>
                <header class="page__header">
                    <h1 class="page__title" data-testid="record-title">
                        {move || if name.read().is_empty() { "(no name)".to_string() } else { name.get() }}
                    </h1>
                    <div class="page__actions">
                        <Presence id=id.clone()/>
                        <button type="button" class="button button--danger" data-testid="delete-record" disabled=read_only on:click=delete.clone()>
                            "Delete"
                        </button>
                    </div>
                </header>
                {move || read_only().then(|| view! {
                    <div class="alert view-only" role="status" data-testid="view-only">
                        <strong>"View only."</strong>
                        " Your role in this workspace lets you read records, not change them."
                    </div>
                })}
                {
                    let restore_id = restore_id.clone();
                    move || deleted.get().then(|| {
                        let id = restore_id.clone();
                        view! {
                            <div class="alert alert--warning" role="status">
                                {format!("This {} is deleted.", kind_noun(kind))}
                                <button type="button" class="button button--small" disabled=read_only on:click=move |_| {
                                    let id = id.clone();
                                    leptos::task::spawn_local(async move { let _ = ws.edit(&id, |e| e.restore()).await; });
                                }>"Restore"</button>
                            </div>
                        }
                    })
                }
                <RecordNotices kind id=notices_id.clone()/>
                <div class="record-layout">
                    // A disabled fieldset disables every control inside it: a viewer can read, not edit.
                    <fieldset class="record-fields record-layout__main" disabled=read_only>
                        <legend class="visually-hidden">"Record fields"</legend>
                        <StageStepper/>
                        <QualificationPanel/>
                        // A customer's deals matter more than their address: right under the panel.
                        <RecordDeals kind/>
                        <div class="record-grid">
                            <section class="card" aria-labelledby="card-main">
                                <h2 class="card__title" id="card-main">{if kind == RecordKind::Company { "Company" } else { "Contact" }}</h2>
                                <TextField field=Field::Name/>
                                {match kind {
                                    RecordKind::Company => view! {
                                        <TextField field=Field::Domain input_type="url" placeholder="example.com"/>
                                        <TextField field=Field::Industry/>
                                        <TextField field=Field::Size placeholder="e.g. 11–50"/>
                                    }.into_any(),
                                    _ => view! {
                                        <TextField field=Field::Title/>
                                        <CompanyField/>
                                        <ChannelList channel=Channel::Email/>
                                        <ChannelList channel=Channel::Phone/>
                                    }.into_any(),
                                }}
                            </section>
                            <section class="card" aria-labelledby="card-status">
                                <h2 class="card__title" id="card-status">"Status"</h2>
                                <StageField/>
                                <OwnerSelect/>
                                {(kind == RecordKind::Person).then(|| view! { <TextField field=Field::Source placeholder="e.g. referral, website"/> })}
                                <TagEditor/>
                            </section>
                            <section class="card" aria-labelledby="card-address">
                                <h2 class="card__title" id="card-address">"Address"</h2>
                                <TextField field=Field::Street/>
                                <div class="field-row">
                                    <TextField field=Field::City/>
                                    <TextField field=Field::Postcode/>
                                </div>
                                <div class="field-row">
                                    <TextField field=Field::Region/>
                                    <TextField field=Field::Country/>
                                </div>
                            </section>
                            <section class="card card--wide" aria-labelledby="card-notes">
                                <h2 class="card__title visually-hidden" id="card-notes">"Notes"</h2>
                                <NotesEditor/>
                            </section>
                            {(kind == RecordKind::Company).then(|| view! { <CompanyPeople/> })}
                        </div>
                    </fieldset>
                    <div class="record-layout__side">
                        <Timeline record=Some(timeline_id.clone())/>
                        // Rarely needed, so below the timeline; outside the fieldset: a viewer
                        // may still hand a person their data.
                        {(kind == RecordKind::Person).then(|| view! { <PrivacyActions id=privacy_id.clone()/> })}
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// Teammates looking at this record right now: one avatar each (initials; the name as its
/// tooltip and accessible name). Nothing when no one else is here, or for a local workspace.
#[component]
fn Presence(id: RecordId) -> impl IntoView {
    let engine = use_context::<SyncEngine>();
    let record = id.to_string();
    let here = Memo::new(move |_| {
        engine
            .map(|e| {
                e.viewers().with(|all| {
                    all.iter()
                        .filter(|v| v.record == record)
                        .cloned()
                        .collect::<Vec<Viewer>>()
                })
            })
            .unwrap_or_default()
    });
    move || {
        let viewers = here.get();
        (!viewers.is_empty()).then(|| {
            let label = match viewers.len() {
                1 => "1 other person is viewing this record".to_string(),
                n => format!("{n} other people are viewing this record"),
            };
            view! {
                <ul class="presence" data-testid="presence" aria-label=label>
                    {viewers.into_iter().map(|v| {
                        let name = viewer_name(&v);
                        view! {
                            <li
                                class="avatar"
                                data-testid="presence-avatar"
                                data-user=v.user.clone()
                                style=format!("--avatar-hue: {}", hue(&v.user))
                                title=format!("{name} is viewing")
                                aria-label=format!("{name} is viewing")
                            >
                                {initials(&name)}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
        })
    }
}

/// A teammate's name: the relay's (it knows every member), else what the account screens know.
fn viewer_name(viewer: &Viewer) -> String {
    let name = viewer.name.trim();
    if name.is_empty() {
        display_name(&viewer.user)
    } else {
        name.to_string()
    }
}

/// Up to two initials: "Ada Lovelace" → "AL", "grace" → "G".
fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".into()
    } else {
        letters
    }
}

/// A stable hue per user, so each teammate keeps one colour.
fn hue(user: &str) -> u32 {
    user.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360
}

/// The people linked to this company.
#[component]
fn CompanyPeople() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let people = Memo::new(move |_| {
        let id = scope.id.get_value();
        scope
            .ws
            .with_directory(|d| d.people_of(&id).into_iter().cloned().collect::<Vec<_>>())
    });
    view! {
        <section class="card card--wide" aria-labelledby="card-people" data-testid="company-people">
            <h2 class="card__title" id="card-people">{move || format!("People ({})", people.read().len())}</h2>
            {move || {
                let people = people.get();
                if people.is_empty() {
                    view! { <p class="muted">"No one here yet. Set a person's company to link them."</p> }.into_any()
                } else {
                    view! {
                        <ul class="link-list">
                            {people.into_iter().map(|p| view! {
                                <li>
                                    <a href=record_path(RecordKind::Person, &p.id)>{if p.name.is_empty() { "(no name)".to_string() } else { p.name.clone() }}</a>
                                    <span class="muted">{p.title.clone()}</span>
                                    {p.stage.map(|st| view! { <span class="badge">{st.label()}</span> })}
                                    {p.score.map(|sc| view! { <span class="lead-score">{score_label(Some(sc))}</span> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
}
