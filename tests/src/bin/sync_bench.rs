//! `cargo xtask bench` (sync in the browser): a new device joins a relay workspace of N people
//! (default 10,000) in headless Chromium. Timed inside the page: from navigation to the list
//! showing all N, and the longest main-thread task meanwhile. Baseline, same run, same page:
//! the very frames the relay sends a new device, replayed by a plain WebSocket server and
//! stored as they arrive into a fresh IndexedDB database (raw transfer + store, no app).
//!
//! Usage: sync_bench [--dist DIR] [--records N]

use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use kith_core::api::Role;
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::{self, ClientMessage, PushedChange, ServerMessage};
use kith_core::record::{Channel, Field, Record, RecordKind};
use kith_e2e::api::{create_workspace, sign_up};
use kith_e2e::{Browser, TestRelay, dist_dir};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(socket: &mut Socket, message: &ClientMessage) -> Result<()> {
    socket
        .send(Message::Binary(protocol::encode(message).into()))
        .await?;
    Ok(())
}

/// The next binary frame, raw and decoded.
async fn recv(socket: &mut Socket) -> Result<(Vec<u8>, ServerMessage)> {
    loop {
        match socket
            .next()
            .await
            .context("the relay closed the socket")??
        {
            Message::Binary(frame) => {
                let message = protocol::decode(&frame, usize::MAX)?;
                return Ok((frame.to_vec(), message));
            }
            Message::Close(c) => bail!("the relay closed the socket: {c:?}"),
            _ => {}
        }
    }
}

async fn join(relay: &str, token: &str, workspace: &str) -> Result<Socket> {
    let url = format!("{}/ws", relay.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    send(
        &mut socket,
        &ClientMessage::Hello {
            client: "sync_bench".into(),
        },
    )
    .await?;
    send(
        &mut socket,
        &ClientMessage::Join {
            token: token.into(),
            workspace: workspace.into(),
            cursor: 0,
        },
    )
    .await?;
    Ok(socket)
}

fn person(i: usize, author: &UserId) -> Result<Vec<PushedChange>> {
    let mut r = Record::create(
        RecordId::new(),
        RecordKind::Person,
        author,
        1_700_000_000_000,
    );
    r.edit(1_700_000_000_001, |e| {
        e.set(Field::Name, &format!("Person {i} Example"))?;
        e.set(Field::Title, "Head of Purchasing")?;
        e.set(Field::City, ["London", "Lagos", "Lima", "Lyon"][i % 4])?;
        e.add_channel(Channel::Email, &format!("person{i}@example.com"), "work")?;
        e.add_tag(["vip", "newsletter", "partner"][i % 3])
    })?;
    let id = r.id().to_string();
    Ok(r.changes()
        .into_iter()
        .map(|bytes| PushedChange {
            record: id.clone(),
            bytes,
        })
        .collect())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut dist, mut records) = (None, 10_000usize);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" => dist = args.next().map(Into::into),
            "--records" => records = args.next().context("--records N")?.parse()?,
            _ => bail!("usage: sync_bench [--dist DIR] [--records N]"),
        }
    }
    let dist = match dist {
        Some(d) => d,
        None => dist_dir()?,
    };
    let relay = TestRelay::start_serving(dist).await?;
    let result = run(&relay, records).await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn run(relay: &TestRelay, records: usize) -> Result<()> {
    let url = relay.url();
    let owner = sign_up(&url, "bench@example.com", "Bench Owner").await?;
    let workspace = create_workspace(&url, &owner, "Bench").await?;
    let author = UserId(owner.user.id.clone());

    // Seed through the relay, as teammates would have.
    let mut socket = join(&url, &owner.token, &workspace.id).await?;
    let mut changes = Vec::new();
    for i in 0..records {
        changes.extend(person(i, &author)?);
    }
    let seed_start = std::time::Instant::now();
    for (batch, chunk) in changes.chunks(500).enumerate() {
        send(
            &mut socket,
            &ClientMessage::Push {
                batch: batch as u64,
                changes: chunk.to_vec(),
            },
        )
        .await?;
        loop {
            match recv(&mut socket).await?.1 {
                ServerMessage::Ack { batch: b, .. } if b == batch as u64 => break,
                ServerMessage::PushRefused { message, .. } => bail!("seeding refused: {message}"),
                _ => {}
            }
        }
    }
    println!(
        "seeded {records} people ({} changes) through the relay in {:.1} s",
        changes.len(),
        seed_start.elapsed().as_secs_f64()
    );

    // The frames a new device gets, for the baseline.
    let mut fresh = join(&url, &owner.token, &workspace.id).await?;
    let mut frames = Vec::new();
    loop {
        let (raw, message) = recv(&mut fresh).await?;
        match message {
            ServerMessage::Records { caught_up, .. } => {
                frames.push(raw);
                if caught_up {
                    break;
                }
            }
            ServerMessage::Welcome { .. }
            | ServerMessage::Joined { .. }
            | ServerMessage::Presence { .. } => {}
            other => bail!("unexpected frame while bootstrapping: {other:?}"),
        }
    }
    drop(fresh);
    let bytes: usize = frames.iter().map(Vec::len).sum();
    let replay = replay_server(frames.clone()).await?;

    let browser = Browser::launch().await?;
    browser
        .client()
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(600)),
            Some(Duration::from_secs(300)),
            Some(Duration::ZERO),
        ))
        .await?;
    let result = measure(
        &browser,
        relay,
        &owner,
        &workspace,
        records,
        replay,
        frames.len(),
    )
    .await;
    let (app, raw) = match result {
        Ok(values) => {
            browser.close().await?;
            values
        }
        Err(e) => return browser.finish("sync_bench", Err(e)).await,
    };
    let total = f64_of(&app, "ms")?;
    let longest = f64_of(&app, "longest")?;
    let raw_ms = f64_of(&raw, "ms")?;
    println!(
        "new device bootstrap, {records} people ({:.1} MB in {} frames)",
        bytes as f64 / 1e6,
        frames.len()
    );
    println!(
        "  app: navigation → all {records} listed   {total:>8.0} ms   (budget 3000 ms; longest main-thread task {longest:.0} ms, budget 50 ms)"
    );
    println!(
        "  baseline: same frames, plain WebSocket + IndexedDB puts   {raw_ms:>8.0} ms   ratio {:.2}",
        total / raw_ms
    );
    Ok(())
}

