//! People and companies in a real browser: created, linked, found, edited with the relay
//! stopped, and still there after the browser restarts with the same profile.

use anyhow::{Result, ensure};
use kith_e2e::{Browser, DEFAULT_TIMEOUT, Seen, TestRelay, poll, tid};

#[tokio::test(flavor = "multi_thread")]
async fn people_and_companies_work_offline_and_survive_a_browser_restart() -> Result<()> {
    let mut relay = TestRelay::start().await?;
    let browser = Browser::launch().await?;
    let (result, browser) = match walk(browser, &mut relay).await {
        Ok(browser) => (Ok(()), browser),
        Err((e, browser)) => (Err(e), browser),
    };
    let result = browser
        .finish(
            "people_and_companies_work_offline_and_survive_a_browser_restart",
            result,
        )
        .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

/// Runs the walk, handing the browser back (it is restarted midway) with any error.
async fn walk(
    browser: Browser,
    relay: &mut TestRelay,
) -> Result<Browser, (anyhow::Error, Browser)> {
    if let Err(e) = online_part(&browser, relay).await {
        return Err((e, browser));
    }
    // Quit the browser entirely and start it again on the same profile, relay still down.
    let browser = match browser.restart_same_profile().await {
        Ok(b) => b,
        Err(e) => panic!("restarting Chromium failed: {e:#}"),
    };
    match after_restart(&browser, relay).await {
        Ok(()) => Ok(browser),
        Err(e) => Err((e, browser)),
    }
}

async fn create_person(browser: &Browser, name: &str, email: &str) -> Result<()> {
    browser.click(&tid("nav-people")).await?;
    browser.click(&tid("new-record")).await?;
    browser.type_text(&tid("new-name"), name).await?;
    browser.type_text(&tid("new-email"), email).await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), name, DEFAULT_TIMEOUT)
        .await?;
    Ok(())
}

async fn row_names(browser: &Browser) -> Result<Vec<String>> {
    let names = browser
        .eval("return [...document.querySelectorAll('[data-testid=list-row] .row-link')].map(a => a.textContent)")
        .await?;
    Ok(serde_json::from_value(names)?)
}

async fn wait_for_rows(browser: &Browser, expected: &[&str]) -> Result<()> {
    poll(
        &format!("list rows {expected:?}"),
        DEFAULT_TIMEOUT,
        async || {
            let names = row_names(browser).await?;
            Ok(if names == expected {
                Seen::Done(())
            } else {
                Seen::Not(format!("{names:?}"))
            })
        },
    )
    .await
}

async fn online_part(browser: &Browser, relay: &mut TestRelay) -> Result<()> {
    browser.goto(&format!("{}/people", relay.url())).await?;
    browser
        .wait_for(&tid("empty-state"), DEFAULT_TIMEOUT)
        .await?;

    // A bad email is refused with a reason, and what was typed stays in the form.
    browser.click(&tid("new-record")).await?;
    browser.type_text(&tid("new-name"), "Ada Lovelace").await?;
    browser
        .type_text(&tid("new-email"), "ada-at-example")
        .await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text_where(&tid("form-error"), "an email error", DEFAULT_TIMEOUT, |t| {
            t.contains('@')
        })
        .await?;
    ensure!(
        browser.value_of(&tid("new-name")).await? == "Ada Lovelace",
        "the typed name is kept"
    );

    browser
        .type_text(&tid("new-email"), "ada@example.com")
        .await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), "Ada Lovelace", DEFAULT_TIMEOUT)
        .await?;

    // Link her to a company that does not exist yet: typing its name creates it.
    browser
        .fill(&tid("field-company"), "Analytical Engines Ltd")
        .await?;
    browser
        .wait_for_present("a[href^='/companies/']", DEFAULT_TIMEOUT)
        .await?;
    browser.type_text(&tid("add-tag"), "vip").await?;
    browser.press_enter(&tid("add-tag")).await?;
    browser
        .wait_for_text_where(&tid("tags"), "the vip tag", DEFAULT_TIMEOUT, |t| {
            t.contains("vip")
        })
        .await?;
    // A tag that is too long is refused with the reason, and the typed text stays in the input.
    browser
        .type_text(
            &tid("add-tag"),
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        )
        .await?;
    browser.press_enter(&tid("add-tag")).await?;
    browser
        .wait_for_text_where(
            &tid("tags"),
            "the too-long tag refused",
            DEFAULT_TIMEOUT,
            |t| t.contains("at most"),
        )
        .await?;
    ensure!(
        browser.value_of(&tid("add-tag")).await?.len() == 70,
        "the refused tag is still in the input"
    );
    browser
        .wait_for_text(&tid("save-state"), "Saved", DEFAULT_TIMEOUT)
        .await?;

    create_person(browser, "Charles Babbage", "charles@example.com").await?;

    // The company lists its person; the people list finds Ada by her company's name.
    browser.click(&tid("nav-companies")).await?;
    wait_for_rows(browser, &["Analytical Engines Ltd"]).await?;
    let timing = browser
        .eval("return document.querySelector('.row-link').getAttribute('elementtiming')")
        .await?;
    ensure!(
        timing == "kith-list-row",
        "row names carry elementtiming, got {timing}"
    );
    // Following a row's link is an in-app navigation, not a reload of the whole app.
    browser
        .eval("window.__stillTheSamePage = true; return null")
        .await?;
    browser.click("[data-testid=list-row] .row-link").await?;
    browser
        .wait_for_text_where(
            &tid("company-people"),
            "Ada among its people",
            DEFAULT_TIMEOUT,
            |t| t.contains("Ada Lovelace"),
        )
        .await?;
    let same_page = browser
        .eval("return window.__stillTheSamePage === true")
        .await?;
    ensure!(same_page == true, "clicking a row link reloaded the app");

    browser.click(&tid("nav-people")).await?;
    wait_for_rows(browser, &["Ada Lovelace", "Charles Babbage"]).await?;
    browser.type_text(&tid("list-search"), "analytical").await?;
    wait_for_rows(browser, &["Ada Lovelace"]).await?;

    browser.wait_for_offline_shell(DEFAULT_TIMEOUT).await?;
    browser.set_viewport(1440, 900).await?;
    browser.type_text(&tid("list-search"), "").await?;
    wait_for_rows(browser, &["Ada Lovelace", "Charles Babbage"]).await?;
    browser.screenshot("people-desktop").await?;
    browser.set_viewport(390, 844).await?;
    browser.screenshot("people-phone").await?;
    browser.set_viewport(1440, 900).await?;

    // The relay goes away; the list reloads from this device and an edit is saved locally.
    relay.stop().await?;
    browser.reload().await?;
    wait_for_rows(browser, &["Ada Lovelace", "Charles Babbage"]).await?;
    browser.click("[data-testid=list-row] .row-link").await?;
    browser
        .wait_for_text(&tid("record-title"), "Ada Lovelace", DEFAULT_TIMEOUT)
        .await?;
    browser.fill(&tid("field-title"), "Analyst").await?;
    browser
        .wait_for_text(&tid("save-state"), "Saved", DEFAULT_TIMEOUT)
        .await?;
    browser.screenshot("person-desktop").await?;
    browser.set_viewport(390, 844).await?;
    browser.screenshot("person-phone").await?;
    browser.set_viewport(1440, 900).await?;
    Ok(())
}

