//! Saved views: what a list shows — filters (all must match), a multi-column sort and the
//! columns — stored as JSON in a view record and applied to summaries.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::directory::{Directory, ListQuery};
use crate::ids::RecordId;
use crate::pipeline::{self, PipelineStage};
use crate::record::{
    ActivityStatus, ActivityType, DealStatus, LifecycleStage, RecordKind, TaskPriority, TaskStatus,
};
use crate::summary::Summary;

/// Version of the stored spec; a spec from a newer version is refused, not misread.
pub const SPEC_VERSION: u8 = 1;

/// The value of an owner condition meaning "whoever is looking".
pub const ME: &str = "me";
/// A date condition's value meaning "the day it is now".
pub const TODAY: &str = "today";

const DAY_MS: i64 = 86_400_000;

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

/// How a field is compared, which decides its operators and value input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    /// One of a fixed (or per-workspace, for pipelines) set of stored values.
    Choice,
    Tags,
    /// A user id; the value [`ME`] means whoever applies the view.
    Owner,
    Number,
    Date,
}

impl ViewField {
    pub const ALL: [ViewField; 26] = [
        Self::Name,
        Self::Email,
        Self::Phone,
        Self::Title,
        Self::Company,
        Self::Domain,
        Self::Industry,
        Self::City,
        Self::Country,
        Self::Tags,
        Self::Owner,
        Self::Stage,
        Self::Score,
        Self::Pipeline,
        Self::DealStage,
        Self::Amount,
        Self::Currency,
        Self::Probability,
        Self::CloseDate,
        Self::Status,
        Self::DueAt,
        Self::Priority,
        Self::ActivityType,
        Self::OccurredAt,
        Self::Created,
        Self::Updated,
    ];

