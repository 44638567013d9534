//! A record is one Automerge document. [`Record`] is the only way the rest of Kith reads or
//! writes one: typed fields in, typed values out, every concurrent value visible.

mod choices;
mod history;
mod lineage;
mod schema;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Author, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};

pub use choices::{
    ActivityStatus, ActivityType, Answer, DealStatus, LifecycleStage, TaskPriority, TaskStatus,
    Visibility,
};
pub use history::HistoryEntry;
pub use lineage::LateChanges;
pub use schema::{Channel, Field, RecordKind};

use crate::ids::{RecordId, UserId};
use crate::summary::Summary;
use crate::validate;

const TYPE: &str = "type";
const CREATED_AT: &str = "created_at";
const UPDATED_AT: &str = "updated_at";
const DELETED: &str = "deleted";
const TAGS: &str = "tags";
const NOTES: &str = "notes";
const VALUE: &str = "value";
const LABEL: &str = "label";
/// Links to other records are root keys `link:<record id>` holding the linked record's kind:
/// flat keys, so links added on two devices at once both survive.
const LINK_PREFIX: &str = "link:";

/// Longest tag accepted, in characters.
pub const MAX_TAG_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the stored record cannot be read: {0}")]
    Corrupt(String),
    #[error("a {kind} has no field “{}”", field.label())]
    NoSuchField { kind: &'static str, field: Field },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("no {0} entry with that id")]
    NoSuchEntry(&'static str),
}

fn invalid(field: &'static str, message: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        field,
        message: message.into(),
    }
}

/// One of several values written concurrently to the same field, and who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub author: Option<UserId>,
    /// When it was written (ms since the epoch); filled by [`Record::candidates_dated`].
    pub at: Option<i64>,
}

/// A link from a record to another record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Link {
    pub id: RecordId,
    pub kind: RecordKind,
}

/// An email address or phone number with its entry id (stable across edits and devices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelEntry {
    pub id: String,
    pub value: String,
    pub label: String,
    pub primary: bool,
}

#[derive(Debug, Clone)]
pub struct Record {
    id: RecordId,
    kind: RecordKind,
    doc: AutoCommit,
}

impl Record {
    /// A new, empty record by `author`. Every nested object is created here, by one device,
    /// so no two devices ever create the same object concurrently.
    pub fn create(id: RecordId, kind: RecordKind, author: &UserId, now_ms: i64) -> Self {
        let mut doc = AutoCommit::new().with_author(Some(author_of(author)));
        let build = |doc: &mut AutoCommit| -> Result<(), automerge::AutomergeError> {
            doc.put(ROOT, TYPE, kind.as_str())?;
            doc.put(ROOT, CREATED_AT, ScalarValue::Timestamp(now_ms))?;
            doc.put(ROOT, UPDATED_AT, ScalarValue::Timestamp(now_ms))?;
            doc.put(ROOT, DELETED, false)?;
            doc.put_object(ROOT, TAGS, ObjType::Map)?;
            doc.put_object(ROOT, Channel::Email.key(), ObjType::Map)?;
            doc.put_object(ROOT, Channel::Phone.key(), ObjType::Map)?;
            doc.put_object(ROOT, NOTES, ObjType::Text)?;
            Ok(())
        };
        build(&mut doc).expect("writing to a fresh document's root cannot fail");
        doc.commit_with(CommitOptions::default().with_time(now_ms));
        Self { id, kind, doc }
    }

    /// Loads a record from its compacted snapshot and the change chunks stored after it.
    pub fn load(
        id: RecordId,
        snapshot: &[u8],
        chunks: &[&[u8]],
        author: &UserId,
    ) -> Result<Self, RecordError> {
        let corrupt = |e: automerge::AutomergeError| RecordError::Corrupt(e.to_string());
        let mut doc = AutoCommit::load(snapshot).map_err(corrupt)?;
        for chunk in chunks {
            doc.load_incremental(chunk).map_err(corrupt)?;
        }
        doc.set_author(Some(author_of(author)));
        let kind = match doc.get(ROOT, TYPE).map_err(corrupt)? {
            Some((Value::Scalar(s), _)) => s.as_str().and_then(RecordKind::parse),
            _ => None,
        }
        .ok_or_else(|| RecordError::Corrupt("no known record type".into()))?;
        Ok(Self { id, kind, doc })
    }

