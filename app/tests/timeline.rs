//! The timeline, tasks and reminders in a real browser with the whole app mounted, and the pure
//! task rules (groups, ownership, which reminders are due) as unit tests.
#![cfg(target_arch = "wasm32")]

use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::{until, until_true};

/// The pure rules, compiled here as they are in the app.
#[path = "../src/tasks/logic.rs"]
#[allow(dead_code)]
mod logic;

use logic::{Group, due_reminders, group, is_mine, relative, remember};

const MIN: i64 = 60_000;

#[wasm_bindgen_test]
fn a_reminder_comes_once_per_due_time_and_only_for_times_since_the_last_check() {
    let now = 1_000 * MIN;
    let last = now - MIN / 2;
    let tasks = [
        ("before", now - 10 * MIN), // overdue before the last check: the badge shows it
        ("just-due", now - MIN / 4), // came due since the last check
        ("at-now", now),
        ("later", now + MIN),
        ("at-last", last), // exactly at the last check: was already announced then
    ];
    let mut reminded = HashMap::new();
    let due = due_reminders(tasks, last, now, &reminded);
    assert_eq!(due, ["just-due", "at-now"]);
    for id in &due {
        let at = tasks.iter().find(|t| t.0 == *id).unwrap().1;
        remember(&mut reminded, id, at);
    }
    // Checking again over the same window (a task changed meanwhile): nothing twice.
    assert!(due_reminders(tasks, last, now, &reminded).is_empty());
    // The next check: only what came due since.
    let next = now + 2 * MIN;
    assert_eq!(due_reminders(tasks, now, next, &reminded), ["later"]);
    // A task moved to a new due time is reminded again at that time.
    let moved = [("just-due", next - MIN / 2)];
    assert_eq!(due_reminders(moved, now, next, &reminded), ["just-due"]);
}

#[wasm_bindgen_test]
fn a_due_time_before_the_next_regular_check_gets_its_own_check() {
    let now = 1_000 * MIN;
    let every = MIN / 2;
    assert_eq!(
        logic::next_wait([now - 5, now + 5_000, now + 2_000], now, every),
        Some(2_000)
    );
    assert_eq!(logic::next_wait([now + every, now - 1], now, every), None);
    assert_eq!(logic::next_wait([], now, every), None);
}

#[wasm_bindgen_test]
fn remembered_reminders_stay_bounded_keeping_the_newest() {
    let mut reminded = HashMap::new();
    for i in 0..(logic::MAX_REMEMBERED as i64 + 50) {
        remember(&mut reminded, &format!("t{i}"), i);
    }
    assert_eq!(reminded.len(), logic::MAX_REMEMBERED);
    assert!(reminded.contains_key(&format!("t{}", logic::MAX_REMEMBERED + 49)));
    assert!(!reminded.contains_key("t0"));
}

#[wasm_bindgen_test]
fn tasks_fall_into_overdue_today_upcoming_no_due_and_done() {
    let now = 10_000 * MIN;
    let today_end = now + 60 * MIN;
    assert_eq!(group(false, Some(now - 1), now, today_end), Group::Overdue);
    assert_eq!(group(false, Some(now + 1), now, today_end), Group::Today);
    assert_eq!(
        group(false, Some(today_end), now, today_end),
        Group::Upcoming
    );
    assert_eq!(group(false, None, now, today_end), Group::NoDue);
    assert_eq!(group(true, Some(now - 1), now, today_end), Group::Done);
}

#[wasm_bindgen_test]
fn unassigned_tasks_are_mine_only_in_a_local_workspace() {
    assert!(is_mine("", Some("local-1"), true));
    assert!(!is_mine("", Some("u1"), false));
    assert!(is_mine("u1", Some("u1"), false));
    assert!(!is_mine("u2", Some("u1"), false));
    assert!(!is_mine("u1", None, true));
}

