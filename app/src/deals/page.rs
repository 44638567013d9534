//! `/deals/:id`: every field of a deal editable in place, its people, status (won / lost with
//! a reason / reopen), tags, notes, delete with undo, and its timeline.

use kith_core::ids::RecordId;
use kith_core::record::{DealStatus, Field, Record};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::fields::{
    DealInput, OwnerSelect, PipelineStage, StatusBar, show_amount, stage_probability, store_amount,
};
use super::people::DealPeople;
use crate::records::{CompanyField, NotesEditor, RecordScope, TagEditor, TextField};
use crate::toasts::Toasts;
use crate::workspace::{Phase, Workspace};

#[component]
pub fn DealPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| RecordId::parse(&s).ok())
    });
    move || match id.get() {
        Some(id) => view! { <DealBody id/> }.into_any(),
        None => view! { <Missing/> }.into_any(),
    }
}

#[component]
fn Missing() -> impl IntoView {
    view! {
        <div data-testid="record-missing">
            <p>"This deal is not on this device."</p>
            <A href="/deals">"Back to deals"</A>
        </div>
    }
}

#[component]
fn DealBody(id: RecordId) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let record = RwSignal::new_local(None::<Record>);
    let missing = RwSignal::new(false);
    let scope = RecordScope {
        ws,
        id: StoredValue::new(id.clone()),
        record,
    };
    provide_context(scope);
    let load_id = id.clone();
    Effect::new(move |_| {
        ws.revision.track();
        if ws.phase.get() != Phase::Ready {
            return;
        }
        let id = load_id.clone();
        leptos::task::spawn_local(async move {
            match ws.record(&id).await {
                Ok(r) => {
                    missing.set(false);
                    record.set(Some(r));
                }
                Err(_) => missing.set(record.with_untracked(Option::is_none)),
            }
        });
    });
    let name = Memo::new(move |_| {
        record
            .with(|r| r.as_ref().and_then(|r| r.text(Field::Name)))
            .unwrap_or_default()
    });
    Effect::new(move |_| {
        let title = if name.read().is_empty() {
            "(no name)".to_string()
        } else {
            name.get()
        };
        document().set_title(&format!("{title} · Kith"));
    });
    let lost = Memo::new(move |_| {
        record.with(|r| {
            r.as_ref().and_then(|r| r.text(Field::Status)).as_deref()
                == Some(DealStatus::Lost.as_str())
        })
    });
    let deleted = Memo::new(move |_| record.with(|r| r.as_ref().is_some_and(Record::is_deleted)));
    let read_only = move || !ws.writable.get();
    let navigate = use_navigate();
    let delete_id = id.clone();
    let delete = move |_| {
        let id = delete_id.clone();
        let label = name.get_untracked();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match ws.edit(&id, |e| e.delete()).await {
                Ok(()) => {
                    let undo_id = id.clone();
                    toasts.show_with_undo(
                        format!("Deleted {}", if label.is_empty() { "deal" } else { &label }),
                        move || {
                            let id = undo_id.clone();
                            leptos::task::spawn_local(async move {
                                let _ = ws.edit(&id, |e| e.restore()).await;
                            });
                        },
                    );
                    navigate("/deals", Default::default());
                }
                Err(e) => toasts.show(format!("Not deleted: {e}")),
            }
        });
    };
    let restore_id = id.clone();
    let timeline_id = StoredValue::new(id.clone());
    view! {
        <div class="page page--record page--deal" data-testid="page-deal">
            <nav class="breadcrumb" aria-label="Breadcrumb"><A href="/deals">"← Deals"</A></nav>
            {move || missing.get().then(|| view! { <Missing/> })}
            <Show when=move || record.with(Option::is_some)>
                <header class="page__header">
                    <h1 class="page__title" data-testid="record-title">{move || if name.read().is_empty() { "(no name)".to_string() } else { name.get() }}</h1>
                    <div class="page__actions">
                        <button type="button" class="button button--danger" data-testid="delete-record" disabled=read_only on:click=delete.clone()>"Delete"</button>
                    </div>
                </header>
                {move || read_only().then(|| view! {
                    <div class="alert view-only" role="status" data-testid="view-only">
                        <strong>"View only."</strong>" Your role in this workspace lets you read deals, not change them."
                    </div>
                })}
                {
                    let restore_id = restore_id.clone();
                    move || deleted.get().then(|| {
                        let id = restore_id.clone();
                        view! {
                            <div class="alert alert--warning" role="status">
                                "This deal is deleted."
                                <button type="button" class="button button--small" disabled=read_only on:click=move |_| {
                                    let id = id.clone();
                                    leptos::task::spawn_local(async move { let _ = ws.edit(&id, |e| e.restore()).await; });
                                }>"Restore"</button>
                            </div>
                        }
                    })
                }
                <fieldset class="record-fields" disabled=read_only>
                    <legend class="visually-hidden">"Deal fields"</legend>
                    <div class="record-grid">
                        <section class="card" aria-labelledby="card-deal">
                            <h2 class="card__title" id="card-deal">"Deal"</h2>
                            <TextField field=Field::Name/>
                            <div class="field-row">
                                <DealInput field=Field::Amount inputmode="decimal" placeholder="e.g. 12,500" show=show_amount store=store_amount/>
                                <TextField field=Field::Currency placeholder="EUR"/>
                            </div>
                            <CompanyField/>
                            <OwnerSelect/>
                        </section>
                        <section class="card" aria-labelledby="card-pipeline">
                            <h2 class="card__title" id="card-pipeline">"Pipeline"</h2>
                            <PipelineStage/>
                            <div class="field-row">
                                <DealInput field=Field::Probability input_type="number" inputmode="numeric" placeholder=stage_probability(scope)/>
                                <DealInput field=Field::CloseDate input_type="date"/>
                            </div>
                            <StatusBar/>
                            {move || lost.get().then(|| view! { <TextField field=Field::LostReason/> })}
                            <TagEditor/>
                        </section>
                        <DealPeople/>
                        <section class="card card--wide" aria-labelledby="card-notes">
                            <h2 class="card__title visually-hidden" id="card-notes">"Notes"</h2>
                            <NotesEditor/>
                        </section>
                    </div>
                </fieldset>
                <crate::timeline::Timeline record=Signal::derive(move || Some(timeline_id.get_value()))/>
            </Show>
        </div>
    }
}
