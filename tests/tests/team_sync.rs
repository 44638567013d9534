//! Two teammates in two browsers on one relay workspace: edits reach the other side live,
//! edits made while both were offline merge when they reconnect, the same field edited on
//! both sides is kept twice and shown as a conflict that either of them resolves for both.
//! Then two relay nodes on one PostgreSQL database, one browser on each.

use anyhow::{Context, Result, ensure};
use kith_core::api::{Role, Session, WorkspaceInfo};
use kith_e2e::api::{add_member, create_workspace, sign_up};
use kith_e2e::{Browser, DEFAULT_TIMEOUT, Seen, TestRelay, poll, tid};

/// Sync waits include a reconnect with backoff after a relay restart.
const SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(45);

struct Team {
    ana: Session,
    ben: Session,
    workspace: WorkspaceInfo,
    ben_workspace: WorkspaceInfo,
}

async fn team(relay: &str) -> Result<Team> {
    let ana = sign_up(relay, "ana@example.com", "Ana Lima").await?;
    let ben = sign_up(relay, "ben@example.com", "Ben Okafor").await?;
    let workspace = create_workspace(relay, &ana, "Acme Sales").await?;
    let ben_workspace = add_member(relay, &ana, &workspace, &ben, Role::Member).await?;
    Ok(Team {
        ana,
        ben,
        workspace,
        ben_workspace,
    })
}

async fn create_person(browser: &Browser, name: &str, email: &str) -> Result<()> {
    browser.click(&tid("nav-people")).await?;
    browser.click(&tid("new-record")).await?;
    browser.type_text(&tid("new-name"), name).await?;
    browser.type_text(&tid("new-email"), email).await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), name, DEFAULT_TIMEOUT)
        .await
}

/// Opens the person named `name` from the people list, waiting for it to arrive first.
async fn open_person(browser: &Browser, name: &str) -> Result<()> {
    browser.click(&tid("nav-people")).await?;
    let script = format!(
        "const a = [...document.querySelectorAll('[data-testid=list-row] .row-link')]\
           .find(a => a.textContent === {name:?}); if (!a) return false; a.click(); return true;"
    );
    browser
        .wait_for_js(&format!("{name} in the people list"), &script, SYNC_TIMEOUT)
        .await?;
    browser
        .wait_for_text(&tid("record-title"), name, DEFAULT_TIMEOUT)
        .await
}

async fn channel_values(browser: &Browser, noun: &str) -> Result<Vec<String>> {
    let values = browser
        .eval(&format!(
            "return [...document.querySelectorAll('[data-testid=channel-{noun}] li input')].map(i => i.value)"
        ))
        .await?;
    Ok(serde_json::from_value(values)?)
}

async fn wait_for_channel(browser: &Browser, noun: &str, expected: &[&str]) -> Result<()> {
    poll(
        &format!("{noun} values {expected:?}"),
        SYNC_TIMEOUT,
        async || {
            let mut values = channel_values(browser, noun).await?;
            values.sort();
            let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            want.sort();
            Ok(if values == want {
                Seen::Done(())
            } else {
                Seen::Not(format!("{values:?}"))
            })
        },
    )
    .await
}

async fn wait_for_value(browser: &Browser, css: &str, expected: &str) -> Result<()> {
    poll(
        &format!("{css} to read {expected:?}"),
        SYNC_TIMEOUT,
        async || {
            let value = browser.value_of(css).await?;
            Ok(if value == expected {
                Seen::Done(())
            } else {
                Seen::Not(value)
            })
        },
    )
    .await
}

/// The values a field's conflict marker offers, once it shows at least `count` of them.
async fn conflict_values(browser: &Browser, field: &str, count: usize) -> Result<Vec<String>> {
    poll(
        &format!("a conflict on {field} with {count} values"),
        SYNC_TIMEOUT,
        async || {
            let values = browser
                .eval(&format!(
                    "return [...document.querySelectorAll('[data-testid=conflict-{field}] button')]\
                       .map(b => b.textContent)"
                ))
                .await?;
            let mut values: Vec<String> = serde_json::from_value(values)?;
            values.sort();
            Ok(if values.len() >= count {
                Seen::Done(values)
            } else {
                Seen::Not(format!("{values:?}"))
            })
        },
    )
    .await
}

async fn wait_until_offline(browser: &Browser) -> Result<()> {
    browser
        .wait_for_text_where(&tid("connection-status"), "Offline", SYNC_TIMEOUT, |t| {
            t.contains("Offline")
        })
        .await
        .map(drop)
}

