//! What a member with an account of their own must not be able to do to a workspace, on
//! SQLite and PostgreSQL: store more than the limits allow, push damaged changes or changes
//! in a teammate's name, make a record unreadable, or erase what they should not.

#[path = "support/http.rs"]
mod http;
mod support;

use automerge::transaction::Transactable;
use automerge::{Author, AutoCommit, ROOT};
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::{
    CloseCode, MAX_CHANGE_BYTES, MAX_RECORD_BYTES, PushedChange, Refusal, Role,
};
use kith_core::record::{Field, Record};
use support::Backend;
use support::seed::{Person, Seed};
use support::ws::{Device, person_record};

fn now() -> i64 {
    kith_server::now_ms()
}

/// One change made on `record` outside `Record`, as `author` (or with no Author at all), by
/// `actor` when given: what a hostile client can send.
fn raw_change(
    record: &mut Record,
    author: Option<&str>,
    actor: Option<automerge::ActorId>,
    edit: impl FnOnce(&mut AutoCommit),
) -> Vec<u8> {
    let mut doc = AutoCommit::load(&record.save()).unwrap();
    if let Some(actor) = actor {
        doc.set_actor(actor);
    }
    doc.set_author(author.map(|a| Author::from(a.as_bytes().to_vec())));
    edit(&mut doc);
    doc.get_last_local_change().unwrap().raw_bytes().to_vec()
}

fn pushed(record: &Record, bytes: Vec<u8>) -> Vec<PushedChange> {
    vec![PushedChange {
        record: record.id().to_string(),
        bytes,
    }]
}

struct Team {
    relay: kith_server::Relay,
    _dir: tempfile::TempDir,
    seed: Seed,
    alice: Person,
    bob: Person,
    ours: String,
}

async fn team(backend: Backend, quota: Option<u64>) -> Team {
    let (relay, dir, url) = support::relay_with(backend, |config| {
        if let Some(quota) = quota {
            config.workspace_quota_bytes = quota;
        }
    })
    .await;
    let seed = Seed::open(&url).await;
    let alice = seed.person("Alice").await;
    let bob = seed.person("Bob").await;
    let ours = seed
        .team("Ours", &[(&alice, Role::Owner), (&bob, Role::Member)])
        .await;
    Team {
        relay,
        _dir: dir,
        seed,
        alice,
        bob,
        ours,
    }
}

impl Team {
    async fn device(&self, who: &Person) -> Device {
        Device::synced(self.relay.addr(), &who.token, &self.ours, 0).await
    }

    async fn stop(self) {
        self.relay.shutdown().await.unwrap();
        self.seed.close().await;
    }
}

async fn damaged_and_unreadable(backend: Backend) {
    let t = team(backend, None).await;
    let mut a = t.device(&t.alice).await;
    let (mut ada, changes) = person_record(&t.alice, "Ada");
    assert_eq!(a.push_record(&ada, &changes).await, 2);

    let mut damaged = raw_change(&mut ada, Some(&t.alice.id), None, |d| {
        d.put(ROOT, "name", "Ada L.").unwrap();
    });
    damaged[5] ^= 0x55;
    let (reason, message) = a.push(pushed(&ada, damaged)).await.unwrap_err();
    assert_eq!(reason, Refusal::Invalid);
    assert!(message.contains("checksum"), "{message}");

    let spaceship = raw_change(&mut ada, Some(&t.alice.id), None, |d| {
        d.put(ROOT, "type", "spaceship").unwrap();
    });
    let (reason, message) = a.push(pushed(&ada, spaceship)).await.unwrap_err();
    assert_eq!(reason, Refusal::Invalid);
    assert!(message.contains("spaceship"), "{message}");

    let no_tags = raw_change(&mut ada, Some(&t.alice.id), None, |d| {
        d.delete(ROOT, "tags").unwrap();
    });
    assert_eq!(
        a.push(pushed(&ada, no_tags)).await.unwrap_err().0,
        Refusal::Invalid
    );

    // A record started with no type could never be read.
    let mut blank =
        AutoCommit::new().with_author(Some(Author::from(t.alice.id.clone().into_bytes())));
    blank.put(ROOT, "name", "nobody").unwrap();
    let blank = blank.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (reason, message) = a
        .push(vec![PushedChange {
            record: RecordId::new().to_string(),
            bytes: blank,
        }])
        .await
        .unwrap_err();
    assert_eq!(reason, Refusal::Invalid);
    assert!(message.contains("type"), "{message}");

    assert_eq!(t.seed.change_count(&t.ours).await, 2, "nothing more stored");
    // Everyone still reads Ada.
    let fresh = t.device(&t.bob).await;
    assert_eq!(
        fresh.record(ada.id().as_str()).text(Field::Name).as_deref(),
        Some("Ada")
    );
    drop((a, fresh));
    t.stop().await;
}
on_both_backends!(
    damaged_or_unreadable_changes_are_refused,
    damaged_and_unreadable
);

