//! Bytes that carry their own format version: one version byte, then exactly one postcard
//! value. Used for wire frames and stored summaries, so a reader refuses what it cannot read
//! before decoding anything.

use serde::{Deserialize, Serialize};

/// Why versioned bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionedError {
    Empty,
    Version(u8),
    Malformed(String),
}

pub fn encode<T: Serialize>(version: u8, value: &T) -> Vec<u8> {
    let mut bytes = vec![version];
    // Our own types serialise into a Vec without fail: no maps with non-string keys, no I/O.
    bytes.extend(postcard::to_allocvec(value).expect("Kith's own types always serialise"));
    bytes
}

/// Trailing bytes are an error: the bytes hold exactly one value.
pub fn decode<T: for<'de> Deserialize<'de>>(
    version: u8,
    bytes: &[u8],
) -> Result<T, VersionedError> {
    let (&found, body) = bytes.split_first().ok_or(VersionedError::Empty)?;
    if found != version {
        return Err(VersionedError::Version(found));
    }
    let (value, rest) =
        postcard::take_from_bytes(body).map_err(|e| VersionedError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(VersionedError::Malformed(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    Ok(value)
}
