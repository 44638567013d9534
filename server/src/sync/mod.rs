//! Workspace sync: the change log, the per-workspace doorbell that wakes connections when the
//! log grows (LISTEN/NOTIFY across relays on PostgreSQL), presence, and snapshot compaction.
//!
//! The doorbell carries only a number (the newest head this relay heard of): a connection that
//! hears it reads what it lacks from the database by its own cursor, so a lost or merged ring
//! only delays, never loses or reorders. Presence lives only in memory, per relay process.

mod compact;
pub mod log;
pub mod stream;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kith_core::protocol::Viewer;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{Db, Dialect, Error};

/// How often, on PostgreSQL, every local workspace re-reads its head (covers a lost notify).
const SAFETY_CATCH_UP: Duration = Duration::from_secs(10);
/// Most records counted for compaction at once.
const MAX_DIRTY: usize = 200_000;

/// Shared by every connection of this relay process.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    rooms: Mutex<HashMap<String, RoomSlot>>,
    /// Bumped when every connection must check its access again.
    access: watch::Sender<u64>,
    /// Open WebSocket connections (shutdown waits for them to finish what they are doing).
    connections: watch::Sender<usize>,
    /// Of those, the ones that have not joined a workspace.
    anonymous: watch::Sender<usize>,
    next_connection: AtomicU64,
    /// This process's id in notifications it sends (it ignores its own).
    instance: String,
    /// Records with new changes since their last compaction, and how many.
    dirty: Mutex<HashMap<(String, String), u32>>,
}

struct RoomSlot {
    room: Arc<Room>,
    members: usize,
}

/// One workspace's connections on this relay.
struct Room {
    /// The newest head this relay has heard of.
    head: watch::Sender<u64>,
    /// Who is looking at which record, by connection.
    presence: watch::Sender<BTreeMap<u64, Presence>>,
    /// The last page of the log read for this workspace: when a commit wakes every
    /// connection, they all stand at the same cursor, and one read serves them all.
    recent: tokio::sync::Mutex<Option<Page>>,
    /// Held while one of this workspace's pushes is stored.
    pushing: tokio::sync::Mutex<()>,
}

