//! From raw cells to the values a record takes: parsing, normalising and mapping choice
//! names (HubSpot's "salesqualifiedlead", "closedwon", …) to Kith's.

use super::{Cell, InputRow, PlanConfig, Values};
use crate::io::mapping::{ChannelLabel, ImportTarget, TargetField};
use crate::io::values;
use crate::io::vcard::ParsedCard;
use crate::pipeline::PipelineStage;
use crate::record::{DealStatus, Field, LifecycleStage};
use crate::validate;

/// A CSV record through the mapping: one cell per mapped, non-empty column.
pub fn csv_row(
    line: usize,
    fields: &[String],
    mapping: &[Option<TargetField>],
    labels: &[ChannelLabel],
) -> InputRow {
    let mut cells = Vec::new();
    for (i, value) in fields.iter().enumerate() {
        let Some(Some(field)) = mapping.get(i) else {
            continue;
        };
        if matches!(field, TargetField::EmailLabel | TargetField::PhoneLabel) {
            continue;
        }
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let label = match labels.get(i) {
            Some(ChannelLabel::Fixed(l)) => Some((*l).to_string()),
            Some(ChannelLabel::Column(c)) => fields.get(*c).map(|l| l.trim().to_string()),
            _ => None,
        }
        .unwrap_or_default();
        cells.push(Cell {
            field: *field,
            value: value.to_string(),
            label,
        });
    }
    InputRow { line, cells }
}

/// A vCard as a row of the people import.
pub fn card_row(parsed: &ParsedCard) -> InputRow {
    let c = &parsed.card;
    let mut cells = Vec::new();
    let mut push = |field, value: &str, label: &str| {
        if !value.trim().is_empty() {
            cells.push(Cell {
                field,
                value: value.trim().to_string(),
                label: label.to_string(),
            });
        }
    };
    push(TargetField::Name, &c.full_name, "");
    push(TargetField::FirstName, &c.given, "");
    push(TargetField::LastName, &c.family, "");
    for (value, label) in &c.emails {
        push(TargetField::Email, value, label);
    }
    for (value, label) in &c.phones {
        push(TargetField::Phone, value, label);
    }
    push(TargetField::CompanyName, &c.org, "");
    push(TargetField::JobTitle, &c.title, "");
    push(TargetField::Street, &c.street, "");
    push(TargetField::City, &c.city, "");
    push(TargetField::Region, &c.region, "");
    push(TargetField::Postcode, &c.postcode, "");
    push(TargetField::Country, &c.country, "");
    push(TargetField::Notes, &c.notes, "");
    for tag in &c.categories {
        push(TargetField::Tags, tag, "");
    }
    // Kith writes `urn:uuid:<record id>`; the id alone matches on a later import.
    let uid = c.uid.trim();
    push(
        TargetField::RecordId,
        uid.strip_prefix("urn:uuid:").unwrap_or(uid),
        "",
    );
    InputRow {
        line: parsed.line,
        cells,
    }
}

/// A row's values, and what still needs the existing records (links, the match).
pub(super) struct Parsed {
    pub values: Values,
    pub company_name: Option<String>,
    pub contact_email: Option<String>,
    pub record_id: Option<String>,
    /// A name (or email / domain to stand in for one): enough to create a record.
    pub has_identity: bool,
}

