//! The reactive workspace: the directory of summaries the UI lists and searches, the records
//! open for editing, and the store they are saved to. Views read signals; every change to a
//! record goes through [`Workspace::create`] or [`Workspace::edit`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use kith_core::directory::{Directory, ListQuery};
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::RecordPayload;
use kith_core::record::{Edit, Record, RecordError, RecordKind};
use kith_core::summary::Summary;
use leptos::prelude::*;

use crate::store::{Append, COMPACT_AFTER_CHANGES, RecordWrite, Store, StoreError};
use crate::sync::tasks::{StepClock, next_tick};

mod transfer;
pub use transfer::{Fill, WRITE_CHUNK};

/// The IndexedDB database holding this browser's workspace.
pub const DATABASE: &str = "kith";
/// Summaries read per step while the workspace opens.
const LOAD_PAGE: u32 = 5_000;
/// How many loaded documents stay in memory (each costs ~27 KB).
const CACHED_RECORDS: usize = 200;
/// Records of a relay batch whose stored bytes are read in one request round.
const REMOTE_READ_GROUP: usize = 64;
/// A relay batch changing at most this many records refreshes open views at once.
const IMMEDIATE_REFRESH: usize = 64;
/// Otherwise open views refresh at most this often while batches arrive.
const REFRESH_EVERY_MS: f64 = 250.0;

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Loading,
    Ready,
    Failed(String),
}

/// Whether everything the user did is durable on this device.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    Saved,
    Saving,
    /// Writes that failed stay in memory and are retried; `message` says why they failed.
    Unsaved {
        count: usize,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    #[error("{0}")]
    Record(#[from] RecordError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("this record does not exist on this device")]
    NotFound,
    #[error("the workspace is still loading")]
    NotReady,
    /// A viewer's workspace: records can be read, not changed.
    #[error("View only: your role in this workspace lets you read records, not change them")]
    ReadOnly,
}

/// What [`Workspace::apply_remote`] did with a batch from the relay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteApplied {
    /// Records whose content changed here (stored, or only the open copy).
    pub changed: usize,
    /// Payloads that could not be read: reported in `problems`, nothing of them kept.
    pub skipped: usize,
}

/// Handle to the workspace, provided as context. Copy: it is only signal and arena handles.
#[derive(Clone, Copy)]
pub struct Workspace {
    inner: StoredValue<Rc<Inner>, LocalStorage>,
    pub phase: RwSignal<Phase>,
    /// Bumped whenever the directory changes; anything reading the directory tracks it.
    pub revision: RwSignal<u64>,
    pub save_state: RwSignal<SaveState>,
    /// Entries found unreadable in local storage (kept, not deleted), for Settings.
    pub problems: RwSignal<Vec<String>>,
    /// Records read so far while the workspace opens.
    pub loaded: RwSignal<usize>,
    /// False for a viewer: [`Workspace::create`] and [`Workspace::edit`] refuse with
    /// [`ActionError::ReadOnly`] and the pages show "View only". Set by the sync engine.
    pub writable: RwSignal<bool>,
    /// False where only owners and admins may erase records for good (a member or viewer of
    /// a shared workspace). Set by the sync engine.
    pub erasable: RwSignal<bool>,
}

#[derive(Default)]
struct Inner {
    store: RefCell<Option<Rc<Store>>>,
    author: RefCell<Option<UserId>>,
    directory: RefCell<Directory>,
    open: RefCell<HashMap<RecordId, OpenRecord>>,
    /// Writes the store refused, oldest first; retried in order.
    unsaved: RefCell<Vec<RecordWrite>>,
    in_flight: Cell<usize>,
    /// People whose company is not in the directory yet, by company: when it arrives their
    /// search text is completed with its name.
    orphans: RefCell<HashMap<RecordId, Vec<RecordId>>>,
    /// Called after a local change reached the outbox (the sync engine pushes it).
    on_local_change: RefCell<Option<Rc<dyn Fn()>>>,
    /// Set once loading finished (either way); tasks waiting in [`Workspace::ready`].
    settled: Cell<bool>,
    waiting: RefCell<Vec<Waker>>,
    /// Records erased for good on this device (see [`Workspace::erase`]).
    erased: RefCell<std::collections::HashSet<RecordId>>,
    /// The relay batch being written, if any.
    remote: RefCell<Option<InFlightBatch>>,
    /// When open views last refreshed for relay batches, and whether a refresh is scheduled.
    last_refresh: Cell<f64>,
    refresh_due: Cell<bool>,
}

struct OpenRecord {
    record: Record,
    /// Change chunks stored after the snapshot; past the threshold the next write compacts.
    chunks: usize,
    last_used: u64,
}

impl Workspace {
    /// Creates the handle and starts loading this browser's local workspace.
    pub fn open() -> Self {
        Self::open_database(DATABASE, None)
    }

    /// Opens the workspace kept in the IndexedDB database `name` (see
    /// `ActiveWorkspace::database`). Changes are written by `author`: for a relay workspace the
    /// signed-in user (`UserId(account.user.id)`); `None` uses this database's own local
    /// author (`local-<uuid>`, created once and kept in the database).
    pub fn open_database(name: impl Into<String>, author: Option<UserId>) -> Self {
        let name = name.into();
        let ws = Self {
            inner: StoredValue::new_local(Rc::new(Inner::default())),
            phase: RwSignal::new(Phase::Loading),
            revision: RwSignal::new(0),
            save_state: RwSignal::new(SaveState::Saved),
            problems: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(0),
            writable: RwSignal::new(true),
            erasable: RwSignal::new(true),
        };
        leptos::task::spawn_local(async move {
            match ws.load(&name, author).await {
                Ok(()) => ws.phase.set(Phase::Ready),
                Err(e) => ws.phase.set(Phase::Failed(e.to_string())),
            }
            let inner = ws.inner();
            inner.settled.set(true);
            for waker in inner.waiting.take() {
                waker.wake();
            }
        });
        ws
    }

