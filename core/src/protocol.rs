//! The relay wire protocol: binary WebSocket frames.
//!
//! A frame is one byte of protocol version followed by a postcard-encoded message. The version
//! byte comes first so a peer can refuse a frame it cannot read before decoding anything.

use serde::{Deserialize, Serialize};

use crate::versioned::{self, VersionedError};

/// Version of the frame layout and message set. Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u8 = 1;

/// Largest frame either side accepts by default, in bytes (the relay's limit is configurable).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Close codes the relay uses when it ends a connection because of what the peer sent.
/// 1000–2999 are the standard RFC 6455 codes; 4000–4999 are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum CloseCode {
    /// The relay is shutting down or restarting; reconnect later.
    GoingAway = 1001,
    /// A WebSocket-level protocol error (bad framing, masking, control frames).
    ProtocolError = 1002,
    /// A text frame: the protocol is binary only.
    UnsupportedData = 1003,
    /// A frame whose payload is inconsistent with its type (a text frame that is not UTF-8).
    InvalidPayload = 1007,
    /// A frame larger than the relay's limit.
    TooBig = 1009,
    /// The relay could not do its part (e.g. its database is unavailable); reconnect later.
    Internal = 1011,
    /// The frame could not be decoded as a message.
    Malformed = 4400,
    /// A message that is valid but not allowed at this point (e.g. anything before `Hello`).
    ProtocolViolation = 4409,
    /// The session token is missing, unknown, expired or revoked: sign in again.
    Unauthorized = 4401,
    /// Not a member of that workspace (or it does not exist: the two are never told apart),
    /// or the membership was removed while connected.
    Forbidden = 4403,
    /// The frame's version byte is one this relay does not speak.
    UnsupportedVersion = 4426,
    /// The connection did not join a workspace in time, or went silent: reconnect.
    TimedOut = 4408,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn from_code(code: u16) -> Option<Self> {
        [
            Self::GoingAway,
            Self::ProtocolError,
            Self::UnsupportedData,
            Self::InvalidPayload,
            Self::TooBig,
            Self::Internal,
            Self::Malformed,
            Self::ProtocolViolation,
            Self::Unauthorized,
            Self::Forbidden,
            Self::UnsupportedVersion,
            Self::TimedOut,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// Most changes a client may push in one `Push` (the frame limit applies as well).
pub const MAX_PUSH_CHANGES: usize = 1_000;
/// Largest single Automerge change the relay accepts, in bytes as stored (inflated).
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;
/// Most bytes of changes one record may hold on the relay: a record stays small enough for
/// every device to load and for its snapshot to travel in one frame.
pub const MAX_RECORD_BYTES: u64 = 4 * 1024 * 1024;

/// What a client sends to the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMessage {
    /// First message on every connection.
    Hello {
        /// Free-form client name and version, for the relay's logs.
        client: String,
    },
    /// Liveness check; the relay answers with `Pong` carrying the same nonce.
    Ping { nonce: u64 },
    /// Opens a workspace's change stream (after `Welcome`). The relay answers `Joined`, then
    /// streams everything after `cursor` as `Records` batches, then live changes. A bad or
    /// expired token closes with 4401; a workspace the user is not a member of with 4403.
    Join {
        token: String,
        workspace: String,
        /// Last workspace sequence number this device has applied; 0 for a new device.
        cursor: u64,
    },
    /// Local changes for the relay to store and forward; answered by `Ack` once durable, or
    /// `PushRefused`. Pushing the same change twice is harmless.
    Push {
        batch: u64,
        changes: Vec<PushedChange>,
    },
    /// Which record this connection is looking at (`None`: none). Ephemeral, never stored.
    /// Only after `Join`; a record id that is not a UUID closes the connection with 4400.
    Viewing { record: Option<String> },
    /// Erases a record for good (a person's right to erasure): the relay deletes every change
    /// and snapshot it holds of the record, tells every device (`Erased`), and from then on
    /// drops changes to it. Answered like a push: `Ack` once durable, or `PushRefused`
    /// (viewers). Erasing twice is harmless.
    Erase { batch: u64, record: String },
}

/// One Automerge change (its raw bytes, as `Change::raw_bytes`) to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedChange {
    /// The record's id (a UUID).
    pub record: String,
    pub bytes: Vec<u8>,
}