type Failure = (Option<&'static str>, String);

fn fail(field: TargetField, message: impl Into<String>) -> Failure {
    (Some(field.label()), message.into())
}

pub(super) fn parse_row(
    config: &PlanConfig,
    row: &InputRow,
    notes: &mut Vec<String>,
) -> Result<Parsed, Failure> {
    use TargetField as T;
    let mut p = Parsed {
        values: Values::default(),
        company_name: None,
        contact_email: None,
        record_id: None,
        has_identity: false,
    };
    let (mut name, mut first, mut last) = (String::new(), String::new(), String::new());
    let currency_cell = row.cells.iter().find(|c| c.field == T::Currency);
    let currency_hint = currency_cell
        .map(|c| c.value.clone())
        .or_else(|| config.default_currency.clone());
    let set = |values: &mut Values, field: Field, value: String| {
        values.fields.retain(|(f, _)| *f != field);
        values.fields.push((field, value));
    };
    for cell in &row.cells {
        let v = cell.value.as_str();
        let values = &mut p.values;
        match cell.field {
            T::Name => name = v.to_string(),
            T::FirstName => first = v.to_string(),
            T::LastName => last = v.to_string(),
            T::Email => {
                let email = validate::email(v).map_err(|e| fail(T::Email, e.message))?;
                if !values
                    .emails
                    .iter()
                    .any(|(x, _)| x.eq_ignore_ascii_case(&email))
                {
                    values.emails.push((email, cell.label.clone()));
                }
            }
            T::Phone => {
                let phone = validate::phone(v).map_err(|e| fail(T::Phone, e.message))?;
                values.phones.push((phone, cell.label.clone()));
            }
            T::EmailLabel | T::PhoneLabel | T::Pipeline => {}
            T::JobTitle => set(values, Field::Title, v.into()),
            T::CompanyName => p.company_name = Some(v.to_string()),
            T::Street => set(values, Field::Street, v.into()),
            T::City => set(values, Field::City, v.into()),
            T::Region => set(values, Field::Region, v.into()),
            T::Postcode => set(values, Field::Postcode, v.into()),
            T::Country => set(values, Field::Country, v.into()),
            T::Tags => {
                for tag in values::split_tags(v) {
                    if tag.chars().count() > crate::record::MAX_TAG_CHARS {
                        return Err(fail(T::Tags, format!("the tag “{tag}” is too long")));
                    }
                    if !values.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
                        values.tags.push(tag);
                    }
                }
            }
            T::Owner => set(values, Field::Owner, v.into()),
            T::LifecycleStage => match map_lifecycle(v) {
                Some(stage) => set(values, Field::Stage, stage.as_str().into()),
                None => {
                    return Err(fail(
                        T::LifecycleStage,
                        format!(
                            "“{v}” is not a lifecycle stage (lead, prospect, customer, churned)"
                        ),
                    ));
                }
            },
            T::Source => set(values, Field::Source, v.into()),
            T::Notes => values.notes = v.to_string(),
            T::RecordId => p.record_id = Some(v.to_string()),
            T::Domain => {
                let domain = values::website_domain(v)
                    .map_err(|e| fail(T::Domain, e.message))
                    .and_then(|d| validate::domain(&d).map_err(|e| fail(T::Domain, e.message)))?;
                set(values, Field::Domain, domain);
            }
            T::Industry => set(values, Field::Industry, v.into()),
            T::Size => set(values, Field::Size, v.into()),
            T::Amount => {
                let money = values::parse_amount(v, currency_hint.as_deref())
                    .map_err(|e| fail(T::Amount, e.message))?;
                set(values, Field::Amount, money.minor.to_string());
                if currency_cell.is_none()
                    && let Some(code) = money.currency.or_else(|| config.default_currency.clone())
                {
                    set(values, Field::Currency, code);
                }
            }
            T::Currency => {
                let code = v.trim().to_ascii_uppercase();
                if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
                    return Err(fail(
                        T::Currency,
                        format!("“{v}” is not a currency code like EUR"),
                    ));
                }
                set(values, Field::Currency, code);
            }
            T::DealStage => match map_deal_stage(v, &config.stages) {
                Some(StageName::Stage(id)) => set(values, Field::DealStage, id),
                Some(StageName::Closed(status)) => {
                    set(values, Field::Status, status.as_str().into())
                }
                None => {
                    let names: Vec<&str> = config.stages.iter().map(|s| s.name.as_str()).collect();
                    return Err(fail(
                        T::DealStage,
                        format!(
                            "“{v}” is not a stage of the pipeline ({})",
                            names.join(", ")
                        ),
                    ));
                }
            },
            T::Probability => match v.trim_end_matches('%').trim().parse::<f64>() {
                Ok(n) if (0.0..=100.0).contains(&n) => {
                    // "0.25" from a spreadsheet means 25 %.
                    let pct = if n > 0.0 && n < 1.0 && !v.contains('%') {
                        n * 100.0
                    } else {
                        n
                    };
                    set(values, Field::Probability, (pct.round() as u8).to_string());
                }
                _ => return Err(fail(T::Probability, format!("“{v}” is not a percentage"))),
            },
            T::CloseDate => {
                let date = values::parse_date(v, config.date_order)
                    .map_err(|e| fail(T::CloseDate, e.message))?;
                set(values, Field::CloseDate, date);
            }
            T::ContactEmail => {
                let email = validate::email(v).map_err(|e| fail(T::ContactEmail, e.message))?;
                p.contact_email = Some(email);
            }
            T::LostReason => set(values, Field::LostReason, v.into()),
            T::Status => match map_status(v) {
                Some(status) => set(values, Field::Status, status.as_str().into()),
                None => return Err(fail(T::Status, format!("“{v}” is not open, won or lost"))),
            },
        }
    }
    if name.is_empty() && (!first.is_empty() || !last.is_empty()) {
        name = values::join_name(&first, &last);
    }
    if !name.is_empty() {
        p.has_identity = true;
        set(&mut p.values, Field::Name, name);
    } else {
        let stand_in = match config.target {
            ImportTarget::People => p.values.emails.first().map(|e| e.0.clone()),
            ImportTarget::Companies => p
                .values
                .fields
                .iter()
                .find(|(f, _)| *f == Field::Domain)
                .map(|(_, d)| d.clone()),
            ImportTarget::Deals => None,
        };
        if let Some(stand_in) = stand_in {
            p.has_identity = true;
            notes.push(format!("No name: named “{stand_in}”"));
            set(&mut p.values, Field::Name, stand_in);
        }
    }
    Ok(p)
}

