//! Leads in a real browser with the whole app mounted: a lead is created, qualified, listed
//! with its score, converted into a customer with a deal (and the conversion undone); a
//! conflict written by two teammates shows both values with who and when, and choosing one
//! resolves it.
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use kith_app::session::LOCAL_DATABASE;
use kith_app::workspace::{Phase, Workspace};
use kith_core::ids::{RecordId, UserId};
use kith_core::protocol::RecordPayload;
use kith_core::record::{Field, LifecycleStage, Record, RecordKind};
use kith_core::summary::Summary;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::{until, until_true};

fn find(css: &str) -> Option<HtmlElement> {
    document()
        .query_selector(css)
        .unwrap()
        .map(|e| e.unchecked_into())
}

fn find_all(css: &str) -> Vec<HtmlElement> {
    let list = document().query_selector_all(css).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.unchecked_into())
        .collect()
}

fn tid(id: &str) -> String {
    format!("[data-testid={id}]")
}

fn value_of(el: &HtmlElement) -> String {
    Reflect::get(el, &"value".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

/// Types into an input or picks in a select as a person would: the value, then the events.
fn set_value(css: &str, value: &str) {
    let el = find(css).unwrap_or_else(|| panic!("{css} is on the page"));
    Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    for event in ["input", "change"] {
        el.dispatch_event(&web_sys::Event::new(event).unwrap())
            .unwrap();
    }
}

fn click(css: &str) {
    find(css)
        .unwrap_or_else(|| panic!("{css} is on the page"))
        .click();
}

fn text(css: &str) -> Option<String> {
    find(css).map(|e| e.inner_text())
}

fn path() -> String {
    window().location().pathname().unwrap()
}

/// A suffix so names from earlier runs (same browser profile) never match.
fn unique() -> String {
    format!("{}", (js_sys::Math::random() * 1e9) as u64)
}

/// Mounts the app alone on the page: an app an earlier failed test left is removed (only
/// those: the test runner reports through its own elements of the page).
fn mount() -> impl Drop {
    for old in find_all(".leads-test-root") {
        old.remove();
    }
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    root.set_class_name("leads-test-root");
    document().body().unwrap().append_child(&root).unwrap();
    leptos::mount::mount_to(root, kith_app::App)
}

/// The local workspace as stored, read by a second handle (what the app wrote is durable).
/// Its owner is never disposed: the handle's own tasks may still run after the test looked.
async fn stored_summaries() -> Workspace {
    let owner = Owner::new();
    let ws = owner.with(|| Workspace::open_database(LOCAL_DATABASE, None));
    std::mem::forget(owner);
    until("the second handle to load", || {
        (ws.phase.get_untracked() == Phase::Ready).then_some(())
    })
    .await;
    ws
}

fn summary(ws: &Workspace, id: &RecordId) -> Summary {
    ws.with_directory(|d| d.get(id).cloned())
        .expect("the record is stored")
}

#[wasm_bindgen_test]
async fn a_lead_is_qualified_listed_converted_and_the_conversion_undone() {
    let _ = window().history().unwrap().replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some("/leads"),
    );
    let _mounted = mount();
    until("the Leads page", || find(&tid("page-leads"))).await;
    assert_eq!(
        find(&tid("page-leads"))
            .unwrap()
            .query_selector("h1")
            .unwrap()
            .unwrap()
            .text_content()
            .as_deref(),
        Some("Leads")
    );

    // "New lead" opens the person form with the stage preset to Lead.
    until("the workspace to open", || {
        find("[data-testid=page-leads] :is([data-testid=empty-state], [data-testid=lead-row])")
    })
    .await;
    click(&tid("leads-new"));
    let stage = until("the new-person form", || find(&tid("new-stage"))).await;
    assert_eq!(path(), "/people/new");
    assert_eq!(value_of(&stage), "lead");
    let suffix = unique();
    let (name, company) = (format!("Ana Silva {suffix}"), format!("Acme {suffix}"));
    set_value(&tid("new-name"), &name);
    set_value(&tid("new-company"), &company);
    click(&tid("create-record"));
    until("the new lead's page", || {
        text(&tid("record-title")).filter(|t| *t == name)
    })
    .await;
    let person = RecordId::parse(path().trim_start_matches("/people/")).unwrap();
    until("the stage select to say Lead", || {
        find(&tid("field-stage")).filter(|s| value_of(s) == "lead")
    })
    .await;
    assert_eq!(
        find(&tid("stage-step-lead"))
            .unwrap()
            .get_attribute("aria-pressed")
            .as_deref(),
        Some("true")
    );
    let panel = find(&tid("qualification")).expect("the qualification panel");
    assert!(panel.has_attribute("open"), "open for a lead");
    assert_eq!(text(&tid("qual-score")).unwrap(), "Not scored yet");

    // Four answers: yes, yes, yes, no → 75, qualified.
    for (field, answer) in [
        ("budget", "yes"),
        ("authority", "yes"),
        ("need", "yes"),
        ("timeline", "no"),
    ] {
        set_value(&tid(&format!("qual-{field}")), answer);
        until(&format!("{field} saved"), || {
            find(&tid(&format!("qual-{field}"))).filter(|s| value_of(s) == answer)
        })
        .await;
    }
    until("the score", || {
        text(&tid("qual-score")).filter(|t| t == "75 / 100 · Qualified")
    })
    .await;
    until_true("Convert to be prominent", || {
        find(&tid("convert-lead")).is_some_and(|b| b.class_name().contains("button--primary"))
    })
    .await;

    // The Leads page lists it with its score.
    click(&tid("nav-leads"));
    let row = until("the lead in the list", || {
        find_all(&tid("lead-row"))
            .into_iter()
            .find(|r| r.inner_text().contains(&name))
    })
    .await;
    let score: HtmlElement = row
        .query_selector(&tid("lead-score"))
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(score.inner_text(), "75 · Qualified");
    assert!(row.inner_text().contains(&company), "{}", row.inner_text());
    click(&tid("leads-filter-qualified"));
    until("the qualified filter to keep it", || {
        find_all(&tid("lead-row"))
            .into_iter()
            .find(|r| r.inner_text().contains(&name))
    })
    .await;

    // Convert: the dialog, then the deal page.
    let link: HtmlElement = row.query_selector("a").unwrap().unwrap().unchecked_into();
    link.click();
    let convert = until("the lead's page again", || find(&tid("convert-lead"))).await;
    convert.click();
    until_true("the dialog to open", || {
        find(&tid("convert-dialog")).is_some_and(|d| d.has_attribute("open"))
    })
    .await;
    until("the default deal name", || {
        find(&tid("convert-name")).filter(|i| value_of(i) == format!("{company} — new deal"))
    })
    .await;
    set_value(&tid("convert-amount"), "12,5x0");
    click(&tid("convert-submit"));
    until("the amount refused next to its field", || {
        find(&tid("convert-dialog"))
            .and_then(|d| d.query_selector(".field__error").unwrap())
            .filter(|e| e.text_content().unwrap_or_default().contains("12,5x0"))
    })
    .await;
    set_value(&tid("convert-amount"), "12,500");
    set_value(&tid("convert-currency"), "usd");
    assert_eq!(
        value_of(&find(&tid("convert-stage")).unwrap()),
        "qualified",
        "the default pipeline's first stage"
    );
    click(&tid("convert-submit"));
    until("the deal page", || {
        path()
            .starts_with("/deals/")
            .then(|| find(&tid("page-deal")))
            .flatten()
    })
    .await;
    let deal = RecordId::parse(path().trim_start_matches("/deals/")).unwrap();
    let toast = until("the toast", || {
        find_all(&tid("toast"))
            .into_iter()
            .find(|t| t.inner_text().contains(&format!("Converted {name}")))
    })
    .await;

    let stored = stored_summaries().await;
    let d = summary(&stored, &deal);
    assert_eq!(d.kind, RecordKind::Deal);
    assert_eq!(d.amount, Some(1_250_000));
    assert_eq!(d.currency, "USD");
    assert_eq!(d.status, "open");
    assert_eq!(d.deal_stage, "qualified");
    assert!(d.links.contains(&person), "the deal links the person");
    let company_id = summary(&stored, &person)
        .company_id
        .expect("the person has a company");
    assert_eq!(d.company_id.as_ref(), Some(&company_id));
    assert!(!d.owner.is_empty(), "owned by me");
    assert_eq!(
        summary(&stored, &person).stage,
        Some(LifecycleStage::Customer)
    );
    assert_eq!(
        summary(&stored, &company_id).stage,
        Some(LifecycleStage::Customer)
    );

    // Undo: back on the person's page, a lead again, the deal gone.
    let undo: HtmlElement = toast
        .query_selector(&tid("toast-undo"))
        .unwrap()
        .unwrap()
        .unchecked_into();
    undo.click();
    until("the person's page after undo", || {
        (path() == format!("/people/{person}"))
            .then(|| find(&tid("field-stage")))
            .flatten()
            .filter(|s| value_of(s) == "lead")
    })
    .await;
    until("the deal to leave the person's deals", || {
        text(&tid("record-deals")).filter(|t| t.contains("Deals (0)"))
    })
    .await;
    // The undo's writes complete after the page shows them: read storage until they are there.
    let deadline = js_sys::Date::now() + 10_000.0;
    loop {
        let stored = stored_summaries().await;
        let (p, c, d) = (
            summary(&stored, &person),
            summary(&stored, &company_id),
            summary(&stored, &deal),
        );
        if p.stage == Some(LifecycleStage::Lead) && c.stage.is_none() && d.deleted {
            break;
        }
        assert!(
            js_sys::Date::now() < deadline,
            "the undo is stored: {p:?} {c:?} {d:?}"
        );
        support::pause(50).await;
    }
}

/// The same person as a teammate's device holds it.
fn replica(record: &mut Record, user: &str) -> Record {
    Record::load(
        record.id().clone(),
        &record.save(),
        &[],
        &UserId(user.into()),
    )
    .unwrap()
}

/// Today at `hour:minute` local time, in ms.
fn today_at(hour: u32, minute: u32) -> i64 {
    let now = js_sys::Date::new_0();
    js_sys::Date::new_with_year_month_day_hr_min(
        now.get_full_year(),
        now.get_month() as i32,
        now.get_date() as i32,
        hour as i32,
        minute as i32,
    )
    .get_time() as i64
}

#[wasm_bindgen_test]
async fn a_conflict_shows_each_value_with_its_author_and_time_and_is_resolved_by_choosing() {
    // Ana and Ben changed Grace's title at the same time on their own devices.
    let name = format!("Grace {}", unique());
    let mut ana = Record::create(
        RecordId::new(),
        RecordKind::Person,
        &UserId("u-ana".into()),
        today_at(9, 0),
    );
    ana.edit(today_at(9, 0), |e| e.set(Field::Name, &name))
        .unwrap();
    let mut ben = replica(&mut ana, "u-ben");
    let from_ana = ana
        .edit(today_at(10, 41), |e| e.set(Field::Title, "CEO"))
        .unwrap()
        .unwrap();
    ben.edit(today_at(10, 42), |e| e.set(Field::Title, "CTO"))
        .unwrap();
    ben.apply(&from_ana).unwrap();
    let id = ben.id().clone();
    assert_eq!(ben.candidates(Field::Title).len(), 2);

    // Both arrive in this device's storage as from the relay, then the app opens the person.
    let ws = stored_summaries().await;
    ws.apply_remote(
        vec![RecordPayload {
            record: id.to_string(),
            snapshot: Some(ben.save()),
            changes: Vec::new(),
        }],
        None,
    )
    .await
    .unwrap();
    let _ = window().history().unwrap().replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&format!("/people/{id}")),
    );
    let _mounted = mount();
    until("the person's page", || {
        text(&tid("record-title")).filter(|t| *t == name)
    })
    .await;

    let marker = until("the conflict marker", || find(&tid("conflict-title"))).await;
    assert!(!marker.has_attribute("open"), "folded until opened");
    marker
        .query_selector("summary")
        .unwrap()
        .unwrap()
        .unchecked_into::<HtmlElement>()
        .click();
    assert!(marker.has_attribute("open"));
    let candidates = find_all("[data-testid=conflict-title] [data-testid=conflict-candidate]");
    let mut seen: Vec<(String, String, String)> = candidates
        .iter()
        .map(|c| {
            let button: HtmlElement = c
                .query_selector(&tid("conflict-choose"))
                .unwrap()
                .unwrap()
                .unchecked_into();
            (
                button.text_content().unwrap(),
                c.get_attribute("data-author").unwrap(),
                c.inner_text(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[0].0.as_str(), seen[0].1.as_str()), ("CEO", "u-ana"));
    assert_eq!((seen[1].0.as_str(), seen[1].1.as_str()), ("CTO", "u-ben"));
    let day = js_sys::Date::new_0().get_date();
    assert!(
        seen[0].2.contains(&format!("{day} ")) && seen[0].2.contains("10:41"),
        "{seen:?}"
    );
    assert!(seen[1].2.contains("10:42"), "{seen:?}");
    assert!(seen[0].2.contains("Teammate uana"), "{seen:?}");
    // The e2e tests read the values as the texts of every button of the marker.
    let buttons: Vec<String> = find_all("[data-testid=conflict-title] button")
        .iter()
        .map(|b| b.text_content().unwrap())
        .collect();
    assert_eq!(buttons.len(), 2, "{buttons:?}");

    // Choosing CEO resolves it: one value, the marker gone.
    find_all("[data-testid=conflict-title] [data-testid=conflict-choose]")
        .into_iter()
        .find(|b| b.text_content().as_deref() == Some("CEO"))
        .unwrap()
        .click();
    until_true("the conflict to be resolved", || {
        find(&tid("conflict-title")).is_none()
            && find(&tid("field-title")).is_some_and(|i| value_of(&i) == "CEO")
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_company_lead_converts_with_the_deal_on_the_company() {
    let _ = window().history().unwrap().replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some("/companies/new?stage=prospect"),
    );
    let _mounted = mount();
    let stage = until("the new-company form", || find(&tid("new-stage"))).await;
    assert_eq!(value_of(&stage), "prospect");
    let name = format!("Initech {}", unique());
    set_value(&tid("new-name"), &name);
    click(&tid("create-record"));
    until("the company's page", || {
        text(&tid("record-title")).filter(|t| *t == name)
    })
    .await;
    let company = RecordId::parse(path().trim_start_matches("/companies/")).unwrap();
    until("the prospect step", || {
        find(&tid("stage-step-prospect"))
            .filter(|b| b.get_attribute("aria-pressed").as_deref() == Some("true"))
    })
    .await;
    assert!(
        text(&tid("record-deals")).is_some_and(|t| t.contains("Deals (0)")),
        "a Deals section, empty"
    );

    click(&tid("convert-lead"));
    until("the default deal name", || {
        find(&tid("convert-name")).filter(|i| value_of(i) == format!("{name} — new deal"))
    })
    .await;
    set_value(&tid("convert-amount"), "900");
    click(&tid("convert-submit"));
    until("the deal page", || {
        path()
            .starts_with("/deals/")
            .then(|| find(&tid("page-deal")))
            .flatten()
    })
    .await;
    let deal = RecordId::parse(path().trim_start_matches("/deals/")).unwrap();
    let stored = stored_summaries().await;
    let d = summary(&stored, &deal);
    assert_eq!(d.company_id.as_ref(), Some(&company));
    assert_eq!(d.amount, Some(90_000));
    assert_eq!(
        summary(&stored, &company).stage,
        Some(LifecycleStage::Customer)
    );

    // The company's page lists the deal.
    window().history().unwrap().back().unwrap();
    until("the deal on the company's page", || {
        find_all(&tid("record-deal")).into_iter().find(|r| {
            r.inner_text().contains(&format!("{name} — new deal")) && r.inner_text().contains("900")
        })
    })
    .await;
}
