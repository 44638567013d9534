//! A list of records of one kind: instant search, filters, multi-column sort, column choice,
//! saved views, selection with bulk actions, and virtualised rows so 100k records scroll
//! smoothly (only the rows in view exist in the DOM).

use kith_core::record::RecordKind;
use kith_core::view::{Lookup, ViewField};
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use super::columns::{cell_text, css_class, grid_style};
use super::{kind_noun, kind_plural, record_path, section_path};
use crate::transfer::{ExportView, ImportLink};
use crate::views::{
    BulkBar, ColumnChooser, FilterBar, FilterButton, ListState, SortMenu, ViewsMenu,
    sort_by_header, thousands,
};
use crate::workspace::{Phase, Workspace};

/// Height of one row in px; must match `--row-height` in the CSS.
const ROW_HEIGHT: f64 = 52.0;
/// Rows rendered beyond each edge of the viewport, so fast scrolling shows no gaps.
const OVERSCAN: usize = 8;

/// One rendered row: everything it shows, so a row is rebuilt only when that changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Row {
    pos: usize,
    index: usize,
    href: String,
    cells: Vec<(ViewField, String)>,
    conflict: bool,
}

/// The list of `kind`. A page of its own (title, "New" button) unless `embedded` in another
/// page (deals and tasks always are), which then owns the title; an embedded list keeps its saved view in
/// `?saved=<id>` instead of `?view=<id>`, leaving `view` to the page.
#[component]
pub fn RecordList(kind: RecordKind, #[prop(optional)] embedded: bool) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let title = kind_plural(kind);
    // Deals and tasks lists live inside the pages of those sections.
    let embedded = embedded || matches!(kind, RecordKind::Deal | RecordKind::Task);
    if !embedded {
        document().set_title(&format!("{title} · Kith"));
    }
    let state = ListState::new(ws, kind);
    let hits = state.hits;
    let text = state.text;
    let total = Memo::new(move |_| ws.with_directory(|d| d.count(kind)));
    let columns = Memo::new(move |_| state.spec.with(|s| s.shown_columns()));

    let scroll_top = RwSignal::new(0.0);
    let viewport_height = RwSignal::new(800.0);
    let viewport = NodeRef::<leptos::html::Div>::new();
    // Measure the viewport once mounted and whenever the window resizes.
    let measure = move || {
        if let Some(el) = viewport.get_untracked() {
            viewport_height.set(f64::from(el.client_height()).max(ROW_HEIGHT));
        }
    };
    Effect::new(move |_| {
        viewport.track();
        measure();
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());

    let visible = Memo::new(move |_| {
        let hits = hits.read();
        let columns = columns.get();
        let first = ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
        let count = (viewport_height.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        let last = (first + count).min(hits.len());
        ws.with_directory(|d| {
            // Only deals read pipelines; building the lookup scans the directory.
            let lookup = if kind == RecordKind::Deal {
                Lookup::new(d)
            } else {
                Lookup::default()
            };
            (first.min(last)..last)
                .map(|pos| {
                    let s = d.at(hits[pos]);
                    Row {
                        pos,
                        index: hits[pos],
                        href: record_path(s.kind, &s.id),
                        cells: columns
                            .iter()
                            .map(|&c| (c, cell_text(c, s, d, &lookup)))
                            .collect(),
                        conflict: !s.conflicts.is_empty(),
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    // A new search or view starts at the top.
    Effect::new(move |_| {
        text.track();
        state.spec.track();
        if let Some(el) = viewport.get_untracked() {
            el.set_scroll_top(0);
        }
        scroll_top.set(0.0);
    });

    let navigate = use_navigate();
    let plural = title.to_lowercase();
    let count_text = {
        let plural = plural.clone();
        move || {
            let (shown, all) = (hits.read().len(), total.get());
            let noun = if all == 1 {
                kind_noun(kind).to_string()
            } else {
                plural.clone()
            };
            let filtered =
                !text.read().trim().is_empty() || state.spec.with(|s| !s.filters.is_empty());
            if filtered {
                format!("{} of {} {noun}", thousands(shown), thousands(all))
            } else {
                format!("{} {noun}", thousands(all))
            }
        }
    };
    let all_selected = move || {
        let n = hits.read().len();
        n > 0
            && state
                .selected
                .with(|s| s.len() >= n && hits.read().iter().all(|i| s.contains(i)))
    };
    let search_id = format!("list-search-{}", kind.as_str());

    let header = (!embedded).then(|| {
        view! {
            <header class="page__header">
                <h1 class="page__title">{title}</h1>
                <div class="page__actions">
                <ImportLink kind/>
                {move || if ws.writable.get() {
                    view! {
                        <A href=format!("{}/new", section_path(kind)) attr:class="button button--primary" attr:data-testid="new-record">
                            {format!("New {}", kind_noun(kind))}
                        </A>
                    }.into_any()
                } else {
                    view! {
                        <span class="badge view-only-badge" data-testid="view-only" title="Your role in this workspace lets you read records, not change them">
                            "View only"
                        </span>
                    }.into_any()
                }}
                </div>
            </header>
        }
    });

    let body = view! {
        {header}
        <div class="list-toolbar">
            <label class="visually-hidden" for=search_id.clone()>{format!("Search {plural}")}</label>
            <input
                id=search_id
                class="input input--search"
                type="search"
                placeholder=format!("Search {plural} by name, email, phone, company, tag…")
                autocomplete="off"
                data-testid="list-search"
                prop:value=text
                on:input=move |ev| text.set(event_target_value(&ev))
                on:change=move |ev| text.set(event_target_value(&ev))
            />
            <div class="list-toolbar__tools">
                <FilterButton state/>
                <SortMenu state/>
                <ColumnChooser state/>
                <ViewsMenu state param=if embedded { "saved" } else { "view" }/>
                <ExportView state/>
            </div>
            <span class="list-count" data-testid="list-count" aria-live="polite">{count_text}</span>
        </div>
        <FilterBar state/>
        <BulkBar state/>
        {move || match ws.phase.get() {
            Phase::Loading => view! {
                <p class="muted" data-testid="list-loading">
                    {move || match ws.loaded.get() {
                        0 => "Opening your workspace…".to_string(),
                        n => format!("Opening your workspace… {n} records read"),
                    }}
                </p>
            }.into_any(),
            Phase::Failed(message) => view! {
                <div class="alert alert--danger" role="alert">{format!("Your workspace could not be opened: {message}")}</div>
            }.into_any(),
            Phase::Ready if total.get() == 0 => view! {
                <section class="empty-state" data-testid="empty-state">
                    <h2 class="empty-state__title">{format!("No {} yet", title.to_lowercase())}</h2>
                    <p class="empty-state__text">"Everything you add is kept on this device and works without a connection."</p>
                </section>
            }.into_any(),
            Phase::Ready if hits.read().is_empty() => view! {
                <p class="muted list-none" data-testid="list-no-match">
                    {format!("No {} match this search and these filters.", title.to_lowercase())}
                </p>
            }.into_any(),
            Phase::Ready => ().into_any(),
        }}
        <div
            class="table table--view"
            role="table"
            aria-label=title
            aria-rowcount=move || hits.read().len() + 1
            style=move || grid_style(&columns.get())
            hidden=move || total.get() == 0
        >
            <div class="table__head" role="rowgroup">
                <div class="table__row table__row--head" role="row" aria-rowindex="1">
                    <div class="col col--select" role="columnheader">
                        <input
                            type="checkbox"
                            class="row-check"
                            data-testid="select-all"
                            aria-label=move || format!("Select all {} {plural} shown", thousands(hits.read().len()))
                            title=move || format!("Select all {}", thousands(hits.read().len()))
                            prop:checked=all_selected
                            on:change=move |ev| {
                                if event_target_checked(&ev) {
                                    state.selected.set(hits.get_untracked().into_iter().collect());
                                } else {
                                    state.selected.set(Default::default());
                                }
                            }
                        />
                    </div>
                    {move || columns.get().into_iter().enumerate().map(|(pos, field)| view! { <HeaderCell state field pos/> }).collect_view()}
                </div>
            </div>
            <div
                class="table__viewport"
                role="rowgroup"
                node_ref=viewport
                data-testid="list-viewport"
                on:scroll=move |ev| {
                    let el: web_sys::Element = ev.target().unwrap().unchecked_into();
                    scroll_top.set(f64::from(el.scroll_top()));
                }
            >
                <div class="table__spacer" style:height=move || format!("{}px", hits.read().len() as f64 * ROW_HEIGHT)>
                    <For each=move || visible.get() key=|row| row.clone() let(row)>
                        {
                            let navigate = navigate.clone();
                            let Row { pos, index, href, cells, conflict } = row;
                            let open = href.clone();
                            let name = cells.first().map(|c| c.1.clone()).unwrap_or_default();
                            view! {
                                <div
                                    class="table__row"
                                    class:table__row--selected=move || state.selected.with(|s| s.contains(&index))
                                    role="row"
                                    aria-rowindex=pos + 2
                                    data-testid="list-row"
                                    style:transform=format!("translateY({}px)", pos as f64 * ROW_HEIGHT)
                                    on:click=move |ev: leptos::ev::MouseEvent| {
                                        // Links, checkboxes and buttons handle their own clicks.
                                        let on_control = ev
                                            .target()
                                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                                            .and_then(|el| el.closest("a, input, label, button").ok().flatten())
                                            .is_some();
                                        if !on_control {
                                            navigate(&open, Default::default());
                                        }
                                    }
                                >
                                    <div class="col col--select" role="cell">
                                        <input
                                            type="checkbox"
                                            class="row-check"
                                            data-testid="row-select"
                                            aria-label=format!("Select {}", if name.is_empty() { "(no name)" } else { &name })
                                            prop:checked=move || state.selected.with(|s| s.contains(&index))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                state.selected.update(|s| {
                                                    if on { s.insert(index); } else { s.remove(&index); }
                                                });
                                            }
                                        />
                                    </div>
                                    {cells.into_iter().enumerate().map(|(i, (field, text))| {
                                        if field == ViewField::Name {
                                            let label = if text.is_empty() { "(no name)".to_string() } else { text };
                                            view! {
                                                <div class=css_class(field, i) role="cell">
                                                    {
                                                        // Element Timing reports text painted in this link: the first rows.
                                                        view! { <a href=href.clone() class="row-link">{label}</a> }
                                                            .add_any_attr(custom_attribute("elementtiming", "kith-list-row"))
                                                    }
                                                    {conflict.then(|| view! {
                                                        <span class="badge badge--warning" title="Some fields have conflicting values">"conflict"</span>
                                                    })}
                                                </div>
                                            }.into_any()
                                        } else {
                                            view! { <div class=css_class(field, i) role="cell">{text}</div> }.into_any()
                                        }
                                    }).collect_view()}
                                </div>
                            }
                        }
                    </For>
                </div>
            </div>
        </div>
    };
    if embedded {
        view! { <div class="record-list" data-testid=format!("list-{}", kind.as_str())>{body}</div> }.into_any()
    } else {
        view! {
            <div class="page page--list" data-testid=format!("page-{}", section_path(kind).trim_start_matches('/'))>
                {body}
            </div>
        }
        .into_any()
    }
}

/// A column header: a click sorts by it (again: the other way), shift+click adds it as the
/// next sort key. Shows ▲/▼ and the key's rank when several keys sort the list.
#[component]
fn HeaderCell(state: ListState, field: ViewField, pos: usize) -> impl IntoView {
    // No explicit sort is the name order.
    let rank = move || {
        state.spec.with(|s| {
            if s.sort.is_empty() {
                return (field == ViewField::Name).then_some((0, false, 1));
            }
            s.sort
                .iter()
                .position(|b| b.field == field)
                .map(|i| (i, s.sort[i].descending, s.sort.len()))
        })
    };
    let aria = move || match rank() {
        Some((0, false, _)) => Some("ascending"),
        Some((0, true, _)) => Some("descending"),
        _ => None,
    };
    view! {
        <div class=css_class(field, pos) role="columnheader" aria-sort=aria>
            <button
                type="button"
                class="sort-button"
                data-testid=format!("sort-{}", field.key())
                title="Sort by this column; shift+click to add it as the next sort key"
                on:click=move |ev: leptos::ev::MouseEvent| sort_by_header(state, field, ev.shift_key())
            >
                {field.label()}
                <span class="sort-button__arrow" aria-hidden="true">
                    {move || match rank() {
                        Some((i, descending, n)) => {
                            let arrow = if descending { "▼" } else { "▲" };
                            if n > 1 { format!("{arrow}{}", i + 1) } else { arrow.to_string() }
                        }
                        None => String::new(),
                    }}
                </span>
            </button>
        </div>
    }
}
