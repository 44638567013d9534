use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use kith_core::record::RecordKind;

use crate::pages::{Deals, NotFound, Settings, Tasks};
use crate::records::{NewRecord, RecordList, RecordPage};
use crate::relay_link::RelayLink;
use crate::shell::Shell;
use crate::toasts::Toasts;
use crate::workspace::Workspace;

/// The whole app: the workspace and the relay link in context, the shell, the routes.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Workspace::open());
    provide_context(RelayLink::connect_to_origin());
    provide_context(Toasts::new());
    view! {
        <Router>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/people"/> }/>
                    <Route path=path!("/people") view=|| view! { <RecordList kind=RecordKind::Person/> }/>
                    <Route path=path!("/people/new") view=|| view! { <NewRecord kind=RecordKind::Person/> }/>
                    <Route path=path!("/people/:id") view=|| view! { <RecordPage kind=RecordKind::Person/> }/>
                    <Route path=path!("/companies") view=|| view! { <RecordList kind=RecordKind::Company/> }/>
                    <Route path=path!("/companies/new") view=|| view! { <NewRecord kind=RecordKind::Company/> }/>
                    <Route path=path!("/companies/:id") view=|| view! { <RecordPage kind=RecordKind::Company/> }/>
                    <Route path=path!("/deals") view=Deals/>
                    <Route path=path!("/tasks") view=Tasks/>
                    <Route path=path!("/settings") view=Settings/>
                </Routes>
            </Shell>
        </Router>
    }
}
