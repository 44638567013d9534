//! The engine's task: one connection at a time to the relay, driven by the events of its inbox
//! (socket frames, timers, local changes, the account, the record being viewed).
//!
//! Receiving: `Join` with the stored cursor, then every `Records` batch is merged and stored
//! with its cursor in one transaction, in order. Sending: the outbox (and, after
//! [`super::bind_to_relay`], every record's whole history first) goes out in bounded batches,
//! one in flight; an entry leaves the outbox only when the relay acknowledged it as durable.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use kith_core::backoff::Backoff;
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::{
    self, ClientMessage, CloseCode, PushedChange, Refusal, ServerMessage, Viewer,
};
use kith_core::record::Record;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::push::{Batch, Done, PushQueue, Refused, Unit, push_frame};
use super::socket::{Event, Inbox, Link, Transport, post};
use super::status::SyncStatus;
use super::tasks::{StepClock, next_tick};
use crate::relay_link::LinkState;
use crate::session::AccountState;
use crate::store::{CURSOR_KEY, RecordBytes, Store};
use crate::workspace::Workspace;

const CLIENT_NAME: &str = concat!("kith-app/", env!("CARGO_PKG_VERSION"));
/// Meta key of a pending upload ([`UploadPlan`] as JSON).
pub const UPLOAD_KEY: &str = "relay.upload";
/// Meta key naming the relay workspace a database is the copy of.
pub const WORKSPACE_KEY: &str = "relay.workspace";
/// Meta key: the id of the relay database this device's cursor counts in.
pub const RELAY_KEY: &str = "relay.id";
/// Largest frame accepted from the relay (its batches stay under its own frame limit).
const MAX_RECEIVED_FRAME: usize = 16 * protocol::DEFAULT_MAX_FRAME_BYTES;
/// How long after "workspace full" the pushes are tried again.
const FULL_RETRY: Duration = Duration::from_secs(5 * 60);
/// How often an idle connection checks the relay still answers.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// Outbox entries and records read per step while filling the push queue.
const OUTBOX_PAGE: u32 = 200;
const UPLOAD_PAGE: u32 = 50;

/// A local database still to be uploaded to relay workspace `workspace`: every record after
/// `after` (in id order), then the outbox entries up to `outbox_upto` are covered by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPlan {
    pub workspace: String,
    pub outbox_upto: u64,
    pub after: Option<String>,
}

/// What the engine syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Only say whether the relay is reachable (a local workspace).
    LinkOnly,
    /// Sync this relay workspace.
    Relay { workspace: String },
}

/// The engine's state shared by its task and its handle.
pub struct Engine {
    transport: Rc<dyn Transport>,
    pub target: Target,
    pub workspace: Option<Workspace>,
    pub account: Option<AccountState>,
    pub inbox: Rc<Inbox>,
    pub status: RwSignal<SyncStatus>,
    pub link: RwSignal<LinkState>,
    pub pending: RwSignal<usize>,
    pub viewers: RwSignal<Vec<Viewer>>,
    /// The record this tab shows, sent to the relay as `Viewing`.
    pub viewing: RefCell<Option<String>>,
    socket: RefCell<Option<Box<dyn Link>>>,
    /// Numbers connections and timers, so late events of an old one are ignored.
    counter: Cell<u64>,
    backoff: Backoff,
    failures: Cell<u32>,
    offline_since: Cell<Option<f64>>,
    last_synced: Cell<Option<f64>>,
    /// Problems already reported (each once).
    reported: RefCell<HashSet<String>>,
}

/// Why a connection ended.
enum End {
    Stop,
    /// Reconnect at once (the account changed).
    Restart,
    Lost(String),
    Unauthorized,
    Forbidden,
}

