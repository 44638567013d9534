use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::PageHeader;
use crate::relay_link::{LinkState, RelayLink};
use crate::workspace::Workspace;

#[component]
pub fn Settings() -> impl IntoView {
    let state = expect_context::<RelayLink>().state();
    let storage = LocalResource::new(storage_usage);
    let ws = expect_context::<Workspace>();
    view! {
        <div class="page" data-testid="page-settings">
            <PageHeader title="Settings"/>
            // First when there are any: the sync indicator's "Details" leads here.
            {move || {
                let problems = ws.problems.get();
                (!problems.is_empty()).then(|| view! {
                    <section class="card" aria-labelledby="settings-problems" data-testid="settings-problems">
                        <h2 class="card__title" id="settings-problems">"Problems"</h2>
                        <p class="muted">"What Kith could not read from this device's storage or could not send to the relay. Everything concerned is kept on this device, untouched; everything else works."</p>
                        <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                    </section>
                })
            }}
            <crate::account::AccountSettings/>
            <section class="card" aria-labelledby="settings-pipelines">
                <h2 class="card__title" id="settings-pipelines">"Deals"</h2>
                <a href="/settings/pipelines" data-testid="settings-pipelines">"Pipelines"</a>
            </section>
            <section class="card" aria-labelledby="settings-data">
                <h2 class="card__title" id="settings-data">"Data"</h2>
                <a href="/settings/data" data-testid="settings-data">"Import & export"</a>
                <a href="/duplicates" data-testid="settings-duplicates">"Duplicates"</a>
            </section>
            <section class="card" aria-labelledby="settings-relay">
                <h2 class="card__title" id="settings-relay">"Relay"</h2>
                <dl class="facts">
                    <dt>"Status"</dt>
                    <dd data-testid="settings-relay-status">{move || state.read().description()}</dd>
                    <dt>"Relay id"</dt>
                    <dd class="mono">
                        {move || match &*state.read() {
                            LinkState::Online { relay_id, .. } => relay_id.clone(),
                            _ => "—".into(),
                        }}
                    </dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="settings-device">
                <h2 class="card__title" id="settings-device">"This device"</h2>
                <dl class="facts">
                    <dt>"App version"</dt>
                    <dd>{env!("CARGO_PKG_VERSION")}</dd>
                    <dt>"Storage used"</dt>
                    <dd data-testid="settings-storage">
                        {move || match storage.get() {
                            None => "Measuring…".to_string(),
                            Some(Ok(usage)) => usage.describe(),
                            Some(Err(e)) => format!("Unavailable: {e}"),
                        }}
                    </dd>
                </dl>
            </section>
        </div>
    }
}

/// What the browser reports about this site's storage.
#[derive(Debug, Clone, PartialEq)]
struct StorageUsage {
    used: f64,
    quota: f64,
    persisted: bool,
}

impl StorageUsage {
    fn describe(&self) -> String {
        let kept = if self.persisted {
            "kept until you delete it"
        } else {
            "the browser may clear it when space runs low"
        };
        format!(
            "{} of {} available ({kept})",
            human_bytes(self.used),
            human_bytes(self.quota)
        )
    }
}

async fn storage_usage() -> Result<StorageUsage, String> {
    let storage = window().navigator().storage();
    let estimate: web_sys::StorageEstimate = JsFuture::from(storage.estimate().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .unchecked_into();
    let persisted = JsFuture::from(storage.persisted().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .as_bool()
        .unwrap_or(false);
    Ok(StorageUsage {
        used: estimate.get_usage().unwrap_or(0.0),
        quota: estimate.get_quota().unwrap_or(0.0),
        persisted,
    })
}

fn js_error(e: wasm_bindgen::JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
