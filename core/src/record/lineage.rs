//! What merging and erasing leave on a record: `merged_into`, `merged_from:<id>`,
//! `not_duplicate:<id>`, `erased`; what a teammate changed on a merged-away record after the
//! merge; and a fresh copy of a record without its past (for purging an erased person).
//!
//! All are flat root keys, so marks written on two devices at once both survive.

use std::collections::{BTreeSet, HashMap};

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::{
    CREATED_AT, Channel, DELETED, Edit, Field, LINK_PREFIX, NOTES, Record, RecordError, TAGS,
    internal, scalar_to_text,
};
use crate::ids::{RecordId, UserId};

const MERGED_INTO: &str = "merged_into";
const MERGED_FROM_PREFIX: &str = "merged_from:";
const NOT_DUPLICATE_PREFIX: &str = "not_duplicate:";
const ERASED: &str = "erased";

/// What was changed on a merged-away record after (or concurrently with) the merge: the
/// current values of what those changes touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LateChanges {
    /// Scalar fields touched, with their current value ("" when cleared).
    pub fields: Vec<(Field, String)>,
    /// Email addresses and phone numbers added or changed.
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// Tags added (and still present).
    pub tags: Vec<String>,
    /// The notes as they are now, when they were changed.
    pub notes: Option<String>,
    /// Who made those changes, and the newest one's time (ms).
    pub authors: Vec<UserId>,
    pub last_at: i64,
}

impl LateChanges {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
            && self.emails.is_empty()
            && self.phones.is_empty()
            && self.tags.is_empty()
            && self.notes.is_none()
    }
}

impl Record {
    /// The survivor this record was merged into, if it was.
    pub fn merged_into(&self) -> Option<RecordId> {
        self.scalar_text(&ROOT, MERGED_INTO)
            .and_then(|t| RecordId::parse(&t).ok())
    }

    /// Records merged into this one, in id order.
    pub fn merged_from(&self) -> Vec<RecordId> {
        self.ids_with_prefix(MERGED_FROM_PREFIX)
    }

    /// Records the user said are not duplicates of this one.
    pub fn not_duplicates(&self) -> Vec<RecordId> {
        self.ids_with_prefix(NOT_DUPLICATE_PREFIX)
    }