/// One connection's state.
struct Conn {
    id: u64,
    welcomed: bool,
    joined: bool,
    caught_up: bool,
    cursor: u64,
    received: usize,
    token: Option<String>,
    user: Option<String>,
    ping_outstanding: bool,
    queue: PushQueue,
    in_flight: Option<(u64, Batch)>,
    last_batch: u64,
    /// Last outbox seq read into the queue.
    outbox_after: u64,
    outbox_drained: bool,
    upload: Option<Upload>,
    /// The relay refused pushes as read-only or full: keep everything, send nothing more.
    push_stopped: bool,
    /// The relay said the workspace is full.
    relay_full: bool,
    /// This member's role, from `Joined`.
    role: Option<kith_core::protocol::Role>,
    /// An erasure sent and not answered yet: (batch, record).
    erasing: Option<(u64, String)>,
}

struct Upload {
    plan: UploadPlan,
    read_after: Option<String>,
    exhausted: bool,
}

impl Engine {
    pub fn new(
        transport: Rc<dyn Transport>,
        target: Target,
        workspace: Option<Workspace>,
        account: Option<AccountState>,
    ) -> Self {
        let status = match target {
            Target::LinkOnly => SyncStatus::LocalOnly,
            Target::Relay { .. } => SyncStatus::Connecting,
        };
        Self {
            transport,
            target,
            workspace,
            account,
            inbox: Rc::default(),
            status: RwSignal::new(status),
            link: RwSignal::new(LinkState::Connecting),
            pending: RwSignal::new(0),
            viewers: RwSignal::new(Vec::new()),
            viewing: RefCell::new(None),
            socket: RefCell::new(None),
            counter: Cell::new(0),
            backoff: Backoff::default(),
            failures: Cell::new(0),
            offline_since: Cell::new(None),
            last_synced: Cell::new(None),
            reported: RefCell::default(),
        }
    }

    fn is_relay(&self) -> bool {
        matches!(self.target, Target::Relay { .. })
    }

    fn token(&self) -> Option<String> {
        self.account
            .and_then(|a| a.0.with_untracked(|a| a.as_ref().map(|a| a.token.clone())))
    }

    fn next_number(&self) -> u64 {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }

    fn store(&self) -> Option<Rc<Store>> {
        self.workspace.and_then(|ws| ws.store_handle().ok())
    }

    /// Runs until the app goes away.
    pub async fn run(self: Rc<Self>) {
        if let Some(ws) = self.workspace
            && let Err(message) = ws.ready().await
            && self.is_relay()
        {
            let now = js_sys::Date::now();
            self.status.set(SyncStatus::Offline {
                since: now,
                retry_at: now,
                reason: format!("this device's copy could not be opened: {message}"),
                changes: 0,
            });
            return;
        }
        self.refresh_pending().await;
        loop {
            if self.is_relay() && self.token().is_none() {
                self.show_sign_in();
                if !self.wait_for_account(None).await {
                    return;
                }
                continue;
            }
            match self.session().await {
                End::Stop => return,
                End::Restart => {}
                End::Unauthorized => {
                    self.show_sign_in();
                    if !self.wait_for_account(self.token()).await {
                        return;
                    }
                }
                End::Forbidden => {
                    self.status.set(SyncStatus::NoAccess);
                    if !self.wait_for_account(self.token()).await {
                        return;
                    }
                }
                End::Lost(reason) => {
                    if !self.wait_to_retry(reason).await {
                        return;
                    }
                }
            }
        }
    }

    fn show_sign_in(&self) {
        self.status.set(SyncStatus::SignInAgain {
            changes: self.pending.get_untracked(),
        });
    }

    /// Waits for a sign-in with a token other than `used`; false if the app stops first.
    async fn wait_for_account(&self, used: Option<String>) -> bool {
        loop {
            match self.inbox.next().await {
                Event::Stop => return false,
                Event::AccountChanged => {
                    let token = self.token();
                    if token.is_some() && token != used {
                        return true;
                    }
                }
                Event::LocalChange => {
                    self.refresh_pending().await;
                    if let SyncStatus::SignInAgain { .. } = self.status.get_untracked() {
                        self.show_sign_in();
                    }
                }
                _ => {}
            }
        }
    }

