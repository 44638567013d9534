//! Deal pipelines: ordered stages, each with a default win probability, and the totals a
//! board shows per stage.

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;
use crate::summary::Summary;

/// The pipeline a deal is on when its pipeline field is empty. Its record is created only
/// when someone edits its stages (until then [`default_stages`] apply).
pub const DEFAULT_PIPELINE_ID: &str = "00000000-0000-7000-8000-000000000001";

/// Most stages a pipeline may have; a board wider than this is unusable anyway.
pub const MAX_STAGES: usize = 30;
const MAX_STAGE_NAME: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineStage {
    /// Stable across renames and reorders; deals point at it.
    pub id: String,
    pub name: String,
    /// Chance of winning a deal in this stage, 0–100.
    pub probability: u8,
}

pub fn default_pipeline_id() -> RecordId {
    RecordId::parse(DEFAULT_PIPELINE_ID).expect("the default pipeline id is a UUID")
}

pub fn default_stages() -> Vec<PipelineStage> {
    [
        ("qualified", "Qualified", 10),
        ("meeting", "Meeting scheduled", 25),
        ("proposal", "Proposal sent", 50),
        ("negotiation", "Negotiation", 75),
        ("commit", "Verbal commit", 90),
    ]
    .into_iter()
    .map(|(id, name, probability)| PipelineStage {
        id: id.into(),
        name: name.into(),
        probability,
    })
    .collect()
}

/// Reads a pipeline's stored stages, checking every rule [`encode_stages`] enforces.
pub fn parse_stages(json: &str) -> Result<Vec<PipelineStage>, String> {
    let stages: Vec<PipelineStage> =
        serde_json::from_str(json).map_err(|e| format!("unreadable stages: {e}"))?;
    check_stages(&stages)?;
    Ok(stages)
}

pub fn encode_stages(stages: &[PipelineStage]) -> Result<String, String> {
    check_stages(stages)?;
    Ok(serde_json::to_string(stages).expect("stages always serialise"))
}

fn check_stages(stages: &[PipelineStage]) -> Result<(), String> {
    if stages.is_empty() {
        return Err("a pipeline needs at least one stage".into());
    }
    if stages.len() > MAX_STAGES {
        return Err(format!("a pipeline has at most {MAX_STAGES} stages"));
    }
    for (i, stage) in stages.iter().enumerate() {
        let name = stage.name.trim();
        if name.is_empty() {
            return Err(format!("stage {} has no name", i + 1));
        }
        if name.chars().count() > MAX_STAGE_NAME {
            return Err(format!(
                "stage “{name}”: a name has at most {MAX_STAGE_NAME} characters"
            ));
        }
        if stage.probability > 100 {
            return Err(format!("stage “{name}”: probability must be 0–100"));
        }
        if stage.id.is_empty() || stages[..i].iter().any(|s| s.id == stage.id) {
            return Err(format!("stage “{name}” has a missing or repeated id"));
        }
        if stages[..i]
            .iter()
            .any(|s| s.name.trim().eq_ignore_ascii_case(name))
        {
            return Err(format!("two stages are called “{name}”"));
        }
    }
    Ok(())
}

/// A deal's probability: its own when set, else its stage's.
pub fn deal_probability(deal: &Summary, stages: &[PipelineStage]) -> u8 {
    deal.probability.unwrap_or_else(|| {
        stages
            .iter()
            .find(|s| s.id == deal.deal_stage)
            .map_or(0, |s| s.probability)
    })
}

/// Sum of amounts and of probability-weighted amounts, per currency, in minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageTotals {
    pub count: usize,
    /// (currency, total, weighted total), currencies in first-seen order.
    pub by_currency: Vec<(String, i64, i64)>,
}

impl StageTotals {
    pub fn add(&mut self, deal: &Summary, probability: u8) {
        self.count += 1;
        let Some(amount) = deal.amount else { return };
        let weighted =
            i64::try_from(i128::from(amount) * i128::from(probability) / 100).unwrap_or(i64::MAX);
        match self
            .by_currency
            .iter_mut()
            .find(|(c, _, _)| *c == deal.currency)
        {
            Some((_, total, w)) => {
                *total = total.saturating_add(amount);
                *w = w.saturating_add(weighted);
            }
            None => self
                .by_currency
                .push((deal.currency.clone(), amount, weighted)),
        }
    }
}

