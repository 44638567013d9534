//! Adding a task: title, due time, priority, assignee; linked to a record when there is one.
//! Used by the timeline's "Add task" and My tasks' quick add.

use kith_core::ids::RecordId;
use kith_core::record::{Field, RecordError, RecordKind, TaskPriority, TaskStatus};
use leptos::prelude::*;

use super::{Me, assignees, clock};
use crate::workspace::{ActionError, Workspace};

#[component]
pub fn TaskForm(
    /// The record the task is about, if any.
    #[prop(into)]
    record: Signal<Option<RecordId>>,
    /// `data-testid` of the form.
    testid: &'static str,
    /// Called with the new task's id once it is created.
    #[prop(optional)]
    on_created: Option<Callback<RecordId>>,
    /// Focus the title when the form appears (it was just opened).
    #[prop(optional)]
    autofocus: bool,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let priority = RwSignal::new(TaskPriority::Normal.as_str().to_string());
    let me = Memo::new(move |_| {
        ws.revision.track();
        Me::of(ws)
    });
    let people = Memo::new(move |_| assignees(&me.get()));
    let assignee = RwSignal::new(None::<String>);
    let title_error = RwSignal::new(None::<String>);
    let due_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let title_input = NodeRef::<leptos::html::Input>::new();
    if autofocus {
        Effect::new(move |_| {
            if let Some(el) = title_input.get() {
                let _ = el.focus();
            }
        });
    }

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = title.get_untracked().trim().to_string();
        title_error.set(name.is_empty().then(|| "Give the task a title.".into()));
        let due_text = due.get_untracked();
        let due_at = clock::from_input(&due_text);
        due_error.set(
            (!due_text.trim().is_empty() && due_at.is_none())
                .then(|| "Enter a date and time, or leave it empty.".into()),
        );
        if name.is_empty() || due_error.get_untracked().is_some() {
            return;
        }
        let owner = assignee
            .get_untracked()
            .or_else(|| me.get_untracked().id)
            .unwrap_or_default();
        let priority = priority.get_untracked();
        let link = record
            .get_untracked()
            .and_then(|id| ws.summary(&id).map(|s| (id, s.kind)));
        busy.set(true);
        leptos::task::spawn_local(async move {
            let created = ws
                .create(RecordKind::Task, move |e| {
                    e.set(Field::Name, &name)?;
                    e.set(Field::Status, TaskStatus::Open.as_str())?;
                    e.set(Field::Priority, &priority)?;
                    e.set(Field::Owner, &owner)?;
                    if let Some(due) = due_at {
                        e.set(Field::DueAt, &due.to_string())?;
                    }
                    if let Some((id, kind)) = &link {
                        e.link(id, *kind)?;
                    }
                    Ok(())
                })
                .await;
            busy.set(false);
            match created {
                Ok(id) => {
                    error.set(None);
                    title.set(String::new());
                    due.set(String::new());
                    if let Some(el) = title_input.try_get_untracked().flatten() {
                        let _ = el.focus();
                    }
                    if let Some(done) = on_created {
                        done.run(id);
                    }
                }
                Err(ActionError::Record(RecordError::Invalid { field, message })) => {
                    error.set(Some(format!("{field}: {message}")))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <form class="task-form" data-testid=testid on:submit=submit novalidate>
            <div class="field task-form__title" class:field--invalid=move || title_error.read().is_some()>
                <label class="field__label" for=format!("{testid}-title")>"Task"</label>
                <input
                    id=format!("{testid}-title")
                    class="input"
                    placeholder="e.g. Send the proposal"
                    data-testid="task-title"
                    node_ref=title_input
                    aria-invalid=move || title_error.read().is_some().to_string()
                    prop:value=title
                    on:input=move |ev| title.set(event_target_value(&ev))
                />
                <FieldError error=title_error/>
            </div>
            <div class="field field--datetime" class:field--invalid=move || due_error.read().is_some()>
                <label class="field__label" for=format!("{testid}-due")>"Due"</label>
                <input
                    id=format!("{testid}-due")
                    class="input"
                    type="datetime-local"
                    data-testid="task-due"
                    prop:value=due
                    on:input=move |ev| due.set(event_target_value(&ev))
                    on:change=move |ev| due.set(event_target_value(&ev))
                />
                <FieldError error=due_error/>
            </div>
            <div class="field">
                <label class="field__label" for=format!("{testid}-priority")>"Priority"</label>
                <select
                    id=format!("{testid}-priority")
                    class="input"
                    data-testid="task-priority"
                    prop:value=priority
                    on:change=move |ev| priority.set(event_target_value(&ev))
                >
                    {TaskPriority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=move || priority.get() == p.as_str()>{p.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label class="field__label" for=format!("{testid}-assignee")>"Assignee"</label>
                <select
                    id=format!("{testid}-assignee")
                    class="input"
                    data-testid="task-assignee"
                    prop:value=move || assignee.get().or_else(|| me.get().id).unwrap_or_default()
                    on:change=move |ev| assignee.set(Some(event_target_value(&ev)))
                >
                    {move || {
                        let chosen = assignee.get().or_else(|| me.get().id).unwrap_or_default();
                        people.get().into_iter().map(|(id, name)| {
                            let selected = id == chosen;
                            view! { <option value=id selected=selected>{name}</option> }
                        }).collect_view()
                    }}
                    {move || (!me.get().local).then(|| view! { <option value="">"Unassigned"</option> })}
                </select>
            </div>
            <div class="form-actions task-form__actions">
                <button type="submit" class="button button--primary" data-testid="task-submit" disabled=move || busy.get() || !ws.writable.get()>
                    "Add task"
                </button>
            </div>
            <FieldError error/>
        </form>
    }
}

#[component]
pub(crate) fn FieldError(error: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|message| view! { <p class="field__error" role="alert">{message}</p> })
    }
}
