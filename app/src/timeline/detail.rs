//! The page of one activity (`/activities/:id`) or task (`/tasks/:id`): every field editable
//! in place (saved when the user leaves it; a refused value stays with the reason under it),
//! the records it is linked to, notes, delete with undo, and the way back to its record.

use kith_core::ids::RecordId;
use kith_core::record::{
    ActivityStatus, ActivityType, Field, Record, RecordError, RecordKind, TaskPriority, TaskStatus,
};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::log_form::outcomes;
use super::picker::{Picked, RecordPicker};
use crate::account::display_name;
use crate::records::{ConflictNote, kind_noun, record_path};
use crate::tasks::{FieldError, Me, assignees, clock, display};
use crate::toasts::Toasts;
use crate::workspace::{ActionError, Phase, Workspace};

#[component]
pub fn ItemPage(kind: RecordKind) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| RecordId::parse(&s).ok())
    });
    let is_new = Memo::new(move |_| params.read().get("id").as_deref() == Some("new"));
    let testid = format!("page-{}", kind_noun(kind));
    view! {
        <div class="page page--narrow page--item" data-testid=testid>
            {move || match id.get() {
                Some(id) => view! { <ItemBody kind id/> }.into_any(),
                None if kind == RecordKind::Task && is_new.get() => view! { <NewTask/> }.into_any(),
                None => view! { <Missing kind/> }.into_any(),
            }}
        </div>
    }
}

/// `/tasks/new` (the task list's "New task"): the task form, then the new task's page.
#[component]
fn NewTask() -> impl IntoView {
    let navigate = use_navigate();
    let created = Callback::new(move |id: RecordId| {
        navigate(&record_path(RecordKind::Task, &id), Default::default())
    });
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb"><A href="/tasks">"← Tasks"</A></nav>
        <crate::pages::PageHeader title="New task"/>
        <section class="card">
            <crate::tasks::TaskForm record=Signal::derive(|| None) testid="new-task" on_created=created/>
        </section>
    }
}

#[component]
fn Missing(kind: RecordKind) -> impl IntoView {
    view! {
        <div data-testid="record-missing">
            <header class="page__header"><h1 class="page__title">"Not found"</h1></header>
            <p>{format!("This {} is not on this device.", kind_noun(kind))}</p>
            <A href="/tasks">"Back to tasks"</A>
        </div>
    }
}

/// The open record and how to change it, shared by the field editors.
#[derive(Clone, Copy)]
struct Scope {
    ws: Workspace,
    id: StoredValue<RecordId>,
    record: RwSignal<Option<Record>, LocalStorage>,
}

impl Scope {
    fn apply(
        self,
        error: RwSignal<Option<String>>,
        change: impl FnOnce(&mut kith_core::record::Edit<'_>) -> Result<(), RecordError> + 'static,
    ) {
        let id = self.id.get_value();
        leptos::task::spawn_local(async move {
            match self.ws.edit(&id, change).await {
                Ok(()) => error.set(None),
                Err(ActionError::Record(RecordError::Invalid { message, .. })) => {
                    error.set(Some(message))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    }

    fn text(self, field: Field) -> String {
        self.record
            .with(|r| r.as_ref().and_then(|r| r.text(field)))
            .unwrap_or_default()
    }
}

#[component]
fn ItemBody(kind: RecordKind, id: RecordId) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let record = RwSignal::new_local(None::<Record>);
    let missing = RwSignal::new(false);
    let scope = Scope {
        ws,
        id: StoredValue::new(id.clone()),
        record,
    };
    // The conflict markers read the record through the record pages' scope.
    provide_context(crate::records::RecordScope {
        ws,
        id: scope.id,
        record,
    });
    let load_id = id.clone();
    Effect::new(move |_| {
        ws.revision.track();
        if ws.phase.get() != Phase::Ready {
            return;
        }
        let id = load_id.clone();
        leptos::task::spawn_local(async move {
            match ws.record(&id).await {
                Ok(r) if r.kind() == kind => {
                    missing.set(false);
                    record.set(Some(r));
                }
                _ => missing.set(record.try_with_untracked(Option::is_none).unwrap_or(false)),
            }
        });
    });
    let name = Memo::new(move |_| display(&scope.text(Field::Name)));
    Effect::new(move |_| document().set_title(&format!("{} · Kith", name.get())));
    // Back to the record it is about (its first linked person, company or deal).
    let back = Memo::new(move |_| {
        let links = record.with(|r| r.as_ref().map(Record::links).unwrap_or_default());
        ws.with_directory(|d| {
            links
                .iter()
                .filter_map(|l| d.get(&l.id))
                .find(|s| {
                    !s.deleted
                        && matches!(
                            s.kind,
                            RecordKind::Person | RecordKind::Company | RecordKind::Deal
                        )
                })
                .map(|s| {
                    (
                        record_path(s.kind, &s.id),
                        format!("← {}", display(&s.name)),
                    )
                })
        })
        .unwrap_or_else(|| ("/tasks".into(), "← Tasks".into()))
    });
    let deleted = Memo::new(move |_| record.with(|r| r.as_ref().is_some_and(Record::is_deleted)));
    let read_only = move || !ws.writable.get();
    let navigate = use_navigate();
    let delete = move |_| {
        let id = scope.id.get_value();
        let (label, back) = (name.get_untracked(), back.get_untracked().0);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match ws.edit(&id, |e| e.delete()).await {
                Ok(()) => {
                    toasts.show_with_undo(format!("Deleted {label}"), move || {
                        let id = id.clone();
                        leptos::task::spawn_local(async move {
                            let _ = ws.edit(&id, |e| e.restore()).await;
                        });
                    });
                    navigate(&back, Default::default());
                }
                Err(e) => toasts.show(format!("Could not delete: {e}")),
            }
        });
    };
    let restore = move |_| {
        let id = scope.id.get_value();
        leptos::task::spawn_local(async move {
            let _ = ws.edit(&id, |e| e.restore()).await;
        });
    };

    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=move || back.get().0>{move || back.get().1}</A>
        </nav>
        {move || missing.get().then(|| view! { <Missing kind/> })}
        <Show when=move || record.with(Option::is_some)>
            <header class="page__header">
                <h1 class="page__title" data-testid="record-title">{move || name.get()}</h1>
                <div class="page__actions">
                    <button type="button" class="button button--danger" data-testid="delete-record" disabled=read_only on:click=delete.clone()>
                        "Delete"
                    </button>
                </div>
            </header>
            {move || deleted.get().then(|| view! {
                <div class="alert alert--warning" role="status">
                    {format!("This {} is deleted.", kind_noun(kind))}
                    <button type="button" class="button button--small" disabled=read_only on:click=restore>"Restore"</button>
                </div>
            })}
            <fieldset class="record-fields" disabled=read_only>
                <legend class="visually-hidden">{format!("The {}'s fields", kind_noun(kind))}</legend>
                <section class="card">
                    {fields(kind, scope)}
                </section>
                <LinksCard scope/>
                <section class="card">
                    <NotesField scope/>
                </section>
            </fieldset>
        </Show>
    }
}

fn choices<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|c| (value(*c).to_string(), label(*c).to_string()))
        .collect()
}

