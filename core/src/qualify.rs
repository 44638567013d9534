//! Lead qualification (BANT): four answers make a score; a lead at or above
//! [`QUALIFIED_SCORE`] is ready to convert.

use crate::record::{Answer, Field};

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

#[cfg(test)]
mod tests {
    use super::*;

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
