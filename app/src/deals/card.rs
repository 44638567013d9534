//! A deal's card on the board: what it shows, opening it, moving it by keyboard (Space/Enter
//! to pick up, arrows, Space/Enter to drop, Escape) or with its "Move to…" select.

use std::collections::HashMap;

use kith_core::directory::Directory;
use kith_core::ids::RecordId;
use kith_core::pipeline::{Placement, format_amount, placement};
use kith_core::record::RecordKind;
use kith_core::summary::Summary;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use super::board::BoardCtx;
use super::{Pipeline, initials, name_or_placeholder};
use crate::account::display_name;
use crate::records::record_path;

/// Everything a card shows, computed from summaries only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardData {
    pub id: RecordId,
    pub name: String,
    pub company: String,
    pub amount: String,
    pub close_date: String,
    pub owner: String,
    /// The zone it is in (`stage:<id>`).
    pub zone: String,
    /// Its stage no longer exists in the pipeline.
    pub unknown_stage: bool,
}

impl CardData {
    /// `names` caches owners' display names (each lookup reads local storage).
    pub fn of(
        s: &Summary,
        d: &Directory,
        pipeline: &Pipeline,
        names: &mut HashMap<String, String>,
    ) -> Self {
        let unknown_stage = matches!(
            placement(s, &pipeline.stages),
            Placement::Stage {
                unknown_stage: true,
                ..
            }
        );
        let zone = if unknown_stage {
            pipeline
                .stages
                .first()
                .map(|st| st.id.clone())
                .unwrap_or_default()
        } else {
            s.deal_stage.clone()
        };
        Self {
            id: s.id.clone(),
            name: name_or_placeholder(&s.name),
            company: s
                .company_id
                .as_ref()
                .and_then(|c| d.name_of(c))
                .unwrap_or_default()
                .to_string(),
            amount: s
                .amount
                .map(|a| format_amount(a, &s.currency))
                .unwrap_or_default(),
            close_date: s.close_date.clone(),
            owner: if s.owner.is_empty() {
                String::new()
            } else {
                names
                    .entry(s.owner.clone())
                    .or_insert_with(|| display_name(&s.owner))
                    .clone()
            },
            zone: format!("stage:{zone}"),
            unknown_stage,
        }
    }
}

