//! The deal page's own editors (amount, probability, close date, pipeline and stage, owner,
//! status): each commits one change and shows a refusal next to the field, keeping the text.

use kith_core::pipeline::{default_pipeline_id, format_amount, parse_amount};
use kith_core::record::{DealStatus, Field, Record};
use leptos::prelude::*;

use super::{Pipeline, pipelines};
use crate::account::display_name;
use crate::records::{ConflictNote, FieldError, RecordScope};
use crate::tasks::{Me, assignees};

/// The deal's pipeline (its own when it still exists, else the default one).
pub fn deal_pipeline(record: &Record, all: &[Pipeline]) -> Pipeline {
    record
        .text(Field::PipelineId)
        .and_then(|id| all.iter().find(|p| p.id.as_str() == id))
        .unwrap_or(&all[0])
        .clone()
}

/// Amount typed as "12,500" or "12500.50", stored in minor units, shown grouped.
pub fn show_amount(stored: &str) -> String {
    stored
        .parse::<i64>()
        .map(|minor| format_amount(minor, ""))
        .unwrap_or_default()
}

pub fn store_amount(typed: &str) -> Result<String, String> {
    if typed.trim().is_empty() {
        return Ok(String::new());
    }
    parse_amount(typed).map(|m| m.to_string())
}

/// A scalar field as an input, converted both ways.
#[component]
pub fn DealInput(
    field: Field,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] inputmode: &'static str,
    #[prop(into, optional)] placeholder: Signal<String>,
    #[prop(default = |s: &str| s.to_string())] show: fn(&str) -> String,
    #[prop(default = |s: &str| Ok(s.to_string()))] store: fn(&str) -> Result<String, String>,
) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let saved = Memo::new(move |_| {
        scope
            .read(|r| show(&r.text(field).unwrap_or_default()))
            .unwrap_or_default()
    });
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<leptos::html::Input>::new();
    // Follows the saved value, except while someone is typing in it.
    Effect::new(move |_| {
        let value = saved.get();
        if let Some(el) = input.get() {
            let focused = document().active_element().is_some_and(|a| a == **el);
            if !focused && el.value() != value {
                el.set_value(&value);
            }
        }
    });
    let id = format!("field-{}", field.key());
    view! {
        <div class="field" class:field--invalid=move || error.read().is_some()>
            <label class="field__label" for=id.clone()>{field.label()}</label>
            <input id=id.clone() class="input" type=input_type inputmode=inputmode data-testid=id node_ref=input
                placeholder=move || placeholder.get()
                aria-invalid=move || error.read().is_some().to_string()
                on:change=move |ev| {
                    let typed = event_target_value(&ev);
                    match store(&typed) {
                        Err(message) => error.set(Some(message)),
                        Ok(value) => {
                            let input = input.get_untracked();
                            let shown = value.clone();
                            scope.apply_then(error, move |e| e.set(field, &value), move || {
                                if let Some(el) = input {
                                    el.set_value(&show(&shown));
                                }
                            });
                        }
                    }
                }
                on:keydown=move |ev| if ev.key() == "Escape" {
                    let el: web_sys::HtmlInputElement = event_target(&ev);
                    el.set_value(&saved.get_untracked());
                    error.set(None);
                }/>
            <ConflictNote field/>
            <FieldError error/>
        </div>
    }
}

/// Pipeline and stage: moving to another pipeline puts the deal in its first stage.
#[component]
pub fn PipelineStage() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let all = Memo::new(move |_| pipelines(scope.ws));
    let pipeline = Memo::new(move |_| all.with(|all| scope.read(|r| deal_pipeline(r, all))));
    let stage = Memo::new(move |_| {
        scope
            .read(|r| r.text(Field::DealStage).unwrap_or_default())
            .unwrap_or_default()
    });
    let unknown = Memo::new(move |_| {
        pipeline.with(|p| p.as_ref().is_some_and(|p| p.stage(&stage.read()).is_none()))
    });
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="field-row">
            <div class="field">
                <label class="field__label" for="deal-pipeline">"Pipeline"</label>
                <select id="deal-pipeline" class="input" data-testid="deal-pipeline"
                    prop:value=move || pipeline.read().as_ref().map(|p| p.id.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        let Some(p) = all.with_untracked(|all| all.iter().find(|p| p.id.as_str() == chosen).cloned()) else { return };
                        let first = p.stages.first().map(|s| s.id.clone()).unwrap_or_default();
                        let id = if p.id == default_pipeline_id() { String::new() } else { p.id.to_string() };
                        scope.apply(error, move |e| {
                            e.set(Field::PipelineId, &id)?;
                            e.set(Field::DealStage, &first)
                        });
                    }>
                    {move || all.get().into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label class="field__label" for="deal-stage">"Stage"</label>
                <select id="deal-stage" class="input" data-testid="deal-stage" prop:value=move || stage.get()
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        scope.apply(error, move |e| e.set(Field::DealStage, &chosen));
                    }>
                    {move || unknown.get().then(|| view! { <option value=stage.get()>"(stage removed)"</option> })}
                    {move || pipeline.get().map(|p| p.stages.into_iter().map(|s| view! {
                        <option value=s.id.clone()>{format!("{} · {}%", s.name, s.probability)}</option>
                    }).collect_view())}
                </select>
                <ConflictNote field=Field::DealStage/>
            </div>
        </div>
        <FieldError error/>
    }
}

