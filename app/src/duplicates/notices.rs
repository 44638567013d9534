//! Notices placed on other pages: "Possible duplicate of …" on the create form and record
//! pages, and on a record page what a merge left to look at (changes a teammate made to a
//! merged-away record after the merge, records still linking to it).

use kith_core::duplicates::{Candidate, check};
use kith_core::ids::RecordId;
use kith_core::merge::{self, Edits};
use kith_core::record::{Field, LateChanges, RecordKind};
use leptos::prelude::*;
use leptos_router::components::A;

use super::run_edits;
use crate::records::record_path;
use crate::workspace::{Phase, Workspace};

/// "Possible duplicate of Ana Silva (same email)" with a link, for what is being typed into
/// the create form (or shown on a record page, with `exclude` the record itself). Renders
/// nothing while there is no match.
#[component]
pub fn PossibleDuplicates(
    kind: RecordKind,
    #[prop(into)] name: Signal<String>,
    #[prop(into)] emails: Signal<Vec<String>>,
    #[prop(into, optional)] phones: Signal<Vec<String>>,
    #[prop(into, optional)] company: Signal<Option<RecordId>>,
    /// Company domain.
    #[prop(into, optional)]
    domain: Signal<String>,
    #[prop(optional)] exclude: Option<RecordId>,
    /// Offer a link to the review page (where they can be merged).
    #[prop(optional)]
    review: bool,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let matches = Memo::new(move |_| {
        let candidate = Candidate {
            kind: Some(kind),
            name: name.get(),
            emails: emails
                .get()
                .into_iter()
                .filter(|e| e.contains('@'))
                .collect(),
            phones: phones.get(),
            company_id: company.get(),
            domain: domain.get(),
            exclude: exclude.clone(),
        };
        if candidate.name.trim().is_empty()
            && candidate.emails.is_empty()
            && candidate.phones.is_empty()
            && candidate.domain.trim().is_empty()
        {
            return Vec::new();
        }
        ws.with_directory(|d| check(&candidate, d.of_kind(kind)))
    });
    move || {
        let found = matches.get();
        (!found.is_empty()).then(|| {
            view! {
                <aside class="possible-duplicates" data-testid="possible-duplicates" role="status">
                    <ul>
                        {found
                            .into_iter()
                            .map(|m| {
                                let name = if m.name.is_empty() { "(no name)".to_string() } else { m.name.clone() };
                                view! {
                                    <li data-testid="possible-duplicate">
                                        "Possible duplicate of "
                                        <A href=record_path(kind, &m.id)>{name}</A>
                                        {format!(" ({})", m.reason.short())}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    {review.then(|| view! { <A href="/duplicates">"Review and merge duplicates"</A> })}
                </aside>
            }
        })
    }
}

/// A merged-away record's late changes, as shown.
#[derive(Clone)]
struct Late {
    id: RecordId,
    name: String,
    changes: LateChanges,
}

/// On a record page: "Merged into …" for a merged-away record; on a survivor, the changes
/// teammates made to a merged-away record after the merge ("apply" copies them here) and
/// records still linking to a merged-away record ("move" re-points them). Renders nothing
/// otherwise.
#[component]
pub fn MergeNotice(id: RecordId) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let merged_into = RwSignal::new(None::<(RecordId, RecordKind, String)>);
    let late = RwSignal::new(Vec::<Late>::new());
    let stragglers = RwSignal::new(0usize);
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let merged_ids = RwSignal::new(Vec::<(RecordId, RecordKind)>::new());
    let record_id = StoredValue::new(id);

    Effect::new(move |_| {
        ws.revision.track();
        if ws.phase.get() != Phase::Ready {
            return;
        }
        let id = record_id.get_value();
        leptos::task::spawn_local(async move {
            let Ok(record) = ws.record(&id).await else {
                return;
            };
            let into = record.merged_into().map(|s| {
                let (kind, name) = ws
                    .with_directory(|d| d.get(&s).map(|x| (x.kind, x.name.clone())))
                    .unwrap_or((record.kind(), String::new()));
                (s, kind, name)
            });
            merged_into.try_set(into);
            let mut found = Vec::new();
            let mut ids = Vec::new();
            for other in record.merged_from() {
                let Ok(mut r) = ws.record(&other).await else {
                    continue;
                };
                ids.push((other.clone(), r.kind()));
                if let Some(changes) = r.changes_after_merge() {
                    found.push(Late {
                        id: other,
                        name: r
                            .text(Field::Name)
                            .unwrap_or_else(|| "a merged record".into()),
                        changes,
                    });
                }
            }
            let merged: Vec<RecordId> = ids.iter().map(|(i, _)| i.clone()).collect();
            let pointing = if merged.is_empty() {
                0
            } else {
                ws.with_directory(|d| {
                    merge::related((0..d.len()).map(|i| d.at(i)), &merged)
                        .into_iter()
                        .filter(|s| !s.deleted)
                        .count()
                })
            };
            stragglers.try_set(pointing);
            merged_ids.try_set(ids);
            late.try_set(found);
        });
    });

    let apply = move |entry: Late| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let survivor_id = record_id.get_value();
            let result = match ws.record(&survivor_id).await {
                Ok(survivor) => {
                    let edits =
                        merge::apply_late(&entry.changes, &entry.name, &survivor, &entry.id);
                    run_edits(ws, &edits, None).await
                }
                Err(e) => Err(e),
            };
            busy.try_set(false);
            if let Err(e) = result {
                error.try_set(e.to_string());
            }
        });
    };
    let dismiss = move |entry: Late| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let edits: Edits = vec![(
                entry.id.clone(),
                vec![merge::Op::MergedInto(record_id.get_value())],
            )];
            if let Err(e) = run_edits(ws, &edits, None).await {
                error.try_set(e.to_string());
            }
            busy.try_set(false);
        });
    };
    let move_links = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let survivor = record_id.get_value();
            let merged = merged_ids.get_untracked();
            let edits: Edits = ws.with_directory(|d| {
                let kind = d
                    .get(&survivor)
                    .map(|s| s.kind)
                    .unwrap_or(RecordKind::Person);
                let ids: Vec<RecordId> = merged.iter().map(|(i, _)| i.clone()).collect();
                merge::related((0..d.len()).map(|i| d.at(i)), &ids)
                    .into_iter()
                    .map(|s| (s.id.clone(), merge::relink(s, &survivor, kind, &merged).0))
                    .collect()
            });
            if let Err(e) = run_edits(ws, &edits, None).await {
                error.try_set(e.to_string());
            }
            busy.try_set(false);
        });
    };

    view! {
        {move || merged_into.get().map(|(to, kind, name)| view! {
            <aside class="merge-notice" data-testid="merged-into" role="note">
                "This record was merged into "
                <A href=record_path(kind, &to)>{if name.is_empty() { "another record".to_string() } else { name }}</A>
                "."
            </aside>
        })}
        <For each=move || late.get() key=|l| l.id.clone() let(entry)>
            <section class="merge-notice" data-testid="merged-changes" aria-label=format!("Changes made to {} after it was merged", entry.name)>
                <h2 class="merge-notice__title">{format!("Changes made to {} after it was merged", entry.name)}</h2>
                <LateList changes=entry.changes.clone()/>
                <div class="form-actions">
                    <button
                        type="button"
                        class="button button--small button--primary"
                        data-testid="merged-changes-apply"
                        disabled=move || busy.get() || !ws.writable.get()
                        on:click={
                            let entry = entry.clone();
                            move |_| apply(entry.clone())
                        }
                    >
                        "Apply here"
                    </button>
                    <button
                        type="button"
                        class="button button--small"
                        data-testid="merged-changes-dismiss"
                        disabled=move || busy.get() || !ws.writable.get()
                        on:click={
                            let entry = entry.clone();
                            move |_| dismiss(entry.clone())
                        }
                    >
                        "Ignore"
                    </button>
                </div>
            </section>
        </For>
        {move || (stragglers.get() > 0).then(|| view! {
            <aside class="merge-notice" data-testid="merged-links" role="note">
                {format!(
                    "{} {} still linked to a record merged into this one.",
                    stragglers.get(),
                    if stragglers.get() == 1 { "record is" } else { "records are" }
                )}
                " "
                <button
                    type="button"
                    class="button button--small"
                    data-testid="merged-links-move"
                    disabled=move || busy.get() || !ws.writable.get()
                    on:click=move_links
                >
                    "Link them here"
                </button>
            </aside>
        })}
        <p class="field__error" role="alert" hidden=move || error.read().is_empty()>{move || error.get()}</p>
    }
}

