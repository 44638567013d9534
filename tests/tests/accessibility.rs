//! Every main screen, with records in it, checked by axe-core at desktop and phone size (no
//! serious or critical WCAG 2.1 AA violation), with a screenshot of each for people to look at.
//! The screens a sales day fills with deals, activities and tasks are also checked by
//! `sales_day.rs` as it walks through them.

use anyhow::{Context, Result};
use kith_e2e::{Browser, DEFAULT_TIMEOUT, TestRelay, tid};

#[tokio::test(flavor = "multi_thread")]
async fn main_screens_have_no_serious_accessibility_violations() -> Result<()> {
    let relay = TestRelay::start().await?;
    let browser = Browser::launch().await?;
    let result = walk(&browser, &relay).await;
    let result = browser
        .finish(
            "main_screens_have_no_serious_accessibility_violations",
            result,
        )
        .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

/// Checks the page now shown (`ready` is on screen) at every size.
async fn check(browser: &Browser, name: &str, ready: &str) -> Result<()> {
    browser.check_screen(&format!("a11y-{name}"), ready).await
}

async fn walk(browser: &Browser, relay: &TestRelay) -> Result<()> {
    let base = relay.url();
    browser.goto(&format!("{base}/people")).await?;
    check(browser, "people-empty", &tid("empty-state")).await?;

    // A company and a person at it, so lists and record pages have content.
    browser.click(&tid("nav-companies")).await?;
    browser.click(&tid("new-record")).await?;
    browser.type_text(&tid("new-name"), "Acme Tools").await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), "Acme Tools", DEFAULT_TIMEOUT)
        .await?;
    check(browser, "company", &tid("record-title")).await?;

    browser.click(&tid("nav-people")).await?;
    browser.click(&tid("new-record")).await?;
    check(browser, "new-person", &tid("new-name")).await?;
    browser.type_text(&tid("new-name"), "Ana Silva").await?;
    browser
        .type_text(&tid("new-email"), "ana@acme.example")
        .await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), "Ana Silva", DEFAULT_TIMEOUT)
        .await?;
    check(browser, "person", &tid("record-title")).await?;

    for (name, path, ready) in [
        ("people", "/people", "list-row"),
        ("companies", "/companies", "list-row"),
        ("leads", "/leads", "page-leads"),
        ("deals", "/deals", "page-deals"),
        ("deals-table", "/deals?view=table", "page-deals"),
        ("new-deal", "/deals/new", "page-new-deal"),
        ("tasks", "/tasks", "page-tasks"),
        ("settings", "/settings", "page-settings"),
        ("pipelines", "/settings/pipelines", "page-pipelines"),
        ("sign-in", "/signin", "page-signin"),
        ("sign-up", "/signup", "page-signup"),
        ("workspaces", "/workspaces", "page-workspaces"),
    ] {
        browser
            .goto(&format!("{base}{path}"))
            .await
            .with_context(|| format!("opening {path}"))?;
        check(browser, name, &tid(ready)).await?;
    }

    // The dialogs opened from the keyboard.
    browser.goto(&format!("{base}/people")).await?;
    browser.wait_for(&tid("list-row"), DEFAULT_TIMEOUT).await?;
    browser
        .eval("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', ctrlKey: true, bubbles: true})); return true;")
        .await?;
    check(browser, "palette", &tid("palette")).await?;
    browser
        .eval("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); return true;")
        .await?;
    browser
        .eval("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: '?', bubbles: true})); return true;")
        .await?;
    check(browser, "shortcuts", &tid("shortcuts-help")).await?;
    Ok(())
}
