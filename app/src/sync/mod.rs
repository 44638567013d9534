//! The sync engine: keeps a relay workspace's local store and the relay's change log in step
//! (cursor in, outbox out), live, across reconnects; and, for a local workspace, says whether
//! the relay is reachable.

mod engine;
pub mod push;
mod scripted;
mod socket;
pub mod status;
pub mod tasks;

use std::rc::Rc;

use kith_core::ids::RecordId;
use kith_core::protocol::Viewer;
use leptos::prelude::*;

use engine::{Engine, Target};
pub use engine::{UPLOAD_KEY, UploadPlan, WORKSPACE_KEY};
#[doc(hidden)]
pub use scripted::ScriptedRelay;
use socket::{Event, Transport, WebSocketTransport};
pub use status::{SyncStatus, changes_text};

use crate::relay_link::{LinkState, RelayLink, origin_ws_url};
use crate::session::{AccountState, ActiveWorkspace};
use crate::store::Store;
use crate::workspace::Workspace;

/// Handle to the running engine, provided as context by the app. Copy: arena handles only.
#[derive(Clone, Copy)]
pub struct SyncEngine {
    engine: StoredValue<Rc<Engine>, LocalStorage>,
    status: RwSignal<SyncStatus>,
    link: RwSignal<LinkState>,
    pending: RwSignal<usize>,
    viewers: RwSignal<Vec<Viewer>>,
}

impl SyncEngine {
    /// Starts syncing `active` through the relay that served the app (`/ws` on this origin).
    /// A local workspace is not synced; the engine only tells whether the relay is reachable.
    /// Also provides the [`RelayLink`] context (Settings reads it). Lives as long as the
    /// reactive owner it was started in.
    pub fn start(workspace: Workspace, account: AccountState, active: ActiveWorkspace) -> Self {
        let transport = Rc::new(WebSocketTransport {
            url: origin_ws_url(),
        });
        Self::start_on(transport, workspace, account, active)
    }

    /// Like [`SyncEngine::start`] with a relay scripted by a test.
    #[doc(hidden)]
    pub fn start_scripted(
        relay: &ScriptedRelay,
        workspace: Workspace,
        account: AccountState,
        active: ActiveWorkspace,
    ) -> Self {
        Self::start_on(Rc::new(relay.clone()), workspace, account, active)
    }

    fn start_on(
        transport: Rc<dyn Transport>,
        workspace: Workspace,
        account: AccountState,
        active: ActiveWorkspace,
    ) -> Self {
        let target = match &active {
            ActiveWorkspace::Local => Target::LinkOnly,
            ActiveWorkspace::Relay { id, .. } => Target::Relay {
                workspace: id.clone(),
            },
        };
        workspace.writable.set(active.can_write());
        let engine = Self::launch(Engine::new(
            transport,
            target,
            Some(workspace),
            Some(account),
        ));
        provide_context(engine.link());
        engine
    }

    /// An engine that only tells whether the relay at `url` is reachable.
    pub(crate) fn link_only(url: String) -> Self {
        Self::launch(Engine::new(
            Rc::new(WebSocketTransport { url }),
            Target::LinkOnly,
            None,
            None,
        ))
    }

    fn launch(engine: Engine) -> Self {
        let engine = Rc::new(engine);
        if let Some(ws) = engine.workspace {
            let inbox = Rc::downgrade(&engine.inbox);
            ws.on_local_change(move || socket::post(&inbox, Event::LocalChange));
        }
        if let Some(account) = engine.account {
            let inbox = Rc::downgrade(&engine.inbox);
            Effect::new(move |_| {
                account.0.track();
                socket::post(&inbox, Event::AccountChanged);
            });
        }
        let online = {
            let inbox = Rc::downgrade(&engine.inbox);
            window_event_listener(leptos::ev::online, move |_| {
                socket::post(&inbox, Event::BrowserOnline)
            })
        };
        // Cleanups run before the owner's stored values are freed.
        let stop = StoredValue::new_local(Rc::downgrade(&engine.inbox));
        on_cleanup(move || {
            online.remove();
            stop.try_with_value(|inbox| socket::post(inbox, Event::Stop));
        });
        let handle = Self {
            engine: StoredValue::new_local(engine.clone()),
            status: engine.status,
            link: engine.link,
            pending: engine.pending,
            viewers: engine.viewers,
        };
        leptos::task::spawn_local(engine.run());
        handle
    }

    /// What the user should see: Online, Syncing N changes, Offline since…, Sign in again…
    pub fn status(&self) -> ReadSignal<SyncStatus> {
        self.status.read_only()
    }

    /// Local changes not yet acknowledged by the relay (0 for a local workspace).
    pub fn pending(&self) -> ReadSignal<usize> {
        self.pending.read_only()
    }

    /// Whether the relay is reachable, as before sync existed (Settings, local workspaces).
    pub fn link(&self) -> RelayLink {
        RelayLink::from_signal(self.link.read_only())
    }

    /// True for a workspace kept only in this browser.
    pub fn is_local(&self) -> bool {
        self.status.with_untracked(|s| *s == SyncStatus::LocalOnly)
    }

    /// Teammates looking at a record right now (never this user), every record.
    pub fn viewers(&self) -> ReadSignal<Vec<Viewer>> {
        self.viewers.read_only()
    }

    /// Tells teammates this tab shows `record` (`None`: no record).
    pub fn view_record(&self, record: Option<&RecordId>) {
        if let Some(engine) = self.engine.try_get_value() {
            engine.set_viewing(record);
        }
    }

    /// Stops saying this tab shows `record`, unless it has moved on to another one already.
    pub fn stop_viewing(&self, record: &RecordId) {
        if let Some(engine) = self.engine.try_get_value()
            && engine.viewing.borrow().as_deref() == Some(record.as_str())
        {
            engine.set_viewing(None);
        }
    }
}

/// Marks the local database `database` as the copy of relay workspace `workspace_id`, with
/// everything in it still to upload. The engine uploads every record's whole history when the
/// app next opens that workspace (resuming where it stopped if interrupted), then the edits
/// made since. Safe to call twice (the relay ignores changes it already has).
pub async fn bind_to_relay(database: &str, workspace_id: &str) -> Result<(), String> {
    let store = Store::open(database).await.map_err(|e| e.to_string())?;
    let outbox_upto = store.outbox_last_seq().await.map_err(|e| e.to_string())?;
    let plan = UploadPlan {
        workspace: workspace_id.to_owned(),
        outbox_upto,
        after: None,
    };
    let json = serde_json::to_string(&plan).map_err(|e| e.to_string())?;
    store
        .meta_set(WORKSPACE_KEY, workspace_id)
        .await
        .map_err(|e| e.to_string())?;
    store
        .meta_set(UPLOAD_KEY, &json)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