    /// Resolves once the workspace finished opening: `Ok` when it is ready to use, or why it
    /// could not be opened.
    pub async fn ready(self) -> Result<(), String> {
        let inner = self.inner();
        poll_fn(|cx| {
            if inner.settled.get() {
                Poll::Ready(())
            } else {
                inner.waiting.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        match self.phase.get_untracked() {
            Phase::Failed(message) => Err(message),
            _ => Ok(()),
        }
    }

    fn inner(&self) -> Rc<Inner> {
        self.inner.get_value()
    }

    async fn load(self, name: &str, author: Option<UserId>) -> Result<(), StoreError> {
        request_persistent_storage();
        let store = Rc::new(Store::open(name).await?);
        let author = match (author, store.meta_get("author").await?) {
            (Some(author), _) => author,
            (None, Some(author)) => UserId(author),
            (None, None) => {
                let author = UserId(format!("local-{}", RecordId::new()));
                store.meta_set("author", author.as_str()).await?;
                author
            }
        };
        // Pages keep every step short: no single task deserialises or indexes 100k entries.
        let mut directory = Directory::new();
        let mut to_rebuild: Vec<(String, String)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.summaries_page(after.as_deref(), LOAD_PAGE).await?;
            let Some(last_key) = page.last_key else { break };
            let mut batch = Vec::with_capacity(page.loaded.items.len());
            for entry in page.loaded.items {
                match Summary::decode(&entry.bytes) {
                    Ok(summary) => batch.push(summary),
                    Err(e) => to_rebuild.push((entry.id, e.to_string())),
                }
            }
            to_rebuild.extend(page.loaded.skipped.into_iter().map(|s| (s.key, s.reason)));
            directory.extend(batch);
            self.loaded.set(directory.len());
            after = Some(last_key);
        }
        let mut summaries = Vec::new();
        let mut problems = Vec::new();
        // Summaries are derived data: rebuild a bad one from its record and store it again.
        for (id, reason) in to_rebuild {
            match rebuild_summary(&store, &id, &author).await {
                Ok(summary) => summaries.push(summary),
                Err(e) => problems.push(format!(
                    "Record {id} could not be read ({reason}; {e}). It was kept as it is."
                )),
            }
        }
        let inner = self.inner();
        directory.extend(summaries);
        directory.resolve_companies();
        inner.orphans.replace(orphans_of(&directory));
        inner.directory.replace(directory);
        if let Ok((erased, _)) = store.erasures().await {
            inner
                .erased
                .replace(erased.iter().filter_map(|id| canonical_id(id)).collect());
        }
        inner.author.replace(Some(author));
        inner.store.replace(Some(store));
        self.problems.set(problems);
        self.revision.update(|r| *r += 1);
        Ok(())
    }

    /// Reads the directory; tracks `revision` so memos and views re-run when it changes.
    pub fn with_directory<T>(&self, f: impl FnOnce(&Directory) -> T) -> T {
        self.revision.track();
        f(&self.inner().directory.borrow())
    }

    pub fn list(&self, query: &ListQuery) -> Vec<usize> {
        self.with_directory(|d| d.list(query))
    }

    pub fn summary(&self, id: &RecordId) -> Option<Summary> {
        self.with_directory(|d| d.get(id).cloned())
    }

    /// Creates a record filled in by `fill`; nothing is created if `fill` fails validation.
    pub async fn create(
        self,
        kind: RecordKind,
        fill: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError>,
    ) -> Result<RecordId, ActionError> {
        self.check_writable()?;
        let author = self.author()?;
        let now = now_ms();
        let mut record = Record::create(RecordId::new(), kind, &author, now);
        record.edit(now, fill)?;
        let id = record.id().clone();
        let snapshot = record.save();
        let write = RecordWrite {
            id: id.to_string(),
            kind: kind.as_str().into(),
            append: Append::Snapshot(snapshot.clone()),
            summary: record.summary().encode(),
            // A whole document is also a valid change set for peers.
            outbox: Some(snapshot),
        };
        self.remember(record, 0);
        self.persist(write).await?;
        Ok(id)
    }

    /// Like [`Workspace::create`] with a given id, for records with a well-known id (the
    /// default pipeline). Refuses an id this device already holds.
    pub async fn create_with_id(
        self,
        id: RecordId,
        kind: RecordKind,
        fill: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError>,
    ) -> Result<RecordId, ActionError> {
        self.check_writable()?;
        let author = self.author()?;
        if self.inner().directory.borrow().get(&id).is_some() {
            return Err(ActionError::Record(RecordError::Invalid {
                field: "id",
                message: "a record with this id exists already".into(),
            }));
        }
        let now = now_ms();
        let mut record = Record::create(id.clone(), kind, &author, now);
        record.edit(now, fill)?;
        let snapshot = record.save();
        let write = RecordWrite {
            id: id.to_string(),
            kind: kind.as_str().into(),
            append: Append::Snapshot(snapshot.clone()),
            summary: record.summary().encode(),
            outbox: Some(snapshot),
        };
        self.remember(record, 0);
        self.persist(write).await?;
        Ok(id)
    }

    /// The full record, loaded from memory or local storage.
    pub async fn record(self, id: &RecordId) -> Result<Record, ActionError> {
        self.with_open(id, |open| open.record.clone()).await
    }

    /// Applies `change` to record `id` as one change and saves it. The directory updates at
    /// once; the returned future resolves when the change is durable on this device.
    pub async fn edit(
        self,
        id: &RecordId,
        change: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError>,
    ) -> Result<(), ActionError> {
        self.check_writable()?;
        self.ensure_open(id).await?;
        // Another tab may have saved changes to this record since it was opened here: fold
        // them in so the summary written below (and any compaction) reflects all of them.
        // A snapshot replaces every stored chunk, so compact only if all stored bytes were read.
        let fresh = self.merge_stored(id).await;
        let (change_bytes, compaction_due) = {
            let inner = self.inner();
            let mut open = inner.open.borrow_mut();
            let entry = open.get_mut(id).ok_or(ActionError::NotFound)?;
            let Some(change_bytes) = entry.record.edit(now_ms(), change)? else {
                return Ok(());
            };
            (change_bytes, entry.chunks + 1 >= COMPACT_AFTER_CHANGES)
        };
        let compact = compaction_due && fresh;
        let write = {
            let inner = self.inner();
            let mut open = inner.open.borrow_mut();
            let entry = open.get_mut(id).ok_or(ActionError::NotFound)?;
            let append = if compact {
                entry.chunks = 0;
                Append::Snapshot(entry.record.save())
            } else {
                entry.chunks += 1;
                Append::Changes(entry.record.save_incremental())
            };
            RecordWrite {
                id: id.to_string(),
                kind: entry.record.kind().as_str().into(),
                append,
                summary: entry.record.summary().encode(),
                outbox: Some(change_bytes),
            }
        };
        self.persist(write).await
    }

    /// Applies everything stored for `id` to the open copy; false if anything stored is unreadable.
    async fn merge_stored(self, id: &RecordId) -> bool {
        let Ok(store) = self.store() else {
            return false;
        };
        let Ok(Some(stored)) = store.record(id.as_str()).await else {
            return false;
        };
        let inner = self.inner();
        let mut open = inner.open.borrow_mut();
        let Some(entry) = open.get_mut(id) else {
            return false;
        };
        std::iter::once(&stored.snapshot)
            .chain(&stored.changes)
            .all(|bytes| entry.record.apply(bytes).is_ok())
    }

    /// Tries again to save writes that failed (after the user freed space, say).
    pub async fn retry_unsaved(self) -> Result<(), ActionError> {
        let pending: Vec<RecordWrite> = self.inner().unsaved.borrow_mut().drain(..).collect();
        for write in pending {
            self.persist(write).await?;
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<(), ActionError> {
        if self.writable.get_untracked() {
            Ok(())
        } else {
            Err(ActionError::ReadOnly)
        }
    }

    /// Calls `notify` after every local change that reached the outbox (the sync engine's
    /// cue to push). Replaces an earlier callback.
    pub fn on_local_change(&self, notify: impl Fn() + 'static) {
        self.inner().on_local_change.replace(Some(Rc::new(notify)));
    }

    fn local_change_saved(&self) {
        let notify = self.inner().on_local_change.borrow().clone();
        if let Some(notify) = notify {
            notify();
        }
    }

    /// The open store (for the sync engine's outbox and cursor).
    pub(crate) fn store_handle(&self) -> Result<Rc<Store>, ActionError> {
        self.store()
    }

    /// Who this device writes as ("me"): the signed-in account in a relay workspace, this
    /// database's local author otherwise. `None` until the workspace has opened.
    pub fn author_id(&self) -> Option<UserId> {
        self.inner().author.borrow().clone()
    }

    fn author(&self) -> Result<UserId, ActionError> {
        self.inner()
            .author
            .borrow()
            .clone()
            .ok_or(ActionError::NotReady)
    }

    fn store(&self) -> Result<Rc<Store>, ActionError> {
        self.inner()
            .store
            .borrow()
            .clone()
            .ok_or(ActionError::NotReady)
    }

    /// Writes in call order; a failed write keeps its place (and every later one queues behind
    /// it) so changes never reach storage out of order.
    async fn persist(self, write: RecordWrite) -> Result<(), ActionError> {
        let inner = self.inner();
        if let Ok(summary) = Summary::decode(&write.summary) {
            inner.directory.borrow_mut().upsert(summary);
            self.revision.update(|r| *r += 1);
        }
        if !inner.unsaved.borrow().is_empty() {
            inner.unsaved.borrow_mut().push(write);
            self.report_unsaved("earlier changes are still waiting to be saved".into());
            return Ok(());
        }
        let store = self.store()?;
        inner.in_flight.set(inner.in_flight.get() + 1);
        self.save_state.set(SaveState::Saving);
        let result = store.write(write.clone()).await;
        inner.in_flight.set(inner.in_flight.get() - 1);
        match result {
            Ok(()) => {
                if inner.in_flight.get() == 0 && inner.unsaved.borrow().is_empty() {
                    self.save_state.set(SaveState::Saved);
                }
                if write.outbox.is_some() {
                    self.local_change_saved();
                }
                Ok(())
            }
            Err(e) => {
                inner.unsaved.borrow_mut().push(write);
                self.report_unsaved(e.to_string());
                Err(e.into())
            }
        }
    }

    fn report_unsaved(&self, message: String) {
        let count = self.inner().unsaved.borrow().len();
        self.save_state.set(SaveState::Unsaved { count, message });
    }

    async fn ensure_open(self, id: &RecordId) -> Result<(), ActionError> {
        if self.inner().open.borrow().contains_key(id) {
            return Ok(());
        }
        let author = self.author()?;
        let stored = self
            .store()?
            .record(id.as_str())
            .await?
            .ok_or(ActionError::NotFound)?;
        let chunks: Vec<&[u8]> = stored.changes.iter().map(Vec::as_slice).collect();
        let record = Record::load(id.clone(), &stored.snapshot, &chunks, &author)?;
        // Another task may have opened it meanwhile; the first one loaded wins.
        if !self.inner().open.borrow().contains_key(id) {
            self.remember(record, stored.changes.len());
        }
        Ok(())
    }

    async fn with_open<T>(
        self,
        id: &RecordId,
        f: impl FnOnce(&mut OpenRecord) -> T,
    ) -> Result<T, ActionError> {
        self.ensure_open(id).await?;
        let inner = self.inner();
        let mut open = inner.open.borrow_mut();
        let entry = open.get_mut(id).ok_or(ActionError::NotFound)?;
        Ok(f(entry))
    }

    fn remember(&self, record: Record, chunks: usize) {
        let inner = self.inner();
        let mut open = inner.open.borrow_mut();
        let tick = open.values().map(|o| o.last_used).max().unwrap_or(0) + 1;
        open.insert(
            record.id().clone(),
            OpenRecord {
                record,
                chunks,
                last_used: tick,
            },
        );
        if open.len() > CACHED_RECORDS {
            let unsaved: Vec<String> = inner
                .unsaved
                .borrow()
                .iter()
                .map(|w| w.id.clone())
                .collect();
            let oldest = open
                .iter()
                .filter(|(id, _)| !unsaved.contains(&id.to_string()))
                .min_by_key(|(_, o)| o.last_used)
                .map(|(id, _)| id.clone());
            if let Some(id) = oldest {
                open.remove(&id);
            }
        }
    }
}

/// What merging one relay payload changed.
enum Merged {
    /// Everything in it was already here.
    Nothing,
    /// Storage had it all; the open copy did not (another tab stored it): the directory only.
    OpenCopy(Summary),
    /// New to storage: write it. The record as merged, for the next batch.
    Write(RecordWrite, Summary, Box<Record>),
}

/// What this device holds for a record a relay payload is about.
enum Base {
    /// Nothing, as far as the directory knows.
    Unknown,
    /// These bytes (or the record as the batch being written leaves it); when read from
    /// storage, what was read (see `RecordBytes::shape`) if it is due for compaction.
    Known(Box<Record>, Option<(usize, usize)>),
    /// Something that cannot be read.
    Unreadable(String),
}

/// The outcome of a relay batch's write, awaited before the next batch is written.
#[derive(Default)]
struct Commit {
    result: RefCell<Option<Result<(), ActionError>>>,
    waker: RefCell<Option<Waker>>,
}

impl Commit {
    fn finish(&self, result: Result<(), ActionError>) {
        self.result.replace(Some(result));
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    async fn outcome(&self) -> Result<(), ActionError> {
        poll_fn(|cx| match self.result.borrow_mut().take() {
            Some(result) => Poll::Ready(result),
            None => {
                self.waker.replace(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await
    }
}

/// The relay batch whose write may still be in flight.
struct InFlightBatch {
    commit: Rc<Commit>,
    /// Its records as merged: the base for the next batch (storage may not have them yet).
    records: HashMap<RecordId, Record>,
}

impl Workspace {
    /// Merges a batch of records from the relay into storage, the open records and the
    /// directory, and stores `cursor` (when `Some`) in the same transaction as the records, so
    /// the cursor is never ahead of the data; returns once that transaction completed. Work is
    /// done in steps of a few milliseconds with the browser's other tasks run between them. A
    /// payload that cannot be read is reported in `problems` and skipped; local edits not yet
    /// sent are kept (remote bytes are only ever added to what is stored). Open lists and
    /// record pages update (`revision`).
    pub async fn apply_remote(
        self,
        items: Vec<RecordPayload>,
        cursor: Option<u64>,
    ) -> Result<RemoteApplied, ActionError> {
        let applied = self.receive_remote(items, cursor).await?;
        self.remote_settled().await?;
        Ok(applied)
    }

    /// Like [`Workspace::apply_remote`], but returns as soon as the batch is merged and its
    /// write started: the next batch is merged while this one is written. Batches are written
    /// one after the other, each only once the previous one succeeded; a failed write is
    /// returned by the next call (or by [`Workspace::remote_settled`]), and nothing after it
    /// is written, so the stored cursor never passes what failed.
    pub async fn receive_remote(
        self,
        items: Vec<RecordPayload>,
        cursor: Option<u64>,
    ) -> Result<RemoteApplied, ActionError> {
        let store = self.store()?;
        let author = self.author()?;
        // Erased here while the relay may not know yet: what still comes for them is dropped.
        let items: Vec<RecordPayload> = {
            let inner = self.inner();
            let erased = inner.erased.borrow();
            items
                .into_iter()
                .filter(|p| canonical_id(&p.record).is_none_or(|id| !erased.contains(&id)))
                .collect()
        };
        let mut writes: Vec<RecordWrite> = Vec::new();
        let mut merged_records: HashMap<RecordId, Record> = HashMap::new();
        let mut summaries: Vec<Summary> = Vec::new();
        let mut problems: Vec<String> = Vec::new();
        let mut clock = StepClock::start();
        for group in items.chunks(REMOTE_READ_GROUP) {
            let bases = self.bases(&store, group, &merged_records, &author).await?;
            for (payload, base) in group.iter().zip(bases) {
                // A record seen earlier in this batch: merge onto what that left.
                let base =
                    match canonical_id(&payload.record).and_then(|id| merged_records.get(&id)) {
                        Some(record) => Base::Known(Box::new(record.clone()), None),
                        None => base,
                    };
                match self.merge_remote(payload, base, &author) {
                    Ok(Merged::Nothing) => {}
                    Ok(Merged::OpenCopy(summary)) => summaries.push(summary),
                    Ok(Merged::Write(write, summary, record)) => {
                        // A record twice in one batch: append the second time.
                        let write = match write.append {
                            Append::Create(bytes) if merged_records.contains_key(&summary.id) => {
                                RecordWrite {
                                    append: Append::Merge(bytes),
                                    ..write
                                }
                            }
                            _ => write,
                        };
                        merged_records.insert(summary.id.clone(), *record);
                        writes.push(write);
                        summaries.push(summary);
                    }
                    Err(reason) => problems.push(format!(
                        "A change from the relay to record {} could not be read ({reason}); \
                         it was skipped.",
                        payload.record
                    )),
                }
                if clock.due() {
                    next_tick().await;
                    clock = StepClock::start();
                }
            }
        }
        let applied = RemoteApplied {
            changed: summaries.len(),
            skipped: problems.len(),
        };
        // What is merged shows at once: it is on the relay, and if its write fails the relay
        // sends it again (the cursor stays before it).
        if !summaries.is_empty() {
            self.put_summaries(summaries);
            self.refresh_after_remote(applied.changed);
        }
        if !problems.is_empty() {
            self.problems.update(|p| p.extend(problems));
        }
        // Written strictly in order: the previous batch first.
        self.remote_settled().await?;
        let commit = Rc::new(Commit::default());
        self.inner().remote.replace(Some(InFlightBatch {
            commit: commit.clone(),
            records: merged_records,
        }));
        let ws = self;
        leptos::task::spawn_local(async move {
            let result = ws.write_remote_batch(&store, writes, cursor).await;
            commit.finish(result);
        });
        Ok(applied)
    }

    /// Erases records for good on this device (a person's right to erasure): every byte of
    /// them goes, including their history, and anything arriving for them later is dropped.
    /// `from_relay`: the relay erased them (at log position `cursor`); otherwise the erasure
    /// is made here and the relay is asked to erase them everywhere when connected.
    pub async fn erase(
        self,
        ids: &[RecordId],
        cursor: Option<u64>,
        from_relay: bool,
    ) -> Result<(), ActionError> {
        if !from_relay {
            self.check_writable()?;
        }
        // After any relay batch still being written, so it cannot bring them back.
        self.remote_settled().await?;
        let store = self.store()?;
        let author = self.author()?;
        let texts: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        store.erase_records(&texts, cursor, !from_relay).await?;
        let inner = self.inner();
        inner.erased.borrow_mut().extend(ids.iter().cloned());
        {
            let mut open = inner.open.borrow_mut();
            let mut directory = inner.directory.borrow_mut();
            for id in ids {
                open.remove(id);
                // Lists hold indexes into the directory: a blank deleted entry stands in.
                if let Some(kind) = directory.get(id).map(|s| s.kind) {
                    let mut blank = Record::create(id.clone(), kind, &author, 0).summary();
                    blank.deleted = true;
                    directory.upsert(blank);
                }
            }
        }
        self.revision.update(|r| *r += 1);
        if !from_relay {
            self.local_change_saved();
        }
        Ok(())
    }

    /// Whether `id` was erased on this device.
    pub fn is_erased(&self, id: &RecordId) -> bool {
        self.inner().erased.borrow().contains(id)
    }

    /// Waits until the last relay batch is written; its error if it failed.
    pub async fn remote_settled(self) -> Result<(), ActionError> {
        let commit = self
            .inner()
            .remote
            .borrow()
            .as_ref()
            .map(|b| b.commit.clone());
        let Some(commit) = commit else {
            return Ok(());
        };
        let result = commit.outcome().await;
        // Written (or failed): storage is the base again.
        let inner = self.inner();
        let mut remote = inner.remote.borrow_mut();
        if remote
            .as_ref()
            .is_some_and(|b| Rc::ptr_eq(&b.commit, &commit))
        {
            remote.take();
        }
        result
    }

    /// Writes one relay batch with its cursor. A stored record that cannot be read makes the
    /// transaction fail: that record is left alone (reported) and the rest written. A record
    /// believed new but stored after all (another tab) is merged instead.
    async fn write_remote_batch(
        self,
        store: &Store,
        mut writes: Vec<RecordWrite>,
        cursor: Option<u64>,
    ) -> Result<(), ActionError> {
        loop {
            match store.write_remote(&writes, cursor).await {
                Ok(()) => return Ok(()),
                Err(e)
                    if e.is_already_stored()
                        && writes.iter().any(|w| matches!(w.append, Append::Create(_))) =>
                {
                    for w in &mut writes {
                        if let Append::Create(bytes) = &mut w.append {
                            w.append = Append::Merge(std::mem::take(bytes));
                        }
                    }
                }
                Err(StoreError::Corrupt { key, reason, .. })
                    if writes.iter().any(|w| w.id == key) =>
                {
                    writes.retain(|w| w.id != key);
                    let problem = format!(
                        "Record {key} could not be updated from the relay: what this device \
                         holds for it is unreadable ({reason}). It was kept as it is."
                    );
                    self.problems.try_update(|p| p.push(problem));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// What this device holds for each payload's record: this batch's copy so far, the
    /// batch in flight's, else storage (read in one request round) for records the directory
    /// knows.
    async fn bases(
        &self,
        store: &Store,
        group: &[RecordPayload],
        this_batch: &HashMap<RecordId, Record>,
        author: &UserId,
    ) -> Result<Vec<Base>, ActionError> {
        let mut bases: Vec<Option<Base>> = Vec::with_capacity(group.len());
        let mut to_read: Vec<(usize, RecordId)> = Vec::new();
        {
            let inner = self.inner();
            let directory = inner.directory.borrow();
            let open = inner.open.borrow();
            let in_flight = inner.remote.borrow();
            for (i, payload) in group.iter().enumerate() {
                let Some(id) = canonical_id(&payload.record) else {
                    bases.push(Some(Base::Unknown));
                    continue;
                };
                let pending = this_batch
                    .get(&id)
                    .or_else(|| in_flight.as_ref().and_then(|batch| batch.records.get(&id)));
                if let Some(record) = pending {
                    bases.push(Some(Base::Known(Box::new(record.clone()), None)));
                } else if directory.get(&id).is_some() || open.contains_key(&id) {
                    bases.push(None);
                    to_read.push((i, id));
                } else {
                    bases.push(Some(Base::Unknown));
                }
            }
        }
        if !to_read.is_empty() {
            let ids: Vec<&str> = to_read.iter().map(|(_, id)| id.as_str()).collect();
            let stored = store.records(&ids).await?;
            for ((i, id), stored) in to_read.iter().zip(stored) {
                bases[*i] = Some(match stored {
                    Err(reason) => Base::Unreadable(reason),
                    Ok(None) => Base::Unknown,
                    Ok(Some(bytes)) => {
                        let chunks: Vec<&[u8]> = bytes.changes.iter().map(Vec::as_slice).collect();
                        let due = Store::needs_compaction(&bytes).then(|| bytes.shape());
                        match Record::load(id.clone(), &bytes.snapshot, &chunks, author) {
                            Ok(record) => Base::Known(Box::new(record), due),
                            Err(e) => Base::Unreadable(e.to_string()),
                        }
                    }
                });
            }
        }
        Ok(bases
            .into_iter()
            .map(|b| b.unwrap_or(Base::Unknown))
            .collect())
    }

    /// Merges one payload into what this device holds (to know whether anything is new) and
    /// into the open copy when the record is open (its summary then includes local edits in
    /// flight).
    fn merge_remote(
        &self,
        payload: &RecordPayload,
        base: Base,
        author: &UserId,
    ) -> Result<Merged, String> {
        let id = canonical_id(&payload.record)
            .ok_or_else(|| format!("{:?} is not a record id", payload.record))?;
        let parts: Vec<&[u8]> = payload
            .snapshot
            .iter()
            .chain(&payload.changes)
            .map(Vec::as_slice)
            .collect();
        if parts.is_empty() {
            return Ok(Merged::Nothing);
        }
        // Loading everything in one go is about twice as fast as a load per part.
        let whole = parts.concat();
        let (merged, changed_storage, append) = match base {
            Base::Unreadable(reason) => {
                return Err(format!(
                    "what this device holds for it is unreadable: {reason}"
                ));
            }
            Base::Known(mut record, compaction) => {
                let before = record.heads();
                record.apply(&whole).map_err(|e| e.to_string())?;
                let changed = record.heads() != before;
                // Appending what came is enough: loading skips changes it already has. A
                // record with many chunks (one per teammate's edit) is compacted instead,
                // unless something was written to it since it was read.
                let append = match compaction {
                    Some(seen) if changed => Append::Compact {
                        snapshot: record.save(),
                        chunk: whole.clone(),
                        seen,
                    },
                    _ => Append::Merge(whole.clone()),
                };
                (*record, changed, append)
            }
            Base::Unknown => {
                let mut record =
                    Record::load(id.clone(), &whole, &[], author).map_err(|e| e.to_string())?;
                let bytes = if parts.len() == 1 {
                    whole.clone()
                } else {
                    record.save()
                };
                (record, true, Append::Create(bytes))
            }
        };
        let kind = merged.kind();
        let inner = self.inner();
        let mut open = inner.open.borrow_mut();
        let open_copy = match open.get_mut(&id) {
            Some(entry) => {
                let before = entry.record.heads();
                // Already read once above.
                let _ = entry.record.apply(&whole);
                if changed_storage {
                    entry.chunks += 1;
                }
                let changed = entry.record.heads() != before;
                Some((changed, entry.record.summary()))
            }
            None => None,
        };
        let (open_changed, summary) = match open_copy {
            Some((changed, summary)) => (changed, summary),
            None => (false, merged.summary()),
        };
        Ok(if changed_storage {
            let write = RecordWrite {
                id: id.to_string(),
                kind: kind.as_str().into(),
                append,
                summary: summary.encode(),
                outbox: None,
            };
            Merged::Write(write, summary, Box::new(merged))
        } else if open_changed {
            Merged::OpenCopy(summary)
        } else {
            Merged::Nothing
        })
    }

    /// Tells open views the directory changed. A big batch (a bootstrap) refreshes them at
    /// most every [`REFRESH_EVERY_MS`], so a long catch-up does not re-sort a list per batch;
    /// a teammate's edit shows at once.
    fn refresh_after_remote(&self, changed: usize) {
        let inner = self.inner();
        let now = crate::sync::tasks::now();
        if changed <= IMMEDIATE_REFRESH || now - inner.last_refresh.get() >= REFRESH_EVERY_MS {
            inner.last_refresh.set(now);
            self.revision.update(|r| *r += 1);
            return;
        }
        if inner.refresh_due.replace(true) {
            return;
        }
        let ws = *self;
        let wait = REFRESH_EVERY_MS - (now - inner.last_refresh.get());
        set_timeout(
            move || {
                if let Some(inner) = ws.inner.try_get_value() {
                    inner.refresh_due.set(false);
                    inner.last_refresh.set(crate::sync::tasks::now());
                    ws.revision.try_update(|r| *r += 1);
                }
            },
            std::time::Duration::from_millis(wait.max(0.0) as u64),
        );
    }

    /// Puts summaries from the relay into the directory. New records are added in bulk; a
    /// company's new name reaches its people; people that arrived before their company get
    /// its name in their search text when it comes.
    fn put_summaries(&self, summaries: Vec<Summary>) {
        let inner = self.inner();
        let mut directory = inner.directory.borrow_mut();
        let mut orphans = inner.orphans.borrow_mut();
        let mut bulk = Vec::with_capacity(summaries.len());
        let mut arrived_companies = Vec::new();
        for summary in summaries {
            if let Some(company) = &summary.company_id
                && directory.get(company).is_none()
            {
                orphans
                    .entry(company.clone())
                    .or_default()
                    .push(summary.id.clone());
            }
            match directory.get(&summary.id) {
                Some(old) if summary.kind == RecordKind::Company && old.name != summary.name => {
                    directory.upsert(summary);
                }
                Some(_) => bulk.push(summary),
                None => {
                    if summary.kind == RecordKind::Company {
                        arrived_companies.push(summary.id.clone());
                    }
                    bulk.push(summary);
                }
            }
        }
        directory.extend(bulk);
        directory.resolve_companies();
        let waiting: Vec<Summary> = arrived_companies
            .iter()
            .filter_map(|company| orphans.remove(company))
            .flatten()
            .filter_map(|person| directory.get(&person).cloned())
            .collect();
        directory.extend(waiting);
    }
}

/// The id of a relay payload, only in the form this app stores (lower-case, hyphenated).
fn canonical_id(text: &str) -> Option<RecordId> {
    RecordId::parse(text).ok().filter(|id| id.as_str() == text)
}

/// People whose company is not in `directory`, by company.
fn orphans_of(directory: &Directory) -> HashMap<RecordId, Vec<RecordId>> {
    let mut orphans: HashMap<RecordId, Vec<RecordId>> = HashMap::new();
    for i in 0..directory.len() {
        let summary = directory.at(i);
        if let Some(company) = &summary.company_id
            && directory.get(company).is_none()
        {
            orphans
                .entry(company.clone())
                .or_default()
                .push(summary.id.clone());
        }
    }
    orphans
}

async fn rebuild_summary(store: &Store, id: &str, author: &UserId) -> Result<Summary, String> {
    let record_id = RecordId::parse(id).map_err(|e| e.to_string())?;
    let stored = store
        .record(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("its record is missing")?;
    let chunks: Vec<&[u8]> = stored.changes.iter().map(Vec::as_slice).collect();
    let mut record =
        Record::load(record_id, &stored.snapshot, &chunks, author).map_err(|e| e.to_string())?;
    let summary = record.summary();
    let write = RecordWrite {
        id: id.into(),
        kind: stored.kind,
        append: Append::Snapshot(record.save()),
        summary: summary.encode(),
        outbox: None,
    };
    store.write(write).await.map_err(|e| e.to_string())?;
    Ok(summary)
}

/// Asks the browser not to evict the workspace under storage pressure. The answer is shown
/// in Settings; a refusal changes nothing else.
fn request_persistent_storage() {
    if let Ok(promise) = window().navigator().storage().persist() {
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Records read, changed and written per IndexedDB transaction by [`Workspace::edit_many`]:
/// small enough that a chunk's work stays well under a long task (~50 ms).
const BULK_CHUNK: usize = 32;

/// What [`Workspace::edit_many`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Records that changed (an edit that changes nothing is not a change).
    pub changed: usize,
    /// Records left as they were, with why (not stored here, unreadable, refused the change).
    pub skipped: Vec<String>,
}

impl Workspace {
    /// Applies `change` to every record of `ids` (bulk tag, owner, delete, restore), each as
    /// its own Automerge change so every record syncs and merges like a single edit. Records
    /// are read and written in chunks of [`BULK_CHUNK`], one IndexedDB transaction per chunk,
    /// and the browser runs its other tasks between chunks; `progress(done, total)` is called
    /// after each. Lists refresh as chunks land (throttled for big selections). A record that
    /// refuses the change is skipped and reported; a failed write stops here and is retried
    /// like any unsaved write.
    pub async fn edit_many(
        self,
        ids: Vec<RecordId>,
        change: impl Fn(&mut Edit<'_>) -> Result<(), RecordError>,
        progress: impl Fn(usize, usize),
    ) -> Result<BulkOutcome, ActionError> {
        self.check_writable()?;
        let store = self.store()?;
        let author = self.author()?;
        let total = ids.len();
        let mut outcome = BulkOutcome::default();
        for (n, chunk) in ids.chunks(BULK_CHUNK).enumerate() {
            let keys: Vec<&str> = chunk.iter().map(RecordId::as_str).collect();
            let stored = store.records(&keys).await?;
            let mut items = chunk.iter().zip(stored).peekable();
            // A chunk is read at once but changed in steps: when a step has used its time,
            // what it changed is written and the browser gets the thread before the rest.
            while items.peek().is_some() {
                let clock = StepClock::start();
                let now = now_ms();
                let mut writes = Vec::with_capacity(chunk.len());
                {
                    let inner = self.inner();
                    let mut open = inner.open.borrow_mut();
                    for (id, stored) in items.by_ref() {
                        let bytes = match stored {
                            Ok(Some(bytes)) => bytes,
                            Ok(None) => {
                                outcome.skipped.push(format!("{id}: not on this device"));
                                continue;
                            }
                            Err(reason) => {
                                outcome.skipped.push(format!("{id}: {reason}"));
                                continue;
                            }
                        };
                        let write = match open.get_mut(id) {
                            // An open copy holds edits the stored bytes may not: change it.
                            Some(entry) => {
                                std::iter::once(&bytes.snapshot)
                                    .chain(&bytes.changes)
                                    .for_each(|b| drop(entry.record.apply(b)));
                                bulk_write(&mut entry.record, now, &change, None)
                                    .inspect(|_| entry.chunks += 1)
                            }
                            None => {
                                let chunks: Vec<&[u8]> =
                                    bytes.changes.iter().map(Vec::as_slice).collect();
                                let due = Store::needs_compaction(&bytes).then(|| bytes.shape());
                                Record::load(id.clone(), &bytes.snapshot, &chunks, &author)
                                    .map_err(|e| e.to_string())
                                    .and_then(|mut record| {
                                        bulk_write(&mut record, now, &change, due)
                                    })
                            }
                        };
                        match write {
                            Ok(Some(write)) => writes.push(write),
                            Ok(None) => {}
                            Err(reason) => outcome.skipped.push(format!("{id}: {reason}")),
                        }
                        if clock.due() {
                            break;
                        }
                    }
                }
                outcome.changed += writes.len();
                if !writes.is_empty() {
                    self.persist_chunk(&store, writes, total).await?;
                }
                if items.peek().is_some() {
                    next_tick().await;
                }
            }
            progress(((n + 1) * BULK_CHUNK).min(total), total);
            next_tick().await;
        }
        self.revision.update(|r| *r += 1);
        Ok(outcome)
    }

    /// [`Workspace::persist`] for a chunk of writes: one transaction, in order after any
    /// unsaved write.
    async fn persist_chunk(
        self,
        store: &Store,
        writes: Vec<RecordWrite>,
        total: usize,
    ) -> Result<(), ActionError> {
        let inner = self.inner();
        {
            let mut directory = inner.directory.borrow_mut();
            for w in &writes {
                if let Ok(summary) = Summary::decode(&w.summary) {
                    directory.upsert(summary);
                }
            }
        }
        self.refresh_after_remote(total);
        if !inner.unsaved.borrow().is_empty() {
            inner.unsaved.borrow_mut().extend(writes);
            self.report_unsaved("earlier changes are still waiting to be saved".into());
            return Ok(());
        }
        inner.in_flight.set(inner.in_flight.get() + 1);
        self.save_state.set(SaveState::Saving);
        let result = store.write_many(writes.clone()).await;
        inner.in_flight.set(inner.in_flight.get() - 1);
        match result {
            Ok(()) => {
                if inner.in_flight.get() == 0 && inner.unsaved.borrow().is_empty() {
                    self.save_state.set(SaveState::Saved);
                }
                self.local_change_saved();
                Ok(())
            }
            Err(e) => {
                inner.unsaved.borrow_mut().extend(writes);
                self.report_unsaved(e.to_string());
                Err(e.into())
            }
        }
    }
}

/// One record's change in a bulk edit, as the write that stores it; `None` if nothing changed.
/// `compact`: what was read, when the stored chunks are due for compaction.
fn bulk_write(
    record: &mut Record,
    now: i64,
    change: &impl Fn(&mut Edit<'_>) -> Result<(), RecordError>,
    compact: Option<(usize, usize)>,
) -> Result<Option<RecordWrite>, String> {
    let Some(change_bytes) = record.edit(now, change).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let append = match compact {
        Some(seen) => Append::Compact {
            snapshot: record.save(),
            chunk: change_bytes.clone(),
            seen,
        },
        None => Append::Changes(change_bytes.clone()),
    };
    Ok(Some(RecordWrite {
        id: record.id().to_string(),
        kind: record.kind().as_str().into(),
        append,
        summary: record.summary().encode(),
        outbox: Some(change_bytes),
    }))
}
