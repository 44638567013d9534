//! "Log an interaction": a call, email, meeting or note against a record, with when, how long,
//! the outcome, who else took part and notes. A refused entry keeps everything typed.

use kith_core::ids::RecordId;
use kith_core::record::{ActivityStatus, ActivityType, Field, RecordError, RecordKind};
use leptos::prelude::*;

use super::picker::{Picked, RecordPicker};
use crate::tasks::{FieldError, clock};
use crate::workspace::{ActionError, Workspace};

/// Longest subject made from a note's first line.
const SUBJECT_FROM_NOTE: usize = 80;

/// Suggested outcomes per type; any other text is accepted too.
pub fn outcomes(kind: ActivityType) -> &'static [&'static str] {
    match kind {
        ActivityType::Call => &[
            "Connected",
            "Left voicemail",
            "No answer",
            "Busy",
            "Wrong number",
        ],
        ActivityType::Email => &["Sent", "Received", "Replied", "Bounced"],
        ActivityType::Meeting => &["Held", "Rescheduled", "No-show", "Cancelled"],
        ActivityType::Note => &[],
    }
}

#[component]
pub fn LogActivity(#[prop(into)] record: Signal<Option<RecordId>>) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let kind = RwSignal::new(ActivityType::Call);
    let subject = RwSignal::new(String::new());
    let when = RwSignal::new(clock::to_input(clock::now()));
    // Until the user sets "When", it means the moment the entry is logged.
    let when_touched = RwSignal::new(false);
    let duration = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let participants = RwSignal::new(Vec::<Picked>::new());
    let subject_error = RwSignal::new(None::<String>);
    let when_error = RwSignal::new(None::<String>);
    let duration_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let Some(record_id) = record.get_untracked() else {
            return;
        };
        let kind = kind.get_untracked();
        let note_text = notes.get_untracked();
        let mut name = subject.get_untracked().trim().to_string();
        if name.is_empty() {
            name = note_text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default()
                .trim()
                .chars()
                .take(SUBJECT_FROM_NOTE)
                .collect();
        }
        subject_error.set(name.is_empty().then(|| "Add a subject or a note.".into()));
        let at = if when_touched.get_untracked() {
            clock::from_input(&when.get_untracked())
        } else {
            Some(clock::now())
        };
        when_error.set(
            at.is_none()
                .then(|| "Enter the date and time it happened.".into()),
        );
        let minutes = duration.get_untracked().trim().to_string();
        let minutes_ok = kind == ActivityType::Note
            || minutes.is_empty()
            || minutes.parse::<u32>().is_ok_and(|m| m <= 24 * 60);
        duration_error.set((!minutes_ok).then(|| "Minutes, from 0 to 1440.".into()));
        let (Some(at), false, true) = (at, name.is_empty(), minutes_ok) else {
            return;
        };
        let Some(target) = ws.summary(&record_id).map(|s| s.kind) else {
            error.set(Some("This record is not on this device.".into()));
            return;
        };
        let outcome_text = outcome.get_untracked();
        let people = participants.get_untracked();
        let owner = ws.author_id().map(|u| u.0).unwrap_or_default();
        let status = if at > clock::now() + 60_000 {
            ActivityStatus::Planned
        } else {
            ActivityStatus::Done
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let created = ws
                .create(RecordKind::Activity, move |e| {
                    e.set(Field::Name, &name)?;
                    e.set(Field::ActivityType, kind.as_str())?;
                    e.set(Field::OccurredAt, &at.to_string())?;
                    e.set(Field::Status, status.as_str())?;
                    e.set(Field::Owner, &owner)?;
                    if kind != ActivityType::Note {
                        e.set(Field::Duration, &minutes)?;
                        e.set(Field::Outcome, &outcome_text)?;
                    }
                    e.link(&record_id, target)?;
                    for (id, kind, _) in &people {
                        e.link(id, *kind)?;
                    }
                    if !note_text.trim().is_empty() {
                        e.set_notes(&note_text)?;
                    }
                    Ok(())
                })
                .await;
            busy.set(false);
            match created {
                Ok(_) => {
                    error.set(None);
                    done.set(Some(format!("{} logged.", kind.label())));
                    subject.set(String::new());
                    duration.set(String::new());
                    outcome.set(String::new());
                    notes.set(String::new());
                    participants.set(Vec::new());
                    when.set(clock::to_input(clock::now()));
                    when_touched.set(false);
                }
                Err(ActionError::Record(RecordError::Invalid { field, message })) => {
                    error.set(Some(format!("{field}: {message}")))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    let exclude = Signal::derive(move || {
        let mut ids: Vec<RecordId> = participants.with(|p| p.iter().map(|p| p.0.clone()).collect());
        ids.extend(record.get());
        ids
    });
    let add_participant = Callback::new(move |picked: Picked| {
        participants.update(|p| {
            if !p.iter().any(|q| q.0 == picked.0) {
                p.push(picked);
            }
        })
    });
    let not_note = move || kind.get() != ActivityType::Note;

    view! {
        <form class="card log-activity" data-testid="log-activity" on:submit=submit novalidate aria-labelledby="log-activity-title">
            <h3 class="card__title" id="log-activity-title">"Log an interaction"</h3>
            // Reads the value of whatever changed: a radio, or the group itself when a script
            // sets its `value` (as a select's would be set).
            <fieldset class="segmented" data-testid="activity-type" on:change=move |ev| {
                let value = ev
                    .target()
                    .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
                    .and_then(|v| v.as_string());
                if let Some(t) = value.as_deref().and_then(ActivityType::parse) {
                    kind.set(t);
                }
            }>
                <legend class="visually-hidden">"Type"</legend>
                {ActivityType::ALL.iter().map(|t| {
                    let t = *t;
                    view! {
                        <label class="segmented__option">
                            <input
                                type="radio"
                                name="activity-type"
                                value=t.as_str()
                                data-testid=format!("activity-type-{}", t.as_str())
                                prop:checked=move || kind.get() == t
                            />
                            <span>{t.label()}</span>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="log-activity__grid">
                <div class="field log-activity__subject" class:field--invalid=move || subject_error.read().is_some()>
                    <label class="field__label" for="activity-subject">"Subject"</label>
                    <input
                        id="activity-subject"
                        class="input"
                        data-testid="activity-subject"
                        placeholder=move || match kind.get() {
                            ActivityType::Call => "e.g. Intro call about pricing",
                            ActivityType::Email => "e.g. Sent the proposal",
                            ActivityType::Meeting => "e.g. Demo with the team",
                            ActivityType::Note => "Optional: first line of the note",
                        }
                        aria-invalid=move || subject_error.read().is_some().to_string()
                        prop:value=subject
                        on:input=move |ev| subject.set(event_target_value(&ev))
                    />
                    <FieldError error=subject_error/>
                </div>
                <div class="field field--datetime" class:field--invalid=move || when_error.read().is_some()>
                    <label class="field__label" for="activity-when">"When"</label>
                    <input
                        id="activity-when"
                        class="input"
                        type="datetime-local"
                        data-testid="activity-when"
                        aria-invalid=move || when_error.read().is_some().to_string()
                        prop:value=when
                        on:focus=move |_| {
                            if !when_touched.get_untracked() {
                                when.set(clock::to_input(clock::now()));
                            }
                        }
                        on:input=move |ev| {
                            when_touched.set(true);
                            when.set(event_target_value(&ev));
                        }
                        on:change=move |ev| {
                            when_touched.set(true);
                            when.set(event_target_value(&ev));
                        }
                    />
                    <FieldError error=when_error/>
                </div>
                <div class="field" hidden=move || !not_note() class:field--invalid=move || duration_error.read().is_some()>
                    <label class="field__label" for="activity-duration">"Duration (minutes)"</label>
                    <input
                        id="activity-duration"
                        class="input"
                        type="number"
                        min="0"
                        max="1440"
                        inputmode="numeric"
                        data-testid="activity-duration"
                        aria-invalid=move || duration_error.read().is_some().to_string()
                        prop:value=duration
                        on:input=move |ev| duration.set(event_target_value(&ev))
                    />
                    <FieldError error=duration_error/>
                </div>
                <div class="field" hidden=move || !not_note()>
                    <label class="field__label" for="activity-outcome">"Outcome"</label>
                    <input
                        id="activity-outcome"
                        class="input"
                        list="activity-outcomes"
                        autocomplete="off"
                        data-testid="activity-outcome"
                        placeholder="Choose or type"
                        prop:value=outcome
                        on:input=move |ev| outcome.set(event_target_value(&ev))
                    />
                    <datalist id="activity-outcomes">
                        {move || outcomes(kind.get()).iter().map(|o| view! { <option value=*o></option> }).collect_view()}
                    </datalist>
                </div>
            </div>
            <div class="field" data-testid="activity-participants">
                <RecordPicker kinds=&[RecordKind::Person] id="activity-participant" label="Participants" exclude on_pick=add_participant/>
                <ul class="chips" aria-label="Participants">
                    {move || participants.get().into_iter().map(|(id, _, name)| {
                        let label = format!("Remove {name}");
                        view! {
                            <li class="chip" data-testid="activity-participant-chip">
                                {name.clone()}
                                <button type="button" class="chip__remove" aria-label=label on:click=move |_| {
                                    participants.update(|p| p.retain(|q| q.0 != id));
                                }>"×"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
            <div class="field">
                <label class="field__label" for="activity-notes">"Notes"</label>
                <textarea
                    id="activity-notes"
                    class="input input--notes"
                    rows="3"
                    data-testid="activity-notes"
                    prop:value=notes
                    on:input=move |ev| notes.set(event_target_value(&ev))
                ></textarea>
            </div>
            <div class="form-actions">
                <button type="submit" class="button button--primary" data-testid="activity-submit" disabled=move || busy.get() || !ws.writable.get()>
                    {move || format!("Log {}", kind.get().label().to_lowercase())}
                </button>
                <span class="muted" role="status">{move || done.get()}</span>
            </div>
            <FieldError error/>
        </form>
    }
}
