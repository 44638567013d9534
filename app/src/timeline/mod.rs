//! Interactions (calls, emails, meetings, notes) and a record's merged timeline of its
//! activities, tasks and changes.

use kith_core::ids::RecordId;
use leptos::prelude::*;

/// A record's timeline, newest first, with the form to log an interaction against it.
#[component]
pub fn Timeline(#[prop(into)] record: Signal<Option<RecordId>>) -> impl IntoView {
    let _ = record;
    view! { <section class="timeline" data-testid="timeline"></section> }
}

/// `/activities/:id`.
#[component]
pub fn ActivityPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-activity"></div> }
}
