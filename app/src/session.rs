//! Who is signed in on this device and which workspace is open. Kept in `localStorage`
//! (small, synchronous, per origin); the workspaces' data lives in IndexedDB.
//!
//! A workspace is either local-only (no account, IndexedDB database [`LOCAL_DATABASE`]) or a
//! relay workspace, kept in its own database (`kith-ws-<id>`, or the local database once that
//! was connected to a relay and uploaded).

use std::collections::BTreeMap;

use kith_core::api::{Role, User};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The database of the workspace that lives only in this browser.
pub const LOCAL_DATABASE: &str = "kith";

const ACCOUNT_KEY: &str = "kith.account";
const ACTIVE_KEY: &str = "kith.workspace";
const DATABASES_KEY: &str = "kith.databases";

/// A signed-in account on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub token: String,
    /// Milliseconds since the Unix epoch; past it the relay refuses the token.
    pub expires_at: i64,
    pub user: User,
}

/// The workspace the app shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActiveWorkspace {
    /// Only in this browser; nothing is synced.
    Local,
    /// Shared through the relay this app was served from.
    Relay {
        id: String,
        name: String,
        role: Role,
    },
}

impl ActiveWorkspace {
    /// The IndexedDB database holding this workspace on this device.
    pub fn database(&self) -> String {
        match self {
            Self::Local => LOCAL_DATABASE.to_owned(),
            Self::Relay { id, .. } => databases()
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("kith-ws-{id}")),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Local => "This device only",
            Self::Relay { name, .. } => name,
        }
    }

    /// Whether this user may edit records here (viewers may not).
    pub fn can_write(&self) -> bool {
        match self {
            Self::Local => true,
            Self::Relay { role, .. } => role.can_write(),
        }
    }
}

/// The signed-in account as a signal, provided as context by the app: the sync engine
/// reconnects when it changes, screens show who is signed in.
#[derive(Clone, Copy)]
pub struct AccountState(pub RwSignal<Option<Account>>);

impl AccountState {
    pub fn new() -> Self {
        Self(RwSignal::new(load_account()))
    }

    /// Stores a new session (sign-in) or forgets it (sign-out), here and in `localStorage`.
    pub fn set(&self, account: Option<Account>) {
        match &account {
            Some(a) => write(ACCOUNT_KEY, a),
            None => remove(ACCOUNT_KEY),
        }
        self.0.set(account);
    }
}

impl Default for AccountState {
    fn default() -> Self {
        Self::new()
    }
}

pub fn load_account() -> Option<Account> {
    read(ACCOUNT_KEY)
}

pub fn active_workspace() -> ActiveWorkspace {
    read(ACTIVE_KEY).unwrap_or(ActiveWorkspace::Local)
}

/// Chooses the workspace the app opens (takes effect when the app starts again).
pub fn set_active_workspace(workspace: &ActiveWorkspace) {
    write(ACTIVE_KEY, workspace);
}

/// Relay workspace id → the IndexedDB database holding it on this device.
pub fn databases() -> BTreeMap<String, String> {
    read(DATABASES_KEY).unwrap_or_default()
}

/// Records that relay workspace `id` is kept in database `name` (a connected local workspace).
pub fn set_database(id: &str, name: &str) {
    let mut all = databases();
    all.insert(id.to_owned(), name.to_owned());
    write(DATABASES_KEY, &all);
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A value that cannot be read (edited by hand, an older format) reads as absent.
fn read<T: for<'de> Deserialize<'de>>(key: &str) -> Option<T> {
    let text = storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn write<T: Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(value)) {
        let _ = storage.set_item(key, &text);
    }
}

fn remove(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}
