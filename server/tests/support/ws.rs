//! A sync client for tests: a real WebSocket speaking the relay protocol, and a `Device` that
//! joins a workspace and keeps a replica of every record it was sent (plain Automerge
//! documents), its cursor, its acks and the presence it was told about.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use automerge::{Automerge, Change, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::{
    self, ClientMessage, PushedChange, Refusal, Role, ServerMessage, Viewer,
};
use kith_core::record::{Field, Record, RecordKind};
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for anything the relay should do.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// What the relay did with a push.
pub type PushOutcome = Result<u64, (Refusal, String)>;

/// A greeted connection.
pub struct Client {
    pub socket: Socket,
}

/// What came from the relay: a message, or the end of the connection.
#[derive(Debug)]
pub enum Incoming {
    Message(ServerMessage),
    Closed(u16, String),
}

impl Client {
    /// Connects and exchanges Hello/Welcome.
    pub async fn connect(addr: SocketAddr) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("websocket connects");
        let mut client = Self { socket };
        client
            .send(&ClientMessage::Hello {
                client: "sync-test".into(),
            })
            .await;
        match client.recv().await {
            ServerMessage::Welcome { .. } => client,
            other => panic!("expected Welcome, got {other:?}"),
        }
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        self.socket
            .send(Message::Binary(protocol::encode(message).into()))
            .await
            .expect("frame sent");
    }

    /// The next message or the close, within the deadline.
    pub async fn incoming(&mut self) -> Incoming {
        loop {
            let next = tokio::time::timeout(DEADLINE, self.socket.next())
                .await
                .expect("the relay answered in time");
            match next {
                Some(Ok(Message::Binary(frame))) => {
                    return Incoming::Message(
                        protocol::decode(&frame, 4 * protocol::DEFAULT_MAX_FRAME_BYTES)
                            .expect("a frame the client can read"),
                    );
                }
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Incoming::Closed(frame.code.into(), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) | None => {
                    return Incoming::Closed(1005, String::new());
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Incoming::Closed(1006, e.to_string()),
            }
        }
    }

    pub async fn recv(&mut self) -> ServerMessage {
        match self.incoming().await {
            Incoming::Message(m) => m,
            Incoming::Closed(code, reason) => {
                panic!("closed ({code}: {reason}), expected a message")
            }
        }
    }

    /// Reads until the relay closes; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            if let Incoming::Closed(code, reason) = self.incoming().await {
                return (code, reason);
            }
        }
    }
}

/// What `Joined` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedInfo {
    pub user: String,
    pub role: Role,
    pub head: u64,
}

/// A device joined to one workspace, with a replica of what it was sent.
pub struct Device {
    pub client: Client,
    pub joined: JoinedInfo,
    /// The last cursor the relay gave.
    pub cursor: u64,
    pub caught_up: bool,
    pub docs: BTreeMap<String, Automerge>,
    /// Every `Records` batch received, in order.
    pub batches: Vec<ServerMessage>,
    pub acks: HashMap<u64, PushOutcome>,
    pub presence: Option<Vec<Viewer>>,
    /// Records the relay said were erased, in order.
    pub erased: Vec<String>,
    next_batch: u64,
    next_nonce: u64,
}

impl Device {
    /// Connects and joins; `Err` holds the close code and reason when the relay refused.
    pub async fn join(
        addr: SocketAddr,
        token: &str,
        workspace: &str,
        cursor: u64,
    ) -> Result<Self, (u16, String)> {
        let mut client = Client::connect(addr).await;
        client
            .send(&ClientMessage::Join {
                token: token.into(),
                workspace: workspace.into(),
                cursor,
            })
            .await;
        match client.incoming().await {
            Incoming::Message(ServerMessage::Joined {
                workspace: joined,
                user,
                role,
                head,
            }) => {
                assert_eq!(joined, workspace);
                Ok(Self {
                    client,
                    joined: JoinedInfo { user, role, head },
                    cursor,
                    caught_up: false,
                    docs: BTreeMap::new(),
                    batches: Vec::new(),
                    acks: HashMap::new(),
                    presence: None,
                    erased: Vec::new(),
                    next_batch: 1,
                    next_nonce: 1,
                })
            }
            Incoming::Message(other) => panic!("expected Joined, got {other:?}"),
            Incoming::Closed(code, reason) => Err((code, reason)),
        }
    }

    /// Joins and reads until caught up.
    pub async fn synced(addr: SocketAddr, token: &str, workspace: &str, cursor: u64) -> Self {
        let mut device = Self::join(addr, token, workspace, cursor)
            .await
            .expect("joined");
        device.until("caught up", |d| d.caught_up).await;
        device
    }

    /// Receives one message and applies it to the replica.
    pub async fn step(&mut self) -> ServerMessage {
        let message = self.client.recv().await;
        self.apply(&message);
        message
    }

    fn apply(&mut self, message: &ServerMessage) {
        match message {
            ServerMessage::Records {
                items,
                cursor,
                caught_up,
            } => {
                for item in items {
                    let doc = self.docs.entry(item.record.clone()).or_default();
                    if let Some(snapshot) = &item.snapshot {
                        doc.load_incremental(snapshot).expect("a readable snapshot");
                    }
                    let changes: Vec<Change> = item
                        .changes
                        .iter()
                        .map(|c| Change::try_from(&c[..]).expect("a readable change"))
                        .collect();
                    doc.apply_changes(changes).expect("changes apply");
                }
                if let Some(cursor) = cursor {
                    assert!(*cursor >= self.cursor || self.cursor > self.joined.head);
                    self.cursor = *cursor;
                }
                self.caught_up = *caught_up;
                self.batches.push(message.clone());
            }
            ServerMessage::Ack { batch, head } => {
                self.acks.insert(*batch, Ok(*head));
            }
            ServerMessage::PushRefused {
                batch,
                reason,
                message,
            } => {
                self.acks.insert(*batch, Err((*reason, message.clone())));
            }
            ServerMessage::Presence { viewers } => self.presence = Some(viewers.clone()),
            ServerMessage::Erased {
                records,
                cursor,
                caught_up,
            } => {
                for record in records {
                    self.docs.remove(record);
                    self.erased.push(record.clone());
                }
                self.cursor = *cursor;
                self.caught_up = *caught_up;
            }
            _ => {}
        }
    }