    /// The fields a list of `kind` offers, in menu order.
    pub fn for_kind(kind: RecordKind) -> &'static [ViewField] {
        use ViewField::*;
        match kind {
            RecordKind::Person => &[
                Name, Email, Phone, Title, Company, City, Country, Tags, Owner, Stage, Score,
                Created, Updated,
            ],
            RecordKind::Company => &[
                Name, Domain, Industry, City, Country, Tags, Owner, Stage, Score, Created, Updated,
            ],
            RecordKind::Deal => &[
                Name,
                Company,
                Pipeline,
                DealStage,
                Amount,
                Currency,
                Probability,
                CloseDate,
                Status,
                Owner,
                Tags,
                Created,
                Updated,
            ],
            RecordKind::Task => &[Name, DueAt, Priority, Status, Owner, Tags, Created, Updated],
            RecordKind::Activity => &[
                Name,
                ActivityType,
                OccurredAt,
                Status,
                Owner,
                Created,
                Updated,
            ],
            RecordKind::Pipeline | RecordKind::View => &[Name, Created, Updated],
        }
    }

    /// The columns a list shows until the user chooses others.
    pub fn default_columns(kind: RecordKind) -> &'static [ViewField] {
        use ViewField::*;
        match kind {
            RecordKind::Person => &[Name, Email, Phone, Company, Stage, Tags, Updated],
            RecordKind::Company => &[Name, Domain, Industry, City, Stage, Tags, Updated],
            RecordKind::Deal => &[Name, Company, DealStage, Amount, CloseDate, Status, Owner],
            RecordKind::Task => &[Name, DueAt, Priority, Status, Owner],
            RecordKind::Activity => &[Name, ActivityType, OccurredAt, Status, Owner],
            RecordKind::Pipeline | RecordKind::View => &[Name, Updated],
        }
    }

    /// Stable name, as stored in specs (and used in test ids).
    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Title => "title",
            Self::Company => "company",
            Self::Domain => "domain",
            Self::Industry => "industry",
            Self::City => "city",
            Self::Country => "country",
            Self::Tags => "tags",
            Self::Owner => "owner",
            Self::Stage => "stage",
            Self::Score => "score",
            Self::Pipeline => "pipeline",
            Self::DealStage => "deal_stage",
            Self::Amount => "amount",
            Self::Currency => "currency",
            Self::Probability => "probability",
            Self::CloseDate => "close_date",
            Self::Status => "status",
            Self::DueAt => "due_at",
            Self::Priority => "priority",
            Self::ActivityType => "activity_type",
            Self::OccurredAt => "occurred_at",
            Self::Created => "created",
            Self::Updated => "updated",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Email => "Email",
            Self::Phone => "Phone",
            Self::Title => "Title",
            Self::Company => "Company",
            Self::Domain => "Domain",
            Self::Industry => "Industry",
            Self::City => "City",
            Self::Country => "Country",
            Self::Tags => "Tags",
            Self::Owner => "Owner",
            Self::Stage => "Stage",
            Self::Score => "Score",
            Self::Pipeline => "Pipeline",
            Self::DealStage => "Deal stage",
            Self::Amount => "Amount",
            Self::Currency => "Currency",
            Self::Probability => "Probability",
            Self::CloseDate => "Close date",
            Self::Status => "Status",
            Self::DueAt => "Due",
            Self::Priority => "Priority",
            Self::ActivityType => "Type",
            Self::OccurredAt => "When",
            Self::Created => "Created",
            Self::Updated => "Updated",
        }
    }

    pub fn field_type(self) -> FieldType {
        match self {
            Self::Name
            | Self::Email
            | Self::Phone
            | Self::Title
            | Self::Company
            | Self::Domain
            | Self::Industry
            | Self::City
            | Self::Country
            | Self::Currency => FieldType::Text,
            Self::Stage
            | Self::Pipeline
            | Self::DealStage
            | Self::Status
            | Self::Priority
            | Self::ActivityType => FieldType::Choice,
            Self::Tags => FieldType::Tags,
            Self::Owner => FieldType::Owner,
            Self::Score | Self::Amount | Self::Probability => FieldType::Number,
            Self::CloseDate | Self::DueAt | Self::OccurredAt | Self::Created | Self::Updated => {
                FieldType::Date
            }
        }
    }

    /// The stored values and labels of a choice field, for a list of `kind`. Pipelines and
    /// their stages come from the workspace (`lookup`).
    pub fn choices(self, kind: RecordKind, lookup: &Lookup) -> Vec<(String, String)> {
        fn fixed<T: Copy>(
            all: &[T],
            s: impl Fn(T) -> &'static str,
            l: impl Fn(T) -> &'static str,
        ) -> Vec<(String, String)> {
            all.iter().map(|&c| (s(c).into(), l(c).into())).collect()
        }
        match self {
            Self::Stage => fixed(LifecycleStage::ALL, |c| c.as_str(), |c| c.label()),
            Self::Priority => fixed(TaskPriority::ALL, |c| c.as_str(), |c| c.label()),
            Self::ActivityType => fixed(ActivityType::ALL, |c| c.as_str(), |c| c.label()),
            Self::Status => match kind {
                RecordKind::Deal => fixed(DealStatus::ALL, |c| c.as_str(), |c| c.label()),
                RecordKind::Task => fixed(TaskStatus::ALL, |c| c.as_str(), |c| c.label()),
                _ => fixed(ActivityStatus::ALL, |c| c.as_str(), |c| c.label()),
            },
            Self::Pipeline => lookup
                .pipelines
                .iter()
                .map(|p| (p.id.to_string(), p.name.clone()))
                .collect(),
            Self::DealStage => {
                let mut seen = Vec::<(String, String)>::new();
                for stage in lookup.pipelines.iter().flat_map(|p| &p.stages) {
                    if !seen.iter().any(|(id, _)| *id == stage.id) {
                        seen.push((stage.id.clone(), stage.name.clone()));
                    }
                }
                seen
            }
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Is,
    IsNot,
    /// Text: contains. Tags: has.
    Contains,
    /// Text: does not contain. Tags: has not.
    NotContains,
    IsEmpty,
    IsNotEmpty,
    /// Numbers: greater than. Dates: after.
    Greater,
    /// Numbers: less than. Dates: before.
    Less,
    /// Dates: on the current day.
    Today,
    /// Dates: before now.
    Past,
}

impl Op {
    pub fn for_type(t: FieldType) -> &'static [Op] {
        use Op::*;
        match t {
            FieldType::Text => &[Is, IsNot, Contains, NotContains, IsEmpty, IsNotEmpty],
            FieldType::Choice | FieldType::Owner => &[Is, IsNot, IsEmpty, IsNotEmpty],
            FieldType::Tags => &[Contains, NotContains, IsEmpty, IsNotEmpty],
            FieldType::Number => &[Is, Greater, Less, IsEmpty, IsNotEmpty],
            FieldType::Date => &[Less, Greater, Is, Today, Past, IsEmpty, IsNotEmpty],
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Is => "is",
            Self::IsNot => "is_not",
            Self::Contains => "contains",
            Self::NotContains => "not_contains",
            Self::IsEmpty => "is_empty",
            Self::IsNotEmpty => "is_not_empty",
            Self::Greater => "greater",
            Self::Less => "less",
            Self::Today => "today",
            Self::Past => "past",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Op::for_type(FieldType::Date)
            .iter()
            .chain(Op::for_type(FieldType::Text))
            .copied()
            .find(|o| o.key() == key)
    }

    /// What the operator reads as for a field of type `t`.
    pub fn label(self, t: FieldType) -> &'static str {
        match (self, t) {
            (Self::Is, FieldType::Number) => "=",
            (Self::Greater, FieldType::Number) => ">",
            (Self::Less, FieldType::Number) => "<",
            (Self::Is, FieldType::Date) => "is on",
            (Self::Greater, _) => "is after",
            (Self::Less, _) => "is before",
            (Self::Contains, FieldType::Tags) => "has",
            (Self::NotContains, FieldType::Tags) => "has not",
            (Self::Is, _) => "is",
            (Self::IsNot, _) => "is not",
            (Self::Contains, _) => "contains",
            (Self::NotContains, _) => "does not contain",
            (Self::IsEmpty, _) => "is empty",
            (Self::IsNotEmpty, _) => "is not empty",
            (Self::Today, _) => "is today",
            (Self::Past, _) => "is in the past",
        }
    }

    /// Whether the operator compares with a value the user gives.
    pub fn takes_value(self) -> bool {
        !matches!(
            self,
            Self::IsEmpty | Self::IsNotEmpty | Self::Today | Self::Past
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: ViewField,
    pub op: Op,
    #[serde(default)]
    pub value: String,
}

impl Condition {
    /// A new condition on `field` with its type's first operator and no value yet.
    pub fn new(field: ViewField) -> Self {
        Self {
            field,
            op: Op::for_type(field.field_type())[0],
            value: String::new(),
        }
    }

    /// Why this condition cannot filter yet (shown beside it); such a condition is ignored.
    pub fn problem(&self) -> Option<String> {
        self.compile(&Context::default()).err()
    }

    fn compile(&self, ctx: &Context) -> Result<Test, String> {
        let t = self.field.field_type();
        if !Op::for_type(t).contains(&self.op) {
            return Err(format!(
                "“{}” cannot be used with {}",
                self.op.key(),
                self.field.label()
            ));
        }
        let value = self.value.trim();
        if !self.op.takes_value() {
            return Ok(Test::None);
        }
        if value.is_empty() {
            return Err("Choose a value".into());
        }
        Ok(match t {
            FieldType::Text | FieldType::Tags | FieldType::Choice => {
                Test::Text(value.to_lowercase())
            }
            FieldType::Owner if value == ME => Test::Text(ctx.me.to_lowercase()),
            FieldType::Owner => Test::Text(value.to_lowercase()),
            FieldType::Number => Test::Number(parse_number(self.field, value)?),
            FieldType::Date if value.eq_ignore_ascii_case(TODAY) => Test::Number(ctx.today()),
            FieldType::Date => {
                Test::Number(parse_date(value).ok_or_else(|| format!("“{value}” is not a date"))?)
            }
        })
    }
}

/// A condition's value, read once per apply.
enum Test {
    None,
    Text(String),
    /// A number, or a day (days since 1970-01-01).
    Number(i64),
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
    /// The built-in view of a kind: no filters, by name, its default columns.
    pub fn default_for(kind: RecordKind) -> Self {
        Self {
            version: SPEC_VERSION,
            kind,
            filters: Vec::new(),
            sort: Vec::new(),
            columns: ViewField::default_columns(kind).to_vec(),
        }
    }

    pub fn parse(json: &str) -> Result<Self, String> {
        // The version is read first, so a newer format is refused before its shape is read.
        #[derive(Deserialize)]
        struct Version {
            version: u8,
        }
        if let Ok(Version { version }) = serde_json::from_str::<Version>(json)
            && version > SPEC_VERSION
        {
            return Err(format!(
                "this view was saved by a newer version of Kith (view format {version}); \
                 update Kith to use it"
            ));
        }
        let spec: Self = serde_json::from_str(json).map_err(|e| format!("unreadable view: {e}"))?;
        Ok(spec)
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a view spec always serialises")
    }

    /// The columns to show: the chosen ones that apply to the kind, else the defaults.
    pub fn shown_columns(&self) -> Vec<ViewField> {
        let fields = ViewField::for_kind(self.kind);
        let chosen: Vec<ViewField> = self
            .columns
            .iter()
            .copied()
            .filter(|c| fields.contains(c))
            .collect();
        if chosen.is_empty() {
            ViewField::default_columns(self.kind).to_vec()
        } else {
            chosen
        }
    }
}

/// What applying a view needs beyond summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The user id "me" stands for.
    pub me: String,
    pub now_ms: i64,
    /// Local time minus UTC, in minutes (what "today" and "on" mean).
    pub utc_offset_minutes: i32,
}

impl Context {
    fn day_of_ms(&self, ms: i64) -> i64 {
        (ms + i64::from(self.utc_offset_minutes) * 60_000).div_euclid(DAY_MS)
    }

    fn today(&self) -> i64 {
        self.day_of_ms(self.now_ms)
    }
}

/// A pipeline as views see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineInfo {
    pub id: RecordId,
    pub name: String,
    pub stages: Vec<PipelineStage>,
}