    pub fn id(&self) -> &RecordId {
        &self.id
    }

    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    /// The field's current (winning) value; `None` when unset.
    pub fn text(&self, field: Field) -> Option<String> {
        self.scalar_text(&ROOT, field.key())
    }

    /// Every value written concurrently to `field` (more than one means a conflict), winner first.
    pub fn candidates(&self, field: Field) -> Vec<Candidate> {
        let Ok(values) = self.doc.get_all(ROOT, field.key()) else {
            return Vec::new();
        };
        let mut out: Vec<Candidate> = values
            .into_iter()
            .filter_map(|(value, op)| {
                let text = scalar_to_text(&value)?;
                let author = match &op {
                    automerge::ObjId::Id(_, actor, _) => self
                        .doc
                        .get_author_for_actor(actor)
                        .map(|a| UserId(String::from_utf8_lossy(a.as_bytes()).into_owned())),
                    automerge::ObjId::Root => None,
                };
                Some(Candidate {
                    value: text,
                    author,
                    at: None,
                })
            })
            .collect();
        // Automerge lists the winner last.
        out.reverse();
        out
    }

    /// [`Record::candidates`] with the time each value was written, for a conflict's details.
    pub fn candidates_dated(&mut self, field: Field) -> Vec<Candidate> {
        let ops: Vec<Option<(u64, automerge::ActorId)>> = self
            .doc
            .get_all(ROOT, field.key())
            .unwrap_or_default()
            .into_iter()
            .rev()
            .map(|(_, op)| match op {
                automerge::ObjId::Id(counter, actor, _) => Some((counter, actor)),
                automerge::ObjId::Root => None,
            })
            .collect();
        let changes = self.doc.document().get_changes(&[]);
        let mut out = self.candidates(field);
        for (candidate, op) in out.iter_mut().zip(ops) {
            candidate.at = op.and_then(|(counter, actor)| {
                changes
                    .iter()
                    .find(|c| {
                        *c.actor_id() == actor
                            && (c.start_op().get()..=c.max_op()).contains(&counter)
                    })
                    .map(|c| c.timestamp())
            });
        }
        out
    }

    /// Links to other records, in id order.
    pub fn links(&self) -> Vec<Link> {
        self.root().links()
    }

    /// The qualification score (see [`crate::qualify`]), `None` while nothing is answered.
    pub fn score(&self) -> Option<u8> {
        crate::qualify::score(
            crate::qualify::CRITERIA.map(|f| self.text(f).as_deref().and_then(Answer::parse)),
        )
    }

