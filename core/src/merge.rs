//! Merging duplicate records field by field, planned as plain edits: the survivor takes the
//! chosen values and the union of emails, phones, tags, links and notes; the others are
//! deleted with `merged_into`; every record linking to (or at) a merged-away record is
//! re-pointed to the survivor. Each edit is an ordinary change, so it is in history and
//! syncs; the plan keeps the inverse edits for Undo.

use std::collections::{BTreeMap, HashSet};

use crate::duplicates::{email_key, phone_key};
use crate::ids::RecordId;
use crate::record::{Channel, Edit, Field, LateChanges, Record, RecordError, RecordKind};
use crate::summary::Summary;

/// What makes two emails or phones the same one when records merge: Gmail's dots and
/// `+suffix`es, and a number's country prefix written as `+` or `00`, do not count.
pub fn channel_key(channel: Channel, value: &str) -> String {
    match channel {
        Channel::Email => email_key(value),
        Channel::Phone => phone_key(value).unwrap_or_else(|| crate::validate::phone_digits(value)),
    }
}

/// One write inside an edit; a list of them is applied as one change by [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Set(Field, String),
    AddChannel(Channel, String, String),
    RemoveChannelValue(Channel, String),
    RemoveChannelEntry(Channel, String),
    AddTag(String),
    RemoveTag(String),
    SetNotes(String),
    Link(RecordId, RecordKind),
    Unlink(RecordId),
    Delete,
    Restore,
    MergedInto(RecordId),
    ClearMergedInto,
    MergedFrom(RecordId, i64),
    RemoveMergedFrom(RecordId),
    MarkErased,
    DismissDuplicate(RecordId),
    UndismissDuplicate(RecordId),
}

/// Applies `ops` inside one edit.
pub fn apply(e: &mut Edit<'_>, ops: &[Op]) -> Result<(), RecordError> {
    for op in ops {
        match op {
            Op::Set(field, value) => e.set(*field, value)?,
            Op::AddChannel(channel, value, label) => drop(e.add_channel(*channel, value, label)?),
            Op::RemoveChannelValue(channel, value) => e.remove_channel_value(*channel, value)?,
            Op::RemoveChannelEntry(channel, id) => e.remove_channel(*channel, id)?,
            Op::AddTag(tag) => e.add_tag(tag)?,
            Op::RemoveTag(tag) => e.remove_tag(tag)?,
            Op::SetNotes(text) => e.set_notes(text)?,
            Op::Link(id, kind) => e.link(id, *kind)?,
            Op::Unlink(id) => e.unlink(id)?,
            Op::Delete => e.delete()?,
            Op::Restore => e.restore()?,
            Op::MergedInto(id) => e.set_merged_into(id)?,
            Op::ClearMergedInto => e.clear_merged_into()?,
            Op::MergedFrom(id, at) => e.add_merged_from(id, *at)?,
            Op::RemoveMergedFrom(id) => e.remove_merged_from(id)?,
            Op::MarkErased => e.mark_erased()?,
            Op::DismissDuplicate(id) => e.dismiss_duplicate(id)?,
            Op::UndismissDuplicate(id) => e.undismiss_duplicate(id)?,
        }
    }
    Ok(())
}

/// Edits to make, one change per record, in order.
pub type Edits = Vec<(RecordId, Vec<Op>)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergePlan {
    pub survivor: RecordId,
    pub edits: Edits,
    /// Applied in order, undoes `edits`.
    pub undo: Edits,
}

/// The scalar fields a merge offers a choice for, for records of `kind`.
pub fn fields(kind: RecordKind) -> Vec<Field> {
    Field::ALL
        .into_iter()
        .filter(|f| f.applies_to(kind))
        .collect()
}