fn fields(kind: RecordKind, scope: Scope) -> impl IntoView {
    let owners = move || {
        let me = Me::of(scope.ws);
        let mut out = assignees(&me);
        let current = scope.text(Field::Owner);
        if !current.is_empty() && !out.iter().any(|(id, _)| *id == current) {
            out.push((current.clone(), display_name(&current)));
        }
        out.push((String::new(), "Unassigned".into()));
        out
    };
    if kind == RecordKind::Task {
        view! {
            <ItemField scope field=Field::Name label="Title" control=Control::Text/>
            <div class="field-row">
                <ItemField scope field=Field::DueAt label="Due" control=Control::DateTime/>
                <ItemField scope field=Field::Priority label="Priority" control=Control::Choice(Signal::stored(choices(TaskPriority::ALL, TaskPriority::as_str, TaskPriority::label)))/>
            </div>
            <div class="field-row">
                <ItemField scope field=Field::Owner label="Assignee" control=Control::Choice(Signal::derive(owners))/>
                <ItemField scope field=Field::Status label="Status" control=Control::Choice(Signal::stored(choices(TaskStatus::ALL, TaskStatus::as_str, TaskStatus::label)))/>
            </div>
        }
        .into_any()
    } else {
        let outcome_list = Signal::derive(move || {
            ActivityType::parse(&scope.text(Field::ActivityType))
                .map(outcomes)
                .unwrap_or_default()
        });
        view! {
            <div class="field-row">
                <ItemField scope field=Field::ActivityType label="Type" control=Control::Choice(Signal::stored(choices(ActivityType::ALL, ActivityType::as_str, ActivityType::label)))/>
                <ItemField scope field=Field::Status label="Status" control=Control::Choice(Signal::stored(choices(ActivityStatus::ALL, ActivityStatus::as_str, ActivityStatus::label)))/>
            </div>
            <ItemField scope field=Field::Name label="Subject" control=Control::Text/>
            <div class="field-row">
                <ItemField scope field=Field::OccurredAt label="When" control=Control::DateTime/>
                <ItemField scope field=Field::Duration label="Duration (minutes)" control=Control::Minutes/>
            </div>
            <div class="field-row">
                <ItemField scope field=Field::Outcome label="Outcome" control=Control::Suggest(outcome_list)/>
                <ItemField scope field=Field::Owner label="Owner" control=Control::Choice(Signal::derive(owners))/>
            </div>
        }
        .into_any()
    }
}

#[derive(Clone)]
enum Control {
    Text,
    DateTime,
    Minutes,
    /// (stored value, label).
    Choice(Signal<Vec<(String, String)>>),
    /// Free text with suggestions.
    Suggest(Signal<&'static [&'static str]>),
}

