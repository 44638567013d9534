//! The browser's durable store: IndexedDB holding each record's Automerge bytes, its summary
//! and the outbox of local changes not yet acknowledged by a relay.
//!
//! The store keeps bytes only; the record layer encodes and decodes them. Writes that belong
//! together (record, summary, outbox entry) go in one transaction and return only once it has
//! completed, so "saved" is never said for half a write.

mod codec;
mod error;
mod read;
mod schema;

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use indexed_db_futures::KeyRange;
use indexed_db_futures::database::Database;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use codec::{Fields, key_text};
pub use error::StoreError;
use schema::{KIND_INDEX, META, OUTBOX, RECORDS, SUMMARIES};
pub use schema::{MIGRATIONS, Migration, Upgrade};

/// More change chunks than this and a record should be compacted into a snapshot.
pub const COMPACT_AFTER_CHANGES: usize = 32;

/// A record's stored bytes: a compacted Automerge snapshot plus the change chunks appended since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBytes {
    pub id: String,
    pub kind: String,
    pub snapshot: Vec<u8>,
    pub changes: Vec<Vec<u8>>,
}

impl RecordBytes {
    /// (change chunks, snapshot bytes): what [`Append::Compact`] checks is unchanged.
    pub fn shape(&self) -> (usize, usize) {
        (self.changes.len(), self.snapshot.len())
    }
}

/// A record's encoded summary: what lists and search need without loading the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryBytes {
    pub id: String,
    pub kind: String,
    pub bytes: Vec<u8>,
}

/// Local change bytes not yet acknowledged by a relay; `seq` orders local edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: u64,
    pub record_id: String,
    pub bytes: Vec<u8>,
}

/// How a write changes the record's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Append {
    /// Append one incremental change chunk.
    Changes(Vec<u8>),
    /// Replace the snapshot and drop the chunks (compaction, or a new record).
    Snapshot(Vec<u8>),
    /// Bytes from elsewhere (the relay): the snapshot of a record not stored yet, else one more
    /// chunk after what is stored. Decided inside the transaction, so it never replaces
    /// anything written meanwhile (a local edit, another tab).
    Merge(Vec<u8>),
    /// Bytes from the relay for a record whose stored chunks should be compacted: replaces
    /// what is stored with `snapshot` only if it is still exactly what was read (`seen`, see
    /// [`RecordBytes::shape`]), else appends `chunk` like [`Append::Merge`]. So a compaction
    /// never drops a chunk written since the read (a local edit, another tab).
    Compact {
        snapshot: Vec<u8>,
        chunk: Vec<u8>,
        seen: (usize, usize),
    },
    /// The snapshot of a record believed new: nothing is read first, and if the record exists
    /// after all the whole transaction fails (`ConstraintError`, see
    /// [`StoreError::is_already_stored`]) rather than replace it.
    Create(Vec<u8>),
}

/// Meta key of the relay cursor: the last workspace sequence number whose changes are stored.
pub const CURSOR_KEY: &str = "relay.cursor";
/// Meta keys `erased.<id>`: records erased for good (their bytes are gone; anything that
/// still arrives for them is dropped).
const ERASED_PREFIX: &str = "erased.";
/// Meta keys `erase-pending.<id>`: erased here, the relay not told yet.
const ERASE_PENDING_PREFIX: &str = "erase-pending.";

/// One local edit: the record's bytes, its new summary and, unless the edit need not be sent,
/// the change bytes for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWrite {
    pub id: String,
    pub kind: String,
    pub append: Append,
    pub summary: Vec<u8>,
    pub outbox: Option<Vec<u8>>,
}

/// Entries read back, and those skipped because they are not what this version writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded<T> {
    pub items: Vec<T>,
    pub skipped: Vec<SkippedEntry>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// A page of [`Store::summaries_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryPage {
    pub loaded: Loaded<SummaryBytes>,
    /// The last key of this page, or `None` if the page was empty.
    pub last_key: Option<String>,
}

