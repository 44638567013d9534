//! Identifiers shared by every record and every device.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A record's id: a UUID v7, so ids sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId(String);

impl RecordId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Accepts a UUID in any case and hyphenation; stores the canonical lower-case form.
    pub fn parse(text: &str) -> Result<Self, InvalidId> {
        uuid::Uuid::parse_str(text.trim())
            .map(|u| Self(u.to_string()))
            .map_err(|_| InvalidId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RecordId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a record id")]
pub struct InvalidId(pub String);

/// Who made a change: a relay account id, or the local profile of a workspace with no account.
/// Automerge's Author API records it on every change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserId(pub String);

impl UserId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation() {
        let ids: Vec<RecordId> = (0..50).map(|_| RecordId::new()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn parse_canonicalises_and_rejects_junk() {
        let id = RecordId::new();
        assert_eq!(RecordId::parse(&id.as_str().to_uppercase()), Ok(id));
        assert!(RecordId::parse("not-an-id").is_err());
    }
}
