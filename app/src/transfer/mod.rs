//! Data in and out: CSV and vCard import (mapping, dry run, progress, undo), CSV export of a
//! view, vCard export, and the full-workspace JSON backup and restore.

mod data;
mod export;
pub mod files;
mod import;
pub mod run;
mod wizard;

pub use data::DataPage;
// For the list pages' "Export this view as CSV" (owned elsewhere) and tests.
#[allow(unused_imports)]
pub use export::{BOM, kind_csv, people_vcards, view_csv};
pub use import::ImportPage;
