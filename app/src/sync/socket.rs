//! The engine's connection to the relay: a [`Transport`] opens [`Link`]s whose events (open,
//! frames, close) arrive in the engine's [`Inbox`]. The real one is a WebSocket, whose browser
//! callbacks only queue events (through a weak reference) and are detached before the socket
//! and its closures are dropped.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Weak;
use std::task::{Poll, Waker};

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, Event as DomEvent, MessageEvent, WebSocket};

/// Everything the engine reacts to, in the order it happened.
#[derive(Debug)]
pub enum Event {
    /// Socket `conn` opened.
    Open(u64),
    /// A binary frame on socket `conn` (a text frame arrives as `None`).
    Frame(u64, Option<Vec<u8>>),
    /// Socket `conn` closed with this code and reason.
    Closed(u64, u16, String),
    /// The reconnect delay numbered `n` ran out.
    Retry(u64),
    /// Time to check socket `conn` is still answering.
    Heartbeat(u64),
    /// Time to try socket `conn`'s pushes again after the relay said the workspace is full.
    RetryFull(u64),
    /// A local change reached the outbox.
    LocalChange,
    /// The signed-in account changed (sign-in, sign-out, new token).
    AccountChanged,
    /// The record being viewed changed.
    Viewing,
    /// The browser says the network is back.
    BrowserOnline,
    /// The app is going away.
    Stop,
}

/// The engine's inbox: callbacks push, the engine's task awaits.
#[derive(Default)]
pub struct Inbox {
    events: RefCell<VecDeque<Event>>,
    waker: RefCell<Option<Waker>>,
}

impl Inbox {
    pub fn push(&self, event: Event) {
        self.events.borrow_mut().push_back(event);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    pub async fn next(&self) -> Event {
        poll_fn(|cx| match self.events.borrow_mut().pop_front() {
            Some(event) => Poll::Ready(event),
            None => {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// Pushes `event` if the inbox still exists.
pub fn post(inbox: &Weak<Inbox>, event: Event) {
    if let Some(inbox) = inbox.upgrade() {
        inbox.push(event);
    }
}

/// Opens connections to the relay.
pub trait Transport {
    /// Starts connection number `conn`; its events go to `inbox`, tagged with `conn`.
    fn connect(&self, conn: u64, inbox: Weak<Inbox>) -> Result<Box<dyn Link>, String>;
}

/// One open (or opening) connection.
pub trait Link {
    /// Sends one frame; false if the connection is not open.
    fn send(&self, frame: &[u8]) -> bool;
    /// Closes with a code and reason.
    fn close(&self, code: u16, reason: &str);
}

/// WebSockets to `url`.
pub struct WebSocketTransport {
    pub url: String,
}

impl Transport for WebSocketTransport {
    fn connect(&self, conn: u64, inbox: Weak<Inbox>) -> Result<Box<dyn Link>, String> {
        Ok(Box::new(Socket::open(&self.url, conn, inbox)?))
    }
}

/// An open (or opening) socket and the callbacks it calls.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(DomEvent)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Opens a socket to `url`; its events arrive in `inbox` tagged with `conn`.
    pub fn open(url: &str, conn: u64, inbox: Weak<Inbox>) -> Result<Self, String> {
        let ws = WebSocket::new(url).map_err(|e| format!("cannot open {url}: {e:?}"))?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let on_open = Closure::<dyn FnMut(DomEvent)>::new({
            let inbox = inbox.clone();
            move |_| post(&inbox, Event::Open(conn))
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let inbox = inbox.clone();
            move |event: MessageEvent| {
                let frame = event
                    .data()
                    .dyn_into::<js_sys::ArrayBuffer>()
                    .ok()
                    .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec());
                post(&inbox, Event::Frame(conn, frame));
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            post(&inbox, Event::Closed(conn, event.code(), event.reason()));
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }
}

impl Link for Socket {
    fn send(&self, frame: &[u8]) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_u8_array(frame).is_ok()
    }

    fn close(&self, code: u16, reason: &str) {
        let _ = self.ws.close_with_code_and_reason(code, reason);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
