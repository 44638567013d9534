//! Data in and out: CSV and vCard import (mapping, dry run, progress, undo), CSV export of a
//! view, vCard export, and the full-workspace JSON backup and restore.

use leptos::prelude::*;

/// `/import`: the import wizard.
#[component]
pub fn ImportPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-import"></div> }
}

/// `/settings/data`: import, export and backup.
#[component]
pub fn DataPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-data"></div> }
}