/// The default choice per field: the survivor's value, else the first other record's.
pub fn default_choices(records: &[&Record]) -> BTreeMap<Field, usize> {
    let Some(first) = records.first() else {
        return BTreeMap::new();
    };
    fields(first.kind())
        .into_iter()
        .map(|f| {
            let pick = records
                .iter()
                .position(|r| r.text(f).is_some())
                .unwrap_or(0);
            (f, pick)
        })
        .collect()
}

/// Records that point at one of `merged` (a link, or their company): they are re-pointed.
pub fn related<'s>(
    summaries: impl IntoIterator<Item = &'s Summary>,
    merged: &[RecordId],
) -> Vec<&'s Summary> {
    summaries
        .into_iter()
        .filter(|s| {
            !merged.contains(&s.id)
                && (s.links.iter().any(|l| merged.contains(l))
                    || s.company_id.as_ref().is_some_and(|c| merged.contains(c)))
        })
        .collect()
}

/// Plans merging `records` (the survivor first) with `choices` (field → index into
/// `records`; missing fields keep the survivor's value). `related` are the records pointing
/// at the merged-away ones ([`related`]); `now_ms` dates the merge.
pub fn plan(
    records: &[&Record],
    choices: &BTreeMap<Field, usize>,
    related: &[&Summary],
    now_ms: i64,
) -> MergePlan {
    let survivor = records[0];
    let sid = survivor.id().clone();
    let others = &records[1..];
    let merged: Vec<RecordId> = others.iter().map(|r| r.id().clone()).collect();
    let (mut ops, mut undo) = (Vec::new(), Vec::new());

    for field in fields(survivor.kind()) {
        let pick = choices
            .get(&field)
            .copied()
            .unwrap_or(0)
            .min(records.len() - 1);
        let chosen = records[pick].text(field).unwrap_or_default();
        let current = survivor.text(field).unwrap_or_default();
        if chosen != current {
            ops.push(Op::Set(field, chosen));
            undo.push(Op::Set(field, current));
        }
    }
    for channel in [Channel::Email, Channel::Phone] {
        let key = |v: &str| channel_key(channel, v);
        let mut seen: HashSet<String> = survivor
            .channel(channel)
            .iter()
            .map(|e| key(&e.value))
            .collect();
        for entry in others.iter().flat_map(|r| r.channel(channel)) {
            if seen.insert(key(&entry.value)) {
                ops.push(Op::AddChannel(
                    channel,
                    entry.value.clone(),
                    entry.label.clone(),
                ));
                undo.push(Op::RemoveChannelValue(channel, entry.value));
            }
        }
    }
    let mut tags: HashSet<String> = survivor.tags().into_iter().collect();
    for tag in others.iter().flat_map(|r| r.tags()) {
        if tags.insert(tag.clone()) {
            ops.push(Op::AddTag(tag.clone()));
            undo.push(Op::RemoveTag(tag));
        }
    }
    let old_notes = survivor.notes();
    let mut notes = old_notes.clone();
    for other in others {
        let text = other.notes();
        if !text.trim().is_empty() {
            notes = join_notes(&notes, &other_name(other), &text);
        }
    }
    if notes != old_notes {
        ops.push(Op::SetNotes(notes));
        undo.push(Op::SetNotes(old_notes));
    }
    let mut links: HashSet<RecordId> = survivor.links().into_iter().map(|l| l.id).collect();
    for link in others.iter().flat_map(|r| r.links()) {
        if link.id != sid && !merged.contains(&link.id) && links.insert(link.id.clone()) {
            undo.push(Op::Unlink(link.id.clone()));
            ops.push(Op::Link(link.id, link.kind));
        }
    }
    for id in &merged {
        ops.push(Op::MergedFrom(id.clone(), now_ms));
        undo.push(Op::RemoveMergedFrom(id.clone()));
    }

    let mut edits = vec![(sid.clone(), ops)];
    let mut reverse = vec![(sid.clone(), undo)];
    let merged_kinds: Vec<(RecordId, RecordKind)> =
        others.iter().map(|r| (r.id().clone(), r.kind())).collect();
    for r in related {
        let (ops, undo) = relink(r, &sid, survivor.kind(), &merged_kinds);
        if !ops.is_empty() {
            edits.push((r.id.clone(), ops));
            reverse.push((r.id.clone(), undo));
        }
    }
    for id in &merged {
        edits.push((id.clone(), vec![Op::MergedInto(sid.clone()), Op::Delete]));
        reverse.push((id.clone(), vec![Op::ClearMergedInto, Op::Restore]));
    }
    MergePlan {
        survivor: sid,
        edits,
        undo: reverse,
    }
}

