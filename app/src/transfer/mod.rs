//! Data in and out: CSV and vCard import (mapping, dry run, progress, undo), CSV export of a
//! view, vCard export, and the full-workspace JSON backup and restore.

mod data;
mod export;
pub mod files;
mod import;
mod list_tools;
pub mod run;
mod wizard;

pub use data::DataPage;
pub use import::ImportPage;
pub use list_tools::{ExportView, ImportLink};
