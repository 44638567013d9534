//! Privacy requests for one person: everything Kith holds about them as JSON (export), and
//! erasure: the person's personal values cleared, the record marked deleted and erased, and
//! their name, emails and phones replaced by "[erased]" in the records linking to them, which
//! are unlinked.
//!
//! Erasing is ordinary changes, so it syncs; the old values stay in each document's past
//! changes until every copy's history is purged (see `Record::rebuilt`).

use serde_json::{Value, json};

use crate::merge::{Edits, Op};
use crate::record::{Channel, Field, Record};

/// The name an erased person is shown with.
pub const ERASED_NAME: &str = "Erased person";
/// What replaces the person's name, emails and phones in linked records.
pub const REDACTED: &str = "[erased]";
/// Version of the export's layout.
pub const EXPORT_VERSION: u32 = 1;

/// Everything about `person` and the records linking to it (`linked`), as one JSON document.
pub fn export(person: &mut Record, linked: &mut [Record], exported_at_ms: i64) -> Value {
    json!({
        "format": "kith-person-export",
        "version": EXPORT_VERSION,
        "exported_at": exported_at_ms,
        "person": record_json(person),
        "linked": linked.iter_mut().map(record_json).collect::<Vec<_>>(),
    })
}

fn record_json(r: &mut Record) -> Value {
    let fields: serde_json::Map<String, Value> = Field::ALL
        .into_iter()
        .filter(|f| f.applies_to(r.kind()))
        .filter_map(|f| Some((f.key().to_string(), Value::String(r.text(f)?))))
        .collect();
    let channel = |c: Channel| {
        r.channel(c)
            .into_iter()
            .map(|e| json!({"value": e.value, "label": e.label, "primary": e.primary}))
            .collect::<Vec<_>>()
    };
    let (emails, phones) = (channel(Channel::Email), channel(Channel::Phone));
    let history: Vec<Value> = r
        .history()
        .into_iter()
        .map(|h| {
            json!({
                "at": h.at,
                "author": h.author.map(|a| a.0),
                "created": h.created,
                "changed": h.what,
            })
        })
        .collect();
    json!({
        "id": r.id().as_str(),
        "kind": r.kind().as_str(),
        "created_at": r.created_at(),
        "updated_at": r.updated_at(),
        "deleted": r.is_deleted(),
        "fields": fields,
        "emails": emails,
        "phones": phones,
        "tags": r.tags(),
        "notes": r.notes(),
        "links": r.links().into_iter().map(|l| json!({"id": l.id.as_str(), "kind": l.kind.as_str()})).collect::<Vec<_>>(),
        "history": history,
    })
}

/// The edits that erase `person` and its traces in `linked` (the records linking to it).
pub fn erase_plan(person: &Record, linked: &[Record]) -> Edits {
    let mut ops = Vec::new();
    for field in Field::ALL
        .into_iter()
        .filter(|f| f.applies_to(person.kind()))
    {
        if field == Field::Name {
            ops.push(Op::Set(Field::Name, ERASED_NAME.into()));
        } else if person.text(field).is_some() {
            ops.push(Op::Set(field, String::new()));
        }
    }
    for channel in [Channel::Email, Channel::Phone] {
        for entry in person.channel(channel) {
            ops.push(Op::RemoveChannelEntry(channel, entry.id));
        }
    }
    ops.extend(person.tags().into_iter().map(Op::RemoveTag));
    ops.push(Op::SetNotes(String::new()));
    ops.extend(person.links().into_iter().map(|l| Op::Unlink(l.id)));
    ops.extend([Op::Delete, Op::MarkErased]);

    let mut needles: Vec<String> = vec![person.text(Field::Name).unwrap_or_default()];
    needles.extend(person.channel(Channel::Email).into_iter().map(|e| e.value));
    needles.extend(person.channel(Channel::Phone).into_iter().map(|e| e.value));
    // Single words of the name last, so the full name is replaced as one.
    let words: Vec<String> = needles[0]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_string)
        .collect();
    needles.extend(words);
    needles.retain(|n| !n.trim().is_empty());

    let mut edits = vec![(person.id().clone(), ops)];
    for r in linked {
        let mut ops = Vec::new();
        for field in [Field::Name, Field::Outcome, Field::LostReason] {
            if let Some(text) = r.text(field).filter(|_| field.applies_to(r.kind())) {
                let clean = redact(&text, &needles);
                if clean != text {
                    ops.push(Op::Set(field, clean));
                }
            }
        }
        let notes = r.notes();
        let clean = redact(&notes, &needles);
        if clean != notes {
            ops.push(Op::SetNotes(clean));
        }
        ops.push(Op::Unlink(person.id().clone()));
        edits.push((r.id().clone(), ops));
    }
    edits
}

