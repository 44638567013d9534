//! Tasks and reminders: My tasks (overdue, today, upcoming), a task's page, due reminders
//! and the overdue badge.

use leptos::prelude::*;

/// `/tasks`.
#[component]
pub fn MyTasks() -> impl IntoView {
    view! { <div class="page" data-testid="page-tasks"></div> }
}

/// `/tasks/:id`.
#[component]
pub fn TaskPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-task"></div> }
}

/// The number of the user's overdue tasks, beside "Tasks" in the navigation.
#[component]
pub fn OverdueBadge() -> impl IntoView {
    view! { <span class="nav__badge" hidden=true></span> }
}