    /// Shows "Offline" and waits the backoff delay (or less, if the network or the account
    /// changes); false if the app stops first.
    async fn wait_to_retry(&self, reason: String) -> bool {
        let now = js_sys::Date::now();
        let since = self.offline_since.get().unwrap_or(now);
        self.offline_since.set(Some(since));
        let attempt = self.failures.get();
        self.failures.set(attempt.saturating_add(1));
        let delay = self.backoff.delay(attempt, js_sys::Math::random());
        let retry_at = now + delay.as_secs_f64() * 1000.0;
        let timer = self.next_number();
        let inbox = Rc::downgrade(&self.inbox);
        set_timeout(move || post(&inbox, Event::Retry(timer)), delay);
        self.link.set(LinkState::Offline {
            since,
            reason: reason.clone(),
            retry_at,
        });
        let offline = |changes| SyncStatus::Offline {
            since,
            retry_at,
            reason: reason.clone(),
            changes,
        };
        if self.is_relay() {
            self.status.set(offline(self.pending.get_untracked()));
        }
        loop {
            match self.inbox.next().await {
                Event::Stop => return false,
                Event::Retry(n) if n == timer => return true,
                Event::BrowserOnline | Event::AccountChanged => return true,
                Event::LocalChange if self.is_relay() => {
                    self.refresh_pending().await;
                    self.status.set(offline(self.pending.get_untracked()));
                }
                _ => {}
            }
        }
    }

    /// One connection, from opening the socket to its end.
    async fn session(&self) -> End {
        let id = self.next_number();
        if self.offline_since.get().is_none() && self.is_relay() {
            self.status.set(SyncStatus::Connecting);
        }
        match self.transport.connect(id, Rc::downgrade(&self.inbox)) {
            Ok(socket) => {
                self.socket.replace(Some(socket));
            }
            Err(e) => return End::Lost(e),
        }
        let mut conn = Conn {
            id,
            welcomed: false,
            joined: false,
            caught_up: false,
            cursor: 0,
            received: 0,
            token: None,
            user: None,
            ping_outstanding: false,
            queue: PushQueue::new(),
            in_flight: None,
            last_batch: 0,
            outbox_after: 0,
            outbox_drained: false,
            upload: None,
            push_stopped: false,
            relay_full: false,
            role: None,
            erasing: None,
        };
        let end = loop {
            let step = match self.inbox.next().await {
                Event::Stop => Err(End::Stop),
                Event::Open(c) if c == id => {
                    self.send(&ClientMessage::Hello {
                        client: CLIENT_NAME.into(),
                    });
                    Ok(())
                }
                Event::Closed(c, code, reason) if c == id => Err(closed(code, reason)),
                Event::Frame(c, frame) if c == id => self.on_frame(&mut conn, frame).await,
                Event::Heartbeat(c) if c == id => self.heartbeat(&mut conn),
                Event::RetryFull(c) if c == id => {
                    self.retry_full(&mut conn);
                    self.pump(&mut conn).await
                }
                Event::LocalChange => {
                    conn.outbox_drained = false;
                    // Something new to send: perhaps the relay has room again.
                    self.retry_full(&mut conn);
                    self.pump(&mut conn).await
                }
                // Before `Welcome` nothing was sent yet: `Join` reads the account then.
                Event::AccountChanged
                    if self.is_relay() && conn.token.is_some() && self.token() != conn.token =>
                {
                    Err(End::Restart)
                }
                Event::Viewing => {
                    if conn.joined {
                        self.send_viewing();
                    }
                    Ok(())
                }
                _ => Ok(()),
            };
            if let Err(end) = step {
                break end;
            }
            self.show_session(&conn);
        };
        // Dropping the socket detaches its callbacks and closes it.
        if let Some(socket) = self.socket.take() {
            socket.close(1000, "reconnecting");
        }
        self.viewers.set(Vec::new());
        end
    }

    fn send(&self, message: &ClientMessage) -> bool {
        self.send_frame(&protocol::encode(message))
    }

    fn send_frame(&self, frame: &[u8]) -> bool {
        self.socket.borrow().as_ref().is_some_and(|s| s.send(frame))
    }

