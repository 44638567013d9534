//! `/deals`: the kanban board of one pipeline (or the deals table), its columns with totals,
//! the Won and Lost drop zones and the dialog asking why a deal was lost.

use kith_core::ids::RecordId;
use kith_core::pipeline::{StageTotals, board, format_amount};
use kith_core::record::RecordKind;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::card::{CardData, DealCard};
use super::drag::{Drag, install_touch_guard};
use super::{Pipeline, Target, move_deal, pipeline_for, pipelines};
use crate::pages::PageHeader;
use crate::toasts::Toasts;
use crate::workspace::Workspace;

/// Cards rendered per column before "Show more".
const PAGE: usize = 50;

/// What the board's columns and cards share: drop zones, the hovered one, the deal picked up
/// by keyboard, announcements and the lost-reason prompt.
#[derive(Clone, Copy)]
pub struct BoardCtx {
    pub ws: Workspace,
    pub toasts: Toasts,
    /// Every drop zone in order: (key, label) for each stage, then Won and Lost.
    pub zones: Memo<Vec<(String, String)>>,
    /// The zone a dragged or keyboard-held card is over.
    pub hover: RwSignal<Option<String>>,
    /// The deal held by keyboard: (id, name, zone it came from).
    pub picked: RwSignal<Option<(RecordId, String, String)>>,
    /// Text of the aria-live region.
    pub live: RwSignal<String>,
    pub lost_prompt: RwSignal<Option<(RecordId, String)>>,
    pub drag: StoredValue<Drag, LocalStorage>,
    pub scroller: NodeRef<leptos::html::Div>,
}

impl BoardCtx {
    pub fn zone_label(&self, key: &str) -> String {
        self.zones.with_untracked(|z| {
            z.iter()
                .find(|(k, _)| k == key)
                .map(|(_, l)| l.clone())
                .unwrap_or_default()
        })
    }

    /// Puts deal `id` into zone `key`; Lost first asks why.
    pub fn drop_on(&self, id: RecordId, name: String, key: &str) {
        let target = match key.strip_prefix("stage:") {
            Some(stage) => Target::Stage(stage.to_string()),
            None if key == "won" => Target::Won,
            None if key == "lost" => return self.lost_prompt.set(Some((id, name))),
            None => return,
        };
        let (ws, toasts) = (self.ws, self.toasts);
        leptos::task::spawn_local(async move {
            move_deal(ws, toasts, id, name, target).await;
        });
    }
}

