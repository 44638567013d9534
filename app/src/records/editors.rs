//! Inline editors for a record's fields. Each commits one change when the user leaves the
//! field or presses Enter; Escape puts back the saved value. A rejected value stays in the
//! input with the reason under it: nothing typed is lost.

use kith_core::directory::ListQuery;
use kith_core::ids::RecordId;
use kith_core::record::{Channel, Edit, Field, LifecycleStage, Record, RecordError, RecordKind};
use leptos::prelude::*;

pub use super::conflict::ConflictNote;
use crate::workspace::{ActionError, Workspace};

/// Companies suggested at most while typing a person's company.
const COMPANY_SUGGESTIONS: usize = 20;

/// What every editor on a record page shares: the record and how to change it.
#[derive(Clone, Copy)]
pub struct RecordScope {
    pub ws: Workspace,
    pub id: StoredValue<RecordId>,
    pub record: RwSignal<Option<Record>, LocalStorage>,
}

impl RecordScope {
    /// Applies `change`, then reports the outcome to `error` (cleared on success).
    pub fn apply(
        self,
        error: RwSignal<Option<String>>,
        change: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError> + 'static,
    ) {
        self.apply_then(error, change, || {});
    }

    /// Like [`RecordScope::apply`], running `saved` only once the change is accepted, so an
    /// input is cleared only when what was typed is kept in the record.
    pub fn apply_then(
        self,
        error: RwSignal<Option<String>>,
        change: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError> + 'static,
        saved: impl FnOnce() + 'static,
    ) {
        let id = self.id.get_value();
        leptos::task::spawn_local(async move {
            match self.ws.edit(&id, change).await {
                Ok(()) => {
                    error.set(None);
                    saved();
                }
                Err(ActionError::Record(RecordError::Invalid { message, .. })) => {
                    error.set(Some(message))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    }

    pub fn read<T>(self, f: impl FnOnce(&Record) -> T) -> Option<T> {
        self.record.with(|r| r.as_ref().map(f))
    }
}

fn field_id(field: Field) -> String {
    format!("field-{}", field.key())
}

/// A one-line text field.
#[component]
pub fn TextField(
    field: Field,
    /// The input's type: "text", "url", …
    #[prop(default = "text")]
    input_type: &'static str,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let saved = Memo::new(move |_| {
        scope
            .read(|r| r.text(field).unwrap_or_default())
            .unwrap_or_default()
    });
    let error = RwSignal::new(None::<String>);
    // While the user types, a teammate's change to this field must not replace the text:
    // the input follows the saved value only when nothing typed is pending.
    let typing = RwSignal::new(false);
    // Counts keystrokes: a commit that completes after more typing leaves `typing` set.
    let keystrokes = StoredValue::new(0u64);
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        let value = saved.get();
        if let Some(el) = input.get()
            && !typing.get()
            && el.value() != value
        {
            el.set_value(&value);
        }
    });
    let commit = move |value: String| {
        if value.trim() == saved.get_untracked().trim() {
            typing.set(false);
            return;
        }
        let mark = keystrokes.get_value();
        scope.apply_then(
            error,
            move |e| e.set(field, &value),
            move || {
                if keystrokes.get_value() == mark {
                    typing.set(false);
                }
            },
        );
    };
    view! {
        <div class="field" class:field--invalid=move || error.read().is_some()>
            <label class="field__label" for=field_id(field)>{field.label()}</label>
            <input
                id=field_id(field)
                class="input"
                type=input_type
                placeholder=placeholder
                data-testid=field_id(field)
                aria-invalid=move || error.read().is_some().to_string()
                node_ref=input
                on:input=move |_| {
                    keystrokes.update_value(|n| *n += 1);
                    typing.set(true);
                }
                on:change=move |ev| commit(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        input.set_value(&saved.get_untracked());
                        error.set(None);
                        typing.set(false);
                    }
                }
            />
            <ConflictNote field/>
            <FieldError error/>
        </div>
    }
}

