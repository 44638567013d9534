//! What the sync engine relies on, over a real IndexedDB in headless Chromium: a relay batch
//! and its cursor are stored together or not at all; merging relay changes keeps local edits
//! that were not sent yet; the outbox is read in order and acknowledged entry by entry; the
//! workspace applies relay batches to storage, open records and the directory; push batches
//! respect the protocol's limits and isolate a refused change.
#![cfg(target_arch = "wasm32")]

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{Object, Reflect};
use kith_app::session::{Account, AccountState, ActiveWorkspace};
use kith_app::store::{Append, RecordWrite, Store, StoreError};
use kith_app::sync::push::{Done, PushQueue, Refused, Unit};
use kith_app::sync::{
    ScriptedRelay, SyncEngine, SyncStatus, UPLOAD_KEY, UploadPlan, WORKSPACE_KEY, bind_to_relay,
};
use kith_app::workspace::{ActionError, Phase, Workspace};
use kith_core::api::User;
use kith_core::directory::ListQuery;
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::{
    ClientMessage, PushedChange, RecordPayload, Refusal, Role, ServerMessage, Viewer,
};
use kith_core::record::{Field, Record, RecordKind};
use kith_core::summary::Summary;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::{until as until_some, until_true as until};

/// A database name no other test (or earlier run) uses.
fn db_name(test: &str) -> String {
    format!(
        "kith-sync-test-{test}-{}-{}",
        js_sys::Date::now(),
        (js_sys::Math::random() * 1e9) as u64
    )
}

/// Puts a value the store's codec would refuse (a record without bytes) under `key`.
async fn put_unreadable_record(name: &str, key: &str) {
    let db = Database::open(name).await.unwrap();
    let tx = db
        .transaction("records")
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    let value = Object::new();
    Reflect::set(&value, &"v".into(), &1.into()).unwrap();
    Reflect::set(&value, &"kind".into(), &"person".into()).unwrap();
    tx.object_store("records")
        .unwrap()
        .put(JsValue::from(value))
        .with_key(key)
        .primitive()
        .unwrap()
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.close();
}

fn person(author: &str, name: &str) -> Record {
    let mut r = Record::create(
        RecordId::new(),
        RecordKind::Person,
        &UserId(author.into()),
        1,
    );
    r.edit(2, |e| e.set(Field::Name, name)).unwrap();
    r
}

/// The same record as another device holds it (its own Automerge actor).
fn elsewhere(record: &mut Record) -> Record {
    Record::load(
        record.id().clone(),
        &record.save(),
        &[],
        &UserId("them".into()),
    )
    .unwrap()
}

fn remote_write(record: &mut Record) -> RecordWrite {
    RecordWrite {
        id: record.id().to_string(),
        kind: record.kind().as_str().into(),
        append: Append::Merge(record.save()),
        summary: record.summary().encode(),
        outbox: None,
    }
}

/// A relay payload holding a record's snapshot.
fn snapshot_payload(record: &mut Record) -> RecordPayload {
    RecordPayload {
        record: record.id().to_string(),
        snapshot: Some(record.save()),
        changes: Vec::new(),
    }
}

fn reactive_owner() -> Owner {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    owner.set();
    owner
}

async fn open_workspace(name: &str) -> Workspace {
    let ws = Workspace::open_database(name, Some(UserId("me".into())));
    until("the workspace to load", || {
        ws.phase.get_untracked() != Phase::Loading
    })
    .await;
    assert_eq!(ws.phase.get_untracked(), Phase::Ready);
    ws
}

fn stored(store_record: kith_app::store::RecordBytes) -> Record {
    let chunks: Vec<&[u8]> = store_record.changes.iter().map(Vec::as_slice).collect();
    Record::load(
        RecordId::parse(&store_record.id).unwrap(),
        &store_record.snapshot,
        &chunks,
        &UserId("reader".into()),
    )
    .unwrap()
}

