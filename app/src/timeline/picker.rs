//! Choosing a record by typing its name: suggestions follow what is typed (a few at a time: a
//! workspace may hold 100k people); Enter or picking a suggestion adds it.

use kith_core::directory::ListQuery;
use kith_core::ids::RecordId;
use kith_core::record::RecordKind;
use leptos::prelude::*;

use crate::records::kind_noun;
use crate::workspace::Workspace;

const SUGGESTIONS: usize = 12;

/// A picked record: id, kind, name.
pub type Picked = (RecordId, RecordKind, String);

#[component]
pub fn RecordPicker(
    /// Kinds that can be picked.
    kinds: &'static [RecordKind],
    /// The input's id and `data-testid`.
    id: &'static str,
    label: &'static str,
    #[prop(into)] exclude: Signal<Vec<RecordId>>,
    on_pick: Callback<Picked>,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let suggestions = Memo::new(move |_| {
        let text = typed.get();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let exclude = exclude.get();
        ws.with_directory(|d| {
            kinds
                .iter()
                .flat_map(|kind| {
                    d.list(&ListQuery {
                        text: text.clone(),
                        ..ListQuery::all(*kind)
                    })
                    .into_iter()
                    .take(SUGGESTIONS)
                })
                .map(|i| d.at(i))
                .filter(|s| !s.name.is_empty() && !exclude.contains(&s.id))
                .take(SUGGESTIONS)
                .map(|s| {
                    let detail = s.primary_email().unwrap_or(kind_noun(s.kind)).to_string();
                    (s.id.clone(), s.name.clone(), detail)
                })
                .collect::<Vec<_>>()
        })
    });
    let pick = move |text: String| {
        let name = text.trim().to_string();
        if name.is_empty() {
            return;
        }
        let found = ws.with_directory(|d| {
            kinds
                .iter()
                .find_map(|kind| d.find_by_name(*kind, &name))
                .map(|s| (s.id.clone(), s.kind, s.name.clone()))
        });
        match found {
            Some(found) => {
                error.set(None);
                typed.set(String::new());
                on_pick.run(found);
            }
            None => {
                let nouns: Vec<&str> = kinds.iter().map(|k| kind_noun(*k)).collect();
                error.set(Some(format!("No {} named “{name}”.", nouns.join(" or "))));
            }
        }
    };
    let list_id = format!("{id}-choices");
    view! {
        <div class="picker">
            <label class="field__label" for=id>{label}</label>
            <div class="inline-form">
                <input
                    id=id
                    class="input"
                    list=list_id.clone()
                    autocomplete="off"
                    placeholder="Type a name"
                    data-testid=id
                    aria-invalid=move || error.read().is_some().to_string()
                    prop:value=typed
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        // Choosing a suggestion replaces the text at once (no `inputType` of a
                        // keystroke): take it. Typing a name that happens to match does not.
                        let input_type = js_sys::Reflect::get(&ev, &"inputType".into())
                            .ok()
                            .and_then(|t| t.as_string());
                        let replaced = input_type.is_none_or(|t| t == "insertReplacementText");
                        let chosen = replaced
                            && suggestions.with_untracked(|s| s.iter().any(|(_, n, _)| *n == value));
                        typed.set(value.clone());
                        if chosen {
                            pick(value);
                        }
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            pick(typed.get_untracked());
                        }
                    }
                />
                <button type="button" class="button button--small" on:click=move |_| pick(typed.get_untracked())>
                    "Add"
                </button>
            </div>
            <datalist id=list_id>
                {move || suggestions.get().into_iter().map(|(_, name, detail)| view! {
                    <option value=name>{detail}</option>
                }).collect_view()}
            </datalist>
            {move || error.get().map(|m| view! { <p class="field__error" role="alert">{m}</p> })}
        </div>
    }
}
