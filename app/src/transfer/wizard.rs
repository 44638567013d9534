//! The import wizard's state: the file as read, the options that re-parse its preview, the
//! mapping (remembered per header set), and the dry run / import / undo steps.

use std::cell::Cell;
use std::rc::Rc;

use kith_core::io::csv::{CsvOptions, CsvReader};
use kith_core::io::mapping::{ImportTarget, TargetField, guess_mapping};
use kith_core::io::plan::{Action, ImportMode, MatchKey, PlanConfig, Planned, grouped};
use kith_core::io::text::{self, Encoding};
use kith_core::io::values::DateOrder;
use kith_core::io::vcard::VcardReader;
use leptos::prelude::*;

use super::run::{self, DryRun, Source};
use crate::sync::tasks::{StepClock, next_tick};
use crate::workspace::Workspace;

/// Rows the preview shows.
pub const PREVIEW_ROWS: usize = 20;
/// What the progress box says during a dry run and an import: both offer Cancel.
pub const CHECKING: &str = "Checking every row…";
pub const IMPORTING: &str = "Importing…";
/// Bytes decoded per slice before checking the clock.
const DECODE_SLICE: usize = 256 * 1024;
/// Issue rows listed at most (the counts cover all).
pub const ISSUES_SHOWN: usize = 500;

/// One line of the dry run's details.
#[derive(Clone, PartialEq)]
pub struct Issue {
    pub line: usize,
    /// "error", "skip", "update", "duplicate", "note".
    pub kind: &'static str,
    pub text: String,
}

#[derive(Clone, Copy)]
pub struct Wizard {
    pub file_name: RwSignal<String>,
    bytes: StoredValue<Option<Rc<Vec<u8>>>, LocalStorage>,
    text: StoredValue<Option<Rc<str>>, LocalStorage>,
    pub encoding: RwSignal<Encoding>,
    pub replaced: RwSignal<usize>,
    pub vcard: RwSignal<bool>,
    pub target: RwSignal<ImportTarget>,
    pub delimiter: RwSignal<char>,
    pub header: RwSignal<bool>,
    pub headers: RwSignal<Vec<String>>,
    pub preview: RwSignal<Vec<Vec<String>>>,
    pub preview_note: RwSignal<Option<String>>,
    pub mapping: RwSignal<Vec<Option<TargetField>>>,
    pub mode: RwSignal<ImportMode>,
    pub match_key: RwSignal<MatchKey>,
    /// Why the file cannot be imported (binary, empty), shown instead of the preview.
    pub error: RwSignal<Option<String>>,
    /// What is running ("Checking rows…"); controls are disabled meanwhile.
    pub busy: RwSignal<Option<&'static str>>,
    pub progress: RwSignal<(usize, usize)>,
    dry: StoredValue<Option<Rc<DryRun>>, LocalStorage>,
    /// The dry run's summary line and details, once it ran for the current options.
    pub summary: RwSignal<Option<String>>,
    pub issues: RwSignal<Vec<Issue>>,
    pub confirming: RwSignal<bool>,
    stop: StoredValue<Rc<Cell<bool>>, LocalStorage>,
    /// The finished import: its log id and what it did.
    pub result: RwSignal<Option<(String, String)>>,
    pub message: RwSignal<Option<String>>,
}

impl Wizard {
    pub fn new() -> Self {
        Self {
            file_name: RwSignal::new(String::new()),
            bytes: StoredValue::new_local(None),
            text: StoredValue::new_local(None),
            encoding: RwSignal::new(Encoding::Utf8),
            replaced: RwSignal::new(0),
            vcard: RwSignal::new(false),
            target: RwSignal::new(ImportTarget::People),
            delimiter: RwSignal::new(','),
            header: RwSignal::new(true),
            headers: RwSignal::new(Vec::new()),
            preview: RwSignal::new(Vec::new()),
            preview_note: RwSignal::new(None),
            mapping: RwSignal::new(Vec::new()),
            mode: RwSignal::new(ImportMode::Upsert),
            match_key: RwSignal::new(MatchKey::Email),
            error: RwSignal::new(None),
            busy: RwSignal::new(None),
            progress: RwSignal::new((0, 0)),
            dry: StoredValue::new_local(None),
            summary: RwSignal::new(None),
            issues: RwSignal::new(Vec::new()),
            confirming: RwSignal::new(false),
            stop: StoredValue::new_local(Rc::new(Cell::new(false))),
            result: RwSignal::new(None),
            message: RwSignal::new(None),
        }
    }

