//! `/import`: pick or drop a file, check how it was read, map its columns, dry run, import,
//! undo.

use kith_core::io::mapping::{ImportTarget, TargetField};
use kith_core::io::plan::{ImportMode, MatchKey, grouped};
use kith_core::io::text::Encoding;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::files::{dropped_file, picked_file, read_file};
use super::wizard::{CHECKING, IMPORTING, ISSUES_SHOWN, Wizard};
use crate::pages::PageHeader;
use crate::workspace::Workspace;

/// Largest file read (bigger ones are refused before reading, with a way out).
const MAX_FILE_BYTES: f64 = 100e6;

const TARGETS: [(ImportTarget, &str); 3] = [
    (ImportTarget::People, "People"),
    (ImportTarget::Companies, "Companies"),
    (ImportTarget::Deals, "Deals"),
];
const MODES: [(ImportMode, &str); 3] = [
    (ImportMode::Upsert, "Create new and update existing"),
    (ImportMode::CreateOnly, "Create new only"),
    (ImportMode::UpdateOnly, "Update existing only"),
];
/// The keys that can find an existing record of a target.
fn keys_for(target: ImportTarget) -> &'static [MatchKey] {
    match target {
        ImportTarget::People => &[MatchKey::Email, MatchKey::RecordId],
        ImportTarget::Companies => &[MatchKey::Domain, MatchKey::RecordId],
        ImportTarget::Deals => &[MatchKey::RecordId],
    }
}
const DELIMITERS: [(char, &str); 4] = [
    (',', "Comma ,"),
    (';', "Semicolon ;"),
    ('\t', "Tab"),
    ('|', "Pipe |"),
];

