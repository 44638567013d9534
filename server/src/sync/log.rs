//! The per-workspace change log and per-record snapshots in the database: appending a push,
//! reading after a cursor, and the record-by-record pages a new device starts from.
//!
//! Sequence numbers are given inside the transaction that first updates the workspace's row
//! (`UPDATE workspaces … RETURNING head`): that row lock serialises writers of one workspace on
//! both back ends, so seq N+1 is never committed before seq N and a reader never sees a gap
//! that fills later.

use kith_core::changes::ValidChange;

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

/// Stores `changes` (record id, validated change) by `user` in one transaction, skipping
/// changes already in the log (same hash). Returns `None` when the workspace does not exist.
/// Durable when this returns.
pub async fn append(
    db: &Db,
    workspace: &str,
    user: &str,
    changes: &[(String, ValidChange)],
) -> Result<Option<Appended>, Error> {
    let mut tx = db.pool().begin().await?;
    // The first statement is a write: the workspace row's lock (and SQLite's write lock).
    let head: Option<i64> =
        sqlx::query_scalar("UPDATE workspaces SET head = head WHERE id = $1 RETURNING head")
            .bind(workspace)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(mut head) = head else {
        tx.rollback().await?;
        return Ok(None);
    };
    let received_at = now_ms();
    let mut added = Vec::new();
    let mut erased: Vec<&str> = Vec::new();
    let mut checked: Vec<&str> = Vec::new();
    for (record, _) in changes {
        if checked.contains(&record.as_str()) {
            continue;
        }
        checked.push(record);
        let mark: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM changes WHERE workspace_id = $1 AND hash = $2")
                .bind(workspace)
                .bind(erasure_hash(record))
                .fetch_optional(&mut *tx)
                .await?;
        if mark.is_some() {
            erased.push(record);
        }
    }
    for (record, change) in changes {
        // An erased record stays erased: what still arrives for it is dropped (and acked,
        // so the device's outbox empties).
        if erased.contains(&record.as_str()) {
            continue;
        }
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO changes (workspace_id, seq, record_id, hash, user_id, bytes, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id, hash) DO NOTHING RETURNING seq",
        )
        .bind(workspace)
        .bind(head + 1)
        .bind(record)
        .bind(crate::tokens::hex(&change.hash))
        .bind(user)
        .bind(&change.bytes)
        .bind(received_at)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(given) = inserted {
            head = given;
            added.push((seq(given), record.clone()));
        }
    }
    if !added.is_empty() {
        sqlx::query("UPDATE workspaces SET head = $2 WHERE id = $1")
            .bind(workspace)
            .bind(head)
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
    Ok(Some(Appended {
        head: seq(head),
        added,
    }))
}

/// Erases `record`: deletes its changes and snapshot and logs an erasure mark in their place,
/// in one transaction. Returns the log's head after it, or `None` when there is no such
/// workspace. Erasing an erased record changes nothing.
pub async fn erase(
    db: &Db,
    workspace: &str,
    user: &str,
    record: &str,
) -> Result<Option<u64>, Error> {
    let mut tx = db.pool().begin().await?;
    let head: Option<i64> =
        sqlx::query_scalar("UPDATE workspaces SET head = head WHERE id = $1 RETURNING head")
            .bind(workspace)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(head) = head else {
        tx.rollback().await?;
        return Ok(None);
    };
    let already: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM changes WHERE workspace_id = $1 AND hash = $2")
            .bind(workspace)
            .bind(erasure_hash(record))
            .fetch_optional(&mut *tx)
            .await?;
    if already.is_some() {
        tx.rollback().await?;
        return Ok(Some(seq(head)));
    }
    sqlx::query("DELETE FROM changes WHERE workspace_id = $1 AND record_id = $2")
        .bind(workspace)
        .bind(record)
        .execute(&mut *tx)
        .await?;
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
    sqlx::query("UPDATE workspaces SET head = $2 WHERE id = $1")
        .bind(workspace)
        .bind(head)
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
    Ok(Some(seq(head)))
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
