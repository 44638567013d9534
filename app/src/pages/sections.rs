use leptos::prelude::*;

use super::{EmptyState, PageHeader};

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="page" data-testid="page-not-found">
            <PageHeader title="Not found"/>
            <EmptyState title="This page does not exist" text="Use the navigation to go to a section of Kith."/>
        </div>
    }
}
