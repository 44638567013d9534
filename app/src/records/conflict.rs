//! A field written on two devices at once: a marker that opens into each value with who wrote
//! it and when. Choosing one writes it again as a new change, which resolves it for everyone.

use kith_core::record::{
    ActivityStatus, Answer, Candidate, DealStatus, Field, LifecycleStage, RecordKind, TaskPriority,
    TaskStatus,
};
use leptos::prelude::*;

use super::editors::{FieldError, RecordScope};
use crate::account::display_name;

/// The conflict marker of `field` on the record in scope; nothing while it holds one value.
/// Each value's button text is exactly the value (the e2e tests read it); who and when sit
/// beside it.
#[component]
pub fn ConflictNote(field: Field) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    // Counting is cheap; dating needs a copy of the document, made only for a real conflict.
    let candidates = Memo::new(move |_| {
        scope.record.with(|r| {
            let r = r.as_ref()?;
            (r.candidates(field).len() > 1).then(|| r.clone().candidates_dated(field))
        })
    });
    let error = RwSignal::new(None::<String>);
    move || {
        candidates.get().map(|values| {
            let count = values.len();
            view! {
                <details class="conflict" data-testid=format!("conflict-{}", field.key())>
                    <summary class="conflict__marker">
                        <span class="conflict__icon" aria-hidden="true">"!"</span>
                        {format!("Conflict: {count} values for {}", field.label().to_lowercase())}
                    </summary>
                    <p class="conflict__hint">
                        "Changed on two devices at once. Choose the value to keep; everyone will see it."
                    </p>
                    <ul class="conflict__list">
                        {values.into_iter().enumerate().map(|(i, c)| view! { <Choice field c shown=i == 0 error/> }).collect_view()}
                    </ul>
                    <FieldError error/>
                </details>
            }
        })
    }
}

/// One concurrent value: a button to keep it, then its author and time.
#[component]
fn Choice(
    field: Field,
    c: Candidate,
    /// The value the field shows now (Automerge's winner).
    shown: bool,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let author = c.author.as_ref().map(|a| a.0.clone()).unwrap_or_default();
    let who = if author.is_empty() {
        "Unknown author".to_string()
    } else {
        display_name(&author)
    };
    let when = c.at.map(date_time).unwrap_or_default();
    let meta = match (when.is_empty(), shown) {
        (true, false) => who,
        (true, true) => format!("{who} · shown now"),
        (false, false) => format!("{who}, {when}"),
        (false, true) => format!("{who}, {when} · shown now"),
    };
    let text = shown_value(scope, field, &c.value);
    let value = c.value;
    view! {
        <li class="conflict__candidate" data-testid="conflict-candidate" data-author=author>
            <button
                type="button"
                class="button button--small"
                data-testid="conflict-choose"
                aria-label=format!("Keep “{text}” ({meta})")
                on:click=move |_| {
                    let value = value.clone();
                    scope.apply(error, move |e| e.set(field, &value));
                }
            >{text.clone()}</button>
            <span class="conflict__meta">{meta}</span>
        </li>
    }
}

/// How a stored value reads: a choice's label, a company's name, else the text itself.
fn shown_value(scope: RecordScope, field: Field, value: &str) -> String {
    let label = match field {
        Field::Stage => LifecycleStage::parse(value).map(|s| s.label().to_string()),
        Field::Budget | Field::Authority | Field::Need | Field::Timeline => {
            Answer::parse(value).map(|a| a.label().to_string())
        }
        Field::Owner if !value.is_empty() => Some(display_name(value)),
        Field::Priority => TaskPriority::parse(value).map(|p| p.label().to_string()),
        // One status field, read by the record's kind.
        Field::Status => untrack(|| scope.read(|r| r.kind())).and_then(|kind| match kind {
            RecordKind::Task => TaskStatus::parse(value).map(|s| s.label().to_string()),
            RecordKind::Deal => DealStatus::parse(value).map(|s| s.label().to_string()),
            RecordKind::Activity => ActivityStatus::parse(value).map(|s| s.label().to_string()),
            _ => None,
        }),
        // Untracked: the marker must not re-render (and close) on every directory change.
        Field::CompanyId => kith_core::ids::RecordId::parse(value).ok().and_then(|id| {
            untrack(|| {
                scope
                    .ws
                    .with_directory(|d| d.name_of(&id).map(str::to_string))
            })
        }),
        _ => None,
    };
    label.unwrap_or_else(|| value.to_string())
}

/// `25 Nov 10:42` in the user's time zone (with the year when it is not this year).
pub fn date_time(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let date = js_sys::Date::new(&(ms as f64).into());
    let this_year = js_sys::Date::new_0().get_full_year();
    let year = if date.get_full_year() == this_year {
        String::new()
    } else {
        format!(" {}", date.get_full_year())
    };
    format!(
        "{} {}{year} {:02}:{:02}",
        date.get_date(),
        MONTHS[date.get_month() as usize % 12],
        date.get_hours(),
        date.get_minutes()
    )
}
