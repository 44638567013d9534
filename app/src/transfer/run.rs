//! The import's work, off the view: the dry run (parse and plan in slices), the import
//! (companies first, then creates, then updates, in chunked transactions), its undo, and the
//! history of imports kept in the workspace's database so undo works after a reload.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use kith_core::duplicates::Detector;
use kith_core::ids::RecordId;
use kith_core::io::csv::{CsvOptions, CsvReader, RowErrorKind};
use kith_core::io::mapping::{ChannelLabel, ImportTarget, TargetField, channel_labels};
use kith_core::io::plan::{
    Action, CompanyLink, Counts, Existing, Index, InputRow, PlanConfig, Planned, Planner, UndoLog,
    apply_values, capture_before, card_row, target_kind, undo_update,
};
use kith_core::io::values::{DateOrder, guess_date_order};
use kith_core::io::vcard::VcardReader;
use kith_core::record::{Field, RecordKind};
use serde::{Deserialize, Serialize};

use crate::sync::tasks::{StepClock, next_tick};
use crate::workspace::{Fill, Workspace, now_ms};

/// What is being imported, as the wizard settled it.
#[derive(Clone)]
pub enum Source {
    Csv {
        text: Rc<str>,
        delimiter: char,
        header: bool,
        headers: Vec<String>,
        mapping: Vec<Option<TargetField>>,
    },
    Vcard {
        text: Rc<str>,
    },
}

/// A finished dry run: every row's plan, ready to import.
#[derive(Default)]
pub struct DryRun {
    pub planned: Vec<Planned>,
    pub new_companies: Vec<(String, String)>,
    pub counts: Counts,
    /// vCard photos left out.
    pub photos: usize,
    /// Rows to create that look like records already in Kith.
    pub possible_duplicates: usize,
    /// The file has more than [`MAX_IMPORT_ROWS`] rows: planning stopped.
    pub too_many: bool,
    /// Stopped by the user before every row was planned.
    pub cancelled: bool,
}

impl DryRun {
    /// Whether planning ends here: the user stopped it, or the file has too many rows (each
    /// noted in the run).
    fn must_stop(&mut self, stop: &Cell<bool>) -> bool {
        self.cancelled |= stop.get();
        self.too_many |= self.planned.len() > MAX_IMPORT_ROWS;
        self.cancelled || self.too_many
    }
}

/// Most rows one import takes: a workspace is kept whole on every device, and the memory
/// budget is set for 100k records.
pub const MAX_IMPORT_ROWS: usize = 200_000;

/// Rows parsed and planned per step before checking the clock.
const PLAN_SLICE: usize = 250;

/// Parses and plans every row; `stop` is checked between slices (a stopped run says so in
/// `cancelled` and must not be imported).
pub async fn dry_run(
    ws: Workspace,
    source: &Source,
    mut config: PlanConfig,
    stop: Rc<Cell<bool>>,
    progress: impl Fn(usize, usize),
) -> DryRun {
    // The existing records' index, built in slices like everything else here.
    let mut index = Index::default();
    // Rows to create are checked against existing records for likely duplicates.
    let mut detector = Detector::new();
    let total = ws.with_directory(|d| d.len());
    let mut at = 0;
    while at < total {
        let clock = StepClock::start();
        ws.with_directory(|d| {
            while at < d.len() && !clock.due() {
                let end = (at + 2_000).min(d.len());
                for i in at..end {
                    index.add(d.at(i));
                    detector.add(d.at(i));
                }
                at = end;
            }
        });
        next_tick().await;
    }
    let mut run = DryRun::default();
    match source {
        Source::Csv {
            text,
            delimiter,
            header,
            headers,
            mapping,
        } => {
            let options = CsvOptions {
                delimiter: Some(*delimiter),
                has_header: Some(*header),
                ..CsvOptions::default()
            };
            config.date_order = date_order(text, &options, mapping);
            let labels = channel_labels(headers, mapping);
            let mut planner = Planner::new(config);
            let mut reader = CsvReader::new(text.clone(), options);
            while !reader.is_done() {
                if run.must_stop(&stop) {
                    break;
                }
                let clock = StepClock::start();
                while !reader.is_done() && !clock.due() {
                    let rows = csv_rows(reader.next_rows(PLAN_SLICE), mapping, &labels);
                    plan_into(ws, &mut planner, (&index, &detector), rows, &mut run);
                }
                progress(reader.position(), reader.len());
                next_tick().await;
            }
            run.new_companies = planner.new_companies().to_vec();
        }
        Source::Vcard { text } => {
            let mut planner = Planner::new(config);
            let mut reader = VcardReader::new(text.clone());
            loop {
                if run.must_stop(&stop) {
                    break;
                }
                let clock = StepClock::start();
                let mut done = false;
                while !clock.due() {
                    let cards = reader.next_cards(PLAN_SLICE);
                    if cards.is_empty() {
                        done = true;
                        break;
                    }
                    let mut rows = Vec::with_capacity(cards.len());
                    for card in cards {
                        rows.push(match card {
                            Ok(card) => {
                                run.photos += card.ignored.iter().filter(|p| *p == "PHOTO").count();
                                Ok(card_row(&card))
                            }
                            Err(e) => Err(Box::new(error_row(e.line, e.to_string()))),
                        });
                    }
                    plan_into(ws, &mut planner, (&index, &detector), rows, &mut run);
                }
                progress(reader.position(), text.len());
                next_tick().await;
                if done {
                    break;
                }
            }
            run.new_companies = planner.new_companies().to_vec();
        }
    }
    run
}