/// The workspace's pipelines, read from the directory once per apply.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub pipelines: Vec<PipelineInfo>,
    by_id: HashMap<RecordId, usize>,
}

impl Lookup {
    pub fn new(dir: &Directory) -> Self {
        let default_id = pipeline::default_pipeline_id();
        let mut pipelines: Vec<PipelineInfo> = dir
            .of_kind(RecordKind::Pipeline)
            .map(|s| PipelineInfo {
                id: s.id.clone(),
                name: if s.name.is_empty() {
                    "Pipeline".into()
                } else {
                    s.name.clone()
                },
                stages: pipeline::parse_stages(&s.config).unwrap_or_else(|_| {
                    if s.id == default_id {
                        pipeline::default_stages()
                    } else {
                        Vec::new()
                    }
                }),
            })
            .collect();
        if !pipelines.iter().any(|p| p.id == default_id) {
            pipelines.insert(
                0,
                PipelineInfo {
                    id: default_id,
                    name: "Sales".into(),
                    stages: pipeline::default_stages(),
                },
            );
        }
        let by_id = pipelines
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        Self { pipelines, by_id }
    }

    /// The pipeline a deal is on (the default one when unset).
    pub fn pipeline_of(&self, deal: &Summary) -> Option<&PipelineInfo> {
        let id = deal
            .pipeline_id
            .clone()
            .unwrap_or_else(pipeline::default_pipeline_id);
        self.by_id.get(&id).map(|&i| &self.pipelines[i])
    }