/// A page of [`Store::records_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPage {
    pub loaded: Loaded<RecordBytes>,
    /// The last key of this page, or `None` if the page was empty.
    pub last_key: Option<String>,
}

/// A page of [`Store::outbox_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxPage {
    pub loaded: Loaded<OutboxEntry>,
    /// The last sequence number of this page (read or skipped), `None` if it was empty.
    pub last_seq: Option<u64>,
}

/// An entry left untouched in the database because it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub store: &'static str,
    pub key: String,
    pub reason: String,
}

/// An open connection to one Kith database. Dropping it closes the connection.
pub struct Store {
    db: Database,
    fields: Fields,
    /// Set when another tab's upgrade or deletion made this connection close.
    closed: Rc<Cell<bool>>,
    _on_version_change: Closure<dyn FnMut()>,
}

impl Store {
    /// Opens (creating or upgrading) the database `name` with the app's schema.
    pub async fn open(name: &str) -> Result<Store, StoreError> {
        Self::open_with(name, MIGRATIONS).await
    }

    /// Opens `name` with an explicit list of migrations (tests and schema work).
    #[doc(hidden)]
    pub async fn open_with(
        name: &str,
        migrations: &'static [Migration],
    ) -> Result<Store, StoreError> {
        let db = schema::open(name, migrations).await?;
        let closed = Rc::new(Cell::new(false));
        // Another tab wants to upgrade or delete: step aside rather than block it.
        let on_version_change = Closure::<dyn FnMut()>::new({
            let sys = db.as_sys().clone();
            let closed = closed.clone();
            move || {
                closed.set(true);
                sys.close();
            }
        });
        db.as_sys()
            .set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        Ok(Store {
            db,
            fields: Fields::new(),
            closed,
            _on_version_change: on_version_change,
        })
    }

    /// Deletes the database `name` (tests, and erasing a workspace from this browser).
    pub async fn delete_database(name: &str) -> Result<(), StoreError> {
        schema::delete(name).await
    }

    /// True when the record should be rewritten as one snapshot ([`Append::Snapshot`]).
    pub fn needs_compaction(record: &RecordBytes) -> bool {
        let change_bytes: usize = record.changes.iter().map(Vec::len).sum();
        record.changes.len() > COMPACT_AFTER_CHANGES || change_bytes > record.snapshot.len()
    }

    /// Writes the record, its summary and its outbox entry atomically; returns once durable.
    pub async fn write(&self, write: RecordWrite) -> Result<(), StoreError> {
        self.write_many(vec![write]).await
    }

    /// Writes many records in one transaction (imports, bootstrap): all or none.
    pub async fn write_many(&self, writes: Vec<RecordWrite>) -> Result<(), StoreError> {
        self.write_batch(&writes, None, false).await
    }

    /// Writes what a relay batch brought (records and summaries, usually [`Append::Merge`])
    /// and moves the relay cursor to `cursor`, all in one transaction: a failure leaves both
    /// the records and the cursor as they were, so the batch is simply received again. The
    /// cursor never moves back (another tab may have stored a later one).
    pub async fn write_remote(
        &self,
        writes: &[RecordWrite],
        cursor: Option<u64>,
    ) -> Result<(), StoreError> {
        self.write_batch(writes, cursor, true).await
    }

    /// The relay cursor: 0 when nothing was ever received from a relay.
    pub async fn cursor(&self) -> Result<u64, StoreError> {
        match self.meta_get(CURSOR_KEY).await? {
            None => Ok(0),
            Some(text) => text.parse().map_err(|_| StoreError::Corrupt {
                store: META,
                key: CURSOR_KEY.to_owned(),
                reason: format!("{text:?} is not a sequence number"),
            }),
        }
    }

