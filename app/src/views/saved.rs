//! Saved views: records of kind View holding a [`ViewSpec`]; shared with the workspace or
//! private to their owner. The applied view is in the URL (`?view=<id>`), so a reload or a
//! shared link restores it.

use kith_core::ids::RecordId;
use kith_core::record::{Field, RecordKind, Visibility};
use kith_core::view::ViewSpec;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use super::ListState;
use crate::records::kind_plural;
use crate::toasts::Toasts;
use crate::workspace::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Save,
    Rename,
}

/// The views menu: the built-in view, the saved views of this kind the user may see, and
/// save / update / rename / delete. `param` is the URL query parameter holding the view id.
#[component]
pub fn ViewsMenu(state: ListState, param: &'static str) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let toasts = expect_context::<Toasts>();
    let kind = state.kind;
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let wanted = Memo::new(move |_| query.with(|q| q.get(param)));

    // Applies the view the URL names, once it is known here (the workspace may still load).
    Effect::new(move |_| {
        let wanted = wanted.get();
        let current = state
            .saved
            .with_untracked(|s| s.as_ref().map(|(id, _)| id.to_string()));
        if wanted == current {
            return;
        }
        let Some(wanted) = wanted else {
            state.saved.set(None);
            state.spec.set(ViewSpec::default_for(kind));
            return;
        };
        let Ok(id) = RecordId::parse(&wanted) else {
            return;
        };
        let Some(summary) = ws.with_directory(|d| d.get(&id).cloned()) else {
            return;
        };
        if summary.kind != RecordKind::View || summary.deleted {
            return;
        }
        match ViewSpec::parse(&summary.config) {
            Ok(spec) if spec.kind == kind => {
                error.set(None);
                state.saved.set(Some((id, spec.clone())));
                state.spec.set(spec);
            }
            Ok(_) => error.set(Some("This view is for another list.".into())),
            Err(e) => error.set(Some(format!("“{}” cannot be shown: {e}", summary.name))),
        }
    });

    let go = {
        let navigate = navigate.clone();
        move |id: Option<&RecordId>| {
            // Other parameters of the page (the deals page's `view=table`) stay.
            let mut params = query.get_untracked();
            params.remove(param);
            if let Some(id) = id {
                params.insert(param, id.to_string());
            }
            let url = format!(
                "{}{}",
                location.pathname.get_untracked(),
                params.to_query_string()
            );
            navigate(&url, Default::default());
        }
    };

    let views = Memo::new(move |_| {
        let me = super::me(ws);
        ws.with_directory(|d| {
            let mut views: Vec<(RecordId, String, bool)> = d
                .of_kind(RecordKind::View)
                .filter(|s| {
                    let private = s.visibility == Visibility::Private.as_str();
                    (!private || s.owner == me)
                        && ViewSpec::parse(&s.config).is_ok_and(|spec| spec.kind == kind)
                })
                .map(|s| {
                    (
                        s.id.clone(),
                        s.name.clone(),
                        s.visibility != Visibility::Private.as_str(),
                    )
                })
                .collect();
            views.sort_by_key(|v| v.1.to_lowercase());
            views
        })
    });
    let current_name = move || {
        state.saved.with(|s| {
            s.as_ref()
                .and_then(|(id, _)| ws.with_directory(|d| d.get(id).map(|v| v.name.clone())))
        })
    };

    let form = RwSignal::new(None::<Form>);
    let name = RwSignal::new(String::new());
    let visibility = RwSignal::new(Visibility::Private);
    let open_form = move |which: Form| {
        error.set(None);
        if which == Form::Rename {
            name.set(current_name().unwrap_or_default());
            let shared = state
                .saved
                .with_untracked(|s| s.as_ref().map(|(id, _)| id.clone()))
                .and_then(|id| ws.summary(&id))
                .is_some_and(|v| v.visibility != Visibility::Private.as_str());
            visibility.set(if shared {
                Visibility::Shared
            } else {
                Visibility::Private
            });
        } else {
            name.set(String::new());
            visibility.set(Visibility::Private);
        }
        form.set(Some(which));
    };
    let submit = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let title = name.get_untracked().trim().to_string();
            if title.is_empty() {
                error.set(Some("Give the view a name.".into()));
                return;
            }
            let vis = visibility.get_untracked();
            let which = form.get_untracked();
            let spec = state.spec.get_untracked();
            let saved = state.saved.get_untracked();
            let me = super::me(ws);
            let go = go.clone();
            leptos::task::spawn_local(async move {
                let result = match (which, saved) {
                    (Some(Form::Rename), Some((id, _))) => ws
                        .edit(&id, |e| {
                            e.set(Field::Name, &title)?;
                            e.set(Field::Visibility, vis.as_str())
                        })
                        .await
                        .map(|()| None),
                    _ => ws
                        .create(RecordKind::View, |e| {
                            e.set(Field::Name, &title)?;
                            e.set(Field::Spec, &spec.encode())?;
                            e.set(Field::Visibility, vis.as_str())?;
                            e.set(Field::Owner, &me)
                        })
                        .await
                        .map(Some),
                };
                match result {
                    Ok(created) => {
                        form.set(None);
                        if let Some(id) = created {
                            go(Some(&id));
                        }
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        }
    };
    let update = move |_| {
        let Some((id, _)) = state.saved.get_untracked() else {
            return;
        };
        let spec = state.spec.get_untracked();
        leptos::task::spawn_local(async move {
            match ws.edit(&id, |e| e.set(Field::Spec, &spec.encode())).await {
                Ok(()) => state.saved.set(Some((id, spec))),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let delete = {
        let go = go.clone();
        move |_| {
            let Some((id, _)) = state.saved.get_untracked() else {
                return;
            };
            let title = current_name().unwrap_or_default();
            let go = go.clone();
            leptos::task::spawn_local(async move {
                match ws.edit(&id, |e| e.delete()).await {
                    Ok(()) => {
                        go(None);
                        toasts.show_with_undo(format!("View “{title}” deleted"), move || {
                            let id = id.clone();
                            leptos::task::spawn_local(async move {
                                let _ = ws.edit(&id, |e| e.restore()).await;
                            });
                        });
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        }
    };
    let all_label = format!("All {}", kind_plural(kind).to_lowercase());

    view! {
        <details class="menu views">
            <summary class="button button--small" data-testid="views-menu">
                {let all_label = all_label.clone(); move || format!("View: {}{}", current_name().unwrap_or_else(|| all_label.clone()), if state.modified() { " (modified)" } else { "" })}
            </summary>
            <div class="menu__panel" role="group" aria-label="Saved views">
                <ul class="views__list">
                    <li>
                        <button type="button" class="menu__item" data-testid="saved-view-default"
                            aria-current=move || state.saved.with(|s| s.is_none()).then_some("true")
                            on:click={let go = go.clone(); move |_| go(None)}>
                            {all_label}
                        </button>
                    </li>
                    <For each=move || views.get() key=|v| v.clone() let((id, title, shared))>
                        {
                            let go = go.clone();
                            let current = { let id = id.clone(); move || state.saved.with(|s| s.as_ref().is_some_and(|(c, _)| *c == id)).then_some("true") };
                            view! {
                                <li>
                                    <button type="button" class="menu__item" data-testid="saved-view" aria-current=current
                                        on:click=move |_| go(Some(&id))>
                                        {if title.is_empty() { "(no name)".to_string() } else { title }}
                                        <span class="muted">{if shared { " · shared" } else { " · only me" }}</span>
                                    </button>
                                </li>
                            }
                        }
                    </For>
                </ul>
                <div class="views__actions" hidden=move || !ws.writable.get()>
                    <button type="button" class="button button--small" data-testid="view-save" on:click=move |_| open_form(Form::Save)>"Save as new view"</button>
                    <button type="button" class="button button--small button--primary" data-testid="view-update"
                        hidden=move || state.saved.with(|s| s.is_none()) || !state.modified() on:click=update>"Update view"</button>
                    <button type="button" class="button button--small" data-testid="view-rename"
                        hidden=move || state.saved.with(|s| s.is_none()) on:click=move |_| open_form(Form::Rename)>"Rename"</button>
                    <button type="button" class="button button--small button--danger" data-testid="view-delete"
                        hidden=move || state.saved.with(|s| s.is_none()) on:click=delete>"Delete"</button>
                </div>
                <form class="views__form" hidden=move || form.get().is_none() on:submit=submit>
                    <label for=format!("view-name-{}", kind.as_str())>"Name"</label>
                    <input class="input input--small" id=format!("view-name-{}", kind.as_str()) data-testid="view-name"
                        autocomplete="off" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))
                        aria-invalid=move || error.with(|e| e.is_some()).then_some("true")/>
                    <label for=format!("view-visibility-{}", kind.as_str())>"Who sees it"</label>
                    <select class="input input--small" id=format!("view-visibility-{}", kind.as_str()) data-testid="view-visibility"
                        on:change=move |ev| if let Some(v) = Visibility::parse(&event_target_value(&ev)) { visibility.set(v) }>
                        {Visibility::ALL.iter().map(|&v| view! {
                            <option value=v.as_str() selected=move || visibility.get() == v>{v.label()}</option>
                        }).collect_view()}
                    </select>
                    <div class="views__form-actions">
                        <button type="submit" class="button button--small button--primary" data-testid="view-save-submit">
                            {move || if form.get() == Some(Form::Rename) { "Rename" } else { "Save view" }}
                        </button>
                        <button type="button" class="button button--small" on:click=move |_| form.set(None)>"Cancel"</button>
                    </div>
                </form>

            </div>
        </details>
        // Outside the menu: a view that cannot be shown says so even with the menu closed.
        <p class="field-error views__error" role="alert" data-testid="view-error" hidden=move || error.with(|e| e.is_none())>{move || error.get()}</p>
    }
}
