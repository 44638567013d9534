//! Snapshot compaction: a bounded background job folding a record's snapshot and the changes
//! after it into a new snapshot, so a new device downloads one compact document per record
//! instead of its whole history. Pushes never wait for it: it reads, works off the runtime's
//! threads, and writes one row.

use std::time::Duration;

use automerge::{Automerge, Change, ReadDoc};
use tokio_util::sync::CancellationToken;

use super::Hub;
use super::log::{self, Snapshot};
use crate::Error;

/// How often a round runs.
const ROUND: Duration = Duration::from_secs(1);
/// A record is compacted once this many changes arrived after its snapshot.
pub const MIN_CHANGES: u32 = 8;
/// Most records compacted in one round.
const RECORDS_PER_ROUND: usize = 32;
/// Most records picked up from the database's backlog after a start.
const BACKLOG: usize = 10_000;

pub async fn run(hub: Hub, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(ROUND);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut backlog_read = false;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if !backlog_read {
            // Counts kept in memory start at zero: pick up what an earlier run left.
            match log::compaction_backlog(hub.db(), MIN_CHANGES, BACKLOG).await {
                Ok(records) => {
                    let mut dirty = super::lock(&hub.inner.dirty);
                    for key in records {
                        let count = dirty.entry(key).or_default();
                        *count = (*count).max(MIN_CHANGES);
                    }
                    backlog_read = true;
                }
                Err(e) => tracing::warn!(error = %e, "could not read the compaction backlog"),
            }
        }
        let due: Vec<(String, String)> = {
            let mut dirty = super::lock(&hub.inner.dirty);
            let due: Vec<(String, String)> = dirty
                .iter()
                .filter(|(_, count)| **count >= MIN_CHANGES)
                .take(RECORDS_PER_ROUND)
                .map(|(key, _)| key.clone())
                .collect();
            for key in &due {
                dirty.remove(key);
            }
            due
        };
        for (workspace, record) in due {
            if shutdown.is_cancelled() {
                return;
            }
            if let Err(e) = compact(&hub, &workspace, &record).await {
                tracing::warn!(error = %e, %workspace, %record, "compaction failed");
            }
        }
    }
}

/// Folds `record`'s snapshot and later changes into a new snapshot. A record whose changes
/// lack a dependency (the relay does not check them on push) is left as it is.
pub async fn compact(hub: &Hub, workspace: &str, record: &str) -> Result<(), Error> {
    let (snapshot, changes) = log::record_state(hub.db(), workspace, record).await?;
    let Some(newest) = changes.last().map(|c| c.seq) else {
        return Ok(());
    };
    let built = tokio::task::spawn_blocking(move || {
        let mut doc = match &snapshot {
            Some(s) => Automerge::load(&s.bytes).map_err(|e| e.to_string())?,
            None => Automerge::new(),
        };
        let parsed = changes
            .iter()
            .map(|c| Change::try_from(&c.bytes[..]).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        doc.apply_changes(parsed).map_err(|e| e.to_string())?;
        if !doc.get_missing_deps(&[]).is_empty() {
            return Ok(None);
        }
        Ok::<_, String>(Some(doc.save()))
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    match built {
        Ok(Some(bytes)) => {
            let snapshot = Snapshot {
                record: record.to_string(),
                seq: newest,
                bytes,
            };
            log::save_snapshot(hub.db(), workspace, &snapshot).await
        }
        Ok(None) => {
            tracing::debug!(%workspace, %record, "not compacted: changes wait for dependencies");
            Ok(())
        }
        Err(e) => {
            tracing::warn!(%workspace, %record, error = %e, "not compacted: unreadable history");
            Ok(())
        }
    }
}
