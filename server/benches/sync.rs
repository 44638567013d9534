//! `cargo xtask bench` (relay part): sync through a real relay on loopback, SQLite back end,
//! each figure beside a baseline measured in the same run.
//!
//! - edit-to-visible latency A→B (push on one socket until the other receives it) vs a
//!   Ping/Pong round trip on the same relay;
//! - ingest rate (changes/s, batches of 100, each acked durable) vs raw inserts of the same
//!   rows into a SQLite file with the same settings;
//! - bootstrap of a new device for a 10k-record workspace vs reading the same bytes from
//!   SQLite plus moving them over a loopback TCP socket;
//! - N concurrent joined sockets (default 1,000): time for one edit to reach all of them;
//! - under abuse, on a relay with its default limits: an honest member's push→ack latency with
//!   10,000 idle anonymous sockets opened at it, and while another workspace pushes at its
//!   limits, each vs the same relay idle; memory with the sockets open and after they close.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::{self, ClientMessage, PushedChange, ServerMessage};
use kith_core::record::{Channel, Field, Record, RecordKind};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WORKSPACE: &str = "0190a0b0-0000-7000-8000-000000000001";
const BATCH: usize = 100;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Users, sessions, a workspace and memberships straight into the relay's database.
async fn seed(db_url: &str, users: usize) -> Vec<String> {
    seed_in(db_url, WORKSPACE, "user", users).await
}

/// `users` members of a new `workspace`, with ids `<prefix>-<n>`; returns their tokens.
async fn seed_in(db_url: &str, workspace: &str, prefix: &str, users: usize) -> Vec<String> {
    let mut conn = sqlx::SqliteConnection::connect(db_url).await.unwrap();
    sqlx::query("INSERT INTO workspaces (id, name, created_at, head) VALUES ($1, 'Bench', 0, 0)")
        .bind(workspace)
        .execute(&mut conn)
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    let mut tokens = Vec::new();
    for i in 0..users {
        let id = format!("{prefix}-{i}");
        let token = format!("bench-token-{prefix}-{i:06}");
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) \
             VALUES ($1, $2, $3, 'x', 0)",
        )
        .bind(&id)
        .bind(format!("{prefix}{i}@example.com"))
        .bind(format!("User {i}"))
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, 0, $3)",
        )
        .bind(hex(&Sha256::digest(token.as_bytes())))
        .bind(&id)
        .bind(i64::MAX)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, joined_at) \
             VALUES ($1, $2, 'member', 0)",
        )
        .bind(workspace)
        .bind(&id)
        .execute(&mut *tx)
        .await
        .unwrap();
        tokens.push(token);
    }
    tx.commit().await.unwrap();
    tokens
}

async fn send(socket: &mut Socket, message: &ClientMessage) {
    socket
        .send(Message::Binary(protocol::encode(message).into()))
        .await
        .unwrap();
}

async fn recv(socket: &mut Socket) -> ServerMessage {
    loop {
        match socket.next().await.expect("socket open").expect("frame") {
            Message::Binary(frame) => {
                return protocol::decode(&frame, 64 * 1024 * 1024).expect("server frame");
            }
            Message::Close(c) => panic!("relay closed the socket: {c:?}"),
            _ => {}
        }
    }
}

/// Opens a socket and joins the workspace from `cursor`, without waiting.
async fn open(url: &str, token: &str, cursor: u64) -> Socket {
    open_in(url, WORKSPACE, token, cursor).await
}

async fn open_in(url: &str, workspace: &str, token: &str, cursor: u64) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{url}/ws"))
        .await
        .unwrap();
    send(
        &mut socket,
        &ClientMessage::Hello {
            client: "bench".into(),
        },
    )
    .await;
    send(
        &mut socket,
        &ClientMessage::Join {
            token: token.into(),
            workspace: workspace.into(),
            cursor,
        },
    )
    .await;
    socket
}

/// Reads until the stream says it is caught up; returns the payload count and bytes seen.
async fn until_caught_up(socket: &mut Socket) -> (usize, usize) {
    let (mut payloads, mut bytes) = (0, 0);
    loop {
        if let ServerMessage::Records {
            items, caught_up, ..
        } = recv(socket).await
        {
            payloads += items.len();
            bytes += items
                .iter()
                .map(|i| {
                    i.snapshot.as_ref().map_or(0, Vec::len)
                        + i.changes.iter().map(Vec::len).sum::<usize>()
                })
                .sum::<usize>();
            if caught_up {
                return (payloads, bytes);
            }
        }
    }
}

