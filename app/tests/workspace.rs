//! The workspace over a real IndexedDB in headless Chromium: what it does with entries it
//! cannot read, and that edits reach storage.
#![cfg(target_arch = "wasm32")]

use kith_app::store::{Append, RecordWrite, Store};
use kith_app::workspace::{Phase, SaveState, Workspace};
use kith_core::directory::ListQuery;
use kith_core::ids::{RecordId, UserId};
use kith_core::record::{Field, Record, RecordKind};
use leptos::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::until_true as until;

/// The record as another connection reads it from `store`.
async fn stored_record(store: &Store, id: &RecordId) -> Record {
    let stored = store
        .record(id.as_str())
        .await
        .unwrap()
        .expect("the record is stored");
    let chunks: Vec<&[u8]> = stored.changes.iter().map(Vec::as_slice).collect();
    Record::load(
        id.clone(),
        &stored.snapshot,
        &chunks,
        &UserId("reader".into()),
    )
    .unwrap()
}

/// What mounting the app would set up: Leptos' task executor and a reactive owner.
fn reactive_owner() -> Owner {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    owner.set();
    owner
}

fn person(name: &str) -> Record {
    let mut r = Record::create(
        RecordId::new(),
        RecordKind::Person,
        &UserId("seed".into()),
        1,
    );
    r.edit(2, |e| e.set(Field::Name, name)).unwrap();
    r
}

fn write_of(record: &mut Record, summary: Vec<u8>) -> RecordWrite {
    RecordWrite {
        id: record.id().to_string(),
        kind: "person".into(),
        append: Append::Snapshot(record.save()),
        summary,
        outbox: None,
    }
}

#[wasm_bindgen_test]
async fn unreadable_entries_are_rebuilt_or_reported_and_never_deleted() {
    const DB: &str = "kith-test-workspace-recovery";
    Store::delete_database(DB).await.unwrap();
    let store = Store::open(DB).await.unwrap();
    let mut good = person("Good Summary");
    let mut stale = person("Stale Summary");
    let broken_id = RecordId::new();
    let good_summary = good.summary().encode();
    store
        .write(write_of(&mut good, good_summary))
        .await
        .unwrap();
    // A summary this version cannot decode, over a healthy record: rebuilt from the record.
    store
        .write(write_of(&mut stale, vec![99, 1, 2, 3]))
        .await
        .unwrap();
    // A record that is not Automerge at all, with a summary just as bad: reported, kept.
    store
        .write(RecordWrite {
            id: broken_id.to_string(),
            kind: "person".into(),
            append: Append::Snapshot(b"not a document".to_vec()),
            summary: b"junk".to_vec(),
            outbox: None,
        })
        .await
        .unwrap();
    drop(store);

    let owner = reactive_owner();
    let ws = Workspace::open_database(DB, None);
    until("the workspace to load", || {
        ws.phase.get_untracked() != Phase::Loading
    })
    .await;
    assert_eq!(ws.phase.get_untracked(), Phase::Ready);
    let mut names: Vec<String> = ws.with_directory(|d| {
        d.list(&ListQuery::all(RecordKind::Person))
            .into_iter()
            .map(|i| d.at(i).name.clone())
            .collect()
    });
    names.sort();
    assert_eq!(names, ["Good Summary", "Stale Summary"]);
    let problems = ws.problems.get_untracked();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains(broken_id.as_str()), "{problems:?}");

    let store = Store::open(DB).await.unwrap();
    let kept = store
        .record(broken_id.as_str())
        .await
        .unwrap()
        .expect("the unreadable record is kept");
    assert_eq!(kept.snapshot, b"not a document");
    let rebuilt = store.summaries().await.unwrap();
    let stale_summary = rebuilt
        .items
        .iter()
        .find(|s| s.id == stale.id().to_string())
        .unwrap();
    assert_eq!(
        kith_core::summary::Summary::decode(&stale_summary.bytes)
            .unwrap()
            .name,
        "Stale Summary"
    );
    drop(store);
    drop(owner);
    Store::delete_database(DB).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_edit_is_durable_when_the_workspace_says_saved() {
    const DB: &str = "kith-test-workspace-edit";
    Store::delete_database(DB).await.unwrap();
    let owner = reactive_owner();
    let ws = Workspace::open_database(DB, None);
    until("the workspace to load", || {
        ws.phase.get_untracked() == Phase::Ready
    })
    .await;

    let id = ws
        .create(RecordKind::Company, |e| e.set(Field::Name, "Acme"))
        .await
        .unwrap();
    ws.edit(&id, |e| {
        e.set(Field::Domain, "https://www.acme.example/about")
    })
    .await
    .unwrap();
    assert_eq!(ws.save_state.get_untracked(), SaveState::Saved);
    let invalid = ws.edit(&id, |e| e.set(Field::Domain, "not a domain")).await;
    assert!(invalid.is_err(), "an invalid domain is refused");

    // Another connection reads exactly what the workspace said was saved.
    let store = Store::open(DB).await.unwrap();
    let record = stored_record(&store, &id).await;
    assert_eq!(record.text(Field::Domain).as_deref(), Some("acme.example"));
    let outbox = store.outbox().await.unwrap();
    assert_eq!(
        outbox.items.len(),
        2,
        "the creation and the edit wait to be sent"
    );
    drop(store);
    drop(owner);
    Store::delete_database(DB).await.unwrap();
}

#[wasm_bindgen_test]
async fn compaction_in_one_tab_keeps_what_another_tab_saved() {
    const DB: &str = "kith-test-workspace-two-tabs";
    Store::delete_database(DB).await.unwrap();
    let owner = reactive_owner();
    let tab_a = Workspace::open_database(DB, None);
    let tab_b = Workspace::open_database(DB, None);
    until("both tabs to load", || {
        tab_a.phase.get_untracked() == Phase::Ready && tab_b.phase.get_untracked() == Phase::Ready
    })
    .await;
    let id = tab_a
        .create(RecordKind::Person, |e| e.set(Field::Name, "Shared"))
        .await
        .unwrap();
    // Tab B opens the record before tab A's next edit, so its copy goes stale.
    assert_eq!(
        tab_b
            .record(&id)
            .await
            .unwrap()
            .text(Field::Name)
            .as_deref(),
        Some("Shared")
    );
    tab_a
        .edit(&id, |e| e.set(Field::City, "Lisbon"))
        .await
        .unwrap();
    // Enough edits in tab B to make it compact the stored record.
    for i in 0..40 {
        tab_b
            .edit(&id, |e| e.set(Field::Title, &format!("Title {i}")))
            .await
            .unwrap();
    }

    let store = Store::open(DB).await.unwrap();
    let chunks = store
        .record(id.as_str())
        .await
        .unwrap()
        .unwrap()
        .changes
        .len();
    assert!(chunks < 40, "tab B compacted ({chunks} chunks)");
    let record = stored_record(&store, &id).await;
    assert_eq!(
        record.text(Field::City).as_deref(),
        Some("Lisbon"),
        "tab A's edit survived"
    );
    assert_eq!(record.text(Field::Title).as_deref(), Some("Title 39"));
    // The summary tab B wrote includes tab A's edit too, so lists are right after a reload.
    let summaries = store.summaries().await.unwrap();
    let summary = summaries
        .items
        .iter()
        .find(|s| s.id == id.to_string())
        .unwrap();
    assert_eq!(
        kith_core::summary::Summary::decode(&summary.bytes)
            .unwrap()
            .city,
        "Lisbon"
    );
    drop(store);
    drop(owner);
    Store::delete_database(DB).await.unwrap();
}
