//! Workspace sync over real WebSockets, on SQLite and PostgreSQL: who may join, pushes and
//! their acks, live delivery, isolation between workspaces, duplicates and reordering, new
//! devices after compaction, resuming from a cursor, presence, access lost while connected,
//! two relay nodes on one PostgreSQL, and a relay stopped or killed in the middle of pushes.

#[path = "support/http.rs"]
mod http;
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kith_core::ids::RecordId;
use kith_core::protocol::{
    ClientMessage, CloseCode, MAX_CHANGE_BYTES, MAX_PUSH_CHANGES, PushedChange, Refusal, Role,
    ServerMessage,
};
use kith_core::record::{Field, Record};
use kith_server::Relay;
use support::Backend;
use support::seed::Seed;
use support::ws::{Client, DEADLINE, Device, Incoming, person_record, rename};

/// A relay for one test and a direct line to its database.
struct Env {
    relay: Relay,
    dir: tempfile::TempDir,
    url: String,
    seed: Seed,
}

impl Env {
    async fn start(backend: Backend) -> Self {
        let (relay, dir, url) = support::relay(backend).await;
        let seed = Seed::open(&url).await;
        Self {
            relay,
            dir,
            url,
            seed,
        }
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.relay.addr()
    }

    async fn stop(self) {
        self.relay.shutdown().await.unwrap();
        self.seed.close().await;
    }
}

fn now() -> i64 {
    kith_server::now_ms()
}

fn pushed(record: &Record, bytes: &[u8]) -> PushedChange {
    PushedChange {
        record: record.id().to_string(),
        bytes: bytes.to_vec(),
    }
}

/// Polls `check` until it holds, failing after `limit`.
async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn items_in(messages: &[ServerMessage]) -> usize {
    messages
        .iter()
        .map(|m| match m {
            ServerMessage::Records { items, .. } => items.len(),
            _ => 0,
        })
        .sum()
}

async fn join_refusals(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let bob = env.seed.person("Bob").await;
    let ours = env.seed.team("Ours", &[(&alice, Role::Owner)]).await;
    let theirs = env.seed.team("Theirs", &[(&bob, Role::Owner)]).await;
    let addr = env.addr();

    let (code, reason) = Device::join(addr, "not-a-token", &ours, 0)
        .await
        .err()
        .expect("an unknown token is refused");
    assert_eq!(code, CloseCode::Unauthorized.code(), "{reason}");
    assert!(reason.contains("sign in"), "{reason}");

    let (code, someone_elses) = Device::join(addr, &alice.token, &theirs, 0)
        .await
        .err()
        .expect("another team's workspace is refused");
    assert_eq!(code, CloseCode::Forbidden.code());
    let missing = uuid::Uuid::now_v7().to_string();
    let (code, nowhere) = Device::join(addr, &alice.token, &missing, 0)
        .await
        .err()
        .expect("a workspace that does not exist is refused");
    assert_eq!(code, CloseCode::Forbidden.code());
    assert_eq!(
        someone_elses, nowhere,
        "the refusal never tells whether the workspace exists"
    );

    // A signed-out session is refused like an unknown one.
    sqlx::query("UPDATE sessions SET revoked_at = $1")
        .bind(now())
        .execute(env.seed.db.pool())
        .await
        .unwrap();
    let (code, _) = Device::join(addr, &alice.token, &ours, 0)
        .await
        .err()
        .expect("a revoked session is refused");
    assert_eq!(code, CloseCode::Unauthorized.code());

    // Pushing or viewing before joining breaks the protocol.
    for message in [
        ClientMessage::Push {
            batch: 1,
            changes: Vec::new(),
        },
        ClientMessage::Viewing { record: None },
    ] {
        let mut client = Client::connect(addr).await;
        client.send(&message).await;
        let (code, reason) = client.closed().await;
        assert_eq!(code, CloseCode::ProtocolViolation.code(), "{reason}");
        assert!(reason.contains("Join"), "{reason}");
    }
    assert_eq!(env.seed.change_count(&ours).await, 0);
    env.stop().await;
}
on_both_backends!(
    join_is_refused_without_a_session_or_membership,
    join_refusals
);