    fn send_viewing(&self) {
        let record = self.viewing.borrow().clone();
        self.send(&ClientMessage::Viewing { record });
    }

    fn schedule_heartbeat(&self, conn: u64) {
        let inbox = Rc::downgrade(&self.inbox);
        set_timeout(move || post(&inbox, Event::Heartbeat(conn)), HEARTBEAT);
    }

    /// After "workspace full": sending resumes (a refusal stops it again).
    fn retry_full(&self, conn: &mut Conn) {
        if conn.relay_full {
            conn.relay_full = false;
            conn.push_stopped = false;
        }
    }

    fn heartbeat(&self, conn: &mut Conn) -> Result<(), End> {
        if conn.ping_outstanding {
            return Err(End::Lost("the relay stopped answering".into()));
        }
        conn.ping_outstanding = true;
        self.send(&ClientMessage::Ping {
            nonce: js_sys::Date::now() as u64,
        });
        self.schedule_heartbeat(conn.id);
        Ok(())
    }

    async fn on_frame(&self, conn: &mut Conn, frame: Option<Vec<u8>>) -> Result<(), End> {
        let Some(frame) = frame else {
            return Err(self.reject("the relay sent a text frame"));
        };
        conn.ping_outstanding = false;
        let message = match protocol::decode::<ServerMessage>(&frame, MAX_RECEIVED_FRAME) {
            Ok(message) => message,
            Err(e) => return Err(self.reject(&format!("unreadable frame from the relay: {e}"))),
        };
        match message {
            ServerMessage::Welcome {
                relay_id,
                relay_version,
            } => {
                conn.welcomed = true;
                self.failures.set(0);
                self.offline_since.set(None);
                self.link.set(LinkState::Online {
                    relay_id: relay_id.clone(),
                    relay_version,
                });
                self.schedule_heartbeat(conn.id);
                if let Target::Relay { workspace } = &self.target {
                    let Some(account) = self.account.and_then(|a| a.0.get_untracked()) else {
                        return Err(End::Restart);
                    };
                    let store = self
                        .store()
                        .ok_or_else(|| End::Lost("no workspace".into()))?;
                    // A batch of the last connection may still be being written: the cursor
                    // is read after it (if it failed, the cursor is before it: it comes again).
                    if let Some(ws) = self.workspace {
                        let _ = ws.remote_settled().await;
                    }
                    // A cursor counts in one relay database. Another one (a new database, or
                    // one restored from a backup and given a new id) may hold less, or other
                    // changes under the same numbers: start over and send everything held.
                    let known = store.meta_get(RELAY_KEY).await.ok().flatten();
                    if known.as_deref().is_some_and(|known| known != relay_id) {
                        self.relay_log_behind(conn).await;
                    }
                    if known.as_deref() != Some(relay_id.as_str()) {
                        let _ = store.meta_set(RELAY_KEY, &relay_id).await;
                    }
                    conn.cursor = store.cursor().await.map_err(|e| End::Lost(e.to_string()))?;
                    conn.token = Some(account.token.clone());
                    conn.user = Some(account.user.id.clone());
                    self.send(&ClientMessage::Join {
                        token: account.token,
                        workspace: workspace.clone(),
                        cursor: conn.cursor,
                    });
                }
            }
            ServerMessage::Joined { role, head, .. } => {
                conn.joined = true;
                conn.role = Some(role);
                if let Some(ws) = self.workspace {
                    ws.writable.set(role.can_write());
                    ws.erasable.set(role.can_erase());
                }
                if head < conn.cursor {
                    self.relay_log_behind(conn).await;
                }
                if head <= conn.cursor {
                    conn.caught_up = true;
                    self.last_synced.set(Some(js_sys::Date::now()));
                }
                if self.viewing.borrow().is_some() {
                    self.send_viewing();
                }
                conn.upload = self.upload_plan().await.map(|plan| Upload {
                    read_after: plan.after.clone(),
                    plan,
                    exhausted: false,
                });
                self.pump(conn).await?;
            }
            ServerMessage::Records {
                items,
                cursor,
                caught_up,
            } => {
                conn.received += items.len();
                if !conn.caught_up {
                    self.show_session(conn);
                }
                if let Some(ws) = self.workspace {
                    let stored = |e: crate::workspace::ActionError| {
                        End::Lost(format!("changes from the relay could not be stored: {e}"))
                    };
                    // The next batch is merged while this one is written.
                    ws.receive_remote(items, cursor).await.map_err(stored)?;
                    if caught_up {
                        ws.remote_settled().await.map_err(stored)?;
                    }
                }
                if let Some(cursor) = cursor {
                    conn.cursor = conn.cursor.max(cursor);
                }
                conn.caught_up |= caught_up;
                if conn.caught_up {
                    self.last_synced.set(Some(js_sys::Date::now()));
                }
            }
            ServerMessage::Erased {
                records,
                cursor,
                caught_up,
            } => {
                if let Some(ws) = self.workspace {
                    let ids: Vec<RecordId> = records
                        .iter()
                        .filter_map(|r| RecordId::parse(r).ok())
                        .collect();
                    ws.erase(&ids, Some(cursor), true).await.map_err(|e| {
                        End::Lost(format!(
                            "an erasure from the relay could not be stored: {e}"
                        ))
                    })?;
                }
                conn.cursor = conn.cursor.max(cursor);
                conn.caught_up |= caught_up;
            }
            ServerMessage::Ack { batch, .. } => self.acked(conn, batch).await?,
            ServerMessage::PushRefused {
                batch,
                reason,
                message,
            } => self.refused(conn, batch, reason, &message).await?,
            ServerMessage::Presence { viewers } => {
                let mut seen = HashSet::new();
                let others: Vec<Viewer> = viewers
                    .into_iter()
                    .filter(|v| Some(&v.user) != conn.user.as_ref())
                    .filter(|v| seen.insert((v.user.clone(), v.record.clone())))
                    .collect();
                self.viewers.set(others);
            }
            ServerMessage::Pong { .. } => {}
        }
        Ok(())
    }