fn person(i: usize, author: &UserId) -> Record {
    let mut r = Record::create(
        RecordId::new(),
        RecordKind::Person,
        author,
        1_700_000_000_000,
    );
    r.edit(1_700_000_000_001, |e| {
        e.set(Field::Name, &format!("Person {i} Example"))?;
        e.set(Field::Title, "Head of Purchasing")?;
        e.add_channel(Channel::Email, &format!("person{i}@example.com"), "work")
            .map(drop)
    })
    .unwrap();
    r
}

fn pushed(record: &mut Record) -> Vec<PushedChange> {
    let id = record.id().to_string();
    record
        .changes()
        .into_iter()
        .map(|bytes| PushedChange {
            record: id.clone(),
            bytes,
        })
        .collect()
}

/// Pushes and waits for the ack; returns the log's head.
async fn push_acked(socket: &mut Socket, batch: u64, changes: Vec<PushedChange>) -> u64 {
    send(socket, &ClientMessage::Push { batch, changes }).await;
    loop {
        match recv(socket).await {
            ServerMessage::Ack { batch: b, head } if b == batch => return head,
            ServerMessage::PushRefused { message, .. } => panic!("push refused: {message}"),
            _ => {}
        }
    }
}

fn one_change(record: &mut Record, at: i64, title: &str) -> Vec<PushedChange> {
    let bytes = record
        .edit(at, |e| e.set(Field::Title, title))
        .unwrap()
        .unwrap();
    vec![PushedChange {
        record: record.id().to_string(),
        bytes,
    }]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn line(what: &str, ours: String, baseline_name: &str, baseline: String, ratio: f64) {
    println!("{what:<48} {ours:>12}   {baseline_name:<40} {baseline:>12}   ratio {ratio:>6.2}");
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let clients: usize = std::env::var("KITH_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let dir = tempfile::tempdir().unwrap();
    let mut config = kith_server::Config::local(dir.path());
    config.dist = dir.path().join("no-dist");
    // Every client of this run connects from 127.0.0.1: one address, many honest sockets.
    config.max_connections_per_address = usize::MAX;
    let relay = kith_server::spawn(config).await.unwrap();
    let url = format!("ws://{}", relay.addr());
    let db_url = format!("sqlite://{}", dir.path().join("kith.db").display());
    let tokens = seed(&db_url, clients + 3).await;
    let author = UserId("user-0".into());
    println!("relay sync benchmark: SQLite, loopback, {clients} extra sockets at the end\n");

    // Edit-to-visible latency A → B, vs a Ping/Pong round trip.
    let mut a = open(&url, &tokens[0], 0).await;
    until_caught_up(&mut a).await;
    let mut b = open(&url, &tokens[1], 0).await;
    until_caught_up(&mut b).await;
    let mut record = person(0, &author);
    push_acked(&mut a, 0, pushed(&mut record)).await;
    while !matches!(recv(&mut b).await, ServerMessage::Records { .. }) {}
    let (mut visible, mut pings) = (Vec::new(), Vec::new());
    for i in 1..=300u64 {
        let changes = one_change(&mut record, 1_700_000_000_000 + i as i64, &format!("T {i}"));
        let start = Instant::now();
        send(&mut a, &ClientMessage::Push { batch: i, changes }).await;
        while !matches!(recv(&mut b).await, ServerMessage::Records { .. }) {}
        visible.push(start.elapsed());
        while !matches!(recv(&mut a).await, ServerMessage::Ack { .. }) {}
        let start = Instant::now();
        send(&mut a, &ClientMessage::Ping { nonce: i }).await;
        while !matches!(recv(&mut a).await, ServerMessage::Pong { .. }) {}
        pings.push(start.elapsed());
    }
    visible.sort();
    pings.sort();
    for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (ours, base) = (percentile(&visible, p), percentile(&pings, p));
        line(
            &format!("edit A→B visible, {label}"),
            format!("{:.2} ms", ms(ours)),
            &format!("Ping→Pong round trip, {label}"),
            format!("{:.2} ms", ms(base)),
            ours.as_secs_f64() / base.as_secs_f64(),
        );
    }
    drop(b);

    // Ingest: 10k records (2 changes each), batches of 100 changes, each acked durable.
    let mut all: Vec<PushedChange> = Vec::new();
    for i in 1..=10_000 {
        all.extend(pushed(&mut person(i, &author)));
    }
    let start = Instant::now();
    let mut head = 0;
    for (n, chunk) in all.chunks(BATCH).enumerate() {
        head = push_acked(&mut a, 1_000 + n as u64, chunk.to_vec()).await;
    }
    let ours_rate = all.len() as f64 / start.elapsed().as_secs_f64();
    let raw = raw_insert_rate(dir.path(), &all).await;
    line(
        "relay ingest (WebSocket → SQLite, acked)",
        format!("{ours_rate:.0}/s"),
        "raw SQLite inserts of the same rows",
        format!("{raw:.0}/s"),
        ours_rate / raw,
    );

    // Bootstrap of a new device: everything, snapshots first, until caught up.
    let start = Instant::now();
    let mut fresh = open(&url, &tokens[2], 0).await;
    let (payloads, bytes) = until_caught_up(&mut fresh).await;
    let bootstrap = start.elapsed();
    drop(fresh);
    let baseline = raw_read_and_transfer(&db_url).await;
    line(
        &format!(
            "bootstrap 10k records ({:.1} MB, {payloads} payloads)",
            bytes as f64 / 1e6
        ),
        format!("{:.0} ms", ms(bootstrap)),
        "SELECT the bytes + loopback TCP transfer",
        format!("{:.0} ms", ms(baseline)),
        bootstrap.as_secs_f64() / baseline.as_secs_f64(),
    );

    // Many sockets joined at once: one edit reaching all of them.
    let start = Instant::now();
    let mut joined = Vec::with_capacity(clients);
    for token in &tokens[3..] {
        joined.push(open(&url, token, head).await);
    }
    for s in &mut joined {
        until_caught_up(s).await;
    }
    println!(
        "{:<48} {:>12}",
        format!("{clients} sockets opened, joined, caught up"),
        format!("{:.0} ms", ms(start.elapsed()))
    );
    let mut fanout = Vec::new();
    for i in 0..20u64 {
        let changes = one_change(&mut record, 1_800_000_000_000 + i as i64, &format!("F {i}"));
        let start = Instant::now();
        send(
            &mut a,
            &ClientMessage::Push {
                batch: 900_000 + i,
                changes,
            },
        )
        .await;
        let waits = joined.iter_mut().map(|s| async move {
            while !matches!(recv(s).await, ServerMessage::Records { .. }) {}
            start.elapsed()
        });
        let mut each: Vec<Duration> = futures_util::future::join_all(waits).await;
        each.sort();
        fanout.push((percentile(&each, 0.5), percentile(&each, 0.99)));
        while !matches!(recv(&mut a).await, ServerMessage::Ack { .. }) {}
    }
    fanout.sort_by_key(|f| f.1);
    let (p50, p99) = fanout[fanout.len() / 2];
    let mut pings = Vec::new();
    for i in 0..100 {
        let start = Instant::now();
        send(&mut a, &ClientMessage::Ping { nonce: i }).await;
        while !matches!(recv(&mut a).await, ServerMessage::Pong { .. }) {}
        pings.push(start.elapsed());
    }
    pings.sort();
    line(
        &format!("edit reaching all {clients} sockets, p99"),
        format!("{:.1} ms", ms(p99)),
        "Ping→Pong with them connected, p99",
        format!("{:.2} ms", ms(percentile(&pings, 0.99))),
        p99.as_secs_f64() / percentile(&pings, 0.99).as_secs_f64(),
    );
    println!(
        "{:<48} {:>12}",
        format!("edit reaching all {clients} sockets, p50"),
        format!("{:.1} ms", ms(p50))
    );
    let rss_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0);
    println!(
        "{:<48} {:>12}",
        "memory: relay + every client, one process",
        format!("{:.0} MB", rss_kb / 1024.0)
    );
    drop(joined);
    relay.shutdown().await.unwrap();
    under_abuse().await;
}