    /// Fields of this record that currently hold concurrent values.
    pub fn conflicted_fields(&self) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| f.applies_to(self.kind) && self.candidates(*f).len() > 1)
            .collect()
    }

    pub fn stage(&self) -> Option<LifecycleStage> {
        self.text(Field::Stage)
            .as_deref()
            .and_then(LifecycleStage::parse)
    }

    pub fn company_id(&self) -> Option<RecordId> {
        self.text(Field::CompanyId)
            .and_then(|t| RecordId::parse(&t).ok())
    }

    /// Tags in alphabetical order (case-insensitive).
    pub fn tags(&self) -> Vec<String> {
        let Some(tags) = self.object(TAGS) else {
            return Vec::new();
        };
        let mut out: Vec<String> = self.doc.keys(&tags).collect();
        out.sort_by_key(|t| t.to_lowercase());
        out
    }

    /// Entries of a channel, the primary first, then in the order they were added.
    pub fn channel(&self, channel: Channel) -> Vec<ChannelEntry> {
        let Some(map) = self.object(channel.key()) else {
            return Vec::new();
        };
        let primary = self.scalar_text(&ROOT, channel.primary_key());
        self.channel_entries(&map, primary)
    }

    /// The entries of channel map `map`, `primary` (an entry id) first.
    fn channel_entries(
        &self,
        map: &automerge::ObjId,
        primary: Option<String>,
    ) -> Vec<ChannelEntry> {
        let mut entries: Vec<ChannelEntry> = self
            .doc
            .keys(map)
            .filter_map(|id| {
                let entry = match self.doc.get(map, id.as_str()).ok()?? {
                    (Value::Object(ObjType::Map), obj) => obj,
                    _ => return None,
                };
                Some(ChannelEntry {
                    value: self.scalar_text(&entry, VALUE)?,
                    label: self.scalar_text(&entry, LABEL).unwrap_or_default(),
                    primary: false,
                    id,
                })
            })
            .collect();
        // Entry ids are UUID v7: sorting by id is sorting by when the entry was added.
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        let primary_index = primary
            .and_then(|p| entries.iter().position(|e| e.id == p))
            .unwrap_or(0);
        if !entries.is_empty() {
            let first = entries.remove(primary_index);
            entries.insert(
                0,
                ChannelEntry {
                    primary: true,
                    ..first
                },
            );
        }
        entries
    }

    pub fn notes(&self) -> String {
        self.object(NOTES)
            .and_then(|n| self.doc.text(&n).ok())
            .unwrap_or_default()
    }

    pub fn is_deleted(&self) -> bool {
        matches!(self.doc.get(ROOT, DELETED), Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
    }

    pub fn created_at(&self) -> i64 {
        self.timestamp(CREATED_AT)
    }

    pub fn updated_at(&self) -> i64 {
        self.timestamp(UPDATED_AT)
    }

    /// Applies `change` as one Automerge change by this device's author. If `change` fails,
    /// nothing of it is kept. Returns the change's bytes (for the outbox), or `None` when it
    /// changed nothing.
    pub fn edit(
        &mut self,
        now_ms: i64,
        change: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError>,
    ) -> Result<Option<Vec<u8>>, RecordError> {
        let mut edit = Edit {
            kind: self.kind,
            doc: &mut self.doc,
        };
        if let Err(e) = change(&mut edit) {
            self.doc.rollback();
            return Err(e);
        }
        if self.doc.pending_ops() == 0 {
            return Ok(None);
        }
        self.doc
            .put(ROOT, UPDATED_AT, ScalarValue::Timestamp(now_ms))
            .map_err(internal)?;
        self.doc
            .commit_with(CommitOptions::default().with_time(now_ms));
        Ok(self
            .doc
            .get_last_local_change()
            .map(|c| c.raw_bytes().to_vec()))
    }

    /// Merges change bytes from elsewhere (another device, the relay, the outbox of another tab).
    /// Duplicates and out-of-order delivery are harmless.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<(), RecordError> {
        self.doc
            .load_incremental(bytes)
            .map(drop)
            .map_err(|e| RecordError::Corrupt(e.to_string()))
    }

    /// The whole record, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Everything added since the last `save` or `save_incremental`, to append to storage.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    /// Every change of this record, each as its own bytes (for tests and sync).
    pub fn changes(&mut self) -> Vec<Vec<u8>> {
        self.doc
            .get_changes(&[])
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    /// The changes `author` wrote (by their Author, or their actor's), in causal order: what a
    /// member may send the relay on its own (only owners and admins may relay others').
    pub fn changes_by(&mut self, author: &UserId) -> Vec<Vec<u8>> {
        let wanted = author_of(author);
        let doc = self.doc.document();
        doc.get_changes(&[])
            .into_iter()
            .filter(|c| {
                c.author()
                    .or_else(|| doc.get_author_for_actor(c.actor_id()))
                    .is_some_and(|a| a.as_bytes() == wanted.as_bytes())
            })
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    /// Heads identify the exact state; equal heads mean equal records.
    pub fn heads(&mut self) -> Vec<String> {
        let mut heads: Vec<String> = self.doc.get_heads().iter().map(|h| h.to_string()).collect();
        heads.sort();
        heads
    }

    pub fn summary(&self) -> Summary {
        Summary::of(self)
    }

    /// The root's entries, read in one pass: deriving a summary from them costs about what a
    /// single lookup per field would (a summary reads some thirty).
    pub(crate) fn root(&self) -> Root<'_> {
        let entries = self
            .doc
            .map_range(ROOT, ..)
            .map(|item| RootEntry {
                id: matches!(item.value, automerge::ValueRef::Object(_)).then(|| item.id()),
                key: item.key.into_owned(),
                value: item.value.into_value(),
                conflict: item.conflict,
            })
            .collect();
        Root {
            record: self,
            entries,
        }
    }

    fn object(&self, key: &str) -> Option<automerge::ObjId> {
        match self.doc.get(ROOT, key).ok()?? {
            (Value::Object(_), id) => Some(id),
            _ => None,
        }
    }

    fn scalar_text(&self, obj: &automerge::ObjId, key: &str) -> Option<String> {
        let (value, _) = self.doc.get(obj, key).ok()??;
        scalar_to_text(&value).filter(|t| !t.is_empty())
    }

    fn timestamp(&self, key: &str) -> i64 {
        match self.doc.get(ROOT, key) {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Timestamp(t) | ScalarValue::Int(t) => *t,
                _ => 0,
            },
            _ => 0,
        }
    }
}

