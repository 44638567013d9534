//! Leads: people and companies not yet customers, their qualification (BANT score), and
//! converting a qualified lead into a customer with a deal in one step.

use leptos::prelude::*;

/// `/leads`.
#[component]
pub fn LeadsPage() -> impl IntoView {
    view! { <div class="page" data-testid="page-leads"></div> }
}