#[wasm_bindgen_test]
fn due_times_read_as_relative_words_within_a_week() {
    let now = 100_000 * MIN;
    assert_eq!(relative(now + 20_000, now).as_deref(), Some("now"));
    assert_eq!(relative(now + 5 * MIN, now).as_deref(), Some("in 5 min"));
    assert_eq!(
        relative(now - 3 * 60 * MIN, now).as_deref(),
        Some("3 h ago")
    );
    assert_eq!(
        relative(now + 2 * 24 * 60 * MIN, now).as_deref(),
        Some("in 2 days")
    );
    assert_eq!(relative(now - 8 * 24 * 60 * MIN, now), None);
}

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

async fn click(css: &str) {
    until(css, || find(css)).await.click();
}

/// Sets an input's, select's or textarea's value as typing would, firing input and change.
async fn type_into(css: &str, value: &str) {
    let el = until(css, || find(css)).await;
    js_sys::Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    for name in ["input", "change"] {
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let event = web_sys::Event::new_with_event_init_dict(name, &init).unwrap();
        el.dispatch_event(&event).unwrap();
    }
}

fn value_of(css: &str) -> String {
    let el = find(css).expect(css);
    js_sys::Reflect::get(&el, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// A `datetime-local` value for `ms` (local time).
fn local_input(ms: f64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The `data-testid` of the focused element.
fn focused() -> String {
    document()
        .active_element()
        .and_then(|e| e.get_attribute("data-testid"))
        .unwrap_or_default()
}

fn texts(css: &str) -> Vec<String> {
    find_all(css).iter().map(|e| e.inner_text()).collect()
}

#[wasm_bindgen_test]
async fn log_a_call_add_an_overdue_task_tick_it_done_and_see_the_history() {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let _mounted = leptos::mount::mount_to(root, kith_app::App);

    // A person to work with.
    until_true("the workspace open", || {
        find("[data-testid=page-people]").is_some() && find("[data-testid=list-loading]").is_none()
    })
    .await;
    click("[data-testid=new-record]").await;
    let name = format!("Ada Timeline {}", js_sys::Date::now() as u64);
    type_into("[data-testid=new-name]", &name).await;
    click("[data-testid=create-record]").await;
    until("the person's timeline", || find("[data-testid=timeline]")).await;
    until("the creation in the history", || {
        texts("[data-testid=timeline-item][data-kind=change]")
            .into_iter()
            .find(|t| t.contains("created this record"))
    })
    .await;

    // A call without a subject is refused next to the field, keeping what was typed.
    click("[data-testid=activity-type-call]").await;
    type_into("[data-testid=activity-outcome]", "Connected").await;
    type_into("[data-testid=activity-duration]", "15").await;
    click("[data-testid=activity-submit]").await;
    until("the subject's error", || {
        find("[data-testid=log-activity] .field__error")
            .filter(|e| e.inner_text().contains("subject"))
    })
    .await;
    assert_eq!(value_of("[data-testid=activity-outcome]"), "Connected");
    assert_eq!(value_of("[data-testid=activity-duration]"), "15");

    type_into("[data-testid=activity-subject]", "Intro call").await;
    type_into("[data-testid=activity-notes]", "Wants a demo next week.").await;
    click("[data-testid=activity-submit]").await;
    let call = until("the call in the timeline", || {
        texts("[data-testid=timeline-item][data-kind=call]")
            .into_iter()
            .find(|t| t.contains("Intro call") && t.contains("Connected"))
    })
    .await;
    assert!(call.contains("15 min"), "{call}");
    assert!(call.contains("Wants a demo"), "{call}");
    until_true("the form cleared once saved", || {
        value_of("[data-testid=activity-subject]").is_empty()
    })
    .await;

    // A task due two hours ago, added from the timeline.
    click("[data-testid=add-task]").await;
    until_true("the task form focused", || focused() == "task-title").await;
    type_into("[data-testid=task-title]", "Send the proposal").await;
    type_into(
        "[data-testid=task-due]",
        &local_input(js_sys::Date::now() - 2.0 * 3_600_000.0),
    )
    .await;
    click("[data-testid=task-submit]").await;
    until("the task in the timeline", || {
        texts("[data-testid=timeline-item][data-kind=task]")
            .into_iter()
            .find(|t| t.contains("Send the proposal"))
    })
    .await;
    until_true("focus back on Add task", || focused() == "add-task").await;
    let badge = until("the overdue badge", || {
        find("[data-testid=overdue-badge]").filter(|b| !b.hidden())
    })
    .await;
    assert_eq!(badge.inner_text(), "1");
    assert_eq!(
        badge.get_attribute("aria-label").as_deref(),
        Some("1 overdue task")
    );

    // An edit of the person shows in its history.
    type_into("[data-testid=field-title]", "CTO").await;
    until("the job title change in the history", || {
        texts("[data-testid=timeline-item][data-kind=change]")
            .into_iter()
            .find(|t| t.contains("changed") && t.contains("Job title"))
    })
    .await;
    // Filters: only changes, then only tasks.
    click("[data-testid=timeline-filter-changes]").await;
    until_true("only changes", || {
        let kinds: Vec<String> = find_all("[data-testid=timeline-item]")
            .iter()
            .filter_map(|e| e.get_attribute("data-kind"))
            .collect();
        !kinds.is_empty() && kinds.iter().all(|k| k == "change")
    })
    .await;
    click("[data-testid=timeline-filter-tasks]").await;
    until_true("only the task", || {
        let items = find_all("[data-testid=timeline-item]");
        items.len() == 1 && items[0].get_attribute("data-kind").as_deref() == Some("task")
    })
    .await;
    click("[data-testid=timeline-filter-all]").await;

    // My tasks: the task is overdue, with its person.
    click("[data-testid=nav-tasks]").await;
    let overdue = until("the task in Overdue", || {
        find("[data-testid=tasks-overdue]").filter(|s| s.inner_text().contains("Send the proposal"))
    })
    .await;
    assert!(overdue.inner_text().contains(&name), "linked person shown");

    // Ticked done: out of Overdue, the badge hides, and Undo is offered.
    click("[data-testid=tasks-overdue] [data-testid=task-done]").await;
    until_true("Overdue emptied", || {
        find("[data-testid=tasks-overdue]")
            .is_none_or(|s| !s.inner_text().contains("Send the proposal"))
    })
    .await;
    until_true("focus kept in the page, not dropped on the body", || {
        document()
            .active_element()
            .is_some_and(|e| e.tag_name() != "BODY")
    })
    .await;
    until_true("the badge hidden", || {
        find("[data-testid=overdue-badge]").is_some_and(|b| b.hidden())
    })
    .await;
    until("the Done message with Undo", || {
        find_all("[data-testid=toast]")
            .into_iter()
            .find(|t| t.inner_text().contains("Done: Send the proposal"))
    })
    .await;
    until("the task under Done (collapsed)", || {
        find("[data-testid=tasks-done]").filter(|s| {
            s.text_content()
                .is_some_and(|t| t.contains("Send the proposal"))
        })
    })
    .await;
    click("[data-testid=tasks-done] summary").await;

    // The task's page edits it; marking it open again brings it back to Overdue.
    click("[data-testid=tasks-done] [data-testid=task-title-link]").await;
    until("the task's page", || find("[data-testid=page-task]")).await;
    until("its status", || find("[data-testid=item-status]")).await;
    type_into("[data-testid=item-status]", "open").await;
    until_true("the badge back", || {
        find("[data-testid=overdue-badge]").is_some_and(|b| !b.hidden())
    })
    .await;

    // Back to the person; the call's page edits its outcome; deleting it can be undone.
    click("[data-testid=page-task] .breadcrumb a").await;
    click("[data-testid=timeline-item][data-kind=call] .timeline-item__title").await;
    until("the call's page with its outcome", || {
        find("[data-testid=page-activity] [data-testid=item-outcome]")
            .filter(|_| value_of("[data-testid=item-outcome]") == "Connected")
    })
    .await;
    type_into("[data-testid=item-outcome]", "Left voicemail").await;
    until_true("the outcome saved", || {
        find("[data-testid=save-state]").is_some_and(|s| s.inner_text() == "Saved")
    })
    .await;
    click("[data-testid=page-activity] [data-testid=delete-record]").await;
    until_true("back on the person without the call", || {
        find("[data-testid=timeline]").is_some()
            && find("[data-testid=timeline-item][data-kind=call]").is_none()
    })
    .await;
    let undo = until("the Deleted message", || {
        find_all("[data-testid=toast]")
            .into_iter()
            .find(|t| t.inner_text().contains("Deleted Intro call"))
    })
    .await;
    undo.query_selector("[data-testid=toast-undo]")
        .unwrap()
        .unwrap()
        .unchecked_into::<HtmlElement>()
        .click();
    until("the call back, with its new outcome", || {
        texts("[data-testid=timeline-item][data-kind=call]")
            .into_iter()
            .find(|t| t.contains("Left voicemail"))
    })
    .await;

    // A task that comes due while the app is open is announced (in the app: no permission
    // for system notifications here).
    let granted = js_sys::Reflect::get(&window(), &"Notification".into())
        .ok()
        .and_then(|n| js_sys::Reflect::get(&n, &"permission".into()).ok())
        .and_then(|p| p.as_string())
        .as_deref()
        == Some("granted");
    click("[data-testid=add-task]").await;
    type_into("[data-testid=task-title]", "Call back").await;
    // The type group also takes a value set by a script, as a select would.
    type_into("[data-testid=activity-type]", "meeting").await;
    until_true("Meeting chosen", || {
        find("[data-testid=activity-type-meeting]").is_some_and(|r| {
            js_sys::Reflect::get(&r, &"checked".into())
                .ok()
                .and_then(|c| c.as_bool())
                == Some(true)
        })
    })
    .await;
    let soon = js_sys::Date::new(&JsValue::from_f64(js_sys::Date::now() + 2_500.0));
    let due = format!("{}:{:02}", local_input(soon.get_time()), soon.get_seconds());
    type_into("[data-testid=task-due]", &due).await;
    click("[data-testid=task-submit]").await;
    if !granted {
        until("the reminder", || {
            find_all("[data-testid=toast]")
                .into_iter()
                .find(|t| t.inner_text().contains("Reminder: Call back"))
        })
        .await;
    }
    until_true("the badge counting it as soon as it is due", || {
        find("[data-testid=overdue-badge]").is_some_and(|b| b.inner_text() == "2")
    })
    .await;
    until_true("the reminder remembered", || {
        let storage = window().local_storage().unwrap().unwrap();
        (0..storage.length().unwrap())
            .filter_map(|i| storage.key(i).unwrap())
            .filter(|k| k.starts_with("kith.reminded."))
            .any(|k| storage.get_item(&k).unwrap().unwrap_or_default().len() > 2)
    })
    .await;

    // A company's timeline gathers its people's interactions and tasks.
    let company = format!("Acme Timeline {}", js_sys::Date::now() as u64);
    type_into("[data-testid=field-company]", &company).await;
    click("[data-testid=record-person] a.field__hint[href^='/companies/']").await;
    until("the call on the company's timeline", || {
        find("[data-testid=record-company] [data-testid=timeline]")?;
        texts("[data-testid=timeline-item][data-kind=call]")
            .into_iter()
            .find(|t| t.contains("Intro call") && t.contains(&name))
    })
    .await;
    until("the person's task on the company's timeline", || {
        texts("[data-testid=timeline-item][data-kind=task]")
            .into_iter()
            .find(|t| t.contains("Call back"))
    })
    .await;

    // "All tasks" (the generic list) offers "New task": the task form, then the new task.
    click("[data-testid=nav-tasks]").await;
    click("[data-testid=tasks-tab-all]").await;
    click("[data-testid=new-task-link]").await;
    type_into(
        "[data-testid=new-task] [data-testid=task-title]",
        "Renew the contract",
    )
    .await;
    click("[data-testid=new-task] [data-testid=task-submit]").await;
    until("the new task's page", || {
        find("[data-testid=page-task] [data-testid=record-title]")
            .filter(|t| t.inner_text() == "Renew the contract")
    })
    .await;
}
