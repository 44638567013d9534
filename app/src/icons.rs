//! Inline SVG icons (24×24, stroked with `currentColor`), so they follow the text colour and
//! cost no extra request.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Logo,
    People,
    Building,
    Pipeline,
    Check,
    Gear,
    Funnel,
    Search,
}

impl Icon {
    fn paths(self) -> &'static [&'static str] {
        match self {
            Self::Logo => &["M6 4v16", "M18 4l-8.5 8.5L18 20"],
            Self::People => &[
                "M16 20v-1.5a3.5 3.5 0 0 0-3.5-3.5h-5A3.5 3.5 0 0 0 4 18.5V20",
                "M10 11.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z",
                "M20 20v-1.5a3.5 3.5 0 0 0-2.5-3.35",
                "M15.5 4.65a3.5 3.5 0 0 1 0 6.7",
            ],
            Self::Building => &[
                "M4 20V5l8-2v17",
                "M12 9l8 2v9",
                "M2 20h20",
                "M8 8h.01M8 12h.01M8 16h.01M16 14h.01M16 17h.01",
            ],
            Self::Funnel => &["M3 4h18l-7 8.5V19l-4 2v-8.5z"],
            Self::Search => &["M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M20 20l-4-4"],
            Self::Pipeline => &["M4 5h16", "M4 5v14h4V5", "M10 5v9h4V5", "M16 5v5h4V5"],
            Self::Check => &[
                "M9 11l3 3 8-8",
                "M20 12v6a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h9",
            ],
            Self::Gear => &[
                "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
                "M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
            ],
        }
    }

    pub fn view(self) -> impl IntoView {
        view! {
            <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
                {self.paths().iter().map(|d| view! { <path d=*d/> }).collect_view()}
            </svg>
        }
    }
}
