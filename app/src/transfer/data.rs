//! `/settings/data`: import history with undo, CSV and vCard export, backup and restore.

use kith_core::io::csv::WriteOptions;
use kith_core::io::mapping::ImportTarget;
use kith_core::io::vcard::VcardVersion;
use kith_core::record::RecordKind;
use leptos::prelude::*;

use super::export::{apply_restore, backup_text, kind_csv, people_vcards, prepare_restore};
use super::files::{download, iso_day, picked_file, read_file};
use super::run::{self, HistoryEntry};
use crate::pages::PageHeader;
use crate::workspace::{Phase, Workspace, now_ms};

const KINDS: [(RecordKind, &str, &str); 4] = [
    (RecordKind::Person, "People", "people"),
    (RecordKind::Company, "Companies", "companies"),
    (RecordKind::Deal, "Deals", "deals"),
    (RecordKind::Task, "Tasks", "tasks"),
];

#[component]
pub fn DataPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let status = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let report = move |result: Result<String, String>| match result {
        Ok(m) => {
            problem.set(None);
            status.set(Some(m));
        }
        Err(e) => {
            status.set(None);
            problem.set(Some(e));
        }
    };
    // Exports read the directory: not before every record is in it.
    let loading = move || ws.phase.get() != Phase::Ready;
    let kind = RwSignal::new(0usize);
    let bom = RwSignal::new(false);
    let neutralise = RwSignal::new(true);
    let export_csv = move |_| {
        let (kind, _, name) = KINDS[kind.get_untracked()];
        let options = WriteOptions {
            neutralise_formulas: neutralise.get_untracked(),
            ..WriteOptions::default()
        };
        let bom = bom.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let file = format!("kith-{name}-{}.csv", iso_day(now_ms()));
            let result = kind_csv(ws, kind, options, bom).await.and_then(|text| {
                download(&file, text.as_bytes(), "text/csv;charset=utf-8")
                    .map(|()| format!("Exported {file}."))
            });
            report(result);
            busy.set(false);
        });
    };
    let v3 = RwSignal::new(false);
    let export_vcard = move |_| {
        let version = if v3.get_untracked() {
            VcardVersion::V3
        } else {
            VcardVersion::V4
        };
        let text = ws.with_directory(|d| people_vcards(d, version));
        let file = format!("kith-people-{}.vcf", iso_day(now_ms()));
        report(
            download(&file, text.as_bytes(), "text/vcard;charset=utf-8")
                .map(|()| format!("Exported {file}.")),
        );
    };
    let export_backup = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match backup_text(ws).await {
                Ok((text, problems)) => {
                    let file = format!("kith-backup-{}.json", iso_day(now_ms()));
                    download(&file, text.as_bytes(), "application/json").map(|()| {
                        if problems.is_empty() {
                            format!("Backup saved as {file}.")
                        } else {
                            format!(
                                "Backup saved as {file}; {} unreadable records were left out.",
                                problems.len()
                            )
                        }
                    })
                }
                Err(e) => Err(e),
            };
            report(result);
            busy.set(false);
        });
    };
    let restored = RwSignal::new(0usize);
    // A backup read and checked, waiting for "Restore" (nothing is written before).
    let pending = StoredValue::new_local(None::<std::rc::Rc<kith_core::backup::Backup>>);
    let confirm_text = RwSignal::new(None::<String>);
    let restore_file = move |ev: web_sys::Event| {
        let Some(file) = picked_file(&ev) else { return };
        busy.set(true);
        confirm_text.set(None);
        status.set(Some("Reading the backup…".into()));
        leptos::task::spawn_local(async move {
            let prepared = match read_file(&file).await {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => prepare_restore(ws, &text).await,
                    Err(_) => Err("This is not a Kith backup (it is not text).".into()),
                },
                Err(e) => Err(format!("The file could not be read: {e}")),
            };
            match prepared {
                Ok(backup) => {
                    status.set(None);
                    problem.set(None);
                    let n = backup.records.len();
                    confirm_text.set(Some(format!(
                        "{} holds {n} record{} of “{}”, saved on {}. Records already here are kept as they are; the others are added.",
                        file.name(),
                        if n == 1 { "" } else { "s" },
                        backup.workspace.name,
                        iso_day(backup.exported_at)
                    )));
                    pending.set_value(Some(std::rc::Rc::new(backup)));
                }
                Err(e) => report(Err(e)),
            }
            busy.set(false);
        });
    };
    let cancel_restore = move |_| {
        pending.set_value(None);
        confirm_text.set(None);
    };
    let confirm_restore = move |_| {
        let Some(backup) = pending.get_value() else {
            return;
        };
        pending.set_value(None);
        confirm_text.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            report(apply_restore(ws, &backup, move |n| restored.set(n)).await);
            busy.set(false);
        });
    };
    view! {
        <div class="page transfer" data-testid="page-data">
            <PageHeader title="Import & export"/>
            {move || status.get().map(|m| view! { <p class="transfer__message" role="status" data-testid="data-status">{m}</p> })}
            {move || problem.get().map(|m| view! { <p class="transfer__error" role="alert" data-testid="data-error">{m}</p> })}
            <section class="card" aria-labelledby="data-import-title">
                <h2 class="card__title" id="data-import-title">"Import"</h2>
                <p><a class="button" href="/import" data-testid="data-import-link">"Import a CSV or vCard file"</a></p>
                <History ws=ws/>
            </section>
            <section class="card" aria-labelledby="data-csv-title">
                <h2 class="card__title" id="data-csv-title">"Export CSV"</h2>
                <div class="field">
                    <label for="export-kind">"Records"</label>
                    <select class="input input--select" id="export-kind" data-testid="export-kind" on:change=move |ev| kind.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {KINDS.iter().enumerate().map(|(i, k)| view! { <option value=i.to_string()>{k.1}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field field--check">
                    <input type="checkbox" id="export-bom" data-testid="export-bom" on:change=move |ev| bom.set(event_target_checked(&ev))/>
                    <label for="export-bom">"For Excel (UTF-8 with byte-order mark)"</label>
                </div>
                <div class="field field--check">
                    <input type="checkbox" id="export-neutralise" data-testid="export-neutralise" checked=true
                        on:change=move |ev| neutralise.set(event_target_checked(&ev)) aria-describedby="export-neutralise-help"/>
                    <label for="export-neutralise">"Neutralise formulas"</label>
                </div>
                <p class="muted" id="export-neutralise-help">"On by default: a value starting with =, +, - or @ gets a leading ' so a spreadsheet shows it instead of running it as a formula."</p>
                <button class="button" data-testid="export-csv" disabled=move || loading() || busy.get() on:click=export_csv>"Export CSV"</button>
            </section>
            <section class="card" aria-labelledby="data-vcard-title">
                <h2 class="card__title" id="data-vcard-title">"Export people as vCards"</h2>
                <div class="field">
                    <label for="export-vcard-version">"Version"</label>
                    <select class="input input--select" id="export-vcard-version" data-testid="export-vcard-version" on:change=move |ev| v3.set(event_target_value(&ev) == "3")>
                        <option value="4">"vCard 4.0"</option>
                        <option value="3">"vCard 3.0 (older address books)"</option>
                    </select>
                </div>
                <button class="button" data-testid="export-vcard" disabled=loading on:click=export_vcard>"Export vCards"</button>
            </section>
            <section class="card" aria-labelledby="data-backup-title">
                <h2 class="card__title" id="data-backup-title">"Backup"</h2>
                <p class="muted">"The whole workspace in one file, every record with its full history. Restore it into an empty workspace to get identical records."</p>
                <button class="button" data-testid="export-backup" disabled=move || busy.get() on:click=export_backup>"Export backup"</button>
                <div class="field">
                    <label for="import-backup">"Restore a backup"</label>
                    <input type="file" id="import-backup" data-testid="import-backup" accept=".json,application/json"
                        disabled=move || busy.get() || !ws.writable.get() on:change=restore_file/>
                </div>
                {move || confirm_text.get().map(|text| view! {
                    <div class="transfer__confirm" role="group" aria-labelledby="restore-confirm-text" data-testid="restore-confirm-group">
                        <p id="restore-confirm-text">{text}</p>
                        <div class="form-actions">
                            <button class="button button--primary" data-testid="restore-confirm" on:click=confirm_restore>"Restore"</button>
                            <button class="button" data-testid="restore-cancel" on:click=cancel_restore>"Cancel"</button>
                        </div>
                    </div>
                })}
                {move || (busy.get() && restored.get() > 0).then(|| view! { <p role="status">{format!("{} records restored…", restored.get())}</p> })}
            </section>
        </div>
    }
}

/// Past imports, newest first, each with Undo.
#[component]
fn History(ws: Workspace) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let entries = LocalResource::new(move || {
        reload.track();
        run::history(ws)
    });
    let note = RwSignal::new(None::<String>);
    let undo = move |id: String| {
        note.set(Some("Undoing…".into()));
        leptos::task::spawn_local(async move {
            let result = run::undo_import(ws, &id, |_, _| {}).await;
            note.set(Some(result.unwrap_or_else(|e| e)));
            reload.update(|r| *r += 1);
        });
    };
    view! {
        <h3 class="transfer__subtitle">"Past imports"</h3>
        {move || note.get().map(|n| view! { <p role="status" data-testid="import-history-note">{n}</p> })}
        <ul class="transfer__history" data-testid="import-history">
            {move || match entries.get() {
                None => view! { <li class="muted">"Loading…"</li> }.into_any(),
                Some(Err(e)) => view! { <li class="transfer__error">{e}</li> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <li class="muted">"No imports yet."</li> }.into_any(),
                Some(Ok(list)) => list.into_iter().map(|e| entry(e, undo)).collect_view().into_any(),
            }}
        </ul>
    }
}

fn entry(e: HistoryEntry, undo: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let what = match e.target {
        ImportTarget::People => "people",
        ImportTarget::Companies => "companies",
        ImportTarget::Deals => "deals",
    };
    let text = format!(
        "{} · {} ({what}): {} created, {} updated{}",
        iso_day(e.at),
        e.file,
        e.created,
        e.updated,
        if e.cancelled { " · stopped early" } else { "" }
    );
    let id = e.id.clone();
    view! {
        <li class="transfer__history-item" data-testid="import-history-item">
            <span>{text}</span>
            {if e.undone {
                view! { <span class="muted">"Undone"</span> }.into_any()
            } else {
                view! { <button class="button" data-testid="import-history-undo" on:click=move |_| undo(id.clone())>"Undo"</button> }.into_any()
            }}
        </li>
    }
}
