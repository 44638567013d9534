//! Which records exist and which fields each has.

use serde::{Deserialize, Serialize};

/// The kinds of record a workspace holds; stored in each document's `type` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RecordKind {
    Person,
    Company,
    Deal,
    Activity,
    Task,
    /// A deal pipeline: its ordered stages.
    Pipeline,
    /// A saved list view (filters, sort, columns), shared with the workspace or private.
    View,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        Self::Person,
        Self::Company,
        Self::Deal,
        Self::Activity,
        Self::Task,
        Self::Pipeline,
        Self::View,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Company => "company",
            Self::Deal => "deal",
            Self::Activity => "activity",
            Self::Task => "task",
            Self::Pipeline => "pipeline",
            Self::View => "view",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A scalar text field. Every field is a flat key of the document's root map: nested maps
/// created lazily by two devices at once would conflict and lose one side's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Field {
    Name,
    Title,
    CompanyId,
    Owner,
    Stage,
    Source,
    Domain,
    Industry,
    Size,
    Street,
    City,
    Region,
    Postcode,
    Country,
    /// Deal amount in minor units of `Currency`, as decimal text.
    Amount,
    Currency,
    /// Activity: call, email, meeting or note.
    ActivityType,
    /// Task due time / activity time, ms since the epoch as decimal text.
    DueAt,
    Priority,
    /// Deal: open, won or lost. Task: open or done. Activity: planned or done.
    Status,
    /// Deal: the pipeline it is on (empty: the default pipeline).
    PipelineId,
    /// Deal: the id of its stage within its pipeline.
    DealStage,
    /// Deal: chance of winning, 0–100 (empty: the stage's probability).
    Probability,
    /// Deal: expected close date, `YYYY-MM-DD`.
    CloseDate,
    LostReason,
    /// Activity: when it happened (or is planned), ms since the epoch.
    OccurredAt,
    /// Activity: minutes.
    Duration,
    Outcome,
    /// Lead qualification (BANT), each an [`crate::qualify::Answer`].
    Budget,
    Authority,
    Need,
    Timeline,
    /// Pipeline: its stages as JSON ([`crate::pipeline::PipelineStage`]).
    Stages,
    /// View: its filters, sort and columns as JSON ([`crate::view::ViewSpec`]).
    Spec,
    /// View: shared or private.
    Visibility,
}

impl Field {
    pub const ALL: [Field; 35] = [
        Self::Name,
        Self::Title,
        Self::CompanyId,
        Self::Owner,
        Self::Stage,
        Self::Source,
        Self::Domain,
        Self::Industry,
        Self::Size,
        Self::Street,
        Self::City,
        Self::Region,
        Self::Postcode,
        Self::Country,
        Self::Amount,
        Self::Currency,
        Self::ActivityType,
        Self::DueAt,
        Self::Priority,
        Self::Status,
        Self::PipelineId,
        Self::DealStage,
        Self::Probability,
        Self::CloseDate,
        Self::LostReason,
        Self::OccurredAt,
        Self::Duration,
        Self::Outcome,
        Self::Budget,
        Self::Authority,
        Self::Need,
        Self::Timeline,
        Self::Stages,
        Self::Spec,
        Self::Visibility,
    ];

