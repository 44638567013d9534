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
}

impl RecordKind {
    pub const ALL: [RecordKind; 5] = [
        Self::Person,
        Self::Company,
        Self::Deal,
        Self::Activity,
        Self::Task,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Company => "company",
            Self::Deal => "deal",
            Self::Activity => "activity",
            Self::Task => "task",
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
    Status,
}

impl Field {
    pub const ALL: [Field; 20] = [
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
            ),
            Company => matches!(
                self,
                Name | Domain
                    | Industry
                    | Size
                    | Owner
                    | Stage
                    | Street
                    | City
                    | Region
                    | Postcode
                    | Country
            ),
            Deal => matches!(
                self,
                Name | CompanyId | Owner | Stage | Amount | Currency | Source
            ),
            Activity => matches!(self, Name | ActivityType | DueAt | Owner | Status),
            Task => matches!(self, Name | DueAt | Owner | Priority | Status),
        }
    }
}

/// Where a person or company stands with you.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LifecycleStage {
    Lead,
    Prospect,
    Customer,
    Churned,
}

impl LifecycleStage {
    pub const ALL: [LifecycleStage; 4] =
        [Self::Lead, Self::Prospect, Self::Customer, Self::Churned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Prospect => "prospect",
            Self::Customer => "customer",
            Self::Churned => "churned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Lead => "Lead",
            Self::Prospect => "Prospect",
            Self::Customer => "Customer",
            Self::Churned => "Churned",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
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
        for stage in LifecycleStage::ALL {
            assert_eq!(LifecycleStage::parse(stage.as_str()), Some(stage));
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