/// Re-points one related record from the `merged` records (id and kind) to the survivor;
/// the edits and their inverse (both empty when it points at none of them).
pub fn relink(
    r: &Summary,
    survivor: &RecordId,
    survivor_kind: RecordKind,
    merged: &[(RecordId, RecordKind)],
) -> (Vec<Op>, Vec<Op>) {
    let (mut ops, mut undo) = (Vec::new(), Vec::new());
    let had_survivor = r.links.contains(survivor);
    for (id, kind) in merged {
        if r.links.contains(id) {
            ops.push(Op::Unlink(id.clone()));
            undo.push(Op::Link(id.clone(), *kind));
        }
    }
    if !ops.is_empty() && !had_survivor {
        ops.push(Op::Link(survivor.clone(), survivor_kind));
        undo.insert(0, Op::Unlink(survivor.clone()));
    }
    if let Some(company) = &r.company_id
        && merged.iter().any(|(id, _)| id == company)
        && Field::CompanyId.applies_to(r.kind)
    {
        ops.push(Op::Set(Field::CompanyId, survivor.to_string()));
        undo.push(Op::Set(Field::CompanyId, company.to_string()));
    }
    (ops, undo)
}

fn other_name(r: &Record) -> String {
    r.text(Field::Name)
        .unwrap_or_else(|| "a merged record".into())
}

/// `notes` followed by `text` under a line naming where it came from.
fn join_notes(notes: &str, from: &str, text: &str) -> String {
    let head = format!("— From {from} (merged) —\n{}", text.trim_end());
    if notes.trim().is_empty() {
        head
    } else {
        format!("{}\n\n{head}", notes.trim_end())
    }
}

/// What "apply" does with the changes a teammate made to `merged` (named `name`) after it
/// was merged into `survivor`: copies the values set (not clearings) to the survivor, and
/// writes `merged_into` again on the merged record so those changes count as dealt with.
pub fn apply_late(late: &LateChanges, name: &str, survivor: &Record, merged: &RecordId) -> Edits {
    let mut ops = Vec::new();
    for (field, value) in &late.fields {
        if !value.is_empty()
            && field.applies_to(survivor.kind())
            && survivor.text(*field).as_deref() != Some(value)
        {
            ops.push(Op::Set(*field, value.clone()));
        }
    }
    for (channel, values) in [
        (Channel::Email, &late.emails),
        (Channel::Phone, &late.phones),
    ] {
        let present: Vec<String> = survivor
            .channel(channel)
            .into_iter()
            .map(|e| e.value)
            .collect();
        for v in values {
            if !present.contains(v) {
                ops.push(Op::AddChannel(channel, v.clone(), String::new()));
            }
        }
    }
    let tags = survivor.tags();
    for t in &late.tags {
        if !tags.contains(t) {
            ops.push(Op::AddTag(t.clone()));
        }
    }
    if let Some(text) = &late.notes {
        let current = survivor.notes();
        if !text.trim().is_empty() && !current.contains(text.trim()) {
            ops.push(Op::SetNotes(join_notes(&current, name, text)));
        }
    }
    let survivor_id = survivor.id().clone();
    vec![
        (survivor_id.clone(), ops),
        (merged.clone(), vec![Op::MergedInto(survivor_id)]),
    ]
}

#[cfg(test)]
mod tests;
