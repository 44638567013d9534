//! The columns a list of people or companies shows.

use kith_core::directory::{Directory, SortKey};
use kith_core::record::RecordKind;
use kith_core::summary::Summary;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Email,
    Phone,
    Company,
    Domain,
    Industry,
    City,
    Stage,
    Tags,
    Updated,
}

impl Column {
    pub fn for_kind(kind: RecordKind) -> &'static [Column] {
        match kind {
            RecordKind::Company => &[
                Self::Name,
                Self::Domain,
                Self::Industry,
                Self::City,
                Self::Stage,
                Self::Tags,
                Self::Updated,
            ],
            _ => &[
                Self::Name,
                Self::Email,
                Self::Phone,
                Self::Company,
                Self::Stage,
                Self::Tags,
                Self::Updated,
            ],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Email => "Email",
            Self::Phone => "Phone",
            Self::Company => "Company",
            Self::Domain => "Domain",
            Self::Industry => "Industry",
            Self::City => "City",
            Self::Stage => "Stage",
            Self::Tags => "Tags",
            Self::Updated => "Updated",
        }
    }

    pub fn sort_key(self) -> Option<SortKey> {
        match self {
            Self::Name => Some(SortKey::Name),
            Self::Email => Some(SortKey::Email),
            Self::Company => Some(SortKey::Company),
            Self::City => Some(SortKey::City),
            Self::Stage => Some(SortKey::Stage),
            Self::Updated => Some(SortKey::Updated),
            Self::Phone | Self::Domain | Self::Industry | Self::Tags => None,
        }
    }

    /// CSS class; narrow screens hide the secondary columns.
    pub fn css_class(self) -> &'static str {
        match self {
            Self::Name => "col col--name",
            Self::Email | Self::Domain => "col col--secondary",
            Self::Phone | Self::Company | Self::Industry | Self::City => "col col--wide-only",
            Self::Stage => "col col--stage",
            Self::Tags => "col col--wide-only",
            Self::Updated => "col col--wide-only col--date",
        }
    }

    pub fn text(self, s: &Summary, dir: &Directory) -> String {
        match self {
            Self::Name => s.name.clone(),
            Self::Email => s.primary_email().unwrap_or_default().to_string(),
            Self::Phone => s.primary_phone().unwrap_or_default().to_string(),
            Self::Company => s
                .company_id
                .as_ref()
                .and_then(|c| dir.name_of(c))
                .unwrap_or_default()
                .to_string(),
            Self::Domain => s.domain.clone(),
            Self::Industry => s.industry.clone(),
            Self::City => s.city.clone(),
            Self::Stage => s.stage.map(|st| st.label()).unwrap_or_default().to_string(),
            Self::Tags => s.tags.join(", "),
            Self::Updated => short_date(s.updated_at),
        }
    }
}

/// `25 Nov 2026` in the user's time zone.
pub fn short_date(ms: i64) -> String {
    if ms <= 0 {
        return String::new();
    }
    let date = js_sys::Date::new(&(ms as f64).into());
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {}",
        date.get_date(),
        MONTHS[date.get_month() as usize % 12],
        date.get_full_year()
    )
}
