//! What the user is told about syncing: one value, a short label for the shell's indicator and
//! a sentence for its tooltip, the detail line and Settings.

use crate::relay_link::clock_time;

/// The sync state of the open workspace, as the user should see it.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncStatus {
    /// A workspace kept only in this browser: nothing is synced. (Whether the relay is
    /// reachable is still shown, from [`crate::relay_link::RelayLink`].)
    LocalOnly,
    /// Opening the connection and joining the workspace.
    Connecting,
    /// Joined; receiving what changed since this device last synced.
    CatchingUp { received: usize },
    /// Up to date with the relay. Times are ms since the Unix epoch.
    Online { last_synced: f64 },
    /// Sending local changes (`changes` still waiting, in the outbox).
    Syncing { changes: usize },
    /// The relay is unreachable; every change is kept here and Kith keeps retrying.
    Offline {
        since: f64,
        retry_at: f64,
        reason: String,
        changes: usize,
    },
    /// The session expired or was revoked: local changes wait for the next sign-in.
    SignInAgain { changes: usize },
    /// The relay says this account is not (or no longer) a member of the workspace.
    NoAccess,
    /// The relay has no room left for this workspace: changes wait here.
    Full { changes: usize },
}

impl SyncStatus {
    /// The indicator's word(s): "Online", "Offline", "Connecting…", "Syncing 3 changes",
    /// "Sign in again", "No access", "Local only".
    pub fn label(&self) -> String {
        match self {
            Self::LocalOnly => "Local only".into(),
            Self::Connecting => "Connecting…".into(),
            Self::CatchingUp { .. } => "Syncing…".into(),
            Self::Online { .. } => "Online".into(),
            Self::Syncing { changes } => format!("Syncing {}", changes_text(*changes)),
            Self::Offline { .. } => "Offline".into(),
            Self::SignInAgain { .. } => "Sign in again".into(),
            Self::NoAccess => "No access".into(),
            Self::Full { .. } => "Workspace full".into(),
        }
    }

    /// One line of detail shown beside the indicator.
    pub fn detail(&self) -> String {
        match self {
            Self::LocalOnly => "Local only: kept in this browser, not synced".into(),
            Self::Connecting => "Connecting to the relay…".into(),
            Self::CatchingUp { received: 0 } => "Receiving changes from the relay…".into(),
            Self::CatchingUp { received } => {
                format!("Receiving changes from the relay ({received} records so far)…")
            }
            Self::Online { last_synced } => format!("Last synced at {}", clock_time(*last_synced)),
            Self::Syncing { changes } => {
                format!("Sending {} to the relay…", changes_text(*changes))
            }
            Self::Offline {
                since,
                retry_at,
                changes,
                ..
            } => {
                let waiting = if *changes == 0 {
                    String::new()
                } else {
                    format!(" · {} waiting", changes_text(*changes))
                };
                format!(
                    "Offline since {} (retrying at {}){waiting}",
                    clock_time(*since),
                    clock_time(*retry_at)
                )
            }
            Self::SignInAgain { changes: 0 } => "Sign in again to sync this workspace".into(),
            Self::SignInAgain { changes } => {
                format!("Sign in again to send {}", changes_text(*changes))
            }
            Self::NoAccess => "You no longer have access to this workspace".into(),
            Self::Full { changes } => format!(
                "The relay has no room left for this workspace · {} waiting",
                changes_text(*changes)
            ),
        }
    }

    /// A full sentence for tooltips and Settings.
    pub fn description(&self) -> String {
        match self {
            Self::Offline { reason, .. } => format!(
                "{} ({reason}). Your work stays on this device and is sent when the relay is \
                 back.",
                self.detail()
            ),
            Self::SignInAgain { .. } => format!(
                "{}. Your session ended; nothing you changed is lost: it waits on this device.",
                self.detail()
            ),
            Self::NoAccess => format!(
                "{}. What is on this device stays readable here; ask an owner or admin to \
                 invite you again.",
                self.detail()
            ),
            Self::Full { .. } => format!(
                "{}. Nothing is lost: your changes are kept on this device and sent once the \
                 relay's operator makes room (Kith tries again every few minutes, with each new \
                 edit and when it reconnects).",
                self.detail()
            ),
            _ => format!("{}.", self.detail().trim_end_matches('…')),
        }
    }

    /// CSS modifier class for the indicator.
    pub fn css_class(&self) -> &'static str {
        match self {
            Self::LocalOnly => "is-local",
            Self::Connecting => "is-connecting",
            Self::CatchingUp { .. } | Self::Syncing { .. } => "is-syncing",
            Self::Online { .. } => "is-online",
            Self::Offline { .. } => "is-offline",
            Self::SignInAgain { .. } | Self::NoAccess | Self::Full { .. } => "is-blocked",
        }
    }
}

/// "1 change", "3 changes".
pub fn changes_text(n: usize) -> String {
    if n == 1 {
        "1 change".into()
    } else {
        format!("{n} changes")
    }
}
