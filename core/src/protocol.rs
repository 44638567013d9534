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
    /// A text frame: the protocol is binary only.
    UnsupportedData = 1003,
    /// A frame larger than the relay's limit.
    TooBig = 1009,
    /// The frame could not be decoded as a message.
    Malformed = 4400,
    /// A message that is valid but not allowed at this point (e.g. anything before `Hello`).
    ProtocolViolation = 4409,
    /// The frame's version byte is one this relay does not speak.
    UnsupportedVersion = 4426,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn from_code(code: u16) -> Option<Self> {
        [
            Self::GoingAway,
            Self::UnsupportedData,
            Self::TooBig,
            Self::Malformed,
            Self::ProtocolViolation,
            Self::UnsupportedVersion,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

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
        for code in [1001, 1003, 1009, 4400, 4409, 4426] {
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
