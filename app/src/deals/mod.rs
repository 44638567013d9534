//! Deals: the pipeline board (kanban), the deals table, a deal's page, pipeline settings.

use leptos::prelude::*;

/// `/deals`: the board of the chosen pipeline, or the table (`?view=table`).
#[component]
pub fn DealsPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-deals"></div> }
}

/// `/deals/new`.
#[component]
pub fn NewDeal() -> impl IntoView {
    view! { <div class="page" data-testid="page-new-deal"></div> }
}

/// `/deals/:id`.
#[component]
pub fn DealPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-deal"></div> }
}

/// `/settings/pipelines`: pipelines and their ordered stages.
#[component]
pub fn PipelineSettings() -> impl IntoView {
    view! { <div class="page" data-testid="page-pipelines"></div> }
}