#[component]
fn ItemField(scope: Scope, field: Field, label: &'static str, control: Control) -> impl IntoView {
    let id = format!("item-{}", field.key());
    let error = RwSignal::new(None::<String>);
    let is_time = matches!(control, Control::DateTime);
    // What the input shows for the saved value.
    let saved = Memo::new(move |_| {
        let text = scope.text(field);
        if is_time {
            text.parse().map(clock::to_input).unwrap_or_default()
        } else {
            text
        }
    });
    let commit = move |value: String| {
        if value == saved.get_untracked() {
            return;
        }
        let stored = if is_time && !value.trim().is_empty() {
            match clock::from_input(&value) {
                Some(ms) => ms.to_string(),
                None => return error.set(Some("Enter a date and time.".into())),
            }
        } else {
            value
        };
        scope.apply(error, move |e| e.set(field, &stored));
    };
    let input = match control {
        Control::Choice(options) => view! {
            <select id=id.clone() class="input" data-testid=id.clone() prop:value=saved on:change=move |ev| commit(event_target_value(&ev))>
                {move || {
                    let current = saved.get();
                    let mut options = options.get();
                    if !options.iter().any(|(v, _)| *v == current) {
                        options.insert(0, (current.clone(), if current.is_empty() { "—".into() } else { current.clone() }));
                    }
                    options.into_iter().map(|(value, text)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect_view()
                }}
            </select>
        }
        .into_any(),
        other => {
            let (input_type, list) = match &other {
                Control::DateTime => ("datetime-local", None),
                Control::Minutes => ("number", None),
                Control::Suggest(_) => ("text", Some(format!("{id}-choices"))),
                _ => ("text", None),
            };
            let suggestions = match other {
                Control::Suggest(list) => Some(list),
                _ => None,
            };
            view! {
                <input
                    id=id.clone()
                    class="input"
                    type=input_type
                    list=list.clone()
                    min=(input_type == "number").then_some("0")
                    data-testid=id.clone()
                    aria-invalid=move || error.read().is_some().to_string()
                    prop:value=saved
                    on:change=move |ev| commit(event_target_value(&ev))
                />
                {list.zip(suggestions).map(|(list, suggestions)| view! {
                    <datalist id=list>
                        {move || suggestions.get().iter().map(|o| view! { <option value=*o></option> }).collect_view()}
                    </datalist>
                })}
            }
            .into_any()
        }
    };
    view! {
        <div class="field" class:field--datetime=is_time class:field--invalid=move || error.read().is_some()>
            <label class="field__label" for=id.clone()>{label}</label>
            {input}
            <ConflictNote field/>
            <FieldError error/>
        </div>
    }
}

/// The records it is linked to: each a link with a Remove button, and a picker to add one.
#[component]
fn LinksCard(scope: Scope) -> impl IntoView {
    let ws = scope.ws;
    let error = RwSignal::new(None::<String>);
    let links = Memo::new(move |_| {
        let links = scope
            .record
            .with(|r| r.as_ref().map(Record::links).unwrap_or_default());
        ws.with_directory(|d| {
            links
                .into_iter()
                .map(|l| {
                    let name = d
                        .get(&l.id)
                        .map(|s| display(&s.name))
                        .unwrap_or_else(|| "(not on this device)".into());
                    (l.id, l.kind, name)
                })
                .collect::<Vec<_>>()
        })
    });
    let exclude =
        Signal::derive(move || links.with(|l| l.iter().map(|(id, _, _)| id.clone()).collect()));
    let add =
        Callback::new(move |(id, kind, _): Picked| scope.apply(error, move |e| e.link(&id, kind)));
    view! {
        <section class="card" aria-labelledby="item-links-title" data-testid="item-links">
            <h2 class="card__title" id="item-links-title">"Linked to"</h2>
            <ul class="link-list">
                {move || links.get().into_iter().map(|(id, kind, name)| {
                    let href = record_path(kind, &id);
                    let label = format!("Unlink {name}");
                    view! {
                        <li>
                            <a href=href>{name.clone()}</a>
                            <span class="muted">{kind_noun(kind)}</span>
                            <button type="button" class="button button--small button--quiet" aria-label=label on:click=move |_| {
                                let id = id.clone();
                                scope.apply(error, move |e| e.unlink(&id));
                            }>"Unlink"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <RecordPicker
                kinds=&[RecordKind::Person, RecordKind::Company, RecordKind::Deal]
                id="item-link-add"
                label="Link to a person, company or deal"
                exclude
                on_pick=add
            />
            <FieldError error/>
        </section>
    }
}

/// Notes, saved when the text area loses focus.
#[component]
fn NotesField(scope: Scope) -> impl IntoView {
    let saved = Memo::new(move |_| {
        scope
            .record
            .with(|r| r.as_ref().map(Record::notes).unwrap_or_default())
    });
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="field">
            <label class="field__label" for="item-notes">"Notes"</label>
            <textarea
                id="item-notes"
                class="input input--notes"
                rows="6"
                data-testid="item-notes"
                prop:value=saved
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    if text != saved.get_untracked() {
                        scope.apply(error, move |e| e.set_notes(&text));
                    }
                }
            ></textarea>
            <FieldError error/>
        </div>
    }
}
