//! A salesperson's day in a real browser: a lead is created, qualified and converted; its deal
//! crosses the kanban by mouse, by touch and by keyboard; a call is logged and a task added and
//! found in My tasks; a filtered view is saved; then, with the relay gone, a reload finds all
//! of it. Each screen on the way is checked by axe-core at desktop and phone size.

use anyhow::{Context, Result, ensure};
use kith_e2e::pointer::Pointer;
use kith_e2e::{Browser, DEFAULT_TIMEOUT, Seen, TestRelay, poll, tid};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_sales_day_from_lead_to_task_works_and_survives_going_offline() -> Result<()> {
    let mut relay = TestRelay::start().await?;
    let browser = Browser::launch().await?;
    let result = sales_day(&browser, &mut relay).await;
    let result = browser
        .finish(
            "a_sales_day_from_lead_to_task_works_and_survives_going_offline",
            result,
        )
        .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

/// The screen checked at each size (see `Browser::check_screen`).
async fn check(browser: &Browser, name: &str, ready: &str) -> Result<()> {
    browser
        .check_screen(&format!("sales_day-{name}"), ready)
        .await
}

/// The stage column the deal's card is in.
async fn card_column(browser: &Browser, deal: &str) -> Result<String> {
    let stage = browser
        .client()
        .execute(
            "const card = document.querySelector(`[data-testid=deal-card][data-id=\"${arguments[0]}\"]`);
             const column = card && card.closest('[data-stage]');
             return column ? column.dataset.stage : null;",
            vec![json!(deal)],
        )
        .await?;
    Ok(stage.as_str().unwrap_or_default().to_string())
}

async fn wait_for_column(browser: &Browser, deal: &str, stage: &str) -> Result<()> {
    poll(
        &format!("the deal's card in column {stage}"),
        DEFAULT_TIMEOUT,
        async || {
            let now = card_column(browser, deal).await?;
            Ok(if now == stage {
                Seen::Done(())
            } else {
                Seen::Not(format!("in column {now:?}"))
            })
        },
    )
    .await
}

async fn wait_for_contains(browser: &Browser, css: &str, what: &str) -> Result<()> {
    browser
        .wait_for_text_where(css, what, DEFAULT_TIMEOUT, |t| t.contains(what))
        .await
        .map(drop)
}

async fn sales_day(browser: &Browser, relay: &mut TestRelay) -> Result<()> {
    let base = relay.url();

    // The company the lead works at.
    browser.goto(&format!("{base}/companies/new")).await?;
    browser.type_text(&tid("new-name"), "Acme Tools").await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), "Acme Tools", DEFAULT_TIMEOUT)
        .await?;

    // 1. A new lead, from the Leads page.
    browser.click(&tid("nav-leads")).await?;
    browser
        .wait_for(&tid("page-leads"), DEFAULT_TIMEOUT)
        .await?;
    check(browser, "leads-empty", &tid("page-leads")).await?;
    browser.click(&tid("leads-new")).await?;
    browser.type_text(&tid("new-name"), "Ana Silva").await?;
    browser
        .type_text(&tid("new-email"), "ana@acme.example")
        .await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), "Ana Silva", DEFAULT_TIMEOUT)
        .await?;
    let person_path = browser.path().await?;
    browser.fill(&tid("field-company"), "Acme Tools").await?;
    browser
        .wait_for_present("a[href^='/companies/']", DEFAULT_TIMEOUT)
        .await?;
    ensure!(
        browser.value_of(&tid("field-stage")).await? == "lead",
        "a person created from Leads is a lead"
    );

    // 2. Qualified: budget, authority and need yes, timeline partly.
    for (question, answer) in [
        ("qual-budget", "yes"),
        ("qual-authority", "yes"),
        ("qual-need", "yes"),
        ("qual-timeline", "partly"),
    ] {
        browser.choose(&tid(question), answer).await?;
    }
    wait_for_contains(browser, &tid("qual-score"), "87").await?;
    wait_for_contains(browser, &tid("qual-score"), "Qualified").await?;
    check(browser, "lead-qualified", &tid("qualification")).await?;
    browser.click(&tid("nav-leads")).await?;
    wait_for_contains(browser, &tid("lead-score"), "87").await?;
    check(browser, "leads", &tid("lead-score")).await?;

    // 3. Converted into a customer with a deal, in one step.
    browser.goto(&format!("{base}{person_path}")).await?;
    browser.click(&tid("convert-lead")).await?;
    browser
        .wait_for(&tid("convert-dialog"), DEFAULT_TIMEOUT)
        .await?;
    browser.fill(&tid("convert-amount"), "12,500").await?;
    check(browser, "convert", &tid("convert-dialog")).await?;
    browser.click(&tid("convert-submit")).await?;
    browser.wait_for(&tid("page-deal"), DEFAULT_TIMEOUT).await?;
    let deal_path = browser.path().await?;
    let deal_id = deal_path
        .strip_prefix("/deals/")
        .context("the conversion opens the deal")?
        .to_string();
    check(browser, "deal", &tid("page-deal")).await?;
    browser.goto(&format!("{base}{person_path}")).await?;
    browser
        .wait_for(&tid("field-stage"), DEFAULT_TIMEOUT)
        .await?;
    poll("Ana to be a customer", DEFAULT_TIMEOUT, async || {
        let stage = browser.value_of(&tid("field-stage")).await?;
        Ok(if stage == "customer" {
            Seen::Done(())
        } else {
            Seen::Not(stage)
        })
    })
    .await?;
    wait_for_contains(browser, &tid("record-deals"), "12,500").await?;

    // 4. The deal crosses the board: by mouse, by touch (phone size), by keyboard.
    browser.click(&tid("nav-deals")).await?;
    browser.wait_for(&tid("kanban"), DEFAULT_TIMEOUT).await?;
    let card = format!("[data-testid=deal-card][data-id=\"{deal_id}\"]");
    wait_for_column(browser, &deal_id, "qualified").await?;
    check(browser, "board", &card).await?;
    browser
        .drag(
            &card,
            "[data-testid=kanban-column][data-stage=meeting]",
            Pointer::Mouse,
        )
        .await?;
    wait_for_column(browser, &deal_id, "meeting").await?;
    browser.set_viewport(390, 844).await?;
    browser
        .eval(
            "document.querySelector('[data-testid=kanban-column][data-stage=proposal]')\
             .scrollIntoView({inline: 'center'}); return true;",
        )
        .await?;
    browser
        .eval(&format!(
            "document.querySelector('{}').scrollIntoView({{inline: 'nearest'}}); return true;",
            card.replace('\'', "\\'")
        ))
        .await?;
    browser
        .drag(
            &card,
            "[data-testid=kanban-column][data-stage=proposal]",
            Pointer::Touch,
        )
        .await?;
    wait_for_column(browser, &deal_id, "proposal").await?;
    browser.set_viewport(1440, 900).await?;
    let element = browser.find(&card).await?;
    element.send_keys(" ").await?;
    wait_for_contains(browser, &tid("kanban-live"), "Picked up").await?;
    element.send_keys("\u{E014}").await?; // ArrowRight
    element.send_keys(" ").await?;
    wait_for_column(browser, &deal_id, "negotiation").await?;
    wait_for_contains(
        browser,
        "[data-testid=kanban-column][data-stage=negotiation] [data-testid=kanban-total]",
        "12,500",
    )
    .await?;
    // Negotiation is 75%: the weighted total is three quarters of the amount.
    wait_for_contains(
        browser,
        "[data-testid=kanban-column][data-stage=negotiation] [data-testid=kanban-weighted]",
        "9,375",
    )
    .await?;

    // 5. A call logged on the deal.
    browser.click(&card).await?;
    browser.wait_for(&tid("page-deal"), DEFAULT_TIMEOUT).await?;
    browser
        .wait_for(&tid("log-activity"), DEFAULT_TIMEOUT)
        .await?;
    // The radio is transparent over its label, as custom radios are.
    browser
        .eval("document.querySelector('[data-testid=activity-type-call]').click(); return true;")
        .await?;
    browser
        .type_text(&tid("activity-subject"), "Discovery call")
        .await?;
    browser
        .type_text(&tid("activity-outcome"), "Connected")
        .await?;
    browser
        .type_text(&tid("activity-notes"), "Wants a pilot for 20 seats.")
        .await?;
    browser.click(&tid("activity-submit")).await?;
    wait_for_contains(
        browser,
        "[data-testid=timeline-item][data-kind=call]",
        "Discovery call",
    )
    .await?;

    // 6. A task, then My tasks.
    browser.click(&tid("add-task")).await?;
    browser
        .type_text(&tid("task-title"), "Send proposal")
        .await?;
    browser.click(&tid("task-submit")).await?;
    wait_for_contains(
        browser,
        "[data-testid=timeline-item][data-kind=task]",
        "Send proposal",
    )
    .await?;
    check(
        browser,
        "deal-timeline",
        "[data-testid=timeline-item][data-kind=call]",
    )
    .await?;
    browser.click(&tid("nav-tasks")).await?;
    wait_for_contains(browser, &tid("page-tasks"), "Send proposal").await?;
    check(browser, "tasks", &tid("task-item")).await?;

    // 7. A filtered view of customers, saved.
    browser.click(&tid("nav-people")).await?;
    browser.wait_for(&tid("list-row"), DEFAULT_TIMEOUT).await?;
    browser.click(&tid("filter-add")).await?;
    browser.choose(&tid("filter-field"), "stage").await?;
    browser.choose(&tid("filter-op"), "is").await?;
    browser.choose(&tid("filter-value"), "customer").await?;
    wait_for_contains(browser, &tid("list-count"), "1").await?;
    browser.click(&tid("views-menu")).await?;
    browser.click(&tid("view-save")).await?;
    browser.type_text(&tid("view-name"), "Customers").await?;
    browser.click(&tid("view-save-submit")).await?;
    wait_for_contains(browser, &tid("views-menu"), "Customers").await?;
    check(browser, "people-filtered", &tid("list-row")).await?;

    // 8. The relay goes away; a reload finds everything.
    relay.stop().await?;
    browser.reload().await?;
    browser.wait_for(&tid("list-row"), DEFAULT_TIMEOUT).await?;
    wait_for_contains(browser, &tid("views-menu"), "Customers").await?;
    browser.goto(&format!("{base}/deals")).await?;
    wait_for_column(browser, &deal_id, "negotiation").await?;
    browser.goto(&format!("{base}{deal_path}")).await?;
    wait_for_contains(
        browser,
        "[data-testid=timeline-item][data-kind=call]",
        "Discovery call",
    )
    .await?;
    browser.goto(&format!("{base}/tasks")).await?;
    wait_for_contains(browser, &tid("page-tasks"), "Send proposal").await?;
    Ok(())
}