async fn live_push(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let bob = env.seed.person("Bob").await;
    let carol = env.seed.person("Carol").await;
    let ours = env
        .seed
        .team("Ours", &[(&alice, Role::Owner), (&bob, Role::Member)])
        .await;
    let theirs = env.seed.team("Theirs", &[(&carol, Role::Owner)]).await;
    let addr = env.addr();
    let mut a = Device::synced(addr, &alice.token, &ours, 0).await;
    let mut b = Device::synced(addr, &bob.token, &ours, 0).await;
    let mut c = Device::synced(addr, &carol.token, &theirs, 0).await;
    assert_eq!(a.joined.role, Role::Owner);
    assert_eq!(b.joined.user, bob.id);
    assert_eq!(a.cursor, 0);

    let (mut ada, changes) = person_record(&alice, "Ada Lovelace");
    let head = a.push_record(&ada, &changes).await;
    assert_eq!(head, 2, "two changes stored");

    b.until("Bob sees Alice's new person", |d| d.has(&mut ada))
        .await;
    assert_eq!(
        b.record(ada.id().as_str()).text(Field::Name).as_deref(),
        Some("Ada Lovelace")
    );
    assert_eq!(b.cursor, 2);

    // The pusher's own changes are not sent back; its cursor moves past them.
    a.until("Alice's cursor passes her push", |d| d.cursor == 2)
        .await;
    assert_eq!(a.received(), (0, 0));

    // Another workspace hears nothing: by the time Carol's ping is answered, Bob (woken by the
    // same commit) has long had the change.
    let seen = c.barrier().await;
    assert_eq!(items_in(&seen), 0, "{seen:?}");
    assert!(c.docs.is_empty());

    // And Bob's edit reaches Alice.
    let mut bobs_copy = b.record(ada.id().as_str());
    let edit = rename(&mut bobs_copy, "Ada King");
    b.push_record(&bobs_copy, &[edit]).await;
    a.until("Alice sees Bob's edit", |d| d.has(&mut bobs_copy))
        .await;
    assert_eq!(
        a.record(ada.id().as_str()).text(Field::Name).as_deref(),
        Some("Ada King")
    );
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((a, b, c));
    env.stop().await;
}
on_both_backends!(a_push_is_acked_and_reaches_only_its_workspace, live_push);

async fn duplicates(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let ours = env.seed.team("Ours", &[(&alice, Role::Owner)]).await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let (record, changes) = person_record(&alice, "Grace Hopper");
    let first = a.push_record(&record, &changes).await;
    let again = a.push_record(&record, &changes).await;
    let doubled = [changes.clone(), changes.clone()].concat();
    let twice_in_one = a.push_record(&record, &doubled).await;
    assert_eq!((first, again, twice_in_one), (2, 2, 2));
    assert_eq!(env.seed.change_count(&ours).await, 2, "one row per change");
    assert_eq!(env.seed.head(&ours).await, 2);
    drop(a);
    env.stop().await;
}
on_both_backends!(the_same_change_pushed_twice_is_stored_once, duplicates);

async fn reordered(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let ours = env.seed.team("Ours", &[(&alice, Role::Owner)]).await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let (mut record, mut changes) = person_record(&alice, "Alan");
    changes.push(rename(&mut record, "Alan Turing"));
    changes.push(rename(&mut record, "Alan M. Turing"));
    // Latest first: each depends on one the relay has not seen yet.
    for change in changes.iter().rev() {
        a.push_record(&record, std::slice::from_ref(change)).await;
    }
    assert_eq!(env.seed.change_count(&ours).await, 4);

    let fresh = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    assert!(
        fresh.has(&mut record),
        "a new device rebuilds the same record"
    );
    assert_eq!(
        fresh
            .record(record.id().as_str())
            .text(Field::Name)
            .as_deref(),
        Some("Alan M. Turing")
    );
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((a, fresh));
    env.stop().await;
}
on_both_backends!(reordered_pushes_rebuild_the_same_record, reordered);

