//! Lead qualification (BANT): four answers make a score; a lead at or above
//! [`QUALIFIED_SCORE`] is ready to convert.

use crate::directory::Directory;
use crate::record::{Answer, Field, LifecycleStage, RecordKind};
use crate::summary::Summary;

/// The criteria, in the order a form asks them.
pub const CRITERIA: [Field; 4] = [
    Field::Budget,
    Field::Authority,
    Field::Need,
    Field::Timeline,
];

pub const QUALIFIED_SCORE: u8 = 75;

/// 0–100: each criterion weighs a quarter; "partly" counts half. `None` while nothing is
/// answered, so an unqualified record is not shown as scoring 0.
pub fn score(answers: [Option<Answer>; 4]) -> Option<u8> {
    if answers
        .iter()
        .all(|a| matches!(a, None | Some(Answer::Unknown)))
    {
        return None;
    }
    let points: u32 = answers
        .iter()
        .map(|a| match a {
            Some(Answer::Yes) => 2,
            Some(Answer::Partly) => 1,
            _ => 0,
        })
        .sum();
    Some(u8::try_from(points * 100 / 8).expect("at most 100"))
}

pub fn is_qualified(score: Option<u8>) -> bool {
    score.is_some_and(|s| s >= QUALIFIED_SCORE)
}

/// A live person or company at stage Lead or Prospect.
pub fn is_lead(s: &Summary) -> bool {
    matches!(s.kind, RecordKind::Person | RecordKind::Company)
        && !s.deleted
        && matches!(
            s.stage,
            Some(LifecycleStage::Lead | LifecycleStage::Prospect)
        )
}

/// Directory indexes of every lead, best score first (unscored last), then the latest
/// updated; ties by id, so every device shows the same order.
pub fn leads(d: &Directory) -> Vec<usize> {
    let mut leads: Vec<usize> = (0..d.len()).filter(|&i| is_lead(d.at(i))).collect();
    leads.sort_by(|&a, &b| {
        let (a, b) = (d.at(a), d.at(b));
        b.score
            .cmp(&a.score)
            .then(b.updated_at.cmp(&a.updated_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    leads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RecordId, UserId};
    use crate::record::Record;

    fn record(kind: RecordKind, name: &str, at: i64, fill: &[(Field, &str)]) -> Summary {
        let mut r = Record::create(RecordId::new(), kind, &UserId("u".into()), at);
        r.edit(at, |e| {
            e.set(Field::Name, name)?;
            fill.iter().try_for_each(|(f, v)| e.set(*f, v))
        })
        .unwrap();
        r.summary()
    }

    #[test]
    fn leads_are_people_and_companies_in_lead_or_prospect_best_score_first() {
        let lead = |name, at, answers: &[(Field, &'static str)]| {
            let mut fill = vec![(Field::Stage, "lead")];
            fill.extend_from_slice(answers);
            record(RecordKind::Person, name, at, &fill)
        };
        let yes = [(Field::Budget, "yes"), (Field::Need, "yes")];
        let d = Directory::from_summaries([
            lead("unscored, newest", 50, &[]),
            lead("scored 50", 10, &yes),
            record(
                RecordKind::Company,
                "prospect co",
                20,
                &[(Field::Stage, "prospect"), (Field::Budget, "yes")],
            ),
            lead("unscored, older", 40, &[]),
            record(
                RecordKind::Person,
                "customer",
                60,
                &[(Field::Stage, "customer")],
            ),
            record(RecordKind::Person, "no stage", 70, &[]),
            record(RecordKind::Deal, "deal", 80, &[]),
        ]);
        let names: Vec<&str> = leads(&d)
            .into_iter()
            .map(|i| d.at(i).name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "scored 50",
                "prospect co",
                "unscored, newest",
                "unscored, older"
            ]
        );
    }

    #[test]
    fn scores() {
        assert_eq!(score([None; 4]), None);
        assert_eq!(score([Some(Answer::Unknown); 4]), None);
        assert_eq!(score([Some(Answer::Yes); 4]), Some(100));
        assert_eq!(
            score([
                Some(Answer::Yes),
                Some(Answer::Yes),
                Some(Answer::Partly),
                None
            ]),
            Some(62)
        );
        assert!(is_qualified(score([
            Some(Answer::Yes),
            Some(Answer::Yes),
            Some(Answer::Yes),
            Some(Answer::No)
        ])));
        assert!(!is_qualified(None));
    }
}
