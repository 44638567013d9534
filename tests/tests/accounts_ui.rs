//! Accounts through the screens, two people in two browsers on one relay: Ana signs up and
//! creates a workspace (it opens), makes an invite link in Members; Ben opens the link, signs
//! up, joins and lands in the workspace; Ana then sees two members. A wrong password is
//! refused with the typed email kept; signing out and in again works. With the relay down the
//! screens say so plainly and keep what was typed. Screenshots of sign-in, sign-up, the
//! invite, the workspace picker, members and Settings at phone and desktop sizes.

use anyhow::{Context, Result, ensure};
use kith_e2e::{Browser, DEFAULT_TIMEOUT, Seen, TestRelay, poll, tid};

const PASSWORD: &str = "a password long enough";
const NEW_PASSWORD: &str = "another password, longer";
const WORKSPACE: &str = "Acme Sales";
/// Sync waits may include a reconnect with backoff.
const SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_create_a_workspace_invite_join_and_sign_out() -> Result<()> {
    let mut relay = TestRelay::start().await?;
    let ana = Browser::launch().await?;
    let ben = Browser::launch().await?;
    let result = walk(&mut relay, &ana, &ben).await;
    let result = match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let a = ana.failure_report("accounts_ui-ana").await;
            let b = ben.failure_report("accounts_ui-ben").await;
            Err(e.context(format!("{a}\n{b}")))
        }
    };
    let closed = ana.close().await.and(ben.close().await);
    let stopped = relay.shutdown().await;
    result.and(closed).and(stopped)
}

/// Screenshots `name-phone` (390×844) and `name-desktop` (1440×900), ending at desktop size.
async fn screenshots(browser: &Browser, name: &str, ready: &str) -> Result<()> {
    for (suffix, width, height) in [("phone", 390, 844), ("desktop", 1440, 900)] {
        browser.set_viewport(width, height).await?;
        browser.wait_for(ready, DEFAULT_TIMEOUT).await?;
        browser
            .screenshot(&format!("accounts-{name}-{suffix}"))
            .await?;
    }
    Ok(())
}

async fn wait_for_path(browser: &Browser, want: &str) -> Result<()> {
    poll(&format!("the page {want}"), DEFAULT_TIMEOUT, async || {
        let path = browser.path().await?;
        Ok(if path == want {
            Seen::Done(())
        } else {
            Seen::Not(path)
        })
    })
    .await
}

async fn sign_up(browser: &Browser, name: &str, email: &str) -> Result<()> {
    browser
        .wait_for(&tid("page-signup"), DEFAULT_TIMEOUT)
        .await?;
    browser.type_text(&tid("signup-name"), name).await?;
    browser.type_text(&tid("signup-email"), email).await?;
    browser.type_text(&tid("signup-password"), PASSWORD).await?;
    browser.click(&tid("signup-submit")).await
}

/// The open workspace's name as Settings shows it.
async fn settings_workspace(browser: &Browser) -> Result<String> {
    browser.click(&tid("nav-settings")).await?;
    browser
        .wait_for_text_where(
            &tid("settings-workspace-name"),
            "a workspace name",
            DEFAULT_TIMEOUT,
            |t| !t.is_empty(),
        )
        .await
}

async fn member_names(browser: &Browser) -> Result<Vec<String>> {
    let names = browser
        .eval("return [...document.querySelectorAll('[data-testid=member-row] [data-testid=member-name]')].map(e => e.textContent.trim())")
        .await?;
    Ok(serde_json::from_value(names)?)
}

