//! What leaves Kith: CSV of a list (the columns shown) or of a whole kind, vCards of people,
//! and the workspace backup; and the backup's restore.

use kith_core::backup::{self, BackupRecord, BackupWriter, WorkspaceRef};
use kith_core::directory::Directory;
use kith_core::ids::RecordId;
use kith_core::io::csv::{WriteOptions, write_row};
use kith_core::io::vcard::{ContactCard, VcardVersion, write_cards};
use kith_core::record::{Channel, Field, Record, RecordKind};
use kith_core::summary::Summary;
use kith_core::view::{Lookup, ViewField, texts_of};

use super::files::{iso_day, iso_time};
use crate::session::{ActiveWorkspace, active_workspace};
use crate::sync::tasks::{StepClock, next_tick};
use crate::workspace::{Workspace, now_ms};

/// The UTF-8 byte-order mark: Excel reads a CSV as UTF-8 only when it starts with one.
pub const BOM: &str = "\u{feff}";

/// Rows written per step of [`view_csv`] before checking the clock.
const EXPORT_SLICE: usize = 500;

/// A list's rows (directory indexes, in the list's order) as CSV with the columns it shows,
/// in its order: what "Export this view" downloads. Written in slices with a yield between
/// them, so 100k rows never block the page. Formulas are neutralised (a cell starting with
/// `=`, `+`, `-`, `@` gets a `'`); `excel_bom` starts the file with a UTF-8 byte-order mark.
pub async fn view_csv(
    ws: Workspace,
    rows: &[usize],
    columns: &[ViewField],
    excel_bom: bool,
) -> String {
    let options = WriteOptions::default();
    let mut out = String::from(if excel_bom { BOM } else { "" });
    let header: Vec<&str> = columns.iter().map(|c| c.label()).collect();
    write_row(&mut out, &header, &options);
    let lookup = ws.with_directory(Lookup::new);
    let mut at = 0;
    while at < rows.len() {
        let clock = StepClock::start();
        ws.with_directory(|dir| {
            while at < rows.len() && !clock.due() {
                let end = (at + EXPORT_SLICE).min(rows.len());
                for &index in &rows[at..end] {
                    let s = dir.at(index);
                    let cells: Vec<String> =
                        columns.iter().map(|c| cell(*c, s, dir, &lookup)).collect();
                    write_row(&mut out, &cells, &options);
                }
                at = end;
            }
        });
        if at < rows.len() {
            next_tick().await;
        }
    }
    out
}

