//! Bulk actions on the selected rows: tag, untag, owner, stage/status, delete (with Undo).
//! Each record gets its own change (so it syncs and merges); writes go in chunks with
//! progress shown (see `Workspace::edit_many`).

use std::collections::BTreeSet;
use std::sync::Arc;

use kith_core::ids::RecordId;
use kith_core::record::{
    DealStatus, Edit, Field, LifecycleStage, RecordError, RecordKind, TaskStatus,
};
use leptos::prelude::*;

use super::{ListState, thousands};
use crate::toasts::Toasts;
use crate::workspace::Workspace;

/// A stage or status menu: the field it sets, its label, its (stored, label) choices.
type StageMenu = (Field, &'static str, Vec<(&'static str, &'static str)>);

type Change = Arc<dyn Fn(&mut Edit<'_>) -> Result<(), RecordError> + Send + Sync>;

#[component]
pub fn BulkBar(state: ListState) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let kind = state.kind;
    let count = Memo::new(move |_| state.selected.with(|s| s.len()));
    let tag = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<(usize, usize)>);
    let confirm = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    let selected_ids = move || -> Vec<RecordId> {
        let hits = state.hits.get_untracked();
        state.selected.with_untracked(|sel| {
            ws.with_directory(|d| {
                hits.iter()
                    .filter(|i| sel.contains(i))
                    .map(|&i| d.at(i).id.clone())
                    .collect()
            })
        })
    };
    // Runs one change over the selection; `done` gets the ids that were changed.
    let run = move |what: String,
                    change: Change,
                    done: Option<Arc<dyn Fn(Vec<RecordId>) + Send + Sync>>| {
        let ids = selected_ids();
        if ids.is_empty() || progress.get_untracked().is_some() {
            return;
        }
        error.set(None);
        progress.set(Some((0, ids.len())));
        leptos::task::spawn_local(async move {
            let outcome = ws
                .edit_many(
                    ids.clone(),
                    |e| change(e),
                    move |done, total| progress.set(Some((done, total))),
                )
                .await;
            progress.set(None);
            match outcome {
                Ok(outcome) => {
                    let mut message = format!("{what}: {} changed", thousands(outcome.changed));
                    if !outcome.skipped.is_empty() {
                        message.push_str(&format!(
                            ", {} left as they were ({})",
                            outcome.skipped.len(),
                            outcome.skipped[0]
                        ));
                    }
                    match done {
                        Some(done) => toasts.show_with_undo(message, move || done(ids.clone())),
                        None => toasts.show(message),
                    }
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    let add_tag = move |_| {
        let t = tag.get_untracked().trim().to_string();
        if t.is_empty() {
            error.set(Some("Type the tag to add.".into()));
            return;
        }
        run(
            format!("Tag “{t}” added"),
            Arc::new(move |e: &mut Edit<'_>| e.add_tag(&t)),
            None,
        );
    };
    let remove_tag = move |_| {
        let t = tag.get_untracked().trim().to_string();
        if t.is_empty() {
            error.set(Some("Type the tag to remove.".into()));
            return;
        }
        run(
            format!("Tag “{t}” removed"),
            Arc::new(move |e: &mut Edit<'_>| e.remove_tag(&t)),
            None,
        );
    };
    let set_field = move |field: Field, value: String, label: String| {
        run(
            label,
            Arc::new(move |e: &mut Edit<'_>| e.set(field, &value)),
            None,
        );
    };
    let delete = move |_| {
        confirm.set(false);
        let restore: Arc<dyn Fn(Vec<RecordId>) + Send + Sync> = Arc::new(move |ids| {
            leptos::task::spawn_local(async move {
                let _ = ws.edit_many(ids, |e| e.restore(), |_, _| {}).await;
            });
        });
        run(
            "Deleted".into(),
            Arc::new(|e: &mut Edit<'_>| e.delete()),
            Some(restore),
        );
    };

    // Me, the workspace's members, then anyone else who owns a record of this kind now.
    let owners = Memo::new(move |_| {
        let mut out = crate::deals::owner_choices(&crate::tasks::Me::of(ws), "");
        let others = ws.with_directory(|d| {
            d.of_kind(kind)
                .filter(|s| !s.owner.is_empty())
                .map(|s| s.owner.clone())
                .collect::<BTreeSet<_>>()
        });
        for other in others {
            if !out.iter().any(|(id, _)| *id == other) {
                let name = crate::account::display_name(&other);
                out.push((other, name));
            }
        }
        out
    });
    let stage_choices: Option<StageMenu> = match kind {
        RecordKind::Person | RecordKind::Company => Some((
            Field::Stage,
            "Set stage",
            LifecycleStage::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect(),
        )),
        RecordKind::Deal => Some((
            Field::Status,
            "Set status",
            DealStatus::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect(),
        )),
        RecordKind::Task => Some((
            Field::Status,
            "Set status",
            TaskStatus::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect(),
        )),
        _ => None,
    };
    let tag_id = format!("bulk-tag-{}", kind.as_str());

    view! {
        <div class="bulk-bar" role="region" aria-label="Bulk actions" data-testid="bulk-bar" hidden=move || count.get() == 0>
            <strong class="bulk-bar__count" data-testid="bulk-count">{move || format!("{} selected", thousands(count.get()))}</strong>
            <button type="button" class="button button--small" data-testid="bulk-clear" on:click=move |_| state.selected.set(Default::default())>"Clear"</button>
            <span class="bulk-bar__group">
                <label class="visually-hidden" for=tag_id.clone()>"Tag"</label>
                <input class="input input--small" id=tag_id type="text" placeholder="Tag" autocomplete="off" data-testid="bulk-tag-input"
                    prop:value=tag on:input=move |ev| tag.set(event_target_value(&ev))/>
                <button type="button" class="button button--small" data-testid="bulk-tag" on:click=add_tag>"Add tag"</button>
                <button type="button" class="button button--small" data-testid="bulk-untag" on:click=remove_tag>"Remove tag"</button>
            </span>
            <select class="input input--small" data-testid="bulk-owner" aria-label="Set owner"
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if v == "-" { return; }
                    let owner = if v == "me" { super::me(ws) } else { v };
                    let label = if owner.is_empty() { "Owner cleared".to_string() } else { format!("Owner set to {}", crate::account::display_name(&owner)) };
                    set_field(Field::Owner, owner, label);
                    reset(&ev, "-");
                }>
                <option value="-">"Set owner…"</option>
                {move || owners.get().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                <option value="">"Nobody"</option>
            </select>
            {stage_choices.map(|(field, label, options)| view! {
                <select class="input input--small" data-testid="bulk-stage" aria-label=label
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if v.is_empty() { return; }
                        set_field(field, v.clone(), format!("{label}: {v}"));
                        reset(&ev, "");
                    }>
                    <option value="">{format!("{label}…")}</option>
                    {options.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            })}
            <button type="button" class="button button--small button--danger" data-testid="bulk-delete"
                hidden=move || confirm.get() on:click=move |_| confirm.set(true)>"Delete…"</button>
            <span class="bulk-bar__confirm" role="alert" hidden=move || !confirm.get()>
                {move || format!("Delete {} records?", thousands(count.get()))}
                <button type="button" class="button button--small button--danger" data-testid="bulk-delete-confirm" on:click=delete>"Delete"</button>
                <button type="button" class="button button--small" on:click=move |_| confirm.set(false)>"Cancel"</button>
            </span>
            <span class="bulk-bar__progress" role="status" data-testid="bulk-progress" hidden=move || progress.get().is_none()>
                {move || progress.get().map(|(done, total)| format!("Saving {} of {}…", thousands(done), thousands(total)))}
            </span>
            <span class="field-error" role="alert" hidden=move || error.with(|e| e.is_none())>{move || error.get()}</span>
        </div>
    }
}

/// Puts an action menu back on its prompt once its choice was applied.
fn reset(ev: &leptos::ev::Event, value: &str) {
    if let Some(target) = ev.target() {
        let _ = js_sys::Reflect::set(&target, &"value".into(), &value.into());
    }
}
