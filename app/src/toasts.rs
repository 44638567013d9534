//! Short messages at the bottom of the screen, some with an Undo.

use std::sync::Arc;

use leptos::prelude::*;

/// How long a message stays, in ms.
const SHOW_FOR_MS: u64 = 10_000;

#[derive(Clone)]
struct Toast {
    id: u64,
    message: String,
    undo: Option<Arc<dyn Fn() + Send + Sync>>,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    pub fn new() -> Self {
        Self {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    /// A message without an action.
    pub fn show(&self, message: String) {
        self.push(message, None);
    }

    pub fn show_with_undo(&self, message: String, undo: impl Fn() + Send + Sync + 'static) {
        self.push(message, Some(Arc::new(undo)));
    }

    fn push(&self, message: String, undo: Option<Arc<dyn Fn() + Send + Sync>>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| l.push(Toast { id, message, undo }));
        let list = self.list;
        set_timeout(
            move || list.update(|l| l.retain(|t| t.id != id)),
            std::time::Duration::from_millis(SHOW_FOR_MS),
        );
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.list.get() key=|t| t.id let(toast)>
                <div class="toast" data-testid="toast">
                    <span>{toast.message.clone()}</span>
                    {toast.undo.clone().map(|undo| view! {
                        <button type="button" class="button button--small" data-testid="toast-undo" on:click=move |_| {
                            undo();
                            toasts.dismiss(toast.id);
                        }>"Undo"</button>
                    })}
                </div>
            </For>
        </div>
    }
}
