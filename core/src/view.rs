//! Saved views: what a list shows — filters (all must match), a multi-column sort and the
//! columns — stored as JSON in a view record and applied to summaries.

use serde::{Deserialize, Serialize};

use crate::record::RecordKind;

/// Version of the stored spec; a spec from a newer version is refused, not misread.
pub const SPEC_VERSION: u8 = 1;

/// What a list can show, filter and sort by: the fields summaries carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewField {
    Name,
    Email,
    Phone,
    Title,
    Company,
    Domain,
    Industry,
    City,
    Country,
    Tags,
    Owner,
    Stage,
    Score,
    Pipeline,
    DealStage,
    Amount,
    Currency,
    Probability,
    CloseDate,
    Status,
    DueAt,
    Priority,
    ActivityType,
    OccurredAt,
    Created,
    Updated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Is,
    IsNot,
    Contains,
    NotContains,
    IsEmpty,
    IsNotEmpty,
    /// Numbers and dates.
    Greater,
    Less,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: ViewField,
    pub op: Op,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortBy {
    pub field: ViewField,
    #[serde(default)]
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewSpec {
    pub version: u8,
    pub kind: RecordKind,
    #[serde(default)]
    pub filters: Vec<Condition>,
    #[serde(default)]
    pub sort: Vec<SortBy>,
    #[serde(default)]
    pub columns: Vec<ViewField>,
}

impl ViewSpec {
    pub fn parse(json: &str) -> Result<Self, String> {
        let spec: Self = serde_json::from_str(json).map_err(|e| format!("unreadable view: {e}"))?;
        if spec.version > SPEC_VERSION {
            return Err(format!(
                "this view was saved by a newer version of Kith (view format {})",
                spec.version
            ));
        }
        Ok(spec)
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a view spec always serialises")
    }
}