    /// Erased for privacy: every personal value removed.
    pub fn is_erased(&self) -> bool {
        matches!(self.doc.get(ROOT, ERASED), Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
    }

    fn ids_with_prefix(&self, prefix: &str) -> Vec<RecordId> {
        let mut out: Vec<RecordId> = self
            .doc
            .keys(ROOT)
            .filter_map(|k| RecordId::parse(k.strip_prefix(prefix)?).ok())
            .collect();
        out.sort();
        out
    }

    /// What changed on this merged-away record after the last time its `merged_into` was
    /// written (the merge, or an "apply" that acknowledged earlier late changes). `None` when
    /// the record was not merged or nothing came after.
    pub fn changes_after_merge(&mut self) -> Option<LateChanges> {
        let (_, op) = self.doc.get(ROOT, MERGED_INTO).ok()??;
        let merge = self.doc.hash_for_opid(&op)?;
        let late = self.doc.get_changes(&[merge]);
        if late.is_empty() {
            return None;
        }
        let objects = self.object_ids();
        let key_of = |id: &automerge::legacy::OpId| (id.counter(), id.actor().to_hex_string());
        let mut fields = BTreeSet::new();
        let mut entries: [BTreeSet<String>; 2] = Default::default();
        let mut tags = BTreeSet::new();
        let mut notes = false;
        let mut authors = BTreeSet::new();
        let mut last_at = 0;
        for change in &late {
            last_at = last_at.max(change.timestamp());
            if let Some(a) = change.author() {
                authors.insert(String::from_utf8_lossy(a.as_bytes()).into_owned());
            }
            for op in change.decode().operations {
                let key = match &op.key {
                    Key::Map(k) => Some(k.to_string()),
                    Key::Seq(_) => None,
                };
                match (&op.obj, key) {
                    (ObjectId::Root, Some(key)) => {
                        if let Some(field) = Field::ALL.into_iter().find(|f| f.key() == key) {
                            fields.insert(field);
                        }
                    }
                    (ObjectId::Id(id), key) => match (objects.get(&key_of(id)), key) {
                        (Some(Touched::Tags), Some(tag))
                            if !matches!(op.action, OpType::Delete) =>
                        {
                            tags.insert(tag);
                        }
                        (Some(Touched::Notes), _) => notes = true,
                        (Some(Touched::ChannelMap(i)), Some(entry)) => {
                            entries[*i].insert(entry);
                        }
                        (Some(Touched::Entry(i, entry)), _) => {
                            entries[*i].insert(entry.clone());
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
        let values = |channel: Channel, ids: &BTreeSet<String>| -> Vec<String> {
            self.channel(channel)
                .into_iter()
                .filter(|e| ids.contains(&e.id))
                .map(|e| e.value)
                .collect()
        };
        let current_tags = self.tags();
        let out = LateChanges {
            fields: fields
                .into_iter()
                .filter(|f| f.applies_to(self.kind))
                .map(|f| (f, self.text(f).unwrap_or_default()))
                .collect(),
            emails: values(Channel::Email, &entries[0]),
            phones: values(Channel::Phone, &entries[1]),
            tags: tags
                .into_iter()
                .filter(|t| current_tags.contains(t))
                .collect(),
            notes: notes.then(|| self.notes()),
            authors: authors.into_iter().map(UserId).collect(),
            last_at,
        };
        (!out.is_empty()).then_some(out)
    }

    /// The nested objects a late change may touch, by op id.
    fn object_ids(&self) -> HashMap<(u64, String), Touched> {
        let mut out = HashMap::new();
        let key = |obj: &automerge::ObjId| match obj {
            automerge::ObjId::Id(counter, actor, _) => Some((*counter, actor.to_hex_string())),
            automerge::ObjId::Root => None,
        };
        for (name, what) in [(TAGS, Touched::Tags), (NOTES, Touched::Notes)] {
            if let Some(k) = self.object(name).as_ref().and_then(key) {
                out.insert(k, what);
            }
        }
        for (i, channel) in [Channel::Email, Channel::Phone].into_iter().enumerate() {
            let Some(map) = self.object(channel.key()) else {
                continue;
            };
            if let Some(k) = key(&map) {
                out.insert(k, Touched::ChannelMap(i));
            }
            for entry in self.doc.keys(&map).collect::<Vec<_>>() {
                if let Ok(Some((Value::Object(ObjType::Map), id))) =
                    self.doc.get(&map, entry.as_str())
                    && let Some(k) = key(&id)
                {
                    out.insert(k, Touched::Entry(i, entry));
                }
            }
        }
        out
    }

    /// A new document for the same record holding only its current state: every field,
    /// channel entry, tag, the notes, links and marks, written as one change by `author`.
    /// Its history is gone, and so is any shared history with other devices' copies: it is
    /// meant to replace every copy (purging an erased record), never to be merged with them.
    pub fn rebuilt(&self, author: &UserId, now_ms: i64) -> Record {
        let mut fresh = Record::create(self.id.clone(), self.kind, author, now_ms);
        let copy = |doc: &mut automerge::AutoCommit| -> Result<(), automerge::AutomergeError> {
            doc.put(ROOT, CREATED_AT, ScalarValue::Timestamp(self.created_at()))?;
            doc.put(ROOT, DELETED, self.is_deleted())?;
            for key in self.doc.keys(ROOT).collect::<Vec<_>>() {
                let carried = [MERGED_INTO, ERASED].contains(&key.as_str())
                    || [LINK_PREFIX, MERGED_FROM_PREFIX, NOT_DUPLICATE_PREFIX]
                        .iter()
                        .any(|p| key.starts_with(p))
                    || Field::ALL.iter().any(|f| f.key() == key)
                    || [Channel::Email, Channel::Phone]
                        .iter()
                        .any(|c| c.primary_key() == key);
                if !carried {
                    continue;
                }
                if let Ok(Some((Value::Scalar(s), _))) = self.doc.get(ROOT, key.as_str()) {
                    doc.put(ROOT, key.as_str(), s.into_owned())?;
                }
            }
            Ok(())
        };
        let mut result = copy(&mut fresh.doc);
        let tags = self.tags();
        let notes = self.notes();
        let channels = [Channel::Email, Channel::Phone].map(|c| (c, self.channel(c)));
        if result.is_ok() {
            result = (|| {
                let tag_map = fresh.object(TAGS).expect("created with the record");
                for tag in &tags {
                    fresh.doc.put(&tag_map, tag.as_str(), true)?;
                }
                let notes_obj = fresh.object(NOTES).expect("created with the record");
                fresh.doc.update_text(&notes_obj, &notes)?;
                for (channel, entries) in &channels {
                    let map = fresh
                        .object(channel.key())
                        .expect("created with the record");
                    for e in entries {
                        let entry = fresh.doc.put_object(&map, e.id.as_str(), ObjType::Map)?;
                        fresh.doc.put(&entry, super::VALUE, e.value.as_str())?;
                        if !e.label.is_empty() {
                            fresh.doc.put(&entry, super::LABEL, e.label.as_str())?;
                        }
                    }
                }
                Ok(())
            })();
        }
        debug_assert!(result.is_ok(), "{result:?}");
        fresh
            .doc
            .commit_with(CommitOptions::default().with_time(now_ms));
        fresh
    }
}

enum Touched {
    Tags,
    Notes,
    /// Email (0) or phone (1) map: a key put there is a new entry.
    ChannelMap(usize),
    Entry(usize, String),
}

impl Edit<'_> {
    /// Marks this record as merged into `survivor`. Writing it again (same value) records that
    /// the changes made so far after the merge were dealt with.
    pub fn set_merged_into(&mut self, survivor: &RecordId) -> Result<(), RecordError> {
        // Automerge skips a put of the value a key already holds: delete first so the
        // acknowledgement is a new op.
        if self.doc.get(ROOT, MERGED_INTO).map_err(internal)?.is_some() {
            self.doc.delete(ROOT, MERGED_INTO).map_err(internal)?;
        }
        self.doc
            .put(ROOT, MERGED_INTO, survivor.as_str())
            .map_err(internal)
    }

    /// Undoes [`Edit::set_merged_into`].
    pub fn clear_merged_into(&mut self) -> Result<(), RecordError> {
        if self.doc.get(ROOT, MERGED_INTO).map_err(internal)?.is_some() {
            self.doc.delete(ROOT, MERGED_INTO).map_err(internal)?;
        }
        Ok(())
    }

    /// On the survivor: `other` was merged into this record.
    pub fn add_merged_from(&mut self, other: &RecordId, now_ms: i64) -> Result<(), RecordError> {
        self.doc
            .put(
                ROOT,
                format!("{MERGED_FROM_PREFIX}{other}"),
                ScalarValue::Timestamp(now_ms),
            )
            .map_err(internal)
    }

    pub fn remove_merged_from(&mut self, other: &RecordId) -> Result<(), RecordError> {
        self.remove_key(format!("{MERGED_FROM_PREFIX}{other}"))
    }

    /// The user said `other` is not a duplicate of this record.
    pub fn dismiss_duplicate(&mut self, other: &RecordId) -> Result<(), RecordError> {
        self.doc
            .put(ROOT, format!("{NOT_DUPLICATE_PREFIX}{other}"), true)
            .map_err(internal)
    }

    pub fn undismiss_duplicate(&mut self, other: &RecordId) -> Result<(), RecordError> {
        self.remove_key(format!("{NOT_DUPLICATE_PREFIX}{other}"))
    }

    /// Marks the record erased (see `kith_core::privacy`).
    pub fn mark_erased(&mut self) -> Result<(), RecordError> {
        self.doc.put(ROOT, ERASED, true).map_err(internal)
    }

    /// Every link of this record (for erasing).
    pub fn linked_ids(&self) -> Vec<RecordId> {
        self.doc
            .keys(ROOT)
            .filter_map(|k| RecordId::parse(k.strip_prefix(LINK_PREFIX)?).ok())
            .collect()
    }

    fn remove_key(&mut self, key: String) -> Result<(), RecordError> {
        if self
            .doc
            .get(ROOT, key.as_str())
            .map_err(internal)?
            .is_some()
        {
            self.doc.delete(ROOT, key).map_err(internal)?;
        }
        Ok(())
    }
}

impl Edit<'_> {
    /// Removes the entries of `channel` holding `value` (undoing an add whose entry id is not
    /// known, as after a merge).
    pub fn remove_channel_value(
        &mut self,
        channel: Channel,
        value: &str,
    ) -> Result<(), RecordError> {
        let map = self.object(channel.key())?;
        let doomed: Vec<String> = self
            .doc
            .keys(&map)
            .filter(|id| {
                matches!(self.doc.get(&map, id.as_str()), Ok(Some((Value::Object(ObjType::Map), entry)))
                    if matches!(self.doc.get(&entry, super::VALUE), Ok(Some((v, _))) if scalar_to_text(&v).as_deref() == Some(value)))
            })
            .collect();
        for id in doomed {
            self.doc.delete(&map, id.as_str()).map_err(internal)?;
        }
        Ok(())
    }

    /// Every entry id of `channel` (for erasing).
    pub fn channel_ids(&self, channel: Channel) -> Vec<String> {
        match self.object(channel.key()) {
            Ok(map) => self.doc.keys(&map).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Every tag (for erasing).
    pub fn tag_names(&self) -> Vec<String> {
        match self.object(TAGS) {
            Ok(tags) => self.doc.keys(&tags).collect(),
            Err(_) => Vec::new(),
        }
    }
}