    /// Reads messages until `done` holds, failing after the deadline.
    pub async fn until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
            self.step().await;
        }
    }

    /// Sends a push without waiting; returns its batch number. Like a real client, the
    /// device's own replica already holds what it pushes (when the bytes are changes).
    pub async fn send_push(&mut self, changes: Vec<PushedChange>) -> u64 {
        for change in &changes {
            if let Ok(parsed) = Change::try_from(&change.bytes[..]) {
                let doc = self.docs.entry(change.record.clone()).or_default();
                doc.apply_changes([parsed]).expect("own changes apply");
            }
        }
        let batch = self.next_batch;
        self.next_batch += 1;
        self.client
            .send(&ClientMessage::Push { batch, changes })
            .await;
        batch
    }

    /// Pushes and waits for the relay's answer.
    pub async fn push(&mut self, changes: Vec<PushedChange>) -> PushOutcome {
        let batch = self.send_push(changes).await;
        self.until("the push's answer", |d| d.acks.contains_key(&batch))
            .await;
        self.acks[&batch].clone()
    }

    /// Asks the relay to erase `record` and waits for its answer.
    pub async fn erase(&mut self, record: &str) -> PushOutcome {
        let batch = self.next_batch;
        self.next_batch += 1;
        self.client
            .send(&ClientMessage::Erase {
                batch,
                record: record.into(),
            })
            .await;
        self.until("the erasure's answer", |d| d.acks.contains_key(&batch))
            .await;
        self.acks[&batch].clone()
    }

    /// Pushes changes of `record`, expecting an ack.
    pub async fn push_record(&mut self, record: &Record, changes: &[Vec<u8>]) -> u64 {
        self.push_record_outcome(record, changes)
            .await
            .expect("push acknowledged")
    }

    /// Pushes changes of `record`: acked or refused.
    pub async fn push_record_outcome(
        &mut self,
        record: &Record,
        changes: &[Vec<u8>],
    ) -> PushOutcome {
        let pushed = changes
            .iter()
            .map(|bytes| PushedChange {
                record: record.id().to_string(),
                bytes: bytes.clone(),
            })
            .collect();
        self.push(pushed).await
    }

    /// A ping round trip: everything the relay sent before answering has been applied.
    pub async fn barrier(&mut self) -> Vec<ServerMessage> {
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        self.client.send(&ClientMessage::Ping { nonce }).await;
        let mut seen = Vec::new();
        loop {
            match self.step().await {
                ServerMessage::Pong { nonce: n } if n == nonce => return seen,
                other => seen.push(other),
            }
        }
    }

    pub async fn viewing(&mut self, record: Option<&str>) {
        self.client
            .send(&ClientMessage::Viewing {
                record: record.map(str::to_string),
            })
            .await;
    }

    /// The replica's heads for `record` (sorted, like `Record::heads`).
    pub fn heads(&self, record: &str) -> Vec<String> {
        let mut heads: Vec<String> = self
            .docs
            .get(record)
            .map(|d| d.get_heads().iter().map(|h| h.to_string()).collect())
            .unwrap_or_default();
        heads.sort();
        heads
    }

    /// Whether the replica holds every change of `record` (equal heads, nothing waiting).
    pub fn has(&self, record: &mut Record) -> bool {
        let id = record.id().to_string();
        self.docs
            .get(&id)
            .is_some_and(|d| d.get_missing_deps(&[]).is_empty())
            && self.heads(&id) == record.heads()
    }

    /// The replica of `record` read as a record.
    pub fn record(&self, record: &str) -> Record {
        let doc = self.docs.get(record).expect("the record was received");
        Record::load(
            RecordId::parse(record).unwrap(),
            &doc.save(),
            &[],
            // Edits made on this copy are this device's user's, as in the app.
            &UserId(self.joined.user.clone()),
        )
        .expect("a readable record")
    }

    /// Records and changes received so far (payload counts).
    pub fn received(&self) -> (usize, usize) {
        let mut snapshots = 0;
        let mut changes = 0;
        for batch in &self.batches {
            if let ServerMessage::Records { items, .. } = batch {
                for item in items {
                    snapshots += usize::from(item.snapshot.is_some());
                    changes += item.changes.len();
                }
            }
        }
        (snapshots, changes)
    }
}

/// A new person record by `author` named `name`: its create and name changes.
pub fn person_record(author: &super::seed::Person, name: &str) -> (Record, Vec<Vec<u8>>) {
    let mut record = Record::create(
        RecordId::new(),
        RecordKind::Person,
        &UserId(author.id.clone()),
        kith_server::now_ms(),
    );
    rename(&mut record, name);
    let changes = record.changes();
    (record, changes)
}

/// One edit of the record's name; returns the change.
pub fn rename(record: &mut Record, name: &str) -> Vec<u8> {
    record
        .edit(kith_server::now_ms(), |e| e.set(Field::Name, name))
        .unwrap()
        .expect("the edit changed something")
}
