//! People and companies: lists, the create form, record pages.

mod columns;
mod conflict;
mod detail;
mod editors;
mod list;
mod new;

pub use conflict::ConflictNote;
pub use detail::RecordPage;
pub use editors::{FieldError, RecordScope, TextField};
// Used by the deal page.
pub use editors::{CompanyField, NotesEditor, TagEditor};
pub use list::RecordList;
pub use new::NewRecord;

use kith_core::record::RecordKind;

/// URL segment of a kind's pages: `/people`, `/companies`.
pub fn section_path(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "/people",
        RecordKind::Company => "/companies",
        RecordKind::Deal => "/deals",
        RecordKind::Activity => "/activities",
        RecordKind::Task => "/tasks",
        RecordKind::Pipeline => "/settings/pipelines",
        RecordKind::View => "/views",
    }
}

pub fn record_path(kind: RecordKind, id: &kith_core::ids::RecordId) -> String {
    format!("{}/{id}", section_path(kind))
}

pub fn kind_noun(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "person",
        RecordKind::Company => "company",
        RecordKind::Deal => "deal",
        RecordKind::Activity => "activity",
        RecordKind::Task => "task",
        RecordKind::Pipeline => "pipeline",
        RecordKind::View => "view",
    }
}

pub fn kind_plural(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "People",
        RecordKind::Company => "Companies",
        RecordKind::Deal => "Deals",
        RecordKind::Activity => "Activities",
        RecordKind::Task => "Tasks",
        RecordKind::Pipeline => "Pipelines",
        RecordKind::View => "Views",
    }
}