async fn sizes_as_stored(backend: Backend) {
    let t = team(backend, None).await;
    let mut a = t.device(&t.alice).await;
    let (mut ada, changes) = person_record(&t.alice, "Ada");
    a.push_record(&ada, &changes).await;
    // 300 KB of one letter deflates to a few hundred bytes; stored, it would be 300 KB.
    let mut bomb = AutoCommit::load(&ada.save()).unwrap();
    bomb.set_author(Some(Author::from(t.alice.id.clone().into_bytes())));
    bomb.put(ROOT, "x", "a".repeat(300 * 1024)).unwrap();
    let compressed = bomb
        .get_last_local_change()
        .unwrap()
        .clone()
        .bytes()
        .into_owned();
    assert!(
        compressed.len() < 8 * 1024,
        "sent {} bytes",
        compressed.len()
    );
    let (reason, message) = a.push(pushed(&ada, compressed)).await.unwrap_err();
    assert_eq!(reason, Refusal::TooLarge, "{message}");
    assert_eq!(t.seed.change_count(&t.ours).await, 2);

    // One record holds at most MAX_RECORD_BYTES: big changes one after another hit it.
    let chunk = "b".repeat(MAX_CHANGE_BYTES - 1024);
    let mut stored = 0u64;
    let mut round = 0;
    let refusal = loop {
        round += 1;
        let change = raw_change(&mut ada, None, None, |d| {
            d.put(ROOT, "x", format!("{round}{chunk}")).unwrap();
        });
        ada = {
            let mut all = ada.changes();
            all.push(change.clone());
            let chunks: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
            Record::load(ada.id().clone(), &[], &chunks, &UserId(t.alice.id.clone())).unwrap()
        };
        match a.push(pushed(&ada, change.clone())).await {
            Ok(_) => stored += change.len() as u64,
            Err(refusal) => break refusal,
        }
        assert!(
            stored <= MAX_RECORD_BYTES,
            "stored {stored} bytes in one record"
        );
    };
    assert_eq!(refusal.0, Refusal::TooLarge, "{}", refusal.1);
    assert!(refusal.1.contains("record"), "{}", refusal.1);
    assert!(stored + MAX_CHANGE_BYTES as u64 > MAX_RECORD_BYTES);
    drop(a);
    t.stop().await;
}
on_both_backends!(sizes_count_what_is_stored, sizes_as_stored);