    /// A deal's stage: its position in its pipeline and its name.
    pub fn stage_of(&self, deal: &Summary) -> Option<(usize, &str)> {
        self.pipeline_of(deal)?
            .stages
            .iter()
            .enumerate()
            .find(|(_, s)| s.id == deal.deal_stage)
            .map(|(i, s)| (i, s.name.as_str()))
    }

    pub fn probability_of(&self, deal: &Summary) -> Option<u8> {
        if deal.kind != RecordKind::Deal {
            return None;
        }
        let stages = self.pipeline_of(deal).map_or(&[][..], |p| &p.stages);
        Some(pipeline::deal_probability(deal, stages))
    }
}

/// Indexes of the live records of `spec.kind` matching `text` (the list's search) and every
/// condition of `spec` (conditions that cannot filter yet are ignored), in the spec's order:
/// its sort keys, then by name. Never panics, whatever the spec.
pub fn apply(dir: &Directory, spec: &ViewSpec, text: &str, ctx: &Context) -> Vec<usize> {
    let by_name = dir.list(&ListQuery {
        text: text.into(),
        ..ListQuery::all(spec.kind)
    });
    let lookup = Lookup::new(dir);
    let tests: Vec<(&Condition, Test)> = spec
        .filters
        .iter()
        .filter_map(|c| c.compile(ctx).ok().map(|t| (c, t)))
        .collect();
    let mut hits: Vec<usize> = if tests.is_empty() {
        by_name
    } else {
        by_name
            .into_iter()
            .filter(|&i| {
                let s = dir.at(i);
                tests
                    .iter()
                    .all(|(c, t)| matches(c, t, s, dir, &lookup, ctx))
            })
            .collect()
    };
    if !spec.sort.is_empty() {
        // Keys once per record; the stable sort keeps the name order among equal keys.
        let mut keyed: Vec<(Vec<SortValue>, usize)> = hits
            .iter()
            .map(|&i| {
                let s = dir.at(i);
                let keys = spec
                    .sort
                    .iter()
                    .map(|by| sort_value(by.field, s, dir, &lookup))
                    .collect();
                (keys, i)
            })
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            a.iter()
                .zip(b)
                .zip(&spec.sort)
                .map(|((x, y), by)| x.compare(y, by.descending))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        hits = keyed.into_iter().map(|(_, i)| i).collect();
    }
    hits
}

