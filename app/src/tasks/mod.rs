//! Tasks and reminders: My tasks (overdue, today, upcoming), a task's page, due reminders
//! and the overdue badge.

mod badge;
pub(crate) mod clock;
mod form;
pub(crate) mod logic;
mod my_tasks;
mod reminders;
mod row;

pub use badge::OverdueBadge;
pub(crate) use form::{FieldError, TaskForm};
pub use my_tasks::MyTasks;
pub(crate) use row::TaskRow;

use kith_core::directory::Directory;
use kith_core::ids::RecordId;
use kith_core::record::{Field, RecordKind, TaskStatus};
use kith_core::summary::Summary;
use leptos::prelude::*;

use crate::session::{self, ActiveWorkspace};
use crate::toasts::Toasts;
use crate::workspace::Workspace;

/// `/tasks/:id`.
#[component]
pub fn TaskPage() -> impl IntoView {
    view! { <crate::timeline::ItemPage kind=RecordKind::Task/> }
}

/// Who "me" is, for "my tasks" and reminders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Me {
    /// The user id tasks are assigned with; `None` while the workspace opens.
    pub id: Option<String>,
    /// A local workspace: its only user owns every unassigned task.
    pub local: bool,
}

impl Me {
    pub fn of(ws: Workspace) -> Self {
        Self {
            id: ws.author_id().map(|u| u.0),
            local: matches!(session::active_workspace(), ActiveWorkspace::Local),
        }
    }

    pub fn owns(&self, task: &Summary) -> bool {
        logic::is_mine(&task.owner, self.id.as_deref(), self.local)
    }
}

/// The user's open tasks with a due time (for reminders and the badge); tracks the directory.
pub(crate) fn my_open_due(ws: Workspace) -> Vec<(RecordId, String, i64, Vec<RecordId>)> {
    ws.with_directory(|d| {
        let me = Me::of(ws);
        tasks(d)
            .filter(|t| t.status != TaskStatus::Done.as_str() && me.owns(t))
            .filter_map(|t| Some((t.id.clone(), t.name.clone(), t.due_at?, t.links.clone())))
            .collect()
    })
}

/// Every task that is not deleted.
pub(crate) fn tasks(d: &Directory) -> impl Iterator<Item = &Summary> {
    (0..d.len())
        .map(|i| d.at(i))
        .filter(|s| s.kind == RecordKind::Task && !s.deleted)
}

/// A record a task or activity links to, as shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Linked {
    pub id: RecordId,
    pub kind: RecordKind,
    pub name: String,
}

impl Linked {
    pub fn href(&self) -> String {
        crate::records::record_path(self.kind, &self.id)
    }
}

/// The people, companies and deals `item` links to, except `except`.
pub(crate) fn linked(d: &Directory, item: &Summary, except: Option<&RecordId>) -> Vec<Linked> {
    item.links
        .iter()
        .filter(|id| Some(*id) != except)
        .filter_map(|id| d.get(id))
        .filter(|s| {
            !s.deleted
                && matches!(
                    s.kind,
                    RecordKind::Person | RecordKind::Company | RecordKind::Deal
                )
        })
        .map(|s| Linked {
            id: s.id.clone(),
            kind: s.kind,
            name: display(&s.name),
        })
        .collect()
}

pub(crate) fn display(name: &str) -> String {
    if name.trim().is_empty() {
        "(no name)".into()
    } else {
        name.to_owned()
    }
}

/// Marks a task done (with Undo) or open again, then focuses the first of `focus` (element
/// ids) still on the page, so a keyboard user stays in the list.
pub(crate) fn set_done(ws: Workspace, id: RecordId, name: String, done: bool, focus: Vec<String>) {
    let toasts = expect_context::<Toasts>();
    leptos::task::spawn_local(async move {
        let status = if done {
            TaskStatus::Done
        } else {
            TaskStatus::Open
        };
        let result = ws
            .edit(&id, |e| e.set(Field::Status, status.as_str()))
            .await;
        request_animation_frame(move || {
            let doc = document();
            let lost = doc.active_element().is_none_or(|e| e.tag_name() == "BODY");
            if !lost {
                return;
            }
            // The first candidate that can take focus (one in a collapsed group cannot).
            for el in focus.iter().filter_map(|id| doc.get_element_by_id(id)) {
                let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&el).focus();
                if doc.active_element().as_ref() == Some(&el) {
                    return;
                }
            }
            if let Some(main) = doc.get_element_by_id("main") {
                let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&main).focus();
            }
        });
        match result {
            Ok(()) if done => {
                toasts.show_with_undo(format!("Done: {}", display(&name)), move || {
                    let id = id.clone();
                    leptos::task::spawn_local(async move {
                        let _ = ws
                            .edit(&id, |e| e.set(Field::Status, TaskStatus::Open.as_str()))
                            .await;
                    });
                })
            }
            Ok(()) => {}
            Err(e) => toasts.show(format!("Could not update the task: {e}")),
        }
    });
}

/// Who a task can be assigned to: the workspace's members (as last seen from the relay), or
/// just "Me" in a local workspace. (user id, label).
pub(crate) fn assignees(me: &Me) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let ActiveWorkspace::Relay { id, .. } = session::active_workspace() {
        out = crate::account::cache::members(&id);
    }
    if let Some(my_id) = &me.id {
        out.retain(|(id, _)| id != my_id);
        out.insert(0, (my_id.clone(), "Me".into()));
    }
    out
}
