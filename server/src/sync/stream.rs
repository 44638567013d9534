//! What one connection still has to send of its workspace: a new device's per-record pages
//! (snapshot + the changes after it), then the log after its cursor, batch by batch. The
//! connection asks for the next batch whenever the doorbell says the log grew past its cursor,
//! so everything goes out once, in seq order, read from the database.

use std::collections::{BTreeSet, VecDeque};

use kith_core::protocol::{RecordPayload, ServerMessage};

use super::RoomHandle;
use super::log::{self, LogRow};
use crate::{Db, Error};

/// A `Records` batch stops growing once its bytes pass this (one item can take it over).
pub const BATCH_BYTES: usize = 256 * 1024;
/// Most record payloads in one `Records` batch.
pub const BATCH_ITEMS: usize = 500;
/// Log rows read per query.
const LOG_PAGE: usize = 256;
/// Records read per bootstrap page.
const RECORD_PAGE: usize = 100;

enum Phase {
    /// A new device: per-record pages up to `upto` (the head when it joined), then the log.
    Bootstrap {
        after: String,
        upto: u64,
        ready: VecDeque<RecordPayload>,
        done: bool,
    },
    /// The log after `cursor`.
    Log,
}

pub struct Stream {
    workspace: String,
    phase: Phase,
    /// Every change up to here has been sent (or was pushed on this connection).
    cursor: u64,
    /// A batch saying `caught_up` is owed (after joining, or while a catch-up is under way),
    /// even if the doorbell has not announced anything new.
    announce: bool,
    /// Seqs of changes this connection pushed itself: not echoed back, only counted.
    own: BTreeSet<u64>,
}

impl Stream {
    /// The stream of a device that has applied everything up to `cursor` (0: nothing) of a
    /// workspace whose head is `head`. A cursor past the head (the relay was restored from a
    /// backup) starts over as a new device.
    pub fn new(workspace: String, cursor: u64, head: u64) -> Self {
        let phase = if cursor == 0 || cursor > head {
            Phase::Bootstrap {
                after: String::new(),
                upto: head,
                ready: VecDeque::new(),
                done: false,
            }
        } else {
            Phase::Log
        };
        let cursor = match phase {
            Phase::Bootstrap { .. } => head,
            Phase::Log => cursor,
        };
        Self {
            workspace,
            phase,
            cursor,
            announce: true,
            own: BTreeSet::new(),
        }
    }

    /// Every change up to this seq has been sent (or came from this connection).
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Whether there is something to send now that the log's head is `head`.
    pub fn wants(&self, head: u64) -> bool {
        match self.phase {
            Phase::Bootstrap { .. } => true,
            Phase::Log => self.announce || head > self.cursor,
        }
    }

    /// Changes this connection pushed: the client has them, the stream only moves past them.
    pub fn pushed(&mut self, seqs: impl IntoIterator<Item = u64>) {
        self.own
            .extend(seqs.into_iter().filter(|&s| s > self.cursor));
    }

    /// The next `Records` batch, or `None` when there is nothing to send.
    /// `room` shares log pages between the workspace's connections on this relay.
    pub async fn next(
        &mut self,
        db: &Db,
        room: &RoomHandle,
    ) -> Result<Option<ServerMessage>, Error> {
        loop {
            match &mut self.phase {
                Phase::Bootstrap {
                    after,
                    upto,
                    ready,
                    done,
                } => {
                    if ready.is_empty() && !*done {
                        *done = fill_page(db, &self.workspace, after, *upto, ready).await?;
                    }
                    if ready.is_empty() {
                        self.phase = Phase::Log;
                        continue;
                    }
                    let mut items = Vec::new();
                    let mut bytes = 0;
                    while let Some(item) = ready.front() {
                        let size = payload_bytes(item);
                        if !items.is_empty()
                            && (bytes + size > BATCH_BYTES || items.len() >= BATCH_ITEMS)
                        {
                            break;
                        }
                        bytes += size;
                        items.extend(ready.pop_front());
                    }
                    return Ok(Some(ServerMessage::Records {
                        items,
                        cursor: None,
                        caught_up: false,
                    }));
                }
                Phase::Log => return self.next_from_log(db, room).await,
            }
        }
    }