async fn quota(backend: Backend) {
    let t = team(backend, Some(40_000)).await;
    let carol = t.seed.person("Carol").await;
    let theirs = t.seed.team("Theirs", &[(&carol, Role::Owner)]).await;
    let mut a = t.device(&t.alice).await;
    let notes = "n".repeat(4_000);
    let mut kept = Vec::new();
    let refusal = loop {
        let (mut record, mut changes) = person_record(&t.alice, "Someone");
        changes.push(raw_change(&mut record, None, None, |d| {
            d.put(ROOT, "x", notes.as_str()).unwrap();
        }));
        match a.push_record_outcome(&record, &changes).await {
            Ok(_) => kept.push(record),
            Err(refusal) => break refusal,
        }
        assert!(kept.len() < 20, "the quota never filled");
    };
    assert_eq!(refusal.0, Refusal::Full, "{}", refusal.1);
    assert!(refusal.1.contains("full"), "{}", refusal.1);
    let count = t.seed.change_count(&t.ours).await;
    // Other workspaces are not affected.
    let mut c = Device::synced(t.relay.addr(), &carol.token, &theirs, 0).await;
    let (record, changes) = person_record(&carol, "Carol's contact");
    c.push_record(&record, &changes).await;
    // Erasing makes room again.
    let first = kept.remove(0);
    a.erase(first.id().as_str()).await.expect("erased");
    let (record, changes) = person_record(&t.alice, "Fits now");
    a.push_record(&record, &changes).await;
    assert!(t.seed.change_count(&t.ours).await <= count + 3);
    drop((a, c));
    t.stop().await;
}
on_both_backends!(a_full_workspace_refuses_pushes_and_others_go_on, quota);

async fn forged(backend: Backend) {
    let t = team(backend, None).await;
    let mut a = t.device(&t.alice).await;
    let mut b = t.device(&t.bob).await;
    let (mut ada, changes) = person_record(&t.alice, "Ada");
    a.push_record(&ada, &changes).await;
    b.until("Bob has Ada", |d| d.has(&mut ada)).await;

    // An Author footer naming Alice, on Bob's connection.
    let mut as_alice = Record::load(
        ada.id().clone(),
        &ada.save(),
        &[],
        &UserId(t.alice.id.clone()),
    )
    .unwrap();
    let forged = as_alice
        .edit(now(), |e| e.set(Field::Name, "Ada (forged)"))
        .unwrap()
        .unwrap();
    let (reason, message) = b.push(pushed(&ada, forged)).await.unwrap_err();
    assert_eq!(reason, Refusal::Invalid);
    assert!(message.contains("someone else"), "{message}");

    // No footer, but Alice's actor: history would name Alice.
    let alices_actor = automerge::Change::try_from(changes[0].as_slice())
        .unwrap()
        .actor_id()
        .clone();
    let borrowed = raw_change(&mut ada, None, Some(alices_actor), |d| {
        d.put(ROOT, "name", "Ada (borrowed)").unwrap();
    });
    assert_eq!(
        b.push(pushed(&ada, borrowed)).await.unwrap_err().0,
        Refusal::Invalid
    );
    // A footer that contradicts the actor's known owner.
    let mut bobs = b.record(ada.id().as_str());
    let own = bobs
        .edit(now(), |e| e.set(Field::Title, "Countess"))
        .unwrap()
        .unwrap();
    b.push(pushed(&ada, own))
        .await
        .expect("Bob's own edit is fine");
    assert_eq!(t.seed.change_count(&t.ours).await, 3);

    // An owner may push others' changes: restoring or uploading a workspace's history.
    let (bobs_record, bobs_changes) = person_record(&t.bob, "Bob's contact");
    a.push_record(&bobs_record, &bobs_changes).await;
    drop((a, b));
    t.stop().await;
}
on_both_backends!(changes_in_a_teammates_name_are_refused, forged);

async fn erasure(backend: Backend) {
    let t = team(backend, None).await;
    let mut a = t.device(&t.alice).await;
    let mut b = t.device(&t.bob).await;
    let (ada, changes) = person_record(&t.bob, "Ada");
    b.push_record(&ada, &changes).await;
    let head = t.seed.head(&t.ours).await;

    let (reason, message) = b.erase(ada.id().as_str()).await.unwrap_err();
    assert_eq!(reason, Refusal::Invalid);
    assert!(message.contains("owner or admin"), "{message}");
    let (reason, message) = a.erase(&RecordId::new().to_string()).await.unwrap_err();
    assert_eq!(reason, Refusal::Invalid);
    assert!(message.contains("no record"), "{message}");
    assert_eq!(t.seed.head(&t.ours).await, head, "nothing logged");

    a.erase(ada.id().as_str()).await.expect("an owner erases");
    assert_eq!(t.seed.head(&t.ours).await, head + 1);
    drop((a, b));
    t.stop().await;
}
on_both_backends!(only_owners_and_admins_erase_records_that_exist, erasure);