struct RootEntry {
    key: String,
    /// The winning value.
    value: Value<'static>,
    /// Set for an object: its id.
    id: Option<automerge::ObjId>,
    /// More than one value is current.
    conflict: bool,
}

/// A record's root read in one pass ([`Record::root`]); each accessor answers what the
/// [`Record`] method of the same name would.
pub(crate) struct Root<'a> {
    record: &'a Record,
    /// In key order.
    entries: Vec<RootEntry>,
}

impl Root<'_> {
    fn get(&self, key: &str) -> Option<&RootEntry> {
        self.entries
            .binary_search_by(|e| e.key.as_str().cmp(key))
            .ok()
            .map(|i| &self.entries[i])
            .or_else(|| self.entries.iter().find(|e| e.key == key))
    }

    fn scalar_text(&self, key: &str) -> Option<String> {
        scalar_to_text(&self.get(key)?.value).filter(|t| !t.is_empty())
    }

    fn object(&self, key: &str) -> Option<&automerge::ObjId> {
        self.get(key)?.id.as_ref()
    }

    pub fn text(&self, field: Field) -> Option<String> {
        self.scalar_text(field.key())
    }

    pub fn stage(&self) -> Option<LifecycleStage> {
        self.text(Field::Stage)
            .as_deref()
            .and_then(LifecycleStage::parse)
    }

    pub fn company_id(&self) -> Option<RecordId> {
        self.text(Field::CompanyId)
            .and_then(|t| RecordId::parse(&t).ok())
    }

    pub fn tags(&self) -> Vec<String> {
        let Some(tags) = self.object(TAGS) else {
            return Vec::new();
        };
        let mut out: Vec<String> = self.record.doc.keys(tags).collect();
        out.sort_by_key(|t| t.to_lowercase());
        out
    }

    pub fn channel(&self, channel: Channel) -> Vec<ChannelEntry> {
        let Some(map) = self.object(channel.key()) else {
            return Vec::new();
        };
        self.record
            .channel_entries(map, self.scalar_text(channel.primary_key()))
    }

    fn timestamp(&self, key: &str) -> i64 {
        match self.get(key).map(|e| &e.value) {
            Some(Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Timestamp(t) | ScalarValue::Int(t) => *t,
                _ => 0,
            },
            _ => 0,
        }
    }

    pub fn created_at(&self) -> i64 {
        self.timestamp(CREATED_AT)
    }

    pub fn updated_at(&self) -> i64 {
        self.timestamp(UPDATED_AT)
    }

    pub fn is_deleted(&self) -> bool {
        matches!(self.get(DELETED).map(|e| &e.value), Some(Value::Scalar(s)) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
    }

    pub fn links(&self) -> Vec<Link> {
        let mut out: Vec<Link> = self
            .entries
            .iter()
            .filter_map(|e| {
                let id = RecordId::parse(e.key.strip_prefix(LINK_PREFIX)?).ok()?;
                let kind = scalar_to_text(&e.value).and_then(|k| RecordKind::parse(&k))?;
                Some(Link { id, kind })
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    pub fn score(&self) -> Option<u8> {
        crate::qualify::score(
            crate::qualify::CRITERIA.map(|f| self.text(f).as_deref().and_then(Answer::parse)),
        )
    }

    /// Only a field the pass saw with concurrent values is looked at again.
    pub fn conflicted_fields(&self) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| {
                f.applies_to(self.record.kind)
                    && self.get(f.key()).is_some_and(|e| e.conflict)
                    && self.record.candidates(*f).len() > 1
            })
            .collect()
    }
}

/// The writes allowed inside [`Record::edit`]. Each validates before it writes.
pub struct Edit<'a> {
    kind: RecordKind,
    doc: &'a mut AutoCommit,
}