/// The lifecycle stage as a select.
#[component]
pub fn StageField() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let saved = Memo::new(move |_| {
        scope
            .read(|r| r.stage().map(|s| s.as_str()).unwrap_or_default())
            .unwrap_or_default()
    });
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="field">
            <label class="field__label" for=field_id(Field::Stage)>{Field::Stage.label()}</label>
            <select
                id=field_id(Field::Stage)
                class="input"
                data-testid=field_id(Field::Stage)
                prop:value=saved
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    scope.apply(error, move |e| e.set(Field::Stage, &value));
                }
            >
                <option value="">"—"</option>
                // `selected` per option: the select's value is set before its options exist.
                {LifecycleStage::ALL.iter().map(|s| view! {
                    <option value=s.as_str() prop:selected=move || saved.get() == s.as_str()>{s.label()}</option>
                }).collect_view()}
            </select>
            <ConflictNote field=Field::Stage/>
            <FieldError error/>
        </div>
    }
}

/// A person's company: type a company's name; an unknown name creates that company.
#[component]
pub fn CompanyField() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let ws = scope.ws;
    let company_id = Memo::new(move |_| scope.read(|r| r.company_id()).flatten());
    let saved = Memo::new(move |_| {
        company_id
            .get()
            .and_then(|id| ws.with_directory(|d| d.name_of(&id).map(str::to_string)))
            .unwrap_or_default()
    });
    let error = RwSignal::new(None::<String>);
    // Suggestions follow what is typed, a few at a time: a workspace may hold 10k companies.
    let typed = RwSignal::new(String::new());
    let names = Memo::new(move |_| {
        let text = typed.get();
        if text.trim().is_empty() {
            return Vec::new();
        }
        ws.with_directory(|d| {
            let query = ListQuery {
                text,
                ..ListQuery::all(RecordKind::Company)
            };
            let mut names: Vec<String> = d
                .list(&query)
                .into_iter()
                .map(|i| d.at(i).name.clone())
                .filter(|n| !n.is_empty())
                .take(COMPANY_SUGGESTIONS)
                .collect();
            names.dedup();
            names
        })
    });
    let commit = move |typed: String| {
        let typed = typed.trim().to_string();
        if typed == saved.get_untracked() {
            return;
        }
        if typed.is_empty() {
            return scope.apply(error, |e| e.set(Field::CompanyId, ""));
        }
        let existing = ws.with_directory(|d| {
            d.find_by_name(RecordKind::Company, &typed)
                .map(|c| c.id.clone())
        });
        leptos::task::spawn_local(async move {
            let company = match existing {
                Some(id) => id,
                None => match ws
                    .create(RecordKind::Company, |e| e.set(Field::Name, &typed))
                    .await
                {
                    Ok(id) => id,
                    Err(e) => return error.set(Some(e.to_string())),
                },
            };
            scope.apply(error, move |e| e.set(Field::CompanyId, company.as_str()));
        });
    };
    view! {
        <div class="field">
            <label class="field__label" for="field-company">"Company"</label>
            <input
                id="field-company"
                class="input"
                list="company-names"
                placeholder="Type a company's name"
                data-testid="field-company"
                prop:value=saved
                on:input=move |ev| typed.set(event_target_value(&ev))
                on:change=move |ev| commit(event_target_value(&ev))
            />
            <datalist id="company-names">
                <For each=move || names.get() key=|n| n.clone() let(name)>
                    <option value=name></option>
                </For>
            </datalist>
            {move || company_id.get().map(|id| view! {
                <a class="field__hint" href=super::record_path(RecordKind::Company, &id)>"Open company"</a>
            })}
            <ConflictNote field=Field::CompanyId/>
            <FieldError error/>
        </div>
    }
}

