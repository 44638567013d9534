//! Workspace sync: the change log, the per-workspace doorbell that wakes connections when the
//! log grows (LISTEN/NOTIFY across relays on PostgreSQL), presence, and snapshot compaction.

use crate::{Db, Error};

/// Shared by every connection of this relay process.
#[derive(Clone)]
pub struct Hub {}

impl Hub {
    /// Starts the hub's background tasks (doorbell listener, compaction) until `shutdown`.
    pub async fn start(
        _db: &Db,
        _shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<Self, Error> {
        Ok(Self {})
    }

    /// Memberships or sessions changed: every open connection, on every relay, checks its
    /// access again at once and closes (4401/4403) if it was lost.
    pub async fn recheck_access(&self) {}
}
