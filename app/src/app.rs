use kith_core::ids::UserId;
use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use kith_core::record::RecordKind;

use crate::account::{InviteAccept, Members, SignIn, SignUp, WorkspacePicker};
use crate::deals::{DealPage, DealsPage, NewDeal, PipelineSettings};
use crate::duplicates::DuplicatesPage;
use crate::leads::LeadsPage;
use crate::pages::{NotFound, Settings};
use crate::records::{NewRecord, RecordList, RecordPage};
use crate::session::{self, AccountState, ActiveWorkspace};
use crate::shell::Shell;
use crate::sync::SyncEngine;
use crate::tasks::{MyTasks, TaskPage};
use crate::timeline::ActivityPage;
use crate::toasts::Toasts;
use crate::transfer::{DataPage, ImportPage};
use crate::workspace::Workspace;

/// The whole app: the account, the open workspace and its sync engine (which provides the
/// relay link) in context, the shell, the routes. Switching workspace reloads the app (see
/// `account::open_workspace`), so everything here is opened once per page load.
#[component]
pub fn App() -> impl IntoView {
    let account = AccountState::new();
    provide_context(account);
    let active = session::active_workspace();
    // A relay workspace's changes are written by the account; a local one has its own author.
    let author = match &active {
        ActiveWorkspace::Local => None,
        ActiveWorkspace::Relay { .. } => account
            .0
            .with_untracked(|a| a.as_ref().map(|a| UserId(a.user.id.clone()))),
    };
    let workspace = Workspace::open_database(active.database(), author);
    provide_context(workspace);
    provide_context(SyncEngine::start(workspace, account, active));
    crate::account::refresh_in_background(account);
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
                    <Route path=path!("/leads") view=LeadsPage/>
                    <Route path=path!("/deals") view=DealsPage/>
                    <Route path=path!("/deals/new") view=NewDeal/>
                    <Route path=path!("/deals/:id") view=DealPage/>
                    <Route path=path!("/activities/:id") view=ActivityPage/>
                    <Route path=path!("/tasks") view=MyTasks/>
                    <Route path=path!("/tasks/:id") view=TaskPage/>
                    <Route path=path!("/settings") view=Settings/>
                    <Route path=path!("/settings/pipelines") view=PipelineSettings/>
                    <Route path=path!("/settings/data") view=DataPage/>
                    <Route path=path!("/import") view=ImportPage/>
                    <Route path=path!("/duplicates") view=DuplicatesPage/>
                    <Route path=path!("/settings/members") view=Members/>
                    <Route path=path!("/signin") view=SignIn/>
                    <Route path=path!("/signup") view=SignUp/>
                    <Route path=path!("/workspaces") view=WorkspacePicker/>
                    <Route path=path!("/invite/:token") view=InviteAccept/>
                </Routes>
            </Shell>
        </Router>
    }
}
