//! Lists with views, bulk actions, the command palette and shortcuts, with the whole app
//! mounted in headless Chromium over the local IndexedDB workspace.
#![cfg(target_arch = "wasm32")]

use kith_app::store::{Append, RecordWrite, Store};
use kith_core::ids::{RecordId, UserId};
use kith_core::record::{Field, LifecycleStage, Record, RecordKind, Visibility};
use kith_core::summary::Summary;
use kith_core::view::{Condition, Op, ViewField, ViewSpec};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::{until, until_true};

/// The database the app opens for the local workspace.
const DB: &str = "kith";

fn find(css: &str) -> Option<HtmlElement> {
    document()
        .query_selector(css)
        .unwrap()
        .map(|e| e.unchecked_into())
}

fn tid(id: &str) -> String {
    format!("[data-testid={id}]")
}

fn all(css: &str) -> Vec<HtmlElement> {
    let list = document().query_selector_all(css).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.unchecked_into())
        .collect()
}

/// Runs `body` as JavaScript with `a` and `b` as arguments.
fn js(body: &str, a: &JsValue, b: &JsValue) -> JsValue {
    js_sys::Function::new_with_args("a, b", body)
        .call2(&JsValue::NULL, a, b)
        .unwrap()
}

/// Sets a field's value as the user would, firing `input` and `change`.
fn set(el: &HtmlElement, value: &str) {
    js(
        "a.value = b; a.dispatchEvent(new Event('input', {bubbles: true})); \
         a.dispatchEvent(new Event('change', {bubbles: true}));",
        el,
        &value.into(),
    );
}

/// A key press on `target` (bubbling to the window); `mods`: "ctrl", "shift" or "".
fn key(target: &JsValue, key: &str, mods: &str) {
    js(
        "const [k, m] = b; a.dispatchEvent(new KeyboardEvent('keydown', \
         {key: k, ctrlKey: m === 'ctrl', shiftKey: m === 'shift', bubbles: true, cancelable: true}));",
        target,
        &js_sys::Array::of2(&key.into(), &mods.into()).into(),
    );
}

fn shift_click(el: &HtmlElement) {
    js(
        "a.dispatchEvent(new MouseEvent('click', {shiftKey: true, bubbles: true}))",
        el,
        &JsValue::NULL,
    );
}

/// The names of the rows shown, top to bottom.
fn row_names() -> Vec<String> {
    let mut rows: Vec<(u32, String)> = all(&tid("list-row"))
        .into_iter()
        .map(|row| {
            let index = row.get_attribute("aria-rowindex").unwrap().parse().unwrap();
            let name = row.query_selector(".row-link").unwrap().unwrap();
            (index, name.text_content().unwrap_or_default())
        })
        .collect();
    rows.sort();
    rows.into_iter().map(|(_, name)| name).collect()
}

fn path() -> String {
    window().location().pathname().unwrap()
}

fn go_to(url: &str) {
    window()
        .history()
        .unwrap()
        .replace_state_with_url(&JsValue::NULL, "", Some(url))
        .unwrap();
}

fn mount() -> leptos::mount::UnmountHandle<impl Mountable> {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    leptos::mount::mount_to(root, kith_app::App)
}

struct Person<'a> {
    name: &'a str,
    city: &'a str,
    tags: &'a [&'a str],
    stage: Option<LifecycleStage>,
}

