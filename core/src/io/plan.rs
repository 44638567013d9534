//! Import planning: what an import would do to each row (create, update, skip, or why it
//! cannot), decided before anything is written. Pure: rows and a view of the existing
//! records in, a plan out; the app runs it in slices and shows it as the dry run.

mod apply;
mod cells;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use apply::{Before, UndoLog, apply_values, capture_before, undo_update};
pub use cells::{StageName, card_row, csv_row, map_deal_stage, map_lifecycle, map_status};

use crate::directory::Directory;
use crate::duplicates::{Candidate, Detector};
use crate::ids::RecordId;
use crate::io::mapping::{ImportTarget, TargetField};
use crate::io::values::DateOrder;
use crate::pipeline::PipelineStage;
use crate::record::{Field, RecordKind};
use crate::summary::Summary;

/// What to do with rows that match an existing record, and with those that do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportMode {
    CreateOnly,
    UpdateOnly,
    Upsert,
}

/// How a row finds the record it updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchKey {
    Email,
    Domain,
    RecordId,
}

impl MatchKey {
    /// The usual key per target: people by email, companies by domain, deals by id.
    pub fn default_for(target: ImportTarget) -> Self {
        match target {
            ImportTarget::People => Self::Email,
            ImportTarget::Companies => Self::Domain,
            ImportTarget::Deals => Self::RecordId,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Email => "Email",
            Self::Domain => "Domain",
            Self::RecordId => "Kith record id",
        }
    }
}

pub fn target_kind(target: ImportTarget) -> RecordKind {
    match target {
        ImportTarget::People => RecordKind::Person,
        ImportTarget::Companies => RecordKind::Company,
        ImportTarget::Deals => RecordKind::Deal,
    }
}

/// One cell of a row, already assigned to the field it goes into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub field: TargetField,
    pub value: String,
    /// The label of an email or phone ("work"); empty otherwise.
    pub label: String,
}

/// A row to plan: from a CSV line through the mapping, or from a vCard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRow {
    pub line: usize,
    pub cells: Vec<Cell>,
}

/// The company a person or deal links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompanyLink {
    Existing(RecordId),
    /// Created by this import; the key of [`Planner::new_companies`].
    New(String),
}

/// What a row writes, with every value already parsed and normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub fields: Vec<(Field, String)>,
    /// (value, label).
    pub emails: Vec<(String, String)>,
    pub phones: Vec<(String, String)>,
    pub tags: Vec<String>,
    pub notes: String,
    pub company: Option<CompanyLink>,
    /// A deal's contact person.
    pub contact: Option<RecordId>,
}

/// One field an update changes; `from` is `None` when the list data does not hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: &'static str,
    pub from: Option<String>,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create(Values),
    Update {
        id: RecordId,
        values: Values,
        changes: Vec<Change>,
    },
    Skip(String),
    Error {
        field: Option<&'static str>,
        message: String,
    },
}

/// A row's plan; `notes` are warnings that do not stop it ("no person with email …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub line: usize,
    pub action: Action,
    pub notes: Vec<String>,
    /// For a record to create: records already in Kith that look like it ("Ana Silva (same
    /// phone)"). It is still created; the user reviews and merges afterwards.
    pub possible_duplicates: Vec<String>,
}

/// Counts for the dry run's summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub skip: usize,
    pub error: usize,
}

impl Counts {
    pub fn add(&mut self, action: &Action) {
        match action {
            Action::Create(_) => self.create += 1,
            Action::Update { .. } => self.update += 1,
            Action::Skip(_) => self.skip += 1,
            Action::Error { .. } => self.error += 1,
        }
    }

    /// "1,204 to create · 37 to update · 5 skipped · 3 errors".
    pub fn describe(&self) -> String {
        let errors = if self.error == 1 { "error" } else { "errors" };
        format!(
            "{} to create · {} to update · {} skipped · {} {errors}",
            grouped(self.create),
            grouped(self.update),
            grouped(self.skip),
            grouped(self.error)
        )
    }
}

