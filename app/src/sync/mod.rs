//! The sync engine: keeps a relay workspace's local store and the relay's change log in step
//! (cursor in, outbox out), live, across reconnects. (Being built: see issue 4.)

use leptos::prelude::*;

use crate::session::{AccountState, ActiveWorkspace};
use crate::workspace::Workspace;

/// Handle to the running engine, provided as context by the app.
#[derive(Clone, Copy)]
pub struct SyncEngine {}

impl SyncEngine {
    /// Starts syncing `active` (nothing to sync for a local-only workspace).
    pub fn start(_workspace: Workspace, _account: AccountState, _active: ActiveWorkspace) -> Self {
        Self {}
    }
}

/// Marks the local database `database` as the copy of relay workspace `workspace_id`, with
/// everything in it still to upload. The engine uploads it when the app opens it next.
pub async fn bind_to_relay(_database: &str, _workspace_id: &str) -> Result<(), String> {
    Ok(())
}

#[allow(dead_code)]
fn _unused(_: RwSignal<()>) {}
