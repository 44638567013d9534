//! What a list's cells show for each field, and how wide and where (phone, tablet, desktop)
//! each column is.

use kith_core::directory::Directory;
use kith_core::pipeline::format_amount;
use kith_core::record::LifecycleStage;
use kith_core::summary::Summary;
use kith_core::view::{self, Lookup, ViewField};

/// Screen sizes from which a column shows: the name always, one secondary column from 600px,
/// the rest from 1024px (the markup is the same; CSS hides by class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    Phone,
    Tablet,
    Desktop,
}

pub fn reach(field: ViewField, position: usize) -> Reach {
    match (field, position) {
        (ViewField::Name, _) => Reach::Phone,
        (_, 1) => Reach::Phone,
        (_, 2) => Reach::Tablet,
        _ => Reach::Desktop,
    }
}

pub fn css_class(field: ViewField, position: usize) -> String {
    let reach = match reach(field, position) {
        Reach::Phone => "",
        Reach::Tablet => " col--tablet",
        Reach::Desktop => " col--desktop",
    };
    let name = if field == ViewField::Name {
        " col--name"
    } else {
        ""
    };
    format!("col col--f-{}{name}{reach}", field.key())
}

/// The CSS grid track of a column.
fn track(field: ViewField) -> &'static str {
    match field {
        ViewField::Name => "minmax(10rem, 2fr)",
        ViewField::Email | ViewField::Company | ViewField::Title | ViewField::Domain => {
            "minmax(8rem, 1.6fr)"
        }
        ViewField::Tags => "minmax(6rem, 1.2fr)",
        ViewField::Score | ViewField::Probability | ViewField::Currency => "5rem",
        _ => "minmax(6rem, 1fr)",
    }
}

/// `grid-template-columns` for phone, tablet and desktop, as CSS custom properties; the
/// first track is the row checkbox.
pub fn grid_style(columns: &[ViewField]) -> String {
    let upto = |reach_max: Reach| {
        std::iter::once("2.25rem")
            .chain(
                columns
                    .iter()
                    .enumerate()
                    .filter(|&(i, &f)| reach(f, i) <= reach_max)
                    .map(|(_, &f)| track(f)),
            )
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "--cols-phone: {}; --cols-tablet: {}; --cols-desktop: {}",
        upto(Reach::Phone),
        upto(Reach::Tablet),
        upto(Reach::Desktop)
    )
}

/// The text of one cell.
pub fn cell_text(field: ViewField, s: &Summary, dir: &Directory, lookup: &Lookup) -> String {
    match field {
        ViewField::Stage => s
            .stage
            .map(LifecycleStage::label)
            .unwrap_or_default()
            .into(),
        ViewField::Email | ViewField::Phone => view::texts_of(field, s, dir)
            .first()
            .copied()
            .unwrap_or_default()
            .into(),
        ViewField::Owner => {
            if s.owner.is_empty() {
                String::new()
            } else {
                crate::account::display_name(&s.owner)
            }
        }
        ViewField::Amount => s
            .amount
            .map(|a| format_amount(a, &s.currency))
            .unwrap_or_default(),
        ViewField::Probability => lookup
            .probability_of(s)
            .map(|p| format!("{p}%"))
            .unwrap_or_default(),
        ViewField::Score => s.score.map(|p| p.to_string()).unwrap_or_default(),
        ViewField::DealStage => lookup
            .stage_of(s)
            .map(|(_, name)| name.to_string())
            .unwrap_or_else(|| s.deal_stage.clone()),
        ViewField::Pipeline => lookup
            .pipeline_of(s)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        ViewField::Status | ViewField::Priority | ViewField::ActivityType => {
            let stored = view::texts_of(field, s, dir).join("");
            field
                .choices(s.kind, lookup)
                .into_iter()
                .find(|(v, _)| *v == stored)
                .map_or(stored, |(_, label)| label)
        }
        ViewField::CloseDate => s.close_date.clone(),
        ViewField::DueAt | ViewField::OccurredAt => s.due_at.map(date_time).unwrap_or_default(),
        ViewField::Created => short_date(s.created_at),
        ViewField::Updated => short_date(s.updated_at),
        _ => view::texts_of(field, s, dir).join(", "),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `25 Nov 2026` in the user's time zone.
pub fn short_date(ms: i64) -> String {
    if ms <= 0 {
        return String::new();
    }
    let date = js_sys::Date::new(&(ms as f64).into());
    format!(
        "{} {} {}",
        date.get_date(),
        MONTHS[date.get_month() as usize % 12],
        date.get_full_year()
    )
}

/// `25 Nov 2026 14:05` in the user's time zone.
fn date_time(ms: i64) -> String {
    let date = js_sys::Date::new(&(ms as f64).into());
    format!(
        "{} {:02}:{:02}",
        short_date(ms),
        date.get_hours(),
        date.get_minutes()
    )
}
