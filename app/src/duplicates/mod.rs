//! Duplicates: review of likely duplicate records and merging them field by field; the
//! "possible duplicate" notice of the create form and record pages; what happened after a
//! merge on the survivor's page.

mod merge_view;
mod notices;

pub use notices::{FormDuplicates, MergeNotice, PossibleDuplicates, RecordNotices};

use std::collections::HashSet;

use kith_core::directory::Directory;
use kith_core::duplicates::{Detector, Group, Pair, Reason, pair_key};
use kith_core::ids::RecordId;
use kith_core::merge::{Edits, Op, apply};
use kith_core::record::RecordKind;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::{EmptyState, PageHeader};
use crate::records::record_path;
use crate::sync::tasks::{StepClock, next_tick};
use crate::toasts::Toasts;
use crate::workspace::{ActionError, Phase, Workspace};
use merge_view::MergeView;

/// Groups rendered at first and per "Show more" (rendering thousands at once is a long task).
const GROUPS_SHOWN: usize = 50;
/// Companies whose people's names are compared per step of the scan.
const COMPANIES_PER_STEP: usize = 8;

#[derive(Clone, PartialEq)]
enum Scan {
    Running(String),
    Done(Vec<Group>),
    Failed(String),
}

/// `/duplicates`: likely duplicates, grouped, each group mergeable or dismissable.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let scan = RwSignal::new(Scan::Running("Looking for duplicates…".into()));
    let merging = RwSignal::new(None::<Group>);
    let shown = RwSignal::new(GROUPS_SHOWN);
    let run = move || {
        scan.set(Scan::Running("Looking for duplicates…".into()));
        leptos::task::spawn_local(async move {
            let result = find_groups(ws, move |p| {
                scan.try_set(Scan::Running(p));
            })
            .await;
            scan.try_set(match result {
                Ok(groups) => Scan::Done(groups),
                Err(e) => Scan::Failed(e.to_string()),
            });
        });
    };
    // Once the workspace is open; later changes do not rescan by themselves (a list that
    // jumps under the pointer is worse than a "Scan again" button).
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        if ws.phase.get() == Phase::Ready && !started.get_value() {
            started.set_value(true);
            run();
        }
    });
    let remove = move |ids: Vec<RecordId>| {
        scan.update(|s| {
            if let Scan::Done(groups) = s {
                groups.retain(|g| g.ids != ids);
            }
        })
    };
    let restore = move |group: Group| {
        scan.try_update(|s| {
            if let Scan::Done(groups) = s {
                groups.insert(0, group);
            }
        });
    };
    // Made once for the page: toasts' Undo may run after the item that made them is gone.
    let on_close = Callback::new(move |merged: Option<Group>| {
        merging.set(None);
        if let Some(g) = merged {
            remove(g.ids);
        }
    });
    let on_undone = Callback::new(restore);
    let on_merge = Callback::new(move |g| merging.set(Some(g)));
    let on_dismissed = Callback::new(remove);
    let body = move || {
        if let Some(group) = merging.get() {
            return view! {
                <MergeView
                    group
                    on_close
                    on_undone
                />
            }
            .into_any();
        }
        match scan.get() {
            Scan::Running(progress) => view! {
                <p class="duplicates__status" role="status" data-testid="duplicates-progress">{progress}</p>
            }
            .into_any(),
            Scan::Failed(message) => view! {
                <p class="field__error" role="alert">{format!("The scan stopped: {message}")}</p>
            }
            .into_any(),
            Scan::Done(groups) if groups.is_empty() => view! {
                <EmptyState
                    title="No duplicates found"
                    text="People with the same email or phone, or a similar name at the same company, and companies with the same domain or name show up here."
                />
            }
            .into_any(),
            Scan::Done(groups) => {
                let count = groups.len();
                view! {
                    <p class="duplicates__status" role="status">
                        {format!("{count} {} of likely duplicates", if count == 1 { "group" } else { "groups" })}
                    </p>
                    <ul class="duplicates__list" data-testid="duplicate-groups">
                        {groups
                            .into_iter()
                            .take(shown.get())
                            .map(|group| view! {
                                <GroupItem
                                    group
                                    on_merge
                                    on_dismissed
                                    on_undone
                                />
                            })
                            .collect_view()}
                    </ul>
                    {(count > shown.get()).then(|| view! {
                        <button
                            type="button"
                            class="button"
                            data-testid="duplicates-more"
                            on:click=move |_| shown.update(|n| *n += GROUPS_SHOWN)
                        >
                            {format!("Show {} more", (count - shown.get()).min(GROUPS_SHOWN))}
                        </button>
                    })}
                }
                .into_any()
            }
        }
    };
    view! {
        <div class="page duplicates" data-testid="page-duplicates">
            <PageHeader title="Duplicates"/>
            <div class="duplicates__toolbar">
                <p class="duplicates__intro">
                    "Records that look like the same person or company. Merge them, or say they are not duplicates."
                </p>
                <button
                    type="button"
                    class="button button--small"
                    data-testid="duplicates-rescan"
                    disabled=move || matches!(scan.get(), Scan::Running(_)) || merging.with(Option::is_some)
                    on:click=move |_| run()
                >
                    "Scan again"
                </button>
            </div>
            {body}
        </div>
    }
}