/// Stores people as another tab would have, before the app opens the workspace.
async fn seed(people: &[Person<'_>]) -> Vec<RecordId> {
    let store = Store::open(DB).await.unwrap();
    let mut ids = Vec::new();
    for p in people {
        let mut r = Record::create(
            RecordId::new(),
            RecordKind::Person,
            &UserId("seed".into()),
            1_700_000_000_000,
        );
        r.edit(1_700_000_000_001, |e| {
            e.set(Field::Name, p.name)?;
            e.set(Field::City, p.city)?;
            for t in p.tags {
                e.add_tag(t)?;
            }
            match p.stage {
                Some(stage) => e.set_stage(stage),
                None => Ok(()),
            }
        })
        .unwrap();
        ids.push(r.id().clone());
        store
            .write(RecordWrite {
                id: r.id().to_string(),
                kind: "person".into(),
                append: Append::Snapshot(r.save()),
                summary: r.summary().encode(),
                outbox: None,
            })
            .await
            .unwrap();
    }
    ids
}

/// Stores a saved view written by `owner` on another device.
async fn seed_view(name: &str, spec: &ViewSpec, visibility: Visibility, owner: &str) {
    let store = Store::open(DB).await.unwrap();
    let mut r = Record::create(RecordId::new(), RecordKind::View, &UserId(owner.into()), 1);
    r.edit(2, |e| {
        e.set(Field::Name, name)?;
        e.set(Field::Spec, &spec.encode())?;
        e.set(Field::Visibility, visibility.as_str())?;
        e.set(Field::Owner, owner)
    })
    .unwrap();
    store
        .write(RecordWrite {
            id: r.id().to_string(),
            kind: "view".into(),
            append: Append::Snapshot(r.save()),
            summary: r.summary().encode(),
            outbox: None,
        })
        .await
        .unwrap();
}

async fn stored_summary(id: &RecordId) -> Summary {
    let store = Store::open(DB).await.unwrap();
    let all = store.summaries().await.unwrap();
    let entry = all
        .items
        .into_iter()
        .find(|s| s.id == id.as_str())
        .expect("stored");
    Summary::decode(&entry.bytes).unwrap()
}

#[wasm_bindgen_test]
async fn filters_sort_columns_saved_views_and_bulk_tags() {
    let ids = seed(&[
        Person {
            name: "Vw Ada",
            city: "London",
            tags: &["vip"],
            stage: Some(LifecycleStage::Customer),
        },
        Person {
            name: "Vw Bea",
            city: "Paris",
            tags: &["vip"],
            stage: Some(LifecycleStage::Lead),
        },
        Person {
            name: "Vw Cy",
            city: "London",
            tags: &[],
            stage: Some(LifecycleStage::Lead),
        },
        Person {
            name: "Vw Dee",
            city: "london",
            tags: &["vip", "newsletter"],
            stage: None,
        },
        Person {
            name: "Vw Eve",
            city: "Lima",
            tags: &[],
            stage: Some(LifecycleStage::Customer),
        },
    ])
    .await;
    let londoners = ViewSpec {
        filters: vec![Condition {
            field: ViewField::City,
            op: Op::Is,
            value: "London".into(),
        }],
        ..ViewSpec::default_for(RecordKind::Person)
    };
    seed_view(
        "Team Londoners",
        &londoners,
        Visibility::Shared,
        "someone-else",
    )
    .await;
    seed_view(
        "Their secret",
        &londoners,
        Visibility::Private,
        "someone-else",
    )
    .await;
    go_to("/people");
    let app = mount();
    until_true("the seeded people", || {
        row_names().iter().filter(|n| n.starts_with("Vw ")).count() == 5
    })
    .await;
    // Only this test's people from here on.
    set(&find(&tid("list-search")).unwrap(), "vw");
    until_true("the search", || row_names().len() == 5).await;

    // Filter: tag has "vip" AND city is "London".
    find(&tid("filter-add")).unwrap().click();
    let row = until("a filter row", || find(&tid("filter-row"))).await;
    set(
        &find(&format!("{} {}", tid("filter-row"), tid("filter-field"))).unwrap(),
        "tags",
    );
    until_true("the tag operators", || {
        find(&tid("filter-op")).is_some_and(|op| op.inner_text().contains("has not"))
    })
    .await;
    set(&find(&tid("filter-op")).unwrap(), "contains");
    set(
        &until("the value box", || find(&tid("filter-value"))).await,
        "vip",
    );
    drop(row);
    until_true("vip people", || {
        row_names() == ["Vw Ada", "Vw Bea", "Vw Dee"]
    })
    .await;
    find(&tid("filter-add")).unwrap().click();
    until_true("a second filter row", || all(&tid("filter-row")).len() == 2).await;
    let second = all(&tid("filter-row")).pop().unwrap();
    let in_second = |id: &str| -> HtmlElement {
        second
            .query_selector(&tid(id))
            .unwrap()
            .unwrap()
            .unchecked_into()
    };
    set(&in_second("filter-field"), "city");
    set(&in_second("filter-op"), "is");
    set(&in_second("filter-value"), "London");
    until_true("vip Londoners only", || row_names() == ["Vw Ada", "Vw Dee"]).await;
    let count = find(&tid("list-count")).unwrap().inner_text();
    assert!(count.starts_with("2 of "), "{count}");

    // Save it as a private view: the URL names it.
    find(&tid("views-menu")).unwrap().click();
    find(&tid("view-save")).unwrap().click();
    set(&find(&tid("view-name")).unwrap(), "London VIPs");
    assert_eq!(
        js(
            "return a.value",
            &find(&tid("view-visibility")).unwrap(),
            &JsValue::NULL
        )
        .as_string()
        .as_deref(),
        Some("private")
    );
    find(&tid("view-save-submit")).unwrap().click();
    let view_url = until("?view= in the URL", || {
        let search = window().location().search().unwrap();
        search
            .starts_with("?view=")
            .then_some(format!("{}{search}", path()))
    })
    .await;
    until_true("the view listed", || {
        all(&tid("saved-view"))
            .iter()
            .any(|v| v.inner_text().contains("London VIPs"))
    })
    .await;

    // Multi-sort: city, then (shift+click) name descending.
    find(&tid("filter-remove")).unwrap().click();
    until_true("one filter left", || all(&tid("filter-row")).len() == 1).await;
    all(&tid("filter-remove"))[0].click();
    until_true("all five again", || row_names().len() == 5).await;
    find(&tid("columns-button")).unwrap().click();
    let city = find(&tid("column-toggle-city")).unwrap();
    city.click();
    let sort_city = until("the city column", || find(&tid("sort-city"))).await;
    sort_city.click();
    until_true("by city", || {
        row_names() == ["Vw Eve", "Vw Ada", "Vw Cy", "Vw Dee", "Vw Bea"]
    })
    .await;
    let by_name = find(&tid("sort-name")).unwrap();
    shift_click(&by_name);
    shift_click(&by_name);
    until_true("by city, then name descending", || {
        row_names() == ["Vw Eve", "Vw Dee", "Vw Cy", "Vw Ada", "Vw Bea"]
    })
    .await;
    let header = find(&tid("sort-city")).unwrap().parent_element().unwrap();
    assert_eq!(
        header.get_attribute("aria-sort").as_deref(),
        Some("ascending")
    );
    assert!(find(&tid("sort-name")).unwrap().inner_text().contains("▼2"));

    // Escape closes the open menu.
    let columns_menu = find(&tid("columns-button"))
        .unwrap()
        .parent_element()
        .unwrap();
    assert!(columns_menu.has_attribute("open"));
    key(&find(&tid("column-toggle-city")).unwrap(), "Escape", "");
    assert!(!columns_menu.has_attribute("open"));
    find(&tid("columns-button")).unwrap().click();

    // Hide a column.
    assert!(find(&tid("sort-email")).is_some());
    find(&tid("column-toggle-email")).unwrap().click();
    until_true("no email column", || find(&tid("sort-email")).is_none()).await;
    assert!(find(".col--f-email").is_none(), "no email cells either");

    // Bulk: tag three selected rows; each record stores the tag.
    let mut boxes: Vec<(u32, HtmlElement)> = all(&tid("list-row"))
        .into_iter()
        .map(|row| {
            let index = row.get_attribute("aria-rowindex").unwrap().parse().unwrap();
            (
                index,
                row.query_selector(&tid("row-select"))
                    .unwrap()
                    .unwrap()
                    .unchecked_into(),
            )
        })
        .collect();
    boxes.sort_by_key(|(i, _)| *i);
    for (_, b) in &boxes[..3] {
        b.click();
    }
    let bar = until("the bulk bar", || {
        find(&tid("bulk-bar")).filter(|b| !b.hidden())
    })
    .await;
    assert!(bar.inner_text().contains("3 selected"));
    let select_all = find(&tid("select-all")).unwrap();
    assert!(
        select_all
            .get_attribute("aria-label")
            .unwrap()
            .contains("Select all 5")
    );
    set(&find(&tid("bulk-tag-input")).unwrap(), "q4");
    find(&tid("bulk-tag")).unwrap().click();
    until_true("the toast", || {
        all(&tid("toast"))
            .iter()
            .any(|t| t.inner_text().contains("3 changed"))
    })
    .await;
    let tagged = ["Vw Eve", "Vw Dee", "Vw Cy"];
    let names = ["Vw Ada", "Vw Bea", "Vw Cy", "Vw Dee", "Vw Eve"];
    for (id, name) in ids.iter().zip(names) {
        let stored = stored_summary(id).await;
        assert_eq!(
            stored.tags.contains(&"q4".to_string()),
            tagged.contains(&name),
            "{name}: {:?}",
            stored.tags
        );
    }

    // "Reload" at the view's URL: the saved view applies again.
    drop(app);
    go_to(&view_url);
    let _app = mount();
    until_true("the saved view's rows", || {
        let names = row_names();
        names.iter().any(|n| n.starts_with("Vw "))
            && names.iter().all(|n| n == "Vw Ada" || n == "Vw Dee")
    })
    .await;
    assert_eq!(all(&tid("filter-row")).len(), 2);
    assert!(
        find(&tid("views-menu"))
            .unwrap()
            .inner_text()
            .contains("London VIPs")
    );
    // Views of this kind: mine and shared ones, never someone else's private one.
    let listed: Vec<String> = all(&tid("saved-view"))
        .iter()
        .filter_map(|v| v.text_content())
        .collect();
    assert!(
        listed.iter().any(|v| v.contains("Team Londoners")),
        "{listed:?}"
    );
    assert!(
        !listed.iter().any(|v| v.contains("Their secret")),
        "{listed:?}"
    );

    // Changed: "Update view" stores the new spec.
    let update = find(&tid("view-update")).unwrap();
    assert!(update.hidden(), "nothing to update yet");
    all(&tid("filter-remove"))[1].click();
    until_true("vip people again", || {
        row_names() == ["Vw Ada", "Vw Bea", "Vw Dee"]
    })
    .await;
    until_true("update offered", || !update.hidden()).await;
    assert!(
        find(&tid("views-menu"))
            .unwrap()
            .inner_text()
            .contains("(modified)")
    );
    update.click();
    let view_id = RecordId::parse(view_url.split("view=").nth(1).unwrap()).unwrap();
    let mut stored_filters = 0;
    for _ in 0..200 {
        stored_filters = ViewSpec::parse(&stored_summary(&view_id).await.config)
            .unwrap()
            .filters
            .len();
        if stored_filters == 1 {
            break;
        }
        support::pause(20).await;
    }
    assert_eq!(stored_filters, 1, "the view was updated in storage");
    until_true("no longer modified", || {
        !find(&tid("views-menu"))
            .unwrap()
            .inner_text()
            .contains("(modified)")
    })
    .await;

    // Bulk delete of everything shown, confirmed, then undone.
    find(&tid("select-all")).unwrap().click();
    until_true("three selected", || {
        find(&tid("bulk-bar")).is_some_and(|b| b.inner_text().contains("3 selected"))
    })
    .await;
    find(&tid("bulk-delete")).unwrap().click();
    find(&tid("bulk-delete-confirm")).unwrap().click();
    until_true("all deleted", || row_names().is_empty()).await;
    assert!(stored_summary(&ids[0]).await.deleted);
    let undo = until("the undo", || {
        all(&tid("toast"))
            .into_iter()
            .find(|t| t.inner_text().contains("Deleted"))
            .and_then(|t| t.query_selector(&tid("toast-undo")).unwrap())
    })
    .await;
    undo.unchecked_into::<HtmlElement>().click();
    until_true("all back", || row_names() == ["Vw Ada", "Vw Bea", "Vw Dee"]).await;
}

#[wasm_bindgen_test]
async fn palette_opens_records_and_shortcuts_navigate_but_not_while_typing() {
    let ids = seed(&[Person {
        name: "Zed Palette",
        city: "",
        tags: &[],
        stage: None,
    }])
    .await;
    go_to("/people");
    let _app = mount();
    until_true("the list", || {
        row_names().iter().any(|n| n == "Zed Palette")
    })
    .await;
    let body: JsValue = document().body().unwrap().into();

    // Ctrl+K, a name, Enter: the record opens.
    key(&body, "k", "ctrl");
    let input = until("the palette", || find(&tid("palette-input"))).await;
    assert_eq!(
        document().active_element().map(|e| e.id()).as_deref(),
        Some("palette-input")
    );
    set(&input, "zed palet");
    let first = until("the person first", || {
        find(&tid("palette-result")).filter(|r| r.inner_text().contains("Zed Palette"))
    })
    .await;
    assert!(first.inner_text().to_lowercase().contains("person"));
    key(&input, "Enter", "");
    until_true("the record page", || {
        path() == format!("/people/{}", ids[0])
    })
    .await;
    until_true("the palette closed", || find(&tid("palette")).is_none()).await;

    // Commands: arrows choose, Escape closes.
    key(&body, "k", "ctrl");
    let input = until("the palette again", || find(&tid("palette-input"))).await;
    set(&input, "go to comp");
    until_true("one command", || all(&tid("palette-result")).len() == 1).await;
    key(&input, "Escape", "");
    until_true("closed", || find(&tid("palette")).is_none()).await;

    // `?` opens the help, which mentions Ctrl+K; Escape closes it.
    key(&body, "?", "shift");
    let help = until("the shortcuts help", || find(&tid("shortcuts-help"))).await;
    assert!(help.inner_text().contains("Ctrl K"));
    key(&body, "Escape", "");
    until_true("help closed", || find(&tid("shortcuts-help")).is_none()).await;

    // `g d` goes to deals.
    key(&body, "g", "");
    key(&body, "d", "");
    until_true("deals", || path() == "/deals").await;

    // Typing g then p in a field does nothing.
    find(&tid("nav-people")).unwrap().click();
    let search = until("the people list", || find(&tid("list-search"))).await;
    let _ = search.focus();
    key(&search, "g", "");
    key(&search, "c", "");
    key(&body, "x", "");
    support::pause(50).await;
    assert_eq!(path(), "/people");

    // `/` focuses the search.
    let _ = search.blur();
    key(&body, "/", "");
    assert_eq!(
        document()
            .active_element()
            .map(|e| e.get_attribute("data-testid")),
        Some(Some("list-search".into()))
    );
}
