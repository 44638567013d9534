//! Reminders while the app is open: every 30 s, and whenever tasks change, the user's open
//! tasks that became due since the last check are announced once: a system notification when
//! the user allowed them, otherwise a message in the app. Permission is asked only from the
//! "Turn on reminders" button, never on load.

use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use super::{clock, logic};
use crate::toasts::Toasts;
use crate::workspace::{Phase, Workspace};

/// How often due times are checked while nothing changes.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);
const CHECK_EVERY_MS: i64 = 30_000;

/// What the browser says about notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// No Notifications API here: reminders show in the app.
    Unsupported,
    Default,
    Granted,
    Denied,
}

pub fn permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => Permission::Granted,
        web_sys::NotificationPermission::Denied => Permission::Denied,
        _ => Permission::Default,
    }
}

fn supported() -> bool {
    js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false)
}

/// Asks for permission (must come from a click) and resolves to the answer.
pub async fn request_permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    if let Ok(promise) = web_sys::Notification::request_permission() {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    permission()
}

/// Starts checking for due tasks for as long as the calling component lives. The returned
/// signal ticks at every check (every 30 s, and when a task comes due).
pub fn start(ws: Workspace) -> ReadSignal<u64> {
    let toasts = expect_context::<Toasts>();
    let navigate = use_navigate();
    let open_task = move |id: &str| navigate(&format!("/tasks/{id}"), Default::default());
    let tick = RwSignal::new(0u64);
    if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), CHECK_EVERY) {
        on_cleanup(move || handle.clear());
    }
    // Due times before the app opened are not announced: the overdue badge shows those.
    let last_check = StoredValue::new(clock::now());
    let key = format!(
        "kith.reminded.{}",
        crate::session::active_workspace().database()
    );
    Effect::new(move |_| {
        tick.track();
        if ws.phase.get() != Phase::Ready {
            return;
        }
        let tasks = super::my_open_due(ws);
        let now = clock::now();
        let mut reminded = load(&key);
        let due: Vec<String> = logic::due_reminders(
            tasks.iter().map(|(id, _, due, _)| (id.as_str(), *due)),
            last_check.get_value(),
            now,
            &reminded,
        )
        .into_iter()
        .map(str::to_owned)
        .collect();
        last_check.set_value(now);
        // A due time before the next regular check gets a check of its own, on time.
        if let Some(wait) = logic::next_wait(tasks.iter().map(|t| t.2), now, CHECK_EVERY_MS) {
            set_timeout(
                move || {
                    tick.try_update(|t| *t += 1);
                },
                Duration::from_millis(wait as u64 + 20),
            );
        }
        if due.is_empty() {
            return;
        }
        for (id, name, due_at, links) in tasks.iter().filter(|t| due.contains(&t.0.to_string())) {
            let about = ws.with_directory(|d| {
                links
                    .iter()
                    .filter_map(|l| d.get(l))
                    .map(|s| super::display(&s.name))
                    .next()
            });
            let body = match about {
                Some(about) => format!("Due {} · {about}", clock::time_of_day(*due_at)),
                None => format!("Due {}", clock::time_of_day(*due_at)),
            };
            let title = super::display(name);
            if !notify(&title, &body, id.as_str(), open_task.clone()) {
                toasts.show(format!("Reminder: {title} — {body}"));
            }
            logic::remember(&mut reminded, id.as_str(), *due_at);
        }
        save(&key, &reminded);
    });
    tick.read_only()
}

/// Shows a system notification; false when it cannot (no permission, no API, or the browser
/// only allows them from a service worker).
fn notify(title: &str, body: &str, id: &str, open: impl Fn(&str) + 'static) -> bool {
    if permission() != Permission::Granted {
        return false;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    // One notification per task: a newer one replaces it.
    options.set_tag(&format!("kith-task-{id}"));
    let Ok(notification) = web_sys::Notification::new_with_options(title, &options) else {
        // Chrome on Android allows notifications only through the service worker, which
        // opens the task when the notification is tapped (public/sw.js).
        return notify_through_worker(title, body, id);
    };
    let id = id.to_owned();
    let shown = notification.clone();
    let on_click = Closure::<dyn FnMut()>::new(move || {
        let _ = window().focus();
        open(&id);
        shown.close();
    });
    notification.set_onclick(Some(on_click.into_js_value().unchecked_ref()));
    true
}

/// `registration.showNotification(…)` once the service worker is ready; false when the page
/// has no service worker.
fn notify_through_worker(title: &str, body: &str, id: &str) -> bool {
    use js_sys::{Function, Object, Promise, Reflect};
    let Ok(container) = Reflect::get(&window().navigator(), &"serviceWorker".into()) else {
        return false;
    };
    if container.is_undefined() {
        return false;
    }
    let Ok(ready) = Reflect::get(&container, &"ready".into()) else {
        return false;
    };
    let options = Object::new();
    let data = Object::new();
    let set = |on: &Object, key: &str, value: &str| {
        let _ = Reflect::set(on, &key.into(), &value.into());
    };
    set(&options, "body", body);
    set(&options, "tag", &format!("kith-task-{id}"));
    set(&data, "url", &format!("/tasks/{id}"));
    let _ = Reflect::set(&options, &"data".into(), &data);
    let title = title.to_owned();
    leptos::task::spawn_local(async move {
        let Ok(registration) = wasm_bindgen_futures::JsFuture::from(Promise::from(ready)).await
        else {
            return;
        };
        if let Ok(show) = Reflect::get(&registration, &"showNotification".into())
            .and_then(|f| f.dyn_into::<Function>())
        {
            let _ = show.call2(&registration, &title.into(), &options);
        }
    });
    true
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn load(key: &str) -> HashMap<String, i64> {
    storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn save(key: &str, reminded: &HashMap<String, i64>) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(reminded)) {
        let _ = storage.set_item(key, &text);
    }
}

/// "Turn on reminders", and what the browser answered.
#[component]
pub fn RemindersControl() -> impl IntoView {
    let state = RwSignal::new(permission());
    let asked = RwSignal::new(false);
    let ask = move |_| {
        leptos::task::spawn_local(async move {
            let answer = request_permission().await;
            asked.set(true);
            state.set(answer);
        });
    };
    view! {
        <div class="reminders" data-testid="reminders">
            {move || match state.get() {
                Permission::Granted => view! {
                    <p class="reminders__status success" role="status" data-testid="reminders-status">
                        "Reminders are on: a notification appears when one of your tasks is due while Kith is open."
                    </p>
                }.into_any(),
                Permission::Denied => view! {
                    <p class="reminders__status" role="status" data-testid="reminders-status">
                        <strong>"Notifications are blocked for Kith."</strong>
                        " Reminders show inside the app instead. To allow them, open the site settings (the icon left of the address) → Notifications → Allow, then reload."
                    </p>
                }.into_any(),
                Permission::Unsupported => view! {
                    <p class="reminders__status muted" role="status" data-testid="reminders-status">
                        "This browser cannot show notifications: reminders show inside the app while it is open."
                    </p>
                }.into_any(),
                Permission::Default => view! {
                    <p class="reminders__status muted" data-testid="reminders-status">
                        {move || if asked.get() { "Not decided yet. " } else { "" }}
                        "Get a notification when one of your tasks is due while Kith is open."
                    </p>
                    <button type="button" class="button button--small" data-testid="reminders-enable" on:click=ask>
                        "Turn on reminders"
                    </button>
                }.into_any(),
            }}
        </div>
    }
}