fn plan_into(
    ws: Workspace,
    planner: &mut Planner,
    (index, detector): (&Index, &Detector),
    rows: Vec<Result<InputRow, Box<Planned>>>,
    run: &mut DryRun,
) {
    ws.with_directory(|directory| {
        let existing = Existing {
            index,
            directory,
            duplicates: Some(detector),
        };
        for row in rows {
            let planned = row.map_or_else(|e| *e, |row| planner.plan_row(&row, &existing));
            run.counts.add(&planned.action);
            run.possible_duplicates += usize::from(!planned.possible_duplicates.is_empty());
            run.planned.push(planned);
        }
    });
}

fn error_row(line: usize, message: String) -> Planned {
    Planned {
        line,
        action: Action::Error {
            field: None,
            message,
        },
        notes: Vec::new(),
        possible_duplicates: Vec::new(),
    }
}

/// CSV records as rows to plan; ragged rows are errors, the rest still import.
fn csv_rows(
    read: Vec<Result<kith_core::io::csv::Row, kith_core::io::csv::RowError>>,
    mapping: &[Option<TargetField>],
    labels: &[ChannelLabel],
) -> Vec<Result<InputRow, Box<Planned>>> {
    read.into_iter()
        .map(|row| match row {
            Ok(row) => Ok(kith_core::io::plan::csv_row(
                row.line,
                &row.fields,
                mapping,
                labels,
            )),
            Err(e) => Err(Box::new(error_row(
                e.line,
                match &e.kind {
                    RowErrorKind::TooManyFields { expected, fields }
                    | RowErrorKind::TooFewFields { expected, fields } => format!(
                        "{} values where the header has {expected} columns",
                        fields.len()
                    ),
                    _ => e.to_string(),
                },
            ))),
        })
        .collect()
}

/// The order of the close-date column's dates, from its first rows.
fn date_order(text: &Rc<str>, options: &CsvOptions, mapping: &[Option<TargetField>]) -> DateOrder {
    let Some(col) = mapping
        .iter()
        .position(|m| *m == Some(TargetField::CloseDate))
    else {
        return DateOrder::MonthFirst;
    };
    let rows = CsvReader::new(text.clone(), options.clone()).next_rows(500);
    let values: Vec<String> = rows
        .into_iter()
        .filter_map(|r| r.ok()?.fields.get(col).cloned())
        .collect();
    guess_date_order(values.iter().map(String::as_str)).unwrap_or(DateOrder::MonthFirst)
}

/// Writes a dry run's plan. `stop` is checked between chunks; what was written is in the
/// returned log either way (kept in history, so it can be undone).
pub async fn run_import(
    ws: Workspace,
    run: &DryRun,
    file: String,
    target: ImportTarget,
    stop: Rc<Cell<bool>>,
    progress: impl Fn(usize, usize) + Clone + 'static,
) -> (UndoLog, Option<String>) {
    let kind = target_kind(target);
    let mut log = UndoLog {
        id: RecordId::new().to_string(),
        at: now_ms(),
        file,
        target,
        created: Vec::new(),
        companies: 0,
        updated: Vec::new(),
        cancelled: false,
        undone: false,
    };
    let creates: Vec<_> = run
        .planned
        .iter()
        .filter_map(|p| match &p.action {
            Action::Create(values) => Some(values.clone()),
            _ => None,
        })
        .collect();
    let updates: Vec<_> = run
        .planned
        .iter()
        .filter_map(|p| match &p.action {
            Action::Update { id, values, .. } => Some((id.clone(), values.clone())),
            _ => None,
        })
        .collect();
    let total = run.new_companies.len() + creates.len() + updates.len();
    let halted = {
        let stop = stop.clone();
        move || stop.get()
    };
    // Companies first, so people and deals can point at them.
    let fills: Vec<Fill> = run
        .new_companies
        .iter()
        .map(|(_, name)| {
            let name = name.clone();
            Box::new(move |e: &mut kith_core::record::Edit<'_>| e.set(Field::Name, &name)) as Fill
        })
        .collect();
    let report = progress.clone();
    let made = match ws
        .create_many(RecordKind::Company, fills, halted.clone(), move |n| {
            report(n, total)
        })
        .await
    {
        Ok(made) => made,
        Err(e) => return (log, Some(e.to_string())),
    };
    let mut companies: HashMap<String, RecordId> = HashMap::new();
    for ((key, _), id) in run.new_companies.iter().zip(&made) {
        if let Ok(id) = id {
            companies.insert(key.clone(), id.clone());
            log.created.push(id.clone());
            log.companies += 1;
        }
    }
    let done = made.len();
    let company_of = move |link: &Option<CompanyLink>| match link {
        Some(CompanyLink::Existing(id)) => Some(id.clone()),
        Some(CompanyLink::New(key)) => companies.get(key).cloned(),
        None => None,
    };
    let fills: Vec<Fill> = creates
        .into_iter()
        .map(|values| {
            let company = company_of(&values.company);
            Box::new(move |e: &mut kith_core::record::Edit<'_>| {
                apply_values(e, &values, company.as_ref(), None)
            }) as Fill
        })
        .collect();
    let report = progress.clone();
    match ws
        .create_many(kind, fills, halted.clone(), move |n| {
            report(done + n, total)
        })
        .await
    {
        Ok(made) => log.created.extend(made.into_iter().flatten()),
        Err(e) => return (log, Some(e.to_string())),
    }
    let done = done + log.created.len();
    let ids: Vec<RecordId> = updates.iter().map(|(id, _)| id.clone()).collect();
    let befores = Rc::new(std::cell::RefCell::new(Vec::new()));
    let captured = befores.clone();
    let report = progress.clone();
    let result = ws
        .edit_each(
            ids,
            move |i, record| {
                let (id, values) = &updates[i];
                let company = company_of(&values.company);
                let before = capture_before(record, values, company.as_ref());
                captured.borrow_mut().push((id.clone(), before.clone()));
                let values = values.clone();
                Some(Box::new(move |e: &mut kith_core::record::Edit<'_>| {
                    apply_values(e, &values, company.as_ref(), Some(&before))
                }) as Fill)
            },
            halted,
            move |n| report(done + n, total),
        )
        .await;
    log.updated = befores.take();
    log.cancelled = stop.get();
    let problem = result.err().map(|e| e.to_string());
    if let Err(e) = save_log(ws, &log).await {
        return (
            log,
            Some(format!(
                "The import is done but its undo record could not be saved: {e}"
            )),
        );
    }
    (log, problem)
}