    /// Closes a connection whose relay sent something unreadable; a later one starts afresh.
    fn reject(&self, why: &str) -> End {
        web_sys::console::warn_1(&why.into());
        if let Some(socket) = self.socket.borrow().as_ref() {
            socket.close(CloseCode::Malformed.code(), "unreadable frame");
        }
        End::Lost(why.to_owned())
    }

    /// The relay's log ends before this device's cursor: it was restored from a backup (or
    /// is another database). It sends everything again from the start; this device starts its
    /// cursor over and uploads every record it holds, since what the relay lost may only be
    /// here. Acked changes the relay lost thus come back.
    async fn relay_log_behind(&self, conn: &mut Conn) {
        let (Some(store), Target::Relay { workspace }) = (self.store(), &self.target) else {
            return;
        };
        let plan = UploadPlan {
            workspace: workspace.clone(),
            outbox_upto: store.outbox_last_seq().await.unwrap_or(0),
            after: None,
        };
        if let Ok(json) = serde_json::to_string(&plan) {
            let _ = store.meta_set(UPLOAD_KEY, &json).await;
        }
        let _ = store.meta_set(CURSOR_KEY, "0").await;
        conn.cursor = 0;
    }

    async fn upload_plan(&self) -> Option<UploadPlan> {
        let Target::Relay { workspace } = &self.target else {
            return None;
        };
        let text = self.store()?.meta_get(UPLOAD_KEY).await.ok()??;
        let plan: UploadPlan = serde_json::from_str(&text).ok()?;
        (plan.workspace == *workspace).then_some(plan)
    }