/// 1204 → "1,204".
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Lookups over the records already in the workspace, built from the directory's summaries
/// (incrementally, so the app can build it in slices). Deleted records are not matched.
#[derive(Debug, Default)]
pub struct Index {
    by_email: HashMap<String, RecordId>,
    by_domain: HashMap<String, RecordId>,
    company_by_name: HashMap<String, RecordId>,
}

impl Index {
    pub fn add(&mut self, summary: &Summary) {
        if summary.deleted {
            return;
        }
        match summary.kind {
            RecordKind::Person => {
                for email in &summary.emails {
                    self.by_email
                        .entry(email.to_lowercase())
                        .or_insert_with(|| summary.id.clone());
                }
            }
            RecordKind::Company => {
                if !summary.domain.is_empty() {
                    self.by_domain
                        .entry(summary.domain.to_lowercase())
                        .or_insert_with(|| summary.id.clone());
                }
                if !summary.name.trim().is_empty() {
                    self.company_by_name
                        .entry(name_key(&summary.name))
                        .or_insert_with(|| summary.id.clone());
                }
            }
            _ => {}
        }
    }

    pub fn build<'a>(summaries: impl IntoIterator<Item = &'a Summary>) -> Self {
        let mut index = Self::default();
        summaries.into_iter().for_each(|s| index.add(s));
        index
    }
}

/// A company name as matched: case and surrounding space ignored.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The existing records a plan is made against.
pub struct Existing<'a> {
    pub index: &'a Index,
    pub directory: &'a Directory,
    /// Flags rows to create that look like existing records; `None` checks nothing.
    pub duplicates: Option<&'a Detector>,
}

impl Existing<'_> {
    fn live(&self, id: &RecordId, kind: RecordKind) -> Option<&Summary> {
        self.directory
            .get(id)
            .filter(|s| s.kind == kind && !s.deleted)
    }
}

/// How to plan: what is imported and how rows meet existing records.
#[derive(Debug, Clone)]
pub struct PlanConfig {
    pub target: ImportTarget,
    pub mode: ImportMode,
    pub match_key: MatchKey,
    /// How to read dates like 03/04/2026 (the column's guessed order).
    pub date_order: DateOrder,
    /// The default pipeline's stages, to map deal stage names to stage ids.
    pub stages: Vec<PipelineStage>,
    /// For amounts that name no currency.
    pub default_currency: Option<String>,
}

/// Plans rows slice by slice, remembering what earlier slices saw (duplicates in the file,
/// companies it will create).
pub struct Planner {
    config: PlanConfig,
    /// Match key value → first line it was on.
    seen: HashMap<String, usize>,
    new_companies: Vec<(String, String)>,
    new_company_keys: HashMap<String, usize>,
}

impl Planner {
    pub fn new(config: PlanConfig) -> Self {
        Self {
            config,
            seen: HashMap::new(),
            new_companies: Vec::new(),
            new_company_keys: HashMap::new(),
        }
    }

    pub fn config(&self) -> &PlanConfig {
        &self.config
    }

    /// Companies the import creates: (key, name as first written), once per distinct name.
    pub fn new_companies(&self) -> &[(String, String)] {
        &self.new_companies
    }

    pub fn plan(&mut self, rows: &[InputRow], existing: &Existing<'_>) -> Vec<Planned> {
        rows.iter()
            .map(|row| self.plan_row(row, existing))
            .collect()
    }