impl Edit<'_> {
    /// Sets a field; an empty (or all-space) value clears it. Values are validated per field.
    pub fn set(&mut self, field: Field, value: &str) -> Result<(), RecordError> {
        if !field.applies_to(self.kind) {
            return Err(RecordError::NoSuchField {
                kind: self.kind.as_str(),
                field,
            });
        }
        let value = value.trim();
        if value.is_empty() {
            return self.doc.delete(ROOT, field.key()).map_err(internal);
        }
        let clean = clean_value(self.kind, field, value)?;
        // Writing the same value again would still create a change (and a spurious conflict
        // candidate); skip it unless it resolves a conflict.
        let current = self.doc.get_all(ROOT, field.key()).map_err(internal)?;
        if current.len() == 1 && scalar_to_text(&current[0].0).as_deref() == Some(clean.as_str()) {
            return Ok(());
        }
        self.doc.put(ROOT, field.key(), clean).map_err(internal)
    }

    pub fn set_stage(&mut self, stage: LifecycleStage) -> Result<(), RecordError> {
        self.set(Field::Stage, stage.as_str())
    }

    /// Links this record to another (a deal's people, an activity's participants, a task's
    /// subject). Linking twice is harmless.
    pub fn link(&mut self, id: &RecordId, kind: RecordKind) -> Result<(), RecordError> {
        let key = format!("{LINK_PREFIX}{id}");
        let current = self.doc.get_all(ROOT, key.as_str()).map_err(internal)?;
        if current.len() == 1 && scalar_to_text(&current[0].0).as_deref() == Some(kind.as_str()) {
            return Ok(());
        }
        self.doc.put(ROOT, key, kind.as_str()).map_err(internal)
    }

    pub fn unlink(&mut self, id: &RecordId) -> Result<(), RecordError> {
        let key = format!("{LINK_PREFIX}{id}");
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

    pub fn add_tag(&mut self, tag: &str) -> Result<(), RecordError> {
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(invalid("Tag", "a tag cannot be empty"));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(invalid(
                "Tag",
                format!("a tag has at most {MAX_TAG_CHARS} characters"),
            ));
        }
        let tags = self.object(TAGS)?;
        if self.doc.get(&tags, tag).map_err(internal)?.is_none() {
            self.doc.put(&tags, tag, true).map_err(internal)?;
        }
        Ok(())
    }

    pub fn remove_tag(&mut self, tag: &str) -> Result<(), RecordError> {
        let tags = self.object(TAGS)?;
        if self.doc.get(&tags, tag).map_err(internal)?.is_some() {
            self.doc.delete(&tags, tag).map_err(internal)?;
        }
        Ok(())
    }

    /// Adds an email address or phone number; returns the new entry's id.
    pub fn add_channel(
        &mut self,
        channel: Channel,
        value: &str,
        label: &str,
    ) -> Result<String, RecordError> {
        let clean = validate_channel(channel, value)?;
        let map = self.object(channel.key())?;
        let entry_id = RecordId::new().to_string();
        let entry = self
            .doc
            .put_object(&map, entry_id.as_str(), ObjType::Map)
            .map_err(internal)?;
        self.doc.put(&entry, VALUE, clean).map_err(internal)?;
        if !label.trim().is_empty() {
            self.doc
                .put(&entry, LABEL, label.trim())
                .map_err(internal)?;
        }
        Ok(entry_id)
    }

    pub fn update_channel(
        &mut self,
        channel: Channel,
        entry_id: &str,
        value: &str,
        label: &str,
    ) -> Result<(), RecordError> {
        let clean = validate_channel(channel, value)?;
        let entry = self.entry(channel, entry_id)?;
        self.doc.put(&entry, VALUE, clean).map_err(internal)?;
        if label.trim().is_empty() {
            self.doc.delete(&entry, LABEL).map_err(internal)
        } else {
            self.doc.put(&entry, LABEL, label.trim()).map_err(internal)
        }
    }

    pub fn remove_channel(&mut self, channel: Channel, entry_id: &str) -> Result<(), RecordError> {
        self.entry(channel, entry_id)?;
        let map = self.object(channel.key())?;
        self.doc.delete(&map, entry_id).map_err(internal)
    }

    pub fn set_primary(&mut self, channel: Channel, entry_id: &str) -> Result<(), RecordError> {
        self.entry(channel, entry_id)?;
        self.doc
            .put(ROOT, channel.primary_key(), entry_id)
            .map_err(internal)
    }

    /// Replaces the notes, recording only the characters that changed so concurrent edits to
    /// different parts of the text both survive.
    pub fn set_notes(&mut self, text: &str) -> Result<(), RecordError> {
        let notes = self.object(NOTES)?;
        self.doc.update_text(&notes, text).map_err(internal)
    }

    pub fn delete(&mut self) -> Result<(), RecordError> {
        self.doc.put(ROOT, DELETED, true).map_err(internal)
    }

    pub fn restore(&mut self) -> Result<(), RecordError> {
        self.doc.put(ROOT, DELETED, false).map_err(internal)
    }

    fn object(&self, key: &'static str) -> Result<automerge::ObjId, RecordError> {
        match self.doc.get(ROOT, key).map_err(internal)? {
            Some((Value::Object(_), id)) => Ok(id),
            _ => Err(RecordError::Corrupt(format!(
                "the record has no “{key}” object"
            ))),
        }
    }

    fn entry(&self, channel: Channel, entry_id: &str) -> Result<automerge::ObjId, RecordError> {
        let map = self.object(channel.key())?;
        match self.doc.get(&map, entry_id).map_err(internal)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(RecordError::NoSuchEntry(channel.key())),
        }
    }
}

