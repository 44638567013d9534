//! Whether the relay is reachable, as the user should see it. The socket itself belongs to the
//! sync engine ([`crate::sync::SyncEngine`]), which keeps this state for local and relay
//! workspaces alike.

use leptos::prelude::*;

use crate::sync::SyncEngine;

/// Whether the relay is reachable, as the user should see it.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkState {
    /// First connection attempt since the app started.
    Connecting,
    /// The relay answered our `Hello`.
    Online {
        relay_id: String,
        relay_version: String,
    },
    /// The relay is unreachable; the app keeps retrying. Times are ms since the epoch.
    Offline {
        since: f64,
        reason: String,
        retry_at: f64,
    },
}

impl LinkState {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Connecting => "Connecting…",
            Self::Online { .. } => "Online",
            Self::Offline { .. } => "Offline",
        }
    }

    /// CSS modifier class for the indicator.
    pub fn css_class(&self) -> &'static str {
        match self {
            Self::Connecting => "is-connecting",
            Self::Online { .. } => "is-online",
            Self::Offline { .. } => "is-offline",
        }
    }

    /// A sentence for tooltips and Settings.
    pub fn description(&self) -> String {
        match self {
            Self::Connecting => "Connecting to the relay…".into(),
            Self::Online { relay_version, .. } => {
                format!("Connected to the relay (version {relay_version}).")
            }
            Self::Offline {
                since,
                reason,
                retry_at,
            } => format!(
                "Relay unreachable since {} ({reason}). Your work stays on this device; \
                 Kith keeps retrying (next attempt at {}).",
                clock_time(*since),
                clock_time(*retry_at)
            ),
        }
    }
}

/// Read access to the relay's reachability, provided as context ([`SyncEngine::start`] does).
#[derive(Clone, Copy)]
pub struct RelayLink {
    state: ReadSignal<LinkState>,
}

impl RelayLink {
    /// Watches the relay that served the app (`/ws` on the page's origin) without syncing
    /// anything. Prefer [`SyncEngine::start`], which does this for a local workspace.
    pub fn connect_to_origin() -> Self {
        Self::connect(origin_ws_url())
    }

    /// Watches the relay at `url`, as long as the reactive owner that called this lives.
    pub fn connect(url: String) -> Self {
        SyncEngine::link_only(url).link()
    }

    pub(crate) fn from_signal(state: ReadSignal<LinkState>) -> Self {
        Self { state }
    }

    pub fn state(&self) -> ReadSignal<LinkState> {
        self.state
    }
}

/// `ws://host/ws` (or `wss:`) on the page's origin.
pub fn origin_ws_url() -> String {
    let location = window().location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}://{host}/ws")
}

/// `HH:MM:SS` in the user's time zone.
pub fn clock_time(ms_since_epoch: f64) -> String {
    let date = js_sys::Date::new(&ms_since_epoch.into());
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}