#[wasm_bindgen_test]
async fn a_relay_batch_and_its_cursor_are_stored_together_or_not_at_all() {
    let name = db_name("cursor");
    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.cursor().await.unwrap(), 0, "a new device starts at 0");

    let mut ada = person("them", "Ada");
    store
        .write_remote(&[remote_write(&mut ada)], Some(5))
        .await
        .unwrap();
    assert_eq!(store.cursor().await.unwrap(), 5);
    let kept = store.record(ada.id().as_str()).await.unwrap().unwrap();
    assert_eq!(
        kept.snapshot,
        ada.save(),
        "a new record is stored as a snapshot"
    );
    assert!(kept.changes.is_empty());
    assert!(
        store.outbox().await.unwrap().items.is_empty(),
        "nothing to send"
    );

    // A batch whose last record cannot be merged (what is stored for it is unreadable): none
    // of the batch is written, and the cursor stays where it was.
    put_unreadable_record(&name, "broken").await;
    let mut grace = person("them", "Grace");
    let mut broken = RecordWrite {
        id: "broken".into(),
        ..remote_write(&mut person("them", "Broken"))
    };
    broken.append = Append::Merge(vec![1, 2, 3]);
    let mut ada_later = ada.clone();
    ada_later
        .edit(3, |e| e.set(Field::City, "London"))
        .unwrap()
        .unwrap();
    let failed = store
        .write_remote(
            &[
                remote_write(&mut grace),
                RecordWrite {
                    append: Append::Merge(ada_later.save_incremental()),
                    ..remote_write(&mut ada_later)
                },
                broken,
            ],
            Some(9),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(failed, StoreError::Corrupt { ref key, .. } if key == "broken"),
        "{failed:?}"
    );
    assert_eq!(store.cursor().await.unwrap(), 5, "the cursor did not move");
    assert_eq!(store.record(grace.id().as_str()).await.unwrap(), None);
    assert_eq!(
        store.record(ada.id().as_str()).await.unwrap().unwrap(),
        kept,
        "the earlier record was not appended to"
    );
    let names: Vec<String> = store
        .summaries()
        .await
        .unwrap()
        .items
        .iter()
        .map(|s| Summary::decode(&s.bytes).unwrap().name)
        .collect();
    assert_eq!(names, ["Ada"], "no summary of the failed batch is visible");

    // The cursor never moves back (another tab may be ahead).
    store.write_remote(&[], Some(3)).await.unwrap();
    assert_eq!(store.cursor().await.unwrap(), 5);
    store.write_remote(&[], Some(12)).await.unwrap();
    assert_eq!(store.cursor().await.unwrap(), 12);
    // A batch without a cursor (snapshots for a new device) leaves it alone.
    store
        .write_remote(&[remote_write(&mut grace)], None)
        .await
        .unwrap();
    assert_eq!(store.cursor().await.unwrap(), 12);

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn merging_relay_changes_keeps_local_edits_not_yet_sent() {
    let name = db_name("merge");
    let store = Store::open(&name).await.unwrap();
    // A local record, edited locally: two outbox entries wait for the relay.
    let mut mine = person("me", "Ada");
    let id = mine.id().to_string();
    let created = mine.save();
    store
        .write(RecordWrite {
            id: id.clone(),
            kind: "person".into(),
            append: Append::Snapshot(created.clone()),
            summary: mine.summary().encode(),
            outbox: Some(created),
        })
        .await
        .unwrap();
    let mut theirs = elsewhere(&mut mine);
    let local = mine
        .edit(3, |e| e.set(Field::Title, "Countess"))
        .unwrap()
        .unwrap();
    store
        .write(RecordWrite {
            id: id.clone(),
            kind: "person".into(),
            append: Append::Changes(mine.save_incremental()),
            summary: mine.summary().encode(),
            outbox: Some(local),
        })
        .await
        .unwrap();

    // A teammate's edit of another field arrives from the relay.
    let remote = theirs
        .edit(4, |e| e.set(Field::City, "London"))
        .unwrap()
        .unwrap();
    theirs.apply(&mine.save()).unwrap();
    store
        .write_remote(
            &[RecordWrite {
                id: id.clone(),
                kind: "person".into(),
                append: Append::Merge(remote),
                summary: theirs.summary().encode(),
                outbox: None,
            }],
            Some(1),
        )
        .await
        .unwrap();

    let record = stored(store.record(&id).await.unwrap().unwrap());
    assert_eq!(record.text(Field::Title).as_deref(), Some("Countess"));
    assert_eq!(record.text(Field::City).as_deref(), Some("London"));
    assert_eq!(
        store.outbox().await.unwrap().items.len(),
        2,
        "the local edits still wait to be sent"
    );

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_outbox_is_read_in_pages_in_order_and_acknowledged_entry_by_entry() {
    let name = db_name("outbox");
    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.outbox_last_seq().await.unwrap(), 0);
    for i in 0..7u8 {
        store
            .write(RecordWrite {
                id: format!("r{}", i % 3),
                kind: "person".into(),
                append: Append::Changes(vec![i]),
                summary: vec![i],
                outbox: Some(vec![i]),
            })
            .await
            .unwrap();
    }
    assert_eq!(store.outbox_count().await.unwrap(), 7);
    let mut read = Vec::new();
    let mut after = 0;
    loop {
        let page = store.outbox_page(after, 3).await.unwrap();
        let Some(last) = page.last_seq else { break };
        assert!(page.loaded.items.len() <= 3);
        read.extend(page.loaded.items);
        after = last;
    }
    let bytes: Vec<u8> = read.iter().map(|e| e.bytes[0]).collect();
    assert_eq!(bytes, [0, 1, 2, 3, 4, 5, 6], "in edit order");
    assert_eq!(store.outbox_last_seq().await.unwrap(), read[6].seq);

    // Acknowledging removes exactly the entries named.
    store
        .ack_outbox_entries(&[read[0].seq, read[1].seq, read[3].seq])
        .await
        .unwrap();
    let left: Vec<u8> = store
        .outbox()
        .await
        .unwrap()
        .items
        .iter()
        .map(|e| e.bytes[0])
        .collect();
    assert_eq!(left, [2, 4, 5, 6]);
    assert_eq!(store.outbox_count().await.unwrap(), 4);
    // After the last one read: nothing.
    let page = store.outbox_page(read[6].seq, 10).await.unwrap();
    assert_eq!(page.last_seq, None);
    // Entries written later keep coming after.
    store
        .write(RecordWrite {
            id: "r0".into(),
            kind: "person".into(),
            append: Append::Changes(vec![9]),
            summary: vec![9],
            outbox: Some(vec![9]),
        })
        .await
        .unwrap();
    let page = store.outbox_page(read[6].seq, 10).await.unwrap();
    assert_eq!(page.loaded.items.len(), 1);
    assert_eq!(page.loaded.items[0].bytes, [9]);

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_workspace_applies_a_relay_batch_to_storage_open_records_and_the_directory() {
    let name = db_name("apply");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;

    // A local person, open (as on a record page), with an edit not yet sent.
    let id = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    let mut theirs = elsewhere(&mut ws.record(&id).await.unwrap());
    ws.edit(&id, |e| e.set(Field::Title, "Countess"))
        .await
        .unwrap();
    let revision = ws.revision.get_untracked();

    // From the relay: a teammate's edit to Ada, a company and a person of that company (the
    // person first), and a payload that is not Automerge.
    let remote = theirs
        .edit(10, |e| e.set(Field::City, "London"))
        .unwrap()
        .unwrap();
    let mut acme = Record::create(
        RecordId::new(),
        RecordKind::Company,
        &UserId("them".into()),
        1,
    );
    acme.edit(2, |e| e.set(Field::Name, "Acme Widgets"))
        .unwrap();
    let mut grace = person("them", "Grace");
    grace
        .edit(3, |e| e.set(Field::CompanyId, acme.id().as_str()))
        .unwrap();
    let junk = RecordId::new();
    let applied = ws
        .apply_remote(
            vec![
                RecordPayload {
                    record: id.to_string(),
                    snapshot: None,
                    changes: vec![remote],
                },
                snapshot_payload(&mut grace),
                RecordPayload {
                    record: junk.to_string(),
                    snapshot: Some(b"not automerge".to_vec()),
                    changes: vec![],
                },
                snapshot_payload(&mut acme),
            ],
            Some(42),
        )
        .await
        .unwrap();
    assert_eq!(applied.changed, 3);
    assert_eq!(applied.skipped, 1);
    assert!(ws.revision.get_untracked() > revision, "open views refresh");

    // The open record has both edits; the directory too; storage too.
    let ada = ws.record(&id).await.unwrap();
    assert_eq!(ada.text(Field::Title).as_deref(), Some("Countess"));
    assert_eq!(ada.text(Field::City).as_deref(), Some("London"));
    assert_eq!(ws.summary(&id).unwrap().city, "London");
    let found: Vec<String> = ws.with_directory(|d| {
        d.list(&ListQuery {
            text: "widgets".into(),
            ..ListQuery::all(RecordKind::Person)
        })
        .into_iter()
        .map(|i| d.at(i).name.clone())
        .collect()
    });
    assert_eq!(
        found,
        ["Grace"],
        "the person is found by her company's name"
    );
    let problems = ws.problems.get_untracked();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains(junk.as_str()), "{problems:?}");

    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.cursor().await.unwrap(), 42);
    let kept = stored(store.record(id.as_str()).await.unwrap().unwrap());
    assert_eq!(kept.text(Field::Title).as_deref(), Some("Countess"));
    assert_eq!(kept.text(Field::City).as_deref(), Some("London"));
    assert!(store.record(grace.id().as_str()).await.unwrap().is_some());
    assert_eq!(store.record(junk.as_str()).await.unwrap(), None);
    assert_eq!(
        store.outbox().await.unwrap().items.len(),
        2,
        "the creation and the local edit still wait to be sent"
    );

    // The same batch again (a retry after a reconnect) changes nothing.
    let again = ws
        .apply_remote(vec![snapshot_payload(&mut grace)], Some(42))
        .await
        .unwrap();
    assert_eq!(again.changed, 0);
    let chunks = store.record(grace.id().as_str()).await.unwrap().unwrap();
    assert!(
        chunks.changes.is_empty(),
        "nothing appended for a duplicate"
    );

    drop(store);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_batch_is_merged_while_the_previous_one_is_written() {
    let name = db_name("pipeline");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    // Batch 1 creates Ada; batch 2, merged before batch 1 is surely written, edits her; the
    // same record twice in batch 3, and a record another tab stored meanwhile.
    let mut ada = person("them", "Ada");
    let first = snapshot_payload(&mut ada);
    let city = ada
        .edit(5, |e| e.set(Field::City, "London"))
        .unwrap()
        .unwrap();
    let title = ada
        .edit(6, |e| e.set(Field::Title, "Countess"))
        .unwrap()
        .unwrap();
    let notes = ada
        .edit(7, |e| e.set_notes("Analytical engine"))
        .unwrap()
        .unwrap();
    let change = |bytes: Vec<u8>| RecordPayload {
        record: ada.id().to_string(),
        snapshot: None,
        changes: vec![bytes],
    };
    let mut grace = person("them", "Grace");
    let tab = Store::open(&name).await.unwrap();
    let mut grace_in_tab = elsewhere(&mut grace);
    grace_in_tab
        .edit(8, |e| e.set(Field::City, "Arlington"))
        .unwrap();
    tab.write(RecordWrite {
        id: grace.id().to_string(),
        kind: "person".into(),
        append: Append::Snapshot(grace_in_tab.save()),
        summary: grace_in_tab.summary().encode(),
        outbox: None,
    })
    .await
    .unwrap();

    ws.receive_remote(vec![first], Some(1)).await.unwrap();
    ws.receive_remote(vec![change(city)], Some(2))
        .await
        .unwrap();
    ws.receive_remote(
        vec![change(title), snapshot_payload(&mut grace), change(notes)],
        Some(3),
    )
    .await
    .unwrap();
    ws.remote_settled().await.unwrap();

    assert_eq!(tab.cursor().await.unwrap(), 3);
    let kept = stored(tab.record(ada.id().as_str()).await.unwrap().unwrap());
    assert_eq!(kept.text(Field::City).as_deref(), Some("London"));
    assert_eq!(kept.text(Field::Title).as_deref(), Some("Countess"));
    assert_eq!(kept.notes(), "Analytical engine");
    let summary = ws.summary(ada.id()).unwrap();
    assert_eq!(
        (summary.city.as_str(), summary.title.as_str()),
        ("London", "Countess")
    );
    let grace_kept = stored(tab.record(grace.id().as_str()).await.unwrap().unwrap());
    assert_eq!(
        grace_kept.text(Field::City).as_deref(),
        Some("Arlington"),
        "what the other tab stored was kept"
    );
    assert_eq!(grace_kept.text(Field::Name).as_deref(), Some("Grace"));
    drop(tab);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_record_only_teammates_edit_is_compacted_without_losing_a_later_write() {
    let name = db_name("compact");
    let owner = reactive_owner();
    // Stored as a snapshot and many chunks (a teammate's edits, one chunk each).
    let mut ada = person("them", "Ada");
    let id = ada.id().clone();
    let store = Store::open(&name).await.unwrap();
    store
        .write_remote(&[remote_write(&mut ada)], Some(1))
        .await
        .unwrap();
    for i in 0..40 {
        ada.edit(10 + i, |e| e.set(Field::Title, &format!("Title {i}")))
            .unwrap();
        store
            .write_remote(
                &[RecordWrite {
                    append: Append::Merge(ada.save_incremental()),
                    ..remote_write(&mut ada.clone())
                }],
                Some(2 + i as u64),
            )
            .await
            .unwrap();
    }
    let before = store.record(id.as_str()).await.unwrap().unwrap();
    assert_eq!(before.changes.len(), 40);
    assert!(Store::needs_compaction(&before));

    // Compact only if nothing was written since the read: here something was.
    let mut merged = stored(before.clone());
    let late = merged
        .edit(99, |e| e.set(Field::City, "London"))
        .unwrap()
        .unwrap();
    store
        .write(RecordWrite {
            id: id.to_string(),
            kind: "person".into(),
            append: Append::Changes(late),
            summary: merged.summary().encode(),
            outbox: Some(vec![1]),
        })
        .await
        .unwrap();
    let mut theirs = stored(before.clone());
    let remote = theirs
        .edit(100, |e| e.set(Field::Region, "Surrey"))
        .unwrap()
        .unwrap();
    theirs.apply(&merged.save()).unwrap();
    store
        .write_remote(
            &[RecordWrite {
                id: id.to_string(),
                kind: "person".into(),
                append: Append::Compact {
                    snapshot: theirs.save(),
                    chunk: remote.clone(),
                    seen: before.shape(),
                },
                summary: theirs.summary().encode(),
                outbox: None,
            }],
            Some(60),
        )
        .await
        .unwrap();
    let after = store.record(id.as_str()).await.unwrap().unwrap();
    assert_eq!(after.changes.len(), 42, "appended, not replaced");
    let kept = stored(after);
    assert_eq!(kept.text(Field::City).as_deref(), Some("London"));
    assert_eq!(kept.text(Field::Region).as_deref(), Some("Surrey"));
    drop(store);

    // Through the workspace: the next teammate edit compacts the stored record.
    let ws = open_workspace(&name).await;
    let mut theirs = elsewhere(&mut kept.clone());
    let change = theirs
        .edit(200, |e| e.set(Field::Country, "UK"))
        .unwrap()
        .unwrap();
    ws.apply_remote(
        vec![RecordPayload {
            record: id.to_string(),
            snapshot: None,
            changes: vec![change],
        }],
        Some(61),
    )
    .await
    .unwrap();
    let store = Store::open(&name).await.unwrap();
    let compacted = store.record(id.as_str()).await.unwrap().unwrap();
    assert!(
        compacted.changes.is_empty(),
        "{} chunks",
        compacted.changes.len()
    );
    let kept = stored(compacted);
    assert_eq!(kept.text(Field::Title).as_deref(), Some("Title 39"));
    assert_eq!(kept.text(Field::City).as_deref(), Some("London"));
    assert_eq!(kept.text(Field::Country).as_deref(), Some("UK"));
    assert_eq!(
        store.outbox().await.unwrap().items.len(),
        1,
        "the local edit still waits"
    );
    drop(store);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_viewer_cannot_create_or_edit() {
    let name = db_name("viewer");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let id = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    ws.writable.set(false);
    assert_eq!(
        ws.create(RecordKind::Person, |e| e.set(Field::Name, "Bob"))
            .await,
        Err(ActionError::ReadOnly)
    );
    assert_eq!(
        ws.edit(&id, |e| e.set(Field::City, "Paris")).await,
        Err(ActionError::ReadOnly)
    );
    assert!(ActionError::ReadOnly.to_string().starts_with("View only"));
    // Changes from the relay still arrive.
    let mut theirs = elsewhere(&mut ws.record(&id).await.unwrap());
    let change = theirs
        .edit(9, |e| e.set(Field::City, "Rome"))
        .unwrap()
        .unwrap();
    ws.apply_remote(
        vec![RecordPayload {
            record: id.to_string(),
            snapshot: None,
            changes: vec![change],
        }],
        Some(1),
    )
    .await
    .unwrap();
    assert_eq!(ws.summary(&id).unwrap().city, "Rome");
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_big_bootstrap_is_applied_in_short_steps() {
    const RECORDS: usize = 2_000;
    const BATCH: usize = 500;
    let name = db_name("bootstrap");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let mut payloads: Vec<RecordPayload> = (0..RECORDS)
        .map(|i| {
            let mut r = person("them", &format!("Person {i}"));
            r.edit(3, |e| e.set(Field::City, "Oslo")).unwrap();
            snapshot_payload(&mut r)
        })
        .collect();
    let bytes: usize = payloads
        .iter()
        .map(|p| p.snapshot.as_ref().map_or(0, Vec::len))
        .sum();

    // The browser reports every task over 50 ms (the Long Tasks API). First check the
    // instrument sees a long task at all.
    kith_app::sync::tasks::next_tick().await;
    let probe = long_task_probe();
    let busy_until = kith_app::sync::tasks::now() + 70.0;
    while kith_app::sync::tasks::now() < busy_until {}
    kith_app::sync::tasks::next_tick().await;
    let calibration = probe.call0(&JsValue::NULL).unwrap().as_f64().unwrap();
    assert!(
        calibration >= 60.0,
        "the long-task probe saw {calibration} ms"
    );
    let observer = long_task_probe();
    let started = kith_app::sync::tasks::now();
    let mut cursor = 0;
    while !payloads.is_empty() {
        let rest = payloads.split_off(BATCH.min(payloads.len()));
        cursor += 1;
        ws.apply_remote(std::mem::replace(&mut payloads, rest), Some(cursor))
            .await
            .unwrap();
    }
    let elapsed = kith_app::sync::tasks::now() - started;
    let longest = observer.call0(&JsValue::NULL).unwrap().as_f64().unwrap();
    web_sys::console::log_1(
        &format!(
            "bootstrap: {RECORDS} records ({} KB of snapshots) applied in {elapsed:.0} ms \
             ({:.0} records/s); longest main-thread task {longest:.0} ms",
            bytes / 1024,
            RECORDS as f64 / elapsed * 1000.0,
        )
        .into(),
    );
    assert_eq!(ws.with_directory(|d| d.count(RecordKind::Person)), RECORDS);
    assert!(
        longest < support::UNSLICED_TASK_MS,
        "a step blocked the main thread for {longest:.0} ms"
    );
    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.cursor().await.unwrap(), cursor);
    drop(store);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

/// Starts watching for long tasks; the returned function stops and gives the longest (ms).
fn long_task_probe() -> js_sys::Function {
    js_sys::Function::new_no_args(
        "const seen = []; const o = new PerformanceObserver(list => { \
           for (const e of list.getEntries()) seen.push(e.duration); }); \
         o.observe({ type: 'longtask' }); \
         return () => { for (const e of o.takeRecords()) seen.push(e.duration); \
           o.disconnect(); return Math.max(0, ...seen); };",
    )
    .call0(&JsValue::NULL)
    .unwrap()
    .dyn_into::<js_sys::Function>()
    .unwrap()
}

#[wasm_bindgen_test]
async fn binding_a_local_database_plans_its_upload() {
    let name = db_name("bind");
    let store = Store::open(&name).await.unwrap();
    for i in 0..3u8 {
        store
            .write(RecordWrite {
                id: format!("r{i}"),
                kind: "person".into(),
                append: Append::Changes(vec![i]),
                summary: vec![i],
                outbox: Some(vec![i]),
            })
            .await
            .unwrap();
    }
    let last = store.outbox_last_seq().await.unwrap();
    bind_to_relay(&name, "ws-1").await.unwrap();
    assert_eq!(
        store.meta_get(WORKSPACE_KEY).await.unwrap().as_deref(),
        Some("ws-1")
    );
    let plan: UploadPlan =
        serde_json::from_str(&store.meta_get(UPLOAD_KEY).await.unwrap().unwrap()).unwrap();
    assert_eq!(
        plan,
        UploadPlan {
            workspace: "ws-1".into(),
            outbox_upto: last,
            after: None,
        }
    );
    store.close();
    Store::delete_database(&name).await.unwrap();
}

fn unit(seq: u64, changes: usize, size: usize) -> Unit {
    Unit {
        done: Done::Outbox(seq),
        changes: (0..changes)
            .map(|i| PushedChange {
                record: format!("record-{seq}"),
                bytes: vec![i as u8; size],
            })
            .collect(),
    }
}

#[wasm_bindgen_test]
fn push_batches_respect_the_limits_and_a_unit_is_done_only_when_whole() {
    let mut queue = PushQueue::with_limits(4, 10_000);
    queue.push(unit(1, 3, 10));
    queue.push(unit(2, 3, 10));
    queue.push(unit(3, 0, 10));
    queue.push(unit(4, 1, 10));
    assert_eq!(queue.waiting_changes(), 7);

    let first = queue.next_batch().unwrap();
    assert_eq!(first.changes.len(), 4, "at most 4 changes");
    assert_eq!(
        queue.next_batch(),
        Some(first.clone()),
        "nothing leaves before the ack"
    );
    assert_eq!(
        queue.acked(&first),
        vec![Done::Outbox(1)],
        "unit 2 is only partly sent"
    );
    let second = queue.next_batch().unwrap();
    assert_eq!(second.changes.len(), 3, "the rest of unit 2, then unit 4");
    assert_eq!(queue.acked(&second), vec![Done::Outbox(2), Done::Outbox(4)]);
    assert!(queue.is_empty());
    assert_eq!(queue.next_batch(), None);

    // The frame limit splits too (but a batch always holds one change at least).
    let mut queue = PushQueue::with_limits(1_000, 100);
    queue.push(unit(1, 3, 60));
    let batch = queue.next_batch().unwrap();
    assert_eq!(batch.changes.len(), 1);
}

#[wasm_bindgen_test]
fn a_refused_batch_is_retried_unit_by_unit_and_only_the_bad_unit_is_dropped() {
    let mut queue = PushQueue::with_limits(100, 100_000);
    for seq in 1..=3 {
        queue.push(unit(seq, 2, 10));
    }
    let all = queue.next_batch().unwrap();
    assert_eq!(all.changes.len(), 6);
    assert_eq!(queue.refused(&all), Refused::Retrying);

    let one = queue.next_batch().unwrap();
    assert_eq!(one.changes.len(), 2, "one unit per batch now");
    assert_eq!(queue.acked(&one), vec![Done::Outbox(1)]);
    let bad = queue.next_batch().unwrap();
    match queue.refused(&bad) {
        Refused::Dropped(unit) => assert_eq!(unit.done, Done::Outbox(2)),
        other => panic!("{other:?}"),
    }
    let last = queue.next_batch().unwrap();
    assert_eq!(last.changes.len(), 2);
    assert_eq!(queue.acked(&last), vec![Done::Outbox(3)]);
    assert!(queue.is_empty());
}

// The engine against a relay played by the test.

const WORKSPACE: &str = "w-acme";

fn account(token: &str) -> Account {
    Account {
        token: token.into(),
        expires_at: i64::MAX,
        user: User {
            id: "u-me".into(),
            email: "me@example.com".into(),
            name: "Me".into(),
        },
    }
}

fn relay_workspace(role: Role) -> ActiveWorkspace {
    ActiveWorkspace::Relay {
        id: WORKSPACE.into(),
        name: "Acme".into(),
        role,
    }
}

/// The next message the engine sends.
async fn sent(relay: &ScriptedRelay, what: &str) -> ClientMessage {
    until_some(what, || relay.next_sent()).await
}

/// Opens connection number `n`, greets and expects a `Join` with `token` and `cursor`.
async fn connect(relay: &ScriptedRelay, n: usize, token: &str, cursor: u64) {
    connect_to(relay, n, token, cursor, "relay-1").await
}

/// [`connect`] to the relay database `relay_id`.
async fn connect_to(relay: &ScriptedRelay, n: usize, token: &str, cursor: u64, relay_id: &str) {
    until_some(&format!("connection {n}"), || {
        (relay.connections() >= n).then_some(())
    })
    .await;
    relay.accept();
    assert!(matches!(
        sent(relay, "Hello").await,
        ClientMessage::Hello { .. }
    ));
    relay.send(&ServerMessage::Welcome {
        relay_version: "test".into(),
        relay_id: relay_id.into(),
    });
    assert_eq!(
        sent(relay, "Join").await,
        ClientMessage::Join {
            token: token.into(),
            workspace: WORKSPACE.into(),
            cursor,
        }
    );
}

fn joined(role: Role, head: u64) -> ServerMessage {
    ServerMessage::Joined {
        workspace: WORKSPACE.into(),
        user: "u-me".into(),
        role,
        head,
    }
}

/// The next push: its batch id and changes.
async fn pushed(relay: &ScriptedRelay) -> (u64, Vec<PushedChange>) {
    match sent(relay, "a push").await {
        ClientMessage::Push { batch, changes } => (batch, changes),
        other => panic!("expected a push, got {other:?}"),
    }
}

async fn outbox_len(name: &str) -> u32 {
    Store::open(name)
        .await
        .unwrap()
        .outbox_count()
        .await
        .unwrap()
}

#[wasm_bindgen_test]
async fn the_engine_joins_receives_and_pushes_in_order() {
    let name = db_name("engine");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let id = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Member));
    assert_eq!(engine.status().get_untracked(), SyncStatus::Connecting);

    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Member, 0));
    // The creation goes out as its changes, each naming the record.
    let (batch, changes) = pushed(&relay).await;
    assert_eq!(changes.len(), 2, "created, then named");
    assert!(changes.iter().all(|c| c.record == id.as_str()));
    until("Syncing", || {
        matches!(
            engine.status().get_untracked(),
            SyncStatus::Syncing { changes: 1 }
        )
    })
    .await;
    assert_eq!(engine.status().get_untracked().label(), "Syncing 1 change");
    relay.send(&ServerMessage::Ack { batch, head: 2 });
    until("Online", || {
        engine.status().get_untracked().label() == "Online"
    })
    .await;
    assert!(
        engine
            .status()
            .get_untracked()
            .detail()
            .starts_with("Last synced at ")
    );
    assert_eq!(
        outbox_len(&name).await,
        0,
        "acknowledged changes leave the outbox"
    );

    // A teammate's record arrives live; the cursor is stored with it.
    let mut grace = person("them", "Grace");
    relay.send(&ServerMessage::Records {
        items: vec![snapshot_payload(&mut grace)],
        cursor: Some(7),
        caught_up: true,
    });
    until("Grace to arrive", || ws.summary(grace.id()).is_some()).await;
    assert_eq!(Store::open(&name).await.unwrap().cursor().await.unwrap(), 7);

    // A local edit goes out at once, as one change.
    ws.edit(&id, |e| e.set(Field::City, "London"))
        .await
        .unwrap();
    let (batch, changes) = pushed(&relay).await;
    assert_eq!(changes.len(), 1);
    relay.send(&ServerMessage::Ack { batch, head: 8 });
    until_some("the outbox to drain", || {
        (engine.pending().get_untracked() == 0).then_some(())
    })
    .await;
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn refused_changes_are_kept_and_said_and_a_full_relay_stops_the_sending() {
    let name = db_name("engine-refused");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let id = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Member));
    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Member, 0));
    let (batch, _) = pushed(&relay).await;
    until("a member may not erase", || !ws.erasable.get_untracked()).await;
    assert!(ws.writable.get_untracked());

    // A change the relay refuses alone is kept here, and the person is told.
    relay.send(&ServerMessage::PushRefused {
        batch,
        reason: Refusal::Invalid,
        message: "change 0: its checksum does not match its contents".into(),
    });
    let said = |words: &'static [&'static str]| {
        move || {
            ws.problems
                .get_untracked()
                .iter()
                .any(|p| words.iter().all(|w| p.contains(w)))
        }
    };
    until(
        "the refusal to be said",
        said(&["checksum", "kept on this device"]),
    )
    .await;
    assert_eq!(outbox_len(&name).await, 1, "the refused change is kept");

    // A full workspace: the edit stays here, the person is told, and sending stops.
    ws.edit(&id, |e| e.set(Field::City, "London"))
        .await
        .unwrap();
    let (batch, changes) = pushed(&relay).await;
    assert_eq!(changes.len(), 1);
    relay.send(&ServerMessage::PushRefused {
        batch,
        reason: Refusal::Full,
        message: "the workspace is full".into(),
    });
    until(
        "the full relay to be said",
        said(&["no room left", "kept here"]),
    )
    .await;
    assert!(
        relay.next_sent().is_none(),
        "nothing more sent to a full relay"
    );
    // A new edit tries again: still full …
    ws.edit(&id, |e| e.set(Field::City, "Paris")).await.unwrap();
    assert_eq!(outbox_len(&name).await, 3, "every edit is kept");
    let (batch, _) = pushed(&relay).await;
    relay.send(&ServerMessage::PushRefused {
        batch,
        reason: Refusal::Full,
        message: "the workspace is full".into(),
    });
    // … then room was made: the next edit's try sends everything waiting.
    ws.edit(&id, |e| e.set(Field::Title, "Countess"))
        .await
        .unwrap();
    until_some(
        "everything but the invalid change to be acked",
        || match relay.next_sent() {
            Some(ClientMessage::Push { batch, .. }) => {
                relay.send(&ServerMessage::Ack { batch, head: 10 });
                None
            }
            _ => (engine.pending().get_untracked() == 1).then_some(()),
        },
    )
    .await;
    until("the indicator to leave 'full'", || {
        engine.status().get_untracked().label() != "Workspace full"
    })
    .await;

    // The next connection sends everything kept, the refused change included.
    relay.close(1001, "");
    connect(&relay, 2, "t1", 0).await;
    relay.send(&joined(Role::Admin, 0));
    let (_, changes) = pushed(&relay).await;
    assert_eq!(
        changes.len(),
        2,
        "created and named: the change refused as invalid"
    );
    until("an admin may erase", || ws.erasable.get_untracked()).await;
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn another_relay_database_starts_the_sync_over_and_a_member_sends_what_it_wrote() {
    let name = db_name("engine-new-relay");
    let owner = reactive_owner();
    let ws = Workspace::open_database(name.as_str(), Some(UserId("u-me".into())));
    until("the workspace to load", || {
        ws.phase.get_untracked() == Phase::Ready
    })
    .await;
    let ada = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Member));
    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Member, 0));
    let (batch, _) = pushed(&relay).await;
    relay.send(&ServerMessage::Ack { batch, head: 2 });
    // A teammate's record arrives; this member edits it too.
    let mut grace = person("them", "Grace");
    relay.send(&ServerMessage::Records {
        items: vec![snapshot_payload(&mut grace)],
        cursor: Some(7),
        caught_up: true,
    });
    until("Grace to arrive", || ws.summary(grace.id()).is_some()).await;
    ws.edit(grace.id(), |e| e.set(Field::City, "Paris"))
        .await
        .unwrap();
    let (batch, _) = pushed(&relay).await;
    relay.send(&ServerMessage::Ack { batch, head: 8 });
    until_some("the outbox to drain", || {
        (engine.pending().get_untracked() == 0).then_some(())
    })
    .await;

    // The same address now answers from another database (a new one, or a restored backup
    // started with --restored): the cursor means nothing there, so the device starts over…
    relay.close(1001, "");
    connect_to(&relay, 2, "t1", 0, "relay-2").await;
    relay.send(&joined(Role::Member, 0));
    // … and sends everything it wrote, and only that (the relay refuses others' changes from
    // a member): Ada created and named, and its own edit of Grace.
    let (_, changes) = pushed(&relay).await;
    let count = |id: &str| changes.iter().filter(|c| c.record == id).count();
    assert_eq!(count(ada.as_str()), 2);
    assert_eq!(count(grace.id().as_str()), 1);
    assert_eq!(changes.len(), 3);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_ended_session_keeps_every_edit_until_the_next_sign_in() {
    let name = db_name("engine-4401");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Member));
    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Member, 0));
    relay.send(&ServerMessage::Records {
        items: vec![],
        cursor: Some(3),
        caught_up: true,
    });
    until("Online", || {
        engine.status().get_untracked().label() == "Online"
    })
    .await;

    // The token expired: the relay closes with 4401. Edits made now wait.
    relay.close(4401, "sign in again");
    let id = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    ws.edit(&id, |e| e.set(Field::City, "Paris")).await.unwrap();
    until("Sign in again to send 2 changes", || {
        engine.status().get_untracked().detail() == "Sign in again to send 2 changes"
    })
    .await;
    assert_eq!(engine.status().get_untracked().label(), "Sign in again");
    assert_eq!(outbox_len(&name).await, 2);
    for _ in 0..5 {
        kith_app::sync::tasks::next_tick().await;
    }
    assert_eq!(
        relay.connections(),
        1,
        "no retry with a token the relay refused"
    );

    // Signing in again reconnects at once, with the new token, from the stored cursor.
    account.0.set(Some(self::account("t2")));
    connect(&relay, 2, "t2", 3).await;
    relay.send(&joined(Role::Member, 3));
    let (batch, changes) = pushed(&relay).await;
    assert_eq!(
        changes.len(),
        3,
        "the creation (2 changes) and the edit, in order"
    );
    relay.send(&ServerMessage::Ack { batch, head: 6 });
    until_some("the outbox to drain", || {
        (engine.pending().get_untracked() == 0).then_some(())
    })
    .await;
    assert_eq!(outbox_len(&name).await, 0);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_removed_member_sees_no_access_and_the_engine_stops_retrying() {
    let name = db_name("engine-4403");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Member));
    connect(&relay, 1, "t1", 0).await;
    relay.close(4403, "no access to this workspace");
    until("No access", || {
        engine.status().get_untracked() == SyncStatus::NoAccess
    })
    .await;
    assert_eq!(
        engine.status().get_untracked().detail(),
        "You no longer have access to this workspace"
    );
    // Even the browser saying the network is back does not make it try again.
    window()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    for _ in 0..5 {
        kith_app::sync::tasks::next_tick().await;
    }
    assert_eq!(relay.connections(), 1);
    assert_eq!(engine.status().get_untracked(), SyncStatus::NoAccess);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_lost_connection_is_offline_then_resumes_from_the_cursor() {
    let name = db_name("engine-offline");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Member));
    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Member, 9));
    let mut grace = person("them", "Grace");
    relay.send(&ServerMessage::Records {
        items: vec![snapshot_payload(&mut grace)],
        cursor: None,
        caught_up: false,
    });
    relay.send(&ServerMessage::Records {
        items: vec![],
        cursor: Some(9),
        caught_up: true,
    });
    until("Online", || {
        engine.status().get_untracked().label() == "Online"
    })
    .await;

    // The relay goes away; the next attempt fails too.
    relay.set_down(true);
    relay.close(1001, "");
    until("Offline", || {
        engine.status().get_untracked().label() == "Offline"
    })
    .await;
    let detail = engine.status().get_untracked().detail();
    assert!(detail.starts_with("Offline since "), "{detail}");
    assert!(detail.contains("(retrying at "), "{detail}");
    assert!(matches!(
        engine.link().state().get_untracked(),
        kith_app::relay_link::LinkState::Offline { .. }
    ));
    ws.create(RecordKind::Person, |e| e.set(Field::Name, "Offline Ada"))
        .await
        .unwrap();
    until("1 change waiting", || {
        engine
            .status()
            .get_untracked()
            .detail()
            .ends_with("· 1 change waiting")
    })
    .await;
    // Back: the engine reconnects by itself and resumes after what it stored.
    relay.set_down(false);
    connect(&relay, 2, "t1", 9).await;
    relay.send(&joined(Role::Member, 9));
    let (batch, changes) = pushed(&relay).await;
    assert_eq!(changes.len(), 2);
    relay.send(&ServerMessage::Ack { batch, head: 11 });
    until("Online again", || {
        engine.status().get_untracked().label() == "Online"
    })
    .await;
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn presence_and_roles_come_from_the_relay() {
    let name = db_name("engine-presence");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let id = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Viewer));
    assert!(
        !ws.writable.get_untracked(),
        "a viewer's copy is read-only from the start"
    );
    engine.view_record(Some(&id));
    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Member, 0));
    // Promoted since: writable again. What this tab shows is told to the relay.
    until("writable", || ws.writable.get_untracked()).await;
    assert_eq!(
        sent(&relay, "Viewing").await,
        ClientMessage::Viewing {
            record: Some(id.to_string())
        }
    );
    let viewer = |user: &str, name: &str| Viewer {
        user: user.into(),
        name: name.into(),
        record: id.to_string(),
    };
    relay.send(&ServerMessage::Presence {
        viewers: vec![viewer("u-me", "Me"), viewer("u-ben", "Ben Okafor")],
    });
    until("Ben's presence", || {
        engine.viewers().get_untracked() == vec![viewer("u-ben", "Ben Okafor")]
    })
    .await;
    engine.stop_viewing(&id);
    let mut told = None;
    while told.is_none() {
        match sent(&relay, "Viewing None").await {
            ClientMessage::Viewing { record } => told = Some(record),
            _ => continue,
        }
    }
    assert_eq!(told, Some(None));
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_connected_local_database_is_uploaded_whole_then_its_new_edits() {
    let name = db_name("engine-upload");
    let owner = reactive_owner();
    // Used locally first: three records, edits, all in the outbox.
    let ws = Workspace::open_database(name.as_str(), None);
    until("the workspace to load", || {
        ws.phase.get_untracked() == Phase::Ready
    })
    .await;
    let mut ids = Vec::new();
    for n in ["Ada", "Grace", "Katherine"] {
        let id = ws
            .create(RecordKind::Person, |e| e.set(Field::Name, n))
            .await
            .unwrap();
        ws.edit(&id, |e| e.set(Field::City, "London"))
            .await
            .unwrap();
        ids.push(id);
    }
    bind_to_relay(&name, WORKSPACE).await.unwrap();

    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Owner));
    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Owner, 0));
    let (batch, changes) = pushed(&relay).await;
    // Every record's whole history: created, named, city.
    for id in &ids {
        let mine: Vec<&PushedChange> = changes.iter().filter(|c| c.record == id.as_str()).collect();
        assert_eq!(mine.len(), 3, "{id}");
    }
    assert_eq!(changes.len(), 9);
    relay.send(&ServerMessage::Ack { batch, head: 9 });
    until_some("the outbox to drain", || {
        (engine.pending().get_untracked() == 0).then_some(())
    })
    .await;
    let store = Store::open(&name).await.unwrap();
    assert_eq!(
        store.meta_get(UPLOAD_KEY).await.unwrap(),
        None,
        "upload finished"
    );
    assert_eq!(
        store.outbox_count().await.unwrap(),
        0,
        "covered by the upload"
    );

    // Edits from now on are pushed as usual.
    ws.edit(&ids[0], |e| e.set(Field::Title, "Countess"))
        .await
        .unwrap();
    let (_, changes) = pushed(&relay).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].record, ids[0].as_str());
    drop(store);
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_erasure_removes_every_byte_reaches_the_relay_and_keeps_the_record_gone() {
    let name = db_name("engine-erase");
    let owner = reactive_owner();
    let ws = open_workspace(&name).await;
    let ada = ws
        .create(RecordKind::Person, |e| e.set(Field::Name, "Ada"))
        .await
        .unwrap();
    ws.edit(&ada, |e| e.set(Field::City, "London"))
        .await
        .unwrap();
    let relay = ScriptedRelay::new();
    let account = AccountState(RwSignal::new(Some(account("t1"))));
    let engine = SyncEngine::start_scripted(&relay, ws, account, relay_workspace(Role::Member));

    // Erased here before anything was sent: her unsent changes go with her, and the relay is
    // asked to erase her before anything else is pushed.
    ws.erase(std::slice::from_ref(&ada), None, false)
        .await
        .unwrap();
    assert!(ws.is_erased(&ada));
    assert!(ws.summary(&ada).is_none_or(|s| s.deleted));
    let store = Store::open(&name).await.unwrap();
    assert!(store.record(ada.as_str()).await.unwrap().is_none());
    assert_eq!(outbox_len(&name).await, 0, "her unsent changes are gone");
    connect(&relay, 1, "t1", 0).await;
    relay.send(&joined(Role::Member, 0));
    let batch = match sent(&relay, "the erasure").await {
        ClientMessage::Erase { batch, record } => {
            assert_eq!(record, ada.as_str());
            batch
        }
        other => panic!("expected Erase, got {other:?}"),
    };
    relay.send(&ServerMessage::Ack { batch, head: 1 });
    let mut pending = vec!["?".to_string()];
    for _ in 0..500 {
        pending = store.erasures().await.unwrap().1;
        if pending.is_empty() {
            break;
        }
        support::pause(10).await;
    }
    assert!(
        pending.is_empty(),
        "acked erasures are forgotten: {pending:?}"
    );

    // A teammate's late change to her is dropped.
    let mut late = Record::create(ada.clone(), RecordKind::Person, &UserId("them".into()), 5);
    relay.send(&ServerMessage::Records {
        items: vec![snapshot_payload(&mut late)],
        cursor: Some(2),
        caught_up: true,
    });
    // The relay erases Grace, whom this device holds: she goes too, with the cursor moved.
    let mut grace = person("them", "Grace");
    relay.send(&ServerMessage::Records {
        items: vec![snapshot_payload(&mut grace)],
        cursor: Some(3),
        caught_up: true,
    });
    until("Grace to arrive", || ws.summary(grace.id()).is_some()).await;
    relay.send(&ServerMessage::Erased {
        records: vec![grace.id().to_string()],
        cursor: 4,
        caught_up: true,
    });
    until("Grace to be erased", || ws.is_erased(grace.id())).await;
    assert!(store.record(grace.id().as_str()).await.unwrap().is_none());
    assert!(store.record(ada.as_str()).await.unwrap().is_none());
    assert_eq!(store.cursor().await.unwrap(), 4);
    assert!(ws.summary(grace.id()).is_none_or(|s| s.deleted));
    drop((engine, owner));
    Store::delete_database(&name).await.unwrap();
}
