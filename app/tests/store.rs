//! The IndexedDB store in a real browser (headless Chromium via wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use indexed_db_futures::database::Database;
use indexed_db_futures::error::Error as IdbError;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{Object, Reflect, Uint8Array};
use kith_app::store::{
    Append, COMPACT_AFTER_CHANGES, Loaded, MIGRATIONS, Migration, OutboxEntry, RecordBytes,
    RecordWrite, SkippedEntry, Store, StoreError, SummaryBytes, Upgrade,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A database name no other test (or earlier run) uses.
fn db_name(test: &str) -> String {
    format!(
        "kith-store-test-{test}-{}-{}",
        js_sys::Date::now(),
        (js_sys::Math::random() * 1e9) as u64
    )
}

fn write(id: &str, append: Append, summary: &[u8], outbox: Option<&[u8]>) -> RecordWrite {
    RecordWrite {
        id: id.to_owned(),
        kind: "person".to_owned(),
        append,
        summary: summary.to_vec(),
        outbox: outbox.map(<[u8]>::to_vec),
    }
}

fn summary(id: &str, kind: &str, bytes: &[u8]) -> SummaryBytes {
    SummaryBytes {
        id: id.to_owned(),
        kind: kind.to_owned(),
        bytes: bytes.to_vec(),
    }
}

/// A plain connection (no `versionchange` handler), as another tab or older code would hold.
async fn raw_open(name: &str) -> Database {
    Database::open(name).await.expect("raw open")
}

/// Puts `value` under `key` in `store` with raw IndexedDB calls, bypassing the store's codec.
async fn raw_put(name: &str, store: &str, key: JsValue, value: JsValue) {
    let db = raw_open(name).await;
    let tx = db
        .transaction(store)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    tx.object_store(store)
        .unwrap()
        .put(value)
        .with_key(key)
        .primitive()
        .unwrap()
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.close();
}

async fn raw_count(name: &str, store: &str) -> u32 {
    let db = raw_open(name).await;
    let tx = db.transaction(store).build().unwrap();
    let n = tx
        .object_store(store)
        .unwrap()
        .count()
        .primitive()
        .unwrap()
        .await
        .unwrap();
    drop(tx);
    db.close();
    n
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in pairs {
        Reflect::set(&obj, &JsValue::from_str(key), value).unwrap();
    }
    obj.into()
}

#[wasm_bindgen_test]
async fn a_write_puts_record_summary_and_outbox_in_one_transaction() {
    let name = db_name("write");
    let store = Store::open(&name).await.unwrap();

    store
        .write(write(
            "a",
            Append::Snapshot(vec![1, 2, 3]),
            b"sum-a",
            Some(b"chg-a"),
        ))
        .await
        .unwrap();
    assert_eq!(
        store.record("a").await.unwrap(),
        Some(RecordBytes {
            id: "a".into(),
            kind: "person".into(),
            snapshot: vec![1, 2, 3],
            changes: vec![],
        })
    );
    assert_eq!(
        store.summaries().await.unwrap(),
        Loaded {
            items: vec![summary("a", "person", b"sum-a")],
            skipped: vec![],
        }
    );
    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox.items.len(), 1);
    assert_eq!(outbox.items[0].record_id, "a");
    assert_eq!(outbox.items[0].bytes, b"chg-a");

    // Exhaust the outbox's key generator (its next key would pass 2^53): from now on the real
    // `write` path fails at its last step, the outbox add, after the record and summary puts.
    raw_put(
        &name,
        "outbox",
        JsValue::from_f64(9_007_199_254_740_992.0),
        object(&[("v", 1.into())]),
    )
    .await;

    let failed = store
        .write(write(
            "b",
            Append::Snapshot(vec![9]),
            b"sum-b",
            Some(b"chg-b"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&failed, StoreError::Other(m) if m.starts_with("ConstraintError")),
        "{failed:?}"
    );
    assert_eq!(store.record("b").await.unwrap(), None, "record rolled back");
    // An update of an existing record is rolled back whole too.
    let failed = store
        .write(write(
            "a",
            Append::Changes(vec![7]),
            b"sum-a2",
            Some(b"chg-a2"),
        ))
        .await;
    assert!(failed.is_err());
    assert_eq!(
        store.record("a").await.unwrap().unwrap().changes,
        Vec::<Vec<u8>>::new()
    );
    assert_eq!(
        store.summaries().await.unwrap().items,
        vec![summary("a", "person", b"sum-a")],
        "neither summary of the failed writes is visible"
    );
    // Nothing half-written anywhere: the stores hold exactly what the first write put there.
    assert_eq!(raw_count(&name, "records").await, 1);
    assert_eq!(raw_count(&name, "summaries").await, 1);

    // A write without an outbox entry is unaffected.
    store
        .write(write("c", Append::Snapshot(vec![4]), b"sum-c", None))
        .await
        .unwrap();
    assert!(store.record("c").await.unwrap().is_some());

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_corrupt_summary_is_skipped_and_reported() {
    let name = db_name("corrupt");
    let store = Store::open(&name).await.unwrap();
    store
        .write(write("ok-1", Append::Snapshot(vec![1]), b"one", None))
        .await
        .unwrap();
    store
        .write(write("ok-2", Append::Snapshot(vec![2]), b"two", None))
        .await
        .unwrap();

    let bytes = || JsValue::from(Uint8Array::from(&[1u8, 2][..]));
    let garbage = [
        ("bad-string", JsValue::from_str("not a summary")),
        (
            "bad-version",
            object(&[
                ("v", 99.into()),
                ("kind", "person".into()),
                ("bytes", bytes()),
            ]),
        ),
        (
            "bad-no-bytes",
            object(&[("v", 1.into()), ("kind", "person".into())]),
        ),
        (
            "bad-kind-type",
            object(&[("v", 1.into()), ("kind", 5.into()), ("bytes", bytes())]),
        ),
    ];
    for (key, value) in &garbage {
        raw_put(&name, "summaries", JsValue::from_str(key), value.clone()).await;
    }

    let loaded = store.summaries().await.unwrap();
    assert_eq!(
        loaded.items,
        vec![
            summary("ok-1", "person", b"one"),
            summary("ok-2", "person", b"two")
        ]
    );
    let skipped = |key: &str, reason: &str| SkippedEntry {
        store: "summaries",
        key: key.to_owned(),
        reason: reason.to_owned(),
    };
    assert_eq!(
        loaded.skipped,
        vec![
            skipped("bad-kind-type", "field `kind` is a number, not a string"),
            skipped("bad-no-bytes", "field `bytes` is missing, not a Uint8Array"),
            skipped("bad-string", "not an object (a string)"),
            skipped(
                "bad-version",
                "unsupported value version v=99 (this version reads v=1)"
            ),
        ]
    );
    // The index path skips the same way.
    let people = store.summaries_of_kind("person").await.unwrap();
    assert_eq!(people.items.len(), 2);
    assert_eq!(people.skipped.len(), 2, "{:?}", people.skipped);
    // Never deleted: every entry is still there.
    assert_eq!(raw_count(&name, "summaries").await, 6);
    assert_eq!(store.summaries().await.unwrap(), loaded);

    // Paging reads the same entries, in key order, past the unreadable ones.
    let mut paged = Loaded::<SummaryBytes>::default();
    let mut after: Option<String> = None;
    let mut pages = 0;
    while let Some(last) = {
        let page = store.summaries_page(after.as_deref(), 4).await.unwrap();
        paged.items.extend(page.loaded.items);
        paged.skipped.extend(page.loaded.skipped);
        page.last_key
    } {
        pages += 1;
        after = Some(last);
    }
    assert_eq!(pages, 2, "6 entries in pages of 4");
    assert_eq!(paged, loaded);

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_corrupt_record_is_an_error_and_is_never_overwritten() {
    let name = db_name("corrupt-record");
    let store = Store::open(&name).await.unwrap();
    raw_put(
        &name,
        "records",
        "r".into(),
        object(&[("v", 1.into()), ("kind", "person".into())]),
    )
    .await;
    let err = store.record("r").await.unwrap_err();
    assert_eq!(
        err,
        StoreError::Corrupt {
            store: "records",
            key: "r".into(),
            reason: "field `snapshot` is missing, not a Uint8Array".into(),
        }
    );
    // Appending to it aborts the whole write.
    let err = store
        .write(write("r", Append::Changes(vec![1]), b"s", Some(b"c")))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert_eq!(store.outbox().await.unwrap().items, vec![]);
    assert_eq!(store.summaries().await.unwrap().items, vec![]);

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn appending_changes_then_a_snapshot_compacts_and_the_threshold_flips() {
    let name = db_name("compact");
    let store = Store::open(&name).await.unwrap();

    // Appending to a record that does not exist yet starts it with an empty snapshot.
    store
        .write(write("a", Append::Changes(vec![1]), b"s1", None))
        .await
        .unwrap();
    for i in 2..=5u8 {
        store
            .write(write("a", Append::Changes(vec![i; i as usize]), b"s", None))
            .await
            .unwrap();
    }
    let record = store.record("a").await.unwrap().unwrap();
    assert_eq!(record.snapshot, Vec::<u8>::new());
    assert_eq!(
        record.changes,
        vec![vec![1], vec![2; 2], vec![3; 3], vec![4; 4], vec![5; 5]]
    );
    assert!(
        Store::needs_compaction(&record),
        "changes outweigh the empty snapshot"
    );

    store
        .write(write("a", Append::Snapshot(vec![42; 100]), b"s", None))
        .await
        .unwrap();
    let record = store.record("a").await.unwrap().unwrap();
    assert_eq!(record.snapshot, vec![42; 100]);
    assert!(record.changes.is_empty());
    assert!(!Store::needs_compaction(&record));

    // By count: small chunks against a large snapshot.
    let mut record = RecordBytes {
        id: "x".into(),
        kind: "person".into(),
        snapshot: vec![0; 10_000],
        changes: vec![vec![0; 10]; COMPACT_AFTER_CHANGES],
    };
    assert!(!Store::needs_compaction(&record));
    record.changes.push(vec![0; 10]);
    assert!(Store::needs_compaction(&record));
    // By size: one chunk bigger than the snapshot.
    let record = RecordBytes {
        changes: vec![vec![0; 10_001]],
        ..record
    };
    assert!(Store::needs_compaction(&record));

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_outbox_keeps_edit_order_and_ack_removes_up_to_a_seq() {
    let name = db_name("outbox");
    let store = Store::open(&name).await.unwrap();
    for (i, id) in ["c", "a", "b", "a"].iter().enumerate() {
        let change = vec![i as u8];
        store
            .write(write(
                id,
                Append::Changes(change.clone()),
                b"s",
                Some(&change),
            ))
            .await
            .unwrap();
    }
    store.delete_record("b", Some(vec![9])).await.unwrap();

    let outbox = store.outbox().await.unwrap();
    assert!(outbox.skipped.is_empty());
    let order: Vec<(&str, &[u8])> = outbox
        .items
        .iter()
        .map(|e| (e.record_id.as_str(), e.bytes.as_slice()))
        .collect();
    assert_eq!(
        order,
        vec![
            ("c", &[0][..]),
            ("a", &[1]),
            ("b", &[2]),
            ("a", &[3]),
            ("b", &[9])
        ]
    );
    let seqs: Vec<u64> = outbox.items.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // The erase removed record and summary in the same transaction.
    assert_eq!(store.record("b").await.unwrap(), None);
    let ids: Vec<String> = store
        .summaries()
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, ["a", "c"]);

    // Ack is inclusive of its seq.
    store.ack_outbox(seqs[2]).await.unwrap();
    let rest: Vec<OutboxEntry> = store.outbox().await.unwrap().items;
    assert_eq!(rest, outbox.items[3..].to_vec());
    store.ack_outbox(seqs[4]).await.unwrap();
    assert!(store.outbox().await.unwrap().items.is_empty());
    // Sequence numbers keep growing after an ack: order across acks is preserved.
    store
        .write(write("a", Append::Changes(vec![5]), b"s", Some(b"later")))
        .await
        .unwrap();
    assert!(store.outbox().await.unwrap().items[0].seq > seqs[4]);

    store.close();
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn data_survives_closing_and_reopening() {
    let name = db_name("reopen");
    let store = Store::open(&name).await.unwrap();
    store
        .write(write("a", Append::Snapshot(vec![1]), b"sa", Some(b"oa")))
        .await
        .unwrap();
    store
        .write(write("a", Append::Changes(vec![2]), b"sa2", Some(b"oa2")))
        .await
        .unwrap();
    store.meta_set("device_id", "dev-1").await.unwrap();
    store.meta_set("cursor", r#"{"seq":41}"#).await.unwrap();
    store.meta_set("cursor", r#"{"seq":42}"#).await.unwrap();
    let before = (
        store.record("a").await.unwrap(),
        store.summaries().await.unwrap(),
        store.outbox().await.unwrap(),
    );
    store.close();

    let store = Store::open(&name).await.unwrap();
    let after = (
        store.record("a").await.unwrap(),
        store.summaries().await.unwrap(),
        store.outbox().await.unwrap(),
    );
    assert_eq!(before, after);
    assert_eq!(after.0.unwrap().changes, vec![vec![2]]);
    assert_eq!(after.2.items.len(), 2);
    assert_eq!(
        store.meta_get("device_id").await.unwrap().as_deref(),
        Some("dev-1")
    );
    assert_eq!(
        store.meta_get("cursor").await.unwrap().as_deref(),
        Some(r#"{"seq":42}"#)
    );
    assert_eq!(store.meta_get("missing").await.unwrap(), None);

    drop(store); // dropping closes the connection too
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_database_from_a_newer_app_is_refused() {
    let name = db_name("too-new");
    let db = Database::open(name.as_str())
        .with_version(99u32)
        .with_on_upgrade_needed(|_, db| {
            db.create_object_store("from_the_future").build()?;
            Ok(())
        })
        .await
        .unwrap();
    db.close();

    let err = match Store::open(&name).await {
        Err(e) => e,
        Ok(_) => panic!("opened a database from a newer app"),
    };
    assert_eq!(
        err,
        StoreError::VersionTooNew {
            name: name.clone(),
            found: 99,
            supported: MIGRATIONS.len() as u32,
        }
    );
    let message = err.to_string();
    assert!(message.contains("schema version 99"), "{message}");
    assert!(message.contains("reload"), "{message}");
    // Refusing changed nothing.
    let db = raw_open(&name).await;
    assert_eq!(db.version(), 99.0);
    db.close();

    Store::delete_database(&name).await.unwrap();
}

fn add_extra_store(up: &Upgrade<'_>) -> Result<(), IdbError> {
    up.db().create_object_store("extra").build()?;
    up.store("summaries")?
        .create_index_with_str("by_bytes", "bytes")
        .map_err(IdbError::from)?;
    Ok(())
}

static V1_V2: &[Migration] = &[
    MIGRATIONS[0],
    Migration {
        version: 2,
        apply: add_extra_store,
    },
];

#[wasm_bindgen_test]
async fn an_upgrade_adds_to_the_schema_without_losing_data() {
    let name = db_name("upgrade");
    let store = Store::open(&name).await.unwrap();
    store
        .write(write("a", Append::Snapshot(vec![1]), b"sa", Some(b"oa")))
        .await
        .unwrap();
    store.close();

    let store = Store::open_with(&name, V1_V2).await.unwrap();
    assert_eq!(store.record("a").await.unwrap().unwrap().snapshot, vec![1]);
    assert_eq!(store.summaries().await.unwrap().items.len(), 1);
    assert_eq!(store.outbox().await.unwrap().items.len(), 1);
    store.close();
    let db = raw_open(&name).await;
    assert_eq!(db.version(), 2.0);
    assert!(db.object_store_names().any(|n| n == "extra"));
    db.close();

    // The app that knows only version 1 now refuses it.
    assert!(matches!(
        Store::open(&name).await,
        Err(StoreError::VersionTooNew { found: 2, .. })
    ));

    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_upgrade_blocked_by_another_tab_is_reported_and_changes_nothing() {
    let name = db_name("blocked");
    let store = Store::open(&name).await.unwrap();
    store
        .write(write("a", Append::Snapshot(vec![1]), b"sa", None))
        .await
        .unwrap();
    store.close();

    // "Another tab": a connection that does not step aside on `versionchange`.
    let other = raw_open(&name).await;
    let err = match Store::open_with(&name, V1_V2).await {
        Err(e) => e,
        Ok(_) => panic!("upgraded while another connection was open"),
    };
    assert_eq!(err, StoreError::Blocked { name: name.clone() });
    assert!(err.to_string().contains("another Kith tab"), "{err}");

    // Once the other tab goes, the abandoned upgrade is rolled back, not applied: the
    // version-1 app still opens the database and finds its data.
    other.close();
    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.record("a").await.unwrap().unwrap().snapshot, vec![1]);
    store.close();
    let db = raw_open(&name).await;
    assert_eq!(db.version(), 1.0);
    assert!(!db.object_store_names().any(|n| n == "extra"));
    db.close();

    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_upgrade_in_another_tab_closes_this_connection() {
    let name = db_name("stepaside");
    let store = Store::open(&name).await.unwrap();

    // Would never resolve if the open store did not close itself.
    let newer = Database::open(name.as_str())
        .with_version(2u32)
        .with_on_blocked(|_| panic!("the open store blocked another tab's upgrade"))
        .with_on_upgrade_needed(|_, _| Ok(()))
        .await
        .unwrap();
    newer.close();

    assert_eq!(store.record("a").await, Err(StoreError::Closed));
    assert_eq!(
        store
            .write(write("a", Append::Snapshot(vec![1]), b"s", None))
            .await,
        Err(StoreError::Closed)
    );
    drop(store);
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_delete_blocked_by_an_open_connection_is_reported() {
    let name = db_name("delete-blocked");
    Store::open(&name).await.unwrap().close();
    let other = raw_open(&name).await;
    assert_eq!(
        Store::delete_database(&name).await,
        Err(StoreError::Blocked { name: name.clone() })
    );
    other.close();
    // The pending deletion went ahead once the connection closed; deleting again is a no-op.
    Store::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
fn dom_exceptions_map_to_store_errors() {
    let quota = web_sys::DomException::new_with_message_and_name("disk full", "QuotaExceededError")
        .unwrap();
    assert_eq!(StoreError::from(quota), StoreError::QuotaExceeded);
    let other = web_sys::DomException::new_with_message_and_name("bad key", "DataError").unwrap();
    assert_eq!(
        StoreError::from(other),
        StoreError::Other("DataError: bad key".into())
    );
}

#[wasm_bindgen_test]
async fn a_non_string_meta_value_is_an_error() {
    let name = db_name("meta");
    let store = Store::open(&name).await.unwrap();
    raw_put(&name, "meta", "n".into(), 5.into()).await;
    assert!(matches!(
        store.meta_get("n").await,
        Err(StoreError::Corrupt { store: "meta", .. })
    ));
    store.close();
    Store::delete_database(&name).await.unwrap();
}