/// A column's content: its stage, totals and cards.
#[derive(Debug, Clone, PartialEq)]
struct ColumnData {
    totals: StageTotals,
    cards: Vec<CardData>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct BoardData {
    columns: Vec<ColumnData>,
    won: StageTotals,
    lost: StageTotals,
}

#[component]
pub fn DealsPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let query = use_query_map();
    let table = Memo::new(move |_| query.read().get("view").as_deref() == Some("table"));
    let all = Memo::new(move |_| pipelines(ws));
    let chosen = Memo::new(move |_| {
        let wanted = query.read().get("pipeline");
        all.with(|ps| {
            wanted
                .and_then(|w| ps.iter().find(|p| p.id.as_str() == w))
                .unwrap_or(&ps[0])
                .clone()
        })
    });
    let navigate = use_navigate();
    let href = move |table: bool| {
        let pipeline = query.read().get("pipeline");
        let mut params = Vec::new();
        if let Some(p) = pipeline {
            params.push(format!("pipeline={p}"));
        }
        if table {
            params.push("view=table".into());
        }
        if params.is_empty() {
            "/deals".to_string()
        } else {
            format!("/deals?{}", params.join("&"))
        }
    };
    view! {
        <div class="page page--deals" data-testid="page-deals">
            <PageHeader title="Deals"/>
            <div class="deals-toolbar">
                {move || (all.read().len() > 1).then(|| {
                    let navigate = navigate.clone();
                    view! {
                        <label class="deals-toolbar__pipeline">
                            <span class="field__label">"Pipeline"</span>
                            <select class="input" data-testid="pipeline-select" prop:value=move || chosen.read().id.to_string()
                                on:change=move |ev| navigate(&format!("/deals?pipeline={}", event_target_value(&ev)), Default::default())>
                                {all.get().into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                            </select>
                        </label>
                    }
                })}
                // Plain links: the router's <A> marks both current (same path, other query).
                <nav class="view-switch" aria-label="Show deals as">
                    <a href=move || href(false) class="view-switch__item" data-testid="deals-view-board"
                        aria-current=move || (!table.get()).then_some("page")>"Board"</a>
                    <a href=move || href(true) class="view-switch__item" data-testid="deals-view-table"
                        aria-current=move || table.get().then_some("page")>"Table"</a>
                </nav>
                <crate::transfer::ImportLink kind=RecordKind::Deal/>
                <A href=move || format!("/deals/new?pipeline={}", chosen.read().id) attr:class="button button--primary" attr:data-testid="deals-new">"New deal"</A>
            </div>
            {move || if table.get() {
                view! { <crate::records::RecordList kind=RecordKind::Deal/> }.into_any()
            } else {
                view! { <Board pipeline=chosen all/> }.into_any()
            }}
        </div>
    }
}

#[component]
fn Board(pipeline: Memo<Pipeline>, all: Memo<Vec<Pipeline>>) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let data = Memo::new(move |_| {
        let p = pipeline.get();
        all.with(|all| {
            ws.with_directory(|d| {
                let deals = (0..d.len()).map(|i| d.at(i)).filter(|s| {
                    s.kind == RecordKind::Deal && !s.deleted && pipeline_for(s, all).id == p.id
                });
                let b = board(deals, &p.stages);
                let mut names = std::collections::HashMap::new();
                BoardData {
                    columns: b
                        .columns
                        .iter()
                        .zip(b.totals)
                        .map(|(deals, totals)| ColumnData {
                            totals,
                            cards: deals
                                .iter()
                                .map(|s| CardData::of(s, d, &p, &mut names))
                                .collect(),
                        })
                        .collect(),
                    won: b.won,
                    lost: b.lost,
                }
            })
        })
    });
    let zones = Memo::new(move |_| {
        pipeline.with(|p| {
            p.stages
                .iter()
                .map(|s| (format!("stage:{}", s.id), s.name.clone()))
                .chain([("won".into(), "Won".into()), ("lost".into(), "Lost".into())])
                .collect::<Vec<(String, String)>>()
        })
    });
    let ctx = BoardCtx {
        ws,
        toasts: expect_context::<Toasts>(),
        zones,
        hover: RwSignal::new(None),
        picked: RwSignal::new(None),
        live: RwSignal::new(String::new()),
        lost_prompt: RwSignal::new(None),
        drag: StoredValue::new_local(Drag::default()),
        scroller: NodeRef::new(),
    };
    provide_context(ctx);
    install_touch_guard(ctx);
    let stage_ids = Memo::new(move |_| {
        pipeline.with(|p| {
            p.stages
                .iter()
                .enumerate()
                .map(|(i, s)| (i, s.id.clone(), s.name.clone()))
                .collect::<Vec<_>>()
        })
    });
    let empty = Memo::new(move |_| {
        data.with(|d| {
            d.columns.iter().all(|c| c.cards.is_empty()) && d.won.count + d.lost.count == 0
        })
    });
    view! {
        <p id="kanban-help" class="visually-hidden">
            "Enter opens a deal. Space picks it up; then the left and right arrow keys move it between columns, Space or Enter drops it and Escape cancels."
        </p>
        {move || empty.get().then(|| view! {
            <p class="muted kanban-empty" data-testid="kanban-empty">
                "No deals in this pipeline yet. Create one with “New deal”, or with the + of a column."
            </p>
        })}
        <div class="kanban" data-testid="kanban" node_ref=ctx.scroller
            class:kanban--dragging=move || ctx.hover.read().is_some()>
            <For each=move || stage_ids.get() key=|s| s.clone() let((index, id, name))>
                <Column index id name pipeline data/>
            </For>
            <Outcome key="won" label="Won" data/>
            <Outcome key="lost" label="Lost" data/>
        </div>
        <div class="visually-hidden" aria-live="assertive" data-testid="kanban-live">{move || ctx.live.get()}</div>
        <LostDialog/>
    }
}

#[component]
fn Column(
    index: usize,
    id: String,
    name: String,
    pipeline: Memo<Pipeline>,
    data: Memo<BoardData>,
) -> impl IntoView {
    let ctx = expect_context::<BoardCtx>();
    let column = Memo::new(move |_| data.with(|d| d.columns.get(index).cloned()));
    let limit = RwSignal::new(PAGE);
    let key = format!("stage:{id}");
    let over_key = key.clone();
    let heading = format!("column-{id}");
    let heading_ref = heading.clone();
    let new_href = move || {
        format!(
            "/deals/new?pipeline={}&stage={}",
            pipeline.read().id,
            id_for_link(&key)
        )
    };
    view! {
        <section class="kanban-column" data-testid="kanban-column" data-stage=id.clone() data-drop=format!("stage:{id}")
            class:kanban-column--over=move || ctx.hover.read().as_deref() == Some(over_key.as_str())
            aria-labelledby=heading_ref>
            <header class="kanban-column__header">
                <h2 class="kanban-column__title" id=heading>
                    {name.clone()}
                    <span class="kanban-column__count" data-testid="kanban-count">
                        {move || column.read().as_ref().map_or(0, |c| c.totals.count)}
                    </span>
                </h2>
                <A href=new_href attr:class="button button--small button--quiet" attr:aria-label=format!("New deal in {name}") attr:data-testid="kanban-add">"+"</A>
                <Totals totals=Signal::derive(move || column.read().as_ref().map(|c| c.totals.clone()).unwrap_or_default())/>
            </header>
            <ul class="kanban-column__cards">
                <For each=move || column.read().as_ref().map(|c| c.cards.iter().take(limit.get()).cloned().collect::<Vec<_>>()).unwrap_or_default()
                    key=|c| c.clone() let(card)>
                    <DealCard card/>
                </For>
            </ul>
            {move || {
                let hidden = column.read().as_ref().map_or(0, |c| c.cards.len()).saturating_sub(limit.get());
                (hidden > 0).then(|| view! {
                    <button type="button" class="button button--small button--quiet kanban-more" data-testid="kanban-more"
                        on:click=move |_| limit.update(|l| *l += PAGE)>{format!("Show more ({hidden})")}</button>
                })
            }}
        </section>
    }
}

