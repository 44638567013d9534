//! A workspace that reaches the relay's storage limit, in a real browser: nothing typed is
//! lost, the sync indicator says the workspace is full and Settings says why.

use anyhow::{Result, ensure};
use kith_e2e::api::{create_workspace, sign_up};
use kith_e2e::{Browser, DEFAULT_TIMEOUT, Seen, TestRelay, poll, tid};

#[tokio::test(flavor = "multi_thread")]
async fn a_full_workspace_keeps_every_edit_and_says_so() -> Result<()> {
    // Room for a few people only.
    let relay = TestRelay::start_configured(|c| c.workspace_quota_bytes = 2_500).await?;
    let browser = Browser::launch().await?;
    let result = full_workspace(&browser, &relay).await;
    let result = browser
        .finish("a_full_workspace_keeps_every_edit_and_says_so", result)
        .await;
    relay.shutdown().await?;
    result
}

async fn full_workspace(browser: &Browser, relay: &TestRelay) -> Result<()> {
    let ana = sign_up(&relay.url(), "ana@example.com", "Ana Lima").await?;
    let workspace = create_workspace(&relay.url(), &ana, "Acme Sales").await?;
    browser
        .open_relay_workspace(&relay.url(), &ana, &workspace)
        .await?;
    browser
        .wait_for_text(&tid("connection-status"), "Online", DEFAULT_TIMEOUT)
        .await?;
    let mut created = Vec::new();
    for n in 1..=12 {
        let name = format!("Contact {n}");
        browser.click(&tid("nav-people")).await?;
        browser.click(&tid("new-record")).await?;
        browser.type_text(&tid("new-name"), &name).await?;
        browser.click(&tid("create-record")).await?;
        browser
            .wait_for_text(&tid("record-title"), &name, DEFAULT_TIMEOUT)
            .await?;
        created.push(name);
        // Sent and acknowledged, or refused: either way the indicator settles.
        let status = poll(
            "the sync indicator to settle",
            DEFAULT_TIMEOUT,
            async || {
                let status = browser.text_of(&tid("connection-status")).await?;
                Ok(if status == "Online" || status == "Workspace full" {
                    Seen::Done(status)
                } else {
                    Seen::Not(status)
                })
            },
        )
        .await?;
        if status == "Workspace full" {
            break;
        }
    }
    ensure!(
        browser.text_of(&tid("connection-status")).await? == "Workspace full",
        "{} people created and the workspace never filled",
        created.len()
    );
    let detail = browser.text_of(&tid("sync-status")).await?;
    ensure!(
        detail.contains("no room left") && detail.contains("waiting"),
        "{detail}"
    );
    browser.click(&tid("sync-details")).await?;
    browser
        .wait_for_text_where(
            &tid("settings-problems"),
            "why the relay refused",
            DEFAULT_TIMEOUT,
            |t| t.contains("no room left") && t.contains("kept here"),
        )
        .await?;
    browser
        .check_screen("workspace-full", &tid("settings-problems"))
        .await?;

    // Everything typed is still here after a reload, the last person included.
    browser.reload().await?;
    browser.click(&tid("nav-people")).await?;
    let last = created.last().expect("at least one person");
    let script = format!(
        "return [...document.querySelectorAll('[data-testid=list-row] .row-link')]\
           .some(a => a.textContent === {last:?});"
    );
    browser
        .wait_for_js(
            &format!("{last} in the people list"),
            &script,
            DEFAULT_TIMEOUT,
        )
        .await?;
    Ok(())
}