async fn erasure(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let bob = env.seed.person("Bob").await;
    let victor = env.seed.person("Victor").await;
    let ours = env
        .seed
        .team(
            "Ours",
            &[
                (&alice, Role::Owner),
                (&bob, Role::Member),
                (&victor, Role::Viewer),
            ],
        )
        .await;
    let addr = env.addr();
    let mut a = Device::synced(addr, &alice.token, &ours, 0).await;
    let mut b = Device::synced(addr, &bob.token, &ours, 0).await;
    let (mut ada, changes) = person_record(&alice, "Ada Lovelace");
    let (mut kept, kept_changes) = person_record(&alice, "Grace Hopper");
    a.push_record(&ada, &changes).await;
    a.push_record(&kept, &kept_changes).await;
    b.until("Bob has both", |d| d.has(&mut ada) && d.has(&mut kept))
        .await;
    let id = ada.id().to_string();

    // A viewer cannot erase; a bad id is refused; nothing changes.
    let mut v = Device::synced(addr, &victor.token, &ours, 0).await;
    assert_eq!(v.erase(&id).await.unwrap_err().0, Refusal::ReadOnly);
    assert_eq!(a.erase("not-a-uuid").await.unwrap_err().0, Refusal::Invalid);
    assert_eq!(env.seed.change_count(&ours).await, 4);

    // Alice erases Ada: Bob is told, and the relay keeps no byte of her (only the mark).
    let head = a.erase(&id).await.expect("erased");
    assert_eq!(head, 5);
    b.until("Bob hears of the erasure", |d| d.erased.contains(&id))
        .await;
    assert!(!b.docs.contains_key(&id));
    assert_eq!(b.cursor, 5);
    assert_eq!(
        env.seed.change_count(&ours).await,
        3,
        "Grace's two changes and the erasure mark"
    );
    assert_eq!(a.erase(&id).await.expect("erasing again is harmless"), 5);

    // Bob's offline edit to Ada arrives later: acked, dropped, forwarded to nobody.
    let mut bobs_copy = ada.clone();
    let late = rename(&mut bobs_copy, "Ada King");
    b.push_record(&bobs_copy, &[late]).await;
    assert_eq!(env.seed.change_count(&ours).await, 3);
    let seen = a.barrier().await;
    assert_eq!(items_in(&seen), 0, "{seen:?}");

    // A new device never sees Ada; a device that was behind is told to erase her.
    let fresh = Device::synced(addr, &bob.token, &ours, 0).await;
    assert!(!fresh.docs.contains_key(&id));
    assert!(fresh.has(&mut kept));
    let behind = Device::synced(addr, &bob.token, &ours, 2).await;
    assert_eq!(behind.erased, std::slice::from_ref(&id));
    drop((a, b, v, fresh, behind));
    env.stop().await;
}
on_both_backends!(
    an_erased_record_leaves_the_log_reaches_every_device_and_stays_erased,
    erasure
);

async fn viewer_refused(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let victor = env.seed.person("Victor").await;
    let ours = env
        .seed
        .team("Ours", &[(&alice, Role::Owner), (&victor, Role::Viewer)])
        .await;
    let mut v = Device::synced(env.addr(), &victor.token, &ours, 0).await;
    assert_eq!(v.joined.role, Role::Viewer);
    let (record, changes) = person_record(&victor, "Mallory");
    let outcome = v
        .push(changes.iter().map(|c| pushed(&record, c)).collect())
        .await;
    let (reason, message) = outcome.expect_err("a viewer cannot write");
    assert_eq!(reason, Refusal::ReadOnly);
    assert!(message.contains("viewer"), "{message}");
    assert_eq!(env.seed.change_count(&ours).await, 0, "nothing stored");

    // Still connected, still reading.
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let (mut alices, changes) = person_record(&alice, "Ada");
    a.push_record(&alices, &changes).await;
    v.until("the viewer receives Alice's record", |d| d.has(&mut alices))
        .await;
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((v, a));
    env.stop().await;
}
on_both_backends!(
    a_viewers_push_is_refused_and_nothing_is_stored,
    viewer_refused
);