    async fn next_from_log(
        &mut self,
        db: &Db,
        room: &RoomHandle,
    ) -> Result<Option<ServerMessage>, Error> {
        let rows = room.read_after(db, self.cursor, LOG_PAGE + 1).await?;
        let more_in_db = rows.len() > LOG_PAGE;
        if rows.is_empty() && !self.announce {
            return Ok(None);
        }
        // Erasures go out on their own, in log order: the client deletes those records.
        let erased: Vec<&LogRow> = rows
            .iter()
            .take(LOG_PAGE)
            .take_while(|r| r.is_erasure())
            .collect();
        if !erased.is_empty() {
            let taken = erased.len();
            self.cursor = erased[taken - 1].seq;
            let records = erased.iter().map(|r| r.record.clone()).collect();
            let caught_up = taken == rows.len() && !more_in_db;
            self.announce = !caught_up;
            self.own = self.own.split_off(&(self.cursor + 1));
            return Ok(Some(ServerMessage::Erased {
                records,
                cursor: self.cursor,
                caught_up,
            }));
        }
        let mut items: Vec<RecordPayload> = Vec::new();
        let mut bytes = 0;
        let mut taken = 0;
        for row in rows.iter().take(LOG_PAGE) {
            if row.is_erasure() {
                break;
            }
            let size = row.bytes.len() + row.record.len();
            let joins_last = items.last().is_some_and(|i| i.record == row.record);
            if !items.is_empty()
                && (bytes + size > BATCH_BYTES || (!joins_last && items.len() >= BATCH_ITEMS))
            {
                break;
            }
            taken += 1;
            self.cursor = row.seq;
            if self.own.remove(&row.seq) {
                continue;
            }
            bytes += size;
            push_change(&mut items, row);
        }
        let caught_up = taken == rows.len() && !more_in_db;
        // Keep reading until caught up, even if the doorbell has not heard of those rows yet.
        self.announce = !caught_up;
        let cursor = self.cursor;
        self.own = self.own.split_off(&(cursor + 1));
        Ok(Some(ServerMessage::Records {
            items,
            cursor: Some(cursor),
            caught_up,
        }))
    }
}

fn payload_bytes(item: &RecordPayload) -> usize {
    item.record.len()
        + item.snapshot.as_ref().map_or(0, Vec::len)
        + item.changes.iter().map(Vec::len).sum::<usize>()
}

/// Appends a change to the batch, grouped with the previous item when it is the same record.
fn push_change(items: &mut Vec<RecordPayload>, row: &LogRow) {
    match items.last_mut() {
        Some(item) if item.record == row.record => item.changes.push(row.bytes.clone()),
        _ => items.push(RecordPayload {
            record: row.record.clone(),
            snapshot: None,
            changes: vec![row.bytes.clone()],
        }),
    }
}

/// Reads the next page of records for a new device into `ready`: each record's snapshot and
/// its changes after the snapshot up to `upto`. Returns true when no records are left.
async fn fill_page(
    db: &Db,
    workspace: &str,
    after: &mut String,
    upto: u64,
    ready: &mut VecDeque<RecordPayload>,
) -> Result<bool, Error> {
    let ids = log::record_ids(db, workspace, after, RECORD_PAGE).await?;
    let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
        return Ok(true);
    };
    // Changes first, snapshots second: a snapshot compacted in between only covers more.
    let changes = log::record_changes(db, workspace, first, last, upto).await?;
    let snapshots = log::snapshots(db, workspace, first, last).await?;
    let mut snapshots = snapshots.into_iter().peekable();
    let mut changes = changes.into_iter().peekable();
    for id in &ids {
        let snapshot = snapshots.next_if(|s| &s.record == id);
        let covered = snapshot.as_ref().map_or(0, |s| s.seq);
        // Split a record's changes so no payload grows far past a batch.
        let mut item = RecordPayload {
            record: id.clone(),
            snapshot: snapshot.map(|s| s.bytes),
            changes: Vec::new(),
        };
        let mut size = payload_bytes(&item);
        while let Some(row) = changes.next_if(|c| &c.record == id) {
            if row.seq <= covered {
                continue;
            }
            if !item.changes.is_empty() && size + row.bytes.len() > BATCH_BYTES {
                let full = std::mem::replace(
                    &mut item,
                    RecordPayload {
                        record: id.clone(),
                        snapshot: None,
                        changes: Vec::new(),
                    },
                );
                ready.push_back(full);
                size = 0;
            }
            size += row.bytes.len();
            item.changes.push(row.bytes);
        }
        if item.snapshot.is_some() || !item.changes.is_empty() {
            ready.push_back(item);
        }
    }
    *after = last.clone();
    Ok(ids.len() < RECORD_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_past_the_head_starts_over() {
        let fresh = Stream::new("w".into(), 0, 10);
        assert!(matches!(fresh.phase, Phase::Bootstrap { upto: 10, .. }));
        let restored = Stream::new("w".into(), 50, 10);
        assert!(matches!(restored.phase, Phase::Bootstrap { upto: 10, .. }));
        let resumed = Stream::new("w".into(), 7, 10);
        assert!(matches!(resumed.phase, Phase::Log));
        assert_eq!(resumed.cursor, 7);
        assert!(resumed.wants(7), "owes one caught-up batch");
    }

    #[test]
    fn changes_of_one_record_are_grouped() {
        let mut items = Vec::new();
        for (seq, record) in [(1, "a"), (2, "a"), (3, "b"), (4, "a")] {
            push_change(
                &mut items,
                &LogRow {
                    seq,
                    record: record.into(),
                    bytes: vec![seq as u8],
                },
            );
        }
        let shape: Vec<(&str, usize)> = items
            .iter()
            .map(|i| (i.record.as_str(), i.changes.len()))
            .collect();
        assert_eq!(shape, [("a", 2), ("b", 1), ("a", 1)]);
    }
}