async fn walk(test_relay: &mut TestRelay, ana: &Browser, ben: &Browser) -> Result<()> {
    let relay = &test_relay.url();
    // Nobody is signed in: the app works on the local workspace, sign-in is offered, not forced.
    ana.goto(&format!("{relay}/people")).await?;
    ana.wait_for(&tid("empty-state"), DEFAULT_TIMEOUT).await?;
    ensure!(
        settings_workspace(ana).await? == "This device only",
        "a fresh device opens its local workspace"
    );
    ana.wait_for(&tid("settings-signin"), DEFAULT_TIMEOUT)
        .await?;
    screenshots(ana, "settings-local", &tid("connect-local")).await?;

    // With the relay down, signing in says why it cannot, and keeps what was typed.
    test_relay.stop().await?;
    ana.click(&tid("settings-signin")).await?;
    ana.type_text(&tid("signin-email"), "ana@example.com")
        .await?;
    ana.type_text(&tid("signin-password"), PASSWORD).await?;
    ana.click(&tid("signin-submit")).await?;
    ana.wait_for_text_where(
        &tid("offline-notice"),
        "the offline notice",
        DEFAULT_TIMEOUT,
        |t| t.contains("offline") && t.contains("needs the relay"),
    )
    .await?;
    ensure!(
        ana.value_of(&tid("signin-email")).await? == "ana@example.com"
            && ana.value_of(&tid("signin-password")).await? == PASSWORD,
        "the typed email and password are kept"
    );
    screenshots(ana, "signin-offline", &tid("offline-notice")).await?;
    test_relay.restart().await?;

    ana.goto(&format!("{relay}/signin")).await?;
    screenshots(ana, "signin", &tid("signin-submit")).await?;

    // Ana signs up from the workspace picker and creates a workspace: it opens.
    ana.goto(&format!("{relay}/workspaces")).await?;
    ana.click(&tid("workspaces-signup")).await?;
    ana.wait_for(&tid("page-signup"), DEFAULT_TIMEOUT).await?;
    screenshots(ana, "signup", &tid("signup-submit")).await?;
    sign_up(ana, "Ana Lima", "ana@example.com").await?;
    wait_for_path(ana, "/workspaces").await?;
    ana.type_text(&tid("new-workspace-name"), WORKSPACE).await?;
    ana.click(&tid("create-workspace")).await?;
    wait_for_path(ana, "/people").await?;
    ensure!(
        settings_workspace(ana).await? == WORKSPACE,
        "the new workspace is the open one"
    );
    ana.wait_for_text(&tid("account-email"), "ana@example.com", DEFAULT_TIMEOUT)
        .await?;

    // An invite link from Members.
    ana.click(&tid("manage-members")).await?;
    ana.wait_for(&tid("member-row"), DEFAULT_TIMEOUT).await?;
    ensure!(member_names(ana).await?.len() == 1, "Ana alone at first");
    ana.click(&tid("create-invite")).await?;
    ana.wait_for(&tid("invite-link"), DEFAULT_TIMEOUT).await?;
    let link = ana.value_of(&tid("invite-link")).await?;
    ensure!(
        link.starts_with(&format!("{relay}/invite/")),
        "an invite link on this relay: {link}"
    );
    ana.wait_for(&tid("invite-row"), DEFAULT_TIMEOUT).await?;
    ana.click(&tid("copy-invite")).await?;
    ana.wait_for_text_where(
        &tid("copy-status"),
        "a copy message",
        DEFAULT_TIMEOUT,
        |t| !t.is_empty(),
    )
    .await?;
    screenshots(ana, "invite-link", &tid("invite-link")).await?;

    // Ben opens the link in his own browser, signs up, comes back to the invite and joins.
    ben.goto(&link).await?;
    ben.wait_for_text(&tid("invite-workspace"), WORKSPACE, DEFAULT_TIMEOUT)
        .await?;
    let summary = ben.text_of(&tid("invite-summary")).await?;
    ensure!(
        summary.contains("Ana Lima") && summary.contains("member"),
        "the invite says who invited and as what: {summary}"
    );
    screenshots(ben, "invite", &tid("invite-signup")).await?;
    ben.click(&tid("invite-signup")).await?;
    sign_up(ben, "Ben Okafor", "ben@example.com").await?;
    ben.wait_for_text(&tid("invite-workspace"), WORKSPACE, DEFAULT_TIMEOUT)
        .await?;
    ben.click(&tid("accept-invite")).await?;
    wait_for_path(ben, "/people").await?;
    ensure!(
        settings_workspace(ben).await? == WORKSPACE,
        "Ben lands in the workspace he joined"
    );
    ben.wait_for_text_where(
        &tid("settings-workspace-role"),
        "the member role",
        DEFAULT_TIMEOUT,
        |t| t.starts_with("Member"),
    )
    .await?;
    screenshots(ben, "settings-relay", &tid("settings-account")).await?;

    // Ben's session stops working (as if revoked): Settings says so, and signing in again
    // (email filled in) brings him back with the workspace syncing.
    ben.eval(
        "const a = JSON.parse(localStorage.getItem('kith.account')); \
         a.token = 'no-longer-valid'; \
         localStorage.setItem('kith.account', JSON.stringify(a)); return true;",
    )
    .await?;
    ben.reload().await?;
    ben.wait_for(&tid("settings-session-ended"), SYNC_TIMEOUT)
        .await?;
    screenshots(
        ben,
        "settings-session-ended",
        &tid("settings-session-ended"),
    )
    .await?;
    ben.click(&tid("settings-sign-in-again")).await?;
    ensure!(
        ben.value_of(&tid("signin-email")).await? == "ben@example.com",
        "the email is filled in"
    );
    ben.wait_for(&tid("signin-again-note"), DEFAULT_TIMEOUT)
        .await?;
    ben.type_text(&tid("signin-password"), PASSWORD).await?;
    ben.click(&tid("signin-submit")).await?;
    wait_for_path(ben, "/settings").await?;
    ben.wait_for_js(
        "the session-ended notice to go",
        "return !document.querySelector('[data-testid=settings-session-ended]');",
        SYNC_TIMEOUT,
    )
    .await?;

    // Ana sees two members.
    ana.goto(&format!("{relay}/settings/members")).await?;
    poll("two members on Ana's page", DEFAULT_TIMEOUT, async || {
        let mut names = member_names(ana).await?;
        names.sort();
        Ok(if names == ["Ana Lima (you)", "Ben Okafor"] {
            Seen::Done(())
        } else {
            Seen::Not(format!("{names:?}"))
        })
    })
    .await?;
    screenshots(ana, "members", &tid("member-list")).await?;

    // Ana makes Ben a viewer (the relay keeps it: it is there after a reload) and revokes the
    // used invite.
    ana.click(&format!(
        "{} option[value=viewer]",
        tid("member-role-select")
    ))
    .await?;
    ana.wait_for(&tid("invite-row"), DEFAULT_TIMEOUT).await?;
    ana.click(&tid("revoke-invite")).await?;
    ana.wait_for(&tid("no-invites"), DEFAULT_TIMEOUT).await?;
    ana.goto(&format!("{relay}/settings/members")).await?;
    ana.wait_for_js(
        "Ben's role to read Viewer",
        "const s = document.querySelector('[data-testid=member-role-select]'); \
         return !!s && s.value === 'viewer';",
        DEFAULT_TIMEOUT,
    )
    .await?;
    ana.wait_for(&tid("no-invites"), DEFAULT_TIMEOUT).await?;

    // The picker lists the workspace (open now) and this device's own one.
    ana.goto(&format!("{relay}/workspaces")).await?;
    ana.wait_for_text(&tid("workspace-name"), WORKSPACE, DEFAULT_TIMEOUT)
        .await?;
    ana.wait_for(&tid("workspace-local"), DEFAULT_TIMEOUT)
        .await?;
    screenshots(ana, "workspaces", &tid("workspace-current")).await?;

    // Change the password: a wrong current one is refused and everything typed stays.
    ana.click(&tid("nav-settings")).await?;
    ana.click(&tid("password-toggle")).await?;
    ana.type_text(&tid("password-current"), "not the password")
        .await?;
    ana.type_text(&tid("password-new"), NEW_PASSWORD).await?;
    ana.type_text(&tid("password-again"), NEW_PASSWORD).await?;
    ana.click(&tid("change-password")).await?;
    ana.wait_for_text(
        &tid("password-error"),
        "The current password is not right.",
        DEFAULT_TIMEOUT,
    )
    .await?;
    ensure!(
        ana.value_of(&tid("password-new")).await? == NEW_PASSWORD,
        "the new password stays typed"
    );
    ana.type_text(&tid("password-current"), PASSWORD).await?;
    ana.click(&tid("change-password")).await?;
    ana.wait_for(&tid("password-changed"), DEFAULT_TIMEOUT)
        .await?;

    // Sign out: back to sign-in with the email filled in.
    ana.click(&tid("nav-settings")).await?;
    ana.click(&tid("sign-out")).await?;
    wait_for_path(ana, "/signin").await?;
    ana.wait_for(&tid("signin-submit"), DEFAULT_TIMEOUT).await?;
    ensure!(
        ana.value_of(&tid("signin-email")).await? == "ana@example.com",
        "the sign-in form remembers the email"
    );
    ensure!(
        settings_workspace(ana).await? == "This device only",
        "signed out, the device's own workspace is open"
    );
    ana.wait_for(&tid("settings-signin"), DEFAULT_TIMEOUT)
        .await?;

    // A wrong password is refused; what was typed stays.
    ana.click(&tid("settings-signin")).await?;
    ana.type_text(&tid("signin-email"), "ana@example.com")
        .await?;
    ana.type_text(&tid("signin-password"), "not the password")
        .await?;
    ana.click(&tid("signin-submit")).await?;
    ana.wait_for_text(
        &tid("signin-error"),
        "Wrong email or password.",
        DEFAULT_TIMEOUT,
    )
    .await?;
    ensure!(
        ana.value_of(&tid("signin-email")).await? == "ana@example.com",
        "the typed email is kept"
    );
    ensure!(
        ana.value_of(&tid("signin-password")).await? == "not the password",
        "the typed password is kept"
    );

    // The new password signs her in and brings her back to Settings.
    ana.type_text(&tid("signin-password"), NEW_PASSWORD).await?;
    ana.click(&tid("signin-submit")).await?;
    wait_for_path(ana, "/settings").await?;
    ana.wait_for_text(&tid("account-email"), "ana@example.com", DEFAULT_TIMEOUT)
        .await
        .context("signed in again")?;

    // Relay down again: the picker still lists what this device knows, and says it is offline;
    // signing out asks before ending the session on this device only.
    test_relay.stop().await?;
    ana.click(&tid("switch-workspace")).await?;
    ana.wait_for(&tid("offline-notice"), DEFAULT_TIMEOUT)
        .await?;
    ana.wait_for_text(&tid("workspace-name"), WORKSPACE, DEFAULT_TIMEOUT)
        .await?;
    ana.click(&tid("nav-settings")).await?;
    ana.click(&tid("sign-out")).await?;
    ana.wait_for(&tid("sign-out-offline"), DEFAULT_TIMEOUT)
        .await?;
    ensure!(
        ana.path().await? == "/settings",
        "nothing happens until the person confirms"
    );
    Ok(())
}