async fn invalid_pushes(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let ours = env.seed.team("Ours", &[(&alice, Role::Owner)]).await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let (mut record, changes) = person_record(&alice, "Ada");
    let good = pushed(&record, &changes[0]);
    let junk = PushedChange {
        record: record.id().to_string(),
        bytes: b"not an automerge change".to_vec(),
    };
    let no_uuid = PushedChange {
        record: "people/42".into(),
        bytes: changes[0].clone(),
    };
    let too_big = PushedChange {
        record: record.id().to_string(),
        bytes: vec![0; MAX_CHANGE_BYTES + 1],
    };
    let cases: Vec<(&str, Vec<PushedChange>, Refusal)> = vec![
        ("junk bytes", vec![junk.clone()], Refusal::Invalid),
        (
            "a good change then junk",
            vec![good.clone(), junk],
            Refusal::Invalid,
        ),
        (
            "a record id that is not a UUID",
            vec![good.clone(), no_uuid],
            Refusal::Invalid,
        ),
        (
            "too many changes",
            vec![good.clone(); MAX_PUSH_CHANGES + 1],
            Refusal::TooLarge,
        ),
        (
            "a change over the size limit",
            vec![too_big],
            Refusal::TooLarge,
        ),
    ];
    for (name, changes, expected) in cases {
        let (reason, message) = a.push(changes).await.expect_err(name);
        assert_eq!(reason, expected, "{name}: {message}");
        assert!(!message.is_empty(), "{name}: says why");
        assert_eq!(
            env.seed.change_count(&ours).await,
            0,
            "{name}: nothing stored"
        );
    }
    assert_eq!(env.seed.head(&ours).await, 0);
    // The connection is still good for a valid push.
    assert_eq!(a.push_record(&record, &changes).await, 2);
    let fresh = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    assert!(fresh.has(&mut record));
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((a, fresh));
    env.stop().await;
}
on_both_backends!(invalid_pushes_are_refused_and_store_nothing, invalid_pushes);

async fn bootstrap_after_compaction(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let ours = env.seed.team("Ours", &[(&alice, Role::Owner)]).await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;

    // A record edited often (compacted) and one edited little (not).
    let (mut busy, changes) = person_record(&alice, "Edit 0");
    a.push_record(&busy, &changes).await;
    for i in 1..=12 {
        let edit = rename(&mut busy, &format!("Edit {i}"));
        a.push_record(&busy, &[edit]).await;
    }
    let (mut quiet, changes) = person_record(&alice, "Quiet");
    a.push_record(&quiet, &changes).await;
    let busy_id = busy.id().to_string();
    eventually(
        "the busy record is compacted",
        Duration::from_secs(30),
        || {
            let (seed, ours, busy_id) = (&env.seed, &ours, &busy_id);
            async move { seed.snapshot_seq(ours, busy_id).await.is_some() }
        },
    )
    .await;
    // Edits after the snapshot come from the log.
    for i in 13..=14 {
        let edit = rename(&mut busy, &format!("Edit {i}"));
        a.push_record(&busy, &[edit]).await;
    }
    let head = env.seed.head(&ours).await;
    assert_eq!(head, 18);

    let fresh = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    assert!(fresh.has(&mut busy), "same state as the author's copy");
    assert!(fresh.has(&mut quiet));
    assert_eq!(
        fresh.record(&busy_id).text(Field::Name).as_deref(),
        Some("Edit 14")
    );
    let (snapshots, changes) = fresh.received();
    assert_eq!(snapshots, 1, "the busy record came as one snapshot");
    assert_eq!(
        changes, 4,
        "only the quiet record's two changes and the two edits after the snapshot"
    );
    // Snapshot batches carry no cursor; the last batch reaches the head.
    let cursors: Vec<Option<u64>> = fresh
        .batches
        .iter()
        .map(|b| match b {
            ServerMessage::Records { cursor, .. } => *cursor,
            _ => unreachable!(),
        })
        .collect();
    let first_cursor = cursors.iter().position(Option::is_some).unwrap();
    assert!(cursors[first_cursor..].iter().all(Option::is_some));
    assert_eq!(fresh.cursor, head);
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((a, fresh));
    env.stop().await;
}
on_both_backends!(
    a_new_device_gets_snapshots_then_the_tail,
    bootstrap_after_compaction
);

