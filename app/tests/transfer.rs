//! Import and export in a real browser: a HubSpot-style CSV through the whole wizard (mapping,
//! dry run, import, undo), files that must change nothing (unclosed quote, a workbook), the
//! workspace backup restored into a fresh database with the same heads, and a 10k-row import
//! with its longest main-thread task printed.
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use kith_app::session::LOCAL_DATABASE;
use kith_app::store::Store;
use kith_app::workspace::{Phase, Workspace};
use kith_core::backup::{BackupWriter, WorkspaceRef, read_backup};
use kith_core::record::{Channel, Field, RecordKind};
use kith_core::summary::Summary;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::{until, until_for};

fn find(css: &str) -> Option<HtmlElement> {
    document()
        .query_selector(css)
        .unwrap()
        .map(|e| e.unchecked_into())
}

fn tid(id: &str) -> String {
    format!("[data-testid={id}]")
}

fn text(id: &str) -> Option<String> {
    find(&tid(id)).map(|e| e.text_content().unwrap_or_default())
}

fn click(id: &str) {
    find(&tid(id))
        .unwrap_or_else(|| panic!("{id} is on the page"))
        .click();
}

fn disabled(id: &str) -> bool {
    find(&tid(id)).is_some_and(|e| e.has_attribute("disabled"))
}

fn unique() -> String {
    format!("{}", (js_sys::Math::random() * 1e9) as u64)
}

fn go(path: &str) {
    let _ = window()
        .history()
        .unwrap()
        .replace_state_with_url(&JsValue::NULL, "", Some(path));
}

fn mount() -> impl Drop {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    leptos::mount::mount_to(root, kith_app::App)
}

/// Puts a file into a file input the way a user's pick does, and fires `change`.
fn pick(id: &str, name: &str, data: &JsValue) {
    let input = find(&tid(id)).unwrap_or_else(|| panic!("{id} is on the page"));
    let f = js_sys::Function::new_with_args(
        "input, name, data",
        "const dt = new DataTransfer(); dt.items.add(new File([data], name)); \
         input.files = dt.files; input.dispatchEvent(new Event('change', { bubbles: true }));",
    );
    f.call3(&JsValue::NULL, &input, &name.into(), data).unwrap();
}

/// Drops a file on the element `id`, as dragging one from the desktop does.
fn drop_file(id: &str, name: &str, data: &JsValue) {
    let target = find(&tid(id)).unwrap_or_else(|| panic!("{id} is on the page"));
    let f = js_sys::Function::new_with_args(
        "target, name, data",
        "const dt = new DataTransfer(); dt.items.add(new File([data], name)); \
         for (const type of ['dragenter', 'dragover', 'drop']) \
         target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));",
    );
    f.call3(&JsValue::NULL, &target, &name.into(), data)
        .unwrap();
}

async fn open(owner: &Owner, name: &str) -> Workspace {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let ws = owner.with(|| Workspace::open_database(name, None));
    until("a workspace handle to load", || {
        (ws.phase.get_untracked() == Phase::Ready).then_some(())
    })
    .await;
    ws
}

/// People stored whose first email ends with `@<token>.example`, as a fresh handle reads them.
async fn stored_people(token: &str) -> Vec<Summary> {
    let owner = Owner::new();
    let ws = open(&owner, LOCAL_DATABASE).await;
    let suffix = format!("@{token}.example");
    ws.with_directory(|d| {
        d.of_kind(RecordKind::Person)
            .filter(|s| s.emails.iter().any(|e| e.ends_with(&suffix)))
            .cloned()
            .collect()
    })
}

fn hubspot_csv(token: &str, rows: usize) -> String {
    let mut csv = String::from(
        "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Lifecycle Stage,Create Date\n",
    );
    for i in 0..rows {
        csv.push_str(&format!(
            "{},Ada{i},Lovelace{i},ada{i}@{token}.example,+44 20 7946 {:04},Analytical {token} {},Engineer,salesqualifiedlead,2024-01-0{}\n",
            1000 + i,
            i % 10_000,
            i % 3,
            1 + i % 9
        ));
    }
    csv
}