fn id_for_link(key: &str) -> String {
    key.trim_start_matches("stage:").to_string()
}

/// Total and weighted total per currency.
#[component]
fn Totals(#[prop(into)] totals: Signal<StageTotals>) -> impl IntoView {
    let text = move |weighted: bool| {
        totals.with(|t| {
            if t.by_currency.is_empty() {
                return "0".to_string();
            }
            t.by_currency
                .iter()
                .map(|(c, total, w)| format_amount(if weighted { *w } else { *total }, c))
                .collect::<Vec<_>>()
                .join(" · ")
        })
    };
    view! {
        <dl class="kanban-totals">
            <dt class="visually-hidden">"Total"</dt>
            <dd data-testid="kanban-total">{move || text(false)}</dd>
            <dt>"Weighted"</dt>
            <dd data-testid="kanban-weighted">{move || text(true)}</dd>
        </dl>
    }
}

/// The Won or Lost drop zone with its count and total.
#[component]
fn Outcome(key: &'static str, label: &'static str, data: Memo<BoardData>) -> impl IntoView {
    let ctx = expect_context::<BoardCtx>();
    let totals = Memo::new(move |_| {
        data.with(|d| {
            if key == "won" {
                d.won.clone()
            } else {
                d.lost.clone()
            }
        })
    });
    view! {
        <section class=format!("kanban-outcome kanban-outcome--{key}") data-testid=format!("kanban-{key}") data-drop=key
            class:kanban-column--over=move || ctx.hover.read().as_deref() == Some(key)
            aria-label=label>
            <h2 class="kanban-column__title">
                {label}
                <span class="kanban-column__count">{move || totals.read().count}</span>
            </h2>
            <p class="kanban-outcome__total">
                {move || totals.with(|t| t.by_currency.iter().map(|(c, total, _)| format_amount(*total, c)).collect::<Vec<_>>().join(" · "))}
            </p>
            <p class="kanban-outcome__hint muted">{format!("Drop here to mark {}", label.to_lowercase())}</p>
        </section>
    }
}

/// Asks why a deal was lost before marking it lost.
#[component]
fn LostDialog() -> impl IntoView {
    let ctx = expect_context::<BoardCtx>();
    let reason = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let close = move || {
        if let Some((id, _)) = ctx.lost_prompt.get_untracked() {
            super::card::focus_card(&id);
        }
        ctx.lost_prompt.set(None);
        reason.set(String::new());
    };
    move || {
        ctx.lost_prompt.get().map(|(id, name)| {
            let confirm_name = name.clone();
            view! {
                <div class="dialog-backdrop">
                    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="lost-title" data-testid="lost-dialog"
                        on:keydown=move |ev| if ev.key() == "Escape" { close(); }>
                        <h2 class="dialog__title" id="lost-title">{format!("Why was {name} lost?")}</h2>
                        <form on:submit=move |ev| {
                            ev.prevent_default();
                            let (id, name, why) = (id.clone(), confirm_name.clone(), reason.get_untracked());
                            ctx.lost_prompt.set(None);
                            reason.set(String::new());
                            let (ws, toasts) = (ctx.ws, ctx.toasts);
                            ctx.live.set(format!("{name} marked lost."));
                            leptos::task::spawn_local(async move {
                                move_deal(ws, toasts, id, name, Target::Lost(why)).await;
                            });
                        }>
                            <div class="field">
                                <label class="field__label" for="lost-reason">"Lost reason"</label>
                                <input id="lost-reason" class="input" data-testid="lost-reason" node_ref=input
                                    placeholder="e.g. price, timing, went with a competitor"
                                    prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/>
                            </div>
                            <div class="form-actions">
                                <button type="submit" class="button button--primary" data-testid="lost-confirm">"Mark lost"</button>
                                <button type="button" class="button" data-testid="lost-cancel" on:click=move |_| close()>"Cancel"</button>
                            </div>
                        </form>
                    </div>
                </div>
            }
        })
    }
}
