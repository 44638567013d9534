//! Converting a lead: in one step the person (and their company) become customers and a deal
//! is created for them, owned by me; the app opens the deal, with an Undo.

use kith_core::ids::RecordId;
use kith_core::pipeline::{DEFAULT_PIPELINE_ID, parse_amount};
use kith_core::qualify::is_qualified;
use kith_core::record::{DealStatus, Field, LifecycleStage, RecordError, RecordKind};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::record_deals::pipeline_stages;
use crate::records::{FieldError, RecordScope, record_path};
use crate::toasts::Toasts;
use crate::workspace::{ActionError, Workspace};

/// Used when no deal in the workspace has a currency yet.
const DEFAULT_CURRENCY: &str = "EUR";

/// What the dialog holds; every field keeps what was typed until the conversion succeeds.
#[derive(Clone, Copy)]
struct Form {
    name: RwSignal<String>,
    amount: RwSignal<String>,
    currency: RwSignal<String>,
    stage: RwSignal<String>,
    close: RwSignal<String>,
    name_error: RwSignal<Option<String>>,
    amount_error: RwSignal<Option<String>>,
    currency_error: RwSignal<Option<String>>,
    close_error: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

impl Form {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            amount: RwSignal::new(String::new()),
            currency: RwSignal::new(String::new()),
            stage: RwSignal::new(String::new()),
            close: RwSignal::new(String::new()),
            name_error: RwSignal::new(None),
            amount_error: RwSignal::new(None),
            currency_error: RwSignal::new(None),
            close_error: RwSignal::new(None),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    fn clear_errors(self) {
        for e in [
            self.name_error,
            self.amount_error,
            self.currency_error,
            self.close_error,
            self.error,
        ] {
            e.set(None);
        }
    }

    /// Shows a refused value next to its field.
    fn report(self, e: ActionError) {
        match e {
            ActionError::Record(RecordError::Invalid { field, message }) => {
                let slot = match field {
                    "Name" => self.name_error,
                    "Amount" => self.amount_error,
                    "Currency" => self.currency_error,
                    "Expected close" => self.close_error,
                    _ => self.error,
                };
                slot.set(Some(message));
            }
            e => self.error.set(Some(e.to_string())),
        }
    }
}

/// The Convert button (prominent once qualified) and its dialog.
#[component]
pub fn ConvertAction(score: Memo<Option<u8>>) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let ws = scope.ws;
    let toasts = expect_context::<Toasts>();
    let navigate = use_navigate();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let form = Form::new();
    let qualified = move || is_qualified(score.get());
    let stages = Memo::new(move |_| ws.with_directory(|d| pipeline_stages(d, None)));

    let open = move |_| {
        let (name, company) = scope
            .read(|r| (r.text(Field::Name).unwrap_or_default(), r.company_id()))
            .unwrap_or_default();
        let company_name =
            company.and_then(|c| ws.with_directory(|d| d.name_of(&c).map(str::to_string)));
        form.name.set(format!(
            "{} — new deal",
            company_name.unwrap_or(name).trim()
        ));
        form.amount.set(String::new());
        form.currency.set(last_currency(ws));
        form.stage.set(
            stages
                .get_untracked()
                .first()
                .map(|s| s.id.clone())
                .unwrap_or_default(),
        );
        form.close.set(String::new());
        form.clear_errors();
        if let Some(d) = dialog.get_untracked() {
            let _ = d.show_modal();
        }
    };
    let close = move || {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear_errors();
        let name = form.name.get_untracked().trim().to_string();
        if name.is_empty() {
            return form.name_error.set(Some("Give the deal a name.".into()));
        }
        let amount_text = form.amount.get_untracked();
        let amount = if amount_text.trim().is_empty() {
            None
        } else {
            match parse_amount(&amount_text) {
                Ok(a) if a >= 0 => Some(a),
                Ok(_) => {
                    return form
                        .amount_error
                        .set(Some("An amount cannot be negative.".into()));
                }
                Err(message) => return form.amount_error.set(Some(message)),
            }
        };
        let Some(source) = scope.read(|r| (r.id().clone(), r.kind(), r.stage(), r.company_id()))
        else {
            return;
        };
        let (source_id, kind, source_stage, person_company) = source;
        let company = match kind {
            RecordKind::Company => None,
            _ => person_company,
        };
        // What undo puts back: every stage this conversion changes.
        let mut previous = vec![(source_id.clone(), source_stage)];
        if let Some(c) = &company
            && let Some(summary) = ws.summary(c)
        {
            previous.push((c.clone(), summary.stage));
        }
        let label = scope
            .read(|r| r.text(Field::Name))
            .flatten()
            .unwrap_or_else(|| "the lead".into());
        let (currency, stage, close_date) = (
            form.currency.get_untracked(),
            form.stage.get_untracked(),
            form.close.get_untracked(),
        );
        let me = ws.author_id();
        let navigate = navigate.clone();
        form.busy.set(true);
        leptos::task::spawn_local(async move {
            let created = ws
                .create(RecordKind::Deal, |e| {
                    e.set(Field::Name, &name)?;
                    if let Some(a) = amount {
                        e.set(Field::Amount, &a.to_string())?;
                    }
                    e.set(Field::Currency, &currency)?;
                    e.set(Field::PipelineId, DEFAULT_PIPELINE_ID)?;
                    e.set(Field::DealStage, &stage)?;
                    e.set(Field::Status, DealStatus::Open.as_str())?;
                    e.set(Field::CloseDate, &close_date)?;
                    if let Some(me) = &me {
                        e.set(Field::Owner, me.as_str())?;
                    }
                    match kind {
                        RecordKind::Company => e.set(Field::CompanyId, source_id.as_str()),
                        _ => {
                            e.link(&source_id, RecordKind::Person)?;
                            match &company {
                                Some(c) => e.set(Field::CompanyId, c.as_str()),
                                None => Ok(()),
                            }
                        }
                    }
                })
                .await;
            let deal = match created {
                Ok(id) => id,
                Err(e) => {
                    form.busy.set(false);
                    return form.report(e);
                }
            };
            // Nothing of this component is touched past here: a customer's page has no
            // Convert, so it goes away once the stage changes.
            form.busy.set(false);
            close();
            let mut failed = None;
            for (id, _) in &previous {
                if let Err(e) = ws.edit(id, |e| e.set_stage(LifecycleStage::Customer)).await {
                    failed.get_or_insert(e);
                }
            }
            let message = match failed {
                None => format!("Converted {label}"),
                Some(e) => format!("Created the deal; {label} could not be marked a customer: {e}"),
            };
            let back = record_path(kind, &source_id);
            let undo_nav = navigate.clone();
            let undo_deal = deal.clone();
            toasts.show_with_undo(message, move || {
                undo(ws, previous.clone(), undo_deal.clone());
                undo_nav(&back, Default::default());
            });
            navigate(&record_path(RecordKind::Deal, &deal), Default::default());
        });
    };

