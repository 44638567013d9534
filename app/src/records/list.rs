//! A list of people or companies: instant search, sortable columns, and virtualised rows so
//! 100k records scroll smoothly (only the rows in view exist in the DOM).

use kith_core::directory::{ListQuery, SortKey};
use kith_core::record::RecordKind;
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use super::columns::Column;
use super::{kind_noun, kind_plural, record_path, section_path};
use crate::workspace::{Phase, Workspace};

/// Height of one row in px; must match `--row-height` in the CSS.
const ROW_HEIGHT: f64 = 52.0;
/// Rows rendered beyond each edge of the viewport, so fast scrolling shows no gaps.
const OVERSCAN: usize = 8;

#[component]
pub fn RecordList(kind: RecordKind) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let title = kind_plural(kind);
    document().set_title(&format!("{title} · Kith"));
    let (text, set_text) = signal(String::new());
    let (sort, set_sort) = signal((SortKey::Name, false));
    let hits = Memo::new(move |_| {
        let (key, descending) = sort.get();
        ws.list(&ListQuery {
            kind,
            text: text.get(),
            sort: key,
            descending,
        })
    });
    let total = Memo::new(move |_| ws.with_directory(|d| d.count(kind)));

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
        let hits = hits.get();
        let first = ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
        let count = (viewport_height.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        let last = (first + count).min(hits.len());
        (first.min(last)..last)
            .map(|pos| (pos, hits[pos]))
            .collect::<Vec<_>>()
    });
    // A new search starts at the top.
    Effect::new(move |_| {
        text.track();
        if let Some(el) = viewport.get_untracked() {
            el.set_scroll_top(0);
        }
        scroll_top.set(0.0);
    });

    let columns = Column::for_kind(kind);
    let navigate = use_navigate();
    let open_row = move |index: usize| {
        if let Some(s) = ws.with_directory(|d| (index < d.len()).then(|| d.at(index).clone())) {
            navigate(&record_path(s.kind, &s.id), Default::default());
        }
    };

    view! {
        <div class="page page--list" data-testid=format!("page-{}", section_path(kind).trim_start_matches('/'))>
            <header class="page__header">
                <h1 class="page__title">{title}</h1>
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
            </header>
            <div class="list-toolbar">
                <label class="visually-hidden" for="list-search">{format!("Search {}", title.to_lowercase())}</label>
                <input
                    id="list-search"
                    class="input input--search"
                    type="search"
                    placeholder=format!("Search {} by name, email, phone, company, tag…", title.to_lowercase())
                    autocomplete="off"
                    data-testid="list-search"
                    prop:value=text
                    on:input=move |ev| set_text.set(event_target_value(&ev))
                    on:change=move |ev| set_text.set(event_target_value(&ev))
                />
                <span class="list-count" data-testid="list-count" aria-live="polite">
                    {move || {
                        let (shown, all) = (hits.read().len(), total.get());
                        if text.read().trim().is_empty() {
                            let noun = if all == 1 { kind_noun(kind).to_string() } else { title.to_lowercase() };
                            format!("{all} {noun}")
                        } else {
                            format!("{shown} of {all}")
                        }
                    }}
                </span>
            </div>
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
                Phase::Ready => ().into_any(),
            }}
            <div
                class="table"
                role="table"
                aria-label=title
                aria-rowcount=move || hits.read().len() + 1
                hidden=move || total.get() == 0
            >
                <div class="table__head" role="rowgroup">
                    <div class="table__row table__row--head" role="row" aria-rowindex="1">
                        {columns.iter().map(|&column| view! { <HeaderCell column sort set_sort/> }).collect_view()}
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
                        <For each=move || visible.get() key=|(pos, index)| (*pos, *index) let((pos, index))>
                            {
                                let open_row = open_row.clone();
                                let summary = ws.with_directory(|d| d.at(index).clone());
                                let cells = ws.with_directory(|d| columns.iter().map(|c| (*c, c.text(&summary, d))).collect::<Vec<_>>());
                                let href = record_path(summary.kind, &summary.id);
                                view! {
                                    <div
                                        class="table__row"
                                        role="row"
                                        aria-rowindex=pos + 2
                                        data-testid="list-row"
                                        style:transform=format!("translateY({}px)", pos as f64 * ROW_HEIGHT)
                                        on:click=move |ev: leptos::ev::MouseEvent| {
                                            // A click on the name link is the router's to handle.
                                            let on_link = ev
                                                .target()
                                                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                                                .and_then(|el| el.closest("a").ok().flatten())
                                                .is_some();
                                            if !on_link {
                                                open_row(index);
                                            }
                                        }
                                    >
                                        {cells.into_iter().map(|(column, text)| {
                                            if column == Column::Name {
                                                let label = if text.is_empty() { "(no name)".to_string() } else { text };
                                                view! {
                                                    <div class=column.css_class() role="cell">
                                                        {
                                                            // Element Timing reports text painted in this link: the first rows.
                                                            view! { <a href=href.clone() class="row-link">{label}</a> }
                                                                .add_any_attr(custom_attribute("elementtiming", "kith-list-row"))
                                                        }
                                                        {(!summary.conflicts.is_empty()).then(|| view! {
                                                            <span class="badge badge--warning" title="Some fields have conflicting values">"conflict"</span>
                                                        })}
                                                    </div>
                                                }.into_any()
                                            } else {
                                                view! { <div class=column.css_class() role="cell">{text}</div> }.into_any()
                                            }
                                        }).collect_view()}
                                    </div>
                                }
                            }
                        </For>
                    </div>
                </div>
            </div>
        </div>
    }
}

/// A column header; sortable columns toggle ascending → descending on each click.
#[component]
fn HeaderCell(
    column: Column,
    sort: ReadSignal<(SortKey, bool)>,
    set_sort: WriteSignal<(SortKey, bool)>,
) -> impl IntoView {
    let Some(key) = column.sort_key() else {
        return view! { <div class=column.css_class() role="columnheader">{column.label()}</div> }
            .into_any();
    };
    let state = move || {
        let (current, descending) = sort.get();
        match (current == key, descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    };
    view! {
        <div class=column.css_class() role="columnheader" aria-sort=state>
            <button
                type="button"
                class="sort-button"
                data-testid=format!("sort-{}", column.label().to_lowercase())
                on:click=move |_| set_sort.update(|(current, descending)| {
                    *descending = *current == key && !*descending;
                    *current = key;
                })
            >
                {column.label()}
                <span class="sort-button__arrow" aria-hidden="true">
                    {move || match state() { "ascending" => "▲", "descending" => "▼", _ => "" }}
                </span>
            </button>
        </div>
    }
    .into_any()
}