    /// Sends the next batch if none is in flight.
    async fn pump(&self, conn: &mut Conn) -> Result<(), End> {
        self.refresh_pending().await;
        if !conn.joined || conn.in_flight.is_some() || conn.erasing.is_some() || conn.push_stopped {
            return Ok(());
        }
        // Erasures made here go first: they also drop what the outbox held for those records.
        if let Some(store) = self.store()
            && let Ok((_, pending)) = store.erasures().await
            && let Some(record) = pending.into_iter().next()
        {
            conn.last_batch += 1;
            let frame = protocol::encode(&ClientMessage::Erase {
                batch: conn.last_batch,
                record: record.clone(),
            });
            if !self.send_frame(&frame) {
                return Err(End::Lost("the connection closed while sending".into()));
            }
            conn.erasing = Some((conn.last_batch, record));
            return Ok(());
        }
        loop {
            self.refill(conn).await?;
            if let Some(batch) = conn.queue.next_batch() {
                conn.last_batch += 1;
                let frame = push_frame(conn.last_batch, batch.changes.clone());
                if !self.send_frame(&frame) {
                    return Err(End::Lost("the connection closed while sending".into()));
                }
                conn.in_flight = Some((conn.last_batch, batch));
                return Ok(());
            }
            if !self.finish_upload(conn).await? {
                return Ok(());
            }
        }
    }

    /// Tops up the queue: the upload first, then the outbox.
    async fn refill(&self, conn: &mut Conn) -> Result<(), End> {
        let Some(store) = self.store() else {
            return Ok(());
        };
        let lost = |e: crate::store::StoreError| End::Lost(e.to_string());
        while conn.queue.waiting_changes() < protocol::MAX_PUSH_CHANGES {
            if let Some(upload) = &mut conn.upload {
                if upload.exhausted {
                    return Ok(());
                }
                let page = store
                    .records_page(upload.read_after.as_deref(), UPLOAD_PAGE)
                    .await
                    .map_err(lost)?;
                let Some(last) = page.last_key else {
                    upload.exhausted = true;
                    return Ok(());
                };
                upload.read_after = Some(last);
                for skipped in page.loaded.skipped {
                    self.report(format!(
                        "Record {} could not be uploaded: it is unreadable on this device ({}).",
                        skipped.key, skipped.reason
                    ));
                }
                let mut clock = StepClock::start();
                // Members send only what they wrote: the relay refuses others' changes from
                // them (owners and admins restore teammates' history).
                let only = match (conn.role, &conn.user) {
                    (Some(role), Some(user)) if !role.can_relay_others() => {
                        Some(UserId(user.clone()))
                    }
                    _ => None,
                };
                for record in page.loaded.items {
                    match history(&record, only.as_ref()) {
                        Ok(changes) => conn.queue.push(Unit {
                            done: Done::Uploaded(record.id.clone()),
                            changes: changes
                                .into_iter()
                                .map(|bytes| PushedChange {
                                    record: record.id.clone(),
                                    bytes,
                                })
                                .collect(),
                        }),
                        Err(reason) => self.report(format!(
                            "Record {} could not be uploaded: it is unreadable on this device \
                             ({reason}).",
                            record.id
                        )),
                    }
                    if clock.due() {
                        next_tick().await;
                        clock = StepClock::start();
                    }
                }
                continue;
            }
            if conn.outbox_drained {
                return Ok(());
            }
            let page = store
                .outbox_page(conn.outbox_after, OUTBOX_PAGE)
                .await
                .map_err(lost)?;
            let Some(last) = page.last_seq else {
                conn.outbox_drained = true;
                return Ok(());
            };
            conn.outbox_after = last;
            for skipped in page.loaded.skipped {
                self.report(format!(
                    "A change waiting to be sent ({}) is unreadable; it was kept and not sent \
                     ({}).",
                    skipped.key, skipped.reason
                ));
            }
            for entry in page.loaded.items {
                match kith_core::changes::split_changes(&entry.bytes) {
                    Ok(changes) => conn.queue.push(Unit {
                        done: Done::Outbox(entry.seq),
                        changes: changes
                            .into_iter()
                            .map(|c| PushedChange {
                                record: entry.record_id.clone(),
                                bytes: c.bytes,
                            })
                            .collect(),
                    }),
                    Err(e) => self.report(format!(
                        "A change to record {} waiting to be sent is unreadable; it was kept \
                         and not sent ({e}).",
                        entry.record_id
                    )),
                }
            }
        }
        Ok(())
    }