    view! {
        <div class="convert">
            <button
                type="button"
                class=move || if qualified() { "button button--primary" } else { "button" }
                data-testid="convert-lead"
                aria-describedby="convert-note"
                on:click=open
            >
                "Convert to customer"
            </button>
            <p class="muted convert__note" id="convert-note">
                {move || if qualified() {
                    "Qualified: ready to become a customer with a deal."
                } else {
                    "Not qualified yet. You can still convert, for example when they ask to buy."
                }}
            </p>
            <dialog class="convert-dialog" node_ref=dialog data-testid="convert-dialog" aria-labelledby="convert-title">
                <form class="convert-dialog__body" on:submit=submit novalidate>
                    <h2 class="convert-dialog__title" id="convert-title">"Convert to customer"</h2>
                    <p class="muted">"They become a customer, and a deal is created for them, owned by you."</p>
                    <Input id="convert-name" label="Deal name" value=form.name error=form.name_error/>
                    <div class="field-row">
                        <Input id="convert-amount" label="Amount" value=form.amount error=form.amount_error inputmode="decimal" placeholder="12,500"/>
                        <Input id="convert-currency" label="Currency" value=form.currency error=form.currency_error placeholder="EUR"/>
                    </div>
                    <div class="field-row">
                        <div class="field">
                            <label class="field__label" for="convert-stage">"Stage"</label>
                            <select id="convert-stage" class="input" data-testid="convert-stage" prop:value=form.stage on:change=move |ev| form.stage.set(event_target_value(&ev))>
                                <For each=move || stages.get() key=|s| s.id.clone() let(s)>
                                    <option value=s.id.clone()>{s.name.clone()}</option>
                                </For>
                            </select>
                        </div>
                        <Input id="convert-close" label="Expected close" value=form.close error=form.close_error input_type="date"/>
                    </div>
                    <FieldError error=form.error/>
                    <div class="form-actions convert-dialog__actions">
                        <button type="submit" class="button button--primary" data-testid="convert-submit" disabled=move || form.busy.get()>
                            "Convert and open the deal"
                        </button>
                        <button type="button" class="button button--quiet" data-testid="convert-cancel" on:click=move |_| close()>"Cancel"</button>
                    </div>
                </form>
            </dialog>
        </div>
    }
}

/// A labelled input of the dialog with its error under it.
#[component]
fn Input(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<String>>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] inputmode: &'static str,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="field__label" for=id>{label}</label>
            <input
                id=id
                class="input"
                type=input_type
                inputmode=(!inputmode.is_empty()).then_some(inputmode)
                placeholder=placeholder
                data-testid=id
                aria-invalid=move || error.read().is_some().to_string()
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldError error/>
        </div>
    }
}

/// The currency of the most recently changed deal, so a team using one currency types it once.
fn last_currency(ws: Workspace) -> String {
    ws.with_directory(|d| {
        (0..d.len())
            .map(|i| d.at(i))
            .filter(|s| s.kind == RecordKind::Deal && !s.deleted && !s.currency.is_empty())
            .max_by_key(|s| s.updated_at)
            .map(|s| s.currency.clone())
    })
    .unwrap_or_else(|| DEFAULT_CURRENCY.into())
}

/// Puts back the stages a conversion changed and deletes its deal.
fn undo(ws: Workspace, previous: Vec<(RecordId, Option<LifecycleStage>)>, deal: RecordId) {
    leptos::task::spawn_local(async move {
        for (id, stage) in previous {
            let stage = stage.map_or("", LifecycleStage::as_str);
            let _ = ws.edit(&id, |e| e.set(Field::Stage, stage)).await;
        }
        let _ = ws.edit(&deal, |e| e.delete()).await;
    });
}
