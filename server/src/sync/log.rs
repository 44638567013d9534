//! The per-workspace change log and per-record snapshots in the database: appending a push,
//! reading after a cursor, and the record-by-record pages a new device starts from.
//!
//! Sequence numbers are given inside the transaction that first updates the workspace's row
//! (`UPDATE workspaces … RETURNING head`): that row lock serialises writers of one workspace on
//! both back ends, so seq N+1 is never committed before seq N and a reader never sees a gap
//! that fills later.

use std::collections::{HashMap, HashSet};

use kith_core::changes::CheckedChange;
use kith_core::protocol::{MAX_RECORD_BYTES, Refusal};

use crate::{Db, Dialect, Error, now_ms};

/// PostgreSQL channel carrying "`workspace` `head`" after every commit that grew a log.
pub const LOG_CHANNEL: &str = "kith_log";
/// PostgreSQL channel asking every relay to re-check its connections' access.
pub const ACCESS_CHANNEL: &str = "kith_access";

/// One change as stored.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub seq: u64,
    pub record: String,
    /// Empty for the mark an erasure leaves (an Automerge change is never empty).
    pub bytes: Vec<u8>,
}

impl LogRow {
    /// This row says the record was erased.
    pub fn is_erasure(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// The hash column of an erasure mark: one per erased record (the log's hash uniqueness
/// makes erasing twice a no-op), never a hex Automerge hash.
fn erasure_hash(record: &str) -> String {
    format!("erased:{record}")
}

/// SQL condition excluding erasure marks from reads that want changes only.
const NOT_ERASURE: &str = "hash NOT LIKE 'erased:%'";

/// A record's compacted document, holding every change of the record with seq <= `seq`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub record: String,
    pub seq: u64,
    pub bytes: Vec<u8>,
}

/// What a push added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The log's head after the push.
    pub head: u64,
    /// Sequence numbers given to changes the log did not hold yet, with their records.
    pub added: Vec<(u64, String)>,
}

fn seq(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Sequence numbers are BIGINT: a cursor past `i64::MAX` reads as "beyond anything stored".
pub fn bound(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The workspace's head, or `None` when there is no such workspace.
pub async fn head(db: &Db, workspace: &str) -> Result<Option<u64>, Error> {
    let head: Option<i64> = sqlx::query_scalar("SELECT head FROM workspaces WHERE id = $1")
        .bind(workspace)
        .fetch_optional(db.pool())
        .await?;
    Ok(head.map(seq))
}

/// Heads of several workspaces (the ones that still exist).
pub async fn heads(db: &Db, workspaces: &[String]) -> Result<Vec<(String, u64)>, Error> {
    let mut out = Vec::with_capacity(workspaces.len());
    for workspace in workspaces {
        if let Some(head) = head(db, workspace).await? {
            out.push((workspace.clone(), head));
        }
    }
    Ok(out)
}

/// Who pushes and what they may store.
#[derive(Debug, Clone, Copy)]
pub struct Pusher<'a> {
    pub user: &'a str,
    /// Owners and admins may push changes written by others (restoring or uploading a
    /// workspace's history); members may push only their own.
    pub may_relay_others: bool,
    /// Most bytes the workspace may store.
    pub workspace_quota: u64,
}

/// What became of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Appended(Appended),
    /// Nothing was stored: why, for the pusher.
    Refused(Refusal, String),
    /// There is no such workspace.
    NoWorkspace,
}

/// Stores `changes` (record id, checked change) in one transaction, skipping changes already
/// in the log (same hash), or refuses them all: a change in someone else's name (its Author
/// or its actor belongs to another user), a record past [`MAX_RECORD_BYTES`], or the
/// workspace past its quota. Durable when
/// this returns `Appended`.
pub async fn append(
    db: &Db,
    workspace: &str,
    pusher: Pusher<'_>,
    changes: &[(String, CheckedChange)],
) -> Result<Outcome, Error> {
    watched(db, append_in(db, workspace, pusher, changes)).await
}