/// Formats minor units as a plain amount with two decimals and thousands separators
/// ("12,345.67 EUR").
pub fn format_amount(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let cents = abs % 100;
    let amount = if cents == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{cents:02}")
    };
    if currency.is_empty() {
        amount
    } else {
        format!("{amount} {currency}")
    }
}

/// Parses what a person types as an amount ("12,500", "12500.5") into minor units.
pub fn parse_amount(text: &str) -> Result<i64, String> {
    let clean: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_' | '\u{a0}'))
        .collect();
    let invalid = || format!("“{}” is not an amount", text.trim());
    let (whole, frac) = match clean.split_once('.') {
        Some((w, f)) => (w, f),
        None => (clean.as_str(), ""),
    };
    let negative = whole.starts_with('-');
    let digits = whole.trim_start_matches('-');
    if digits.is_empty() && frac.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
    {
        return Err(invalid());
    }
    let whole: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| invalid())?
    };
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| invalid())?;
    let minor = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(invalid)?;
    Ok(if negative { -minor } else { minor })
}

/// The pipeline a deal is on: its own, else the default one.
pub fn pipeline_of(deal: &Summary) -> RecordId {
    deal.pipeline_id.clone().unwrap_or_else(default_pipeline_id)
}

/// Where a deal shows on its pipeline's board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// An open deal in column `index`; `unknown_stage` when its stage no longer exists (it
    /// shows in the first column, flagged).
    Stage {
        index: usize,
        unknown_stage: bool,
    },
    Won,
    Lost,
}

pub fn placement(deal: &Summary, stages: &[PipelineStage]) -> Placement {
    match deal.status.as_str() {
        "won" => Placement::Won,
        "lost" => Placement::Lost,
        _ => match stages.iter().position(|s| s.id == deal.deal_stage) {
            Some(index) => Placement::Stage {
                index,
                unknown_stage: false,
            },
            None => Placement::Stage {
                index: 0,
                unknown_stage: true,
            },
        },
    }
}

/// A pipeline's board: open deals per stage (by expected close date, undated last, then
/// name) with their totals, and the totals of won and lost deals.
#[derive(Debug, Default)]
pub struct Board<'a> {
    pub columns: Vec<Vec<&'a Summary>>,
    pub totals: Vec<StageTotals>,
    pub won: StageTotals,
    pub lost: StageTotals,
}

/// Builds a board in one pass over `deals` (already those of one pipeline).
pub fn board<'a>(
    deals: impl IntoIterator<Item = &'a Summary>,
    stages: &[PipelineStage],
) -> Board<'a> {
    let mut b = Board {
        columns: vec![Vec::new(); stages.len()],
        totals: vec![StageTotals::default(); stages.len()],
        ..Board::default()
    };
    if stages.is_empty() {
        return b;
    }
    for deal in deals {
        match placement(deal, stages) {
            Placement::Won => b.won.add(deal, 100),
            Placement::Lost => b.lost.add(deal, 0),
            Placement::Stage { index, .. } => {
                b.totals[index].add(deal, deal_probability(deal, stages));
                b.columns[index].push(deal);
            }
        }
    }
    for column in &mut b.columns {
        column.sort_by(|a, b| {
            (
                a.close_date.is_empty(),
                &a.close_date,
                a.name.to_lowercase(),
                &a.id,
            )
                .cmp(&(
                    b.close_date.is_empty(),
                    &b.close_date,
                    b.name.to_lowercase(),
                    &b.id,
                ))
        });
    }
    b
}

