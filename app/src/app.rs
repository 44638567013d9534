use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::pages::{Companies, Deals, NotFound, People, Settings, Tasks};
use crate::relay_link::RelayLink;
use crate::shell::Shell;

/// The whole app: the relay link in context, the shell, and one route per section.
#[component]
pub fn App() -> impl IntoView {
    provide_context(RelayLink::connect_to_origin());
    view! {
        <Router>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/people"/> }/>
                    <Route path=path!("/people") view=People/>
                    <Route path=path!("/companies") view=Companies/>
                    <Route path=path!("/deals") view=Deals/>
                    <Route path=path!("/tasks") view=Tasks/>
                    <Route path=path!("/settings") view=Settings/>
                </Routes>
            </Shell>
        </Router>
    }
}