/// Undoes an import: its creates are deleted (a change, so it syncs), its updates get their
/// previous values back.
pub async fn undo_import(
    ws: Workspace,
    id: &str,
    progress: impl Fn(usize, usize) + Clone + 'static,
) -> Result<String, String> {
    let mut log = load_log(ws, id)
        .await?
        .ok_or("This import's record is gone")?;
    if log.undone {
        return Ok("This import was already undone.".into());
    }
    let total = log.created.len() + log.updated.len();
    let report = progress.clone();
    let outcome = ws
        .edit_many(
            log.created.clone(),
            |e| e.delete(),
            move |n, _| report(n, total),
        )
        .await
        .map_err(|e| e.to_string())?;
    let done = log.created.len();
    let updated = log.updated.clone();
    let ids = updated.iter().map(|(id, _)| id.clone()).collect();
    ws.edit_each(
        ids,
        move |i, record| Some(Box::new(undo_update(record, &updated[i].1)) as Fill),
        || false,
        move |n| progress(done + n, total),
    )
    .await
    .map_err(|e| e.to_string())?;
    log.undone = true;
    save_log(ws, &log).await?;
    Ok(format!(
        "Import undone: {} records removed, {} restored to their previous values.",
        outcome.changed,
        log.updated.len()
    ))
}

/// One line of the import history (the whole log is kept under its own key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: String,
    pub at: i64,
    pub file: String,
    pub target: ImportTarget,
    pub created: usize,
    pub updated: usize,
    pub cancelled: bool,
    pub undone: bool,
}

const HISTORY_KEY: &str = "import.history";

fn log_key(id: &str) -> String {
    format!("import.log.{id}")
}

pub async fn history(ws: Workspace) -> Result<Vec<HistoryEntry>, String> {
    // Opened straight from a link, the workspace may still be reading its records.
    ws.ready().await?;
    let text = ws.meta_get(HISTORY_KEY).await.map_err(|e| e.to_string())?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

async fn load_log(ws: Workspace, id: &str) -> Result<Option<UndoLog>, String> {
    ws.ready().await?;
    let text = ws.meta_get(&log_key(id)).await.map_err(|e| e.to_string())?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .transpose()
}

async fn save_log(ws: Workspace, log: &UndoLog) -> Result<(), String> {
    let json = serde_json::to_string(log).map_err(|e| e.to_string())?;
    ws.meta_set(&log_key(&log.id), &json)
        .await
        .map_err(|e| e.to_string())?;
    let mut entries = history(ws).await?;
    let entry = HistoryEntry {
        id: log.id.clone(),
        at: log.at,
        file: log.file.clone(),
        target: log.target,
        created: log.created.len() - log.companies,
        updated: log.updated.len(),
        cancelled: log.cancelled,
        undone: log.undone,
    };
    match entries.iter_mut().find(|e| e.id == log.id) {
        Some(existing) => *existing = entry,
        None => entries.insert(0, entry),
    }
    let json = serde_json::to_string(&entries).map_err(|e| e.to_string())?;
    ws.meta_set(HISTORY_KEY, &json)
        .await
        .map_err(|e| e.to_string())
}