async fn after_restart(browser: &Browser, relay: &TestRelay) -> Result<()> {
    ensure!(!relay.is_running(), "the relay stays stopped");
    browser.goto(&format!("{}/people", relay.url())).await?;
    wait_for_rows(browser, &["Ada Lovelace", "Charles Babbage"]).await?;
    browser.click("[data-testid=list-row] .row-link").await?;
    browser
        .wait_for_text(&tid("record-title"), "Ada Lovelace", DEFAULT_TIMEOUT)
        .await?;
    let title = browser.value_of(&tid("field-title")).await?;
    ensure!(
        title == "Analyst",
        "the offline edit survived a browser restart, got {title:?}"
    );
    let company = browser.value_of(&tid("field-company")).await?;
    ensure!(
        company == "Analytical Engines Ltd",
        "the company link survived, got {company:?}"
    );
    browser
        .wait_for_text_where(&tid("tags"), "the vip tag", DEFAULT_TIMEOUT, |t| {
            t.contains("vip")
        })
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_made_with_the_relay_stopped_are_kept_and_delete_can_be_undone() -> Result<()> {
    let mut relay = TestRelay::start().await?;
    let browser = Browser::launch().await?;
    let result = offline_edits(&browser, &mut relay).await;
    let result = browser
        .finish(
            "edits_made_with_the_relay_stopped_are_kept_and_delete_can_be_undone",
            result,
        )
        .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn offline_edits(browser: &Browser, relay: &mut TestRelay) -> Result<()> {
    browser.goto(&format!("{}/people", relay.url())).await?;
    browser.wait_for_offline_shell(DEFAULT_TIMEOUT).await?;
    create_person(browser, "Grace Hopper", "grace@example.com").await?;

    relay.stop().await?;
    browser.reload().await?;
    browser
        .wait_for_text(&tid("record-title"), "Grace Hopper", DEFAULT_TIMEOUT)
        .await?;
    browser.fill(&tid("field-title"), "Rear Admiral").await?;
    browser
        .wait_for_text(&tid("save-state"), "Saved", DEFAULT_TIMEOUT)
        .await?;
    browser.reload().await?;
    browser
        .wait_for_text(&tid("record-title"), "Grace Hopper", DEFAULT_TIMEOUT)
        .await?;
    let title = browser.value_of(&tid("field-title")).await?;
    ensure!(
        title == "Rear Admiral",
        "the offline edit survived a reload, got {title:?}"
    );

    browser.click(&tid("delete-record")).await?;
    browser
        .wait_for(&tid("toast-undo"), DEFAULT_TIMEOUT)
        .await?;
    wait_for_rows(browser, &[]).await?;
    browser.click(&tid("toast-undo")).await?;
    wait_for_rows(browser, &["Grace Hopper"]).await?;
    Ok(())
}