async fn large_workspace(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let ours = env.seed.team("Ours", &[(&alice, Role::Owner)]).await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let mut records = Vec::new();
    for _ in 0..6 {
        let mut changes = Vec::new();
        for i in 0..100 {
            let (record, bytes) = person_record(&alice, &format!("Person {i}"));
            changes.extend(bytes.iter().map(|b| pushed(&record, b)));
            records.push(record);
        }
        a.push(changes).await.expect("acked");
    }
    let head = env.seed.head(&ours).await;
    assert_eq!(head, 1_200);

    let check = |device: &Device, snapshot_phase: bool| {
        let mut last = None;
        for (i, batch) in device.batches.iter().enumerate() {
            let ServerMessage::Records {
                items,
                cursor,
                caught_up,
            } = batch
            else {
                unreachable!()
            };
            let size = kith_core::protocol::encode(batch).len();
            assert!(size <= 512 * 1024, "batch {i} is {size} bytes");
            assert!(items.len() <= 500, "batch {i} has {} items", items.len());
            assert_eq!(*caught_up, i == device.batches.len() - 1, "batch {i}");
            if cursor.is_some() || !snapshot_phase {
                assert!(cursor.unwrap() > last.unwrap_or(0), "cursors only grow");
                last = *cursor;
            }
        }
        assert_eq!(last, Some(1_200));
    };
    let fresh = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    assert!(fresh.batches.len() >= 3, "{} batches", fresh.batches.len());
    check(&fresh, true);
    let resumed = Device::synced(env.addr(), &alice.token, &ours, 1).await;
    assert!(
        resumed.batches.len() >= 5,
        "{} batches",
        resumed.batches.len()
    );
    check(&resumed, false);
    assert_eq!(resumed.received().1, 1_199);
    for (i, record) in records.iter_mut().enumerate() {
        assert!(fresh.has(record), "record {i}");
        // Seq 1 (the first record's creation) is before the resumed device's cursor.
        assert_eq!(resumed.has(record), i > 0, "record {i}");
    }
    drop((a, fresh, resumed));
    env.stop().await;
}
on_both_backends!(
    a_large_workspace_arrives_in_bounded_batches,
    large_workspace
);

async fn resume(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let bob = env.seed.person("Bob").await;
    let ours = env
        .seed
        .team("Ours", &[(&alice, Role::Owner), (&bob, Role::Member)])
        .await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let (mut first, changes) = person_record(&alice, "First");
    a.push_record(&first, &changes).await;
    a.until("caught up past the push", |d| d.cursor == 2).await;
    let cursor = a.cursor;
    drop(a);

    let mut b = Device::synced(env.addr(), &bob.token, &ours, 0).await;
    let (mut second, changes) = person_record(&bob, "Second");
    b.push_record(&second, &changes).await;

    let back = Device::synced(env.addr(), &alice.token, &ours, cursor).await;
    assert_eq!(back.received(), (0, 2), "only what came after the cursor");
    assert!(back.has(&mut second));
    assert!(!back.docs.contains_key(first.id().as_str()));
    assert_eq!(back.cursor, 4);

    // Nothing new: one empty batch saying so.
    let idle = Device::synced(env.addr(), &alice.token, &ours, 4).await;
    assert_eq!(idle.received(), (0, 0));
    assert_eq!(idle.batches.len(), 1);

    // A cursor past the head (the relay was restored from a backup): everything again.
    let restored = Device::synced(env.addr(), &alice.token, &ours, 1_000).await;
    assert!(restored.has(&mut first) && restored.has(&mut second));
    assert_eq!(restored.cursor, 4);
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((b, back, idle, restored));
    env.stop().await;
}
on_both_backends!(a_device_resumes_from_its_cursor, resume);

