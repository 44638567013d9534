//! The count of the user's overdue tasks beside "Tasks" in the navigation, mirrored on the
//! installed app's icon. It lives in the shell for the whole session, so it also runs the
//! reminders.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::{clock, reminders};
use crate::workspace::Workspace;

#[component]
pub fn OverdueBadge() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let tick = reminders::start(ws);
    let count = Memo::new(move |_| {
        tick.track();
        let now = clock::now();
        super::my_open_due(ws)
            .iter()
            .filter(|(_, _, due, _)| *due < now)
            .count()
    });
    Effect::new(move |_| set_app_badge(count.get()));
    let label = move || match count.get() {
        1 => "1 overdue task".to_string(),
        n => format!("{n} overdue tasks"),
    };
    view! {
        <span
            class="nav__badge"
            role="img"
            data-testid="overdue-badge"
            aria-label=label
            title=label
            hidden=move || count.get() == 0
        >
            {move || count.get().to_string()}
        </span>
    }
}

/// The number on the installed app's icon (Badging API), where the browser has it.
fn set_app_badge(count: usize) {
    let navigator: JsValue = window().navigator().into();
    let name = if count > 0 {
        "setAppBadge"
    } else {
        "clearAppBadge"
    };
    let Ok(method) = js_sys::Reflect::get(&navigator, &name.into()) else {
        return;
    };
    let Some(method) = method.dyn_ref::<js_sys::Function>() else {
        return;
    };
    let result = if count > 0 {
        method.call1(&navigator, &(count as f64).into())
    } else {
        method.call0(&navigator)
    };
    // It answers with a promise that fails where badges are not allowed; nothing to do then.
    if let Ok(promise) = result.and_then(|p| p.dyn_into::<js_sys::Promise>()) {
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}
