//! Dragging a card with Pointer Events (not HTML5 drag and drop, which neither touch screens
//! nor WebDriver's pointer actions drive). A mouse drags after a few pixels of movement; a
//! finger after a short press, so a swipe still scrolls the board. While dragging, only a
//! transformed ghost moves and the hovered column's highlight changes: nothing re-renders.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use kith_core::ids::RecordId;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{HtmlElement, PointerEvent};

use super::board::BoardCtx;

/// Mouse movement (px) that starts a drag; below it a press is a click.
const MOUSE_SLOP: f64 = 5.0;
/// Finger movement (px) before the press delay that makes it a scroll instead.
const TOUCH_SLOP: f64 = 8.0;
/// How long a finger rests on a card before it can be dragged.
const PRESS_MS: u64 = 250;
/// Distance (px) from the board's edge where it scrolls by itself.
const EDGE: f64 = 56.0;
/// A click this soon after a drop is the end of the drag, not a click.
const CLICK_AFTER_DROP_MS: f64 = 300.0;

#[derive(Default)]
pub struct Drag {
    session: Rc<RefCell<Option<Session>>>,
    dropped_at: Cell<f64>,
}

impl Drag {
    pub fn just_dropped(&self) -> bool {
        js_sys::Date::now() - self.dropped_at.get() < CLICK_AFTER_DROP_MS
    }

    /// A card is held (pressed long enough, or being dragged): the page must not scroll.
    pub fn is_active(&self) -> bool {
        self.session
            .borrow()
            .as_ref()
            .is_some_and(|s| s.armed.get() && (s.active || s.touch))
    }
}

struct Session {
    pointer: i32,
    touch: bool,
    /// A mouse at once; a finger after the press delay.
    armed: Rc<Cell<bool>>,
    active: bool,
    start: (f64, f64),
    last: (f64, f64),
    card: HtmlElement,
    ghost: Option<HtmlElement>,
    deal: RecordId,
    name: String,
    zone: String,
    press: Option<TimeoutHandle>,
    scroll: Option<IntervalHandle>,
    speed: Rc<Cell<f64>>,
}

pub struct Handlers {
    pub down: Box<dyn FnMut(PointerEvent)>,
    pub moved: Box<dyn FnMut(PointerEvent)>,
    pub up: Box<dyn FnMut(PointerEvent)>,
    pub cancel: Box<dyn FnMut(PointerEvent)>,
}

pub fn handlers(ctx: BoardCtx, deal: RecordId, name: String, zone: String) -> Handlers {
    let session = ctx.drag.with_value(|d| d.session.clone());
    let down = {
        let session = session.clone();
        move |ev: PointerEvent| {
            if ev.button() != 0 || !ctx.ws.writable.get_untracked() || on_control(&ev) {
                return;
            }
            let Some(card) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<HtmlElement>().ok())
            else {
                return;
            };
            end(ctx, &session);
            let touch = ev.pointer_type() == "touch";
            let armed = Rc::new(Cell::new(!touch));
            let press = touch
                .then(|| {
                    let (armed, card) = (armed.clone(), card.clone());
                    set_timeout_with_handle(
                        move || {
                            armed.set(true);
                            let _ = card.class_list().add_1("deal-card--armed");
                        },
                        Duration::from_millis(PRESS_MS),
                    )
                    .ok()
                })
                .flatten();
            let at = (f64::from(ev.client_x()), f64::from(ev.client_y()));
            *session.borrow_mut() = Some(Session {
                pointer: ev.pointer_id(),
                touch,
                armed,
                active: false,
                start: at,
                last: at,
                card,
                ghost: None,
                deal: deal.clone(),
                name: name.clone(),
                zone: zone.clone(),
                press,
                scroll: None,
                speed: Rc::new(Cell::new(0.0)),
            });
        }
    };
    let moved = {
        let session = session.clone();
        move |ev: PointerEvent| {
            let at = (f64::from(ev.client_x()), f64::from(ev.client_y()));
            let mut guard = session.borrow_mut();
            let Some(s) = guard.as_mut().filter(|s| s.pointer == ev.pointer_id()) else {
                return;
            };
            if !s.active {
                let distance = (at.0 - s.start.0).hypot(at.1 - s.start.1);
                if !s.armed.get() {
                    if distance > TOUCH_SLOP {
                        // A swipe: the board scrolls; this press is not a drag.
                        drop(guard);
                        end(ctx, &session);
                    }
                    return;
                }
                if !s.touch && distance < MOUSE_SLOP {
                    return;
                }
                start(ctx, s, &ev);
            }
            ev.prevent_default();
            s.last = at;
            if let Some(ghost) = &s.ghost {
                let _ = ghost.style().set_property(
                    "transform",
                    &format!("translate({}px, {}px)", at.0 - s.start.0, at.1 - s.start.1),
                );
            }
            s.speed.set(edge_speed(ctx, at.0));
            hover_at(ctx, at);
        }
    };
    let up = {
        let session = session.clone();
        move |ev: PointerEvent| {
            let finished = {
                let guard = session.borrow();
                guard
                    .as_ref()
                    .filter(|s| s.pointer == ev.pointer_id() && s.active)
                    .map(|s| (s.deal.clone(), s.name.clone(), s.zone.clone()))
            };
            let target = ctx.hover.get_untracked();
            end(ctx, &session);
            let Some((deal, name, zone)) = finished else {
                return;
            };
            ctx.drag
                .with_value(|d| d.dropped_at.set(js_sys::Date::now()));
            match target {
                Some(target) if target != zone => {
                    ctx.live
                        .set(format!("Dropped {name} in {}", ctx.zone_label(&target)));
                    ctx.drop_on(deal, name, &target);
                }
                _ => {}
            }
        }
    };
    let cancel = move |_: PointerEvent| end(ctx, &session);
    Handlers {
        down: Box::new(down),
        moved: Box::new(moved),
        up: Box::new(up),
        cancel: Box::new(cancel),
    }
}

