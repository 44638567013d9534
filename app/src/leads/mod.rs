//! Leads: people and companies not yet customers, their qualification (BANT score), and
//! converting a qualified lead into a customer with a deal in one step.

mod convert;
mod qualify;
mod record_deals;

pub use qualify::{QualificationPanel, StageStepper, score_label};
pub use record_deals::RecordDeals;

use kith_core::qualify::is_qualified;
use kith_core::record::{LifecycleStage, RecordKind};
use kith_core::summary::Summary;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::EmptyState;
use crate::records::record_path;
use crate::workspace::{Phase, Workspace};

/// Rows shown at first and added by "Show more": a workspace may hold 100k leads, and the
/// best-scored come first anyway.
const PAGE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Lead,
    Prospect,
    Qualified,
}

impl Filter {
    const ALL: [Filter; 4] = [Self::All, Self::Lead, Self::Prospect, Self::Qualified];

    fn key(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Lead => "lead",
            Self::Prospect => "prospect",
            Self::Qualified => "qualified",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Lead => "Leads",
            Self::Prospect => "Prospects",
            Self::Qualified => "Qualified",
        }
    }

    fn keeps(self, s: &Summary) -> bool {
        match self {
            Self::All => true,
            Self::Lead => s.stage == Some(LifecycleStage::Lead),
            Self::Prospect => s.stage == Some(LifecycleStage::Prospect),
            Self::Qualified => is_qualified(s.score),
        }
    }
}

/// An owner as people read it: a user id becomes a name, free text stays as typed.
pub fn owner_label(owner: &str) -> String {
    if owner.is_empty() {
        return String::new();
    }
    let name = crate::account::display_name(owner);
    if name.starts_with("Teammate ") {
        owner.to_string()
    } else {
        name
    }
}

