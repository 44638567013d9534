//! A relay played by a test: it sees every message the engine sends and decides what the
//! engine receives (and when connections open or close). Only browser tests use it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use kith_core::protocol::{self, ClientMessage, ServerMessage};

use super::socket::{Event, Inbox, Link, Transport, post};

/// A scripted relay; clones share it.
#[derive(Clone, Default)]
pub struct ScriptedRelay(Rc<RefCell<State>>);

#[derive(Default)]
struct State {
    inbox: Weak<Inbox>,
    /// The newest connection, and whether the test opened it.
    conn: u64,
    open: bool,
    connections: usize,
    /// Connections fail at once while true (relay down).
    down: bool,
    sent: VecDeque<ClientMessage>,
}

struct ScriptedLink {
    state: Rc<RefCell<State>>,
    conn: u64,
}

impl Transport for ScriptedRelay {
    fn connect(&self, conn: u64, inbox: Weak<Inbox>) -> Result<Box<dyn Link>, String> {
        let mut state = self.0.borrow_mut();
        if state.down {
            return Err("the relay is down".into());
        }
        state.inbox = inbox;
        state.conn = conn;
        state.open = false;
        state.connections += 1;
        Ok(Box::new(ScriptedLink {
            state: self.0.clone(),
            conn,
        }))
    }
}

impl Link for ScriptedLink {
    fn send(&self, frame: &[u8]) -> bool {
        let mut state = self.state.borrow_mut();
        if state.conn != self.conn || !state.open {
            return false;
        }
        match protocol::decode::<ClientMessage>(frame, usize::MAX) {
            Ok(message) => state.sent.push_back(message),
            Err(e) => panic!("the engine sent an unreadable frame: {e}"),
        }
        true
    }

    fn close(&self, _code: u16, _reason: &str) {
        let mut state = self.state.borrow_mut();
        if state.conn == self.conn {
            state.open = false;
        }
    }
}

impl ScriptedRelay {
    pub fn new() -> Self {
        Self::default()
    }

    /// Connections the engine opened so far.
    pub fn connections(&self) -> usize {
        self.0.borrow().connections
    }

    /// Whether the newest connection is open.
    pub fn is_open(&self) -> bool {
        self.0.borrow().open
    }

    /// While down, every connection attempt fails at once.
    pub fn set_down(&self, down: bool) {
        self.0.borrow_mut().down = down;
    }

    /// The newest connection opens (the engine then says `Hello`).
    pub fn accept(&self) {
        let (inbox, conn) = {
            let mut state = self.0.borrow_mut();
            state.open = true;
            (state.inbox.clone(), state.conn)
        };
        post(&inbox, Event::Open(conn));
    }

    /// The relay sends `message` on the newest connection.
    pub fn send(&self, message: &ServerMessage) {
        let (inbox, conn) = {
            let state = self.0.borrow();
            (state.inbox.clone(), state.conn)
        };
        post(&inbox, Event::Frame(conn, Some(protocol::encode(message))));
    }

    /// The relay closes the newest connection with `code`.
    pub fn close(&self, code: u16, reason: &str) {
        let (inbox, conn) = {
            let mut state = self.0.borrow_mut();
            state.open = false;
            (state.inbox.clone(), state.conn)
        };
        post(&inbox, Event::Closed(conn, code, reason.to_owned()));
    }

    /// The next message the engine sent, if any.
    pub fn next_sent(&self) -> Option<ClientMessage> {
        self.0.borrow_mut().sent.pop_front()
    }
}
