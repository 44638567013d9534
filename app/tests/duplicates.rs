//! Duplicates in a real browser with the whole app mounted: people with the same email shown
//! as a group, "Not duplicates", a merge picking fields (the survivor gets both emails, every
//! activity and task moves to it, the other is deleted) and its Undo; privacy export and
//! erase on the person page.
#![cfg(target_arch = "wasm32")]

use kith_app::session::LOCAL_DATABASE;
use kith_app::workspace::{Phase, Workspace};
use kith_core::ids::RecordId;
use kith_core::record::{Channel, Field, RecordKind};
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

/// What is stored for `id`, read by a fresh handle (the app's writes are durable).
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

/// Two people sharing an email (one upper-cased), an activity linked to the second and a task
/// linked to both; written before the app opens.
async fn seed(tag: &str) -> (RecordId, RecordId, RecordId, RecordId) {
    let owner = Owner::new();
    let ws = open_workspace(&owner).await;
    let email = format!("ana.{tag}@acme.example");
    let (first_email, second_email) = (email.clone(), email.to_uppercase());
    let first = ws
        .create(RecordKind::Person, move |e| {
            e.set(Field::Name, &format!("Ana Silva {tag}"))?;
            e.set(Field::Title, "CTO")?;
            e.add_channel(Channel::Email, &first_email, "work")?;
            Ok(())
        })
        .await
        .unwrap();
    let home = format!("ana.{tag}@home.example");
    let second = ws
        .create(RecordKind::Person, move |e| {
            e.set(Field::Name, &format!("Ana M. Silva {tag}"))?;
            e.set(Field::Title, "CEO")?;
            e.add_channel(Channel::Email, &second_email, "")?;
            e.add_channel(Channel::Email, &home, "home")?;
            e.set_notes("Prefers email.")
        })
        .await
        .unwrap();
    let (s1, s2) = (second.clone(), first.clone());
    let call = ws
        .create(RecordKind::Activity, move |e| {
            e.set(Field::Name, &format!("Call with Ana {tag}"))?;
            e.link(&s1, RecordKind::Person)
        })
        .await
        .unwrap();
    let s1 = second.clone();
    let task = ws
        .create(RecordKind::Task, move |e| {
            e.set(Field::Name, "Send the quote")?;
            e.link(&s2, RecordKind::Person)?;
            e.link(&s1, RecordKind::Person)
        })
        .await
        .unwrap();
    (first, second, call, task)
}

/// The group on the page holding `name`.
fn group_of(name: &str) -> Option<HtmlElement> {
    find_all("[data-testid=duplicate-group]")
        .into_iter()
        .find(|g| g.text_content().unwrap_or_default().contains(name))
}

fn click_in(parent: &HtmlElement, css: &str) {
    parent
        .query_selector(css)
        .unwrap()
        .map(|e| e.unchecked_into::<HtmlElement>())
        .unwrap_or_else(|| panic!("{css} in the group"))
        .click();
}

