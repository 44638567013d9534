//! The push side's bookkeeping: local changes queued as units (one outbox entry, or one
//! record's whole history while a workspace is uploaded), sent in bounded batches, one batch in
//! flight at a time. A unit is done only when every one of its changes was acknowledged.

use std::collections::VecDeque;

use kith_core::protocol::{self, ClientMessage, MAX_PUSH_CHANGES, PushedChange};

/// Bytes kept free under the frame limit for the message's own fields.
const FRAME_MARGIN: usize = 1024;
/// Conservative encoded size of one change beyond its bytes (length prefixes).
const PER_CHANGE_OVERHEAD: usize = 24;

/// What becomes true once a unit is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Outbox entry `seq` may be removed.
    Outbox(u64),
    /// Record `id`'s whole history is on the relay (upload progress).
    Uploaded(String),
}

/// Changes that are acknowledged together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub done: Done,
    pub changes: Vec<PushedChange>,
}

/// A batch handed to the relay: its changes and where it ends in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub changes: Vec<PushedChange>,
    /// Units fully contained (from the front of the queue).
    whole_units: usize,
    /// Changes of the next unit included after them.
    partial: usize,
}

impl Batch {
    /// Units touched, whole or in part.
    fn units(&self) -> usize {
        self.whole_units + usize::from(self.partial > 0)
    }
}

/// Units waiting to be sent, in order. Nothing leaves it before it is acknowledged.
#[derive(Debug, Default)]
pub struct PushQueue {
    units: VecDeque<Unit>,
    /// Changes of the front unit already acknowledged.
    offset: usize,
    /// After a refused batch: how many units still go one per batch, to find the bad one.
    solo: usize,
    max_changes: usize,
    max_bytes: usize,
}

/// What a refusal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The batch held several units: they are retried one by one.
    Retrying,
    /// This unit alone was refused: it was taken out of the queue (and is still stored).
    Dropped(Unit),
}

impl PushQueue {
    /// A queue whose batches respect the protocol's limits.
    pub fn new() -> Self {
        Self::with_limits(
            MAX_PUSH_CHANGES,
            protocol::DEFAULT_MAX_FRAME_BYTES - FRAME_MARGIN,
        )
    }

    pub fn with_limits(max_changes: usize, max_bytes: usize) -> Self {
        Self {
            max_changes: max_changes.max(1),
            max_bytes,
            ..Self::default()
        }
    }

    /// Queues `unit` (one without changes is ignored: there is nothing to send).
    pub fn push(&mut self, unit: Unit) {
        if !unit.changes.is_empty() {
            self.units.push_back(unit);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Changes waiting (not yet acknowledged).
    pub fn waiting_changes(&self) -> usize {
        self.units.iter().map(|u| u.changes.len()).sum::<usize>() - self.offset
    }

    /// Whether any queued unit is part of an upload.
    pub fn has_uploads(&self) -> bool {
        self.units
            .iter()
            .any(|u| matches!(u.done, Done::Uploaded(_)))
    }

    /// The next batch (not removed from the queue), `None` if nothing waits. Always holds at
    /// least one change; otherwise at most `max_changes` changes and about `max_bytes`.
    pub fn next_batch(&self) -> Option<Batch> {
        let mut changes = Vec::new();
        let mut bytes = 0;
        let mut whole_units = 0;
        let mut partial = 0;
        let unit_limit = if self.solo > 0 { 1 } else { usize::MAX };
        'units: for (i, unit) in self.units.iter().enumerate().take(unit_limit) {
            let start = if i == 0 { self.offset } else { 0 };
            for change in &unit.changes[start..] {
                let size = change.bytes.len() + change.record.len() + PER_CHANGE_OVERHEAD;
                if !changes.is_empty()
                    && (changes.len() >= self.max_changes || bytes + size > self.max_bytes)
                {
                    break 'units;
                }
                changes.push(change.clone());
                bytes += size;
                partial += 1;
            }
            whole_units += 1;
            partial = 0;
        }
        if changes.is_empty() {
            return None;
        }
        Some(Batch {
            changes,
            whole_units,
            partial,
        })
    }

    /// The relay has `batch` durably: its whole units leave the queue and are returned.
    pub fn acked(&mut self, batch: &Batch) -> Vec<Done> {
        let mut done = Vec::with_capacity(batch.whole_units);
        for _ in 0..batch.whole_units {
            if let Some(unit) = self.units.pop_front() {
                done.push(unit.done);
            }
            self.offset = 0;
            self.solo = self.solo.saturating_sub(1);
        }
        self.offset += batch.partial;
        done
    }

    /// The relay refused `batch` (nothing of it stored).
    pub fn refused(&mut self, batch: &Batch) -> Refused {
        if self.solo == 0 && batch.units() > 1 {
            self.solo = batch.units();
            return Refused::Retrying;
        }
        self.offset = 0;
        self.solo = self.solo.saturating_sub(1);
        match self.units.pop_front() {
            Some(unit) => Refused::Dropped(unit),
            None => Refused::Retrying,
        }
    }

    /// Forgets everything (a new connection rebuilds the queue from storage).
    pub fn clear(&mut self) {
        self.units.clear();
        self.offset = 0;
        self.solo = 0;
    }
}

/// The exact frame of a push, for checking its size.
pub fn push_frame(batch_id: u64, changes: Vec<PushedChange>) -> Vec<u8> {
    protocol::encode(&ClientMessage::Push {
        batch: batch_id,
        changes,
    })
}
