//! Pure rules for tasks: which group a task falls in, whose it is, how far away its due time
//! is, which reminders are due. No browser and no Leptos here: `app/tests/timeline.rs`
//! includes this file to unit-test it.

use std::collections::HashMap;

/// Reminders remembered at most (the newest due times are kept).
pub const MAX_REMEMBERED: usize = 500;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Where a task shows in My tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Overdue,
    Today,
    Upcoming,
    NoDue,
    Done,
}

/// The group of a task. `today_end` is the first millisecond of tomorrow, local time.
pub fn group(done: bool, due_at: Option<i64>, now: i64, today_end: i64) -> Group {
    match due_at {
        _ if done => Group::Done,
        None => Group::NoDue,
        Some(due) if due < now => Group::Overdue,
        Some(due) if due < today_end => Group::Today,
        Some(_) => Group::Upcoming,
    }
}

/// Whether a task assigned to `owner` (a user id, empty when unassigned) is the user's.
/// In a local workspace everything unassigned is the only user's.
pub fn is_mine(owner: &str, me: Option<&str>, local: bool) -> bool {
    if owner.is_empty() {
        local
    } else {
        me == Some(owner)
    }
}

/// The tasks (id, due time) whose due time came after `last_check` and by `now`, except those
/// already reminded of for that same due time. A task moved to a new due time is reminded again.
pub fn due_reminders<'a>(
    tasks: impl IntoIterator<Item = (&'a str, i64)>,
    last_check: i64,
    now: i64,
    reminded: &HashMap<String, i64>,
) -> Vec<&'a str> {
    tasks
        .into_iter()
        .filter(|(id, due)| {
            *due > last_check && *due <= now && reminded.get(*id).is_none_or(|r| r != due)
        })
        .map(|(id, _)| id)
        .collect()
}

/// How long to wait (ms) for the next due time after `now`, when it comes before the regular
/// check `every` ms from now.
pub fn next_wait(dues: impl IntoIterator<Item = i64>, now: i64, every: i64) -> Option<i64> {
    dues.into_iter()
        .filter(|due| *due > now)
        .min()
        .map(|due| due - now)
        .filter(|wait| *wait < every)
}

/// Notes that task `id` was reminded of for `due`, keeping at most [`MAX_REMEMBERED`] entries.
pub fn remember(reminded: &mut HashMap<String, i64>, id: &str, due: i64) {
    reminded.insert(id.to_owned(), due);
    if reminded.len() > MAX_REMEMBERED {
        let mut dues: Vec<i64> = reminded.values().copied().collect();
        dues.sort_unstable();
        let cut = dues[reminded.len() - MAX_REMEMBERED];
        reminded.retain(|_, d| *d >= cut);
    }
}

/// How far `at` is from `now` in words ("in 5 min", "3 h ago", "in 2 days"), or `None` past a
/// week (the caller shows a date).
pub fn relative(at: i64, now: i64) -> Option<String> {
    let delta = at - now;
    let ahead = delta >= 0;
    let span = delta.abs();
    let words = if span < MINUTE {
        return Some("now".into());
    } else if span < HOUR {
        format!("{} min", span / MINUTE)
    } else if span < DAY {
        format!("{} h", span / HOUR)
    } else if span < 7 * DAY {
        match span / DAY {
            1 => "1 day".into(),
            n => format!("{n} days"),
        }
    } else {
        return None;
    };
    Some(if ahead {
        format!("in {words}")
    } else {
        format!("{words} ago")
    })
}