/// This process's resident memory (relay and clients alike), in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// `count` single-change pushes, each waited for; the sorted push→ack times.
async fn honest_pushes(
    socket: &mut Socket,
    record: &mut Record,
    first: u64,
    count: u64,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(count as usize);
    for i in first..first + count {
        let changes = one_change(record, 1_900_000_000_000 + i as i64, &format!("H {i}"));
        let start = Instant::now();
        push_acked(socket, i, changes).await;
        times.push(start.elapsed());
    }
    times.sort();
    times
}

/// The honest member's latency beside the idle baseline, p50 and p99.
fn abuse_lines(what: &str, loaded: &[Duration], idle: &[Duration]) {
    for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (ours, base) = (percentile(loaded, p), percentile(idle, p));
        line(
            &format!("push→ack {what}, {label}"),
            format!("{:.2} ms", ms(ours)),
            &format!("push→ack on the idle relay, {label}"),
            format!("{:.2} ms", ms(base)),
            ours.as_secs_f64() / base.as_secs_f64(),
        );
    }
}

/// Up to `count` WebSockets that never say Hello, from 40 loopback addresses (250 each),
/// with small client buffers so the memory measured is mostly the relay's; and how many the
/// relay refused.
async fn anonymous_sockets(
    addr: std::net::SocketAddr,
    count: usize,
) -> (
    Vec<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>>,
    usize,
) {
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (mut open, mut refused) = (Vec::with_capacity(count), 0);
    for i in 0..count {
        let source = std::net::Ipv4Addr::new(127, 0, 0, 2 + (i / 250) as u8);
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((source, 0).into()).unwrap();
        let Ok(tcp) = socket.connect(addr).await else {
            refused += 1;
            continue;
        };
        let url = format!("ws://{addr}/ws");
        match tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await {
            Ok((ws, _)) => open.push(ws),
            Err(_) => refused += 1,
        }
    }
    (open, refused)
}