/// The stage's probability, the placeholder of the deal's own.
pub fn stage_probability(scope: RecordScope) -> Signal<String> {
    Signal::derive(move || {
        let all = pipelines(scope.ws);
        scope
            .read(|r| {
                let p = deal_pipeline(r, &all);
                let stage = r.text(Field::DealStage).unwrap_or_default();
                p.stage(&stage)
                    .map(|s| format!("{}% (stage)", s.probability))
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    })
}

/// Owner: unassigned, me, a teammate (the workspace's members), or whoever it is now. Used
/// on every record page that has an owner.
#[component]
pub fn OwnerSelect() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let ws = scope.ws;
    let owner = Memo::new(move |_| {
        scope
            .read(|r| r.text(Field::Owner).unwrap_or_default())
            .unwrap_or_default()
    });
    let options = Memo::new(move |_| {
        ws.revision.track();
        owner_choices(&Me::of(ws), &owner.get())
    });
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="field">
            <label class="field__label" for="field-owner">"Owner"</label>
            <select id="field-owner" class="input" data-testid="field-owner" prop:value=move || owner.get()
                on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    scope.apply(error, move |e| e.set(Field::Owner, &chosen));
                }>
                <option value="">"Unassigned"</option>
                {move || options.get().into_iter().map(|(id, label)| {
                    let selected = owner.get() == id;
                    view! { <option value=id selected=selected>{label}</option> }
                }).collect_view()}
            </select>
            <ConflictNote field=Field::Owner/>
            <FieldError error/>
        </div>
    }
}

/// Whom a record can be given to: me first, then the workspace's members, then `current` if
/// it is someone else (a former member, or a name an import wrote). (value, label).
pub(crate) fn owner_choices(me: &Me, current: &str) -> Vec<(String, String)> {
    let mut out = assignees(me);
    if !current.is_empty() && !out.iter().any(|(id, _)| id == current) {
        out.push((current.to_string(), display_name(current)));
    }
    out
}

/// Won / Lost (asks why) / Reopen, and the lost reason.
#[component]
pub fn StatusBar() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let status = Memo::new(move |_| {
        scope
            .read(|r| {
                r.text(Field::Status)
                    .and_then(|s| DealStatus::parse(&s))
                    .unwrap_or(DealStatus::Open)
            })
            .unwrap_or(DealStatus::Open)
    });
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let set = move |s: DealStatus, why: Option<String>| {
        scope.apply_then(
            error,
            move |e| {
                e.set(Field::Status, s.as_str())?;
                // A won or reopened deal has no lost reason any more.
                e.set(Field::LostReason, why.as_deref().unwrap_or_default())
            },
            move || asking.set(false),
        );
    };
    view! {
        <div class="field deal-status" data-testid="deal-status">
            <span class="field__label">"Status"</span>
            <p class="deal-status__now">
                <span class=move || format!("badge deal-status__badge--{}", status.get().as_str()) data-testid="deal-status-value">{move || status.get().label()}</span>
            </p>
            <div class="form-actions">
                {move || match status.get() {
                    DealStatus::Open => view! {
                        <button type="button" class="button" data-testid="deal-won" on:click=move |_| set(DealStatus::Won, None)>"Mark won"</button>
                        <button type="button" class="button" data-testid="deal-lost" on:click=move |_| asking.set(true)>"Mark lost…"</button>
                    }.into_any(),
                    _ => view! {
                        <button type="button" class="button" data-testid="deal-reopen" on:click=move |_| set(DealStatus::Open, None)>"Reopen"</button>
                    }.into_any(),
                }}
            </div>
            {move || asking.get().then(|| view! {
                <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); set(DealStatus::Lost, Some(reason.get_untracked())); }>
                    <label class="visually-hidden" for="lost-reason">"Lost reason"</label>
                    <input id="lost-reason" class="input" data-testid="lost-reason" placeholder="Why was it lost?" autofocus
                        prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/>
                    <button type="submit" class="button button--primary" data-testid="lost-confirm">"Mark lost"</button>
                    <button type="button" class="button button--quiet" data-testid="lost-cancel" on:click=move |_| asking.set(false)>"Cancel"</button>
                </form>
            })}
            <ConflictNote field=Field::Status/>
            <FieldError error/>
        </div>
    }
}
