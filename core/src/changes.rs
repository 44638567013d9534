//! Splitting stored bytes into single Automerge changes, the unit the relay logs and dedupes.

use automerge::{Automerge, Change};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not Automerge changes or a document: {0}")]
pub struct NotChanges(pub String);

/// One change's raw (uncompressed) bytes and hash, validated (its checksum matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidChange {
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
}

/// A change as the relay checked it: its stored bytes plus who it says wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedChange {
    pub change: ValidChange,
    /// The Automerge actor (hex): one device's session on one record.
    pub actor: String,
    /// The Author footer, when the change carries one (Kith writes the user id there).
    pub author: Option<String>,
}

/// Why a pushed change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unacceptable {
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Invalid(String),
}

/// Automerge's chunk header: magic bytes, then a checksum of the chunk's contents.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_COMPRESSED_CHANGE: u8 = 2;

/// Reads exactly one change (an outbox entry may be one).
pub fn read_change(bytes: &[u8]) -> Result<ValidChange, NotChanges> {
    let change = Change::try_from(bytes).map_err(|e| NotChanges(e.to_string()))?;
    Ok(ValidChange {
        hash: change.hash().0,
        bytes: change.raw_bytes().to_vec(),
    })
}

/// What the relay accepts in a push: exactly one change whose *stored* (inflated) size is at
/// most `max_bytes`, whose checksum matches its contents, and that keeps its record readable
/// by this schema ([`crate::record::check_schema`]). A compressed change is inflated at
/// most `max_bytes + 1` bytes before anything else parses it.
pub fn check_pushed(bytes: &[u8], max_bytes: usize) -> Result<CheckedChange, Unacceptable> {
    let invalid = |why: String| Unacceptable::Invalid(why);
    let too_large = || {
        Unacceptable::TooLarge(format!(
            "it holds more than {max_bytes} bytes once inflated; at most {max_bytes} are accepted"
        ))
    };
    // Inflating never shrinks a change: what is over the limit as sent is over it as stored.
    if bytes.len() > max_bytes {
        return Err(too_large());
    }
    let header = chunk_header(bytes).ok_or_else(|| invalid("not an Automerge change".into()))?;
    let stored = if header.kind == CHUNK_COMPRESSED_CHANGE {
        inflated_len(&bytes[header.data_start..], max_bytes)
            .ok_or_else(|| invalid("its compressed contents cannot be inflated".into()))?
            .saturating_add(header.data_start)
    } else {
        bytes.len()
    };
    if stored > max_bytes {
        return Err(too_large());
    }
    let change =
        Change::try_from(bytes).map_err(|e| invalid(format!("not one Automerge change: {e}")))?;
    if change.hash().0[..4] != header.checksum {
        return Err(invalid(
            "its checksum does not match its contents (damaged or altered)".into(),
        ));
    }
    let sets_type = crate::record::check_schema(&change).map_err(invalid)?;
    // A change with no dependencies starts a record's history: without a type the record
    // could never be read. (A later change may arrive before the ones it depends on.)
    if change.deps().is_empty() && !sets_type {
        return Err(invalid(
            "it starts a record without giving it a type".into(),
        ));
    }
    Ok(CheckedChange {
        actor: change.actor_id().to_hex_string(),
        author: change
            .author()
            .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned()),
        change: ValidChange {
            hash: change.hash().0,
            bytes: change.raw_bytes().to_vec(),
        },
    })
}

struct ChunkHeader {
    checksum: [u8; 4],
    kind: u8,
    data_start: usize,
}

/// The header of exactly one chunk filling `bytes` (magic, checksum, type, LEB128 length).
fn chunk_header(bytes: &[u8]) -> Option<ChunkHeader> {
    if bytes.get(..4)? != MAGIC {
        return None;
    }
    let checksum: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
    let kind = *bytes.get(8)?;
    let mut len: u64 = 0;
    let mut at = 9;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (usize::try_from(len).ok()? == bytes.len() - at).then_some(ChunkHeader {
                checksum,
                kind,
                data_start: at,
            });
        }
    }
    None
}

/// How many bytes `deflated` inflates to, reading at most `max + 1` of them.
fn inflated_len(deflated: &[u8], max: usize) -> Option<usize> {
    use std::io::Read;
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut sink = Vec::new();
    flate2::bufread::DeflateDecoder::new(deflated)
        .take(limit)
        .read_to_end(&mut sink)
        .ok()
}

