//! `/settings/pipelines`: pipelines and their ordered stages. The default pipeline exists
//! virtually until its first edit creates its record (with its well-known id). Removing a
//! stage or a pipeline that still holds deals first asks where they go, and moves them.

use kith_core::ids::RecordId;
use kith_core::pipeline::{
    PipelineStage, default_pipeline_id, default_stages, encode_stages, move_stage, new_stage,
};
use kith_core::record::{DealStatus, Field, RecordKind};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{Pipeline, pipeline_for, pipelines};
use crate::pages::PageHeader;
use crate::workspace::Workspace;

#[component]
pub fn PipelineSettings() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let all = Memo::new(move |_| pipelines(ws));
    let new_name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked();
        if name.trim().is_empty() {
            return error.set(Some("Give the pipeline a name.".into()));
        }
        let json = encode_stages(&default_stages()).unwrap_or_default();
        leptos::task::spawn_local(async move {
            match ws
                .create(RecordKind::Pipeline, move |e| {
                    e.set(Field::Name, &name)?;
                    e.set(Field::Stages, &json)
                })
                .await
            {
                Ok(_) => {
                    error.set(None);
                    new_name.set(String::new());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let ids = move || all.get().into_iter().map(|p| p.id).collect::<Vec<_>>();
    view! {
        <div class="page page--narrow" data-testid="page-pipelines">
            <nav class="breadcrumb" aria-label="Breadcrumb"><A href="/settings">"← Settings"</A></nav>
            <PageHeader title="Pipelines"/>
            <p class="muted">"Each pipeline is a board of ordered stages. A stage's probability weighs its deals in the board's weighted totals."</p>
            <For each=ids key=|id| id.clone() let(id)>
                <PipelineEditor id all/>
            </For>
            <form class="card inline-form" on:submit=add>
                <label class="visually-hidden" for="pipeline-new-name">"New pipeline's name"</label>
                <input id="pipeline-new-name" class="input" placeholder="New pipeline, e.g. Renewals" data-testid="pipeline-new-name"
                    prop:value=new_name on:input=move |ev| new_name.set(event_target_value(&ev))/>
                <button type="submit" class="button button--primary" data-testid="pipeline-add">"Add pipeline"</button>
            </form>
            {move || error.get().map(|m| view! { <p class="field__error" role="alert">{m}</p> })}
        </div>
    }
}

/// Saves a pipeline's name and stages; the default pipeline's first save creates its record.
async fn save(ws: Workspace, p: Pipeline) -> Result<(), String> {
    let json = encode_stages(&p.stages)?;
    let name = p.name.clone();
    let fill = move |e: &mut kith_core::record::Edit<'_>| {
        e.set(Field::Name, &name)?;
        e.set(Field::Stages, &json)
    };
    let result = if p.stored {
        ws.edit(&p.id, fill).await
    } else {
        ws.create_with_id(p.id.clone(), RecordKind::Pipeline, fill)
            .await
            .map(drop)
    };
    result.map_err(|e| e.to_string())
}

/// Open deals of pipeline `id` (in stage `stage` when given).
fn open_deals(
    ws: Workspace,
    all: &[Pipeline],
    id: &RecordId,
    stage: Option<&str>,
) -> Vec<RecordId> {
    // Called from event handlers: reading, not subscribing.
    untrack(|| {
        ws.with_directory(|d| {
            (0..d.len())
                .map(|i| d.at(i))
                .filter(|s| {
                    s.kind == RecordKind::Deal && !s.deleted && &pipeline_for(s, all).id == id
                })
                .filter(|s| {
                    stage.is_none_or(|st| {
                        s.deal_stage == st
                            && s.status != DealStatus::Won.as_str()
                            && s.status != DealStatus::Lost.as_str()
                    })
                })
                .map(|s| s.id.clone())
                .collect()
        })
    })
}

#[component]
fn PipelineEditor(id: RecordId, all: Memo<Vec<Pipeline>>) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let pid = id.clone();
    let pipeline = Memo::new(move |_| all.with(|ps| ps.iter().find(|p| p.id == pid).cloned()));
    let error = RwSignal::new(None::<String>);
    // The stage being removed while its deals wait for a destination.
    let removing = RwSignal::new(None::<(String, usize)>);
    let removing_pipeline = RwSignal::new(None::<usize>);
    // What this editor last saved, until the directory shows it: quick successive edits
    // (rename, then reorder) each build on the previous one instead of on a stale copy.
    let latest = StoredValue::new(None::<Pipeline>);
    let (saving, dirty) = (StoredValue::new(false), StoredValue::new(false));
    Effect::new(move |_| {
        let shown = pipeline.get();
        if latest.with_value(|l| l.is_some() && *l == shown) {
            latest.set_value(None);
        }
    });
    let commit = move |change: Box<dyn FnOnce(&mut Pipeline)>| {
        let Some(mut p) = latest.get_value().or_else(|| pipeline.get_untracked()) else {
            return;
        };
        change(&mut p);
        latest.set_value(Some(p.clone()));
        // One save at a time, in order; edits made meanwhile are saved together next.
        if saving.get_value() {
            return dirty.set_value(true);
        }
        saving.set_value(true);
        drop(p);
        // Always the newest state when a save starts: edits made before this task first runs
        // (a rename committed by the blur of the click that reorders) are in it too.
        leptos::task::spawn_local(async move {
            loop {
                dirty.set_value(false);
                let Some(p) = latest.get_value() else { break };
                let failed = save(ws, p).await.err();
                if failed.is_none() {
                    // The first save created the default pipeline's record: later ones edit it.
                    latest.update_value(|l| {
                        if let Some(l) = l {
                            l.stored = true;
                        }
                    });
                }
                error.set(failed);
                if !dirty.get_value() {
                    break;
                }
            }
            saving.set_value(false);
        });
    };
    let new_stage_name = RwSignal::new(String::new());
    let new_stage_probability = RwSignal::new(String::from("50"));
    let is_default = id == default_pipeline_id();
    let heading = format!("pipeline-{id}");
    let heading_ref = heading.clone();
    let delete_stage = move |stage_id: String| {
        let Some(p) = pipeline.get_untracked() else {
            return;
        };
        let deals = all.with_untracked(|all| open_deals(ws, all, &p.id, Some(&stage_id)));
        if deals.is_empty() {
            commit(Box::new(move |p| p.stages.retain(|s| s.id != stage_id)));
        } else {
            removing.set(Some((stage_id, deals.len())));
        }
    };
    let move_then_delete = move |to: String| {
        let Some((stage_id, _)) = removing.get_untracked() else {
            return;
        };
        let Some(mut p) = pipeline.get_untracked() else {
            return;
        };
        let deals = all.with_untracked(|all| open_deals(ws, all, &p.id, Some(&stage_id)));
        removing.set(None);
        leptos::task::spawn_local(async move {
            for deal in deals {
                let to = to.clone();
                if let Err(e) = ws.edit(&deal, move |e| e.set(Field::DealStage, &to)).await {
                    return error.set(Some(e.to_string()));
                }
            }
            p.stages.retain(|s| s.id != stage_id);
            error.set(save(ws, p).await.err());
        });
    };
    let delete_pipeline = move |to: Option<RecordId>| {
        let Some(p) = pipeline.get_untracked() else {
            return;
        };
        let deals = all.with_untracked(|all| open_deals(ws, all, &p.id, None));
        if !deals.is_empty() && to.is_none() {
            return removing_pipeline.set(Some(deals.len()));
        }
        let target =
            to.and_then(|to| all.with_untracked(|all| all.iter().find(|q| q.id == to).cloned()));
        removing_pipeline.set(None);
        leptos::task::spawn_local(async move {
            if let Some(target) = target {
                let first = target
                    .stages
                    .first()
                    .map(|s| s.id.clone())
                    .unwrap_or_default();
                let to_id = if target.id == default_pipeline_id() {
                    String::new()
                } else {
                    target.id.to_string()
                };
                for deal in deals {
                    let (first, to_id) = (first.clone(), to_id.clone());
                    let moved = ws.edit(&deal, move |e| {
                        e.set(Field::PipelineId, &to_id)?;
                        e.set(Field::DealStage, &first)
                    });
                    if let Err(e) = moved.await {
                        return error.set(Some(e.to_string()));
                    }
                }
            }
            if let Err(e) = ws.edit(&p.id, |e| e.delete()).await {
                error.set(Some(e.to_string()));
            }
        });
    };
    let rows = move || {
        pipeline
            .get()
            .map(|p| p.stages.into_iter().enumerate().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    view! {
        <section class="card pipeline-editor" data-testid="pipeline" data-id=id.to_string() aria-labelledby=heading_ref>
            <h2 class="card__title" id=heading>{move || pipeline.read().as_ref().map(|p| p.name.clone()).unwrap_or_default()}</h2>
            <div class="field">
                <label class="field__label" for=format!("pipeline-name-{id}")>"Name"</label>
                <input id=format!("pipeline-name-{id}") class="input" data-testid="pipeline-name"
                    prop:value=move || pipeline.read().as_ref().map(|p| p.name.clone()).unwrap_or_default()
                    on:change=move |ev| {
                        let name = event_target_value(&ev);
                        if !name.trim().is_empty() {
                            commit(Box::new(move |p| p.name = name.trim().to_string()));
                        }
                    }/>
            </div>
            <ol class="stage-list">
                <For each=rows key=|(i, s)| (*i, s.id.clone(), s.name.clone(), s.probability) let((index, stage))>
                    <StageRow index stage count=Signal::derive(move || pipeline.read().as_ref().map_or(0, |p| p.stages.len()))
                        on_change=Callback::new(move |(i, s): (usize, PipelineStage)| commit(Box::new(move |p| if let Some(slot) = p.stages.get_mut(i) { *slot = s; })))
                        on_move=Callback::new(move |(i, delta): (usize, isize)| commit(Box::new(move |p| { move_stage(&mut p.stages, i, delta); })))
                        on_delete=Callback::new(delete_stage)/>
                </For>
            </ol>
            {move || removing.get().map(|(stage_id, count)| {
                let others: Vec<PipelineStage> = pipeline.get().map(|p| p.stages.into_iter().filter(|s| s.id != stage_id).collect()).unwrap_or_default();
                let to = RwSignal::new(others.first().map(|s| s.id.clone()).unwrap_or_default());
                view! {
                    <div class="alert alert--warning" role="group" aria-label="Move deals before removing the stage" data-testid="stage-delete-dialog">
                        <span>{format!("{count} open deal{} in this stage. Move them to:", if count == 1 { " is" } else { "s are" })}</span>
                        <select class="input" aria-label="Move them to" data-testid="stage-delete-target" prop:value=to on:change=move |ev| to.set(event_target_value(&ev))>
                            {others.into_iter().map(|s| view! { <option value=s.id.clone()>{s.name}</option> }).collect_view()}
                        </select>
                        <button type="button" class="button button--danger" data-testid="stage-delete-confirm" on:click=move |_| move_then_delete(to.get_untracked())>"Move and remove"</button>
                        <button type="button" class="button button--quiet" on:click=move |_| removing.set(None)>"Cancel"</button>
                    </div>
                }
            })}
            <form class="inline-form stage-add" on:submit=move |ev| {
                ev.prevent_default();
                let name = new_stage_name.get_untracked();
                if name.trim().is_empty() {
                    return error.set(Some("Give the stage a name.".into()));
                }
                let probability = new_stage_probability.get_untracked().trim().parse::<u8>().unwrap_or(0);
                new_stage_name.set(String::new());
                commit(Box::new(move |p| { let s = new_stage(&p.stages, &name, probability); p.stages.push(s); }));
            }>
                <label class="visually-hidden" for=format!("stage-new-{id}")>"New stage's name"</label>
                <input id=format!("stage-new-{id}") class="input" placeholder="New stage" data-testid="stage-new-name"
                    prop:value=new_stage_name on:input=move |ev| new_stage_name.set(event_target_value(&ev))/>
                <label class="visually-hidden" for=format!("stage-new-p-{id}")>"Its probability (%)"</label>
                <input id=format!("stage-new-p-{id}") class="input input--narrow" type="number" min="0" max="100" data-testid="stage-new-probability"
                    prop:value=new_stage_probability on:input=move |ev| new_stage_probability.set(event_target_value(&ev))/>
                <button type="submit" class="button" data-testid="stage-add">"Add stage"</button>
            </form>
            {move || error.get().map(|m| view! { <p class="field__error" role="alert" data-testid="pipeline-error">{m}</p> })}
            {(!is_default).then(|| view! {
                <div class="form-actions">
                    <button type="button" class="button button--danger" data-testid="pipeline-delete" on:click=move |_| delete_pipeline(None)>"Delete pipeline"</button>
                </div>
                {move || removing_pipeline.get().map(|count| {
                    let others: Vec<Pipeline> = all.get().into_iter().filter(|q| Some(&q.id) != pipeline.read().as_ref().map(|p| &p.id)).collect();
                    let to = RwSignal::new(others.first().map(|q| q.id.to_string()).unwrap_or_default());
                    view! {
                        <div class="alert alert--warning" role="group" aria-label="Move deals before deleting the pipeline" data-testid="pipeline-delete-dialog">
                            <span>{format!("{count} open deal(s) are on this pipeline. Move them to:")}</span>
                            <select class="input" aria-label="Move them to" prop:value=to on:change=move |ev| to.set(event_target_value(&ev))>
                                {others.into_iter().map(|q| view! { <option value=q.id.to_string()>{q.name}</option> }).collect_view()}
                            </select>
                            <button type="button" class="button button--danger" data-testid="pipeline-delete-confirm"
                                on:click=move |_| delete_pipeline(RecordId::parse(&to.get_untracked()).ok())>"Move and delete"</button>
                            <button type="button" class="button button--quiet" on:click=move |_| removing_pipeline.set(None)>"Cancel"</button>
                        </div>
                    }
                })}
            })}
        </section>
    }
}

#[component]
fn StageRow(
    index: usize,
    stage: PipelineStage,
    #[prop(into)] count: Signal<usize>,
    on_change: Callback<(usize, PipelineStage)>,
    on_move: Callback<(usize, isize)>,
    on_delete: Callback<String>,
) -> impl IntoView {
    let PipelineStage {
        id,
        name,
        probability,
    } = stage.clone();
    let (for_name, for_probability) = (stage.clone(), stage);
    let up_id = id.clone();
    let down_id = id.clone();
    let delete_id = id.clone();
    view! {
        <li class="stage-row" data-testid="pipeline-stage" data-stage=id.clone()>
            <span class="stage-row__index" aria-hidden="true">{index + 1}</span>
            <label class="visually-hidden" for=format!("stage-name-{id}")>{format!("Name of stage {}", index + 1)}</label>
            <input id=format!("stage-name-{id}") class="input" data-testid="stage-name" prop:value=name.clone()
                on:change=move |ev| {
                    let typed = event_target_value(&ev);
                    if !typed.trim().is_empty() {
                        on_change.run((index, PipelineStage { name: typed.trim().to_string(), ..for_name.clone() }));
                    }
                }/>
            <label class="visually-hidden" for=format!("stage-p-{id}")>{format!("Probability of {name} (%)")}</label>
            <input id=format!("stage-p-{id}") class="input input--narrow" type="number" min="0" max="100" data-testid="stage-probability" prop:value=probability.to_string()
                on:change=move |ev| {
                    if let Ok(p) = event_target_value(&ev).trim().parse::<u8>() {
                        on_change.run((index, PipelineStage { probability: p.min(100), ..for_probability.clone() }));
                    }
                }/>
            <span class="stage-row__percent" aria-hidden="true">"%"</span>
            <button type="button" class="button button--small" data-testid="stage-up" title=format!("Move {name} up") disabled=index == 0
                on:click=move |_| { on_move.run((index, -1)); refocus("stage-up", &up_id); }>
                <span aria-hidden="true">"↑"</span><span class="visually-hidden">{format!("Move {name} up")}</span>
            </button>
            <button type="button" class="button button--small" data-testid="stage-down" title=format!("Move {name} down") disabled=move || { index + 1 >= count.get() }
                on:click=move |_| { on_move.run((index, 1)); refocus("stage-down", &down_id); }>
                <span aria-hidden="true">"↓"</span><span class="visually-hidden">{format!("Move {name} down")}</span>
            </button>
            <button type="button" class="button button--small button--quiet" data-testid="stage-delete" aria-label=format!("Remove {name}") disabled=move || { count.get() <= 1 }
                on:click=move |_| on_delete.run(delete_id.clone())>"Remove"</button>
        </li>
    }
}

/// Keeps keyboard focus on the moved stage's button once the list re-renders.
fn refocus(testid: &'static str, stage: &str) {
    let selector = format!("[data-stage=\"{stage}\"] [data-testid={testid}]");
    set_timeout(
        move || {
            if let Ok(Some(el)) = document().query_selector(&selector) {
                use wasm_bindgen::JsCast;
                let el: web_sys::HtmlElement = el.unchecked_into();
                if el.has_attribute("disabled") {
                    return;
                }
                let _ = el.focus();
            }
        },
        std::time::Duration::from_millis(50),
    );
}