/// A select over a fixed list; `on` gets the chosen index.
fn choice_select(
    id: &'static str,
    labels: Vec<String>,
    selected: impl Fn() -> usize + Send + Sync + 'static,
    disabled: impl Fn() -> bool + Send + Sync + 'static,
    on: impl Fn(usize) + 'static,
) -> impl IntoView {
    let selected = Signal::derive(selected);
    view! {
        <select class="input input--select" id=id data-testid=id disabled=disabled
            on:change=move |ev| on(event_target_value(&ev).parse().unwrap_or(0))>
            {labels.into_iter().enumerate().map(|(i, label)| {
                view! { <option value=i.to_string() selected=move || selected.get() == i>{label}</option> }
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let w = Wizard::new();
    // `/import?target=companies` from a list page starts on that target.
    let preset = use_query_map().with_untracked(|q| q.get("target"));
    if let Some((target, _)) = TARGETS
        .iter()
        .find(|(_, label)| preset.as_deref() == Some(&label.to_lowercase()))
    {
        w.target.set(*target);
        w.match_key.set(MatchKey::default_for(*target));
    }
    let take = move |file: web_sys::File| {
        let name = file.name();
        if file.size() > MAX_FILE_BYTES {
            w.error.set(Some(format!(
                "{name} is {:.0} MB; Kith imports files of up to {} MB at a time. Split it into smaller files (for example by date or by owner) and import each.",
                file.size() / 1e6,
                MAX_FILE_BYTES / 1e6
            )));
            return;
        }
        w.busy.set(Some("Reading the file…"));
        leptos::task::spawn_local(async move {
            match read_file(&file).await {
                Ok(bytes) => w.load(name, bytes).await,
                Err(e) => w
                    .error
                    .set(Some(format!("The file could not be read: {e}"))),
            }
            w.busy.set(None);
        });
    };
    let busy = move || w.busy.get().is_some();
    let can_write = move || ws.writable.get();
    view! {
        <div class="page transfer" data-testid="page-import"
            on:dragover=move |ev| ev.prevent_default()
            on:drop=move |ev| {
                ev.prevent_default();
                if let Some(file) = dropped_file(&ev) { take(file) }
            }>
            <PageHeader title="Import"/>
            <p class="muted">"Bring people, companies or deals from a CSV export (HubSpot, Salesforce, Pipedrive, Google Contacts, Outlook, a spreadsheet) or a vCard file. Nothing changes until you confirm the import, and every import can be undone."</p>
            <Show when=move || !can_write()>
                <p class="transfer__error" role="alert">"View only: your role in this workspace does not allow importing."</p>
            </Show>
            <label class="transfer__drop" data-testid="import-drop" for="import-file">
                <span class="transfer__drop-title">"Drop a file here, or choose one"</span>
                <span class="muted">".csv, .txt or .vcf"</span>
                <input type="file" id="import-file" data-testid="import-file" accept=".csv,.txt,.tsv,.vcf,text/csv,text/vcard"
                    disabled=busy
                    on:change=move |ev| if let Some(file) = picked_file(&ev) { take(file) }/>
            </label>
            {move || w.error.get().map(|e| view! { <p class="transfer__error" role="alert" data-testid="import-error">{e}</p> })}
            <Show when=move || w.has_file_signal()>
                <Options w=w/>
                <Preview w=w/>
                <DryRunPanel w=w ws=ws/>
            </Show>
            <Progress w=w/>
            {move || w.result.get().map(|(_, what)| view! {
                <section class="card transfer__result" data-testid="import-result" aria-live="polite">
                    <p>{what}</p>
                    <button class="button" data-testid="import-undo" disabled=busy on:click=move |_| w.undo(ws)>"Undo import"</button>
                    <a href="/settings/data">"Import history"</a>
                </section>
            })}
            {move || w.message.get().map(|m| view! { <p class="transfer__message" role="status" data-testid="import-message">{m}</p> })}
        </div>
    }
}

impl Wizard {
    /// Whether a readable file is loaded (tracks the signals that change with it).
    fn has_file_signal(&self) -> bool {
        self.headers.track();
        self.error.get().is_none() && self.has_file()
    }
}

#[component]
fn Options(w: Wizard) -> impl IntoView {
    let busy = move || w.busy.get().is_some();
    let enc = Encoding::ALL;
    view! {
        <section class="card transfer__options" aria-label="How the file is read">
            <div class="field">
                <label for="import-target">"What is in it"</label>
                {choice_select("import-target", TARGETS.iter().map(|t| t.1.to_string()).collect(),
                    move || TARGETS.iter().position(|t| t.0 == w.target.get()).unwrap_or(0),
                    move || busy() || w.vcard.get(),
                    move |i| {
                        let target = TARGETS[i].0;
                        w.target.set(target);
                        w.match_key.set(MatchKey::default_for(target));
                        w.guess_mapping();
                    })}
            </div>
            <div class="field">
                <label for="import-encoding">"Encoding"</label>
                {choice_select("import-encoding", enc.iter().map(|e| e.label().to_string()).collect(),
                    move || enc.iter().position(|e| *e == w.encoding.get()).unwrap_or(0),
                    busy,
                    move |i| {
                        w.encoding.set(enc[i]);
                        w.busy.set(Some("Reading the file…"));
                        leptos::task::spawn_local(async move {
                            w.decode(false).await;
                            w.reparse(false);
                            w.busy.set(None);
                        });
                    })}
            </div>
            <Show when=move || !w.vcard.get()>
                <div class="field">
                    <label for="import-delimiter">"Separator"</label>
                    {choice_select("import-delimiter", DELIMITERS.iter().map(|d| d.1.to_string()).collect(),
                        move || DELIMITERS.iter().position(|d| d.0 == w.delimiter.get()).unwrap_or(0),
                        busy,
                        move |i| { w.delimiter.set(DELIMITERS[i].0); w.reparse(false); })}
                </div>
                <div class="field field--check">
                    <input type="checkbox" id="import-header" data-testid="import-header"
                        prop:checked=move || w.header.get() disabled=busy
                        on:change=move |ev| { w.header.set(event_target_checked(&ev)); w.reparse(false); }/>
                    <label for="import-header">"The first row holds column names"</label>
                </div>
            </Show>
            <div class="field">
                <label for="import-mode">"Mode"</label>
                {choice_select("import-mode", MODES.iter().map(|m| m.1.to_string()).collect(),
                    move || MODES.iter().position(|m| m.0 == w.mode.get()).unwrap_or(0),
                    busy,
                    move |i| { w.mode.set(MODES[i].0); w.invalidate(); })}
            </div>
            <div class="field">
                <label for="import-match">"Match existing records by"</label>
                {move || {
                    let keys = keys_for(w.target.get());
                    choice_select("import-match", keys.iter().map(|k| k.label().to_string()).collect(),
                        move || keys.iter().position(|k| *k == w.match_key.get()).unwrap_or(0),
                        busy,
                        move |i| { w.match_key.set(keys[i]); w.invalidate(); })
                }}
            </div>
            {move || (w.replaced.get() > 0).then(|| view! {
                <p class="transfer__warning" role="status">{format!("{} characters could not be read in this encoding (shown as �). Try another encoding.", w.replaced.get())}</p>
            })}
        </section>
    }
}

#[component]
fn Preview(w: Wizard) -> impl IntoView {
    let busy = move || w.busy.get().is_some();
    let fields = move || TargetField::for_target(w.target.get());
    view! {
        <section class="card transfer__preview" aria-labelledby="import-preview-title">
            <h2 class="card__title" id="import-preview-title">"Preview and columns"</h2>
            {move || w.preview_note.get().map(|n| view! { <p class="transfer__warning" role="alert" data-testid="import-preview-note">{n}</p> })}
            <div class="transfer__table-wrap" tabindex="0" aria-label="Preview of the first rows">
                <table class="transfer__table" data-testid="import-preview">
                    <thead>
                        <tr>
                            {move || w.headers.get().into_iter().enumerate().map(|(i, h)| {
                                let id = format!("import-map-{i}");
                                view! {
                                    <th scope="col">
                                        <span class="transfer__col">{h}</span>
                                        <Show when=move || !w.vcard.get()>
                                            <label class="visually-hidden" for=id.clone()>{format!("Column {} goes to", i + 1)}</label>
                                            <select class="input input--select" id=id.clone() data-testid=id.clone() disabled=busy
                                                on:change=move |ev| {
                                                    let v = event_target_value(&ev);
                                                    let field = v.parse::<usize>().ok().and_then(|f| fields().get(f).copied());
                                                    w.set_mapping(i, field);
                                                }>
                                                <option value="" selected=move || w.mapping.with(|m| m.get(i).copied().flatten().is_none())>"Don't import"</option>
                                                {move || fields().iter().enumerate().map(|(f, field)| {
                                                    let field = *field;
                                                    view! { <option value=f.to_string() selected=move || w.mapping.with(|m| m.get(i).copied().flatten() == Some(field))>{field.label()}</option> }
                                                }).collect_view()}
                                            </select>
                                        </Show>
                                    </th>
                                }
                            }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {move || w.preview.get().into_iter().map(|row| view! {
                            <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn DryRunPanel(w: Wizard, ws: Workspace) -> impl IntoView {
    let busy = move || w.busy.get().is_some();
    let filter = RwSignal::new(String::from("all"));
    let shown = move || {
        let f = filter.get();
        let issues = w.issues.get();
        let total = issues.iter().filter(|i| f == "all" || i.kind == f).count();
        let rows: Vec<_> = issues
            .into_iter()
            .filter(|i| f == "all" || i.kind == f)
            .take(ISSUES_SHOWN)
            .collect();
        (rows, total)
    };
    view! {
        <section class="card transfer__dry" aria-labelledby="import-dry-title">
            <h2 class="card__title" id="import-dry-title">"Check, then import"</h2>
            <div class="transfer__actions">
                <button class="button" data-testid="import-dry-run" disabled=move || busy() || !ws.writable.get()
                    on:click=move |_| w.start_dry_run(ws)>"Dry run"</button>
                <button class="button button--primary" data-testid="import-run"
                    disabled=move || busy() || w.summary.get().is_none() || w.writes() == 0
                    on:click=move |_| w.confirming.set(true)>"Import"</button>
            </div>
            {move || w.summary.get().map(|s| view! { <p class="transfer__summary" data-testid="import-summary" aria-live="polite">{s}</p> })}
            <Show when=move || w.confirming.get()>
                <div class="transfer__confirm" role="group" aria-labelledby="import-confirm-text">
                    <p id="import-confirm-text">{move || format!("Write {} records into this workspace now? You can undo the whole import afterwards.", grouped(w.writes()))}</p>
                    <button class="button button--primary" data-testid="import-confirm" on:click=move |_| w.start_import(ws)>"Import now"</button>
                    <button class="button" on:click=move |_| w.confirming.set(false)>"Not yet"</button>
                </div>
            </Show>
            <Show when=move || !w.issues.with(Vec::is_empty)>
                <div class="field">
                    <label for="import-issue-filter">"Show"</label>
                    <select class="input input--select" id="import-issue-filter" data-testid="import-issue-filter" on:change=move |ev| filter.set(event_target_value(&ev))>
                        <option value="all">"Every row to look at"</option>
                        <option value="error">"Errors"</option>
                        <option value="skip">"Skipped"</option>
                        <option value="update">"Updates"</option>
                        <option value="duplicate">"Possible duplicates"</option>
                        <option value="note">"Warnings"</option>
                    </select>
                </div>
                <table class="transfer__table transfer__issues">
                    <thead><tr><th scope="col">"Line"</th><th scope="col">"What"</th><th scope="col">"Details"</th></tr></thead>
                    <tbody>
                        {move || shown().0.into_iter().map(|i| view! {
                            <tr data-testid="import-issue" class=format!("transfer__issue--{}", i.kind)>
                                <td>{i.line}</td>
                                <td>{match i.kind { "error" => "Error", "skip" => "Skipped", "update" => "Update", "duplicate" => "Possible duplicate", _ => "Warning" }}</td>
                                <td>{i.text}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {move || { let (rows, total) = shown(); (total > rows.len()).then(|| view! { <p class="muted">{format!("Showing {} of {}.", rows.len(), grouped(total))}</p> }) }}
            </Show>
        </section>
    }
}

#[component]
fn Progress(w: Wizard) -> impl IntoView {
    view! {
        {move || w.busy.get().map(|what| {
            let (done, total) = w.progress.get();
            let pct = (done * 100).checked_div(total).unwrap_or(0);
            view! {
                <div class="transfer__progress-box" aria-live="polite">
                    <p>{what}</p>
                    <div class="transfer__progress" role="progressbar" data-testid="import-progress" aria-label=what
                        aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct.to_string()>
                        <div class="transfer__progress-bar" style=format!("width: {pct}%")></div>
                    </div>
                    {(what == IMPORTING || what == CHECKING).then(|| view! {
                        <button class="button" data-testid="import-cancel" on:click=move |_| w.cancel()>"Cancel"</button>
                    })}
                </div>
            }
        })}
    }
}