#[component]
fn LateList(changes: LateChanges) -> impl IntoView {
    let mut lines: Vec<String> = changes
        .fields
        .iter()
        .map(|(f, v)| {
            if v.is_empty() {
                format!("{}: cleared", f.label())
            } else {
                format!("{}: {v}", f.label())
            }
        })
        .collect();
    for (label, values) in [
        ("Email", &changes.emails),
        ("Phone", &changes.phones),
        ("Tag", &changes.tags),
    ] {
        lines.extend(values.iter().map(|v| format!("{label} added: {v}")));
    }
    if changes.notes.is_some() {
        lines.push("Notes changed".into());
    }
    let by = changes
        .authors
        .iter()
        .map(|a| crate::account::display_name(a.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <ul class="merge-notice__list">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
        {(!by.is_empty()).then(|| view! { <p class="merge-notice__by">{format!("By {by}")}</p> })}
    }
}

/// The create form's notice, from its fields as typed: one email, one phone, a company name
/// (matched to a company the way the form links it) or a domain.
#[component]
pub fn FormDuplicates(
    kind: RecordKind,
    #[prop(into)] name: Signal<String>,
    #[prop(into)] email: Signal<String>,
    #[prop(into)] phone: Signal<String>,
    #[prop(into)] domain: Signal<String>,
    #[prop(into)] company: Signal<String>,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let company_id = Memo::new(move |_| {
        let typed = company.get();
        if typed.trim().is_empty() {
            return None;
        }
        ws.with_directory(|d| {
            d.find_by_name(RecordKind::Company, &typed)
                .map(|s| s.id.clone())
        })
    });
    let one = |s: Signal<String>| {
        Signal::derive(move || {
            let v = s.get();
            if v.trim().is_empty() {
                Vec::new()
            } else {
                vec![v]
            }
        })
    };
    view! {
        <PossibleDuplicates
            kind
            name
            emails=one(email)
            phones=one(phone)
            company=company_id
            domain
        />
    }
}

/// A person's or company's page: records that look like this one, and what a merge left.
#[component]
pub fn RecordNotices(kind: RecordKind, id: RecordId) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let summary = {
        let id = id.clone();
        Memo::new(move |_| ws.with_directory(|d| d.get(&id).filter(|s| !s.deleted).cloned()))
    };
    let field = move |f: fn(&kith_core::summary::Summary) -> String| {
        Signal::derive(move || summary.with(|s| s.as_ref().map(f).unwrap_or_default()))
    };
    let list = move |f: fn(&kith_core::summary::Summary) -> Vec<String>| {
        Signal::derive(move || summary.with(|s| s.as_ref().map(f).unwrap_or_default()))
    };
    view! {
        <PossibleDuplicates
            kind
            name=field(|s| s.name.clone())
            emails=list(|s| s.emails.clone())
            phones=list(|s| s.phones.clone())
            company=Signal::derive(move || summary.with(|s| s.as_ref().and_then(|s| s.company_id.clone())))
            domain=field(|s| s.domain.clone())
            exclude=id.clone()
            review=true
        />
        <MergeNotice id/>
    }
}
