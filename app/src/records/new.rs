//! Creating a person or company: the few fields people fill in first, validated together.
//! `?stage=lead` presets the lifecycle stage (the Leads page's "New lead").

use kith_core::ids::RecordId;
use kith_core::record::{Channel, Field, LifecycleStage, RecordError, RecordKind};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::{kind_noun, kind_plural, record_path, section_path};
use crate::duplicates::FormDuplicates;
use crate::workspace::{ActionError, Workspace};

#[component]
pub fn NewRecord(kind: RecordKind) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let noun = kind_noun(kind);
    document().set_title(&format!("New {noun} · Kith"));
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let domain = RwSignal::new(String::new());
    let company = RwSignal::new(String::new());
    let preset = use_query_map()
        .read_untracked()
        .get("stage")
        .and_then(|s| LifecycleStage::parse(&s));
    let stage = RwSignal::new(preset.map(|s| s.as_str().to_string()).unwrap_or_default());
    let lead = preset == Some(LifecycleStage::Lead);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if name.get_untracked().trim().is_empty() {
            return error.set(Some(format!("Give the {noun} a name.")));
        }
        busy.set(true);
        let navigate = navigate.clone();
        let (name, email, phone, domain, stage, company) = (
            name.get_untracked(),
            email.get_untracked(),
            phone.get_untracked(),
            domain.get_untracked(),
            stage.get_untracked(),
            company.get_untracked().trim().to_string(),
        );
        leptos::task::spawn_local(async move {
            // Submitted while the workspace still opens (a fast typist, a big workspace):
            // wait for it rather than refuse what was typed.
            if let Err(message) = ws.ready().await {
                busy.set(false);
                return error.set(Some(format!(
                    "Your workspace could not be opened: {message}"
                )));
            }
            let created = ws
                .create(kind, move |e| {
                    e.set(Field::Name, &name)?;
                    e.set(Field::Stage, &stage)?;
                    if kind == RecordKind::Company && !domain.trim().is_empty() {
                        e.set(Field::Domain, &domain)?;
                    }
                    if kind == RecordKind::Person && !email.trim().is_empty() {
                        e.add_channel(Channel::Email, &email, "")?;
                    }
                    if kind == RecordKind::Person && !phone.trim().is_empty() {
                        e.add_channel(Channel::Phone, &phone, "")?;
                    }
                    Ok(())
                })
                .await;
            // The person exists now; their company (found by name, else created) comes second,
            // so a refused email never leaves a stray company behind.
            let created = match created {
                Ok(id) if kind == RecordKind::Person && !company.is_empty() => {
                    link_company(ws, &id, &company).await.map(|()| id)
                }
                other => other,
            };
            busy.set(false);
            match created {
                Ok(id) => navigate(&record_path(kind, &id), Default::default()),
                Err(ActionError::Record(RecordError::Invalid { field, message })) => {
                    error.set(Some(format!("{field}: {message}")))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    let input = move |id: &'static str,
                      label: &'static str,
                      input_type: &'static str,
                      value: RwSignal<String>| {
        view! {
            <div class="field">
                <label class="field__label" for=id>{label}</label>
                <input
                    id=id
                    class="input"
                    type=input_type
                    data-testid=id
                    prop:value=value
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </div>
        }
    };

    view! {
        <div class="page page--narrow" data-testid=format!("new-{noun}")>
            <nav class="breadcrumb" aria-label="Breadcrumb">
                {if lead {
                    view! { <A href="/leads">"← Leads"</A> }.into_any()
                } else {
                    view! { <A href=section_path(kind)>{format!("← {}", kind_plural(kind))}</A> }.into_any()
                }}
            </nav>
            <header class="page__header">
                <h1 class="page__title">{if lead { format!("New lead ({noun})") } else { format!("New {noun}") }}</h1>
            </header>
            {move || (!ws.writable.get()).then(|| view! {
                <div class="alert view-only" role="status" data-testid="view-only">
                    <strong>"View only."</strong>
                    " Your role in this workspace lets you read records, not create them."
                </div>
            })}
            <form class="card" on:submit=submit novalidate>
                {input("new-name", "Name", "text", name)}
                {match kind {
                    RecordKind::Company => input("new-domain", "Domain", "text", domain).into_any(),
                    _ => view! {
                        {input("new-email", "Email", "email", email)}
                        {input("new-phone", "Phone", "tel", phone)}
                        <div class="field">
                            <label class="field__label" for="new-company">"Company"</label>
                            <input
                                id="new-company"
                                class="input"
                                list="new-company-names"
                                placeholder="Type a company's name"
                                data-testid="new-company"
                                prop:value=company
                                on:input=move |ev| company.set(event_target_value(&ev))
                            />
                            <datalist id="new-company-names">
                                <For each=move || company_names(ws, &company.get()) key=|n| n.clone() let(name)>
                                    <option value=name></option>
                                </For>
                            </datalist>
                        </div>
                    }.into_any(),
                }}
                <div class="field">
                    <label class="field__label" for="new-stage">{Field::Stage.label()}</label>
                    <select id="new-stage" class="input" data-testid="new-stage" prop:value=stage on:change=move |ev| stage.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {LifecycleStage::ALL.iter().map(|s| view! {
                            <option value=s.as_str() prop:selected=move || stage.read().as_str() == s.as_str()>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                // Before creating, not after: "this may already be here" while it is cheap to stop.
                <FormDuplicates kind name email phone domain company/>
                {move || error.get().map(|message| view! { <p class="field__error" role="alert" data-testid="form-error">{message}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button button--primary" data-testid="create-record" disabled=move || busy.get() || !ws.writable.get()>
                        {format!("Create {noun}")}
                    </button>
                    <A href=section_path(kind) attr:class="button button--quiet">"Cancel"</A>
                </div>
            </form>
        </div>
    }
}

/// Companies offered while typing: a few whose name starts with what is typed.
fn company_names(ws: Workspace, typed: &str) -> Vec<String> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() {
        return Vec::new();
    }
    ws.with_directory(|d| {
        let mut names: Vec<String> = (0..d.len())
            .map(|i| d.at(i))
            .filter(|s| s.kind == RecordKind::Company && !s.deleted)
            .filter(|s| s.name.to_lowercase().starts_with(&typed))
            .map(|s| s.name.clone())
            .take(20)
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

/// Sets person `id`'s company to the one named `name`, creating it when there is none.
async fn link_company(ws: Workspace, id: &RecordId, name: &str) -> Result<(), ActionError> {
    let existing = ws.with_directory(|d| {
        d.find_by_name(RecordKind::Company, name)
            .map(|c| c.id.clone())
    });
    let company = match existing {
        Some(c) => c,
        None => {
            ws.create(RecordKind::Company, |e| e.set(Field::Name, name))
                .await?
        }
    };
    ws.edit(id, |e| e.set(Field::CompanyId, company.as_str()))
        .await
}
