//! Bulk writes for import, undo of an import, and the workspace backup: many records per
//! IndexedDB transaction, the browser's other tasks run between chunks, the directory
//! updated once per chunk (never per record).

use kith_core::ids::RecordId;
use kith_core::record::{Edit, Record, RecordError, RecordKind};
use kith_core::summary::Summary;
use leptos::prelude::*;

use super::{ActionError, Workspace, now_ms};
use crate::store::{Append, RecordWrite, Store};
use crate::sync::tasks::{StepClock, next_tick};

/// Fills one new record; boxed so a chunk can hold a different closure per record.
pub type Fill = Box<dyn FnOnce(&mut Edit<'_>) -> Result<(), RecordError>>;

/// Records created or changed per transaction by the methods here: small enough that one
/// chunk's Automerge work and summary encoding stays well under 50 ms.
pub const WRITE_CHUNK: usize = 100;

impl Workspace {
    /// Creates one record of `kind` per fill, [`WRITE_CHUNK`] per transaction. Returns the
    /// ids in order; `None` where the fill was refused (with why). Stops between chunks
    /// when `stop()` says so; what was written stays.
    pub async fn create_many(
        self,
        kind: RecordKind,
        fills: Vec<Fill>,
        stop: impl Fn() -> bool,
        progress: impl Fn(usize),
    ) -> Result<Vec<Result<RecordId, String>>, ActionError> {
        self.check_writable()?;
        let store = self.store()?;
        let author = self.author()?;
        let total = fills.len();
        let mut out = Vec::with_capacity(total);
        let mut fills = fills.into_iter();
        while out.len() < total && !stop() {
            let clock = StepClock::start();
            let mut writes = Vec::new();
            let now = now_ms();
            for fill in fills.by_ref() {
                let mut record = Record::create(RecordId::new(), kind, &author, now);
                match record.edit(now, fill) {
                    Ok(_) => {
                        let snapshot = record.save();
                        out.push(Ok(record.id().clone()));
                        writes.push(RecordWrite {
                            id: record.id().to_string(),
                            kind: kind.as_str().into(),
                            append: Append::Create(snapshot.clone()),
                            summary: record.summary().encode(),
                            outbox: Some(snapshot),
                        });
                    }
                    Err(e) => out.push(Err(e.to_string())),
                }
                if writes.len() >= WRITE_CHUNK || clock.due() {
                    break;
                }
            }
            if !writes.is_empty() {
                self.persist_chunk(&store, writes, total).await?;
            }
            progress(out.len());
            next_tick().await;
        }
        self.revision.update(|r| *r += 1);
        Ok(out)
    }

    /// Changes existing records, each as its own change: `prepare` reads the record as
    /// stored (what an undo needs) and returns the edit, or `None` to leave it. Records not
    /// on this device are reported in the result, by index of `ids`.
    pub async fn edit_each(
        self,
        ids: Vec<RecordId>,
        mut prepare: impl FnMut(usize, &Record) -> Option<Fill>,
        stop: impl Fn() -> bool,
        progress: impl Fn(usize),
    ) -> Result<Vec<(usize, String)>, ActionError> {
        self.check_writable()?;
        let store = self.store()?;
        let author = self.author()?;
        let total = ids.len();
        let mut failed = Vec::new();
        let mut done = 0;
        // Reads are batched by transaction too; an open copy would hold edits storage lacks,
        // so it is changed instead and kept current.
        for chunk in ids.chunks(WRITE_CHUNK / 4) {
            if stop() {
                break;
            }
            let keys: Vec<&str> = chunk.iter().map(RecordId::as_str).collect();
            let stored = store.records(&keys).await?;
            let now = now_ms();
            let mut writes = Vec::new();
            for (id, stored) in chunk.iter().zip(stored) {
                let index = done;
                done += 1;
                let bytes = match stored {
                    Ok(Some(bytes)) => bytes,
                    Ok(None) => {
                        failed.push((index, "not on this device".into()));
                        continue;
                    }
                    Err(reason) => {
                        failed.push((index, reason));
                        continue;
                    }
                };
                let chunks: Vec<&[u8]> = bytes.changes.iter().map(Vec::as_slice).collect();
                let mut record = match Record::load(id.clone(), &bytes.snapshot, &chunks, &author) {
                    Ok(record) => record,
                    Err(e) => {
                        failed.push((index, e.to_string()));
                        continue;
                    }
                };
                let inner = self.inner();
                if let Some(open) = inner.open.borrow().get(id) {
                    let mut open_copy = open.record.clone();
                    drop(open_copy.apply(&record.save()));
                    record = open_copy;
                }
                let Some(fill) = prepare(index, &record) else {
                    continue;
                };
                match record.edit(now, fill) {
                    Ok(Some(change)) => {
                        let due = Store::needs_compaction(&bytes).then(|| bytes.shape());
                        let append = match due {
                            Some(seen) => Append::Compact {
                                snapshot: record.save(),
                                chunk: change.clone(),
                                seen,
                            },
                            None => Append::Changes(change.clone()),
                        };
                        writes.push(RecordWrite {
                            id: id.to_string(),
                            kind: record.kind().as_str().into(),
                            append,
                            summary: record.summary().encode(),
                            outbox: Some(change),
                        });
                        if let Some(open) = inner.open.borrow_mut().get_mut(id) {
                            open.record = record;
                            open.chunks += 1;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => failed.push((index, e.to_string())),
                }
            }
            if !writes.is_empty() {
                self.persist_chunk(&store, writes, total).await?;
            }
            progress(done);
            next_tick().await;
        }
        self.revision.update(|r| *r += 1);
        Ok(failed)
    }

    /// Every record as stored here, as whole documents (for the backup), a page at a time;
    /// `each` gets each page. Unreadable records are returned by id with why.
    pub async fn for_each_record(
        self,
        mut each: impl FnMut(Vec<Record>),
    ) -> Result<Vec<String>, ActionError> {
        let store = self.store()?;
        let author = self.author()?;
        let mut problems = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.records_page(after.as_deref(), 100).await?;
            let Some(last) = page.last_key else { break };
            let mut records = Vec::with_capacity(page.loaded.items.len());
            for bytes in page.loaded.items {
                let chunks: Vec<&[u8]> = bytes.changes.iter().map(Vec::as_slice).collect();
                match RecordId::parse(&bytes.id)
                    .map_err(|e| e.to_string())
                    .and_then(|id| {
                        Record::load(id, &bytes.snapshot, &chunks, &author)
                            .map_err(|e| e.to_string())
                    }) {
                    Ok(record) => records.push(record),
                    Err(e) => problems.push(format!("{}: {e}", bytes.id)),
                }
            }
            problems.extend(page.loaded.skipped.into_iter().map(|s| s.key));
            each(records);
            after = Some(last);
            next_tick().await;
        }
        Ok(problems)
    }

    /// Stores records from a backup as they are (same bytes, same heads), and queues them
    /// for the relay. Records already here are left as they are (counted in the result's
    /// second number).
    pub async fn restore_records(
        self,
        records: Vec<(Record, Vec<u8>)>,
        progress: impl Fn(usize),
    ) -> Result<(usize, usize), ActionError> {
        self.check_writable()?;
        let store = self.store()?;
        let before = records.len();
        let records: Vec<(Record, Vec<u8>)> = {
            let inner = self.inner();
            let directory = inner.directory.borrow();
            records
                .into_iter()
                .filter(|(r, _)| directory.get(r.id()).is_none())
                .collect()
        };
        let kept = before - records.len();
        let total = records.len();
        let mut done = 0;
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let clock = StepClock::start();
            let mut writes = Vec::new();
            for (record, bytes) in records.by_ref() {
                writes.push(RecordWrite {
                    id: record.id().to_string(),
                    kind: record.kind().as_str().into(),
                    append: Append::Merge(bytes.clone()),
                    summary: Summary::of(&record).encode(),
                    outbox: Some(bytes),
                });
                if writes.len() >= WRITE_CHUNK || clock.due() {
                    break;
                }
            }
            done += writes.len();
            self.persist_chunk(&store, writes, total).await?;
            progress(done);
            next_tick().await;
        }
        self.inner().directory.borrow_mut().resolve_companies();
        self.revision.update(|r| *r += 1);
        Ok((done, kept))
    }

    /// A value kept in this workspace's database (the import history).
    pub async fn meta_get(self, key: &str) -> Result<Option<String>, ActionError> {
        Ok(self.store()?.meta_get(key).await?)
    }

    pub async fn meta_set(self, key: &str, value: &str) -> Result<(), ActionError> {
        Ok(self.store()?.meta_set(key, value).await?)
    }
}