/// Runs a write unless the database is known to be damaged; its errors are shown to the
/// integrity watch.
async fn watched<T>(
    db: &Db,
    write: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    if let Some(why) = db.damaged() {
        return Err(Error::Damaged(why));
    }
    let result = write.await;
    if let Err(e) = &result {
        db.noticed(e);
    }
    result
}

async fn append_in(
    db: &Db,
    workspace: &str,
    pusher: Pusher<'_>,
    changes: &[(String, CheckedChange)],
) -> Result<Outcome, Error> {
    let mut tx = db.pool().begin().await?;
    // The first statement is a write: the workspace row's lock (and SQLite's write lock).
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE workspaces SET head = head WHERE id = $1 RETURNING head, stored_bytes",
    )
    .bind(workspace)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((mut head, stored)) = row else {
        tx.rollback().await?;
        return Ok(Outcome::NoWorkspace);
    };
    let refuse = |reason, message: String| Ok(Outcome::Refused(reason, message));
    let hashes: Vec<String> = changes
        .iter()
        .map(|(_, c)| crate::tokens::hex(&c.change.hash))
        .collect();
    let records: HashSet<&str> = changes.iter().map(|(r, _)| r.as_str()).collect();
    let actors: HashSet<&str> = changes.iter().map(|(_, c)| c.actor.as_str()).collect();
    // What the log already holds, in three reads for the whole push: changes and erasure
    // marks by hash, record sizes, and whose each actor is.
    let marks: Vec<String> = records.iter().map(|r| erasure_hash(r)).collect();
    let mut known: HashSet<String> = select_in::<i64>(
        &mut tx,
        "SELECT hash, seq FROM changes WHERE workspace_id = $1 AND hash IN",
        workspace,
        hashes.iter().chain(&marks).map(String::as_str),
    )
    .await?
    .into_iter()
    .map(|(hash, _)| hash)
    .collect();
    let mut sizes: HashMap<String, i64> = select_in(
        &mut tx,
        "SELECT record_id, stored_bytes FROM record_sizes WHERE workspace_id = $1 AND record_id IN",
        workspace,
        records.iter().copied(),
    )
    .await?
    .into_iter()
    .collect();
    let mut owners: HashMap<String, String> = select_in(
        &mut tx,
        "SELECT actor, user_id FROM actors WHERE workspace_id = $1 AND actor IN",
        workspace,
        actors.iter().copied(),
    )
    .await?
    .into_iter()
    .collect();
    let mut new_actors: Vec<(&str, String)> = Vec::new();
    let mut rows: Vec<(i64, &str, &str, &[u8])> = Vec::new();
    let mut added = Vec::new();
    let mut grown: i64 = 0;
    for (i, ((record, checked), hash)) in changes.iter().zip(&hashes).enumerate() {
        // An erased record stays erased: what still arrives for it is dropped (and acked,
        // so the device's outbox empties). A change the log holds is acked as it is.
        if known.contains(&erasure_hash(record)) || !known.insert(hash.clone()) {
            continue;
        }
        // Whose actor this is: known from an earlier change, else its Author, else the pusher.
        let actor = checked.actor.as_str();
        let owner = match owners.get(actor) {
            Some(owner) => owner.clone(),
            None => {
                let owner = checked.author.clone().unwrap_or_else(|| pusher.user.into());
                owners.insert(actor.to_string(), owner.clone());
                new_actors.push((actor, owner.clone()));
                owner
            }
        };
        if checked.author.as_deref().is_some_and(|a| a != owner) {
            return refuse(
                Refusal::Invalid,
                format!("change {i} names another author than the one its actor writes for"),
            );
        }
        if owner != pusher.user && !pusher.may_relay_others {
            return refuse(
                Refusal::Invalid,
                format!(
                    "change {i} is written in someone else's name; a member may push only \
                     their own changes"
                ),
            );
        }
        let bytes = i64::try_from(checked.change.bytes.len()).unwrap_or(i64::MAX);
        let size = sizes.entry(record.clone()).or_insert(0);
        *size = size.saturating_add(bytes);
        if u64::try_from(*size).unwrap_or(u64::MAX) > MAX_RECORD_BYTES {
            return refuse(
                Refusal::TooLarge,
                format!(
                    "record {record} would hold more than {} MiB of changes; split what it holds \
                     into other records",
                    MAX_RECORD_BYTES / (1024 * 1024)
                ),
            );
        }
        grown = grown.saturating_add(bytes);
        if u64::try_from(stored.saturating_add(grown)).unwrap_or(u64::MAX) > pusher.workspace_quota
        {
            return refuse(
                Refusal::Full,
                format!(
                    "the workspace is full: it may store {} on this relay; ask the relay's \
                     operator for more room",
                    human_bytes(pusher.workspace_quota)
                ),
            );
        }
        head += 1;
        rows.push((head, record, hash, &checked.change.bytes));
        added.push((seq(head), record.clone()));
    }
    if !added.is_empty() {
        let received_at = now_ms();
        for chunk in rows.chunks(INSERT_ROWS) {
            let sql = values_sql(
                "INSERT INTO changes (workspace_id, seq, record_id, hash, user_id, bytes, \
                 received_at) VALUES",
                chunk.len(),
                7,
            );
            let mut query = sqlx::query(&sql);
            for (seq, record, hash, bytes) in chunk {
                query = query
                    .bind(workspace)
                    .bind(*seq)
                    .bind(*record)
                    .bind(*hash)
                    .bind(pusher.user)
                    .bind(*bytes)
                    .bind(received_at);
            }
            query.execute(&mut *tx).await?;
        }
        for chunk in new_actors.chunks(INSERT_ROWS) {
            let sql = format!(
                "{} ON CONFLICT (workspace_id, actor) DO NOTHING",
                values_sql(
                    "INSERT INTO actors (workspace_id, actor, user_id) VALUES",
                    chunk.len(),
                    3
                )
            );
            let mut query = sqlx::query(&sql);
            for (actor, owner) in chunk {
                query = query.bind(workspace).bind(*actor).bind(owner);
            }
            query.execute(&mut *tx).await?;
        }
        let grew: HashSet<&str> = added.iter().map(|(_, r)| r.as_str()).collect();
        let touched: Vec<(&String, &i64)> = sizes
            .iter()
            .filter(|(record, _)| grew.contains(record.as_str()))
            .collect();
        for chunk in touched.chunks(INSERT_ROWS) {
            let sql = format!(
                "{} ON CONFLICT (workspace_id, record_id) DO UPDATE SET stored_bytes = \
                 excluded.stored_bytes",
                values_sql(
                    "INSERT INTO record_sizes (workspace_id, record_id, stored_bytes) VALUES",
                    chunk.len(),
                    3
                )
            );
            let mut query = sqlx::query(&sql);
            for (record, size) in chunk {
                query = query.bind(workspace).bind(*record).bind(**size);
            }
            query.execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE workspaces SET head = $2, stored_bytes = stored_bytes + $3 WHERE id = $1",
        )
        .bind(workspace)
        .bind(head)
        .bind(grown)
        .execute(&mut *tx)
        .await?;
        if db.dialect() == Dialect::Postgres {
            // Delivered to every relay's listener when (and only if) this commits.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(LOG_CHANNEL)
                .bind(format!("{workspace} {head}"))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(Outcome::Appended(Appended {
        head: seq(head),
        added,
    }))
}

/// `2.5 KB`, `1 GB`: a size for people.
fn human_bytes(bytes: u64) -> String {
    let units = [(1e9, "GB"), (1e6, "MB"), (1e3, "KB")];
    let value = bytes as f64;
    for (size, unit) in units {
        if value >= size {
            let shown = value / size;
            return if shown.fract() == 0.0 || shown >= 100.0 {
                format!("{shown:.0} {unit}")
            } else {
                format!("{shown:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// Rows per multi-row INSERT (7 values each stays far below both back ends' bind limits).
const INSERT_ROWS: usize = 500;

/// `head` followed by `rows` groups of `columns` placeholders, numbered from $1.
fn values_sql(head: &str, rows: usize, columns: usize) -> String {
    let mut sql = String::from(head);
    for row in 0..rows {
        sql.push_str(if row == 0 { " (" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// Runs `select` (two columns, ending in `… IN`) with `$1` = `workspace` and `keys` as the
/// list, in chunks.
async fn select_in<'k, V>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    select: &str,
    workspace: &str,
    keys: impl Iterator<Item = &'k str>,
) -> Result<Vec<(String, V)>, Error>
where
    V: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
{
    let keys: Vec<&str> = keys.collect();
    let mut out = Vec::new();
    for chunk in keys.chunks(INSERT_ROWS) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!("{select} ({})", list.join(", "));
        let mut query = sqlx::query_as::<_, (String, V)>(&sql).bind(workspace);
        for key in chunk {
            query = query.bind(*key);
        }
        out.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(out)
}

/// Fills `actors` from the changes stored before it existed (once; marked in `relay_jobs`):
/// the earliest change of each actor names its owner (its Author, else who pushed it), so
/// nobody can later claim a teammate's old actor. Runs before the relay serves anyone.
pub async fn backfill_actors(db: &Db) -> Result<(), Error> {
    const JOB: &str = "actors-from-changes";
    let done: Option<i64> = sqlx::query_scalar("SELECT done_at FROM relay_jobs WHERE name = $1")
        .bind(JOB)
        .fetch_optional(db.pool())
        .await?;
    if done.is_some() {
        return Ok(());
    }
    let (mut workspace, mut seq_after) = (String::new(), 0i64);
    let mut filled = 0usize;
    loop {
        let rows: Vec<(String, i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT workspace_id, seq, user_id, bytes FROM changes \
             WHERE (workspace_id > $1 OR (workspace_id = $1 AND seq > $2)) \
               AND hash NOT LIKE 'erased:%' ORDER BY workspace_id, seq LIMIT 1000",
        )
        .bind(&workspace)
        .bind(seq_after)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = rows.last() else { break };
        (workspace, seq_after) = (last.0.clone(), last.1);
        let mut seen = HashSet::new();
        let owners: Vec<(String, String, String)> = rows
            .into_iter()
            .filter_map(|(ws, _, pusher, bytes)| {
                let change = automerge::Change::try_from(bytes.as_slice()).ok()?;
                let actor = change.actor_id().to_hex_string();
                let owner = change
                    .author()
                    .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
                    .unwrap_or(pusher);
                seen.insert((ws.clone(), actor.clone()))
                    .then_some((ws, actor, owner))
            })
            .collect();
        let mut tx = db.pool().begin().await?;
        for chunk in owners.chunks(INSERT_ROWS) {
            let sql = format!(
                "{} ON CONFLICT (workspace_id, actor) DO NOTHING",
                values_sql(
                    "INSERT INTO actors (workspace_id, actor, user_id) VALUES",
                    chunk.len(),
                    3
                )
            );
            let mut query = sqlx::query(&sql);
            for (ws, actor, owner) in chunk {
                query = query.bind(ws).bind(actor).bind(owner);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        filled += owners.len();
    }
    sqlx::query(
        "INSERT INTO relay_jobs (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(JOB)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    if filled > 0 {
        tracing::info!(
            actors = filled,
            "learned who wrote the changes stored before this version"
        );
    }
    Ok(())
}

/// Erasures one user may make in one workspace per hour: a person at a time by hand is far
/// below it; each erasure is a permanent mark every device downloads.
pub const ERASURES_PER_HOUR: i64 = 100;

/// What became of an erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// Erased (now or before); the log's head after it.
    Done(u64),
    /// The log never held this record: nothing to erase, nothing logged.
    NoSuchRecord,
    /// The user erased [`ERASURES_PER_HOUR`] records in the last hour already.
    TooMany,
    NoWorkspace,
}

/// Erases `record`: deletes its changes and snapshot and logs an erasure mark in their place,
/// in one transaction. Erasing an erased record changes nothing; a record the log never held
/// leaves no mark (marks are permanent and every device downloads them).
pub async fn erase(db: &Db, workspace: &str, user: &str, record: &str) -> Result<Erasure, Error> {
    watched(db, erase_in(db, workspace, user, record)).await
}

async fn erase_in(db: &Db, workspace: &str, user: &str, record: &str) -> Result<Erasure, Error> {
    let mut tx = db.pool().begin().await?;
    let head: Option<i64> =
        sqlx::query_scalar("UPDATE workspaces SET head = head WHERE id = $1 RETURNING head")
            .bind(workspace)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(head) = head else {
        tx.rollback().await?;
        return Ok(Erasure::NoWorkspace);
    };
    let already: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM changes WHERE workspace_id = $1 AND hash = $2")
            .bind(workspace)
            .bind(erasure_hash(record))
            .fetch_optional(&mut *tx)
            .await?;
    if already.is_some() {
        tx.rollback().await?;
        return Ok(Erasure::Done(seq(head)));
    }
    sqlx::query("DELETE FROM changes WHERE workspace_id = $1 AND record_id = $2")
        .bind(workspace)
        .bind(record)
        .execute(&mut *tx)
        .await?;
    let freed: Option<i64> = sqlx::query_scalar(
        "DELETE FROM record_sizes WHERE workspace_id = $1 AND record_id = $2 \
         RETURNING stored_bytes",
    )
    .bind(workspace)
    .bind(record)
    .fetch_optional(&mut *tx)
    .await?;
    if freed.is_none() {
        tx.rollback().await?;
        return Ok(Erasure::NoSuchRecord);
    }
    let recent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM changes WHERE workspace_id = $1 AND user_id = $2 \
         AND hash LIKE 'erased:%' AND received_at > $3",
    )
    .bind(workspace)
    .bind(user)
    .bind(now_ms() - 3_600_000)
    .fetch_one(&mut *tx)
    .await?;
    if recent >= ERASURES_PER_HOUR {
        tx.rollback().await?;
        return Ok(Erasure::TooMany);
    }
    sqlx::query("DELETE FROM snapshots WHERE workspace_id = $1 AND record_id = $2")
        .bind(workspace)
        .bind(record)
        .execute(&mut *tx)
        .await?;
    let head = head + 1;
    sqlx::query(
        "INSERT INTO changes (workspace_id, seq, record_id, hash, user_id, bytes, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(workspace)
    .bind(head)
    .bind(record)
    .bind(erasure_hash(record))
    .bind(user)
    .bind(Vec::<u8>::new())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE workspaces SET head = $2, stored_bytes = \
         CASE WHEN stored_bytes > $3 THEN stored_bytes - $3 ELSE 0 END WHERE id = $1",
    )
    .bind(workspace)
    .bind(head)
    .bind(freed.unwrap_or(0))
    .execute(&mut *tx)
    .await?;
    if db.dialect() == Dialect::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(LOG_CHANNEL)
            .bind(format!("{workspace} {head}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Erasure::Done(seq(head)))
}

/// Up to `limit` changes after `cursor`, in seq order.
pub async fn after(
    db: &Db,
    workspace: &str,
    cursor: u64,
    limit: usize,
) -> Result<Vec<LogRow>, Error> {
    let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
        "SELECT seq, record_id, bytes FROM changes WHERE workspace_id = $1 AND seq > $2 \
         ORDER BY seq LIMIT $3",
    )
    .bind(workspace)
    .bind(bound(cursor))
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, record, bytes)| LogRow {
            seq: seq(s),
            record,
            bytes,
        })
        .collect())
}

/// Up to `limit` record ids that have changes, in id order, after `after` (exclusive).
pub async fn record_ids(
    db: &Db,
    workspace: &str,
    after: &str,
    limit: usize,
) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT DISTINCT record_id FROM changes WHERE workspace_id = $1 AND record_id > $2 \
             AND {NOT_ERASURE} ORDER BY record_id LIMIT $3"
    ))
    .bind(workspace)
    .bind(after)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?)
}

/// Changes of the records `first..=last` with seq <= `upto` that are not inside the record's
/// snapshot as it is now, by record then seq. Snapshots only ever move forward, so a snapshot
/// read after this covers at least what this skipped.
pub async fn record_changes(
    db: &Db,
    workspace: &str,
    first: &str,
    last: &str,
    upto: u64,
) -> Result<Vec<LogRow>, Error> {
    let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
        "SELECT c.seq, c.record_id, c.bytes FROM changes c \
         LEFT JOIN snapshots s ON s.workspace_id = c.workspace_id AND s.record_id = c.record_id \
         WHERE c.workspace_id = $1 AND c.record_id >= $2 AND c.record_id <= $3 AND c.seq <= $4 \
           AND c.seq > COALESCE(s.seq, 0) AND c.hash NOT LIKE 'erased:%' \
         ORDER BY c.record_id, c.seq",
    )
    .bind(workspace)
    .bind(first)
    .bind(last)
    .bind(bound(upto))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, record, bytes)| LogRow {
            seq: seq(s),
            record,
            bytes,
        })
        .collect())
}

