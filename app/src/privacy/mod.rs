//! Privacy requests on a person's page: export everything Kith holds about them (JSON), and
//! erase them, with a confirmation that names them and asks for their name to be typed.

use kith_core::ids::RecordId;
use kith_core::privacy;
use kith_core::record::{Field, Record};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use crate::duplicates::run_edits;
use crate::toasts::Toasts;
use crate::workspace::{ActionError, Workspace, now_ms};

/// The person and every record linking to them, loaded.
async fn gather(ws: Workspace, id: &RecordId) -> Result<(Record, Vec<Record>), ActionError> {
    let person = ws.record(id).await?;
    let linked_ids: Vec<RecordId> = ws.with_directory(|d| {
        (0..d.len())
            .map(|i| d.at(i))
            .filter(|s| s.links.contains(id))
            .map(|s| s.id.clone())
            .collect()
    });
    let mut linked = Vec::with_capacity(linked_ids.len());
    for other in &linked_ids {
        linked.push(ws.record(other).await?);
    }
    Ok((person, linked))
}

/// A `data:` URL holding `json`, and a file name for it.
fn export_link(json: &str, name: &str) -> (String, String) {
    let href = format!(
        "data:application/json;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(json))
    );
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    (href, format!("kith-{}.json", slug.trim_matches('-')))
}

/// Starts the download of `href` as `file`.
fn start_download(href: &str, file: &str) {
    let document = document();
    let Ok(a) = document.create_element("a") else {
        return;
    };
    let _ = a.set_attribute("href", href);
    let _ = a.set_attribute("download", file);
    let _ = a.set_attribute("hidden", "");
    if let Some(body) = document.body() {
        let _ = body.append_child(&a);
        a.unchecked_ref::<web_sys::HtmlElement>().click();
        a.remove();
    }
}

/// "Export data" and "Erase person…" for the person `id`.
#[component]
pub fn PrivacyActions(id: RecordId) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let navigate = use_navigate();
    let id = StoredValue::new(id);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(String::new());
    let exported = RwSignal::new(None::<(String, String)>);
    let confirming = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let name = Memo::new(move |_| {
        ws.with_directory(|d| d.get(&id.get_value()).map(|s| s.name.clone()))
            .unwrap_or_default()
    });
    // What must be typed: the name, or "erase" for a person without one.
    let expected = move || {
        let n = name.get();
        if n.trim().is_empty() {
            "erase".to_string()
        } else {
            n
        }
    };
    let matches = move || typed.get().trim().to_lowercase() == expected().trim().to_lowercase();

    let export = move |_| {
        busy.set(true);
        error.set(String::new());
        leptos::task::spawn_local(async move {
            match gather(ws, &id.get_value()).await {
                Ok((mut person, mut linked)) => {
                    let json = privacy::export(&mut person, &mut linked, now_ms());
                    let text = serde_json::to_string_pretty(&json).unwrap_or_default();
                    let (href, file) = export_link(&text, &name.get_untracked());
                    start_download(&href, &file);
                    exported.try_set(Some((href, file)));
                }
                Err(e) => {
                    error.try_set(format!("The export failed: {e}"));
                }
            }
            busy.try_set(false);
        });
    };

    let erase = move |_| {
        if !matches() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(String::new());
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let person_id = id.get_value();
            let result = async {
                let (person, linked) = gather(ws, &person_id).await?;
                let label = person
                    .text(Field::Name)
                    .unwrap_or_else(|| "The person".into());
                // Ordinary changes first: they reach every device, even one that never hears
                // of the purge below.
                let edits = privacy::erase_plan(&person, &linked);
                run_edits(ws, &edits, None).await?;
                // Then every byte of the person, history included, on this device and (when
                // connected) on the relay and every other device.
                ws.erase(std::slice::from_ref(&person_id), None, false)
                    .await?;
                Ok::<_, ActionError>(label)
            }
            .await;
            busy.try_set(false);
            match result {
                Ok(label) => {
                    toasts.show(format!("{label} was erased"));
                    navigate("/people", Default::default());
                }
                Err(e) => {
                    error.try_set(format!("The erasure did not finish: {e}"));
                }
            }
        });
    };

    view! {
        <section class="card privacy" data-testid="privacy" aria-labelledby="privacy-title">
            <h2 id="privacy-title" class="card__title">"Privacy"</h2>
            <div class="form-actions">
                <button
                    type="button"
                    class="button button--small"
                    data-testid="privacy-export"
                    disabled=move || busy.get()
                    on:click=export
                >
                    "Export their data (JSON)"
                </button>
                <button
                    type="button"
                    class="button button--small button--danger"
                    data-testid="privacy-erase"
                    aria-expanded=move || confirming.get().to_string()
                    disabled=move || busy.get() || !ws.writable.get() || !ws.erasable.get()
                    aria-describedby="privacy-erase-who"
                    on:click=move |_| {
                        typed.set(String::new());
                        confirming.update(|c| *c = !*c);
                    }
                >
                    "Erase person…"
                </button>
            </div>
            <p
                id="privacy-erase-who"
                class="field__hint"
                data-testid="privacy-erase-who"
                hidden=move || ws.erasable.get()
            >
                "Only an owner or admin of this workspace can erase a person."
            </p>
            {move || exported.get().map(|(href, file)| view! {
                <p class="privacy__done">
                    "Export ready. "
                    <a href=href download=file data-testid="privacy-export-link">"Download again"</a>
                </p>
            })}
            {move || confirming.get().then(|| {
                let erase = erase.clone();
                view! {
                <form
                    class="privacy__confirm"
                    data-testid="privacy-erase-dialog"
                    role="group"
                    aria-labelledby="privacy-erase-title"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        erase(());
                    }
                >
                    <h3 id="privacy-erase-title" class="privacy__confirm-title">
                        {move || format!("Erase {} for good?", if name.get().is_empty() { "this person".to_string() } else { name.get() })}
                    </h3>
                    <p>
                        "Their name, emails, phones, address, notes and tags are removed, the record is deleted, and their name and contact details are replaced by “[erased]” in the activities, tasks and deals linked to them. This cannot be undone."
                    </p>
                    <div class="field">
                        <label class="field__label" for="privacy-erase-name">
                            {move || format!("Type “{}” to confirm", expected())}
                        </label>
                        <input
                            id="privacy-erase-name"
                            class="input"
                            data-testid="privacy-erase-name"
                            autocomplete="off"
                            prop:value=typed
                            on:input=move |ev| typed.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="form-actions">
                        <button
                            type="submit"
                            class="button button--danger"
                            data-testid="privacy-erase-confirm"
                            disabled=move || busy.get() || !matches()
                        >
                            "Erase"
                        </button>
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </form>
            }})}
            <p class="field__error" role="alert" data-testid="privacy-error" hidden=move || error.read().is_empty()>
                {move || error.get()}
            </p>
        </section>
    }
}
