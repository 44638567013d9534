//! What this device remembers from the relay, so screens work offline: the workspaces the
//! account belongs to, each workspace's members (names for a record's history) and the last
//! email used to sign in. Kept in `localStorage`; nothing here is a secret.

use std::cell::RefCell;
use std::collections::BTreeMap;

use kith_core::api::{Member, WorkspaceInfo};
use serde::Serialize;
use serde::de::DeserializeOwned;

const WORKSPACES_KEY: &str = "kith.relay-workspaces";
const LAST_EMAIL_KEY: &str = "kith.last-email";
const MEMBERS_PREFIX: &str = "kith.members.";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A value that cannot be read (edited by hand, an older format) reads as absent.
fn read<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn write<T: Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(value)) {
        let _ = storage.set_item(key, &text);
    }
}

/// The relay workspaces of the signed-in account, as last seen (`user_id`, list).
pub fn workspaces(user_id: &str) -> Vec<WorkspaceInfo> {
    read::<(String, Vec<WorkspaceInfo>)>(WORKSPACES_KEY)
        .filter(|(owner, _)| owner == user_id)
        .map(|(_, list)| list)
        .unwrap_or_default()
}

pub fn remember_workspaces(user_id: &str, list: &[WorkspaceInfo]) {
    write(WORKSPACES_KEY, &(user_id, list));
}

/// Adds or replaces one workspace in the remembered list.
pub fn remember_workspace(user_id: &str, info: &WorkspaceInfo) {
    let mut list = workspaces(user_id);
    list.retain(|w| w.id != info.id);
    list.push(info.clone());
    remember_workspaces(user_id, &list);
}

pub fn last_email() -> Option<String> {
    read(LAST_EMAIL_KEY)
}

pub fn remember_email(email: &str) {
    write(LAST_EMAIL_KEY, &email);
}

thread_local! {
    /// Names of the active workspace's members: (workspace id, user id → name).
    static NAMES: RefCell<Option<(String, BTreeMap<String, String>)>> = const { RefCell::new(None) };
}

/// Stores the names of `workspace`'s members for [`member_name`].
pub fn remember_members(workspace: &str, members: &[Member]) {
    let names: BTreeMap<String, String> = members
        .iter()
        .map(|m| (m.user.id.clone(), m.user.name.clone()))
        .collect();
    write(&format!("{MEMBERS_PREFIX}{workspace}"), &names);
    NAMES.with(|cell| *cell.borrow_mut() = Some((workspace.to_owned(), names)));
}

/// The name of `user_id` among `workspace`'s members, as last seen.
pub fn member_name(workspace: &str, user_id: &str) -> Option<String> {
    NAMES.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|(ws, _)| ws != workspace) {
            let names = read(&format!("{MEMBERS_PREFIX}{workspace}")).unwrap_or_default();
            *cell = Some((workspace.to_owned(), names));
        }
        cell.as_ref()
            .and_then(|(_, names)| names.get(user_id).cloned())
    })
}

/// Every remembered member of `workspace` as (user id, name), by name.
pub fn members(workspace: &str) -> Vec<(String, String)> {
    let names: BTreeMap<String, String> =
        read(&format!("{MEMBERS_PREFIX}{workspace}")).unwrap_or_default();
    let mut out: Vec<(String, String)> = names.into_iter().collect();
    out.sort_by_key(|(_, name)| name.to_lowercase());
    out
}

const CONNECTING_KEY: &str = "kith.connecting";

/// A relay workspace created to receive this device's local workspace, not yet bound to it
/// (so trying again binds it instead of creating a second one).
pub fn connecting(user_id: &str) -> Option<WorkspaceInfo> {
    read::<(String, WorkspaceInfo)>(CONNECTING_KEY)
        .filter(|(owner, _)| owner == user_id)
        .map(|(_, info)| info)
}

pub fn set_connecting(user_id: &str, info: Option<&WorkspaceInfo>) {
    match info {
        Some(info) => write(CONNECTING_KEY, &(user_id, info)),
        None => {
            if let Some(storage) = storage() {
                let _ = storage.remove_item(CONNECTING_KEY);
            }
        }
    }
}
