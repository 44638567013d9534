//! Writing a planned row into a record, and what undoing it needs: the values an update
//! replaced, kept with the import so "Undo import" works after a reload.

use serde::{Deserialize, Serialize};

use super::Values;
use crate::ids::RecordId;
use crate::io::mapping::ImportTarget;
use crate::record::{Channel, Edit, Field, Record, RecordError, RecordKind};

/// Writes a row's values. `company`: the id the row's company resolved to (an existing one,
/// or the one this import created). For an update, `before` (from [`capture_before`]) says
/// which emails and phones are new: the others are there already.
pub fn apply_values(
    edit: &mut Edit<'_>,
    values: &Values,
    company: Option<&RecordId>,
    before: Option<&Before>,
) -> Result<(), RecordError> {
    for (field, value) in &values.fields {
        edit.set(*field, value)?;
    }
    let new = |list: Option<&Vec<String>>, v: &str| list.is_none_or(|l| l.iter().any(|x| x == v));
    for (value, label) in &values.emails {
        if new(before.map(|b| &b.emails), value) {
            edit.add_channel(Channel::Email, value, label)?;
        }
    }
    for (value, label) in &values.phones {
        if new(before.map(|b| &b.phones), value) {
            edit.add_channel(Channel::Phone, value, label)?;
        }
    }
    for tag in &values.tags {
        edit.add_tag(tag)?;
    }
    if !values.notes.is_empty() {
        edit.set_notes(&values.notes)?;
    }
    if let Some(company) = company {
        edit.set(Field::CompanyId, company.as_str())?;
    }
    if let Some(contact) = &values.contact {
        edit.link(contact, RecordKind::Person)?;
    }
    Ok(())
}

/// What an update is about to replace in a record, so it can be written back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Before {
    /// Each field the update sets, with its value before ("" when it had none).
    pub fields: Vec<(Field, String)>,
    /// The notes before, when the update replaces them.
    pub notes: Option<String>,
    /// Values the update adds that the record did not hold.
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub tags: Vec<String>,
    /// The company before (`Some("")`: none), when the update links one.
    pub company: Option<String>,
    /// A contact link the update adds.
    pub link: Option<RecordId>,
}

/// Reads from `record` what applying `values` (with `company`) will replace.
pub fn capture_before(record: &Record, values: &Values, company: Option<&RecordId>) -> Before {
    let holds = |channel, v: &str| {
        record
            .channel(channel)
            .iter()
            .any(|e| e.value.eq_ignore_ascii_case(v))
    };
    let tags = record.tags();
    Before {
        fields: values
            .fields
            .iter()
            .map(|(f, _)| (*f, record.text(*f).unwrap_or_default()))
            .collect(),
        notes: (!values.notes.is_empty()).then(|| record.notes()),
        emails: (values.emails.iter())
            .filter(|(v, _)| !holds(Channel::Email, v))
            .map(|(v, _)| v.clone())
            .collect(),
        phones: (values.phones.iter())
            .filter(|(v, _)| !holds(Channel::Phone, v))
            .map(|(v, _)| v.clone())
            .collect(),
        tags: (values.tags.iter())
            .filter(|t| !tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            .cloned()
            .collect(),
        company: company.map(|_| record.text(Field::CompanyId).unwrap_or_default()),
        link: values
            .contact
            .clone()
            .filter(|c| !record.links().iter().any(|l| &l.id == c)),
    }
}

/// The edit that writes `before` back into `record` (read now, so the entries the import
/// added are found by their current ids).
pub fn undo_update(
    record: &Record,
    before: &Before,
) -> impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError> + use<> {
    let before = before.clone();
    let added = |channel, values: &[String]| -> Vec<String> {
        record
            .channel(channel)
            .into_iter()
            .filter(|e| values.iter().any(|v| v.eq_ignore_ascii_case(&e.value)))
            .map(|e| e.id)
            .collect()
    };
    let emails = added(Channel::Email, &before.emails);
    let phones = added(Channel::Phone, &before.phones);
    move |edit: &mut Edit<'_>| {
        for (field, value) in &before.fields {
            edit.set(*field, value)?;
        }
        if let Some(notes) = &before.notes {
            edit.set_notes(notes)?;
        }
        for id in &emails {
            edit.remove_channel(Channel::Email, id)?;
        }
        for id in &phones {
            edit.remove_channel(Channel::Phone, id)?;
        }
        for tag in &before.tags {
            edit.remove_tag(tag)?;
        }
        if let Some(company) = &before.company {
            edit.set(Field::CompanyId, company)?;
        }
        if let Some(link) = &before.link {
            edit.unlink(link)?;
        }
        Ok(())
    }
}

/// What one import did, kept so it can be undone (also after a reload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoLog {
    pub id: String,
    /// When it ran, ms since the epoch.
    pub at: i64,
    pub file: String,
    pub target: ImportTarget,
    /// Records it created (companies it created for people included).
    pub created: Vec<RecordId>,
    /// How many of `created` are companies made for the rows' company names.
    #[serde(default)]
    pub companies: usize,
    pub updated: Vec<(RecordId, Before)>,
    /// Stopped by the user before the end.
    pub cancelled: bool,
    pub undone: bool,
}