async fn keep_alive(backend: Backend) {
    let (relay, _dir, url) = support::relay_with(backend, |c| c.idle_timeout = 0.6).await;
    let seed = Seed::open(&url).await;
    let alice = seed.person("Alice").await;
    let bob = seed.person("Bob").await;
    let ours = seed
        .team("Ours", &[(&alice, Role::Owner), (&bob, Role::Member)])
        .await;
    let mut watcher = Device::synced(relay.addr(), &alice.token, &ours, 0).await;
    let mut silent = Device::synced(relay.addr(), &bob.token, &ours, 0).await;
    let (ada, changes) = person_record(&alice, "Ada");
    watcher.push_record(&ada, &changes).await;
    silent.viewing(Some(ada.id().as_str())).await;
    // The watcher reads (and so answers the relay's pings) all along; Bob's device stops
    // reading: no pongs, nothing heard, and the relay closes it, which ends its presence.
    watcher
        .until("Bob viewing Ada", |d| {
            d.presence
                .as_ref()
                .is_some_and(|v| v.iter().any(|v| v.user == bob.id))
        })
        .await;
    watcher
        .until("Bob's silent socket closed", |d| {
            d.presence
                .as_ref()
                .is_some_and(|v| v.iter().all(|v| v.user != bob.id))
        })
        .await;
    // Its close frame (4408) waits unread behind the pongs it now tries to send, and the relay
    // has hung up by then: either is what a silent client finds.
    let (code, reason) = silent.client.closed().await;
    assert!(
        code == CloseCode::TimedOut.code() || code == 1006,
        "{code}: {reason}"
    );
    // Reading all along, the watcher is still connected: its push is acked.
    let (grace, changes) = person_record(&alice, "Grace");
    watcher.push_record(&grace, &changes).await;
    drop(watcher);
    relay.shutdown().await.unwrap();
    seed.close().await;
}
on_both_backends!(silent_sockets_close_and_answering_ones_stay, keep_alive);

/// Damage that shows while the relay runs: the push that meets it is not acked, and from then
/// on nothing is written (sync and API alike) while /healthz says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_damaged_while_running_stops_every_write() {
    let t = team(Backend::Sqlite, None).await;
    let mut a = t.device(&t.alice).await;
    let (ada, changes) = person_record(&t.alice, "Ada");
    a.push_record(&ada, &changes).await;
    // Point the change log's table at a page the file does not have, as a damaged page would.
    let url = format!("sqlite://{}", t._dir.path().join("kith.db").display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let version: i64 = sqlx::query_scalar("PRAGMA schema_version")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql(&format!(
        "PRAGMA writable_schema = ON; \
         UPDATE sqlite_master SET rootpage = 99999 WHERE name = 'changes'; \
         PRAGMA schema_version = {};",
        version + 1
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);

    let (grace, changes) = person_record(&t.alice, "Grace");
    let batch = a
        .send_push(
            changes
                .iter()
                .map(|bytes| PushedChange {
                    record: grace.id().to_string(),
                    bytes: bytes.clone(),
                })
                .collect(),
        )
        .await;
    let (code, _) = a.client.closed().await;
    assert_eq!(code, CloseCode::Internal.code());
    assert!(
        !a.acks.contains_key(&batch),
        "nothing acked into a damaged file"
    );

    let addr = t.relay.addr();
    let health = http::Request::new("GET", "/healthz").send(addr).await;
    assert_eq!(health.status, 503);
    assert!(health.text().contains("damaged"), "{}", health.text());
    let write = http::Request::new("POST", "/api/workspaces")
        .bearer(&t.alice.token)
        .json(&serde_json::json!({ "name": "More" }))
        .send(addr)
        .await;
    assert_eq!(write.status, 503, "{}", write.text());
    assert!(write.text().contains("damaged"), "{}", write.text());
    t.stop().await;
}