    pub fn plan_row(&mut self, row: &InputRow, existing: &Existing<'_>) -> Planned {
        let mut notes = Vec::new();
        let action = match cells::parse_row(&self.config, row, &mut notes) {
            Err((field, message)) => Action::Error { field, message },
            Ok(parsed) => self.decide(row.line, parsed, existing, &mut notes),
        };
        let possible_duplicates = match (&action, existing.duplicates) {
            (Action::Create(values), Some(detector)) => {
                let kind = target_kind(self.config.target);
                detector
                    .matches(&candidate(kind, values))
                    .into_iter()
                    .map(|(id, reason)| {
                        let name = existing
                            .directory
                            .name_of(&id)
                            .filter(|n| !n.is_empty())
                            .unwrap_or("(no name)");
                        format!("{name} ({})", reason.short())
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        Planned {
            line: row.line,
            action,
            notes,
            possible_duplicates,
        }
    }

    fn decide(
        &mut self,
        line: usize,
        mut parsed: cells::Parsed,
        existing: &Existing<'_>,
        notes: &mut Vec<String>,
    ) -> Action {
        let kind = target_kind(self.config.target);
        // Links first: they are part of what the row writes, whatever it matches.
        if let Some(name) = parsed.company_name.take() {
            parsed.values.company = Some(self.company(&name, existing));
        }
        if let Some(email) = parsed.contact_email.take() {
            match existing.index.by_email.get(&email.to_lowercase()) {
                Some(id) => parsed.values.contact = Some(id.clone()),
                None => notes.push(format!("No person with email {email}: not linked")),
            }
        }
        let key = match self.config.match_key {
            MatchKey::Email => parsed.values.emails.first().map(|e| e.0.to_lowercase()),
            MatchKey::Domain => parsed
                .values
                .fields
                .iter()
                .find(|(f, _)| *f == Field::Domain)
                .map(|(_, d)| d.to_lowercase()),
            MatchKey::RecordId => parsed.record_id.clone(),
        };
        if let Some(key) = &key {
            if let Some(first) = self.seen.get(key) {
                return Action::Skip(format!(
                    "Duplicate of line {first} (same {})",
                    self.config.match_key.label().to_lowercase()
                ));
            }
            self.seen.insert(key.clone(), line);
        }
        let matched = key.as_ref().and_then(|key| match self.config.match_key {
            MatchKey::Email => parsed
                .values
                .emails
                .iter()
                .find_map(|(e, _)| existing.index.by_email.get(&e.to_lowercase()))
                .cloned(),
            MatchKey::Domain => existing.index.by_domain.get(key).cloned(),
            MatchKey::RecordId => RecordId::parse(key).ok(),
        });
        let matched = matched.and_then(|id| existing.live(&id, kind).cloned());
        match (matched, self.config.mode) {
            (Some(s), ImportMode::CreateOnly) => Action::Skip(format!(
                "Already in Kith ({}); create only",
                if s.name.is_empty() {
                    "unnamed"
                } else {
                    &s.name
                }
            )),
            (Some(current), _) => {
                let changes = changes(&current, &parsed.values);
                if changes.is_empty() {
                    Action::Skip("Already up to date".into())
                } else {
                    Action::Update {
                        id: current.id.clone(),
                        values: parsed.values,
                        changes,
                    }
                }
            }
            (None, ImportMode::UpdateOnly) => {
                Action::Skip("No existing record matches; update only".into())
            }
            (None, _) if !parsed.has_identity => Action::Error {
                field: Some("Name"),
                message: match kind {
                    RecordKind::Person => "a person needs a name or an email".into(),
                    RecordKind::Company => "a company needs a name or a domain".into(),
                    _ => "a deal needs a name".into(),
                },
            },
            (None, _) => {
                // A new deal is open unless the row says otherwise, as the deal form makes it.
                if kind == RecordKind::Deal
                    && !parsed
                        .values
                        .fields
                        .iter()
                        .any(|(f, _)| *f == Field::Status)
                {
                    parsed.values.fields.push((Field::Status, "open".into()));
                }
                Action::Create(parsed.values)
            }
        }
    }

    fn company(&mut self, name: &str, existing: &Existing<'_>) -> CompanyLink {
        let key = name_key(name);
        if let Some(id) = existing.index.company_by_name.get(&key) {
            return CompanyLink::Existing(id.clone());
        }
        if !self.new_company_keys.contains_key(&key) {
            self.new_company_keys
                .insert(key.clone(), self.new_companies.len());
            self.new_companies
                .push((key.clone(), name.trim().to_string()));
        }
        CompanyLink::New(key)
    }
}

/// A row to create as duplicate detection compares it.
fn candidate(kind: RecordKind, values: &Values) -> Candidate {
    let field = |f| {
        values
            .fields
            .iter()
            .find(|(x, _)| *x == f)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Candidate {
        kind: Some(kind),
        name: field(Field::Name),
        emails: values.emails.iter().map(|(e, _)| e.clone()).collect(),
        phones: values.phones.iter().map(|(p, _)| p.clone()).collect(),
        company_id: match &values.company {
            Some(CompanyLink::Existing(id)) => Some(id.clone()),
            _ => None,
        },
        domain: field(Field::Domain),
        exclude: None,
    }
}

/// What an update changes, against what the record's summary shows.
fn changes(current: &Summary, values: &Values) -> Vec<Change> {
    let mut out = Vec::new();
    for (field, to) in &values.fields {
        let from = summary_value(current, *field);
        if from.as_deref() != Some(to.as_str()) {
            out.push(Change {
                field: field.label(),
                from: from.filter(|f| !f.is_empty()),
                to: to.clone(),
            });
        }
    }
    let has = |list: &[String], v: &str| list.iter().any(|x| x.eq_ignore_ascii_case(v));
    for (email, _) in &values.emails {
        if !has(&current.emails, email) {
            out.push(added("Email", email));
        }
    }
    for (phone, _) in &values.phones {
        let digits = crate::validate::phone_digits(phone);
        if !current
            .phones
            .iter()
            .any(|p| crate::validate::phone_digits(p) == digits)
        {
            out.push(added("Phone", phone));
        }
    }
    for tag in &values.tags {
        if !has(&current.tags, tag) {
            out.push(added("Tag", tag));
        }
    }
    if !values.notes.is_empty() {
        out.push(Change {
            field: "Notes",
            from: None,
            to: values.notes.clone(),
        });
    }
    if let Some(CompanyLink::Existing(id)) = &values.company
        && current.company_id.as_ref() != Some(id)
    {
        out.push(added("Company", id.as_str()));
    }
    if let Some(CompanyLink::New(name)) = &values.company {
        out.push(added("Company", name));
    }
    if let Some(contact) = &values.contact
        && !current.links.contains(contact)
    {
        out.push(added("Contact", contact.as_str()));
    }
    out
}

fn added(field: &'static str, to: &str) -> Change {
    Change {
        field,
        from: None,
        to: to.to_string(),
    }
}

/// A field's value as the summary holds it; `None` for fields summaries do not carry.
pub fn summary_value(s: &Summary, field: Field) -> Option<String> {
    let opt = |v: Option<String>| Some(v.unwrap_or_default());
    Some(match field {
        Field::Name => s.name.clone(),
        Field::Title => s.title.clone(),
        Field::Domain => s.domain.clone(),
        Field::Industry => s.industry.clone(),
        Field::City => s.city.clone(),
        Field::Country => s.country.clone(),
        Field::Owner => s.owner.clone(),
        Field::Stage => return opt(s.stage.map(|st| st.as_str().to_string())),
        Field::Status => s.status.clone(),
        Field::DealStage => s.deal_stage.clone(),
        Field::Amount => return opt(s.amount.map(|a| a.to_string())),
        Field::Currency => s.currency.clone(),
        Field::Probability => return opt(s.probability.map(|p| p.to_string())),
        Field::CloseDate => s.close_date.clone(),
        Field::LostReason => s.lost_reason.clone(),
        _ => return None,
    })
}

#[cfg(test)]
#[path = "tests/plan.rs"]
mod tests;