/// Emails or phone numbers: edit, remove, mark primary, add.
#[component]
pub fn ChannelList(channel: Channel) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let entries = Memo::new(move |_| scope.read(|r| r.channel(channel)).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let (noun, input_type, placeholder) = match channel {
        Channel::Email => ("email", "email", "name@example.com"),
        Channel::Phone => ("phone", "tel", "+44 20 7946 0958"),
    };
    let new_value = RwSignal::new(String::new());
    let add = move || {
        let value = new_value.get_untracked();
        if !value.trim().is_empty() {
            scope.apply_then(
                error,
                move |e| e.add_channel(channel, &value, "").map(drop),
                move || new_value.set(String::new()),
            );
        }
    };
    view! {
        <div class="field" data-testid=format!("channel-{noun}")>
            <span class="field__label">{if channel == Channel::Email { "Emails" } else { "Phones" }}</span>
            <ul class="channel-list">
                <For each=move || entries.get() key=|e| (e.id.clone(), e.value.clone(), e.primary) let(entry)>
                    {
                        let entry_id = StoredValue::new(entry.id.clone());
                        let value = entry.value.clone();
                        view! {
                            <li class="channel-list__item">
                                <input
                                    class="input"
                                    type=input_type
                                    aria-label=format!("{noun} address")
                                    prop:value=value.clone()
                                    on:change=move |ev| {
                                        let typed = event_target_value(&ev);
                                        let id = entry_id.get_value();
                                        scope.apply(error, move |e| e.update_channel(channel, &id, &typed, ""));
                                    }
                                />
                                {if entry.primary {
                                    view! { <span class="badge">"Primary"</span> }.into_any()
                                } else {
                                    view! {
                                        <button type="button" class="button button--small" on:click=move |_| {
                                            let id = entry_id.get_value();
                                            scope.apply(error, move |e| e.set_primary(channel, &id));
                                        }>"Make primary"</button>
                                    }.into_any()
                                }}
                                <button
                                    type="button"
                                    class="button button--small button--quiet"
                                    aria-label=format!("Remove {value}")
                                    on:click=move |_| {
                                        let id = entry_id.get_value();
                                        scope.apply(error, move |e| e.remove_channel(channel, &id));
                                    }
                                >"Remove"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); add(); }>
                <input
                    class="input"
                    type=input_type
                    placeholder=placeholder
                    aria-label=format!("Add {noun}")
                    data-testid=format!("add-{noun}")
                    prop:value=new_value
                    on:input=move |ev| new_value.set(event_target_value(&ev))
                />
                <button type="submit" class="button button--small">{format!("Add {noun}")}</button>
            </form>
            <FieldError error/>
        </div>
    }
}

/// Tags as removable chips plus an input to add one.
#[component]
pub fn TagEditor() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let tags = Memo::new(move |_| scope.read(|r| r.tags()).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let new_tag = RwSignal::new(String::new());
    view! {
        <div class="field" data-testid="tags">
            <span class="field__label">"Tags"</span>
            <ul class="chips">
                <For each=move || tags.get() key=|t| t.clone() let(tag)>
                    {
                        let remove = tag.clone();
                        view! {
                            <li class="chip">
                                {tag.clone()}
                                <button type="button" class="chip__remove" aria-label=format!("Remove tag {tag}") on:click=move |_| {
                                    let tag = remove.clone();
                                    scope.apply(error, move |e| e.remove_tag(&tag));
                                }>"×"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                let tag = new_tag.get_untracked();
                if !tag.trim().is_empty() {
                    scope.apply_then(error, move |e| e.add_tag(&tag), move || new_tag.set(String::new()));
                }
            }>
                <input
                    class="input"
                    placeholder="Add a tag"
                    aria-label="Add a tag"
                    data-testid="add-tag"
                    prop:value=new_tag
                    on:input=move |ev| new_tag.set(event_target_value(&ev))
                />
                <button type="submit" class="button button--small">"Add tag"</button>
            </form>
            <FieldError error/>
        </div>
    }
}

/// Free-form notes, saved when the text area loses focus; concurrent edits merge by character.
#[component]
pub fn NotesEditor() -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let saved = Memo::new(move |_| scope.read(|r| r.notes()).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    // As in `TextField`: what is being typed is never replaced by a teammate's change.
    let typing = RwSignal::new(false);
    let keystrokes = StoredValue::new(0u64);
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        let value = saved.get();
        if let Some(el) = area.get()
            && !typing.get()
            && el.value() != value
        {
            el.set_value(&value);
        }
    });
    view! {
        <div class="field">
            <label class="field__label" for="field-notes">"Notes"</label>
            <textarea
                id="field-notes"
                class="input input--notes"
                rows="6"
                data-testid="field-notes"
                node_ref=area
                on:input=move |_| {
                    keystrokes.update_value(|n| *n += 1);
                    typing.set(true);
                }
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    let mark = keystrokes.get_value();
                    scope.apply_then(error, move |e| e.set_notes(&text), move || {
                        if keystrokes.get_value() == mark {
                            typing.set(false);
                        }
                    });
                }
            ></textarea>
            <FieldError error/>
        </div>
    }
}

#[component]
pub fn FieldError(error: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|message| view! { <p class="field__error" role="alert">{message}</p> })
    }
}