/// Detection over the directory in steps of ~12 ms, then the pairs the user dismissed (read
/// from the records of the groups found) left out.
pub async fn find_groups(
    ws: Workspace,
    progress: impl Fn(String),
) -> Result<Vec<Group>, ActionError> {
    // Read outside any view: untracked (the scan is redone by "Scan again", not by changes).
    let total = untrack(|| ws.with_directory(Directory::len));
    let mut detector = Detector::new();
    let mut next = 0;
    while next < total {
        let clock = StepClock::start();
        untrack(|| {
            ws.with_directory(|d| {
                let end = total.min(d.len());
                while next < end {
                    detector.add(d.at(next));
                    next += 1;
                    if next % 64 == 0 && clock.due() {
                        break;
                    }
                }
                // The directory never shrinks; this only guards the loop.
                if end < total {
                    next = total;
                }
            })
        });
        progress(format!("Looking for duplicates… {next} of {total} records"));
        next_tick().await;
    }
    let mut pairs: Vec<Pair> = detector.key_pairs();
    let companies = detector.company_count();
    let mut company = 0;
    while company < companies {
        let clock = StepClock::start();
        while company < companies && !clock.due() {
            let end = (company + COMPANIES_PER_STEP).min(companies);
            pairs.extend(detector.name_pairs(company..end));
            company = end;
        }
        next_tick().await;
    }
    let candidates = detector.groups(&pairs, &HashSet::new());
    let mut dismissed = HashSet::new();
    let members: Vec<RecordId> = candidates.iter().flat_map(|g| g.ids.clone()).collect();
    for (n, id) in members.iter().enumerate() {
        if n % 32 == 0 {
            progress(format!(
                "Checking pairs marked as not duplicates… {n} of {}",
                members.len()
            ));
        }
        // A record that cannot be read simply has no dismissed pairs.
        if let Ok(record) = ws.record(id).await {
            for other in record.not_duplicates() {
                dismissed.insert(pair_key(id, &other));
            }
        }
    }
    Ok(if dismissed.is_empty() {
        candidates
    } else {
        detector.groups(&pairs, &dismissed)
    })
}

/// "Same email ana@acme.example", "Similar name at Acme", …
pub(crate) fn reason_text(reason: &Reason, d: &Directory) -> String {
    reason.describe(|id| d.name_of(id).map(str::to_string))
}

/// Applies `edits` in order, one change per record; on a failure, what was applied is undone
/// with `undo` (aligned with `edits`) and the error returned.
pub(crate) async fn run_edits(
    ws: Workspace,
    edits: &Edits,
    undo: Option<&Edits>,
) -> Result<(), ActionError> {
    for (n, (id, ops)) in edits.iter().enumerate() {
        if ops.is_empty() {
            continue;
        }
        if let Err(e) = ws.edit(id, |e| apply(e, ops)).await {
            if let Some(undo) = undo {
                for (id, ops) in undo[..n].iter().rev() {
                    let _ = ws.edit(id, |e| apply(e, ops)).await;
                }
            }
            return Err(e);
        }
    }
    Ok(())
}