#[wasm_bindgen_test]
async fn same_email_is_a_group_and_not_duplicates_hides_it_until_undone() {
    let tag = unique();
    let (_first, second, _, _) = seed(&tag).await;
    go("/duplicates");
    let _mounted = mount();
    until_true("the page", || {
        find("[data-testid=page-duplicates] h1")
            .is_some_and(|h| h.text_content().unwrap_or_default() == "Duplicates")
    })
    .await;
    let group = until("the group of the two Anas", || {
        group_of(&format!("Ana M. Silva {tag}"))
    })
    .await;
    let text = group.text_content().unwrap_or_default();
    assert!(text.contains(&format!("Ana Silva {tag}")), "{text}");
    assert!(
        text.contains(&format!("Same email ana.{tag}@acme.example")),
        "{text}"
    );

    click_in(&group, "[data-testid=duplicate-dismiss]");
    until_true("the group to go", || {
        group_of(&format!("Ana M. Silva {tag}")).is_none()
    })
    .await;
    // Remembered on the records (so it syncs): a new scan leaves the pair out.
    until_true("the rescan button", || {
        find("[data-testid=duplicates-rescan]").is_some_and(|b| !b.has_attribute("disabled"))
    })
    .await;
    find("[data-testid=duplicates-rescan]").unwrap().click();
    until_true("the rescan to finish", || {
        find("[data-testid=duplicates-progress]").is_none()
    })
    .await;
    assert!(group_of(&format!("Ana M. Silva {tag}")).is_none());
    let _ = stored(&second).await;
    // Undo brings it back.
    let undo = until("the undo", || {
        find_all("[data-testid=toast]")
            .into_iter()
            .find(|t| {
                t.text_content()
                    .unwrap_or_default()
                    .contains("not duplicates")
            })
            .and_then(|t| t.query_selector("[data-testid=toast-undo]").unwrap())
    })
    .await;
    undo.unchecked_into::<HtmlElement>().click();
    until("the group back", || {
        group_of(&format!("Ana M. Silva {tag}"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn merge_picks_fields_relinks_everything_and_undo_restores() {
    let tag = unique();
    let (first, second, call, task) = seed(&tag).await;
    go("/duplicates");
    let _mounted = mount();
    let group = until("the group", || group_of(&format!("Ana M. Silva {tag}"))).await;
    click_in(&group, "[data-testid=duplicate-merge]");
    until("the merge view", || {
        find("[data-testid=merge-view] [data-testid=merge-row-title]")
    })
    .await;
    // Keep the first record, with the second's title.
    assert!(find("[data-testid=merge-survivor][value=\"0\"]").is_some());
    find("[data-testid=merge-pick-title][value=\"1\"]")
        .unwrap()
        .click();
    until_true("the result column", || {
        find("[data-testid=merge-row-title] .merge__result")
            .is_some_and(|c| c.text_content().unwrap_or_default() == "CEO")
    })
    .await;
    let preview = find("[data-testid=merge-preview]")
        .unwrap()
        .text_content()
        .unwrap_or_default();
    assert!(preview.contains("2 linked records"), "{preview}");
    find("[data-testid=merge-confirm]").unwrap().click();
    until_true("the merge view to close", || {
        find("[data-testid=merge-view]").is_none()
    })
    .await;

    let survivor = until_stored("the survivor", &first, |s| s.title == "CEO").await;
    assert_eq!(survivor.name, format!("Ana Silva {tag}"));
    assert_eq!(
        survivor.emails,
        [
            format!("ana.{tag}@acme.example"),
            format!("ana.{tag}@home.example")
        ]
    );
    let gone = stored(&second).await;
    assert!(gone.deleted);
    assert_eq!(stored(&call).await.links, std::slice::from_ref(&first));
    assert_eq!(stored(&task).await.links, std::slice::from_ref(&first));
    assert!(group_of(&format!("Ana M. Silva {tag}")).is_none());

    let undo = until("the undo", || {
        find_all("[data-testid=toast]")
            .into_iter()
            .find(|t| t.text_content().unwrap_or_default().contains("Merged into"))
            .and_then(|t| t.query_selector("[data-testid=toast-undo]").unwrap())
    })
    .await;
    undo.unchecked_into::<HtmlElement>().click();
    until_stored("the other restored", &second, |s| !s.deleted).await;
    let survivor = until_stored("the survivor's fields back", &first, |s| s.title == "CTO").await;
    assert_eq!(survivor.emails, [format!("ana.{tag}@acme.example")]);
    until_stored("the call back on the second", &call, |s| {
        s.links == [second.clone()]
    })
    .await;
    let task = stored(&task).await;
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(task.links, expected);
    until("the group back", || {
        group_of(&format!("Ana M. Silva {tag}"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_new_record_like_an_existing_one_is_flagged_with_a_link() {
    use kith_app::duplicates::PossibleDuplicates;
    use leptos_router::components::Router;

    let tag = unique();
    let (first, ..) = seed(&tag).await;
    let owner = Owner::new();
    let ws = open_workspace(&owner).await;
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let name = RwSignal::new(String::new());
    let emails = RwSignal::new(Vec::<String>::new());
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        provide_context(ws);
        view! {
            <Router>
                <PossibleDuplicates kind=RecordKind::Person name emails/>
            </Router>
        }
    });
    assert!(
        root.query_selector("[data-testid=possible-duplicates]")
            .unwrap()
            .is_none()
    );
    // Gmail-style and case differences do not hide it.
    emails.set(vec![format!("Ana.{tag}@ACME.example")]);
    let notice = until("the notice", || {
        root.query_selector("[data-testid=possible-duplicate]")
            .unwrap()
    })
    .await;
    let text = notice.text_content().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "Possible duplicate of Ana Silva {tag} (same email)"
        )) || text.contains(&format!(
            "Possible duplicate of Ana M. Silva {tag} (same email)"
        )),
        "{text}"
    );
    let links = root
        .query_selector_all("[data-testid=possible-duplicate] a")
        .unwrap();
    let hrefs: Vec<String> = (0..links.length())
        .filter_map(|i| links.item(i))
        .filter_map(|n| n.unchecked_into::<web_sys::Element>().get_attribute("href"))
        .collect();
    assert!(hrefs.contains(&format!("/people/{first}")), "{hrefs:?}");
    emails.set(vec![format!("someone.else.{tag}@acme.example")]);
    until_true("the notice to go", || {
        root.query_selector("[data-testid=possible-duplicates]")
            .unwrap()
            .is_none()
    })
    .await;
    root.remove();
}

/// Starts watching for long tasks; the returned function stops and gives the longest (ms).
fn long_task_probe() -> js_sys::Function {
    js_sys::Function::new_no_args(
        "const seen = []; const o = new PerformanceObserver(list => { \
           for (const e of list.getEntries()) seen.push(e.duration); }); \
         o.observe({ type: 'longtask' }); \
         return () => { for (const e of o.takeRecords()) seen.push(e.duration); \
           o.disconnect(); return Math.max(0, ...seen); };",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap()
    .dyn_into::<js_sys::Function>()
    .unwrap()
}

/// 10k people (one in fifty sharing an email, 20 per company): the scan finds their groups
/// without a main-thread task over 50 ms.
#[wasm_bindgen_test]
async fn scanning_ten_thousand_people_never_blocks_the_page() {
    use kith_app::store::Store;
    use kith_app::workspace::Fill;

    let _ = any_spawner::Executor::init_wasm_bindgen();
    let name = format!("kith-dup-scan-{}", unique());
    let owner = Owner::new();
    let ws = owner.with(|| Workspace::open_database(name.clone(), None));
    until("the workspace", || {
        (ws.phase.get_untracked() == Phase::Ready).then_some(())
    })
    .await;
    let companies: Vec<RecordId> = (0..500).map(|_| RecordId::new()).collect();
    let fills: Vec<Fill> = (0..10_000usize)
        .map(|i| {
            let company = companies[i % companies.len()].to_string();
            let email = format!("p{}@example.com", if i % 50 == 0 { i + 1 } else { i });
            Box::new(move |e: &mut kith_core::record::Edit<'_>| {
                e.set(Field::Name, &format!("Person {i}"))?;
                e.set(Field::CompanyId, &company)?;
                e.add_channel(Channel::Email, &email, "").map(drop)
            }) as Fill
        })
        .collect();
    ws.create_many(RecordKind::Person, fills, || false, |_| {})
        .await
        .unwrap();
    let probe = long_task_probe();
    let started = js_sys::Date::now();
    let groups = kith_app::duplicates::find_groups(ws, |_| {}).await.unwrap();
    let took = js_sys::Date::now() - started;
    let longest = probe
        .call0(&wasm_bindgen::JsValue::NULL)
        .unwrap()
        .as_f64()
        .unwrap();
    web_sys::console::log_1(
        &format!(
            "scan of 10k people: {} groups in {took:.0} ms; longest task {longest:.0} ms",
            groups.len()
        )
        .into(),
    );
    assert_eq!(groups.len(), 200);
    assert!(
        longest < support::UNSLICED_TASK_MS,
        "a step blocked the page for {longest:.0} ms"
    );
    drop(owner);
    Store::delete_database(&name).await.unwrap();
}

fn set_value(css: &str, value: &str) {
    let el = find(css).unwrap_or_else(|| panic!("{css} is on the page"));
    js_sys::Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    for event in ["input", "change"] {
        el.dispatch_event(&web_sys::Event::new(event).unwrap())
            .unwrap();
    }
}

#[wasm_bindgen_test]
async fn privacy_export_holds_the_linked_activity_and_erase_leaves_nothing_personal() {
    let tag = unique();
    let name = format!("Rosa Mendes {tag}");
    let email = format!("rosa.{tag}@mail.example");
    let owner = Owner::new();
    let ws = open_workspace(&owner).await;
    let (n, m) = (name.clone(), email.clone());
    let person = ws
        .create(RecordKind::Person, move |e| {
            e.set(Field::Name, &n)?;
            e.set(Field::City, "Braga")?;
            e.add_channel(Channel::Email, &m, "")?;
            e.add_channel(Channel::Phone, "+351 912 000 111", "")?;
            e.add_tag("vip")?;
            e.set_notes("Allergic to cats")
        })
        .await
        .unwrap();
    let (p, n, m) = (person.clone(), name.clone(), email.clone());
    let call = ws
        .create(RecordKind::Activity, move |e| {
            e.set(Field::Name, &format!("Call with {n}"))?;
            e.set(Field::Outcome, &format!("Send the offer to {m}"))?;
            e.set_notes(&format!(
                "Rosa asked for a call back on +351 912 000 111. {n} is keen."
            ))?;
            e.link(&p, RecordKind::Person)
        })
        .await
        .unwrap();
    go(&format!("/people/{person}"));
    let _mounted = mount();
    let export = until("the export button", || find("[data-testid=privacy-export]")).await;
    export.click();
    let link = until("the export", || find("[data-testid=privacy-export-link]")).await;
    let href = link.get_attribute("href").unwrap_or_default();
    let json = String::from(
        js_sys::decode_uri_component(
            href.trim_start_matches("data:application/json;charset=utf-8,"),
        )
        .unwrap(),
    );
    for needle in [
        name.as_str(),
        email.as_str(),
        "Braga",
        "Allergic to cats",
        "history",
        &format!("Call with {name}"),
    ] {
        assert!(json.contains(needle), "{needle} in the export");
    }
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["linked"][0]["id"], call.to_string());

    find("[data-testid=privacy-erase]").unwrap().click();
    until("the confirmation", || {
        find("[data-testid=privacy-erase-dialog]")
    })
    .await;
    let confirm = find("[data-testid=privacy-erase-confirm]").unwrap();
    assert!(
        confirm.has_attribute("disabled"),
        "only once the name is typed"
    );
    set_value("[data-testid=privacy-erase-name]", "Rosa");
    assert!(
        find("[data-testid=privacy-erase-confirm]")
            .unwrap()
            .has_attribute("disabled")
    );
    set_value("[data-testid=privacy-erase-name]", &name);
    until_true("the confirm button", || {
        find("[data-testid=privacy-erase-confirm]").is_some_and(|b| !b.has_attribute("disabled"))
    })
    .await;
    find("[data-testid=privacy-erase-confirm]").unwrap().click();
    until_true("back on the people list", || {
        window().location().pathname().unwrap_or_default() == "/people"
    })
    .await;

    // The activity's current state holds no personal value; the person holds nothing at all.
    let activity = until_stored("the activity redacted", &call, |s| s.links.is_empty()).await;
    let check = Owner::new();
    let fresh = open_workspace(&check).await;
    let record = fresh.record(&call).await.unwrap();
    let state = format!(
        "{:?} {:?} {}",
        record.text(Field::Name),
        record.text(Field::Outcome),
        record.notes()
    );
    for needle in ["Rosa", "Mendes", &tag, &email, "912"] {
        assert!(!state.contains(needle), "{needle} left in {state}");
    }
    assert!(activity.name.contains("[erased]"), "{}", activity.name);
    assert!(
        fresh.record(&person).await.is_err(),
        "the person's bytes are gone"
    );
    assert!(
        fresh
            .with_directory(|d| d.get(&person).cloned())
            .is_none_or(|s| s.deleted && s.name.is_empty() && s.emails.is_empty()),
    );
}

#[wasm_bindgen_test]
async fn a_teammate_s_edit_after_the_merge_shows_on_the_survivor_and_is_applied() {
    use kith_core::ids::UserId;
    use kith_core::protocol::RecordPayload;
    use kith_core::record::Record;

    let tag = unique();
    let (first, second, ..) = seed(&tag).await;
    // A teammate's device holds the second person as it was before the merge.
    let owner = Owner::new();
    let ws = open_workspace(&owner).await;
    let mut snapshot = ws.record(&second).await.unwrap();
    let mut teammate = Record::load(
        second.clone(),
        &snapshot.save(),
        &[],
        &UserId("u-teammate".into()),
    )
    .unwrap();

    go("/duplicates");
    let _mounted = mount();
    let group = until("the group", || group_of(&format!("Ana M. Silva {tag}"))).await;
    click_in(&group, "[data-testid=duplicate-merge]");
    until("the merge view", || find("[data-testid=merge-confirm]")).await;
    find("[data-testid=merge-confirm]").unwrap().click();
    until_stored("the merge", &second, |s| s.deleted).await;

    // Offline, the teammate changed the second person; it arrives after the merge.
    let change = teammate
        .edit(js_sys::Date::now() as i64, |e| {
            e.set(Field::Title, "VP Sales")?;
            e.add_tag("board")
        })
        .unwrap()
        .unwrap();
    ws.apply_remote(
        vec![RecordPayload {
            record: second.to_string(),
            snapshot: None,
            changes: vec![change],
        }],
        None,
    )
    .await
    .unwrap();

    go(&format!("/people/{first}"));
    drop(_mounted);
    let _mounted = mount();
    let notice = until("the late changes", || find("[data-testid=merged-changes]")).await;
    let text = notice.text_content().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "Changes made to Ana M. Silva {tag} after it was merged"
        )),
        "{text}"
    );
    assert!(
        text.contains("Job title: VP Sales") && text.contains("Tag added: board"),
        "{text}"
    );
    find("[data-testid=merged-changes-apply]").unwrap().click();
    let survivor = until_stored("the survivor updated", &first, |s| s.title == "VP Sales").await;
    assert!(survivor.tags.contains(&"board".to_string()));
    until_true("the notice to go", || {
        find("[data-testid=merged-changes]").is_none()
    })
    .await;
}
