//! A record's summary: the few fields lists, search, kanban and reports need, kept apart from
//! the full document so a list of 100k records never loads 100k documents.
//!
//! Summaries are derived data: one that cannot be decoded (corrupt, or written by another
//! version) is rebuilt from its record, never trusted and never fatal.

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;
use crate::record::{Channel, Field, LifecycleStage, Record, RecordKind};
use crate::versioned::{self, VersionedError};

/// Version of the summary encoding; bump on any change to [`Summary`].
pub const SUMMARY_VERSION: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub id: RecordId,
    pub kind: RecordKind,
    pub name: String,
    /// Primary first.
    pub emails: Vec<String>,
    /// Primary first.
    pub phones: Vec<String>,
    pub title: String,
    pub company_id: Option<RecordId>,
    pub domain: String,
    pub industry: String,
    pub city: String,
    pub country: String,
    pub tags: Vec<String>,
    pub owner: String,
    pub stage: Option<LifecycleStage>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted: bool,
    /// Fields holding concurrent values the user has not resolved.
    pub conflicts: Vec<Field>,
    /// Records this one links to (a deal's people, an activity's participants, …).
    pub links: Vec<RecordId>,
    /// Lead qualification score 0–100; `None` while nothing is answered.
    pub score: Option<u8>,
    /// Deal, task, activity: stored status name (`open`, `won`, `done`, …).
    pub status: String,
    /// Deal.
    pub pipeline_id: Option<RecordId>,
    pub deal_stage: String,
    /// Minor units.
    pub amount: Option<i64>,
    pub currency: String,
    pub probability: Option<u8>,
    /// `YYYY-MM-DD`.
    pub close_date: String,
    pub lost_reason: String,
    /// Task: due time; activity: when it happened (ms since the epoch).
    pub due_at: Option<i64>,
    pub priority: String,
    pub activity_type: String,
    /// Pipeline: stages JSON. View: spec JSON.
    pub config: String,
    /// View: shared or private.
    pub visibility: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    #[error("empty summary")]
    Empty,
    #[error("summary version {0} is not {SUMMARY_VERSION}")]
    Version(u8),
    #[error("unreadable summary: {0}")]
    Malformed(String),
}