/// A new stage named `name`: its id is derived from the name and unique in `stages`; ids are
/// never reused for another stage's deals, so a rename keeps the id.
pub fn new_stage(stages: &[PipelineStage], name: &str, probability: u8) -> PipelineStage {
    let slug: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let base = if slug.is_empty() {
        "stage".to_string()
    } else {
        slug
    };
    let mut id = base.clone();
    let mut n = 2;
    while stages.iter().any(|s| s.id == id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    PipelineStage {
        id,
        name: name.trim().to_string(),
        probability: probability.min(100),
    }
}

/// Moves stage `index` one place up (`-1`) or down (`1`); false when it cannot move.
pub fn move_stage(stages: &mut [PipelineStage], index: usize, delta: isize) -> bool {
    let Some(to) = index.checked_add_signed(delta) else {
        return false;
    };
    if index >= stages.len() || to >= stages.len() {
        return false;
    }
    stages.swap(index, to);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_stages_are_valid_and_round_trip() {
        let json = encode_stages(&default_stages()).unwrap();
        assert_eq!(parse_stages(&json).unwrap(), default_stages());
    }

    #[test]
    fn bad_stage_lists_are_refused_with_a_reason() {
        assert!(parse_stages("[]").unwrap_err().contains("at least one"));
        assert!(parse_stages("{").unwrap_err().contains("unreadable"));
        let mut twice = default_stages();
        twice[1].name = "qualified".into();
        assert!(encode_stages(&twice).unwrap_err().contains("two stages"));
        let mut odds = default_stages();
        odds[0].probability = 101;
        assert!(encode_stages(&odds).unwrap_err().contains("0–100"));
    }

    #[test]
    fn amounts_parse_and_format() {
        assert_eq!(parse_amount("12,500"), Ok(1_250_000));
        assert_eq!(parse_amount("12500.5"), Ok(1_250_050));
        assert_eq!(parse_amount("-3.25"), Ok(-325));
        assert!(parse_amount("12.345").is_err());
        assert!(parse_amount("abc").is_err());
        assert!(parse_amount("").is_err());
        assert_eq!(format_amount(1_250_000, "EUR"), "12,500 EUR");
        assert_eq!(format_amount(123_456_789, ""), "1,234,567.89");
        assert_eq!(format_amount(-5, "USD"), "-0.05 USD");
    }

    fn deal(name: &str, stage: &str, status: &str, amount: Option<i64>, close: &str) -> Summary {
        use crate::record::{Field, Record, RecordKind};
        let mut r = Record::create(
            RecordId::new(),
            RecordKind::Deal,
            &crate::ids::UserId("u".into()),
            1,
        );
        r.edit(2, |e| {
            e.set(Field::Name, name)?;
            e.set(Field::DealStage, stage)?;
            e.set(Field::Status, status)?;
            e.set(Field::Currency, "EUR")?;
            e.set(Field::CloseDate, close)?;
            if let Some(a) = amount {
                e.set(Field::Amount, &a.to_string())?;
            }
            Ok(())
        })
        .unwrap();
        r.summary()
    }

    #[test]
    fn board_places_deals_and_sums_per_stage() {
        let stages = default_stages();
        let deals = [
            deal("B", "proposal", "open", Some(10_000), ""),
            deal("A", "proposal", "", Some(30_000), "2026-01-02"),
            deal("Gone", "removed-stage", "open", Some(1_000), ""),
            deal("W", "proposal", "won", Some(5_000), ""),
            deal("L", "qualified", "lost", Some(7_000), ""),
        ];
        let b = board(deals.iter(), &stages);
        let names = |i: usize| {
            b.columns[i]
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(2), ["A", "B"], "dated first");
        assert_eq!(names(0), ["Gone"]);
        assert_eq!(
            placement(&deals[2], &stages),
            Placement::Stage {
                index: 0,
                unknown_stage: true
            }
        );
        assert_eq!(b.totals[2].count, 2);
        assert_eq!(
            b.totals[2].by_currency,
            [("EUR".to_string(), 40_000, 20_000)]
        );
        // An unknown stage has no probability of its own.
        assert_eq!(b.totals[0].by_currency, [("EUR".to_string(), 1_000, 0)]);
        assert_eq!(b.won.by_currency, [("EUR".to_string(), 5_000, 5_000)]);
        assert_eq!((b.lost.count, b.lost.by_currency[0].2), (1, 0));
        assert!(board(deals.iter(), &[]).columns.is_empty());
    }

    #[test]
    fn new_stages_get_unique_ids_and_stages_reorder() {
        let mut stages = default_stages();
        let s = new_stage(&stages, "  Proposal sent ", 60);
        assert_eq!(
            (s.id.as_str(), s.name.as_str()),
            ("proposal-sent", "Proposal sent")
        );
        stages.push(new_stage(&stages, "Demo!", 30));
        assert_eq!(new_stage(&stages, "demo", 1).id, "demo-2");
        assert_eq!(new_stage(&stages, "!!", 1).id, "stage");
        assert!(move_stage(&mut stages, 0, 1));
        assert_eq!(stages[1].id, "qualified");
        assert!(!move_stage(&mut stages, 0, -1));
        let last = stages.len() - 1;
        assert!(!move_stage(&mut stages, last, 1));
        assert!(encode_stages(&stages).is_ok());
    }
}
