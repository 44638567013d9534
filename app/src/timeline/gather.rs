//! What a record's timeline holds: its activities and tasks (for a company also its people's
//! and deals', for a deal also its people's) and its own changes, newest first.

use std::collections::HashSet;

use kith_core::directory::Directory;
use kith_core::ids::RecordId;
use kith_core::record::{HistoryEntry, RecordKind};
use kith_core::summary::Summary;

use crate::tasks::{Linked, linked};

/// The change filling a new record in, this soon after it was created, is part of creating it.
const CREATION_FOLD_MS: i64 = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Interactions,
    Tasks,
    Changes,
}

impl Filter {
    pub fn key(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Interactions => "interactions",
            Self::Tasks => "tasks",
            Self::Changes => "changes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Interactions => "Interactions",
            Self::Tasks => "Tasks",
            Self::Changes => "Changes",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// With the other records it links to.
    Activity(Summary, Vec<Linked>),
    Task(Summary, Vec<Linked>),
    Change(HistoryEntry),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// When it happened (a task: when it is due, else when it was created).
    pub at: i64,
    pub entry: Entry,
}

/// The records whose activities and tasks show on `id`'s timeline, `id` included.
fn related(d: &Directory, id: &RecordId) -> HashSet<RecordId> {
    let mut out = HashSet::from([id.clone()]);
    let Some(me) = d.get(id) else {
        return out;
    };
    match me.kind {
        RecordKind::Company => {
            out.extend(d.people_of(id).into_iter().map(|p| p.id.clone()));
            out.extend(
                (0..d.len())
                    .map(|i| d.at(i))
                    .filter(|s| {
                        s.kind == RecordKind::Deal
                            && !s.deleted
                            && (s.company_id.as_ref() == Some(id) || s.links.contains(id))
                    })
                    .map(|s| s.id.clone()),
            );
        }
        RecordKind::Deal => out.extend(
            me.links
                .iter()
                .filter(|l| d.get(l).is_some_and(|s| s.kind == RecordKind::Person))
                .cloned(),
        ),
        _ => {}
    }
    out
}

/// The timeline of record `id`, newest first; `history` is the record's own changes.
pub fn items(d: &Directory, id: &RecordId, history: &[HistoryEntry], filter: Filter) -> Vec<Item> {
    let related = related(d, id);
    let own_links: Vec<RecordId> = d.get(id).map(|s| s.links.clone()).unwrap_or_default();
    let mut out: Vec<Item> = Vec::new();
    if filter != Filter::Changes {
        for i in 0..d.len() {
            let s = d.at(i);
            let wanted = match s.kind {
                RecordKind::Activity => filter != Filter::Tasks,
                RecordKind::Task => filter != Filter::Interactions,
                _ => false,
            };
            if !wanted
                || s.deleted
                || !(s.links.iter().any(|l| related.contains(l)) || own_links.contains(&s.id))
            {
                continue;
            }
            let others = linked(d, s, Some(id));
            let at = s.due_at.unwrap_or(s.created_at);
            let entry = if s.kind == RecordKind::Task {
                Entry::Task(s.clone(), others)
            } else {
                Entry::Activity(s.clone(), others)
            };
            out.push(Item { at, entry });
        }
    }
    if matches!(filter, Filter::All | Filter::Changes) {
        // A record is created and then filled in (two changes): show them as one.
        let fill = history.iter().position(|h| h.created).and_then(|i| {
            let (created, fill) = (&history[i], history.get(i.checked_sub(1)?)?);
            (fill.author == created.author && fill.at - created.at < CREATION_FOLD_MS)
                .then_some(i - 1)
        });
        out.extend(
            history
                .iter()
                .enumerate()
                .filter(|(i, h)| (h.created || !h.what.is_empty()) && Some(*i) != fill)
                .map(|(_, h)| h)
                .map(|h| Item {
                    at: h.at,
                    entry: Entry::Change(h.clone()),
                }),
        );
    }
    out.sort_by_key(|item| std::cmp::Reverse(item.at));
    out
}