/// `text` with every whole-word occurrence of each needle (ignoring case) replaced by
/// [`REDACTED`].
pub fn redact(text: &str, needles: &[String]) -> String {
    let mut out: Vec<char> = text.chars().collect();
    let redacted: Vec<char> = REDACTED.chars().collect();
    for needle in needles {
        let pattern: Vec<char> = needle.trim().chars().map(lower).collect();
        if pattern.is_empty() {
            continue;
        }
        let mut i = 0;
        let mut next = Vec::with_capacity(out.len());
        while i < out.len() {
            let fits = i + pattern.len() <= out.len()
                && out[i..i + pattern.len()]
                    .iter()
                    .zip(&pattern)
                    .all(|(a, b)| lower(*a) == *b)
                && (i == 0 || !out[i - 1].is_alphanumeric())
                && out
                    .get(i + pattern.len())
                    .is_none_or(|c| !c.is_alphanumeric());
            if fits {
                next.extend_from_slice(&redacted);
                i += pattern.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out.into_iter().collect()
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RecordId, UserId};
    use crate::record::RecordKind;

    fn me() -> UserId {
        UserId("u1".into())
    }

    #[test]
    fn redact_replaces_whole_words_ignoring_case() {
        let needles = vec![
            "Ana Silva".to_string(),
            "ana@acme.example".into(),
            "Ana".into(),
        ];
        assert_eq!(
            redact(
                "Call ANA SILVA (ana@acme.example) about Banana; Ana agreed",
                &needles
            ),
            "Call [erased] ([erased]) about Banana; [erased] agreed"
        );
        assert_eq!(redact("", &needles), "");
    }

    #[test]
    fn erase_leaves_no_personal_value_and_export_holds_everything() {
        let mut person = Record::create(RecordId::new(), RecordKind::Person, &me(), 1);
        person
            .edit(2, |e| {
                e.set(Field::Name, "Ana Silva")?;
                e.set(Field::Title, "CTO")?;
                e.set(Field::City, "Lisbon")?;
                e.add_channel(Channel::Email, "ana@acme.example", "work")?;
                e.add_channel(Channel::Phone, "+351 912 345 678", "")?;
                e.add_tag("vip")?;
                e.set_notes("Met Ana at the fair")
            })
            .unwrap();
        let mut call = Record::create(RecordId::new(), RecordKind::Activity, &me(), 1);
        call.edit(3, |e| {
            e.set(Field::Name, "Call with Ana Silva")?;
            e.set(Field::Outcome, "ana@acme.example wants a quote")?;
            e.set_notes("Ana said call +351 912 345 678")?;
            e.link(person.id(), RecordKind::Person)
        })
        .unwrap();
        let mut linked = vec![call.clone()];
        let json = export(&mut person, &mut linked, 10).to_string();
        for needle in [
            "Ana Silva",
            "ana@acme.example",
            "Lisbon",
            "vip",
            "Call with Ana Silva",
            "history",
        ] {
            assert!(json.contains(needle), "{needle} in {json}");
        }
        for (id, ops) in erase_plan(&person, &linked) {
            let r = if &id == person.id() {
                &mut person
            } else {
                &mut call
            };
            r.edit(20, |e| crate::merge::apply(e, &ops)).unwrap();
        }
        assert!(person.is_erased() && person.is_deleted());
        assert_eq!(person.text(Field::Name).as_deref(), Some(ERASED_NAME));
        let after = format!(
            "{}",
            export(&mut person, &mut [call.clone()], 30)["person"]["fields"]
        );
        assert!(
            !after.contains("Lisbon") && !after.contains("CTO"),
            "{after}"
        );
        assert!(person.channel(Channel::Email).is_empty() && person.tags().is_empty());
        assert_eq!(person.notes(), "");
        let state = format!(
            "{:?} {:?} {}",
            call.text(Field::Name),
            call.text(Field::Outcome),
            call.notes()
        );
        for needle in ["Ana", "Silva", "ana@", "912"] {
            assert!(!state.contains(needle), "{needle} in {state}");
        }
        assert!(call.links().is_empty());
        // The fresh copy keeps the current state only.
        let mut fresh = person.rebuilt(&me(), 40);
        assert_eq!(fresh.summary().name, ERASED_NAME);
        assert!(fresh.is_erased());
        assert_eq!(
            fresh.history().len(),
            2,
            "created, then the current state copied"
        );
        let bytes = fresh.save();
        for needle in [&b"Silva"[..], b"acme.example", b"Lisbon"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle));
        }
    }
}
