//! What a list shows and does beyond searching: filters, multi-column sort, column choice,
//! saved views (records of kind View) and bulk actions on a selection.

mod bulk;
mod filters;
mod saved;
mod sort;

pub use bulk::BulkBar;
pub use filters::{FilterBar, FilterButton};
pub use saved::ViewsMenu;
pub use sort::{ColumnChooser, SortMenu, sort_by_header};

use std::collections::HashSet;

use kith_core::record::RecordKind;
use kith_core::view::{Context, ViewSpec};
use leptos::prelude::*;

use crate::workspace::Workspace;

/// One list's view state, shared by its toolbar, header, rows and bulk bar.
#[derive(Clone, Copy)]
pub struct ListState {
    pub kind: RecordKind,
    /// What the list shows now (possibly a saved view, possibly modified).
    pub spec: RwSignal<ViewSpec>,
    /// The saved view the list started from, with the spec it was saved with.
    pub saved: RwSignal<Option<(kith_core::ids::RecordId, ViewSpec)>>,
    /// The search box.
    pub text: RwSignal<String>,
    /// Directory indexes of the selected records (indexes never move: records are never
    /// removed from the directory, only marked deleted).
    pub selected: RwSignal<HashSet<usize>>,
    /// The records shown, in order.
    pub hits: Memo<Vec<usize>>,
}

impl ListState {
    pub fn new(ws: Workspace, kind: RecordKind) -> Self {
        let spec = RwSignal::new(ViewSpec::default_for(kind));
        let text = RwSignal::new(String::new());
        // The view's order is computed when the view or the records change; a search keystroke
        // only filters it.
        let ordered = Memo::new(move |_| {
            let spec = spec.get();
            let ctx = context(ws);
            ws.with_directory(|d| kith_core::view::apply(d, &spec, "", &ctx))
        });
        let hits = Memo::new(move |_| {
            let text = text.get();
            ordered.with(|order| ws.with_directory(|d| d.filter_text(order, &text)))
        });
        let selected = RwSignal::new(HashSet::new());
        // A selection is of what is shown: a new filter or search starts a new one.
        Effect::new(move |_| {
            spec.track();
            text.track();
            selected.set(HashSet::new());
        });
        Self {
            kind,
            spec,
            saved: RwSignal::new(None),
            text,
            selected,
            hits,
        }
    }

    /// Whether the spec differs from the saved view it started from.
    pub fn modified(&self) -> bool {
        self.saved.with(|saved| match saved {
            Some((_, saved)) => self.spec.with(|s| s != saved),
            None => self.spec.with(|s| *s != ViewSpec::default_for(self.kind)),
        })
    }
}

/// Who "me" is and what time it is, for applying a view.
pub fn context(ws: Workspace) -> Context {
    Context {
        me: me(ws),
        now_ms: js_sys::Date::now() as i64,
        utc_offset_minutes: -(js_sys::Date::new_0().get_timezone_offset() as i32),
    }
}

/// The signed-in account in a relay workspace, this device's local author otherwise.
pub fn me(ws: Workspace) -> String {
    ws.author_id().map(|u| u.0).unwrap_or_default()
}

/// "1,204".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
