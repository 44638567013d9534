//! A person's or company's deals, read from summaries: a company's are those whose company it
//! is, a person's those that link them.

use kith_core::directory::Directory;
use kith_core::ids::RecordId;
use kith_core::pipeline::{PipelineStage, default_pipeline_id, default_stages, format_amount};
use kith_core::record::{DealStatus, RecordKind};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::records::{RecordScope, record_path};

/// The stages of pipeline `id` (`None`: the default pipeline) as stored, else the defaults.
pub fn pipeline_stages(d: &Directory, id: Option<&RecordId>) -> Vec<PipelineStage> {
    let default = default_pipeline_id();
    let id = id.unwrap_or(&default);
    d.get(id)
        .filter(|p| p.kind == RecordKind::Pipeline && !p.deleted)
        .and_then(|p| kith_core::pipeline::parse_stages(&p.config).ok())
        .unwrap_or_else(default_stages)
}

#[derive(Debug, Clone, PartialEq)]
struct DealRow {
    id: RecordId,
    name: String,
    stage: String,
    amount: String,
    status: Option<DealStatus>,
    updated_at: i64,
}

/// The Deals section of a record page, with a link to start a new deal for this record.
#[component]
pub fn RecordDeals(kind: RecordKind) -> impl IntoView {
    let scope = expect_context::<RecordScope>();
    let ws = scope.ws;
    let id = scope.id.get_value();
    let deals = Memo::new({
        let id = id.clone();
        move |_| {
            ws.with_directory(|d| {
                let mut rows: Vec<DealRow> = (0..d.len())
                    .map(|i| d.at(i))
                    .filter(|s| {
                        s.kind == RecordKind::Deal
                            && !s.deleted
                            && (s.company_id.as_ref() == Some(&id) || s.links.contains(&id))
                    })
                    .map(|s| DealRow {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        stage: pipeline_stages(d, s.pipeline_id.as_ref())
                            .into_iter()
                            .find(|st| st.id == s.deal_stage)
                            .map(|st| st.name)
                            .unwrap_or_default(),
                        amount: s
                            .amount
                            .map(|a| format_amount(a, &s.currency))
                            .unwrap_or_default(),
                        status: DealStatus::parse(&s.status),
                        updated_at: s.updated_at,
                    })
                    .collect();
                // Open deals first, then the latest.
                rows.sort_by(|a, b| {
                    (a.status.unwrap_or(DealStatus::Open) != DealStatus::Open)
                        .cmp(&(b.status.unwrap_or(DealStatus::Open) != DealStatus::Open))
                        .then(b.updated_at.cmp(&a.updated_at))
                });
                rows
            })
        }
    });
    let param = if kind == RecordKind::Company {
        "company"
    } else {
        "person"
    };
    let new_deal = format!("/deals/new?{param}={id}");
    view! {
        <section class="card card--wide record-deals" aria-labelledby="card-deals" data-testid="record-deals">
            <div class="record-deals__head">
                <h2 class="card__title" id="card-deals">{move || format!("Deals ({})", deals.read().len())}</h2>
                {move || ws.writable.get().then(|| view! {
                    <A href=new_deal.clone() attr:class="button button--small" attr:data-testid="record-new-deal">"New deal"</A>
                })}
            </div>
            {move || {
                let rows = deals.get();
                if rows.is_empty() {
                    return view! { <p class="muted">"No deals yet. Convert this lead, or start a deal with “New deal”."</p> }.into_any();
                }
                view! {
                    <ul class="record-deal-list">
                        {rows.into_iter().map(|r| {
                            let status = r.status.unwrap_or(DealStatus::Open);
                            view! {
                                <li class="record-deal-list__item" data-testid="record-deal">
                                    <a class="row-link" href=record_path(RecordKind::Deal, &r.id)>
                                        {if r.name.is_empty() { "(no name)".to_string() } else { r.name.clone() }}
                                    </a>
                                    <span class="muted">{r.stage}</span>
                                    <span class="record-deal-list__amount">{r.amount}</span>
                                    <span class=format!("badge record-deal-status--{}", status.as_str())>{status.label()}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
