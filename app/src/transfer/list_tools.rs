//! What a list page offers for data in and out: "Export CSV" of exactly what the list shows
//! (its rows after search and filters, its columns, its order), and a link to import more
//! records of its kind.

use kith_core::record::RecordKind;
use leptos::prelude::*;
use leptos_router::components::A;

use super::export::view_csv;
use super::files::{download, iso_day};
use crate::records::kind_plural;
use crate::toasts::Toasts;
use crate::views::{ListState, thousands};
use crate::workspace::{Phase, Workspace, now_ms};

/// "Export CSV": downloads the list as shown, for a spreadsheet (UTF-8 with a byte-order
/// mark, so Excel reads accents right).
#[component]
pub fn ExportView(state: ListState) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let busy = RwSignal::new(false);
    let export = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let rows = state.hits.get_untracked();
        let columns = state.spec.with_untracked(|s| s.shown_columns());
        let plural = kind_plural(state.kind).to_lowercase();
        leptos::task::spawn_local(async move {
            let text = view_csv(ws, &rows, &columns, true).await;
            let file = format!("kith-{plural}-{}.csv", iso_day(now_ms()));
            let n = rows.len();
            match download(&file, text.as_bytes(), "text/csv;charset=utf-8") {
                Ok(()) => toasts.show(format!(
                    "Exported {} {} to {file}",
                    thousands(n),
                    if n == 1 { "row" } else { "rows" }
                )),
                Err(e) => toasts.show(format!("The export failed: {e}")),
            }
            busy.try_set(false);
        });
    };
    view! {
        <button
            type="button"
            class="button button--small"
            data-testid="export-view"
            title="Download the rows and columns shown here as a CSV file"
            disabled=move || busy.get() || ws.phase.get() != Phase::Ready
            on:click=export
        >
            {move || if busy.get() { "Exporting…" } else { "Export CSV" }}
        </button>
    }
}

/// "Import" to `/import` set to this kind; nothing for kinds that cannot be imported or for
/// a role that cannot write.
#[component]
pub fn ImportLink(kind: RecordKind) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let target = match kind {
        RecordKind::Person => "people",
        RecordKind::Company => "companies",
        RecordKind::Deal => "deals",
        _ => return ().into_any(),
    };
    (move || {
        ws.writable.get().then(|| {
            view! {
                <A href=format!("/import?target={target}") attr:class="button button--quiet" attr:data-testid="import-link">
                    "Import"
                </A>
            }
        })
    })
    .into_any()
}
