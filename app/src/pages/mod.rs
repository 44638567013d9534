//! One component per top-level section.

mod sections;
mod settings;

pub use sections::NotFound;
pub use settings::Settings;

use leptos::prelude::*;

/// A page's heading, also written into the document title.
#[component]
pub fn PageHeader(title: &'static str) -> impl IntoView {
    document().set_title(&format!("{title} · Kith"));
    view! {
        <header class="page__header">
            <h1 class="page__title">{title}</h1>
        </header>
    }
}

/// What a section shows while it holds nothing.
#[component]
pub fn EmptyState(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <section class="empty-state" data-testid="empty-state">
            <h2 class="empty-state__title">{title}</h2>
            <p class="empty-state__text">{text}</p>
        </section>
    }
}
