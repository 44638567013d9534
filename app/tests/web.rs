//! The app mounted in a real browser (headless Chromium via wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use kith_app::relay_link::{LinkState, RelayLink};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::until;

fn find(css: &str) -> Option<HtmlElement> {
    document()
        .query_selector(css)
        .unwrap()
        .map(|e| e.unchecked_into())
}

#[wasm_bindgen_test]
async fn shell_lists_every_section_and_navigates_between_them() {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let _mounted = leptos::mount::mount_to(root, kith_app::App);

    until("the People page after the redirect from /", || {
        find("[data-testid=page-people]")
    })
    .await;
    let labels: Vec<String> = ["leads", "people", "companies", "deals", "tasks", "settings"]
        .iter()
        .map(|s| {
            find(&format!("[data-testid=nav-{s}]"))
                .expect("nav link")
                .inner_text()
        })
        .collect();
    assert_eq!(
        labels,
        ["Leads", "People", "Companies", "Deals", "Tasks", "Settings"]
    );
    assert_eq!(
        find("[data-testid=nav-people]")
            .unwrap()
            .get_attribute("aria-current")
            .as_deref(),
        Some("page")
    );

    for (section, title) in [
        ("leads", "Leads"),
        ("companies", "Companies"),
        ("deals", "Deals"),
        ("tasks", "Tasks"),
        ("settings", "Settings"),
    ] {
        find(&format!("[data-testid=nav-{section}]"))
            .unwrap()
            .click();
        let page = until(title, || find(&format!("[data-testid=page-{section}]"))).await;
        assert_eq!(
            page.query_selector("h1")
                .unwrap()
                .unwrap()
                .text_content()
                .as_deref(),
            Some(title)
        );
        assert_eq!(document().title(), format!("{title} · Kith"));
        let link = find(&format!("[data-testid=nav-{section}]")).unwrap();
        assert_eq!(
            link.get_attribute("aria-current").as_deref(),
            Some("page"),
            "{section} is marked current"
        );
    }

    // Settings reads the browser's storage estimate for real.
    let storage = until("the storage estimate", || {
        find("[data-testid=settings-storage]")
            .map(|e| e.inner_text())
            .filter(|t| t != "Measuring…")
    })
    .await;
    assert!(
        storage.contains(" of ") && storage.contains("available"),
        "{storage}"
    );
}

#[wasm_bindgen_test]
async fn an_unreachable_relay_is_shown_offline_and_retried() {
    let owner = Owner::new();
    let link = owner.with(|| RelayLink::connect("ws://127.0.0.1:9/ws".into()));
    let state = link.state();
    let offline = || match state.get_untracked() {
        LinkState::Offline {
            since,
            reason,
            retry_at,
        } => Some((since, reason, retry_at)),
        _ => None,
    };
    let (first_since, reason, first_retry) = until("the link to go offline", offline).await;
    assert_eq!(reason, "no connection");
    assert!(first_retry > first_since, "a retry is scheduled");
    assert!(
        state
            .get_untracked()
            .description()
            .contains("keeps retrying")
    );

    // After the retry fails another is scheduled, and "offline since" still says when it began.
    let (since, _, next_retry) = until("a second failed attempt", || {
        offline().filter(|(_, _, retry)| *retry > first_retry)
    })
    .await;
    assert_eq!(since, first_since);
    assert!(next_retry > first_retry);
    drop(owner);
}