async fn presence(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let bob = env.seed.person("Bob").await;
    let ours = env
        .seed
        .team("Ours", &[(&alice, Role::Owner), (&bob, Role::Member)])
        .await;
    let addr = env.addr();
    let record = RecordId::new().to_string();
    let mut a1 = Device::synced(addr, &alice.token, &ours, 0).await;
    let mut a2 = Device::synced(addr, &alice.token, &ours, 0).await;
    let mut b = Device::synced(addr, &bob.token, &ours, 0).await;
    for d in [&mut a1, &mut a2, &mut b] {
        d.until("the first presence list", |d| d.presence.is_some())
            .await;
        assert_eq!(d.presence.as_deref(), Some(&[][..]));
    }

    b.viewing(Some(&record)).await;
    for a in [&mut a1, &mut a2] {
        a.until("Alice sees Bob on the record", |d| {
            d.presence.as_ref().is_some_and(|p| {
                p.len() == 1 && p[0].user == bob.id && p[0].name == "Bob" && p[0].record == record
            })
        })
        .await;
    }
    // Alice on the same record from two tabs: Bob sees her once; she never sees herself.
    a1.viewing(Some(&record)).await;
    a2.viewing(Some(&record)).await;
    b.until("Bob sees Alice", |d| {
        d.presence
            .as_ref()
            .is_some_and(|p| p.iter().any(|v| v.user == alice.id))
    })
    .await;
    b.barrier().await;
    let alices: Vec<_> = b
        .presence
        .as_ref()
        .unwrap()
        .iter()
        .filter(|v| v.user == alice.id)
        .collect();
    assert_eq!(alices.len(), 1, "{:?}", b.presence);
    a1.barrier().await;
    assert!(
        a1.presence
            .as_ref()
            .unwrap()
            .iter()
            .all(|v| v.user != alice.id)
    );

    // Someone joining later is told at once.
    let mut late = Device::synced(addr, &alice.token, &ours, 0).await;
    late.until("the late device sees Bob", |d| {
        d.presence
            .as_ref()
            .is_some_and(|p| p.iter().any(|v| v.user == bob.id))
    })
    .await;

    // Bob leaves: he disappears.
    drop(b);
    a1.until("Bob is gone", |d| d.presence.as_deref() == Some(&[][..]))
        .await;

    // A record id that is not one closes the connection, saying why.
    late.viewing(Some("not-a-record")).await;
    let (code, reason) = late.client.closed().await;
    assert_eq!(code, CloseCode::Malformed.code());
    assert!(reason.contains("not-a-record"), "{reason}");
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((a1, a2, late));
    env.stop().await;
}
on_both_backends!(presence_appears_and_disappears, presence);