#[wasm_bindgen_test]
async fn a_hubspot_export_imports_with_its_mapping_and_undoes() {
    let token = format!("hs{}", unique());
    let mut csv = hubspot_csv(&token, 300);
    csv.push_str(&format!(
        ",Bad,Email,not-an-email,,,,lead,\n,Ada0,Again,ADA0@{token}.example,,,,lead,\n"
    ));
    go("/import");
    let _app = mount();
    until("the import page", || find(&tid("page-import"))).await;
    pick("import-file", "hubspot-contacts.csv", &csv.as_str().into());
    until("the preview with its mapping", || {
        find(&tid("import-map-3"))
    })
    .await;
    let mapped = |i: usize| {
        find(&tid(&format!("import-map-{i}")))
            .map(|e| {
                Reflect::get(&e, &"value".into())
                    .unwrap()
                    .as_string()
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    };
    // First name, last name, email and company are guessed; "Create Date" is not imported.
    for column in [1, 2, 3, 5] {
        assert!(!mapped(column).is_empty(), "column {column} is mapped");
    }
    assert!(mapped(8).is_empty(), "Create Date is not imported");
    assert_eq!(
        text("import-preview").map(|t| t.contains(&format!("ada0@{token}.example"))),
        Some(true)
    );
    assert!(disabled("import-run"), "Import waits for a dry run");
    // A changed mapping is remembered for the next file with these headers.
    let set_select = |id: &str, value: &str| {
        let el = find(&tid(id)).unwrap();
        Reflect::set(&el, &"value".into(), &value.into()).unwrap();
        el.dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
    };
    let notes = find(&tid("import-map-8"))
        .unwrap()
        .query_selector_all("option")
        .unwrap();
    let notes = (0..notes.length())
        .filter_map(|i| notes.item(i))
        .find(|o| o.text_content().as_deref() == Some("Notes"))
        .map(|o| {
            Reflect::get(&o, &"value".into())
                .unwrap()
                .as_string()
                .unwrap()
        })
        .unwrap();
    set_select("import-map-8", &notes);
    let before = find(&tid("import-map-8")).unwrap();
    pick("import-file", "hubspot-contacts.csv", &csv.as_str().into());
    until("the file read again", || {
        find(&tid("import-map-8")).filter(|e| *e != before)
    })
    .await;
    assert_eq!(mapped(8), notes, "the changed mapping is remembered");
    set_select("import-map-8", "");
    assert!(mapped(8).is_empty());
    click("import-dry-run");
    let summary = until("the dry run", || text("import-summary")).await;
    assert_eq!(summary, "300 to create · 0 to update · 1 skipped · 1 error");
    let issues = document()
        .query_selector_all("[data-testid=import-issue]")
        .unwrap()
        .length();
    assert_eq!(issues, 2, "the error and the duplicate are listed");
    let all = text("page-import").unwrap();
    assert!(all.contains("Duplicate of line 2"), "{all}");
    assert!(
        stored_people(&token).await.is_empty(),
        "a dry run writes nothing"
    );

    click("import-run");
    until("the confirmation", || find(&tid("import-confirm"))).await;
    click("import-confirm");
    let result = until_for(60.0, "the import to finish", || text("import-result")).await;
    assert!(result.contains("300 created"), "{result}");
    let people = stored_people(&token).await;
    assert_eq!(people.len(), 300);
    let ada = people
        .iter()
        .find(|p| p.emails == vec![format!("ada7@{token}.example")])
        .expect("Ada 7 is stored");
    assert_eq!(ada.name, "Ada7 Lovelace7");
    assert_eq!(ada.title, "Engineer");
    assert_eq!(ada.stage.map(|s| s.as_str()), Some("lead"));
    assert_eq!(ada.phones.len(), 1);
    let company = ada.company_id.clone().expect("linked to its company");
    {
        let owner = Owner::new();
        let ws = open(&owner, LOCAL_DATABASE).await;
        let name = ws.with_directory(|d| d.name_of(&company).map(str::to_string));
        assert_eq!(name, Some(format!("Analytical {token} 1")));
        let companies = ws.with_directory(|d| {
            d.of_kind(RecordKind::Company)
                .filter(|c| c.name.contains(&token) && !c.deleted)
                .count()
        });
        assert_eq!(companies, 3, "one company per distinct name");
    }

    click("import-undo");
    until("the undo", || {
        text("import-message").filter(|m| m.contains("Import undone"))
    })
    .await;
    let people = stored_people(&token).await;
    assert!(
        people.iter().all(|p| p.deleted),
        "every imported person is deleted"
    );
    go("/settings/data");
}

#[wasm_bindgen_test]
async fn an_unclosed_quote_and_a_workbook_change_nothing() {
    let token = format!("bad{}", unique());
    go("/import");
    let _app = mount();
    until("the import page", || find(&tid("page-import"))).await;
    let csv = format!(
        "Name,Email\nGood One,good@{token}.example\n\"Broken,broken@{token}.example\nMore,more@{token}.example\n"
    );
    pick("import-file", "broken.csv", &csv.as_str().into());
    let note = until("the unclosed quote", || text("import-preview-note")).await;
    assert!(note.contains("line 3"), "{note}");
    click("import-dry-run");
    let summary = until("the dry run", || text("import-summary")).await;
    assert!(summary.starts_with("1 to create"), "{summary}");
    assert!(summary.ends_with("1 error"), "{summary}");
    assert!(stored_people(&token).await.is_empty());

    let workbook =
        js_sys::Uint8Array::from(&b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"[..]);
    pick("import-file", "contacts.xlsx", &workbook.into());
    let error = until("the workbook message", || text("import-error")).await;
    assert!(
        error.contains("Excel workbook") && error.contains("save it as CSV"),
        "{error}"
    );
    assert!(find(&tid("import-dry-run")).is_none(), "nothing to import");

    pick("import-file", "empty.csv", &"".into());
    let error = until("the empty file message", || {
        text("import-error").filter(|e| e.contains("empty"))
    })
    .await;
    assert!(error.contains("no rows"), "{error}");
    assert!(stored_people(&token).await.is_empty());
}

#[wasm_bindgen_test]
async fn a_backup_restores_into_a_fresh_database_with_the_same_heads() {
    let owner = Owner::new();
    let ws = open(&owner, LOCAL_DATABASE).await;
    let token = unique();
    let person = ws
        .create(RecordKind::Person, {
            let token = token.clone();
            move |e| {
                e.set(Field::Name, &format!("Backup {token}"))?;
                e.add_channel(Channel::Email, &format!("b{token}@example.com"), "work")?;
                e.set_notes("Notes survive")
            }
        })
        .await
        .unwrap();
    ws.edit(&person, |e| e.add_tag("restored")).await.unwrap();
    let mut writer = BackupWriter::new(
        &WorkspaceRef {
            id: "local".into(),
            name: "Here".into(),
        },
        1,
    );
    let mut heads = std::collections::HashMap::new();
    let problems = ws
        .for_each_record(|records| {
            for mut r in records {
                heads.insert(r.id().clone(), r.heads());
                writer.add(&kith_core::backup::BackupRecord::of(&mut r));
            }
        })
        .await
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let backup = read_backup(&writer.finish()).unwrap();
    assert_eq!(backup.records.len(), heads.len());

    let name = format!("kith-restore-{token}");
    let fresh_owner = Owner::new();
    let fresh = open(&fresh_owner, &name).await;
    let author = fresh.author_id().unwrap();
    let records = backup
        .records
        .iter()
        .map(|r| r.load(&author).unwrap())
        .collect();
    let (restored, kept) = fresh.restore_records(records, |_| {}).await.unwrap();
    assert_eq!((restored, kept), (heads.len(), 0));
    drop(fresh_owner);
    // A third handle reads what was stored.
    let check_owner = Owner::new();
    let check = open(&check_owner, &name).await;
    for (id, want) in &heads {
        let mut record = check.record(id).await.unwrap();
        assert_eq!(&record.heads(), want, "{id}");
    }
    let restored: Summary = check.with_directory(|d| d.get(&person).cloned()).unwrap();
    assert_eq!(restored.tags, vec!["restored".to_string()]);
    drop(check_owner);
    let _ = Store::delete_database(&name).await;
}

#[wasm_bindgen_test]
async fn the_data_page_refuses_a_file_that_is_not_a_backup() {
    go("/settings/data");
    let _app = mount();
    until("the data page", || find(&tid("page-data"))).await;
    until("the history", || text("import-history")).await;
    pick("import-backup", "notes.json", &"{\"hello\":1}".into());
    let error = until("the refusal", || text("data-error")).await;
    assert!(error.contains("not a Kith backup"), "{error}");
    let newer = r#"{"format":"kith-backup","version":9,"workspace":{"id":"x","name":"Other"},"exported_at":0,"records":[]}"#;
    pick("import-backup", "newer.json", &newer.into());
    until("the newer-version refusal", || {
        text("data-error").filter(|e| e.contains("newer Kith"))
    })
    .await;
}

/// Records long tasks (> 50 ms) from now on in `window.__longest`.
fn observe_long_tasks() {
    js_sys::eval(
        "window.__longest = 0; new PerformanceObserver(list => { for (const e of list.getEntries()) \
         { window.__longest = Math.max(window.__longest, e.duration); (window.__tasks = window.__tasks || []).push([Math.round(e.startTime), Math.round(e.duration)]); } }).observe({ entryTypes: ['longtask'] });",
    )
    .unwrap();
}

#[wasm_bindgen_test]
async fn ten_thousand_rows_import_and_report_the_longest_task() {
    let token = format!("big{}", unique());
    let csv = hubspot_csv(&token, 10_000);
    go("/import");
    let _app = mount();
    until("the import page", || find(&tid("page-import"))).await;
    observe_long_tasks();
    let started = js_sys::Date::now();
    let perf = window().performance().unwrap();
    let picked_at = perf.now();
    pick("import-file", "big.csv", &csv.as_str().into());
    until("the preview", || find(&tid("import-map-3"))).await;
    leptos::logging::log!("picked at {picked_at:.0}, preview at {:.0}", perf.now());
    click("import-dry-run");
    let summary = until_for(120.0, "the dry run", || text("import-summary")).await;
    assert!(summary.starts_with("10,000 to create"), "{summary}");
    let planned = js_sys::Date::now();
    click("import-run");
    until("the confirmation", || find(&tid("import-confirm"))).await;
    click("import-confirm");
    let confirmed = js_sys::Date::now();
    until_for(60.0, "the progress bar", || find(&tid("import-progress"))).await;
    leptos::logging::log!(
        "progress bar after {:.0} ms",
        js_sys::Date::now() - confirmed
    );
    let result = until_for(600.0, "the import", || text("import-result")).await;
    assert!(result.contains("10000 created"), "{result}");
    let done = js_sys::Date::now();
    let longest = Reflect::get(&window(), &"__longest".into())
        .unwrap()
        .as_f64()
        .unwrap_or(0.0);
    leptos::logging::log!(
        "{}",
        format!(
            "10k-row import (debug build): dry run {:.0} ms, import {:.0} ms ({:.0} rows/s), longest main-thread task {longest:.0} ms",
            planned - started,
            done - planned,
            10_000.0 / ((done - planned) / 1000.0)
        )
    );
    let tasks = js_sys::eval("JSON.stringify(window.__tasks || [])")
        .unwrap()
        .as_string();
    leptos::logging::log!("long tasks [start, ms]: {tasks:?}; now {:.0}", perf.now());
    click("import-undo");
    until_for(600.0, "the undo", || {
        text("import-message").filter(|m| m.contains("Import undone"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn vcards_import_as_people_and_photos_are_counted() {
    let token = format!("vc{}", unique());
    let vcf = format!(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\nEMAIL;TYPE=work:grace@{token}.example\r\n\
ORG:Navy {token}\r\nPHOTO:data:image/png;base64,iVBORw0KGgo=\r\nCATEGORIES:vip,navy\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alan Turing\r\nEMAIL:alan@{token}.example\r\nNOTE:Line one\\nline two\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nTITLE:Nobody\r\nEND:VCARD\r\n"
    );
    go("/import");
    let _app = mount();
    until("the import page", || find(&tid("page-import"))).await;
    drop_file("import-drop", "contacts.vcf", &vcf.as_str().into());
    until("the preview", || {
        text("import-preview").filter(|t| t.contains("Grace Hopper"))
    })
    .await;
    assert!(
        find(&tid("import-map-0")).is_none(),
        "vCards need no mapping"
    );
    click("import-dry-run");
    let summary = until("the dry run", || text("import-summary")).await;
    assert_eq!(
        summary,
        "2 to create · 0 to update · 0 skipped · 1 error · 1 photo will not be imported"
    );
    let issue = text("import-issue").unwrap();
    assert!(issue.starts_with("16"), "the card's line: {issue}");
    click("import-run");
    until("the confirmation", || find(&tid("import-confirm"))).await;
    click("import-confirm");
    until_for(60.0, "the import", || text("import-result")).await;
    let people = stored_people(&token).await;
    assert_eq!(people.len(), 2);
    let grace = people.iter().find(|p| p.name == "Grace Hopper").unwrap();
    assert_eq!(grace.tags.len(), 2);
    assert!(grace.company_id.is_some());
}

/// Captures the next download's Blob (a headless browser saves nowhere) in `window.__blob`.
fn capture_downloads() {
    js_sys::eval("URL.createObjectURL = b => { window.__blob = b; return 'blob:captured'; }; URL.revokeObjectURL = () => {};")
        .unwrap();
}

async fn downloaded_text() -> String {
    let promise = js_sys::eval(
        "window.__blob ? window.__blob.arrayBuffer() : Promise.resolve(new ArrayBuffer(0))",
    )
    .unwrap()
    .unchecked_into::<js_sys::Promise>();
    let buffer = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    String::from_utf8(js_sys::Uint8Array::new(&buffer).to_vec()).unwrap()
}

#[wasm_bindgen_test]
async fn people_export_as_csv_for_excel_with_formulas_neutralised() {
    let owner = Owner::new();
    let ws = open(&owner, LOCAL_DATABASE).await;
    let token = unique();
    ws.create(RecordKind::Person, {
        let token = token.clone();
        move |e| {
            e.set(Field::Name, &format!("=HYPERLINK(\"x\") {token}"))?;
            e.add_channel(Channel::Email, &format!("f{token}@example.com"), "")
                .map(drop)
        }
    })
    .await
    .unwrap();
    go("/settings/data");
    let _app = mount();
    until("the data page", || find(&tid("page-data"))).await;
    until("the export to be ready", || {
        (!disabled("export-csv")).then_some(())
    })
    .await;
    capture_downloads();
    find(&tid("export-bom")).unwrap().click();
    click("export-csv");
    until("the export message", || text("data-status")).await;
    let csv = downloaded_text().await;
    assert!(csv.starts_with('\u{feff}'), "Excel's byte-order mark");
    assert!(
        csv.contains("Record id,Name,Job title,Company,")
            && csv.contains(",Emails,Phones,Tags,Notes,"),
        "{}",
        &csv[..80.min(csv.len())]
    );
    let line = csv
        .lines()
        .find(|l| l.contains(&token))
        .expect("the person is exported");
    assert!(
        line.contains("\"'=HYPERLINK(\"\"x\"\")"),
        "neutralised: {line}"
    );
    click("export-vcard");
    until("the vCard export", || {
        text("data-status").filter(|t| t.contains(".vcf"))
    })
    .await;
    let vcf = downloaded_text().await;
    assert!(vcf.contains("BEGIN:VCARD"));
    assert!(vcf.contains(&format!(":f{token}@example.com")), "{vcf}");
}

#[wasm_bindgen_test]
async fn cancel_stops_after_a_chunk_and_what_was_written_undoes() {
    let token = format!("cx{}", unique());
    let csv = hubspot_csv(&token, 3_000);
    go("/import");
    let _app = mount();
    until("the import page", || find(&tid("page-import"))).await;
    pick("import-file", "cancel.csv", &csv.as_str().into());
    until("the preview", || find(&tid("import-map-3"))).await;
    click("import-dry-run");
    until_for(60.0, "the dry run", || text("import-summary")).await;
    click("import-run");
    until("the confirmation", || find(&tid("import-confirm"))).await;
    click("import-confirm");
    let progress = until("the progress bar", || find(&tid("import-progress"))).await;
    assert_eq!(
        progress.get_attribute("role").as_deref(),
        Some("progressbar")
    );
    assert_eq!(
        progress.get_attribute("aria-valuemax").as_deref(),
        Some("100")
    );
    click("import-cancel");
    let result = until_for(60.0, "the stop", || text("import-result")).await;
    assert!(result.starts_with("Import stopped"), "{result}");
    let written = stored_people(&token).await.len();
    assert!(written < 3_000, "stopped early: {written} written");
    click("import-undo");
    until_for(60.0, "the undo", || {
        text("import-message").filter(|m| m.contains("Import undone"))
    })
    .await;
    assert!(stored_people(&token).await.iter().all(|p| p.deleted));
}

#[wasm_bindgen_test]
async fn a_dry_run_can_be_stopped_and_offers_nothing_to_import() {
    let token = format!("dx{}", unique());
    let csv = hubspot_csv(&token, 30_000);
    go("/import");
    let _app = mount();
    until("the import page", || find(&tid("page-import"))).await;
    pick("import-file", "long.csv", &csv.as_str().into());
    until_for(60.0, "the preview", || find(&tid("import-map-3"))).await;
    click("import-dry-run");
    until("the dry run's Cancel", || find(&tid("import-cancel"))).await;
    click("import-cancel");
    let message = until_for(60.0, "the stop", || {
        text("import-message").filter(|m| m.contains("Dry run stopped"))
    })
    .await;
    assert!(message.contains("Nothing was imported"), "{message}");
    assert!(
        text("import-summary").is_none(),
        "no counts of a partial run"
    );
    assert!(find(&tid("import-confirm")).is_none());
    assert!(stored_people(&token).await.is_empty());
}

#[wasm_bindgen_test]
async fn the_backup_button_saves_a_backup_that_restores_here_without_duplicates() {
    let owner = Owner::new();
    let ws = open(&owner, LOCAL_DATABASE).await;
    ws.create(RecordKind::Company, |e| e.set(Field::Name, "Backed up"))
        .await
        .unwrap();
    go("/settings/data");
    let _app = mount();
    until("the data page", || find(&tid("page-data"))).await;
    capture_downloads();
    click("export-backup");
    until("the backup", || {
        text("data-status").filter(|t| t.contains("Backup saved"))
    })
    .await;
    let json = downloaded_text().await;
    let backup = read_backup(&json).expect("a readable backup");
    assert!(!backup.records.is_empty());
    pick("import-backup", "kith-backup.json", &json.as_str().into());
    let asked = until("the confirmation", || text("restore-confirm-group")).await;
    assert!(asked.contains("Records already here are kept"), "{asked}");
    click("restore-confirm");
    let status = until_for(60.0, "the restore", || {
        text("data-status").filter(|t| t.contains("were here already"))
    })
    .await;
    assert!(status.starts_with("Restored 0 of"), "{status}");
}

#[wasm_bindgen_test]
async fn deals_import_onto_the_pipeline_linked_to_their_contact() {
    let owner = Owner::new();
    let ws = open(&owner, LOCAL_DATABASE).await;
    let token = format!("dl{}", unique());
    let person = ws
        .create(RecordKind::Person, {
            let email = format!("buyer@{token}.example");
            move |e| {
                e.set(Field::Name, "Buyer")?;
                e.add_channel(Channel::Email, &email, "").map(drop)
            }
        })
        .await
        .unwrap();
    let csv = format!(
        "Deal Name,Amount,Deal Stage,Close Date,Contact Email\n\
         Big {token},\"12,500.50\",Proposal sent,31/03/2026,buyer@{token}.example\n\
         Won {token},100,closedwon,2026-01-02,\n"
    );
    go("/import?target=deals");
    let _app = mount();
    until("the import page", || find(&tid("page-import"))).await;
    pick("import-file", "deals.csv", &csv.as_str().into());
    until("the preview", || find(&tid("import-map-4"))).await;
    let target = find(&tid("import-target")).unwrap();
    assert_eq!(
        Reflect::get(&target, &"value".into()).unwrap().as_string(),
        Some("2".into()),
        "a list page's link preselects deals"
    );
    click("import-dry-run");
    let summary = until("the dry run", || text("import-summary")).await;
    assert_eq!(summary, "2 to create · 0 to update · 0 skipped · 0 errors");
    click("import-run");
    until("the confirmation", || find(&tid("import-confirm"))).await;
    click("import-confirm");
    until_for(60.0, "the import", || text("import-result")).await;
    let check_owner = Owner::new();
    let check = open(&check_owner, LOCAL_DATABASE).await;
    let deals: Vec<Summary> = check.with_directory(|d| {
        d.of_kind(RecordKind::Deal)
            .filter(|s| s.name.contains(&token))
            .cloned()
            .collect()
    });
    let big = deals.iter().find(|d| d.name.starts_with("Big")).unwrap();
    assert_eq!(big.amount, Some(1_250_050));
    assert_eq!(big.deal_stage, "proposal");
    assert_eq!(big.close_date, "2026-03-31");
    assert_eq!(big.status, "open");
    assert_eq!(big.links, vec![person]);
    let won = deals.iter().find(|d| d.name.starts_with("Won")).unwrap();
    assert_eq!(won.status, "won");
}