fn f64_of(value: &Value, key: &str) -> Result<f64> {
    value[key]
        .as_f64()
        .with_context(|| format!("`{key}` missing from {value}"))
}

async fn measure(
    browser: &Browser,
    relay: &TestRelay,
    owner: &kith_core::api::Session,
    workspace: &kith_core::api::WorkspaceInfo,
    records: usize,
    replay: u16,
    frame_count: usize,
) -> Result<(Value, Value)> {
    debug_assert_eq!(workspace.role, Role::Owner);
    browser
        .open_relay_workspace(&relay.url(), owner, workspace)
        .await?;
    let app = browser
        .client()
        .execute_async(
            r#"
const [want, done] = [arguments[0], arguments[arguments.length - 1]];
const check = () => {
  const el = document.querySelector('[data-testid=list-count]');
  if (el && el.textContent.startsWith(want + ' ')) {
    const now = performance.now();
    const tasks = (window.__kithPerf ? window.__kithPerf.longtasks : []).filter((t) => t.start < now);
    done({ ms: now, longest: tasks.reduce((m, t) => Math.max(m, t.duration), 0) });
  } else {
    requestAnimationFrame(check);
  }
};
check();
"#,
            vec![json!(records)],
        )
        .await
        .context("waiting for every person to be listed")?;
    let raw = browser
        .client()
        .execute_async(
            r#"
const [port, count, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const open = indexedDB.open('raw-bootstrap-' + Date.now(), 1);
open.onupgradeneeded = () => open.result.createObjectStore('frames', { autoIncrement: true });
open.onsuccess = () => {
  const db = open.result;
  const start = performance.now();
  const ws = new WebSocket('ws://127.0.0.1:' + port);
  ws.binaryType = 'arraybuffer';
  let received = 0, stored = 0;
  ws.onmessage = (e) => {
    received += 1;
    const tx = db.transaction('frames', 'readwrite', { durability: 'strict' });
    tx.objectStore('frames').put(new Uint8Array(e.data));
    tx.oncomplete = () => {
      stored += 1;
      if (stored === count) { ws.close(); done({ ms: performance.now() - start }); }
    };
  };
  ws.onerror = () => done({ error: 'replay socket failed' });
};
"#,
            vec![json!(replay), json!(frame_count)],
        )
        .await
        .context("the raw baseline")?;
    Ok((app, raw))
}

/// A plain WebSocket server on a free loopback port sending `frames` to its first client.
async fn replay_server(frames: Vec<Vec<u8>>) -> Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        for frame in frames {
            if ws.send(Message::Binary(frame.into())).await.is_err() {
                return;
            }
        }
        while let Some(Ok(_)) = ws.next().await {}
    });
    Ok(port)
}
