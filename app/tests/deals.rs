//! Deals in a real browser with the whole app mounted: the board's columns and totals, moving
//! a deal by keyboard, by dragging (synthetic Pointer Events) and with the "Move to…" select,
//! won and lost with a reason, a deal created from the form, and the pipeline editor.
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use kith_app::session::LOCAL_DATABASE;
use kith_app::workspace::{Phase, Workspace};
use kith_core::ids::RecordId;
use kith_core::pipeline::{PipelineStage, encode_stages};
use kith_core::record::{Field, RecordKind};
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

fn text(css: &str) -> Option<String> {
    find(css).map(|e| e.text_content().unwrap_or_default())
}

fn set_value(css: &str, value: &str) {
    let el = find(css).unwrap_or_else(|| panic!("{css} is on the page"));
    Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    for event in ["input", "change"] {
        el.dispatch_event(&web_sys::Event::new(event).unwrap())
            .unwrap();
    }
}

fn unique() -> String {
    format!("{}", (js_sys::Math::random() * 1e9) as u64)
}

fn go(path: &str) {
    let _ = window().history().unwrap().replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(path),
    );
}

/// Navigates inside the mounted app, as the router does for a link: a new history entry,
/// then `popstate`. (A synthetic click on a link would reach the click handler of an app
/// mounted by an earlier test in this page, which swallows it.)
fn follow(path: &str) {
    window()
        .history()
        .unwrap()
        .push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path))
        .unwrap();
    window()
        .dispatch_event(&web_sys::Event::new("popstate").unwrap())
        .unwrap();
}

fn mount() -> impl Drop {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    leptos::mount::mount_to(root, kith_app::App)
}

async fn open_workspace(owner: &Owner) -> Workspace {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let ws = owner.with(|| Workspace::open_database(LOCAL_DATABASE, None));
    until("a workspace handle to load", || {
        (ws.phase.get_untracked() == Phase::Ready).then_some(())
    })
    .await;
    ws
}

/// What is stored for `id`, read by a fresh handle (the app's write is durable).
async fn stored(id: &RecordId) -> Summary {
    let owner = Owner::new();
    let ws = open_workspace(&owner).await;
    ws.with_directory(|d| d.get(id).cloned())
        .expect("the record is stored")
}

async fn until_stored(what: &str, id: &RecordId, check: impl Fn(&Summary) -> bool) -> Summary {
    let deadline = js_sys::Date::now() + 10_000.0;
    loop {
        let s = stored(id).await;
        if check(&s) {
            return s;
        }
        assert!(
            js_sys::Date::now() < deadline,
            "timed out waiting for {what}: {s:?}"
        );
        support::pause(20).await;
    }
}

fn stage(id: &str, name: &str, probability: u8) -> PipelineStage {
    PipelineStage {
        id: id.into(),
        name: name.into(),
        probability,
    }
}