/// A member's role in a workspace, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// May create and edit records.
    pub fn can_write(self) -> bool {
        self != Self::Viewer
    }

    /// May invite, remove members and change roles (never to or from owner unless owner).
    pub fn can_manage(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }

    /// May erase a record for good, from the relay and every device.
    pub fn can_erase(self) -> bool {
        self.can_manage()
    }

    /// May push changes written by others (restoring or uploading a workspace's history).
    pub fn can_relay_others(self) -> bool {
        self.can_manage()
    }
}

/// What the relay holds for one record in a `Records` batch: a compacted snapshot (new
/// devices) and/or changes. Applying either twice is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPayload {
    pub record: String,
    pub snapshot: Option<Vec<u8>>,
    pub changes: Vec<Vec<u8>>,
}

/// Someone looking at a record right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: String,
    pub name: String,
    pub record: String,
}

/// Why a push was refused; the connection stays open and nothing of the batch was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The member's role does not allow writing (viewer).
    ReadOnly,
    /// A change could not be decoded, its checksum is wrong, it would leave its record
    /// unreadable, it is written in someone else's name, or its record id is not a UUID.
    Invalid,
    /// Too many changes in one batch, a change over the size limit, or a record that would
    /// outgrow its limit.
    TooLarge,
    /// The workspace has used all the storage the relay allows it.
    Full,
}

/// What the relay sends to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerMessage {
    /// Answer to `Hello`: the connection is ready.
    Welcome {
        /// The relay's version (its crate version).
        relay_version: String,
        /// Stable id of this relay's database, so a client can tell relays apart.
        relay_id: String,
    },
    Pong {
        nonce: u64,
    },
    /// Answer to `Join`: the stream follows.
    Joined {
        workspace: String,
        user: String,
        role: Role,
        /// The workspace's newest sequence number when joined.
        head: u64,
    },
    /// Records to merge. Once every payload is applied the client may store `cursor` (when
    /// `Some`) as its new cursor; snapshot batches of a new device carry `None`. `caught_up`
    /// is true on the batch that reaches the workspace's head at the time it was read.
    ///
    /// After `Joined` the relay always sends at least one batch, the last of the catch-up
    /// with `caught_up: true` (possibly with no items). A record may appear in several
    /// payloads and batches. Changes this connection pushed itself are not sent back: a batch
    /// may then hold fewer items than its cursor moved past, or none at all.
    Records {
        items: Vec<RecordPayload>,
        cursor: Option<u64>,
        caught_up: bool,
    },
    /// Every change of push `batch` is durable on the relay (`head` is the log's head after it).
    Ack {
        batch: u64,
        head: u64,
    },
    /// Push `batch` was refused; nothing of it was stored.
    PushRefused {
        batch: u64,
        reason: Refusal,
        message: String,
    },
    /// Everyone else in the workspace looking at a record, replacing the previous list: one
    /// entry per person and record, never the connection's own user. Sent after `Joined` and
    /// whenever the list changes. Per relay process: with several relay nodes, people on
    /// another node are not listed.
    Presence {
        viewers: Vec<Viewer>,
    },
    /// These records were erased (in log order, at the log position `cursor`): delete every
    /// byte of them and ignore anything that still arrives for them. After it the client may
    /// store `cursor`; `caught_up` as in `Records`.
    Erased {
        records: Vec<String>,
        cursor: u64,
        caught_up: bool,
    },
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("empty frame")]
    Empty,
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    TooBig { size: usize, limit: usize },
    #[error("protocol version {0} is not supported (this side speaks version {PROTOCOL_VERSION})")]
    UnsupportedVersion(u8),
    #[error("malformed message: {0}")]
    Malformed(String),
}

impl FrameError {
    /// The close code a relay sends when a client's frame fails this way.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::Empty | Self::Malformed(_) => CloseCode::Malformed,
            Self::TooBig { .. } => CloseCode::TooBig,
            Self::UnsupportedVersion(_) => CloseCode::UnsupportedVersion,
        }
    }
}

