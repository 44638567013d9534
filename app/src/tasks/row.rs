//! One task in a list: a done checkbox, its title (a link to it), due time, priority and the
//! records it is about.

use kith_core::record::{TaskPriority, TaskStatus};
use kith_core::summary::Summary;
use leptos::prelude::*;

use super::{Linked, clock, display};
use crate::workspace::Workspace;

#[component]
pub fn TaskRow(
    task: Summary,
    /// The records it links to, as shown (the page's own record left out).
    linked: Vec<Linked>,
    #[prop(into)] now: Signal<i64>,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let done = task.status == TaskStatus::Done.as_str();
    let name = display(&task.name);
    let check_id = format!("task-done-{}", task.id);
    let href = crate::records::record_path(task.kind, &task.id);
    let due = task.due_at;
    let overdue = move || !done && due.is_some_and(|d| d < now.get());
    let priority = TaskPriority::parse(&task.priority)
        .filter(|p| *p != TaskPriority::Normal)
        .map(|p| {
            view! {
                <span class=format!("priority priority--{}", p.as_str()) data-testid="task-priority">
                    {p.label()}
                </span>
            }
        });
    // Someone else's task says whose it is (a team's "Everyone", a record's timeline).
    let assignee = (!task.owner.is_empty() && ws.author_id().is_none_or(|me| me.0 != task.owner))
        .then(|| format!("Assigned to {}", crate::account::display_name(&task.owner)));
    let (id, toggle_name) = (task.id.clone(), task.name.clone());
    view! {
        <div class="task-item" class:task-item--done=done data-testid="task-item" data-id=task.id.to_string()>
            <input
                type="checkbox"
                class="task-item__check"
                id=check_id.clone()
                data-testid="task-done"
                prop:checked=done
                disabled=move || !ws.writable.get()
                on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    let keep_focus = focus_after_toggle(&input);
                    super::set_done(ws, id.clone(), toggle_name.clone(), input.checked(), keep_focus);
                }
            />
            <label class="visually-hidden" for=check_id>{format!("Done: {name}")}</label>
            <div class="task-item__main">
                <a class="task-item__title" href=href data-testid="task-title-link">{name.clone()}</a>
                <span class="task-item__meta">
                    {due.map(|due| view! {
                        <span
                            class="task-item__due"
                            class:task-item__due--overdue=overdue
                            data-testid="task-due"
                            title=move || clock::day_and_time(due, now.get())
                        >
                            {move || if overdue() { format!("Overdue · {}", clock::due_text(due, now.get())) } else { clock::due_text(due, now.get()) }}
                        </span>
                    })}
                    {priority}
                    {assignee.map(|name| view! { <span class="task-item__assignee" data-testid="task-assignee">{name}</span> })}
                    {linked.into_iter().map(|l| {
                        let href = l.href();
                        view! { <a class="task-item__link" href=href data-testid="task-record">{l.name}</a> }
                    }).collect_view()}
                </span>
            </div>
        </div>
    }
}

/// Where focus goes once a ticked task's list re-renders: its own checkbox if it is still
/// shown (a timeline), else the next task's (or the previous one's) in the same list.
fn focus_after_toggle(input: &web_sys::HtmlInputElement) -> Vec<String> {
    let mut ids = vec![input.id()];
    if let Ok(Some(item)) = input.closest("li") {
        for sibling in [item.next_element_sibling(), item.previous_element_sibling()]
            .into_iter()
            .flatten()
        {
            if let Ok(Some(check)) = sibling.query_selector("input[type=checkbox]") {
                ids.push(check.id());
            }
        }
    }
    ids
}