/// Splits a single change, concatenated change chunks or a whole saved document into its
/// changes, in causal order. An outbox may hold any of these.
pub fn split_changes(bytes: &[u8]) -> Result<Vec<ValidChange>, NotChanges> {
    if let Ok(one) = read_change(bytes) {
        return Ok(vec![one]);
    }
    let doc = Automerge::load(bytes).map_err(|e| NotChanges(e.to_string()))?;
    Ok(doc
        .get_changes(&[])
        .into_iter()
        .map(|c| ValidChange {
            hash: c.hash().0,
            bytes: c.raw_bytes().to_vec(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RecordId, UserId};
    use crate::record::{Field, Record, RecordKind};
    use automerge::ReadDoc;

    #[test]
    fn a_document_splits_into_changes_that_rebuild_it() {
        let author = UserId("u1".into());
        let mut record = Record::create(RecordId::new(), RecordKind::Person, &author, 1);
        let edit = record
            .edit(2, |e| e.set(Field::Name, "Ada"))
            .unwrap()
            .unwrap();
        assert_eq!(split_changes(&edit).unwrap().len(), 1);
        let changes = split_changes(&record.save()).unwrap();
        assert_eq!(changes.len(), 2);
        let mut doc = Automerge::new();
        for c in &changes {
            doc.load_incremental(&c.bytes).unwrap();
        }
        assert!(doc.get_missing_deps(&[]).is_empty());
        assert_eq!(doc.get_changes(&[]).len(), 2);
    }

    fn edit_of_new_person() -> (Record, Vec<u8>) {
        let mut record =
            Record::create(RecordId::new(), RecordKind::Person, &UserId("u1".into()), 1);
        let edit = record
            .edit(2, |e| e.set(Field::Name, "Ada"))
            .unwrap()
            .unwrap();
        (record, edit)
    }

    #[test]
    fn a_pushed_change_is_checked_and_says_who_wrote_it() {
        let (mut record, edit) = edit_of_new_person();
        let checked = check_pushed(&edit, MAX).unwrap();
        assert_eq!(checked.change, read_change(&edit).unwrap());
        // Only an actor's first change carries the Author footer; its actor says who after.
        assert_eq!(checked.author, None);
        let creation = check_pushed(&record.changes()[0], MAX).unwrap();
        assert_eq!(creation.author.as_deref(), Some("u1"));
        assert_eq!(creation.actor, checked.actor);
        assert_eq!(checked.actor.len(), 32);
    }

    const MAX: usize = 256 * 1024;

    #[test]
    fn a_damaged_checksum_is_refused() {
        let (_, mut edit) = edit_of_new_person();
        edit[5] ^= 0xff;
        assert!(
            matches!(check_pushed(&edit, MAX), Err(Unacceptable::Invalid(m)) if m.contains("checksum"))
        );
    }

    #[test]
    fn sizes_count_the_inflated_bytes_of_a_compressed_change() {
        // Long runs compress to a few bytes: Automerge sends such a change deflated.
        let text = "a".repeat(300 * 1024);
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "type", "person")
            .unwrap();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "x", text.as_str())
            .unwrap();
        let mut change = doc.get_last_local_change().unwrap().clone();
        let compressed = change.bytes().into_owned();
        assert!(
            compressed.len() < 4 * 1024,
            "compressed to {}",
            compressed.len()
        );
        assert!(matches!(
            check_pushed(&compressed, MAX),
            Err(Unacceptable::TooLarge(_))
        ));
        assert!(check_pushed(&compressed, 1024 * 1024).is_ok());
        // A deflate bomb is refused after inflating at most MAX + 1 bytes.
        assert!(
            inflated_len(
                &compressed[chunk_header(&compressed).unwrap().data_start..],
                10
            )
            .unwrap()
                == 11
        );
    }

    #[test]
    fn junk_is_refused() {
        assert!(check_pushed(b"not automerge", MAX).is_err());
        assert!(check_pushed(&[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 0xff], MAX).is_err());
        assert!(split_changes(b"not automerge").is_err());
        assert!(read_change(&[]).is_err());
    }
}