/// Focuses deal `id`'s card once it is rendered (after a move it is in another column).
pub fn focus_card(id: &RecordId) {
    let selector = format!("[data-testid=deal-card][data-id=\"{id}\"]");
    request_animation_frame(move || {
        if let Ok(Some(el)) = document().query_selector(&selector) {
            let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    });
}

#[component]
pub fn DealCard(card: CardData) -> impl IntoView {
    let ctx = expect_context::<BoardCtx>();
    let navigate = use_navigate();
    let CardData {
        id,
        name,
        company,
        amount,
        close_date,
        owner,
        zone,
        unknown_stage,
    } = card;
    let href = record_path(RecordKind::Deal, &id);
    let held = {
        let id = id.clone();
        Memo::new(move |_| ctx.picked.read().as_ref().is_some_and(|(p, _, _)| *p == id))
    };
    let keydown = {
        let (id, name, zone) = (id.clone(), name.clone(), zone.clone());
        let (navigate_key, href_key) = (navigate.clone(), href.clone());
        move |ev: leptos::ev::KeyboardEvent| {
            // Keys typed in the card's link or select are theirs.
            if ev.target() != ev.current_target() {
                return;
            }
            let key = ev.key();
            let zones = ctx.zones.get_untracked();
            let position = |k: &str| zones.iter().position(|(z, _)| z == k);
            if !held.get_untracked() {
                if key == "Enter" {
                    ev.prevent_default();
                    return navigate_key(&href_key, Default::default());
                }
                if key == " " {
                    ev.prevent_default();
                    ctx.picked
                        .set(Some((id.clone(), name.clone(), zone.clone())));
                    ctx.hover.set(Some(zone.clone()));
                    ctx.live.set(format!(
                        "Picked up {name}. Column {}. Use the arrow keys to move, Space to drop, Escape to cancel.",
                        ctx.zone_label(&zone)
                    ));
                }
                return;
            }
            let at = ctx
                .hover
                .get_untracked()
                .and_then(|h| position(&h))
                .unwrap_or(0);
            match key.as_str() {
                "ArrowRight" | "ArrowLeft" | "ArrowDown" | "ArrowUp" => {
                    ev.prevent_default();
                    let next = if matches!(key.as_str(), "ArrowRight" | "ArrowDown") {
                        (at + 1).min(zones.len().saturating_sub(1))
                    } else {
                        at.saturating_sub(1)
                    };
                    ctx.hover.set(Some(zones[next].0.clone()));
                    ctx.live.set(format!("Moved to {}", zones[next].1));
                    scroll_zone_into_view(&zones[next].0);
                }
                " " | "Enter" => {
                    ev.prevent_default();
                    let target = zones[at].0.clone();
                    ctx.picked.set(None);
                    ctx.hover.set(None);
                    if target == zone {
                        ctx.live
                            .set(format!("{name} dropped back in {}", zones[at].1));
                        return;
                    }
                    ctx.live.set(format!("Dropped {name} in {}", zones[at].1));
                    ctx.drop_on(id.clone(), name.clone(), &target);
                    // Lost asks why first: its dialog takes the focus.
                    if target != "lost" {
                        focus_card(&id);
                    }
                }
                "Escape" => {
                    ev.prevent_default();
                    cancel(ctx, &name, &zone);
                }
                _ => {}
            }
        }
    };
    let blur = {
        let (name, zone) = (name.clone(), zone.clone());
        move |_| {
            if held.get_untracked() {
                cancel(ctx, &name, &zone);
            }
        }
    };
    let open = {
        let href = href.clone();
        move |ev: leptos::ev::MouseEvent| {
            if ctx.drag.with_value(|d| d.just_dropped()) || inside_control(&ev) {
                return;
            }
            navigate(&href, Default::default());
        }
    };
    let move_to = {
        let (id, name) = (id.clone(), name.clone());
        move |ev: leptos::ev::Event| {
            let target = event_target_value(&ev);
            let select: web_sys::HtmlSelectElement = event_target(&ev);
            select.set_value("");
            if !target.is_empty() {
                ctx.drop_on(id.clone(), name.clone(), &target);
            }
        }
    };
    let pointer = super::drag::handlers(ctx, id.clone(), name.clone(), zone.clone());
    let zones_for_select = zone.clone();
    view! {
        <li class="deal-card" data-testid="deal-card" data-id=id.to_string() tabindex="0"
            class:deal-card--held=held
            aria-describedby="kanban-help"
            aria-label=format!("{name}{}{}", if amount.is_empty() { String::new() } else { format!(", {amount}") }, if company.is_empty() { String::new() } else { format!(", {company}") })
            on:keydown=keydown on:focusout=blur on:click=open
            on:pointerdown=pointer.down on:pointermove=pointer.moved on:pointerup=pointer.up on:pointercancel=pointer.cancel
            on:contextmenu=move |ev| if ctx.drag.with_value(|d| d.is_active()) { ev.prevent_default() }>
            <a class="deal-card__name" href=href tabindex="-1">{name.clone()}</a>
            {unknown_stage.then(|| view! { <span class="badge badge--warning" data-testid="deal-unknown-stage" title="Its stage was removed from the pipeline">"Stage removed"</span> })}
            {(!company.is_empty()).then(|| view! { <span class="deal-card__company">{company.clone()}</span> })}
            <div class="deal-card__meta">
                <span class="deal-card__amount" data-testid="deal-card-amount">{amount.clone()}</span>
                {(!close_date.is_empty()).then(|| view! { <span class="deal-card__date" title="Expected close">{close_date.clone()}</span> })}
                {(!owner.is_empty()).then(|| view! { <span class="avatar avatar--small" title=owner.clone() aria-label=format!("Owner {owner}")>{initials(&owner)}</span> })}
            </div>
            <select class="input input--small deal-card__move" data-testid="deal-move" aria-label=format!("Move {name} to") on:change=move_to>
                <option value="">"Move to…"</option>
                {move || ctx.zones.get().into_iter().filter(|(k, _)| *k != zones_for_select).map(|(k, l)| view! { <option value=k>{l}</option> }).collect_view()}
            </select>
        </li>
    }
}

fn cancel(ctx: BoardCtx, name: &str, zone: &str) {
    ctx.picked.set(None);
    ctx.hover.set(None);
    ctx.live.set(format!(
        "Move cancelled. {name} stays in {}.",
        ctx.zone_label(zone)
    ));
}

/// Whether a click landed on the card's select (which handles it itself).
fn inside_control(ev: &leptos::ev::MouseEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("select, option, button, a").ok().flatten())
        .is_some()
}

fn scroll_zone_into_view(key: &str) {
    if let Ok(Some(el)) = document().query_selector(&format!("[data-drop=\"{key}\"]")) {
        el.scroll_into_view_with_bool(false);
    }
}