#[component]
fn GroupItem(
    group: Group,
    on_merge: Callback<Group>,
    on_dismissed: Callback<Vec<RecordId>>,
    on_undone: Callback<Group>,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let reasons = {
        let reasons = group.reasons.clone();
        move || {
            ws.with_directory(|d| {
                reasons
                    .iter()
                    .map(|r| reason_text(r, d))
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
        }
    };
    let noun = match group.kind {
        RecordKind::Company => "companies",
        _ => "people",
    };
    let members = group
        .ids
        .iter()
        .cloned()
        .map(|id| {
            let href = record_path(group.kind, &id);
            let line = move || {
                ws.with_directory(|d| {
                    d.get(&id).map(|s| {
                        let name = if s.name.is_empty() {
                            "(no name)".to_string()
                        } else {
                            s.name.clone()
                        };
                        let company = s
                            .company_id
                            .as_ref()
                            .and_then(|c| d.name_of(c))
                            .unwrap_or_default();
                        let detail = [
                            s.primary_email().unwrap_or_default(),
                            s.primary_phone().unwrap_or_default(),
                            company,
                            &s.domain,
                        ]
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ");
                        (name, detail)
                    })
                })
            };
            view! {
                <li class="duplicate-group__member">
                    {move || line().map(|(name, detail)| view! {
                        <A href=href.clone()>{name}</A>
                        <span class="duplicate-group__detail">{detail}</span>
                    })}
                </li>
            }
        })
        .collect_view();
    let dismiss = {
        let group = group.clone();
        move |_| {
            let group = group.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let (edits, undo) = dismiss_edits(&group.ids);
                let result = run_edits(ws, &edits, Some(&undo)).await;
                busy.try_set(false);
                match result {
                    Ok(()) => {
                        on_dismissed.run(group.ids.clone());
                        toasts.show_with_undo("Marked as not duplicates".into(), move || {
                            let (undo, group) = (undo.clone(), group.clone());
                            leptos::task::spawn_local(async move {
                                if run_edits(ws, &undo, None).await.is_ok() {
                                    let _ = on_undone.try_run(group);
                                }
                            });
                        });
                    }
                    Err(e) => {
                        error.try_set(e.to_string());
                    }
                }
            });
        }
    };
    let merge_group = group.clone();
    view! {
        <li class="duplicate-group" data-testid="duplicate-group">
            <p class="duplicate-group__reason" data-testid="duplicate-reason">{reasons}</p>
            <ul class="duplicate-group__members" aria-label=format!("Possibly the same {noun}")>{members}</ul>
            <div class="duplicate-group__actions">
                <button
                    type="button"
                    class="button button--small button--primary"
                    data-testid="duplicate-merge"
                    disabled=move || busy.get() || !ws.writable.get()
                    on:click=move |_| on_merge.run(merge_group.clone())
                >
                    "Merge…"
                </button>
                <button
                    type="button"
                    class="button button--small"
                    data-testid="duplicate-dismiss"
                    disabled=move || busy.get() || !ws.writable.get()
                    on:click=dismiss
                >
                    "Not duplicates"
                </button>
            </div>
            <p class="field__error" role="alert" hidden=move || error.read().is_empty()>{move || error.get()}</p>
        </li>
    }
}

/// Every pair of `ids` marked as not duplicates, on both records (so either one read tells),
/// and the inverse.
fn dismiss_edits(ids: &[RecordId]) -> (Edits, Edits) {
    let mut edits = Vec::new();
    let mut undo = Vec::new();
    for id in ids {
        let others: Vec<&RecordId> = ids.iter().filter(|o| *o != id).collect();
        edits.push((
            id.clone(),
            others
                .iter()
                .map(|o| Op::DismissDuplicate((*o).clone()))
                .collect(),
        ));
        undo.push((
            id.clone(),
            others
                .iter()
                .map(|o| Op::UndismissDuplicate((*o).clone()))
                .collect(),
        ));
    }
    (edits, undo)
}