/// Log rows after `after`, as read from the database (never empty). Rows are immutable once
/// committed and committed in seq order, so the page stays true; it may only be short.
struct Page {
    after: u64,
    limit: usize,
    rows: Arc<Vec<log::LogRow>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    user: String,
    name: String,
    record: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere never leaves these maps half-updated (each update is one call).
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Hub {
    /// Starts the hub's background tasks (doorbell listener, compaction) until `shutdown`.
    pub async fn start(db: &Db, shutdown: CancellationToken) -> Result<Self, Error> {
        let hub = Self {
            inner: Arc::new(Inner {
                db: db.clone(),
                rooms: Mutex::new(HashMap::new()),
                access: watch::Sender::new(0),
                connections: watch::Sender::new(0),
                anonymous: watch::Sender::new(0),
                next_connection: AtomicU64::new(1),
                instance: uuid::Uuid::new_v4().to_string(),
                dirty: Mutex::new(HashMap::new()),
            }),
        };
        if db.dialect() == Dialect::Postgres {
            // Listening before the relay accepts anyone: no commit of another node is missed.
            let listener = listen(db).await?;
            tokio::spawn(hub.clone().doorbell(listener, shutdown.clone()));
        }
        tokio::spawn(compact::run(hub.clone(), shutdown));
        Ok(hub)
    }

    /// Memberships or sessions changed: every open connection, on every relay, checks its
    /// access again at once and closes (4401/4403) if it was lost.
    pub async fn recheck_access(&self) {
        self.inner.access.send_modify(|epoch| *epoch += 1);
        if self.inner.db.dialect() == Dialect::Postgres {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(log::ACCESS_CHANNEL)
                .bind(&self.inner.instance)
                .execute(self.inner.db.pool())
                .await;
            if let Err(e) = sent {
                tracing::error!(error = %e, "could not ask the other relays to re-check access");
            }
        }
    }

    /// Bumped whenever connections must re-check their access.
    pub fn access_changes(&self) -> watch::Receiver<u64> {
        self.inner.access.subscribe()
    }

    /// Counts a connection until the guard is dropped.
    pub fn connection(&self) -> ConnectionGuard {
        self.inner.connections.send_modify(|n| *n += 1);
        ConnectionGuard { hub: self.clone() }
    }

    /// A place for a WebSocket that has not joined a workspace yet, or `None` when `limit`
    /// of them are open already.
    pub fn anonymous(&self, limit: usize) -> Option<AnonymousGuard> {
        let mut taken = false;
        self.inner.anonymous.send_if_modified(|n| {
            taken = *n < limit;
            if taken {
                *n += 1;
            }
            taken
        });
        taken.then(|| AnonymousGuard { hub: self.clone() })
    }

    /// Waits until every connection has ended, at most `limit`.
    pub async fn drained(&self, limit: Duration) {
        let mut count = self.inner.connections.subscribe();
        if tokio::time::timeout(limit, count.wait_for(|n| *n == 0))
            .await
            .is_err()
        {
            tracing::warn!("connections still open after {limit:?}; stopping anyway");
        }
    }

    /// Enters `workspace`'s room (known head: `head`) until the handle is dropped.
    pub fn enter(&self, workspace: &str, head: u64) -> RoomHandle {
        let room = {
            let mut rooms = lock(&self.inner.rooms);
            let slot = rooms
                .entry(workspace.to_string())
                .or_insert_with(|| RoomSlot {
                    room: Arc::new(Room {
                        head: watch::Sender::new(head),
                        presence: watch::Sender::new(BTreeMap::new()),
                        recent: tokio::sync::Mutex::new(None),
                        pushing: tokio::sync::Mutex::new(()),
                    }),
                    members: 0,
                });
            slot.members += 1;
            slot.room.clone()
        };
        raise(&room.head, head);
        RoomHandle {
            hub: self.clone(),
            workspace: workspace.to_string(),
            id: self.inner.next_connection.fetch_add(1, Ordering::Relaxed),
            head: room.head.subscribe(),
            presence: room.presence.subscribe(),
            room,
        }
    }

    /// The log of `workspace` grew to `head`: wake its connections on this relay.
    pub fn ring(&self, workspace: &str, head: u64) {
        let room = lock(&self.inner.rooms)
            .get(workspace)
            .map(|slot| slot.room.clone());
        if let Some(room) = room {
            raise(&room.head, head);
        }
    }

    /// Records that each received one more change: candidates for compaction.
    pub fn touched(&self, workspace: &str, records: impl IntoIterator<Item = String>) {
        let mut dirty = lock(&self.inner.dirty);
        for record in records {
            *dirty.entry((workspace.to_string(), record)).or_default() += 1;
        }
        if dirty.len() > MAX_DIRTY {
            // Bounded memory: forget records far from needing compaction (a restart's backlog
            // scan finds them again once they have enough changes).
            dirty.retain(|_, count| *count >= compact::MIN_CHANGES / 2);
        }
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Re-reads the head of every workspace with connections here and rings those that grew.
    async fn catch_up_all(&self) {
        let workspaces: Vec<String> = lock(&self.inner.rooms).keys().cloned().collect();
        match log::heads(self.db(), &workspaces).await {
            Ok(heads) => {
                for (workspace, head) in heads {
                    self.ring(&workspace, head);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not re-read workspace heads"),
        }
    }

    /// Rings local doorbells for commits announced by any relay on the database; after a lost
    /// connection (notifies may have been missed) every local workspace catches up by reading
    /// its head, and every connection re-checks its access.
    async fn doorbell(self, mut listener: sqlx::postgres::PgListener, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(SAFETY_CATCH_UP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {
                    self.catch_up_all().await;
                    continue;
                }
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(notification)) => match notification.channel() {
                    log::LOG_CHANNEL => {
                        if let Some((workspace, head)) = notification.payload().split_once(' ')
                            && let Ok(head) = head.parse()
                        {
                            self.ring(workspace, head);
                        }
                    }
                    // This relay's own request was already served locally.
                    log::ACCESS_CHANNEL if notification.payload() != self.inner.instance => {
                        self.inner.access.send_modify(|epoch| *epoch += 1);
                    }
                    _ => {}
                },
                Ok(None) => {
                    // Reconnected (sqlx re-listens before returning): catch up on what was missed.
                    tracing::warn!("doorbell listener reconnected; catching up every workspace");
                    self.catch_up_all().await;
                    self.inner.access.send_modify(|epoch| *epoch += 1);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "doorbell listener failed; reconnecting");
                    let retry = tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => listen(self.db()).await,
                    };
                    match retry {
                        Ok(fresh) => {
                            listener = fresh;
                            self.catch_up_all().await;
                            self.inner.access.send_modify(|epoch| *epoch += 1);
                        }
                        Err(e) => tracing::warn!(error = %e, "doorbell listener reconnect failed"),
                    }
                }
            }
        }
    }
}