/// Names in the people list, in order.
async fn people(browser: &Browser) -> Result<Vec<String>> {
    let names = browser
        .eval("return [...document.querySelectorAll('[data-testid=list-row] .row-link')].map(a => a.textContent)")
        .await?;
    Ok(serde_json::from_value(names)?)
}

async fn wait_for_person(
    browser: &Browser,
    name: &str,
    timeout: std::time::Duration,
) -> Result<()> {
    browser.click(&tid("nav-people")).await?;
    poll(&format!("{name} in the people list"), timeout, async || {
        let names = people(browser).await?;
        Ok(if names.iter().any(|n| n == name) {
            Seen::Done(())
        } else {
            Seen::Not(format!("{names:?}"))
        })
    })
    .await
}

/// A workspace made on this device without an account is connected to the relay after
/// signing up: it becomes a relay workspace with everything in it, and a teammate who joins
/// through an invite gets its records.
#[tokio::test(flavor = "multi_thread")]
async fn a_local_workspace_connected_to_the_relay_reaches_a_teammate() -> Result<()> {
    let relay = TestRelay::start().await?;
    let cleo = Browser::launch().await?;
    let dan = Browser::launch().await?;
    let result = connect_walk(&relay.url(), &cleo, &dan).await;
    let result = match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let a = cleo.failure_report("accounts_ui-connect-cleo").await;
            let b = dan.failure_report("accounts_ui-connect-dan").await;
            Err(e.context(format!("{a}\n{b}")))
        }
    };
    let closed = cleo.close().await.and(dan.close().await);
    let stopped = relay.shutdown().await;
    result.and(closed).and(stopped)
}