impl Summary {
    pub fn of(record: &Record) -> Self {
        let root = record.root();
        let text = |field| root.text(field).unwrap_or_default();
        let values = |channel| root.channel(channel).into_iter().map(|e| e.value).collect();
        Self {
            id: record.id().clone(),
            kind: record.kind(),
            name: text(Field::Name),
            emails: values(Channel::Email),
            phones: values(Channel::Phone),
            title: text(Field::Title),
            company_id: root.company_id(),
            domain: text(Field::Domain),
            industry: text(Field::Industry),
            city: text(Field::City),
            country: text(Field::Country),
            tags: root.tags(),
            owner: text(Field::Owner),
            stage: root.stage(),
            created_at: root.created_at(),
            updated_at: root.updated_at(),
            deleted: root.is_deleted(),
            conflicts: root.conflicted_fields(),
            links: root.links().into_iter().map(|l| l.id).collect(),
            score: root.score(),
            status: text(Field::Status),
            pipeline_id: root
                .text(Field::PipelineId)
                .and_then(|t| RecordId::parse(&t).ok()),
            deal_stage: text(Field::DealStage),
            amount: root.text(Field::Amount).and_then(|t| t.parse().ok()),
            currency: text(Field::Currency),
            probability: root.text(Field::Probability).and_then(|t| t.parse().ok()),
            close_date: text(Field::CloseDate),
            lost_reason: text(Field::LostReason),
            due_at: root
                .text(Field::DueAt)
                .or_else(|| root.text(Field::OccurredAt))
                .and_then(|t| t.parse().ok()),
            priority: text(Field::Priority),
            activity_type: text(Field::ActivityType),
            config: root
                .text(Field::Stages)
                .or_else(|| root.text(Field::Spec))
                .unwrap_or_default(),
            visibility: text(Field::Visibility),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        versioned::encode(SUMMARY_VERSION, self)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, SummaryError> {
        versioned::decode(SUMMARY_VERSION, bytes).map_err(|e| match e {
            VersionedError::Empty => SummaryError::Empty,
            VersionedError::Version(v) => SummaryError::Version(v),
            VersionedError::Malformed(m) => SummaryError::Malformed(m),
        })
    }

    pub fn primary_email(&self) -> Option<&str> {
        self.emails.first().map(String::as_str)
    }

    pub fn primary_phone(&self) -> Option<&str> {
        self.phones.first().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn person() -> Record {
        let mut r = Record::create(
            RecordId::new(),
            RecordKind::Person,
            &UserId("u1".into()),
            1_000,
        );
        r.edit(2_000, |e| {
            e.set(Field::Name, "Ada Lovelace")?;
            e.set(Field::City, "London")?;
            e.add_channel(Channel::Email, "ada@example.com", "work")?;
            e.add_tag("vip")?;
            e.set_stage(LifecycleStage::Customer)
        })
        .unwrap();
        r
    }

    #[test]
    fn summary_reflects_the_record_and_round_trips() {
        let s = person().summary();
        assert_eq!(s.name, "Ada Lovelace");
        assert_eq!(s.primary_email(), Some("ada@example.com"));
        assert_eq!(s.tags, ["vip"]);
        assert_eq!(s.stage, Some(LifecycleStage::Customer));
        assert_eq!((s.created_at, s.updated_at), (1_000, 2_000));
        assert_eq!(Summary::decode(&s.encode()), Ok(s));
    }

    /// What a summary held when each field was looked up on its own.
    fn field_by_field(record: &Record) -> Summary {
        let text = |field| record.text(field).unwrap_or_default();
        let values = |channel| {
            record
                .channel(channel)
                .into_iter()
                .map(|e| e.value)
                .collect()
        };
        Summary {
            id: record.id().clone(),
            kind: record.kind(),
            name: text(Field::Name),
            emails: values(Channel::Email),
            phones: values(Channel::Phone),
            title: text(Field::Title),
            company_id: record.company_id(),
            domain: text(Field::Domain),
            industry: text(Field::Industry),
            city: text(Field::City),
            country: text(Field::Country),
            tags: record.tags(),
            owner: text(Field::Owner),
            stage: record.stage(),
            created_at: record.created_at(),
            updated_at: record.updated_at(),
            deleted: record.is_deleted(),
            conflicts: record.conflicted_fields(),
            links: record.links().into_iter().map(|l| l.id).collect(),
            score: record.score(),
            status: text(Field::Status),
            pipeline_id: record
                .text(Field::PipelineId)
                .and_then(|t| RecordId::parse(&t).ok()),
            deal_stage: text(Field::DealStage),
            amount: record.text(Field::Amount).and_then(|t| t.parse().ok()),
            currency: text(Field::Currency),
            probability: record.text(Field::Probability).and_then(|t| t.parse().ok()),
            close_date: text(Field::CloseDate),
            lost_reason: text(Field::LostReason),
            due_at: record
                .text(Field::DueAt)
                .or_else(|| record.text(Field::OccurredAt))
                .and_then(|t| t.parse().ok()),
            priority: text(Field::Priority),
            activity_type: text(Field::ActivityType),
            config: record
                .text(Field::Stages)
                .or_else(|| record.text(Field::Spec))
                .unwrap_or_default(),
            visibility: text(Field::Visibility),
        }
    }

    #[test]
    fn one_pass_over_the_root_reads_what_lookups_per_field_read() {
        let mut a = person();
        assert_eq!(a.summary(), field_by_field(&a));
        let mut b = Record::load(a.id().clone(), &a.save(), &[], &UserId("u2".into())).unwrap();
        let from_a = a
            .edit(3_000, |e| {
                e.set(Field::Title, "CEO")?;
                e.set(Field::City, "Paris")?;
                e.set(Field::CompanyId, &RecordId::new().to_string())?;
                e.add_channel(Channel::Phone, "+44 20 7946 0000", "")?;
                e.remove_tag("vip")
            })
            .unwrap()
            .unwrap();
        let from_b = b
            .edit(3_001, |e| {
                e.set(Field::Title, "CTO")?;
                e.set(Field::City, "")?;
                e.set(Field::Owner, "u2")?;
                e.add_channel(Channel::Email, "ada@example.org", "home")?;
                e.set_stage(LifecycleStage::Lead)
            })
            .unwrap()
            .unwrap();
        a.apply(&from_b).unwrap();
        b.apply(&from_a).unwrap();
        for r in [&mut a, &mut b] {
            let summary = r.summary();
            assert_eq!(summary, field_by_field(r));
            assert!(summary.conflicts.contains(&Field::Title));
            r.edit(4_000, |e| e.delete()).unwrap();
            assert_eq!(r.summary(), field_by_field(r));
        }
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        assert_eq!(Summary::decode(&[]), Err(SummaryError::Empty));
        assert_eq!(
            Summary::decode(&[SUMMARY_VERSION + 1, 0]),
            Err(SummaryError::Version(SUMMARY_VERSION + 1))
        );
        assert!(matches!(
            Summary::decode(&[SUMMARY_VERSION, 0xff, 0xff]),
            Err(SummaryError::Malformed(_))
        ));
        let mut extra = person().summary().encode();
        extra.push(0);
        assert!(matches!(
            Summary::decode(&extra),
            Err(SummaryError::Malformed(_))
        ));
    }
}