/// A relay with its default limits (the join timeout raised so idle sockets stay for the
/// measurement), an honest member, anonymous sockets from 40 loopback addresses, and a noisy
/// workspace pushing compressed changes that each store the most a change may.
async fn under_abuse() {
    const ANONYMOUS: usize = 10_000;
    // Enough waves for the allocator to settle: memory then stays flat (seen: 8 waves).
    const WAVES: usize = 5;
    println!("\nunder abuse: a relay with its default limits");
    let dir = tempfile::tempdir().unwrap();
    let mut config = kith_server::Config::local(dir.path());
    config.dist = dir.path().join("no-dist");
    config.handshake_timeout = 600.0;
    let limit = config.connection_limit();
    let relay = kith_server::spawn(config).await.unwrap();
    let addr = relay.addr();
    let url = format!("ws://{addr}");
    let db_url = format!("sqlite://{}", dir.path().join("kith.db").display());
    let honest_token = seed_in(&db_url, WORKSPACE, "user", 1).await.remove(0);
    const NOISY: &str = "0190a0b0-0000-7000-8000-000000000002";
    let noisy_token = seed_in(&db_url, NOISY, "noisy", 1).await.remove(0);
    let author = UserId("user-0".into());
    let mut honest = open(&url, &honest_token, 0).await;
    until_caught_up(&mut honest).await;
    let mut record = person(0, &author);
    push_acked(&mut honest, 0, pushed(&mut record)).await;
    let idle = honest_pushes(&mut honest, &mut record, 1, 300).await;
    let before = rss_mb();

    // (a) Anonymous sockets: upgraded, never saying Hello.
    let start = Instant::now();
    let (open_sockets, refused) = anonymous_sockets(addr, ANONYMOUS).await;
    println!(
        "{:<48} {:>12}",
        format!("{ANONYMOUS} anonymous sockets tried"),
        format!(
            "{} open, {refused} refused in {:.1} s (limit {limit}, a quarter for these)",
            open_sockets.len(),
            start.elapsed().as_secs_f64()
        )
    );
    let loaded = honest_pushes(&mut honest, &mut record, 1_000, 300).await;
    abuse_lines(
        &format!("with {} idle anonymous sockets", open_sockets.len()),
        &loaded,
        &idle,
    );
    let with_sockets = rss_mb();
    let opened = open_sockets.len();
    drop(open_sockets);
    // Closing is the relay noticing each socket end; an honest round of pushes lets it.
    honest_pushes(&mut honest, &mut record, 2_000, 100).await;
    let after = rss_mb();
    // Later waves get as many places (the relay let go of each before) and, once the
    // allocator has its arenas, no more memory: closed sockets leave nothing behind.
    let mut waves = Vec::new();
    for _ in 0..WAVES {
        let (again, _) = anonymous_sockets(addr, ANONYMOUS).await;
        waves.push(format!("{} open: {:.0} MB", again.len(), rss_mb()));
        drop(again);
        honest_pushes(
            &mut honest,
            &mut record,
            2_100 + 100 * waves.len() as u64,
            10,
        )
        .await;
    }
    println!(
        "{:<48} {:>12}",
        "memory, one process (relay + clients)",
        format!(
            "{before:.0} MB idle, {with_sockets:.0} MB with {opened} sockets, {after:.0} MB after \
             they closed; {WAVES} more waves: {}",
            waves.join(", ")
        )
    );

    // (b) Another workspace pushing at its limits: compressed changes, each storing nearly the
    // most a change may, as many a push as the push may store (a new record each, so no record
    // limit gets in the way).
    let noisy = tokio::spawn(async move {
        let mut socket = open_in(&url, NOISY, &noisy_token, 0).await;
        until_caught_up(&mut socket).await;
        let author = UserId("noisy-0".into());
        let text = "a".repeat(protocol::MAX_CHANGE_BYTES - 4 * 1024);
        // A push stores at most the frame limit.
        const PER_PUSH: usize = protocol::DEFAULT_MAX_FRAME_BYTES / protocol::MAX_CHANGE_BYTES - 1;
        let (mut pushes, mut stored) = (0u64, 0u64);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(8) {
            let mut sent = 0u64;
            let changes: Vec<PushedChange> = (0..PER_PUSH)
                .map(|_| {
                    let mut doc = automerge::AutoCommit::new().with_author(Some(
                        automerge::Author::from(author.as_str().as_bytes().to_vec()),
                    ));
                    automerge::transaction::Transactable::put(
                        &mut doc,
                        automerge::ROOT,
                        "type",
                        "person",
                    )
                    .unwrap();
                    automerge::transaction::Transactable::put(
                        &mut doc,
                        automerge::ROOT,
                        "x",
                        text.as_str(),
                    )
                    .unwrap();
                    let mut change = doc.get_last_local_change().unwrap().clone();
                    sent += change.raw_bytes().len() as u64;
                    PushedChange {
                        record: RecordId::new().to_string(),
                        bytes: change.bytes().into_owned(),
                    }
                })
                .collect();
            send(
                &mut socket,
                &ClientMessage::Push {
                    batch: pushes,
                    changes,
                },
            )
            .await;
            loop {
                match recv(&mut socket).await {
                    ServerMessage::Ack { .. } => break stored += sent,
                    ServerMessage::PushRefused { message, .. } => panic!("refused: {message}"),
                    _ => {}
                }
            }
            pushes += 1;
        }
        (pushes, stored, started.elapsed())
    });
    let loaded = honest_pushes(&mut honest, &mut record, 3_000, 300).await;
    let (pushes, stored, took) = noisy.await.unwrap();
    println!(
        "{:<48} {:>12}",
        "noisy workspace (compressed, inflating pushes)",
        format!(
            "{pushes} pushes, {:.0} MB stored, {:.0} MB/s",
            stored as f64 / 1e6,
            stored as f64 / 1e6 / took.as_secs_f64()
        )
    );
    abuse_lines(
        "while another workspace pushes at its limits",
        &loaded,
        &idle,
    );
    drop(honest);
    relay.shutdown().await.unwrap();
}