async fn connect_walk(relay: &str, cleo: &Browser, dan: &Browser) -> Result<()> {
    const SYNC: std::time::Duration = std::time::Duration::from_secs(30);
    cleo.goto(&format!("{relay}/people")).await?;
    cleo.click(&tid("new-record")).await?;
    cleo.type_text(&tid("new-name"), "Grace Hopper").await?;
    cleo.click(&tid("create-record")).await?;
    cleo.wait_for_text(&tid("record-title"), "Grace Hopper", DEFAULT_TIMEOUT)
        .await?;
    cleo.wait_for_text(&tid("save-state"), "Saved", DEFAULT_TIMEOUT)
        .await?;

    // Settings asks for an account first, then connects and reopens on the relay workspace.
    cleo.click(&tid("nav-settings")).await?;
    cleo.wait_for(&tid("connect-needs-account"), DEFAULT_TIMEOUT)
        .await?;
    cleo.click(&tid("settings-signup")).await?;
    sign_up(cleo, "Cleo Park", "cleo@example.com").await?;
    wait_for_path(cleo, "/settings").await?;
    cleo.type_text(&tid("connect-name"), "Cleo's Clients")
        .await?;
    cleo.click(&tid("connect-workspace")).await?;
    wait_for_path(cleo, "/people").await?;
    wait_for_person(cleo, "Grace Hopper", DEFAULT_TIMEOUT).await?;
    ensure!(
        settings_workspace(cleo).await? == "Cleo's Clients",
        "the connected workspace is the open one"
    );
    ensure!(
        cleo.find(&tid("connect-local")).await.is_err(),
        "a connected workspace offers no second connection"
    );

    // Dan joins through an invite and receives what was made before the workspace was shared.
    cleo.click(&tid("manage-members")).await?;
    cleo.click(&tid("create-invite")).await?;
    cleo.wait_for(&tid("invite-link"), DEFAULT_TIMEOUT).await?;
    let link = cleo.value_of(&tid("invite-link")).await?;
    dan.goto(&link).await?;
    dan.click(&tid("invite-signup")).await?;
    sign_up(dan, "Dan Reyes", "dan@example.com").await?;
    dan.click(&tid("accept-invite")).await?;
    wait_for_path(dan, "/people").await?;
    wait_for_person(dan, "Grace Hopper", SYNC).await?;

    // Cleo's picker no longer offers a separate local workspace: it became this one.
    cleo.goto(&format!("{relay}/workspaces")).await?;
    cleo.wait_for_text(&tid("workspace-name"), "Cleo's Clients", DEFAULT_TIMEOUT)
        .await?;
    ensure!(
        cleo.find(&tid("workspace-local")).await.is_err(),
        "no second local workspace"
    );
    Ok(())
}
