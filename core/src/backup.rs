//! The full-workspace backup: every record's saved Automerge document in one JSON file.
//! Restoring it into an empty workspace gives identical records (the same heads), because
//! the documents travel byte for byte.
//!
//! ```json
//! {"format":"kith-backup","version":1,"workspace":{"id":"…","name":"…"},
//!  "exported_at":1764000000000,"records":[{"id":"…","kind":"person","automerge":"base64…"}]}
//! ```

use serde::{Deserialize, Serialize};

use crate::ids::{RecordId, UserId};
use crate::record::{Record, RecordError, RecordKind};

pub const FORMAT: &str = "kith-backup";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub id: String,
    pub kind: String,
    /// Base64 of the record's saved document.
    pub automerge: String,
}

impl BackupRecord {
    pub fn of(record: &mut Record) -> Self {
        Self {
            id: record.id().to_string(),
            kind: record.kind().as_str().to_string(),
            automerge: base64_encode(&record.save()),
        }
    }

    /// The record, checked: its id parses, its document loads and is of the kind named.
    pub fn load(&self, author: &UserId) -> Result<(Record, Vec<u8>), BackupError> {
        let bad = |why: String| BackupError::BadRecord {
            id: self.id.clone(),
            why,
        };
        let id = RecordId::parse(&self.id).map_err(|e| bad(e.to_string()))?;
        let bytes = base64_decode(&self.automerge).ok_or_else(|| bad("not base64".into()))?;
        let record =
            Record::load(id, &bytes, &[], author).map_err(|e: RecordError| bad(e.to_string()))?;
        if RecordKind::parse(&self.kind) != Some(record.kind()) {
            return Err(bad(format!("it is not a {}", self.kind)));
        }
        Ok((record, bytes))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    pub format: String,
    pub version: u32,
    pub workspace: WorkspaceRef,
    /// ms since the epoch.
    pub exported_at: i64,
    pub records: Vec<BackupRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error("This is not a Kith backup (a Kith backup is the .json file from “Export backup”).")]
    NotABackup,
    #[error(
        "This backup was made by a newer Kith (format version {0}); update Kith to restore it."
    )]
    Newer(u32),
    #[error("The backup file is damaged: {0}")]
    Malformed(String),
    #[error("Record {id} in the backup cannot be read: {why}")]
    BadRecord { id: String, why: String },
    #[error(
        "This backup is of the workspace “{backup}”, and “{current}” already holds records. Restore it into an empty workspace, or open “{backup}”."
    )]
    OtherWorkspace { backup: String, current: String },
}

/// Builds the file record by record, so the app can write it in slices.
pub struct BackupWriter {
    out: String,
    first: bool,
}

impl BackupWriter {
    pub fn new(workspace: &WorkspaceRef, exported_at: i64) -> Self {
        let mut out = String::from("{\"format\":\"kith-backup\",\"version\":1,\"workspace\":");
        out.push_str(&serde_json::to_string(workspace).expect("strings serialise"));
        out.push_str(&format!(",\"exported_at\":{exported_at},\"records\":[\n"));
        Self { out, first: true }
    }

    pub fn add(&mut self, record: &BackupRecord) {
        if !self.first {
            self.out.push_str(",\n");
        }
        self.first = false;
        self.out
            .push_str(&serde_json::to_string(record).expect("strings serialise"));
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("\n]}\n");
        self.out
    }
}

/// The whole file at once (tests, small workspaces).
pub fn write_backup(workspace: &WorkspaceRef, exported_at: i64, records: &mut [Record]) -> String {
    let mut writer = BackupWriter::new(workspace, exported_at);
    for record in records {
        writer.add(&BackupRecord::of(record));
    }
    writer.finish()
}

/// Reads a backup, refusing anything that is not one and versions this Kith cannot read.
pub fn read_backup(text: &str) -> Result<Backup, BackupError> {
    #[derive(Deserialize)]
    struct Header {
        format: Option<serde_json::Value>,
        version: Option<serde_json::Value>,
    }
    let text = text.trim_start_matches('\u{feff}');
    let header: Header = serde_json::from_str(text).map_err(|_| BackupError::NotABackup)?;
    if header.format.as_ref().and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(BackupError::NotABackup);
    }
    match header.version.as_ref().and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) if v > u64::from(VERSION) => {
            return Err(BackupError::Newer(u32::try_from(v).unwrap_or(u32::MAX)));
        }
        _ => return Err(BackupError::Malformed("no readable version".into())),
    }
    serde_json::from_str(text).map_err(|e| BackupError::Malformed(e.to_string()))
}

/// Whether `backup` may be restored into the workspace `current` holding `record_count`
/// records: an empty workspace takes any backup; one with records only its own.
pub fn check_restore(
    backup: &Backup,
    current: &WorkspaceRef,
    record_count: usize,
) -> Result<(), BackupError> {
    if record_count > 0 && backup.workspace.id != current.id {
        return Err(BackupError::OtherWorkspace {
            backup: backup.workspace.name.clone(),
            current: current.name.clone(),
        });
    }
    Ok(())
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone trailing character carries fewer than 8 bits: not valid base64.
    (bits < 6).then_some(out)
}

#[cfg(test)]
#[path = "backup_tests.rs"]
mod tests;
