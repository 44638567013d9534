//! The merge view: a table of fields × records where the user picks each field's value and
//! which record is kept, a preview of the result, and the merge with an Undo.

use std::collections::BTreeMap;

use kith_core::duplicates::Group;
use kith_core::merge::{self, MergePlan};
use kith_core::record::{Channel, Field, Record, RecordKind};
use leptos::prelude::*;

use super::run_edits;
use crate::toasts::Toasts;
use crate::workspace::{Workspace, now_ms};

#[component]
pub(super) fn MergeView(
    group: Group,
    /// Called with the merged group, or `None` when cancelled.
    on_close: Callback<Option<Group>>,
    /// Called when a merge made here was undone.
    on_undone: Callback<Group>,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let records = RwSignal::new_local(Vec::<Record>::new());
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let survivor = RwSignal::new(0usize);
    let choices = RwSignal::new(BTreeMap::<Field, usize>::new());

    let ids = group.ids.clone();
    leptos::task::spawn_local(async move {
        let mut loaded = Vec::new();
        for id in &ids {
            match ws.record(id).await {
                Ok(r) => loaded.push(r),
                Err(e) => {
                    error.try_set(format!("A record of this group cannot be read: {e}"));
                    return;
                }
            }
        }
        choices.try_set(merge::default_choices(&loaded.iter().collect::<Vec<_>>()));
        records.try_set(loaded);
    });

    let kind = group.kind;
    // Rows: fields at least one record has.
    let rows = Memo::new(move |_| {
        records.with(|rs| {
            merge::fields(kind)
                .into_iter()
                .filter(|f| rs.iter().any(|r| r.text(*f).is_some()))
                .collect::<Vec<_>>()
        })
    });
    let shown = move |field: Field, value: Option<String>| -> String {
        let value = value.unwrap_or_default();
        if value.is_empty() {
            return "—".into();
        }
        match field {
            Field::CompanyId => kith_core::ids::RecordId::parse(&value)
                .ok()
                .and_then(|id| ws.with_directory(|d| d.name_of(&id).map(str::to_string)))
                .unwrap_or(value),
            Field::Owner => crate::account::display_name(&value),
            Field::Stage => kith_core::record::LifecycleStage::parse(&value)
                .map(|s| s.label().to_string())
                .unwrap_or(value),
            _ => value,
        }
    };
    let related_count = {
        let ids = group.ids.clone();
        move || {
            let others: Vec<_> = ids
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != survivor.get())
                .map(|(_, id)| id.clone())
                .collect();
            ws.with_directory(|d| merge::related((0..d.len()).map(|i| d.at(i)), &others).len())
        }
    };

    let header = move || {
        records.with(|rs| {
            rs.iter()
                .enumerate()
                .map(|(i, r)| {
                    let name = r.text(Field::Name).unwrap_or_else(|| "(no name)".into());
                    let id = format!("merge-survivor-{i}");
                    let label_for = id.clone();
                    view! {
                        <th scope="col">
                            <span class="merge__record-name">{name}</span>
                            <label class="merge__keep" for=label_for>
                                <input
                                    type="radio"
                                    id=id
                                    name="merge-survivor"
                                    data-testid="merge-survivor"
                                    value=i.to_string()
                                    prop:checked=move || survivor.get() == i
                                    on:change=move |_| survivor.set(i)
                                />
                                "Keep this record"
                            </label>
                        </th>
                    }
                })
                .collect_view()
        })
    };
    let field_rows = move || {
        rows.get()
            .into_iter()
            .map(|field| {
                let key = field.key();
                let cells = records.with(|rs| {
                    rs.iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let id = format!("merge-{key}-{i}");
                            let label_for = id.clone();
                            let text = shown(field, r.text(field));
                            view! {
                                <td>
                                    <label class="merge__pick" for=label_for>
                                        <input
                                            type="radio"
                                            id=id
                                            name=format!("merge-{key}")
                                            data-testid=format!("merge-pick-{key}")
                                            value=i.to_string()
                                            prop:checked=move || choices.with(|c| c.get(&field).copied().unwrap_or(0) == i)
                                            on:change=move |_| choices.update(|c| { c.insert(field, i); })
                                        />
                                        <span>{text}</span>
                                    </label>
                                </td>
                            }
                        })
                        .collect_view()
                });
                let result = move || {
                    let pick = choices.with(|c| c.get(&field).copied().unwrap_or(0));
                    records.with(|rs| shown(field, rs.get(pick).and_then(|r| r.text(field))))
                };
                view! {
                    <tr data-testid=format!("merge-row-{key}")>
                        <th scope="row">{field.label()}</th>
                        {cells}
                        <td class="merge__result">{result}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    // Channels, tags and notes are kept from every record.
    let union_rows = move || {
        let lists: [(&'static str, Values, Option<Channel>); 3] = [
            (
                "Emails",
                |r| values_of(r, Channel::Email),
                Some(Channel::Email),
            ),
            (
                "Phones",
                |r| values_of(r, Channel::Phone),
                Some(Channel::Phone),
            ),
            ("Tags", Record::tags, None),
        ];
        lists
            .into_iter()
            .map(|(label, values, channel)| {
                // The same value once, as the merge itself keeps it.
                let key = move |v: &str| match channel {
                    Some(c) => kith_core::merge::channel_key(c, v),
                    None => v.to_lowercase(),
                };
                let (cells, all) = records.with(|rs| {
                    let per: Vec<Vec<String>> = rs.iter().map(values).collect();
                    let mut all: Vec<String> = Vec::new();
                    let mut seen = std::collections::HashSet::new();
                    for v in per.iter().flatten() {
                        if seen.insert(key(v)) {
                            all.push(v.clone());
                        }
                    }
                    (per, all)
                });
                if all.is_empty() {
                    return None;
                }
                Some(view! {
                    <tr>
                        <th scope="row">{label}</th>
                        {cells.into_iter().map(|v| view! { <td>{if v.is_empty() { "—".to_string() } else { v.join(", ") }}</td> }).collect_view()}
                        <td class="merge__result">{all.join(", ")}</td>
                    </tr>
                })
            })
            .collect_view()
    };
    let notes_note = move || {
        let n = records.with(|rs| rs.iter().filter(|r| !r.notes().trim().is_empty()).count());
        (n > 1).then_some("Notes of every record are kept, one after the other, each under a line naming where it came from.")
    };

    let confirm = {
        let group = group.clone();
        move |_| {
            if busy.get_untracked() {
                return;
            }
            let s = survivor.get_untracked();
            let plan: Option<MergePlan> = records.with_untracked(|rs| {
                if rs.len() < 2 {
                    return None;
                }
                // The survivor first; choices re-indexed to that order.
                let mut order: Vec<usize> = vec![s];
                order.extend((0..rs.len()).filter(|i| *i != s));
                let ordered: Vec<&Record> = order.iter().map(|&i| &rs[i]).collect();
                let picks: BTreeMap<Field, usize> = choices
                    .get_untracked()
                    .into_iter()
                    .map(|(f, i)| (f, order.iter().position(|&o| o == i).unwrap_or(0)))
                    .collect();
                let merged: Vec<_> = ordered[1..].iter().map(|r| r.id().clone()).collect();
                Some(ws.with_directory(|d| {
                    let related = merge::related((0..d.len()).map(|i| d.at(i)), &merged);
                    merge::plan(&ordered, &picks, &related, now_ms())
                }))
            });
            let Some(plan) = plan else { return };
            let name = records.with_untracked(|rs| {
                rs[s]
                    .text(Field::Name)
                    .unwrap_or_else(|| "the kept record".into())
            });
            busy.set(true);
            error.set(String::new());
            let group = group.clone();
            leptos::task::spawn_local(async move {
                let result = run_edits(ws, &plan.edits, Some(&plan.undo)).await;
                busy.try_set(false);
                match result {
                    Ok(()) => {
                        let undo = plan.undo.clone();
                        let undone = group.clone();
                        toasts.show_with_undo(format!("Merged into {name}"), move || {
                            let (undo, group) = (undo.clone(), undone.clone());
                            leptos::task::spawn_local(async move {
                                if run_edits(ws, &undo, None).await.is_ok() {
                                    let _ = on_undone.try_run(group);
                                }
                            });
                        });
                        on_close.run(Some(group));
                    }
                    Err(e) => {
                        error.try_set(format!("Nothing was merged: {e}"));
                    }
                }
            });
        }
    };

    let title = match kind {
        RecordKind::Company => "Merge companies",
        _ => "Merge people",
    };
    view! {
        <section class="merge" data-testid="merge-view" aria-labelledby="merge-title">
            <h2 id="merge-title" class="merge__title">{title}</h2>
            <p class="merge__help">
                "Pick the value to keep for each field and which record stays. Emails, phones, tags, notes and links of every record are kept; the others are deleted and everything linked to them moves to the kept record."
            </p>
            <div class="merge__scroll">
                <table class="merge__table">
                    <thead>
                        <tr>
                            <th scope="col">"Field"</th>
                            {header}
                            <th scope="col">"Result"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {field_rows}
                        {union_rows}
                    </tbody>
                </table>
            </div>
            <p class="merge__preview" data-testid="merge-preview">
                {notes_note}
                " "
                {move || {
                    let n = related_count();
                    if n == 0 { String::new() } else {
                        format!("{n} linked {} will point to the kept record.", if n == 1 { "record" } else { "records" })
                    }
                }}
            </p>
            <p class="field__error" role="alert" data-testid="merge-error" hidden=move || error.read().is_empty()>{move || error.get()}</p>
            <div class="form-actions">
                <button
                    type="button"
                    class="button button--primary"
                    data-testid="merge-confirm"
                    disabled=move || busy.get() || records.with(|r| r.len() < 2) || !ws.writable.get()
                    on:click=confirm
                >
                    {move || format!("Merge {} records", group.ids.len())}
                </button>
                <button
                    type="button"
                    class="button"
                    data-testid="merge-cancel"
                    disabled=move || busy.get()
                    on:click=move |_| on_close.run(None)
                >
                    "Cancel"
                </button>
            </div>
        </section>
    }
}

/// The values of one kept-from-every-record list (emails, phones, tags).
type Values = fn(&Record) -> Vec<String>;

fn values_of(r: &Record, channel: Channel) -> Vec<String> {
    r.channel(channel).into_iter().map(|e| e.value).collect()
}
