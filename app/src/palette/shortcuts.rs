//! Single-key shortcuts (never while typing in a field) and the `?` dialog listing them.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use super::SHOW_SHORTCUTS;
use crate::shell::Section;

/// How long after `g` the second key of a "go to" may come, in ms.
const SEQUENCE_MS: f64 = 1_500.0;

const LIST: &[(&str, &str)] = &[
    (
        "Ctrl K / ⌘ K",
        "Command palette: find any record, run a command",
    ),
    ("g then l", "Go to Leads"),
    ("g then p", "Go to People"),
    ("g then c", "Go to Companies"),
    ("g then d", "Go to Deals"),
    ("g then t", "Go to Tasks"),
    ("g then s", "Go to Settings"),
    ("n", "New record in this section"),
    ("/", "Search this list"),
    ("?", "Show these shortcuts"),
    ("Esc", "Close a dialog"),
];

/// Whether a key press belongs to a field being typed in.
fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return false;
    };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.is_content_editable()
}

/// Mounted once by the shell; opens on `?` and handles every single-key shortcut.
#[component]
pub fn ShortcutsHelp() -> impl IntoView {
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let pending_g = StoredValue::new(None::<f64>);
    let close_button = NodeRef::<leptos::html::Button>::new();
    let before = StoredValue::new_local(None::<web_sys::HtmlElement>);

    let show = move || {
        before.set_value(
            document()
                .active_element()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
        );
        open.set(true);
    };
    let close = move || {
        open.set(false);
        if let Some(el) = before.get_value() {
            let _ = el.focus();
        }
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.default_prevented() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        if open.get_untracked() {
            if ev.key() == "Escape" {
                ev.prevent_default();
                close();
            }
            return;
        }
        if ev.key() == "Escape" && close_menu() {
            ev.prevent_default();
            return;
        }
        if typing(&ev) {
            return;
        }
        let now = js_sys::Date::now();
        let after_g = pending_g
            .get_value()
            .is_some_and(|at| now - at < SEQUENCE_MS);
        pending_g.set_value(None);
        let key = ev.key();
        if after_g {
            let section = match key.as_str() {
                "l" => Some(Section::Leads),
                "p" => Some(Section::People),
                "c" => Some(Section::Companies),
                "d" => Some(Section::Deals),
                "t" => Some(Section::Tasks),
                "s" => Some(Section::Settings),
                _ => None,
            };
            if let Some(section) = section {
                ev.prevent_default();
                navigate(section.path(), Default::default());
                return;
            }
        }
        match key.as_str() {
            "g" => pending_g.set_value(Some(now)),
            "?" => {
                ev.prevent_default();
                show();
            }
            "/" => {
                if let Some(el) = first("[data-testid=list-search]") {
                    ev.prevent_default();
                    let _ = el.focus();
                }
            }
            "n" => {
                ev.prevent_default();
                new_record(&navigate);
            }
            _ => {}
        }
    });
    let asked = window_event_listener_untyped(SHOW_SHORTCUTS, move |_| show());
    on_cleanup(move || {
        keys.remove();
        asked.remove();
    });
    Effect::new(move |_| {
        if open.get()
            && let Some(el) = close_button.get()
        {
            let _ = el.focus();
        }
    });

    view! {
        <Show when=move || open.get()>
            <div class="overlay" on:mousedown=move |_| close()></div>
            <div class="palette shortcuts" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts-help"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Tab" { ev.prevent_default() }>
                <h2 id="shortcuts-title" class="shortcuts__title">"Keyboard shortcuts"</h2>
                <dl class="shortcuts__list">
                    {LIST.iter().map(|(keys, what)| view! {
                        <div class="shortcuts__row">
                            <dt>
                                {keys.split(" then ").enumerate().map(|(i, k)| view! {
                                    {(i > 0).then_some(" then ")}
                                    <kbd>{k}</kbd>
                                }).collect_view()}
                            </dt>
                            <dd>{*what}</dd>
                        </div>
                    }).collect_view()}
                </dl>
                <p class="muted">"Single-key shortcuts do nothing while you type in a field."</p>
                <button type="button" class="button" data-testid="shortcuts-close" node_ref=close_button on:click=move |_| close()>"Close"</button>
            </div>
        </Show>
    }
}

/// Escape closes an open toolbar menu (a `<details>`), focus back on its button.
fn close_menu() -> bool {
    let Some(menu) = document()
        .query_selector("details.menu[open]")
        .ok()
        .flatten()
    else {
        return false;
    };
    let _ = menu.remove_attribute("open");
    if let Ok(Some(summary)) = menu.query_selector("summary") {
        let _ = summary.unchecked_into::<web_sys::HtmlElement>().focus();
    }
    true
}

fn first(selector: &str) -> Option<web_sys::HtmlElement> {
    document()
        .query_selector(selector)
        .ok()
        .flatten()
        .map(|e| e.unchecked_into())
}

/// `n`: the page's own "New" button when it has one, else the section's create page.
fn new_record(navigate: &impl Fn(&str, leptos_router::NavigateOptions)) {
    if let Some(button) = first("[data-testid=new-record]") {
        button.click();
        return;
    }
    let path = window().location().pathname().unwrap_or_default();
    let target = if path.starts_with("/deals") {
        "/deals/new"
    } else if path.starts_with("/companies") {
        "/companies/new"
    } else if path.starts_with("/settings") {
        return;
    } else if path.starts_with("/tasks") {
        "/tasks/new"
    } else {
        "/people/new"
    };
    navigate(target, Default::default());
}
