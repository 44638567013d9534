use leptos::prelude::*;

use super::{EmptyState, PageHeader};

#[component]
pub fn Deals() -> impl IntoView {
    view! {
        <div class="page" data-testid="page-deals">
            <PageHeader title="Deals"/>
            <EmptyState title="No deals yet" text="Deals move through your pipeline stages from first contact to won."/>
        </div>
    }
}

#[component]
pub fn Tasks() -> impl IntoView {
    view! {
        <div class="page" data-testid="page-tasks">
            <PageHeader title="Tasks"/>
            <EmptyState title="Nothing to do" text="Follow-ups and reminders for you and your team will show up here."/>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="page" data-testid="page-not-found">
            <PageHeader title="Not found"/>
            <EmptyState title="This page does not exist" text="Use the navigation to go to a section of Kith."/>
        </div>
    }
}