async fn access_lost(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let bob = env.seed.person("Bob").await;
    let ours = env
        .seed
        .team("Ours", &[(&alice, Role::Owner), (&bob, Role::Member)])
        .await;
    let api = http::Api::new(env.addr());
    let mut b = Device::synced(env.addr(), &bob.token, &ours, 0).await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;

    // Bob is made a viewer while connected: his next push is refused.
    let made_viewer = api
        .patch(
            &format!("/api/workspaces/{ours}/members/{}", bob.id),
            Some(&alice.token),
            &kith_core::api::SetRole { role: Role::Viewer },
        )
        .await;
    assert_eq!(made_viewer.status, 200, "{}", made_viewer.text());
    let (record, changes) = person_record(&bob, "Bob's");
    let outcome = b
        .push(changes.iter().map(|c| pushed(&record, c)).collect())
        .await;
    assert_eq!(outcome.map_err(|e| e.0), Err(Refusal::ReadOnly));

    // Removed: his open socket closes at once.
    let started = Instant::now();
    let removed = api
        .delete(
            &format!("/api/workspaces/{ours}/members/{}", bob.id),
            Some(&alice.token),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text());
    let (code, reason) = b.client.closed().await;
    assert_eq!(code, CloseCode::Forbidden.code(), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Signing out closes one's own open sockets with 4401.
    let signed_out = api
        .post_empty("/api/auth/signout", Some(&alice.token))
        .await;
    assert_eq!(signed_out.status, 204, "{}", signed_out.text());
    let (code, _) = a.client.closed().await;
    assert_eq!(code, CloseCode::Unauthorized.code());
    assert_eq!(env.seed.change_count(&ours).await, 0);
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((a, b));
    env.stop().await;
}
on_both_backends!(losing_access_closes_the_open_socket, access_lost);

async fn graceful_stop(backend: Backend) {
    let env = Env::start(backend).await;
    let alice = env.seed.person("Alice").await;
    let ours = env.seed.team("Ours", &[(&alice, Role::Owner)]).await;
    let mut a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let mut records = BTreeMap::new();
    for i in 0..200 {
        let (record, changes) = person_record(&alice, &format!("Person {i}"));
        let batch = a
            .send_push(changes.iter().map(|c| pushed(&record, c)).collect())
            .await;
        records.insert(batch, record);
    }
    a.until("a first ack", |d| !d.acks.is_empty()).await;
    let Env {
        relay,
        dir,
        url,
        seed,
    } = env;
    let stopping = tokio::spawn(relay.shutdown());
    let close = loop {
        match a.client.incoming().await {
            Incoming::Message(ServerMessage::Ack { batch, head }) => {
                a.acks.insert(batch, Ok(head));
            }
            Incoming::Message(_) => {}
            Incoming::Closed(code, _) => break code,
        }
    };
    assert_eq!(close, CloseCode::GoingAway.code());
    tokio::time::timeout(DEADLINE, stopping)
        .await
        .expect("stops in time")
        .unwrap()
        .unwrap();

    let relay = support::start_on(&dir, &url).await;
    let fresh = Device::synced(relay.addr(), &alice.token, &ours, 0).await;
    for batch in a.acks.keys() {
        let record = records.get_mut(batch).unwrap();
        assert!(fresh.has(record), "acked batch {batch} survived the stop");
    }
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((a, fresh));
    relay.shutdown().await.unwrap();
    seed.close().await;
}
on_both_backends!(a_graceful_stop_keeps_every_acked_push, graceful_stop);

/// Two relay processes on one PostgreSQL database serve one workspace together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relay_nodes_on_one_postgres_database() {
    let env = Env::start(Backend::Postgres).await;
    let node_b = support::start_on(&env.dir, &env.url).await;
    let alice = env.seed.person("Alice").await;
    let bob = env.seed.person("Bob").await;
    let ours = env
        .seed
        .team("Ours", &[(&alice, Role::Owner), (&bob, Role::Member)])
        .await;
    let mut on_a = Device::synced(env.addr(), &alice.token, &ours, 0).await;
    let mut on_b = Device::synced(node_b.addr(), &bob.token, &ours, 0).await;

    let (mut bobs, changes) = person_record(&bob, "Pushed through B");
    on_b.push_record(&bobs, &changes).await;
    on_a.until("A's client receives B's change live", |d| d.has(&mut bobs))
        .await;

    let (mut alices, changes) = person_record(&alice, "Pushed through A");
    on_a.push_record(&alices, &changes).await;
    on_b.until("B's client receives A's change live", |d| {
        d.has(&mut alices)
    })
    .await;
    for device in [&mut on_a, &mut on_b] {
        device
            .until("both cursors at the head", |d| d.cursor == 4)
            .await;
    }

    // Access lost on node A reaches the socket on node B.
    let api = http::Api::new(env.addr());
    let removed = api
        .delete(
            &format!("/api/workspaces/{ours}/members/{}", bob.id),
            Some(&alice.token),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text());
    let (code, _) = on_b.client.closed().await;
    assert_eq!(code, CloseCode::Forbidden.code());
    // Clients gone first: the relay then stops without waiting for their Close.
    drop((on_a, on_b));
    node_b.shutdown().await.unwrap();
    env.stop().await;
}

