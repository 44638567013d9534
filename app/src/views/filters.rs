//! The filter bar: conditions on the list's fields, all of which must match.

use std::collections::BTreeSet;

use kith_core::view::{Condition, FieldType, Lookup, ME, Op, ViewField};
use leptos::prelude::*;

use super::ListState;
use crate::workspace::Workspace;

/// Adds a condition (on the name; the user picks the field next).
#[component]
pub fn FilterButton(state: ListState) -> impl IntoView {
    view! {
        <button
            type="button"
            class="button button--small"
            data-testid="filter-add"
            on:click=move |_| {
                state.spec.update(|s| s.filters.push(Condition::new(ViewField::Name)));
                // Focus the new row's field so the keyboard user goes on from there.
                request_animation_frame(|| {
                    if let Ok(Some(el)) = document().query_selector("[data-testid=filter-row]:last-child [data-testid=filter-field]") {
                        let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(el).focus();
                    }
                });
            }
        >
            "+ Filter"
        </button>
    }
}

/// The conditions, one row each; hidden while there are none.
#[component]
pub fn FilterBar(state: ListState) -> impl IntoView {
    let count = Memo::new(move |_| state.spec.with(|s| s.filters.len()));
    view! {
        <div class="filter-bar" role="group" aria-label="Filters" data-testid="filter-bar" hidden=move || count.get() == 0>
            <For each=move || 0..count.get() key=|i| *i let(i)>
                <FilterRow state i/>
            </For>
        </div>
    }
}

#[component]
fn FilterRow(state: ListState, i: usize) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let kind = state.kind;
    let condition = move || state.spec.with(|s| s.filters.get(i).cloned());
    let shape = Memo::new(move |_| condition().map(|c| (c.field, c.op)));
    let update = move |f: &dyn Fn(&mut Condition)| {
        state.spec.update(|s| {
            if let Some(c) = s.filters.get_mut(i) {
                f(c);
            }
        })
    };
    let problem = Memo::new(move |_| condition().and_then(|c| c.problem()));
    let n = i + 1;
    let problem_id = format!("filter-problem-{kind:?}-{i}");
    view! {
        <div class="filter-row" data-testid="filter-row">
            <span class="filter-row__and" aria-hidden="true">{if i == 0 { "Where" } else { "and" }}</span>
            <select
                class="input input--small"
                data-testid="filter-field"
                aria-label=format!("Filter {n}: field")
                on:change=move |ev| {
                    if let Some(field) = ViewField::parse(&event_target_value(&ev)) {
                        update(&|c| *c = Condition::new(field));
                    }
                }
            >
                {ViewField::for_kind(kind).iter().map(|&f| view! {
                    <option value=f.key() selected=move || shape.get().map(|s| s.0) == Some(f)>{f.label()}</option>
                }).collect_view()}
            </select>
            {move || shape.get().map(|(field, _)| view! {
                <select
                    class="input input--small"
                    data-testid="filter-op"
                    aria-label=format!("Filter {n}: comparison")
                    on:change=move |ev| {
                        if let Some(op) = Op::parse(&event_target_value(&ev)) {
                            update(&|c| c.op = op);
                        }
                    }
                >
                    {Op::for_type(field.field_type()).iter().map(|&op| view! {
                        <option value=op.key() selected=move || shape.get().map(|s| s.1) == Some(op)>
                            {op.label(field.field_type())}
                        </option>
                    }).collect_view()}
                </select>
            })}
            {let problem_id = problem_id.clone(); move || shape.get().filter(|(_, op)| op.takes_value()).map(|(field, _)| {
                let value = move || condition().map(|c| c.value).unwrap_or_default();
                let set = move |ev: leptos::ev::Event| {
                    let v = event_target_value(&ev);
                    update(&|c| c.value = v.clone());
                };
                let label = format!("Filter {n}: value");
                let described = problem_id.clone();
                match field.field_type() {
                    FieldType::Choice | FieldType::Owner => {
                        let options = choices(ws, kind, field);
                        view! {
                            <select class="input input--small" data-testid="filter-value" aria-label=label
                                aria-describedby=described
                                prop:value=value on:change=set>
                                <option value="">"Choose…"</option>
                                {options.into_iter().map(|(v, l)| view! { <option value=v.clone() selected=move || value() == v>{l}</option> }).collect_view()}
                            </select>
                        }.into_any()
                    }
                    FieldType::Date => view! {
                        <input type="date" class="input input--small" data-testid="filter-value" aria-label=label
                            aria-describedby=described prop:value=value on:input=set on:change=set/>
                    }.into_any(),
                    t => view! {
                        <input type="text" class="input input--small" data-testid="filter-value" aria-label=label
                            aria-describedby=described
                            inputmode=if t == FieldType::Number { "decimal" } else { "text" }
                            autocomplete="off"
                            prop:value=value on:input=set/>
                    }.into_any(),
                }
            })}
            <button
                type="button"
                class="icon-button"
                data-testid="filter-remove"
                aria-label=format!("Remove filter {n}")
                on:click=move |_| state.spec.update(|s| {
                    if i < s.filters.len() {
                        s.filters.remove(i);
                    }
                })
            >
                "×"
            </button>
            <span class="field-error filter-row__problem" id=problem_id data-testid="filter-problem" hidden=move || problem.read().as_deref().is_none_or(|p| p == "Choose a value")>
                {move || problem.get()}
            </span>
        </div>
    }
}

/// The values offered for a choice or owner condition: stored value and label.
fn choices(
    ws: Workspace,
    kind: kith_core::record::RecordKind,
    field: ViewField,
) -> Vec<(String, String)> {
    if field.field_type() != FieldType::Owner {
        return ws.with_directory(|d| field.choices(kind, &Lookup::new(d)));
    }
    let me = super::me(ws);
    let owners: BTreeSet<String> = ws.with_directory(|d| {
        d.of_kind(kind)
            .filter(|s| !s.owner.is_empty() && s.owner != me)
            .map(|s| s.owner.clone())
            .collect()
    });
    std::iter::once((ME.to_string(), "Me".to_string()))
        .chain(owners.into_iter().map(|o| {
            let name = crate::account::display_name(&o);
            (o, name)
        }))
        .collect()
}