    pub fn has_file(&self) -> bool {
        self.text.with_value(Option::is_some)
    }

    /// A file was picked or dropped: refuse what is not text, detect everything else.
    pub async fn load(&self, name: String, bytes: Vec<u8>) {
        self.file_name.set(name.clone());
        self.result.set(None);
        self.message.set(None);
        self.text.set_value(None);
        self.headers.set(Vec::new());
        self.preview.set(Vec::new());
        self.invalidate();
        if let Some(format) = text::binary_format(&bytes) {
            self.error.set(Some(format!(
                "This looks like {format}, not a CSV or vCard file. Open it in your spreadsheet and save it as CSV (UTF-8), then pick that file."
            )));
            return;
        }
        self.error.set(None);
        self.bytes.set_value(Some(Rc::new(bytes)));
        // Sniffing, decoding and the preview are each steps of their own on a big file.
        next_tick().await;
        self.decode(true).await;
        next_tick().await;
        let vcard = name.to_lowercase().ends_with(".vcf")
            || self.text.with_value(|t| {
                t.as_deref().is_some_and(|t| {
                    // The head only: upper-casing a 50 MB text would be a long task.
                    let head: String = t.trim_start().chars().take(11).collect();
                    head.eq_ignore_ascii_case("BEGIN:VCARD")
                })
            });
        self.vcard.set(vcard);
        if vcard {
            self.target.set(ImportTarget::People);
            self.match_key.set(MatchKey::Email);
        }
        self.reparse(true);
    }

