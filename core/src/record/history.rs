//! A record's history: who changed which fields, and when, read from its Automerge changes.

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ObjType, ReadDoc, ScalarValue, Value};

use super::{Channel, Field, LINK_PREFIX, NOTES, Record, TAGS};
use crate::ids::UserId;

/// One change to a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// ms since the epoch, as the writing device's clock said.
    pub at: i64,
    pub author: Option<UserId>,
    /// The first change of the record.
    pub created: bool,
    /// What it touched, as a user calls it ("Job title", "Email", "Tags", "Links", …), each once.
    pub what: Vec<&'static str>,
}

/// Histories longer than this show their newest entries only.
pub const MAX_HISTORY: usize = 500;

impl Record {
    /// Every change of this record, newest first (at most [`MAX_HISTORY`]).
    pub fn history(&mut self) -> Vec<HistoryEntry> {
        let objects = self.nested_objects();
        let changes = self.doc.document().get_changes(&[]);
        let first = changes.first().map(|c| c.hash());
        let mut out: Vec<HistoryEntry> = changes
            .iter()
            .rev()
            .take(MAX_HISTORY)
            .map(|change| {
                let expanded = change.decode();
                let mut what: Vec<&'static str> = Vec::new();
                for op in &expanded.operations {
                    let label = match (&op.obj, &op.key) {
                        (ObjectId::Root, Key::Map(key)) => root_key_label(key, &op.action),
                        (ObjectId::Id(id), _) => objects
                            .get(&(id.counter(), id.actor().to_hex_string()))
                            .copied(),
                        _ => None,
                    };
                    if let Some(label) = label.filter(|l| !what.contains(l)) {
                        what.push(label);
                    }
                }
                HistoryEntry {
                    at: change.timestamp(),
                    // A document's later changes may carry no author footer: its actor says who.
                    author: change
                        .author()
                        .or_else(|| self.doc.get_author_for_actor(change.actor_id()))
                        .map(|a| UserId(String::from_utf8_lossy(a.as_bytes()).into_owned())),
                    created: Some(change.hash()) == first,
                    what,
                }
            })
            .collect();
        // Device clocks differ; show newest first by the time each device gave.
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        out
    }

    /// The record's nested objects (tags, notes, channel maps and their entries) by op id.
    fn nested_objects(&self) -> HashMap<(u64, String), &'static str> {
        let mut out = HashMap::new();
        let mut note = |obj: &automerge::ObjId, label: &'static str| {
            if let automerge::ObjId::Id(counter, actor, _) = obj {
                out.insert((*counter, actor.to_hex_string()), label);
            }
        };
        for (key, label) in [(TAGS, "Tags"), (NOTES, "Notes")] {
            if let Some(obj) = self.object(key) {
                note(&obj, label);
            }
        }
        for (channel, label) in [(Channel::Email, "Email"), (Channel::Phone, "Phone")] {
            let Some(map) = self.object(channel.key()) else {
                continue;
            };
            note(&map, label);
            for entry in self.doc.keys(&map).collect::<Vec<_>>() {
                if let Ok(Some((Value::Object(ObjType::Map), id))) =
                    self.doc.get(&map, entry.as_str())
                {
                    note(&id, label);
                }
            }
        }
        out
    }
}

fn root_key_label(key: &str, action: &OpType) -> Option<&'static str> {
    if key.starts_with(LINK_PREFIX) {
        return Some("Links");
    }
    match key {
        "updated_at" | "created_at" | "type" => None,
        "deleted" => Some(match action {
            OpType::Put(ScalarValue::Boolean(true)) => "Deleted",
            _ => "Restored",
        }),
        "primary_email" => Some("Email"),
        "primary_phone" => Some("Phone"),
        "tags" | "notes" | "emails" | "phones" => None,
        other => Field::ALL
            .into_iter()
            .find(|f| f.key() == other)
            .map(Field::label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RecordId;
    use crate::record::RecordKind;

    #[test]
    fn every_change_of_a_new_record_has_its_author() {
        let me = UserId("local-1".into());
        let mut r = Record::create(RecordId::new(), RecordKind::Person, &me, 1_000);
        r.edit(2_000, |e| e.set(Field::Name, "Ada")).unwrap();
        let snapshot = r.save();
        let mut loaded = Record::load(r.id().clone(), &snapshot, &[], &me).unwrap();
        loaded.edit(3_000, |e| e.set(Field::Title, "CTO")).unwrap();
        for history in [r.history(), loaded.history()] {
            assert!(
                history.iter().all(|h| h.author.as_ref() == Some(&me)),
                "{history:?}"
            );
        }
    }
}