    /// Once every record of an upload is acknowledged: the outbox entries it covered go, and
    /// the plan is removed. True if it finished now (the outbox may then be sent).
    async fn finish_upload(&self, conn: &mut Conn) -> Result<bool, End> {
        let done = conn
            .upload
            .as_ref()
            .is_some_and(|u| u.exhausted && !conn.queue.has_uploads() && conn.in_flight.is_none());
        if !done {
            return Ok(false);
        }
        let (Some(upload), Some(store)) = (conn.upload.take(), self.store()) else {
            return Ok(false);
        };
        let lost = |e: crate::store::StoreError| End::Lost(e.to_string());
        store
            .ack_outbox(upload.plan.outbox_upto)
            .await
            .map_err(lost)?;
        store.meta_delete(UPLOAD_KEY).await.map_err(lost)?;
        conn.outbox_after = conn.outbox_after.max(upload.plan.outbox_upto);
        conn.outbox_drained = false;
        self.refresh_pending().await;
        Ok(true)
    }

    async fn acked(&self, conn: &mut Conn, batch_id: u64) -> Result<(), End> {
        if let Some((_, record)) = conn.erasing.take_if(|(id, _)| *id == batch_id) {
            if let Some(store) = self.store() {
                // Failing to forget it only means asking again: harmless.
                let _ = store.erasure_sent(&record).await;
            }
            return self.pump(conn).await;
        }
        let batch = match conn.in_flight.take() {
            Some((id, batch)) if id == batch_id => batch,
            other => {
                conn.in_flight = other;
                return Ok(());
            }
        };
        let done = conn.queue.acked(&batch);
        self.last_synced.set(Some(js_sys::Date::now()));
        if let Some(store) = self.store() {
            let seqs: Vec<u64> = done
                .iter()
                .filter_map(|d| match d {
                    Done::Outbox(seq) => Some(*seq),
                    Done::Uploaded(_) => None,
                })
                .collect();
            // Failing to forget them only means sending them again: harmless.
            if let Err(e) = store.ack_outbox_entries(&seqs).await {
                web_sys::console::warn_1(&format!("outbox ack not stored: {e}").into());
            }
            let uploaded = done.iter().rev().find_map(|d| match d {
                Done::Uploaded(id) => Some(id.clone()),
                Done::Outbox(_) => None,
            });
            if let (Some(id), Some(upload)) = (uploaded, conn.upload.as_mut()) {
                upload.plan.after = Some(id);
                if let Ok(json) = serde_json::to_string(&upload.plan) {
                    let _ = store.meta_set(UPLOAD_KEY, &json).await;
                }
            }
        }
        self.pump(conn).await
    }