/// Words of a choice name without spaces, dashes or case: "Sales Qualified Lead" and
/// HubSpot's "salesqualifiedlead" are the same.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lifecycle stages of other CRMs in Kith's four.
pub fn map_lifecycle(text: &str) -> Option<LifecycleStage> {
    use LifecycleStage::*;
    Some(match squash(text).as_str() {
        "lead"
        | "subscriber"
        | "marketingqualifiedlead"
        | "mql"
        | "salesqualifiedlead"
        | "sql"
        | "new"
        | "open"
        | "contacted"
        | "unqualified"
        | "other" => Lead,
        "prospect" | "opportunity" | "qualified" | "working" => Prospect,
        "customer" | "evangelist" | "client" | "won" | "closedwon" => Customer,
        "churned" | "formercustomer" | "lost" | "closedlost" => Churned,
        _ => return None,
    })
}

/// Open, won or lost from "Closed Won", "won", "lost", ….
pub fn map_status(text: &str) -> Option<DealStatus> {
    match squash(text).as_str() {
        "open" | "active" | "inprogress" => Some(DealStatus::Open),
        "won" | "closedwon" => Some(DealStatus::Won),
        "lost" | "closedlost" => Some(DealStatus::Lost),
        _ => None,
    }
}

/// What a stage cell names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageName {
    /// A stage id of the pipeline.
    Stage(String),
    /// A closed deal ("Closed Won"): a status, not a stage.
    Closed(DealStatus),
}

/// A stage name or id of `stages`, HubSpot's default stage ids, or a closed status.
pub fn map_deal_stage(text: &str, stages: &[PipelineStage]) -> Option<StageName> {
    let key = squash(text);
    if let Some(stage) = stages
        .iter()
        .find(|s| squash(&s.name) == key || squash(&s.id) == key)
    {
        return Some(StageName::Stage(stage.id.clone()));
    }
    if let Some(status @ (DealStatus::Won | DealStatus::Lost)) = map_status(text) {
        return Some(StageName::Closed(status));
    }
    // HubSpot's default pipeline, onto Kith's default stage ids where they exist.
    let hubspot = match key.as_str() {
        "appointmentscheduled" => "meeting",
        "qualifiedtobuy" => "qualified",
        "presentationscheduled" => "meeting",
        "decisionmakerboughtin" => "negotiation",
        "contractsent" => "proposal",
        _ => return None,
    };
    stages
        .iter()
        .find(|s| s.id == hubspot)
        .map(|s| StageName::Stage(s.id.clone()))
}