/// Snapshots of the records `first..=last`.
pub async fn snapshots(
    db: &Db,
    workspace: &str,
    first: &str,
    last: &str,
) -> Result<Vec<Snapshot>, Error> {
    let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT record_id, seq, bytes FROM snapshots \
         WHERE workspace_id = $1 AND record_id >= $2 AND record_id <= $3 ORDER BY record_id",
    )
    .bind(workspace)
    .bind(first)
    .bind(last)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(record, s, bytes)| Snapshot {
            record,
            seq: seq(s),
            bytes,
        })
        .collect())
}

/// One record's snapshot (if any) and every change after it.
pub async fn record_state(
    db: &Db,
    workspace: &str,
    record: &str,
) -> Result<(Option<Snapshot>, Vec<LogRow>), Error> {
    let snapshot = snapshots(db, workspace, record, record).await?.pop();
    let from = snapshot.as_ref().map_or(0, |s| s.seq);
    let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(&format!(
        "SELECT seq, bytes FROM changes WHERE workspace_id = $1 AND record_id = $2 \
             AND seq > $3 AND {NOT_ERASURE} ORDER BY seq"
    ))
    .bind(workspace)
    .bind(record)
    .bind(bound(from))
    .fetch_all(db.pool())
    .await?;
    let changes = rows
        .into_iter()
        .map(|(s, bytes)| LogRow {
            seq: seq(s),
            record: record.to_string(),
            bytes,
        })
        .collect();
    Ok((snapshot, changes))
}

