//! Splitting stored bytes into single Automerge changes, the unit the relay logs and dedupes.

use automerge::{Automerge, Change};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not Automerge changes or a document: {0}")]
pub struct NotChanges(pub String);

/// One change's raw bytes and hash, validated (its checksum matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidChange {
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
}

/// Reads exactly one change (what the relay accepts in a push).
pub fn read_change(bytes: &[u8]) -> Result<ValidChange, NotChanges> {
    let change = Change::try_from(bytes).map_err(|e| NotChanges(e.to_string()))?;
    Ok(ValidChange {
        hash: change.hash().0,
        bytes: change.raw_bytes().to_vec(),
    })
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

    #[test]
    fn junk_is_refused() {
        assert!(split_changes(b"not automerge").is_err());
        assert!(read_change(&[]).is_err());
    }
}
