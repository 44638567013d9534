//! Interactions (calls, emails, meetings, notes) and a record's merged timeline of its
//! activities, tasks and changes.

mod detail;
mod gather;
mod log_form;
mod picker;

pub use detail::ItemPage;

use kith_core::ids::RecordId;
use kith_core::record::{ActivityStatus, ActivityType, Field, HistoryEntry, RecordKind};
use leptos::prelude::*;

use crate::account::display_name;
use crate::tasks::{Linked, TaskForm, TaskRow, clock};
use crate::workspace::{Phase, Workspace};
use gather::{Entry, Filter, Item};
use log_form::LogActivity;

/// Items shown at first, and added by each "Show older".
const PAGE: usize = 30;
/// Characters of an activity's notes shown in the timeline.
const NOTE_PREVIEW: usize = 140;

/// A record's timeline, newest first, with the form to log an interaction against it.
#[component]
pub fn Timeline(#[prop(into)] record: Signal<Option<RecordId>>) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let filter = RwSignal::new(Filter::All);
    let shown = RwSignal::new(PAGE);
    let adding_task = RwSignal::new(false);
    let add_button = NodeRef::<leptos::html::Button>::new();
    let close_task_form = move || {
        adding_task.set(false);
        if let Some(button) = add_button.get_untracked() {
            let _ = button.focus();
        }
    };
    let history = RwSignal::new(Vec::<HistoryEntry>::new());

    // The record's own changes come from its document: (re)read whenever the workspace changes.
    Effect::new(move |_| {
        ws.revision.track();
        let Some(id) = record.get() else {
            history.set(Vec::new());
            return;
        };
        if ws.phase.get() != Phase::Ready {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(mut r) = ws.record(&id).await
                // The page may have moved on (or closed) meanwhile.
                && record.try_get_untracked().flatten().as_ref() == Some(&id)
            {
                history.set(r.history());
            }
        });
    });
    Effect::new(move |_| {
        record.track();
        filter.track();
        shown.set(PAGE);
    });

    let items = Memo::new(move |_| {
        let Some(id) = record.get() else {
            return Vec::new();
        };
        let filter = filter.get();
        history.with(|h| ws.with_directory(|d| gather::items(d, &id, h, filter)))
    });
    let noun = Memo::new(move |_| {
        record
            .get()
            .and_then(|id| ws.summary(&id))
            .map(|s| crate::records::kind_noun(s.kind))
            .unwrap_or("record")
    });

    let chip = move |which: Filter| {
        view! {
            <button
                type="button"
                class="chip timeline__filter"
                data-testid=format!("timeline-filter-{}", which.key())
                aria-pressed=move || (filter.get() == which).to_string()
                on:click=move |_| filter.set(which)
            >
                {which.label()}
            </button>
        }
    };

    view! {
        <section class="timeline" data-testid="timeline" aria-labelledby="timeline-title">
            <header class="timeline__header">
                <h2 class="timeline__title" id="timeline-title">"Timeline"</h2>
                <button
                    type="button"
                    class="button"
                    data-testid="add-task"
                    aria-expanded=move || adding_task.get().to_string()
                    aria-controls="timeline-task-form"
                    disabled=move || !ws.writable.get()
                    node_ref=add_button
                    on:click=move |_| adding_task.update(|a| *a = !*a)
                >
                    "Add task"
                </button>
            </header>
            <div id="timeline-task-form">
                {move || adding_task.get().then(|| view! {
                    // Escape closes the form; focus goes back to "Add task" when it closes.
                    <div class="card timeline__task-form" on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            close_task_form();
                        }
                    }>
                        <TaskForm record testid="add-task-form" autofocus=true on_created=Callback::new(move |_| close_task_form())/>
                    </div>
                })}
            </div>
            {move || ws.writable.get().then(|| view! { <LogActivity record/> })}
            <div class="timeline__filters" role="group" aria-label="Show in the timeline">
                {chip(Filter::All)}
                {chip(Filter::Interactions)}
                {chip(Filter::Tasks)}
                {chip(Filter::Changes)}
            </div>
            {move || {
                let all = items.get();
                if all.is_empty() {
                    return view! {
                        <p class="muted timeline__empty" data-testid="timeline-empty">
                            {format!("Nothing here yet. Log a call, email, meeting or note with this {}, or add a task.", noun.get())}
                        </p>
                    }.into_any();
                }
                let total = all.len();
                let limit = shown.get().min(total);
                // Day labels follow the items; re-rendering on a clock tick would drop focus.
                let now = clock::now();
                let mut days: Vec<(String, Vec<Item>)> = Vec::new();
                for item in all.into_iter().take(limit) {
                    let day = clock::day_label(item.at, now);
                    match days.last_mut() {
                        Some((d, list)) if *d == day => list.push(item),
                        _ => days.push((day, vec![item])),
                    }
                }
                view! {
                    <ol class="timeline__days">
                        {days.into_iter().map(|(day, list)| view! {
                            <li class="timeline__day" data-testid="timeline-day">
                                <h3 class="timeline__day-title">{day}</h3>
                                <ol class="timeline__items">
                                    {list.into_iter().map(|item| view! { <TimelineItem item/> }).collect_view()}
                                </ol>
                            </li>
                        }).collect_view()}
                    </ol>
                    {(limit < total).then(|| view! {
                        <button type="button" class="button timeline__more" data-testid="timeline-more" on:click=move |_| shown.update(|s| *s += PAGE)>
                            {format!("Show older ({} more)", total - limit)}
                        </button>
                    })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn TimelineItem(item: Item) -> impl IntoView {
    let now = Signal::derive(clock::now);
    match item.entry {
        Entry::Task(task, linked) => view! {
            <li class="timeline-item timeline-item--task" data-testid="timeline-item" data-kind="task">
                <TaskRow task linked now/>
            </li>
        }
        .into_any(),
        Entry::Activity(activity, linked) => {
            let kind = ActivityType::parse(&activity.activity_type).unwrap_or(ActivityType::Note);
            // Outcome, duration and notes are not in summaries: read them from the document.
            let details = RwSignal::new((String::new(), String::new()));
            let ws = expect_context::<Workspace>();
            let id = activity.id.clone();
            leptos::task::spawn_local(async move {
                if let Ok(r) = ws.record(&id).await {
                    let mut parts = Vec::new();
                    parts.extend(r.text(Field::Outcome));
                    parts.extend(r.text(Field::Duration).map(|m| format!("{m} min")));
                    let notes = r.notes();
                    let mut snippet: String = notes.trim().chars().take(NOTE_PREVIEW).collect();
                    if notes.trim().chars().count() > NOTE_PREVIEW {
                        snippet.push('…');
                    }
                    details.try_set((parts.join(" · "), snippet));
                }
            });
            let meta = activity_meta(&activity, item.at, &linked);
            view! {
                <li class=format!("timeline-item timeline-item--{}", kind.as_str()) data-testid="timeline-item" data-kind=kind.as_str()>
                    <span class="timeline-item__type">{kind.label()}</span>
                    <div class="timeline-item__body">
                        <a class="timeline-item__title" href=crate::records::record_path(RecordKind::Activity, &activity.id)>
                            {crate::tasks::display(&activity.name)}
                        </a>
                        <p class="timeline-item__meta" data-testid="timeline-item-meta">
                            {move || details.with(|(d, _)| if d.is_empty() { meta.clone() } else { format!("{d} · {meta}") })}
                        </p>
                        {move || details.with(|(_, n)| (!n.is_empty()).then(|| view! {
                            <p class="timeline-item__notes">{n.clone()}</p>
                        }))}
                    </div>
                </li>
            }
            .into_any()
        }
        Entry::Change(change) => view! {
            <li class="timeline-item timeline-item--change" data-testid="timeline-item" data-kind="change">
                <p class="timeline-item__change">{change_text(&change)}</p>
            </li>
        }
        .into_any(),
    }
}

/// "Planned · by Ana · with Ada Lovelace · 10:42".
fn activity_meta(activity: &kith_core::summary::Summary, at: i64, linked: &[Linked]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if activity.status == ActivityStatus::Planned.as_str() {
        parts.push("Planned".into());
    }
    if !activity.owner.is_empty() {
        parts.push(format!("by {}", display_name(&activity.owner)));
    }
    if !linked.is_empty() {
        let names: Vec<&str> = linked.iter().map(|l| l.name.as_str()).collect();
        parts.push(format!("with {}", names.join(", ")));
    }
    parts.push(clock::time_of_day(at));
    parts.join(" · ")
}

/// "Ana changed Job title, Email · 10:42", "You created this record · 09:00".
fn change_text(change: &HistoryEntry) -> String {
    let who = change
        .author
        .as_ref()
        .map(|a| display_name(&a.0))
        .unwrap_or_else(|| "Someone".into());
    let what = if change.created {
        "created this record".to_string()
    } else {
        format!("changed {}", change.what.join(", "))
    };
    format!("{who} {what} · {}", clock::time_of_day(change.at))
}

/// `/activities/:id`.
#[component]
pub fn ActivityPage() -> impl IntoView {
    view! { <ItemPage kind=RecordKind::Activity/> }
}
