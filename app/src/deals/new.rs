//! `/deals/new`: the fields people fill in first; `?company=&person=&stage=&pipeline=` pre-fill
//! them. Creates the deal (owned by me, open) and opens it.

use kith_core::directory::ListQuery;
use kith_core::ids::RecordId;
use kith_core::pipeline::{default_pipeline_id, parse_amount};
use kith_core::record::{DealStatus, Field, RecordError, RecordKind};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::{last_currency, pipelines, remember_currency};
use crate::records::record_path;
use crate::workspace::{ActionError, Phase, Workspace};

/// Names suggested at most for the company and person inputs.
const SUGGESTIONS: usize = 20;

#[component]
pub fn NewDeal() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    document().set_title("New deal · Kith");
    let query = use_query_map();
    let param = move |key: &str| query.with_untracked(|q| q.get(key)).unwrap_or_default();
    let all = Memo::new(move |_| pipelines(ws));
    let name_of = move |id: &str| {
        RecordId::parse(id)
            .ok()
            .and_then(|id| ws.with_directory(|d| d.get(&id).map(|s| s.name.clone())))
            .unwrap_or_default()
    };
    let name = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let currency = RwSignal::new(last_currency());
    // Pre-filled once the workspace has opened (the ids may not be known before).
    let pipeline = RwSignal::new(param("pipeline"));
    let stage = RwSignal::new(param("stage"));
    let close = RwSignal::new(String::new());
    let company = RwSignal::new(String::new());
    let person = RwSignal::new(String::new());
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || ws.phase.get() != Phase::Ready {
            return done.unwrap_or(false);
        }
        untrack(|| {
            company.set(name_of(&param("company")));
            person.set(name_of(&param("person")));
        });
        true
    });
    let person_id = param("person");
    let error = RwSignal::new(None::<(&'static str, String)>);
    let busy = RwSignal::new(false);
    let chosen = Memo::new(move |_| {
        let id = pipeline.get();
        all.with(|ps| {
            ps.iter()
                .find(|p| p.id.as_str() == id)
                .unwrap_or(&ps[0])
                .clone()
        })
    });
    let stages = Memo::new(move |_| chosen.with(|p| p.stages.clone()));
    // A stage from another pipeline (or none) becomes the pipeline's first.
    Effect::new(move |_| {
        if ws.phase.get() != Phase::Ready {
            return;
        }
        let stages = stages.get();
        if !stages.iter().any(|s| s.id == stage.get_untracked()) {
            stage.set(stages.first().map(|s| s.id.clone()).unwrap_or_default());
        }
    });
    let suggestions = move |kind: RecordKind, text: RwSignal<String>| {
        Memo::new(move |_| {
            let text = text.get();
            if text.trim().is_empty() {
                return Vec::new();
            }
            ws.with_directory(|d| {
                d.list(&ListQuery {
                    text,
                    ..ListQuery::all(kind)
                })
                .into_iter()
                .map(|i| d.at(i).name.clone())
                .filter(|n| !n.is_empty())
                .take(SUGGESTIONS)
                .collect::<Vec<_>>()
            })
        })
    };
    let companies = suggestions(RecordKind::Company, company);
    let people = suggestions(RecordKind::Person, person);
    let navigate = use_navigate();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        if name.get_untracked().trim().is_empty() {
            return error.set(Some(("new-deal-name", "Give the deal a name.".into())));
        }
        let minor = match amount.get_untracked().trim() {
            "" => None,
            typed => match parse_amount(typed) {
                Ok(m) => Some(m),
                Err(e) => return error.set(Some(("new-deal-amount", e))),
            },
        };
        let (company_name, person_name) = (company.get_untracked(), person.get_untracked());
        let (company_id, person_found) = untrack(|| {
            ws.with_directory(|d| {
                let company = d
                    .find_by_name(RecordKind::Company, &company_name)
                    .map(|s| s.id.clone());
                // The pre-filled person is exact even when two people share a name.
                let person = RecordId::parse(&person_id)
                    .ok()
                    .filter(|id| {
                        d.get(id)
                            .is_some_and(|s| s.name.trim() == person_name.trim())
                    })
                    .or_else(|| {
                        d.find_by_name(RecordKind::Person, &person_name)
                            .map(|s| s.id.clone())
                    });
                (company, person)
            })
        });
        if !person_name.trim().is_empty() && person_found.is_none() {
            return error.set(Some((
                "new-deal-person",
                format!("No one called “{}” is on this device.", person_name.trim()),
            )));
        }
        busy.set(true);
        let navigate = navigate.clone();
        let (name, currency, pipeline, stage, close) = (
            name.get_untracked(),
            currency.get_untracked(),
            chosen.get_untracked().id.to_string(),
            stage.get_untracked(),
            close.get_untracked(),
        );
        let me = ws.author_id().map(|u| u.0).unwrap_or_default();
        leptos::task::spawn_local(async move {
            let company_id = match (company_id, company_name.trim()) {
                (Some(id), _) => Some(id),
                (None, "") => None,
                (None, typed) => {
                    let typed = typed.to_string();
                    match ws
                        .create(RecordKind::Company, move |e| e.set(Field::Name, &typed))
                        .await
                    {
                        Ok(id) => Some(id),
                        Err(e) => {
                            busy.set(false);
                            return error.set(Some(("new-deal-company", e.to_string())));
                        }
                    }
                }
            };
            let currency_used = currency.clone();
            let created = ws
                .create(RecordKind::Deal, move |e| {
                    e.set(Field::Name, &name)?;
                    e.set(Field::Status, DealStatus::Open.as_str())?;
                    if let Some(m) = minor {
                        e.set(Field::Amount, &m.to_string())?;
                    }
                    e.set(Field::Currency, &currency)?;
                    if pipeline != default_pipeline_id().as_str() {
                        e.set(Field::PipelineId, &pipeline)?;
                    }
                    e.set(Field::DealStage, &stage)?;
                    e.set(Field::CloseDate, &close)?;
                    e.set(Field::Owner, &me)?;
                    if let Some(c) = &company_id {
                        e.set(Field::CompanyId, c.as_str())?;
                    }
                    if let Some(p) = &person_found {
                        e.link(p, RecordKind::Person)?;
                    }
                    Ok(())
                })
                .await;
            busy.set(false);
            match created {
                Ok(id) => {
                    remember_currency(&currency_used);
                    navigate(&record_path(RecordKind::Deal, &id), Default::default());
                }
                Err(ActionError::Record(RecordError::Invalid { field, message })) => {
                    let at = match field {
                        "Amount" => "new-deal-amount",
                        "Currency" => "new-deal-currency",
                        "Expected close" => "new-deal-close",
                        _ => "new-deal-name",
                    };
                    error.set(Some((at, format!("{field}: {message}"))));
                }
                Err(e) => error.set(Some(("form", e.to_string()))),
            }
        });
    };

    let field_error = move |id: &'static str| {
        move || {
            error.get().filter(|(at, _)| *at == id).map(|(_, message)| {
                view! { <p class="field__error" role="alert" data-testid="form-error">{message}</p> }
            })
        }
    };
    let input = move |id: &'static str,
                      label: &'static str,
                      input_type: &'static str,
                      value: RwSignal<String>,
                      list: Option<&'static str>| {
        view! {
            <div class="field">
                <label class="field__label" for=id>{label}</label>
                <input id=id class="input" type=input_type data-testid=id list=list prop:value=value
                    aria-invalid=move || error.read().as_ref().is_some_and(|(at, _)| *at == id).to_string()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
                {field_error(id)}
            </div>
        }
    };
    view! {
        <div class="page page--narrow" data-testid="page-new-deal">
            <nav class="breadcrumb" aria-label="Breadcrumb"><A href="/deals">"← Deals"</A></nav>
            <header class="page__header"><h1 class="page__title">"New deal"</h1></header>
            {move || (!ws.writable.get()).then(|| view! {
                <div class="alert view-only" role="status" data-testid="view-only">
                    <strong>"View only."</strong>" Your role in this workspace lets you read deals, not create them."
                </div>
            })}
            <form class="card" on:submit=submit novalidate>
                {input("new-deal-name", "Name", "text", name, None)}
                <div class="field-row">
                    {input("new-deal-amount", "Amount", "text", amount, None)}
                    {input("new-deal-currency", "Currency", "text", currency, None)}
                </div>
                <div class="field-row">
                    <div class="field">
                        <label class="field__label" for="new-deal-pipeline">"Pipeline"</label>
                        <select id="new-deal-pipeline" class="input" data-testid="new-deal-pipeline" prop:value=move || chosen.read().id.to_string()
                            on:change=move |ev| pipeline.set(event_target_value(&ev))>
                            {move || all.get().into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label class="field__label" for="new-deal-stage">"Stage"</label>
                        <select id="new-deal-stage" class="input" data-testid="new-deal-stage" prop:value=stage
                            on:change=move |ev| stage.set(event_target_value(&ev))>
                            {move || stages.get().into_iter().map(|s| view! { <option value=s.id.clone() selected=s.id == stage.get_untracked()>{s.name}</option> }).collect_view()}
                        </select>
                    </div>
                </div>
                {input("new-deal-close", "Expected close", "date", close, None)}
                {input("new-deal-company", "Company", "text", company, Some("new-deal-companies"))}
                <datalist id="new-deal-companies">
                    <For each=move || companies.get() key=|n| n.clone() let(n)><option value=n></option></For>
                </datalist>
                {input("new-deal-person", "Person", "text", person, Some("new-deal-people"))}
                <datalist id="new-deal-people">
                    <For each=move || people.get() key=|n| n.clone() let(n)><option value=n></option></For>
                </datalist>
                {field_error("form")}
                <div class="form-actions">
                    <button type="submit" class="button button--primary" data-testid="create-deal" disabled=move || busy.get() || !ws.writable.get() || ws.phase.get() != Phase::Ready>"Create deal"</button>
                    <A href="/deals" attr:class="button button--quiet">"Cancel"</A>
                </div>
            </form>
        </div>
    }
}