/// Validates and normalises a field's value for a record of `kind`.
fn clean_value(kind: RecordKind, field: Field, value: &str) -> Result<String, RecordError> {
    let label = field.label();
    let one_of = |ok: Option<&'static str>, what: &str| {
        ok.map(str::to_string)
            .ok_or_else(|| invalid(label, format!("“{value}” is not {what}")))
    };
    let lower = value.to_lowercase();
    Ok(match field {
        Field::Stage => one_of(
            LifecycleStage::parse(&lower).map(LifecycleStage::as_str),
            "a lifecycle stage",
        )?,
        Field::CompanyId | Field::PipelineId => RecordId::parse(value)
            .map_err(|e| invalid(label, e.to_string()))?
            .to_string(),
        Field::Domain => validate::domain(value).map_err(|e| invalid(label, e.message))?,
        Field::Amount => {
            value
                .parse::<i64>()
                .map_err(|_| invalid(label, format!("“{value}” is not a whole amount")))?;
            value.to_string()
        }
        Field::Currency => {
            let code = value.to_ascii_uppercase();
            if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(invalid(
                    label,
                    format!("“{value}” is not a currency code like EUR"),
                ));
            }
            code
        }
        Field::Probability => match value.trim_end_matches('%').trim().parse::<u8>() {
            Ok(p) if p <= 100 => p.to_string(),
            _ => {
                return Err(invalid(
                    label,
                    "a probability is a whole number from 0 to 100",
                ));
            }
        },
        Field::CloseDate => validate::date(value).map_err(|e| invalid(label, e.message))?,
        Field::DueAt | Field::OccurredAt => {
            value
                .parse::<i64>()
                .map_err(|_| invalid(label, format!("“{value}” is not a time")))?;
            value.to_string()
        }
        Field::Duration => match value.parse::<u32>() {
            Ok(m) if m <= 24 * 60 => m.to_string(),
            _ => {
                return Err(invalid(
                    label,
                    "a duration is a number of minutes, at most a day",
                ));
            }
        },
        Field::ActivityType => one_of(
            ActivityType::parse(&lower).map(ActivityType::as_str),
            "call, email, meeting or note",
        )?,
        Field::Priority => one_of(
            TaskPriority::parse(&lower).map(TaskPriority::as_str),
            "low, normal, high or urgent",
        )?,
        Field::Status => match kind {
            RecordKind::Deal => one_of(
                DealStatus::parse(&lower).map(DealStatus::as_str),
                "open, won or lost",
            )?,
            RecordKind::Task => one_of(
                TaskStatus::parse(&lower).map(TaskStatus::as_str),
                "open or done",
            )?,
            _ => one_of(
                ActivityStatus::parse(&lower).map(ActivityStatus::as_str),
                "planned or done",
            )?,
        },
        Field::Budget | Field::Authority | Field::Need | Field::Timeline => one_of(
            Answer::parse(&lower).map(Answer::as_str),
            "unknown, no, partly or yes",
        )?,
        Field::Visibility => one_of(
            Visibility::parse(&lower).map(Visibility::as_str),
            "shared or private",
        )?,
        Field::Stages => {
            let stages = crate::pipeline::parse_stages(value).map_err(|e| invalid(label, e))?;
            crate::pipeline::encode_stages(&stages).map_err(|e| invalid(label, e))?
        }
        Field::Spec => crate::view::ViewSpec::parse(value)
            .map_err(|e| invalid(label, e))?
            .encode(),
        _ => value.to_string(),
    })
}

