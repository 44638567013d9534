//! Creating a person or company: the few fields people fill in first, validated together.

use kith_core::record::{Channel, Field, RecordError, RecordKind};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::{kind_noun, kind_plural, record_path, section_path};
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
        let (name, email, phone, domain) = (
            name.get_untracked(),
            email.get_untracked(),
            phone.get_untracked(),
            domain.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let created = ws
                .create(kind, move |e| {
                    e.set(Field::Name, &name)?;
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
                <A href=section_path(kind)>{format!("← {}", kind_plural(kind))}</A>
            </nav>
            <header class="page__header"><h1 class="page__title">{format!("New {noun}")}</h1></header>
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
                    }.into_any(),
                }}
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