/// Every live record of `kind` with every field it has (whole documents are read, a page at
/// a time), its id first so a later import can update by id.
pub async fn kind_csv(
    ws: Workspace,
    kind: RecordKind,
    options: WriteOptions,
    bom: bool,
) -> Result<String, String> {
    ws.ready().await?;
    let fields: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| f.applies_to(kind) && !matches!(f, Field::Stages | Field::Spec))
        .collect();
    let lookup = ws.with_directory(Lookup::new);
    let mut out = String::from(if bom { BOM } else { "" });
    let mut header = vec!["Record id"];
    header.extend(fields.iter().map(|f| f.label()));
    header.extend(["Emails", "Phones", "Tags", "Notes", "Created", "Updated"]);
    write_row(&mut out, &header, &options);
    ws.for_each_record(|records| {
        ws.with_directory(|dir| {
            for r in records
                .iter()
                .filter(|r| r.kind() == kind && !r.is_deleted())
            {
                let mut cells = vec![r.id().to_string()];
                cells.extend(fields.iter().map(|f| field_cell(r, *f, dir, &lookup)));
                let values = |c| {
                    r.channel(c)
                        .into_iter()
                        .map(|e| e.value)
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                cells.push(values(Channel::Email));
                cells.push(values(Channel::Phone));
                cells.push(r.tags().join("; "));
                cells.push(r.notes());
                cells.push(iso_day(r.created_at()));
                cells.push(iso_day(r.updated_at()));
                write_row(&mut out, &cells, &options);
            }
        });
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(out)
}

/// A stored field as a spreadsheet reads it: names for ids, decimals for amounts.
fn field_cell(r: &Record, field: Field, dir: &Directory, lookup: &Lookup) -> String {
    let value = r.text(field).unwrap_or_default();
    match field {
        Field::CompanyId => RecordId::parse(&value)
            .ok()
            .and_then(|id| dir.name_of(&id).map(str::to_string))
            .unwrap_or(value),
        Field::PipelineId => lookup
            .pipelines
            .iter()
            .find(|p| p.id.as_str() == value)
            .map(|p| p.name.clone())
            .unwrap_or(value),
        Field::DealStage => {
            let pipeline = r
                .text(Field::PipelineId)
                .unwrap_or_else(|| kith_core::pipeline::DEFAULT_PIPELINE_ID.into());
            lookup
                .pipelines
                .iter()
                .find(|p| p.id.as_str() == pipeline)
                .and_then(|p| p.stages.iter().find(|s| s.id == value))
                .map(|s| s.name.clone())
                .unwrap_or(value)
        }
        Field::Amount => value.parse().map(plain_amount).unwrap_or(value),
        Field::DueAt | Field::OccurredAt => value.parse().map(iso_time).unwrap_or(value),
        _ => value,
    }
}

/// One cell as a spreadsheet wants it: amounts as plain decimals, times as dates.
fn cell(column: ViewField, s: &Summary, dir: &Directory, lookup: &Lookup) -> String {
    match column {
        ViewField::Amount => s.amount.map(plain_amount).unwrap_or_default(),
        ViewField::Probability => lookup
            .probability_of(s)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        ViewField::Score => s.score.map(|p| p.to_string()).unwrap_or_default(),
        ViewField::Pipeline => lookup
            .pipeline_of(s)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        ViewField::DealStage => lookup
            .stage_of(s)
            .map(|(_, name)| name.to_string())
            .unwrap_or_else(|| s.deal_stage.clone()),
        ViewField::CloseDate => s.close_date.clone(),
        ViewField::DueAt | ViewField::OccurredAt => s.due_at.map(iso_day).unwrap_or_default(),
        ViewField::Created => iso_day(s.created_at),
        ViewField::Updated => iso_day(s.updated_at),
        ViewField::Tags => s.tags.join("; "),
        ViewField::Email | ViewField::Phone => texts_of(column, s, dir).join("; "),
        _ => texts_of(column, s, dir).join(" "),
    }
}

/// Minor units as "1234.50" (no grouping: spreadsheets read it as a number).
fn plain_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Live people as vCards.
pub fn people_vcards(dir: &Directory, version: VcardVersion) -> String {
    let cards: Vec<ContactCard> = dir
        .of_kind(RecordKind::Person)
        .filter(|s| !s.deleted)
        .map(|s| {
            let (given, family) = kith_core::io::values::split_full_name(&s.name);
            ContactCard {
                full_name: s.name.clone(),
                given,
                family,
                emails: s
                    .emails
                    .iter()
                    .map(|e| (e.clone(), String::new()))
                    .collect(),
                phones: s
                    .phones
                    .iter()
                    .map(|p| (p.clone(), String::new()))
                    .collect(),
                org: s
                    .company_id
                    .as_ref()
                    .and_then(|c| dir.name_of(c))
                    .unwrap_or_default()
                    .to_string(),
                title: s.title.clone(),
                city: s.city.clone(),
                country: s.country.clone(),
                categories: s.tags.clone(),
                uid: format!("urn:uuid:{}", s.id),
                ..ContactCard::default()
            }
        })
        .collect();
    write_cards(&cards, version)
}

/// The workspace as a backup names it.
pub fn this_workspace() -> WorkspaceRef {
    match active_workspace() {
        ActiveWorkspace::Local => WorkspaceRef {
            id: "local".into(),
            name: "This device only".into(),
        },
        ActiveWorkspace::Relay { id, name, .. } => WorkspaceRef { id, name },
    }
}

/// The whole workspace as a backup file; also what could not be read (left out).
pub async fn backup_text(ws: Workspace) -> Result<(String, Vec<String>), String> {
    ws.ready().await?;
    let mut writer = BackupWriter::new(&this_workspace(), now_ms());
    let problems = ws
        .for_each_record(|records| {
            for mut record in records {
                writer.add(&BackupRecord::of(&mut record));
            }
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok((writer.finish(), problems))
}

/// Reads a backup and checks it may be restored here; nothing is written yet.
pub async fn prepare_restore(ws: Workspace, text: &str) -> Result<backup::Backup, String> {
    let parsed = backup::read_backup(text).map_err(|e| e.to_string())?;
    // "Is it empty?" needs every record this device holds.
    ws.ready().await?;
    let count = ws.with_directory(|d| (0..d.len()).filter(|&i| !d.at(i).deleted).count());
    backup::check_restore(&parsed, &this_workspace(), count).map_err(|e| e.to_string())?;
    Ok(parsed)
}

/// Writes a prepared backup's records (those already here are left as they are).
pub async fn apply_restore(
    ws: Workspace,
    parsed: &backup::Backup,
    progress: impl Fn(usize),
) -> Result<String, String> {
    let author = ws.author_id().ok_or("The workspace is still loading")?;
    let mut records = Vec::with_capacity(parsed.records.len());
    let mut clock = StepClock::start();
    for record in &parsed.records {
        records.push(record.load(&author).map_err(|e| e.to_string())?);
        if clock.due() {
            next_tick().await;
            clock = StepClock::start();
        }
    }
    let total = records.len();
    let (restored, kept) = ws
        .restore_records(records, progress)
        .await
        .map_err(|e| e.to_string())?;
    Ok(if kept > 0 {
        format!(
            "Restored {restored} of {total} records; {kept} were here already and were left as they are."
        )
    } else {
        format!(
            "Restored {restored} records from “{}”.",
            parsed.workspace.name
        )
    })
}