    /// The document key. Never renamed: documents on other devices use it.
    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Title => "title",
            Self::CompanyId => "company_id",
            Self::Owner => "owner",
            Self::Stage => "stage",
            Self::Source => "source",
            Self::Domain => "domain",
            Self::Industry => "industry",
            Self::Size => "size",
            Self::Street => "address_street",
            Self::City => "address_city",
            Self::Region => "address_region",
            Self::Postcode => "address_postcode",
            Self::Country => "address_country",
            Self::Amount => "amount",
            Self::Currency => "currency",
            Self::ActivityType => "activity_type",
            Self::DueAt => "due_at",
            Self::Priority => "priority",
            Self::Status => "status",
            Self::PipelineId => "pipeline_id",
            Self::DealStage => "deal_stage",
            Self::Probability => "probability",
            Self::CloseDate => "close_date",
            Self::LostReason => "lost_reason",
            Self::OccurredAt => "occurred_at",
            Self::Duration => "duration_min",
            Self::Outcome => "outcome",
            Self::Budget => "qual_budget",
            Self::Authority => "qual_authority",
            Self::Need => "qual_need",
            Self::Timeline => "qual_timeline",
            Self::Stages => "stages",
            Self::Spec => "spec",
            Self::Visibility => "visibility",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Title => "Job title",
            Self::CompanyId => "Company",
            Self::Owner => "Owner",
            Self::Stage => "Lifecycle stage",
            Self::Source => "Source",
            Self::Domain => "Domain",
            Self::Industry => "Industry",
            Self::Size => "Size",
            Self::Street => "Street",
            Self::City => "City",
            Self::Region => "Region",
            Self::Postcode => "Postcode",
            Self::Country => "Country",
            Self::Amount => "Amount",
            Self::Currency => "Currency",
            Self::ActivityType => "Type",
            Self::DueAt => "Due",
            Self::Priority => "Priority",
            Self::Status => "Status",
            Self::PipelineId => "Pipeline",
            Self::DealStage => "Stage",
            Self::Probability => "Probability",
            Self::CloseDate => "Expected close",
            Self::LostReason => "Lost reason",
            Self::OccurredAt => "When",
            Self::Duration => "Duration",
            Self::Outcome => "Outcome",
            Self::Budget => "Budget",
            Self::Authority => "Authority",
            Self::Need => "Need",
            Self::Timeline => "Timeline",
            Self::Stages => "Stages",
            Self::Spec => "View",
            Self::Visibility => "Visibility",
        }
    }

    pub fn applies_to(self, kind: RecordKind) -> bool {
        use Field::*;
        use RecordKind::*;
        match kind {
            Person => matches!(
                self,
                Name | Title
                    | CompanyId
                    | Owner
                    | Stage
                    | Source
                    | Street
                    | City
                    | Region
                    | Postcode
                    | Country
                    | Budget
                    | Authority
                    | Need
                    | Timeline
            ),
            Company => matches!(
                self,
                Name | Domain
                    | Industry
                    | Size
                    | Owner
                    | Stage
                    | Source
                    | Street
                    | City
                    | Region
                    | Postcode
                    | Country
                    | Budget
                    | Authority
                    | Need
                    | Timeline
            ),
            Deal => matches!(
                self,
                Name | CompanyId
                    | Owner
                    | Amount
                    | Currency
                    | Source
                    | Status
                    | PipelineId
                    | DealStage
                    | Probability
                    | CloseDate
                    | LostReason
            ),
            Activity => matches!(
                self,
                Name | ActivityType | OccurredAt | Duration | Outcome | Owner | Status
            ),
            Task => matches!(self, Name | DueAt | Owner | Priority | Status),
            Pipeline => matches!(self, Name | Stages),
            View => matches!(self, Name | Spec | Visibility | Owner),
        }
    }
}

/// A multi-valued contact channel, each entry a map under a unique key so concurrent adds
/// from two devices both survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Phone,
}

impl Channel {
    pub fn key(self) -> &'static str {
        match self {
            Self::Email => "emails",
            Self::Phone => "phones",
        }
    }

    /// The key holding the entry id of the primary value.
    pub fn primary_key(self) -> &'static str {
        match self {
            Self::Email => "primary_email",
            Self::Phone => "primary_phone",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_keys_are_unique() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
        }
        let mut keys: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Field::ALL.len());
    }

    #[test]
    fn every_kind_has_a_name() {
        for kind in RecordKind::ALL {
            assert!(Field::Name.applies_to(kind));
        }
        assert!(Field::Domain.applies_to(RecordKind::Company));
        assert!(!Field::Domain.applies_to(RecordKind::Person));
    }
}
