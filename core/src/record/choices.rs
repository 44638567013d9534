//! Fields whose value is one of a fixed set: each set is an enum with a stable stored name
//! and a label, declared once through [`choices!`].

use serde::{Deserialize, Serialize};

/// Declares an enum of choices: `Variant = ("stored", "Label")`. The stored name is what
/// documents hold and is never renamed.
macro_rules! choices {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = ($stored:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $stored),+
                }
            }

            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }
    };
}

choices! {
    /// Where a person or company stands with you.
    LifecycleStage {
        Lead = ("lead", "Lead"),
        Prospect = ("prospect", "Prospect"),
        Customer = ("customer", "Customer"),
        Churned = ("churned", "Churned"),
    }
}

choices! {
    /// What kind of interaction an activity records.
    ActivityType {
        Call = ("call", "Call"),
        Email = ("email", "Email"),
        Meeting = ("meeting", "Meeting"),
        Note = ("note", "Note"),
    }
}

choices! {
    TaskPriority {
        Low = ("low", "Low"),
        Normal = ("normal", "Normal"),
        High = ("high", "High"),
        Urgent = ("urgent", "Urgent"),
    }
}

choices! {
    TaskStatus {
        Open = ("open", "Open"),
        Done = ("done", "Done"),
    }
}

choices! {
    DealStatus {
        Open = ("open", "Open"),
        Won = ("won", "Won"),
        Lost = ("lost", "Lost"),
    }
}

choices! {
    ActivityStatus {
        Planned = ("planned", "Planned"),
        Done = ("done", "Done"),
    }
}

choices! {
    /// One lead-qualification criterion's answer (budget, authority, need, timeline).
    Answer {
        Unknown = ("unknown", "Unknown"),
        No = ("no", "No"),
        Partly = ("partly", "Partly"),
        Yes = ("yes", "Yes"),
    }
}

choices! {
    /// Who sees a saved view.
    Visibility {
        Shared = ("shared", "Everyone in the workspace"),
        Private = ("private", "Only me"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for s in LifecycleStage::ALL {
            assert_eq!(LifecycleStage::parse(s.as_str()), Some(*s));
        }
        for a in Answer::ALL {
            assert_eq!(Answer::parse(a.as_str()), Some(*a));
        }
        assert_eq!(DealStatus::parse("won"), Some(DealStatus::Won));
        assert_eq!(TaskPriority::parse("URGENT"), None);
    }
}