/// Encodes a message as a frame of the current protocol version.
pub fn encode<M: Serialize>(message: &M) -> Vec<u8> {
    versioned::encode(PROTOCOL_VERSION, message)
}

/// Decodes a frame, checking its size and version first. Trailing bytes are an error: a frame
/// holds exactly one message.
pub fn decode<M: for<'de> Deserialize<'de>>(
    frame: &[u8],
    max_bytes: usize,
) -> Result<M, FrameError> {
    if frame.len() > max_bytes {
        return Err(FrameError::TooBig {
            size: frame.len(),
            limit: max_bytes,
        });
    }
    versioned::decode(PROTOCOL_VERSION, frame).map_err(|e| match e {
        VersionedError::Empty => FrameError::Empty,
        VersionedError::Version(v) => FrameError::UnsupportedVersion(v),
        VersionedError::Malformed(m) => FrameError::Malformed(m),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hello_round_trips() {
        let hello = ClientMessage::Hello {
            client: "kith-app/0.1.0".into(),
        };
        let frame = encode(&hello);
        assert_eq!(frame[0], PROTOCOL_VERSION);
        assert_eq!(
            decode::<ClientMessage>(&frame, DEFAULT_MAX_FRAME_BYTES),
            Ok(hello)
        );
    }

    #[test]
    fn server_messages_round_trip() {
        for m in [
            ServerMessage::Welcome {
                relay_version: "0.1.0".into(),
                relay_id: "r1".into(),
            },
            ServerMessage::Pong { nonce: u64::MAX },
        ] {
            assert_eq!(decode::<ServerMessage>(&encode(&m), 64), Ok(m));
        }
    }

    #[test]
    fn empty_frame_is_rejected() {
        assert_eq!(decode::<ClientMessage>(&[], 64), Err(FrameError::Empty));
    }

    #[test]
    fn other_version_is_rejected_before_decoding() {
        let mut frame = encode(&ClientMessage::Ping { nonce: 1 });
        frame[0] = PROTOCOL_VERSION + 1;
        let err = decode::<ClientMessage>(&frame, 64).unwrap_err();
        assert_eq!(err, FrameError::UnsupportedVersion(PROTOCOL_VERSION + 1));
        assert_eq!(err.close_code(), CloseCode::UnsupportedVersion);
    }

    #[test]
    fn oversized_frame_is_rejected() {
        let frame = encode(&ClientMessage::Hello {
            client: "x".repeat(100),
        });
        let err = decode::<ClientMessage>(&frame, 50).unwrap_err();
        assert!(matches!(err, FrameError::TooBig { limit: 50, .. }));
        assert_eq!(err.close_code(), CloseCode::TooBig);
    }

    #[test]
    fn trailing_bytes_are_malformed() {
        let mut frame = encode(&ClientMessage::Ping { nonce: 7 });
        frame.push(0);
        let err = decode::<ClientMessage>(&frame, 64).unwrap_err();
        assert!(matches!(err, FrameError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn unknown_variant_is_malformed() {
        let err = decode::<ClientMessage>(&[PROTOCOL_VERSION, 200], 64).unwrap_err();
        assert_eq!(err.close_code(), CloseCode::Malformed);
    }

    #[test]
    fn close_codes_map_back() {
        for code in [1001, 1003, 1009, 1011, 4400, 4401, 4403, 4409, 4426] {
            assert_eq!(CloseCode::from_code(code).map(CloseCode::code), Some(code));
        }
        assert_eq!(CloseCode::from_code(1000), None);
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode::<ClientMessage>(&bytes, 128);
            let _ = decode::<ServerMessage>(&bytes, 128);
        }

        #[test]
        fn any_hello_round_trips(client in ".{0,64}", nonce in any::<u64>()) {
            let hello = ClientMessage::Hello { client };
            prop_assert_eq!(decode::<ClientMessage>(&encode(&hello), 1024), Ok(hello));
            let ping = ClientMessage::Ping { nonce };
            prop_assert_eq!(decode::<ClientMessage>(&encode(&ping), 1024), Ok(ping));
        }
    }
}
