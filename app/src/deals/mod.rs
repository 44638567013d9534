//! Deals: the pipeline board (kanban), the deals table, a deal's page, pipeline settings.

mod board;
mod card;
mod drag;
mod fields;
mod new;
mod page;
mod people;
mod pipelines;

pub use board::DealsPage;
pub use fields::OwnerSelect;
pub(crate) use fields::owner_choices;
pub use new::NewDeal;
pub use page::DealPage;
pub use pipelines::PipelineSettings;

use kith_core::ids::RecordId;
use kith_core::pipeline::{PipelineStage, default_pipeline_id, default_stages, parse_stages};
use kith_core::record::{DealStatus, Field, RecordKind};
use kith_core::summary::Summary;
use leptos::prelude::*;

use crate::toasts::Toasts;
use crate::workspace::Workspace;

/// The name the default pipeline has until someone renames it.
const DEFAULT_PIPELINE_NAME: &str = "Sales pipeline";
/// Where the currency of the last deal created on this device is kept.
const CURRENCY_KEY: &str = "kith.deals.currency";

/// A pipeline as the screens use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub id: RecordId,
    pub name: String,
    pub stages: Vec<PipelineStage>,
    /// False for the default pipeline until someone edits it (no record exists yet).
    pub stored: bool,
}

impl Pipeline {
    pub fn stage(&self, id: &str) -> Option<&PipelineStage> {
        self.stages.iter().find(|s| s.id == id)
    }
}

/// Every live pipeline, the default one first (virtual until edited), then by name.
pub fn pipelines(ws: Workspace) -> Vec<Pipeline> {
    ws.with_directory(|d| {
        let default_id = default_pipeline_id();
        let mut default = Pipeline {
            id: default_id.clone(),
            name: DEFAULT_PIPELINE_NAME.into(),
            stages: default_stages(),
            stored: false,
        };
        let mut others = Vec::new();
        for i in 0..d.len() {
            let s = d.at(i);
            if s.kind != RecordKind::Pipeline || s.deleted {
                continue;
            }
            let pipeline = Pipeline {
                id: s.id.clone(),
                name: if s.name.trim().is_empty() {
                    "(no name)".into()
                } else {
                    s.name.clone()
                },
                stages: parse_stages(&s.config).unwrap_or_else(|_| default_stages()),
                stored: true,
            };
            if s.id == default_id {
                default = pipeline;
            } else {
                others.push(pipeline);
            }
        }
        others.sort_by_key(|p| p.name.to_lowercase());
        std::iter::once(default).chain(others).collect()
    })
}

/// The pipeline a deal shows on: its own when it still exists, else the default one.
pub fn pipeline_for<'a>(deal: &Summary, all: &'a [Pipeline]) -> &'a Pipeline {
    deal.pipeline_id
        .as_ref()
        .and_then(|id| all.iter().find(|p| &p.id == id))
        .unwrap_or(&all[0])
}

/// Where a deal can be put on a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stage(String),
    Won,
    Lost(String),
}

/// Moves a deal to a stage (reopening it if it was won or lost), or marks it won or lost.
/// The directory updates at once; a refusal (a viewer) is shown as a toast.
pub async fn move_deal(
    ws: Workspace,
    toasts: Toasts,
    id: RecordId,
    name: String,
    target: Target,
) -> bool {
    let reopen = untrack(|| ws.summary(&id)).is_some_and(|s| {
        s.status == DealStatus::Won.as_str() || s.status == DealStatus::Lost.as_str()
    });
    let result = ws
        .edit(&id, move |e| match &target {
            Target::Stage(stage) => {
                e.set(Field::DealStage, stage)?;
                if reopen {
                    e.set(Field::Status, DealStatus::Open.as_str())?;
                    e.set(Field::LostReason, "")?;
                }
                Ok(())
            }
            Target::Won => {
                e.set(Field::Status, DealStatus::Won.as_str())?;
                e.set(Field::LostReason, "")
            }
            Target::Lost(reason) => {
                e.set(Field::Status, DealStatus::Lost.as_str())?;
                e.set(Field::LostReason, reason)
            }
        })
        .await;
    match result {
        Ok(()) => true,
        Err(e) => {
            toasts.show(format!("{name} was not moved: {e}"));
            false
        }
    }
}

/// The currency of the last deal created on this device, else EUR.
pub fn last_currency() -> String {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(CURRENCY_KEY).ok().flatten())
        .filter(|c| c.len() == 3)
        .unwrap_or_else(|| "EUR".into())
}

pub fn remember_currency(code: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(CURRENCY_KEY, &code.trim().to_ascii_uppercase());
    }
}

/// Up to two initials: "Ada Lovelace" → "AL".
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// A record's name for display.
pub fn name_or_placeholder(name: &str) -> String {
    if name.trim().is_empty() {
        "(no name)".into()
    } else {
        name.to_string()
    }
}