async fn wait_until_saved(browser: &Browser) -> Result<()> {
    browser
        .wait_for_text(&tid("save-state"), "Saved", DEFAULT_TIMEOUT)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn teammates_converge_live_and_after_offline_edits() -> Result<()> {
    let mut relay = TestRelay::start().await?;
    let team = team(&relay.url()).await?;
    let ana = Browser::launch().await?;
    let ben = Browser::launch().await?;
    let result = walk_team(&mut relay, &team, &ana, &ben).await;
    let result = ana.finish("team_sync (Ana)", result).await;
    let result = ben.finish("team_sync (Ben)", result).await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn walk_team(relay: &mut TestRelay, team: &Team, ana: &Browser, ben: &Browser) -> Result<()> {
    let url = relay.url();
    ana.open_relay_workspace(&url, &team.ana, &team.workspace)
        .await?;
    ben.open_relay_workspace(&url, &team.ben, &team.ben_workspace)
        .await?;

    // Live: Ana creates a person; Ben's open list shows it without a reload.
    create_person(ana, "Grace Hopper", "grace@navy.mil").await?;
    open_person(ben, "Grace Hopper").await?;
    // Presence: Ana sees that Ben is looking at the same person.
    ana.wait_for_js(
        "Ben's avatar on Ana's record page",
        &format!(
            "const a = document.querySelector('[data-testid=presence-avatar][data-user=\"{}\"]');\
             return !!a && a.getAttribute('aria-label') === 'Ben Okafor is viewing';",
            team.ben.user.id
        ),
        SYNC_TIMEOUT,
    )
    .await?;
    ana.fill(&tid("field-title"), "Rear Admiral").await?;
    wait_for_value(ben, &tid("field-title"), "Rear Admiral")
        .await
        .context("Ana's live edit on Ben's open record page")?;

    // Both offline: Ana adds a phone, Ben an email, to the same person.
    relay.stop().await?;
    wait_until_offline(ana).await?;
    wait_until_offline(ben).await?;
    ana.type_text(&tid("add-phone"), "+1 202 555 0100").await?;
    ana.press_enter(&tid("add-phone")).await?;
    wait_for_channel(ana, "phone", &["+1 202 555 0100"]).await?;
    ben.type_text(&tid("add-email"), "grace@example.org")
        .await?;
    ben.press_enter(&tid("add-email")).await?;
    wait_for_channel(ben, "email", &["grace@navy.mil", "grace@example.org"]).await?;
    wait_until_saved(ana).await?;
    wait_until_saved(ben).await?;

    // Back online: each sees both edits.
    relay.restart().await?;
    for (who, browser) in [("Ana", ana), ("Ben", ben)] {
        wait_for_channel(browser, "phone", &["+1 202 555 0100"])
            .await
            .with_context(|| format!("{who} sees the phone"))?;
        wait_for_channel(browser, "email", &["grace@navy.mil", "grace@example.org"])
            .await
            .with_context(|| format!("{who} sees both emails"))?;
    }

    // The same field, both offline: both values are kept, one shown, the conflict visible.
    relay.stop().await?;
    wait_until_offline(ana).await?;
    wait_until_offline(ben).await?;
    ana.fill(&tid("field-title"), "CEO").await?;
    ben.fill(&tid("field-title"), "CTO").await?;
    wait_until_saved(ana).await?;
    wait_until_saved(ben).await?;
    relay.restart().await?;
    let seen_by_ana = conflict_values(ana, "title", 2).await?;
    let seen_by_ben = conflict_values(ben, "title", 2).await?;
    ensure!(
        seen_by_ana == ["CEO", "CTO"] && seen_by_ben == seen_by_ana,
        "both values offered: Ana {seen_by_ana:?}, Ben {seen_by_ben:?}"
    );
    // Each value says who wrote it and when.
    for browser in [ana, ben] {
        browser
            .click("[data-testid=conflict-title] summary")
            .await
            .context("opening the conflict's details")?;
        let details = browser
            .eval(
                "return [...document.querySelectorAll('[data-testid=conflict-title] [data-testid=conflict-candidate]')]\
                   .map(c => [c.querySelector('button').textContent, c.dataset.author, c.querySelector('.conflict__meta').textContent])",
            )
            .await?;
        let mut details: Vec<(String, String, String)> = serde_json::from_value(details)?;
        details.sort();
        ensure!(
            details.len() == 2
                && details[0].1 == team.ana.user.id
                && details[0].2.starts_with("Ana Lima, ")
                && details[1].1 == team.ben.user.id
                && details[1].2.starts_with("Ben Okafor, ")
                && details.iter().all(|d| d.2.contains(':')),
            "each value with its author and time: {details:?}"
        );
    }
    ana.screenshot("team_sync-conflict-desktop").await?;
    ben.set_viewport(390, 844).await?;
    ben.screenshot("team_sync-conflict-phone").await?;
    let shown = ana.value_of(&tid("field-title")).await?;
    wait_for_value(ben, &tid("field-title"), &shown)
        .await
        .context("both show the same winner")?;

    // Ben keeps "CTO": the conflict goes away for both.
    ben.eval(
        "[...document.querySelectorAll('[data-testid=conflict-title] button')]\
           .find(b => b.textContent === 'CTO').click(); return true;",
    )
    .await?;
    for browser in [ana, ben] {
        wait_for_value(browser, &tid("field-title"), "CTO").await?;
        browser
            .wait_for_js(
                "the conflict marker to go",
                "return !document.querySelector('[data-testid=conflict-title]')",
                SYNC_TIMEOUT,
            )
            .await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_relay_nodes_on_one_postgres_converge() -> Result<()> {
    let database = kith_e2e::postgres::fresh_database().await;
    let node_a = TestRelay::start_on_database(&database).await?;
    let node_b = TestRelay::start_on_database(&database).await?;
    let team = team(&node_a.url()).await?;
    let ana = Browser::launch().await?;
    let ben = Browser::launch().await?;
    let result = async {
        ana.open_relay_workspace(&node_a.url(), &team.ana, &team.workspace)
            .await?;
        ben.open_relay_workspace(&node_b.url(), &team.ben, &team.ben_workspace)
            .await?;
        create_person(&ana, "Katherine Johnson", "kj@nasa.gov").await?;
        open_person(&ben, "Katherine Johnson")
            .await
            .context("node B's browser sees what was written through node A")?;
        ben.fill(&tid("field-title"), "Mathematician").await?;
        wait_for_value(&ana, &tid("field-title"), "Mathematician")
            .await
            .context("node A's browser sees what was written through node B")
    }
    .await;
    let result = ana.finish("two_relay_nodes (Ana, node A)", result).await;
    let result = ben.finish("two_relay_nodes (Ben, node B)", result).await;
    let a = node_a.shutdown().await;
    let b = node_b.shutdown().await;
    result.and(a).and(b)
}

/// Ana's session ends (signed out elsewhere; an expired token looks the same to the relay).
/// Her edits stay on her device, marked as waiting; once she signs in again they reach Ben.
#[tokio::test(flavor = "multi_thread")]
async fn edits_wait_for_sign_in_when_the_session_ends() -> Result<()> {
    let relay = TestRelay::start().await?;
    let url = relay.url();
    let team = team(&url).await?;
    let ana = Browser::launch().await?;
    let ben = Browser::launch().await?;
    let result = async {
        ana.open_relay_workspace(&url, &team.ana, &team.workspace)
            .await?;
        ben.open_relay_workspace(&url, &team.ben, &team.ben_workspace)
            .await?;
        create_person(&ana, "Hedy Lamarr", "hedy@example.com").await?;
        open_person(&ben, "Hedy Lamarr").await?;

        let (status, _) = kith_e2e::api::call(
            &url,
            "POST",
            "/api/auth/signout",
            Some(&team.ana.token),
            None::<&()>,
        )
        .await?;
        ensure!(status == 204, "sign-out answered {status}");
        ana.wait_for_text(&tid("connection-status"), "Sign in again", SYNC_TIMEOUT)
            .await?;
        ana.fill(&tid("field-title"), "Inventor").await?;
        wait_until_saved(&ana).await?;
        ana.wait_for_text(
            &tid("sync-status"),
            "Sign in again to send 1 change",
            DEFAULT_TIMEOUT,
        )
        .await?;
        ensure!(
            ben.value_of(&tid("field-title")).await?.is_empty(),
            "nothing reached Ben without a session"
        );

        ana.click(&tid("sync-sign-in")).await?;
        ana.wait_for(&tid("page-signin"), DEFAULT_TIMEOUT).await?;
        ensure!(
            ana.value_of(&tid("signin-email")).await? == "ana@example.com",
            "the email is filled in"
        );
        ana.type_text(&tid("signin-password"), kith_e2e::api::PASSWORD)
            .await?;
        ana.click(&tid("signin-submit")).await?;
        ana.wait_for_text(&tid("record-title"), "Hedy Lamarr", DEFAULT_TIMEOUT)
            .await
            .context("back on the record after signing in")?;
        ensure!(
            ana.value_of(&tid("field-title")).await? == "Inventor",
            "her edit is still there"
        );
        wait_for_value(&ben, &tid("field-title"), "Inventor")
            .await
            .context("the waiting edit reaches Ben after sign-in")
    }
    .await;
    let result = ana.finish("session_ends (Ana)", result).await;
    let result = ben.finish("session_ends (Ben)", result).await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}