    /// Decodes the bytes with the chosen encoding (`detect`: the one the file looks like), in
    /// slices with a yield between them (a 50 MB file is many short tasks, not one long one).
    pub async fn decode(&self, detect: bool) {
        let Some(bytes) = self.bytes.get_value() else {
            return;
        };
        let mut decoder =
            text::Decoder::new(&bytes, (!detect).then(|| self.encoding.get_untracked()));
        'slices: loop {
            let clock = StepClock::start();
            while !clock.due() {
                if decoder.step(DECODE_SLICE) {
                    break 'slices;
                }
            }
            next_tick().await;
        }
        let decoded = decoder.finish();
        self.encoding.set(decoded.encoding);
        self.replaced.set(decoded.replaced);
        self.text.set_value(Some(Rc::from(decoded.text)));
        self.invalidate();
    }

    /// Reads the preview again with the current options; `detect`: take delimiter and
    /// header row from the file.
    pub fn reparse(&self, detect: bool) {
        self.invalidate();
        let Some(text) = self.text.get_value() else {
            return;
        };
        if text.trim().is_empty() {
            self.error.set(Some(
                "This file is empty: there are no rows to import.".into(),
            ));
            return;
        }
        if self.vcard.get_untracked() {
            self.preview_cards(&text);
            return;
        }
        let options = CsvOptions {
            delimiter: (!detect).then(|| self.delimiter.get_untracked()),
            has_header: (!detect).then(|| self.header.get_untracked()),
            ..CsvOptions::default()
        };
        let mut reader = CsvReader::new(text.clone(), options);
        let read = reader.next_rows(PREVIEW_ROWS);
        self.delimiter.set(reader.delimiter());
        self.header.set(reader.headers().is_some());
        let mut note = None;
        let mut rows = Vec::new();
        for row in read {
            match row {
                Ok(row) => rows.push(row.fields),
                Err(e) => {
                    note.get_or_insert_with(|| e.to_string());
                }
            }
        }
        let width = reader
            .expected_fields()
            .unwrap_or_else(|| rows.iter().map(Vec::len).max().unwrap_or(0));
        let headers: Vec<String> = match reader.headers() {
            Some(h) => h.to_vec(),
            None => (1..=width).map(|i| format!("Column {i}")).collect(),
        };
        if rows.is_empty() && note.is_none() {
            note =
                Some("The file has a header row but no rows under it: nothing to import.".into());
        }
        self.preview_note.set(note);
        self.preview.set(rows);
        self.headers.set(headers);
        self.guess_mapping();
    }

    fn preview_cards(&self, text: &Rc<str>) {
        let mut reader = VcardReader::new(text.clone());
        let mut rows = Vec::new();
        let mut note = None;
        for card in reader.next_cards(PREVIEW_ROWS) {
            match card {
                Ok(c) => rows.push(vec![
                    c.card.full_name.clone(),
                    c.card
                        .emails
                        .first()
                        .map(|e| e.0.clone())
                        .unwrap_or_default(),
                    c.card
                        .phones
                        .first()
                        .map(|e| e.0.clone())
                        .unwrap_or_default(),
                    c.card.org.clone(),
                ]),
                Err(e) => {
                    note.get_or_insert_with(|| e.to_string());
                }
            }
        }
        if rows.is_empty() && note.is_none() {
            note = Some("No cards in this file: nothing to import.".into());
        }
        self.headers.set(
            ["Name", "Email", "Phone", "Company"]
                .map(String::from)
                .to_vec(),
        );
        self.preview.set(rows);
        self.preview_note.set(note);
        self.mapping.set(Vec::new());
    }

    /// The remembered mapping for these headers, else the guess.
    pub fn guess_mapping(&self) {
        let target = self.target.get_untracked();
        let headers = self.headers.get_untracked();
        let remembered = storage()
            .and_then(|s| s.get_item(&mapping_key(target, &headers)).ok().flatten())
            .and_then(|json| serde_json::from_str::<Vec<Option<TargetField>>>(&json).ok())
            .filter(|m| m.len() == headers.len());
        self.mapping
            .set(remembered.unwrap_or_else(|| guess_mapping(target, &headers)));
        self.invalidate();
    }

    pub fn set_mapping(&self, column: usize, field: Option<TargetField>) {
        self.mapping.update(|m| {
            if field.is_some_and(|f| !f.is_multi()) {
                // A single-valued field moves to the column that now takes it.
                m.iter_mut()
                    .filter(|x| **x == field)
                    .for_each(|x| *x = None);
            }
            if let Some(slot) = m.get_mut(column) {
                *slot = field;
            }
        });
        let target = self.target.get_untracked();
        if let (Some(s), Ok(json)) = (
            storage(),
            serde_json::to_string(&self.mapping.get_untracked()),
        ) {
            let _ = s.set_item(&mapping_key(target, &self.headers.get_untracked()), &json);
        }
        self.invalidate();
    }

    /// Options changed: the dry run no longer describes what would happen.
    pub fn invalidate(&self) {
        self.dry.set_value(None);
        self.summary.set(None);
        self.issues.set(Vec::new());
        self.confirming.set(false);
    }

    fn source(&self) -> Option<Source> {
        let text = self.text.get_value()?;
        Some(if self.vcard.get_untracked() {
            Source::Vcard { text }
        } else {
            Source::Csv {
                text,
                delimiter: self.delimiter.get_untracked(),
                header: self.header.get_untracked(),
                headers: self.headers.get_untracked(),
                mapping: self.mapping.get_untracked(),
            }
        })
    }

    pub fn start_dry_run(&self, ws: Workspace) {
        let Some(source) = self.source() else { return };
        let me = *self;
        let mut config = PlanConfig {
            target: self.target.get_untracked(),
            mode: self.mode.get_untracked(),
            match_key: self.match_key.get_untracked(),
            date_order: DateOrder::MonthFirst,
            stages: Vec::new(),
            default_currency: None,
        };
        // Before Cancel shows: a click on it must reach this run.
        let stop = Rc::new(Cell::new(false));
        self.stop.set_value(stop.clone());
        self.busy.set(Some(CHECKING));
        self.result.set(None);
        leptos::task::spawn_local(async move {
            // Matching needs every existing record: wait for the workspace to finish opening.
            if let Err(e) = ws.ready().await {
                me.error
                    .set(Some(format!("The workspace could not be opened: {e}")));
                me.busy.set(None);
                return;
            }
            config.stages = ws.with_directory(default_stages);
            let run = run::dry_run(ws, &source, config, stop, move |a, b| {
                me.progress.set((a, b))
            })
            .await;
            if run.cancelled {
                me.message.set(Some(
                    "Dry run stopped. Nothing was imported; run it again when you are ready."
                        .into(),
                ));
                me.busy.set(None);
                return;
            }
            if run.too_many {
                me.error.set(Some(format!(
                    "This file has more than {} rows; Kith imports up to {} at a time. Split it into smaller files and import each. Nothing was imported.",
                    grouped(run::MAX_IMPORT_ROWS),
                    grouped(run::MAX_IMPORT_ROWS)
                )));
                me.busy.set(None);
                return;
            }
            let mut summary = run.counts.describe();
            if run.possible_duplicates > 0 {
                summary.push_str(&format!(
                    " · {} possible duplicate{}",
                    grouped(run.possible_duplicates),
                    if run.possible_duplicates == 1 {
                        ""
                    } else {
                        "s"
                    }
                ));
            }
            if run.photos > 0 {
                summary.push_str(&format!(
                    " · {} photo{} will not be imported",
                    run.photos,
                    if run.photos == 1 { "" } else { "s" }
                ));
            }
            me.issues.set(issues(&run.planned));
            me.summary.set(Some(summary));
            me.dry.set_value(Some(Rc::new(run)));
            me.busy.set(None);
        });
    }

    /// How many records the import writes (0: nothing to import).
    pub fn writes(&self) -> usize {
        self.dry
            .with_value(|d| d.as_ref().map_or(0, |d| d.counts.create + d.counts.update))
    }

    pub fn start_import(&self, ws: Workspace) {
        let Some(run) = self.dry.get_value() else {
            return;
        };
        let me = *self;
        let stop = Rc::new(Cell::new(false));
        self.stop.set_value(stop.clone());
        self.confirming.set(false);
        self.busy.set(Some(IMPORTING));
        let file = self.file_name.get_untracked();
        let target = self.target.get_untracked();
        leptos::task::spawn_local(async move {
            let progress = move |a, b| me.progress.set((a, b));
            let (log, problem) = run::run_import(ws, &run, file, target, stop, progress).await;
            let what = format!(
                "{}: {} created, {} updated{}.",
                if log.cancelled {
                    "Import stopped"
                } else {
                    "Import finished"
                },
                log.created.len() - log.companies,
                log.updated.len(),
                match log.companies {
                    0 => String::new(),
                    1 => ", 1 company added for them".into(),
                    n => format!(", {n} companies added for them"),
                }
            );
            me.message.set(problem.map(|p| format!("{what} {p}")));
            me.result.set(Some((log.id.clone(), what)));
            me.invalidate();
            me.busy.set(None);
        });
    }

    pub fn cancel(&self) {
        self.stop.with_value(|s| s.set(true));
    }

    pub fn undo(&self, ws: Workspace) {
        let Some((id, _)) = self.result.get_untracked() else {
            return;
        };
        let me = *self;
        self.busy.set(Some("Undoing the import…"));
        leptos::task::spawn_local(async move {
            let progress = move |a, b| me.progress.set((a, b));
            let outcome = run::undo_import(ws, &id, progress).await;
            me.message.set(Some(outcome.unwrap_or_else(|e| e)));
            me.result.set(None);
            me.busy.set(None);
        });
    }
}