/// Stores a record's snapshot unless a newer one is already there.
pub async fn save_snapshot(db: &Db, workspace: &str, snapshot: &Snapshot) -> Result<(), Error> {
    // Never for an erased record (a compaction may have read it before it was erased).
    sqlx::query(
        "INSERT INTO snapshots (workspace_id, record_id, seq, bytes) \
         SELECT $1, $2, $3, $4 WHERE NOT EXISTS \
           (SELECT 1 FROM changes WHERE workspace_id = $1 AND hash = $5) \
         ON CONFLICT (workspace_id, record_id) DO UPDATE SET seq = excluded.seq, \
         bytes = excluded.bytes WHERE snapshots.seq < excluded.seq",
    )
    .bind(workspace)
    .bind(&snapshot.record)
    .bind(bound(snapshot.seq))
    .bind(&snapshot.bytes)
    .bind(erasure_hash(&snapshot.record))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Records with at least `min_changes` changes past their snapshot (at most `limit`): work
/// for the compactor after a restart.
pub async fn compaction_backlog(
    db: &Db,
    min_changes: u32,
    limit: usize,
) -> Result<Vec<(String, String)>, Error> {
    Ok(sqlx::query_as(
        "SELECT c.workspace_id, c.record_id FROM changes c \
         LEFT JOIN snapshots s ON s.workspace_id = c.workspace_id AND s.record_id = c.record_id \
         WHERE c.seq > COALESCE(s.seq, 0) AND c.hash NOT LIKE 'erased:%' \
         GROUP BY c.workspace_id, c.record_id HAVING COUNT(*) >= $1 LIMIT $2",
    )
    .bind(i64::from(min_changes))
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(super::human_bytes(2_500), "2.5 KB");
        assert_eq!(super::human_bytes(1_000_000_000), "1 GB");
        assert_eq!(super::human_bytes(640), "640 bytes");
        assert_eq!(super::human_bytes(123_456_789), "123 MB");
    }
}