    async fn refused(
        &self,
        conn: &mut Conn,
        batch_id: u64,
        reason: Refusal,
        message: &str,
    ) -> Result<(), End> {
        if let Some((_, record)) = conn.erasing.take_if(|(id, _)| *id == batch_id) {
            if reason == Refusal::ReadOnly {
                conn.push_stopped = true;
            } else if let Some(store) = self.store() {
                let _ = store.erasure_sent(&record).await;
            }
            self.report(format!(
                "The relay refused to erase record {record} ({message}). It is erased on this \
                 device only."
            ));
            return self.pump(conn).await;
        }
        let batch = match conn.in_flight.take() {
            Some((id, batch)) if id == batch_id => batch,
            other => {
                conn.in_flight = other;
                return Ok(());
            }
        };
        if reason == Refusal::ReadOnly {
            conn.push_stopped = true;
            if let Some(ws) = self.workspace {
                ws.writable.set(false);
            }
            self.report(format!(
                "Your role in this workspace no longer lets you change records ({message}). \
                 What you changed on this device ({}) is kept here but cannot be sent.",
                super::status::changes_text(self.pending.get_untracked())
            ));
            return Ok(());
        }
        if reason == Refusal::Full {
            // Later pushes would be refused too: the batch stays queued (and stored), and
            // sending waits for a new edit, a few minutes, or the next connection (the operator
            // may make room meanwhile).
            conn.push_stopped = true;
            conn.relay_full = true;
            let inbox = Rc::downgrade(&self.inbox);
            let id = conn.id;
            set_timeout(move || post(&inbox, Event::RetryFull(id)), FULL_RETRY);
            self.show_session(conn);
            self.report(format!(
                "The relay has no room left for this workspace ({message}). What you changed \
                 on this device ({}) is kept here and is sent once there is room again (Kith \
                 tries every few minutes and with every new edit).",
                super::status::changes_text(self.pending.get_untracked())
            ));
            return Ok(());
        }
        if let Refused::Dropped(unit) = conn.queue.refused(&batch) {
            let record = unit
                .changes
                .first()
                .map(|c| c.record.clone())
                .unwrap_or_default();
            self.report(format!(
                "The relay refused a change to record {record} ({message}). It is kept on this \
                 device but was not sent."
            ));
        }
        self.pump(conn).await
    }

    fn report(&self, problem: String) {
        if self.reported.borrow_mut().insert(problem.clone())
            && let Some(ws) = self.workspace
        {
            ws.problems.update(|p| p.push(problem));
        }
    }

    async fn refresh_pending(&self) {
        if !self.is_relay() {
            return;
        }
        if let Some(store) = self.store()
            && let Ok(n) = store.outbox_count().await
        {
            self.pending.set(n as usize);
        }
    }

    fn show_session(&self, conn: &Conn) {
        if !self.is_relay() {
            return;
        }
        let status = if !conn.joined {
            if self.offline_since.get().is_some() {
                return;
            }
            SyncStatus::Connecting
        } else if !conn.caught_up {
            SyncStatus::CatchingUp {
                received: conn.received,
            }
        } else if conn.relay_full {
            SyncStatus::Full {
                changes: self.pending.get_untracked().max(1),
            }
        } else if conn.in_flight.is_some() || (!conn.queue.is_empty() && !conn.push_stopped) {
            SyncStatus::Syncing {
                changes: self.pending.get_untracked().max(1),
            }
        } else {
            SyncStatus::Online {
                last_synced: self.last_synced.get().unwrap_or_else(js_sys::Date::now),
            }
        };
        if self.status.get_untracked() != status {
            self.status.set(status);
        }
    }

    /// Records what this tab shows; the relay hears it at once (or on the next join).
    pub fn set_viewing(&self, record: Option<&RecordId>) {
        let record = record.map(|r| r.to_string());
        if *self.viewing.borrow() != record {
            self.viewing.replace(record);
            self.inbox.push(Event::Viewing);
        }
    }
}

/// How a close code ends a connection.
fn closed(code: u16, reason: String) -> End {
    match CloseCode::from_code(code) {
        Some(CloseCode::Unauthorized) => End::Unauthorized,
        Some(CloseCode::Forbidden) => End::Forbidden,
        Some(CloseCode::GoingAway) => End::Lost("the relay is restarting".into()),
        _ if !reason.is_empty() => End::Lost(reason),
        _ if code == 1006 => End::Lost("no connection".into()),
        _ => End::Lost(format!("closed with code {code}")),
    }
}

/// Every change in a stored record's history (only `author`'s when given), each once, in
/// causal order.
fn history(record: &RecordBytes, author: Option<&UserId>) -> Result<Vec<Vec<u8>>, String> {
    let id = RecordId::parse(&record.id).map_err(|e| e.to_string())?;
    let chunks: Vec<&[u8]> = record.changes.iter().map(Vec::as_slice).collect();
    let mut loaded = Record::load(id, &record.snapshot, &chunks, &UserId("upload".into()))
        .map_err(|e| e.to_string())?;
    Ok(match author {
        Some(author) => loaded.changes_by(author),
        None => loaded.changes(),
    })
}
