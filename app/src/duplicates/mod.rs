//! Duplicates: review of likely duplicate records and merging them field by field; privacy
//! export and erasure of a person.

use leptos::prelude::*;

/// `/duplicates`: likely duplicates, grouped, each group mergeable.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-duplicates"></div> }
}