/// `/leads`.
#[component]
pub fn LeadsPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    document().set_title("Leads · Kith");
    let filter = RwSignal::new(Filter::All);
    let text = RwSignal::new(String::new());
    let shown = RwSignal::new(PAGE);
    let all = Memo::new(move |_| ws.with_directory(kith_core::qualify::leads));
    let hits = Memo::new(move |_| {
        let (filter, words) = (filter.get(), text.get().to_lowercase());
        let words: Vec<&str> = words.split_whitespace().collect();
        ws.with_directory(|d| {
            all.read()
                .iter()
                .copied()
                .filter(|&i| {
                    let s = d.at(i);
                    filter.keeps(s) && {
                        let company = s.company_id.as_ref().and_then(|c| d.name_of(c));
                        let hay =
                            format!("{} {}", s.name, company.unwrap_or_default()).to_lowercase();
                        words.iter().all(|w| hay.contains(w))
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    let count = move |f: Filter| {
        ws.with_directory(|d| all.read().iter().filter(|&&i| f.keeps(d.at(i))).count())
    };
    // A new filter or search starts from the top page again.
    Effect::new(move |_| {
        filter.track();
        text.track();
        shown.set(PAGE);
    });

    view! {
        <div class="page page--leads" data-testid="page-leads">
            <header class="page__header">
                <h1 class="page__title">"Leads"</h1>
                <A href="/people/new?stage=lead" attr:class="button button--primary" attr:data-testid="leads-new">"New lead"</A>
            </header>
            <div class="list-toolbar">
                <div class="leads-filters" role="group" aria-label="Show">
                    {Filter::ALL.into_iter().map(|f| view! {
                        <button
                            type="button"
                            class="leads-filters__item"
                            data-testid=format!("leads-filter-{}", f.key())
                            aria-pressed=move || (filter.get() == f).to_string()
                            on:click=move |_| filter.set(f)
                        >
                            {f.label()}
                            <span class="leads-filters__count">{move || count(f)}</span>
                        </button>
                    }).collect_view()}
                </div>
                <label class="visually-hidden" for="leads-search">"Search leads"</label>
                <input
                    id="leads-search"
                    class="input input--search"
                    type="search"
                    placeholder="Search leads by name or company…"
                    autocomplete="off"
                    data-testid="leads-search"
                    prop:value=text
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
            </div>
            {move || match ws.phase.get() {
                Phase::Loading => view! { <p class="muted">"Opening your workspace…"</p> }.into_any(),
                Phase::Failed(message) => view! {
                    <div class="alert alert--danger" role="alert">{format!("Your workspace could not be opened: {message}")}</div>
                }.into_any(),
                Phase::Ready if all.read().is_empty() => view! {
                    <EmptyState
                        title="No leads yet"
                        text="A lead is a person or company you might sell to, not a customer yet. Add one, \
                              answer four questions (budget, authority, need, timeline) to score it, and \
                              convert it into a customer with a deal once it is qualified."
                    />
                }.into_any(),
                Phase::Ready if hits.read().is_empty() => view! {
                    <p class="muted" data-testid="leads-none">"No leads match. Try another filter or search."</p>
                }.into_any(),
                Phase::Ready => view! { <LeadRows hits shown/> }.into_any(),
            }}
        </div>
    }
}

/// The first `shown` leads of `hits`, and a button for more.
#[component]
fn LeadRows(hits: Memo<Vec<usize>>, shown: RwSignal<usize>) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let rows = Memo::new(move |_| {
        ws.with_directory(|d| {
            hits.read()
                .iter()
                .take(shown.get())
                .map(|&i| {
                    let s = d.at(i);
                    let company = s.company_id.as_ref().and_then(|c| d.name_of(c));
                    Row {
                        summary: s.clone(),
                        company: company.unwrap_or_default().to_string(),
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <div class="leads-table" role="table" aria-label="Leads">
            <div class="leads-row leads-row--head" role="row">
                <span role="columnheader">"Name"</span>
                <span role="columnheader">"Company"</span>
                <span role="columnheader">"Stage"</span>
                <span role="columnheader">"Score"</span>
                <span role="columnheader">"Owner"</span>
            </div>
            <For each=move || rows.get() key=|r| (r.summary.id.clone(), r.summary.updated_at, r.company.clone()) let(row)>
                <LeadRow row/>
            </For>
        </div>
        {move || {
            let (total, showing) = (hits.read().len(), shown.get());
            (total > showing).then(|| view! {
                <div class="leads-more">
                    <span class="muted">{format!("Showing {showing} of {total}")}</span>
                    <button type="button" class="button" data-testid="leads-more" on:click=move |_| shown.update(|n| *n += PAGE)>
                        "Show more"
                    </button>
                </div>
            })
        }}
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    summary: Summary,
    company: String,
}

#[component]
fn LeadRow(row: Row) -> impl IntoView {
    let s = row.summary;
    let name = if s.name.is_empty() {
        "(no name)".to_string()
    } else {
        s.name.clone()
    };
    let kind = if s.kind == RecordKind::Company {
        "Company"
    } else {
        "Person"
    };
    let owner = owner_label(&s.owner);
    view! {
        <div class="leads-row" role="row" data-testid="lead-row">
            <span class="leads-row__name" role="cell">
                <a class="row-link" href=record_path(s.kind, &s.id)>{name}</a>
                <span class="badge">{kind}</span>
                {(!s.conflicts.is_empty()).then(|| view! {
                    <span class="badge badge--warning" title="Some fields have conflicting values">"conflict"</span>
                })}
            </span>
            <span class="leads-row__company" role="cell">
                <span class="visually-hidden">"Company: "</span>{row.company}
            </span>
            <span class="leads-row__stage" role="cell">
                {s.stage.map(|st| st.label()).unwrap_or_default()}
            </span>
            <span role="cell">
                <span class="lead-score" class:lead-score--qualified=is_qualified(s.score) data-testid="lead-score">
                    {score_label(s.score)}
                </span>
            </span>
            <span class="leads-row__owner" role="cell">
                {(!owner.is_empty()).then(|| view! { <span class="visually-hidden">"Owner: "</span> })}
                {owner}
            </span>
        </div>
    }
}