async fn listen(db: &Db) -> Result<sqlx::postgres::PgListener, Error> {
    let mut listener = sqlx::postgres::PgListener::connect(db.url()).await?;
    listener
        .listen_all([log::LOG_CHANNEL, log::ACCESS_CHANNEL])
        .await?;
    Ok(listener)
}

/// Raises a head watch to `head`; waking receivers only when it grew.
fn raise(sender: &watch::Sender<u64>, head: u64) {
    sender.send_if_modified(|known| {
        let grew = head > *known;
        if grew {
            *known = head;
        }
        grew
    });
}

/// One open connection, counted until dropped.
pub struct ConnectionGuard {
    hub: Hub,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.hub.inner.connections.send_modify(|n| *n -= 1);
    }
}

/// A WebSocket's place among those not joined yet.
pub struct AnonymousGuard {
    hub: Hub,
}

impl Drop for AnonymousGuard {
    fn drop(&mut self) {
        self.hub.inner.anonymous.send_modify(|n| *n -= 1);
    }
}

/// A connection's place in its workspace's room: the doorbell, and presence.
pub struct RoomHandle {
    hub: Hub,
    workspace: String,
    id: u64,
    room: Arc<Room>,
    pub head: watch::Receiver<u64>,
    pub presence: watch::Receiver<BTreeMap<u64, Presence>>,
}

impl RoomHandle {
    /// Waits for this workspace's turn to store a push (one at a time on this relay).
    pub async fn push_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.room.pushing.lock().await
    }

    /// This connection's user (`user`, `name`) looks at `record` (or at no record).
    pub fn viewing(&self, user: &str, name: &str, record: Option<String>) {
        self.room.presence.send_if_modified(|map| match record {
            Some(record) => {
                let entry = Presence {
                    user: user.to_string(),
                    name: name.to_string(),
                    record,
                };
                map.insert(self.id, entry.clone()) != Some(entry)
            }
            None => map.remove(&self.id).is_some(),
        });
    }

    /// Up to `limit` changes after `cursor`, in seq order: from the page another connection
    /// of the workspace just read when it starts at the same cursor, else from the database.
    pub async fn read_after(
        &self,
        db: &Db,
        cursor: u64,
        limit: usize,
    ) -> Result<Arc<Vec<log::LogRow>>, Error> {
        let mut recent = self.room.recent.lock().await;
        if let Some(page) = recent.as_ref()
            && page.after == cursor
            && page.limit == limit
        {
            return Ok(page.rows.clone());
        }
        let rows = Arc::new(log::after(db, &self.workspace, cursor, limit).await?);
        if !rows.is_empty() {
            *recent = Some(Page {
                after: cursor,
                limit,
                rows: rows.clone(),
            });
        }
        Ok(rows)
    }

    /// Everyone else (not `user`) looking at a record, once per person and record.
    pub fn viewers_for(&mut self, user: &str) -> Vec<Viewer> {
        let map = self.presence.borrow_and_update();
        let mut viewers: Vec<Viewer> = map
            .values()
            .filter(|p| p.user != user)
            .map(|p| Viewer {
                user: p.user.clone(),
                name: p.name.clone(),
                record: p.record.clone(),
            })
            .collect();
        viewers.sort_by(|a, b| (&a.record, &a.name, &a.user).cmp(&(&b.record, &b.name, &b.user)));
        viewers.dedup_by(|a, b| a.user == b.user && a.record == b.record);
        viewers
    }
}

impl Drop for RoomHandle {
    fn drop(&mut self) {
        self.room
            .presence
            .send_if_modified(|map| map.remove(&self.id).is_some());
        let mut rooms = lock(&self.hub.inner.rooms);
        if let Some(slot) = rooms.get_mut(&self.workspace) {
            slot.members -= 1;
            if slot.members == 0 {
                rooms.remove(&self.workspace);
            }
        }
    }
}