/// The same rows inserted straight into a fresh SQLite file with the relay's settings (WAL,
/// synchronous FULL), `BATCH` rows per transaction.
async fn raw_insert_rate(dir: &std::path::Path, changes: &[PushedChange]) -> f64 {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let options = SqliteConnectOptions::new()
        .filename(dir.join("raw.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE changes (workspace_id TEXT NOT NULL, seq BIGINT NOT NULL,
           record_id TEXT NOT NULL, hash TEXT NOT NULL, user_id TEXT NOT NULL,
           bytes BLOB NOT NULL, received_at BIGINT NOT NULL,
           PRIMARY KEY (workspace_id, seq), UNIQUE (workspace_id, hash))",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let start = Instant::now();
    let mut seq = 0i64;
    for chunk in changes.chunks(BATCH) {
        let mut tx = conn.begin().await.unwrap();
        for c in chunk {
            seq += 1;
            sqlx::query("INSERT INTO changes VALUES ($1, $2, $3, $4, 'user-0', $5, 0)")
                .bind(WORKSPACE)
                .bind(seq)
                .bind(&c.record)
                .bind(hex(&Sha256::digest(&c.bytes)))
                .bind(&c.bytes)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    changes.len() as f64 / start.elapsed().as_secs_f64()
}

/// Reads every stored byte of the workspace and moves it through a loopback TCP socket.
async fn raw_read_and_transfer(db_url: &str) -> Duration {
    let start = Instant::now();
    let mut conn = sqlx::SqliteConnection::connect(db_url).await.unwrap();
    let mut bytes: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT bytes FROM changes WHERE workspace_id = $1 ORDER BY seq")
            .bind(WORKSPACE)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let snapshots: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT bytes FROM snapshots WHERE workspace_id = $1")
            .bind(WORKSPACE)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    bytes.extend(snapshots);
    let total: usize = bytes.iter().map(Vec::len).sum();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0;
        while got < total {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got += n;
        }
    });
    let mut out = tokio::net::TcpStream::connect(addr).await.unwrap();
    for b in &bytes {
        out.write_all(b).await.unwrap();
    }
    out.flush().await.unwrap();
    reader.await.unwrap();
    start.elapsed()
}