fn matches(
    c: &Condition,
    test: &Test,
    s: &Summary,
    dir: &Directory,
    lookup: &Lookup,
    ctx: &Context,
) -> bool {
    match c.field.field_type() {
        FieldType::Text | FieldType::Choice | FieldType::Owner | FieldType::Tags => {
            let values = texts_of(c.field, s, dir);
            let empty = values.iter().all(|v| v.is_empty());
            let Test::Text(want) = test else {
                return match c.op {
                    Op::IsEmpty => empty,
                    _ => !empty,
                };
            };
            let lower = || values.iter().map(|v| lowercase(v));
            let equal = || {
                values.iter().any(|v| {
                    if v.is_ascii() {
                        v.eq_ignore_ascii_case(want)
                    } else {
                        v.to_lowercase() == *want
                    }
                })
            };
            match (c.field.field_type(), c.op) {
                (FieldType::Tags, Op::Contains) => equal(),
                (FieldType::Tags, Op::NotContains) => !equal(),
                (_, Op::Is) => equal(),
                (_, Op::IsNot) => !equal(),
                (_, Op::Contains) => lower().any(|v| v.contains(want.as_str())),
                (_, Op::NotContains) => !lower().any(|v| v.contains(want.as_str())),
                _ => true,
            }
        }
        FieldType::Number => compare(c.op, test, number_of(c.field, s, lookup)),
        FieldType::Date => {
            let (day, ms) = day_of(c.field, s, ctx);
            match c.op {
                Op::Today => day == Some(ctx.today()),
                Op::Past => past(day, ms, ctx),
                _ => compare(c.op, test, day),
            }
        }
    }
}

fn past(day: Option<i64>, ms: Option<i64>, ctx: &Context) -> bool {
    match (ms, day) {
        (Some(ms), _) => ms < ctx.now_ms,
        (None, Some(day)) => day < ctx.today(),
        _ => false,
    }
}

/// Numbers and days: `=`, `>`, `<`, empty.
fn compare(op: Op, test: &Test, have: Option<i64>) -> bool {
    match (op, test, have) {
        (Op::IsEmpty, _, h) => h.is_none(),
        (Op::IsNotEmpty, _, h) => h.is_some(),
        (_, _, None) => false,
        (Op::Is, Test::Number(want), Some(h)) => h == *want,
        (Op::Greater, Test::Number(want), Some(h)) => h > *want,
        (Op::Less, Test::Number(want), Some(h)) => h < *want,
        _ => true,
    }
}

/// The text values a condition or column reads (several for emails, phones and tags).
pub fn texts_of<'a>(field: ViewField, s: &'a Summary, dir: &'a Directory) -> Vec<&'a str> {
    let one = |t: &'a str| vec![t];
    match field {
        ViewField::Name => one(&s.name),
        ViewField::Email => s.emails.iter().map(String::as_str).collect(),
        ViewField::Phone => s.phones.iter().map(String::as_str).collect(),
        ViewField::Title => one(&s.title),
        ViewField::Company => one(s
            .company_id
            .as_ref()
            .and_then(|c| dir.name_of(c))
            .unwrap_or("")),
        ViewField::Domain => one(&s.domain),
        ViewField::Industry => one(&s.industry),
        ViewField::City => one(&s.city),
        ViewField::Country => one(&s.country),
        ViewField::Currency => one(&s.currency),
        ViewField::Tags => s.tags.iter().map(String::as_str).collect(),
        ViewField::Owner => one(&s.owner),
        ViewField::Stage => one(s.stage.map_or("", LifecycleStage::as_str)),
        ViewField::Status => one(&s.status),
        ViewField::Priority => one(&s.priority),
        ViewField::ActivityType => one(&s.activity_type),
        ViewField::DealStage => one(&s.deal_stage),
        ViewField::Pipeline if s.kind == RecordKind::Deal => one(s
            .pipeline_id
            .as_ref()
            .map_or(pipeline::DEFAULT_PIPELINE_ID, |p| p.as_str())),
        _ => Vec::new(),
    }
}

