//! The people a deal is linked to: open, unlink, and a search over the directory to link more.

use kith_core::directory::ListQuery;
use kith_core::ids::RecordId;
use kith_core::record::RecordKind;
use leptos::prelude::*;

use super::name_or_placeholder;
use crate::records::{FieldError, RecordScope, record_path};

/// Suggestions shown at most while searching.
const SUGGESTIONS: usize = 8;

#[component]
pub fn DealPeople() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let ws = scope.ws;
    let linked = Memo::new(move |_| {
        let ids: Vec<RecordId> = scope
            .read(|r| {
                r.links()
                    .into_iter()
                    .filter(|l| l.kind == RecordKind::Person)
                    .map(|l| l.id)
                    .collect()
            })
            .unwrap_or_default();
        ws.with_directory(|d| {
            ids.into_iter()
                .map(|id| {
                    let name = d
                        .get(&id)
                        .map(|s| name_or_placeholder(&s.name))
                        .unwrap_or_else(|| "(not on this device)".into());
                    (id, name)
                })
                .collect::<Vec<_>>()
        })
    });
    let text = RwSignal::new(String::new());
    let suggestions = Memo::new(move |_| {
        let text = text.get();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let taken = linked.get();
        ws.with_directory(|d| {
            d.list(&ListQuery {
                text,
                ..ListQuery::all(RecordKind::Person)
            })
            .into_iter()
            .map(|i| d.at(i))
            .filter(|s| !taken.iter().any(|(id, _)| *id == s.id))
            .take(SUGGESTIONS)
            .map(|s| {
                (
                    s.id.clone(),
                    name_or_placeholder(&s.name),
                    s.primary_email().unwrap_or_default().to_string(),
                )
            })
            .collect::<Vec<_>>()
        })
    });
    let error = RwSignal::new(None::<String>);
    view! {
        <section class="card card--wide" aria-labelledby="deal-people-title" data-testid="deal-people">
            <h2 class="card__title" id="deal-people-title">{move || format!("People ({})", linked.read().len())}</h2>
            <ul class="link-list">
                <For each=move || linked.get() key=|p| p.clone() let((id, name))>
                    {
                        let unlink_id = id.clone();
                        view! {
                            <li data-testid="deal-person">
                                <a href=record_path(RecordKind::Person, &id)>{name.clone()}</a>
                                <button type="button" class="button button--small button--quiet" aria-label=format!("Unlink {name}") data-testid="deal-person-unlink"
                                    on:click=move |_| { let id = unlink_id.clone(); scope.apply(error, move |e| e.unlink(&id)); }>"Unlink"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <div class="field">
                <label class="field__label" for="deal-people-search">"Link a person"</label>
                <input id="deal-people-search" class="input" type="search" placeholder="Search people by name or email" data-testid="deal-people-search"
                    autocomplete="off" prop:value=text on:input=move |ev| text.set(event_target_value(&ev))/>
            </div>
            {move || {
                let found = suggestions.get();
                (!found.is_empty()).then(|| view! {
                    <ul class="deal-people__suggestions" aria-label="Matching people">
                        {found.into_iter().map(|(id, name, email)| view! {
                            <li>
                                <button type="button" class="button button--small" data-testid="deal-people-add"
                                    on:click=move |_| {
                                        let id = id.clone();
                                        scope.apply_then(error, move |e| e.link(&id, RecordKind::Person), move || text.set(String::new()));
                                    }>
                                    {format!("Link {name}")}
                                </button>
                                <span class="muted">{email}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })
            }}
            <FieldError error/>
        </section>
    }
}
