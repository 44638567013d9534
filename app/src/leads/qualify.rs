//! On a person's or company's page: the lifecycle stage as a stepper, and the qualification
//! panel (four BANT answers, the live score, Convert).

use kith_core::qualify::{CRITERIA, QUALIFIED_SCORE, is_qualified};
use kith_core::record::{Answer, Field, LifecycleStage};
use leptos::prelude::*;

use super::convert::ConvertAction;
use crate::records::{ConflictNote, FieldError, RecordScope};

/// "75 · Qualified", "50", or "Not scored".
pub fn score_label(score: Option<u8>) -> String {
    match score {
        None => "Not scored".into(),
        Some(s) if is_qualified(Some(s)) => format!("{s} · Qualified"),
        Some(s) => s.to_string(),
    }
}

/// Lead → Prospect → Customer → Churned; a click moves the record to that stage.
#[component]
pub fn StageStepper() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let stage = Memo::new(move |_| scope.read(|r| r.stage()).flatten());
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="stepper" data-testid="stage-stepper">
            <ol class="stepper__steps" aria-label="Lifecycle stage">
                {LifecycleStage::ALL.iter().copied().map(|s| {
                    let current = move || stage.get() == Some(s);
                    let passed = move || stage.get().is_some_and(|c| c > s);
                    view! {
                        <li class="stepper__step" class:stepper__step--current=current class:stepper__step--passed=passed>
                            <button
                                type="button"
                                class="stepper__button"
                                data-testid=format!("stage-step-{}", s.as_str())
                                aria-pressed=move || current().to_string()
                                on:click=move |_| {
                                    if !current() {
                                        scope.apply(error, move |e| e.set_stage(s));
                                    }
                                }
                            >
                                {s.label()}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <FieldError error/>
        </div>
    }
}

/// The question each criterion asks.
fn question(field: Field) -> &'static str {
    match field {
        Field::Budget => "Can they pay for it?",
        Field::Authority => "Do they decide?",
        Field::Need => "Do they need it?",
        _ => "Will they buy soon?",
    }
}

/// Budget, authority, need, timeline and the score they make. Open for leads and prospects
/// (and records with no stage yet), folded away for customers.
#[component]
pub fn QualificationPanel() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let stage = Memo::new(move |_| scope.read(|r| r.stage()).flatten());
    let score = Memo::new(move |_| scope.read(|r| r.score()).flatten());
    let is_open_stage = Memo::new(move |_| {
        matches!(
            stage.get(),
            None | Some(LifecycleStage::Lead | LifecycleStage::Prospect)
        )
    });
    let qualified = move || is_qualified(score.get());
    view! {
        <details class="card qualification" data-testid="qualification" open=move || is_open_stage.get()>
            <summary class="qualification__summary">
                <h2 class="card__title" id="card-qualification">"Qualification"</h2>
                <span class="qual-score" class:qual-score--qualified=qualified data-testid="qual-score">
                    {move || match score.get() {
                        None => "Not scored yet".to_string(),
                        Some(s) if is_qualified(Some(s)) => format!("{s} / 100 · Qualified"),
                        Some(s) => format!("{s} / 100 · Not yet qualified"),
                    }}
                </span>
            </summary>
            <div class="qual-meter" aria-hidden="true">
                <span class="qual-meter__fill" style:width=move || format!("{}%", score.get().unwrap_or(0))></span>
                <span class="qual-meter__mark" style:left=format!("{QUALIFIED_SCORE}%")></span>
            </div>
            <p class="muted qualification__hint">
                {format!("Each answer counts a quarter, “Partly” half of that. {QUALIFIED_SCORE} or more is qualified.")}
            </p>
            <div class="qual-grid">
                {CRITERIA.into_iter().map(|field| view! { <AnswerField field/> }).collect_view()}
            </div>
            {move || (stage.get() != Some(LifecycleStage::Customer)).then(|| view! { <ConvertAction score/> })}
        </details>
    }
}

/// One criterion as a select: Unknown / No / Partly / Yes.
#[component]
fn AnswerField(field: Field) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let saved = Memo::new(move |_| {
        scope
            .read(|r| r.text(field))
            .flatten()
            .unwrap_or_else(|| Answer::Unknown.as_str().to_string())
    });
    let error = RwSignal::new(None::<String>);
    let id = format!("qual-{}", field.label().to_lowercase());
    let (label_for, testid) = (id.clone(), id.clone());
    view! {
        <div class="field">
            <label class="field__label" for=label_for>
                {field.label()}
                <span class="field__sublabel">{question(field)}</span>
            </label>
            <select
                id=id
                class="input"
                data-testid=testid
                prop:value=saved
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    scope.apply(error, move |e| e.set(field, &value));
                }
            >
                // `selected` per option: the select's value is set before its options exist.
                {Answer::ALL.iter().map(|a| view! {
                    <option value=a.as_str() prop:selected=move || saved.read().as_str() == a.as_str()>{a.label()}</option>
                }).collect_view()}
            </select>
            <ConflictNote field/>
            <FieldError error/>
        </div>
    }
}
