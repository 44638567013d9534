//! `/tasks`: the user's (or everyone's) open tasks by when they are due, a quick add, recent
//! done tasks, and the generic list of all tasks.

use kith_core::record::{RecordKind, TaskStatus};
use leptos::prelude::*;
use leptos_router::components::A;

use super::logic::{Group, group};
use super::reminders::{CHECK_EVERY, RemindersControl};
use super::{Linked, Me, TaskForm, TaskRow, clock, linked, tasks};
use crate::pages::{EmptyState, PageHeader};
use crate::records::RecordList;
use crate::workspace::Workspace;
use kith_core::summary::Summary;

/// Done tasks shown at most (the most recently changed).
const RECENT_DONE: usize = 20;
/// Tasks shown per group until "Show all" (a team may have thousands upcoming).
const GROUP_PAGE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Agenda,
    All,
}

#[component]
pub fn MyTasks() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    // A saved view's link (`?saved=<id>`) is about the list: open that tab.
    let saved = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("saved")
        .is_some();
    let tab = RwSignal::new(if saved { Tab::All } else { Tab::Agenda });
    let tab_button = move |which: Tab, label: &'static str, testid: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                class="tabs__tab"
                id=testid
                data-testid=testid
                aria-selected=move || (tab.get() == which).to_string()
                aria-controls="tasks-panel"
                tabindex=move || if tab.get() == which { "0" } else { "-1" }
                on:click=move |_| tab.set(which)
                on:keydown=move |ev| {
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight") {
                        let next = if which == Tab::Agenda { Tab::All } else { Tab::Agenda };
                        tab.set(next);
                        let id = if next == Tab::Agenda { "tasks-tab-agenda" } else { "tasks-tab-all" };
                        if let Some(el) = document().get_element_by_id(id) {
                            let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(el).focus();
                        }
                    }
                }
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="page page--tasks" data-testid="page-tasks">
            <PageHeader title="Tasks"/>
            <div class="tabs" role="tablist" aria-label="Task views">
                {tab_button(Tab::Agenda, "By due date", "tasks-tab-agenda")}
                {tab_button(Tab::All, "All tasks", "tasks-tab-all")}
            </div>
            <div id="tasks-panel" role="tabpanel" aria-labelledby=move || if tab.get() == Tab::Agenda { "tasks-tab-agenda" } else { "tasks-tab-all" }>
                {move || match tab.get() {
                    Tab::Agenda => view! { <Agenda/> }.into_any(),
                    Tab::All => view! {
                        {move || ws.writable.get().then(|| view! {
                            <div class="form-actions tasks-all__actions">
                                <A href="/tasks/new" attr:class="button button--primary" attr:data-testid="new-task-link">"New task"</A>
                            </div>
                        })}
                        <RecordList kind=RecordKind::Task embedded=true/>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

type Rows = Vec<(Summary, Vec<Linked>)>;

#[component]
fn Agenda() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let now = clock::ticking_now(CHECK_EVERY);
    let everyone = RwSignal::new(false);
    let groups = Memo::new(move |_| {
        let now = now.get();
        let today_end = clock::next_day_start(now);
        let everyone = everyone.get();
        ws.with_directory(|d| {
            let me = Me::of(ws);
            let mut out: [Rows; 5] = Default::default();
            for task in tasks(d).filter(|t| everyone || me.owns(t)) {
                let done = task.status == TaskStatus::Done.as_str();
                let g = group(done, task.due_at, now, today_end);
                out[g as usize].push((task.clone(), linked(d, task, None)));
            }
            for (i, rows) in out.iter_mut().enumerate() {
                if i == Group::NoDue as usize {
                    rows.sort_by_key(|(t, _)| std::cmp::Reverse(t.created_at));
                } else if i == Group::Done as usize {
                    rows.sort_by_key(|(t, _)| std::cmp::Reverse(t.updated_at));
                    rows.truncate(RECENT_DONE);
                } else {
                    rows.sort_by_key(|(t, _)| t.due_at);
                }
            }
            out
        })
    });
    let open_count = move || groups.with(|g| g[..4].iter().map(Vec::len).sum::<usize>());
    let section = move |g: Group, title: &'static str, testid: &'static str| {
        let show_all = RwSignal::new(false);
        move || {
            let mut rows = groups.with(|all| all[g as usize].clone());
            let total = rows.len();
            if !show_all.get() {
                rows.truncate(GROUP_PAGE);
            }
            (total > 0).then(|| {
                view! {
                    <section class="task-group" class:task-group--overdue=g == Group::Overdue data-testid=testid aria-labelledby=format!("{testid}-title")>
                        <h2 class="task-group__title" id=format!("{testid}-title")>
                            {title} <span class="task-group__count">{total}</span>
                        </h2>
                        <TaskList rows now/>
                        {(total > GROUP_PAGE && !show_all.get()).then(|| view! {
                            <button type="button" class="button task-group__more" on:click=move |_| show_all.set(true)>
                                {format!("Show all {total}")}
                            </button>
                        })}
                    </section>
                }
            })
        }
    };
    let scope_radio = move |value: bool, label: &'static str, testid: &'static str| {
        view! {
            <label class="segmented__option">
                <input
                    type="radio"
                    name="tasks-scope"
                    data-testid=testid
                    prop:checked=move || everyone.get() == value
                    on:change=move |_| everyone.set(value)
                />
                <span>{label}</span>
            </label>
        }
    };
    view! {
        <div class="agenda">
            <div class="agenda__tools">
                <section class="card agenda__add" aria-labelledby="quick-add-title">
                    <h2 class="card__title" id="quick-add-title">"Add a task"</h2>
                    <TaskForm record=Signal::derive(|| None) testid="task-quick-add"/>
                </section>
                <RemindersControl/>
            </div>
            <fieldset class="segmented" data-testid="tasks-scope">
                <legend class="visually-hidden">"Whose tasks"</legend>
                {scope_radio(false, "Mine", "tasks-scope-mine")}
                {scope_radio(true, "Everyone", "tasks-scope-everyone")}
            </fieldset>
            {section(Group::Overdue, "Overdue", "tasks-overdue")}
            {section(Group::Today, "Today", "tasks-today")}
            {section(Group::Upcoming, "Upcoming", "tasks-upcoming")}
            {section(Group::NoDue, "No due date", "tasks-no-due")}
            {move || (open_count() == 0).then(|| view! {
                <EmptyState title="Nothing to do" text="No open tasks. Add one above, or from a person's, company's or deal's timeline."/>
            })}
            {move || {
                let rows = groups.with(|all| all[Group::Done as usize].clone());
                (!rows.is_empty()).then(|| view! {
                    <details class="task-group task-group--done" data-testid="tasks-done">
                        <summary class="task-group__title">"Done recently " <span class="task-group__count">{rows.len()}</span></summary>
                        <TaskList rows now/>
                    </details>
                })
            }}
        </div>
    }
}

#[component]
fn TaskList(rows: Rows, #[prop(into)] now: Signal<i64>) -> impl IntoView {
    view! {
        <ul class="task-list">
            {rows.into_iter().map(|(task, linked)| view! {
                <li><TaskRow task linked now/></li>
            }).collect_view()}
        </ul>
    }
}