fn validate_channel(channel: Channel, value: &str) -> Result<String, RecordError> {
    match channel {
        Channel::Email => validate::email(value).map_err(|e| invalid("Email", e.message)),
        Channel::Phone => validate::phone(value).map_err(|e| invalid("Phone", e.message)),
    }
}

/// Checks that `change` keeps its record readable and editable by this schema: it must not set
/// the record's type to something unknown or remove it, nor replace or remove one of the
/// objects every record is created with (tags, emails, phones, notes). The relay refuses such
/// a change, so one member cannot make a record unreadable on every device. `Ok(true)` when
/// the change gives the record a (known) type, as the change creating a record does.
pub fn check_schema(change: &automerge::Change) -> Result<bool, String> {
    use automerge::legacy::{Key, ObjectId, OpType};
    let expanded = change.decode();
    let mut typed = false;
    for op in &expanded.operations {
        let (ObjectId::Root, Key::Map(key)) = (&op.obj, &op.key) else {
            continue;
        };
        let key = key.as_str();
        if key == TYPE {
            let known = match &op.action {
                OpType::Put(ScalarValue::Str(kind)) => RecordKind::parse(kind).is_some(),
                _ => false,
            };
            if !known {
                return Err(match &op.action {
                    OpType::Put(ScalarValue::Str(kind)) => {
                        format!("it sets the record's type to “{kind}”, which Kith does not know")
                    }
                    OpType::Delete => "it removes the record's type".into(),
                    _ => "it sets the record's type to something other than a known type".into(),
                });
            }
            typed = true;
            continue;
        }
        let object = match key {
            TAGS => ObjType::Map,
            NOTES => ObjType::Text,
            k if k == Channel::Email.key() || k == Channel::Phone.key() => ObjType::Map,
            _ => continue,
        };
        if !matches!(op.action, OpType::Make(made) if made == object) {
            return Err(format!("it replaces or removes the record's {key}"));
        }
    }
    Ok(typed)
}

fn author_of(user: &UserId) -> Author<'static> {
    Author::from(user.as_str().as_bytes().to_vec())
}

fn scalar_to_text(value: &Value<'_>) -> Option<String> {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(text) => Some(text.to_string()),
            ScalarValue::Int(n) | ScalarValue::Timestamp(n) => Some(n.to_string()),
            ScalarValue::Uint(n) => Some(n.to_string()),
            ScalarValue::F64(n) => Some(n.to_string()),
            ScalarValue::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        Value::Object(_) => None,
    }
}

/// Automerge errors inside an edit come from our own misuse, not from input: report them as
/// corruption of the document rather than panicking.
fn internal(e: automerge::AutomergeError) -> RecordError {
    RecordError::Corrupt(e.to_string())
}

#[cfg(test)]
mod tests;