fn issues(planned: &[Planned]) -> Vec<Issue> {
    let mut out = Vec::new();
    for p in planned {
        let (kind, text) = match &p.action {
            Action::Error { field, message } => (
                "error",
                match field {
                    Some(f) => format!("{f}: {message}"),
                    None => message.clone(),
                },
            ),
            Action::Skip(reason) => ("skip", reason.clone()),
            Action::Update { changes, .. } => (
                "update",
                changes
                    .iter()
                    .map(|c| match &c.from {
                        Some(from) => format!("{}: {from} → {}", c.field, c.to),
                        None => format!("{}: → {}", c.field, c.to),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Action::Create(_) if !p.possible_duplicates.is_empty() => (
                "duplicate",
                format!(
                    "Created, but looks like {}",
                    p.possible_duplicates.join(", ")
                ),
            ),
            Action::Create(_) if !p.notes.is_empty() => ("note", String::new()),
            Action::Create(_) => continue,
        };
        let text = if p.notes.is_empty() {
            text
        } else if text.is_empty() {
            p.notes.join("; ")
        } else {
            format!("{text} ({})", p.notes.join("; "))
        };
        out.push(Issue {
            line: p.line,
            kind,
            text,
        });
    }
    out
}

/// The stages of this workspace's default pipeline (deals are imported onto it).
fn default_stages(d: &kith_core::directory::Directory) -> Vec<kith_core::pipeline::PipelineStage> {
    let id = kith_core::pipeline::default_pipeline_id();
    kith_core::view::Lookup::new(d)
        .pipelines
        .into_iter()
        .find(|p| p.id == id)
        .map(|p| p.stages)
        .unwrap_or_else(kith_core::pipeline::default_stages)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// One key per target and header set (hashed: header rows can be long).
fn mapping_key(target: ImportTarget, headers: &[String]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in headers.join("\u{1f}").bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("kith.import.mapping.{target:?}.{hash:016x}")
}