    async fn write_batch(
        &self,
        writes: &[RecordWrite],
        cursor: Option<u64>,
        remote: bool,
    ) -> Result<(), StoreError> {
        let stores: &[&str] = if cursor.is_some() {
            &[RECORDS, SUMMARIES, OUTBOX, META]
        } else {
            &[RECORDS, SUMMARIES, OUTBOX]
        };
        // What came from the relay is written "relaxed" (not waiting for the disk flush): a
        // crash can only lose the latest transactions, such a batch together with its cursor
        // (or a new device's snapshots, with the cursor still 0), and the relay then sends it
        // again. Local edits (with outbox entries) always wait for the flush.
        let durability = if remote && writes.iter().all(|w| w.outbox.is_none()) {
            TransactionDurability::Relaxed
        } else {
            TransactionDurability::Strict
        };
        let tx = self.write_tx_with(stores, durability)?;
        let records = tx.object_store(RECORDS)?;
        let summaries = tx.object_store(SUMMARIES)?;
        let outbox = tx.object_store(OUTBOX)?;
        let f = &self.fields;
        let sys = tx_sys(&tx);
        let issued: Result<(), StoreError> = async {
            // Every read goes out before the first is awaited: one round trip per batch, not
            // one per record. A record written twice in the batch appends to what this batch
            // wrote for it, not to the value read before.
            let mut reads = Vec::with_capacity(writes.len());
            for w in writes {
                reads.push(match w.append {
                    Append::Snapshot(_) | Append::Create(_) => None,
                    Append::Changes(_) | Append::Merge(_) | Append::Compact { .. } => {
                        Some(records.get::<JsValue, _, _>(w.id.as_str()).primitive()?)
                    }
                });
            }
            let mut written: HashMap<&str, JsValue> = HashMap::new();
            for (w, read) in writes.iter().zip(reads) {
                let value: JsValue = match &w.append {
                    Append::Snapshot(snapshot) => f.record(&w.kind, snapshot, &[]).into(),
                    Append::Create(snapshot) if !written.contains_key(w.id.as_str()) => {
                        let value: JsValue = f.record(&w.kind, snapshot, &[]).into();
                        drop(
                            records
                                .add(value.clone())
                                .with_key(w.id.as_str())
                                .primitive()?,
                        );
                        written.insert(w.id.as_str(), value);
                        let summary: JsValue = f.summary(&w.kind, &w.summary).into();
                        drop(summaries.put(summary).with_key(w.id.as_str()).primitive()?);
                        continue;
                    }
                    Append::Create(_) => {
                        return Err(StoreError::Other(format!(
                            "ConstraintError: record {} created twice in one batch",
                            w.id
                        )));
                    }
                    Append::Changes(chunk)
                    | Append::Merge(chunk)
                    | Append::Compact { chunk, .. } => {
                        let fetched: Option<JsValue> = match read {
                            Some(read) => read.await?,
                            None => None,
                        };
                        let stored = written.get(w.id.as_str()).cloned().or(fetched);
                        // A compaction only replaces exactly what was read.
                        let compacted = match (&w.append, &stored) {
                            (Append::Compact { snapshot, seen, .. }, Some(stored))
                                if f.record_shape(stored).is_ok_and(|shape| shape == *seen) =>
                            {
                                Some(snapshot)
                            }
                            _ => None,
                        };
                        match stored {
                            _ if compacted.is_some() => f
                                .record(&w.kind, compacted.map_or(&[][..], Vec::as_slice), &[])
                                .into(),
                            None if !matches!(w.append, Append::Changes(_)) => {
                                f.record(&w.kind, chunk, &[]).into()
                            }
                            None => f.record(&w.kind, &[], std::slice::from_ref(chunk)).into(),
                            Some(stored) => {
                                // Never overwrite what cannot be read: abort instead.
                                f.append_change(&stored, &w.kind, chunk).map_err(|reason| {
                                    StoreError::Corrupt {
                                        store: RECORDS,
                                        key: w.id.clone(),
                                        reason,
                                    }
                                })?;
                                stored
                            }
                        }
                    }
                };
                written.insert(w.id.as_str(), value.clone());
                // Requests go out when built; their failures surface in the commit.
                drop(records.put(value).with_key(w.id.as_str()).primitive()?);
                let summary: JsValue = f.summary(&w.kind, &w.summary).into();
                drop(summaries.put(summary).with_key(w.id.as_str()).primitive()?);
                if let Some(bytes) = &w.outbox {
                    let entry: JsValue = f.outbox(&w.id, bytes).into();
                    drop(outbox.add(entry).primitive()?);
                }
            }
            if let Some(cursor) = cursor {
                let meta = tx.object_store(META)?;
                let stored: Option<JsValue> = meta.get(CURSOR_KEY).primitive()?.await?;
                let stored = stored
                    .and_then(|v| v.as_string())
                    .and_then(|t| t.parse::<u64>().ok());
                if stored.is_none_or(|s| s < cursor) {
                    drop(
                        meta.put(cursor.to_string().as_str())
                            .with_key(CURSOR_KEY)
                            .primitive()?,
                    );
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = issued {
            return Err(self.failure(&sys, e));
        }
        self.commit(tx).await
    }

    /// Removes a record and its summary for good (privacy erase), with an optional outbox
    /// entry, in one transaction.
    pub async fn delete_record(&self, id: &str, outbox: Option<Vec<u8>>) -> Result<(), StoreError> {
        let tx = self.write_tx(&[RECORDS, SUMMARIES, OUTBOX])?;
        drop(tx.object_store(RECORDS)?.delete(id).primitive()?);
        drop(tx.object_store(SUMMARIES)?.delete(id).primitive()?);
        if let Some(bytes) = outbox {
            let entry: JsValue = self.fields.outbox(id, &bytes).into();
            drop(tx.object_store(OUTBOX)?.add(entry).primitive()?);
        }
        self.commit(tx).await
    }

    /// Deletes every byte this device holds of the erased records `ids` (record, summary,
    /// unsent changes) and remembers them as erased, in one transaction; with `cursor`, moves
    /// the relay cursor too (never back). `pending` also records that the relay has still to
    /// be asked to erase them (the erasure was made here).
    pub async fn erase_records(
        &self,
        ids: &[String],
        cursor: Option<u64>,
        pending: bool,
    ) -> Result<(), StoreError> {
        let unsent: Vec<u64> = self
            .outbox()
            .await?
            .items
            .into_iter()
            .filter(|e| ids.contains(&e.record_id))
            .map(|e| e.seq)
            .collect();
        let tx = self.write_tx(&[RECORDS, SUMMARIES, OUTBOX, META])?;
        let sys = tx_sys(&tx);
        let issued: Result<(), StoreError> = async {
            let (records, summaries) = (tx.object_store(RECORDS)?, tx.object_store(SUMMARIES)?);
            let (outbox, meta) = (tx.object_store(OUTBOX)?, tx.object_store(META)?);
            for id in ids {
                drop(records.delete(id.as_str()).primitive()?);
                drop(summaries.delete(id.as_str()).primitive()?);
                drop(
                    meta.put("1")
                        .with_key(format!("{ERASED_PREFIX}{id}"))
                        .primitive()?,
                );
                if pending {
                    drop(
                        meta.put(id.as_str())
                            .with_key(format!("{ERASE_PENDING_PREFIX}{id}"))
                            .primitive()?,
                    );
                }
            }
            for seq in &unsent {
                drop(outbox.delete(*seq as f64).primitive()?);
            }
            if let Some(cursor) = cursor {
                let stored: Option<JsValue> = meta.get(CURSOR_KEY).primitive()?.await?;
                let stored = stored
                    .and_then(|v| v.as_string())
                    .and_then(|t| t.parse::<u64>().ok());
                if stored.is_none_or(|s| s < cursor) {
                    drop(
                        meta.put(cursor.to_string().as_str())
                            .with_key(CURSOR_KEY)
                            .primitive()?,
                    );
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = issued {
            return Err(self.failure(&sys, e));
        }
        self.commit(tx).await
    }

    /// Records erased on this device, and those whose erasure the relay has still to hear of.
    pub async fn erasures(&self) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let tx = self.read_tx(&[META])?;
        let keys: Vec<JsValue> = tx
            .object_store(META)?
            .get_all_keys::<JsValue>()
            .primitive()?
            .await?
            .collect::<Result<Vec<JsValue>, _>>()?;
        let mut erased = Vec::new();
        let mut pending = Vec::new();
        for key in keys.iter().filter_map(JsValue::as_string) {
            if let Some(id) = key.strip_prefix(ERASED_PREFIX) {
                erased.push(id.to_owned());
            } else if let Some(id) = key.strip_prefix(ERASE_PENDING_PREFIX) {
                pending.push(id.to_owned());
            }
        }
        Ok((erased, pending))
    }

    /// The relay has erased `id` too.
    pub async fn erasure_sent(&self, id: &str) -> Result<(), StoreError> {
        self.meta_delete(&format!("{ERASE_PENDING_PREFIX}{id}"))
            .await
    }

    /// The record's bytes, `None` if there is no such record.
    pub async fn record(&self, id: &str) -> Result<Option<RecordBytes>, StoreError> {
        let tx = self.read_tx(&[RECORDS])?;
        let stored: Option<JsValue> = tx.object_store(RECORDS)?.get(id).primitive()?.await?;
        stored
            .map(|value| {
                self.fields
                    .decode_record(id.to_owned(), &value)
                    .map_err(|reason| StoreError::Corrupt {
                        store: RECORDS,
                        key: id.to_owned(),
                        reason,
                    })
            })
            .transpose()
    }

    /// Several records read in one transaction, in the order of `ids`: each one's bytes,
    /// `Ok(None)` if it is not stored, or why its stored value cannot be read.
    pub async fn records(
        &self,
        ids: &[&str],
    ) -> Result<Vec<Result<Option<RecordBytes>, String>>, StoreError> {
        let tx = self.read_tx(&[RECORDS])?;
        let store = tx.object_store(RECORDS)?;
        // Every request goes out before the first is awaited: one round of the event loop.
        let mut requests = Vec::with_capacity(ids.len());
        for id in ids {
            requests.push(store.get::<JsValue, _, _>(*id).primitive()?);
        }
        let mut out = Vec::with_capacity(ids.len());
        for (id, request) in ids.iter().zip(requests) {
            let stored: Option<JsValue> = request.await?;
            out.push(
                stored
                    .map(|value| self.fields.decode_record((*id).to_owned(), &value))
                    .transpose(),
            );
        }
        Ok(out)
    }

    /// One page of records in id order (up to `limit` after id `after`), for uploading a whole
    /// workspace; `last_key` is where the next page starts, `None` at the end.
    pub async fn records_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<RecordPage, StoreError> {
        let tx = self.read_tx(&[RECORDS])?;
        let store = tx.object_store(RECORDS)?;
        let pairs = read::page_pairs(&store, after, limit).await?;
        let last_key = pairs.last().and_then(|(k, _)| k.as_string());
        let loaded = decode_all(RECORDS, pairs, |key, value| match key.as_string() {
            Some(id) => self.fields.decode_record(id, value),
            None => Err("the key is not a string".to_owned()),
        });
        Ok(RecordPage { loaded, last_key })
    }

    /// Every summary, in id order; unreadable ones are reported, not returned (nor deleted).
    pub async fn summaries(&self) -> Result<Loaded<SummaryBytes>, StoreError> {
        let tx = self.read_tx(&[SUMMARIES])?;
        let store = tx.object_store(SUMMARIES)?;
        let pairs = read::all_pairs(&store, None).await?;
        Ok(self.decode_summaries(pairs))
    }

    /// One page of summaries in id order: up to `limit` entries after id `after`. The page's
    /// `last_key` (of a read or a skipped entry) is where the next page starts; `None` when
    /// there is nothing more.
    pub async fn summaries_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<SummaryPage, StoreError> {
        let tx = self.read_tx(&[SUMMARIES])?;
        let store = tx.object_store(SUMMARIES)?;
        let pairs = read::page_pairs(&store, after, limit).await?;
        let last_key = pairs.last().and_then(|(k, _)| k.as_string());
        Ok(SummaryPage {
            loaded: self.decode_summaries(pairs),
            last_key,
        })
    }

    /// The summaries of one kind (through the `kind` index), in id order.
    pub async fn summaries_of_kind(&self, kind: &str) -> Result<Loaded<SummaryBytes>, StoreError> {
        let tx = self.read_tx(&[SUMMARIES])?;
        let store = tx.object_store(SUMMARIES)?;
        let pairs = read::all_pairs(&store.index(KIND_INDEX)?, Some(kind)).await?;
        Ok(self.decode_summaries(pairs))
    }

    fn decode_summaries(&self, pairs: Vec<(JsValue, JsValue)>) -> Loaded<SummaryBytes> {
        let mut kinds = codec::Kinds::default();
        decode_all(SUMMARIES, pairs, |key, value| match key.as_string() {
            Some(id) => self.fields.decode_summary(id, value, &mut kinds),
            None => Err("the key is not a string".to_owned()),
        })
    }

    /// The outbox in the order of the local edits.
    pub async fn outbox(&self) -> Result<Loaded<OutboxEntry>, StoreError> {
        let tx = self.read_tx(&[OUTBOX])?;
        let pairs = read::all_pairs(&tx.object_store(OUTBOX)?, None).await?;
        Ok(decode_all(OUTBOX, pairs, |key, value| match key.as_f64() {
            // Key generator values are integers in 1..=2^53.
            Some(n) if n >= 1.0 && n.fract() == 0.0 => self.fields.decode_outbox(n as u64, value),
            _ => Err("the key is not a sequence number".to_owned()),
        }))
    }

    /// Up to `limit` outbox entries with `seq > after_seq`, in edit order. An unreadable entry
    /// is reported in `skipped` (and stays stored); the page ends at `last_seq`.
    pub async fn outbox_page(&self, after_seq: u64, limit: u32) -> Result<OutboxPage, StoreError> {
        let tx = self.read_tx(&[OUTBOX])?;
        let store = tx.object_store(OUTBOX)?;
        let pairs = read::page_pairs_after_number(&store, after_seq as f64, limit).await?;
        let last_seq = pairs.last().and_then(|(k, _)| k.as_f64()).map(|n| n as u64);
        let loaded = decode_all(OUTBOX, pairs, |key, value| match key.as_f64() {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => self.fields.decode_outbox(n as u64, value),
            _ => Err("the key is not a sequence number".to_owned()),
        });
        Ok(OutboxPage { loaded, last_seq })
    }

    /// How many entries the outbox holds (local changes the relay has not acknowledged).
    pub async fn outbox_count(&self) -> Result<u32, StoreError> {
        let tx = self.read_tx(&[OUTBOX])?;
        let count = tx.object_store(OUTBOX)?.count().primitive()?.await?;
        Ok(count)
    }

    /// The highest outbox sequence number in use, 0 if the outbox is empty.
    pub async fn outbox_last_seq(&self) -> Result<u64, StoreError> {
        let tx = self.read_tx(&[OUTBOX])?;
        let store = tx.object_store(OUTBOX)?;
        let keys = store
            .get_all_keys::<JsValue>()
            .primitive()?
            .await?
            .collect::<Result<Vec<JsValue>, _>>()?;
        Ok(keys.iter().filter_map(JsValue::as_f64).fold(0.0, f64::max) as u64)
    }

    /// Removes exactly the outbox entries `seqs` (the relay acknowledged them as durable), in
    /// one transaction. Entries not listed, readable or not, stay.
    pub async fn ack_outbox_entries(&self, seqs: &[u64]) -> Result<(), StoreError> {
        if seqs.is_empty() {
            return Ok(());
        }
        let tx = self.write_tx(&[OUTBOX])?;
        let store = tx.object_store(OUTBOX)?;
        for seq in seqs {
            drop(store.delete(*seq as f64).primitive()?);
        }
        self.commit(tx).await
    }

    /// Removes the outbox entries with `seq <= up_to_seq` (the relay has them durably).
    pub async fn ack_outbox(&self, up_to_seq: u64) -> Result<(), StoreError> {
        let tx = self.write_tx(&[OUTBOX])?;
        // Explicit bound: the crate maps `..=x` to an *open* upper bound (x excluded).
        let range: KeyRange<f64> = KeyRange::UpperBound(up_to_seq as f64, false);
        drop(
            tx.object_store(OUTBOX)?
                .delete::<f64, _>(range)
                .primitive()?,
        );
        self.commit(tx).await
    }

    /// A small string value (JSON if structured): device id, relay cursor…
    pub async fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let tx = self.read_tx(&[META])?;
        let stored: Option<JsValue> = tx.object_store(META)?.get(key).primitive()?.await?;
        stored
            .map(|value| {
                value.as_string().ok_or_else(|| StoreError::Corrupt {
                    store: META,
                    key: key.to_owned(),
                    reason: format!("the value is {}, not a string", codec::describe(&value)),
                })
            })
            .transpose()
    }

    /// Sets a small string value, durably.
    pub async fn meta_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let tx = self.write_tx(&[META])?;
        drop(
            tx.object_store(META)?
                .put(value)
                .with_key(key)
                .primitive()?,
        );
        self.commit(tx).await
    }

    /// Removes a small value, durably.
    pub async fn meta_delete(&self, key: &str) -> Result<(), StoreError> {
        let tx = self.write_tx(&[META])?;
        drop(tx.object_store(META)?.delete(key).primitive()?);
        self.commit(tx).await
    }

    /// Closes the connection (dropping the store does the same).
    pub fn close(self) {}

    fn read_tx(&self, stores: &[&str]) -> Result<Transaction<'_>, StoreError> {
        self.check_open()?;
        Ok(self.db.transaction(stores).build()?)
    }

    /// Read-write with "strict" durability: `complete` then means flushed to disk, not just
    /// handed to the OS (recent Chromium defaults to "relaxed").
    fn write_tx(&self, stores: &[&str]) -> Result<Transaction<'_>, StoreError> {
        self.write_tx_with(stores, TransactionDurability::Strict)
    }

    fn write_tx_with(
        &self,
        stores: &[&str],
        durability: TransactionDurability,
    ) -> Result<Transaction<'_>, StoreError> {
        self.check_open()?;
        Ok(self
            .db
            .transaction(stores)
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(durability))
            .build()?)
    }

    /// Commits and waits for `complete`.
    async fn commit(&self, tx: Transaction<'_>) -> Result<(), StoreError> {
        let sys = tx_sys(&tx);
        tx.commit().await.map_err(|e| self.failure(&sys, e.into()))
    }

    /// Why a transaction failed: its own error (the failed request's, or the quota's) says it
    /// better than the symptom seen later ("aborted", or a later request's `AbortError`).
    fn failure(&self, tx: &web_sys::IdbTransaction, seen: StoreError) -> StoreError {
        match self.check_open() {
            Err(closed) => closed,
            Ok(()) => tx.error().map_or(seen, StoreError::from),
        }
    }

    fn check_open(&self) -> Result<(), StoreError> {
        if self.closed.get() {
            Err(StoreError::Closed)
        } else {
            Ok(())
        }
    }
}

fn tx_sys(tx: &Transaction<'_>) -> web_sys::IdbTransaction {
    tx.as_sys().clone().unchecked_into()
}

/// Decodes every pair, setting aside (with the reason) those that are not readable.
fn decode_all<T>(
    store: &'static str,
    pairs: Vec<(JsValue, JsValue)>,
    mut decode: impl FnMut(&JsValue, &JsValue) -> Result<T, String>,
) -> Loaded<T> {
    let mut loaded = Loaded {
        items: Vec::with_capacity(pairs.len()),
        skipped: Vec::new(),
    };
    for (key, value) in &pairs {
        match decode(key, value) {
            Ok(item) => loaded.items.push(item),
            Err(reason) => loaded.skipped.push(SkippedEntry {
                store,
                key: key_text(key),
                reason,
            }),
        }
    }
    loaded
}

impl Drop for Store {
    fn drop(&mut self) {
        let sys = self.db.as_sys();
        sys.set_onversionchange(None);
        sys.close();
        // `_on_version_change` is freed after this body, once detached.
    }
}
