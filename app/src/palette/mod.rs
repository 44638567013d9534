//! Keyboard-first navigation: the command palette (Ctrl/Cmd+K) and the shortcuts list (`?`).

mod shortcuts;

pub use shortcuts::ShortcutsHelp;

use kith_core::directory::ListQuery;
use kith_core::record::RecordKind;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use crate::records::{kind_noun, record_path};
use crate::shell::Section;
use crate::workspace::Workspace;

/// Records of each kind listed per search.
const PER_KIND: usize = 5;
/// The event that opens the shortcuts help (from the palette's command).
const SHOW_SHORTCUTS: &str = "kith-show-shortcuts";

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Path(String),
    Shortcuts,
}

#[derive(Debug, Clone, PartialEq)]
struct Item {
    label: String,
    kind: &'static str,
    target: Target,
}

fn commands() -> Vec<Item> {
    let command = |label: String, target| Item {
        label,
        kind: "Command",
        target,
    };
    let mut items = vec![
        command("New person".into(), Target::Path("/people/new".into())),
        command("New company".into(), Target::Path("/companies/new".into())),
        command("New deal".into(), Target::Path("/deals/new".into())),
        command("New task".into(), Target::Path("/tasks/new".into())),
    ];
    items.extend(Section::ALL.iter().map(|s| {
        command(
            format!("Go to {}", s.label()),
            Target::Path(s.path().into()),
        )
    }));
    items.push(command("Show keyboard shortcuts".into(), Target::Shortcuts));
    items
}

/// Mounted once by the shell; opens on Ctrl/Cmd+K from anywhere, and each time `requests`
/// changes (the shell's search button).
#[component]
pub fn CommandPalette(#[prop(optional, into)] requests: Option<Signal<u32>>) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    let input = NodeRef::<leptos::html::Input>::new();
    // Where focus was before opening: it goes back there on close.
    let before = StoredValue::new_local(None::<web_sys::HtmlElement>);

    let show = move || {
        if open.get_untracked() {
            return;
        }
        before.set_value(
            document()
                .active_element()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
        );
        query.set(String::new());
        active.set(0);
        open.set(true);
    };
    let close = move || {
        open.set(false);
        if let Some(el) = before.get_value() {
            let _ = el.focus();
        }
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("k") {
            ev.prevent_default();
            if open.get_untracked() {
                close();
            } else {
                show();
            }
        }
    });
    on_cleanup(move || keys.remove());
    if let Some(requests) = requests {
        Effect::new(move |previous: Option<u32>| {
            let n = requests.get();
            if previous.is_some_and(|p| p != n) {
                show();
            }
            n
        });
    }
    Effect::new(move |_| {
        if open.get()
            && let Some(el) = input.get()
        {
            let _ = el.focus();
        }
    });

    let results = Memo::new(move |_| {
        let text = query.get();
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        let mut items = Vec::new();
        if !words.is_empty() {
            ws.with_directory(|d| {
                for kind in [
                    RecordKind::Person,
                    RecordKind::Company,
                    RecordKind::Deal,
                    RecordKind::Task,
                    RecordKind::Activity,
                ] {
                    let hits = d.list(&ListQuery {
                        text: text.clone(),
                        ..ListQuery::all(kind)
                    });
                    items.extend(hits.into_iter().take(PER_KIND).map(|i| {
                        let s = d.at(i);
                        Item {
                            label: if s.name.is_empty() {
                                "(no name)".into()
                            } else {
                                s.name.clone()
                            },
                            kind: kind_noun(kind),
                            target: Target::Path(record_path(kind, &s.id)),
                        }
                    }));
                }
            });
        }
        items.extend(commands().into_iter().filter(|c| {
            let label = c.label.to_lowercase();
            words.iter().all(|w| label.contains(w.as_str()))
        }));
        items
    });

    let run = move |item: Item| {
        open.set(false);
        match item.target {
            Target::Path(path) => navigate(&path, Default::default()),
            Target::Shortcuts => {
                if let Ok(event) = web_sys::Event::new(SHOW_SHORTCUTS) {
                    let _ = window().dispatch_event(&event);
                }
            }
        }
    };
    let on_key = {
        let run = run.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let count = results.with_untracked(Vec::len);
            match ev.key().as_str() {
                "ArrowDown" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = (*a + 1) % count);
                }
                "ArrowUp" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = (*a + count - 1) % count);
                }
                "Enter" => {
                    ev.prevent_default();
                    let item = results.with_untracked(|r| r.get(active.get_untracked()).cloned());
                    if let Some(item) = item {
                        run(item);
                    }
                }
                "Escape" => {
                    ev.prevent_default();
                    ev.stop_propagation();
                    close();
                }
                // The input is the dialog's only focusable element: focus stays in it.
                "Tab" => ev.prevent_default(),
                _ => {}
            }
        }
    };

    view! {
        <Show when=move || open.get()>
            <div class="overlay" on:mousedown=move |_| close()></div>
            <div class="palette" role="dialog" aria-modal="true" aria-label="Command palette" data-testid="palette">
                <label class="visually-hidden" for="palette-input">"Search records or type a command"</label>
                <input
                    id="palette-input"
                    class="input palette__input"
                    type="text"
                    role="combobox"
                    aria-expanded="true"
                    aria-controls="palette-results"
                    aria-autocomplete="list"
                    aria-activedescendant=move || {
                        (!results.with(Vec::is_empty)).then(|| format!("palette-option-{}", active.get()))
                    }
                    placeholder="Search people, companies, deals, tasks… or type a command"
                    autocomplete="off"
                    data-testid="palette-input"
                    node_ref=input
                    prop:value=query
                    on:input=move |ev| {
                        query.set(event_target_value(&ev));
                        active.set(0);
                    }
                    on:keydown=on_key.clone()
                />
                <ul class="palette__results" id="palette-results" role="listbox" aria-label="Results">
                    {
                        let run = run.clone();
                        move || {
                            let run = run.clone();
                            results.get().into_iter().enumerate().map(move |(i, item)| {
                                let run = run.clone();
                                let chosen = item.clone();
                                view! {
                                    <li
                                        id=format!("palette-option-{i}")
                                        class="palette__result"
                                        class:palette__result--active=move || active.get() == i
                                        role="option"
                                        aria-selected=move || (active.get() == i).to_string()
                                        data-testid="palette-result"
                                        // Keep focus in the input; the click chooses.
                                        on:mousedown=|ev| ev.prevent_default()
                                        on:mousemove=move |_| if active.get_untracked() != i { active.set(i) }
                                        on:click=move |_| run(chosen.clone())
                                    >
                                        <span class="palette__kind">{item.kind}</span>
                                        <span class="palette__label">{item.label}</span>
                                    </li>
                                }
                            }).collect_view()
                        }
                    }
                    <li class="palette__empty muted" role="presentation" hidden=move || !results.with(Vec::is_empty)>"Nothing matches."</li>
                </ul>
            </div>
        </Show>
    }
}
