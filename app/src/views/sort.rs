//! Multi-column sort (header clicks and the sort menu) and the column chooser.

use kith_core::view::{SortBy, ViewField};
use leptos::prelude::*;

use super::ListState;

/// A click on a column header: sorts by that column alone, or, with `add` (shift+click),
/// adds it as the next key. Clicking a key already used flips its direction.
pub fn sort_by_header(state: ListState, field: ViewField, add: bool) {
    state.spec.update(|s| {
        match s.sort.iter().position(|b| b.field == field) {
            Some(i) if add || s.sort.len() == 1 => s.sort[i].descending = !s.sort[i].descending,
            Some(i) => {
                let descending = !s.sort[i].descending;
                s.sort = vec![SortBy { field, descending }];
            }
            None if add => {
                // The name order is implied when nothing is set: keep it first, explicitly.
                if s.sort.is_empty() && field != ViewField::Name {
                    s.sort.push(SortBy {
                        field: ViewField::Name,
                        descending: false,
                    });
                }
                s.sort.push(SortBy {
                    field,
                    descending: false,
                });
            }
            None => {
                // Name ascending is the natural order; a second click on it goes descending.
                let descending = field == ViewField::Name && s.sort.is_empty();
                s.sort = vec![SortBy { field, descending }];
            }
        }
    });
}

/// The sort keys in order, each with its direction; add, change and remove keys.
#[component]
pub fn SortMenu(state: ListState) -> impl IntoView {
    let kind = state.kind;
    let count = Memo::new(move |_| state.spec.with(|s| s.sort.len()));
    view! {
        <details class="menu">
            <summary class="button button--small" data-testid="sort-open">
                {move || match count.get() { 0 => "Sort".to_string(), n => format!("Sort ({n})") }}
            </summary>
            <div class="menu__panel" role="group" aria-label="Sort">
                <p class="muted menu__hint">"Tip: shift+click a column header to add it as the next sort key."</p>
                <ol class="sort-list">
                    <For each=move || 0..count.get() key=|i| *i let(i)>
                        {
                            let key = move || state.spec.with(|s| s.sort.get(i).cloned());
                            let set = move |f: &dyn Fn(&mut SortBy)| state.spec.update(|s| {
                                if let Some(b) = s.sort.get_mut(i) { f(b) }
                            });
                            let n = i + 1;
                            view! {
                                <li class="sort-row" data-testid="sort-row">
                                    <select class="input input--small" data-testid="sort-field" aria-label=format!("Sort key {n}: field")
                                        on:change=move |ev| if let Some(f) = ViewField::parse(&event_target_value(&ev)) { set(&|b| b.field = f) }>
                                        {ViewField::for_kind(kind).iter().map(|&f| view! {
                                            <option value=f.key() selected=move || key().map(|k| k.field) == Some(f)>{f.label()}</option>
                                        }).collect_view()}
                                    </select>
                                    <select class="input input--small" data-testid="sort-direction" aria-label=format!("Sort key {n}: direction")
                                        on:change=move |ev| { let d = event_target_value(&ev) == "desc"; set(&|b| b.descending = d) }>
                                        <option value="asc" selected=move || key().is_some_and(|k| !k.descending)>"Ascending"</option>
                                        <option value="desc" selected=move || key().is_some_and(|k| k.descending)>"Descending"</option>
                                    </select>
                                    <button type="button" class="icon-button" data-testid="sort-remove" aria-label=format!("Remove sort key {n}")
                                        on:click=move |_| state.spec.update(|s| if i < s.sort.len() { s.sort.remove(i); })>
                                        "×"
                                    </button>
                                </li>
                            }
                        }
                    </For>
                </ol>
                <button type="button" class="button button--small" data-testid="sort-add"
                    on:click=move |_| state.spec.update(|s| {
                        let next = ViewField::for_kind(kind)
                            .iter()
                            .copied()
                            .find(|f| !s.sort.iter().any(|b| b.field == *f))
                            .unwrap_or(ViewField::Name);
                        s.sort.push(SortBy { field: next, descending: false });
                    })>
                    "+ Sort key"
                </button>
            </div>
        </details>
    }
}

/// Checkboxes choosing the columns shown (the name always is).
#[component]
pub fn ColumnChooser(state: ListState) -> impl IntoView {
    let kind = state.kind;
    view! {
        <details class="menu">
            <summary class="button button--small" data-testid="columns-button">"Columns"</summary>
            <fieldset class="menu__panel">
                <legend class="menu__legend">"Columns shown"</legend>
                {ViewField::for_kind(kind).iter().map(|&field| {
                    let id = format!("column-{}-{}", kind.as_str(), field.key());
                    let label_for = id.clone();
                    let shown = move || state.spec.with(|s| s.shown_columns().contains(&field));
                    view! {
                        <label class="check" for=label_for>
                            <input
                                type="checkbox"
                                id=id
                                data-testid=format!("column-toggle-{}", field.key())
                                prop:checked=shown
                                disabled=field == ViewField::Name
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    state.spec.update(|s| {
                                        let mut columns = s.shown_columns();
                                        columns.retain(|c| *c != field);
                                        if on {
                                            columns.push(field);
                                        }
                                        // Keep the kind's field order, whatever order they were ticked in.
                                        let order = ViewField::for_kind(s.kind);
                                        columns.sort_by_key(|c| order.iter().position(|f| f == c));
                                        s.columns = columns;
                                    });
                                }
                            />
                            {field.label()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        </details>
    }
}