/// Numbers: amounts in minor units, probability and score 0–100.
pub fn number_of(field: ViewField, s: &Summary, lookup: &Lookup) -> Option<i64> {
    match field {
        ViewField::Amount => s.amount,
        ViewField::Probability => lookup.probability_of(s).map(i64::from),
        ViewField::Score => s.score.map(i64::from),
        _ => None,
    }
}

/// A date field's day (days since 1970-01-01, local) and, for timestamps, its time in ms.
pub fn day_of(field: ViewField, s: &Summary, ctx: &Context) -> (Option<i64>, Option<i64>) {
    let ms = match field {
        ViewField::CloseDate => return (parse_date(&s.close_date), None),
        ViewField::DueAt | ViewField::OccurredAt => s.due_at,
        ViewField::Created => Some(s.created_at).filter(|&t| t > 0),
        ViewField::Updated => Some(s.updated_at).filter(|&t| t > 0),
        _ => None,
    };
    (ms.map(|ms| ctx.day_of_ms(ms)), ms)
}

fn parse_number(field: ViewField, value: &str) -> Result<i64, String> {
    if field == ViewField::Amount {
        return pipeline::parse_amount(value);
    }
    value
        .trim()
        .trim_end_matches('%')
        .parse::<i64>()
        .map_err(|_| format!("“{value}” is not a number"))
}

/// `YYYY-MM-DD` as days since 1970-01-01.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1..=9999).contains(&y) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A value compared when sorting; unset values sort last in both directions.
#[derive(Debug, PartialEq, Eq)]
enum SortValue {
    Empty,
    Text(String),
    Number(i64),
}

impl SortValue {
    fn compare(&self, other: &Self, descending: bool) -> Ordering {
        let order = match (self, other) {
            (Self::Empty, Self::Empty) => return Ordering::Equal,
            (Self::Empty, _) => return Ordering::Greater,
            (_, Self::Empty) => return Ordering::Less,
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            (Self::Number(a), Self::Number(b)) => a.cmp(b),
            (Self::Text(_), Self::Number(_)) => Ordering::Less,
            (Self::Number(_), Self::Text(_)) => Ordering::Greater,
        };
        if descending { order.reverse() } else { order }
    }
}

fn sort_value(field: ViewField, s: &Summary, dir: &Directory, lookup: &Lookup) -> SortValue {
    let position = |p: Option<usize>| p.map_or(SortValue::Empty, |p| SortValue::Number(p as i64));
    match field.field_type() {
        FieldType::Number => {
            number_of(field, s, lookup).map_or(SortValue::Empty, SortValue::Number)
        }
        FieldType::Date => {
            let ctx = Context::default();
            match day_of(field, s, &ctx) {
                (_, Some(ms)) => SortValue::Number(ms),
                (Some(day), None) => SortValue::Number(day * DAY_MS),
                _ => SortValue::Empty,
            }
        }
        // Choices sort in their natural order (lead before customer, low before urgent).
        FieldType::Choice => match field {
            ViewField::Stage => position(s.stage.map(|st| st as usize)),
            ViewField::Priority => position(TaskPriority::parse(&s.priority).map(|p| p as usize)),
            ViewField::DealStage => position(lookup.stage_of(s).map(|(i, _)| i)),
            ViewField::Pipeline => lookup
                .pipeline_of(s)
                .map_or(SortValue::Empty, |p| SortValue::Text(p.name.to_lowercase())),
            _ => text_sort(texts_of(field, s, dir).first().copied().unwrap_or("")),
        },
        _ => text_sort(&texts_of(field, s, dir).join(", ")),
    }
}

/// Lower case, without allocating for text that already is (most of it).
fn lowercase(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn text_sort(text: &str) -> SortValue {
    if text.is_empty() {
        SortValue::Empty
    } else {
        SortValue::Text(text.to_lowercase())
    }
}

#[cfg(test)]
mod tests;
