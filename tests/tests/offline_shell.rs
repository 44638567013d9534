//! The app shell in a real browser against a real relay: it opens, navigates, and keeps
//! working from the service worker's cache when the relay goes away.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use kith_e2e::{Browser, DEFAULT_TIMEOUT, TestRelay, http_get, tid};

const SECTIONS: [(&str, &str); 6] = [
    ("leads", "Leads"),
    ("people", "People"),
    ("companies", "Companies"),
    ("deals", "Deals"),
    ("tasks", "Tasks"),
    ("settings", "Settings"),
];

/// How long the app may take to reconnect after the relay comes back (its backoff is capped).
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(45);

fn status() -> String {
    tid("connection-status")
}

/// The shell is on screen: every nav link is displayed and `page` is the page shown.
async fn expect_shell(browser: &Browser, page: &str) -> Result<()> {
    for (section, _) in SECTIONS {
        browser
            .wait_for(&tid(&format!("nav-{section}")), DEFAULT_TIMEOUT)
            .await?;
    }
    browser.wait_for(&tid(page), DEFAULT_TIMEOUT).await?;
    Ok(())
}

/// `page` is shown with `title` as its heading, at `path`.
async fn expect_page(browser: &Browser, page: &str, title: &str, path: &str) -> Result<()> {
    browser.wait_for(&tid(page), DEFAULT_TIMEOUT).await?;
    browser
        .wait_for_text(
            &format!("{} h1.page__title", tid(page)),
            title,
            DEFAULT_TIMEOUT,
        )
        .await?;
    let at = browser.path().await?;
    ensure!(at == path, "{page} is shown at {at}, expected {path}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn app_shell_opens_offline_after_relay_stops() -> Result<()> {
    let mut relay = TestRelay::start().await?;
    let browser = Browser::launch().await?;
    let result = offline_shell(&browser, &mut relay).await;
    let result = browser
        .finish("app_shell_opens_offline_after_relay_stops", result)
        .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn offline_shell(browser: &Browser, relay: &mut TestRelay) -> Result<()> {
    // Online: the root redirects to People and the relay indicator turns Online.
    browser.goto(&relay.url()).await?;
    expect_shell(browser, "page-people").await?;
    expect_page(browser, "page-people", "People", "/people").await?;
    browser
        .wait_for_text(&status(), "Online", DEFAULT_TIMEOUT)
        .await?;

    // The service worker controls the page and has the whole shell in its cache.
    let shell = browser.wait_for_offline_shell(DEFAULT_TIMEOUT).await?;
    eprintln!(
        "shell cache {:?}: {} files, reloaded to be controlled: {}",
        shell.caches,
        shell.paths.len(),
        shell.reloaded
    );

    // (A 1440×900 window has a shorter viewport: size the viewport itself.)
    browser.set_viewport(1440, 900).await?;
    browser.screenshot("shell-desktop").await?;
    browser.set_viewport(390, 844).await?;
    browser.screenshot("shell-phone").await?;
    browser.set_viewport(1440, 900).await?;

    // The relay goes away: the open page notices by itself.
    relay.stop().await?;
    browser
        .wait_for_text(&status(), "Offline", DEFAULT_TIMEOUT)
        .await?;

    // A reload with no relay still opens the app, from the service worker's cache.
    browser.reload().await?;
    expect_shell(browser, "page-people").await?;
    browser
        .wait_for_text_where(
            &status(),
            r#""Offline" or "Connecting…""#,
            DEFAULT_TIMEOUT,
            |text| text == "Offline" || text == "Connecting…",
        )
        .await?;

    // Navigation works offline too.
    browser.click(&tid("nav-companies")).await?;
    expect_page(browser, "page-companies", "Companies", "/companies").await?;

    // The relay comes back on the same port: the app reconnects without a reload.
    relay.restart().await?;
    let back = Instant::now();
    browser
        .wait_for_text(&status(), "Online", RECONNECT_TIMEOUT)
        .await?;
    eprintln!(
        "online again {:.1?} after the relay restarted",
        back.elapsed()
    );
    expect_page(browser, "page-companies", "Companies", "/companies").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn navigation_reaches_every_section_and_unknown_paths_show_not_found() -> Result<()> {
    let relay = TestRelay::start().await?;
    let browser = Browser::launch().await?;
    let result = navigation(&browser, &relay).await;
    let result = browser
        .finish(
            "navigation_reaches_every_section_and_unknown_paths_show_not_found",
            result,
        )
        .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn navigation(browser: &Browser, relay: &TestRelay) -> Result<()> {
    browser.goto(&relay.url()).await?;
    expect_shell(browser, "page-people").await?;

    // Every section, ending back where we started so People is reached by a click as well.
    for (section, title) in SECTIONS.iter().skip(1).chain(SECTIONS.iter().take(1)) {
        browser.click(&tid(&format!("nav-{section}"))).await?;
        expect_page(
            browser,
            &format!("page-{section}"),
            title,
            &format!("/{section}"),
        )
        .await?;
    }

    browser
        .goto(&format!("{}/no-such-page", relay.url()))
        .await?;
    expect_page(browser, "page-not-found", "Not found", "/no-such-page").await?;
    expect_shell(browser, "page-not-found").await?;

    let url = format!("{}/healthz", relay.url());
    let (code, body) = http_get(&url).await?;
    ensure!(code == 200, "GET /healthz answered {code}: {body}");
    let health: serde_json::Value =
        serde_json::from_str(&body).with_context(|| format!("GET /healthz is not JSON: {body}"))?;
    ensure!(
        health["status"] == "ok",
        "GET /healthz answered {health}, expected \"status\":\"ok\""
    );
    Ok(())
}