/// The drag begins: capture the pointer, float a ghost of the card, scroll near the edges.
fn start(ctx: BoardCtx, s: &mut Session, ev: &PointerEvent) {
    s.active = true;
    // Synthetic events (tests) have no active pointer to capture; that is fine.
    let _ = s.card.set_pointer_capture(ev.pointer_id());
    let rect = s.card.get_bounding_client_rect();
    if let Some(ghost) = s
        .card
        .clone_node_with_deep(true)
        .ok()
        .and_then(|n| n.dyn_into::<HtmlElement>().ok())
    {
        for attr in [
            "data-testid",
            "data-id",
            "tabindex",
            "aria-label",
            "aria-describedby",
        ] {
            let _ = ghost.remove_attribute(attr);
        }
        let _ = ghost.set_attribute("aria-hidden", "true");
        let _ = ghost.class_list().add_1("deal-card--ghost");
        let style = ghost.style();
        let _ = style.set_property("left", &format!("{}px", rect.left()));
        let _ = style.set_property("top", &format!("{}px", rect.top()));
        let _ = style.set_property("width", &format!("{}px", rect.width()));
        if let Some(body) = document().body() {
            let _ = body.append_child(&ghost);
        }
        s.ghost = Some(ghost);
    }
    let _ = s.card.class_list().add_1("deal-card--dragging");
    ctx.hover.set(Some(s.zone.clone()));
    ctx.live.set(format!("Dragging {}", s.name));
    let (speed, last) = (s.speed.clone(), Rc::new(Cell::new(s.last)));
    let session = ctx.drag.with_value(|d| d.session.clone());
    s.scroll = set_interval_with_handle(
        move || {
            let v = speed.get();
            if v == 0.0 {
                return;
            }
            if let Some(el) = ctx.scroller.get_untracked() {
                el.set_scroll_left(el.scroll_left() + v as i32);
            }
            let at = session
                .try_borrow()
                .ok()
                .and_then(|s| s.as_ref().map(|s| s.last))
                .unwrap_or_else(|| last.get());
            hover_at(ctx, at);
        },
        Duration::from_millis(16),
    )
    .ok();
}

/// Ends any press or drag: timers, ghost, classes, highlight.
fn end(ctx: BoardCtx, session: &Rc<RefCell<Option<Session>>>) {
    let Some(s) = session.borrow_mut().take() else {
        return;
    };
    if let Some(press) = s.press {
        press.clear();
    }
    if let Some(scroll) = s.scroll {
        scroll.clear();
    }
    if let Some(ghost) = s.ghost {
        ghost.remove();
    }
    let _ = s
        .card
        .class_list()
        .remove_2("deal-card--dragging", "deal-card--armed");
    let _ = s.card.release_pointer_capture(s.pointer);
    if s.active {
        ctx.hover.set(None);
    }
}

/// Highlights the drop zone under the pointer (only when it changes).
fn hover_at(ctx: BoardCtx, (x, y): (f64, f64)) {
    let zone = document()
        .element_from_point(x as f32, y as f32)
        .and_then(|el| el.closest("[data-drop]").ok().flatten())
        .and_then(|el| el.get_attribute("data-drop"));
    if zone.is_some() && ctx.hover.get_untracked() != zone {
        ctx.hover.set(zone);
    }
}

/// How fast the board scrolls by itself with the pointer at `x`: faster nearer the edge.
fn edge_speed(ctx: BoardCtx, x: f64) -> f64 {
    let Some(el) = ctx.scroller.get_untracked() else {
        return 0.0;
    };
    let rect = el.get_bounding_client_rect();
    if x < rect.left() + EDGE {
        -((rect.left() + EDGE - x) / EDGE * 16.0).min(16.0)
    } else if x > rect.right() - EDGE {
        ((x - (rect.right() - EDGE)) / EDGE * 16.0).min(16.0)
    } else {
        0.0
    }
}

fn on_control(ev: &PointerEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("select, option, button").ok().flatten())
        .is_some()
}

/// Once a finger holds a card, its moves drag the card instead of scrolling the page. That
/// needs a non-passive `touchmove` listener, which Leptos' delegated events are not.
pub fn install_touch_guard(ctx: BoardCtx) {
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(el) = ctx.scroller.get() else {
            return false;
        };
        let guard = Closure::<dyn Fn(web_sys::TouchEvent)>::new(move |ev: web_sys::TouchEvent| {
            if ctx.drag.try_with_value(|d| d.is_active()).unwrap_or(false) {
                ev.prevent_default();
            }
        });
        let options = web_sys::AddEventListenerOptions::new();
        options.set_passive(false);
        let _ = el.add_event_listener_with_callback_and_add_event_listener_options(
            "touchmove",
            guard.as_ref().unchecked_ref(),
            &options,
        );
        // Lives as long as the board's element (removed with it).
        guard.forget();
        true
    });
}