/// The real relay binary, killed with SIGKILL while a client pushes: after a restart on the
/// same data, a new device holds every change that was acknowledged, and every batch is
/// there whole or not at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_batch_keeps_every_acked_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Binary::start(dir.path()).await;
    let url = format!("sqlite://{}", dir.path().join("kith.db").display());
    let seed = Seed::open(&url).await;
    let alice = seed.person("Alice").await;
    let ours = seed.team("Ours", &[(&alice, Role::Owner)]).await;

    let mut a = Device::synced(relay.addr, &alice.token, &ours, 0).await;
    // Built first, then sent back to back, so the relay is busy storing when it is killed.
    let mut prepared = Vec::new();
    for i in 0..150 {
        let mut records = Vec::new();
        let mut changes = Vec::new();
        for j in 0..20 {
            let (record, bytes) = person_record(&alice, &format!("Person {i}.{j}"));
            changes.extend(bytes.iter().map(|b| pushed(&record, b)));
            records.push(record);
        }
        prepared.push((records, changes));
    }
    let mut batches: BTreeMap<u64, Vec<Record>> = BTreeMap::new();
    for (records, changes) in prepared {
        let batch = a.send_push(changes).await;
        batches.insert(batch, records);
    }
    a.until("some acks", |d| d.acks.len() >= 30).await;
    relay.kill();
    // Whatever was acked before the socket died counts.
    loop {
        match a.client.incoming().await {
            Incoming::Message(ServerMessage::Ack { batch, head }) => {
                a.acks.insert(batch, Ok(head));
            }
            Incoming::Message(_) => {}
            Incoming::Closed(..) => break,
        }
    }
    let acked = a.acks.len();
    assert!(
        acked < batches.len(),
        "killed before the last batch ({acked} acked)"
    );

    let relay = Binary::start(dir.path()).await;
    let fresh = Device::synced(relay.addr, &alice.token, &ours, 0).await;
    for (batch, records) in &mut batches {
        let present = records
            .iter_mut()
            .filter_map(|r| fresh.has(r).then_some(()))
            .count();
        if a.acks.contains_key(batch) {
            assert_eq!(present, records.len(), "acked batch {batch} is complete");
        } else {
            assert!(
                present == 0 || present == records.len(),
                "batch {batch} is whole or absent ({present} of {})",
                records.len()
            );
        }
    }

    // The client's outbox sends every unacked batch again (some were stored, their acks
    // lost with the socket): all acked, each change stored once.
    let mut again = Device::synced(relay.addr, &alice.token, &ours, 0).await;
    let mut total = 0;
    for (batch, records) in &batches {
        let changes: Vec<PushedChange> = records
            .iter()
            .flat_map(|r| {
                r.clone()
                    .changes()
                    .into_iter()
                    .map(|bytes| pushed(r, &bytes))
                    .collect::<Vec<_>>()
            })
            .collect();
        total += changes.len();
        if !a.acks.contains_key(batch) {
            again.push(changes).await.expect("a resent batch is acked");
        }
    }
    assert_eq!(seed.change_count(&ours).await, total as i64);
    drop((a, fresh, again));
    seed.close().await;
}

/// `kith-relay` as a child process on a free port.
struct Binary {
    child: std::process::Child,
    addr: std::net::SocketAddr,
}

impl Binary {
    async fn start(data: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_kith-relay"))
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data)
            .arg("--dist")
            .arg(data.join("no-dist"))
            .env_remove("KITH_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the relay binary starts");
        let binary = Self { child, addr };
        eventually("the relay binary listens", DEADLINE, || async move {
            tokio::net::TcpStream::connect(addr).await.is_ok()
        })
        .await;
        binary
    }

    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