/// A pipeline of its own (so other tests' deals stay off its board) with deals, written
/// before the app opens. Returns the pipeline and the deals' ids.
async fn seed(deals: &[(&str, &str, &str, i64, &str)]) -> (RecordId, Vec<RecordId>) {
    let owner = Owner::new();
    let ws = open_workspace(&owner).await;
    let json = encode_stages(&[
        stage("lead", "Lead", 10),
        stage("proposal", "Proposal", 50),
        stage("negotiation", "Negotiation", 80),
    ])
    .unwrap();
    let name = format!("Test pipeline {}", unique());
    let pipeline = ws
        .create(RecordKind::Pipeline, move |e| {
            e.set(Field::Name, &name)?;
            e.set(Field::Stages, &json)
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (name, stage, status, amount, currency) in deals {
        let (name, stage, status, currency) = (
            name.to_string(),
            stage.to_string(),
            status.to_string(),
            currency.to_string(),
        );
        let p = pipeline.to_string();
        let amount = *amount;
        ids.push(
            ws.create(RecordKind::Deal, move |e| {
                e.set(Field::Name, &name)?;
                e.set(Field::PipelineId, &p)?;
                e.set(Field::DealStage, &stage)?;
                e.set(Field::Status, &status)?;
                e.set(Field::Amount, &amount.to_string())?;
                e.set(Field::Currency, &currency)
            })
            .await
            .unwrap(),
        );
    }
    (pipeline, ids)
}

fn column(stage: &str) -> String {
    format!("[data-testid=kanban-column][data-stage={stage}]")
}

fn card(id: &RecordId) -> String {
    format!("[data-testid=deal-card][data-id=\"{id}\"]")
}

fn key(el: &HtmlElement, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    el.dispatch_event(&ev).unwrap();
}

fn pointer(el: &HtmlElement, kind: &str, x: f64, y: f64) {
    let init = web_sys::PointerEventInit::new();
    init.set_pointer_id(7);
    init.set_pointer_type("mouse");
    init.set_is_primary(true);
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_client_x(x as i32);
    init.set_client_y(y as i32);
    init.set_button(if kind == "pointermove" { -1 } else { 0 });
    init.set_buttons(if kind == "pointerup" { 0 } else { 1 });
    let ev = web_sys::PointerEvent::new_with_event_init_dict(kind, &init).unwrap();
    el.dispatch_event(&ev).unwrap();
}

fn centre(el: &HtmlElement) -> (f64, f64) {
    let r = el.get_bounding_client_rect();
    (
        r.left() + r.width() / 2.0,
        r.top() + r.height().min(120.0) / 2.0,
    )
}

#[wasm_bindgen_test]
async fn the_board_sums_columns_and_moves_deals_by_keyboard_pointer_and_select() {
    let (pipeline, ids) = seed(&[
        ("Acme renewal", "lead", "open", 100_000, "EUR"),
        ("Beta upsell", "lead", "open", 200_000, "EUR"),
        ("Gamma", "proposal", "open", 50_000, "USD"),
        ("Delta", "proposal", "won", 30_000, "EUR"),
        ("Epsilon", "negotiation", "open", 10_000, "EUR"),
    ])
    .await;
    go(&format!("/deals?pipeline={pipeline}"));
    let _mounted = mount();
    until("the board", || find(&card(&ids[0]))).await;
    assert_eq!(find_all(&tid("kanban-column")).len(), 3);
    assert_eq!(
        find(&tid("page-deals"))
            .unwrap()
            .query_selector("h1")
            .unwrap()
            .unwrap()
            .text_content()
            .as_deref(),
        Some("Deals")
    );

    // Columns and totals: open deals only, weighted by the stage's probability, per currency.
    let in_column =
        |stage: &str, id: &RecordId| find(&format!("{} {}", column(stage), card(id))).is_some();
    assert!(in_column("lead", &ids[0]) && in_column("lead", &ids[1]));
    assert!(in_column("proposal", &ids[2]));
    assert!(
        find(&card(&ids[3])).is_none(),
        "won deals are not on a stage column"
    );
    assert_eq!(
        text(&format!("{} {}", column("lead"), tid("kanban-count"))).as_deref(),
        Some("2")
    );
    assert_eq!(
        text(&format!("{} {}", column("lead"), tid("kanban-total"))).as_deref(),
        Some("3,000 EUR")
    );
    assert_eq!(
        text(&format!("{} {}", column("lead"), tid("kanban-weighted"))).as_deref(),
        Some("300 EUR")
    );
    assert_eq!(
        text(&format!("{} {}", column("proposal"), tid("kanban-total"))).as_deref(),
        Some("500 USD")
    );
    assert_eq!(
        text(&format!(
            "{} {}",
            column("proposal"),
            tid("kanban-weighted")
        ))
        .as_deref(),
        Some("250 USD")
    );
    let won = text(&tid("kanban-won")).unwrap();
    assert!(won.contains("300 EUR") && won.contains('1'), "{won}");

    // Keyboard: Space picks up, ArrowRight moves, Space drops.
    let acme = find(&card(&ids[0])).unwrap();
    acme.focus().unwrap();
    key(&acme, " ");
    let live = until("the pick-up announcement", || {
        text(&tid("kanban-live")).filter(|t| t.contains("Picked up Acme renewal"))
    })
    .await;
    assert!(live.contains("Column Lead"), "{live}");
    key(&acme, "ArrowRight");
    until_true("the move announcement", || {
        text(&tid("kanban-live")).as_deref() == Some("Moved to Proposal")
    })
    .await;
    assert!(
        find(&column("proposal"))
            .unwrap()
            .class_list()
            .contains("kanban-column--over"),
        "the target column is shown"
    );
    key(&acme, " ");
    until_true("Acme in the Proposal column", || {
        in_column("proposal", &ids[0])
    })
    .await;
    until_stored("Acme's stage to be stored", &ids[0], |s| {
        s.deal_stage == "proposal"
    })
    .await;
    until_true("the totals to follow", || {
        text(&format!("{} {}", column("proposal"), tid("kanban-total"))).as_deref()
            == Some("1,000 EUR · 500 USD")
    })
    .await;

    // Escape puts a picked-up deal back.
    let beta = find(&card(&ids[1])).unwrap();
    beta.focus().unwrap();
    key(&beta, " ");
    key(&beta, "ArrowRight");
    key(&beta, "Escape");
    until_true("the cancel announcement", || {
        text(&tid("kanban-live")).is_some_and(|t| t.contains("Move cancelled"))
    })
    .await;
    assert!(in_column("lead", &ids[1]));

    // Pointer: press on Beta, move past the slop, over Negotiation, release.
    let target = find(&column("negotiation")).unwrap();
    target.scroll_into_view();
    let beta = find(&card(&ids[1])).unwrap();
    let (x0, y0) = centre(&beta);
    let (x1, y1) = centre(&target);
    pointer(&beta, "pointerdown", x0, y0);
    pointer(&beta, "pointermove", x0 + 12.0, y0 + 2.0);
    until("the ghost", || find(".deal-card--ghost")).await;
    pointer(&beta, "pointermove", x1, y1);
    until_true("Negotiation to be highlighted", || {
        target.class_list().contains("kanban-column--over")
    })
    .await;
    pointer(&beta, "pointerup", x1, y1);
    assert!(find(".deal-card--ghost").is_none(), "the ghost is gone");
    until_true("Beta in Negotiation", || in_column("negotiation", &ids[1])).await;
    until_stored("Beta's stage to be stored", &ids[1], |s| {
        s.deal_stage == "negotiation"
    })
    .await;

    // "Move to…": Won, then Lost with a reason.
    set_value(&format!("{} {}", card(&ids[2]), tid("deal-move")), "won");
    until_stored("Gamma won", &ids[2], |s| s.status == "won").await;
    until_true("Gamma off the board", || find(&card(&ids[2])).is_none()).await;
    set_value(&format!("{} {}", card(&ids[4]), tid("deal-move")), "lost");
    until("the lost dialog", || find(&tid("lost-dialog"))).await;
    set_value(&tid("lost-reason"), "Went with a competitor");
    find(&tid("lost-confirm")).unwrap().click();
    let lost = until_stored("Epsilon lost", &ids[4], |s| s.status == "lost").await;
    assert_eq!(lost.lost_reason, "Went with a competitor");
    until_true("the Lost count", || {
        text(&tid("kanban-lost")).is_some_and(|t| t.contains("Lost1") || t.contains("Lost 1"))
    })
    .await;

    // A won deal dropped back on a stage is open again.
    follow(&format!("/deals/{}", ids[3]));
    until("the deal page", || find(&tid("deal-reopen"))).await;
    find(&tid("deal-reopen")).unwrap().click();
    until_stored("Delta reopened", &ids[3], |s| s.status == "open").await;
    until("the Lost button", || find(&tid("deal-lost")))
        .await
        .click();
    until("the reason input", || {
        find(&format!("{} {}", tid("deal-status"), tid("lost-reason")))
    })
    .await;
    set_value(
        &format!("{} {}", tid("deal-status"), tid("lost-reason")),
        "Budget cut",
    );
    find(&format!("{} {}", tid("deal-status"), tid("lost-confirm")))
        .unwrap()
        .click();
    let delta = until_stored("Delta lost", &ids[3], |s| s.status == "lost").await;
    assert_eq!(delta.lost_reason, "Budget cut");
}

#[wasm_bindgen_test]
async fn a_deal_is_created_from_the_form_and_the_pipeline_editor_drives_the_board() {
    let (pipeline, ids) = seed(&[("Omega", "lead", "open", 70_000, "EUR")]).await;
    go(&format!("/deals/new?pipeline={pipeline}&stage=proposal"));
    let _mounted = mount();
    until("the new-deal form", || find(&tid("page-new-deal"))).await;
    until_true("the stage pre-filled", || {
        find(&tid("new-deal-stage")).is_some_and(|s| {
            Reflect::get(&s, &"value".into())
                .unwrap()
                .as_string()
                .as_deref()
                == Some("proposal")
        })
    })
    .await;
    until_true("the form to be ready", || {
        find(&tid("create-deal")).is_some_and(|b| !b.has_attribute("disabled"))
    })
    .await;
    // A name is required; nothing typed is lost.
    set_value(&tid("new-deal-amount"), "12,500");
    find(&tid("create-deal")).unwrap().click();
    until("the name error", || find(&tid("form-error"))).await;
    let name = format!("Sigma {}", unique());
    set_value(&tid("new-deal-name"), &name);
    set_value(&tid("new-deal-currency"), "usd");
    find(&tid("create-deal")).unwrap().click();
    until_true("the deal page", || {
        find(&tid("page-deal")).is_some() && window().location().pathname().unwrap() != "/deals/new"
    })
    .await;
    let id = RecordId::parse(
        window()
            .location()
            .pathname()
            .unwrap()
            .trim_start_matches("/deals/"),
    )
    .unwrap();
    let created = until_stored("the new deal", &id, |s| s.amount.is_some()).await;
    assert_eq!(created.amount, Some(1_250_000));
    assert_eq!(created.currency, "USD");
    assert_eq!(created.deal_stage, "proposal");
    assert_eq!(created.pipeline_id.as_ref(), Some(&pipeline));
    until_true("the amount shown formatted", || {
        find(&tid("field-amount")).is_some_and(|i| {
            Reflect::get(&i, &"value".into())
                .unwrap()
                .as_string()
                .as_deref()
                == Some("12,500")
        })
    })
    .await;

    // The pipeline editor: add a stage, rename one, move the new one up; the board follows.
    follow("/settings/pipelines");
    let editor = format!("[data-testid=pipeline][data-id=\"{pipeline}\"]");
    until("the pipeline editor", || find(&editor)).await;
    set_value(
        &format!("{editor} {}", tid("stage-new-name")),
        "Demo booked",
    );
    set_value(&format!("{editor} {}", tid("stage-new-probability")), "30");
    find(&format!("{editor} {}", tid("stage-add")))
        .unwrap()
        .click();
    let demo = format!("{editor} [data-stage=demo-booked]");
    until("the new stage", || find(&demo)).await;
    set_value(
        &format!("{editor} [data-stage=lead] {}", tid("stage-name")),
        "Inbound lead",
    );
    find(&format!("{demo} {}", tid("stage-up")))
        .unwrap()
        .click();
    until_true("the new stage moved up", || {
        let order: Vec<String> = find_all(&format!("{editor} {}", tid("pipeline-stage")))
            .iter()
            .filter_map(|e| e.get_attribute("data-stage"))
            .collect();
        order == ["lead", "proposal", "demo-booked", "negotiation"]
    })
    .await;

    follow(&format!("/deals?pipeline={pipeline}"));
    until_true("the board with the edited stages", || {
        let columns = find_all(&tid("kanban-column"));
        let order: Vec<String> = columns
            .iter()
            .filter_map(|c| c.get_attribute("data-stage"))
            .collect();
        order == ["lead", "proposal", "demo-booked", "negotiation"]
            && text(&format!("{} h2", column("lead")))
                .is_some_and(|t| t.starts_with("Inbound lead"))
    })
    .await;
    assert!(find(&format!("{} {}", column("lead"), card(&ids[0]))).is_some());
    assert!(find(&format!("{} {}", column("proposal"), card(&id))).is_some());
}
