//! The app's link to its relay: one WebSocket, reopened with backoff whenever it drops, and a
//! signal the UI reads to show whether the relay is reachable.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use kith_core::backoff::Backoff;
use kith_core::protocol::{self, ClientMessage, CloseCode, ServerMessage};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

const CLIENT_NAME: &str = concat!("kith-app/", env!("CARGO_PKG_VERSION"));

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

/// Handle to the relay link, provided as context by [`crate::App`].
#[derive(Clone, Copy)]
pub struct RelayLink {
    state: ReadSignal<LinkState>,
}

impl RelayLink {
    /// Connects to the relay that served the app (`/ws` on the page's origin).
    pub fn connect_to_origin() -> Self {
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        Self::connect(format!("{scheme}://{host}/ws"))
    }

    /// Opens the link to `url`. It lives as long as the reactive owner that created it.
    pub fn connect(url: String) -> Self {
        let (state, set_state) = signal(LinkState::Connecting);
        let link = Rc::new(Link {
            url,
            set_state,
            backoff: Backoff::default(),
            failures: Cell::new(0),
            offline_since: Cell::new(None),
            socket: RefCell::new(None),
        });
        Link::open(&link);
        // The owner keeps the only strong reference; callbacks hold weak ones, so disposing the
        // owner closes the socket and stops the retries.
        StoredValue::new_local(link);
        Self { state }
    }

    pub fn state(&self) -> ReadSignal<LinkState> {
        self.state
    }
}

struct Link {
    url: String,
    set_state: WriteSignal<LinkState>,
    backoff: Backoff,
    /// Consecutive failed attempts, for the backoff.
    failures: Cell<u32>,
    offline_since: Cell<Option<f64>>,
    socket: RefCell<Option<OpenSocket>>,
}

/// A socket and the callbacks it calls; dropping it detaches the callbacks first so the
/// browser never calls into a freed closure.
struct OpenSocket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

impl Link {
    fn open(self: &Rc<Self>) {
        let ws = match WebSocket::new(&self.url) {
            Ok(ws) => ws,
            Err(e) => {
                self.went_offline(format!("cannot open {}: {e:?}", self.url));
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let on_open = Closure::<dyn FnMut(Event)>::new({
            let ws = ws.clone();
            move |_| {
                let hello = protocol::encode(&ClientMessage::Hello {
                    client: CLIENT_NAME.into(),
                });
                let _ = ws.send_with_u8_array(&hello);
            }
        });
        let weak = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |event: MessageEvent| with_link(&weak, |link| link.received(&event))
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            with_link(&weak, |link| link.went_offline(close_reason(&event)))
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // Replacing the previous socket happens here, never inside its own callbacks.
        self.socket.replace(Some(OpenSocket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        }));
    }

    fn received(&self, event: &MessageEvent) {
        let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() else {
            return self.reject("the relay sent a text frame");
        };
        let frame = js_sys::Uint8Array::new(&buffer).to_vec();
        match protocol::decode::<ServerMessage>(&frame, protocol::DEFAULT_MAX_FRAME_BYTES) {
            Ok(ServerMessage::Welcome {
                relay_id,
                relay_version,
            }) => {
                self.failures.set(0);
                self.offline_since.set(None);
                self.set_state.set(LinkState::Online {
                    relay_id,
                    relay_version,
                });
            }
            Ok(_) => {}
            Err(e) => self.reject(&format!("unreadable frame from the relay: {e}")),
        }
    }

    /// Closes a socket whose relay sent something we cannot read; the close handler retries.
    fn reject(&self, why: &str) {
        web_sys::console::warn_1(&why.into());
        if let Some(open) = self.socket.borrow().as_ref() {
            let _ = open
                .ws
                .close_with_code_and_reason(CloseCode::Malformed.code(), why);
        }
    }

    fn went_offline(self: &Rc<Self>, reason: String) {
        // Retries keep the moment the link was first lost: that is what the user needs to know.
        let since = self.offline_since.get().unwrap_or_else(js_sys::Date::now);
        self.offline_since.set(Some(since));
        let attempt = self.failures.get();
        self.failures.set(attempt.saturating_add(1));
        let delay = self.backoff.delay(attempt, js_sys::Math::random());
        let retry_at = js_sys::Date::now() + delay.as_secs_f64() * 1000.0;
        self.set_state.set(LinkState::Offline {
            since,
            reason,
            retry_at,
        });
        let weak = Rc::downgrade(self);
        set_timeout(move || with_link(&weak, Link::open), delay);
    }
}

fn with_link(weak: &Weak<Link>, f: impl FnOnce(&Rc<Link>)) {
    if let Some(link) = weak.upgrade() {
        f(&link);
    }
}

fn close_reason(event: &CloseEvent) -> String {
    let reason = event.reason();
    match CloseCode::from_code(event.code()) {
        Some(CloseCode::GoingAway) => "the relay is restarting".into(),
        _ if !reason.is_empty() => reason,
        _ if event.code() == 1006 => "no connection".into(),
        _ => format!("closed with code {}", event.code()),
    }
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
